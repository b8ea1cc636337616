"""One run of contributor scoring end to end, and its configuration (scoring-extended.md §2)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from bridgewatch.errors import ConfigError
from bridgewatch.model import EnrollmentState as S
from bridgewatch.model import NoteStatus
from bridgewatch.scoring.enrollment import EnrollmentConfig, EnrollmentTable, update_enrollment
from tests.scoring.enrollment.helpers import HOUR_MS, MISSING_MS, make_notes, make_ratings

CONFIG = EnrollmentConfig()
T = 1_790_000_000_000
NOW = T + 1000 * HOUR_MS
CRH = NoteStatus.CURRENTLY_RATED_HELPFUL
CRNH = NoteStatus.CURRENTLY_RATED_NOT_HELPFUL


def test_a_run_earns_in_a_rater_and_earns_out_a_writer() -> None:
    # Participant 0 wrote three notes that ended CRNH; participant 1 rated five CRH notes
    # helpful in time; participant 2 is enrolled acknowledged-locked and wrote nothing new.
    notes = make_notes(
        [(0, T, k, CRNH, T + 5 * HOUR_MS) for k in range(3)]
        + [(3, T, 10 + k, CRH, T + 5 * HOUR_MS) for k in range(5)]
    )
    ratings = make_ratings(
        [(1, 3 + k, 1.0, T + HOUR_MS) for k in range(5)], n_notes=8, n_participants=4
    )
    table = EnrollmentTable.empty(4)
    table.state[[0, 2]] = [S.earnedIn, S.earnedOutAcknowledged]
    table.successful_rating_needed_to_earn_in[2] = 12
    result = update_enrollment(ratings, notes, table, now_ms=NOW, config=CONFIG)
    assert result.rating_impact.tolist() == [0, 5, 0, 0]
    assert result.window_crnh.tolist() == [3, 0, 0, 0]
    assert result.table.state.tolist() == [
        S.earnedOutAcknowledged,
        S.earnedIn,
        S.earnedOutAcknowledged,
        S.newUser,
    ]
    assert result.table.successful_rating_needed_to_earn_in.tolist() == [5, 5, 12, 5]
    assert result.table.times_earned_out.tolist() == [1, 0, 0, 0]
    assert result.table.last_state_change_ms.tolist() == [NOW, NOW, -1, -1]
    assert result.table.last_earn_out_ms.tolist() == [1, 1, NOW, 1]
    assert not result.is_emerging_writer.any()


def test_inputs_are_not_modified() -> None:
    notes = make_notes([(0, T, 1, CRNH, T)])
    ratings = make_ratings([(1, 0, 1.0, T - HOUR_MS)], n_notes=1, n_participants=2)
    table = EnrollmentTable.empty(2)
    before = dataclasses.astuple(table)
    update_enrollment(ratings, notes, table, now_ms=NOW, config=CONFIG)
    for old, new in zip(before, dataclasses.astuple(table), strict=True):
        np.testing.assert_array_equal(old, new)


def test_table_must_cover_every_participant() -> None:
    notes = make_notes([(0, T, 1, CRNH, MISSING_MS)])
    ratings = make_ratings([], n_notes=1, n_participants=2)
    with pytest.raises(ValueError, match="participants"):
        update_enrollment(ratings, notes, EnrollmentTable.empty(3), now_ms=NOW, config=CONFIG)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("recent_note_window_short_ms", 0),
        ("max_history_earn_out", 0),
        ("rating_impact_for_earn_in", -1),
        ("at_risk_crnh_count", 5),
        ("at_risk_crnh_count", 0),
        ("top_writer_hit_rate", 1.5),
    ],
)
def test_bad_config_names_the_field(field: str, value: object) -> None:
    with pytest.raises(ConfigError) as info:
        dataclasses.replace(CONFIG, **{field: value})  # type: ignore[arg-type]
    assert info.value.field == field
