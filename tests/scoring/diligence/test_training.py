"""The Adam round (numba) against its numpy reference, and the round-3 weights."""

from __future__ import annotations

import numpy as np
import pytest

from bridgewatch.scoring.diligence import DiligenceConfig, train_round, train_round_reference
from bridgewatch.scoring.diligence.kernels import DiligenceParams
from bridgewatch.scoring.diligence.training import (
    RoundFn,
    TrainingData,
    round3_weights,
    train_round_fused,
)
from tests.scoring.diligence.conftest import make_toy

CFG = DiligenceConfig()
# the exact twin of the numpy reference: same float64 arithmetic
CFG64 = DiligenceConfig(dtype="float64")
ALL = ("note_factors", "note_intercepts", "rater_factors", "rater_intercepts", "global_intercept")


def _data() -> tuple[TrainingData, DiligenceParams]:
    toy = make_toy(3)
    rng = np.random.default_rng(0)
    data = TrainingData(
        toy.note_idx, toy.rater_idx, toy.targets, float(toy.n_notes), float(toy.n_raters)
    )
    p = DiligenceParams(
        rng.standard_normal(toy.n_notes), rng.standard_normal(toy.n_notes),
        toy.rater_factors.copy(),
        rng.standard_normal(toy.n_raters), np.ones(toy.n_raters), np.zeros(1),
    )  # fmt: skip
    return data, p


@pytest.mark.parametrize("round_fn", [train_round, train_round_fused])
@pytest.mark.parametrize(
    "trainable",
    [ALL, ("note_factors",), ("note_intercepts", "rater_reputations", "global_intercept")],
)
def test_numba_round_equals_numpy_round(trainable: tuple[str, ...], round_fn: RoundFn) -> None:
    data, p = _data()
    q = p.copy()
    w = np.where(data.y == 1.0, 100.0, 1.0)
    fast = round_fn(data, p, w, trainable, CFG64)
    ref = train_round_reference(data, q, w, trainable, CFG64)
    assert fast.n_steps == ref.n_steps and fast.converged == ref.converged
    assert fast.loss == pytest.approx(ref.loss, rel=1e-10)
    for name in ("note_factors", "note_intercepts", "rater_intercepts", "rater_reputations"):
        np.testing.assert_allclose(getattr(p, name), getattr(q, name), atol=1e-9)


@pytest.mark.parametrize(
    "trainable",
    [ALL, ("note_factors",), ("note_intercepts", "rater_reputations", "global_intercept")],
)
def test_float32_round_follows_the_float64_round(trainable: tuple[str, ...]) -> None:
    data, p = _data()
    q = p.copy()
    w = np.where(data.y == 1.0, 100.0, 1.0)
    single = train_round(data, p, w, trainable, CFG)
    double = train_round(data, q, w, trainable, CFG64)
    assert CFG.dtype == "float32"
    assert abs(single.n_steps - double.n_steps) <= CFG.stable_period
    assert single.loss == pytest.approx(double.loss, rel=1e-4)
    for name in ("note_factors", "note_intercepts", "rater_intercepts", "rater_reputations"):
        np.testing.assert_allclose(getattr(p, name), getattr(q, name), atol=1e-3)


def test_float32_round_is_deterministic() -> None:
    out = []
    for _ in range(2):
        data, p = _data()
        train_round(data, p, np.where(data.y == 1.0, 100.0, 1.0), ALL, CFG)
        out.append(np.concatenate([p.note_factors, p.note_intercepts, p.rater_factors]))
    assert out[0].tobytes() == out[1].tobytes()


def test_frozen_groups_do_not_move() -> None:
    data, p = _data()
    before = p.copy()
    train_round(data, p, np.ones(data.n_ratings), ("note_factors",), CFG)
    assert not np.array_equal(p.note_factors, before.note_factors)
    for name in (
        "note_intercepts",
        "rater_factors",
        "rater_intercepts",
        "rater_reputations",
        "global_intercept",
    ):
        assert np.array_equal(getattr(p, name), getattr(before, name))


def test_round_is_capped_at_max_epochs_plus_one_steps() -> None:
    data, p = _data()
    cfg = DiligenceConfig(max_epochs=7, convergence=0.0)
    stats = train_round(data, p, np.ones(data.n_ratings), ALL, cfg)
    assert stats.n_steps == 8 and not stats.converged


def test_first_adam_step_moves_each_parameter_by_the_learning_rate() -> None:
    data, p = _data()
    before = p.copy()
    train_round(
        data, p, np.ones(data.n_ratings), ("note_intercepts",), DiligenceConfig(max_epochs=0)
    )
    # Adam's bias-corrected first step is lr·g/(|g| + ε): ±0.2 up to ε/|g| (~1e-5 here)
    np.testing.assert_allclose(np.abs(p.note_intercepts - before.note_intercepts), 0.2, rtol=1e-4)


def test_round3_weights_follow_class_reputation_and_note_norm() -> None:
    # note 0: a positive rating by rater 0 (ρ = 4) and a negative by rater 1 (ρ = -1 -> 0)
    data = TrainingData(
        np.array([0, 0, 1], dtype=np.int32), np.array([0, 1, 0], dtype=np.int32),
        np.array([1.0, 0.0, 0.0]), 2.0, 2.0,
    )  # fmt: skip
    w = round3_weights(data, np.array([4.0, -1.0]), 2, CFG)
    raw = np.array([500 * (0.1 + 2.0) / 1.1, 1 * 0.1 / 1.1, 1 * (0.1 + 2.0) / 1.1])
    totals = np.array([raw[0] + raw[1], raw[1] + 0, raw[2]])[[0, 0, 2]] + 2.0**-20
    np.testing.assert_allclose(w, raw / np.sqrt(totals), rtol=1e-12)
    no_norm = round3_weights(
        data, np.array([4.0, -1.0]), 2, DiligenceConfig(note_norm_exponent=0.0)
    )
    np.testing.assert_allclose(no_norm, raw, rtol=1e-12)


def test_vectorized_round_is_bit_identical_across_runs_and_ignores_row_order() -> None:
    data, p = _data()
    w = np.where(data.y == 1.0, 100.0, 1.0)
    order = np.lexsort((data.note_c, data.rater_c))
    ranked = TrainingData(
        data.note_c[order], data.rater_c[order], data.y[order],
        data.note_denominator, data.rater_denominator,
    )  # fmt: skip
    results = []
    for d, weights in ((data, w), (data, w), (ranked, w[order])):
        q = p.copy()
        stats = train_round(d, q, weights, ALL, CFG)
        results.append((stats, q))
    for stats, q in results[1:]:
        assert stats == results[0][0]
        for name in ("note_factors", "note_intercepts", "rater_factors", "rater_intercepts"):
            assert np.array_equal(getattr(q, name), getattr(results[0][1], name))
