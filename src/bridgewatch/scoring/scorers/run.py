"""Running a roster of scorers after the shared preprocessing (scoring-multimodel.md §11).

Prescoring runs for every scorer that prescores, then final scoring for every scorer that
scores (the Gaussian scorers read the prescoring of the scorer they borrow from). Scorers
are independent within a phase; they run through one executor seam
(``concurrent.futures.Executor``; serial by default), and each scorer draws its random
numbers from its own seed, so the output is the same whatever the executor or the order.
Under a parallel executor each scorer's kernels run in their task's thread
(``_threads.limit_kernel_threads(1)``): the scorers are the parallelism, and kernels
splitting their own work in threads as well would oversubscribe the cores.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Executor
from dataclasses import dataclass, field, fields, is_dataclass, replace
from functools import partial
from typing import Any, TypeVar

import numpy as np
from numpy.typing import NDArray

from bridgewatch.errors import BridgewatchError
from bridgewatch.model import Ratings
from bridgewatch.parallel import SerialExecutor, in_process
from bridgewatch.scoring._threads import limit_kernel_threads
from bridgewatch.scoring.defences import (
    BurstScreening,
    Defences,
    SharedScreening,
    apply_defences,
    apply_reputation_defences,
    restored_raters,
    screen_bursts,
    screen_shared,
    screen_unexplained,
)
from bridgewatch.scoring.final import (
    FinalScoringResult,
    NoteFitter,
    fit_final_notes,
    run_final_scoring,
)
from bridgewatch.scoring.inputs import CoreInputs
from bridgewatch.scoring.prescoring import PrescoringResult, run_prescoring
from bridgewatch.scoring.scorers.push_fit import guarded_note_fitter
from bridgewatch.scoring.scorers.reputation import (
    ReputationPrescoring,
    ReputationRun,
    prescore_reputation,
    score_reputation,
)
from bridgewatch.scoring.scorers.scope import scope_masks, scorer_inputs
from bridgewatch.scoring.scorers.seeds import scorer_entropy
from bridgewatch.scoring.scorers.sharing import shared_prescorings
from bridgewatch.scoring.scorers.spec import CORE_NAME, ScorerKind, ScorerSpec
from bridgewatch.scoring.stages import current_rss_mib
from bridgewatch.scoring.trace_store import rule_arrays, rule_arrays_file

__all__ = [
    "CORE_NAME",
    "Prescored",
    "RosterResult",
    "ScorerRun",
    "SerialExecutor",
    "final_roster",
    "for_outputs",
    "kernel_thread_limit",
    "prescore_roster",
    "prescoring_run",
    "run_roster",
    "scorer_seed",
    "screen_roster",
    "slim_prescored",
    "without_rating_arrays",
    "without_ratings",
    "without_scoped",
]

_log = logging.getLogger(__name__)
_R = TypeVar("_R")


def kernel_thread_limit(executor: Executor | None) -> int | None:
    """Threads each scorer's kernels may use under ``executor``: no limit when the scorers
    run one after the other (None or ``SerialExecutor``), one when they run in parallel."""
    return None if executor is None or isinstance(executor, SerialExecutor) else 1


def _limited(limit: int | None, fn: Callable[..., _R], *args: object, **kwargs: object) -> _R:
    """``fn(*args, **kwargs)`` with its kernels' threads limited to ``limit`` (None: as the
    caller's context has it)."""
    if limit is None:
        return fn(*args, **kwargs)
    with limit_kernel_threads(limit):
        return fn(*args, **kwargs)


def _start_seed(spec: ScorerSpec, seed: int | None) -> int | None:
    """The run seed itself for scorers whose fits run by Adam (group 14): like the
    reference, which seeds every scorer's models with the same seed, they draw the seeded
    reference's random start (``mf.reference_start``). None otherwise, or without a seed."""
    if spec.config.mf.adam is None or seed is None or not 0 <= seed < 2**32:
        return None
    return seed


def scorer_seed(seed: int | None, name: str) -> np.random.Generator:
    """The random generator of one scorer's prescoring (``scorer_entropy``)."""
    return np.random.default_rng(scorer_entropy(seed, name))


