"""Honest structures a defence must leave alone: niche circles, modeling-group communities
and very active raters (``SimConfig.circles``, ``group_communities``, ``active_raters``).

Every member is an honest account: the latent model of ``bridgewatch.sim.ratings`` gives
its verdicts, as for any organic rater; only *which* notes it rates is structured. Members
join long before the window (like organic raters) with zero organic activity, so the organic
ratings are the same with or without the structures. Structure s (circles first, then group
communities, then active raters) draws from ``default_rng([seed, 3, s])``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from bridgewatch.sim.config import (
    ActiveRatersConfig,
    CircleConfig,
    GroupCommunityConfig,
    SimConfig,
)
from bridgewatch.sim.ids import participant_ids
from bridgewatch.sim.notes import NotePopulation
from bridgewatch.sim.population import STRUCTURE_NAMES, RaterPopulation, draw_enrollment
from bridgewatch.sim.ratings import RatingArrays, rate_pairs

__all__ = ["HonestPlan", "draw_structures"]

_DAY_MS = 86_400_000
_HISTORY_DAYS = 460  # as organic raters (population._ENROLLMENT_HISTORY_DAYS)
_Structure = CircleConfig | GroupCommunityConfig | ActiveRatersConfig


@dataclass(frozen=True)
class HonestPlan:
    """What the honest structures add to a community.

    Parameters
    ----------
    raters : all participants: the ones given, followed by every structure member.
    ratings : RatingArrays of the members' ratings, any order.
    circle_of_note : int32 array of shape (n_notes,), the niche circle whose notes include
        the note, -1 none.
    """

    raters: RaterPopulation
    ratings: RatingArrays
    circle_of_note: NDArray[np.int32]


def _camps(camp: int, n: int) -> NDArray[np.int8]:
    """Every member in ``camp``, or (camp 0) the first half in +1 and the rest in -1."""
    if camp != 0:
        return np.full(n, camp, dtype=np.int8)
    return np.where(np.arange(n) < (n + 1) // 2, 1, -1).astype(np.int8)


def _members(
    config: SimConfig,
    rng: np.random.Generator,
    camps: NDArray[np.int8],
    code: int,
    structure_id: int,
    groups: tuple[int, ...] | None,
) -> RaterPopulation:
    n = camps.shape[0]
    ids = participant_ids(rng, n)
    positions = (camps * config.polarization + rng.normal(0.0, config.position_sd, size=n)).astype(
        np.float64
    )
    leniency = np.asarray(rng.normal(0.0, config.rater_leniency_sd, size=n), dtype=np.float64)
    enrollment = draw_enrollment(config, rng, n, new_accounts_ms=None, groups=groups)
    return RaterPopulation(
        ids=ids,
        positions=positions,
        camps=camps,
        leniency=leniency,
        activity=np.zeros(n),
        is_adversary=np.zeros(n, dtype=np.bool_),
        brigade_id=np.full(n, -1, dtype=np.int32),
        joined_at_ms=np.full(n, config.start_ms - _HISTORY_DAYS * _DAY_MS, np.int64),
        enrollment_state=enrollment.enrollment_state,
        successful_rating_needed=enrollment.successful_rating_needed,
        last_state_change_ms=enrollment.last_state_change_ms,
        last_earn_out_ms=enrollment.last_earn_out_ms,
        expansion=enrollment.expansion,
        modeling_group=enrollment.modeling_group,
        times_earned_out=enrollment.times_earned_out,
        structure=np.full(n, code, dtype=np.int8),
        structure_id=np.full(n, structure_id, dtype=np.int32),
    )


def _by_popularity(
    pool: NDArray[np.int64],
    popularity: NDArray[np.int64],
    k: int,
    rng: np.random.Generator,
) -> NDArray[np.int64]:
    """``min(k, pool.size)`` distinct notes of ``pool``, drawn in proportion to popularity + 1."""
    k = min(k, pool.size)
    if k <= 0:
        return np.empty(0, np.int64)
    weight = popularity[pool].astype(np.float64) + 1.0
    chosen = rng.choice(pool, size=k, replace=False, p=weight / weight.sum())
    return np.sort(chosen).astype(np.int64)


def _circle_pairs(
    circle: CircleConfig,
    members: NDArray[np.int64],
    popularity: NDArray[np.int64],
    reserved: NDArray[np.bool_],
    rng: np.random.Generator,
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """(circle notes, note_idx, rater_idx): niche notes not reserved yet, each member's
    share of them and its few other ratings."""
    n_notes = popularity.shape[0]
    niche = np.flatnonzero((popularity <= np.median(popularity)) & ~reserved)
    notes = np.sort(rng.choice(niche, size=min(circle.n_notes, niche.size), replace=False))
    rates = rng.random((members.size, notes.size)) < circle.coverage
    m_pos, n_pos = np.nonzero(rates)
    note_idx = [notes[n_pos].astype(np.int64)]
    rater_idx = [members[m_pos]]
    others = np.setdiff1d(np.arange(n_notes, dtype=np.int64), notes)
    for m in members:
        chosen = _by_popularity(others, popularity, circle.other_ratings, rng)
        note_idx.append(chosen)
        rater_idx.append(np.full(chosen.size, m, dtype=np.int64))
    return notes.astype(np.int64), np.concatenate(note_idx), np.concatenate(rater_idx)


def _group_pairs(
    group: GroupCommunityConfig,
    members: NDArray[np.int64],
    popularity: NDArray[np.int64],
    rng: np.random.Generator,
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Each member's ratings: ``focus`` of them on the community's interest notes."""
    n_notes = popularity.shape[0]
    interest = rng.random(n_notes) < group.interest_share
    inside = np.flatnonzero(interest).astype(np.int64)
    outside = np.flatnonzero(~interest).astype(np.int64)
    k_in = round(group.focus * group.ratings_per_member)
    k_out = group.ratings_per_member - k_in
    note_idx: list[NDArray[np.int64]] = []
    rater_idx: list[NDArray[np.int64]] = []
    for m in members:
        chosen = np.concatenate(
            [
                _by_popularity(inside, popularity, k_in, rng),
                _by_popularity(outside, popularity, k_out, rng),
            ]
        )
        note_idx.append(chosen)
        rater_idx.append(np.full(chosen.size, m, dtype=np.int64))
    return np.concatenate(note_idx), np.concatenate(rater_idx)


