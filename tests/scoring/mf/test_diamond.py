"""The diamond penalty λ_◇·|f_n·i_n| (group 14; scoring-core.md §3.2, multimodel §4.2).

The per-note subproblem is 2-D, non-smooth and non-convex; ALS solves it exactly by a
sign-quadrant case analysis. These tests hold that solve to a dense grid, to the optimality
(subgradient) conditions and to its numpy twin, and the whole fit to the objective.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray
from scipy.optimize import minimize

from bridgewatch.scoring.mf import MFConfig, MFParams, MFResult, fit_mf, mf_objective
from bridgewatch.scoring.mf._numba import diamond_argmin
from bridgewatch.scoring.mf._reference import solve_gram_diamond
from bridgewatch.scoring.mf.objective import penalties_for
from tests.scoring.mf.helpers import (
    Packing,
    Problem,
    adam_reference_fit,
    loss_and_grad,
    two_camps,
)

FloatArray = NDArray[np.float64]


def _q(x0: FloatArray | float, x1: FloatArray | float, coef: tuple[float, ...]) -> Any:
    """xᵀAx − 2bᵀx + P·|x0·x1| for coef = (a00, a01, a11, b0, b1, P)."""
    a00, a01, a11, b0, b1, pen = coef
    return (
        a00 * x0 * x0
        + 2 * a01 * x0 * x1
        + a11 * x1 * x1
        - 2 * b0 * x0
        - 2 * b1 * x1
        + pen * np.abs(x0 * x1)
    )


def _q_vec(v: FloatArray, coef: tuple[float, ...]) -> float:
    return float(_q(v[0], v[1], coef))


def _grid_min(coef: tuple[float, ...], centre: tuple[float, float], half: float) -> float:
    xs = np.linspace(centre[0] - half, centre[0] + half, 601)
    ys = np.linspace(centre[1] - half, centre[1] + half, 601)
    gx, gy = np.meshgrid(xs, ys)
    return float(np.min(_q(gx, gy, coef)))


def test_hand_solved_cases() -> None:
    # A = I, b = (1, 1): without the penalty x = (1, 1). With P < 2 the σ = +1 quadratic
    # [[1, P/2], [P/2, 1]] is positive definite and its optimum (1, 1)/(1 + P/2) lies in the
    # quadrant, value −2/(1 + P/2) < −1 (the axes' value).
    x = diamond_argmin(1.0, 0.0, 1.0, 1.0, 1.0, 1.0)
    assert x == pytest.approx((2 / 3, 2 / 3), abs=1e-15)
    # P = 3: that quadratic is indefinite, the minimum is on an axis: (1, 0) and (0, 1) tie
    # at −1 and the x1 = 0 axis comes first.
    assert diamond_argmin(1.0, 0.0, 1.0, 1.0, 1.0, 3.0) == (1.0, 0.0)
    # b = (1, −1) lies in the other quadrant: σ = −1 gives (1, −1)/(1 + P/2).
    x = diamond_argmin(1.0, 0.0, 1.0, 1.0, -1.0, 1.0)
    assert x == pytest.approx((2 / 3, -2 / 3), abs=1e-15)
    # P = 0 is the plain ridge solve.
    x = diamond_argmin(2.0, 0.5, 1.0, 1.0, 0.3, 0.0)
    assert x == pytest.approx(tuple(np.linalg.solve([[2.0, 0.5], [0.5, 1.0]], [1.0, 0.3])))


@st.composite
def _subproblems(draw: st.DrawFn) -> tuple[float, ...]:
    """A positive definite A (ridge part included), b, and P >= 0."""
    a00 = draw(st.floats(0.05, 20.0))
    a11 = draw(st.floats(0.05, 20.0))
    r = draw(st.floats(-0.99, 0.99))
    a01 = r * np.sqrt(a00 * a11)
    b0 = draw(st.floats(-10.0, 10.0))
    b1 = draw(st.floats(-10.0, 10.0))
    pen = draw(st.sampled_from([0.0, 0.01, 0.3, 1.0, 5.0, 40.0]))
    return (a00, float(a01), a11, b0, b1, pen)


@settings(max_examples=150, deadline=None)
@given(coef=_subproblems())
def test_subproblem_solution_beats_a_dense_grid_and_local_searches(
    coef: tuple[float, ...],
) -> None:
    x0, x1 = diamond_argmin(*coef)
    best = float(_q(x0, x1, coef))
    a00, _, a11, b0, b1, _ = coef
    # The minimiser lies in the box the axis solutions span (|q| grows quadratically).
    half = 1.5 * max(abs(b0 / a00), abs(b1 / a11), abs(x0), abs(x1), 1e-3)
    scale = max(abs(best), 1.0)
    assert best <= _grid_min(coef, (0.0, 0.0), half) + 1e-12 * scale
    assert best <= _grid_min(coef, (x0, x1), half / 50) + 1e-12 * scale
    rng = np.random.default_rng(0)
    for _ in range(4):
        opt = minimize(
            _q_vec,
            rng.uniform(-half, half, 2),
            args=(coef,),
            method="Nelder-Mead",
            options={"xatol": 1e-10, "fatol": 1e-14, "maxiter": 4000},
        )
        assert best <= opt.fun + 1e-9 * scale


@settings(max_examples=150, deadline=None)
@given(coef=_subproblems())
# A near-tie: the axis point (4, 0) and the interior optimum (4, 1.3e-8) differ in value by
# 1.6e-15, below the rounding of a value of -16; the solver may return either.
@example(coef=(1.0, 0.0, 9.0, 4.0, 1.192092896e-07, 0.0))
def test_subproblem_solution_meets_the_subgradient_conditions(coef: tuple[float, ...]) -> None:
    a00, a01, a11, b0, b1, pen = coef
    x0, x1 = diamond_argmin(*coef)
    g0 = 2 * (a00 * x0 + a01 * x1 - b0)  # gradient of the smooth part
    g1 = 2 * (a01 * x0 + a11 * x1 - b1)
    # Rounding scales with the terms summed into each gradient entry.
    size = (a00 + abs(a01) + a11 + pen) * (abs(x0) + abs(x1))
    tol = 1e-9 * (1 + abs(b0) + abs(b1) + size)
    # The solver picks between candidate points by their value: points whose values tie
    # within the value's rounding (eps·|q|) may be a distance d apart with a·d² ~ eps·|q|,
    # so the gradient may be off by 2·a·d = 2·sqrt(a·eps·|q|).
    value = abs(float(_q(x0, x1, coef)))
    tol += 2 * np.sqrt(max(a00, a11) * 4 * np.finfo(float).eps * (1 + value))
    if x0 != 0 and x1 != 0:
        s = np.sign(x0 * x1)
        assert abs(g0 + pen * s * x1) <= tol
        assert abs(g1 + pen * s * x0) <= tol
    elif x1 == 0 and x0 != 0:
        # ∂|x0·x1|/∂x1 at x1 = 0 is |x0|·[−1, 1].
        assert abs(g0) <= tol
        assert abs(g1) <= pen * abs(x0) + tol
    elif x0 == 0 and x1 != 0:
        assert abs(g1) <= tol
        assert abs(g0) <= pen * abs(x1) + tol
    else:
        assert abs(g0) <= tol and abs(g1) <= tol


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), pen=st.sampled_from([0.0, 0.2, 2.0, 30.0]))
def test_numpy_twin_matches_the_kernel(seed: int, pen: float) -> None:
    rng = np.random.default_rng(seed)
    n = 50
    z = rng.normal(size=(n, 6, 2))
    gram = np.einsum("nij,nik->njk", z, z)
    rhs = rng.normal(0, 3, (n, 2))
    ints, facs = solve_gram_diamond(gram, rhs, 0.5, 0.2, pen)
    for r in range(n):
        x0, x1 = diamond_argmin(
            gram[r, 0, 0] + 0.5, gram[r, 0, 1], gram[r, 1, 1] + 0.2, rhs[r, 0], rhs[r, 1], pen
        )
        assert ints[r] == pytest.approx(x0, rel=1e-12, abs=1e-14)
        assert facs[r, 0] == pytest.approx(x1, rel=1e-12, abs=1e-14)


def test_penalty_normalisation_in_mean_and_ratio_mode() -> None:
    cfg = MFConfig(diamond_lambda=0.75)
    assert penalties_for(cfg, n_ratings=100, n_notes=4, n_raters=10).diamond == 0.75 * 25
    ratio = penalties_for(cfg, n_ratings=100, n_notes=4, n_raters=10, note_ratio=7.0)
    assert ratio.diamond == pytest.approx(0.75 * 7.0)
    assert penalties_for(MFConfig(), n_ratings=100, n_notes=4, n_raters=10).diamond == 0.0


def test_objective_by_hand_includes_the_diamond_term() -> None:
    params = MFParams(
        note_intercepts=np.array([0.5, -0.2]),
        note_factors=np.array([[0.4], [0.3]]),
        rater_intercepts=np.array([0.1]),
        rater_factors=np.array([[-1.0]]),
        global_intercept=0.0,
    )
    ni, ri, y = np.array([0, 1]), np.array([0, 0]), np.array([1.0, 0.0])
    obj = mf_objective(ni, ri, y, params=params, config=MFConfig(diamond_lambda=2.0))
    e = y - np.array([0.1 + 0.5 - 0.4, 0.1 - 0.2 - 0.3])
    reg = 0.15 * (0.25 + 0.04) / 2 + 0.03 * (0.16 + 0.09) / 2 + 0.15 * 0.01 + 0.03 * 1.0
    reg += 2.0 * (0.5 * 0.4 + 0.2 * 0.3) / 2
    assert obj.loss == pytest.approx(float(np.mean(e**2)) + reg, abs=1e-15)


def _fit(prob: Problem, cfg: MFConfig, **kwargs: Any) -> MFResult:
    return fit_mf(
        prob.note_idx,
        prob.rater_idx,
        prob.values,
        n_notes=prob.n_notes,
        n_raters=prob.n_raters,
        config=cfg,
        rng=np.random.default_rng(kwargs.pop("seed", 0)),
        **kwargs,
    )


def _note_subproblem(
    prob: Problem, p: MFParams, cfg: MFConfig, note: int
) -> tuple[float, float, float, float, float, float]:
    """(a00, a01, a11, b0, b1, P) of one note's subproblem at fitted raters and μ."""
    sel = prob.note_idx == note
    f = p.rater_factors[prob.rater_idx[sel], 0]
    t = prob.values[sel] - p.global_intercept - p.rater_intercepts[prob.rater_idx[sel]]
    pen = penalties_for(
        cfg, n_ratings=prob.values.size, n_notes=prob.n_notes, n_raters=prob.n_raters
    )
    return (
        sel.sum() + pen.note_intercept,
        float(f.sum()),
        float(f @ f) + pen.note_factor,
        float(t.sum()),
        float(f @ t),
        pen.diamond,
    )


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("lam", [0.05, 0.75, 3.0])
def test_fit_is_blockwise_optimal_and_no_local_search_improves_it(seed: int, lam: float) -> None:
    prob = two_camps(seed, n_notes=8, n_raters=10)
    cfg = MFConfig(diamond_lambda=lam, tolerance=1e-14, param_tolerance=1e-10)
    res = _fit(prob, cfg, seed=seed)
    assert res.converged
    p = res.params
    packing = Packing(prob.n_notes, prob.n_raters, 1)
    x = packing.pack(p)
    loss, grad = loss_and_grad(x, prob, cfg, packing)
    assert loss == pytest.approx(res.loss, abs=1e-13)
    assert mf_objective(
        prob.note_idx, prob.rater_idx, prob.values, params=p, config=cfg
    ).loss == pytest.approx(res.loss, abs=1e-14)
    # The smooth blocks (raters, μ) are stationary.
    o_r = prob.n_notes * 2
    assert np.max(np.abs(grad[o_r:])) < 1e-7
    # Every note is the global optimum of its subproblem given raters and μ.
    for note in range(prob.n_notes):
        coef = _note_subproblem(prob, p, cfg, note)
        here = float(_q(p.note_intercepts[note], p.note_factors[note, 0], coef))
        half = 2.0 + abs(p.note_intercepts[note]) + abs(p.note_factors[note, 0])
        assert here <= _grid_min(coef, (0.0, 0.0), half) + 1e-12
    # No small move in any direction lowers the loss (a local optimum, kinks included).
    rng = np.random.default_rng(seed)
    for radius in (1e-5, 1e-3):
        for _ in range(200):
            d = rng.normal(size=x.size)
            trial = loss_and_grad(x + radius * d / np.linalg.norm(d), prob, cfg, packing)[0]
            assert trial >= res.loss - 1e-13