def _rating_keys(ratings: Ratings, n_notes: int) -> NDArray[np.int64]:
    return ratings.rater_idx.astype(np.int64) * max(n_notes, 1) + ratings.note_idx.astype(np.int64)


def removed_keys(
    shared: SharedScreening, spec: ScorerSpec, kept: CoreInputs
) -> NDArray[np.int64] | None:
    """``ScorerRun.removed``: the keys of the ratings of ``spec``'s view of
    ``shared.inputs`` that are not in ``kept.scoped`` (the inputs of its final fits or of its
    prescoring), sorted; None unless ``shared.audit``.

    Returns
    -------
    int64 array of shape (n_removed,), keys ``rater_idx * n_notes + note_idx``.
    """
    if not shared.audit:
        return None
    n_notes = shared.inputs.n_notes
    view = _rating_keys(scorer_inputs(shared.inputs, spec).scoped, n_notes)
    gone = view[~np.isin(view, _rating_keys(kept.scoped, n_notes))]
    return np.unique(gone)


@dataclass(frozen=True)
class ScorerRun:
    """One scorer's results; note arrays follow the shared note index.

    Attributes
    ----------
    spec : the scorer.
    inputs : its view of the shared inputs (``scoped``, ``captured``), after the defences'
        screening.
    prescoring : its own prescoring (MF) or the borrowed one (Gaussian); None when it had
        no data, and for the Reputation scorer (its phases are in ``reputation``).
    final : final scoring and its rules; None for prescoring-only scorers, the Reputation
        scorer and scorers without data (they emit no rows).
    seconds : wall time of this scorer's own work (prescoring and final scoring).
    skipped : why it produced nothing (no scoped ratings, none left after the 5/10
        filter, an error it survived), None when it ran.
    screening, defences : what the manipulation defences did before prescoring and before
        the final fits (None when they did not run).
    reputation : the Reputation scorer's two phases (None for every other scorer, and when
        it had no data).
    rule_file : its ``scorer_rules`` file (its rule figures on its own rows,
        ``trace_store.rule_arrays_file``), when ``for_outputs`` emptied ``final.rules``
        (None otherwise).
    removed : sorted int64 keys ``rater_idx * n_notes + note_idx`` of the ratings of its
        view of the screened shared inputs (``scorer_inputs(SharedScreening.inputs)``,
        after the run-wide co-rating pass, whose flags are the screening's ``co_rating``)
        that its own defences took out of its final fits (of its prescoring for a
        prescoring-only scorer), when the run audits them (``SharedScreening.audit``);
        None otherwise. Kept when ``without_ratings`` drops the ratings themselves.
    restored : bool array of shape (n_participants,), raters whose establishment the
        run-wide pass revoked (``SharedScreening.revoked``) and this scorer's tests gave
        back once done (``defences.restored_raters``: their group acquitted, never
        convicted; ``inputs.established`` stays what the tests saw); None: none.
    """

    spec: ScorerSpec
    inputs: CoreInputs
    prescoring: PrescoringResult | None
    final: FinalScoringResult | None
    seconds: float
    skipped: str | None = None
    screening: BurstScreening | None = None
    defences: Defences | None = None
    reputation: ReputationRun | None = None
    rule_file: bytes | None = None
    removed: NDArray[np.int64] | None = None
    restored: NDArray[np.bool_] | None = None


