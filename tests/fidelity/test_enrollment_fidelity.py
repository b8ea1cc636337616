"""Contributor scoring against the reference's helpfulness_scores.tsv on the fixtures.

Given the reference's own final statuses and updated status history of run 2, every
contributor column that does not come from a matrix factorisation (counts, enrollment,
emerging writer, recent outcome counts) agrees for every participant the reference writes,
nulls included.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from numpy.typing import NDArray

from bridgewatch.model import EnrollmentState, IdIndex, NoteStatus, Ratings
from bridgewatch.scoring.enrollment import (
    MISSING_MS,
    EnrollmentConfig,
    EnrollmentTable,
    ScoredNoteFacts,
    helpfulness_enrollment_frame,
    update_enrollment,
)

FIXTURES = Path(os.environ.get("BRIDGEWATCH_FIXTURES", "/work/shared/fixtures"))
RUN2_NOW_MS = 1793502000000


def _read(path: Path) -> pl.DataFrame:
    if not path.exists():
        pytest.skip(f"fixture file {path} is not available")
    return pl.read_csv(path, separator="\t", infer_schema_length=0, quote_char=None)


def _ints(frame: pl.DataFrame, name: str, missing: int = MISSING_MS) -> NDArray[np.int64]:
    return frame[name].cast(pl.Float64).fill_null(missing).cast(pl.Int64).to_numpy()


@pytest.mark.parametrize("fixture", ["S-core", "S-full"])
def test_enrollment_columns_match_the_reference(fixture: str) -> None:
    root = FIXTURES / fixture
    raw = _read(root / "input" / "ratings-00000.tsv")
    nsh = _read(root / "reference" / "run2" / "note_status_history.tsv")
    scored = _read(root / "reference" / "run2" / "scored_notes.tsv")
    enrolled = _read(root / "input" / "userEnrollment-00000.tsv")
    reference = _read(root / "reference" / "run2" / "helpfulness_scores.tsv")
    level = pl.col("helpfulnessLevel")
    raw = raw.with_columns(
        pl.when(level == "HELPFUL")
        .then(1.0)
        .when(level == "SOMEWHAT_HELPFUL")
        .then(0.5)
        .when(level == "NOT_HELPFUL")
        .then(0.0)
        .alias("helpfulNum")
    ).drop_nulls("helpfulNum")
    note_ids = IdIndex.from_values(raw["noteId"].to_numpy(), nsh["noteId"].to_numpy())
    people = IdIndex.from_values(
        raw["raterParticipantId"].to_numpy(),
        nsh["noteAuthorParticipantId"].to_numpy(),
        enrolled["participantId"].to_numpy(),
    )
    n = raw.height
    ratings = Ratings(
        note_idx=note_ids.lookup(raw["noteId"].to_numpy()),
        rater_idx=people.lookup(raw["raterParticipantId"].to_numpy()),
        helpful_num=raw["helpfulNum"].to_numpy().astype(np.float32),
        helpfulness_level=np.full(n, -1, dtype=np.int8),
        created_at_ms=_ints(raw, "createdAtMillis"),
        helpful_tags=np.zeros(n, dtype=np.uint16),
        not_helpful_tags=np.zeros(n, dtype=np.uint16),
        population_sampled=np.zeros(n, dtype=np.bool_),
        note_ids=note_ids,
        participant_ids=people,
    )
    facts = (
        pl.DataFrame({"noteId": note_ids.ids})
        .join(nsh, on="noteId", how="left")
        .join(
            scored.select("noteId", "finalRatingStatus", "numRatings", "coreNoteIntercept"),
            on="noteId",
            how="left",
        )
    )
    status = {s.name: int(s) for s in NoteStatus}
    notes = ScoredNoteFacts(
        author_idx=people.lookup(facts["noteAuthorParticipantId"].fill_null("").to_numpy()),
        created_at_ms=_ints(facts, "createdAtMillis"),
        sort_key=facts["noteId"].cast(pl.Int64).to_numpy(),
        final_status=np.array(
            [status.get(s or "", -1) for s in facts["finalRatingStatus"]], dtype=np.int8
        ),
        latest_non_nmr_ms=_ints(facts, "timestampMillisOfLatestNonNMRStatus"),
        num_ratings=_ints(facts, "numRatings", 0),
    )
    table = EnrollmentTable.empty(len(people))
    rows = people.lookup(enrolled["participantId"].to_numpy())
    table.state[rows] = [EnrollmentState[s] for s in enrolled["enrollmentState"]]
    table.successful_rating_needed_to_earn_in[rows] = _ints(
        enrolled, "successfulRatingNeededToEarnIn"
    )
    table.last_state_change_ms[rows] = _ints(enrolled, "timestampOfLastStateChange")
    table.last_earn_out_ms[rows] = _ints(enrolled, "timestampOfLastEarnOut")
    table.times_earned_out[rows] = _ints(enrolled, "numberOfTimesEarnedOut")

    core = facts["coreNoteIntercept"].cast(pl.Float64).fill_null(np.nan).to_numpy()
    result = update_enrollment(
        ratings,
        notes,
        table,
        now_ms=RUN2_NOW_MS,
        config=EnrollmentConfig(),
        core_note_intercepts=core,
    )
    ours = helpfulness_enrollment_frame(result, people)
    assert ours.height == reference.height
    joined = reference.join(ours, on="raterParticipantId", how="inner", suffix="_ours")
    assert joined.height == reference.height
    for column in ours.columns[1:]:
        theirs = joined[column].replace({"True": "1", "False": "0"}).cast(pl.Float64)
        mine = joined[column + "_ours"].cast(pl.Float64)
        same = ((theirs == mine) | (theirs.is_null() & mine.is_null())).fill_null(False)
        assert bool(same.all()), f"{column}: {int((~same).sum())} rows differ"
