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


class Overlap:
    """Records, across threads of this process, which tasks ran at once: ``work(memory,
    result)`` holds ``memory`` for a moment. ``most``: the most tasks at once; ``together``:
    starts beside another task; ``peak``: the most memory held while two or more ran (one
    oversized task alone is allowed to exceed a budget)."""

    def __init__(self) -> None:
        import threading

        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        self.used = 0.0
        self.running = 0
        self.most = 0
        self.together = 0
        self.peak = 0.0

    def work(self, memory: float, result: object = None, seconds: float = 0.03) -> object:
        import time

        with self._lock:
            self.used += memory
            self.running += 1
            self.most = max(self.most, self.running)
            if self.running > 1:
                self.together += 1
                self.peak = max(self.peak, self.used)
        time.sleep(seconds)
        with self._lock:
            self.used -= memory
            self.running -= 1
        return memory if result is None else result
