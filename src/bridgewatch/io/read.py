"""The generic typed reader: one schema, one file / zip / directory of shards -> polars frame.

Columns are matched by header name, never by position. Optional columns that a file lacks
become null columns; columns the schema does not know are dropped with one warning.

Speed: each file is parsed once by polars straight into the schema's dtypes. Only if that
fails (a malformed number, an unknown enum literal, ...) is the file parsed again as strings
to find the bad rows, with vectorized casts (``strict=False``) and a comparison of the nulls
that came out with the fields that were empty going in.

Missing values are null; a float field written as ``nan`` (as the reference sometimes does)
reads as null too. Before parsing, every TSV row is checked to have the header's number of
fields and no NUL byte (:mod:`~bridgewatch.io.row_shape`), since polars would pad a short or
cut row with nulls; the header must be UTF-8 (a UTF-16 file is named as such).

Line numbers in errors are 1-based file lines with the header as line 1, assuming one line
per row (a quoted field that spans lines shifts the count). For Parquet input, ``line`` is the
1-based row number.
"""

from __future__ import annotations

import contextlib
import logging
import tempfile
import zipfile
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from bridgewatch.errors import InputError
from bridgewatch.io.row_shape import BadRow, check_row_shape, clean_copy, original_lines
from bridgewatch.io.schema import Column, Schema
from bridgewatch.model.dataset import SkippedRow

__all__ = ["ReadResult", "SkippedRow", "read_table", "source_files"]

_log = logging.getLogger(__name__)

# Internal columns: which source file a row came from, and its line there.
FILE_COL = "__file"
LINE_COL = "__line"

_SUFFIXES = (".tsv", ".zip", ".parquet")
_BOOL_TEXT = {"True": True, "False": False, "true": True, "false": False, "1": True, "0": False}
_MAX_SHOWN = 80

# Bytes of TSV parsed at a time.
_BLOCK_BYTES = 192 << 20


@dataclass(frozen=True)
class ReadResult:
    """What :func:`read_table` read.

    Parameters
    ----------
    frame : the rows, canonical column names and dtypes, in the schema's column order (plus
        ``__file`` (UInt32, index into ``files``) and ``__line`` (Int64) when requested).
    files : the source files in read order.
    skipped : rows skipped in lenient mode, in file and line order.
    absent : optional schema columns that at least one source file did not have.
    hashed : for each column named in ``read_table(hash_columns=...)``, its distinct ids:
        a frame with ``key`` (UInt64, the value in ``frame``), ``id`` (String) and
        ``collision`` (Boolean, true where two different ids share the key; see
        :func:`read_table`).
    """

    frame: pl.DataFrame
    files: tuple[str, ...]
    skipped: tuple[SkippedRow, ...]
    absent: frozenset[str]
    hashed: Mapping[str, pl.DataFrame] = field(default_factory=dict)


def source_files(path: str | Path) -> list[Path]:
    """The files behind ``path``: itself, or every ``*.tsv`` / ``*.zip`` / ``*.parquet`` in a
    directory, sorted by name.

    Raises
    ------
    InputError
        ``path`` does not exist, or is a directory with no such file.
    """
    path = Path(path)
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.is_file() and p.suffix in _SUFFIXES)
        if not files:
            raise InputError("directory holds no .tsv, .zip or .parquet file", path=path)
        return files
    if not path.exists():
        raise InputError("no such file or directory", path=path)
    return [path]


@contextlib.contextmanager
def _members(path: Path) -> Iterator[list[tuple[str, Path]]]:
    """(display name, local path) of each table in ``path``; zips are extracted to a temp dir."""
    if path.suffix != ".zip":
        yield [(str(path), path)]
        return
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        raise InputError(f"not a zip archive: {exc}", path=path) from exc
    with archive, tempfile.TemporaryDirectory(prefix="bridgewatch-zip-") as tmp:
        names = sorted(n for n in archive.namelist() if n.endswith((".tsv", ".parquet")))
        if not names:
            raise InputError("zip archive holds no .tsv or .parquet file", path=path)
        out = []
        for i, name in enumerate(names):
            local = Path(tmp) / f"{i:05d}{Path(name).suffix}"
            with archive.open(name) as src, local.open("wb") as dst:
                while chunk := src.read(1 << 22):
                    dst.write(chunk)
            out.append((f"{path}!{name}", local))
        yield out


