"""Full refits in a child process, so that a worker keeps serving while one runs.

A refit is a batch ``score`` of the whole community (minutes at a million ratings). Run in
the worker's own loop it would stop every pass for that long. Instead the worker starts a
:class:`RefitJob`: a spawned process that reads its own consistent snapshot of the
database, refits, and stores the refit exactly as a worker's own refit does
(``Worker.compute_refit``: ``pipeline_refits`` row, hold reasons cleared, contributor and
pending rows as of the snapshot). The worker goes on with its passes on the previous refit
and installs the new one at its next micro-batch after the job ends, as it installs a refit
made by another worker: the events after the snapshot are already in its state, and its
first pass with the new refit rewrites what the snapshot's rows left behind.

The child inherits nothing from the worker but its settings: it opens its own connections
(:func:`bridgewatch.store.db.engine_recipe`), logs to stderr at the worker's level, and runs
at a lower CPU priority (``WorkerConfig.refit_nice``) so that the passes keep their pace
on a machine the refit would otherwise share evenly with them. If
the worker dies, a running job still finishes and stores its refit, which the next worker
installs; if the job dies, nothing of it is stored (its writes are one transaction).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bridgewatch.scoring.config import ScoringConfig

if TYPE_CHECKING:
    from multiprocessing.process import BaseProcess

    from sqlalchemy import Engine

    from bridgewatch.pipeline.worker import WorkerConfig

__all__ = ["RefitJob"]

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _JobArgs:
    """What the child needs: how to reach the database, the scoring and worker settings,
    the refit's ``created_at_ms`` (the worker's clock when it started the job), the log
    level and how much to lower its CPU priority (``WorkerConfig.refit_nice``)."""

    recipe: dict[str, Any]
    config: ScoringConfig
    settings: WorkerConfig
    created_at_ms: int
    log_level: int
    nice: int


def _run_job(args: _JobArgs) -> None:
    """The child process: refit on a snapshot and store it (``Worker.compute_refit``)."""
    from bridgewatch.pipeline.worker import Worker
    from bridgewatch.store.db import make_engine

    logging.basicConfig(
        level=args.log_level,
        format="%(asctime)s %(levelname)s %(name)s [refit job]: %(message)s",
    )
    if args.nice:
        # The live passes come first: the refit takes the CPU they leave.
        os.nice(args.nice)
    engine = make_engine(**args.recipe, pool_size=2)
    try:
        worker = Worker(engine, args.config, args.settings, clock=lambda: args.created_at_ms)
        worker.compute_refit()  # (logs what it stored and how long each step took)
    finally:
        engine.dispose()


class RefitJob:
    """One refit running in a spawned child process (see the module docstring).

    Parameters
    ----------
    engine : the worker's database (not in-memory SQLite: see ``engine_recipe``).
    config, settings : the worker's scoring config and WorkerConfig.
    created_at_ms : the worker's clock now; the stored refit's creation time, from which
        the next scheduled refit counts.
    """

    def __init__(
        self,
        engine: Engine,
        config: ScoringConfig,
        settings: WorkerConfig,
        created_at_ms: int,
    ) -> None:
        from bridgewatch.store.db import engine_recipe

        self.created_at_ms = created_at_ms
        args = _JobArgs(
            recipe=engine_recipe(engine),
            config=config,
            settings=settings,
            created_at_ms=created_at_ms,
            log_level=logging.getLogger("bridgewatch").getEffectiveLevel(),
            nice=settings.refit_nice,
        )
        context = multiprocessing.get_context("spawn")
        self._process: BaseProcess = context.Process(
            target=_run_job, args=(args,), name="bridgewatch-refit", daemon=False
        )
        self._process.start()
        _log.info("refit job started (pid %s)", self._process.pid)

    @property
    def pid(self) -> int:
        """The child's process id."""
        pid = self._process.pid
        if pid is None:  # pragma: no cover - set by start()
            raise RuntimeError("the refit job has not started")
        return pid

    def poll(self) -> int | None:
        """None while the job runs, else its exit code (0: the refit is stored)."""
        if self._process.is_alive():
            return None
        self._process.join()
        return self._process.exitcode

    def wait(self, timeout_s: float | None = None) -> int | None:
        """Wait for the job to end (at most ``timeout_s``); its exit code, None if running."""
        self._process.join(timeout_s)
        return self.poll()

    def stop(self, timeout_s: float = 10.0) -> None:
        """Stop a running job (nothing of it is stored) and reap it."""
        if self._process.is_alive():
            self._process.terminate()
            self._process.join(timeout_s)
            if self._process.is_alive():  # pragma: no cover - terminate is honoured
                self._process.kill()
                self._process.join()
