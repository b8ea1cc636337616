"""IdInterner (numba hash table) against the plain dict reference."""

from __future__ import annotations

import itertools

import numpy as np
import polars as pl
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bridgewatch.io.intern import IdInterner, intern_reference

# Few distinct characters make repeats, shared prefixes and equal lengths likely.
_IDS = st.lists(st.text(alphabet="ab\u00e9\U0001f600", max_size=10), max_size=200)


@settings(max_examples=60, deadline=None)
@given(values=_IDS, cuts=st.lists(st.integers(0, 200), max_size=4))
def test_codes_match_the_dict_reference_across_batches(values: list[str], cuts: list[int]) -> None:
    bounds = [0, *sorted(min(c, len(values)) for c in cuts), len(values)]
    interner = IdInterner()
    codes = [
        interner.codes(pl.Series(values[lo:hi], dtype=pl.String))
        for lo, hi in itertools.pairwise(bounds)
    ]
    expected, distinct = intern_reference(values)
    got = np.concatenate(codes) if codes else np.zeros(0, np.int32)
    assert got.dtype == np.int32
    assert np.array_equal(got, expected)
    assert interner.ids().to_list() == distinct
    assert len(interner) == len(distinct)


def test_table_growth_keeps_codes_of_many_long_ids() -> None:
    rng = np.random.default_rng(1)
    pool = [f"{v:064X}" for v in rng.integers(0, 2**62, 70_000).tolist()]
    values = [pool[i] for i in rng.integers(0, len(pool), 150_000).tolist()]
    interner = IdInterner()
    got = np.concatenate(
        [interner.codes(pl.Series(values[i : i + 40_000])) for i in range(0, 150_000, 40_000)]
    )
    expected, distinct = intern_reference(values)
    assert np.array_equal(got, expected)
    assert interner.ids().to_list() == distinct


def test_ids_sharing_a_hash_prefix_stay_distinct() -> None:
    # Same length and same first bytes: only the exact comparison tells them apart.
    values = ["x" * 40 + c for c in "abcabcd"] + [""]
    interner = IdInterner()
    assert interner.codes(pa.array(values, type=pa.string())).tolist() == [0, 1, 2, 0, 1, 2, 3, 4]


def test_null_ids_are_refused() -> None:
    with pytest.raises(ValueError, match="null"):
        IdInterner().codes(pl.Series(["a", None]))