@pytest.mark.parametrize(("size", "seed"), [((40, 60), 0), ((40, 60), 1), ((200, 300), 2)])
def test_fit_reaches_the_optimum_of_the_reference_optimiser_basin(
    size: tuple[int, int], seed: int
) -> None:
    # The reference's Adam (lr 0.02 for group 14) stops near epoch 100, short of the optimum;
    # ALS started from where it stops must land on fit_mf's own optimum. A direct ALS fit
    # from a random start would not: it collapses to zero factors (a worse local optimum).
    prob = two_camps(seed, n_notes=size[0], n_raters=size[1])
    cfg = MFConfig(diamond_lambda=0.75)
    ours = _fit(prob, cfg, seed=seed, sign_identify=False)
    adam = adam_reference_fit(prob, cfg, lr=0.02, seed=seed)
    polished = _fit(prob, cfg, init=adam, sign_identify=False)
    assert ours.loss == pytest.approx(polished.loss, abs=1e-12)
    np.testing.assert_allclose(
        ours.params.note_intercepts, polished.params.note_intercepts, atol=1e-8
    )
    assert np.count_nonzero(ours.params.note_factors) > size[0] // 2


def test_zero_diamond_is_the_plain_fit_and_the_term_matters() -> None:
    prob = two_camps(3)
    plain = _fit(prob, MFConfig())
    zero = _fit(prob, MFConfig(diamond_lambda=0.0))
    assert np.array_equal(plain.params.note_intercepts, zero.params.note_intercepts)
    dia = _fit(prob, MFConfig(diamond_lambda=0.75))
    prod = np.abs(dia.params.note_intercepts * dia.params.note_factors[:, 0])
    plain_prod = np.abs(plain.params.note_intercepts * plain.params.note_factors[:, 0])
    # The penalty shrinks |f_n·i_n| overall and pins some products at exactly 0.
    assert prod.sum() < plain_prod.sum()
    assert np.any(prod == 0.0)


