"""Executor specs, and the executors they open (serial, threads, local processes)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from bridgewatch.errors import ConfigError
from bridgewatch.parallel import (
    ExecutorSpec,
    SerialExecutor,
    executor_scope,
    in_process,
    on_this_host,
    open_executor,
    parse_executor,
    task_slots,
)
from bridgewatch.parallel.processes import RetryingProcessPool
from tests.parallel import helpers


@pytest.mark.parametrize(
    ("spec", "parsed"),
    [
        ("serial", ExecutorSpec("serial", 1)),
        ("auto", ExecutorSpec("threads", 4)),
        ("threads:3", ExecutorSpec("threads", 3)),
        ("Processes:2", ExecutorSpec("processes", 2)),
        ("processes", ExecutorSpec("processes", 4)),
        ("dask:tcp://10.0.0.5:8786", ExecutorSpec("dask", address="tcp://10.0.0.5:8786")),
        ("dask:sched.local:8786", ExecutorSpec("dask", address="tcp://sched.local:8786")),
        (
            "dask:scheduler-file:/shared/Sched.json",
            ExecutorSpec("dask", scheduler_file="/shared/Sched.json"),
        ),
        ("dask:local:2", ExecutorSpec("dask", 2)),
    ],
)
def test_executor_specs(spec: str, parsed: ExecutorSpec) -> None:
    assert parse_executor(spec, cores=4) == parsed


@pytest.mark.parametrize(
    "spec", ["", "pool", "processes:0", "threads:x", "dask", "dask:", "dask:local:0", "dask:host"]
)
def test_a_bad_spec_names_the_field_and_the_choices(spec: str) -> None:
    with pytest.raises(ConfigError, match=r"executor=.*dask:scheduler-file:PATH"):
        parse_executor(spec, cores=2)


def test_only_serial_and_threads_run_in_this_process() -> None:
    assert in_process(None)
    assert in_process(SerialExecutor())
    with ThreadPoolExecutor(1) as pool:
        assert in_process(pool)
    pool2 = RetryingProcessPool(1)
    try:
        assert not in_process(pool2)
    finally:
        pool2.shutdown()


def test_open_executor_runs_tasks_and_shuts_down() -> None:
    with open_executor("serial") as serial:
        assert serial.submit(helpers.square, 3).result() == 9
    with open_executor("threads:2") as threads:
        assert list(threads.map(helpers.square, [1, 2, 3])) == [1, 4, 9]
    with pytest.raises(RuntimeError):
        threads.submit(helpers.square, 1)
    with executor_scope(None) as none:
        assert none is None


def test_process_workers_pin_their_threads() -> None:
    with open_executor("processes:1") as pool:
        assert pool.submit(helpers.numba_threads).result() == 1
        assert pool.submit(helpers.env_threads).result() == "1,1"


def test_a_task_lost_with_its_worker_is_resubmitted_once(tmp_path: Path) -> None:
    with open_executor("processes:2") as pool:
        lost = pool.submit(helpers.die_once, str(tmp_path / "marker"), 7)
        others = [pool.submit(helpers.square, i) for i in range(4)]
        assert lost.result(timeout=120) == 7
        assert [f.result(timeout=120) for f in others] == [0, 1, 4, 9]
        assert pool.submit(helpers.square, 5).result() == 25  # the new pool goes on


def test_a_raising_task_is_not_retried(tmp_path: Path) -> None:
    counter = tmp_path / "count"
    with open_executor("processes:1") as pool:
        with pytest.raises(ValueError, match="always fails"):
            pool.submit(helpers.count_and_fail, str(counter)).result(timeout=120)
    assert counter.read_text() == "x"


def test_task_slots_are_known_for_the_executors_on_this_machine() -> None:
    assert task_slots(None) == 1
    assert task_slots(SerialExecutor()) == 1
    assert on_this_host(None)
    with open_executor("threads:3") as pool:
        assert task_slots(pool) == 3
        assert on_this_host(pool)
    with open_executor("processes:2") as pool:
        assert task_slots(pool) == 2
        assert on_this_host(pool)


def test_a_running_dask_cluster_is_not_this_machine(dask_client: object) -> None:
    from bridgewatch.parallel.dask_executor import DaskExecutor

    executor = DaskExecutor(dask_client, owns_client=False)  # type: ignore[arg-type]
    try:
        # Its workers may be anywhere and come and go: neither a count nor this memory.
        assert task_slots(executor) is None
        assert not on_this_host(executor)
        assert executor.memory_capacity() is None  # no worker declares MEMORY
    finally:
        executor.shutdown()


def test_a_local_dask_cluster_of_this_run_is_this_machine() -> None:
    pytest.importorskip("distributed")
    with open_executor("dask:local:1") as executor:
        assert task_slots(executor) == 1
        assert on_this_host(executor)
