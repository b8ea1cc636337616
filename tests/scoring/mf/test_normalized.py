"""Group 14's normalized two-stage fit (multimodel §4.2): weights, stages, the final quirk."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bridgewatch.errors import ConfigError, InputError
from bridgewatch.scoring.mf import (
    MFConfig,
    MFInit,
    MFParams,
    MFResult,
    NormalizedLossConfig,
    fit_mf,
    fit_note_params,
    fit_note_params_normalized,
    fit_with_stable_init,
    identify_signs,
    mf_objective,
    normalized_loss_weights,
)
from tests.scoring.mf.helpers import Problem, adam_reference_fit, two_camps

GROUP_14 = MFConfig(
    rater_factor_lambda=0.0075,
    note_factor_lambda=0.01,
    rater_intercept_lambda=0.15,
    note_intercept_lambda=0.9,
    global_intercept_lambda=0.15,
    diamond_lambda=0.75,
    normalized_loss=NormalizedLossConfig(),
)
UNIT_WEIGHTS = NormalizedLossConfig(global_sign_norm=False, rater_norm_exponent=0.0)


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


# --- weights --------------------------------------------------------------------------


def test_weights_by_hand() -> None:
    # Raters 0 and 1 have f_u > 0, rater 2 not: P = 3 ratings, N = 1. Global sign norm:
    # positive weights × 1/3 -> (1/3, 1/3, 1/3, 1), total 2, rescaled × 4/2 -> (2/3 ×3, 2).
    # Rater norm: × (rater's total)^−0.25 with totals 4/3, 2/3 and 2.
    note_idx = np.array([0, 1, 0, 1])
    rater_idx = np.array([0, 0, 1, 2])
    rf = np.array([[1.0], [0.5], [-1.0]])
    w = normalized_loss_weights(note_idx, rater_idx, rf, n_notes=2, config=NormalizedLossConfig())
    expected = [
        2 / 3 * (4 / 3) ** -0.25,
        2 / 3 * (4 / 3) ** -0.25,
        2 / 3 * (2 / 3) ** -0.25,
        2 * 2**-0.25,
    ]
    np.testing.assert_allclose(w, expected, rtol=1e-15)
    only_sign = normalized_loss_weights(
        note_idx,
        rater_idx,
        rf,
        n_notes=2,
        config=NormalizedLossConfig(rater_norm_exponent=0.0),
    )
    np.testing.assert_allclose(only_sign, [2 / 3, 2 / 3, 2 / 3, 2.0], rtol=1e-15)
    assert only_sign.sum() == pytest.approx(4.0)


def _reference_weights(
    notes: list[int], raters: list[int], factor: dict[int, float], cfg: NormalizedLossConfig
) -> list[float]:
    """The reference's NormalizedLoss group-bys, written out with dicts and loops."""
    w = [1.0] * len(notes)
    pos = [factor[r] > 0 for r in raters]

    def totals(keys: list[int], mask: list[bool] | None = None) -> dict[int, float]:
        out: dict[int, float] = defaultdict(float)
        for j, key in enumerate(keys):
            if mask is None or mask[j]:
                out[key] += w[j]
        return out

    if cfg.note_sign_alpha is not None:
        alpha = cfg.note_sign_alpha
        orig = totals(notes)
        p_tot = totals(notes, pos)
        n_tot = totals(notes, [not p for p in pos])
        for j, n in enumerate(notes):
            if pos[j] and n in p_tot and n in n_tot:
                w[j] *= (alpha + n_tot[n]) / (alpha + p_tot[n])
        new = totals(notes)
        w = [w[j] / new[n] * orig[n] for j, n in enumerate(notes)]
    if cfg.global_sign_norm:
        orig_total = sum(w)
        n_pos = sum(pos)
        n_neg = len(pos) - n_pos
        w = [w[j] * (n_neg / n_pos) if pos[j] else w[j] for j in range(len(w))]
        new_total = sum(w)
        w = [x * orig_total / new_total for x in w]
    if cfg.note_norm_exponent:
        t = totals(notes)
        w = [w[j] * t[n] ** cfg.note_norm_exponent for j, n in enumerate(notes)]
    if cfg.rater_norm_exponent:
        t = totals(raters)
        w = [w[j] * t[r] ** cfg.rater_norm_exponent for j, r in enumerate(raters)]
    return w


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    alpha=st.sampled_from([None, 0.0, 1.0, 3.5]),
    note_exp=st.sampled_from([0.0, -0.5, 0.25]),
    rater_exp=st.sampled_from([0.0, -0.25, -1.0]),
    global_sign=st.booleans(),
)
def test_weights_match_the_reference_group_bys(
    seed: int, alpha: float | None, note_exp: float, rater_exp: float, global_sign: bool
) -> None:
    rng = np.random.default_rng(seed)
    n_notes, n_raters, n = 7, 9, 60
    note_idx = rng.integers(0, n_notes, n)
    rater_idx = rng.integers(0, n_raters, n)
    rf = rng.normal(size=(n_raters, 1))
    rf[0, 0] = rf[1, 0] = 1.0
    rf[2, 0] = 0.0  # f_u = 0 counts as the non-positive side
    rater_idx[:3] = [0, 1, 2]
    rf[rng.integers(0, n_raters)] = -1.0
    cfg = NormalizedLossConfig(
        global_sign_norm=global_sign,
        rater_norm_exponent=rater_exp,
        note_norm_exponent=note_exp,
        note_sign_alpha=alpha,
    )
    w = normalized_loss_weights(note_idx, rater_idx, rf, n_notes=n_notes, config=cfg)
    factor = {r: float(rf[r, 0]) for r in range(n_raters)}
    expected = _reference_weights(note_idx.tolist(), rater_idx.tolist(), factor, cfg)
    np.testing.assert_allclose(w, expected, rtol=1e-12)
    # Relabelling the ratings' order permutes the weights.
    perm = rng.permutation(n)
    w_perm = normalized_loss_weights(
        note_idx[perm], rater_idx[perm], rf, n_notes=n_notes, config=cfg
    )
    np.testing.assert_allclose(w_perm, w[perm], rtol=1e-12)


