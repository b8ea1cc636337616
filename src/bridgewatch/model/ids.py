"""Maps between external ids and dense row indexes.

External ids (``note_id``, ``participant_id``) are strings as they appear in the public files;
row indexes (``note_idx``, ``participant_idx``) run from 0 to n - 1. Index maps convert between
them at the edges; kernels only ever see indexes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = ["IdIndex"]


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
        pos = np.searchsorted(self.ids, values)
        pos_clipped = np.minimum(pos, len(self) - 1)
        found = self.ids[pos_clipped] == values
        return np.where(found, pos_clipped, -1).astype(np.int32)

    def to_ids(self, idx: NDArray[np.integer]) -> NDArray[np.str_]:
        """External ids of the given indexes (all must be valid, 0 <= idx < n)."""
        return self.ids[np.asarray(idx)]
