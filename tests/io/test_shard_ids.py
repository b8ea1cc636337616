"""Tests of the id codes shared over the shards of a ratings table."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from numpy.typing import NDArray

from bridgewatch.io.shard_ids import ShardIdCodes


def test_codes_follow_first_appearance_over_shards() -> None:
    codes = ShardIdCodes()
    first = codes.add(pl.Series(["b", "a", "b", "c"]))
    second = codes.add(pl.Series(["c", "d", "a", "d"]))
    assert first is not None and second is not None
    assert first.dtype == np.int32
    assert first.tolist() == [0, 1, 0, 2]
    assert second.tolist() == [2, 3, 1, 3]
    assert codes.ids().to_list() == ["b", "a", "c", "d"]
    assert len(codes) == 4


def test_many_ids_are_found_again_after_the_table_grows() -> None:
    ids = [f"{i:064X}" for i in range(5000)]
    codes = ShardIdCodes()
    assert codes.add(pl.Series(ids[:100])) is not None
    again = codes.add(pl.Series(ids[::-1]))
    assert again is not None
    table = codes.ids().to_list()
    assert [table[c] for c in again] == ids[::-1]


def _length_key(column: pl.Series) -> tuple[NDArray[np.uint64], NDArray[np.uint64]]:
    """A weak hash: ids of one length share a key (the check is the real hash)."""
    return (
        column.str.len_bytes().cast(pl.UInt64).to_numpy(),
        column.hash(seed=1).to_numpy(),
    )


@pytest.mark.parametrize(
    "shards",
    [[["ab", "cd"]], [["ab", "ab"], ["xyz", "cd"]], [["ab"], ["cd", "cd"]]],
    ids=["same shard", "later shard", "later shard, no new key"],
)
def test_two_ids_with_one_key_are_reported(
    shards: list[list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ShardIdCodes, "hashes", staticmethod(_length_key))
    codes = ShardIdCodes()
    results = [codes.add(pl.Series(shard)) for shard in shards]
    assert results[-1] is None
    assert all(r is not None for r in results[:-1])


def test_a_null_id_is_reported() -> None:
    assert ShardIdCodes().add(pl.Series(["a", None])) is None
