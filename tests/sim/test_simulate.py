"""simulate(): determinism, public layout, and the structure of the synthetic community."""

from __future__ import annotations

import re

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings

from bridgewatch.io.columns import (
    HELPFUL_TAGS,
    NOT_HELPFUL_TAGS,
    NOTE_STATUS_HISTORY_COLUMNS,
    NOTES_COLUMNS,
    RATINGS_COLUMNS,
    USER_ENROLLMENT_COLUMNS,
)
from bridgewatch.scoring.mf import fit_mf
from bridgewatch.sim import Community, SimConfig, simulate, simulate_ratings
from bridgewatch.sim.strategies import communities
from bridgewatch.sim.text import TOPIC_TERMS

_SMALL = SimConfig(n_notes=300, n_raters=400, n_ratings=6_000)


@pytest.fixture(scope="module")
def default_community() -> Community:
    """The S-core-sized default community (simulated once per module; read-only)."""
    return simulate(SimConfig(seed=7))


def _frames(community: Community) -> list[pl.DataFrame]:
    return [
        community.notes,
        community.ratings,
        community.note_status_history,
        community.user_enrollment,
        community.note_requests,
        community.posts,
        community.note_truth,
        community.rater_truth,
    ]


def test_same_seed_gives_identical_frames() -> None:
    first, second = simulate(_SMALL), simulate(_SMALL)
    for a, b in zip(_frames(first), _frames(second), strict=True):
        assert a.equals(b, null_equal=True)


def test_different_seed_gives_different_frames() -> None:
    first = simulate(_SMALL)
    other = simulate(SimConfig(seed=1, n_notes=300, n_raters=400, n_ratings=6_000))
    for a, b in zip(_frames(first), _frames(other), strict=True):
        assert not a.equals(b, null_equal=True)


def test_frames_use_the_public_columns_in_order(default_community: Community) -> None:
    c = default_community
    assert tuple(c.notes.columns) == NOTES_COLUMNS
    assert tuple(c.ratings.columns) == RATINGS_COLUMNS
    assert tuple(c.note_status_history.columns) == NOTE_STATUS_HISTORY_COLUMNS
    assert tuple(c.user_enrollment.columns) == USER_ENROLLMENT_COLUMNS


def test_sizes_match_the_config(default_community: Community) -> None:
    c = default_community
    assert c.notes.height == 2_000
    assert c.ratings.height == 100_000
    assert c.user_enrollment.height == 5_000
    assert c.note_status_history.height == 2_000
    assert c.note_truth.height == 2_000 and c.rater_truth.height == 5_000


def test_no_self_ratings_and_one_rating_per_rater_and_note(default_community: Community) -> None:
    c = default_community
    joined = c.ratings.join(c.notes.select("noteId", "noteAuthorParticipantId"), on="noteId")
    assert joined.height == c.ratings.height
    assert (joined["raterParticipantId"] != joined["noteAuthorParticipantId"]).all()
    assert not c.ratings.select("noteId", "raterParticipantId").is_duplicated().any()


def test_every_participant_is_enrolled(default_community: Community) -> None:
    c = default_community
    enrolled = set(c.user_enrollment["participantId"].to_list())
    assert set(c.ratings["raterParticipantId"].unique().to_list()) <= enrolled
    assert set(c.notes["noteAuthorParticipantId"].unique().to_list()) <= enrolled
    assert c.user_enrollment["participantId"].n_unique() == c.user_enrollment.height


def test_tags_are_consistent_with_levels(default_community: Community) -> None:
    r = default_community.ratings
    helpful_count = pl.sum_horizontal(HELPFUL_TAGS)
    not_helpful_count = pl.sum_horizontal(NOT_HELPFUL_TAGS)
    by_level = r.group_by("helpfulnessLevel").agg(
        helpful_min=helpful_count.min(),
        helpful_max=helpful_count.max(),
        not_helpful_min=not_helpful_count.min(),
        not_helpful_max=not_helpful_count.max(),
    )
    rows = {row["helpfulnessLevel"]: row for row in by_level.iter_rows(named=True)}
    assert rows["HELPFUL"]["helpful_min"] >= 1 and rows["HELPFUL"]["not_helpful_max"] == 0
    assert rows["NOT_HELPFUL"]["not_helpful_min"] >= 1 and rows["NOT_HELPFUL"]["helpful_max"] == 0


