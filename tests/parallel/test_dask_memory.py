"""Tasks on a running Dask cluster ask for their estimated memory of the workers' ``MEMORY``
resource (``DaskExecutor.submit_sized``, through ``run_graph``): a worker never runs more
estimated memory than it declares, and a task larger than any worker still runs."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from bridgewatch.parallel import Task, run_graph
from tests.parallel import helpers

distributed = pytest.importorskip("distributed")

from bridgewatch.parallel.dask_executor import MEMORY_RESOURCE, DaskExecutor  # noqa: E402

_OVERLAP = helpers.Overlap()


def _work(memory: float) -> object:
    """What this (in-process) worker runs at once, recorded."""
    return _OVERLAP.work(memory, seconds=0.05)


@pytest.fixture
def sized_cluster() -> Iterator[DaskExecutor]:
    """One in-process worker with 3 threads and ``MEMORY=100``, as a running cluster (the
    executor did not start it)."""
    cluster = distributed.LocalCluster(
        n_workers=1,
        threads_per_worker=3,
        processes=False,
        dashboard_address=":0",
        resources={MEMORY_RESOURCE: 100},
    )
    client = distributed.Client(cluster)
    executor = DaskExecutor(client)
    try:
        yield executor
    finally:
        executor.shutdown()
        cluster.close()


def test_the_workers_memory_resource_is_read(sized_cluster: DaskExecutor) -> None:
    assert sized_cluster.memory_capacity() == 100.0
    assert sized_cluster.local_workers is None  # not started by the executor


def test_tasks_share_a_worker_only_within_its_memory(sized_cluster: DaskExecutor) -> None:
    _OVERLAP.reset()
    sizes = {"a": 60.0, "b": 60.0, "c": 30.0, "d": 30.0, "e": 30.0, "f": 70.0, "huge": 500.0}
    # Each task records what it may hold of the worker: its estimate, the oversized one
    # capped at the worker's whole MEMORY (it must still run somewhere).
    tasks = {n: Task(_work, (min(m, 100.0),), memory=m) for n, m in sizes.items()}
    results: dict[str, Any] = run_graph(sized_cluster, tasks)
    assert results == {n: min(m, 100.0) for n, m in sizes.items()}
    assert _OVERLAP.peak <= 100.0  # the 60s, the 70 and "huge" never met another large one
    assert _OVERLAP.together > 0  # small ones did run side by side on the 3 threads