@dataclass(frozen=True)
class RosterResult:
    """Every scorer's run, by name, in roster order; ``task_seconds``: wall seconds inside
    each task (``score:NAME``, ``prescore:NAME``, ``final:NAME``) of an out-of-process run
    (loading the inputs included), empty in process; ``task_cpu_seconds``: CPU seconds of
    each task's thread in process (the task's whole CPU under a thread pool, where its
    kernels run on that one thread; a lower bound serially), empty out of process;
    ``shares``: {scorer: the scorer whose prescoring it shared} (``sharing``)."""

    runs: dict[str, ScorerRun]
    task_seconds: dict[str, float] = field(default_factory=dict)
    task_cpu_seconds: dict[str, float] = field(default_factory=dict)
    shares: dict[str, str] = field(default_factory=dict)

    def __getitem__(self, name: str) -> ScorerRun:
        return self.runs[name]

    def get(self, name: str) -> ScorerRun | None:
        """The run of ``name``, or None when it is not in the roster."""
        return self.runs.get(name)

    def final_runs(self) -> Iterator[ScorerRun]:
        """Runs with final results, in roster order."""
        return (r for r in self.runs.values() if r.final is not None)

    def reputation_runs(self) -> Iterator[ScorerRun]:
        """Runs of Reputation scorers with results, in roster order."""
        return (r for r in self.runs.values() if r.reputation is not None)


@dataclass(frozen=True)
class Prescored:
    """One scorer's prescoring phase: its screened view and prescoring (None: no data);
    the Reputation scorer's is ``reputation`` (``prescoring`` stays None). ``removed``: what
    its screening took out of its view (``ScorerRun.removed``; None unless audited)."""

    spec: ScorerSpec
    inputs: CoreInputs
    prescoring: PrescoringResult | None
    seconds: float
    skipped: str | None
    screening: BurstScreening | None = None
    reputation: ReputationPrescoring | None = None
    removed: NDArray[np.int64] | None = None


def _prescore_reputation(shared: SharedScreening, spec: ScorerSpec, seed: int | None) -> Prescored:
    """The Reputation scorer's prescoring on its screened view; no data -> skipped."""
    start = time.perf_counter()
    view = scorer_inputs(shared.inputs, spec)
    if view.scoped.n_ratings == 0:
        return Prescored(spec, view, None, time.perf_counter() - start, "no ratings in scope")
    screening = screen_bursts(view, spec.config, shared.co_rating, memo=shared.memo)
    pre = prescore_reputation(screening.inputs, spec, scorer_seed(seed, spec.name))
    seconds = time.perf_counter() - start
    if pre is None:
        reason = "no ratings left after the training filter"
        _log.info("%s: %s", spec.name, reason)
        return Prescored(spec, screening.inputs, None, seconds, reason, screening)
    _log.info("%s: prescoring on %d ratings, %.2f s", spec.name, pre.state.n_ratings, seconds)
    removed = removed_keys(shared, spec, screening.inputs)
    return Prescored(spec, screening.inputs, None, seconds, None, screening, pre, removed)


def _final_reputation(spec: ScorerSpec, source: Prescored, shared: SharedScreening) -> ScorerRun:
    """The Reputation scorer's final scoring from its own prescoring."""
    if source.reputation is None:
        return ScorerRun(
            spec, source.inputs, None, None, source.seconds, source.skipped, source.screening
        )
    start = time.perf_counter()
    # The post-prescoring defences every other scorer gets (side-aware bursts, unexplained
    # ratings) under the Reputation scorer's own model.
    defences = apply_reputation_defences(source.inputs, source.reputation.state, spec.config)
    run = score_reputation(defences.inputs, source.reputation, spec)
    seconds = time.perf_counter() - start
    _log.info("%s: final scoring, %.2f s", spec.name, seconds)
    return ScorerRun(
        spec,
        source.inputs,
        None,
        None,
        source.seconds + seconds,
        None,
        source.screening,
        defences,
        reputation=run,
        removed=removed_keys(shared, spec, defences.inputs),
        restored=_restored(shared, source.inputs, spec, source.screening, defences),
    )


