"""Memory-aware admission of a task graph's ready tasks (``parallel.graph.admit``)."""

from __future__ import annotations

import threading
import time
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from bridgewatch.parallel import Task, run_graph
from bridgewatch.parallel.executors import open_executor
from bridgewatch.parallel.graph import admit
from tests.parallel import helpers


def _on_two_threads(tasks: dict[str, Task], **options: Any) -> dict[str, Any]:
    """``run_graph`` on two threads, two tasks at most, a budget of 10."""
    with open_executor("threads:2") as pool:
        return run_graph(pool, tasks, max_running=2, memory_budget=10.0, **options)


def _t(memory: float, holds: float = 0.0) -> Task:
    return Task(lambda: None, memory=memory, holds=holds)


def test_tasks_are_taken_in_priority_order_while_they_fit() -> None:
    ready = [_t(6), _t(3), _t(2)]
    assert admit(ready, [], 0.0, 10.0, None) == [0, 1]  # 6 + 3 = 9; 9 + 2 > 10
    assert admit(ready, [], 0.0, None, 2) == [0, 1]  # no budget: slots alone
    assert admit(ready, [], 0.0, 100.0, 1) == [0]


def test_a_task_larger_than_the_budget_runs_alone_when_nothing_else_runs() -> None:
    assert admit([_t(50), _t(1)], [], 0.0, 10.0, 2) == [0]
    assert admit([_t(50), _t(1)], [_t(1)], 0.0, 10.0, 2) == []  # waits for the small one
    # Held memory cannot stall the graph: a borrower waits on nothing but itself.
    assert admit([_t(8)], [], 5.0, 10.0, 2) == [0]


def test_small_tasks_fill_in_beside_a_long_task_at_least_as_large_as_the_waiting_one() -> None:
    running = [_t(7)]
    # 5 does not fit beside 7; the running 7 is at least as large, so 2 fills the slot.
    assert admit([_t(5), _t(2)], running, 0.0, 10.0, 1) == [1]
    # Beside a smaller running task the waiting 8 would starve behind small ones: none.
    assert admit([_t(8), _t(1)], [_t(3)], 0.0, 10.0, 1) == []


def test_memory_held_for_dependents_counts_against_the_budget() -> None:
    assert admit([_t(4)], [_t(1)], 6.0, 10.0, 1) == []
    assert admit([_t(3)], [_t(1)], 6.0, 10.0, 1) == [0]


def test_a_graph_never_runs_more_estimated_memory_than_its_budget() -> None:
    overlap = helpers.Overlap()
    sizes = {"big": 9.0, "mid": 6.0, "a": 2.0, "b": 2.0, "c": 3.0, "huge": 14.0}
    tasks = {n: Task(overlap.work, (m,), priority=m, memory=m) for n, m in sizes.items()}
    with open_executor("threads:3") as pool:
        results = run_graph(pool, tasks, max_running=3, memory_budget=10.0)
    assert results == sizes
    assert overlap.together > 0  # small tasks did run side by side
    assert overlap.peak <= 10.0


def test_on_submit_says_how_many_tasks_run_with_each() -> None:
    seen: dict[str, int] = {}
    tasks = {
        "big": Task(time.sleep, (0.02,), priority=3, memory=9.0),
        "s1": Task(time.sleep, (0.01,), priority=2, memory=1.0),
        "s2": Task(time.sleep, (0.01,), priority=1, memory=1.0),
        "after": Task(time.sleep, (0.0,), deps=("big", "s1", "s2"), memory=9.5),
    }
    _on_two_threads(tasks, on_submit=lambda name, n: seen.__setitem__(name, n))
    assert seen["big"] == 2 and seen["s1"] == 2  # 9 + 1 fit together
    assert seen["after"] == 1  # 9.5 fits beside nothing: it starts alone


@settings(max_examples=25, deadline=None)
@given(
    memories=st.lists(st.integers(1, 12), min_size=1, max_size=8),
    edges=st.lists(st.tuples(st.integers(0, 7), st.integers(0, 7)), max_size=10),
    holds=st.lists(st.integers(0, 4), min_size=8, max_size=8),
    budget=st.integers(1, 16),
)
def test_any_graph_finishes_with_every_result_within_the_budget(
    memories: list[int], edges: list[tuple[int, int]], holds: list[int], budget: int
) -> None:
    n = len(memories)
    # A result holds at most what its task used while running (a prescoring's view).
    holds = [min(h, m) for h, m in zip(holds, memories, strict=False)] + [0] * (8 - n)
    deps: dict[int, set[int]] = {i: set() for i in range(n)}
    for a, b in edges:
        if a < n and b < n and a < b:  # edges forward only: a DAG
            deps[b].add(a)
    lock = threading.Lock()
    state = {"running": 0.0, "count": 0, "worst": 0.0}
    held: dict[int, int] = {}
    pending = {i: sum(1 for j in range(n) if i in deps[j]) for i in range(n)}

    def work(i: int) -> int:
        with lock:
            state["running"] += memories[i]
            state["count"] += 1
            total = state["running"] + sum(holds[j] for j in held)
            if state["count"] > 1:
                state["worst"] = max(state["worst"], total - budget)
        time.sleep(0.001)
        with lock:
            state["running"] -= memories[i]
            state["count"] -= 1
            for j in deps[i]:
                pending[j] -= 1
                if pending[j] == 0:
                    held.pop(j, None)
            if pending[i] > 0 and holds[i]:
                held[i] = holds[i]
        return i * i

    tasks = {
        f"t{i}": Task(
            work,
            (i,),
            tuple(f"t{j}" for j in sorted(deps[i])),
            priority=float(memories[i]),
            memory=float(memories[i]),
            holds=float(holds[i]),
        )
        for i in range(n)
    }
    with open_executor("threads:3") as pool:
        results = run_graph(pool, tasks, max_running=3, memory_budget=float(budget))
    assert results == {f"t{i}": i * i for i in range(n)}
    assert state["worst"] <= 0.0


def test_what_the_caller_keeps_of_finished_results_counts_against_the_budget() -> None:
    overlap = helpers.Overlap()

    def run(retained: bool) -> int:
        overlap.reset()
        tasks = {
            "first": Task(overlap.work, (2.0, 6.0), memory=2.0),  # returns 6: what it keeps
            "c": Task(overlap.work, (3.0, 0.0), deps=("first",), memory=3.0),
            "d": Task(overlap.work, (3.0, 0.0), deps=("first",), memory=3.0),
        }
        _on_two_threads(tasks, retained=(lambda _, kept: kept) if retained else None)
        return overlap.most

    # "first" keeps 6 of the 10: 6 + 3 + 3 > 10, so c and d run one after the other.
    assert run(retained=True) == 1
    assert run(retained=False) == 2
