"""Row shape of a TSV file: every row has the header's number of fields and no NUL byte.

polars pads a short row with nulls (a row cut in half, or 3 of 35 fields, then reads as a
row with empty fields), stops at a row with extra fields without naming its line, and keeps
NUL bytes inside ids. :func:`check_row_shape` scans the raw bytes once, in blocks, with a
numba kernel that follows the TSV quoting polars uses (a field that starts with ``"`` is
quoted, ``""`` inside it is one quote, tabs and newlines inside it are data), and reports
each bad row with its physical line and the field concerned. Strict: the first bad row
raises :class:`~bridgewatch.errors.InputError`. Lenient: every bad row is reported and
:func:`clean_copy` writes the file without them, with a map from the copy's rows back to the
file's lines.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numba
import numpy as np
from numpy.typing import NDArray

from bridgewatch.errors import InputError

__all__ = ["BadRow", "RowShape", "check_row_shape", "clean_copy", "original_lines"]

_log = logging.getLogger(__name__)

# Bytes scanned per kernel call.
_BLOCK_BYTES = 64 << 20
# Bad rows the kernel records before handing back (it is called again for the rest).
_CAPACITY = 4096

# Kinds of bad row.
SHORT = 1
LONG = 2
NUL = 3
STRAY_QUOTE = 4
UNCLOSED_QUOTE = 5
EMPTY = 6

# Kernel state, carried from one block to the next (int64 array of _N_STATE).
_IN_QUOTES = 0  # inside a quoted field
_QUOTE_PENDING = 1  # a quote inside a quoted field was the last byte: closing or doubled
_FIELDS = 2  # fields of the current row begun so far (a row starts with one)
_RECORD = 3  # 0-based index of the current row (header excluded)
_LINE = 4  # 1-based physical line of the current byte
_START_LINE = 5  # physical line the current row starts on
_AT_FIELD_START = 6  # the next byte starts a field
_PROBLEM = 7  # first problem kind of the current row, 0 if none yet
_PROBLEM_FIELD = 8  # 0-based field index of that problem
_START_BYTE = 9  # file offset of the current row's first byte
_STRAY = 10  # double quotes inside unquoted fields of the current row
_STRAY_FIELD = 11  # 0-based field index of the first of them
_N_STATE = 12


@numba.njit(cache=True, nogil=True)
def _scan(
    buf: NDArray[np.uint8],
    offset: int,
    n_fields: int,
    final: bool,
    state: NDArray[np.int64],
    out: NDArray[np.int64],
) -> tuple[int, int]:  # pragma: no cover
    """Scan ``buf`` (the file's bytes from file offset ``offset``) from where ``state`` left.

    Parameters
    ----------
    buf : uint8 (m,), the next bytes of the file after the header line.
    offset : file offset of ``buf[0]``.
    n_fields : fields per row (the header's).
    final : ``buf`` ends the file: a last row without a newline is checked too.
    state : int64 (_N_STATE,), updated in place.
    out : int64 (capacity, 6): per bad row its 0-based row index, physical line, kind,
        0-based field index (of the NUL or stray quote; the number of fields found for a
        short or long row), first byte and end byte (past its newline).

    Returns
    -------
    (bytes consumed, bad rows written). Fewer than ``m`` bytes are consumed only when
    ``out`` is full; call again with the rest.
    """
    in_quotes = state[_IN_QUOTES] != 0
    pending = state[_QUOTE_PENDING] != 0
    fields = state[_FIELDS]
    record = state[_RECORD]
    line = state[_LINE]
    start_line = state[_START_LINE]
    at_start = state[_AT_FIELD_START] != 0
    problem = state[_PROBLEM]
    problem_field = state[_PROBLEM_FIELD]
    start_byte = state[_START_BYTE]
    stray = state[_STRAY]
    stray_field = state[_STRAY_FIELD]
    n_out = 0
    capacity = out.shape[0]
    i = 0
    m = buf.shape[0]
    while i < m:
        if in_quotes:
            c = buf[i]
            i += 1
            if pending:
                pending = False
                if c == 34:  # a doubled quote: one quote of data
                    continue
                in_quotes = False  # the quote closed the field; c is read unquoted
                i -= 1
                continue
            if c == 34:
                pending = True
            elif c == 10:
                line += 1
            elif c == 0 and problem == 0:
                problem = NUL
                problem_field = fields - 1
            continue
        # Most bytes are neither tab, newline, quote nor NUL (all below 35).
        while i < m and buf[i] > 34:
            i += 1
            at_start = False
        if i == m:
            break
        c = buf[i]
        i += 1
        if c == 9:
            fields += 1
            at_start = True
        elif c == 10:
            if problem == 0 and stray % 2 == 1:
                problem = STRAY_QUOTE
                problem_field = stray_field
            elif problem == 0 and fields == 1 and at_start and n_fields > 1:
                problem = EMPTY
                problem_field = 0
            elif problem == 0 and fields < n_fields:
                problem = SHORT
                problem_field = fields
            elif problem == 0 and fields > n_fields:
                problem = LONG
                problem_field = fields
            if problem != 0:
                out[n_out, 0] = record
                out[n_out, 1] = start_line
                out[n_out, 2] = problem
                out[n_out, 3] = problem_field
                out[n_out, 4] = start_byte
                out[n_out, 5] = offset + i
                n_out += 1
            record += 1
            line += 1
            start_line = line
            fields = 1
            at_start = True
            problem = 0
            problem_field = 0
            stray = 0
            start_byte = offset + i
            if n_out == capacity:
                break
        elif c == 34:
            if at_start:
                in_quotes = True
            else:
                # polars reads it as data, but an odd count per row breaks its chunking.
                if stray == 0:
                    stray_field = fields - 1
                stray += 1
            at_start = False
        else:
            if c == 0 and problem == 0:
                problem = NUL
                problem_field = fields - 1
            at_start = False
    if final and i == m and n_out < capacity and start_byte < offset + m:
        if in_quotes and not pending and problem == 0:
            problem = UNCLOSED_QUOTE
            problem_field = fields - 1
        in_quotes = False
        pending = False
        if problem == 0 and stray % 2 == 1:
            problem = STRAY_QUOTE
            problem_field = stray_field
        elif problem == 0 and fields < n_fields:
            problem = SHORT
            problem_field = fields
        elif problem == 0 and fields > n_fields:
            problem = LONG
            problem_field = fields
        if problem != 0:
            out[n_out, 0] = record
            out[n_out, 1] = start_line
            out[n_out, 2] = problem
            out[n_out, 3] = problem_field
            out[n_out, 4] = start_byte
            out[n_out, 5] = offset + m
            n_out += 1
        record += 1
        problem = 0
        stray = 0
        start_byte = offset + m
    state[_IN_QUOTES] = 1 if in_quotes else 0
    state[_QUOTE_PENDING] = 1 if pending else 0
    state[_FIELDS] = fields
    state[_RECORD] = record
    state[_LINE] = line
    state[_START_LINE] = start_line
    state[_AT_FIELD_START] = 1 if at_start else 0
    state[_PROBLEM] = problem
    state[_PROBLEM_FIELD] = problem_field
    state[_START_BYTE] = start_byte
    state[_STRAY] = stray
    state[_STRAY_FIELD] = stray_field
    return i, n_out


@dataclass(frozen=True)
class BadRow:
    """One row of the wrong shape.

    Parameters
    ----------
    record : 0-based row index (header excluded), as polars counts rows.
    line : 1-based physical line the row starts on (header = line 1).
    field : the column concerned: the first missing one of a short row, the one holding a
        NUL byte or a stray quote; for extra fields the first of them as ``#k`` (1-based).
    reason : what is wrong, in words.
    start, end : byte range of the row in the file (end past its newline).
    """

    record: int
    line: int
    field: str
    reason: str
    start: int
    end: int


@dataclass(frozen=True)
class RowShape:
    """What :func:`check_row_shape` found.

    Parameters
    ----------
    n_rows : rows after the header (as polars counts them).
    bad : the bad rows, in file order (lenient; empty otherwise, since strict raises).
    """

    n_rows: int
    bad: tuple[BadRow, ...]


def _column(header: Sequence[str], index: int) -> str:
    return header[index] if 0 <= index < len(header) else f"#{index + 1}"


def _describe(row: NDArray[np.int64], header: Sequence[str], last: bool) -> tuple[str, str]:
    kind, index = int(row[2]), int(row[3])
    n = len(header)
    if kind == EMPTY:
        return _column(header, 0), f"empty line (a row of {n} fields expected)"
    if kind == SHORT:
        cut = " (the file ends inside it: truncated?)" if last else ""
        return _column(header, index), f"row has {index} of {n} fields{cut}"
    if kind == LONG:
        return _column(header, n), f"row has {index} fields, the header {n}"
    if kind == NUL:
        return _column(header, index), "NUL byte in the field"
    if kind == STRAY_QUOTE:
        return (
            _column(header, index),
            "odd number of double quotes inside an unquoted field (quote the whole field "
            'and write " as "")',
        )
    return _column(header, index), "quoted field is not closed before the end of the file"


def check_row_shape(
    display: str,
    path: Path,
    header: Sequence[str],
    *,
    lenient: bool = False,
) -> RowShape:
    """Check that every row of the TSV ``path`` has ``len(header)`` fields and no NUL byte.

    Parameters
    ----------
    display : the file's name in messages.
    path : the TSV file; its first line is the header.
    header : the header's column names.
    lenient : return the bad rows instead of raising on the first.

    Raises
    ------
    InputError
        (strict) The first bad row: its physical line, the column concerned, and whether
        it is short (a cut last line says so), long, or holds a NUL byte or a stray quote.
    """
    state = np.zeros(_N_STATE, dtype=np.int64)
    state[_LINE] = 2
    state[_START_LINE] = 2
    state[_AT_FIELD_START] = 1
    state[_FIELDS] = 1
    out = np.zeros((_CAPACITY if lenient else 1, 6), dtype=np.int64)
    bad: list[BadRow] = []
    n_fields = len(header)
    with path.open("rb") as handle:
        offset = len(handle.readline())
        state[_START_BYTE] = offset
        block = handle.read(_BLOCK_BYTES)
        while True:
            following = handle.read(_BLOCK_BYTES) if block else b""
            buf = np.frombuffer(block, dtype=np.uint8)
            final = not following
            done = 0
            while True:
                used, n_out = _scan(buf[done:], offset + done, n_fields, final, state, out)
                done += used
                for row in out[:n_out]:
                    last = final and int(row[5]) == offset + buf.shape[0] and buf[-1] != 10
                    field, reason = _describe(row, header, last)
                    if not lenient:
                        raise InputError(reason, path=display, line=int(row[1]), field=field)
                    bad.append(
                        BadRow(int(row[0]), int(row[1]), field, reason, int(row[4]), int(row[5]))
                    )
                if done >= buf.shape[0]:
                    break
            offset += buf.shape[0]
            if final:
                break
            block = following
    return RowShape(int(state[_RECORD]), tuple(bad))


def clean_copy(path: Path, bad: Sequence[BadRow], target: Path) -> None:
    """Write ``path`` without the ``bad`` rows (byte ranges from :func:`check_row_shape`)."""
    with path.open("rb") as src, target.open("wb") as dst:
        position = 0
        for row in bad:
            _copy(src, dst, position, row.start)
            position = row.end
        src.seek(position)
        while chunk := src.read(_BLOCK_BYTES):
            dst.write(chunk)


def _copy(src: BinaryIO, dst: BinaryIO, start: int, end: int) -> None:
    src.seek(start)
    left = end - start
    while left > 0:
        chunk = src.read(min(left, _BLOCK_BYTES))
        if not chunk:
            break
        dst.write(chunk)
        left -= len(chunk)


def original_lines(lines: NDArray[np.int64], bad: Sequence[BadRow]) -> NDArray[np.int64]:
    """Map ``__line`` values of a clean copy (row index + 2) to the original file's.

    A kept row's index in the original is its index in the copy plus the number of bad rows
    before it: with the bad indices b_0 < b_1 < ..., that is #{i : b_i - i <= j} for copy
    row j.
    """
    if not bad:
        return lines
    removed = np.asarray([r.record for r in bad], dtype=np.int64)
    removed -= np.arange(removed.shape[0], dtype=np.int64)
    rows = lines - 2
    return rows + np.searchsorted(removed, rows, side="right") + 2
