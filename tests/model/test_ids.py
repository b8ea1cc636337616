"""IdIndex lookups: the hash join used for many values agrees with the binary search."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from bridgewatch.model import IdIndex

_IDS = st.lists(st.text(alphabet="0123456789ABCDEF", min_size=1, max_size=64), max_size=40)


def test_lookup_finds_positions_and_marks_missing_ids() -> None:
    index = IdIndex.from_values(np.array(["b", "a", "c", "a"]))
    assert index.ids.tolist() == ["a", "b", "c"]
    assert index.lookup(np.array(["c", "x", "a", ""])).tolist() == [2, -1, 0, -1]
    assert IdIndex.from_values().lookup(np.array(["a"])).tolist() == [-1]


@settings(max_examples=30, deadline=None)
@given(ids=_IDS, queries=_IDS)
def test_many_values_are_hashed_with_the_same_result_as_a_binary_search(
    ids: list[str], queries: list[str]
) -> None:
    index = IdIndex.from_values(np.array(ids, dtype=np.str_))
    few = np.array(queries, dtype=np.str_)
    many = np.resize(few, 5_000) if few.size else few  # above the hashing threshold
    expected = index.lookup(few)
    got = index.lookup(many)
    assert got.dtype == np.int32
    assert np.array_equal(got, np.resize(expected, many.shape[0]))
    distinct = sorted(set(ids))
    for value, row in zip(few.tolist(), expected.tolist(), strict=True):
        assert row == (distinct.index(value) if value in distinct else -1)