def _prescore(shared: SharedScreening, spec: ScorerSpec, seed: int | None) -> Prescored:
    """One scorer's prescoring on its own view; no data -> skipped (never an abort).

    Core always runs (its prescoring of no ratings is all-NaN, every note NMR), as the
    Core-only path always has.
    """
    if spec.kind is ScorerKind.REPUTATION:
        return _prescore_reputation(shared, spec, seed)
    start = time.perf_counter()
    cpu_start = time.thread_time()
    core = spec.name == CORE_NAME
    view = scorer_inputs(shared.inputs, spec)
    if view.scoped.n_ratings == 0 and not core:
        return Prescored(spec, view, None, time.perf_counter() - start, "no ratings in scope")
    screening = screen_bursts(view, spec.config, shared.co_rating, memo=shared.memo)
    try:
        pre = run_prescoring(
            screening.inputs,
            spec.config,
            scorer_seed(seed, spec.name),
            start_seed=_start_seed(spec, seed),
        )
        # Unexplained ratings bend prescoring too: when the test flags more than a handful
        # (UnexplainedConfig.rerun_min_share), prescoring runs again without them.
        screening, rerun = screen_unexplained(screening, pre, spec.config, memo=shared.memo)
        if rerun:
            pre = run_prescoring(
                screening.inputs,
                spec.config,
                scorer_seed(seed, spec.name),
                start_seed=_start_seed(spec, seed),
            )
    except BridgewatchError as exc:
        if core:
            raise
        _log.warning("%s: prescoring failed, the scorer reports nothing: %s", spec.name, exc)
        return Prescored(spec, view, None, time.perf_counter() - start, str(exc))
    seconds = time.perf_counter() - start
    if not pre.training.any() and not core:
        reason = "no ratings left after the training filter"
        _log.info("%s: %s", spec.name, reason)
        return Prescored(spec, view, None, seconds, reason)
    _log.info(
        "%s: prescoring on %d ratings, %.2f s (thread CPU %.2f s), RSS %.0f MiB",
        spec.name,
        view.scoped.n_ratings,
        seconds,
        time.thread_time() - cpu_start,
        current_rss_mib(),
    )
    removed = removed_keys(shared, spec, screening.inputs)
    return Prescored(spec, screening.inputs, pre, seconds, None, screening, removed=removed)


def _final(
    spec: ScorerSpec,
    shared: SharedScreening,
    prescored: dict[str, Prescored],
    gaussian_fitter: GaussianFitterFactory | None,
    seed: int | None,
    lender: str | None = None,
) -> ScorerRun:
    """One scorer's final scoring (its own prescoring, or the borrowed one).

    ``lender``: an MF scorer whose prescoring ``spec`` shares (``sharing``; same view of the
    ratings, same prescoring configuration); ``spec`` then keeps its own captured notes.
    """
    start = time.perf_counter()
    cpu_start = time.thread_time()
    if lender is not None:
        return _final_shared(spec, shared, prescored[lender], gaussian_fitter, seed)
    source = prescored[spec.borrows if spec.borrows is not None else spec.name]
    if spec.kind is ScorerKind.REPUTATION:
        return _final_reputation(spec, source, shared)
    pre = source.prescoring
    if spec.kind is ScorerKind.MF:
        view, screening, own = source.inputs, source.screening, source.seconds
    else:
        view, screening, own = scorer_inputs(shared.inputs, spec), None, 0.0
    if pre is None:
        return ScorerRun(spec, view, None, None, own, source.skipped)
    fitter: NoteFitter | None = None
    if spec.config.mf.normalized_loss is not None:  # its final fits start at random
        fitter = partial(
            fit_final_notes,
            seed=scorer_entropy(seed, spec.name),
            start_seed=_start_seed(spec, seed),
        )
    if spec.kind is ScorerKind.MF and spec.config.push_guard is not None:
        push = view.push_windows
        if push is not None and push.n_cells:
            # Group 14's normalized fit moves raters: its refit runs on every rating.
            local = spec.config.mf.normalized_loss is None
            base = fit_final_notes if fitter is None else fitter
            fitter = guarded_note_fitter(base, push, local=local)
    if spec.kind is ScorerKind.GAUSSIAN:
        if view.scoped.n_ratings == 0:
            return ScorerRun(spec, view, pre, None, 0.0, "no ratings in scope")
        if gaussian_fitter is None:
            raise BridgewatchError(f"{spec.name} needs a Gaussian note fit")
        screening = screen_bursts(view, spec.config, shared.co_rating, memo=shared.memo)
        view = screening.inputs
        fitter = gaussian_fitter(spec, source.inputs)
    clear = None
    if (
        screening is not None
        and screening.unexplained_clear is not None
        and spec.config.unexplained == source.spec.config.unexplained
    ):
        clear = screening.unexplained_clear  # the same test on this view and prescoring
    defences = apply_defences(view, pre, spec.config, clear=clear, memo=shared.memo)
    final = run_final_scoring(
        defences.inputs, pre, spec.config, defences.rating_weights, fit_notes=fitter
    )
    seconds = time.perf_counter() - start
    removed = removed_keys(shared, spec, defences.inputs)
    run = ScorerRun(
        spec,
        view,
        pre,
        final,
        own + seconds,
        None,
        screening,
        defences,
        removed=removed,
        restored=_restored(shared, view, spec, screening, defences),
    )
    if spec.name != CORE_NAME:
        run = without_ratings(run)
    _log.info(
        "%s: final scoring, %.2f s (thread CPU %.2f s), RSS %.0f MiB",
        spec.name,
        seconds,
        time.thread_time() - cpu_start,
        current_rss_mib(),
    )
    return run


