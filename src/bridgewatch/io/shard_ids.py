"""Dense int32 codes for the ids of a ratings table read one shard at a time.

:class:`ShardIdCodes` gives every distinct id of one column (``noteId`` or
``raterParticipantId``) a code, 0, 1, 2, ... in order of first appearance over the shards,
and keeps one fresh copy of each distinct id string. A shard's rows are mapped to codes
through a hash table of the 64-bit keys seen so far (one lookup per row); only the rows
whose key is new are grouped, so after the first shards almost nothing is. A second 64-bit
hash of every row is checked against the one recorded for its key: two different ids that
share a key are reported (:meth:`ShardIdCodes.add` returns None) and never merged.

This replaces per-shard distinct-id tables (each shard of a 150M-rating table holds almost
every note and rater, so 15 shards held 15 copies of 4M id strings) and per-row 64-bit keys
(16 bytes per rating for two columns) with 4 bytes per rating and column.
"""

from __future__ import annotations

import numpy as np
import polars as pl
from numpy.typing import NDArray

from bridgewatch.io.idmap import _key_table, _lookup_keys

__all__ = ["ShardIdCodes"]


class ShardIdCodes:
    """Codes of one id column over the shards of a table (see the module docstring)."""

    def __init__(self) -> None:
        self._keys = np.empty(0, np.uint64)
        self._checks = np.empty(0, np.uint64)
        self._ids: list[pl.Series] = []
        self._slot_key, self._slot_pos = _key_table(self._keys, np.empty(0, np.int32), 4)

    def __len__(self) -> int:
        return int(self._keys.shape[0])

    @staticmethod
    def hashes(column: pl.Series) -> tuple[NDArray[np.uint64], NDArray[np.uint64]]:
        """The key (first 64-bit hash) and the check (second hash) of each id."""
        return column.hash(seed=0).to_numpy(), column.hash(seed=1).to_numpy()

    def add(self, column: pl.Series) -> NDArray[np.int32] | None:
        """Codes of ``column`` (String, no nulls), shape (n,); new ids get the next codes.

        Returns None when two different ids share a 64-bit key (in this column or with an
        id of an earlier shard), or when ``column`` holds a null; nothing is then added.
        """
        if column.null_count():
            return None
        key, check = self.hashes(column)
        codes: NDArray[np.int32] = _lookup_keys(key, self._slot_key, self._slot_pos)
        new_rows = np.flatnonzero(codes < 0)
        if new_rows.shape[0] == 0:  # the common case after the first pieces: no masks
            return codes if np.array_equal(self._checks[codes], check) else None
        old_rows = codes >= 0
        if not np.array_equal(self._checks[codes[old_rows]], check[old_rows]):
            return None
        found = (
            pl.DataFrame({"key": key[new_rows], "check": check[new_rows], "row": new_rows})
            .group_by("key", maintain_order=True)
            .agg(
                pl.col("check").min().alias("lo"),
                pl.col("check").max().alias("hi"),
                pl.col("row").first(),
            )
        )
        if bool((found["lo"] != found["hi"]).any()):
            return None
        # Only the new ids' strings, copied into fresh buffers (a gathered String column
        # still points into the buffers of the whole shard's column).
        fresh = column.gather(found["row"].to_numpy()).to_arrow()
        self._ids.append(pl.Series("id", fresh, dtype=pl.String))
        self._keys = np.concatenate([self._keys, found["key"].to_numpy()])
        self._checks = np.concatenate([self._checks, found["lo"].to_numpy()])
        n = self._keys.shape[0]
        bits = max(int(2 * n - 1).bit_length(), 4)
        self._slot_key, self._slot_pos = _key_table(self._keys, np.arange(n, dtype=np.int32), bits)
        codes[new_rows] = _lookup_keys(key[new_rows], self._slot_key, self._slot_pos)
        return codes

    def ids(self) -> pl.Series:
        """The distinct ids (String), code order: ``ids()[code]`` is the id of ``code``."""
        if not self._ids:
            return pl.Series("id", [], dtype=pl.String)
        return pl.concat(self._ids, rechunk=True)