def test_one_sided_factors_leave_the_sign_step_out() -> None:
    note_idx = np.array([0, 0, 1])
    rater_idx = np.array([0, 1, 1])
    cfg = NormalizedLossConfig(rater_norm_exponent=0.0)
    for sign in (1.0, -1.0):  # all positive (reference: NaN weights) or all non-positive
        rf = np.array([[sign], [2 * sign]])
        w = normalized_loss_weights(note_idx, rater_idx, rf, n_notes=2, config=cfg)
        np.testing.assert_array_equal(w, np.ones(3))


def test_weights_need_finite_factors_for_every_rater_with_ratings() -> None:
    rf = np.array([[1.0], [np.nan], [np.nan]])
    with pytest.raises(InputError) as err:
        normalized_loss_weights(
            np.array([0, 0]), np.array([0, 1]), rf, n_notes=1, config=NormalizedLossConfig()
        )
    assert err.value.field == "rater_factors" and "row 1" in str(err.value)


def test_config_checks_name_the_field() -> None:
    bad: tuple[tuple[str, Any], ...] = (
        ("rater_norm_exponent", float("nan")),
        ("note_norm_exponent", float("inf")),
        ("note_sign_alpha", -1.0),
        ("global_sign_norm", 1),
    )
    for field, value in bad:
        with pytest.raises(ConfigError) as err:
            NormalizedLossConfig(**{field: value})
        assert err.value.field == field


# --- the two-stage fit ----------------------------------------------------------------


