"""The Reputation scorer of the roster (scoring-multimodel.md §7): its two phases on its view.

Scope: core groups and unassigned raters, every note, the 5/10 training filter, capture 0.5
(the view of ``scope.scorer_inputs``). Prescoring fits the stable-initialisation MF on
group 13 (the run's MF config) and starts the reputation MF from its factors only; final
scoring refits from the prescoring state. Its columns are informational: no meta rule reads
them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from bridgewatch.errors import ConfigError
from bridgewatch.model import NoteStatus
from bridgewatch.scoring.helpfulness import filter_ratings_for_training, stable_init_mask
from bridgewatch.scoring.inputs import CoreInputs
from bridgewatch.scoring.mf import fit_mf
from bridgewatch.scoring.reputation_mf import (
    ReputationFinal,
    ReputationMFConfig,
    ReputationState,
    fit_reputation_final,
    fit_reputation_prescoring,
)
from bridgewatch.scoring.scorers.spec import ScorerSpec

__all__ = [
    "ReputationPrescoring",
    "ReputationRun",
    "prescore_reputation",
    "score_reputation",
]

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReputationPrescoring:
    """The Reputation scorer's prescoring.

    Attributes
    ----------
    training : bool (view.scoped.n_ratings,), the 5/10-filtered ratings it fitted.
    used_stable_initialization : its factors started from the group-13 fit.
    state : the reputation MF's parameters (``raterHelpfulnessReputation`` is
        ``state.rater_reputations``).
    """

    training: NDArray[np.bool_]
    used_stable_initialization: bool
    state: ReputationState


@dataclass(frozen=True)
class ReputationRun:
    """The Reputation scorer's two phases.

    Attributes
    ----------
    prescoring : ReputationPrescoring
    final : the final fit (note arrays over the shared note index).
    rows : bool (n_notes,), notes with a ``coverage*`` row: in the final fit and captured.
    status : int8 (n_notes,), ``NoteStatus`` code of ``coverageRatingStatus`` (CRH when the
        intercept is above the threshold, else NMR); -1 outside ``rows``.
    """

    prescoring: ReputationPrescoring
    final: ReputationFinal
    rows: NDArray[np.bool_]
    status: NDArray[np.int8]


def _config(spec: ScorerSpec) -> ReputationMFConfig:
    if spec.reputation_mf is None:
        raise ConfigError("reputation_mf", None, f"a ReputationMFConfig for {spec.name}")
    return spec.reputation_mf


def prescore_reputation(
    view: CoreInputs, spec: ScorerSpec, rng: np.random.Generator
) -> ReputationPrescoring | None:
    """Prescoring on the scorer's ``view``; None when the training filter leaves nothing.

    Parameters
    ----------
    view : the scorer's inputs (``scorer_inputs``, after the defences' screening).
    spec : the Reputation scorer (``spec.config``: training filter, stable init, MF config;
        ``spec.reputation_mf``: the reputation MF's).
    rng : its random stream (``scorer_seed``): the stable fit's and the N(0, 1) initial
        values.
    """
    config = spec.config
    scoped = view.scoped
    n_notes, n_part = view.n_notes, view.n_participants
    training = filter_ratings_for_training(
        scoped.note_idx, scoped.rater_idx, n_notes, n_part, config.training
    )
    if not training.any():
        return None
    train = scoped.subset(training)
    note_init: NDArray[np.float64] | None = None
    rater_init: NDArray[np.float64] | None = None
    if config.use_stable_initialization:
        stable = stable_init_mask(
            train.note_idx,
            train.rater_idx,
            view.modeling_group,
            view.enrolled,
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
            note_init = first.params.note_factors[:, 0]
            rater_init = first.params.rater_factors[:, 0]
        else:
            _log.warning(
                "%s: stable-initialization subset (group %d) is empty: random start",
                spec.name,
                config.stable_init.modeling_group,
            )
    state = fit_reputation_prescoring(
        train.note_idx,
        train.rater_idx,
        train.helpful_num,
        n_notes=n_notes,
        n_raters=n_part,
        init_note_factors=note_init,
        init_rater_factors=rater_init,
        config=_config(spec),
        rng=rng,
    )
    return ReputationPrescoring(training, note_init is not None, state)


def score_reputation(
    view: CoreInputs, prescoring: ReputationPrescoring, spec: ScorerSpec
) -> ReputationRun:
    """Final scoring on the scorer's ``view`` from its ``prescoring``; rows only for
    captured notes (multimodel §2.3), statuses CRH above the threshold, else NMR."""
    config = spec.config
    scoped = view.scoped
    n_notes = view.n_notes
    training = filter_ratings_for_training(
        scoped.note_idx, scoped.rater_idx, n_notes, view.n_participants, config.training
    )
    train = scoped.subset(training)
    final = fit_reputation_final(
        train.note_idx,
        train.rater_idx,
        train.helpful_num,
        n_notes=n_notes,
        n_raters=view.n_participants,
        state=prescoring.state,
        config=_config(spec),
    )
    rows = np.isfinite(final.note_intercepts) & view.captured
    status = np.where(
        final.crh,
        np.int8(NoteStatus.CURRENTLY_RATED_HELPFUL),
        np.int8(NoteStatus.NEEDS_MORE_RATINGS),
    ).astype(np.int8)
    status[~rows] = -1
    return ReputationRun(prescoring, final, rows, status)
