"""Local worker processes that survive losing one: ``processes:N``.

A ``ProcessPoolExecutor`` whose worker dies (killed, out of memory) is broken for good: every
task it held fails with ``BrokenProcessPool``. Tasks here are pure (same inputs, same
result; their outputs are written whole or not at all), so ``RetryingProcessPool`` starts a
new pool and resubmits each task lost that way, once. A task that raises is not retried.
Workers start by forkserver where the platform has it (else spawn: never a fork of a
process holding threads) and pin their libraries to one thread (``pinning``).
"""

from __future__ import annotations

import logging
import multiprocessing
import threading
from collections.abc import Callable
from concurrent.futures import CancelledError, Executor, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from bridgewatch.parallel.pinning import pin_threads

__all__ = ["RetryingProcessPool", "pinned_call"]

_log = logging.getLogger(__name__)
_R = TypeVar("_R")


def pinned_call(fn: Callable[..., _R], /, *args: object, **kwargs: object) -> _R:
    """``fn(*args, **kwargs)`` with the calling thread's libraries pinned to one thread
    (numba's limit is per thread: the worker's initializer cannot set it for every task)."""
    pin_threads(1)
    return fn(*args, **kwargs)


def _start_worker(initializer: Callable[[], object] | None) -> None:
    pin_threads(1)
    if initializer is not None:
        initializer()


def _context() -> multiprocessing.context.BaseContext:
    method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
    return multiprocessing.get_context(method)


class RetryingProcessPool(Executor):
    """``max_workers`` worker processes; a task lost with a worker is resubmitted ``retries``
    times on a fresh pool.

    Parameters
    ----------
    max_workers : worker processes (>= 1).
    retries : resubmissions of a task whose pool broke under it (default 1).
    initializer : called in each worker after the thread pinning, before its first task.
    """

    def __init__(
        self,
        max_workers: int,
        retries: int = 1,
        initializer: Callable[[], object] | None = None,
    ) -> None:
        if max_workers < 1:
            raise ValueError(f"max_workers must be >= 1, got {max_workers}")
        self.max_workers = max_workers
        self.retries = retries
        self.initializer = initializer
        self._lock = threading.Lock()
        self._generation = 0
        self._shutdown = False
        self._pool = self._new_pool()

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=self.max_workers,
            mp_context=_context(),
            initializer=_start_worker,
            initargs=(self.initializer,),
        )

    def worker_pids(self) -> list[int]:
        """Process ids of the current pool's workers (started so far)."""
        with self._lock:
            processes = getattr(self._pool, "_processes", None) or {}
            return [p.pid for p in processes.values() if p.pid is not None]

    def submit(self, fn: Callable[..., _R], /, *args: object, **kwargs: object) -> Future[_R]:
        outer: Future[_R] = Future()
        outer.set_running_or_notify_cancel()  # it runs (or waits) in the pool from now on
        self._submit(outer, fn, args, kwargs, self.retries)
        return outer

    def _submit(
        self,
        outer: Future[Any],
        fn: Callable[..., Any],
        args: tuple[object, ...],
        kwargs: dict[str, object],
        retries_left: int,
    ) -> None:
        with self._lock:
            if self._shutdown:
                outer.set_exception(RuntimeError("the process pool is shut down"))
                return
            pool, generation = self._pool, self._generation
        try:
            inner = pool.submit(pinned_call, fn, *args, **kwargs)
        except BrokenProcessPool as exc:
            self._retry_or_fail(outer, fn, args, kwargs, retries_left, generation, exc)
            return

        def done(finished: Future[Any]) -> None:
            if finished.cancelled():
                outer.set_exception(CancelledError())
                return
            error = finished.exception()
            if isinstance(error, BrokenProcessPool):
                self._retry_or_fail(outer, fn, args, kwargs, retries_left, generation, error)
            elif error is not None:
                outer.set_exception(error)
            else:
                outer.set_result(finished.result())

        inner.add_done_callback(done)

    def _retry_or_fail(
        self,
        outer: Future[Any],
        fn: Callable[..., Any],
        args: tuple[object, ...],
        kwargs: dict[str, object],
        retries_left: int,
        generation: int,
        error: BaseException,
    ) -> None:
        if retries_left <= 0:
            outer.set_exception(error)
            return
        with self._lock:
            if self._shutdown:
                outer.set_exception(error)
                return
            if self._generation == generation:  # the first task to see this pool broken
                _log.warning("a worker process died (%s); resubmitting its tasks", error)
                broken = self._pool
                self._pool = self._new_pool()
                self._generation += 1
                broken.shutdown(wait=False, cancel_futures=True)
        self._submit(outer, fn, args, kwargs, retries_left - 1)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._lock:
            self._shutdown = True
            pool = self._pool
        pool.shutdown(wait=wait, cancel_futures=cancel_futures)
