"""The roster on executors that run tasks in other processes or machines (``processes:N``,
``dask:...``): tasks read their inputs by path and return compact results.

The caller writes the shared preprocessed inputs once to the run's work directory
(``shared_inputs.npz``). Then, as one task graph (``roster_graph``, ``parallel.run_graph``):

- ``score:NAME`` for each scorer no other scorer borrows from: its prescoring and final
  scoring in one task, so nothing of it but its result leaves the worker;
- ``prescore:NAME`` for a lender (a scorer whose prescoring a Gaussian scorer borrows, or
  an MF scorer shares: ``sharing``):
  writes its prescoring to ``prescored/NAME.pkl`` (its view of the shared inputs as
  references, so the file holds only what the scorer computed); then ``final:NAME`` for the
  lender itself and for each borrower, which read that file.

Every task loads the shared inputs once per worker process and returns a compact result:
the run with its shared arrays (and a borrowed prescoring) written as references by name.
Non-Core runs have dropped their per-rating arrays (``without_ratings``); Core's run keeps
them (the Core-path result reads them), as in the serial path. The caller resolves the
references against its own shared inputs and the lenders' results, so the result has the
same structure, and the same bits, as the serial path's. Each task's kernels run on one
thread (``limit_kernel_threads(1)``).

Memory: on this machine (``processes:N``, ``dask:local:N``) a task starts only when its
estimated working memory (``schedule.TaskMemory``) fits beside the running ones within the
budget, less the workers' copies of the shared inputs, and never more tasks than workers
at once, so a free worker takes the longest ready task (as in process). On a running Dask
cluster each task asks for its estimate of the workers' ``MEMORY`` resource instead
(``dask_executor``), since this machine's memory says nothing about theirs.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Executor

from bridgewatch.parallel import Task, on_this_host, run_graph, task_slots
from bridgewatch.parallel.artifacts import (
    WorkDir,
    cached_tree,
    dumps_with_refs,
    loads_with_refs,
    object_paths,
    save_tree,
    tree_nbytes,
    work_directory,
)
from bridgewatch.scoring._threads import limit_kernel_threads
from bridgewatch.scoring.defences import SharedScreening
from bridgewatch.scoring.scorers import run as roster_run
from bridgewatch.scoring.scorers.run import (
    GaussianFitterFactory,
    Prescored,
    RosterResult,
    ScorerRun,
)
from bridgewatch.scoring.scorers.schedule import (
    RosterProgress,
    TaskMemory,
    default_memory_budget,
    prescore_and_score,
    prescoring_sources,
    roster_costs,
    roster_graph,
    task_priorities,
)
from bridgewatch.scoring.scorers.spec import ScorerSpec

__all__ = ["SHARED_FILE", "roster_graph", "run_roster_remote"]

_log = logging.getLogger(__name__)

SHARED_FILE = "shared_inputs.npz"
_SHARED = "shared"


_PRESCORED_DIR = "prescored"


def _prescored_file(name: str) -> str:
    return f"{_PRESCORED_DIR}/{name}.pkl"


def _lender_ref(name: str) -> str:
    return f"prescoring:{name}"


def _shared(root: str) -> tuple[SharedScreening, dict[str, object]]:
    shared: SharedScreening = cached_tree(WorkDir(root).url(SHARED_FILE))
    return shared, object_paths(shared, _SHARED)


def _prescore_task(
    root: str, spec: ScorerSpec, seed: int | None, keep: bool
) -> tuple[bytes | None, float]:
    """Prescore ``spec`` on the shared inputs at ``root``; write it for the final tasks.
    Returns the slim prescoring of a prescoring-only scorer (else None) and the seconds."""
    start = time.perf_counter()
    shared, refs = _shared(root)
    with limit_kernel_threads(1):
        prescored = roster_run._prescore(shared, spec, seed)
    WorkDir(root).write_bytes(_prescored_file(spec.name), dumps_with_refs(prescored, refs))
    slim = dumps_with_refs(roster_run.slim_prescored(prescored), refs) if keep else None
    return slim, time.perf_counter() - start


def _final_task(
    root: str,
    spec: ScorerSpec,
    source: str,
    seed: int | None,
    gaussian_fitter: GaussianFitterFactory | None,
) -> tuple[bytes, float]:
    """Final scoring of ``spec`` from the prescoring of ``source`` (its own or borrowed):
    the run, and the seconds."""
    start = time.perf_counter()
    shared, refs = _shared(root)
    work = WorkDir(root)
    prescored: Prescored = loads_with_refs(work.read_bytes(_prescored_file(source)), refs)
    lender = None if source == spec.name or spec.borrows is not None else source
    with limit_kernel_threads(1):
        run = roster_run._final(spec, shared, {source: prescored}, gaussian_fitter, seed, lender)
    out_refs = dict(refs)
    if source != spec.name and prescored.prescoring is not None:
        out_refs[_lender_ref(source)] = prescored.prescoring
    return dumps_with_refs(run, out_refs), time.perf_counter() - start


def _score_task(
    root: str,
    spec: ScorerSpec,
    seed: int | None,
    gaussian_fitter: GaussianFitterFactory | None,
) -> tuple[bytes, float]:
    """Prescoring and final scoring of ``spec`` (a scorer nobody borrows from): the run, and
    the seconds."""
    start = time.perf_counter()
    shared, refs = _shared(root)
    with limit_kernel_threads(1):
        run = prescore_and_score(shared, spec, seed, gaussian_fitter)
    return dumps_with_refs(run, refs), time.perf_counter() - start


def _host_budget(
    executor: Executor, slots: int | None, memory_budget: float | None, shared_bytes: int
) -> float | None:
    """The tasks' memory budget on this machine, bytes, after each worker's copy of the
    shared inputs (``shared_bytes``, the uncompressed file); None: not gated (one worker,
    a running Dask cluster, or the available memory unknown)."""
    if not on_this_host(executor) or slots is None or slots < 2:
        return None
    budget = default_memory_budget() if memory_budget is None else memory_budget
    if budget is None:
        return None
    return max(0.0, budget - slots * float(shared_bytes))


def run_roster_remote(
    shared: SharedScreening,
    roster: tuple[ScorerSpec, ...],
    *,
    seed: int | None,
    gaussian_fitter: GaussianFitterFactory | None,
    executor: Executor,
    work_dir: str | None = None,
    shares: Mapping[str, str] | None = None,
    outputs_only: bool = False,
    memory_budget: float | None = None,
    memory: TaskMemory | None = None,
) -> RosterResult:
    """``run_roster`` on an executor whose tasks run in other processes (see the module).

    Parameters
    ----------
    shared : the run's shared inputs after the run-wide defence pass (``screen_roster``).
    roster, seed, gaussian_fitter : as ``run_roster``.
    shares : {sharer: lender}, MF scorers that take another's prescoring
        (``sharing.shared_prescorings``); their final tasks read the lender's file.
    executor : a process pool or a Dask cluster.
    work_dir : where the run directory goes (a path every worker sees, or an fsspec URL);
        default a local temporary directory (enough for local processes and a local
        cluster). The run directory is removed afterwards.
    outputs_only : each run keeps only what the output files read (``run.for_outputs``)
        once loaded here.
    memory_budget : bytes the tasks may use at once on this machine (``processes:N``,
        ``dask:local:N``), the workers' copies of the shared inputs included; None: 85% of
        the memory available when the roster starts. Not read for a running Dask cluster.
    memory : the per-rating memory model of the tasks; default ``TaskMemory()``.

    Raises
    ------
    parallel.TaskFailed : a scorer's task raised (``score:NAME``, ``prescore:NAME`` or
        ``final:NAME``).
    """
    roster_run._check(roster)
    started = time.perf_counter()
    by_name = {s.name: s for s in roster}
    graph = roster_graph(roster, shares)
    sources = prescoring_sources(roster, shares)
    with work_directory(work_dir) as work:
        work.make_dir(_PRESCORED_DIR)
        size = save_tree(shared, work.url(SHARED_FILE))
        _log.info(
            "shared inputs: %.1f MiB written to %s in %.2f s",
            size / 2**20,
            work.root,
            time.perf_counter() - started,
        )
        costs = roster_costs(shared.inputs, roster)
        priorities = task_priorities(graph, costs)
        model = TaskMemory() if memory is None else memory
        slots = task_slots(executor)
        budget = _host_budget(executor, slots, memory_budget, size)
        tasks: dict[str, Task] = {}
        for name, deps in graph.items():
            kind, _, scorer = name.partition(":")
            spec = by_name[scorer]
            # A lender's prescoring goes to the work directory, not memory: nothing held.
            working, _ = model.of_task(kind, costs[scorer])
            if kind == "prescore":  # lenders first: their borrowers wait on them
                args: tuple[object, ...] = (work.root, spec, seed, not spec.final)
                fn: Callable[..., object] = _prescore_task
            elif kind == "final":
                args = (work.root, spec, sources[scorer], seed, gaussian_fitter)
                fn = _final_task
            else:
                args = (work.root, spec, seed, gaussian_fitter)
                fn = _score_task
            tasks[name] = Task(fn, args, deps, priorities[name], working)
        if budget is not None:
            _log.info(
                "roster: memory budget %.0f MiB beside %d workers' shared inputs; largest "
                "task estimates %s",
                budget / 2**20,
                slots,
                ", ".join(
                    f"{n} {t.memory / 2**20:.0f} MiB"
                    for n, t in sorted(tasks.items(), key=lambda kv: -kv[1].memory)[:4]
                ),
            )
        # The finished tasks' results (compact pickles) stay here until the roster ends.
        results = run_graph(
            executor,
            tasks,
            on_done=RosterProgress(len(tasks), _log),
            max_running=slots,
            memory_budget=budget,
            retained=lambda _, result: float(tree_nbytes(result)),
        )
    seconds = {name: float(result[1]) for name, result in results.items()}
    payloads = {name: result[0] for name, result in results.items()}
    refs = object_paths(shared, _SHARED)
    runs: dict[str, ScorerRun] = {}
    # Lenders before borrowers: a borrower's result refers to its lender's prescoring.
    for spec in roster:
        data = payloads.get(f"prescore:{spec.name}")
        if data is not None:  # a prescoring-only lender
            runs[spec.name] = roster_run.prescoring_run(loads_with_refs(data, refs))
        data = payloads.get(f"score:{spec.name}")
        if data is not None:
            runs[spec.name] = loads_with_refs(data, refs)
        if sources[spec.name] == spec.name and f"final:{spec.name}" in payloads:
            runs[spec.name] = loads_with_refs(payloads[f"final:{spec.name}"], refs)
        if outputs_only and spec.name in runs:
            runs[spec.name] = roster_run.for_outputs(runs[spec.name])
        if spec.name in runs and runs[spec.name].prescoring is not None:
            refs[_lender_ref(spec.name)] = runs[spec.name].prescoring
    for spec in roster:
        if sources[spec.name] != spec.name:
            runs[spec.name] = loads_with_refs(payloads[f"final:{spec.name}"], refs)
            if outputs_only:
                runs[spec.name] = roster_run.for_outputs(runs[spec.name])
    ordered = {spec.name: runs[spec.name] for spec in roster}
    _log.info(
        "roster: %d tasks on %s in %.2f s (%.2f s inside the tasks)",
        len(tasks),
        type(executor).__name__,
        time.perf_counter() - started,
        sum(seconds.values()),
    )
    return RosterResult(ordered, seconds, shares=dict(shares or {}))
