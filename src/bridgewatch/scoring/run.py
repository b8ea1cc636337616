"""The whole Core scorer on arrays: preprocessing -> prescoring -> final scoring -> rules ->
meta scoring -> status history -> contributor statistics (scoring-core.md §1).

``score_core`` is the one entry point; the batch pipeline and the command line wrap it with
file I/O. Pure apart from logging: "now" is an argument and randomness comes from ``seed``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace

import numpy as np
import polars as pl
from numpy.typing import NDArray

from bridgewatch.model.dataset import Dataset
from bridgewatch.parallel import executor_scope, in_process
from bridgewatch.scoring.config import ScoringConfig
from bridgewatch.scoring.contributors import Contributors, score_contributors
from bridgewatch.scoring.explain import build_note_explanations
from bridgewatch.scoring.final import FinalScoringResult
from bridgewatch.scoring.history import StatusHistory, update_status_history
from bridgewatch.scoring.inputs import CoreInputs, prepare_core_inputs
from bridgewatch.scoring.manipulation import BurstResult, CoRatingResult
from bridgewatch.scoring.meta import MetaInputs, MetaResult, ScorerStatus, apply_meta_rules
from bridgewatch.scoring.outputs import (
    CoreNoteScores,
    build_aux_note_info,
    build_helpfulness_scores,
    build_note_status_history,
    build_scored_notes,
)
from bridgewatch.scoring.prescoring import PrescoringResult
from bridgewatch.scoring.reputation import RaterTrust
from bridgewatch.scoring.scorers import (
    CORE_NAME,
    RosterResult,
    ScorerSpec,
    family_columns,
    final_roster,
    helpfulness_columns,
    prescore_roster,
    run_roster,
    scored_note_columns,
    screen_roster,
)
from bridgewatch.scoring.scorers.gaussian_fit import gaussian_note_fitter
from bridgewatch.scoring.scorers.meta import roster_meta
from bridgewatch.scoring.scorers.roster import core_scorer, default_roster
from bridgewatch.scoring.scorers.run import (
    without_rating_arrays,
    without_ratings,
    without_scoped,
)
from bridgewatch.scoring.stages import StageClock, StageUsage
from bridgewatch.scoring.status import TagCounts, count_recent_ratings, count_tags

__all__ = [
    "STAGES",
    "ProgressCallback",
    "ScoringResult",
    "core_note_scores",
    "default_as_of_ms",
    "run_meta_scoring",
    "score",
    "score_core",
    "topic_names",
]

_log = logging.getLogger(__name__)

# Stage names in run order, as reported to the progress callback and in ``timings``.
STAGES: tuple[str, ...] = (
    "preprocess",
    "prescoring",
    "final scoring",
    "meta scoring",
    "status history",
    "contributors",
    "output tables",
)

ProgressCallback = Callable[[str, int, int], None]
"""Called as ``progress(stage, index, n_stages)`` when a stage starts."""


@dataclass(frozen=True)
class ScoringResult:
    """Everything one Core run produced: typed arrays per stage and the output tables.

    Note arrays follow ``inputs.history`` rows (sorted by note id).

    Attributes
    ----------
    inputs, prescoring, final, meta : the stage results.
    history : the new note status history (§10).
    contributors : contributor statistics (§11.4) and the enrollment update.
    tag_counts : raw tag counts per note over all post-PSS ratings.
    scored_notes, aux_note_info, note_status_history, helpfulness_scores : the four output
        tables in the reference's column order (§11).
    note_explanations : per-note rule trace: which rule decided the status and the figures.
    timings : wall seconds per stage, in ``STAGES`` order.
    as_of_ms : "now" of the run, ms since the epoch.
    trust : rater trust when ``config.trust`` is set (its untrusted raters' ratings left the
        final fits, or were weighted by trust), else None.
    bursts : the pre-prescoring burst pass on the scoped ratings when ``config.bursts`` is
        set (its flagged ratings left prescoring and the final fits), else None.
    side_bursts : the side-aware burst pass after prescoring (flagged ratings left or were
        down-weighted in the final fits), else None.
    co_rating : the run-wide coordinated co-rating pass on the shared post-PSS ratings of
        every rater (``flagged`` indexes ``inputs.post_pss``) when ``config.co_rating`` is
        set (its flagged ratings left every scorer's view and capture share), else None.
    usage : wall time, CPU time and memory per stage, in ``STAGES`` order.
    roster : every scorer's run (``inputs``/``prescoring``/``final`` above are Core's).
    """

    inputs: CoreInputs
    prescoring: PrescoringResult
    final: FinalScoringResult
    meta: MetaResult
    history: StatusHistory
    contributors: Contributors
    tag_counts: TagCounts
    scored_notes: pl.DataFrame
    aux_note_info: pl.DataFrame
    note_status_history: pl.DataFrame
    helpfulness_scores: pl.DataFrame
    note_explanations: pl.DataFrame
    timings: dict[str, float]
    as_of_ms: int
    trust: RaterTrust | None = None
    bursts: BurstResult | None = None
    side_bursts: BurstResult | None = None
    co_rating: CoRatingResult | None = None
    usage: dict[str, StageUsage] = field(default_factory=dict)
    roster: RosterResult | None = None


def default_as_of_ms(dataset: Dataset) -> int:
    """The newest timestamp in the data (ratings, notes, status history), in ms.

    The scorer's "now" defaults to this, never to the wall clock, so a rerun on the same
    files gives the same result.
    """
    ratings_ms = dataset.ratings.created_at_ms
    # The ratings' maximum first: a float64 copy of every rating's time is not needed.
    candidates = [np.array([ratings_ms.max()] if ratings_ms.size else [], dtype=np.float64)]
    if dataset.notes.height:
        candidates.append(dataset.notes["createdAtMillis"].cast(pl.Float64).to_numpy())
    nsh = dataset.status_history
    for column in ("createdAtMillis", "timestampMillisOfCurrentStatus"):
        if nsh.height and column in nsh.columns:
            candidates.append(nsh[column].cast(pl.Float64).to_numpy())
    values = np.concatenate(candidates)
    values = values[np.isfinite(values)]
    return int(values.max()) if values.size else 0


class _Stages(StageClock):
    """Times stages (wall, CPU, memory) and reports them to the progress callback."""

    def __init__(self, progress: ProgressCallback | None) -> None:
        super().__init__(_log)
        self.progress = progress

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        if self.progress is not None:
            self.progress(name, STAGES.index(name), len(STAGES))
        with super().stage(name):
            yield


def run_meta_scoring(
    inputs: CoreInputs,
    final: FinalScoringResult,
    tag_counts: TagCounts,
    as_of_ms: int,
    config: ScoringConfig,
) -> MetaResult:
    """Meta scoring of the Core path (§9): Core is the only scorer model rule."""
    history = inputs.history
    return apply_meta_rules(
        MetaInputs(
            scorers=(ScorerStatus("CoreModel", "v1.1", final.rules.status),),
            core_intercept=final.main.intercept,
            core_intercept_population_sampled=final.intercept_population_sampled,
            population_sampled_neg_count=final.signs.pop_neg_count,
            population_sampled_pos_count=final.signs.pop_pos_count,
            previous_status=history.current_status,
            stabilization_ts=history.nmr_due_to_min_stable_crh_ts,
            first_non_nmr_status=history.first_non_nmr_status,
            locked_status=history.locked_status,
            tag_counts=tag_counts,
            has_topic=inputs.note_topic >= 0,
        ),
        as_of_ms,
        config.meta,
    )


def _helpfulness_table(
    inputs: CoreInputs,
    pre: PrescoringResult,
    contributors: Contributors,
    roster: RosterResult,
    is_rater: NDArray[np.bool_],
) -> pl.DataFrame:
    """``helpfulness_scores`` rows: raters of preprocessed ratings (``is_rater``, per
    participant), authors, prescoring rows."""
    n = inputs.n_participants
    final_round = np.isfinite(pre.final_round.rater_intercepts)
    has_help = pre.helpfulness.has_row
    r = contributors.enrollment.ratings
    w = contributors.enrollment.writing
    rows = np.flatnonzero(is_rater | w.is_author | has_help | final_round)
    h = pre.helpfulness
    table = contributors.enrollment.table
    # The prescoring rater table is an outer join of the final round's raters with the
    # helpfulness rows (§4.11): a round-1 rater with neither has no round-1 params written.
    prescored = final_round | has_help
    round1_intercept = pre.round1.rater_intercepts
    round1_factor = pre.round1.rater_factors[:, 0]

    def on(mask: NDArray[np.bool_], values: NDArray[np.generic]) -> pl.Series:
        # Null where ``mask`` is false; integers widen to Int64 (vectorised: one column of
        # a few million participants would otherwise be as many Python objects).
        picked = values[rows]
        if picked.dtype.kind in "iu":
            picked = picked.astype(np.int64)
        series = pl.Series(picked)
        return pl.select(pl.when(pl.Series(mask[rows])).then(series)).to_series()

    def floats(values: NDArray[np.float64]) -> pl.Series:
        return pl.Series(values[rows], dtype=pl.Float64).fill_nan(None)

    columns: dict[str, NDArray[np.generic] | pl.Series] = {
        "coreRaterIntercept": floats(pre.final_round.rater_intercepts),
        "coreRaterFactor1": floats(pre.final_round.rater_factors[:, 0]),
        "crhCrnhRatioDifference": floats(h.crh_crnh_ratio_difference),
        "meanNoteScore": floats(h.mean_note_score),
        "raterAgreeRatio": floats(h.rater_agree_ratio),
        "aboveHelpfulnessThreshold": on(has_help, h.above_helpfulness_threshold),
        "successfulRatingHelpfulCount": on(is_rater, r.successful_helpful),
        "successfulRatingNotHelpfulCount": on(is_rater, r.successful_not_helpful),
        "successfulRatingTotal": on(is_rater, r.successful_total),
        "unsuccessfulRatingHelpfulCount": on(is_rater, r.unsuccessful_helpful),
        "unsuccessfulRatingNotHelpfulCount": on(is_rater, r.unsuccessful_not_helpful),
        "unsuccessfulRatingTotal": on(is_rater, r.unsuccessful_total),
        "ratingsAwaitingMoreRatings": on(is_rater, r.ratings_awaiting_more_ratings),
        "ratedAfterDecision": on(is_rater, r.rated_after_decision),
        "notesCurrentlyRatedHelpful": on(w.is_author, w.notes_crh),
        "notesCurrentlyRatedNotHelpful": on(w.is_author, w.notes_crnh),
        "notesAwaitingMoreRatings": on(w.is_author, w.notes_nmr),
        "aggregateRatingReceivedTotal": on(w.is_author, w.aggregate_ratings_received),
        "enrollmentState": on(table.state >= 0, table.state),
        "successfulRatingNeededToEarnIn": on(
            table.successful_rating_needed_to_earn_in >= 0,
            table.successful_rating_needed_to_earn_in,
        ),
        "timestampOfLastStateChange": on(
            table.last_state_change_ms >= 0, table.last_state_change_ms
        ),
        "timestampOfLastEarnOut": on(
            table.last_earn_out_ms >= 0, table.last_earn_out_ms.astype(np.float64)
        ),
        "numberOfTimesEarnedOut": on(table.times_earned_out >= 0, table.times_earned_out),
        "isEmergingWriter": contributors.enrollment.is_emerging_writer[rows],
        "modelingGroup": on(inputs.modeling_group >= 0, inputs.modeling_group.astype(np.float64)),
        # ... replaced by the group models' membership when they ran (multimodel §9.2).
        "coreFirstRoundRaterIntercept": floats(np.where(prescored, round1_intercept, np.nan)),
        "coreFirstRoundRaterFactor1": floats(np.where(prescored, round1_factor, np.nan)),
        **{
            name: floats(values)
            for name, values in helpfulness_columns(roster, inputs.modeling_group, n).items()
        },
        "crhTotal14d": w.crh_14d[rows],
        "crnhTotal14d": w.crnh_14d[rows],
        "nmrTotal14d": w.nmr_14d[rows],
        "crhTotal90d": w.crh_90d[rows],
        "crnhTotal90d": w.crnh_90d[rows],
        "nmrTotal90d": w.nmr_90d[rows],
    }
    return build_helpfulness_scores(inputs.participant_ids.ids[rows], columns)


def _with_core(config: ScoringConfig, roster: tuple[ScorerSpec, ...]) -> tuple[ScorerSpec, ...]:
    """``roster`` with MFCoreScorer first if it is missing: the Core columns, contributor
    scoring and the population-sampled rule read Core's results."""
    if any(s.name == CORE_NAME for s in roster):
        return roster
    return (core_scorer(config), *roster)


