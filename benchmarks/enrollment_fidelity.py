"""Compare contributor scoring and enrollment with the reference's helpfulness_scores.tsv.

Usage: .venv/bin/python benchmarks/enrollment_fidelity.py [FIXTURES_DIR]

For each fixture and run, feeds ``update_enrollment`` the input ratings and enrollment, and
the reference's own final statuses (scored_notes.tsv) and updated status history
(note_status_history.tsv) of that run, then prints per column how many participants agree
with the reference's helpfulness_scores.tsv (nulls compared as nulls).
"""

from __future__ import annotations

import platform
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl

from bridgewatch.model import EnrollmentState, IdIndex, NoteStatus, Ratings
from bridgewatch.scoring.enrollment import (
    MISSING_MS,
    EnrollmentConfig,
    EnrollmentTable,
    ScoredNoteFacts,
    update_enrollment,
)

RUN_NOW_MS = {"run1": 1793494800000, "run2": 1793502000000}


def _read(path: Path) -> pl.DataFrame:
    return pl.read_csv(path, separator="\t", infer_schema_length=0, quote_char=None)


def _int_col(frame: pl.DataFrame, name: str, missing: int = MISSING_MS) -> np.ndarray:
    return frame[name].cast(pl.Float64).fill_null(missing).cast(pl.Int64).to_numpy()


def load(fixture: Path, run: str) -> tuple[Ratings, ScoredNoteFacts, EnrollmentTable, np.ndarray]:
    raw = _read(fixture / "input" / "ratings-00000.tsv")
    level = raw["helpfulnessLevel"]
    helpful_num = (
        pl.when(level == "HELPFUL")
        .then(1.0)
        .when(level == "SOMEWHAT_HELPFUL")
        .then(0.5)
        .when(level == "NOT_HELPFUL")
        .then(0.0)
        .when(pl.col("notHelpful") == "1")
        .then(0.0)
        .when(pl.col("helpful") == "1")
        .then(1.0)
    )
    raw = raw.with_columns(helpful_num.alias("helpfulNum")).drop_nulls("helpfulNum")
    nsh = _read(fixture / "reference" / run / "note_status_history.tsv")
    scored = _read(fixture / "reference" / run / "scored_notes.tsv")
    enrollment = _read(fixture / "input" / "userEnrollment-00000.tsv")
    note_ids = IdIndex.from_values(raw["noteId"].to_numpy(), nsh["noteId"].to_numpy())
    people = IdIndex.from_values(
        raw["raterParticipantId"].to_numpy(),
        nsh["noteAuthorParticipantId"].to_numpy(),
        enrollment["participantId"].to_numpy(),
    )
    n = raw.height
    ratings = Ratings(
        note_idx=note_ids.lookup(raw["noteId"].to_numpy()),
        rater_idx=people.lookup(raw["raterParticipantId"].to_numpy()),
        helpful_num=raw["helpfulNum"].to_numpy().astype(np.float32),
        helpfulness_level=np.full(n, -1, dtype=np.int8),
        created_at_ms=_int_col(raw, "createdAtMillis"),
        helpful_tags=np.zeros(n, dtype=np.uint16),
        not_helpful_tags=np.zeros(n, dtype=np.uint16),
        population_sampled=np.zeros(n, dtype=np.bool_),
        note_ids=note_ids,
        participant_ids=people,
    )
    notes_frame = (
        pl.DataFrame({"noteId": note_ids.ids})
        .join(nsh, on="noteId", how="left")
        .join(
            scored.select("noteId", "finalRatingStatus", "numRatings", "coreNoteIntercept"),
            on="noteId",
            how="left",
        )
    )
    status_code = {s.name: int(s) for s in NoteStatus}
    notes = ScoredNoteFacts(
        author_idx=np.where(
            notes_frame["noteAuthorParticipantId"].is_null().to_numpy(),
            -1,
            people.lookup(notes_frame["noteAuthorParticipantId"].fill_null("").to_numpy()),
        ).astype(np.int32),
        created_at_ms=_int_col(notes_frame, "createdAtMillis"),
        sort_key=notes_frame["noteId"].cast(pl.Int64).to_numpy(),
        final_status=np.array(
            [status_code.get(s, -1) if s else -1 for s in notes_frame["finalRatingStatus"]],
            dtype=np.int8,
        ),
        latest_non_nmr_ms=_int_col(notes_frame, "timestampMillisOfLatestNonNMRStatus"),
        num_ratings=_int_col(notes_frame, "numRatings", 0),
    )
    rows = people.lookup(enrollment["participantId"].to_numpy())
    table = EnrollmentTable.empty(len(people))
    state_code = {s.name: int(s) for s in EnrollmentState}
    table.state[rows] = [state_code[s] for s in enrollment["enrollmentState"]]
    table.successful_rating_needed_to_earn_in[rows] = _int_col(
        enrollment, "successfulRatingNeededToEarnIn"
    )
    table.last_state_change_ms[rows] = _int_col(enrollment, "timestampOfLastStateChange")
    table.last_earn_out_ms[rows] = _int_col(enrollment, "timestampOfLastEarnOut")
    table.times_earned_out[rows] = _int_col(enrollment, "numberOfTimesEarnedOut")
    core = notes_frame["coreNoteIntercept"].cast(pl.Float64).fill_null(np.nan).to_numpy()
    return ratings, notes, table, core


