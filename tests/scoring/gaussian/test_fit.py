"""The Gaussian note fit (scoring-multimodel.md §6.2-6.4) on small synthetic data."""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace
from typing import cast

import numpy as np
import pytest

from bridgewatch.errors import ConfigError, InputError
from bridgewatch.model import Ratings
from bridgewatch.scoring.gaussian import (
    CRH_PASS,
    GaussianConfig,
    GaussianPassConfig,
    aggregate_gaussian,
    author_rows,
    fit_gaussian_final,
    fit_gaussian_notes,
    select_gaussian_ratings,
)
from bridgewatch.scoring.mf import MFConfig, fit_note_params
from bridgewatch.scoring.prescoring import PrescoringResult
from tests.scoring.factories import make_ratings

N_NOTES, N_RATERS = 6, 30


def prescoring(above: np.ndarray, mu: float = 0.1) -> PrescoringResult:
    """The fields of a PrescoringResult the Gaussian fit reads (final round, gate, ρ)."""
    rng = np.random.default_rng(0)
    factors = rng.uniform(-0.8, 0.8, (N_RATERS, 1))
    intercepts = rng.normal(0, 0.1, N_RATERS)
    intercepts[N_RATERS - 1] = np.nan  # the last rater has no borrowed params
    factors[N_RATERS - 1] = np.nan
    stub = SimpleNamespace(
        final_round=SimpleNamespace(
            rater_intercepts=intercepts, rater_factors=factors, global_intercept=mu
        ),
        helpfulness=SimpleNamespace(above_helpfulness_threshold=above),
        note_ratio=7.0,
    )
    return cast(PrescoringResult, stub)


def ratings() -> tuple[list[tuple[int, int, float]], Ratings]:
    rng = np.random.default_rng(1)
    rows: list[tuple[int, int, float]] = []
    sizes = [20, 12, 5, 4, 9, 0]  # note 3 has too few ratings, note 5 none
    for n, size in enumerate(sizes):
        for u in rng.choice(N_RATERS, size, replace=False):
            rows.append((n, int(u), float(rng.choice([0.0, 0.5, 1.0]))))
    pop = [i % 3 == 0 for i in range(len(rows))]
    return rows, make_ratings(
        rows, n_notes=N_NOTES, n_participants=N_RATERS, population_sampled=pop
    )


def test_selection_counts_before_the_gate_and_respects_mask() -> None:
    rows, r = ratings()
    above = np.ones(N_RATERS, dtype=bool)
    above[:5] = False
    pre = prescoring(above)
    fit = select_gaussian_ratings(r, pre, GaussianConfig())
    assert not np.isin(fit.rater_idx, [0, 1, 2, 3, 4, N_RATERS - 1]).any()
    assert 3 not in set(fit.note_idx.tolist())
    # Note 2 has exactly 5 scoped ratings: it stays with whatever the gate leaves of them.
    gated_in = [u for n, u, _ in rows if n == 2 and u >= 5 and u != N_RATERS - 1]
    assert int(np.sum(fit.note_idx == 2)) == len(gated_in) > 0
    ungated = select_gaussian_ratings(
        r,
        pre,
        GaussianConfig(use_helpfulness_gate=False),
    )
    assert np.isin(ungated.rater_idx, [0, 1, 2, 3, 4]).any()
    assert not (ungated.rater_idx == N_RATERS - 1).any()  # no params: never in
    mask = np.array([n != 0 for n, _, _ in rows])
    masked = select_gaussian_ratings(r, pre, GaussianConfig(), mask=mask)
    assert 0 not in set(masked.note_idx.tolist())


def test_author_rows_follow_the_three_conditions() -> None:
    r = make_ratings(
        [(0, 1, 1.0), (0, 2, 0.0), (1, 3, 1.0), (2, 4, 0.0)], n_notes=4, n_participants=8
    )
    factors = np.array([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, np.nan, 0.8])
    authors = np.array([2, 5, 6, 7])  # 2 rated note 0; 6 has no factor; note 3 has no rows
    extra = author_rows(r, authors, factors)
    np.testing.assert_array_equal(extra, [-1, 5, -1, -1])
    with pytest.raises(InputError):
        author_rows(r, authors[:3], factors)