def _restored(
    shared: SharedScreening,
    view: CoreInputs,
    spec: ScorerSpec,
    screening: BurstScreening | None,
    defences: Defences,
) -> NDArray[np.bool_] | None:
    """``ScorerRun.restored``: the revoked raters whose groups the scorer's tests (before
    prescoring and before the final fits) acquitted and none convicted, but for raters
    its other defences flagged (bursts, trust)."""
    first = None
    flagged = np.zeros(view.n_participants, dtype=np.bool_)
    if screening is not None:
        first = screening.unexplained or screening.unexplained_clear
        if screening.bursts is not None:
            flagged |= screening.bursts.coordinated[: view.n_participants]
    if defences.bursts is not None:
        flagged |= defences.bursts.coordinated[: view.n_participants]
    if defences.trust is not None:
        flagged |= ~defences.trust.trusted[: view.n_participants]
    return restored_raters(
        shared.revoked,
        view.revoked_groups,
        (first, defences.unexplained),
        spec.config.unexplained,
        None if shared.thin_pools is None else shared.thin_pools.revoked,
        flagged,
    )


def _final_shared(
    spec: ScorerSpec,
    shared: SharedScreening,
    source: Prescored,
    gaussian_fitter: GaussianFitterFactory | None,
    seed: int | None,
) -> ScorerRun:
    """``spec``'s final scoring on the prescoring of ``source``, an MF scorer with the same
    view and prescoring configuration (``sharing.shared_prescorings``): what ``spec``'s own
    prescoring phase would have given, without running it again."""
    masks = scope_masks(shared.inputs, spec)
    view = replace(source.inputs, captured=masks.captured)
    own = replace(source, spec=spec, inputs=view, seconds=0.0)
    if source.spec.name == CORE_NAME and source.prescoring is not None:
        # Core prescores even without data; any other scorer stops there (``_prescore``).
        if view.scoped.n_ratings == 0:
            own = replace(own, prescoring=None, skipped="no ratings in scope")
        elif not source.prescoring.training.any():
            reason = "no ratings left after the training filter"
            own = replace(own, prescoring=None, skipped=reason)
    if own.screening is not None:
        own = replace(own, screening=replace(own.screening, inputs=view))
    return _final(spec, shared, {spec.name: own}, gaussian_fitter, seed)


def without_scoped(view: CoreInputs) -> CoreInputs:
    """``view`` without its scoped ratings (zero of them, same indexes and per-note and
    per-participant arrays); its post-PSS and pre-PSS ratings stay."""
    empty = np.zeros(view.scoped.n_ratings, dtype=np.bool_)
    return replace(
        view,
        scoped=view.scoped.subset(empty),
        scoped_correlated=view.scoped_correlated[empty],
        scoped_mask=None,
    )


