"""Contributor scoring against the reference's ``helpfulness_scores.tsv`` on a fixture.

Contributor counts, enrollment and recognitions are pure bookkeeping once the run's final
statuses are known. Feeding ``update_enrollment`` the reference's own final statuses
(``scored_notes.tsv``) and updated status history (``note_status_history.tsv``) of a run must
therefore reproduce every contributor column of the reference's ``helpfulness_scores.tsv``
that does not come from a matrix factorisation. The fidelity test and
``benchmarks/enrollment_fidelity.py`` both use this module.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl
from numpy.typing import NDArray

from bridgewatch.io import load_dataset
from bridgewatch.model import IdIndex, Ratings
from bridgewatch.scoring.contributors import enrollment_table
from bridgewatch.scoring.enrollment import (
    MISSING_MS,
    EnrollmentConfig,
    EnrollmentResult,
    EnrollmentTable,
    ScoredNoteFacts,
    helpfulness_enrollment_frame,
    update_enrollment,
)
from bridgewatch.scoring.history import StatusHistory, status_codes

__all__ = [
    "REFERENCE_RUN_NOW_MS",
    "ReferenceContributorCase",
    "enrollment_agreement",
    "load_reference_contributor_case",
]

REFERENCE_RUN_NOW_MS: dict[str, int] = {"run1": 1_793_494_800_000, "run2": 1_793_502_000_000}
""""Now" of the fixtures' two reference runs (fixtures/README.md), ms since the epoch."""


def _tsv(path: Path) -> pl.DataFrame:
    return pl.read_csv(path, separator="\t", infer_schema_length=0, quote_char=None)


@dataclass(frozen=True)
class ReferenceContributorCase:
    """One fixture run's contributor-scoring inputs, taken from the reference's outputs.

    Attributes
    ----------
    ratings : the fixture's input ratings (note index over ``ratings.note_ids``).
    notes : facts of every note: the reference run's final statuses, ``numRatings`` and
        updated status history.
    table : the input ``userEnrollment`` rows over ``ratings.participant_ids``.
    core_intercepts : float64 array of shape (n_notes,), the reference's
        ``coreNoteIntercept`` (NaN where none).
    now_ms : the run's "now".
    reference : the reference run's ``helpfulness_scores.tsv``, every column a string.
    """

    ratings: Ratings
    notes: ScoredNoteFacts
    table: EnrollmentTable
    core_intercepts: NDArray[np.float64]
    now_ms: int
    reference: pl.DataFrame

    @property
    def participant_ids(self) -> IdIndex:
        """The participant index every per-participant array follows."""
        return self.ratings.participant_ids

    def score(self, config: EnrollmentConfig | None = None) -> EnrollmentResult:
        """Run contributor scoring on this case."""
        return update_enrollment(
            self.ratings,
            self.notes,
            self.table,
            now_ms=self.now_ms,
            config=EnrollmentConfig() if config is None else config,
            core_note_intercepts=self.core_intercepts,
        )


def load_reference_contributor_case(fixture: Path, run: str) -> ReferenceContributorCase:
    """Load ``fixture``'s inputs and the outputs of its reference ``run`` ("run1"/"run2").

    Raises
    ------
    FileNotFoundError
        When a fixture file is missing.
    """
    inputs = fixture / "input"
    outputs = fixture / "reference" / run
    data = load_dataset(
        notes=inputs / "notes-00000.tsv",
        ratings=inputs / "ratings-00000.tsv",
        status_history=outputs / "note_status_history.tsv",
        enrollment=inputs / "userEnrollment-00000.tsv",
    )
    ratings = data.ratings
    n_notes = len(data.note_ids)
    history = StatusHistory.from_frame(_tsv(outputs / "note_status_history.tsv"))
    rows = data.note_ids.lookup(history.note_id)
    author = np.full(n_notes, -1, dtype=np.int32)
    author[rows] = data.participant_ids.lookup(history.author_id)
    created = np.full(n_notes, MISSING_MS, dtype=np.int64)
    created[rows] = history.created_at_ms
    latest = np.full(n_notes, MISSING_MS, dtype=np.int64)
    decided = np.isfinite(history.latest_non_nmr_ts)
    latest[rows[decided]] = history.latest_non_nmr_ts[decided].astype(np.int64)

    scored = _tsv(outputs / "scored_notes.tsv")
    scored_rows = data.note_ids.lookup(np.asarray(scored["noteId"].to_list(), dtype=np.str_))
    status = np.full(n_notes, -1, dtype=np.int8)
    status[scored_rows] = status_codes(scored["finalRatingStatus"])
    num_ratings = np.zeros(n_notes, dtype=np.int64)
    num_ratings[scored_rows] = scored["numRatings"].cast(pl.Float64).fill_null(0).to_numpy()
    core = np.full(n_notes, np.nan)
    core[scored_rows] = scored["coreNoteIntercept"].cast(pl.Float64).fill_null(np.nan).to_numpy()

    notes = ScoredNoteFacts(
        author_idx=author,
        created_at_ms=created,
        sort_key=np.asarray(data.note_ids.ids).astype(np.int64),
        final_status=status,
        latest_non_nmr_ms=latest,
        num_ratings=num_ratings,
    )
    return ReferenceContributorCase(
        ratings=ratings,
        notes=notes,
        table=enrollment_table(data.enrollment, data.participant_ids),
        core_intercepts=core,
        now_ms=REFERENCE_RUN_NOW_MS[run],
        reference=_tsv(outputs / "helpfulness_scores.tsv"),
    )


def enrollment_agreement(result: EnrollmentResult, case: ReferenceContributorCase) -> pl.DataFrame:
    """Per contributor column, how many reference rows agree with ours (nulls as nulls).

    Returns
    -------
    polars.DataFrame with columns ``column``, ``agree`` and ``rows`` (the reference's row
    count), one row per contributor column of ``helpfulness_enrollment_frame``; a reference
    participant we do not list counts as a disagreement in every column.
    """
    ours = helpfulness_enrollment_frame(result, case.participant_ids)
    joined = case.reference.join(ours, on="raterParticipantId", how="left", suffix="_ours")
    names, agree = [], []
    for column in ours.columns[1:]:
        theirs = joined[column].replace({"True": "1", "False": "0"}).cast(pl.Float64)
        mine = joined[column + "_ours"].cast(pl.Float64)
        same = ((theirs == mine) | (theirs.is_null() & mine.is_null())).fill_null(False)
        same &= joined["enrollmentState_ours"].is_not_null()
        names.append(column)
        agree.append(int(same.sum()))
    return pl.DataFrame(
        {"column": names, "agree": agree, "rows": [case.reference.height] * len(names)}
    )
