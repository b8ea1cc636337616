"""A Dask cluster as a ``concurrent.futures.Executor``: ``dask:...`` executor specs.

``distributed.Client(...).get_executor()`` is the seam; this module adds what a run needs
around it: connecting to a scheduler by address or scheduler file, or starting a
``LocalCluster`` of N one-thread worker processes; pinning every worker's libraries to one
thread (a worker plugin, since Dask's nanny does not pass the client's environment on, and
again in each task's thread); closing what it opened. A worker lost mid-task is handled by
Dask itself: the scheduler reruns its tasks on the other workers (tasks are pure). Tasks
are never retried after raising: the run fails with the task's error.

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

__all__ = ["DaskExecutor", "PinThreadsPlugin"]

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

    def submit(self, fn: Callable[..., _R], /, *args: object, **kwargs: object) -> Future[_R]:
        future: Future[_R] = self._inner.submit(pinned_call, fn, *args, **kwargs)
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