def test_fit_combines_the_kernel_and_the_mf_factor() -> None:
    _, r = ratings()
    pre = prescoring(np.ones(N_RATERS, dtype=bool))
    authors = np.array([0, 1, 2, 3, 4, 5])
    cfg = GaussianConfig()
    mf = MFConfig()
    result = fit_gaussian_notes(r, pre, authors, mf, cfg, 7.0)
    fit = result.ratings
    factors = pre.final_round.rater_factors[:, 0]
    extra = author_rows(fit, authors, factors)
    assert result.n_author_rows == int((extra >= 0).sum()) > 0
    agg = aggregate_gaussian(
        fit.note_idx,
        fit.rater_idx,
        fit.helpful_num,
        factors,
        n_notes=N_NOTES,
        config=cfg,
        extra_rater_idx=extra,
    )
    np.testing.assert_array_equal(result.intercept, agg.intercept)
    direct = fit_note_params(
        fit.note_idx,
        fit.rater_idx,
        fit.helpful_num,
        n_notes=N_NOTES,
        rater_intercepts=pre.final_round.rater_intercepts,
        rater_factors=pre.final_round.rater_factors,
        global_intercept=0.1,
        config=mf,
        note_ratio=7.0,
    )
    np.testing.assert_allclose(result.factor, direct.params.note_factors[:, 0])
    assert np.isnan(result.intercept[[3, 5]]).all() and np.isnan(result.factor[[3, 5]]).all()
    used = np.unique(fit.rater_idx)
    np.testing.assert_array_equal(result.rater_factor[used], factors[used])
    assert np.isnan(np.delete(result.rater_factor, used)).all()

    # Topic 5 freezes μ at 0 in the factor fit: a different factor on the same data.
    t5 = fit_gaussian_notes(
        r,
        pre,
        authors,
        mf,
        replace(cfg, use_global_intercept=False),
        7.0,
    )
    assert not np.allclose(t5.factor[:3], result.factor[:3])


def test_a_fit_without_ratings_is_all_nan() -> None:
    _, r = ratings()
    pre = prescoring(np.zeros(N_RATERS, dtype=bool))  # nobody above the threshold
    result = fit_gaussian_notes(
        r, pre, np.zeros(N_NOTES, np.int64), MFConfig(), GaussianConfig(), 7.0
    )
    assert result.ratings.n_ratings == 0 and result.n_author_rows == 0
    for values in (result.intercept, result.factor, result.rater_factor):
        assert np.isnan(values).all()


def test_final_runs_four_fits_with_rho_ten_for_population_sampled() -> None:
    rows, r = ratings()
    pre = prescoring(np.ones(N_RATERS, dtype=bool))
    authors = np.full(N_NOTES, -1)
    cfg, mf = GaussianConfig(), MFConfig()
    high_volume = np.zeros(N_RATERS, dtype=bool)
    high_volume[[7, 8]] = True
    correlated = np.array([u == 9 for _, u, _ in rows])
    fits = fit_gaussian_final(r, correlated, high_volume, pre, authors, mf, cfg)

    def direct(mask: np.ndarray) -> np.ndarray:
        return fit_gaussian_notes(r, pre, authors, mf, cfg, 10.0, mask=mask).intercept

    np.testing.assert_array_equal(
        fits.intercept_no_high_vol,
        direct(~high_volume[r.rater_idx]),
    )
    np.testing.assert_array_equal(fits.intercept_no_correlated, direct(~correlated))
    np.testing.assert_array_equal(
        fits.intercept_population_sampled,
        direct(r.population_sampled),
    )
    assert fits.main.ratings.n_ratings > 0


def test_configs_validate_and_name_the_variants() -> None:
    t5 = GaussianConfig.topic_in_dimension_two()
    assert t5.crh.bandwidth == 0.05 and t5.crnh == GaussianConfig().crnh
    assert not t5.use_helpfulness_gate and not t5.use_global_intercept
    with pytest.raises(ConfigError, match="bandwidth"):
        GaussianPassConfig(bandwidth=0)
    with pytest.raises(ConfigError, match="clip_lo"):
        replace(CRH_PASS, clip_lo=0.9)
    with pytest.raises(ConfigError, match="points"):
        replace(CRH_PASS, points=())
    with pytest.raises(ConfigError, match="min_ratings_per_note"):
        GaussianConfig(min_ratings_per_note=0)
