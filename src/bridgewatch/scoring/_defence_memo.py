"""The per-view defence decisions of one run, shared by the scorers whose views are the same.

Several scorers of the roster score exactly the same ratings: at 1M ratings without topics
the Core view (725k ratings) is scored by five of them (Core, CoreWithTopics, both Gaussian
scorers, Reputation) and the Expansion view (1M) by two. The burst detection before
prescoring (no rater sides) is a function of the view's ratings and the config alone, and
the Gaussian scorers borrow Core's prescoring, so their side-aware bursts and unexplained
test are Core's. ``DefenceMemo`` keeps each decision under a digest of exactly what it was
computed from (the ratings' note and rater indexes: every view is a subset of the same
run's post-PSS ratings, in their order, where a (note, rater) pair names one rating with its
verdict and time; and the model's arrays), so a scorer whose inputs match another's gets the
same result object and nothing else is ever shared. Decisions are identical with or without
it.

The memo lives in the run's ``SharedScreening``; a copy sent to another process arrives
empty (tasks there compute their own).
"""

from __future__ import annotations

import hashlib
import threading
import weakref
from collections.abc import Callable, Hashable
from typing import TypeVar

import numpy as np
from numpy.typing import NDArray

from bridgewatch.model import Ratings

__all__ = ["DefenceMemo", "digest"]

_T = TypeVar("_T")


def digest(*arrays: NDArray[np.generic] | float | None) -> bytes:
    """The SHA-256 digest of arrays (dtype, shape and bytes) and scalars, in order (SHA-256
    runs at ~1.6 GB/s here: 4 ms for a 725k-rating view's two index arrays)."""
    h = hashlib.sha256()
    for a in arrays:
        if a is None or isinstance(a, float):
            h.update(repr(a).encode())
            continue
        c = np.ascontiguousarray(a)
        h.update(f"{c.dtype.str}{c.shape}".encode())
        h.update(c.data)
    return h.digest()


class DefenceMemo:
    """Defence results by the digest of their inputs (see the module docstring)."""

    def __init__(self) -> None:
        self._results: dict[tuple[Hashable, ...], object] = {}
        self._prints: dict[int, tuple[weakref.ref[Ratings], bytes]] = {}
        self._lock = threading.Lock()
        self.hits = 0

    def __reduce__(self) -> tuple[type[DefenceMemo], tuple[()]]:
        return (DefenceMemo, ())

    def ratings_print(self, ratings: Ratings) -> bytes:
        """The digest of ``ratings``' note and rater indexes (kept per object)."""
        known = self._prints.get(id(ratings))
        if known is not None and known[0]() is ratings:
            return known[1]
        value = digest(ratings.note_idx, ratings.rater_idx)
        with self._lock:
            self._prints[id(ratings)] = (weakref.ref(ratings), value)
        return value

    def get(self, key: tuple[Hashable, ...], compute: Callable[[], _T]) -> _T:
        """The result stored under ``key``, or ``compute()`` stored there. Concurrent
        callers with the same key may both compute; they store equal results."""
        found = self._results.get(key)
        if found is not None:
            with self._lock:
                self.hits += 1
            return found  # type: ignore[return-value]
        value = compute()
        with self._lock:
            self._results.setdefault(key, value)
        return value