def _active_pairs(
    active: ActiveRatersConfig,
    members: NDArray[np.int64],
    popularity: NDArray[np.int64],
    rng: np.random.Generator,
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    every = np.arange(popularity.shape[0], dtype=np.int64)
    note_idx: list[NDArray[np.int64]] = []
    rater_idx: list[NDArray[np.int64]] = []
    for m in members:
        chosen = _by_popularity(every, popularity, active.ratings_per_rater, rng)
        note_idx.append(chosen)
        rater_idx.append(np.full(chosen.size, m, dtype=np.int64))
    return np.concatenate(note_idx), np.concatenate(rater_idx)


def draw_structures(
    config: SimConfig,
    raters: RaterPopulation,
    notes: NotePopulation,
    popularity: NDArray[np.int64],
) -> HonestPlan:
    """Add the configured honest structures to a community.

    Parameters
    ----------
    config : the simulation config with its ``circles``, ``group_communities`` and
        ``active_raters``.
    raters : the participants so far (the organic ones).
    notes : the notes.
    popularity : int64 array of shape (n_notes,), organic ratings per note (niche notes
        are those at or below the median; members pick other notes in proportion to it + 1).

    Returns
    -------
    HonestPlan; with no structures, ``raters`` and no ratings.
    """
    structures: list[tuple[int, int, _Structure]] = [
        *((STRUCTURE_NAMES.index("circle"), i, c) for i, c in enumerate(config.circles)),
        *((STRUCTURE_NAMES.index("group"), i, g) for i, g in enumerate(config.group_communities)),
        *((STRUCTURE_NAMES.index("active"), i, a) for i, a in enumerate(config.active_raters)),
    ]
    circle_of_note = np.full(notes.n, -1, dtype=np.int32)
    if not structures:
        return HonestPlan(raters, RatingArrays.empty(), circle_of_note)
    rngs = [np.random.default_rng([config.seed, 3, s]) for s in range(len(structures))]
    new: list[RaterPopulation] = []
    for (code, i, structure), rng in zip(structures, rngs, strict=True):
        if isinstance(structure, ActiveRatersConfig):
            new.append(_members(config, rng, _camps(0, structure.n_raters), code, i, None))
        elif isinstance(structure, GroupCommunityConfig):
            camps = _camps(structure.camp, structure.n_members)
            new.append(_members(config, rng, camps, code, i, (structure.modeling_group,)))
        else:
            camps = _camps(structure.camp, structure.n_members)
            new.append(_members(config, rng, camps, code, i, None))
    population = raters.concat(*new)
    first = raters.n + np.cumsum([0, *(m.n for m in new)])
    parts: list[RatingArrays] = []
    for s, ((_code, i, structure), rng) in enumerate(zip(structures, rngs, strict=True)):
        members = np.arange(first[s], first[s + 1], dtype=np.int64)
        if isinstance(structure, CircleConfig):
            circle_notes, note_idx, rater_idx = _circle_pairs(
                structure, members, popularity, circle_of_note >= 0, rng
            )
            circle_of_note[circle_notes] = i
        elif isinstance(structure, GroupCommunityConfig):
            note_idx, rater_idx = _group_pairs(structure, members, popularity, rng)
        else:
            note_idx, rater_idx = _active_pairs(structure, members, popularity, rng)
        parts.append(rate_pairs(config, population, notes, note_idx, rater_idx, rng))
    return HonestPlan(population, RatingArrays.concat(parts), circle_of_note)
