"""Row writes into a pass's per-note arrays: copied, or in place with an undo log.

A pass over the changed notes sets a few rows of every per-note array of every scorer
(aggregates, fits, normal equations, rule inputs). Copying each array to set those rows
costs O(notes) per array and pass (tens of MB a pass at 1M ratings); writing them in place
costs O(changed rows), but the previous pass's arrays are then the new pass's. The worker
keeps the previous pass only to start the next one and to undo a pass whose transaction
did not commit (``LiveState.restore``): an in-place write records the rows it overwrote in a
:class:`WriteLog`, and :meth:`WriteLog.undo` puts them back.

A writer is ``put(target, rows, values) -> array``: the array holding ``target`` with
``target[rows] = values`` (``target`` itself, or a copy).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["WriteLog", "Writer", "copy_put"]

Writer = Callable[[NDArray[Any], NDArray[np.int64], Any], NDArray[Any]]


def copy_put(target: NDArray[Any], rows: NDArray[np.int64], values: Any) -> NDArray[Any]:
    """``target`` copied, with ``rows`` set to ``values`` (``target`` is left as it was)."""
    out = target.copy()
    out[rows] = values
    return out


class WriteLog:
    """In-place row writes, each recorded (with ``record``) so that :meth:`undo` can revert
    them, newest first.

    Parameters
    ----------
    record : keep the overwritten rows (False: write only; nothing to undo).
    """

    def __init__(self, record: bool = True) -> None:
        self.record = record
        self._entries: list[tuple[NDArray[Any], NDArray[np.int64], NDArray[Any]]] = []

    def __len__(self) -> int:
        return len(self._entries)

    def put(self, target: NDArray[Any], rows: NDArray[np.int64], values: Any) -> NDArray[Any]:
        """Set ``target[rows] = values`` in place (a :data:`Writer`); returns ``target``."""
        if self.record:
            rows = np.array(rows, dtype=np.int64, copy=True)
            self._entries.append((target, rows, target[rows].copy()))
        target[rows] = values
        return target

    def undo(self) -> None:
        """Revert every recorded write, newest first, and forget them."""
        for target, rows, old in reversed(self._entries):
            target[rows] = old
        self._entries = []
