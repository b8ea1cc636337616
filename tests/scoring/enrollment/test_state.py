"""The enrollment state machine, one test per transition (scoring-extended.md §2.5-§2.6)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from bridgewatch.model import EnrollmentState as S
from bridgewatch.scoring.enrollment import EnrollmentConfig, EnrollmentTable, transition_enrollment

NOW = 1_800_000_000_000
EARLIER = 1_700_000_000_000
CONFIG = EnrollmentConfig()


def _run(
    state: int,
    *,
    ri: int = 0,
    window_crnh: int = 0,
    crh: int = 0,
    crnh: int = 0,
    target: int = 5,
    times: int = 0,
    last_earn_out: int = 1,
    top: bool = False,
    config: EnrollmentConfig = CONFIG,
) -> EnrollmentTable:
    table = EnrollmentTable(
        state=np.array([state], dtype=np.int8),
        successful_rating_needed_to_earn_in=np.array([target], dtype=np.int64),
        last_state_change_ms=np.array([EARLIER], dtype=np.int64),
        last_earn_out_ms=np.array([last_earn_out], dtype=np.int64),
        times_earned_out=np.array([times], dtype=np.int64),
    )
    return transition_enrollment(
        table,
        rating_impact=np.array([ri], dtype=np.int64),
        window_crnh=np.array([window_crnh], dtype=np.int64),
        notes_crh=np.array([crh], dtype=np.int64),
        notes_crnh=np.array([crnh], dtype=np.int64),
        is_top_writer=np.array([top]),
        now_ms=NOW,
        config=config,
    )


def _row(table: EnrollmentTable) -> tuple[int, int, int, int, int]:
    return (
        int(table.state[0]),
        int(table.successful_rating_needed_to_earn_in[0]),
        int(table.last_state_change_ms[0]),
        int(table.last_earn_out_ms[0]),
        int(table.times_earned_out[0]),
    )


def test_new_user_reaching_the_target_earns_in() -> None:
    assert _row(_run(S.newUser, ri=5)) == (S.earnedIn, 5, NOW, 1, 0)


def test_new_user_below_the_target_stays_new() -> None:
    assert _row(_run(S.newUser, ri=4)) == (S.newUser, 5, EARLIER, 1, 0)


def test_absent_user_is_a_new_user_with_target_five() -> None:
    table = EnrollmentTable.empty(2)
    result = transition_enrollment(
        table,
        rating_impact=np.array([5, 4]),
        window_crnh=np.zeros(2, dtype=np.int64),
        notes_crh=np.zeros(2, dtype=np.int64),
        notes_crnh=np.zeros(2, dtype=np.int64),
        is_top_writer=np.zeros(2, dtype=np.bool_),
        now_ms=NOW,
        config=CONFIG,
    )
    assert result.state.tolist() == [S.earnedIn, S.newUser]
    assert result.successful_rating_needed_to_earn_in.tolist() == [5, 5]
    assert result.last_state_change_ms.tolist() == [NOW, -1]
    assert result.last_earn_out_ms.tolist() == [1, 1]
    assert result.times_earned_out.tolist() == [0, 0]


def test_acknowledged_earned_out_user_earns_back_in_at_the_target() -> None:
    row = _row(_run(S.earnedOutAcknowledged, ri=27, target=27, times=1, last_earn_out=EARLIER))
    # Step 0 moves the last earn-out to now for everyone who started acknowledged.
    assert row == (S.earnedIn, 27, NOW, NOW, 1)


def test_acknowledged_earned_out_user_below_target_stays_locked() -> None:
    row = _row(_run(S.earnedOutAcknowledged, ri=26, target=27, times=1, last_earn_out=EARLIER))
    assert row == (S.earnedOutAcknowledged, 27, EARLIER, NOW, 1)


def test_unacknowledged_earned_out_user_reaching_target_earns_in() -> None:
    assert _row(_run(S.earnedOutNoAcknowledge, ri=15, target=15, times=2))[0] == S.earnedIn


def test_loaded_unacknowledged_user_is_acknowledged_with_a_recomputed_target() -> None:
    # The scorer never writes state 2: it acknowledges at once (step 6) and sets the target
    # from this run's RI and the count, without a new state-change time.
    row = _row(_run(S.earnedOutNoAcknowledge, ri=3, target=15, times=2))
    assert row == (S.earnedOutAcknowledged, 5 + 3 + 5, EARLIER, 1, 2)


def test_two_crnh_notes_in_the_window_put_an_earned_in_writer_at_risk() -> None:
    assert _row(_run(S.earnedIn, window_crnh=2, crh=5, crnh=2)) == (S.atRisk, 5, NOW, 1, 0)


def test_at_risk_writer_with_two_crnh_notes_stays_at_risk() -> None:
    assert _row(_run(S.atRisk, window_crnh=2, crh=5, crnh=2)) == (S.atRisk, 5, EARLIER, 1, 0)


def test_at_risk_writer_recovers_below_two_crnh_notes() -> None:
    assert _row(_run(S.atRisk, window_crnh=1, crh=5, crnh=2)) == (S.earnedIn, 5, NOW, 1, 0)


def test_three_crnh_notes_earn_a_writer_out_with_an_escalated_target() -> None:
    # First earn-out: 5 + RI 22 = 27; the step-6 acknowledgement keeps the step-3 time.
    assert _row(_run(S.earnedIn, ri=22, window_crnh=3, crh=9, crnh=3)) == (
        S.earnedOutAcknowledged,
        27,
        NOW,
        1,
        1,
    )
    # Second earn-out with RI 30: 5 + 30 + 5 * (2 - 1) = 40 (§2.6 example).
    assert _row(_run(S.atRisk, ri=30, window_crnh=3, crh=9, crnh=3, times=1))[1] == 40


def test_top_writer_target_does_not_escalate() -> None:
    row = _row(_run(S.earnedIn, ri=30, window_crnh=3, crh=40, crnh=3, times=3, top=True))
    assert row[0] == S.earnedOutAcknowledged and row[1] == 35 and row[4] == 4


def test_negative_rating_impact_counts_as_zero_in_the_target() -> None:
    assert _row(_run(S.earnedIn, ri=-7, window_crnh=4, crh=9, crnh=4))[1] == 5


def test_single_trigger_earns_out_a_writer_with_negative_writing_impact() -> None:
    row = _row(_run(S.earnedIn, ri=2, window_crnh=1, crh=1, crnh=2))
    assert row == (S.earnedOutAcknowledged, 7, NOW, 1, 1)


def test_single_trigger_needs_a_crnh_note_since_the_last_earn_out() -> None:
    assert _row(_run(S.earnedIn, window_crnh=0, crh=1, crnh=2))[0] == S.earnedIn


def test_single_trigger_needs_strictly_negative_writing_impact() -> None:
    assert _row(_run(S.earnedIn, window_crnh=1, crh=2, crnh=2))[0] == S.earnedIn


def test_user_earned_in_this_run_is_judged_by_the_window_in_the_same_run() -> None:
    # Reference quirk: step 1's new state meets steps 2-3 in the same run.
    assert _row(_run(S.newUser, ri=5, window_crnh=2, crh=5, crnh=2))[0] == S.atRisk
    row = _row(_run(S.earnedOutNoAcknowledge, ri=15, target=15, window_crnh=3, crh=9, crnh=3))
    assert row[0] == S.earnedOutAcknowledged and row[4] == 1


def test_removed_users_never_change() -> None:
    assert _row(_run(S.removed, ri=50, window_crnh=4, crh=0, crnh=5)) == (
        S.removed,
        5,
        EARLIER,
        1,
        0,
    )


@pytest.mark.parametrize("state", [S.apiTestUser, S.apiEarnedIn, S.apiEarnedOut])
def test_api_writers_skip_the_window_rules(state: S) -> None:
    assert _row(_run(state, ri=50, window_crnh=4, crh=9, crnh=4))[0] == state


def test_single_trigger_hits_api_writers_unless_configured_not_to() -> None:
    # Reference quirk: step 5 converts an AI writer into an earned-out human.
    assert _row(_run(S.apiEarnedIn, window_crnh=1, crh=0, crnh=1))[0] == S.earnedOutAcknowledged
    humane = dataclasses.replace(CONFIG, exclude_api_users_from_single_trigger=True)
    assert _row(_run(S.apiEarnedIn, window_crnh=1, crh=0, crnh=1, config=humane))[0] == (
        S.apiEarnedIn
    )


def test_new_users_are_not_earned_out_by_notes() -> None:
    assert _row(_run(S.newUser, ri=0, window_crnh=3, crh=0, crnh=3))[0] == S.newUser
