"""Contributor results as public-format frames (scoring-core.md §11.4, extended §2.1)."""

from __future__ import annotations

import numpy as np

from bridgewatch.model import EnrollmentState as S
from bridgewatch.model import IdIndex, NoteStatus
from bridgewatch.scoring.enrollment import (
    EnrollmentConfig,
    EnrollmentResult,
    EnrollmentTable,
    helpfulness_enrollment_frame,
    update_enrollment,
    user_enrollment_frame,
)
from tests.scoring.enrollment.helpers import HOUR_MS, make_notes, make_ratings

T = 1_790_000_000_000
NOW = T + 100 * HOUR_MS


def _result() -> tuple[EnrollmentResult, IdIndex]:
    # p000 wrote a CRH note; p001 rated it in time; p002 is only enrolled.
    notes = make_notes([(0, T, 1, NoteStatus.CURRENTLY_RATED_HELPFUL, T + 5 * HOUR_MS)])
    ratings = make_ratings([(1, 0, 1.0, T + HOUR_MS)], n_notes=1, n_participants=3)
    table = EnrollmentTable.empty(3)
    table.state[2] = S.earnedIn
    result = update_enrollment(ratings, notes, table, now_ms=NOW, config=EnrollmentConfig())
    return result, ratings.participant_ids


def test_helpfulness_frame_lists_raters_and_authors_with_reference_nulls() -> None:
    result, ids = _result()
    frame = helpfulness_enrollment_frame(result, ids)
    assert frame["raterParticipantId"].to_list() == ["p000", "p001"]
    assert frame["successfulRatingTotal"].to_list() == [None, 1]
    assert frame["notesCurrentlyRatedHelpful"].to_list() == [1, None]
    assert frame["enrollmentState"].to_list() == [S.newUser, S.newUser]
    assert frame["timestampOfLastStateChange"].to_list() == [None, None]


def test_user_enrollment_frame_writes_state_names_and_carries_groups() -> None:
    result, ids = _result()
    frame = user_enrollment_frame(
        result,
        ids,
        modeling_population=np.array(["CORE", "CORE", "EXPANSION"]),
        modeling_group=np.array([1.0, np.nan, 5.0]),
    )
    assert frame.columns == [
        "participantId",
        "enrollmentState",
        "successfulRatingNeededToEarnIn",
        "timestampOfLastStateChange",
        "timestampOfLastEarnOut",
        "modelingPopulation",
        "modelingGroup",
        "numberOfTimesEarnedOut",
    ]
    assert frame["enrollmentState"].to_list() == ["newUser", "newUser", "earnedIn"]
    assert frame["timestampOfLastEarnOut"].to_list() == [1, 1, 1]
    assert frame["modelingPopulation"].to_list() == ["CORE", "CORE", "EXPANSION"]
