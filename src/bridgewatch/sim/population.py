"""Participants: viewpoint positions in two camps, activity, leniency and enrollment rows."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from bridgewatch.model import EnrollmentState
from bridgewatch.sim.config import SimConfig
from bridgewatch.sim.ids import participant_ids

__all__ = [
    "STRUCTURE_NAMES",
    "Enrollment",
    "RaterPopulation",
    "draw_enrollment",
    "draw_raters",
]

# ``RaterPopulation.structure`` codes: 0 none, then the honest structures of ``SimConfig``.
STRUCTURE_NAMES: tuple[str, ...] = ("", "circle", "group", "active")

_DAY_MS = 86_400_000
# Enrollment states and their shares in the fixtures (S-core: 3522/995/241/139/103 of 5000).
_STATES = (
    EnrollmentState.earnedIn,
    EnrollmentState.newUser,
    EnrollmentState.earnedOutAcknowledged,
    EnrollmentState.atRisk,
    EnrollmentState.earnedOutNoAcknowledge,
)
_STATE_SHARES = np.array([0.7044, 0.199, 0.0482, 0.0278, 0.0206])
# Fixture enrollment timestamps reach back about 460 days before the window end.
_ENROLLMENT_HISTORY_DAYS = 460
# Modeling groups 0..14 as in the fixtures; 13 is the stable-init group (scoring-core.md §4.2).
_N_GROUPS = 15
_STABLE_GROUP = 13


@dataclass(frozen=True)
class RaterPopulation:
    """Participants as parallel arrays; row i is participant ``i`` (``rater_idx``).

    Parameters
    ----------
    ids : str array of shape (n,), the 64-hex participant ids.
    positions : float64 array of shape (n,), viewpoint position on the single axis.
    camps : int8 array of shape (n,), +1 or -1.
    leniency : float64 array of shape (n,), the rater's intercept in the latent score.
    activity : float64 array of shape (n,), relative rating activity (0 for accounts that
        only rate through an adversary plan).
    is_adversary : bool array of shape (n,).
    brigade_id : int32 array of shape (n,), index into ``SimConfig.brigades``, -1 if none.
    joined_at_ms : int64 array of shape (n,), when the account could start rating.
    enrollment_state : int8 array of shape (n,), ``EnrollmentState`` codes.
    successful_rating_needed : int64 array of shape (n,).
    last_state_change_ms : int64 array of shape (n,).
    last_earn_out_ms : int64 array of shape (n,); 1 when the rater never earned out (as in
        the public files).
    expansion : bool array of shape (n,), modelingPopulation EXPANSION instead of CORE.
    modeling_group : int64 array of shape (n,), in 0..14.
    times_earned_out : int64 array of shape (n,).
    structure : int8 array of shape (n,), the honest structure the participant belongs to,
        an index into ``STRUCTURE_NAMES`` (0: none).
    structure_id : int32 array of shape (n,), index of that structure in its ``SimConfig``
        tuple (``circles``, ``group_communities``, ``active_raters``), -1 if none.
    """

    ids: NDArray[np.str_]
    positions: NDArray[np.float64]
    camps: NDArray[np.int8]
    leniency: NDArray[np.float64]
    activity: NDArray[np.float64]
    is_adversary: NDArray[np.bool_]
    brigade_id: NDArray[np.int32]
    joined_at_ms: NDArray[np.int64]
    enrollment_state: NDArray[np.int8]
    successful_rating_needed: NDArray[np.int64]
    last_state_change_ms: NDArray[np.int64]
    last_earn_out_ms: NDArray[np.int64]
    expansion: NDArray[np.bool_]
    modeling_group: NDArray[np.int64]
    times_earned_out: NDArray[np.int64]
    structure: NDArray[np.int8]
    structure_id: NDArray[np.int32]

    @property
    def n(self) -> int:
        """Number of participants."""
        return int(self.ids.shape[0])

    def concat(self, *others: RaterPopulation) -> RaterPopulation:
        """This population followed by ``others`` in order (their rows get indexes n..)."""
        parts = (self, *others)
        names = RaterPopulation.__dataclass_fields__
        return RaterPopulation(**{k: np.concatenate([getattr(p, k) for p in parts]) for k in names})


@dataclass(frozen=True)
class Enrollment:
    """Enrollment columns of a set of participants (see ``RaterPopulation`` for meanings)."""

    enrollment_state: NDArray[np.int8]
    successful_rating_needed: NDArray[np.int64]
    last_state_change_ms: NDArray[np.int64]
    last_earn_out_ms: NDArray[np.int64]
    expansion: NDArray[np.bool_]
    modeling_group: NDArray[np.int64]
    times_earned_out: NDArray[np.int64]


def draw_enrollment(
    config: SimConfig,
    rng: np.random.Generator,
    n: int,
    *,
    new_accounts_ms: NDArray[np.int64] | None,
    groups: tuple[int, ...] | None = None,
    earned_in: bool = False,
) -> Enrollment:
    """Enrollment rows with the fixtures' mix of states, groups and timestamps.

    Parameters
    ----------
    config : the simulation config (window end, group and population shares).
    rng : the generator to draw from.
    n : number of participants.
    new_accounts_ms : int64 array of shape (n,) with account creation times, or None. When
        given, every participant is a ``newUser`` whose last state change is its creation.

    Returns
    -------
    Enrollment with arrays of shape (n,).
    """
    end = config.end_ms
    changed = end - rng.integers(1, _ENROLLMENT_HISTORY_DAYS * _DAY_MS, size=n, dtype=np.int64)
    if new_accounts_ms is None:
        state_pos = rng.choice(len(_STATES), size=n, p=_STATE_SHARES)
    else:
        new_state = EnrollmentState.earnedIn if earned_in else EnrollmentState.newUser
        state_pos = np.full(n, _STATES.index(new_state))
        changed = new_accounts_ms.astype(np.int64)
    states = np.array([int(s) for s in _STATES], dtype=np.int8)[state_pos]
    earned_out = (states == EnrollmentState.earnedOutAcknowledged) | (
        states == EnrollmentState.earnedOutNoAcknowledge
    )
    times = np.where(earned_out, rng.integers(1, 3, size=n), 0).astype(np.int64)
    needed = np.where(earned_out, 5 + 5 * times, 5).astype(np.int64)
    earn_out_back = (rng.random(n) * (changed - (end - _ENROLLMENT_HISTORY_DAYS * _DAY_MS))).astype(
        np.int64
    )
    last_earn_out = np.where(earned_out, changed - earn_out_back, 1).astype(np.int64)
    stable = rng.random(n) < config.stable_group_extra_share
    groups_drawn = np.where(stable, _STABLE_GROUP, rng.integers(0, _N_GROUPS, size=n))
    expansion = rng.random(n) < config.expansion_share
    if groups is not None:
        groups_drawn = np.asarray(groups, dtype=np.int64)[rng.integers(0, len(groups), size=n)]
    return Enrollment(
        enrollment_state=states,
        successful_rating_needed=needed,
        last_state_change_ms=changed,
        last_earn_out_ms=last_earn_out,
        expansion=expansion,
        modeling_group=groups_drawn.astype(np.int64),
        times_earned_out=times,
    )


def draw_raters(config: SimConfig, rng: np.random.Generator) -> RaterPopulation:
    """The organic participants: two camps on one viewpoint axis with power-law activity.

    Camp c in {+1, -1} is drawn with P(+1) = ``camp_share``; positions are
    N(c * polarization, position_sd); activity weights are lognormal(0, activity_sigma) and
    leniency N(0, rater_leniency_sd).

    Returns
    -------
    RaterPopulation of ``config.n_raters`` rows, none adversarial.
    """
    n = config.n_raters
    ids = participant_ids(rng, n)
    camps = np.where(rng.random(n) < config.camp_share, 1, -1).astype(np.int8)
    positions = camps * config.polarization + rng.normal(0.0, config.position_sd, size=n)
    leniency = rng.normal(0.0, config.rater_leniency_sd, size=n)
    activity = rng.lognormal(0.0, config.activity_sigma, size=n)
    enrollment = draw_enrollment(config, rng, n, new_accounts_ms=None)
    return RaterPopulation(
        ids=ids,
        positions=positions,
        camps=camps,
        leniency=leniency,
        activity=activity,
        is_adversary=np.zeros(n, dtype=np.bool_),
        brigade_id=np.full(n, -1, dtype=np.int32),
        joined_at_ms=np.full(n, config.start_ms - _ENROLLMENT_HISTORY_DAYS * _DAY_MS, np.int64),
        enrollment_state=enrollment.enrollment_state,
        successful_rating_needed=enrollment.successful_rating_needed,
        last_state_change_ms=enrollment.last_state_change_ms,
        last_earn_out_ms=enrollment.last_earn_out_ms,
        expansion=enrollment.expansion,
        modeling_group=enrollment.modeling_group,
        times_earned_out=enrollment.times_earned_out,
        structure=np.zeros(n, dtype=np.int8),
        structure_id=np.full(n, -1, dtype=np.int32),
    )
