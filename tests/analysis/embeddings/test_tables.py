"""Reading score outputs into long embedding frames."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from bridgewatch.analysis.embeddings import (
    note_embeddings,
    rater_embeddings,
    read_score_tables,
    scorer_factor,
)
from bridgewatch.errors import InputError


def test_rater_embeddings_stack_every_scorer_and_skip_unfitted_raters() -> None:
    frame = pl.DataFrame(
        {
            "raterParticipantId": ["a", "b"],
            "coreRaterIntercept": [0.1, None],
            "coreRaterFactor1": [0.5, None],
            "groupRaterIntercept": [0.2, 0.3],
            "groupRaterFactor1": [-0.5, 0.4],
            "coreFirstRoundRaterIntercept": [float("nan"), 0.0],
            "coreFirstRoundRaterFactor1": [float("nan"), 0.0],
        }
    )
    got = rater_embeddings(frame).sort("scorer", "raterParticipantId")
    assert got.select("raterParticipantId", "scorer").rows() == [
        ("a", "core"),
        ("b", "coreFirstRound"),
        ("a", "group"),
        ("b", "group"),
    ]
    core = scorer_factor(got, "core", "raterParticipantId")
    assert core.rows() == [("a", 0.1, 0.5)]
    with pytest.raises(InputError, match="scorers present: core, coreFirstRound, group"):
        scorer_factor(got, "expansion", "raterParticipantId")


def test_note_embeddings_carry_each_scorers_status_and_allow_intercept_only_scorers() -> None:
    frame = pl.DataFrame(
        {
            "noteId": ["1"],
            "coreNoteIntercept": [0.4],
            "coreNoteFactor1": [0.1],
            "coreRatingStatus": ["CURRENTLY_RATED_HELPFUL"],
            "gaussianNoteIntercept": [0.2],
        }
    )
    got = note_embeddings(frame).sort("scorer")
    assert got.rows() == [
        ("1", "core", 0.4, 0.1, "CURRENTLY_RATED_HELPFUL"),
        ("1", "gaussian", 0.2, None, None),
    ]


def test_a_missing_output_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"scored_notes\.tsv"):
        read_score_tables(tmp_path)
