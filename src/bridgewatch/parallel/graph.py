"""A graph of named tasks on any executor: dependencies first, the first failure ends it.

Tasks are plain callables with arguments that are small to send (names, specs, paths):
each reads its big inputs by path and writes what a later task needs to the run's work
directory, so results travel only from a task to the caller. A task is submitted when
every task it depends on has finished, highest priority first (put the longest tasks
first: with list scheduling the run then ends close to its critical path).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from dataclasses import dataclass
from typing import Any

from bridgewatch.errors import BridgewatchError

__all__ = ["Task", "TaskFailed", "run_graph"]

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Task:
    """One task of a graph.

    Attributes
    ----------
    fn, args : the task is ``fn(*args)``; both are sent to the worker (keep them small).
    deps : names of the tasks that must finish first.
    priority : higher is submitted first among the ready tasks (ties: graph order).
    """

    fn: Callable[..., Any]
    args: tuple[Any, ...] = ()
    deps: tuple[str, ...] = ()
    priority: float = 0.0


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


def run_graph(
    executor: Executor,
    tasks: Mapping[str, Task],
    *,
    on_done: Callable[[str, Any], None] | None = None,
    max_running: int | None = None,
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
    while waiting or running:
        ready = [n for n, t in waiting.items() if all(d in results for d in t.deps)]
        ready.sort(key=lambda n: (-waiting[n].priority, order[n]))
        if max_running is not None:
            ready = ready[: max(0, max_running - len(running))]
        for name in ready:
            task = waiting.pop(name)
            running[executor.submit(task.fn, *task.args)] = name
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
            if on_done is not None:
                on_done(name, results[name])
    return {name: results[name] for name in tasks}
