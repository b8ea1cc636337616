"""Tests of the note-only fit and pseudo-rater bounds (scoring-core.md §5.2, §5.3, §12)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from scipy.optimize import minimize

from bridgewatch.errors import ConfigError, InputError
from bridgewatch.scoring.mf import MFConfig, fit_mf, fit_note_params, pseudo_rater_bounds
from bridgewatch.scoring.mf.config import AdamConfig
from bridgewatch.scoring.mf.note_fit import fit_frozen_notes
from bridgewatch.scoring.mf.params import MFInit
from tests.scoring.mf.helpers import Problem, two_camps


def _frozen(prob: Problem, seed: int = 0) -> tuple[np.ndarray, np.ndarray, float]:
    rng = np.random.default_rng(seed)
    return (
        rng.normal(0.0, 0.2, prob.n_raters),
        rng.normal(0.0, 0.8, (prob.n_raters, 1)),
        float(rng.normal(0.1, 0.05)),
    )


def test_two_rater_note_matches_the_hand_solution() -> None:
    # min (1 − i − f)² + (0 − i + f)² + .15 i² + .03 f² (ρ = 1):
    # 4.3 i = 2 and 4.06 f = 2.
    res = fit_note_params(
        np.array([0, 0]),
        np.array([0, 1]),
        np.array([1.0, 0.0]),
        n_notes=1,
        rater_intercepts=np.zeros(2),
        rater_factors=np.array([[1.0], [-1.0]]),
        global_intercept=0.0,
        note_ratio=1.0,
    )
    assert res.params.note_intercepts[0] == pytest.approx(2 / 4.3, abs=1e-14)
    assert res.params.note_factors[0, 0] == pytest.approx(2 / 4.06, abs=1e-14)
    assert res.n_iterations == 1 and res.converged


@pytest.mark.parametrize("ratio", [None, 3.0, 25.0])
def test_note_fit_is_the_per_note_optimum(ratio: float | None) -> None:
    prob = two_camps(5)
    ri, rf, mu = _frozen(prob)
    res = fit_note_params(
        prob.note_idx,
        prob.rater_idx,
        prob.values,
        n_notes=prob.n_notes,
        rater_intercepts=ri,
        rater_factors=rf,
        global_intercept=mu,
        note_ratio=ratio,
    )
    n_r = prob.values.size
    lam_i = 0.15 * (ratio if ratio is not None else n_r / prob.n_notes)
    lam_f = 0.03 * (ratio if ratio is not None else n_r / prob.n_notes)
    for n in range(prob.n_notes):
        sel = prob.note_idx == n
        u = prob.rater_idx[sel]
        y = prob.values[sel]

        def j(x: np.ndarray, u: np.ndarray = u, y: np.ndarray = y) -> float:
            e = y - mu - ri[u] - x[0] - rf[u, 0] * x[1]
            return float(np.sum(e**2) + lam_i * x[0] ** 2 + lam_f * x[1] ** 2)

        opt = minimize(j, np.zeros(2), method="BFGS", options={"gtol": 1e-12})
        assert res.params.note_intercepts[n] == pytest.approx(opt.x[0], abs=1e-6)
        assert res.params.note_factors[n, 0] == pytest.approx(opt.x[1], abs=1e-6)


def test_note_fit_equals_fit_mf_with_frozen_raters_and_engines_agree() -> None:
    prob = two_camps(8)
    ri, rf, mu = _frozen(prob, 1)
    kwargs: dict[str, Any] = {
        "rater_intercepts": ri,
        "rater_factors": rf,
        "global_intercept": mu,
        "note_ratio": 7.0,
    }
    fast = fit_note_params(
        prob.note_idx, prob.rater_idx, prob.values, n_notes=prob.n_notes, **kwargs
    )
    slow = fit_note_params(
        prob.note_idx,
        prob.rater_idx,
        prob.values,
        n_notes=prob.n_notes,
        engine="numpy",
        **kwargs,
    )
    np.testing.assert_allclose(fast.params.note_intercepts, slow.params.note_intercepts, atol=1e-13)
    # The same optimum as a full ALS run with raters and μ frozen (from a random start).
    als = fit_mf(
        prob.note_idx,
        prob.rater_idx,
        prob.values,
        n_notes=prob.n_notes,
        n_raters=prob.n_raters,
        init=MFInit(rater_intercepts=ri, rater_factors=rf, global_intercept=mu),
        freeze_raters=True,
        freeze_global=True,
        note_ratio=7.0,
        sign_identify=False,
        rng=np.random.default_rng(3),
    )
    np.testing.assert_allclose(als.params.note_factors, fast.params.note_factors, atol=1e-13)
    np.testing.assert_array_equal(fast.params.rater_intercepts, ri)
    assert fast.params.global_intercept == mu


@pytest.mark.parametrize(
    ("ratio", "weighted", "config"),
    [
        (7.0, False, MFConfig()),
        (None, True, MFConfig()),
        (4.0, True, MFConfig(diamond_lambda=0.02)),
        (4.0, False, MFConfig(use_global_intercept=False)),
    ],
)
def test_the_frozen_note_sweep_gives_the_note_fits_bits(
    ratio: float | None, weighted: bool, config: MFConfig
) -> None:
    # A few notes' ratings in a large rater index (a live pass): the sweep alone, on the
    # rows of those raters, gives fit_note_params' note parameters bit for bit; notes
    # without ratings have none.
    prob = two_camps(8, n_notes=12, n_raters=16)
    big = 1000
    rows = np.random.default_rng(4).permutation(big)[: prob.n_raters]  # spread over the index
    ri = np.full(big, np.nan)
    rf = np.full((big, 1), np.nan)
    small_ri, small_rf, mu = _frozen(prob, 2)
    ri[rows], rf[rows] = small_ri, small_rf
    keep = prob.note_idx != 3  # note 3 has no ratings
    note_idx, rater_idx, values = prob.note_idx[keep], rows[prob.rater_idx[keep]], prob.values[keep]
    weights = np.random.default_rng(6).uniform(0.1, 1.0, values.shape[0]) if weighted else None
    kwargs: dict[str, Any] = {
        "n_notes": prob.n_notes,
        "rater_intercepts": ri,
        "rater_factors": rf,
        "global_intercept": mu,
        "config": config,
        "note_ratio": ratio,
        "weights": weights,
    }
    ints, facs = fit_frozen_notes(note_idx, rater_idx, values, **kwargs)
    full = fit_note_params(note_idx, rater_idx, values, **kwargs)
    np.testing.assert_array_equal(ints, full.params.note_intercepts)
    np.testing.assert_array_equal(facs, full.params.note_factors)
    assert np.isnan(ints[3]) and np.isnan(facs[3]).all()
    assert np.isfinite(np.delete(ints, 3)).all()
    # and the index-sized fit (no compaction) agrees with both to rounding
    init = MFInit(
        rater_intercepts=np.nan_to_num(ri),
        rater_factors=np.nan_to_num(rf),
        global_intercept=mu if config.use_global_intercept else None,
    )
    whole = fit_mf(
        note_idx, rater_idx, values, n_notes=prob.n_notes, n_raters=big, config=config, init=init,
        freeze_raters=True, freeze_global=True, note_ratio=ratio, sign_identify=False,
        weights=weights, rng=np.random.default_rng(3),
    )  # fmt: skip
    np.testing.assert_allclose(ints, whole.params.note_intercepts, rtol=0, atol=1e-13)


def test_the_frozen_note_sweep_on_few_of_the_notes_gives_the_same_bits() -> None:
    # Ratings on 16 of 40 notes (a topic scorer's fit in a batch run): fit_mf runs the notes
    # on compact rows, whose error sums numpy adds in other pairs than over the whole
    # index; the sweep must do the same to give the same last bits (this case differs in
    # the last bit of a note intercept without it).
    prob = two_camps(113, n_notes=40, n_raters=30)
    keep = prob.note_idx < 16
    note_idx = (2 * prob.note_idx[keep]).astype(np.int64)  # rows 0, 2, ..., 30 of 40
    rng = np.random.default_rng(113)
    kwargs: dict[str, Any] = {
        "n_notes": 40,
        "rater_intercepts": rng.normal(0.0, 0.2, prob.n_raters),
        "rater_factors": rng.normal(0.0, 0.8, (prob.n_raters, 1)),
        "global_intercept": 0.1,
        "config": MFConfig(),
        "note_ratio": 5.0,
    }
    args = (note_idx, prob.rater_idx[keep], prob.values[keep])
    ints, facs = fit_frozen_notes(*args, **kwargs)
    full = fit_note_params(*args, **kwargs)
    np.testing.assert_array_equal(ints, full.params.note_intercepts)
    np.testing.assert_array_equal(facs, full.params.note_factors)
    assert np.isfinite(ints).sum() == 16


def test_the_frozen_note_sweep_rejects_bad_input_and_other_fits() -> None:
    prob = two_camps(2)
    ri, rf, mu = _frozen(prob)
    args = (prob.note_idx, prob.rater_idx, prob.values)
    kw: dict[str, Any] = {"rater_intercepts": ri, "rater_factors": rf, "global_intercept": mu}
    with pytest.raises(InputError, match="indexes must lie"):
        fit_frozen_notes(*args, n_notes=1, config=MFConfig(), **kw)
    bad = ri.copy()
    bad[prob.rater_idx[0]] = np.nan
    with pytest.raises(InputError, match="no finite frozen parameters"):
        fit_frozen_notes(
            *args, n_notes=prob.n_notes, config=MFConfig(), **{**kw, "rater_intercepts": bad}
        )
    with pytest.raises(ConfigError, match="adam"):
        fit_frozen_notes(*args, n_notes=prob.n_notes, config=MFConfig(adam=AdamConfig()), **kw)


def test_note_fit_rejects_ratings_from_raters_without_params() -> None:
    prob = two_camps(2)
    ri, rf, mu = _frozen(prob)
    ri[prob.rater_idx[0]] = np.nan
    with pytest.raises(InputError, match="no finite frozen parameters"):
        fit_note_params(
            prob.note_idx,
            prob.rater_idx,
            prob.values,
            n_notes=prob.n_notes,
            rater_intercepts=ri,
            rater_factors=rf,
            global_intercept=mu,
        )


def test_pseudo_rater_bounds_equal_refits_with_explicit_pseudo_ratings() -> None:
    prob = two_camps(4, n_notes=10, n_raters=14)
    ri, rf, mu = _frozen(prob, 2)
    bounds = pseudo_rater_bounds(
        prob.note_idx,
        prob.rater_idx,
        prob.values,
        n_notes=prob.n_notes,
        rater_intercepts=ri,
        rater_factors=rf,
        global_intercept=mu,
    )
    assert bounds.pseudo_rater_intercept == ri.min()
    np.testing.assert_array_equal(bounds.pseudo_rater_factors, [rf.min(), 0.0, rf.max()])
    # Independent route: append each pseudo-rater as a real rater with a 1.0 rating on every
    # note and refit in mean mode.
    fits = []
    orig = fit_note_params(
        prob.note_idx,
        prob.rater_idx,
        prob.values,
        n_notes=prob.n_notes,
        rater_intercepts=ri,
        rater_factors=rf,
        global_intercept=mu,
    )
    fits.append(orig.params)
    for fp in bounds.pseudo_rater_factors:
        notes = np.arange(prob.n_notes)
        fit = fit_note_params(
            np.concatenate((prob.note_idx, notes)),
            np.concatenate((prob.rater_idx, np.full(prob.n_notes, prob.n_raters))),
            np.concatenate((prob.values, np.ones(prob.n_notes))),
            n_notes=prob.n_notes,
            rater_intercepts=np.append(ri, ri.min()),
            rater_factors=np.vstack((rf, [[fp]])),
            global_intercept=mu,
        )
        fits.append(fit.params)
    ints = np.stack([p.note_intercepts for p in fits])
    facs = np.stack([p.note_factors[:, 0] for p in fits])
    np.testing.assert_allclose(bounds.intercept_refit_orig, ints[0], atol=1e-13)
    np.testing.assert_allclose(bounds.factor_refit_orig, facs[0], atol=1e-13)
    np.testing.assert_allclose(bounds.intercept_max, ints.max(axis=0), atol=1e-13)
    np.testing.assert_allclose(bounds.intercept_min, ints.min(axis=0), atol=1e-13)
    np.testing.assert_allclose(bounds.intercept_median, np.median(ints, axis=0), atol=1e-13)
    np.testing.assert_allclose(bounds.factor_max, facs.max(axis=0), atol=1e-13)
    np.testing.assert_allclose(bounds.factor_median, np.median(facs, axis=0), atol=1e-13)
    slow = pseudo_rater_bounds(
        prob.note_idx,
        prob.rater_idx,
        prob.values,
        n_notes=prob.n_notes,
        rater_intercepts=ri,
        rater_factors=rf,
        global_intercept=mu,
        engine="numpy",
    )
    np.testing.assert_allclose(slow.intercept_max, bounds.intercept_max, atol=1e-12)
    # A helpful pseudo-rating can only raise the best-case intercept above refit_orig.
    assert np.all(bounds.intercept_max >= bounds.intercept_refit_orig)


def test_pseudo_rater_counts_split_by_rater_factor_sign() -> None:
    bounds = pseudo_rater_bounds(
        np.array([0, 0, 0, 1, 1]),
        np.array([0, 1, 2, 0, 2]),
        np.array([1.0, 0.0, 0.5, 1.0, 1.0]),
        n_notes=3,
        rater_intercepts=np.array([0.1, -0.2, 0.0, 5.0]),
        rater_factors=np.array([[-0.5], [0.7], [0.0], [9.0]]),
        global_intercept=0.1,
    )
    np.testing.assert_array_equal(bounds.rating_count_all, [3, 2, 0])
    np.testing.assert_array_equal(bounds.rating_count_neg_fac, [1, 1, 0])
    np.testing.assert_array_equal(bounds.rating_count_pos_fac, [1, 0, 0])
    # Rater 3 has no ratings here, so it does not set the extremes.
    assert bounds.pseudo_rater_intercept == -0.2
    np.testing.assert_array_equal(bounds.pseudo_rater_factors, [-0.5, 0.0, 0.7])
    assert np.isnan(bounds.intercept_max[2]) and np.isfinite(bounds.intercept_max[1])


def test_pseudo_rater_bounds_need_one_factor() -> None:
    with pytest.raises(ConfigError, match="n_factors"):
        pseudo_rater_bounds(
            np.array([0]),
            np.array([0]),
            np.array([1.0]),
            n_notes=1,
            rater_intercepts=np.zeros(1),
            rater_factors=np.zeros((1, 2)),
            global_intercept=0.0,
            config=MFConfig(n_factors=2),
        )
