"""The hypothesis strategies other modules use, and the model-layout view of ratings."""

from __future__ import annotations

import numpy as np
import polars as pl
from hypothesis import given, settings

from bridgewatch.model import HelpfulnessLevel
from bridgewatch.sim import SimConfig, simulate
from bridgewatch.sim.arrays import LabelledRatings, simulate_ratings
from bridgewatch.sim.config import BrigadeConfig
from bridgewatch.sim.strategies import brigade_configs, labelled_ratings, sim_configs


@settings(max_examples=30, deadline=None)
@given(sim_configs(min_raters=5, max_raters=12, max_notes=6, max_brigades=1))
def test_sim_configs_respect_their_bounds(config: SimConfig) -> None:
    assert 5 <= config.n_raters <= 12 and 1 <= config.n_notes <= 6
    assert len(config.brigades) <= 1


@settings(max_examples=20, deadline=None)
@given(brigade_configs())
def test_brigade_configs_are_valid(brigade: BrigadeConfig) -> None:
    assert 1 <= brigade.n_members <= 6 and brigade.camp in (-1, 1)


@settings(max_examples=25, deadline=None)
@given(labelled_ratings(max_brigades=1))
def test_labelled_ratings_are_consistent(data: LabelledRatings) -> None:
    r = data.ratings
    assert r.note_idx.min(initial=0) >= 0 and r.note_idx.max(initial=0) < r.n_notes
    assert r.rater_idx.min(initial=0) >= 0 and r.rater_idx.max(initial=0) < r.n_participants
    assert not (r.rater_idx == data.note_author_idx[r.note_idx]).any()
    pairs = r.note_idx.astype(np.int64) * r.n_participants + r.rater_idx
    assert np.unique(pairs).size == r.n_ratings
    expected = np.select(
        [
            r.helpfulness_level == HelpfulnessLevel.HELPFUL,
            r.helpfulness_level == HelpfulnessLevel.SOMEWHAT_HELPFUL,
        ],
        [1.0, 0.5],
        0.0,
    )
    assert np.array_equal(r.helpful_num, expected.astype(np.float32))
    assert data.rater_camp.shape == (r.n_participants,)
    assert set(np.unique(data.rater_camp).tolist()) <= {-1, 1}
    assert data.note_quality.shape == data.note_slant.shape == (r.n_notes,)


def test_labelled_ratings_match_the_simulated_frames() -> None:
    config = SimConfig(seed=3, n_notes=40, n_raters=60, n_ratings=500)
    data = simulate_ratings(config)
    frame = simulate(config).ratings
    r = data.ratings
    assert r.n_ratings == frame.height
    assert r.note_ids.to_ids(r.note_idx).tolist() == frame["noteId"].cast(pl.String).to_list()
    assert r.participant_ids.to_ids(r.rater_idx).tolist() == frame["raterParticipantId"].to_list()
    assert np.array_equal(r.created_at_ms, frame["createdAtMillis"].to_numpy())
    truth = simulate(config).rater_truth
    positions = dict(zip(truth["participantId"], truth["position"], strict=True))
    ids = r.participant_ids.ids
    assert np.array_equal(data.rater_position, np.array([positions[i] for i in ids]))
