"""Property: write -> read gives back the same table, for generated frames of every schema."""

from __future__ import annotations

import tempfile
from pathlib import Path

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from bridgewatch.io import schemas
from bridgewatch.io.read import read_table
from bridgewatch.io.schema import Schema
from bridgewatch.io.write import write_table

# Text without characters that cannot survive a TSV cell at all (NUL) or that the reader
# treats as line ends; tabs, quotes and newlines inside quoted cells are fine.
_TEXT = st.text(
    alphabet=st.characters(codec="utf-8", exclude_characters="\x00\r"),
    max_size=12,
)
_ID = st.text(alphabet="0123456789ABCDEF", min_size=1, max_size=20)


def _values(dtype: pl.DataType, nullable: bool) -> st.SearchStrategy[object]:
    base: st.SearchStrategy[object]
    if isinstance(dtype, pl.Enum):
        base = st.sampled_from(dtype.categories.to_list())
    elif dtype == pl.Int8:
        base = st.integers(-128, 127)
    elif dtype.is_integer():
        base = st.integers(-(2**63), 2**63 - 1)
    elif dtype.is_float():
        base = st.floats(allow_nan=False, allow_infinity=True)
    elif dtype == pl.Boolean:
        base = st.booleans()
    else:
        base = _TEXT.filter(lambda s: s != "")
    return st.one_of(st.none(), base) if nullable else base


@st.composite
def frames(draw: st.DrawFn, schema: Schema) -> pl.DataFrame:
    n = draw(st.integers(0, 6))
    data = {}
    for column in schema.columns:
        values = st.lists(_values(column.dtype, column.nullable), min_size=n, max_size=n)
        if column.dtype == pl.String and not column.nullable:
            values = st.lists(_ID, min_size=n, max_size=n)
        data[column.name] = pl.Series(column.name, draw(values), dtype=column.dtype)
    return pl.DataFrame(data)


def _check(schema: Schema, frame: pl.DataFrame, suffix: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"t{suffix}"
        write_table(frame, path, schema)
        assert_frame_equal(read_table(path, schema).frame, frame)


@settings(max_examples=12, deadline=None)
@given(data=st.data(), schema=st.sampled_from(list(schemas.SCHEMAS.values())))
def test_tsv_round_trip(data: st.DataObject, schema: Schema) -> None:
    _check(schema, data.draw(frames(schema)), ".tsv")


@settings(max_examples=8, deadline=None)
@given(data=st.data(), schema=st.sampled_from(list(schemas.SCHEMAS.values())))
def test_parquet_round_trip(data: st.DataObject, schema: Schema) -> None:
    _check(schema, data.draw(frames(schema)), ".parquet")
