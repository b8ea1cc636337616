"""Contributors' figures kept live: rating impact, writing impact and enrollment per pass.

Every worker pass runs the contributor phase of ``score`` (``score_contributors``: valid
ratings and rating impact, writing outcomes, the enrollment state machine; spec-extended §2)
on the pass's ratings and statuses, from the enrollment table as the last refit loaded it, so
a contributor's figures follow the status changes the worker makes (one who earns writing
ability can write at once) and a pass at a refit point writes what the batch writes
(``pipeline.publish``). Only the rows that changed since the last published figures are
written: ``contributor_scores`` (the API's impact figures) and the ``enrollment`` table (the
writing ability the use cases check).

The rating outcomes (valid ratings and rating impact, the O(ratings) part of the phase) are
kept as running totals per participant (:class:`OutcomeTally`): a rating's outcome depends
only on its note's ratings and facts (times, final status), so a pass recounts the notes
whose ratings or facts changed, subtracting their previous counts, and equals a recount
(``tests/pipeline/test_live_tallies.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl
from numpy.typing import NDArray

from bridgewatch.model import IdIndex, Ratings
from bridgewatch.scoring.contributors import Contributors
from bridgewatch.scoring.enrollment import (
    EnrollmentConfig,
    RatingOutcomes,
    ScoredNoteFacts,
    outcome_counts,
    outcomes_from_counts,
)
from bridgewatch.scoring.incremental.compact import ratings_of_notes
from bridgewatch.scoring.inputs import CoreInputs
from bridgewatch.scoring.prescoring import PrescoringResult

__all__ = [
    "COUNT_COLUMNS",
    "ContributorFigures",
    "ContributorRows",
    "OutcomeTally",
    "changed_rows",
    "contributor_figures",
    "enrolled_mask",
]

COUNT_COLUMNS: tuple[str, ...] = (
    "successful_rating_helpful_count",
    "successful_rating_not_helpful_count",
    "unsuccessful_rating_helpful_count",
    "unsuccessful_rating_not_helpful_count",
    "ratings_awaiting_more_ratings",
    "notes_currently_rated_helpful",
    "notes_currently_rated_not_helpful",
    "notes_awaiting_more_ratings",
    "aggregate_rating_received_total",
)
"""``contributor_scores`` count columns, in the order of ``ContributorFigures.counts``."""

_DECIDING = [0, 1, 4]  # state, earn-in target, times earned out (not the times)
_ENROLLMENT_COLUMNS = (
    "enrollmentState",
    "successfulRatingNeededToEarnIn",
    "timestampOfLastStateChange",
    "timestampOfLastEarnOut",
    "numberOfTimesEarnedOut",
)


@dataclass(frozen=True)
class ContributorFigures:
    """One run's published contributor figures, per participant of the run's index.

    Attributes
    ----------
    participant_ids : the index.
    listed : bool, participants with a ``helpfulness_scores`` row (raters, authors,
        prescored raters): the rows written.
    counts : int64 array of shape (n, 9), :data:`COUNT_COLUMNS` (0 where not counted).
    rater_intercept, rater_factor : float64, Core's prescoring rater parameters (NaN none).
    above : int8, above the helpfulness threshold (-1: no helpfulness row).
    enrollment : int64 array of shape (n, 5): state, earn-in target, last state change, last
        earn-out, times earned out (-1: none).
    """

    participant_ids: IdIndex
    listed: NDArray[np.bool_]
    counts: NDArray[np.int64]
    rater_intercept: NDArray[np.float64]
    rater_factor: NDArray[np.float64]
    above: NDArray[np.int8]
    enrollment: NDArray[np.int64]


def contributor_figures(
    inputs: CoreInputs,
    pre: PrescoringResult,
    contributors: Contributors,
    is_rater: NDArray[np.bool_] | None = None,
) -> ContributorFigures:
    """The figures ``score`` writes to ``helpfulness_scores`` for the same run (the rows
    and columns ``pipeline.publish`` stores), as arrays.

    Parameters
    ----------
    inputs : the run's shared inputs (``inputs.ratings``: the preprocessed ratings).
    pre : Core's prescoring.
    contributors : ``score_contributors`` of the run.
    is_rater : bool per participant, has a rating in ``inputs.ratings`` (when the caller
        keeps it: :attr:`OutcomeTally.rated`).
    """
    n = inputs.n_participants
    e = contributors.enrollment
    r, w, table = e.ratings, e.writing, e.table
    if is_rater is None:
        is_rater = np.bincount(inputs.ratings.rater_idx, minlength=n) > 0
    has_help = pre.helpfulness.has_row
    final_round = np.isfinite(pre.final_round.rater_intercepts)
    listed = is_rater | w.is_author | has_help | final_round

    def on(mask: NDArray[np.bool_], values: NDArray[Any]) -> NDArray[np.int64]:
        out: NDArray[np.int64] = np.where(mask, values, 0).astype(np.int64)
        return out

    counts = np.stack(
        [
            on(is_rater, r.successful_helpful),
            on(is_rater, r.successful_not_helpful),
            on(is_rater, r.unsuccessful_helpful),
            on(is_rater, r.unsuccessful_not_helpful),
            on(is_rater, r.ratings_awaiting_more_ratings),
            on(w.is_author, w.notes_crh),
            on(w.is_author, w.notes_crnh),
            on(w.is_author, w.notes_nmr),
            on(w.is_author, w.aggregate_ratings_received),
        ],
        axis=1,
    )
    enrollment = np.stack(
        [
            table.state.astype(np.int64),
            table.successful_rating_needed_to_earn_in.astype(np.int64),
            table.last_state_change_ms.astype(np.int64),
            table.last_earn_out_ms.astype(np.int64),
            table.times_earned_out.astype(np.int64),
        ],
        axis=1,
    )
    above = np.where(has_help, pre.helpfulness.above_helpfulness_threshold, -1).astype(np.int8)
    return ContributorFigures(
        participant_ids=inputs.participant_ids,
        listed=listed,
        counts=counts,
        rater_intercept=np.asarray(pre.final_round.rater_intercepts, dtype=np.float64),
        rater_factor=np.asarray(pre.final_round.rater_factors[:, 0], dtype=np.float64),
        above=above,
        enrollment=enrollment,
    )


def _same(a: NDArray[np.float64], b: NDArray[np.float64]) -> NDArray[np.bool_]:
    """Element-wise equal, NaN equal to NaN (both stored as NULL)."""
    out: NDArray[np.bool_] = (a == b) | (np.isnan(a) & np.isnan(b))
    return out


def _absent(before: IdIndex, now: IdIndex) -> NDArray[np.bool_]:
    """Bool per participant of ``now``: not in ``before``."""
    out: NDArray[np.bool_] = before.lookup(np.asarray(now.ids, dtype=np.str_)) < 0
    return out


def _aligned(figures: ContributorFigures, index: IdIndex) -> ContributorFigures:
    """``figures`` on ``index``'s rows (matched by participant id; a participant ``figures``
    lacks is unlisted, with zero counts, NaN parameters and no enrollment); ``figures``
    itself when it is already on ``index``."""
    if figures.participant_ids is index:
        return figures
    rows = figures.participant_ids.lookup(np.asarray(index.ids, dtype=np.str_))
    have = rows >= 0
    at = np.where(have, rows, 0)

    def take(values: NDArray[Any], missing: Any) -> NDArray[Any]:
        if values.shape[0] == 0:
            shape = (rows.shape[0], *values.shape[1:])
            return np.full(shape, missing, dtype=values.dtype)
        out = values[at]
        out[~have] = missing
        return out

    return ContributorFigures(
        participant_ids=index,
        listed=take(figures.listed, False),
        counts=take(figures.counts, 0),
        rater_intercept=take(figures.rater_intercept, np.nan),
        rater_factor=take(figures.rater_factor, np.nan),
        above=take(figures.above, -1),
        enrollment=take(figures.enrollment, -1),
    )


def _num(value: float) -> float | None:
    return None if not np.isfinite(value) else float(value)


@dataclass(frozen=True)
class ContributorRows:
    """The rows of one pass: ``contributor_scores`` upserts and ``enrollment`` updates."""

    scores: list[dict[str, Any]]
    enrollment: list[dict[str, Any]]


def enrolled_mask(enrolled: pl.DataFrame, participant_ids: IdIndex) -> NDArray[np.bool_]:
    """Bool per participant: has a row in the enrollment frame (only those rows are updated,
    as in ``pipeline.publish``)."""
    known = np.zeros(len(participant_ids), dtype=np.bool_)
    if enrolled.height:
        rows = participant_ids.lookup(
            np.asarray(enrolled["participantId"].cast(pl.String).to_list(), dtype=np.str_)
        )
        known[rows[rows >= 0]] = True
    return known


def changed_rows(
    figures: ContributorFigures,
    previous: ContributorFigures | None,
    known: NDArray[np.bool_],
    as_of_ms: int,
) -> ContributorRows:
    """The rows of the listed participants whose figures differ from ``previous`` (all
    listed participants when None).

    ``previous`` may be another run's index (the figures a worker published before it
    installed a new refit): its rows are matched by participant id, and a participant it
    does not have counts as changed. Core's rater parameters count too (they change at
    refits only).

    Parameters
    ----------
    figures : this pass's figures.
    previous : the last published figures.
    known : bool per participant, :func:`enrolled_mask` of the enrollment the run loaded.
    as_of_ms : the pass's "now" (``scored_at_ms``).
    """
    listed = figures.listed
    if previous is None:
        score_rows = listed.copy()
        enroll_rows = listed.copy()
    else:
        old = _aligned(previous, figures.participant_ids)
        new_row = (
            _absent(previous.participant_ids, figures.participant_ids)
            if old is not previous
            else np.zeros_like(listed)
        )
        score_rows = listed & (
            new_row
            | (old.listed != listed)
            | np.any(old.counts != figures.counts, axis=1)
            | (old.above != figures.above)
            | ~_same(old.rater_intercept, figures.rater_intercept)
            | ~_same(old.rater_factor, figures.rater_factor)
        )
        # The state, target and earn-out count: a participant the run moves moves again on
        # every pass from the refit's table, with that pass's time as its change time, so the
        # times alone do not make a row change (the first pass that moves it writes them).
        moved = old.enrollment[:, _DECIDING] != figures.enrollment[:, _DECIDING]
        enroll_rows = listed & (new_row | (old.listed != listed) | np.any(moved, axis=1))
    ids = figures.participant_ids.ids
    scores = []
    for k in np.flatnonzero(score_rows).tolist():
        above = int(figures.above[k])
        scores.append(
            {
                "participant_id": str(ids[k]),
                "scored_at_ms": int(as_of_ms),
                "core_rater_intercept": _num(float(figures.rater_intercept[k])),
                "core_rater_factor1": _num(float(figures.rater_factor[k])),
                "above_helpfulness_threshold": None if above < 0 else bool(above),
                **dict(zip(COUNT_COLUMNS, figures.counts[k].tolist(), strict=True)),
            }
        )
    enrollment = []
    for k in np.flatnonzero(enroll_rows & known).tolist():
        values = figures.enrollment[k].tolist()
        row: dict[str, Any] = {"participantId": str(ids[k]), "enrollmentState": values[0]}
        for name, value in zip(_ENROLLMENT_COLUMNS[1:], values[1:], strict=True):
            row[name] = value if value >= 0 else None
        enrollment.append(row)
    return ContributorRows(scores, enrollment)


_FACT_FIELDS = ("created_at_ms", "final_status", "latest_non_nmr_ms")


@dataclass(frozen=True)
class OutcomeTally:
    """Running totals of the rating outcomes of every participant (see the module
    docstring), and the note facts they were counted with.

    Attributes
    ----------
    note_ids : the note index of the counts (sorted).
    participant_ids : the participant index.
    facts : the facts of every note the counts were made with.
    counts : int64 array of shape (n_participants, len(OUTCOME_COUNTS)), ``outcome_counts``
        over every rating.
    """

    note_ids: NDArray[np.str_]
    participant_ids: IdIndex
    facts: ScoredNoteFacts
    counts: NDArray[np.int64]

    @property
    def outcomes(self) -> RatingOutcomes:
        """The totals as ``RatingOutcomes`` (as ``score_rating_outcomes`` counts them)."""
        return outcomes_from_counts(self.counts)

    @property
    def rated(self) -> NDArray[np.bool_]:
        """bool per participant: has a rating."""
        out: NDArray[np.bool_] = self.counts[:, -1] > 0
        return out

    @classmethod
    def count(
        cls, ratings: Ratings, facts: ScoredNoteFacts, config: EnrollmentConfig
    ) -> OutcomeTally:
        """The totals over every rating (a recount)."""
        return cls(
            np.asarray(ratings.note_ids.ids, dtype=np.str_),
            ratings.participant_ids,
            facts,
            outcome_counts(ratings, facts, config),
        )

    def updated(
        self,
        before: Ratings,
        ratings: Ratings,
        facts: ScoredNoteFacts,
        touched: NDArray[np.int64] | None,
        config: EnrollmentConfig,
    ) -> OutcomeTally:
        """The totals after a pass.

        Parameters
        ----------
        before : the ratings the totals were counted over.
        ratings : the pass's ratings (``CoreInputs.ratings``).
        facts : the pass's note facts.
        touched : int64 rows of every note whose ratings may differ between ``before`` and
            ``ratings`` (a superset); None: unknown (a recount).
        config : EnrollmentConfig

        Returns
        -------
        OutcomeTally equal to :meth:`count` of ``ratings`` and ``facts``: only the notes at
        ``touched`` and those whose facts changed are recounted (a recount when the note or
        participant index changed).
        """
        ids = ratings.note_ids.ids
        same = (
            touched is not None
            and ratings.participant_ids is self.participant_ids
            and before.participant_ids is self.participant_ids
            and self.note_ids.shape == ids.shape
            and before.note_ids.ids.shape == ids.shape
            and (self.note_ids is ids or np.array_equal(self.note_ids, ids))
            and (before.note_ids.ids is ids or np.array_equal(before.note_ids.ids, ids))
            and np.array_equal(self.facts.author_idx, facts.author_idx)
        )
        if not same:
            return OutcomeTally.count(ratings, facts, config)
        assert touched is not None
        moved = np.zeros(ids.shape[0], dtype=np.bool_)
        for name in _FACT_FIELDS:
            moved |= getattr(self.facts, name) != getattr(facts, name)
        moved[touched] = True
        rows = np.flatnonzero(moved).astype(np.int64)
        counts = self.counts
        if rows.shape[0]:
            old = outcome_counts(
                ratings_of_notes(before, rows), _facts_of(self.facts, rows), config
            )
            new = outcome_counts(ratings_of_notes(ratings, rows), _facts_of(facts, rows), config)
            counts = counts - old + new
        return OutcomeTally(self.note_ids, self.participant_ids, facts, counts)


def _facts_of(facts: ScoredNoteFacts, rows: NDArray[np.int64]) -> ScoredNoteFacts:
    return ScoredNoteFacts(
        author_idx=facts.author_idx[rows],
        created_at_ms=facts.created_at_ms[rows],
        sort_key=facts.sort_key[rows],
        final_status=facts.final_status[rows],
        latest_non_nmr_ms=facts.latest_non_nmr_ms[rows],
        num_ratings=facts.num_ratings[rows],
    )
