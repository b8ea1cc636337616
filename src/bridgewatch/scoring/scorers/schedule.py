"""The roster as one task graph, longest tasks first (scoring-multimodel.md §11.3).

A scorer's final fits need only its own prescoring (or the one it borrows), so the two
phases need no barrier between them. The roster becomes one graph of tasks
(``roster_graph``):

- ``score:NAME`` for each scorer no other scorer borrows from: its prescoring, then its
  final scoring, in one task;
- ``prescore:NAME`` for a lender (a scorer whose prescoring a Gaussian scorer borrows, or
  that MF scorers with the same view and prescoring configuration share: ``sharing``),
  then ``final:NAME`` for the lender itself and for each borrower.

The graph runs on any executor (``parallel.run_graph``): in this process here
(``run_roster_in_process``: serial or threads, the tasks share the caller's objects), in
other processes in ``scorers.remote``. Tasks are submitted longest first (``roster_costs``)
and, in process, never more at once than the executor has workers, so a free worker always
takes the longest ready task: with list scheduling the run then ends close to its critical
path instead of waiting on one long scorer that happened to come last in roster order.
Each scorer's screened view of the ratings dies with its task (``run.without_ratings``),
not at the end of the roster, so only the scorers in flight hold per-rating arrays.

Memory (``TaskMemory``): each task carries an estimate of its working memory, from the
ratings in its scorer's view, and a lender's prescoring the memory it holds until its last
borrower is done; under a parallel executor a task starts only when its estimate fits
beside the tasks running within the budget (by default 85% of the memory available when
the roster starts: ``default_memory_budget``). At Community Notes' scale two broad
prescorings do not fit in 24 GiB at once; smaller scorers still run beside a large one. A
task that starts alone (nothing else fits beside it) runs its kernels on every core.

The order changes the time, never the output: every scorer re-seeds from the run seed and
reads only the shared inputs and the prescoring it borrows.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Executor
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from bridgewatch.parallel import SerialExecutor, Task, run_graph, task_slots
from bridgewatch.parallel.artifacts import array_ids, tree_nbytes
from bridgewatch.scoring.defences import SharedScreening
from bridgewatch.scoring.inputs import CoreInputs
from bridgewatch.scoring.preprocess import raters_in_scope
from bridgewatch.scoring.scorers import run as roster_run
from bridgewatch.scoring.scorers.run import (
    GaussianFitterFactory,
    Prescored,
    RosterResult,
    ScorerRun,
)
from bridgewatch.scoring.scorers.spec import ScorerSpec

__all__ = [
    "Retained",
    "RosterProgress",
    "TaskMemory",
    "available_memory",
    "default_memory_budget",
    "prescore_and_score",
    "roster_costs",
    "roster_graph",
    "run_roster_in_process",
    "task_priorities",
]

_log = logging.getLogger(__name__)


def prescoring_sources(
    roster: tuple[ScorerSpec, ...], shares: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Whose prescoring each scorer's final scoring reads, by name: the one it borrows
    (Gaussian), the one it shares (``sharing.shared_prescorings``), or its own."""
    shares = {} if shares is None else shares
    return {
        s.name: s.borrows if s.borrows is not None else shares.get(s.name, s.name) for s in roster
    }


def roster_graph(
    roster: tuple[ScorerSpec, ...], shares: Mapping[str, str] | None = None
) -> dict[str, tuple[str, ...]]:
    """The tasks of ``roster`` and their dependencies, by task name (see the module);
    ``shares``: MF scorers that take another's prescoring (``sharing``), which lends it."""
    sources = prescoring_sources(roster, shares)
    lenders = {source for name, source in sources.items() if source != name}
    graph: dict[str, tuple[str, ...]] = {}
    for spec in roster:
        source = sources[spec.name]
        if source != spec.name:
            if spec.final:
                graph[f"final:{spec.name}"] = (f"prescore:{source}",)
        elif spec.name in lenders:
            graph[f"prescore:{spec.name}"] = ()
            if spec.final:
                graph[f"final:{spec.name}"] = (f"prescore:{spec.name}",)
        else:
            graph[f"score:{spec.name}"] = ()
    return graph


