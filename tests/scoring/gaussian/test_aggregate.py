"""The Gaussian aggregation kernel (scoring-multimodel.md §6.3): hand-checked cases, a dense
numpy twin written from the spec text, and the range of the intercept as a property."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray

from bridgewatch.errors import InputError
from bridgewatch.scoring.gaussian import (
    CRH_PASS,
    CRH_POINTS,
    CRNH_PASS,
    CRNH_POINTS,
    GaussianConfig,
    GaussianPassConfig,
    aggregate_gaussian,
    gaussian_pass,
    kernel_table,
)
from bridgewatch.scoring.gaussian import aggregate as aggregate_module

F = NDArray[np.float64]

# One evaluation point and row-normalized kernels: every rating weighs exactly 1 there, so
# the pass is the plain weighted mean V/W, and a near-zero prior weight leaves it untouched.
ONE_POINT = GaussianPassConfig(
    points=(0.0,),
    smoothing_weight=1e-12,
    weight_floor=0.0,
    clip_lo=1e-6,
    clip_hi=1.0,
)


def run_pass(
    rows: list[tuple[int, float, float]], p: GaussianPassConfig, which: str = "crh"
) -> tuple[float, float, bool]:
    """One note, rows (rater, factor, value); returns (score, f-hat, insufficient)."""
    factors = np.array([f for _, f, _ in rows])
    n = len(rows)
    cfg = GaussianConfig(crh=p) if which == "crh" else GaussianConfig(crnh=p)
    score, fhat, insufficient = gaussian_pass(
        np.zeros(n, np.int32),
        np.arange(n, dtype=np.int32),
        np.array([h for _, _, h in rows], np.float32),
        factors,
        n_notes=1,
        config=cfg,
        which=which,
    )
    return float(score[0]), float(fhat[0]), bool(insufficient[0])


def test_points_are_the_reference_grid() -> None:
    assert len(CRH_POINTS) == 50 and len(CRNH_POINTS) == 26
    assert CRH_POINTS == tuple(sorted(CRH_POINTS))
    assert CRH_POINTS[:3] == (-0.92, -0.65, -0.61) and CRH_POINTS[-1] == 0.92
    assert CRNH_POINTS[:4] == (-0.92, -0.61, -0.55, -0.49)
    assert CRNH_POINTS[12:15] == (-0.01, 0.01, 0.07) and CRNH_POINTS[-1] == 0.92


def test_kernel_rows_are_normalized_in_the_crh_pass_only() -> None:
    f = np.array([-0.5, 0.0, 0.3, np.nan])
    crh = kernel_table(f, CRH_PASS)
    crnh = kernel_table(f, CRNH_PASS)
    assert crh.dtype == np.float32 and crh.shape == (4, 50) and crnh.shape == (4, 26)
    np.testing.assert_allclose(crh[:3].sum(axis=1), 1.0, rtol=1e-6)
    d = abs(0.3 - CRNH_POINTS[20])
    expected = np.exp(-0.5 * (d / 0.2) ** 2) / (0.2 * np.sqrt(2 * np.pi))
    assert crnh[2, 20] == pytest.approx(expected, rel=1e-6)
    assert np.isnan(crh[3]).all()


def test_one_sided_factors_leave_too_little_mass_so_the_note_scores_zero() -> None:
    # Every rater near +0.9: no kernel mass at -0.92 in either pass -> both insufficient.
    rows = [(u, 0.85 + 0.01 * u, 1.0) for u in range(8)]
    score, _, insufficient = run_pass(rows, CRH_PASS)
    assert insufficient and score == 0.0
    score, _, insufficient = run_pass(rows, CRNH_PASS, "crnh")
    assert insufficient and score == 0.0
    result = aggregate_gaussian(
        np.zeros(8, np.int32),
        np.arange(8, dtype=np.int32),
        np.ones(8, np.float32),
        np.array([f for _, f, _ in rows]),
        n_notes=2,
    )
    assert result.intercept[0] == 0.0
    assert np.isnan(result.intercept[1])  # no rows: no value


def test_sparse_side_prior_is_a_flat_point_one() -> None:
    # With an overwhelming prior weight the pass returns its prior at every point.
    p = replace(CRH_PASS, smoothing_weight=1e9)
    two_sided = [(u, -0.5, 0.5) for u in range(3)] + [(u + 3, 0.5, 0.5) for u in range(3)]
    one_sided = [(0, -0.5, 0.5), (1, -0.5, 0.5)] + [(u + 2, 0.5, 0.5) for u in range(6)]
    # Somewhat-helpful rows give f-hat = 0, so the factor prior is min(v, v) = 0.35.
    assert run_pass(two_sided, p)[0] == pytest.approx(0.35, rel=1e-6)
    assert run_pass(one_sided, p)[0] == pytest.approx(0.1, rel=1e-6)
    # A zero factor counts for neither side.
    with_zero = [*one_sided, (8, 0.0, 0.5)]
    assert run_pass(with_zero, p)[0] == pytest.approx(0.1, rel=1e-6)


def test_factor_prior_follows_f_hat_and_its_clamp() -> None:
    p = replace(CRH_PASS, smoothing_weight=1e9)
    # Helpful from +0.5 and not helpful from -0.5: f-hat = 0.5; prior_k =
    # max(min(0.25 p_k + 0.35, 0.35), 0.2).
    rows = [(u, 0.5, 1.0) for u in range(3)] + [(u + 3, -0.5, 0.0) for u in range(3)]
    score, fhat, _ = run_pass(rows, p)
    assert fhat == pytest.approx(0.5)
    pts = np.array(CRH_POINTS)
    prior = np.maximum(np.minimum(0.5 * pts / 2 + 0.35, 0.35), 0.2)
    assert score == pytest.approx(np.exp(np.mean(np.log(prior))), rel=1e-6)


def test_unexpected_negative_multiplier() -> None:
    helpful = [(u, 0.5, 1.0) for u in range(4)]
    # Negatives that agree with each other (same factor): sigmoid ~ 0, M = 1.
    expected = [(4, -0.5, 0.0), (5, -0.5, 0.0)]
    score, _, _ = run_pass(helpful + expected, ONE_POINT)
    assert score == pytest.approx(4 / (4 + 2 * 1.75), rel=1e-6)
    # Negatives from both ends (mean 0, |f - m| = 0.5 >> 0.14): sigmoid ~ 1 each,
    # pct = 2/6, M = min(1 + 3 * 2/6, 2) = 2.
    unexpected = [(4, -0.5, 0.0), (5, 0.5, 0.0)]
    score, _, _ = run_pass(helpful + unexpected, ONE_POINT)
    assert score == pytest.approx(4 / (4 + 2 * 2 * 1.75), rel=1e-6)
    # One unexpected pair among many rows: pct = 2/12, M = 1.5.
    more = [(u, 0.5, 1.0) for u in range(10)] + [(10, -0.5, 0.0), (11, 0.5, 0.0)]
    score, _, _ = run_pass(more, ONE_POINT)
    assert score == pytest.approx(10 / (10 + 2 * 1.5 * 1.75), rel=1e-6)


def test_crnh_pass_flips_values_and_treats_helpful_as_negative() -> None:
    p = replace(ONE_POINT, flip_values=True, negative_weight=1.25)
    # Three NOT_HELPFUL (y = 1), one HELPFUL (y = 0, the only "negative": M = 1) and one
    # SOMEWHAT (y = 1 - 0.7 = 0.3).
    rows = [(0, 0.2, 0.0), (1, -0.3, 0.0), (2, 0.4, 0.0), (3, 0.1, 1.0), (4, 0.0, 0.5)]
    score, fhat, _ = run_pass(rows, p, "crnh")
    assert score == pytest.approx((3 + 0.3) / (3 + 1.25 + 1), rel=1e-5)
    # f-hat of the flipped values: h' = 1 - h -> (h' - 0.5) * 2 * f.
    assert fhat == pytest.approx((0.2 - 0.3 + 0.4 - 0.1 + 0) / 5, rel=1e-6)


def test_intercept_takes_the_larger_pass_and_negates_crnh() -> None:
    crh = replace(ONE_POINT, clip_lo=0.05, clip_hi=0.8)
    crnh = replace(ONE_POINT, flip_values=True, clip_lo=0.25, clip_hi=0.65)
    cfg = GaussianConfig(crh=crh, crnh=crnh)
    f = np.array([0.1, -0.1, 0.2, -0.2])
    mostly_not_helpful = np.array([0, 0, 0, 1], np.float32)
    mostly_helpful = np.array([1, 1, 1, 0], np.float32)
    note = np.array([0, 0, 0, 0, 1, 1, 1, 1], np.int32)
    result = aggregate_gaussian(
        note,
        np.array([0, 1, 2, 3, 0, 1, 2, 3], np.int32),
        np.concatenate([mostly_not_helpful, mostly_helpful]),
        f,
        n_notes=2,
        config=cfg,
    )
    assert result.crh_score[0] < result.crnh_score[0]
    assert result.intercept[0] == -result.crnh_score[0]
    assert result.crh_score[1] > result.crnh_score[1]
    assert result.intercept[1] == result.crh_score[1]


def test_author_rows_join_the_crh_pass_only() -> None:
    rng = np.random.default_rng(3)
    n = 40
    f = rng.uniform(-0.9, 0.9, n + 1)
    note = np.zeros(n, np.int32)
    raters = np.arange(n, dtype=np.int32)
    values = rng.choice([0.0, 0.5, 1.0], n).astype(np.float32)
    plain = aggregate_gaussian(note, raters, values, f, n_notes=1)
    with_author = aggregate_gaussian(
        note, raters, values, f, n_notes=1, extra_rater_idx=np.array([n], np.int32)
    )
    assert with_author.crnh_score[0] == plain.crnh_score[0]
    assert with_author.crh_score[0] != plain.crh_score[0]
    # ... exactly as if the author had rated HELPFUL in that pass.
    appended = gaussian_pass(
        np.zeros(n + 1, np.int32),
        np.arange(n + 1, dtype=np.int32),
        np.append(values, np.float32(1.0)),
        f,
        n_notes=1,
        config=GaussianConfig(),
        which="crh",
    )
    assert with_author.crh_score[0] == appended[0][0]
    assert with_author.factor_estimate[0] == appended[1][0]


# --- a dense twin written from the spec text (rows x points, float64) -------------------


def dense_pass(
    note: NDArray[np.int32], f: F, h: F, n_notes: int, cfg: GaussianConfig, p: GaussianPassConfig
) -> F:
    pts = np.array(p.points)
    s = p.bandwidth
    w = np.exp(-0.5 * ((f[:, None] - pts[None, :]) / s) ** 2) / (s * np.sqrt(2 * np.pi))
    if p.normalize_rows:
        w = w / w.sum(axis=1, keepdims=True)
    y = np.where(h == 0.5, p.somewhat_helpful_value, h)
    hp = h
    if p.flip_values:
        y, hp = 1 - y, 1 - h
    c = np.bincount(note, minlength=n_notes).astype(float)
    w0 = np.zeros((n_notes, pts.size))
    np.add.at(w0, note, w)
    neg = h == (1.0 if p.flip_values else 0.0)
    n_neg = np.bincount(note[neg], minlength=n_notes)
    mean = np.bincount(note[neg], weights=f[neg], minlength=n_notes) / np.maximum(n_neg, 1)
    sig = 1 / (1 + np.exp(-cfg.sigmoid_slope * (np.abs(f - mean[note]) - cfg.sigmoid_window)))
    pct = np.bincount(note[neg], weights=sig[neg], minlength=n_notes) / np.maximum(c, 1)
    mult = np.where(n_neg > 0, np.minimum(1 + p.multiplier_slope * pct, p.multiplier_cap), 1)
    w = np.where((y == 0)[:, None], w * (mult[note] * p.negative_weight)[:, None], w)
    big_w = np.zeros_like(w0)
    big_v = np.zeros_like(w0)
    np.add.at(big_w, note, w)
    np.add.at(big_v, note, w * y[:, None])
    fhat = np.bincount(note, weights=(hp - 0.5) * 2 * f, minlength=n_notes) / np.maximum(c, 1)
    prior = np.maximum(
        np.minimum(fhat[:, None] * pts / 2 + p.smoothing_value, p.smoothing_value), p.min_prior
    )
    lo_side = np.bincount(note[f < 0], minlength=n_notes)
    hi_side = np.bincount(note[f > 0], minlength=n_notes)
    sparse = (lo_side < cfg.sparse_side_min_raters) | (hi_side < cfg.sparse_side_min_raters)
    prior[sparse] = cfg.sparse_side_prior
    b = p.adaptive_weight_base
    weight = p.smoothing_weight * np.log(np.maximum(c, b)) / np.log(b)
    mu = (big_v + prior * weight[:, None]) / (big_w + weight[:, None])
    mu = np.clip(mu, p.clip_lo, p.clip_hi)
    score: F = np.exp(np.log(mu).mean(axis=1))
    score[(w0 < p.weight_floor).any(axis=1)] = 0.0
    score[c == 0] = np.nan
    return score


def random_notes(seed: int, n_notes: int = 30) -> tuple[NDArray[np.int32], F, F]:
    rng = np.random.default_rng(seed)
    counts = rng.integers(1, 40, n_notes)
    note = np.repeat(np.arange(n_notes, dtype=np.int32), counts)
    # Per-note lean so that some notes are one-sided, some polarized.
    lean = rng.uniform(-0.6, 0.6, n_notes)
    f = np.clip(lean[note] + rng.normal(0, 0.35, note.size), -1.2, 1.2)
    h = rng.choice([0.0, 0.5, 1.0], note.size, p=[0.35, 0.15, 0.5])
    order = rng.permutation(note.size)  # the kernel must not rely on grouped input
    return note[order], f[order], h[order]


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("which", ["crh", "crnh"])
def test_kernel_matches_dense_twin(seed: int, which: str) -> None:
    note, f, h = random_notes(seed)
    cfg = GaussianConfig()
    p = cfg.crh if which == "crh" else cfg.crnh
    expected = dense_pass(note, f, h, 31, cfg, p)
    score, _, _ = gaussian_pass(
        note,
        np.arange(note.size, dtype=np.int32),
        h.astype(np.float32),
        f.astype(np.float32).astype(np.float64),
        n_notes=31,
        config=cfg,
        which=which,
    )
    np.testing.assert_allclose(score, expected, rtol=2e-5, atol=1e-6)


def test_two_threads_give_identical_results(monkeypatch: pytest.MonkeyPatch) -> None:
    note, f, h = random_notes(11, n_notes=300)
    args = (note, np.arange(note.size, dtype=np.int32), h.astype(np.float32), f)
    single = aggregate_gaussian(*args, n_notes=300)
    monkeypatch.setattr(aggregate_module, "PARALLEL_MIN_RATINGS", 1)
    split = aggregate_gaussian(*args, n_notes=300)
    np.testing.assert_array_equal(single.intercept, split.intercept)
    np.testing.assert_array_equal(single.factor_estimate, split.factor_estimate)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 4),
            st.floats(-1.5, 1.5, allow_nan=False),
            st.sampled_from([0.0, 0.5, 1.0]),
        ),
        min_size=1,
        max_size=60,
    ),
    st.booleans(),
)
def test_intercept_range(rows: list[tuple[int, float, float]], topic5: bool) -> None:
    cfg = GaussianConfig.topic_in_dimension_two() if topic5 else GaussianConfig()
    note = np.array([r[0] for r in rows], np.int32)
    f = np.array([r[1] for r in rows])
    h = np.array([r[2] for r in rows], np.float32)
    extra = np.full(5, len(rows), np.int32)
    result = aggregate_gaussian(
        note,
        np.arange(len(rows), dtype=np.int32),
        h,
        np.append(f, 0.4),
        n_notes=5,
        config=cfg,
        extra_rater_idx=extra,
    )
    has = np.bincount(note, minlength=5) > 0
    assert np.isnan(result.intercept[~has]).all()
    i = result.intercept[has]
    eps = 1e-6
    ok = (
        (i == 0)
        | ((i >= 0.05 - eps) & (i <= 0.8 + eps))
        | ((i >= -0.65 - eps) & (i <= -0.25 + eps))
    )
    assert ok.all(), i


def test_bad_input_is_named() -> None:
    one = np.zeros(1, np.int32)
    with pytest.raises(InputError, match=r"0, 0\.5 or 1"):
        aggregate_gaussian(one, one, np.array([0.3], np.float32), np.zeros(1), n_notes=1)
    with pytest.raises(InputError, match="finite factor"):
        aggregate_gaussian(one, one, np.ones(1, np.float32), np.array([np.nan]), n_notes=1)
    with pytest.raises(InputError) as err:
        aggregate_gaussian(one, one + 3, np.ones(1, np.float32), np.zeros(2), n_notes=1)
    assert err.value.field == "rater_idx"
    with pytest.raises(InputError) as err:
        aggregate_gaussian(
            one,
            one,
            np.ones(1, np.float32),
            np.zeros(1),
            n_notes=1,
            extra_rater_idx=np.array([0, 0], np.int32),
        )
    assert err.value.field == "extra_rater_idx"


def _scattered_table(
    factors: F, raters: NDArray[np.int32], extra_rater: NDArray[np.int32], p: GaussianPassConfig
) -> tuple[NDArray[np.float32], NDArray[np.int32], NDArray[np.int32], F]:
    """The replaced table: the read raters' rows in a zero table over every rater."""
    needed = np.zeros(factors.shape[0], dtype=np.bool_)
    needed[raters] = True
    needed[extra_rater[extra_rater >= 0]] = True
    table = np.zeros((factors.shape[0], len(p.points)), dtype=np.float32)
    table[needed] = kernel_table(factors[needed], p)
    return table, raters, extra_rater, factors


