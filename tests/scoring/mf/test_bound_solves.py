"""The pseudo-rater bounds' per-note solves and spread in numba loops (bounds_from_grams engine
"numba") equal the batched numpy solves ("numpy") to rounding, and a hand-solved note."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bridgewatch.scoring.mf import MFConfig
from bridgewatch.scoring.mf._numba import spread_of_four
from bridgewatch.scoring.mf.note_fit import BoundGrams, PseudoRaterScale, bounds_from_grams

_FIELDS = (
    "intercept_max",
    "intercept_min",
    "intercept_median",
    "factor_max",
    "factor_min",
    "factor_median",
    "intercept_refit_orig",
    "factor_refit_orig",
)


def _grams(n: int, seed: int) -> BoundGrams:
    rng = np.random.default_rng(seed)
    z = np.stack([np.ones((n, 6)), rng.normal(size=(n, 6))], axis=1)  # (n, 2, 6)
    gram = z @ z.transpose(0, 2, 1)
    rhs = np.einsum("nij,nj->ni", z, rng.normal(size=(n, 6)))
    counts = rng.integers(0, 3, n).astype(np.int64)  # some notes without ratings
    return BoundGrams(gram, rhs, counts, counts // 2, counts - counts // 2, 0.1)


def test_numba_solves_equal_numpy_solves() -> None:
    grams = _grams(500, 1)
    scale = PseudoRaterScale(
        n_ratings=900,
        n_fit_notes=330,
        pseudo_intercept=-0.4,
        pseudo_factors=np.array([-1.3, 0.0, 0.9]),
    )
    fast = bounds_from_grams(grams, scale, MFConfig(), engine="numba")
    slow = bounds_from_grams(grams, scale, MFConfig(), engine="numpy")
    for name in _FIELDS:
        np.testing.assert_allclose(getattr(fast, name), getattr(slow, name), rtol=1e-12, atol=1e-14)
    assert np.isnan(fast.intercept_max[grams.rating_count_all == 0]).all()


def test_one_note_by_hand() -> None:
    # One note, G = [[2, 1], [1, 3]], rhs = (1, 2); |R| = |N| = 1 so the refit penalties
    # are lambda and 2 lambda; pseudo-raters (1, f) with value target = 1 - mu - i_u.
    cfg = MFConfig()
    li, lf = cfg.note_intercept_lambda, cfg.note_factor_lambda
    grams = BoundGrams(
        np.array([[[2.0, 1.0], [1.0, 3.0]]]),
        np.array([[1.0, 2.0]]),
        np.array([2]),
        np.array([1]),
        np.array([1]),
        0.0,
    )
    scale = PseudoRaterScale(
        n_ratings=1, n_fit_notes=1, pseudo_intercept=0.5, pseudo_factors=np.array([-1.0, 0, 1])
    )
    out = bounds_from_grams(grams, scale, cfg, engine="numba")
    expect_i, expect_f = [], []
    for g, b in [
        (np.array([[2 + li, 1.0], [1.0, 3 + lf]]), np.array([1.0, 2.0])),
        *[
            (
                np.array([[3 + 2 * li, 1 + f], [1 + f, 3 + f * f + 2 * lf]]),
                np.array([1 + 0.5, 2 + 0.5 * f]),
            )
            for f in (-1.0, 0.0, 1.0)
        ],
    ]:
        x = np.linalg.solve(g, b)
        expect_i.append(x[0])
        expect_f.append(x[1])
    assert out.intercept_refit_orig[0] == pytest.approx(expect_i[0], rel=1e-13)
    assert out.factor_refit_orig[0] == pytest.approx(expect_f[0], rel=1e-13)
    assert out.intercept_max[0] == pytest.approx(max(expect_i), rel=1e-13)
    assert out.intercept_min[0] == pytest.approx(min(expect_i), rel=1e-13)
    assert out.factor_median[0] == pytest.approx(float(np.median(expect_f)), rel=1e-13)


def test_unknown_engine() -> None:
    scale = PseudoRaterScale(1, 1, 0.0, np.zeros(3))
    with pytest.raises(ValueError, match="engine"):
        bounds_from_grams(_grams(3, 0), scale, MFConfig(), engine="lapack")


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.lists(
            st.one_of(
                st.floats(-3, 3, allow_nan=False), st.sampled_from([0.5, -1.25, float("nan")])
            ),
            min_size=4,
            max_size=4,
        ),
        min_size=1,
        max_size=30,
    )
)
def test_the_spread_of_four_fits_is_numpys_max_min_and_median(columns: list[list[float]]) -> None:
    block = np.array(columns, dtype=np.float64).T.copy()
    out = np.empty((3, block.shape[1]))
    spread_of_four(block, out)
    with np.errstate(invalid="ignore"):
        want = np.stack([block.max(axis=0), block.min(axis=0), np.median(block, axis=0)])
    np.testing.assert_array_equal(out, want)