def without_rating_arrays(view: CoreInputs) -> CoreInputs:
    """``view`` holding no ratings at all: zero pre-PSS, post-PSS and scoped ratings (same
    indexes, per-note and per-participant arrays); for a run whose every per-rating read is
    done (``score`` with ``release_ratings``)."""
    none = without_scoped(view)
    return replace(
        none,
        ratings=view.ratings.subset(np.zeros(view.ratings.n_ratings, dtype=np.bool_)),
        post_pss=view.post_pss.subset(np.zeros(view.post_pss.n_ratings, dtype=np.bool_)),
        correlated=view.correlated[:0],
    )


def without_ratings(run: ScorerRun) -> ScorerRun:
    """``run`` without its per-rating arrays (its view's scoped ratings, the main fit's
    ratings, the defences' views and weights).

    Everything the outputs read of a scorer is per note or per participant; dropping the
    rest as each scorer finishes keeps a roster's final phase from holding a copy of the
    ratings per scorer (at 10M ratings: gigabytes). Core's run keeps them (the Core-path
    result and the incremental pipeline read its fit ratings).
    """
    view = without_scoped(run.inputs)
    final = run.final
    if final is not None:
        kept = np.zeros(final.main.ratings.n_ratings, dtype=np.bool_)
        final = replace(final, main=replace(final.main, ratings=final.main.ratings.subset(kept)))
    screening = None if run.screening is None else replace(run.screening, inputs=view)
    defences = (
        None if run.defences is None else replace(run.defences, inputs=view, rating_weights=None)
    )
    return replace(run, inputs=view, final=final, screening=screening, defences=defences)


def for_outputs(run: ScorerRun) -> ScorerRun:
    """``run`` holding only what the output files read of a scorer other than Core.

    The files read a scorer's note columns (main fit, auxiliary intercepts, bounds, rule
    status and active rules), its final-round rater parameters and which raters have a
    helpfulness row (``scorers.columns``, ``pipeline.batch``), and its rule figures on its
    own rows (the ``scorer_rules`` file ``bridgewatch explain`` reads), kept here as that
    file's compressed bytes (``rule_file``). Its other prescoring and final-scoring state
    (round 1, both helpfulness tables, harassment, diligence, incorrect, sign and tag
    aggregates: ~40 arrays per participant and 50 per note, ~1 GiB per scorer at 2M notes
    and participants) is emptied to zero-length arrays, so that a later read fails loudly
    instead of reading stale values, and so is any view of the ratings it still holds (the
    Reputation scorer's). Core's run, which the Core columns, contributor scoring and the
    helpfulness file read in full, is returned as it is; the real-time pipeline, which
    re-solves notes from this state, never calls this.
    """
    if run.spec.name == CORE_NAME:
        return run
    if run.inputs.scoped.n_ratings or run.inputs.scoped_mask is not None:
        # (a skipped scorer's view has no ratings but its mask: one byte per rating)
        run = without_ratings(run)
    pre = run.prescoring
    if pre is not None:
        pre = replace(
            pre,
            training=_emptied(pre.training),
            round1=_emptied(pre.round1),
            num_ratings=_emptied(pre.num_ratings),
            provisional_status=_emptied(pre.provisional_status),
            helpfulness_unpenalised=_emptied(pre.helpfulness_unpenalised),
            harassment=_emptied(pre.harassment),
            helpfulness=_emptied(pre.helpfulness, keep=("has_row",)),
            diligence=_emptied(pre.diligence),
            incorrect=_emptied(pre.incorrect),
        )
    final, rule_file = run.final, None
    if final is not None:
        figures = rule_arrays(final.rules, run.inputs.n_notes, np.flatnonzero(final.scored))
        rule_file = rule_arrays_file(figures, run.inputs.note_ids.ids)
        del figures
        final = replace(
            final,
            rules=_emptied(final.rules, keep=("status", "active_rules", "config")),
            diligence=None if final.diligence is None else _emptied(final.diligence),
            low_diligence_intercept=_emptied(final.low_diligence_intercept),
            signs=_emptied(final.signs),
            tags=_emptied(final.tags),
            incorrect=_emptied(final.incorrect),
        )
    return replace(run, prescoring=pre, final=final, rule_file=rule_file)


