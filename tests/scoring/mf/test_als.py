"""Tests of fit_mf (scoring-core.md §3): optimum, init, freezing, signs, determinism."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import minimize

from bridgewatch.errors import ConvergenceWarning, InputError
from bridgewatch.scoring.mf import (
    MFConfig,
    MFInit,
    MFParams,
    MFResult,
    fit_mf,
    identify_signs,
    mf_objective,
)
from tests.scoring.mf.helpers import Packing, Problem, loss_and_grad, two_camps


def _fit(prob: Problem, seed: int = 0, **kwargs: Any) -> MFResult:
    return fit_mf(
        prob.note_idx,
        prob.rater_idx,
        prob.values,
        n_notes=prob.n_notes,
        n_raters=prob.n_raters,
        rng=np.random.default_rng(seed),
        **kwargs,
    )


def test_single_rating_reaches_the_hand_solved_optimum() -> None:
    # J = (1 − μ − i_u − i_n − f_u f_n)² + .15(μ² + i_u² + i_n²) + .03(f_u² + f_n²):
    # with f ≠ 0 stationarity forces residual .03, intercepts .03/.15 = .2, f² = .37.
    res = fit_mf(
        np.array([0]),
        np.array([0]),
        np.array([1.0]),
        n_notes=1,
        n_raters=1,
        rng=np.random.default_rng(3),
        config=MFConfig(tolerance=1e-15, param_tolerance=1e-11),
    )
    p = res.params
    assert p.global_intercept == pytest.approx(0.2, abs=1e-7)
    assert p.note_intercepts[0] == pytest.approx(0.2, abs=1e-7)
    assert p.rater_intercepts[0] == pytest.approx(0.2, abs=1e-7)
    # Sign identification leaves the (only) rater with a negative factor.
    assert p.rater_factors[0, 0] == pytest.approx(-np.sqrt(0.37), abs=1e-6)
    assert p.note_factors[0, 0] == pytest.approx(-np.sqrt(0.37), abs=1e-6)
    assert res.loss == pytest.approx(0.03**2 + 3 * 0.15 * 0.04 + 2 * 0.03 * 0.37, abs=1e-12)
    assert res.train_mse == pytest.approx(0.03**2, abs=1e-9)
    assert res.converged


@pytest.mark.parametrize("seed", range(6))
def test_als_optimum_is_stationary_and_matches_scipy(seed: int) -> None:
    prob = two_camps(seed)
    cfg = MFConfig()
    res = _fit(prob, seed, config=cfg)
    packing = Packing(prob.n_notes, prob.n_raters, 1)
    x = packing.pack(res.params)
    loss, grad = loss_and_grad(x, prob, cfg, packing)
    assert loss == pytest.approx(res.loss, abs=1e-13)
    assert np.max(np.abs(grad)) < 1e-7
    # A quasi-Newton run on the exact objective, from the same point or nearby, finds
    # nothing lower.
    rng = np.random.default_rng(seed)
    for start in (x, x + rng.normal(0, 0.02, x.size)):
        opt = minimize(
            loss_and_grad,
            start,
            args=(prob, cfg, packing),
            jac=True,
            method="BFGS",
            options={"gtol": 1e-12, "maxiter": 5000},
        )
        assert opt.fun >= res.loss - 1e-10
        assert opt.fun == pytest.approx(res.loss, abs=1e-8)


@pytest.mark.parametrize("seed", range(3))
def test_scipy_from_the_same_random_start_reaches_the_same_objective(seed: int) -> None:
    prob = two_camps(11 + seed)
    cfg = MFConfig()
    rng = np.random.default_rng(seed)
    start = MFParams(
        np.zeros(prob.n_notes),
        rng.uniform(-0.5, 0.5, (prob.n_notes, 1)),
        np.zeros(prob.n_raters),
        rng.uniform(-0.5, 0.5, (prob.n_raters, 1)),
        0.0,
    )
    res = _fit(prob, config=cfg, init=MFInit.from_params(start), sign_identify=False)
    packing = Packing(prob.n_notes, prob.n_raters, 1)
    opt = minimize(
        loss_and_grad,
        packing.pack(start),
        args=(prob, cfg, packing),
        jac=True,
        method="L-BFGS-B",
        options={"ftol": 1e-15, "gtol": 1e-12, "maxiter": 20000},
    )
    assert opt.fun == pytest.approx(res.loss, abs=1e-8)


@pytest.mark.parametrize("k", [1, 2, 3])
@pytest.mark.parametrize("weighted", [False, True])
def test_numba_and_numpy_engines_agree(k: int, weighted: bool) -> None:
    prob = two_camps(7, n_notes=15, n_raters=20)
    weights = np.random.default_rng(1).uniform(0.5, 2.0, prob.values.size) if weighted else None
    cfg = MFConfig(n_factors=k)
    fast = _fit(prob, 2, config=cfg, weights=weights, engine="numba")
    slow = _fit(prob, 2, config=cfg, weights=weights, engine="numpy")
    assert fast.n_iterations == slow.n_iterations
    for name in ("note_intercepts", "note_factors", "rater_intercepts", "rater_factors"):
        np.testing.assert_allclose(
            getattr(fast.params, name), getattr(slow.params, name), rtol=0, atol=1e-10
        )
    assert fast.loss == pytest.approx(slow.loss, rel=1e-12)


def test_same_seed_gives_bit_identical_results() -> None:
    prob = two_camps(3)
    a, b = _fit(prob, 9), _fit(prob, 9)
    for name in ("note_intercepts", "note_factors", "rater_intercepts", "rater_factors"):
        assert np.array_equal(getattr(a.params, name), getattr(b.params, name))
    assert a.params.global_intercept == b.params.global_intercept
    assert a.loss == b.loss


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10_000), perm_seed=st.integers(0, 10_000))
def test_relabelling_notes_and_raters_permutes_the_result(seed: int, perm_seed: int) -> None:
    prob = two_camps(seed, n_notes=8, n_raters=10)
    rng = np.random.default_rng(perm_seed)
    init_rng = np.random.default_rng(seed)
    note_factors = init_rng.uniform(-0.5, 0.5, (8, 1))
    rater_factors = init_rng.uniform(-0.5, 0.5, (10, 1))
    init = MFInit(np.zeros(8), note_factors, np.zeros(10), rater_factors)
    tight = MFConfig(tolerance=1e-15, param_tolerance=1e-11)
    base = _fit(prob, init=init, config=tight)
    pn, pu = rng.permutation(8), rng.permutation(10)  # new index of old row i is pn[i]
    inv_n, inv_u = np.argsort(pn), np.argsort(pu)
    order = rng.permutation(prob.values.size)
    moved = fit_mf(
        pn[prob.note_idx][order],
        pu[prob.rater_idx][order],
        prob.values[order],
        n_notes=8,
        n_raters=10,
        config=tight,
        init=MFInit(
            note_intercepts=np.zeros(8),
            note_factors=note_factors[inv_n],
            rater_intercepts=np.zeros(10),
            rater_factors=rater_factors[inv_u],
        ),
    )
    np.testing.assert_allclose(
        moved.params.note_intercepts[pn], base.params.note_intercepts, atol=1e-9
    )
    np.testing.assert_allclose(moved.params.note_factors[pn], base.params.note_factors, atol=1e-9)
    np.testing.assert_allclose(moved.params.rater_factors[pu], base.params.rater_factors, atol=1e-9)
    assert moved.loss == pytest.approx(base.loss, abs=1e-12)


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_scores_are_finite_and_factor_flip_keeps_the_loss(seed: int) -> None:
    prob = two_camps(seed, n_notes=6, n_raters=9, density=0.5)
    res = _fit(prob, seed)
    p = res.params
    assert all(np.all(np.isfinite(a)) for a in (p.note_intercepts, p.note_factors))
    assert np.isfinite(res.loss) and np.isfinite(p.global_intercept)
    flipped = MFParams(
        p.note_intercepts,
        -p.note_factors,
        p.rater_intercepts,
        -p.rater_factors,
        p.global_intercept,
    )
    a = mf_objective(prob.note_idx, prob.rater_idx, prob.values, params=p, config=MFConfig())
    b = mf_objective(prob.note_idx, prob.rater_idx, prob.values, params=flipped, config=MFConfig())
    assert a.loss == pytest.approx(b.loss, abs=1e-15)
    assert a.loss == pytest.approx(res.loss, abs=1e-12)


def test_sign_identification_leaves_a_majority_of_negative_rater_factors() -> None:
    for seed in range(5):
        res = _fit(two_camps(seed), seed)
        f = res.params.rater_factors[:, 0]
        assert np.count_nonzero(f < 0) / np.count_nonzero(f) >= 0.5


def test_identify_signs_flips_when_fewer_than_half_are_negative() -> None:
    p = MFParams(
        np.zeros(2), np.array([[1.0], [2.0]]), np.zeros(3), np.array([[1.0], [-1.0], [2.0]]), 0.0
    )
    q = identify_signs(p)
    np.testing.assert_array_equal(q.rater_factors[:, 0], [-1.0, 1.0, -2.0])
    np.testing.assert_array_equal(q.note_factors[:, 0], [-1.0, -2.0])
    half = MFParams(np.zeros(1), np.ones((1, 1)), np.zeros(2), np.array([[1.0], [-1.0]]), 0.0)
    assert identify_signs(half) is half
    zeros = MFParams(np.zeros(1), np.ones((1, 1)), np.zeros(2), np.zeros((2, 1)), 0.0)
    assert identify_signs(zeros) is zeros


def test_entities_without_ratings_get_nan() -> None:
    prob = two_camps(1, n_notes=5, n_raters=6)
    res = fit_mf(
        prob.note_idx,
        prob.rater_idx,
        prob.values,
        n_notes=7,
        n_raters=8,
        rng=np.random.default_rng(0),
    )
    assert np.all(np.isnan(res.params.note_intercepts[5:]))
    assert np.all(np.isnan(res.params.rater_factors[6:]))
    assert np.all(np.isfinite(res.params.note_intercepts[:5]))
    # Absent entities do not count in |N| and |U|: same fit as with exact sizes.
    exact = _fit(prob, 0)
    np.testing.assert_allclose(
        res.params.note_intercepts[:5], exact.params.note_intercepts, atol=1e-12
    )


def test_ratio_mode_with_the_mean_ratios_equals_mean_mode() -> None:
    prob = two_camps(4)
    mean = _fit(prob, 1)
    ratio = _fit(
        prob,
        1,
        note_ratio=prob.values.size / prob.n_notes,
        rater_ratio=prob.values.size / prob.n_raters,
    )
    np.testing.assert_allclose(
        ratio.params.note_intercepts, mean.params.note_intercepts, atol=1e-12
    )
    assert ratio.loss == pytest.approx(mean.loss, rel=1e-12)
    stronger = _fit(prob, 1, note_ratio=10 * prob.values.size / prob.n_notes)
    assert np.sum(stronger.params.note_intercepts**2) < np.sum(mean.params.note_intercepts**2)


def test_frozen_raters_and_global_stay_at_their_initial_values() -> None:
    prob = two_camps(2)
    first = _fit(prob, 0)
    ri = first.params.rater_intercepts + 0.1
    init = MFInit(
        note_intercepts=np.full(prob.n_notes, np.nan),
        note_factors=np.zeros((prob.n_notes, 1)),
        rater_intercepts=ri,
        rater_factors=first.params.rater_factors,
        global_intercept=0.3,
    )
    res = _fit(prob, init=init, freeze_raters=True, freeze_global=True, sign_identify=False)
    np.testing.assert_array_equal(res.params.rater_intercepts, ri)
    np.testing.assert_array_equal(res.params.rater_factors, first.params.rater_factors)
    assert res.params.global_intercept == 0.3
    assert res.n_iterations == 1
    only_raters = _fit(prob, init=init, freeze_raters=True, sign_identify=False)
    np.testing.assert_array_equal(only_raters.params.rater_intercepts, ri)
    assert only_raters.params.global_intercept != 0.3
    only_global = _fit(prob, init=init, freeze_global=True, sign_identify=False)
    assert only_global.params.global_intercept == 0.3
    assert not np.allclose(only_global.params.rater_intercepts, ri)


def test_init_rows_with_nan_start_at_zero_and_mu_only_when_given() -> None:
    prob = two_camps(6)
    cfg = MFConfig(max_iterations=1, acceleration_depth=0)
    nf = np.full((prob.n_notes, 1), 0.5)
    ni = np.full(prob.n_notes, 0.2)
    ni[0] = np.nan  # note 0 missing: both its intercept and factor start at 0
    rf = np.full((prob.n_raters, 1), -0.5)
    base: dict[str, Any] = {
        "note_intercepts": ni,
        "note_factors": nf,
        "rater_intercepts": np.zeros(prob.n_raters),
        "rater_factors": rf,
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        one = _fit(prob, config=cfg, init=MFInit(**base), sign_identify=False)
        zero_row = dict(
            base,
            note_intercepts=np.where(np.arange(prob.n_notes) == 0, 0.0, 0.2),
            note_factors=np.where(np.arange(prob.n_notes)[:, None] == 0, 0.0, 0.5),
        )
        same = _fit(prob, config=cfg, init=MFInit(**zero_row), sign_identify=False)
        with_mu = _fit(
            prob, config=cfg, init=MFInit(**base, global_intercept=0.4), sign_identify=False
        )
    np.testing.assert_array_equal(one.params.note_intercepts, same.params.note_intercepts)
    assert with_mu.params.global_intercept != one.params.global_intercept
    # An MFParams init passes μ along; MFInit.from_params(with_global=False) does not.
    full = _fit(prob, 0)
    again = _fit(prob, init=full.params)
    assert again.n_iterations <= 2
    assert MFInit.from_params(full.params, with_global=False).global_intercept is None


def test_random_init_needs_an_rng() -> None:
    prob = two_camps(0)
    with pytest.raises(InputError, match="rng"):
        fit_mf(
            prob.note_idx, prob.rater_idx, prob.values, n_notes=prob.n_notes, n_raters=prob.n_raters
        )


def test_iteration_cap_warns() -> None:
    prob = two_camps(0)
    with pytest.warns(ConvergenceWarning):
        res = _fit(prob, config=MFConfig(max_iterations=2))
    assert not res.converged and res.n_iterations == 2


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"values": np.array([1.0, np.nan])}, "values"),
        ({"note_idx": np.array([0, 5])}, "note_idx"),
        ({"rater_idx": np.array([-1, 0])}, "rater_idx"),
        ({"note_idx": np.array([0.0, 1.0])}, "note_idx"),
        ({"values": np.array([1.0])}, "note_idx"),
        ({"weights": np.array([1.0, -1.0])}, "weights"),
        ({"note_ratio": 0.0}, "note_ratio"),
    ],
)
def test_bad_input_names_the_field(kwargs: dict[str, Any], field: str) -> None:
    args: dict[str, Any] = {
        "note_idx": np.array([0, 1]),
        "rater_idx": np.array([0, 1]),
        "values": np.array([1.0, 0.0]),
    }
    args.update(kwargs)
    with pytest.raises(InputError) as err:
        fit_mf(
            args.pop("note_idx"),
            args.pop("rater_idx"),
            args.pop("values"),
            n_notes=2,
            n_raters=2,
            rng=np.random.default_rng(0),
            **args,
        )
    assert err.value.field == field


def test_empty_ratings_are_rejected() -> None:
    empty = np.array([], dtype=np.int64)
    with pytest.raises(InputError, match="no ratings"):
        fit_mf(empty, empty, np.array([]), n_notes=1, n_raters=1, rng=np.random.default_rng(0))


def test_weighted_fit_reports_the_weighted_objective_and_weights_matter() -> None:
    prob = two_camps(12)
    weights = np.random.default_rng(0).uniform(0.5, 2.0, prob.values.size)
    res = _fit(prob, 1, weights=weights)
    obj = mf_objective(
        prob.note_idx,
        prob.rater_idx,
        prob.values,
        params=res.params,
        config=MFConfig(),
        weights=weights,
    )
    assert obj.loss == pytest.approx(res.loss, abs=1e-13)
    assert obj.train_mse == pytest.approx(res.train_mse, abs=1e-13)
    plain = _fit(prob, 1)
    assert not np.allclose(plain.params.note_intercepts, res.params.note_intercepts)


@pytest.mark.parametrize("k", [1, 3])
def test_two_solver_threads_give_the_bits_of_one(k: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Large fits solve two row ranges in threads; every row's sums run alone, so the result
    must not change by a bit (the threshold is lowered to force the threaded path here)."""
    from bridgewatch.scoring.mf import _engines

    prob = two_camps(11, n_notes=40, n_raters=60)
    weights = np.random.default_rng(3).uniform(0.5, 2.0, prob.values.size)
    cfg = MFConfig(n_factors=k)
    serial = _fit(prob, 4, config=cfg, weights=weights)
    monkeypatch.setattr(_engines, "PARALLEL_MIN_RATINGS", 1)
    threaded = _fit(prob, 4, config=cfg, weights=weights)
    engine = _engines.NumbaEngine(
        prob.note_idx, prob.rater_idx, prob.values, weights, prob.n_notes, prob.n_raters,
        need_rater_groups=True,
    )  # fmt: skip
    assert len(engine._notes.ranges) == 2 and engine._notes.ranges[0][1] > 0
    for name in ("note_intercepts", "note_factors", "rater_intercepts", "rater_factors"):
        assert np.array_equal(getattr(serial.params, name), getattr(threaded.params, name))
    assert serial.loss == threaded.loss


