"""The row-shape scan: field counts, NUL bytes and quoting, as polars splits rows."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from bridgewatch.errors import InputError
from bridgewatch.io import row_shape
from bridgewatch.io.row_shape import check_row_shape, clean_copy, original_lines

HEADER = ["a", "b", "c"]


def _file(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "t.tsv"
    path.write_bytes(b"a\tb\tc\n" + data)
    return path


@pytest.mark.parametrize(
    "data",
    [
        b"1\t2\t3\n4\t5\t6\n",
        b"1\t2\t3\n4\t5\t6",  # no newline after the last row
        b"1\t2\t3\r\n4\t5\t6\r\n",
        b'1\t"x\ty\nz"""\t3\n5\t6\t7\n',  # a quoted field holding a tab, a newline, a quote
        b'1\tx"y"z\t3\n',  # an even number of quotes inside an unquoted field: polars reads it
        b'1\t2\t"3"',
        b"",
    ],
)
def test_well_formed_rows_pass(tmp_path: Path, data: bytes) -> None:
    path = _file(tmp_path, data)
    shape = check_row_shape("t.tsv", path, HEADER)
    assert shape.bad == ()
    # The row count is polars' own.
    n_polars = pl.read_csv(path, separator="\t", quote_char='"', infer_schema=False).height
    assert shape.n_rows == n_polars


@pytest.mark.parametrize(
    ("data", "line", "field", "reason"),
    [
        (b"1\t2\t3\n4\t5", 3, "c", "row has 2 of 3 fields (the file ends inside it: truncated?)"),
        (b"1\t2\t3\n4\n7\t8\t9\n", 3, "b", "row has 1 of 3 fields"),
        (b"1\t2\t3\t4\n", 2, "#4", "row has 4 fields, the header 3"),
        (b"1\t2\x003\t3\n", 2, "b", "NUL byte in the field"),
        (b'1\t"a\x00"\t3\n', 2, "b", "NUL byte in the field"),
        (b"1\t2\t3\n\n4\t5\t6\n", 3, "a", "empty line (a row of 3 fields expected)"),
        (b'1\tq"r\t3\n', 2, "b", "odd number of double quotes"),
        (b'1\t"abc\t3\n', 2, "b", "quoted field is not closed"),
        # The line of a row after a quoted field that spans two lines is its physical line.
        (b'1\t"x\ny"\t3\n4\t5\n', 4, "c", "row has 2 of 3 fields"),
    ],
)
def test_bad_rows_name_line_and_field(
    tmp_path: Path, data: bytes, line: int, field: str, reason: str
) -> None:
    path = _file(tmp_path, data)
    with pytest.raises(InputError) as caught:
        check_row_shape("t.tsv", path, HEADER)
    assert caught.value.path == "t.tsv"
    assert caught.value.line == line
    assert caught.value.field == field
    assert reason in caught.value.message


def test_rows_split_across_blocks_are_checked_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = [b'1\t"x\ty\t""z""\n w"\t3\n'] * 40 + [b"4\t5\n"] + [b"7\t8\t9\n"] * 10
    path = _file(tmp_path, b"".join(rows))
    monkeypatch.setattr(row_shape, "_BLOCK_BYTES", 7)
    shape = check_row_shape("t.tsv", path, HEADER, lenient=True)
    assert [(b.record, b.line) for b in shape.bad] == [(40, 82)]
    assert shape.n_rows == 51


def test_lenient_reports_every_bad_row_and_the_copy_keeps_the_rest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    good = [f"{i}\t{i}\t{i}\n".encode() for i in range(30)]
    rows = list(good)
    rows[3] = b"3\t3\n"
    rows[10] = b"10\t10\t10\t10\n"
    rows[11] = b"11\t1\x001\t11\n"
    rows[29] = b"29\t2"  # cut last line
    path = _file(tmp_path, b"".join(rows))
    monkeypatch.setattr(row_shape, "_CAPACITY", 2)  # the kernel is called again when full
    shape = check_row_shape("t.tsv", path, HEADER, lenient=True)
    assert [b.line for b in shape.bad] == [5, 12, 13, 31]
    copy = tmp_path / "copy.tsv"
    clean_copy(path, shape.bad, copy)
    frame = pl.read_csv(copy, separator="\t", infer_schema=False, row_index_name="i")
    assert frame["a"].to_list() == [str(i) for i in range(30) if i not in (3, 10, 11, 29)]
    lines = original_lines(frame["i"].cast(pl.Int64).to_numpy() + 2, shape.bad)
    np.testing.assert_array_equal(lines, frame["a"].cast(pl.Int64).to_numpy() + 2)