@pytest.mark.parametrize("weighted", [False, True])
def test_numba_and_numpy_engines_agree_with_the_diamond(weighted: bool) -> None:
    prob = two_camps(7, n_notes=20, n_raters=25)
    w = np.random.default_rng(1).uniform(0.3, 2.0, prob.values.size) if weighted else None
    cfg = MFConfig(diamond_lambda=0.75)
    a = _fit(prob, cfg, weights=w, engine="numba")
    b = _fit(prob, cfg, weights=w, engine="numpy")
    assert a.loss == pytest.approx(b.loss, abs=1e-12)
    np.testing.assert_allclose(a.params.note_intercepts, b.params.note_intercepts, atol=1e-9)
    np.testing.assert_allclose(a.params.rater_factors, b.params.rater_factors, atol=1e-9)


def test_ratio_mode_with_the_mean_ratio_equals_mean_mode() -> None:
    prob = two_camps(4)
    cfg = MFConfig(diamond_lambda=0.75)
    mean = _fit(prob, cfg)
    ratio = _fit(
        prob,
        cfg,
        note_ratio=prob.values.size / prob.n_notes,
        rater_ratio=prob.values.size / prob.n_raters,
    )
    assert ratio.loss == pytest.approx(mean.loss, abs=1e-12)
    np.testing.assert_allclose(ratio.params.note_intercepts, mean.params.note_intercepts, atol=1e-8)


