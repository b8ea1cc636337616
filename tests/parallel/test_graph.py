"""Task graphs: dependencies first, priorities, the first failure named."""

from __future__ import annotations

import threading

import pytest

from bridgewatch.errors import BridgewatchError
from bridgewatch.parallel import SerialExecutor, Task, TaskFailed, run_graph
from bridgewatch.parallel.executors import open_executor
from tests.parallel import helpers


def test_dependencies_run_first_and_priorities_order_the_ready_tasks() -> None:
    seen: list[str] = []
    lock = threading.Lock()

    def record(name: str) -> str:
        with lock:
            seen.append(name)
        return name.upper()

    tasks = {
        "final:a": Task(record, ("final:a",), deps=("pre:a",), priority=5),
        "pre:b": Task(record, ("pre:b",), priority=1),
        "pre:a": Task(record, ("pre:a",), priority=2),
        "final:b": Task(record, ("final:b",), deps=("pre:a", "pre:b")),
    }
    results = run_graph(SerialExecutor(), tasks)
    assert list(results) == list(tasks)  # graph order, whatever the completion order
    assert results["final:b"] == "FINAL:B"
    assert seen == ["pre:a", "pre:b", "final:a", "final:b"]


def test_with_max_running_a_late_long_task_starts_before_the_short_ones_queued_early() -> None:
    def order(max_running: int | None) -> list[str]:
        seen: list[str] = []

        def record(name: str) -> None:
            seen.append(name)

        tasks = {
            "prescore:lender": Task(record, ("prescore:lender",), priority=10),
            "score:small1": Task(record, ("score:small1",), priority=1),
            "score:small2": Task(record, ("score:small2",), priority=1),
            "final:lender": Task(record, ("final:lender",), ("prescore:lender",), priority=5),
        }
        with open_executor("threads:1") as pool:
            run_graph(pool, tasks, max_running=max_running)
        return seen

    # Unbounded, the ready tasks queue first-in, first-out behind the one worker.
    assert order(None)[-1] == "final:lender"
    assert order(1) == ["prescore:lender", "final:lender", "score:small1", "score:small2"]


def test_max_running_below_one_is_refused() -> None:
    with pytest.raises(BridgewatchError, match="max_running"):
        run_graph(SerialExecutor(), {"a": Task(helpers.square, (2,))}, max_running=0)


def test_the_first_failure_names_its_task_and_stops_the_graph() -> None:
    done: list[str] = []
    tasks = {
        "ok": Task(helpers.square, (2,)),
        "prescore:MFGroupScorer_3": Task(helpers.fail, ("no memory",)),
        "later": Task(done.append, ("later",), deps=("prescore:MFGroupScorer_3",)),
    }
    with pytest.raises(TaskFailed, match=r"prescore:MFGroupScorer_3 failed: RuntimeError: no") as e:
        run_graph(SerialExecutor(), tasks)
    assert isinstance(e.value.__cause__, RuntimeError)
    assert e.value.task == "prescore:MFGroupScorer_3"
    assert done == []


def test_tasks_run_on_a_pool_with_their_results_by_name() -> None:
    with open_executor("threads:2") as pool:
        results = run_graph(pool, {f"t{i}": Task(helpers.square, (i,)) for i in range(6)})
    assert results == {f"t{i}": i * i for i in range(6)}


@pytest.mark.parametrize(
    ("tasks", "message"),
    [
        ({"a": Task(helpers.square, (1,), deps=("b",))}, "unknown tasks"),
        (
            {
                "a": Task(helpers.square, (1,), deps=("b",)),
                "b": Task(helpers.square, (1,), deps=("a",)),
            },
            "cycle: a -> b -> a",
        ),
    ],
)
def test_a_bad_graph_is_refused_before_any_task_runs(tasks: dict[str, Task], message: str) -> None:
    with pytest.raises(BridgewatchError, match=message):
        run_graph(SerialExecutor(), tasks)
