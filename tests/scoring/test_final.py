"""Core final scoring (scoring-core.md §5, §6) on a small simulated community: the gates of
the note fits, the four fits and what each keeps, and the per-note figures."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from numpy.typing import NDArray

from bridgewatch.model import Ratings
from bridgewatch.scoring.config import ScoringConfig
from bridgewatch.scoring.final import (
    FinalScoringResult,
    NoteFit,
    fit_final_notes,
    run_final_scoring,
)
from bridgewatch.scoring.inputs import CoreInputs, prepare_core_inputs
from bridgewatch.scoring.mf.als import fit_mf
from bridgewatch.scoring.mf.note_fit import _frozen_init
from bridgewatch.scoring.prescoring import PrescoringResult, run_prescoring
from tests.scoring.community import load_small_community

CONFIG = ScoringConfig(topics=None)


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> CoreInputs:
    dataset = load_small_community(tmp_path_factory.mktemp("community"))
    return prepare_core_inputs(dataset, CONFIG)


@pytest.fixture(scope="module")
def pre(inputs: CoreInputs) -> PrescoringResult:
    return run_prescoring(inputs, CONFIG, np.random.default_rng(1))


@pytest.fixture(scope="module")
def final(inputs: CoreInputs, pre: PrescoringResult) -> FinalScoringResult:
    return run_final_scoring(inputs, pre, CONFIG)


def _gated_raters(pre: PrescoringResult) -> NDArray[np.bool_]:
    return np.isfinite(pre.final_round.rater_intercepts) & (
        pre.helpfulness.above_helpfulness_threshold
    )


def test_the_main_fit_keeps_gated_raters_on_notes_with_enough_ratings(
    inputs: CoreInputs, pre: PrescoringResult, final: FinalScoringResult
) -> None:
    scoped, main = inputs.scoped, final.main
    counts = np.bincount(scoped.note_idx, minlength=inputs.n_notes)
    enough = counts >= CONFIG.final_min_ratings_per_note
    keep = enough[scoped.note_idx] & _gated_raters(pre)[scoped.rater_idx]
    assert main.ratings.n_ratings == int(keep.sum()) > 0
    np.testing.assert_array_equal(main.ratings.note_idx, scoped.note_idx[keep])
    np.testing.assert_array_equal(main.ratings.rater_idx, scoped.rater_idx[keep])
    fitted = np.zeros(inputs.n_notes, dtype=bool)
    fitted[main.ratings.note_idx] = True
    np.testing.assert_array_equal(np.isfinite(main.intercept), fitted)
    np.testing.assert_array_equal(np.isfinite(main.factor), fitted)
    # Raters keep their frozen final-round factor where they rated in the fit.
    used = np.zeros(inputs.n_participants, dtype=bool)
    used[main.ratings.rater_idx] = True
    np.testing.assert_array_equal(np.isfinite(main.rater_factor), used)
    np.testing.assert_array_equal(main.rater_factor[used], pre.final_round.rater_factors[used, 0])


def test_a_mask_fits_as_the_subset_would(inputs: CoreInputs, pre: PrescoringResult) -> None:
    scoped = inputs.scoped
    mask = ~inputs.high_volume[scoped.rater_idx]
    assert 0 < int(mask.sum()) < scoped.n_ratings
    masked = fit_final_notes(scoped, pre, CONFIG, pre.note_ratio, mask=mask)
    subset = fit_final_notes(scoped.subset(mask), pre, CONFIG, pre.note_ratio)
    np.testing.assert_array_equal(masked.intercept, subset.intercept)
    np.testing.assert_array_equal(masked.factor, subset.factor)
    np.testing.assert_array_equal(masked.ratings.note_idx, subset.ratings.note_idx)


def test_a_fit_of_few_notes_runs_on_their_raters_with_the_same_bits(
    inputs: CoreInputs, pre: PrescoringResult
) -> None:
    # A live pass fits a few notes' ratings: the fit then runs on their raters' rows alone
    # (few ratings against the participant index). It must give the bits of the note fit
    # on the whole participant index, weighted or not.
    scoped = inputs.scoped
    fitted = np.flatnonzero(np.bincount(scoped.note_idx) >= CONFIG.final_min_ratings_per_note)
    counts = np.bincount(scoped.note_idx, minlength=inputs.n_notes)[fitted]
    by_size = fitted[np.argsort(counts, kind="stable")]
    notes = np.sort(by_size[np.cumsum(np.sort(counts)) * 4 < inputs.n_participants])
    assert notes.shape[0] >= 2
    few = np.isin(scoped.note_idx, notes)
    weights = np.random.default_rng(5).uniform(0.2, 1.0, scoped.n_ratings)
    for w in (None, weights):
        piece = fit_final_notes(scoped, pre, CONFIG, pre.note_ratio, w, mask=few)
        assert piece.ratings.n_ratings > 0
        keep = few & _gated_raters(pre)[scoped.rater_idx]
        # The fit on the whole participant index (fit_note_params without the compaction).
        args = (scoped.note_idx[keep], scoped.rater_idx[keep], scoped.helpful_num[keep])
        w_keep = None if w is None else w[keep]
        init = _frozen_init(
            *args, w_keep, inputs.n_notes, pre.final_round.rater_intercepts,
            pre.final_round.rater_factors, pre.final_round.global_intercept, CONFIG.mf,
        )  # fmt: skip
        whole = fit_mf(
            *args,
            n_notes=inputs.n_notes,
            n_raters=inputs.n_participants,
            config=CONFIG.mf,
            init=init,
            freeze_raters=True,
            freeze_global=True,
            note_ratio=pre.note_ratio,
            sign_identify=False,
            weights=w_keep,
        )
        np.testing.assert_array_equal(piece.intercept, whole.params.note_intercepts)
        np.testing.assert_array_equal(piece.factor, whole.params.note_factors[:, 0])
        used = np.zeros(inputs.n_participants, dtype=bool)
        used[piece.ratings.rater_idx] = True
        np.testing.assert_array_equal(np.isfinite(piece.rater_factor), used)
        np.testing.assert_array_equal(
            piece.rater_factor[used], pre.final_round.rater_factors[used, 0]
        )


def test_unit_weights_fit_as_the_unweighted_fit(inputs: CoreInputs, pre: PrescoringResult) -> None:
    scoped = inputs.scoped
    plain = fit_final_notes(scoped, pre, CONFIG, pre.note_ratio)
    weighted = fit_final_notes(scoped, pre, CONFIG, pre.note_ratio, np.ones(scoped.n_ratings))
    np.testing.assert_allclose(weighted.intercept, plain.intercept, rtol=0, atol=1e-9)
    np.testing.assert_allclose(weighted.factor, plain.factor, rtol=0, atol=1e-9)


def test_a_fit_without_ratings_has_no_parameters(inputs: CoreInputs, pre: PrescoringResult) -> None:
    scoped = inputs.scoped
    none = fit_final_notes(
        scoped, pre, CONFIG, pre.note_ratio, mask=np.zeros(scoped.n_ratings, dtype=bool)
    )
    assert none.ratings.n_ratings == 0
    assert np.isnan(none.intercept).all() and np.isnan(none.factor).all()
    assert np.isnan(none.rater_factor).all()
    assert none.intercept.shape == (inputs.n_notes,)


def test_the_four_fits_get_their_ratings_and_ratios(
    inputs: CoreInputs, pre: PrescoringResult
) -> None:
    scoped = inputs.scoped
    prescoring = pre
    calls: list[tuple[NDArray[np.bool_] | None, float]] = []

    def recording(
        ratings: Ratings,
        pre: PrescoringResult,
        config: ScoringConfig,
        note_ratio: float,
        weights: NDArray[np.float64] | None = None,
        *,
        mask: NDArray[np.bool_] | None = None,
    ) -> NoteFit:
        assert ratings is scoped and pre is prescoring and weights is None
        calls.append((mask, note_ratio))
        fit = fit_final_notes(ratings, pre, config, note_ratio, mask=mask)
        # Tag each fit's intercepts with its call number to see where each one lands.
        return replace(fit, intercept=np.full(inputs.n_notes, float(len(calls))))

    result = run_final_scoring(inputs, prescoring, CONFIG, fit_notes=recording)
    assert len(calls) == 4
    (no_high_vol, r1), (no_corr, r2), (population, r3), (main, r4) = calls
    assert no_high_vol is not None and no_corr is not None and population is not None
    np.testing.assert_array_equal(no_high_vol, ~inputs.high_volume[scoped.rater_idx])
    np.testing.assert_array_equal(no_corr, ~inputs.scoped_correlated)
    np.testing.assert_array_equal(population, scoped.population_sampled)
    assert main is None
    assert r1 == r2 == r4 == prescoring.note_ratio
    assert r3 == CONFIG.population_sampled_note_ratio
    assert (result.intercept_no_high_vol == 1.0).all()
    assert (result.intercept_no_correlated == 2.0).all()
    assert (result.intercept_population_sampled == 3.0).all()
    assert (result.main.intercept == 4.0).all()


def test_the_filters_read_a_fits_filter_figure(inputs: CoreInputs, pre: PrescoringResult) -> None:
    # A fit that carries a filter figure (the Gaussian push guard's coverage rule): the
    # CRH -> NYH filters' fits report it; the population-sampled and main fits their
    # intercept.
    def marked(
        ratings: Ratings,
        pre: PrescoringResult,
        config: ScoringConfig,
        note_ratio: float,
        weights: NDArray[np.float64] | None = None,
        *,
        mask: NDArray[np.bool_] | None = None,
    ) -> NoteFit:
        fit = fit_final_notes(ratings, pre, config, note_ratio, weights, mask=mask)
        return replace(fit, filter_intercept=np.full(inputs.n_notes, 9.0))

    plain = run_final_scoring(inputs, pre, CONFIG)
    result = run_final_scoring(inputs, pre, CONFIG, fit_notes=marked)
    assert (result.intercept_no_high_vol == 9.0).all()
    assert (result.intercept_no_correlated == 9.0).all()
    np.testing.assert_array_equal(
        result.intercept_population_sampled, plain.intercept_population_sampled
    )
    np.testing.assert_array_equal(result.main.intercept, plain.main.intercept)
    assert plain.main.filter_intercept is None


def test_per_note_figures_exist_only_for_scored_notes(
    inputs: CoreInputs, pre: PrescoringResult, final: FinalScoringResult
) -> None:
    np.testing.assert_array_equal(final.scored, inputs.captured)
    outside = ~final.scored
    assert outside.any() and final.scored.any()
    assert np.isnan(final.low_diligence_intercept[outside]).all()
    assert np.isnan(final.tags.adjusted_ratio[outside]).all()
    assert np.isnan(final.incorrect.incorrect[outside]).all()
    assert np.isfinite(
        final.low_diligence_intercept[final.scored & np.isfinite(final.main.intercept)]
    ).any()
    assert final.bounds is not None and final.diligence is not None
    has_row = pre.helpfulness.has_row | np.isfinite(pre.final_round.rater_intercepts)
    scoped = inputs.scoped
    np.testing.assert_array_equal(
        final.num_final_round_ratings,
        np.bincount(scoped.note_idx[has_row[scoped.rater_idx]], minlength=inputs.n_notes),
    )


def test_without_pseudo_raters_there_are_no_bounds(
    inputs: CoreInputs, pre: PrescoringResult, final: FinalScoringResult
) -> None:
    plain = run_final_scoring(inputs, pre, replace(CONFIG, pseudo_raters=False))
    assert plain.bounds is None
    np.testing.assert_array_equal(plain.main.intercept, final.main.intercept)


def test_final_scoring_is_deterministic_given_prescoring(
    inputs: CoreInputs, pre: PrescoringResult, final: FinalScoringResult
) -> None:
    again = run_final_scoring(inputs, pre, CONFIG)
    np.testing.assert_array_equal(again.main.intercept, final.main.intercept)
    np.testing.assert_array_equal(again.intercept_no_correlated, final.intercept_no_correlated)
    np.testing.assert_array_equal(again.rules.status, final.rules.status)