@pytest.mark.parametrize("with_init", [False, True])
def test_unit_weights_reduce_to_two_plain_fits(with_init: bool) -> None:
    # With every weight 1, stage 2 is the plain fit from the stage-2 start: note factors
    # drawn next from the same rng, note intercepts 0, the call's raters, μ = 0.
    prob = two_camps(6)
    cfg = MFConfig(normalized_loss=UNIT_WEIGHTS)
    plain_cfg = MFConfig()
    init = _fit(prob, plain_cfg, seed=9).params if with_init else None
    two = _fit(prob, cfg, seed=1, init=init)
    rng = np.random.default_rng(1)
    kwargs: dict[str, Any] = {"n_notes": prob.n_notes, "n_raters": prob.n_raters}
    args = (prob.note_idx, prob.rater_idx, prob.values)
    first = fit_mf(*args, **kwargs, config=plain_cfg, init=init, rng=rng)
    stage2_init = (
        MFInit(rater_intercepts=init.rater_intercepts, rater_factors=init.rater_factors)
        if init is not None
        else None
    )
    second = fit_mf(*args, **kwargs, config=plain_cfg, init=stage2_init, rng=rng)
    assert two.stage1 is not None
    np.testing.assert_array_equal(two.stage1.params.note_intercepts, first.params.note_intercepts)
    np.testing.assert_allclose(
        two.params.note_intercepts, second.params.note_intercepts, atol=1e-13
    )
    np.testing.assert_allclose(two.params.rater_factors, second.params.rater_factors, atol=1e-13)
    assert two.params.global_intercept == pytest.approx(second.params.global_intercept, abs=1e-13)
    assert two.loss == pytest.approx(second.loss, abs=1e-14)
    assert two.train_mse == pytest.approx(second.train_mse, abs=1e-14)
    assert two.n_iterations == second.n_iterations


def test_result_reports_the_weighted_loss_and_the_unweighted_mse() -> None:
    prob = two_camps(8, n_notes=30, n_raters=40)
    res = _fit(prob, GROUP_14, seed=2)
    assert res.stage1 is not None and res.stage1.stage1 is None
    assert res.converged and res.stage1.converged
    w = normalized_loss_weights(
        prob.note_idx,
        prob.rater_idx,
        res.stage1.params.rater_factors,
        n_notes=prob.n_notes,
        config=GROUP_14.normalized_loss or NormalizedLossConfig(),
    )
    assert not np.allclose(w, 1.0)
    args = (prob.note_idx, prob.rater_idx, prob.values)
    weighted = mf_objective(*args, params=res.params, config=GROUP_14, weights=w)
    unweighted = mf_objective(*args, params=res.params, config=GROUP_14)
    assert res.loss == pytest.approx(weighted.loss, abs=1e-13)
    assert res.train_mse == pytest.approx(unweighted.train_mse, abs=1e-14)
    assert res.train_mse != pytest.approx(weighted.train_mse, abs=1e-6)


def test_global_sign_norm_gives_each_side_half_the_weight() -> None:
    # N/P on the positive side, then × |R|/(2N): each side totals |R|/2, so the weights do
    # not depend on which side sign identification calls negative (unless some f_u = 0).
    prob = two_camps(9)
    res = _fit(prob, MFConfig(normalized_loss=NormalizedLossConfig(rater_norm_exponent=0.0)))
    assert res.stage1 is not None
    rf = res.stage1.params.rater_factors
    assert np.mean(rf[:, 0] < 0) >= 0.5  # stage 1 was sign-identified
    nl = NormalizedLossConfig(rater_norm_exponent=0.0)
    w = normalized_loss_weights(prob.note_idx, prob.rater_idx, rf, n_notes=prob.n_notes, config=nl)
    pos = rf[prob.rater_idx, 0] > 0
    assert w[pos].sum() == pytest.approx(prob.values.size / 2)
    assert w[~pos].sum() == pytest.approx(prob.values.size / 2)
    flipped = normalized_loss_weights(
        prob.note_idx, prob.rater_idx, -rf, n_notes=prob.n_notes, config=nl
    )
    np.testing.assert_allclose(flipped, w, rtol=1e-14)


def test_same_seed_same_bits_and_engines_agree() -> None:
    prob = two_camps(10, n_notes=25, n_raters=30)
    a = _fit(prob, GROUP_14, seed=5)
    b = _fit(prob, GROUP_14, seed=5)
    for x, y in zip(dataclasses.astuple(a.params), dataclasses.astuple(b.params), strict=True):
        np.testing.assert_array_equal(x, y)
    assert a.loss == b.loss
    c = _fit(prob, GROUP_14, seed=5, engine="numpy")
    np.testing.assert_allclose(a.params.note_intercepts, c.params.note_intercepts, atol=1e-8)
    assert a.loss == pytest.approx(c.loss, abs=1e-11)


