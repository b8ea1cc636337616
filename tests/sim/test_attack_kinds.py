"""The brigade kinds of the second attack round: pool, rotating waves, modeling groups."""

from __future__ import annotations

import itertools
from collections import Counter

import numpy as np
import polars as pl
import pytest

from bridgewatch.errors import ConfigError
from bridgewatch.scoring.preprocess.config import CORE_MODELING_GROUPS
from bridgewatch.sim import BrigadeConfig, BrigadeGoal, Community, SimConfig, simulate
from bridgewatch.sim.adversary import attack_pairs
from bridgewatch.sim.config import GroupCommunityConfig

_BASE = SimConfig(seed=4, n_notes=600, n_raters=800, n_ratings=12_000, days=30.0)


def _attack(community: Community, brigade: int) -> pl.DataFrame:
    """(noteId, raterParticipantId) of brigade ``brigade``'s ratings on its own targets."""
    c = community
    members = c.rater_truth.filter(pl.col("brigadeId") == brigade)["participantId"]
    targets = c.note_truth.filter(pl.col("brigadeId") == brigade)["noteId"]
    return c.ratings.filter(
        pl.col("raterParticipantId").is_in(members.to_list())
        & pl.col("noteId").is_in(targets.to_list())
    ).select("noteId", "raterParticipantId")


def _pair_overlaps(pairs: pl.DataFrame) -> Counter[tuple[str, str]]:
    together: Counter[tuple[str, str]] = Counter()
    for group in pairs.partition_by("noteId"):
        raters = sorted(group["raterParticipantId"].to_list())
        together.update(itertools.combinations(raters, 2))
    return together


def test_attack_pairs_full_brigade_and_waves_by_hand() -> None:
    rng = np.random.default_rng(0)
    members = np.arange(10, 16, dtype=np.int64)
    targets = np.array([3, 5, 7, 9, 11], dtype=np.int64)
    full = BrigadeConfig(n_members=6, n_targets=5)
    notes, raters = attack_pairs(full, members, targets, rng)
    assert notes.tolist() == [t for t in targets.tolist() for _ in range(6)]
    assert raters.tolist() == members.tolist() * 5
    # Waves of two targets: 3 waves of 2 members each; the last wave has one target.
    waves = BrigadeConfig(n_members=6, n_targets=5, targets_per_wave=2)
    notes, raters = attack_pairs(waves, members, targets, rng)
    got = sorted(zip(notes.tolist(), raters.tolist(), strict=True))
    want = sorted(
        [(3, 10), (3, 11), (5, 10), (5, 11), (7, 12), (7, 13), (9, 12), (9, 13), (11, 14), (11, 15)]
    )
    assert got == want


def test_pool_draws_a_fresh_subset_per_target_within_the_overlap_bound() -> None:
    brigade = BrigadeConfig(
        n_members=120, n_targets=20, pool_share=0.25, max_pair_overlap=3, account_age_days=25.0
    )
    community = simulate(SimConfig(**{**_BASE.__dict__, "brigades": (brigade,)}))
    pairs = _attack(community, 0)
    per_target = pairs.group_by("noteId").len()["len"].to_numpy()
    assert per_target.size == 20
    assert per_target.max() <= 30 and per_target.min() >= 15  # 25% of 120, a few skipped
    overlaps = _pair_overlaps(pairs)
    assert max(overlaps.values()) <= 3
    # Subsets differ from target to target: no member rates every target.
    assert pairs.group_by("raterParticipantId").len()["len"].to_numpy().max() < 20
    unbounded = simulate(
        SimConfig(
            **{
                **_BASE.__dict__,
                "brigades": (
                    BrigadeConfig(
                        n_members=120, n_targets=20, pool_share=0.25, account_age_days=25.0
                    ),
                ),
            }
        )
    )
    free = _attack(unbounded, 0)
    assert (free.group_by("noteId").len()["len"] == 30).all()
    assert max(_pair_overlaps(free).values()) > 3  # the bound is what kept it at 3


