"""Honest structures: niche circles, modeling-group communities, very active raters."""

from __future__ import annotations

import polars as pl
import pytest

from bridgewatch.errors import ConfigError
from bridgewatch.sim import SimConfig, simulate
from bridgewatch.sim.config import ActiveRatersConfig, CircleConfig, GroupCommunityConfig

_BASE = SimConfig(seed=2, n_notes=500, n_raters=600, n_ratings=10_000, days=30.0)


def _with(**structures: object) -> SimConfig:
    return SimConfig(**{**_BASE.__dict__, **structures})


def test_structures_leave_the_organic_ratings_alone() -> None:
    plain = simulate(_BASE)
    rich = simulate(
        _with(
            circles=(CircleConfig(), CircleConfig(camp=0)),
            group_communities=(GroupCommunityConfig(n_members=30),),
            active_raters=(ActiveRatersConfig(n_raters=4, ratings_per_rater=200),),
        )
    )
    organic = rich.rater_truth.filter(pl.col("structure").is_null())["participantId"]
    kept = rich.ratings.filter(pl.col("raterParticipantId").is_in(organic.to_list()))
    assert kept.sort("noteId", "raterParticipantId").equals(
        plain.ratings.sort("noteId", "raterParticipantId")
    )
    members = rich.rater_truth.filter(pl.col("structure").is_not_null())
    assert members.height == 30 + 30 + 30 + 4 and not members["isAdversary"].any()


def test_circle_members_mostly_rate_their_circle_notes() -> None:
    c = simulate(_with(circles=(CircleConfig(n_members=25, n_notes=20, camp=-1, coverage=0.8),)))
    members = c.rater_truth.filter(pl.col("structure") == "circle")
    assert members.height == 25 and set(members["camp"].to_list()) == {-1}
    circle_notes = c.note_truth.filter(pl.col("circleId") == 0)["noteId"]
    assert circle_notes.len() == 20
    rated = c.ratings.filter(pl.col("raterParticipantId").is_in(members["participantId"].to_list()))
    inside = rated.filter(pl.col("noteId").is_in(circle_notes.to_list())).height
    assert inside == pytest.approx(0.8 * 25 * 20, rel=0.15)
    assert rated.height - inside == 25 * 5  # other_ratings each
    both = simulate(_with(circles=(CircleConfig(n_members=20, camp=0),)))
    camps = both.rater_truth.filter(pl.col("structure") == "circle")["camp"].to_list()
    assert sorted(camps) == [-1] * 10 + [1] * 10


def test_group_community_and_active_raters() -> None:
    c = simulate(
        _with(
            group_communities=(
                GroupCommunityConfig(n_members=20, modeling_group=9, ratings_per_member=25),
            ),
            active_raters=(ActiveRatersConfig(n_raters=3, ratings_per_rater=400),),
        )
    )
    enroll = c.user_enrollment.select("participantId", "modelingGroup")
    group = c.rater_truth.filter(pl.col("structure") == "group").join(enroll, on="participantId")
    assert set(group["modelingGroup"].to_list()) == {9}
    counts = c.ratings.group_by("raterParticipantId").len()
    group_counts = counts.filter(
        pl.col("raterParticipantId").is_in(group["participantId"].to_list())
    )
    assert (group_counts["len"] == 25).all()
    active = c.rater_truth.filter(pl.col("structure") == "active")["participantId"]
    active_counts = counts.filter(pl.col("raterParticipantId").is_in(active.to_list()))["len"]
    assert (active_counts == 400).all() and active_counts.len() == 3


def test_structure_configs_are_checked() -> None:
    with pytest.raises(ConfigError):
        CircleConfig(camp=2)
    with pytest.raises(ConfigError):
        GroupCommunityConfig(focus=1.5)
    with pytest.raises(ConfigError):
        SimConfig(circles=[CircleConfig()])  # type: ignore[arg-type]
