"""Output table builders: exact reference headers (scoring-core.md §11) and values."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from bridgewatch.errors import InputError
from bridgewatch.io.writers import write_note_status_history, write_scored_notes
from bridgewatch.model import NoteStatus
from bridgewatch.scoring.history import StatusHistory
from bridgewatch.scoring.meta import (
    MetaConfig,
    MetaInputs,
    MetaResult,
    ScorerStatus,
    apply_meta_rules,
)
from bridgewatch.scoring.outputs import (
    CoreNoteScores,
    build_aux_note_info,
    build_helpfulness_scores,
    build_note_status_history,
    build_scored_notes,
)
from bridgewatch.scoring.status import (
    CoreRuleInputs,
    CoreRulesResult,
    StatusRulesConfig,
    apply_core_rules,
    compute_incorrect_aggregates,
    compute_tag_aggregates,
    count_tags,
)
from tests.scoring.factories import make_ratings

REFERENCE = Path("/work/shared/fixtures/S-core/reference/run1")
NAN = float("nan")
N = 2


def header(name: str) -> list[str]:
    if not (REFERENCE / name).exists():
        pytest.skip("fixtures not available")
    with open(REFERENCE / name, encoding="utf-8") as fh:
        return fh.readline().rstrip("\n").split("\t")


def results() -> tuple[CoreRulesResult, MetaResult, StatusHistory]:
    rules = apply_core_rules(
        CoreRuleInputs(
            scored=np.array([True, False]),
            num_ratings=np.array([9, 0]),
            classification=np.array([1, -1], np.int8),
            intercept=np.array([0.2, NAN]),
            factor=np.array([0.1, NAN]),
        ),
        StatusRulesConfig(),
        final_round=False,
    )
    meta = apply_meta_rules(
        MetaInputs(
            scorers=(ScorerStatus("CoreModel", "v1.1", rules.status),),
            core_intercept=np.array([0.2, NAN]),
            core_intercept_population_sampled=np.full(N, NAN),
            population_sampled_neg_count=np.zeros(N, int),
            population_sampled_pos_count=np.zeros(N, int),
            previous_status=np.full(N, -1, np.int8),
            stabilization_ts=np.full(N, NAN),
            first_non_nmr_status=np.full(N, -1, np.int8),
            locked_status=np.full(N, -1, np.int8),
            tag_counts=count_tags(make_ratings([], n_notes=N, n_participants=1)),
        ),
        5,
        MetaConfig(),
    )
    history = StatusHistory.new_rows(np.array(["10", "11"]), np.array(["a", "b"]), np.array([1, 2]))
    return rules, meta, history


def scored_notes() -> pl.DataFrame:
    rules, meta, history = results()
    return build_scored_notes(
        note_ids=history.note_id,
        classification=np.array([1, -1], np.int8),
        num_ratings=np.array([9, 0]),
        core=CoreNoteScores(*([np.array([0.2, NAN])] * 8)),
        rules=rules,
        meta=meta,
        history=history,
        epoch_ms=123,
        extra={"expansionRatingStatus": ["NEEDS_MORE_RATINGS", None]},
    )


def test_scored_notes_has_the_reference_header_and_values() -> None:
    frame = scored_notes()
    assert frame.columns == header("scored_notes.tsv")
    row = frame.row(0, named=True)
    assert row["coreActiveRules"] == "InitialNMR (v1.0)"
    assert row["decidedBy"] == "CoreModel (v1.1)"
    assert row["classification"] == "MISINFORMED_OR_POTENTIALLY_MISLEADING"
    assert row["expansionRatingStatus"] == "NEEDS_MORE_RATINGS"
    assert frame.row(1, named=True)["coreRatingStatus"] is None
    assert frame["timestampMillisOfCurrentStatus"].to_list() == [123.0, 123.0]


def test_aux_note_info_has_the_reference_header() -> None:
    _, meta, history = results()
    ratings = make_ratings([(0, 0, 1.0)], n_notes=N, n_participants=1)
    zeros = np.zeros(N)
    frame = build_aux_note_info(
        history=history,
        previous_status=np.array([NoteStatus.CURRENTLY_RATED_HELPFUL, -1], np.int8),
        meta=meta,
        tag_counts=count_tags(ratings),
        tags=compute_tag_aggregates(ratings, zeros, np.zeros(1), StatusRulesConfig()),
        incorrect=compute_incorrect_aggregates(
            ratings, zeros, np.zeros(1), np.zeros(1), np.zeros(1), StatusRulesConfig()
        ),
        low_diligence_intercept=zeros,
        population_sampled_neg_count=np.zeros(N, int),
        population_sampled_pos_count=np.zeros(N, int),
        num_ratings_last_28=np.zeros(N, int),
        num_population_sampled_ratings=np.zeros(N, int),
    )
    assert frame.columns == header("aux_note_info.tsv")
    assert frame["currentStatus"].to_list() == ["CURRENTLY_RATED_HELPFUL", None]
    assert frame["awaitingBool"].to_list() == [True, True]


def test_helpfulness_scores_and_nsh_have_the_reference_headers() -> None:
    frame = build_helpfulness_scores(np.array(["p1"]), {"coreRaterIntercept": np.array([0.1])})
    assert frame.columns == header("helpfulness_scores.tsv")
    assert frame["coreRaterIntercept"].to_list() == [0.1]
    _, _, history = results()
    assert build_note_status_history(history).columns == header("note_status_history.tsv")


def test_unknown_columns_and_wrong_lengths_are_rejected() -> None:
    with pytest.raises(InputError, match="notAColumn"):
        build_helpfulness_scores(np.array(["p1"]), {"notAColumn": [1]})
    with pytest.raises(InputError, match="meanNoteScore"):
        build_helpfulness_scores(np.array(["p1"]), {"meanNoteScore": [1, 2]})


def test_frames_write_through_the_io_writers_in_public_format(tmp_path: Path) -> None:
    rules, _, history = results()
    write_scored_notes(scored_notes(), tmp_path / "scored_notes.tsv")
    write_note_status_history(build_note_status_history(history), tmp_path / "nsh.tsv")
    lines = (tmp_path / "scored_notes.tsv").read_text(encoding="utf-8").splitlines()
    assert lines[0].split("\t") == header("scored_notes.tsv")
    row = dict(zip(lines[0].split("\t"), lines[1].split("\t"), strict=True))
    assert row["coreActiveRules"] == "InitialNMR (v1.0)"
    assert row["coreRatingStatus"] == "NEEDS_MORE_RATINGS" and row["groupNoteIntercept"] == ""
    assert row["timestampMillisOfCurrentStatus"] == "123.0"
    nsh = (tmp_path / "nsh.tsv").read_text(encoding="utf-8").splitlines()
    assert nsh[0].split("\t") == header("note_status_history.tsv")
    assert nsh[1].split("\t")[:3] == ["10", "a", "1"]
    assert rules.status.tolist() == [0, -1]
