"""Executor specs as text, and the executors they open.

=======================  ==================================================================
spec                     executor
=======================  ==================================================================
``serial``               ``SerialExecutor``: each task at once, in the calling thread
``threads[:N]``          ``ThreadPoolExecutor`` (N threads; default one per core)
``auto``                 ``threads:<cores>``, or serial on a one-core machine
``processes[:N]``        local worker processes (forkserver, else spawn), one thread each;
                         a task lost with its process is resubmitted once
``dask:tcp://HOST:PORT`` a running Dask scheduler (``dask:HOST:PORT`` works too)
``dask:scheduler-file:PATH``  the scheduler that wrote PATH (``dask scheduler
                         --scheduler-file PATH``)
``dask:local:N``         a ``LocalCluster`` of N worker processes x 1 thread, for this run
=======================  ==================================================================

Serial and threads share the caller's memory (``in_process``); the others run tasks in
other processes, possibly on other machines, so tasks read their inputs from a work
directory by path (``artifacts``) and return compact arrays.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal, TypeVar

from bridgewatch.errors import ConfigError
from bridgewatch.parallel.processes import RetryingProcessPool

__all__ = [
    "EXECUTOR_HELP",
    "ExecutorSpec",
    "SerialExecutor",
    "executor_scope",
    "in_process",
    "on_this_host",
    "open_executor",
    "parse_executor",
    "task_slots",
]

_R = TypeVar("_R")

EXECUTOR_HELP = (
    "serial; threads:N (N tasks at a time in this process); auto (threads:<cores>); "
    "processes:N (N local worker processes); dask:tcp://HOST:8786 or "
    "dask:scheduler-file:PATH (a Dask cluster; workers read the run's inputs from "
    "--work-dir, which they must all see); dask:local:N (a local Dask cluster of N workers). "
    "The output is the same bits whatever the executor"
)

Kind = Literal["serial", "threads", "processes", "dask"]


class SerialExecutor(Executor):
    """An executor that runs each task at once in the calling thread (the default seam)."""

    def submit(self, fn: Callable[..., _R], /, *args: object, **kwargs: object) -> Future[_R]:
        future: Future[_R] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # the future carries it to the caller, like a pool's
            future.set_exception(exc)
        return future


@dataclass(frozen=True)
class ExecutorSpec:
    """A parsed executor spec.

    Attributes
    ----------
    kind : serial, threads, processes or dask.
    workers : tasks at a time (threads, processes, a local Dask cluster); None for a
        running Dask cluster (its workers decide) and serial (1).
    address : a Dask scheduler's address (``tcp://host:port``), else None.
    scheduler_file : a Dask scheduler file, else None.
    """

    kind: Kind
    workers: int | None = None
    address: str | None = None
    scheduler_file: str | None = None

    @property
    def local_dask(self) -> bool:
        """A Dask cluster started for this run on this machine (``dask:local:N``)."""
        return self.kind == "dask" and self.address is None and self.scheduler_file is None


def _count(text: str, spec: str) -> int:
    if text.isdigit() and int(text) >= 1:
        return int(text)
    raise ConfigError("executor", spec, _ALLOWED)


_ALLOWED = (
    "serial, threads[:N], auto, processes[:N] with N >= 1, dask:tcp://HOST:PORT, "
    "dask:scheduler-file:PATH or dask:local:N"
)


def parse_executor(spec: str, cores: int | None = None) -> ExecutorSpec:
    """Parse an executor spec (see the module docstring).

    Parameters
    ----------
    spec : the text, case-insensitive apart from a scheduler file's path.
    cores : the machine's cores (default ``os.cpu_count()``), for ``auto`` and a bare
        ``threads`` or ``processes``.

    Raises
    ------
    ConfigError : any other text.
    """
    n_cores = max(1, cores if cores is not None else (os.cpu_count() or 1))
    raw = spec.strip()
    text = raw.lower()
    kind, sep, rest = text.partition(":")
    if text == "serial":
        return ExecutorSpec("serial", 1)
    if text == "auto":
        return ExecutorSpec("threads", n_cores) if n_cores > 1 else ExecutorSpec("serial", 1)
    if kind == "threads":
        return ExecutorSpec("threads", _count(rest, spec) if sep else n_cores)
    if kind == "processes":
        return ExecutorSpec("processes", _count(rest, spec) if sep else n_cores)
    if kind == "dask" and sep:
        target = raw[len("dask:") :]
        lowered = target.lower()
        if lowered.startswith("local:"):
            return ExecutorSpec("dask", _count(lowered[len("local:") :], spec))
        if lowered.startswith("scheduler-file:") and len(target) > len("scheduler-file:"):
            return ExecutorSpec("dask", scheduler_file=target[len("scheduler-file:") :])
        if "://" in target:
            return ExecutorSpec("dask", address=target)
        host, colon, port = target.rpartition(":")
        if colon and host and port.isdigit():
            return ExecutorSpec("dask", address=f"tcp://{target}")
    raise ConfigError("executor", spec, _ALLOWED)


def in_process(executor: Executor | None) -> bool:
    """Whether ``executor`` runs its tasks in this process (serial, threads): its tasks can
    share the caller's objects; any other executor's tasks read their inputs by path."""
    return executor is None or isinstance(executor, (SerialExecutor, ThreadPoolExecutor))


def task_slots(executor: Executor | None) -> int | None:
    """Tasks ``executor`` runs at once when that is known in this process: 1 serially
    (None or ``SerialExecutor``), a thread pool's or a ``processes:N`` pool's worker count,
    the workers of a Dask cluster this run started (``dask:local:N``); None for a running
    Dask cluster (its workers decide, and may come and go) and any other executor."""
    if executor is None or isinstance(executor, SerialExecutor):
        return 1
    if isinstance(executor, ThreadPoolExecutor):
        # The pool keeps its size only in this attribute (CPython's and PyPy's alike).
        workers = getattr(executor, "_max_workers", None)
        return workers if isinstance(workers, int) and workers >= 1 else None
    if isinstance(executor, RetryingProcessPool):
        return executor.max_workers
    local = getattr(executor, "local_workers", None)  # a DaskExecutor (optional extra)
    return local if isinstance(local, int) and local >= 1 else None


def on_this_host(executor: Executor | None) -> bool:
    """Whether every task of ``executor`` runs on this machine, in its memory: serial,
    threads, ``processes:N`` and a Dask cluster this run started (``dask:local:N``). A
    running Dask cluster's workers may be anywhere: this machine's free memory says nothing
    about theirs."""
    return task_slots(executor) is not None


@contextmanager
def open_executor(spec: str | ExecutorSpec, cores: int | None = None) -> Iterator[Executor]:
    """The executor of ``spec``, shut down (and a cluster it started, closed) when the block
    ends; pending tasks are cancelled if the block raises."""
    parsed = spec if isinstance(spec, ExecutorSpec) else parse_executor(spec, cores)
    executor: Executor
    if parsed.kind == "serial":
        executor = SerialExecutor()
    elif parsed.kind == "threads":
        executor = ThreadPoolExecutor(
            max_workers=parsed.workers or 1, thread_name_prefix="bridgewatch-task"
        )
    elif parsed.kind == "processes":
        executor = RetryingProcessPool(parsed.workers or 1)
    else:
        if importlib.util.find_spec("distributed") is None:
            raise ConfigError(
                "executor", spec, "the dask extra installed: pip install 'bridgewatch[dask]'"
            )
        from bridgewatch.parallel.dask_executor import DaskExecutor

        executor = DaskExecutor.connect(parsed)
    failed = False
    try:
        yield executor
    except BaseException:
        failed = True
        raise
    finally:
        executor.shutdown(wait=True, cancel_futures=failed)


@contextmanager
def executor_scope(executor: Executor | str | None) -> Iterator[Executor | None]:
    """``executor`` as given (the caller owns it), or opened from a spec for the block."""
    if executor is None or isinstance(executor, Executor):
        yield executor
        return
    with open_executor(executor) as opened:
        yield opened