def test_fit_on_few_entities_of_a_large_index_runs_compact_and_agrees(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A fit touching few rows of the index runs on compact rows; it must give the fit on the
    full index (absent rows NaN), up to the order of float sums."""
    from bridgewatch.scoring.mf import als

    prob = two_camps(13, n_notes=30, n_raters=40)
    spread_n, spread_r = prob.note_idx * 50 + 7, prob.rater_idx * 30 + 3  # 1,500 x 1,200 index
    kwargs: dict[str, Any] = {"n_notes": 1500, "n_raters": 1200}
    compact = fit_mf(spread_n, spread_r, prob.values, rng=np.random.default_rng(2), **kwargs)
    monkeypatch.setattr(als, "COMPACT_BELOW", 0.0)
    full = fit_mf(spread_n, spread_r, prob.values, rng=np.random.default_rng(2), **kwargs)
    assert compact.n_iterations == full.n_iterations
    for name in ("note_intercepts", "note_factors", "rater_intercepts", "rater_factors"):
        a, b = getattr(compact.params, name), getattr(full.params, name)
        assert np.array_equal(np.isnan(a), np.isnan(b))
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)
    assert np.isnan(compact.params.note_intercepts[8])  # a row no rating touches
    assert compact.loss == pytest.approx(full.loss, rel=1e-12)