def _emptied(value: _R, keep: tuple[str, ...] = ()) -> _R:
    """``value`` with every array (in nested dataclasses too) replaced by a zero-length
    array of its dtype and trailing shape; fields named in ``keep`` are left as they are."""
    if isinstance(value, np.ndarray):
        out: Any = np.empty((0, *value.shape[1:]), dtype=value.dtype)
        return out  # type: ignore[no-any-return]
    if is_dataclass(value) and not isinstance(value, type):
        changes = {
            f.name: _emptied(getattr(value, f.name))
            for f in fields(value)
            if f.name not in keep
            and (
                isinstance(getattr(value, f.name), np.ndarray)
                or is_dataclass(getattr(value, f.name))
            )
        }
        return replace(value, **changes)
    return value


def slim_prescored(p: Prescored) -> Prescored:
    """A prescoring phase without its view's per-rating arrays (what the outputs read of a
    prescoring-only scorer is per note and per participant)."""
    view = without_scoped(p.inputs)
    screening = None if p.screening is None else replace(p.screening, inputs=view)
    return replace(p, inputs=view, screening=screening)


def prescoring_run(p: Prescored) -> ScorerRun:
    """The run of a prescoring-only scorer: its prescoring, no final results."""
    return ScorerRun(
        p.spec, p.inputs, p.prescoring, None, p.seconds, p.skipped, p.screening, removed=p.removed
    )


GaussianFitterFactory = Callable[[ScorerSpec, CoreInputs], NoteFitter]
"""Builds a Gaussian scorer's note fit from its spec and the borrowed scorer's view."""


def _check(roster: tuple[ScorerSpec, ...]) -> None:
    names = [s.name for s in roster]
    if len(set(names)) != len(names):
        raise BridgewatchError(f"scorer names must be unique: {names}")
    for spec in roster:
        if spec.borrows is not None and spec.borrows not in names:
            raise BridgewatchError(f"{spec.name} borrows {spec.borrows}, which is not selected")


def _in_process_only(executor: Executor | None) -> None:
    if not in_process(executor):
        raise BridgewatchError(
            "prescore_roster and final_roster share objects with their tasks: use run_roster "
            f"on an executor that runs tasks in other processes ({type(executor).__name__})"
        )


def screen_roster(
    shared: CoreInputs, roster: tuple[ScorerSpec, ...], *, audit: bool = False
) -> SharedScreening:
    """The run-wide defence pass (``defences.screen_shared``) under the config of Core, or
    of the first scorer when Core is not selected (every scorer takes its defence parts from
    the run's config). ``audit``: every scorer records the ratings its defences took out
    (``ScorerRun.removed``)."""
    configs = {s.name: s.config for s in roster}
    config = configs.get(CORE_NAME, roster[0].config if roster else None)
    if config is None:
        return SharedScreening(shared, None, audit=audit)
    return replace(screen_shared(shared, config), audit=audit)


def prescore_roster(
    shared: CoreInputs,
    roster: tuple[ScorerSpec, ...],
    *,
    seed: int | None,
    executor: Executor | None = None,
    screening: SharedScreening | None = None,
) -> dict[str, Prescored]:
    """Prescoring of every scorer of ``roster`` that prescores, by name (multimodel §11.1);
    a scorer that shares another's prescoring (``sharing``) has none of its own here, and
    ``final_roster`` gives it the lender's.

    Parameters
    ----------
    shared : the run's preprocessed inputs (``prepare_core_inputs``).
    roster : the scorers.
    seed : run seed; each scorer's stream is ``scorer_seed(seed, name)``.
    executor : where the independent tasks run; default serial, in roster order. It must
        run them in this process (serial, threads): ``run_roster`` takes any executor.
    screening : the run-wide defence pass (``screen_roster``); computed here when None.
    """
    _check(roster)
    _in_process_only(executor)
    if screening is None:
        screening = screen_roster(shared, roster)
    ex = SerialExecutor() if executor is None else executor
    shares = shared_prescorings(screening.inputs, roster)
    specs = [s for s in roster if s.prescoring and s.name not in shares]
    task = partial(
        _limited, kernel_thread_limit(executor), partial(_prescore, screening, seed=seed)
    )
    done = ex.map(task, specs)
    return {p.spec.name: p for p in done}


