"""Contributor statistics (§11.4) reproduce the reference exactly from its own statuses.

Given the reference's final statuses, new status history and ``numRatings`` of run 2, the
rating and writing counts of ``helpfulness_scores.tsv`` must match the reference's for every
contributor: they are pure counting, with no randomness involved.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from numpy.typing import NDArray

from bridgewatch.io.dataset import load_dataset
from bridgewatch.scoring.helpfulness import (
    ContributorConfig,
    ContributorStats,
    compute_contributor_stats,
)
from bridgewatch.scoring.history import StatusHistory, status_codes

# $BRIDGEWATCH_FIXTURES, else ../shared beside the repository (CI), else the worktree layout.
_BESIDE = Path(__file__).parents[3] / "shared" / "fixtures"
FIXTURES = Path(
    os.environ.get("BRIDGEWATCH_FIXTURES", _BESIDE if _BESIDE.is_dir() else "/work/shared/fixtures")
)


def _tsv(path: Path) -> pl.DataFrame:
    if not path.exists():
        pytest.skip(f"fixture file {path} is not available")
    return pl.read_csv(path, separator="\t", infer_schema_length=0, quote_char=None)


@pytest.fixture(scope="module")
def stats_and_reference() -> tuple[ContributorStats, pl.DataFrame, NDArray[np.int32]]:
    base = FIXTURES / "S-core"
    ref_dir = base / "reference" / "run2"
    scored = _tsv(ref_dir / "scored_notes.tsv")
    history = StatusHistory.from_frame(_tsv(ref_dir / "note_status_history.tsv"))
    reference = _tsv(ref_dir / "helpfulness_scores.tsv")
    data = load_dataset(
        notes=base / "input" / "notes-00000.tsv", ratings=base / "input" / "ratings-00000.tsv"
    )
    ratings = data.ratings
    n_notes = len(data.note_ids)
    rows = data.note_ids.lookup(history.note_id)
    in_nsh = np.zeros(n_notes, dtype=np.bool_)
    in_nsh[rows] = True
    created = np.zeros(n_notes, dtype=np.int64)
    created[rows] = history.created_at_ms
    authors = np.full(n_notes, -1, dtype=np.int32)
    authors[rows] = data.participant_ids.lookup(history.author_id)
    latest = np.full(n_notes, np.nan)
    latest[rows] = history.latest_non_nmr_ts
    status = np.full(n_notes, -1, dtype=np.int8)
    num_ratings = np.zeros(n_notes, dtype=np.int64)
    scored_rows = data.note_ids.lookup(np.asarray(scored["noteId"].to_list(), dtype=np.str_))
    status[scored_rows] = status_codes(scored["finalRatingStatus"])
    num_ratings[scored_rows] = scored["numRatings"].cast(pl.Float64).fill_null(0).to_numpy()
    stats = compute_contributor_stats(
        ratings.note_idx,
        ratings.rater_idx,
        ratings.created_at_ms,
        ratings.helpful_num,
        in_nsh,
        created,
        authors,
        latest,
        status,
        num_ratings,
        len(data.participant_ids),
        ContributorConfig(),
    )
    who = data.participant_ids.lookup(
        np.asarray(reference["raterParticipantId"].to_list(), dtype=np.str_)
    )
    return stats, reference, who


def _column(stats: ContributorStats, name: str) -> NDArray[np.int64]:
    v = stats.valid
    columns = {
        "successfulRatingHelpfulCount": v.successful_helpful,
        "successfulRatingNotHelpfulCount": v.successful_not_helpful,
        "successfulRatingTotal": v.successful_helpful + v.successful_not_helpful,
        "unsuccessfulRatingHelpfulCount": v.unsuccessful_helpful,
        "unsuccessfulRatingNotHelpfulCount": v.unsuccessful_not_helpful,
        "unsuccessfulRatingTotal": v.unsuccessful_helpful + v.unsuccessful_not_helpful,
        "ratingsAwaitingMoreRatings": stats.ratings_awaiting_more_ratings,
        "ratedAfterDecision": stats.rated_after_decision,
        "notesCurrentlyRatedHelpful": stats.notes_crh,
        "notesCurrentlyRatedNotHelpful": stats.notes_crnh,
        "notesAwaitingMoreRatings": stats.notes_nmr,
        "aggregateRatingReceivedTotal": stats.aggregate_rating_received_total,
        "crhTotal14d": stats.crh_14d,
        "crnhTotal14d": stats.crnh_14d,
        "nmrTotal14d": stats.nmr_14d,
        "crhTotal90d": stats.crh_90d,
        "crnhTotal90d": stats.crnh_90d,
        "nmrTotal90d": stats.nmr_90d,
    }
    return columns[name]


@pytest.mark.parametrize(
    "column",
    [
        "successfulRatingHelpfulCount",
        "successfulRatingNotHelpfulCount",
        "successfulRatingTotal",
        "unsuccessfulRatingHelpfulCount",
        "unsuccessfulRatingNotHelpfulCount",
        "unsuccessfulRatingTotal",
        "ratingsAwaitingMoreRatings",
        "ratedAfterDecision",
        "notesCurrentlyRatedHelpful",
        "notesCurrentlyRatedNotHelpful",
        "notesAwaitingMoreRatings",
        "aggregateRatingReceivedTotal",
        "crhTotal14d",
        "crnhTotal14d",
        "nmrTotal14d",
        "crhTotal90d",
        "crnhTotal90d",
        "nmrTotal90d",
    ],
)
def test_contributor_counts_match_the_reference_exactly(
    stats_and_reference: tuple[ContributorStats, pl.DataFrame, NDArray[np.int32]], column: str
) -> None:
    stats, reference, who = stats_and_reference
    expected = reference[column].cast(pl.Float64).to_numpy()
    present = ~np.isnan(expected)
    assert present.sum() > 1000
    ours = _column(stats, column)[who].astype(np.float64)
    np.testing.assert_array_equal(ours[present], expected[present])