def test_frozen_raters_need_one_exact_sweep() -> None:
    prob = two_camps(5)
    cfg = MFConfig(diamond_lambda=0.75)
    full = _fit(prob, cfg)
    refit = fit_mf(
        prob.note_idx,
        prob.rater_idx,
        prob.values,
        n_notes=prob.n_notes,
        n_raters=prob.n_raters,
        config=cfg,
        init=full.params,
        freeze_raters=True,
        freeze_global=True,
    )
    assert refit.n_iterations == 1
    # The fit was converged, so re-solving the notes moves nothing.
    np.testing.assert_allclose(refit.params.note_intercepts, full.params.note_intercepts, atol=1e-6)


def test_diamond_needs_one_factor() -> None:
    from bridgewatch.errors import ConfigError

    with pytest.raises(ConfigError) as err:
        MFConfig(diamond_lambda=0.5, n_factors=2)
    assert err.value.field == "diamond_lambda"


def test_two_solver_threads_give_the_bits_of_one_with_the_diamond(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from bridgewatch.scoring.mf import _engines

    prob = two_camps(11, n_notes=40, n_raters=60)
    weights = np.random.default_rng(3).uniform(0.5, 2.0, prob.values.size)
    cfg = MFConfig(diamond_lambda=0.75)
    serial = _fit(prob, cfg, seed=4, weights=weights)
    monkeypatch.setattr(_engines, "PARALLEL_MIN_RATINGS", 1)
    threaded = _fit(prob, cfg, seed=4, weights=weights)
    for name in ("note_intercepts", "note_factors", "rater_intercepts", "rater_factors"):
        assert np.array_equal(getattr(serial.params, name), getattr(threaded.params, name))
    assert serial.loss == threaded.loss
