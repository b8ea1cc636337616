"""Task functions the parallel tests send to worker processes (importable by name there)."""

from __future__ import annotations

import os
import signal
from pathlib import Path


def square(x: int) -> int:
    return x * x


def fail(message: str) -> int:
    raise RuntimeError(message)


def die_once(marker: str, value: int) -> int:
    """Kill the worker process running it the first time (``marker`` absent), else
    return ``value``: a task lost with its worker."""
    path = Path(marker)
    if not path.exists():
        path.write_text("died once")
        os.kill(os.getpid(), signal.SIGKILL)
    return value


def count_and_fail(counter: str) -> int:
    """Append to ``counter``, then raise: shows how many times a raising task ran."""
    with open(counter, "a", encoding="utf-8") as handle:
        handle.write("x")
    raise ValueError("always fails")


def numba_threads() -> int:
    import numba

    return int(numba.get_num_threads())


def env_threads() -> str:
    return os.environ.get("OMP_NUM_THREADS", "") + "," + os.environ.get("POLARS_MAX_THREADS", "")