def roster_costs(shared: CoreInputs, roster: tuple[ScorerSpec, ...]) -> dict[str, float]:
    """Rough cost of each scorer: the post-PSS ratings of its raters in scope, times the
    share of all ratings on its notes (topic filters), by name.

    Only the order of the tasks reads it, so it stays cheap (two counting passes over the
    ratings for the whole roster, then per scorer a pass over raters and notes): it leaves
    out the capture and strict-inclusion filters that ``scorer_inputs`` applies.
    """
    post = shared.post_pss
    per_rater = np.bincount(post.rater_idx, minlength=shared.n_participants)
    per_note = np.bincount(post.note_idx, minlength=shared.n_notes)
    total = max(int(per_note.sum()), 1)
    topic = shared.note_topic
    costs: dict[str, float] = {}
    for spec in roster:
        in_scope = raters_in_scope(shared.modeling_group, shared.enrolled, spec.config.scope)
        raters = float(per_rater[in_scope].sum())
        if spec.topic is not None:
            notes = int(per_note[topic == spec.topic].sum())
        elif spec.exclude_topics:
            notes = int(per_note[topic < 0].sum())
        else:
            notes = total
        costs[spec.name] = raters * notes / total
    return costs


@dataclass(frozen=True)
class TaskMemory:
    """Working memory of the roster's tasks per rating of the scorer's view, bytes.

    Measured on the Core path at 150M ratings (``benchmarks/results/session12/``, commit
    5613f83): after preprocessing 8,826 MiB, the prescoring of 92.3M view ratings peaked at
    16,242 MiB (~84 B each) and left 10,384 MiB (Core's view, held for its final fits and
    the Gaussian scorers that borrow it: ~18 B each); the final fits peak well below the
    prescoring. The estimate only orders and gates the tasks: it never changes a result.

    Attributes
    ----------
    prescoring : a prescoring (``prescore:`` and ``score:`` tasks), bytes per view rating.
    final : final scoring alone (``final:`` tasks, on a borrowed or held prescoring).
    held : a lender's view kept from its prescoring until its last borrower is done.
    floor : the least any task uses while it runs (its tables and state), bytes: a scorer
        whose view is empty still takes a worker and some memory.
    """

    prescoring: float = 90.0
    final: float = 45.0
    held: float = 20.0
    floor: float = float(2**20)

    def of_task(self, kind: str, view_ratings: float) -> tuple[float, float]:
        """(memory while running, memory held after) of a task of ``kind`` ("prescore",
        "final", "score") on a view of ``view_ratings`` ratings, bytes."""
        if kind == "final":
            return max(self.floor, self.final * view_ratings), 0.0
        held = self.held * view_ratings if kind == "prescore" else 0.0
        return max(self.floor, self.prescoring * view_ratings), held


_MEMINFO = Path("/proc/meminfo")
_CGROUP = Path("/sys/fs/cgroup")


def available_memory(meminfo: Path = _MEMINFO, cgroup: Path = _CGROUP) -> float | None:
    """Memory available to new allocations now, bytes: ``MemAvailable`` of
    ``/proc/meminfo``, or less where the cgroup v2 mounted at ``/sys/fs/cgroup`` (a
    container's own, under a cgroup namespace) leaves less (``memory.max`` minus
    ``memory.current``); None where neither says."""
    host: float | None = None
    try:
        for line in meminfo.read_text().splitlines():
            if line.startswith("MemAvailable:"):
                host = float(line.split()[1]) * 1024.0
                break
    except (OSError, IndexError, ValueError):
        host = None
    try:
        limit = (cgroup / "memory.max").read_text().strip()
        used = float((cgroup / "memory.current").read_text().strip())
        room = None if limit == "max" else max(0.0, float(limit) - used)
    except (OSError, ValueError):
        room = None
    if host is None or room is None:
        return host if room is None else room
    return min(host, room)


def default_memory_budget(share: float = 0.85) -> float | None:
    """The roster's memory budget when none is given: ``share`` of the memory available
    now (the shared inputs already loaded), bytes; None (no limit) where unknown."""
    available = available_memory()
    return None if available is None else share * available


class Retained:
    """What the caller keeps of each finished task's result, bytes (``run_graph``'s
    ``retained``): the arrays of the finished scorer's output state, those of the run's
    shared inputs not counted (``parallel.artifacts.tree_nbytes``). At Community Notes'
    scale the finished scorers keep several GiB by the end of the roster (~40-100 B per
    note and participant each), which the budget must leave room for."""

    def __init__(self, shared: object) -> None:
        self._shared = array_ids(shared)
        self.total = 0.0

    def __call__(self, name: str, result: object) -> float:
        size = float(tree_nbytes(result, self._shared))
        self.total += size
        return size