# Byte-order marks of encodings other than UTF-8, longest first.
_BOMS = (
    (b"\xff\xfe\x00\x00", "UTF-32"),
    (b"\x00\x00\xfe\xff", "UTF-32"),
    (b"\xff\xfe", "UTF-16"),
    (b"\xfe\xff", "UTF-16"),
)


def _encoding_problem(first: bytes) -> str | None:
    """Why a header line ``first`` (bytes) is not UTF-8 text, or None if it is."""
    for bom, name in _BOMS:
        if first.startswith(bom):
            return f"file is {name}; convert it to UTF-8"
    if first.startswith(b"\x1f\x8b"):
        return "file is gzip-compressed; decompress it first"
    if first.startswith(b"PK\x03\x04"):
        return "file is a zip archive; name it *.zip or extract it"
    if b"\x00" in first:
        # UTF-16 without a byte-order mark: every other byte of ASCII text is NUL.
        odd, even = first[1::2], first[0::2]
        if odd.count(0) > len(odd) // 2 or even.count(0) > len(even) // 2:
            return "file is UTF-16; convert it to UTF-8"
        return "header holds NUL bytes: not a UTF-8 text file"
    try:
        first.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"header is not UTF-8 (byte {exc.start}); convert the file to UTF-8"
    return None


def _read_header(display: str, path: Path) -> list[str]:
    with path.open("rb") as handle:
        first = handle.readline()
    if not first:
        raise InputError("empty file, expected a header row", path=display, line=1)
    problem = _encoding_problem(first)
    if problem is not None:
        raise InputError(problem, path=display, line=1)
    text = first.decode("utf-8").lstrip("\ufeff").rstrip("\r\n")
    return text.split("\t")


@dataclass(frozen=True)
class _Layout:
    """How the header of one file maps onto the schema."""

    read: dict[str, Column]  # header name -> schema column, for the columns to read
    absent: list[Column]  # optional schema columns the file lacks


def _layout(
    display: str,
    header: list[str],
    schema: Schema,
    warned: set[str],
    skip_columns: Collection[str] = (),
) -> _Layout:
    read: dict[str, Column] = {}
    seen: dict[str, str] = {}
    unknown = []
    for name in header:
        column = schema.column(name)
        if column is None:
            unknown.append(name)
            continue
        if column.name in skip_columns:
            continue
        if column.name in seen:
            raise InputError(
                f"column appears twice in the header (as {seen[column.name]!r} and {name!r})",
                path=display,
                line=1,
                field=column.name,
            )
        seen[column.name] = name
        read[name] = column
    new_unknown = [u for u in unknown if u not in warned]
    if new_unknown:
        warned.update(new_unknown)
        _log.warning(
            "%s: ignoring columns unknown to the %s schema: %s", display, schema.name, new_unknown
        )
    for column in schema.columns:
        if column.required and column.name not in seen:
            raise InputError(
                f"required {schema.name} column is missing from the header",
                path=display,
                line=1,
                field=column.name,
            )
    for group in schema.required_any:
        if not any(all(n in seen for n in alternative) for alternative in group):
            options = " or ".join("+".join(alt) for alt in group)
            raise InputError(
                f"the {schema.name} header needs {options}",
                path=display,
                line=1,
                field=group[0][0],
            )
    absent = [c for c in schema.columns if c.name not in seen and c.name not in skip_columns]
    return _Layout(read, absent)


