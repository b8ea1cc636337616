"""How many threads one numerical kernel may use (the kernels' own parallelism).

Big fits split their ratings into fixed ranges and may solve the ranges in parallel threads
(``_logit_passes``, ``_note_passes``, ``mf._engines``, ``gaussian.aggregate``); the split
never depends on the thread count, so the results do not either. When the roster runs its
scorers in parallel (``scorers.run``), the scorers already keep the cores busy: their
kernels then run in the calling thread (``limit_kernel_threads(1)``), since a kernel's own
threads would only oversubscribe the cores and pay a thread hand-off per epoch.

The limit is a context variable: it applies to the thread (or task) that sets it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

__all__ = ["kernel_threads", "limit_kernel_threads"]

_LIMIT: ContextVar[int | None] = ContextVar("bridgewatch_kernel_threads", default=None)


def kernel_threads() -> int:
    """Threads a kernel may use here: the machine's cores, or fewer under a limit (>= 1)."""
    cores = os.cpu_count() or 1
    limit = _LIMIT.get()
    return cores if limit is None else max(1, min(limit, cores))


@contextmanager
def limit_kernel_threads(n: int | None) -> Iterator[None]:
    """Within the block, kernels use at most ``n`` threads (None: no limit)."""
    if n is not None and n < 1:
        raise ValueError(f"kernel threads must be >= 1, got {n}")
    token = _LIMIT.set(n)
    try:
        yield
    finally:
        _LIMIT.reset(token)
