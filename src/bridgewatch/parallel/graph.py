"""A graph of named tasks on any executor: dependencies first, the first failure ends it.

Tasks are plain callables with arguments that are small to send (names, specs, paths):
each reads its big inputs by path and writes what a later task needs to the run's work
directory, so results travel only from a task to the caller. A task is submitted when
every task it depends on has finished, highest priority first (put the longest tasks
first: with list scheduling the run then ends close to its critical path). Given a memory
budget, a task also waits until its estimated working memory fits beside the tasks running,
the results still held for their dependents (``Task.memory``, ``Task.holds``) and what the
caller keeps of the finished tasks' results (``retained``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from bridgewatch.errors import BridgewatchError

__all__ = ["SizedSubmit", "Task", "TaskFailed", "admit", "run_graph"]

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Task:
    """One task of a graph.

    Attributes
    ----------
    fn, args : the task is ``fn(*args)``; both are sent to the worker (keep them small).
    deps : names of the tasks that must finish first.
    priority : higher is submitted first among the ready tasks (ties: graph order).
    memory : estimated peak working memory while the task runs, bytes (read only under a
        ``memory_budget``).
    holds : estimated memory its result keeps from the moment it finishes until every task
        that depends on it has finished, bytes (a prescoring lent to later tasks); at most
        ``memory`` (part of what it used while running).
    """

    fn: Callable[..., Any]
    args: tuple[Any, ...] = ()
    deps: tuple[str, ...] = ()
    priority: float = 0.0
    memory: float = 0.0
    holds: float = 0.0


class TaskFailed(BridgewatchError):
    """A task of a graph raised: names the task and carries its error (``__cause__``)."""

    def __init__(self, task: str, error: BaseException) -> None:
        self.task = task
        self.error = error
        super().__init__(f"{task} failed: {type(error).__name__}: {error}")


def _check(tasks: Mapping[str, Task]) -> None:
    for name, task in tasks.items():
        missing = [d for d in task.deps if d not in tasks]
        if missing:
            raise BridgewatchError(f"task {name} depends on unknown tasks {missing}")
    state: dict[str, int] = {}  # 1 visiting, 2 done

    def visit(name: str, path: tuple[str, ...]) -> None:
        if state.get(name) == 2:
            return
        if state.get(name) == 1:
            raise BridgewatchError(f"task graph has a cycle: {' -> '.join((*path, name))}")
        state[name] = 1
        for dep in tasks[name].deps:
            visit(dep, (*path, name))
        state[name] = 2

    for name in tasks:
        visit(name, ())


@runtime_checkable
class SizedSubmit(Protocol):
    """An executor that places each task by its memory estimate itself (a Dask cluster
    whose workers declare a ``MEMORY`` resource): ``run_graph`` submits through
    ``submit_sized`` with ``Task.memory``."""

    def submit_sized(
        self, fn: Callable[..., Any], args: tuple[Any, ...], memory: float
    ) -> Future[Any]: ...


def _submit(executor: Executor, task: Task) -> Future[Any]:
    if isinstance(executor, SizedSubmit):
        return executor.submit_sized(task.fn, task.args, task.memory)
    return executor.submit(task.fn, *task.args)


def run_graph(
    executor: Executor,
    tasks: Mapping[str, Task],
    *,
    on_done: Callable[[str, Any], None] | None = None,
    max_running: int | None = None,
    memory_budget: float | None = None,
    on_submit: Callable[[str, int], None] | None = None,
    retained: Callable[[str, Any], float] | None = None,
) -> dict[str, Any]:
    """Run every task of ``tasks`` on ``executor``, each after its dependencies.

    Parameters
    ----------
    executor : where the tasks run.
    tasks : the graph, by task name.
    on_done : called in the caller's thread as ``on_done(name, result)`` as tasks finish.
    max_running : at most this many tasks submitted and unfinished at once (None: every
        ready task at once). With the executor's worker count here, each free worker takes
        the highest-priority ready task at that moment, not the next one of a first-in,
        first-out queue filled earlier: a task that becomes ready late but is long (a
        lender's final fits) starts before the short tasks queued at the start.
    memory_budget : bytes the tasks may use at once (None: no limit); see ``admit``.
    retained : called in the caller's thread as ``retained(name, result)`` after
        ``on_done``: the bytes of a finished task's result that the caller keeps until the
        graph ends (a finished scorer's output state); they count against
        ``memory_budget`` from then on, so the budget follows what the run has kept.
    on_submit : called in the caller's thread as ``on_submit(name, n_running)`` just
        before a task is submitted, with the number of tasks that will then be running
        (itself included, the others admitted in the same round too): 1 means it starts
        alone and may use the whole machine.

    Returns
    -------
    Each task's result, by name, in the order of ``tasks``.

    Raises
    ------
    TaskFailed : the first task that raised (by completion), with its name; the tasks not
        started yet are cancelled and no later task is submitted.
    """
    _check(tasks)
    if max_running is not None and max_running < 1:
        raise BridgewatchError(f"max_running must be at least 1, got {max_running}")
    results: dict[str, Any] = {}
    waiting = dict(tasks)
    order = {name: i for i, name in enumerate(tasks)}
    running: dict[Future[Any], str] = {}
    # Dependents still to finish, per task whose result holds memory.
    dependents: dict[str, int] = {}
    for task in tasks.values():
        for dep in task.deps:
            dependents[dep] = dependents.get(dep, 0) + 1
    held: dict[str, float] = {}
    kept = 0.0
    while waiting or running:
        ready = [n for n, t in waiting.items() if all(d in results for d in t.deps)]
        ready.sort(key=lambda n: (-waiting[n].priority, order[n]))
        slots = None if max_running is None else max(0, max_running - len(running))
        in_flight = [tasks[n] for n in running.values()]
        admitted = admit(
            [waiting[n] for n in ready], in_flight, sum(held.values()) + kept, memory_budget, slots
        )
        names = [ready[i] for i in admitted]
        n_after = len(running) + len(names)
        for name in names:
            task = waiting.pop(name)
            if on_submit is not None:
                on_submit(name, n_after)
            running[_submit(executor, task)] = name
        done, _ = wait(list(running), return_when=FIRST_COMPLETED)
        for future in sorted(done, key=lambda f: order[running[f]]):
            name = running.pop(future)
            error = future.exception()
            if error is not None:
                for other in running:
                    other.cancel()
                _log.error("task %s failed: %s", name, error)
                raise TaskFailed(name, error) from error
            results[name] = future.result()
            if tasks[name].holds and dependents.get(name):
                held[name] = tasks[name].holds
            for dep in tasks[name].deps:
                dependents[dep] -= 1
                if dependents[dep] == 0:
                    held.pop(dep, None)
            if on_done is not None:
                on_done(name, results[name])
            if retained is not None:
                kept += max(0.0, float(retained(name, results[name])))
    return {name: results[name] for name in tasks}


def admit(
    ready: list[Task],
    running: list[Task],
    held: float,
    budget: float | None,
    slots: int | None,
) -> list[int]:
    """Which of the ready tasks to submit now, by index into ``ready``.

    Parameters
    ----------
    ready : the ready tasks, highest priority first.
    running : the tasks running now.
    held : memory held by finished tasks' results for their dependents, bytes.
    budget : bytes the tasks may use at once; None admits by ``slots`` alone.
    slots : how many more tasks may run (None: any number).

    Tasks are taken in priority order while they fit: the running tasks' ``memory`` plus
    ``held`` plus theirs within ``budget``. A task that does not fit waits, and so does
    every task after it unless a task at least as large as the waiting one is running
    (then it waits for that long task anyway, and smaller tasks that fit beside it fill
    the free slots; otherwise the waiting task would starve behind a stream of small
    ones). With nothing running the first ready task is always admitted, however large
    (memory held for a waiting task's own dependencies included): the graph cannot stall.
    """
    chosen: list[int] = []
    used = held + sum(t.memory for t in running)
    largest = max((t.memory for t in running), default=0.0)
    blocked: float | None = None
    for i, task in enumerate(ready):
        if slots is not None and len(chosen) >= slots:
            break
        idle = not running and not chosen
        fits = budget is None or used + task.memory <= budget or idle
        if fits:
            chosen.append(i)
            used += task.memory
            largest = max(largest, task.memory)
        elif blocked is None:
            blocked = task.memory
            if largest < blocked:
                break
    return chosen