@pytest.mark.parametrize("seed", [0, 1])
def test_group14_fit_reaches_the_basin_of_the_reference_optimiser(seed: int) -> None:
    # The reference's procedure, emulated: Adam (lr 0.02) stage 1, weights from its
    # sign-identified rater factors, Adam stage 2 with those weights from a new random start.
    # ALS polished from where Adam stops must land on fit_mf's stage-2 optimum.
    prob = two_camps(seed, n_notes=40, n_raters=60)
    plain = dataclasses.replace(GROUP_14, normalized_loss=None)
    ours = _fit(prob, GROUP_14, seed=seed)
    stage1 = identify_signs(adam_reference_fit(prob, plain, lr=0.02, seed=seed))
    w = normalized_loss_weights(
        prob.note_idx,
        prob.rater_idx,
        stage1.rater_factors,
        n_notes=prob.n_notes,
        config=NormalizedLossConfig(),
    )
    stage2 = adam_reference_fit(prob, plain, lr=0.02, seed=seed + 100, weights=w)
    polished = _fit(prob, plain, init=stage2, weights=w)
    assert ours.loss == pytest.approx(polished.loss, abs=1e-12)
    np.testing.assert_allclose(
        ours.params.note_intercepts, polished.params.note_intercepts, atol=1e-8
    )


def test_bad_calls_name_the_field() -> None:
    prob = two_camps(1)
    args = (prob.note_idx, prob.rater_idx, prob.values)
    kwargs: dict[str, Any] = {"n_notes": prob.n_notes, "n_raters": prob.n_raters}
    with pytest.raises(InputError) as err:
        fit_mf(*args, **kwargs, config=GROUP_14)
    assert err.value.field == "rng"
    with pytest.raises(InputError) as err:
        fit_mf(
            *args,
            **kwargs,
            config=GROUP_14,
            rng=np.random.default_rng(0),
            weights=np.ones(prob.values.size),
        )
    assert err.value.field == "weights"


def test_stable_init_passes_its_rng_to_a_normalized_full_fit() -> None:
    prob = two_camps(2, n_notes=20, n_raters=24)
    stable = (prob.note_idx < 10) & (prob.rater_idx < 12)
    res = fit_with_stable_init(
        prob.note_idx,
        prob.rater_idx,
        prob.values,
        stable=stable,
        n_notes=prob.n_notes,
        n_raters=prob.n_raters,
        rng=np.random.default_rng(0),
        config=MFConfig(normalized_loss=NormalizedLossConfig()),
    )
    assert res.full.stage1 is not None and res.stable.stage1 is not None
    assert np.all(np.isfinite(res.full.params.note_intercepts))


# --- final scoring: the as-coded quirk ------------------------------------------------


def _frozen(prob: Problem) -> MFParams:
    return _fit(prob, MFConfig(), seed=3).params