def test_timestamps_fall_in_the_window_after_their_note(default_community: Community) -> None:
    c = default_community
    config = c.config
    notes_ms = c.notes["createdAtMillis"].to_numpy()
    assert notes_ms.min() >= config.start_ms and notes_ms.max() < config.end_ms
    joined = c.ratings.join(
        c.notes.select("noteId", pl.col("createdAtMillis").alias("noteMs")), on="noteId"
    )
    delay_h = (joined["createdAtMillis"] - joined["noteMs"]).to_numpy() / 3_600_000
    assert (delay_h >= 0).all()
    assert joined["createdAtMillis"].to_numpy().max() < config.end_ms
    # Most ratings land within the 48 hours that valid ratings need (scoring-core.md §4.4),
    # and the ratings spread over weeks.
    assert 0.9 < (delay_h < 48).mean() < 1.0
    rating_ms = joined["createdAtMillis"].to_numpy()
    assert (rating_ms.max() - rating_ms.min()) / 86_400_000 > 50


def test_rating_mix_resembles_the_fixtures(default_community: Community) -> None:
    r = default_community.ratings
    shares = r["helpfulnessLevel"].cast(pl.String).value_counts(normalize=True)
    share = dict(zip(shares["helpfulnessLevel"], shares["proportion"], strict=True))
    assert 0.35 < share["HELPFUL"] < 0.55 and 0.35 < share["NOT_HELPFUL"] < 0.55
    assert 0.05 < share["SOMEWHAT_HELPFUL"] < 0.2
    sampled = (r["ratingSourceBucketed"].cast(pl.String) == "POPULATION_SAMPLED").to_numpy()
    assert 0.04 < sampled.mean() < 0.06
    assert r["ratedOnTweetId"].equals(
        r.join(default_community.notes.select("noteId", "tweetId"), on="noteId", how="left")[
            "tweetId"
        ],
        check_names=False,
    )


def test_a_one_sided_note_is_liked_mostly_by_its_own_camp(default_community: Community) -> None:
    c = default_community
    joined = (
        c.ratings.select("noteId", "raterParticipantId", "helpfulnessLevel")
        .join(c.note_truth.select("noteId", "slant", "oneSided"), on="noteId")
        .join(
            c.rater_truth.select(pl.col("participantId").alias("raterParticipantId"), "camp"),
            on="raterParticipantId",
        )
        .filter(pl.col("oneSided"))
        .with_columns(
            same_camp=pl.col("slant").sign().cast(pl.Int8) == pl.col("camp"),
            helpful=pl.col("helpfulnessLevel").cast(pl.String) == "HELPFUL",
        )
    )
    rate = dict(joined.group_by("same_camp").agg(pl.col("helpful").mean()).iter_rows())
    assert rate[True] > 0.6 and rate[False] < 0.3


def test_camps_agree_on_neutral_notes(default_community: Community) -> None:
    c = default_community
    per_camp = (
        c.ratings.select("noteId", "raterParticipantId", "helpfulnessLevel")
        .join(c.note_truth.filter(~pl.col("oneSided")).select("noteId", "quality"), on="noteId")
        .join(
            c.rater_truth.select(pl.col("participantId").alias("raterParticipantId"), "camp"),
            on="raterParticipantId",
        )
        .with_columns(helpful=(pl.col("helpfulnessLevel").cast(pl.String) == "HELPFUL"))
        .group_by("noteId", "camp")
        .agg(pl.col("helpful").mean(), pl.len())
        .filter(pl.col("len") >= 10)
        .pivot(on="camp", index="noteId", values="helpful")
        .drop_nulls()
    )
    correlation = np.corrcoef(per_camp["1"].to_numpy(), per_camp["-1"].to_numpy())[0, 1]
    assert correlation > 0.7


def test_about_fifteen_percent_of_notes_mention_topic_seed_terms(
    default_community: Community,
) -> None:
    c = default_community
    pattern = "|".join(re.escape(term) for terms in TOPIC_TERMS for term in terms)
    mentions = c.notes["summary"].str.contains(pattern)
    assert 0.10 < mentions.to_numpy().mean() < 0.20
    has_topic = c.note_truth["topic"].is_not_null()
    assert mentions.equals(has_topic, check_names=False)


