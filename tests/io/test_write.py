"""Tests of bridgewatch.io.write: public TSV text format and atomic writes."""

from __future__ import annotations

import math
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bridgewatch.errors import InputError
from bridgewatch.io.write import atomic_output, write_parquet, write_tsv


def test_tsv_text_matches_pandas_conventions(tmp_path: Path) -> None:
    df = pl.DataFrame(
        {
            "f": [1.0, None, float("nan"), 1e-05, 2.5e-05, 1e-07, 1e16, 0.1],
            "b": [True, False, None, True, True, True, True, True],
            "i": [1, 2, None, 4, 5, 6, 7, -8],
            "s": ['a"b', "x\ty", "", None, "ok", "ok", "ok", "ok"],
        }
    )
    out = tmp_path / "t.tsv"
    write_tsv(df, out)
    lines = out.read_text().split("\n")
    assert lines[0] == "f\tb\ti\ts"
    assert lines[1] == '1.0\tTrue\t1\t"a""b"'
    assert lines[2] == '\tFalse\t2\t"x\ty"'
    assert lines[3] == "\t\t\t"
    assert [line.split("\t")[0] for line in lines[4:8]] == ["1e-05", "2.5e-05", "1e-07", "1e+16"]
    assert lines[-1] == ""


def test_float32_columns_use_their_own_shortest_repr(tmp_path: Path) -> None:
    df = pl.DataFrame({"x": pl.Series([0.10899583, -0.3122408], dtype=pl.Float32)})
    out = tmp_path / "t.tsv"
    write_tsv(df, out)
    assert out.read_text() == "x\n0.10899583\n-0.3122408\n"


def test_columns_select_and_order(tmp_path: Path) -> None:
    out = tmp_path / "t.tsv"
    write_tsv(pl.DataFrame({"a": [1], "b": [2]}), out, columns=["b", "a"])
    assert out.read_text() == "b\ta\n2\t1\n"
    with pytest.raises(InputError) as err:
        write_tsv(pl.DataFrame({"a": [1]}), tmp_path / "u.tsv", columns=["zz"])
    assert err.value.field == "zz"
    assert not (tmp_path / "u.tsv").exists()


def test_empty_frame_writes_the_header(tmp_path: Path) -> None:
    out = tmp_path / "t.tsv"
    write_tsv(pl.DataFrame(schema={"a": pl.Int64, "b": pl.String}), out)
    assert out.read_text() == "a\tb\n"


def test_failed_write_leaves_no_file_and_keeps_the_old_one(tmp_path: Path) -> None:
    out = tmp_path / "t.tsv"
    out.write_text("old\n")
    with pytest.raises(RuntimeError), atomic_output(out) as handle:
        handle.write(b"partial")
        raise RuntimeError("boom")
    assert out.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.tsv"]


def test_parquet_round_trip(tmp_path: Path) -> None:
    df = pl.DataFrame({"a": [1, None], "s": ["x", None]})
    out = tmp_path / "t.parquet"
    write_parquet(df, out)
    assert pl.read_parquet(out).equals(df)


@settings(max_examples=200, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=True, width=64))
def test_float_text_is_python_repr(tmp_path_factory: pytest.TempPathFactory, x: float) -> None:
    out = tmp_path_factory.mktemp("f") / "t.tsv"
    write_tsv(pl.DataFrame({"x": [x]}), out)
    text = out.read_text().split("\n")[1]
    assert text == repr(x)
    assert float(text) == x or (math.isnan(x) and text == "")