def test_final_note_fit_trains_raters_and_mu_in_stage_2() -> None:
    prob = two_camps(12, n_notes=30, n_raters=40)
    cfg = MFConfig(normalized_loss=NormalizedLossConfig())  # smooth, to check stationarity
    frozen = _frozen(prob)
    args = (prob.note_idx, prob.rater_idx, prob.values)
    kwargs: dict[str, Any] = {
        "n_notes": prob.n_notes,
        "rater_intercepts": frozen.rater_intercepts,
        "rater_factors": frozen.rater_factors,
        "global_intercept": frozen.global_intercept,
        "note_ratio": 9.0,
    }
    res = fit_note_params_normalized(*args, **kwargs, config=cfg, rng=np.random.default_rng(0))
    # Stage 1 is the ordinary frozen note fit.
    plain = fit_note_params(*args, **kwargs, config=MFConfig())
    assert res.stage1 is not None
    np.testing.assert_array_equal(res.stage1.params.note_intercepts, plain.params.note_intercepts)
    np.testing.assert_array_equal(res.stage1.params.rater_factors, frozen.rater_factors)
    # Stage 2 moved the "frozen" raters and μ.
    assert np.max(np.abs(res.params.rater_intercepts - frozen.rater_intercepts)) > 1e-3
    assert res.params.global_intercept != pytest.approx(frozen.global_intercept, abs=1e-4)
    # ... to a stationary point of the weighted loss: notes in ratio mode, raters in mean mode.
    w = normalized_loss_weights(
        prob.note_idx,
        prob.rater_idx,
        frozen.rater_factors,
        n_notes=prob.n_notes,
        config=NormalizedLossConfig(),
    )

    def loss_at(p: MFParams) -> float:
        obj = mf_objective(*args, params=p, config=cfg, note_ratio=9.0, weights=w)
        return obj.loss

    p = res.params
    assert loss_at(p) == pytest.approx(res.loss, abs=1e-13)
    h = 1e-6
    for j in (0, 7, 21):
        for field in ("rater_intercepts", "note_intercepts"):
            up = getattr(p, field).copy()
            dn = up.copy()
            up[j] += h
            dn[j] -= h
            grad = (
                loss_at(dataclasses.replace(p, **{field: up}))
                - loss_at(dataclasses.replace(p, **{field: dn}))
            ) / (2 * h)
            assert abs(grad) < 1e-7
    mu = p.global_intercept
    g_mu = (
        loss_at(dataclasses.replace(p, global_intercept=mu + h))
        - loss_at(dataclasses.replace(p, global_intercept=mu - h))
    ) / (2 * h)
    assert abs(g_mu) < 1e-7
    # fit_note_params dispatches to it, and it is fit_mf with both freezes set.
    via = fit_note_params(*args, **kwargs, config=cfg, rng=np.random.default_rng(0))
    np.testing.assert_array_equal(via.params.note_intercepts, res.params.note_intercepts)
    direct = fit_mf(
        *args,
        n_notes=prob.n_notes,
        n_raters=prob.n_raters,
        config=cfg,
        init=MFInit(
            note_intercepts=np.zeros(prob.n_notes),
            note_factors=np.zeros((prob.n_notes, 1)),
            rater_intercepts=frozen.rater_intercepts,
            rater_factors=frozen.rater_factors,
            global_intercept=frozen.global_intercept,
        ),
        freeze_raters=True,
        freeze_global=True,
        note_ratio=9.0,
        sign_identify=False,
        rng=np.random.default_rng(0),
    )
    np.testing.assert_array_equal(direct.params.rater_factors, res.params.rater_factors)


def test_final_note_fit_with_the_group14_config_is_deterministic() -> None:
    prob = two_camps(13, n_notes=30, n_raters=40)
    frozen = _frozen(prob)
    kwargs: dict[str, Any] = {
        "n_notes": prob.n_notes,
        "rater_intercepts": frozen.rater_intercepts,
        "rater_factors": frozen.rater_factors,
        "global_intercept": frozen.global_intercept,
        "config": GROUP_14,
        "note_ratio": 9.0,
    }
    args = (prob.note_idx, prob.rater_idx, prob.values)
    a = fit_note_params(*args, **kwargs, rng=np.random.default_rng(7))
    b = fit_note_params(*args, **kwargs, rng=np.random.default_rng(7))
    np.testing.assert_array_equal(a.params.note_intercepts, b.params.note_intercepts)
    assert a.converged and np.all(np.isfinite(a.params.note_intercepts))
    with pytest.raises(InputError) as err:
        fit_note_params(*args, **kwargs)
    assert err.value.field == "rng"
    with pytest.raises(ConfigError) as cerr:
        fit_note_params_normalized(
            *args,
            n_notes=prob.n_notes,
            rater_intercepts=frozen.rater_intercepts,
            rater_factors=frozen.rater_factors,
            global_intercept=frozen.global_intercept,
            config=MFConfig(),
            rng=np.random.default_rng(0),
        )
    assert cerr.value.field == "normalized_loss"


def test_pseudo_raters_refuse_the_variants_no_scorer_combines_them_with() -> None:
    from bridgewatch.scoring.mf import pseudo_rater_bounds

    prob = two_camps(14)
    frozen = _frozen(prob)
    for cfg, field in (
        (MFConfig(diamond_lambda=0.75), "diamond_lambda"),
        (MFConfig(normalized_loss=NormalizedLossConfig()), "normalized_loss"),
    ):
        with pytest.raises(ConfigError) as err:
            pseudo_rater_bounds(
                prob.note_idx,
                prob.rater_idx,
                prob.values,
                n_notes=prob.n_notes,
                rater_intercepts=frozen.rater_intercepts,
                rater_factors=frozen.rater_factors,
                global_intercept=frozen.global_intercept,
                config=cfg,
            )
        assert err.value.field == field
