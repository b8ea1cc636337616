"""Per-note aggregates over fewer ratings than participants (a live pass over a few notes)
read the rater figures of the ratings' raters only: the same values as the figures of every
participant, gathered.

The reference is the same ratings on a participant index cut to their raters (fewer
participants than ratings: the per-participant path), with every per-participant array cut
the same way."""

from __future__ import annotations

import dataclasses
from dataclasses import replace
from typing import Any

import numpy as np
import pytest

from bridgewatch.model import IdIndex, Ratings
from bridgewatch.model.columns import NOT_HELPFUL_TAGS
from bridgewatch.scoring.config import ScoringConfig
from bridgewatch.scoring.final import num_final_round_ratings
from bridgewatch.scoring.status import (
    TagScale,
    compute_incorrect_aggregates,
    compute_sign_aggregates,
    compute_tag_aggregates,
)

N_NOTES, N_PARTICIPANTS = 14, 3000


def _assert_same(a: Any, b: Any) -> None:
    for f in dataclasses.fields(a):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, np.ndarray):
            assert x.dtype == y.dtype, f.name
            np.testing.assert_array_equal(x, y, err_msg=f.name)
        else:
            assert x == y or (x != x and y != y), f.name


def _community(seed: int) -> tuple[Ratings, np.ndarray, np.ndarray]:
    """Ratings of a few notes by a few of many participants, and each participant's factor
    (NaN for some) and each note's factor (NaN for some)."""
    rng = np.random.default_rng(seed)
    raters = rng.choice(N_PARTICIPANTS, 90, replace=False)
    m = 400
    ratings = Ratings(
        note_idx=rng.integers(0, N_NOTES, m).astype(np.int32),
        rater_idx=rng.choice(raters, m).astype(np.int32),
        helpful_num=rng.choice([0.0, 0.5, 1.0], m).astype(np.float32),
        helpfulness_level=np.full(m, -1, dtype=np.int8),
        created_at_ms=np.zeros(m, dtype=np.int64),
        helpful_tags=np.zeros(m, dtype=np.uint16),
        not_helpful_tags=(
            rng.integers(0, 1 << len(NOT_HELPFUL_TAGS), m) * (rng.random(m) < 0.6)
        ).astype(np.uint16),
        population_sampled=rng.random(m) < 0.2,
        note_ids=IdIndex(np.array([f"n{i:03d}" for i in range(N_NOTES)], dtype=np.str_)),
        participant_ids=IdIndex(
            np.array([f"p{i:05d}" for i in range(N_PARTICIPANTS)], dtype=np.str_)
        ),
    )
    rater_factor = rng.uniform(-1.2, 1.2, N_PARTICIPANTS)
    rater_factor[rng.random(N_PARTICIPANTS) < 0.15] = np.nan
    note_factor = rng.uniform(-1.0, 1.0, N_NOTES)
    note_factor[rng.random(N_NOTES) < 0.2] = np.nan
    return ratings, rater_factor, note_factor


def _cut(ratings: Ratings) -> tuple[Ratings, np.ndarray]:
    """The same ratings on a participant index of their raters alone, and those raters."""
    used = np.unique(ratings.rater_idx)
    local = np.full(ratings.n_participants, -1, dtype=np.int32)
    local[used] = np.arange(used.shape[0], dtype=np.int32)
    cut = replace(
        ratings,
        rater_idx=local[ratings.rater_idx],
        participant_ids=IdIndex(np.asarray(ratings.participant_ids.ids)[used]),
    )
    assert cut.n_ratings >= cut.n_participants  # the reference takes the other path
    return cut, used


@pytest.mark.parametrize("seed", range(4))
def test_few_ratings_give_the_same_aggregates(seed: int) -> None:
    ratings, rater_factor, note_factor = _community(seed)
    assert ratings.n_ratings < ratings.n_participants
    cut, used = _cut(ratings)
    status = ScoringConfig().status

    _assert_same(
        compute_sign_aggregates(ratings, rater_factor),
        compute_sign_aggregates(cut, rater_factor[used]),
    )

    scale = TagScale(0.05, 0.7, -0.1, 0.6, 0.9)
    _assert_same(
        compute_tag_aggregates(ratings, note_factor, rater_factor, status, scale=scale),
        compute_tag_aggregates(cut, note_factor, rater_factor[used], status, scale=scale),
    )
    nan_scale = TagScale(np.nan, np.nan, np.nan, np.nan, 0.9)
    _assert_same(
        compute_tag_aggregates(ratings, note_factor, rater_factor, status, scale=nan_scale),
        compute_tag_aggregates(cut, note_factor, rater_factor[used], status, scale=nan_scale),
    )

    rng = np.random.default_rng(100 + seed)
    total = rng.integers(0, 40, N_PARTICIPANTS).astype(np.float64)
    incorrect = np.minimum(rng.integers(0, 10, N_PARTICIPANTS), total)
    total[rng.random(N_PARTICIPANTS) < 0.1] = np.nan
    tagged = int(np.count_nonzero(ratings.not_helpful_tags))
    assert cut.n_participants <= tagged < ratings.n_participants
    _assert_same(
        compute_incorrect_aggregates(ratings, note_factor, rater_factor, incorrect, total, status),
        compute_incorrect_aggregates(
            cut, note_factor, rater_factor[used], incorrect[used], total[used], status
        ),
    )

    has_row = rng.random(N_PARTICIPANTS) < 0.5
    intercepts = np.where(rng.random(N_PARTICIPANTS) < 0.5, 0.1, np.nan)
    got = num_final_round_ratings(ratings, has_row, intercepts, N_NOTES)
    want = num_final_round_ratings(cut, has_row[used], intercepts[used], N_NOTES)
    np.testing.assert_array_equal(got, want)
    assert 0 < got.sum() < ratings.n_ratings
