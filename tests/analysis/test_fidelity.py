"""Comparison of scored notes with the reference's."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest

from bridgewatch.analysis.fidelity import compare_scored_notes

CRH, CRNH, NMR = "CURRENTLY_RATED_HELPFUL", "CURRENTLY_RATED_NOT_HELPFUL", "NEEDS_MORE_RATINGS"


def test_agreement_jaccard_and_correlation_over_core_path_notes() -> None:
    reference = pl.DataFrame(
        {
            "noteId": ["1", "2", "3", "4", "5"],
            "finalRatingStatus": [CRH, CRH, NMR, CRNH, CRH],
            "coreNoteIntercept": [0.5, 0.45, 0.1, -0.2, None],
            "decidedBy": [
                "CoreModel (v1.1)",
                "CoreModel (v1.1)",
                "NmrDueToMinStableCrhTime (v1.0)",
                "CoreModel (v1.1)",
                "GaussianModel (v1.0)",  # not Core path: ignored
            ],
        }
    )
    ours = pl.DataFrame(
        {
            "noteId": [1, 2, 3, 4, 5],
            "finalRatingStatus": [CRH, NMR, CRH, CRNH, NMR],
            "coreNoteIntercept": [0.52, 0.38, 0.41, -0.25, 0.1],
        }
    )
    report = compare_scored_notes(ours, reference)
    assert report.n_notes == 4
    assert report.status_agreement == pytest.approx(0.5)
    # CRH sets: ref {1,2}, ours {1,3} -> 1/3
    assert report.crh_jaccard == pytest.approx(1 / 3)
    assert report.n_intercepts == 4
    expected = np.corrcoef([0.5, 0.45, 0.1, -0.2], [0.52, 0.38, 0.41, -0.25])[0, 1]
    assert report.intercept_correlation == pytest.approx(expected)
    assert report.differing["noteId"].to_list() == ["2", "3"]
    assert report.confusion["count"].sum() == 4


def test_missing_notes_count_as_disagreement_and_nan_correlation() -> None:
    reference = pl.DataFrame(
        {
            "noteId": ["1"],
            "finalRatingStatus": [NMR],
            "coreNoteIntercept": [0.0],
            "decidedBy": ["CoreModel (v1.1)"],
        }
    )
    ours = pl.DataFrame({"noteId": ["9"], "finalRatingStatus": [NMR], "coreNoteIntercept": [0.0]})
    report = compare_scored_notes(ours, reference)
    assert report.status_agreement == 0.0
    assert report.crh_jaccard == 1.0
    assert math.isnan(report.intercept_correlation)
