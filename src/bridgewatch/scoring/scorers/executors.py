"""Where the roster's scorers run, as text: the specs of ``bridgewatch.parallel``.

``serial``, ``threads:N``, ``auto``, ``processes:N``, ``dask:tcp://HOST:8786``,
``dask:scheduler-file:PATH`` or ``dask:local:N``. The command line and the batch pipeline
take the spec; ``scorer_executor`` opens the executor that ``scoring.run.score`` takes
(None: serial) and shuts it down afterwards. The output is the same bits whatever the
executor (``scorers.run``, ``scorers.remote``); only the time changes.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Executor
from contextlib import contextmanager

from bridgewatch.parallel import EXECUTOR_HELP, SerialExecutor, open_executor, parse_executor

__all__ = ["EXECUTOR_HELP", "executor_workers", "scorer_executor"]


def executor_workers(spec: str, cores: int | None = None) -> int:
    """Tasks at a time under ``spec`` (1: serially; 0: as many as a running Dask cluster's
    workers).

    Parameters
    ----------
    spec : an executor spec (``bridgewatch.parallel.parse_executor``).
    cores : the machine's cores (default ``os.cpu_count()``).

    Raises
    ------
    ConfigError : a spec that is not one.
    """
    return parse_executor(spec, cores).workers or 0


@contextmanager
def scorer_executor(spec: str, cores: int | None = None) -> Iterator[Executor | None]:
    """The executor of ``spec`` for ``score(..., executor=...)`` (None when serial), shut
    down when the block ends."""
    with open_executor(spec, cores) as executor:
        yield None if isinstance(executor, SerialExecutor) else executor