class RosterProgress:
    """Logs each finished task of a roster graph with the count done and the time since
    the start: a long run (hours at Community Notes' scale) shows how far it is."""

    def __init__(self, total: int, log: logging.Logger = _log) -> None:
        self._total = total
        self._done = 0
        self._log = log
        self._started = time.perf_counter()

    def __call__(self, name: str, result: object = None) -> None:
        self._done += 1
        self._log.info(
            "roster: %d of %d tasks done after %.0f s (%s)",
            self._done,
            self._total,
            time.perf_counter() - self._started,
            name,
        )


def task_priorities(graph: dict[str, tuple[str, ...]], costs: dict[str, float]) -> dict[str, float]:
    """Priority of each task of ``graph``: its scorer's cost; a lender's prescoring above
    every other task (its borrowers wait on it)."""
    head = max(costs.values(), default=0.0)
    priorities: dict[str, float] = {}
    for name in graph:
        kind, _, scorer = name.partition(":")
        priorities[name] = costs[scorer] + (head if kind == "prescore" else 0.0)
    return priorities


def prescore_and_score(
    shared: SharedScreening,
    spec: ScorerSpec,
    seed: int | None,
    gaussian_fitter: GaussianFitterFactory | None,
) -> ScorerRun:
    """Prescoring and final scoring of a scorer nobody borrows from (a ``score:NAME``
    task); a prescoring-only scorer's run keeps no per-rating arrays."""
    prescored = roster_run._prescore(shared, spec, seed)
    if not spec.final:
        return roster_run.prescoring_run(roster_run.slim_prescored(prescored))
    return roster_run._final(spec, shared, {spec.name: prescored}, gaussian_fitter, seed)


def _lend(lent: dict[str, Prescored], fn: Callable[[], Prescored]) -> None:
    """Run a lender's prescoring ``fn`` and put it in ``lent`` under its scorer's name."""
    prescored = fn()
    lent[prescored.spec.name] = prescored


def _without_ratings(fn: Callable[[], object]) -> object:
    """``fn()``, a run, without its per-rating arrays (``run.without_ratings``)."""
    run = fn()
    return roster_run.without_ratings(run) if isinstance(run, ScorerRun) else run


def _for_outputs(fn: Callable[[], object]) -> object:
    """``fn()``, a run, with only what the output files read (``run.for_outputs``)."""
    run = fn()
    return roster_run.for_outputs(run) if isinstance(run, ScorerRun) else run


def _limited_unless_alone(
    kernel_limit: Callable[[str], int | None], name: str, fn: Callable[[], Any]
) -> Any:
    """``fn()`` with its kernels' threads limited as ``kernel_limit(name)`` says when it
    starts (no limit for a task that started alone)."""
    return roster_run._limited(kernel_limit(name), fn)


def _thread_cpu(fn: Callable[[], Any]) -> tuple[Any, float]:
    """``fn()`` and the CPU seconds its thread spent on it."""
    start = time.thread_time()
    result = fn()
    return result, time.thread_time() - start


