"""Maps between external ids and dense row indexes.

External ids (``note_id``, ``participant_id``) are strings as they appear in the public files;
row indexes (``note_idx``, ``participant_idx``) run from 0 to n - 1. Index maps convert between
them at the edges; kernels only ever see indexes.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import polars as pl
from numpy.typing import NDArray

__all__ = ["IdIndex"]

# From this many values on, ``lookup`` hashes instead of binary-searching: a binary search
# compares whole strings ~log2(n) times per value (64-character participant ids make that
# ~10 s for 2 million values), a hash join touches each string about twice.
_HASH_LOOKUP_MIN = 4096


@dataclass(frozen=True)
class IdIndex:
    """A sorted, duplicate-free set of external ids; the position of an id is its index.

    Parameters
    ----------
    ids : str array of shape (n,)
        The external ids, sorted ascending (lexicographically) and unique.
    """

    ids: NDArray[np.str_]

    @classmethod
    def from_values(cls, *values: NDArray[np.str_]) -> IdIndex:
        """Build the index of the union of the given id arrays (sorted, unique)."""
        if not values:
            return cls(np.array([], dtype=np.str_))
        return cls(np.unique(np.concatenate([np.asarray(v, dtype=np.str_) for v in values])))

    def __len__(self) -> int:
        return int(self.ids.shape[0])

    def lookup(self, values: NDArray[np.str_]) -> NDArray[np.int32]:
        """Indexes of ``values``; -1 where an id is not in the index.

        Parameters
        ----------
        values : str array of shape (m,)

        Returns
        -------
        int32 array of shape (m,)
        """
        values = np.asarray(values, dtype=np.str_)
        if len(self) == 0:
            return np.full(values.shape[0], -1, dtype=np.int32)
        if values.shape[0] >= _HASH_LOOKUP_MIN:
            found_rows = (
                pl.DataFrame({"id": pl.Series(values, dtype=pl.String)})
                .join(self._positions, on="id", how="left", maintain_order="left")["pos"]
                .fill_null(-1)
                .to_numpy()
            )
            return found_rows.astype(np.int32, copy=False)
        pos = np.searchsorted(self.ids, values)
        pos_clipped = np.minimum(pos, len(self) - 1)
        found = self.ids[pos_clipped] == values
        return np.where(found, pos_clipped, -1).astype(np.int32)

    @cached_property
    def _positions(self) -> pl.DataFrame:
        """Frame of ``id`` (String) and ``pos`` (Int32), one row per id: the hash-join table."""
        return pl.DataFrame(
            {
                "id": pl.Series(self.ids, dtype=pl.String),
                "pos": pl.int_range(len(self), dtype=pl.Int32, eager=True),
            }
        )

    def to_ids(self, idx: NDArray[np.integer]) -> NDArray[np.str_]:
        """External ids of the given indexes (all must be valid, 0 <= idx < n)."""
        return self.ids[np.asarray(idx)]