def score_core(
    dataset: Dataset,
    config: ScoringConfig,
    *,
    as_of_ms: int,
    seed: int | None,
    progress: ProgressCallback | None = None,
    rater_cluster: NDArray[np.int64] | None = None,
    rater_quasi_clique: NDArray[np.int64] | None = None,
) -> ScoringResult:
    """Score every note with the Core scorer alone (the Core path) and update the status
    history: ``score`` with ``scorers=(core_scorer(config),)``."""
    return score(
        dataset,
        config,
        as_of_ms=as_of_ms,
        seed=seed,
        scorers=(core_scorer(config),),
        progress=progress,
        rater_cluster=rater_cluster,
        rater_quasi_clique=rater_quasi_clique,
    )


def score(
    dataset: Dataset,
    config: ScoringConfig,
    *,
    as_of_ms: int,
    seed: int | None,
    scorers: Sequence[ScorerSpec] | None = None,
    executor: Executor | str | None = None,
    work_dir: str | None = None,
    progress: ProgressCallback | None = None,
    rater_cluster: NDArray[np.int64] | None = None,
    rater_quasi_clique: NDArray[np.int64] | None = None,
    keep_fit_ratings: bool = True,
    keep_scorer_state: bool = True,
    topics: NDArray[np.int8] | None = None,
    audit_defences: bool = False,
    release_ratings: bool = False,
    memory_budget: float | None = None,
) -> ScoringResult:
    """Score every note with a roster of scorers, meta-score and update the status history.

    Parameters
    ----------
    dataset : the loaded inputs (notes, ratings, status history, enrollment).
    config : ScoringConfig (Core's; the other scorers' configs derive from it).
    as_of_ms : "now" in ms since the epoch (the reference's ``epochMillis``); status history
        timestamps and the stabilization delay use it.
    seed : seed of every random initial value; each scorer draws from its own stream
        (``scorers.scorer_seed``). The same data and seed give bit-identical results. None
        draws fresh entropy.
    scorers : the roster; default ``default_roster(config)`` (every scorer of the reference's
        default run). MFCoreScorer is added when missing.
    executor : where the independent scorer tasks run (default: serially, each scorer's
        kernels on all cores): an Executor, or a spec opened and closed for this call
        ("serial", "threads:N", "auto", "processes:N", "dask:tcp://HOST:8786",
        "dask:scheduler-file:PATH", "dask:local:N"; ``bridgewatch.parallel``). Under a
        parallel executor each scorer's kernels run on one thread. The output is the
        same bits.
    work_dir : where an out-of-process executor's tasks read the shared inputs (a path
        every worker sees, or an fsspec URL); default a local temporary directory.
    progress : optional callback told when each stage of ``STAGES`` starts.
    rater_cluster, rater_quasi_clique : optional PSS inputs per participant (§2.3 step 5).
    keep_fit_ratings : keep the Core scorer's per-rating arrays (its final fit's ratings,
        its screened view) in the result, for callers that read them (the real-time
        pipeline, the attack bench). False drops them, and the scoped ratings of
        ``ScoringResult.inputs`` (Core's view), once the roster is done, before the output
        tables are built (at 150M ratings gigabytes); every table is the same.
    keep_scorer_state : keep every scorer's whole prescoring and final-scoring state (the
        real-time pipeline re-solves notes from it). False keeps, of every scorer but Core,
        only what the output tables read, from the moment it finishes
        (``scorers.run.for_outputs``: ~1 GiB less per scorer at 2M notes and raters); every
        table is the same.
    topics : ``inputs.note_topics(dataset.notes, config)`` when the caller has it already
        (``run_batch`` computes it while the ratings load); None computes it here.
    audit_defences : every scorer's run records the ratings its defences took out of its
        view (``ScorerRun.removed``; the attack bench reads them); every table is the same.
    release_ratings : let go of ``dataset`` once preprocessed (its frames and ratings then
        live only in the run's inputs) and, once contributor scoring has read them, of
        every per-rating array: ``ScoringResult.inputs`` and every scorer run's view then
        hold zero ratings (``scorers.run.without_rating_arrays``). Every table is the same;
        the memory (at 150M ratings ~4 GiB before the output tables are built) goes only
        if the caller keeps no reference to ``dataset`` (``run_batch`` hands it over).
    memory_budget : bytes the scorer tasks may use at once under a parallel executor on
        this machine (threads, processes, a local Dask cluster: a task waits until its
        estimated working memory fits: ``scorers.schedule``, ``scorers.remote``); None: 85%
        of the memory available when the roster starts. A running Dask cluster places tasks
        by its workers' ``MEMORY`` resources instead (``parallel.dask_executor``). Only the
        time changes, never the output.

    Returns
    -------
    ScoringResult
    """
    roster = _with_core(config, default_roster(config) if scorers is None else tuple(scorers))
    stages = _Stages(progress)
    enrollment = dataset.enrollment
    with stages.stage("preprocess"):
        inputs = prepare_core_inputs(
            dataset,
            config,
            rater_cluster=rater_cluster,
            rater_quasi_clique=rater_quasi_clique,
            topics=topics,
        )
    if release_ratings:
        del dataset  # the caller's hand-over: what the inputs do not hold can go now
    with executor_scope(executor) as pool:
        if in_process(pool) and len(roster) == 1:
            # The Core path: its two phases logged apart (the README's stage table).
            with stages.stage("prescoring"):
                screening = screen_roster(inputs, roster, audit=audit_defences)
                prescored = prescore_roster(
                    inputs, roster, seed=seed, executor=pool, screening=screening
                )
            with stages.stage("final scoring"):
                runs = final_roster(
                    inputs,
                    roster,
                    prescored,
                    seed=seed,
                    gaussian_fitter=gaussian_note_fitter,
                    executor=pool,
                    screening=screening,
                )
                # Both hold Core's screened view (its gathered columns): only ``runs`` may.
                del screening, prescored
        else:
            # One task graph (``scorers.schedule``): a scorer's final fits start as soon as
            # its prescoring (or the one it borrows) is done, so "prescoring" holds both
            # phases here.
            with stages.stage("prescoring"):
                runs = run_roster(
                    inputs,
                    roster,
                    seed=seed,
                    gaussian_fitter=gaussian_note_fitter,
                    executor=pool,
                    work_dir=work_dir,
                    outputs_only=not keep_scorer_state,
                    audit=audit_defences,
                    keep_core_ratings=keep_fit_ratings,
                    memory_budget=memory_budget,
                )
            with stages.stage("final scoring"):
                pass
    if not keep_fit_ratings:
        runs = replace(runs, runs={**runs.runs, CORE_NAME: without_ratings(runs[CORE_NAME])})
        # Core's view is the shared inputs' scoped ratings (``scorers.scope``): the columns
        # its fits gathered stay cached there (~25 bytes per scoped rating, ~2 GiB at 150M
        # ratings) unless they go too. Nothing after the roster reads them.
        inputs = without_scoped(inputs)
    core_run = runs[CORE_NAME]
    pre, final = core_run.prescoring, core_run.final
    assert pre is not None and final is not None  # Core always runs
    families = family_columns(runs, inputs.n_notes)
    with stages.stage("meta scoring"):
        tag_counts = count_tags(inputs.post_pss)
        meta, run_statuses = roster_meta(inputs, final, families, tag_counts, as_of_ms, config)
    with stages.stage("status history"):
        history = update_status_history(inputs.history, run_statuses, as_of_ms, config.history)
    post = inputs.post_pss
    num_ratings = np.bincount(post.note_idx, minlength=inputs.n_notes).astype(np.int64)
    # The output tables' per-rating counts, here: the ratings may go after contributors.
    num_ratings_last_28 = count_recent_ratings(post, as_of_ms)
    num_population_sampled = np.bincount(
        post.note_idx[post.population_sampled], minlength=inputs.n_notes
    )
    is_rater = np.bincount(inputs.ratings.rater_idx, minlength=inputs.n_participants) > 0
    del post
    with stages.stage("contributors"):
        contributors = score_contributors(
            inputs,
            enrollment,
            history,
            meta.final_status,
            num_ratings,
            np.where(final.scored, final.main.intercept, np.nan),
            as_of_ms,
            config,
        )
    if release_ratings:
        inputs = without_rating_arrays(inputs)
        runs = replace(
            runs,
            runs={
                name: replace(run, inputs=without_rating_arrays(run.inputs))
                for name, run in runs.runs.items()
            },
        )
        core_run = runs[CORE_NAME]
    with stages.stage("output tables"):
        core = core_note_scores(final, inputs.n_notes)
        scored_notes = build_scored_notes(
            note_ids=inputs.note_ids.ids,
            classification=inputs.note_info.classification,
            num_ratings=num_ratings,
            core=core,
            rules=final.rules,
            meta=meta,
            history=history,
            epoch_ms=as_of_ms,
            extra=scored_note_columns(families, topic_names(config)),
        )
        aux = build_aux_note_info(
            history=history,
            previous_status=inputs.history.current_status,
            meta=meta,
            tag_counts=tag_counts,
            tags=final.tags,
            incorrect=final.incorrect,
            low_diligence_intercept=final.low_diligence_intercept,
            population_sampled_neg_count=final.signs.pop_neg_count,
            population_sampled_pos_count=final.signs.pop_pos_count,
            num_ratings_last_28=num_ratings_last_28,
            num_population_sampled_ratings=num_population_sampled,
        )
        explanations = build_note_explanations(
            note_ids=inputs.note_ids.ids,
            rules=final.rules,
            meta=meta,
            core=core,
            num_ratings=num_ratings,
            previous_status=inputs.history.current_status,
            locked_status=inputs.history.locked_status,
            as_of_ms=as_of_ms,
        )
        tables = (
            scored_notes,
            aux,
            build_note_status_history(history),
            _helpfulness_table(inputs, pre, contributors, runs, is_rater),
        )
    return ScoringResult(
        inputs=inputs,
        prescoring=pre,
        final=final,
        meta=meta,
        history=history,
        contributors=contributors,
        tag_counts=tag_counts,
        scored_notes=tables[0],
        aux_note_info=tables[1],
        note_status_history=tables[2],
        helpfulness_scores=tables[3],
        note_explanations=explanations,
        timings=dict(stages.timings),
        as_of_ms=as_of_ms,
        trust=None if core_run.defences is None else core_run.defences.trust,
        bursts=None if core_run.screening is None else core_run.screening.bursts,
        side_bursts=None if core_run.defences is None else core_run.defences.bursts,
        co_rating=None if core_run.screening is None else core_run.screening.co_rating,
        usage=dict(stages.usage),
        roster=runs,
    )