def _parse_text(text: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    """``text`` (String) parsed as ``dtype``; null where it does not parse."""
    if dtype.is_integer():
        # The reference writes integer columns that may hold NaN as floats ("17935.0").
        whole = text.str.replace(r"\.0*$", "")
        return pl.coalesce(text.cast(dtype, strict=False), whole.cast(dtype, strict=False))
    if dtype == pl.Boolean:
        return text.replace_strict(_BOOL_TEXT, default=None, return_dtype=pl.Boolean)
    if dtype == pl.String or isinstance(dtype, pl.Categorical):
        return text.cast(dtype)
    return text.cast(dtype, strict=False)


def _reason(column: Column) -> str:
    allowed = column.allowed
    if allowed is not None:
        return f"unknown {column.name} value; allowed: {', '.join(allowed)}"
    if column.dtype.is_integer():
        return "malformed integer"
    if column.dtype.is_float():
        return "malformed number"
    if column.dtype == pl.Boolean:
        return "malformed boolean (expected True or False)"
    return f"cannot parse as {column.dtype}"


def _bad_rows(
    raw: pl.DataFrame, columns: Mapping[str, Column], dtypes: Mapping[str, pl.DataType]
) -> pl.DataFrame:
    """One row per (row, field) that does not parse: columns line, field, value, reason."""
    parts = []
    for name, column in columns.items():
        parsed = _parse_text(pl.col(name), dtypes[name])
        bad = parsed.is_null() & pl.col(name).is_not_null()
        reason = _reason(column)
        if not column.nullable:
            bad = bad | pl.col(name).is_null()
            reason_expr = (
                pl.when(pl.col(name).is_null())
                .then(pl.lit("empty field; a value is required"))
                .otherwise(pl.lit(reason))
            )
        else:
            reason_expr = pl.lit(reason)
        part = raw.filter(bad).select(
            pl.col(LINE_COL).alias("line"),
            pl.lit(column.name).alias("field"),
            pl.col(name).alias("value"),
            reason_expr.alias("reason"),
        )
        parts.append(part)
    if not parts:
        return pl.DataFrame(
            schema={"line": pl.Int64, "field": pl.String, "value": pl.String, "reason": pl.String}
        )
    return pl.concat(parts).sort("line", maintain_order=True)


def _handle_bad(
    display: str, bad: pl.DataFrame, lenient: bool, skipped: list[SkippedRow]
) -> set[int]:
    """Raise on the first bad row, or (lenient) record them all; returns the bad lines."""
    if bad.height == 0:
        return set()
    first = bad.row(0, named=True)
    if not lenient:
        value = first["value"]
        shown = "empty" if value is None else repr(value[:_MAX_SHOWN])
        raise InputError(
            f"{first['reason']} (got {shown})",
            path=display,
            line=int(first["line"]),
            field=first["field"],
        )
    per_row = bad.unique(subset="line", keep="first", maintain_order=True)
    for row in per_row.iter_rows(named=True):
        skipped.append(
            SkippedRow(display, int(row["line"]), row["field"], row["value"], row["reason"])
        )
    _log.warning(
        "%s: skipped %d bad rows (first: line %d, field %r: %s)",
        display,
        per_row.height,
        first["line"],
        first["field"],
        first["reason"],
    )
    return set(per_row["line"].to_list())


def _read_tsv(
    display: str,
    path: Path,
    header: list[str],
    layout: _Layout,
    dtypes: Mapping[str, pl.DataType],
    lenient: bool,
    skipped: list[SkippedRow],
    hashed: Collection[str],
) -> tuple[pl.DataFrame, dict[str, list[pl.DataFrame]]]:
    shape = check_row_shape(display, path, header, lenient=lenient)
    if shape.bad:
        return _read_tsv_without(display, path, shape.bad, layout, dtypes, skipped, hashed)
    names = list(layout.read)
    # Categorical columns are parsed as strings and cast in the streaming engine, so the
    # strings of a large file never sit in memory all at once.
    to_cast = {h: dt for h, dt in dtypes.items() if isinstance(dt, pl.Categorical)}
    parse = {h: (pl.String() if h in to_cast else dt) for h, dt in dtypes.items()}
    try:
        frame, distinct = _read_blocks(path, names, parse, to_cast, hashed)
        key_nulls = [
            c.name for h, c in layout.read.items() if not c.nullable and frame[h].null_count() > 0
        ]
        if not key_nulls:
            return frame, distinct
        _log.debug("%s: empty key fields %s, locating bad rows", display, key_nulls)
    except pl.exceptions.PolarsError as exc:
        _log.debug("%s: typed parse failed (%s), locating bad rows", display, exc)
    try:
        raw = _scan(path, dict.fromkeys(names, pl.String())).select(LINE_COL, *names).collect()
    except pl.exceptions.PolarsError as exc:
        raise InputError(f"malformed TSV: {exc}", path=display) from exc
    typed = _typed_from_text(display, raw, layout, dtypes, lenient, skipped)
    return _collect(typed.lazy(), hashed)


def _read_tsv_without(
    display: str,
    path: Path,
    bad: Sequence[BadRow],
    layout: _Layout,
    dtypes: Mapping[str, pl.DataType],
    skipped: list[SkippedRow],
    hashed: Collection[str],
) -> tuple[pl.DataFrame, dict[str, list[pl.DataFrame]]]:
    """Lenient reading of a file with rows of the wrong shape: they are reported and
    skipped, the rest is read from a copy without them (lines still name the file's)."""
    for row in bad:
        skipped.append(SkippedRow(display, row.line, row.field, None, row.reason))
    first = bad[0]
    _log.warning(
        "%s: skipped %d rows of the wrong shape (first: line %d: %s)",
        display,
        len(bad),
        first.line,
        first.reason,
    )
    names = list(layout.read)
    with tempfile.TemporaryDirectory(prefix="bridgewatch-clean-") as tmp:
        copy = Path(tmp) / "clean.tsv"
        clean_copy(path, bad, copy)
        try:
            raw = _scan(copy, dict.fromkeys(names, pl.String())).select(LINE_COL, *names).collect()
        except pl.exceptions.PolarsError as exc:
            raise InputError(f"malformed TSV: {exc}", path=display) from exc
    lines = original_lines(raw[LINE_COL].to_numpy(), bad)
    raw = raw.with_columns(pl.Series(LINE_COL, lines, dtype=pl.Int64))
    typed = _typed_from_text(display, raw, layout, dtypes, True, skipped)
    return _collect(typed.lazy(), hashed)


def _blocks(path: Path) -> Iterator[bytes]:
    """The file in blocks of whole rows, each with the header line in front.

    Blocks end at a newline with
    an even number of double quotes before it, so no quoted field is cut in two. Reading in
    blocks keeps memory (and the resident pages of the file) to about one block, where a
    memory-mapped parse would hold the whole file resident.
    """
    with path.open("rb") as handle:
        header = handle.readline()
        carry = b""
        carry_quotes = 0
        while True:
            chunk = handle.read(_BLOCK_BYTES)
            if not chunk:
                if carry.strip():
                    yield header + carry
                return
            cut = chunk.rfind(b"\n") + 1
            # Most dumps have no quotes at all: one fast scan saves counting them.
            quotes = carry_quotes + (chunk.count(b'"', 0, cut) if b'"' in chunk else 0)
            while cut and quotes % 2:
                previous = chunk.rfind(b"\n", 0, cut - 1) + 1
                quotes -= chunk.count(b'"', previous, cut)
                cut = previous
            if not cut:
                carry += chunk
                carry_quotes += chunk.count(b'"')
                continue
            yield b"".join((header, carry, memoryview(chunk)[:cut]))
            carry = chunk[cut:]
            carry_quotes = carry.count(b'"')
            del chunk


def _read_blocks(
    path: Path,
    names: list[str],
    parse: Mapping[str, pl.DataType],
    to_cast: Mapping[str, pl.DataType],
    hashed: Collection[str],
) -> tuple[pl.DataFrame, dict[str, list[pl.DataFrame]]]:
    parts: list[pl.DataFrame] = []
    tables: dict[str, list[pl.DataFrame]] = {h: [] for h in hashed}
    first_line = 2
    for data in _blocks(path):
        block = pl.read_csv(
            data,
            separator="\t",
            has_header=True,
            columns=names,
            quote_char='"',
            schema_overrides=dict(parse),
            infer_schema=False,
            row_index_name=LINE_COL,
            row_index_offset=first_line,
            raise_if_empty=False,
        )
        del data
        block = block.select(
            pl.col(LINE_COL).cast(pl.Int64),
            *(pl.col(n).cast(to_cast[n]) if n in to_cast else pl.col(n) for n in names),
        )
        first_line += block.height
        parts.append(_hash_block(block, hashed, tables))
    if not parts:
        empty = pl.DataFrame(
            schema={LINE_COL: pl.Int64, **{n: to_cast.get(n, parse[n]) for n in names}}
        )
        parts.append(_hash_block(empty, hashed, tables))
    return pl.concat(parts, rechunk=False), tables


def _hash_block(
    block: pl.DataFrame, hashed: Collection[str], tables: dict[str, list[pl.DataFrame]]
) -> pl.DataFrame:
    """``block`` with each ``hashed`` id column replaced by its 64-bit hash; appends the
    block's distinct ids (key, id, and the range lo..hi of a second hash) to ``tables``."""
    keys = {}
    for h in hashed:
        column = block[h].cast(pl.String)
        key = column.hash(seed=0)
        keyed = pl.DataFrame({"key": key, "check": column.hash(seed=1), "id": column})
        found = keyed.unique(subset="key", keep="any")
        # Two different ids with one key almost surely differ in the second hash, which
        # makes more distinct (key xor check) values than keys.
        if keyed.select(pl.col("key").xor(pl.col("check")).n_unique()).item() != found.height:
            found = found.with_columns(check=pl.lit(None, dtype=pl.UInt64))
        tables[h] = [_merge_found(tables[h][0] if tables[h] else None, found)]
        # Keep nulls null, so that empty key fields are still seen as empty.
        keys[h] = pl.when(column.is_not_null()).then(key)
    return block.with_columns(keys[h].alias(h) for h in hashed)


def _collect(
    lazy: pl.LazyFrame, hashed: Collection[str]
) -> tuple[pl.DataFrame, dict[str, list[pl.DataFrame]]]:
    """Collect an in-memory query, hashing the ``hashed`` id columns (see _hash_block)."""
    tables: dict[str, list[pl.DataFrame]] = {h: [] for h in hashed}
    return _hash_block(lazy.collect(), hashed, tables), tables


def _merge_found(known: pl.DataFrame | None, found: pl.DataFrame) -> pl.DataFrame:
    """Add a block's distinct ids (key, check, id) to the known ones.

    ``check`` is the second hash of the id, or null once a collision has been seen for the
    key (a collision is sticky: it makes the caller read again without hashing).
    """
    if known is None:
        return found.select("key", "check", "id")
    both = found.join(known, on="key", how="inner", suffix="_known")
    clash = both.filter(
        pl.col("check").is_null()
        | pl.col("check_known").is_null()
        | (pl.col("check") != pl.col("check_known"))
    )["key"]
    new = found.join(known, on="key", how="anti").select("key", "check", "id")
    merged = pl.concat([known, new])
    if clash.len():
        merged = merged.with_columns(
            check=pl.when(pl.col("key").is_in(clash.implode())).then(None).otherwise("check")
        )
    return merged


def _merge_distinct(parts: list[pl.DataFrame]) -> pl.DataFrame:
    """The distinct-id table of ``ReadResult.hashed`` from per-file tables."""
    known: pl.DataFrame | None = None
    for part in parts:
        known = _merge_found(known, part)
    if known is None:
        return pl.DataFrame(schema={"key": pl.UInt64, "id": pl.String, "collision": pl.Boolean})
    return known.filter(pl.col("id").is_not_null()).select(
        "key", "id", pl.col("check").is_null().alias("collision")
    )


def _scan(path: Path, dtypes: Mapping[str, pl.DataType]) -> pl.LazyFrame:
    return pl.scan_csv(
        path,
        separator="\t",
        has_header=True,
        quote_char='"',
        schema_overrides=dict(dtypes),
        infer_schema=False,
        row_index_name=LINE_COL,
        row_index_offset=2,
        raise_if_empty=False,
    ).with_columns(pl.col(LINE_COL).cast(pl.Int64))


def _typed_from_text(
    display: str,
    raw: pl.DataFrame,
    layout: _Layout,
    dtypes: Mapping[str, pl.DataType],
    lenient: bool,
    skipped: list[SkippedRow],
) -> pl.DataFrame:
    bad = _bad_rows(raw, layout.read, dtypes)
    bad_lines = _handle_bad(display, bad, lenient, skipped)
    if bad_lines:
        raw = raw.filter(~pl.col(LINE_COL).is_in(sorted(bad_lines)))
    return raw.select(
        pl.col(LINE_COL), *(_parse_text(pl.col(n), dtypes[n]).alias(n) for n in layout.read)
    )


def _read_parquet(
    display: str,
    path: Path,
    schema: Schema,
    warned: set[str],
    dtypes_for: Mapping[str, pl.DataType],
    lenient: bool,
    skipped: list[SkippedRow],
    skip_columns: Collection[str],
    rows: tuple[int, int] | None = None,
) -> tuple[pl.DataFrame, _Layout]:
    try:
        header = list(pl.read_parquet_schema(path))
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise InputError(f"not a readable Parquet file: {exc}", path=display) from exc
    layout = _layout(display, header, schema, warned, skip_columns)
    dtypes = {h: dtypes_for[c.name] for h, c in layout.read.items()}
    if rows is None:
        frame = pl.read_parquet(path, columns=list(layout.read))
        first = 1
    else:
        frame = pl.scan_parquet(path).select(list(layout.read)).slice(*rows).collect()
        first = rows[0] + 1
    frame = frame.with_row_index(LINE_COL, offset=first)
    frame = frame.with_columns(pl.col(LINE_COL).cast(pl.Int64))
    frame = _without_nul_rows(display, frame, layout, lenient, skipped)
    mismatched = {h: c for h, c in layout.read.items() if frame.schema[h] != dtypes[h]}
    key_nulls = any(frame[h].null_count() for h, c in layout.read.items() if not c.nullable)
    if mismatched or key_nulls:
        as_text = frame.with_columns(pl.col(h).cast(pl.String) for h in mismatched)
        checked = {h: c for h, c in layout.read.items() if h in mismatched or not c.nullable}
        sub = _Layout(checked, [])
        # Typed key columns (a null createdAtMillis, say) are checked as text too: the
        # checks parse text.
        checked_text = as_text.select(
            pl.col(LINE_COL), *(pl.col(h).cast(pl.String) for h in checked)
        )
        bad = _bad_rows(checked_text, checked, {h: dtypes[h] for h in checked})
        bad_lines = _handle_bad(display, bad, lenient, skipped)
        if bad_lines:
            as_text = as_text.filter(~pl.col(LINE_COL).is_in(sorted(bad_lines)))
        del sub
        frame = as_text.with_columns(_parse_text(pl.col(h), dtypes[h]).alias(h) for h in mismatched)
    return frame, layout


def _without_nul_rows(
    display: str, frame: pl.DataFrame, layout: _Layout, lenient: bool, skipped: list[SkippedRow]
) -> pl.DataFrame:
    """``frame`` (Parquet rows) after a check that no text field holds a NUL byte (the TSV
    reader checks the raw bytes; see :mod:`~bridgewatch.io.row_shape`)."""
    text = [h for h in layout.read if frame.schema[h] in (pl.String, pl.Categorical)]
    if not text:
        return frame
    parts = [
        frame.filter(pl.col(h).cast(pl.String).str.contains("\x00", literal=True)).select(
            pl.col(LINE_COL).alias("line"),
            pl.lit(layout.read[h].name).alias("field"),
            pl.col(h).cast(pl.String).alias("value"),
            pl.lit("NUL byte in the field").alias("reason"),
        )
        for h in text
    ]
    bad = pl.concat(parts).sort("line", maintain_order=True)
    bad_lines = _handle_bad(display, bad, lenient, skipped)
    if bad_lines:
        frame = frame.filter(~pl.col(LINE_COL).is_in(sorted(bad_lines)))
    return frame


def _final(column: Column, dtype: pl.DataType, absent: bool) -> pl.Expr:
    if absent:
        return pl.lit(None, dtype=dtype).alias(column.name)
    if dtype.is_float():
        # pandas reads "nan" and "" alike; one canonical missing value (null) keeps
        # round trips exact.
        return pl.col(column.name).fill_nan(None)
    return pl.col(column.name)


def read_table(
    path: str | Path,
    schema: Schema,
    *,
    lenient: bool = False,
    dtypes: Mapping[str, pl.DataType] | None = None,
    line_numbers: bool = False,
    skip_columns: Collection[str] = (),
    hash_columns: Collection[str] = (),
    parquet_rows: tuple[int, int] | None = None,
) -> ReadResult:
    """Read one file type from a TSV file, a zip of TSVs, Parquet, or a directory of those.

    Parameters
    ----------
    path : a ``.tsv``, ``.zip`` (holding ``.tsv`` files, as downloaded) or ``.parquet``
        file, or a directory whose ``*.tsv`` / ``*.zip`` / ``*.parquet`` files are shards of
        one table, read in sorted name order.
    schema : the file type.
    lenient : skip bad rows (and report them in ``skipped``) instead of raising.
    dtypes : per-column dtype overrides (for example ``pl.Categorical`` for ids, to save
        memory on very large tables).
    line_numbers : keep the ``__file`` / ``__line`` columns in the frame.
    skip_columns : optional schema columns not to parse at all; they are absent from the
        frame (saves time on large files).
    hash_columns : String columns (ids) to return as UInt64 keys (64-bit hashes) instead
        of strings, with their distinct ids in ``ReadResult.hashed``; the strings of a large
        file are then never all in memory. Keys identify ids exactly unless a ``collision``
        is flagged (two ids with one first hash, told apart by a second hash): the caller
        must then read again without hashing.
    parquet_rows : (offset, length): read only those rows of the Parquet files (line
        numbers stay those of the whole file: row ``offset`` is line ``offset + 1``); a
        memory bound for the caller that reads a large file a piece at a time. TSV input
        ignores it.

    Raises
    ------
    InputError
        A file is missing or unreadable or not UTF-8, a required column is missing (line 1),
        or (unless ``lenient``) a row has too few or too many fields or a NUL byte, a field
        does not parse or a required field is empty (its line and field).
    """
    dtypes_for = {c.name: c.dtype for c in schema.columns} | dict(dtypes or {})
    warned: set[str] = set()
    skipped: list[SkippedRow] = []
    frames: list[pl.DataFrame] = []
    files: list[str] = []
    absent: set[str] = set()
    distinct_parts: dict[str, list[pl.DataFrame]] = {c: [] for c in hash_columns}
    for source in source_files(path):
        with _members(source) as members:
            for display, local in members:
                if local.suffix == ".parquet":
                    frame, layout = _read_parquet(
                        display,
                        local,
                        schema,
                        warned,
                        dtypes_for,
                        lenient,
                        skipped,
                        skip_columns,
                        parquet_rows,
                    )
                    hashed_here = [h for h, c in layout.read.items() if c.name in hash_columns]
                    frame, distinct = _collect(frame.lazy(), hashed_here)
                else:
                    header = _read_header(display, local)
                    layout = _layout(display, header, schema, warned, skip_columns)
                    read_dtypes = {h: dtypes_for[c.name] for h, c in layout.read.items()}
                    hashed_here = [h for h, c in layout.read.items() if c.name in hash_columns]
                    frame, distinct = _read_tsv(
                        display, local, header, layout, read_dtypes, lenient, skipped, hashed_here
                    )
                for h, tables in distinct.items():
                    distinct_parts[layout.read[h].name].extend(tables)
                absent.update(c.name for c in layout.absent)
                frame = frame.rename({h: c.name for h, c in layout.read.items() if h != c.name})
                frame = frame.select(
                    pl.lit(len(files), dtype=pl.UInt32).alias(FILE_COL),
                    pl.col(LINE_COL),
                    *(
                        _final(c, dtypes_for[c.name], c in layout.absent)
                        for c in schema.columns
                        if c.name not in skip_columns
                    ),
                )
                frames.append(frame)
                files.append(display)
    frame = frames[0] if len(frames) == 1 else pl.concat(frames, rechunk=False)
    if not line_numbers:
        frame = frame.drop(FILE_COL, LINE_COL)
    hashed = {c: _merge_distinct(parts) for c, parts in distinct_parts.items()}
    return ReadResult(frame, tuple(files), tuple(skipped), frozenset(absent), hashed)
