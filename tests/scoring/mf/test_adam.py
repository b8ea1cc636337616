"""The reference's Adam training loop (scoring-core.md §3.3) and the seeded reference start."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
import pytest

from bridgewatch.errors import ConfigError, ConvergenceWarning, InputError
from bridgewatch.scoring.mf import (
    AdamConfig,
    MFConfig,
    MFInit,
    MFParams,
    MFResult,
    NormalizedLossConfig,
    fit_mf,
    fit_note_params,
    mf_objective,
)
from bridgewatch.scoring.mf._inputs import StartValues
from bridgewatch.scoring.mf.adam import adam_descent
from bridgewatch.scoring.mf.objective import penalties_for
from bridgewatch.scoring.mf.reference_start import reference_factor_draws
from tests.scoring.mf.helpers import Problem, adam_reference_fit, two_camps

ADAM_002 = AdamConfig(learning_rate=0.02, init_learning_rate=0.02)
DIAMOND = MFConfig(
    rater_factor_lambda=0.0075,
    note_factor_lambda=0.01,
    rater_intercept_lambda=0.15,
    note_intercept_lambda=0.9,
    global_intercept_lambda=0.15,
    diamond_lambda=0.75,
)


def _tiny() -> Problem:
    # 2 notes, 2 raters, 3 ratings.
    return Problem(
        note_idx=np.array([0, 0, 1]),
        rater_idx=np.array([0, 1, 1]),
        values=np.array([1.0, 0.0, 0.5]),
        n_notes=2,
        n_raters=2,
    )


def _start(ni: list[float], nf: list[float], ri: list[float], rf: list[float]) -> StartValues:
    return StartValues(
        np.array(ni), np.array(nf)[:, None], np.array(ri), np.array(rf)[:, None], 0.0
    )


def _fit(prob: Problem, cfg: MFConfig, seed: int = 0, **kwargs: Any) -> MFResult:
    return fit_mf(
        prob.note_idx,
        prob.rater_idx,
        prob.values,
        n_notes=prob.n_notes,
        n_raters=prob.n_raters,
        config=cfg,
        rng=np.random.default_rng(seed),
        **kwargs,
    )


# --- the loop on a hand-checked case ------------------------------------------------------


def test_first_epoch_moves_every_parameter_by_lr_against_its_gradient_sign() -> None:
    # Adam's first bias-corrected step is lr·g/(|g| + ε'): each parameter moves by lr
    # against the sign of its gradient, whatever clipping does to the gradient's size.
    # Tolerance 1 stops the loop after exactly one epoch (|L1 − L0| < 1 < |L0 − 1e10|).
    prob = _tiny()
    cfg = MFConfig()
    pen = penalties_for(cfg, n_ratings=3, n_notes=2, n_raters=2)
    start = _start([0.0, 0.0], [0.5, -0.5], [0.0, 0.0], [0.5, 0.5])
    out = adam_descent(
        prob.note_idx,
        prob.rater_idx,
        prob.values,
        start,
        pen,
        config=AdamConfig(tolerance=1.0),
        learning_rate=0.1,
    )
    assert out.n_epochs == 1
    # By hand, at the start: predictions f_u·f_n = (0.25, 0.25, -0.25), errors e = ŷ − y
    # = (-0.75, 0.25, -0.75). ∂L/∂i_n0 ∝ -0.75 + 0.25 < 0 -> +0.1; i_n1 ∝ -0.75 -> +0.1;
    # i_u0 ∝ -0.75 -> +0.1; i_u1 ∝ 0.25 - 0.75 -> +0.1; μ ∝ Σe < 0 -> +0.1.
    # f_n0: (-0.75·0.5 + 0.25·0.5) + ridge(0.5) -> the data part -0.25 dominates -> +0.1.
    # f_n1: -0.75·0.5 + ridge(-0.5) < 0 -> +0.1. f_u0: -0.75·0.5 < 0 -> +0.1.
    # f_u1: 0.25·0.5 + (-0.75)·(-0.5) = 0.5 > 0 -> -0.1.
    np.testing.assert_allclose(out.note_intercepts, [0.1, 0.1], atol=1e-6)
    np.testing.assert_allclose(out.rater_intercepts, [0.1, 0.1], atol=1e-6)
    np.testing.assert_allclose(out.note_factors[:, 0], [0.6, -0.4], atol=1e-6)
    np.testing.assert_allclose(out.rater_factors[:, 0], [0.6, 0.4], atol=1e-6)
    assert out.global_intercept == pytest.approx(0.1, abs=1e-6)
    # The reported loss is the reference objective at the returned parameters.
    params = MFParams(
        out.note_intercepts,
        out.note_factors,
        out.rater_intercepts,
        out.rater_factors,
        out.global_intercept,
    )
    obj = mf_objective(prob.note_idx, prob.rater_idx, prob.values, params=params, config=cfg)
    assert out.loss == pytest.approx(obj.loss, rel=1e-12)
    assert out.sse / 3 == pytest.approx(obj.train_mse, rel=1e-12)


def test_frozen_blocks_do_not_move() -> None:
    prob = _tiny()
    pen = penalties_for(MFConfig(), n_ratings=3, n_notes=2, n_raters=2)
    start = _start([0.0, 0.0], [0.5, -0.5], [0.2, -0.1], [0.5, 0.5])
    out = adam_descent(
        prob.note_idx,
        prob.rater_idx,
        prob.values,
        dataclasses.replace(start, global_intercept=0.3),
        pen,
        config=AdamConfig(),
        learning_rate=0.2,
        free_raters=False,
        free_global=False,
    )
    np.testing.assert_array_equal(out.rater_intercepts, [0.2, -0.1])
    np.testing.assert_array_equal(out.rater_factors[:, 0], [0.5, 0.5])
    assert out.global_intercept == 0.3
    assert out.n_epochs > 1 and out.converged


def test_epoch_cap_warns() -> None:
    prob = two_camps(0)
    with pytest.warns(ConvergenceWarning, match="max_epochs"):
        res = _fit(
            prob,
            dataclasses.replace(
                DIAMOND, adam=AdamConfig(learning_rate=0.02, tolerance=1e-15, max_epochs=3)
            ),
        )
    assert res.n_iterations == 3 and not res.converged


# --- against the independent numpy Adam of the test helpers -------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("cfg", [MFConfig(), DIAMOND], ids=["core", "diamond"])
def test_fit_by_adam_matches_the_independent_reference_loop(seed: int, cfg: MFConfig) -> None:
    # Same start (rng draws raters then notes), same loss, same stopping rule: the same
    # trajectory, written twice.
    prob = two_camps(seed)
    ours = fit_mf(
        prob.note_idx,
        prob.rater_idx,
        prob.values,
        n_notes=prob.n_notes,
        n_raters=prob.n_raters,
        config=dataclasses.replace(cfg, adam=ADAM_002),
        rng=np.random.default_rng(seed),
        sign_identify=False,
    )
    ref = adam_reference_fit(prob, cfg, lr=0.02, seed=seed)
    np.testing.assert_allclose(ours.params.note_intercepts, ref.note_intercepts, atol=1e-9)
    np.testing.assert_allclose(ours.params.note_factors, ref.note_factors, atol=1e-9)
    np.testing.assert_allclose(ours.params.rater_intercepts, ref.rater_intercepts, atol=1e-9)
    np.testing.assert_allclose(ours.params.rater_factors, ref.rater_factors, atol=1e-9)
    assert ours.params.global_intercept == pytest.approx(ref.global_intercept, abs=1e-9)
    assert ours.converged and ours.n_iterations > 100


def test_fit_by_adam_is_deterministic() -> None:
    prob = two_camps(5)
    cfg = dataclasses.replace(DIAMOND, adam=ADAM_002, normalized_loss=NormalizedLossConfig())
    a, b = _fit(prob, cfg, 11), _fit(prob, cfg, 11)
    np.testing.assert_array_equal(a.params.note_intercepts, b.params.note_intercepts)
    np.testing.assert_array_equal(a.params.rater_factors, b.params.rater_factors)
    c, d = _fit(prob, cfg, 11, start_seed=7), _fit(prob, cfg, 12, start_seed=7)
    np.testing.assert_array_equal(c.params.note_intercepts, d.params.note_intercepts)
    assert not np.array_equal(a.params.note_intercepts, c.params.note_intercepts)


def test_start_seed_draws_the_seeded_reference_start() -> None:
    prob = two_camps(6)
    cfg = dataclasses.replace(DIAMOND, adam=AdamConfig(learning_rate=0.02, max_epochs=1))
    with pytest.warns(ConvergenceWarning):
        one = _fit(prob, cfg, 0, start_seed=1, sign_identify=False)
    # One epoch from the reference's draws: every factor moved by lr from its draw.
    rf0, nf0 = reference_factor_draws(1, prob.n_raters, prob.n_notes)
    np.testing.assert_allclose(np.abs(one.params.rater_factors - rf0), 0.02, atol=1e-6)
    np.testing.assert_allclose(np.abs(one.params.note_factors - nf0), 0.02, atol=1e-6)


def test_learning_rate_follows_the_initial_values() -> None:
    # Both note and rater initial values: init_learning_rate; otherwise learning_rate.
    prob = _tiny()
    cfg = MFConfig(adam=AdamConfig(learning_rate=0.5, init_learning_rate=0.01, max_epochs=1))
    raters = MFInit(rater_intercepts=np.zeros(2), rater_factors=np.full((2, 1), 0.5))
    both = dataclasses.replace(
        raters, note_intercepts=np.zeros(2), note_factors=np.full((2, 1), 0.5)
    )
    with pytest.warns(ConvergenceWarning):
        with_init = _fit(prob, cfg, init=both, sign_identify=False)
    with pytest.warns(ConvergenceWarning):
        raters_only = _fit(prob, cfg, init=raters, sign_identify=False)
    assert np.max(np.abs(with_init.params.rater_factors - 0.5)) == pytest.approx(0.01, abs=1e-6)
    assert np.max(np.abs(raters_only.params.rater_factors - 0.5)) == pytest.approx(0.5, abs=1e-6)


def test_final_note_fit_of_group_14_trains_raters_by_adam() -> None:
    prob = two_camps(8)
    rng = np.random.default_rng(8)
    ri = rng.normal(0, 0.1, prob.n_raters)
    rf = np.where(np.arange(prob.n_raters) % 2 == 0, 0.5, -0.5)[:, None]
    cfg = dataclasses.replace(DIAMOND, adam=ADAM_002, normalized_loss=NormalizedLossConfig())
    res = fit_note_params(
        prob.note_idx,
        prob.rater_idx,
        prob.values,
        n_notes=prob.n_notes,
        rater_intercepts=ri,
        rater_factors=rf,
        global_intercept=0.2,
        config=cfg,
        note_ratio=5.0,
        rng=np.random.default_rng(0),
        start_seed=1,
    )
    assert res.stage1 is not None
    assert not np.allclose(res.params.rater_intercepts, ri)  # stage 2 moved them (⚠ §4.2)
    assert res.n_iterations > 100 and res.converged


# --- config -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("learning_rate", 0.0),
        ("init_learning_rate", math.inf),
        ("beta1", 1.0),
        ("beta2", -0.1),
        ("epsilon", 0.0),
        ("max_grad_norm", -1.0),
        ("tolerance", 0.0),
        ("rise_after_epochs", -1),
        ("max_epochs", 0),
        ("max_epochs", 1.5),
    ],
)
def test_adam_config_rejects_bad_values(field: str, value: object) -> None:
    with pytest.raises(ConfigError, match=field):
        AdamConfig(**{field: value})  # type: ignore[arg-type]


def test_mf_config_rejects_a_non_adam_config() -> None:
    with pytest.raises(ConfigError, match="adam"):
        MFConfig(adam=0.02)  # type: ignore[arg-type]


# --- the seeded reference start -----------------------------------------------------------


def test_reference_draws_by_hand() -> None:
    # std::mt19937 seeded with 1 (torch.manual_seed(1)) first outputs 1791095845 and
    # 4282876139; their low 24 bits over 2^24 are 0.75763 and 0.27931 (torch.rand(2) after
    # torch.manual_seed(1) prints [0.7576, 0.2793]), scaled to U(−a, a), a = sqrt(6/(count+1)).
    raters, notes = reference_factor_draws(1, 1, 1)
    u1 = (1791095845 & 0xFFFFFF) / 2**24
    u2 = (4282876139 & 0xFFFFFF) / 2**24
    assert u1 == pytest.approx(0.7576, abs=5e-5)
    assert u2 == pytest.approx(0.2793, abs=5e-5)
    a = math.sqrt(3.0)
    assert raters.shape == (1, 1) and notes.shape == (1, 1)
    assert raters[0, 0] == pytest.approx(u1 * 2 * a - a, rel=1e-6)
    assert notes[0, 0] == pytest.approx(u2 * 2 * a - a, rel=1e-6)


def test_reference_draws_raters_first_then_notes_within_bounds() -> None:
    raters, notes = reference_factor_draws(7, 300, 200, 2)
    assert raters.shape == (300, 2) and notes.shape == (200, 2)
    assert np.max(np.abs(raters)) <= math.sqrt(6.0 / 302)
    assert np.max(np.abs(notes)) <= math.sqrt(6.0 / 202)
    # Notes continue the same stream: with no raters, 300 notes get the raters' draws.
    _, notes_first = reference_factor_draws(7, 0, 300, 2)
    np.testing.assert_array_equal(notes_first, raters)
    assert not np.array_equal(notes[:100], raters[:100])
    again = reference_factor_draws(7, 300, 200, 2)
    np.testing.assert_array_equal(again[0], raters)
    np.testing.assert_array_equal(again[1], notes)


@pytest.mark.parametrize("seed", [-1, 2**32, 1.5, True])
def test_reference_draws_reject_bad_seeds(seed: object) -> None:
    with pytest.raises(InputError, match="seed"):
        reference_factor_draws(seed, 1, 1)  # type: ignore[arg-type]


@pytest.mark.parametrize("weighted", [False, True])
def test_numba_and_numpy_engines_agree(weighted: bool) -> None:
    prob = two_camps(9, n_notes=20, n_raters=30)
    weights = np.random.default_rng(9).uniform(0.2, 2.0, prob.values.size) if weighted else None
    cfg = dataclasses.replace(DIAMOND, adam=ADAM_002, n_factors=1)
    pen = penalties_for(cfg, n_ratings=prob.values.size, n_notes=20, n_raters=30)
    rng = np.random.default_rng(9)
    start = StartValues(
        np.zeros(20),
        rng.uniform(-0.3, 0.3, (20, 1)),
        np.zeros(30),
        rng.uniform(-0.3, 0.3, (30, 1)),
        0.0,
    )
    outs = [
        adam_descent(
            prob.note_idx,
            prob.rater_idx,
            prob.values,
            start,
            pen,
            config=ADAM_002,
            learning_rate=0.02,
            weights=weights,
            engine=engine,
        )
        for engine in ("numba", "numpy")
    ]
    assert outs[0].n_epochs == outs[1].n_epochs
    np.testing.assert_allclose(outs[0].note_intercepts, outs[1].note_intercepts, atol=1e-10)
    np.testing.assert_allclose(outs[0].rater_factors, outs[1].rater_factors, atol=1e-10)
    assert outs[0].loss == pytest.approx(outs[1].loss, rel=1e-12)
    with pytest.raises(ValueError, match="engine"):
        adam_descent(
            prob.note_idx,
            prob.rater_idx,
            prob.values,
            start,
            pen,
            config=ADAM_002,
            learning_rate=0.02,
            engine="torch",
        )