def core_note_scores(final: FinalScoringResult, n_notes: int) -> CoreNoteScores:
    """The ``core*`` columns of ``scored_notes`` from Core's final scoring: its figures
    where Core has a row (``final.scored``), NaN elsewhere (§11.1)."""
    bounds = final.bounds
    nan = np.full(n_notes, np.nan)
    scored_core = np.where(final.scored, 1.0, np.nan)
    return CoreNoteScores(
        intercept=final.main.intercept * scored_core,
        factor=final.main.factor * scored_core,
        intercept_min=nan if bounds is None else bounds.intercept_min * scored_core,
        intercept_max=nan if bounds is None else bounds.intercept_max * scored_core,
        intercept_no_high_vol=final.intercept_no_high_vol * scored_core,
        intercept_no_correlated=final.intercept_no_correlated * scored_core,
        intercept_population_sampled=final.intercept_population_sampled * scored_core,
        # A count the reference takes from a group-by: notes without such ratings get none.
        num_final_round_ratings=np.where(
            final.num_final_round_ratings > 0, final.num_final_round_ratings, np.nan
        )
        * scored_core,
    )


def topic_names(config: ScoringConfig) -> dict[int, str]:
    """Topic id -> ``noteTopic`` name of the run's topic config."""
    if config.topics is None:
        return {}
    return {t.topic_id: t.name for t in config.topics.topics}