def test_rotating_waves_are_disjoint_brigades_of_their_own_targets() -> None:
    brigade = BrigadeConfig(
        n_members=24, n_targets=18, targets_per_wave=6, account_age_days=25.0, camp=-1
    )
    community = simulate(SimConfig(**{**_BASE.__dict__, "brigades": (brigade,)}))
    pairs = _attack(community, 0)
    by_rater = pairs.group_by("raterParticipantId").agg(pl.col("noteId").sort())
    waves = {tuple(notes) for notes in by_rater["noteId"].to_list()}
    assert len(waves) == 3 and all(len(w) == 6 for w in waves)
    assert len(set().union(*waves)) == 18  # disjoint target sets
    sizes = Counter(tuple(notes) for notes in by_rater["noteId"].to_list())
    assert sorted(sizes.values()) == [8, 8, 8]
    # Waves follow the targets' creation order.
    firsts = sorted(min(w) for w in waves)
    lasts = sorted(max(w) for w in waves)
    assert all(a < b for a, b in zip(lasts, firsts[1:], strict=False))


def test_out_of_scope_and_embedded_members_get_the_asked_modeling_groups() -> None:
    outside = tuple(g for g in range(15) if g not in CORE_MODELING_GROUPS)
    community = simulate(
        SimConfig(
            **{
                **_BASE.__dict__,
                "group_communities": (GroupCommunityConfig(n_members=40, modeling_group=6),),
                "brigades": (
                    BrigadeConfig(n_members=30, modeling_groups=outside, goal=BrigadeGoal.SUPPRESS),
                    BrigadeConfig(n_members=25, modeling_groups=(6,), earned_in=True),
                ),
            }
        )
    )
    groups = community.user_enrollment.select("participantId", "modelingGroup", "enrollmentState")
    truth = community.rater_truth.join(groups, on="participantId")
    out = truth.filter(pl.col("brigadeId") == 0)
    assert out.height == 30
    assert set(out["modelingGroup"].to_list()) <= set(outside)
    assert not set(out["modelingGroup"].to_list()) & CORE_MODELING_GROUPS
    embedded = truth.filter(pl.col("brigadeId") == 1)
    community_group = truth.filter(pl.col("structure") == "group")
    assert set(embedded["modelingGroup"].to_list()) == {6}
    assert set(community_group["modelingGroup"].to_list()) == {6}
    assert set(embedded["enrollmentState"].cast(pl.String).to_list()) == {"earnedIn"}


def test_aged_members_earned_in_long_before_and_rate_as_before() -> None:
    """``enrolled_days`` backdates the enrollment only: the same members, ratings and
    targets as without it, the last state change 120 days before the window end."""
    brigade = BrigadeConfig(n_members=20, earned_in=True, account_age_days=20.0)
    plain = simulate(SimConfig(**{**_BASE.__dict__, "brigades": (brigade,)}))
    aged_brigade = BrigadeConfig(
        n_members=20, earned_in=True, account_age_days=20.0, enrolled_days=120.0
    )
    aged = simulate(SimConfig(**{**_BASE.__dict__, "brigades": (aged_brigade,)}))
    assert aged.ratings.equals(plain.ratings)
    members = aged.rater_truth.filter(pl.col("brigadeId") == 0)["participantId"]
    rows = aged.user_enrollment.filter(pl.col("participantId").is_in(members.to_list()))
    changed = rows["timestampOfLastStateChange"].cast(pl.Int64).to_numpy()
    end = _BASE.end_ms
    day = 86_400_000
    assert (changed <= end - 119 * day).all() and (changed >= end - 120 * day).all()
    with pytest.raises(ConfigError):
        BrigadeConfig(account_age_days=20.0, enrolled_days=10.0)


def test_new_brigade_fields_are_checked() -> None:
    with pytest.raises(ConfigError):
        BrigadeConfig(pool_share=0.0)
    with pytest.raises(ConfigError):
        BrigadeConfig(n_members=3, n_targets=10, targets_per_wave=2)  # 5 waves, 3 members
    with pytest.raises(ConfigError):
        BrigadeConfig(modeling_groups=())
    with pytest.raises(ConfigError):
        BrigadeConfig(max_pair_overlap=-1)