@pytest.mark.parametrize("seed", range(4))
def test_a_few_raters_read_through_their_own_rows_score_the_same(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pass over a few notes makes the rows of the raters it reads alone and renumbers
    them (no table over every rater): bit-identical scores, factor estimates and flags,
    author rows included."""
    rng = np.random.default_rng(seed)
    n_raters, n_notes = 3000, 12
    f = rng.uniform(-1.0, 1.0, n_raters)
    f[rng.random(n_raters) < 0.1] = np.nan  # raters without a factor are never read
    readable = np.flatnonzero(np.isfinite(f))
    pool = rng.choice(readable, 60, replace=False)
    counts = rng.integers(0, 15, n_notes)
    note = np.repeat(np.arange(n_notes, dtype=np.int32), counts)
    raters = rng.choice(pool, note.size).astype(np.int32)
    h = rng.choice([0.0, 0.5, 1.0], note.size).astype(np.float32)
    extra = np.where(rng.random(n_notes) < 0.5, rng.choice(readable, n_notes), -1).astype(np.int32)
    args = (note, raters, h, f)
    got = aggregate_gaussian(*args, n_notes=n_notes, extra_rater_idx=extra)
    monkeypatch.setattr(aggregate_module, "_rater_table", _scattered_table)
    want = aggregate_gaussian(*args, n_notes=n_notes, extra_rater_idx=extra)
    for name in ("intercept", "crh_score", "crnh_score", "factor_estimate"):
        np.testing.assert_array_equal(getattr(got, name), getattr(want, name), err_msg=name)
    for name in ("crh_insufficient", "crnh_insufficient"):
        np.testing.assert_array_equal(getattr(got, name), getattr(want, name), err_msg=name)
    assert np.isfinite(got.intercept).sum() > 3