def final_roster(
    shared: CoreInputs,
    roster: tuple[ScorerSpec, ...],
    prescored: dict[str, Prescored],
    *,
    seed: int | None,
    gaussian_fitter: GaussianFitterFactory | None = None,
    executor: Executor | None = None,
    screening: SharedScreening | None = None,
) -> RosterResult:
    """Final scoring of every scorer of ``roster`` that scores; prescoring-only scorers keep
    a run without final results (their rater parameters reach the outputs). In-process
    executors only, like ``prescore_roster``. ``screening`` is the run-wide defence pass the
    prescoring used (computed again when None)."""
    _check(roster)
    _in_process_only(executor)
    if screening is None:
        screening = screen_roster(shared, roster)
    ex = SerialExecutor() if executor is None else executor
    shares = shared_prescorings(screening.inputs, roster)
    specs = [s for s in roster if s.final]

    def one(spec: ScorerSpec) -> ScorerRun:
        return _final(spec, screening, prescored, gaussian_fitter, seed, shares.get(spec.name))

    runs = {
        r.spec.name: r for r in ex.map(partial(_limited, kernel_thread_limit(executor), one), specs)
    }
    ordered: dict[str, ScorerRun] = {}
    for spec in roster:
        if spec.name in runs:
            ordered[spec.name] = runs[spec.name]
        else:
            p = prescored[spec.name]
            ordered[spec.name] = prescoring_run(p)
    return RosterResult(ordered, shares=shares)


def run_roster(
    shared: CoreInputs,
    roster: tuple[ScorerSpec, ...],
    *,
    seed: int | None,
    gaussian_fitter: GaussianFitterFactory | None = None,
    executor: Executor | None = None,
    work_dir: str | None = None,
    outputs_only: bool = False,
    audit: bool = False,
    keep_core_ratings: bool = True,
    memory_budget: float | None = None,
) -> RosterResult:
    """Prescore, then score, every scorer of ``roster`` (both phases of ``prescore_roster``
    and ``final_roster``, with the same result bit for bit) as one task graph, longest
    scorers first, each scorer's final fits as soon as its prescoring (or the one it
    borrows) is done (``scorers.schedule``). MF scorers that would compute the same
    prescoring run it once (``scorers.sharing``).

    In process (serial, threads) the tasks share the caller's objects; under an executor
    whose tasks run in other processes (``processes:N``, Dask; see ``parallel.in_process``)
    they read the shared inputs (after the run-wide defence pass) from a run directory under
    ``work_dir`` (``scorers.remote``). With ``outputs_only`` every run but Core's keeps only
    what the output files read (``for_outputs``) from the moment it finishes. With
    ``keep_core_ratings`` False, in process, Core's run drops its per-rating arrays
    (``without_ratings``) as its task ends, too. ``memory_budget``: bytes the tasks may
    use at once on this machine under a parallel executor (``schedule``, ``remote``; None:
    85% of the memory available when the roster starts); a running Dask cluster places
    tasks by its workers' ``MEMORY`` resources instead.
    """
    screening = screen_roster(shared, roster, audit=audit)
    shares = shared_prescorings(screening.inputs, roster)
    if shares:
        _log.info("shared prescorings (same view and configuration): %s", shares)
    if in_process(executor):
        from bridgewatch.scoring.scorers.schedule import run_roster_in_process

        return run_roster_in_process(
            screening,
            roster,
            seed=seed,
            gaussian_fitter=gaussian_fitter,
            executor=executor,
            shares=shares,
            outputs_only=outputs_only,
            keep_core_ratings=keep_core_ratings,
            memory_budget=memory_budget,
        )
    from bridgewatch.scoring.scorers.remote import run_roster_remote

    assert executor is not None
    return run_roster_remote(
        screening,
        roster,
        seed=seed,
        gaussian_fitter=gaussian_fitter,
        executor=executor,
        work_dir=work_dir,
        shares=shares,
        outputs_only=outputs_only,
        memory_budget=memory_budget,
    )
