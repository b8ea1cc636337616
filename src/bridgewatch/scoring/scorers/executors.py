"""Where the roster's scorers run: ``serial``, ``threads:N`` or ``auto``, as text.

The command line and the batch pipeline take this spec; ``scorer_executor`` turns it into
the executor that ``scoring.run.score`` takes (None: serial) and shuts it down afterwards.
The output is the same bits whatever the executor (``scorers.run``); only the time changes.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import Executor, ThreadPoolExecutor
from contextlib import contextmanager

from bridgewatch.errors import ConfigError

__all__ = ["EXECUTOR_HELP", "executor_workers", "scorer_executor"]

EXECUTOR_HELP = (
    "serial (one scorer after the other, each kernel on all cores), threads:N (N scorers "
    "at a time, each kernel on one core) or auto (threads:<cores> on a machine with more "
    "than one core; the output is the same bits either way)"
)


def executor_workers(spec: str, cores: int | None = None) -> int:
    """Scorers run at a time under ``spec`` (1: serially).

    Parameters
    ----------
    spec : "serial", "threads:N" (N >= 1), "threads" (one per core) or "auto" (one per core).
    cores : the machine's cores (default ``os.cpu_count()``).

    Raises
    ------
    ConfigError : any other spec.
    """
    n_cores = cores if cores is not None else (os.cpu_count() or 1)
    text = spec.strip().lower()
    if text == "serial":
        return 1
    if text in ("auto", "threads"):
        return max(1, n_cores)
    kind, sep, count = text.partition(":")
    if kind == "threads" and sep and count.isdigit() and int(count) >= 1:
        return int(count)
    raise ConfigError("executor", spec, "serial, threads, threads:N with N >= 1, or auto")


@contextmanager
def scorer_executor(spec: str, cores: int | None = None) -> Iterator[Executor | None]:
    """The executor of ``spec`` for ``score(..., executor=...)`` (None when serial), shut
    down when the block ends."""
    workers = executor_workers(spec, cores)
    if workers == 1:
        yield None
        return
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="bridgewatch-scorer")
    try:
        yield pool
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
