"""Stage 1 of the Core scorer: prescoring (scoring-core.md §4).

Training filter -> MF round 1 with stable initialization -> provisional statuses -> valid
ratings and helpfulness -> harassment penalty -> MF final round -> low-diligence model ->
tag-filter thresholds and incorrect propensity. Arrays in, a frozen result out.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from bridgewatch.errors import InputError
from bridgewatch.model import NoteStatus, Ratings
from bridgewatch.scoring.config import ScoringConfig
from bridgewatch.scoring.diligence import (
    DiligenceState,
    fit_low_diligence_prescoring,
    low_diligence_targets,
)
from bridgewatch.scoring.harassment import (
    HarassmentResult,
    fit_harassment_model,
    label_harassment_ratings,
    rater_harassment_penalties,
    skipped_harassment,
)
from bridgewatch.scoring.helpfulness import (
    HelpfulnessScores,
    IncorrectPropensity,
    classify_valid_ratings,
    compute_helpfulness_scores,
    filter_ratings_for_training,
    incorrect_propensity,
    ratings_before_note_status,
    stable_init_mask,
)
from bridgewatch.scoring.inputs import CoreInputs
from bridgewatch.scoring.mf import MFInit, MFParams, fit_mf
from bridgewatch.scoring.status import (
    compute_tag_aggregates,
    provisional_statuses,
    tag_filter_thresholds,
)

__all__ = ["PrescoringResult", "run_prescoring"]

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PrescoringResult:
    """Everything final scoring and the outputs need from prescoring (§4.11).

    Note arrays have shape (n_notes,), participant arrays (n_participants,).

    Attributes
    ----------
    training : bool array of shape (scoped.n_ratings,), ratingsForTraining (§4.1).
    round1 : MF round-1 params (``noteParamsUnfiltered`` / ``raterParamsUnfiltered``).
    round1_train_mse : unregularised train MSE of round 1.
    used_stable_initialization : round 1 started from the stable-init fit.
    num_ratings : int64 per note, scoped ratings on the note.
    provisional_status : int8 per note, §4.3 labels (-1 for notes without scoped ratings).
    helpfulness_unpenalised : helpfulness before the harassment model (§4.6 step 1).
    harassment : the harassment tag-consensus fit (§4.6; NaN intercepts when skipped).
    helpfulness : helpfulness with the harassment penalty (written out, gates final scoring).
    final_round : the MF final-round params (raters outside the round are NaN).
    final_round_num_ratings, final_round_num_notes, final_round_num_users : sizes of the
        final-round data (§4.7 step 3).
    diligence : low-diligence prescoring state (§4.8).
    tag_thresholds : float64 array of shape (13,), §4.9 thresholds, NOT_HELPFUL_TAGS order.
    incorrect : per-rater incorrect-tag counts (§4.10).
    """

    training: NDArray[np.bool_]
    round1: MFParams
    round1_train_mse: float
    used_stable_initialization: bool
    num_ratings: NDArray[np.int64]
    provisional_status: NDArray[np.int8]
    helpfulness_unpenalised: HelpfulnessScores
    harassment: HarassmentResult
    helpfulness: HelpfulnessScores
    final_round: MFParams
    final_round_num_ratings: int
    final_round_num_notes: int
    final_round_num_users: int
    diligence: DiligenceState
    tag_thresholds: NDArray[np.float64]
    incorrect: IncorrectPropensity

    @property
    def note_ratio(self) -> float:
        """ρ_note = finalRoundNumRatings / finalRoundNumNotes (§5.2)."""
        return self.final_round_num_ratings / max(self.final_round_num_notes, 1)

    @property
    def rater_ratio(self) -> float:
        """ρ_user = finalRoundNumRatings / finalRoundNumUsers (§5.4)."""
        return self.final_round_num_ratings / max(self.final_round_num_users, 1)


def _n_distinct(idx: NDArray[np.int32], n: int) -> int:
    """Number of distinct values in ``idx`` (all in [0, n)): one counting pass, no sort."""
    return int(np.count_nonzero(np.bincount(idx, minlength=n)))


def _no_params(n_notes: int, n_raters: int, n_factors: int) -> MFParams:
    """All-NaN parameters: what a fit on no ratings leaves (every note stays NMR)."""
    return MFParams(
        note_intercepts=np.full(n_notes, np.nan),
        note_factors=np.full((n_notes, n_factors), np.nan),
        rater_intercepts=np.full(n_raters, np.nan),
        rater_factors=np.full((n_raters, n_factors), np.nan),
        global_intercept=float("nan"),
    )


def _fit_round1(
    inputs: CoreInputs,
    train: Ratings,
    config: ScoringConfig,
    rng: np.random.Generator,
    start_seed: int | None = None,
) -> tuple[MFParams, float, bool]:
    """MF round 1 with stable initialization (§4.2); returns params, train MSE, stable used."""
    n_notes, n_part = inputs.n_notes, inputs.n_participants
    if train.n_ratings == 0:
        _log.warning("no ratings pass the training filter: every note needs more ratings")
        return _no_params(n_notes, n_part, config.mf.n_factors), float("nan"), False
    init: MFInit | None = None
    if config.use_stable_initialization:
        stable = stable_init_mask(
            train.note_idx,
            train.rater_idx,
            inputs.modeling_group,
            inputs.enrolled,
            n_notes,
            config.stable_init,
        )
        if stable.any():
            first = fit_mf(
                train.note_idx[stable],
                train.rater_idx[stable],
                train.helpful_num[stable],
                n_notes=n_notes,
                n_raters=n_part,
                config=config.mf,
                rng=rng,
            )
            init = MFInit.from_params(first.params)
            _log.info("stable init: %d ratings, train MSE %.4f", int(stable.sum()), first.train_mse)
        else:
            _log.warning(
                "stable-initialization subset (group %d) is empty: round 1 starts at random",
                config.stable_init.modeling_group,
            )
    result = fit_mf(
        train.note_idx,
        train.rater_idx,
        train.helpful_num,
        n_notes=n_notes,
        n_raters=n_part,
        config=config.mf,
        init=init,
        rng=rng,
        start_seed=start_seed,
    )
    n_fit_notes = _n_distinct(train.note_idx, n_notes)
    if (
        result.train_mse > config.max_round1_train_mse
        and n_fit_notes >= config.preprocess.min_notes_for_safeguards
    ):
        raise InputError(
            f"MF round 1 train MSE {result.train_mse:.4f} exceeds "
            f"max_round1_train_mse={config.max_round1_train_mse} (scoring-core.md §3.3)",
            field="ratings",
        )
    return result.params, result.train_mse, init is not None


def _helpfulness(
    inputs: CoreInputs,
    round1: MFParams,
    provisional: NDArray[np.int8],
    config: ScoringConfig,
    penalty: NDArray[np.float64] | None,
) -> HelpfulnessScores:
    scoped = inputs.scoped
    before = ratings_before_note_status(
        scoped.note_idx,
        scoped.created_at_ms,
        inputs.note_info.in_nsh,
        inputs.note_info.created_at_ms,
        inputs.history.latest_non_nmr_ts,
        config.helpfulness.valid,
    )
    valid = classify_valid_ratings(scoped.note_idx, scoped.helpful_num, before, provisional)
    return compute_helpfulness_scores(
        inputs.note_info.author_idx,
        round1.note_intercepts,
        provisional,
        valid.per_rater(scoped.rater_idx, inputs.n_participants),
        inputs.n_participants,
        config.helpfulness,
        penalty=penalty,
    )


def _fit_harassment(
    ratings: Ratings, round1: MFParams, config: ScoringConfig, rng: np.random.Generator
) -> HarassmentResult:
    """§4.6 steps 2-6 on the training ratings of raters above the unpenalised threshold."""
    n_notes, n_part = ratings.n_notes, ratings.n_participants
    labelled = label_harassment_ratings(
        ratings.note_idx,
        ratings.rater_idx,
        ratings.created_at_ms,
        ratings.not_helpful_tags,
        ratings.helpfulness_level,
        n_notes=n_notes,
        n_raters=n_part,
        config=config.harassment,
    )
    result = fit_harassment_model(
        ratings.note_idx[labelled.rows],
        ratings.rater_idx[labelled.rows],
        labelled.labels,
        n_notes=n_notes,
        n_raters=n_part,
        init_rater_factors=round1.rater_factors[:, 0],
        init_note_factors=round1.note_factors[:, 0],
        config=config.harassment,
        rng=rng,
    )
    if result.skipped:
        _log.info("harassment model skipped: %s", result.skip_reason)
    else:
        _log.info(
            "harassment model: %d ratings, %d epochs, p=%.4f, %d notes with intercept >= %.1f",
            result.n_ratings,
            result.iterations,
            result.positive_rate,
            int(np.sum(result.note_intercepts >= config.harassment.min_intercept_to_penalize)),
            config.harassment.min_intercept_to_penalize,
        )
    return result


def run_prescoring(
    inputs: CoreInputs,
    config: ScoringConfig,
    rng: np.random.Generator,
    *,
    start_seed: int | None = None,
) -> PrescoringResult:
    """Run Core prescoring (§4) on the scoped ratings.

    Parameters
    ----------
    inputs : CoreInputs
    config : ScoringConfig
    rng : numpy.random.Generator
        Source of every random initial value (stable-init factors, diligence N(0, 1)).
    start_seed : int, optional
        The run's seed as the reference uses it: MF fits run by Adam (``config.mf.adam``,
        group 14) draw their random factors as the seeded reference does
        (:func:`~bridgewatch.scoring.mf.fit_mf`); other fits ignore it.

    Returns
    -------
    PrescoringResult
    """
    scoped = inputs.scoped
    n_notes, n_part = inputs.n_notes, inputs.n_participants
    training = filter_ratings_for_training(
        scoped.note_idx, scoped.rater_idx, n_notes, n_part, config.training
    )
    train = scoped.subset(training)
    round1, train_mse, stable_used = _fit_round1(inputs, train, config, rng, start_seed)
    _log.info("round 1: %d ratings, train MSE %.4f", train.n_ratings, train_mse)

    num_ratings = np.bincount(scoped.note_idx, minlength=n_notes).astype(np.int64)
    provisional = provisional_statuses(
        round1.note_intercepts,
        round1.note_factors[:, 0],
        num_ratings,
        inputs.note_info.classification,
        config.status,
        scored=num_ratings > 0,
    )
    unpenalised = _helpfulness(inputs, round1, provisional, config, None)
    if not config.use_reputation:
        return _without_reputation(
            inputs,
            config,
            rng,
            training,
            train,
            round1,
            train_mse,
            num_ratings,
            provisional,
            unpenalised,
        )
    harassment = _fit_harassment(
        train.subset(unpenalised.above_helpfulness_threshold[train.rater_idx]),
        round1,
        config,
        rng,
    )
    penalty = rater_harassment_penalties(
        train.note_idx,
        train.rater_idx,
        train.helpful_num,
        harassment.note_intercepts,
        n_raters=n_part,
        config=config.harassment,
    )
    helpfulness = _helpfulness(inputs, round1, provisional, config, penalty)

    final_ratings = train.subset(helpfulness.above_helpfulness_threshold[train.rater_idx])
    del train  # nothing below reads it: one training-size copy of the ratings less
    final = (
        _no_params(n_notes, n_part, config.mf.n_factors)
        if final_ratings.n_ratings == 0
        else fit_mf(
            final_ratings.note_idx,
            final_ratings.rater_idx,
            final_ratings.helpful_num,
            n_notes=n_notes,
            n_raters=n_part,
            config=config.mf,
            init=MFInit.from_params(round1, with_global=False),
            rng=rng,
            start_seed=start_seed,
        ).params
    )
    return _finish(
        inputs,
        config,
        rng,
        training=training,
        round1=round1,
        train_mse=train_mse,
        stable_used=stable_used,
        num_ratings=num_ratings,
        provisional=provisional,
        unpenalised=unpenalised,
        harassment=harassment,
        helpfulness=helpfulness,
        final=final,
        final_ratings=final_ratings,
    )


def _without_reputation(
    inputs: CoreInputs,
    config: ScoringConfig,
    rng: np.random.Generator,
    training: NDArray[np.bool_],
    train: Ratings,
    round1: MFParams,
    train_mse: float,
    num_ratings: NDArray[np.int64],
    provisional: NDArray[np.int8],
    unpenalised: HelpfulnessScores,
) -> PrescoringResult:
    """Prescoring of a scorer without reputation (topic scorers, multimodel §5.2).

    No helpfulness gate, no harassment model, no final-round refit: round 1's parameters
    are the prescoring parameters, every rater with a round-1 intercept passes the gate, and
    the diligence model and ρ come from the training (5/10-filtered) ratings.

    The rater output is round 1's raters only (the reference's helpfulness table is then
    just the round-1 rater ids): authors and raters with valid ratings but no round-1
    parameters have no row, so they count neither towards ``topicNumFinalRoundRatings``
    nor anywhere else.
    """
    n_part = inputs.n_participants
    fitted = np.isfinite(round1.rater_intercepts)
    open_gate = replace(unpenalised, has_row=fitted, above_helpfulness_threshold=fitted)
    harassment = skipped_harassment(inputs.n_notes, n_part, "the scorer uses no reputation")
    return _finish(
        inputs,
        config,
        rng,
        training=training,
        round1=round1,
        train_mse=train_mse,
        stable_used=False,
        num_ratings=num_ratings,
        provisional=provisional,
        unpenalised=unpenalised,
        harassment=harassment,
        helpfulness=open_gate,
        final=round1,
        final_ratings=train,
    )


def _finish(
    inputs: CoreInputs,
    config: ScoringConfig,
    rng: np.random.Generator,
    *,
    training: NDArray[np.bool_],
    round1: MFParams,
    train_mse: float,
    stable_used: bool,
    num_ratings: NDArray[np.int64],
    provisional: NDArray[np.int8],
    unpenalised: HelpfulnessScores,
    harassment: HarassmentResult,
    helpfulness: HelpfulnessScores,
    final: MFParams,
    final_ratings: Ratings,
) -> PrescoringResult:
    """Final-round sizes, the low-diligence model, tag thresholds and incorrect counts."""
    scoped = inputs.scoped
    n_notes, n_part = inputs.n_notes, inputs.n_participants
    n_final_notes = _n_distinct(final_ratings.note_idx, n_notes)
    n_final_users = _n_distinct(final_ratings.rater_idx, n_part)
    _log.info(
        "final round: %d ratings, %d notes, %d raters, mu %.4f",
        final_ratings.n_ratings,
        n_final_notes,
        n_final_users,
        final.global_intercept,
    )
    diligence = fit_low_diligence_prescoring(
        final_ratings.note_idx,
        final_ratings.rater_idx,
        low_diligence_targets(final_ratings.not_helpful_tags),
        n_notes=n_notes,
        n_raters=n_part,
        init_rater_factors=final.rater_factors[:, 0],
        config=config.diligence,
        rng=rng,
    )
    tags = compute_tag_aggregates(
        scoped, final.note_factors[:, 0], final.rater_factors[:, 0], config.status
    )
    thresholds = tag_filter_thresholds(
        tags.adjusted_ratio, provisional == NoteStatus.CURRENTLY_RATED_HELPFUL, config.status
    )
    return PrescoringResult(
        training=training,
        round1=round1,
        round1_train_mse=train_mse,
        used_stable_initialization=stable_used,
        num_ratings=num_ratings,
        provisional_status=provisional,
        helpfulness_unpenalised=unpenalised,
        harassment=harassment,
        helpfulness=helpfulness,
        final_round=final,
        final_round_num_ratings=final_ratings.n_ratings,
        final_round_num_notes=n_final_notes,
        final_round_num_users=n_final_users,
        diligence=diligence.state,
        tag_thresholds=thresholds,
        incorrect=incorrect_propensity(scoped.rater_idx, scoped.not_helpful_tags, n_part),
    )
