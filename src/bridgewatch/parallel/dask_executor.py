"""A Dask cluster as a ``concurrent.futures.Executor``: ``dask:...`` executor specs.

``distributed.Client(...).get_executor()`` is the seam; this module adds what a run needs
around it: connecting to a scheduler by address or scheduler file, or starting a
``LocalCluster`` of N one-thread worker processes; pinning every worker's libraries to one
thread (a worker plugin, since Dask's nanny does not pass the client's environment on, and
again in each task's thread); closing what it opened. A worker lost mid-task is handled by
Dask itself: the scheduler reruns its tasks on the other workers (tasks are pure). Tasks
are never retried after raising: the run fails with the task's error.

Memory on a running cluster: start each worker with a ``MEMORY`` resource of the bytes its
tasks may use (``dask worker ... --resources "MEMORY=20e9"``). Each task then asks Dask for
its estimated working memory (``submit_sized``), so a worker runs a large scorer alone and
small ones side by side, wherever it is; a task larger than every worker's whole ``MEMORY``
asks for the largest worker's all. Workers without the resource take tasks by count alone.
A cluster this run starts (``dask:local:N``) shares this machine's memory: the caller gates
its tasks against this machine's budget instead (``parallel.run_graph``).

Needs the optional ``dask`` extra: ``pip install bridgewatch[dask]``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import TYPE_CHECKING, TypeVar

from distributed import Client, LocalCluster, WorkerPlugin

from bridgewatch.parallel.artifacts import clear_cached_trees
from bridgewatch.parallel.pinning import pin_threads
from bridgewatch.parallel.processes import pinned_call

if TYPE_CHECKING:
    from bridgewatch.parallel.executors import ExecutorSpec

__all__ = ["MEMORY_RESOURCE", "DaskExecutor", "PinThreadsPlugin"]

MEMORY_RESOURCE = "MEMORY"

_R = TypeVar("_R")


class PinThreadsPlugin(WorkerPlugin):
    """Pins a worker's BLAS/OpenMP/numba/polars threads to one (``pin_threads``) when it
    starts; the scheduler hands it to every worker that joins later, restarted ones too."""

    idempotent = True
    name = "bridgewatch-pin-threads"

    def setup(self, worker: object) -> None:
        pin_threads(1)


class DaskExecutor(Executor):
    """Tasks on a Dask cluster through ``Client.get_executor`` (``pure=False``: every
    submission runs).

    Parameters
    ----------
    client : a connected client; closed at ``shutdown`` when ``owns_client``.
    cluster : a cluster started for this executor (closed at ``shutdown``), or None.
    owns_client : whether ``shutdown`` closes the client.
    """

    def __init__(
        self, client: Client, cluster: LocalCluster | None = None, *, owns_client: bool = True
    ) -> None:
        self.client = client
        self.cluster = cluster
        self._owns_client = owns_client
        client.register_plugin(PinThreadsPlugin())
        self._inner = client.get_executor(pure=False)

    @classmethod
    def connect(cls, spec: ExecutorSpec) -> DaskExecutor:
        """Connect to the scheduler of ``spec`` (or start its local cluster)."""
        if spec.scheduler_file is not None:
            return cls(Client(scheduler_file=spec.scheduler_file))
        if spec.address is not None:
            return cls(Client(spec.address))
        cluster = LocalCluster(
            n_workers=spec.workers or 1,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",  # any free port: never collide with another cluster
        )
        try:
            return cls(Client(cluster), cluster)
        except BaseException:
            cluster.close()
            raise

    @property
    def n_workers(self) -> int:
        """Workers connected to the scheduler now."""
        return len(self.client.scheduler_info().get("workers", {}))

    @property
    def local_workers(self) -> int | None:
        """Workers of the cluster this executor started on this machine, else None."""
        if self.cluster is None:
            return None
        return len(self.cluster.workers) or None

    def memory_capacity(self) -> float | None:
        """The largest ``MEMORY`` resource a connected worker declares, bytes; None when no
        worker declares one (then tasks are placed by count alone)."""
        workers = self.client.scheduler_info().get("workers", {})
        declared = [
            float(info.get("resources", {}).get(MEMORY_RESOURCE, 0.0)) for info in workers.values()
        ]
        largest = max(declared, default=0.0)
        return largest if largest > 0.0 else None

    def submit(self, fn: Callable[..., _R], /, *args: object, **kwargs: object) -> Future[_R]:
        future: Future[_R] = self._inner.submit(pinned_call, fn, *args, **kwargs)
        return future

    def submit_sized(
        self, fn: Callable[..., _R], args: tuple[object, ...], memory: float
    ) -> Future[_R]:
        """``submit(fn, *args)`` asking the scheduler for ``memory`` bytes of the workers'
        ``MEMORY`` resource (capped at the largest worker's, so that the task can run
        somewhere); a plain ``submit`` on workers that declare none."""
        capacity = self.memory_capacity()
        if capacity is None or memory <= 0.0:
            return self.submit(fn, *args)
        future: Future[_R] = self._inner.submit(
            pinned_call, fn, *args, resources={MEMORY_RESOURCE: min(float(memory), capacity)}
        )
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self._inner.shutdown(wait=wait and not cancel_futures)
        if self.cluster is None:  # workers that outlive the run: free the run's inputs
            with contextlib.suppress(Exception):
                self.client.run(clear_cached_trees)
        if self._owns_client:
            self.client.close()
        if self.cluster is not None:
            self.cluster.close()
