"""Helpfulness scores and aboveHelpfulnessThreshold (scoring-core.md §4.5)."""

from __future__ import annotations

import numpy as np
import pytest

from bridgewatch.model import NoteStatus
from bridgewatch.scoring.helpfulness import (
    HelpfulnessConfig,
    ValidRatingCounts,
    compute_helpfulness_scores,
)

CRH = NoteStatus.CURRENTLY_RATED_HELPFUL
CRNH = NoteStatus.CURRENTLY_RATED_NOT_HELPFUL
NMR = NoteStatus.NEEDS_MORE_RATINGS


def _counts(valid: list[int], agree: list[int]) -> ValidRatingCounts:
    z = np.zeros(len(valid), dtype=np.int64)
    return ValidRatingCounts(
        valid=np.array(valid, dtype=np.int64),
        agree=np.array(agree, dtype=np.int64),
        successful_helpful=z,
        successful_not_helpful=z,
        unsuccessful_helpful=z,
        unsuccessful_not_helpful=z,
    )


def test_author_and_rater_parts() -> None:
    # participant 0 authors notes 0 (CRH, 0.5), 1 (NMR, 0.1) and 2 (no intercept);
    # participant 1 authors note 3 (CRNH, -0.3); participant 2 authors nothing.
    authors = np.array([0, 0, 0, 1], dtype=np.int32)
    intercept = np.array([0.5, 0.1, np.nan, -0.3])
    status = np.array([CRH, NMR, NMR, CRNH], dtype=np.int8)
    counts = _counts([3, 3, 10, 0], [3, 3, 6, 0])
    s = compute_helpfulness_scores(authors, intercept, status, counts, 4, HelpfulnessConfig())
    assert s.crh_crnh_ratio_difference[:2] == pytest.approx([0.5, -5.0])
    assert s.mean_note_score[:2] == pytest.approx([0.3, -0.3])
    assert np.isnan(s.crh_crnh_ratio_difference[2])
    assert s.rater_agree_ratio[:3] == pytest.approx([1.0, 1.0, 0.6])
    assert np.isnan(s.rater_agree_ratio[3])
    # 0 passes; 1 fails the author test; 2 fails the agree ratio; 3 has no valid ratings
    assert s.above_helpfulness_threshold.tolist() == [True, False, False, False]
    assert s.has_row.tolist() == [True, True, True, False]


def test_penalty_pushes_a_rater_below_threshold() -> None:
    cfg = HelpfulnessConfig()
    penalty = np.array([12.0, 0.0])  # 10 * 2.4 / 2.0 for one helpful rating on h = 2.4
    authors = np.array([-1, -1], dtype=np.int32)
    status = np.array([NMR, NMR], dtype=np.int8)
    counts = _counts([20, 20], [20, 20])
    s = compute_helpfulness_scores(
        authors, np.array([np.nan, np.nan]), status, counts, 2, cfg, penalty=penalty
    )
    assert s.rater_agree_ratio_with_penalty.tolist() == pytest.approx([0.4, 1.0])
    assert s.above_helpfulness_threshold.tolist() == [False, True]
