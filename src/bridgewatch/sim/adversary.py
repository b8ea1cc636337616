"""Adversaries: brigades of coordinated new accounts that promote or suppress chosen notes."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from bridgewatch.model import HelpfulnessLevel
from bridgewatch.sim.config import BrigadeConfig, BrigadeGoal, SimConfig
from bridgewatch.sim.ids import participant_ids
from bridgewatch.sim.notes import NotePopulation
from bridgewatch.sim.population import RaterPopulation, draw_enrollment
from bridgewatch.sim.ratings import RatingArrays, rate_pairs
from bridgewatch.sim.sampling import first_occurrences
from bridgewatch.sim.tags import draw_tags

__all__ = ["AdversaryPlan", "attack_pairs", "draw_adversaries"]

_log = logging.getLogger(__name__)
_DAY_MS = 86_400_000
_MINUTE_MS = 60_000


@dataclass(frozen=True)
class AdversaryPlan:
    """What the brigades add to a community.

    Parameters
    ----------
    raters : all participants: the organic ones followed by every brigade member.
    ratings : RatingArrays of the members' ratings (organic and attack), any order.
    attack : bool array of shape (ratings.n,), the rating is part of an attack.
    target_brigade : int32 array of shape (n_notes,), the brigade attacking each note, -1 none.
    """

    raters: RaterPopulation
    ratings: RatingArrays
    attack: NDArray[np.bool_]
    target_brigade: NDArray[np.int32]


def _draw_members(
    config: SimConfig, brigade: BrigadeConfig, b: int, rng: np.random.Generator
) -> RaterPopulation:
    n = brigade.n_members
    # Accounts appear within one day starting account_age_days before the window end.
    created = config.end_ms - round(brigade.account_age_days * _DAY_MS)
    spread = min(_DAY_MS, round(brigade.account_age_days * _DAY_MS) // 2)
    joined = created + rng.integers(0, max(spread, 1), size=n, dtype=np.int64)
    enrollment = draw_enrollment(
        config,
        rng,
        n,
        new_accounts_ms=joined,
        groups=brigade.modeling_groups,
        earned_in=brigade.earned_in,
    )
    ids = participant_ids(rng, n)
    positions = rng.normal(0, config.position_sd, n)
    changed = enrollment.last_state_change_ms
    if brigade.enrolled_days is not None:
        # Drawn from nothing: a brigade without enrolled_days keeps its streams.
        changed = joined - (joined.min() - config.end_ms + round(brigade.enrolled_days * _DAY_MS))
    camps = np.full(n, brigade.camp, dtype=np.int8)
    if brigade.cross_camp_share > 0:
        # Drawn after the ids and offsets, so one-camp brigades keep their old streams.
        camps[: round(brigade.cross_camp_share * n)] = -brigade.camp
    return RaterPopulation(
        ids=ids,
        positions=camps * config.polarization + positions,
        camps=camps,
        leniency=np.zeros(n),
        activity=np.zeros(n),
        is_adversary=np.ones(n, dtype=np.bool_),
        brigade_id=np.full(n, b, dtype=np.int32),
        joined_at_ms=joined,
        enrollment_state=enrollment.enrollment_state,
        successful_rating_needed=enrollment.successful_rating_needed,
        last_state_change_ms=changed,
        last_earn_out_ms=enrollment.last_earn_out_ms,
        expansion=enrollment.expansion,
        modeling_group=enrollment.modeling_group,
        times_earned_out=enrollment.times_earned_out,
        structure=np.zeros(n, dtype=np.int8),
        structure_id=np.full(n, -1, dtype=np.int32),
    )


def _choose_targets(
    brigade: BrigadeConfig, notes: NotePopulation, after_ms: int, taken: NDArray[np.bool_]
) -> NDArray[np.int64]:
    """Target notes created after ``after_ms`` and not yet targeted.

    PROMOTE takes the lowest-quality one-sided notes slanted towards the brigade's camp;
    SUPPRESS takes the highest-quality notes not slanted towards it; with a
    ``target_quality`` both take the notes whose quality is closest to it. Fewer targets than asked
    for are taken (with a logged warning) when not enough notes qualify.
    """
    towards = np.sign(notes.slant) == brigade.camp
    free = (notes.created_at_ms > after_ms) & ~taken
    if brigade.goal is BrigadeGoal.PROMOTE:
        eligible = free & towards & notes.one_sided
        key = notes.quality
    else:
        eligible = free & ~towards
        key = -notes.quality
    if brigade.target_quality is not None:
        key = np.abs(notes.quality - brigade.target_quality)
    candidates = np.flatnonzero(eligible)
    chosen = candidates[np.argsort(key[candidates], kind="stable")][: brigade.n_targets]
    if chosen.size < brigade.n_targets:
        _log.warning(
            "brigade wants %d targets but only %d notes qualify", brigade.n_targets, chosen.size
        )
    return np.sort(chosen)


def _pool_subsets(
    n: int, targets: int, share: float, bound: int | None, rng: np.random.Generator
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """A fresh random subset of ``round(share * n)`` (>= 1) of ``n`` members per target, no
    two members sharing more than ``bound`` targets (None: no bound).

    Returns
    -------
    (target_pos, member_pos): int64 arrays, one row per (target, member) pair, by target.
    """
    k = max(1, round(share * n))
    target_pos: list[NDArray[np.int64]] = []
    member_pos: list[NDArray[np.int64]] = []
    together = np.zeros((n, n), dtype=np.uint8) if bound is not None else None
    for t in range(targets):
        if together is None or bound is None:
            chosen = np.sort(rng.choice(n, size=k, replace=False)).astype(np.int64)
        else:
            picked: list[int] = []
            for m in rng.permutation(n).tolist():
                if len(picked) == k:
                    break
                if not picked or int(together[m, picked].max()) < bound:
                    picked.append(m)
            chosen = np.sort(np.asarray(picked, dtype=np.int64))
            together[np.ix_(chosen, chosen)] += 1
            if chosen.size < k:
                _log.warning(
                    "pool target %d: %d of %d raters within the pair-overlap bound %s",
                    t,
                    chosen.size,
                    k,
                    bound,
                )
        target_pos.append(np.full(chosen.size, t, dtype=np.int64))
        member_pos.append(chosen)
    if not target_pos:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    return np.concatenate(target_pos), np.concatenate(member_pos)


def attack_pairs(
    brigade: BrigadeConfig,
    members: NDArray[np.int64],
    targets: NDArray[np.int64],
    rng: np.random.Generator,
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Who rates which target.

    The members are split into ``ceil(n_targets / targets_per_wave)`` disjoint waves (one
    wave without ``targets_per_wave``); wave w takes the w-th run of ``targets_per_wave``
    targets in creation order. Within a wave every member rates every target of the wave
    (``pool_share`` 1), or each target gets a fresh random subset of the wave
    (``pool_share`` < 1, with the ``max_pair_overlap`` bound). Draws from ``rng`` only
    when a subset is drawn, so one-wave full brigades keep their streams.

    Parameters
    ----------
    brigade : the brigade's config.
    members : int64 array of shape (n_members,), the members' rater indexes.
    targets : int64 array of shape (n_t,), the targets' note indexes, sorted.
    rng : the brigade's generator.

    Returns
    -------
    (note_idx, rater_idx): int64 arrays of the attack pairs, grouped by target.
    """
    tpw = brigade.targets_per_wave
    n_waves = 1 if tpw is None else -(-brigade.n_targets // tpw)
    waves = np.array_split(members, n_waves)
    notes_out: list[NDArray[np.int64]] = []
    raters_out: list[NDArray[np.int64]] = []
    for w, wave in enumerate(waves):
        wave_targets = targets if tpw is None else targets[w * tpw : (w + 1) * tpw]
        if wave_targets.size == 0 or wave.size == 0:
            continue
        if brigade.pool_share >= 1.0:
            notes_out.append(np.repeat(wave_targets, wave.size))
            raters_out.append(np.tile(wave, wave_targets.size))
            continue
        t_pos, m_pos = _pool_subsets(
            wave.size, wave_targets.size, brigade.pool_share, brigade.max_pair_overlap, rng
        )
        notes_out.append(wave_targets[t_pos])
        raters_out.append(wave[m_pos])
    if not notes_out:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    return (
        np.concatenate(notes_out).astype(np.int64),
        np.concatenate(raters_out).astype(np.int64),
    )


def _attack_ratings(
    config: SimConfig,
    brigade: BrigadeConfig,
    members: NDArray[np.int64],
    targets: NDArray[np.int64],
    notes: NotePopulation,
    rng: np.random.Generator,
) -> RatingArrays:
    """Attack ratings (``attack_pairs``), each within ``max_reaction_minutes`` of its target's
    creation."""
    note_idx, rater_idx = attack_pairs(brigade, members, targets, rng)
    m = note_idx.size
    reaction = rng.random(m) * brigade.max_reaction_minutes * _MINUTE_MS
    created = notes.created_at_ms[note_idx] + np.maximum(reaction.astype(np.int64), 1_000)
    created = np.minimum(created, config.end_ms - 1)
    goal_level = (
        HelpfulnessLevel.HELPFUL
        if brigade.goal is BrigadeGoal.PROMOTE
        else HelpfulnessLevel.NOT_HELPFUL
    )
    level = np.full(m, goal_level, dtype=np.int8)
    helpful_tags, not_helpful_tags = draw_tags(
        level, np.zeros(m, np.bool_), notes.trustworthy_sources[note_idx], rng
    )
    return RatingArrays(
        note_idx=note_idx.astype(np.int32),
        rater_idx=rater_idx.astype(np.int32),
        created_at_ms=created,
        level=level,
        helpful_tags=helpful_tags,
        not_helpful_tags=not_helpful_tags,
        population_sampled=np.zeros(m, np.bool_),
    )


def _organic_pairs(
    brigade: BrigadeConfig,
    members: NDArray[np.int64],
    joined: NDArray[np.int64],
    notes: NotePopulation,
    excluded: NDArray[np.bool_],
    rng: np.random.Generator,
    popularity: NDArray[np.int64] | None = None,
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Distinct notes, created after each member joined, for the members' ordinary ratings.

    Each member takes the first distinct notes of a stream of draws from its pool (notes
    are in time order, so a pool is a suffix of the non-excluded notes): uniform draws, or
    draws in proportion to ``popularity + 1`` (the organic rating counts: members then rate
    like anyone, mostly the notes everyone rates, instead of flooding obscure ones).
    Members whose stream falls short draw exactly with ``rng.choice``.

    Returns
    -------
    (note_idx, rater_idx): int64 arrays, grouped by member.
    """
    pool = np.flatnonzero(~excluded)
    start = np.searchsorted(notes.created_at_ms[pool], joined, side="right")
    size = pool.size - start
    want = np.minimum(brigade.organic_ratings, size).astype(np.int64)
    draws = np.where(want > 0, 2 * want + 4, 0)
    member_pos = np.repeat(np.arange(members.size), draws)
    weight: NDArray[np.float64] | None = None
    if popularity is None:
        offsets = (rng.random(member_pos.size) * size[member_pos]).astype(np.int64)
        picks = start[member_pos] + offsets
    else:
        weight = popularity[pool].astype(np.float64) + 1.0
        cum = np.concatenate([[0.0], np.cumsum(weight)])
        low = cum[start[member_pos]]
        u = low + rng.random(member_pos.size) * (cum[-1] - low)
        picks = np.searchsorted(cum, u, side="right") - 1
        picks = np.clip(picks, start[member_pos], pool.size - 1)
    first = first_occurrences(member_pos * (pool.size + 1) + picks)
    seen = np.cumsum(first)
    group_start = np.repeat(np.cumsum(draws) - draws, draws)
    rank = seen - (seen[group_start] - first[group_start])
    accepted = first & (rank <= want[member_pos])
    got = np.bincount(member_pos[accepted], minlength=members.size)
    short = got < want
    keep = accepted & ~short[member_pos]
    note_idx = [pool[picks[keep]]]
    rater_pos = [member_pos[keep]]
    for m in np.flatnonzero(short):
        p = None if weight is None else weight[start[m] :] / weight[start[m] :].sum()
        chosen = rng.choice(pool[start[m] :], size=int(want[m]), replace=False, p=p)
        note_idx.append(chosen.astype(np.int64))
        rater_pos.append(np.full(chosen.size, m, dtype=np.int64))
    notes_out = np.concatenate(note_idx)
    raters_out = np.concatenate(rater_pos)
    order = np.lexsort((notes_out, raters_out))
    return notes_out[order], members[raters_out[order]]


def draw_adversaries(
    config: SimConfig,
    raters: RaterPopulation,
    notes: NotePopulation,
    popularity: NDArray[np.int64] | None = None,
    reserved: NDArray[np.bool_] | None = None,
) -> AdversaryPlan:
    """Add the configured brigades to a community.

    Brigade b draws from ``default_rng([seed, 2, b])``. Members join late (see
    ``BrigadeConfig``), make ``organic_ratings`` ordinary ratings on notes created after they
    joined (picked like organic raters pick them, by popularity), and rate each target
    (created ``dormant_days`` or more after they joined) within minutes of its creation. A
    note is attacked by at most one brigade.

    Parameters
    ----------
    config : the simulation config with its ``brigades``.
    raters : the organic participants.
    notes : the notes.
    popularity : int64 array of shape (n_notes,), the organic ratings per note; members
        pick the notes of their ordinary ratings in proportion to it (+1). None: uniformly.
    reserved : bool array of shape (n_notes,), notes no brigade targets (e.g. the notes of
        honest niche circles); None: none.

    Returns
    -------
    AdversaryPlan; with no brigades, the organic raters and no ratings.
    """
    target_brigade = np.full(notes.n, -1, dtype=np.int32)
    rngs = [np.random.default_rng([config.seed, 2, b]) for b in range(len(config.brigades))]
    new = [
        _draw_members(config, brigade, b, rng)
        for b, (brigade, rng) in enumerate(zip(config.brigades, rngs, strict=True))
    ]
    population = raters.concat(*new)
    first_member = raters.n + np.cumsum([0, *(m.n for m in new)])
    parts: list[RatingArrays] = []
    attack_parts: list[NDArray[np.bool_]] = []
    for b, brigade in enumerate(config.brigades):
        rng = rngs[b]
        members = np.arange(first_member[b], first_member[b + 1], dtype=np.int64)
        joined = new[b].joined_at_ms
        awake = int(joined.max()) + round(brigade.dormant_days * _DAY_MS)
        taken = target_brigade >= 0 if reserved is None else (target_brigade >= 0) | reserved
        targets = _choose_targets(brigade, notes, awake, taken)
        target_brigade[targets] = b
        attack = _attack_ratings(config, brigade, members, targets, notes, rng)
        note_idx, rater_idx = _organic_pairs(
            brigade, members, joined, notes, target_brigade >= 0, rng, popularity
        )
        organic = rate_pairs(config, population, notes, note_idx, rater_idx, rng)
        parts += [organic, attack]
        attack_parts += [np.zeros(organic.n, np.bool_), np.ones(attack.n, np.bool_)]
    attack_flags = np.concatenate(attack_parts) if attack_parts else np.empty(0, np.bool_)
    return AdversaryPlan(
        raters=population,
        ratings=RatingArrays.concat(parts),
        attack=attack_flags,
        target_brigade=target_brigade,
    )
