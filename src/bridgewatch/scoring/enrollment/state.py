"""The enrollment state machine and earn-in targets (scoring-extended.md §2.5-§2.6).

Steps run in order, each on the result of the previous one (codes of ``EnrollmentState``)::

    0  earnedOutAcknowledged: timestampOfLastEarnOut := now (done before the window is built)
    1  newUser / earnedOut*, RI >= target          -> earnedIn
    2  earnedIn, CRNH_5 == 2                       -> atRisk
    3  earnedIn / atRisk / earnedOutNoAck, CRNH_5 > 2 -> earnedOutNoAck, times earned out + 1
    4  atRisk as loaded, CRNH_5 < 2                -> earnedIn
    5  not earnedOut* / newUser / removed, CRNH_all > CRH_all and CRNH_5 > 0
                                                   -> earnedOutNoAck, times earned out + 1
    6  earnedOutNoAck                              -> earnedOutAcknowledged, new target

API states (6-8) and ``removed`` are skipped by steps 1-4; step 5 skips ``removed`` but, as
in the reference, not the API states (see ``EnrollmentConfig``). As in the reference, a user
earned in at step 1 is judged by steps 2-3 in the same run.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from bridgewatch.model import EnrollmentState
from bridgewatch.scoring.enrollment.config import EnrollmentConfig

__all__ = [
    "NEVER_EARNED_OUT_MS",
    "EnrollmentTable",
    "transition_enrollment",
]

NEVER_EARNED_OUT_MS = 1
"""``timestampOfLastEarnOut`` of a participant who never earned out (§2.1)."""

_S = EnrollmentState
_API_STATES = (_S.apiTestUser, _S.apiEarnedIn, _S.apiEarnedOut)


@dataclass(frozen=True)
class EnrollmentTable:
    """The persisted ``userEnrollment`` columns that scoring reads and writes (§2.1).

    All arrays have shape (n_participants,) and are indexed by participant row.

    Parameters
    ----------
    state : int8 array
        ``EnrollmentState`` code; -1 for a participant absent from the table (a new user).
    successful_rating_needed_to_earn_in : int64 array
        Rating-impact target to (re)gain writing ability; -1 for absent (target 5).
    last_state_change_ms : int64 array
        ``timestampOfLastStateChange``; -1 when unknown.
    last_earn_out_ms : int64 array
        ``timestampOfLastEarnOut``; 1 means never; -1 for absent (treated as 1).
    times_earned_out : int64 array
        ``numberOfTimesEarnedOut``; -1 for absent (treated as 0).
    """

    state: NDArray[np.int8]
    successful_rating_needed_to_earn_in: NDArray[np.int64]
    last_state_change_ms: NDArray[np.int64]
    last_earn_out_ms: NDArray[np.int64]
    times_earned_out: NDArray[np.int64]

    def __post_init__(self) -> None:
        n = self.state.shape[0]
        for name in (
            "successful_rating_needed_to_earn_in",
            "last_state_change_ms",
            "last_earn_out_ms",
            "times_earned_out",
        ):
            shape = getattr(self, name).shape
            if shape != (n,):
                raise ValueError(f"{name} has shape {shape}, expected ({n},)")

    @classmethod
    def empty(cls, n_participants: int) -> EnrollmentTable:
        """A table where nobody is enrolled yet (every participant a new user)."""
        missing = np.full(n_participants, -1, dtype=np.int64)
        return cls(
            state=np.full(n_participants, -1, dtype=np.int8),
            successful_rating_needed_to_earn_in=missing.copy(),
            last_state_change_ms=missing.copy(),
            last_earn_out_ms=missing.copy(),
            times_earned_out=missing.copy(),
        )

    @property
    def n_participants(self) -> int:
        """Number of participant rows."""
        return int(self.state.shape[0])

    def effective_last_earn_out_ms(self, now_ms: int) -> NDArray[np.int64]:
        """Step 0: last earn-out as the window sees it (now for earnedOutAcknowledged)."""
        last = np.where(self.last_earn_out_ms < 0, NEVER_EARNED_OUT_MS, self.last_earn_out_ms)
        return np.where(self.state == _S.earnedOutAcknowledged, now_ms, last).astype(np.int64)


def transition_enrollment(
    table: EnrollmentTable,
    *,
    rating_impact: NDArray[np.int64],
    window_crnh: NDArray[np.int64],
    notes_crh: NDArray[np.int64],
    notes_crnh: NDArray[np.int64],
    is_top_writer: NDArray[np.bool_],
    now_ms: int,
    config: EnrollmentConfig,
) -> EnrollmentTable:
    """Run one scoring cycle of the enrollment state machine (§2.5) and targets (§2.6).

    Parameters
    ----------
    table : EnrollmentTable
        The table as loaded for this run.
    rating_impact : int64 array of shape (n_participants,)
        RI of this run (§2.3); 0 for participants without valid ratings.
    window_crnh : int64 array of shape (n_participants,)
        CRNH notes in the recent window built after step 0 (``CRNH_5``, §2.4).
    notes_crh, notes_crnh : int64 arrays of shape (n_participants,)
        All-time CRH and CRNH notes (step 5).
    is_top_writer : bool array of shape (n_participants,)
        Top Writers (§2.7) keep the non-escalating target at step 6.
    now_ms : int
        This run's "now" (ms since epoch).
    config : EnrollmentConfig

    Returns
    -------
    EnrollmentTable
        The rows to persist: state codes (never -1), targets, state-change times (-1 where
        still unknown), last earn-out (now for users who started earnedOutAcknowledged, else
        carried over, 1 for never) and earn-out counts (absent counted from 0).
    """
    n = table.n_participants
    for name, arr in (
        ("rating_impact", rating_impact),
        ("window_crnh", window_crnh),
        ("notes_crh", notes_crh),
        ("notes_crnh", notes_crnh),
        ("is_top_writer", is_top_writer),
    ):
        if arr.shape != (n,):
            raise ValueError(f"{name} has shape {arr.shape}, expected ({n},)")
    loaded = np.where(table.state < 0, _S.newUser, table.state).astype(np.int8)
    state = loaded.copy()
    target = np.where(
        table.successful_rating_needed_to_earn_in < 0,
        config.rating_impact_for_earn_in,
        table.successful_rating_needed_to_earn_in,
    ).astype(np.int64)
    changed_ms = table.last_state_change_ms.copy()
    times = np.maximum(table.times_earned_out, 0).astype(np.int64)
    api = np.isin(loaded, _API_STATES)
    at_risk_n = config.at_risk_crnh_count

    def move(mask: NDArray[np.bool_], new_state: EnrollmentState) -> None:
        state[mask] = new_state
        changed_ms[mask] = now_ms

    # Step 1: earn in (and in the reference, steps 2-3 then judge the new state).
    earn_in_from = np.isin(
        loaded, (_S.newUser, _S.earnedOutNoAcknowledge, _S.earnedOutAcknowledged)
    )
    move(earn_in_from & ~api & (rating_impact >= target), _S.earnedIn)
    # Step 2: at risk.
    move((state == _S.earnedIn) & (window_crnh == at_risk_n), _S.atRisk)
    # Step 3: earn out from the window.
    earn_out = (
        np.isin(state, (_S.earnedIn, _S.atRisk, _S.earnedOutNoAcknowledge))
        & ~api
        & (window_crnh > at_risk_n)
    )
    times[earn_out] += 1
    move(earn_out, _S.earnedOutNoAcknowledge)
    # Step 4: recover; only users loaded atRisk and untouched so far this run.
    move((loaded == _S.atRisk) & (state == _S.atRisk) & (window_crnh < at_risk_n), _S.earnedIn)
    # Step 5: single-trigger earn out on negative all-time writing impact.
    single = ~np.isin(
        state,
        (_S.earnedOutNoAcknowledge, _S.earnedOutAcknowledged, _S.newUser, _S.removed),
    ) & ((notes_crnh > notes_crh) & (window_crnh > 0))
    if config.exclude_api_users_from_single_trigger:
        single &= ~np.isin(state, _API_STATES)
    times[single] += 1
    move(single, _S.earnedOutNoAcknowledge)
    # Step 6: the scorer acknowledges at once and sets the earn-in target.
    locked = state == _S.earnedOutNoAcknowledge
    base = config.rating_impact_for_earn_in + np.maximum(rating_impact, 0)
    escalation = config.rating_impact_for_earn_in * np.maximum(times - 1, 0)
    new_target = np.where(is_top_writer, base, base + escalation)
    target[locked] = new_target[locked]
    state[locked] = _S.earnedOutAcknowledged
    return EnrollmentTable(
        state=state,
        successful_rating_needed_to_earn_in=target,
        last_state_change_ms=changed_ms,
        last_earn_out_ms=table.effective_last_earn_out_ms(now_ms),
        times_earned_out=times,
    )
