"""Core prescoring (scoring-core.md §4) on a small simulated community: what each stage
hands the next, the gates between them, and determinism."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from bridgewatch.model import NoteStatus
from bridgewatch.scoring.config import ScoringConfig
from bridgewatch.scoring.inputs import CoreInputs, prepare_core_inputs
from bridgewatch.scoring.prescoring import PrescoringResult, _n_distinct, _no_params, run_prescoring
from tests.scoring.community import load_small_community

CONFIG = ScoringConfig(topics=None)


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> CoreInputs:
    dataset = load_small_community(tmp_path_factory.mktemp("community"))
    return prepare_core_inputs(dataset, CONFIG)


@pytest.fixture(scope="module")
def pre(inputs: CoreInputs) -> PrescoringResult:
    return run_prescoring(inputs, CONFIG, np.random.default_rng(1))


def test_the_same_seed_gives_the_same_prescoring(inputs: CoreInputs, pre: PrescoringResult) -> None:
    again = run_prescoring(inputs, CONFIG, np.random.default_rng(1))
    for a, b in (
        (pre.round1.note_intercepts, again.round1.note_intercepts),
        (pre.final_round.rater_intercepts, again.final_round.rater_intercepts),
        (pre.final_round.note_factors, again.final_round.note_factors),
        (pre.harassment.note_intercepts, again.harassment.note_intercepts),
        (pre.tag_thresholds, again.tag_thresholds),
    ):
        np.testing.assert_array_equal(a, b)
    assert pre.final_round.global_intercept == again.final_round.global_intercept


def test_shapes_and_counts_follow_the_scoped_ratings(
    inputs: CoreInputs, pre: PrescoringResult
) -> None:
    scoped = inputs.scoped
    assert pre.training.shape == (scoped.n_ratings,) and pre.training.dtype == np.bool_
    # The training filter (§4.1) keeps some ratings and drops others on this community.
    assert 0 < int(pre.training.sum()) < scoped.n_ratings
    np.testing.assert_array_equal(
        pre.num_ratings, np.bincount(scoped.note_idx, minlength=inputs.n_notes)
    )
    assert pre.tag_thresholds.shape == (13,)
    assert pre.incorrect.total_ratings.shape == (inputs.n_participants,)
    assert (pre.incorrect.incorrect_tag_ratings <= pre.incorrect.total_ratings).all()
    # §4.10 counts the ratings with any not-helpful tag, and those tagged incorrect.
    tagged = scoped.not_helpful_tags != 0
    np.testing.assert_array_equal(
        pre.incorrect.total_ratings,
        np.bincount(scoped.rater_idx[tagged], minlength=inputs.n_participants),
    )


def test_provisional_status_is_set_exactly_for_rated_notes(
    inputs: CoreInputs, pre: PrescoringResult
) -> None:
    rated = pre.num_ratings > 0
    assert (pre.provisional_status[~rated] == -1).all()
    assert np.isin(
        pre.provisional_status[rated],
        [
            NoteStatus.NEEDS_MORE_RATINGS,
            NoteStatus.CURRENTLY_RATED_HELPFUL,
            NoteStatus.CURRENTLY_RATED_NOT_HELPFUL,
        ],
    ).all()


def test_the_harassment_penalty_only_closes_the_helpfulness_gate(pre: PrescoringResult) -> None:
    before = pre.helpfulness_unpenalised.above_helpfulness_threshold
    after = pre.helpfulness.above_helpfulness_threshold
    assert not (after & ~before).any()
    assert after.any()


def test_the_final_round_fits_exactly_the_raters_above_the_gate_with_training_ratings(
    inputs: CoreInputs, pre: PrescoringResult
) -> None:
    scoped = inputs.scoped
    train_raters = np.zeros(inputs.n_participants, dtype=bool)
    train_raters[scoped.rater_idx[pre.training]] = True
    gate = pre.helpfulness.above_helpfulness_threshold
    fitted = np.isfinite(pre.final_round.rater_intercepts)
    np.testing.assert_array_equal(fitted, gate & train_raters)
    assert pre.final_round_num_users == int(fitted.sum())
    final_rows = pre.training & gate[scoped.rater_idx]
    assert pre.final_round_num_ratings == int(final_rows.sum())
    assert pre.final_round_num_notes == len(np.unique(scoped.note_idx[final_rows]))
    assert pre.note_ratio == pytest.approx(pre.final_round_num_ratings / pre.final_round_num_notes)
    assert pre.rater_ratio == pytest.approx(pre.final_round_num_ratings / pre.final_round_num_users)


def test_round_1_covers_every_rater_with_training_ratings(
    inputs: CoreInputs, pre: PrescoringResult
) -> None:
    train_raters = np.zeros(inputs.n_participants, dtype=bool)
    train_raters[inputs.scoped.rater_idx[pre.training]] = True
    np.testing.assert_array_equal(np.isfinite(pre.round1.rater_intercepts), train_raters)
    assert np.isfinite(pre.round1_train_mse) and pre.round1_train_mse > 0


def test_without_reputation_round_1_is_the_final_round(inputs: CoreInputs) -> None:
    config = replace(CONFIG, use_reputation=False)
    pre = run_prescoring(inputs, config, np.random.default_rng(1))
    assert pre.final_round is pre.round1
    assert pre.harassment.skipped
    fitted = np.isfinite(pre.round1.rater_intercepts)
    np.testing.assert_array_equal(pre.helpfulness.above_helpfulness_threshold, fitted)
    assert pre.final_round_num_ratings == int(pre.training.sum())
    assert not pre.used_stable_initialization


def test_a_stricter_agreement_bar_shrinks_the_final_round(
    inputs: CoreInputs, pre: PrescoringResult
) -> None:
    config = replace(CONFIG, helpfulness=replace(CONFIG.helpfulness, min_rater_agree_ratio=0.9))
    strict = run_prescoring(inputs, config, np.random.default_rng(1))
    gate = strict.helpfulness.above_helpfulness_threshold
    assert not (gate & ~pre.helpfulness.above_helpfulness_threshold).any()
    assert int(gate.sum()) < int(pre.helpfulness.above_helpfulness_threshold.sum())
    assert strict.final_round_num_users < pre.final_round_num_users
    assert strict.final_round_num_ratings < pre.final_round_num_ratings
    # Round 1 does not depend on the gate.
    np.testing.assert_array_equal(strict.round1.note_intercepts, pre.round1.note_intercepts)


def test_helpers_count_distinct_ids_and_build_empty_parameters() -> None:
    idx = np.array([3, 0, 3, 2, 0], dtype=np.int32)
    assert _n_distinct(idx, 5) == 3
    assert _n_distinct(np.array([], dtype=np.int32), 4) == 0
    params = _no_params(4, 6, 2)
    assert params.note_factors.shape == (4, 2) and params.rater_factors.shape == (6, 2)
    assert np.isnan(params.note_intercepts).all() and np.isnan(params.rater_factors).all()