def run_roster_in_process(
    shared: SharedScreening,
    roster: tuple[ScorerSpec, ...],
    *,
    seed: int | None,
    gaussian_fitter: GaussianFitterFactory | None,
    executor: Executor | None,
    shares: Mapping[str, str] | None = None,
    outputs_only: bool = False,
    keep_core_ratings: bool = True,
    memory_budget: float | None = None,
    memory: TaskMemory | None = None,
) -> RosterResult:
    """``run_roster`` on an executor that runs its tasks in this process (serial, threads),
    as one graph (see the module); same result, bit for bit, as the two phases of
    ``prescore_roster`` and ``final_roster``.

    Parameters
    ----------
    shared : the run's shared inputs after the run-wide defence pass (``screen_roster``).
    roster, seed, gaussian_fitter : as ``run_roster``.
    executor : None (serial), ``SerialExecutor`` or a thread pool.
    shares : {sharer: lender}, MF scorers that take another's prescoring
        (``sharing.shared_prescorings``); default none.
    outputs_only : each finished run keeps only what the output files read
        (``run.for_outputs``), so finished scorers do not add up in memory.
    keep_core_ratings : False drops Core's per-rating arrays too (``run.without_ratings``)
        as its task ends, instead of holding them for the rest of the roster.
    memory_budget : bytes the tasks may use at once under a parallel executor (see the
        module); None: ``default_memory_budget()``. Serially one task runs at a time anyway.
    memory : the per-rating memory model of the tasks; default ``TaskMemory()``.

    A lender's prescoring (its screened view of the ratings included) is held until its
    last borrower's final scoring is done, then only what the outputs read of it
    (``run.slim_prescored``).
    """
    shares = {} if shares is None else dict(shares)
    roster_run._check(roster)
    ex = SerialExecutor() if executor is None else executor
    limit = roster_run.kernel_thread_limit(executor)
    by_name = {s.name: s for s in roster}
    graph = roster_graph(roster, shares)
    costs = roster_costs(shared.inputs, roster)
    priorities = task_priorities(graph, costs)
    model = TaskMemory() if memory is None else memory
    slots = task_slots(executor)
    budget = memory_budget
    if budget is None and slots != 1:
        budget = default_memory_budget()
    # Tasks that start with nothing beside them run their kernels on every core.
    alone: dict[str, bool] = {}
    alone_lock = threading.Lock()

    def on_submit(name: str, n_running: int) -> None:
        with alone_lock:
            alone[name] = n_running == 1

    def kernel_limit(name: str) -> int | None:
        with alone_lock:
            return None if alone.get(name) else limit

    lent: dict[str, Prescored] = {}
    tasks: dict[str, Task] = {}
    for name, deps in graph.items():
        kind, _, scorer = name.partition(":")
        spec = by_name[scorer]
        fn: Callable[..., Any]
        if kind == "prescore":
            # Lent straight into ``lent`` (not the graph's results, which live as long as
            # the run: the view inside would then outlive its borrowers).
            fn = partial(_lend, lent, partial(roster_run._prescore, shared, spec, seed))
        elif kind == "final":
            # ``lent`` is filled (by the lender's task) before the task is submitted.
            lender = shares.get(spec.name)
            fn = partial(roster_run._final, spec, shared, lent, gaussian_fitter, seed, lender)
        else:
            fn = partial(prescore_and_score, shared, spec, seed, gaussian_fitter)
        if outputs_only and kind != "prescore":
            fn = partial(_for_outputs, fn)
        if not keep_core_ratings and kind != "prescore" and scorer == roster_run.CORE_NAME:
            fn = partial(_without_ratings, fn)
        limited = partial(_limited_unless_alone, kernel_limit, name, fn)
        working, holds = model.of_task(kind, costs[scorer])
        tasks[name] = Task(
            partial(_thread_cpu, limited), (), deps, priorities[name], working, holds
        )
    if budget is not None and slots != 1:
        _log.info(
            "roster: memory budget %.0f MiB; largest task estimates %s",
            budget / 2**20,
            ", ".join(
                f"{n} {t.memory / 2**20:.0f} MiB"
                for n, t in sorted(tasks.items(), key=lambda kv: -kv[1].memory)[:4]
            ),
        )

    # Final tasks still to run on each lender's prescoring.
    borrowers: dict[str, int] = {}
    for deps in graph.values():
        for dep in deps:
            borrowers[dep] = borrowers.get(dep, 0) + 1

    progress = RosterProgress(len(tasks))

    def keep(name: str, result: tuple[object, float]) -> None:
        progress(name)
        for dep in graph[name]:
            borrowers[dep] -= 1
            lender = dep.partition(":")[2]
            if borrowers[dep] == 0 and lender in lent:
                # Every borrower is done: its view's per-rating arrays can go.
                lent[lender] = roster_run.slim_prescored(lent[lender])

    retained = Retained(shared)
    started = time.perf_counter()
    timed = run_graph(
        ex,
        tasks,
        on_done=keep,
        max_running=slots,
        memory_budget=budget if slots != 1 else None,
        on_submit=on_submit,
        retained=retained,
    )
    results = {name: result for name, (result, _) in timed.items()}
    runs: dict[str, ScorerRun] = {}
    for spec in roster:
        for kind in ("score", "final"):
            run = results.get(f"{kind}:{spec.name}")
            if isinstance(run, ScorerRun):
                runs[spec.name] = run
        if spec.name not in runs:  # a prescoring-only lender
            runs[spec.name] = roster_run.prescoring_run(roster_run.slim_prescored(lent[spec.name]))
            if outputs_only:
                runs[spec.name] = roster_run.for_outputs(runs[spec.name])
    _log.info(
        "roster: %d tasks on %s in %.2f s; finished tasks keep %.0f MiB", len(tasks),
        type(ex).__name__, time.perf_counter() - started, retained.total / 2**20,
    )  # fmt: skip
    return RosterResult(
        runs, task_cpu_seconds={name: cpu for name, (_, cpu) in timed.items()}, shares=shares
    )
