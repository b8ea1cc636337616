"""Per-note and per-rater diversity on cases small enough to check on paper."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from bridgewatch.analysis.embeddings import (
    helpful_share_by_side,
    note_diversity,
    ranking_auc,
    rater_diversity,
)
from tests.analysis.embeddings.factories import matrix_of


def test_note_diversity_counts_support_by_side() -> None:
    # Note 0: left +1, neutral +1, right +1 and -1. Note 1: two right raters +1.
    m = matrix_of([(0, 0, 1), (1, 0, 1), (2, 0, 1), (3, 0, -1), (2, 1, 1), (3, 1, 1)], 4, 2)
    factors = np.array([-1.0, -0.1, 1.0, 0.5])
    scores = pl.DataFrame(
        {
            "noteId": ["n0", "n1"],
            "intercept": [0.3, 0.1],
            "factor": [0.0, 0.8],
            "status": ["A", "B"],
        }
    )
    got = note_diversity(m, factors, scores).sort("noteId")
    n0 = got.row(0, named=True)
    assert (n0["helpfulLeft"], n0["helpfulNeutral"], n0["helpfulRight"]) == (1, 1, 1)
    assert n0["ratingsRight"] == 2
    assert n0["minSideHelpful"] == 1
    assert n0["consensus"] == pytest.approx((2 / 3) * (2 / 4))
    assert n0["divisiveness"] == pytest.approx(2 / 3 - 2 / 4)
    assert n0["helpfulFactorMean"] == pytest.approx((-1.0 - 0.1 + 1.0) / 3)
    assert n0["helpfulFactorSd"] == pytest.approx(np.std([-1.0, -0.1, 1.0], ddof=1))
    assert n0["bridgingScore"] == 0.3
    assert not n0["likedByDifferentPerspectives"]  # one HELPFUL a side, two needed
    n1 = got.row(1, named=True)
    assert (n1["helpfulLeft"], n1["helpfulRight"]) == (0, 2)
    assert n1["divisiveness"] == pytest.approx(3 / 4 - 1 / 2)


def test_liked_by_different_perspectives_needs_helpful_votes_from_both_sides() -> None:
    m = matrix_of([(0, 0, 1), (1, 0, 1), (2, 0, 1), (3, 0, 1), (4, 0, -1)], 5, 1)
    factors = np.array([-1.0, -0.5, 0.5, 1.0, 1.0])
    got = note_diversity(m, factors)
    assert got["likedByDifferentPerspectives"].to_list() == [True]
    assert got["bridgingScore"].is_null().all()


def test_rater_diversity_measures_how_often_raters_rate_the_other_side() -> None:
    m = matrix_of([(0, 0, 1), (0, 1, 1), (0, 2, -1), (1, 0, 1)], 3, 3)
    got = rater_diversity(m, np.array([-1.0, 0.2, np.nan]), np.array([-0.5, 0.5, 0.6]))
    r0 = got.row(0, named=True)
    assert r0["nRatings"] == 3
    assert r0["bucket"] == "left"
    assert r0["otherSideShare"] == pytest.approx(2 / 3)
    assert r0["ratedNoteFactorMean"] == pytest.approx(0.2)
    assert got.height == 2  # rater 2 rated nothing


def test_helpful_share_by_side_splits_votes_by_both_buckets() -> None:
    m = matrix_of([(0, 0, 1), (0, 1, -1), (1, 0, -1), (1, 1, 1)], 2, 2)
    got = helpful_share_by_side(m, np.array([-1.0, 1.0]), np.array([-1.0, 1.0]))
    share = {(r, n): s for r, n, _k, s in got.iter_rows()}
    assert share == {
        ("left", "left"): 1.0,
        ("left", "right"): 0.0,
        ("right", "left"): 0.0,
        ("right", "right"): 1.0,
    }


def test_ranking_auc_is_the_probability_a_positive_outranks_a_negative() -> None:
    scores = np.array([0.9, 0.8, 0.1, 0.4, np.nan])
    positive = np.array([True, False, False, True, True])
    assert ranking_auc(scores, positive) == pytest.approx(3 / 4)
    assert np.isnan(ranking_auc(scores, np.ones(5, dtype=bool)))
