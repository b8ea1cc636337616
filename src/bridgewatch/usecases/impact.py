"""Rating Impact, Writing Impact, writing ability and the daily note limit.

Figures come from the contributor phase of the scorer (``contributor_scores``); before the
first scoring run everyone has zero impact.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from bridgewatch.store.rows import ContributorScoresRow

__all__ = ["Impact", "compute_impact", "daily_note_limit"]

# Top Writer thresholds (spec-extended §2.7).
_TOP_WRITER_MIN_WI = 10
_TOP_WRITER_MIN_HIT_RATE = 0.04


@dataclass(frozen=True)
class Impact:
    """A contributor's impact figures (spec-extended §2.3, §2.4, §2.7)."""

    rating_impact: int
    successful_rating_total: int
    unsuccessful_rating_total: int
    ratings_awaiting_more_ratings: int
    writing_impact: int
    notes_currently_rated_helpful: int
    notes_currently_rated_not_helpful: int
    notes_awaiting_more_ratings: int
    hit_rate: float
    is_top_writer: bool
    scored_at_millis: int | None


# Zero figures: a contributor before the scorer's first run.
_UNSCORED = ContributorScoresRow("", 0, None, None, 0, 0, 0, 0, 0, 0, 0, 0, 0, None)


def compute_impact(scores: ContributorScoresRow | None) -> Impact:
    """Impact from a ``contributor_scores`` row (zeros when the scorer has not run yet).

    RI = successfulTotal - unsuccessfulTotal - unsuccessfulRatingNotHelpfulCount (§2.3);
    WI = CRH - CRNH and hitRate = WI / max(1, CRH + CRNH + NMR) (§2.4).
    """
    if scores is None:
        scores = _UNSCORED
    succ = scores.successful_rating_helpful_count + scores.successful_rating_not_helpful_count
    unsucc_nh = scores.unsuccessful_rating_not_helpful_count
    unsucc = scores.unsuccessful_rating_helpful_count + unsucc_nh
    crh = scores.notes_currently_rated_helpful
    crnh = scores.notes_currently_rated_not_helpful
    nmr = scores.notes_awaiting_more_ratings
    wi = crh - crnh
    hit_rate = wi / max(1, crh + crnh + nmr)
    return Impact(
        rating_impact=succ - unsucc - unsucc_nh,
        successful_rating_total=succ,
        unsuccessful_rating_total=unsucc,
        ratings_awaiting_more_ratings=scores.ratings_awaiting_more_ratings,
        writing_impact=wi,
        notes_currently_rated_helpful=crh,
        notes_currently_rated_not_helpful=crnh,
        notes_awaiting_more_ratings=nmr,
        hit_rate=hit_rate,
        is_top_writer=wi >= _TOP_WRITER_MIN_WI and hit_rate >= _TOP_WRITER_MIN_HIT_RATE,
        scored_at_millis=None if scores is _UNSCORED else scores.scored_at_ms,
    )


def daily_note_limit(impact: Impact) -> int:
    """Notes a writer may write per 24 h (spec-extended §7.2.1).

    1 if WI < 0, else min(WI + 5, hitRate x 200). The spec leaves the new writer open (its
    WI = 0 example yields 5): a writer with no decided note (CRH + CRNH = 0) gets WI + 5, so
    the hit rate applies only once it means something; and the limit is never below 1.
    """
    wi = impact.writing_impact
    if wi < 0:
        return 1
    if impact.notes_currently_rated_helpful + impact.notes_currently_rated_not_helpful == 0:
        return wi + 5
    return max(1, min(wi + 5, math.floor(impact.hit_rate * 200)))