def test_status_history_is_seeded_with_needs_more_ratings(default_community: Community) -> None:
    history = default_community.note_status_history
    assert (history["currentStatus"] == "NEEDS_MORE_RATINGS").all()
    assert history["timestampMillisOfCurrentStatus"].equals(
        history["createdAtMillis"], check_names=False
    )
    empty = simulate(SimConfig(n_notes=5, n_raters=5, n_ratings=10, seed_status_history=False))
    assert empty.note_status_history.height == 0


def test_enrollment_uses_the_fixture_states_and_groups(default_community: Community) -> None:
    e = default_community.user_enrollment
    states = set(e["enrollmentState"].cast(pl.String).unique().to_list())
    assert states == {
        "earnedIn",
        "newUser",
        "earnedOutAcknowledged",
        "atRisk",
        "earnedOutNoAcknowledge",
    }
    groups = e["modelingGroup"]
    assert set(groups.unique().to_list()) == set(range(15))
    assert 0.18 < (groups.to_numpy() == 13).mean() < 0.28
    assert (e["modelingPopulation"] == "CORE").all()


@settings(max_examples=25, deadline=None)
@given(communities(max_brigades=2))
def test_structure_holds_for_any_small_community(community: Community) -> None:
    r, notes = community.ratings, community.notes
    joined = r.join(
        notes.select("noteId", "noteAuthorParticipantId", "createdAtMillis"),
        on="noteId",
        suffix="Note",
    )
    assert joined.height == r.height
    assert (joined["raterParticipantId"] != joined["noteAuthorParticipantId"]).all()
    assert not r.select("noteId", "raterParticipantId").is_duplicated().any()
    assert (joined["createdAtMillis"] >= joined["createdAtMillisNote"]).all()
    assert (joined["createdAtMillis"] < community.config.end_ms).all()
    assert notes["noteId"].n_unique() == notes.height
    organic = r.join(
        community.rater_truth.filter(~pl.col("isAdversary")).select(
            pl.col("participantId").alias("raterParticipantId")
        ),
        on="raterParticipantId",
    )
    assert organic.height <= community.config.n_ratings
    # The ratings file is sorted by note, then time.
    assert r.select("noteId", "createdAtMillis").equals(
        r.select("noteId", "createdAtMillis").sort("noteId", "createdAtMillis")
    )


@pytest.mark.parametrize("seed", range(6))
def test_camp_structure_holds_across_seeds(seed: int) -> None:
    data = simulate_ratings(SimConfig(seed=seed, n_notes=400, n_raters=300, n_ratings=12_000))
    r = data.ratings
    one_sided = np.abs(data.note_slant[r.note_idx]) > 0.5
    same_camp = np.sign(data.note_slant[r.note_idx]) == data.rater_camp[r.rater_idx]
    helpful = r.helpful_num == 1.0
    assert helpful[one_sided & same_camp].mean() > helpful[one_sided & ~same_camp].mean() + 0.3
    # Quality drives helpfulness for everyone.
    good = data.note_quality[r.note_idx] > 1.0
    bad = data.note_quality[r.note_idx] < -1.0
    assert helpful[good].mean() > helpful[bad].mean() + 0.4


def test_bridging_mf_recovers_the_simulated_structure() -> None:
    """The latent model is what bridging MF (scoring-core.md §3) looks for: a fit recovers
    camps (rater factors), slants (note factors) and quality (note intercepts)."""
    data = simulate_ratings(SimConfig(seed=11, n_notes=600, n_raters=800, n_ratings=30_000))
    r = data.ratings
    fit = fit_mf(
        r.note_idx,
        r.rater_idx,
        r.helpful_num,
        n_notes=r.n_notes,
        n_raters=r.n_participants,
        rng=np.random.default_rng(0),
    ).params
    active = np.bincount(r.rater_idx, minlength=r.n_participants) >= 5
    rated = np.bincount(r.note_idx, minlength=r.n_notes) >= 10

    def corr(a: np.ndarray, b: np.ndarray) -> float:
        return float(np.corrcoef(a, b)[0, 1])

    # Factor signs are arbitrary; intercepts are not.
    assert abs(corr(fit.rater_factors[active, 0], data.rater_position[active])) > 0.5
    assert abs(corr(fit.note_factors[rated, 0], data.note_slant[rated])) > 0.6
    assert corr(fit.note_intercepts[rated], data.note_quality[rated]) > 0.8
