"""Impact figures and the daily note limit (spec-extended §2.3, §2.4, §7.2.1)."""

from __future__ import annotations

from typing import Any

import pytest

from bridgewatch.store.rows import ContributorScoresRow
from bridgewatch.usecases.impact import compute_impact, daily_note_limit


def scores(**figures: Any) -> ContributorScoresRow:
    """A contributor_scores row scored at 1 ms with these figures, the others 0."""
    counts = {
        f: 0
        for f in ContributorScoresRow.__dataclass_fields__
        if f.endswith(("_count", "_helpful", "_ratings", "_total"))
    }
    return ContributorScoresRow(
        **{
            "participant_id": "p",
            "scored_at_ms": 1,
            "core_rater_intercept": None,
            "core_rater_factor1": None,
            "above_helpfulness_threshold": None,
            **counts,
            **figures,
        }
    )


def test_no_scores_mean_zero_impact_and_five_notes() -> None:
    impact = compute_impact(None)
    assert impact.rating_impact == 0 and impact.writing_impact == 0
    assert daily_note_limit(impact) == 5


def test_rating_impact_counts_helpful_on_crnh_twice() -> None:
    impact = compute_impact(
        scores(
            successful_rating_helpful_count=4,
            successful_rating_not_helpful_count=2,
            unsuccessful_rating_helpful_count=1,
            unsuccessful_rating_not_helpful_count=2,
        )
    )
    assert impact.successful_rating_total == 6
    assert impact.unsuccessful_rating_total == 3
    assert impact.rating_impact == 6 - 3 - 2


@pytest.mark.parametrize(
    ("crh", "crnh", "nmr", "limit"),
    [
        (0, 0, 7, 5),  # no decided note yet: WI + 5
        (1, 2, 0, 1),  # WI < 0
        (1, 1, 0, 1),  # WI = 0, hitRate 0 -> never below 1
        (3, 1, 96, 4),  # hitRate 0.02 -> 4
        (20, 0, 0, 25),  # WI + 5 binds
    ],
)
def test_daily_note_limit(crh: int, crnh: int, nmr: int, limit: int) -> None:
    impact = compute_impact(
        scores(
            notes_currently_rated_helpful=crh,
            notes_currently_rated_not_helpful=crnh,
            notes_awaiting_more_ratings=nmr,
        )
    )
    assert daily_note_limit(impact) == limit


def test_top_writer_needs_wi_10_and_hit_rate_4_percent() -> None:
    assert compute_impact(scores(notes_currently_rated_helpful=10)).is_top_writer
    assert not compute_impact(
        scores(notes_currently_rated_helpful=10, notes_awaiting_more_ratings=300)
    ).is_top_writer
