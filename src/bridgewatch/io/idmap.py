"""Map columns of external ids to dense row indexes, fast on tens of millions of rows.

Each id is hashed twice (two seeds, 64 bits each) in one vectorized pass. The distinct ids are
found by grouping on the first hash; a group whose second hashes differ means two different
ids share the first hash, and then exact dense codes from a string join are used instead, so
the result never depends on luck. Rows are mapped to index positions through a hash table
of the distinct keys (numba, open addressing): one lookup per row and a 4-byte result, where
a join on 150M rows held several extra bytes per row at once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numba
import numpy as np
import polars as pl
from numpy.typing import NDArray

from bridgewatch.model import IdIndex

__all__ = [
    "HashedIds",
    "hash_ids",
    "id_index",
    "positions_in_index",
    "rows_in_index",
    "sorted_union",
]

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class HashedIds:
    """A column of ids as one UInt64 key per row plus the table of distinct ids.

    Parameters
    ----------
    keys : UInt64 series of shape (n,); equal keys if and only if equal ids (null ids have
        a key of their own that is not in ``distinct``).
    distinct : frame with columns ``key`` (UInt64) and ``id`` (String), one row per distinct
        non-null id.
    """

    keys: pl.Series
    distinct: pl.DataFrame


def hash_ids(column: pl.Series) -> HashedIds:
    """Hash a String (or Categorical) column of ids; see the module docstring."""
    column = column.cast(pl.String)
    frame = pl.DataFrame({"key": column.hash(seed=0), "check": column.hash(seed=1), "id": column})
    groups = (
        frame.group_by("key")
        .agg(
            pl.col("id").first(),
            (pl.col("check").min() != pl.col("check").max()).alias("collision"),
        )
        .filter(pl.col("id").is_not_null())
    )
    if not groups["collision"].any():
        return HashedIds(frame["key"], groups.select("key", "id"))
    _log.info(
        "64-bit hash collision among %d %s ids; using exact codes", groups.height, column.name
    )
    distinct = (
        column.drop_nulls().unique().to_frame("id").with_row_index("key").cast({"key": pl.UInt64})
    )
    keys = frame.select("id").join(distinct, on="id", how="left", maintain_order="left")["key"]
    return HashedIds(keys.fill_null(np.iinfo(np.uint64).max), distinct)


def sorted_union(*columns: pl.Series) -> pl.Series:
    """Sorted distinct non-null values of the given String columns.

    polars sorts strings by UTF-8 bytes, which is code point order, as numpy sorts them, so
    the result is in :class:`IdIndex` order.
    """
    return pl.concat([c.cast(pl.String) for c in columns]).drop_nulls().unique().sort()


def id_index(ids: pl.Series) -> IdIndex:
    """The :class:`IdIndex` of a sorted, duplicate-free String series."""
    return IdIndex(np.asarray(ids.to_list(), dtype=np.str_))


@numba.njit(cache=True, nogil=True)
def _key_table(keys: NDArray[np.uint64], pos: NDArray[np.int32], bits: int):  # type: ignore[no-untyped-def]  # pragma: no cover
    """Open-addressing table (2**bits slots, linear probing) of distinct 64-bit ``keys``."""
    size = 1 << bits
    mask = np.uint64(size - 1)
    last = np.int64(size - 1)
    slot_key = np.zeros(size, np.uint64)
    slot_pos = np.full(size, -1, np.int32)
    for i in range(keys.shape[0]):
        s = np.int64(keys[i] & mask)
        while slot_pos[s] >= 0:
            s = (s + 1) & last
        slot_key[s] = keys[i]
        slot_pos[s] = pos[i]
    return slot_key, slot_pos


@numba.njit(cache=True, nogil=True)
def _lookup_keys(keys, slot_key, slot_pos):  # type: ignore[no-untyped-def]  # pragma: no cover
    """Position stored for each of ``keys``; -1 where the key is not in the table."""
    size = slot_pos.shape[0]
    mask = np.uint64(size - 1)
    last = np.int64(size - 1)
    out = np.empty(keys.shape[0], np.int32)
    for i in range(keys.shape[0]):
        k = keys[i]
        s = np.int64(k & mask)
        found = -1
        while slot_pos[s] >= 0:
            if slot_key[s] == k:
                found = slot_pos[s]
                break
            s = (s + 1) & last
        out[i] = found
    return out


def rows_in_index(hashed: HashedIds, ids: pl.Series) -> NDArray[np.int32]:
    """Position of each row's id in ``ids`` (sorted, as from :func:`sorted_union`).

    The distinct ids are joined to ``ids`` (a table the size of the distinct ids); the rows
    then look their key up in a hash table of at most half load (the keys are 64-bit hashes,
    or dense codes after a collision, so their low bits index slots well enough).

    Returns
    -------
    int32 array of shape (n,); -1 for null ids and ids not in ``ids``.
    """
    positions = ids.to_frame("id").with_row_index("pos")
    key_pos = (
        hashed.distinct.join(positions, on="id", how="inner")
        .select("key", pl.col("pos").cast(pl.Int32))
        .sort("key")  # a table independent of the join's output order
    )
    bits = max(int(2 * max(key_pos.height, 1) - 1).bit_length(), 4)
    slot_key, slot_pos = _key_table(key_pos["key"].to_numpy(), key_pos["pos"].to_numpy(), bits)
    keys = hashed.keys.to_numpy()
    out: NDArray[np.int32] = _lookup_keys(keys, slot_key, slot_pos)
    return out


def positions_in_index(values: pl.Series, ids: pl.Series) -> NDArray[np.int32]:
    """Position of each of ``values`` (String, distinct) in ``ids`` (sorted, as from
    :func:`sorted_union`).

    Returns
    -------
    int32 array of shape (len(values),); -1 for values not in ``ids``.
    """
    positions = ids.cast(pl.String).to_frame("id").with_row_index("pos")
    found = (
        values.cast(pl.String)
        .to_frame("id")
        .join(positions, on="id", how="left", maintain_order="left")
    )
    out: NDArray[np.int32] = found["pos"].cast(pl.Int32).fill_null(-1).to_numpy()
    return out
