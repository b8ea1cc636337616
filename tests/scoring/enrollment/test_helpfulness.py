"""Rater helpfulness gate (scoring-extended.md §2.8, scoring-core.md §4.5)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from bridgewatch.errors import ConfigError
from bridgewatch.model import NoteStatus
from bridgewatch.scoring.enrollment import (
    EnrollmentConfig,
    HelpfulnessConfig,
    score_rater_helpfulness,
)
from tests.scoring.enrollment.helpers import HOUR_MS, MISSING_MS, make_notes, make_ratings

T = 1_790_000_000_000
CRH = NoteStatus.CURRENTLY_RATED_HELPFUL
CRNH = NoteStatus.CURRENTLY_RATED_NOT_HELPFUL
NMR = NoteStatus.NEEDS_MORE_RATINGS


def test_gate_combines_author_and_rater_conditions() -> None:
    # Notes 0-1 by participant 0 (CRH 0.5, CRNH -0.1); notes 2-4 CRH by participant 9 with
    # intercept 0.6; note 5 is NMR and unscored.
    notes = make_notes(
        [
            (0, T, 1, CRH, MISSING_MS),
            (0, T, 2, CRNH, MISSING_MS),
            (9, T, 3, CRH, MISSING_MS),
            (9, T, 4, CRH, MISSING_MS),
            (9, T, 5, CRH, MISSING_MS),
            (9, T, 6, NMR, MISSING_MS),
        ]
    )
    intercepts = np.array([0.5, -0.1, 0.6, 0.6, 0.6, np.nan])
    early = T + HOUR_MS
    ratings = make_ratings(
        [
            (0, 2, 1.0, early),  # author 0 agrees 1/1 but fails the author condition
            (1, 2, 1.0, early),
            (1, 3, 1.0, early),
            (1, 4, 0.0, early),  # rater 1: 2 of 3 agree
            (2, 2, 1.0, early),
            (2, 3, 1.0, early),
            (2, 4, 1.0, early),  # rater 2: 3 of 3 agree, but penalised below
            (2, 5, 1.0, early),  # helpful on harassment note 5 (h = 2.4), not valid (NMR)
            (3, 5, 1.0, early),  # rater 3: no valid rating
        ],
        n_notes=6,
        n_participants=10,
    )
    harassment = np.array([np.nan, np.nan, 1.9, np.nan, np.nan, 2.4])
    out = score_rater_helpfulness(
        ratings,
        notes,
        intercepts,
        config=HelpfulnessConfig(),
        enrollment_config=EnrollmentConfig(),
        harassment_intercepts=harassment,
    )
    assert out.crh_crnh_ratio_difference[0] == pytest.approx(0.5 - 5 * 0.5)
    assert out.mean_note_score[0] == pytest.approx(0.2)
    assert out.mean_note_score[9] == pytest.approx(0.6)
    assert np.isnan(out.mean_note_score[1])
    np.testing.assert_allclose(out.rater_agree_ratio[:3], [1.0, 2 / 3, 1.0])
    assert np.isnan(out.rater_agree_ratio[3])
    # Rater 2: 10 * 2.4 / 2.0 = 12 off three agreeing ratings; note 2 (h 1.9) is below 2.0.
    assert out.harassment_penalty[:4].tolist() == [0.0, 0.0, 12.0, 12.0]
    assert out.rater_agree_ratio_with_penalty[2] == pytest.approx((3 - 12) / 3)
    assert out.above_threshold[:4].tolist() == [False, True, False, False]
    assert not out.above_threshold[9]  # an author without valid ratings


def test_agree_ratio_exactly_at_the_minimum_passes() -> None:
    notes = make_notes([(9, T, k, CRH, MISSING_MS) for k in range(50)])
    rows = [(0, k, 1.0, T + HOUR_MS) for k in range(33)]
    rows += [(0, 33 + k, 0.0, T + HOUR_MS) for k in range(17)]
    ratings = make_ratings(rows, n_notes=50, n_participants=10)
    out = score_rater_helpfulness(
        ratings,
        notes,
        np.full(50, 0.5),
        config=HelpfulnessConfig(),
        enrollment_config=EnrollmentConfig(),
    )
    assert out.rater_agree_ratio[0] == pytest.approx(0.66)
    assert bool(out.above_threshold[0])


@pytest.mark.parametrize(
    ("field", "value"),
    [("crnh_multiplier", -1.0), ("min_rater_agree_ratio", 1.5), ("min_harassment_intercept", 0)],
)
def test_bad_config_names_the_field(field: str, value: float) -> None:
    with pytest.raises(ConfigError) as info:
        dataclasses.replace(HelpfulnessConfig(), **{field: value})
    assert info.value.field == field