def compare(fixture: Path, run: str) -> None:
    ratings, notes, table, core = load(fixture, run)
    start = time.perf_counter()
    result = update_enrollment(
        ratings,
        notes,
        table,
        now_ms=RUN_NOW_MS[run],
        config=EnrollmentConfig(),
        core_note_intercepts=core,
    )
    elapsed = time.perf_counter() - start
    r, w, t = result.ratings, result.writing, result.table

    def opt(values: np.ndarray, present: np.ndarray) -> list[float | None]:
        return [
            float(v) if p else None for v, p in zip(values.tolist(), present.tolist(), strict=True)
        ]

    ours = pl.DataFrame(
        {
            "raterParticipantId": ratings.participant_ids.ids,
            "successfulRatingHelpfulCount": opt(r.successful_helpful, r.has_counts),
            "successfulRatingNotHelpfulCount": opt(r.successful_not_helpful, r.has_counts),
            "successfulRatingTotal": opt(r.successful_total, r.has_counts),
            "unsuccessfulRatingHelpfulCount": opt(r.unsuccessful_helpful, r.has_counts),
            "unsuccessfulRatingNotHelpfulCount": opt(r.unsuccessful_not_helpful, r.has_counts),
            "unsuccessfulRatingTotal": opt(r.unsuccessful_total, r.has_counts),
            "ratingsAwaitingMoreRatings": opt(r.ratings_awaiting_more_ratings, r.has_counts),
            "ratedAfterDecision": opt(r.rated_after_decision, r.has_counts),
            "notesCurrentlyRatedHelpful": opt(w.notes_crh, w.is_author),
            "notesCurrentlyRatedNotHelpful": opt(w.notes_crnh, w.is_author),
            "notesAwaitingMoreRatings": opt(w.notes_nmr, w.is_author),
            "aggregateRatingReceivedTotal": opt(w.aggregate_ratings_received, w.is_author),
            "enrollmentState": t.state.astype(np.float64),
            "successfulRatingNeededToEarnIn": t.successful_rating_needed_to_earn_in.astype(float),
            "timestampOfLastStateChange": opt(t.last_state_change_ms, t.last_state_change_ms >= 0),
            "timestampOfLastEarnOut": t.last_earn_out_ms.astype(np.float64),
            "numberOfTimesEarnedOut": t.times_earned_out.astype(np.float64),
            "isEmergingWriter": result.is_emerging_writer.astype(np.float64),
            "crhTotal14d": w.crh_14d.astype(np.float64),
            "crnhTotal14d": w.crnh_14d.astype(np.float64),
            "nmrTotal14d": w.nmr_14d.astype(np.float64),
            "crhTotal90d": w.crh_90d.astype(np.float64),
            "crnhTotal90d": w.crnh_90d.astype(np.float64),
            "nmrTotal90d": w.nmr_90d.astype(np.float64),
        }
    )
    ref = _read(fixture / "reference" / run / "helpfulness_scores.tsv")
    ref = ref.with_columns(
        pl.col("isEmergingWriter").replace({"True": "1", "False": "0"}),
    )
    joined = ref.join(ours, on="raterParticipantId", how="left", suffix="_ours")
    print(
        f"== {fixture.name} {run}: {ref.height} reference rows, {len(ratings.participant_ids)} "
        f"participants ours, {ratings.n_ratings} ratings ({elapsed:.3f} s)"
    )
    for column in ours.columns[1:]:
        theirs = joined[column].cast(pl.Float64)
        mine = joined[column + "_ours"]
        same = (theirs == mine) | (theirs.is_null() & mine.is_null())
        agree = int(same.fill_null(False).sum())
        print(f"   {column:<36} {agree:5d} / {ref.height}")


def main() -> int:
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("/work/shared/fixtures")
    print(f"python {platform.python_version()} on {platform.machine()}")
    for fixture in sorted(p for p in root.iterdir() if (p / "input").is_dir()):
        for run in ("run1", "run2"):
            compare(fixture, run)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
