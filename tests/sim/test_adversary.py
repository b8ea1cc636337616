"""Brigades: members, targets and the timing of the attack."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from bridgewatch.errors import ConfigError
from bridgewatch.sim import BrigadeConfig, BrigadeGoal, Community, SimConfig, simulate
from bridgewatch.sim.adversary import _organic_pairs
from bridgewatch.sim.notes import draw_notes
from bridgewatch.sim.population import draw_raters

_MINUTE_MS = 60_000


def _community(*brigades: BrigadeConfig, seed: int = 0) -> Community:
    return simulate(
        SimConfig(seed=seed, n_notes=1500, n_raters=800, n_ratings=20_000, brigades=brigades)
    )


def _member_ratings(c: Community, brigade: int) -> pl.DataFrame:
    members = c.rater_truth.filter(pl.col("brigadeId") == brigade).select(
        pl.col("participantId").alias("raterParticipantId"), "joinedAtMillis"
    )
    return c.ratings.join(members, on="raterParticipantId").join(
        c.notes.select("noteId", pl.col("createdAtMillis").alias("noteMs")), on="noteId"
    )


def test_no_adversaries_by_default() -> None:
    c = _community()
    assert not c.rater_truth["isAdversary"].any()
    assert not c.note_truth["attackTarget"].any()
    assert (c.rater_truth["brigadeId"] == -1).all()


@pytest.mark.parametrize("seed", range(3))
def test_promoting_brigade_rates_its_targets_helpful_within_minutes(seed: int) -> None:
    brigade = BrigadeConfig(
        n_members=15,
        n_targets=4,
        camp=1,
        account_age_days=10,
        organic_ratings=2,
        max_reaction_minutes=20,
    )
    c = _community(brigade, seed=seed)
    truth = c.rater_truth.filter(pl.col("isAdversary"))
    assert truth.height == 15 and (truth["brigadeId"] == 0).all() and (truth["camp"] == 1).all()
    # Members are new accounts: enrolled as newUser when they joined, late in the window.
    enrolled = c.user_enrollment.join(
        truth.select(pl.col("participantId"), "joinedAtMillis"), on="participantId"
    )
    assert (enrolled["enrollmentState"].cast(pl.String) == "newUser").all()
    assert enrolled["timestampOfLastStateChange"].equals(
        enrolled["joinedAtMillis"], check_names=False
    )
    assert (truth["joinedAtMillis"].to_numpy() >= c.config.end_ms - 20 * 86_400_000).all()

    targets = c.note_truth.filter(pl.col("attackTarget"))
    assert targets.height == 4
    assert (targets["brigadeId"] == 0).all() and (targets["attackGoal"] == "promote").all()
    assert (targets["slant"].to_numpy() > 0).all()
    # Promoted notes are the worst one-sided notes of the camp created after the members joined.
    eligible = c.note_truth.join(c.notes.select("noteId", "createdAtMillis"), on="noteId").filter(
        pl.col("oneSided")
        & (pl.col("slant") > 0)
        & (pl.col("createdAtMillis") > truth["joinedAtMillis"].max())
    )
    assert targets["oneSided"].all()
    others = eligible.filter(~pl.col("attackTarget"))["quality"].to_numpy()
    assert others.size == 0 or targets["quality"].to_numpy().max() <= others.min()
    rated = _member_ratings(c, 0)
    on_target = rated.join(targets.select("noteId"), on="noteId")
    assert on_target.height == 15 * 4
    assert (on_target["helpfulnessLevel"].cast(pl.String) == "HELPFUL").all()
    delay = on_target["createdAtMillis"].to_numpy() - on_target["noteMs"].to_numpy()
    assert (delay > 0).all() and (delay <= 20 * _MINUTE_MS).all()
    # Few organic ratings, all after the account was created.
    organic = rated.join(targets.select("noteId"), on="noteId", how="anti")
    assert organic.height == 15 * 2
    assert (organic["createdAtMillis"].to_numpy() >= organic["joinedAtMillis"].to_numpy()).all()


def test_suppressing_brigade_rates_good_notes_not_helpful() -> None:
    brigade = BrigadeConfig(n_members=10, n_targets=3, goal=BrigadeGoal.SUPPRESS, camp=-1)
    c = _community(brigade)
    targets = c.note_truth.filter(pl.col("attackTarget"))
    assert targets.height == 3 and (targets["attackGoal"] == "suppress").all()
    assert (
        targets["quality"].to_numpy() > np.quantile(c.note_truth["quality"].to_numpy(), 0.9)
    ).all()
    assert (targets["slant"].to_numpy() >= 0).all()  # not slanted towards camp -1
    on_target = _member_ratings(c, 0).join(targets.select("noteId"), on="noteId")
    assert on_target.height == 30
    assert (on_target["helpfulnessLevel"].cast(pl.String) == "NOT_HELPFUL").all()


def test_two_brigades_never_share_a_target_and_keep_pairs_unique() -> None:
    c = _community(BrigadeConfig(camp=1), BrigadeConfig(camp=1, n_members=5))
    targets = c.note_truth.filter(pl.col("attackTarget"))
    assert targets.height == 10
    assert targets.group_by("brigadeId").len().sort("brigadeId")["len"].to_list() == [5, 5]
    assert not c.ratings.select("noteId", "raterParticipantId").is_duplicated().any()
    assert c.user_enrollment.height == 800 + 25


def test_brigade_lifts_its_targets_helpful_share() -> None:
    plain = _community()
    attacked = _community(BrigadeConfig(n_members=40, n_targets=5))
    targets = attacked.note_truth.filter(pl.col("attackTarget")).select("noteId")

    def helpful_share(c: Community) -> float:
        r = c.ratings.join(targets, on="noteId")
        return float((r["helpfulnessLevel"].cast(pl.String) == "HELPFUL").to_numpy().mean())

    assert helpful_share(attacked) > helpful_share(plain) + 0.2


def test_members_organic_notes_are_distinct_recent_and_never_targets() -> None:
    config = SimConfig(n_notes=500)
    rng = np.random.default_rng(0)
    notes = draw_notes(config, draw_raters(config, rng), rng)
    excluded = np.zeros(notes.n, dtype=np.bool_)
    excluded[::7] = True
    joined = np.sort(rng.integers(config.start_ms, config.end_ms, size=300))
    members = np.arange(1_000, 1_300, dtype=np.int64)
    note_idx, rater_idx = _organic_pairs(
        BrigadeConfig(organic_ratings=5), members, joined, notes, excluded, rng
    )
    assert len(set(zip(note_idx.tolist(), rater_idx.tolist(), strict=True))) == note_idx.size
    assert (notes.created_at_ms[note_idx] > joined[rater_idx - 1_000]).all()
    assert not excluded[note_idx].any()
    pool = np.flatnonzero(~excluded)
    available = pool.size - np.searchsorted(notes.created_at_ms[pool], joined, side="right")
    per_member = np.bincount(rater_idx - 1_000, minlength=300)
    assert np.array_equal(per_member, np.minimum(5, available))


def test_sleepers_rate_honestly_for_their_dormant_period_then_attack() -> None:
    sleeper = BrigadeConfig(
        n_members=12,
        n_targets=3,
        goal=BrigadeGoal.SUPPRESS,
        camp=-1,
        account_age_days=25,
        organic_ratings=15,
        dormant_days=15,
    )
    c = _community(sleeper)
    rated = _member_ratings(c, 0)
    targets = set(c.note_truth.filter(pl.col("attackTarget"))["noteId"].to_list())
    assert len(targets) == 3
    attack = rated.filter(pl.col("noteId").is_in(list(targets)))
    organic = rated.filter(~pl.col("noteId").is_in(list(targets)))
    last_join = int(rated["joinedAtMillis"].max())  # type: ignore[arg-type]
    # Every target appears after the dormant period; every member rates every target.
    assert (attack["noteMs"] > last_join + 15 * 86_400_000).all()
    assert attack.height == 12 * 3
    assert (attack["helpfulnessLevel"].cast(pl.String) == "NOT_HELPFUL").all()
    # The reputation-building ratings come first: some land inside the dormant period.
    assert organic.height == 12 * 15
    assert (organic["createdAtMillis"] < last_join + 15 * 86_400_000).any()


def test_dormant_days_must_be_shorter_than_account_age() -> None:
    with pytest.raises(ConfigError):
        BrigadeConfig(account_age_days=10, dormant_days=10)
    with pytest.raises(ConfigError):
        BrigadeConfig(dormant_days=-1)
    assert BrigadeConfig().dormant_days == 0.0


def test_target_quality_picks_the_closest_eligible_notes() -> None:
    brigade = BrigadeConfig(n_members=5, n_targets=4, target_quality=0.0, account_age_days=20)
    c = _community(brigade)
    joined = int(c.rater_truth.filter(pl.col("isAdversary"))["joinedAtMillis"].max())  # type: ignore[arg-type]
    eligible = (
        c.note_truth.join(c.notes.select("noteId", "createdAtMillis"), on="noteId")
        .filter(pl.col("oneSided") & (pl.col("slant") > 0) & (pl.col("createdAtMillis") > joined))
        .with_columns(pl.col("quality").abs().alias("distance"))
    )
    chosen = eligible.filter(pl.col("attackTarget"))
    assert chosen.height == 4
    others = eligible.filter(~pl.col("attackTarget"))["distance"].to_numpy()
    assert chosen["distance"].to_numpy().max() <= others.min()


def test_two_camp_brigade_puts_a_share_of_its_members_in_the_other_camp() -> None:
    brigade = BrigadeConfig(n_members=10, n_targets=2, camp=1, cross_camp_share=0.4)
    c = _community(brigade)
    truth = c.rater_truth.filter(pl.col("isAdversary"))
    assert sorted(truth["camp"].to_list()) == [-1] * 4 + [1] * 6
    # Members sit around their own camp's centre.
    positions = truth.select(pl.col("position") * pl.col("camp"))
    assert (positions.to_series() > 0).mean() > 0.9  # type: ignore[operator]
    with pytest.raises(ConfigError):
        BrigadeConfig(cross_camp_share=1.5)


def test_members_pick_their_ordinary_notes_by_popularity() -> None:
    config = SimConfig(n_notes=400)
    rng = np.random.default_rng(1)
    notes = draw_notes(config, draw_raters(config, rng), rng)
    excluded = np.zeros(notes.n, dtype=np.bool_)
    joined = np.full(200, config.start_ms, dtype=np.int64)
    members = np.arange(200, dtype=np.int64)
    popularity = np.zeros(notes.n, dtype=np.int64)
    popularity[:20] = 1_000  # 20 notes hold almost all the organic ratings
    note_idx, _ = _organic_pairs(
        BrigadeConfig(organic_ratings=5), members, joined, notes, excluded, rng, popularity
    )
    assert (note_idx < 20).mean() > 0.9
    uniform, _ = _organic_pairs(
        BrigadeConfig(organic_ratings=5), members, joined, notes, excluded, rng
    )
    assert (uniform < 20).mean() < 0.2
