"""μ unregularised (groups 15, 18) and μ absent (topic 5): multimodel §4.4, §4.5, §5.3."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import minimize

from bridgewatch.errors import InputError
from bridgewatch.scoring.mf import (
    MFConfig,
    MFInit,
    MFParams,
    MFResult,
    fit_mf,
    fit_note_params,
    mf_objective,
    pseudo_rater_bounds,
)
from tests.scoring.mf.helpers import Packing, Problem, loss_and_grad, two_camps

GROUP_18 = MFConfig(rater_intercept_lambda=0.03, global_intercept_lambda=0.0)
GROUP_15 = MFConfig(
    rater_intercept_lambda=0.03, note_intercept_lambda=0.09, global_intercept_lambda=0.0
)
TOPIC_5 = MFConfig(rater_intercept_lambda=5.0, use_global_intercept=False)


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


def test_single_rating_with_unregularised_mu_is_absorbed_by_mu() -> None:
    # J = (1 − μ − i_u − i_n − f_u f_n)² + .15(i_u² + i_n²) + .03(f_u² + f_n²): a free μ
    # takes the whole rating at no cost, so the optimum is μ = 1 and everything else 0.
    cfg = MFConfig(global_intercept_lambda=0.0, tolerance=1e-15, param_tolerance=1e-11)
    res = fit_mf(
        np.array([0]), np.array([0]), np.array([1.0]), n_notes=1, n_raters=1, config=cfg,
        rng=np.random.default_rng(3),
    )  # fmt: skip
    p = res.params
    assert p.global_intercept == pytest.approx(1.0, abs=1e-9)
    assert p.note_intercepts[0] == pytest.approx(0.0, abs=1e-9)
    assert p.rater_intercepts[0] == pytest.approx(0.0, abs=1e-9)
    assert abs(p.note_factors[0, 0]) < 1e-5 and abs(p.rater_factors[0, 0]) < 1e-5
    assert res.loss == pytest.approx(0.0, abs=1e-10)


def test_single_rating_without_mu_reaches_the_hand_solved_optimum() -> None:
    # No μ: J = (1 − i_u − i_n − f_u f_n)² + .15(i_u² + i_n²) + .03(f_u² + f_n²). With f ≠ 0
    # stationarity forces residual .03, intercepts .03/.15 = .2, f² = 1 − .4 − .03 = .57.
    cfg = MFConfig(use_global_intercept=False, tolerance=1e-15, param_tolerance=1e-11)
    res = fit_mf(
        np.array([0]), np.array([0]), np.array([1.0]), n_notes=1, n_raters=1, config=cfg,
        init=MFInit(global_intercept=0.7), rng=np.random.default_rng(3),
    )  # fmt: skip
    p = res.params
    assert p.global_intercept == 0.0  # reported as 0.0; the given initial μ is ignored
    assert p.note_intercepts[0] == pytest.approx(0.2, abs=1e-7)
    assert p.rater_intercepts[0] == pytest.approx(0.2, abs=1e-7)
    assert p.note_factors[0, 0] ** 2 == pytest.approx(0.57, abs=1e-6)
    assert res.loss == pytest.approx(0.03**2 + 2 * 0.15 * 0.04 + 2 * 0.03 * 0.57, abs=1e-12)


@pytest.mark.parametrize("cfg", [GROUP_18, GROUP_15, TOPIC_5], ids=["g18", "g15", "t5"])
@pytest.mark.parametrize("seed", range(4))
def test_fit_matches_a_brute_force_minimisation(cfg: MFConfig, seed: int) -> None:
    prob = two_camps(seed, n_notes=6, n_raters=8)
    rng = np.random.default_rng(seed)
    start = MFParams(
        np.zeros(prob.n_notes),
        rng.uniform(-0.5, 0.5, (prob.n_notes, 1)),
        np.zeros(prob.n_raters),
        rng.uniform(-0.5, 0.5, (prob.n_raters, 1)),
        0.0,
    )
    res = _fit(prob, cfg, seed, init=MFInit.from_params(start), sign_identify=False)
    packing = Packing(prob.n_notes, prob.n_raters, 1)
    x = packing.pack(res.params)
    loss, grad = loss_and_grad(x, prob, cfg, packing)
    assert loss == pytest.approx(res.loss, abs=1e-13)
    assert np.max(np.abs(grad)) < 1e-7
    # L-BFGS on the stated objective from the same start reaches the same objective; from
    # the ALS point and from nearby points it finds nothing lower.
    for x0, tol in (
        (packing.pack(start), 1e-8),
        (x, 1e-10),
        (x + rng.normal(0, 0.05, x.size), 1e-10),
    ):
        opt = minimize(
            loss_and_grad,
            x0,
            args=(prob, cfg, packing),
            jac=True,
            method="L-BFGS-B",
            options={"ftol": 1e-15, "gtol": 1e-12, "maxiter": 20000},
        )
        assert opt.fun >= res.loss - 1e-10
        assert opt.fun == pytest.approx(res.loss, abs=tol)
    if not cfg.use_global_intercept:
        assert res.params.global_intercept == 0.0


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), lam_mu=st.sampled_from([0.0, 0.15]))
def test_unregularised_mu_makes_the_weighted_residual_sum_vanish(seed: int, lam_mu: float) -> None:
    # ∂J/∂μ = −2 Σ w·e + 2 P_μ μ: with P_μ = 0 the optimum has Σ w·e = 0 exactly.
    prob = two_camps(seed)
    w = np.random.default_rng(seed).uniform(0.2, 3.0, prob.values.size)
    res = _fit(prob, MFConfig(global_intercept_lambda=lam_mu), seed, weights=w)
    p = res.params
    pred = (
        p.global_intercept
        + p.note_intercepts[prob.note_idx]
        + p.rater_intercepts[prob.rater_idx]
        + np.sum(p.note_factors[prob.note_idx] * p.rater_factors[prob.rater_idx], axis=1)
    )
    balance = float(np.sum(w * (prob.values - pred)))
    if lam_mu == 0.0:
        assert abs(balance) < 1e-7
    else:
        assert balance == pytest.approx(lam_mu * prob.values.size * p.global_intercept, abs=1e-7)


def test_no_mu_differs_from_mu_and_engines_agree() -> None:
    prob = two_camps(2)
    with_mu = _fit(prob, MFConfig(rater_intercept_lambda=5.0))
    a = _fit(prob, TOPIC_5, engine="numba")
    b = _fit(prob, TOPIC_5, engine="numpy")
    assert with_mu.params.global_intercept > 0.05
    assert not np.allclose(a.params.note_intercepts, with_mu.params.note_intercepts, atol=1e-3)
    np.testing.assert_allclose(a.params.note_intercepts, b.params.note_intercepts, atol=1e-9)
    assert a.params.global_intercept == b.params.global_intercept == 0.0
    obj = mf_objective(prob.note_idx, prob.rater_idx, prob.values, params=a.params, config=TOPIC_5)
    assert obj.loss == pytest.approx(a.loss, abs=1e-13)


def test_mf_objective_without_mu_ignores_the_given_mu() -> None:
    prob = two_camps(1)
    res = _fit(prob, TOPIC_5)
    p = res.params
    moved = type(p)(
        p.note_intercepts, p.note_factors, p.rater_intercepts, p.rater_factors, float("nan")
    )
    obj = mf_objective(prob.note_idx, prob.rater_idx, prob.values, params=moved, config=TOPIC_5)
    assert obj.loss == pytest.approx(res.loss, abs=1e-13)


def test_frozen_raters_without_mu_solve_in_one_sweep() -> None:
    prob = two_camps(3)
    full = _fit(prob, TOPIC_5)
    # μ is not frozen, but without μ there is nothing to alternate with.
    refit = fit_mf(
        prob.note_idx,
        prob.rater_idx,
        prob.values,
        n_notes=prob.n_notes,
        n_raters=prob.n_raters,
        config=TOPIC_5,
        init=full.params,
        freeze_raters=True,
    )
    assert refit.n_iterations == 1
    np.testing.assert_allclose(refit.params.note_intercepts, full.params.note_intercepts, atol=1e-7)


def test_note_fit_without_mu_is_the_note_fit_at_mu_zero() -> None:
    prob = two_camps(4)
    raters = _fit(prob, MFConfig()).params
    kwargs: dict[str, Any] = {
        "n_notes": prob.n_notes,
        "rater_intercepts": raters.rater_intercepts,
        "rater_factors": raters.rater_factors,
        "note_ratio": 6.0,
    }
    args = (prob.note_idx, prob.rater_idx, prob.values)
    no_mu = fit_note_params(*args, global_intercept=None, config=TOPIC_5, **kwargs)
    ignored = fit_note_params(*args, global_intercept=0.4, config=TOPIC_5, **kwargs)
    at_zero = fit_note_params(
        *args, global_intercept=0.0, config=MFConfig(rater_intercept_lambda=5.0), **kwargs
    )
    np.testing.assert_array_equal(no_mu.params.note_intercepts, at_zero.params.note_intercepts)
    np.testing.assert_array_equal(ignored.params.note_intercepts, at_zero.params.note_intercepts)
    assert no_mu.params.global_intercept == 0.0
    assert no_mu.loss == pytest.approx(at_zero.loss, abs=1e-15)
    with pytest.raises(InputError) as err:
        fit_note_params(*args, global_intercept=None, config=MFConfig(), **kwargs)
    assert err.value.field == "global_intercept"
    bounds = pseudo_rater_bounds(
        *args,
        n_notes=prob.n_notes,
        rater_intercepts=raters.rater_intercepts,
        rater_factors=raters.rater_factors,
        global_intercept=None,
        config=TOPIC_5,
    )
    at_zero_bounds = pseudo_rater_bounds(
        *args,
        n_notes=prob.n_notes,
        rater_intercepts=raters.rater_intercepts,
        rater_factors=raters.rater_factors,
        global_intercept=0.0,
        config=MFConfig(rater_intercept_lambda=5.0),
    )
    np.testing.assert_array_equal(bounds.intercept_max, at_zero_bounds.intercept_max)
