"""Incremental final scoring equals a batch final-scoring pass with the same prescoring."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray

from bridgewatch.errors import ConfigError, InputError
from bridgewatch.io.dataset import Dataset
from bridgewatch.model import Ratings
from bridgewatch.scoring.config import ScoringConfig
from bridgewatch.scoring.final import FinalScoringResult, run_final_scoring
from bridgewatch.scoring.incremental import (
    IncrementalConfig,
    NoteFitCache,
    align_prescoring,
    cache_from_final,
    rating_fingerprints,
    rescore_final,
)
from bridgewatch.scoring.inputs import CoreInputs, prepare_core_inputs
from bridgewatch.scoring.prescoring import PrescoringResult, run_prescoring
from tests.scoring.community import load_small_community

CONFIG = ScoringConfig(topics=None)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Dataset:
    return load_small_community(tmp_path_factory.mktemp("community"))


def _with_ratings(dataset: Dataset, ratings: Ratings) -> Dataset:
    return replace(dataset, ratings=ratings)


@pytest.fixture(scope="module")
def refit(dataset: Dataset) -> tuple[CoreInputs, PrescoringResult, FinalScoringResult]:
    """The refit on the first 80% of the ratings (by time)."""
    r = dataset.ratings
    cutoff = np.quantile(r.created_at_ms, 0.8)
    inputs = prepare_core_inputs(
        _with_ratings(dataset, r.subset(r.created_at_ms <= cutoff)), CONFIG
    )
    pre = run_prescoring(inputs, CONFIG, np.random.default_rng(5))
    return inputs, pre, run_final_scoring(inputs, pre, CONFIG)


def _close(got: NDArray[np.float64], want: NDArray[np.float64]) -> None:
    # The per-note solves run on fewer notes at once: equal up to float rounding (1e-16).
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)


def _assert_same(got: FinalScoringResult, want: FinalScoringResult) -> None:
    _close(got.main.intercept, want.main.intercept)
    _close(got.main.factor, want.main.factor)
    np.testing.assert_array_equal(got.main.rater_factor, want.main.rater_factor)
    for name in (
        "intercept_no_high_vol",
        "intercept_no_correlated",
        "intercept_population_sampled",
    ):
        _close(getattr(got, name), getattr(want, name))
    assert got.bounds is not None and want.bounds is not None
    np.testing.assert_array_equal(got.bounds.intercept_max, want.bounds.intercept_max)
    _close(got.low_diligence_intercept, want.low_diligence_intercept)
    _close(got.tags.adjusted_ratio, want.tags.adjusted_ratio)
    np.testing.assert_array_equal(got.scored, want.scored)
    # The statuses are exactly the batch pass's.
    np.testing.assert_array_equal(got.rules.status, want.rules.status)
    np.testing.assert_array_equal(got.num_final_round_ratings, want.num_final_round_ratings)


def _edit(dataset: Dataset, seed: int) -> Dataset:
    """The full ratings with some deleted and some changed (value and tags)."""
    rng = np.random.default_rng(seed)
    r = dataset.ratings
    keep = rng.random(r.n_ratings) > 0.03
    value = r.helpful_num.copy()
    flip = rng.random(r.n_ratings) < 0.03
    value[flip] = 1.0 - value[flip]
    edited = replace(r, helpful_num=value).subset(keep)
    return _with_ratings(dataset, edited)


def test_replay_in_steps_equals_a_batch_final_pass(
    dataset: Dataset, refit: tuple[CoreInputs, PrescoringResult, FinalScoringResult]
) -> None:
    inputs0, pre, final0 = refit
    cache = cache_from_final(inputs0, pre, CONFIG, final0)
    r = dataset.ratings
    steps = np.quantile(r.created_at_ms, [0.85, 0.9, 1.0])
    resolved_counts = []
    for cutoff in steps:
        step_inputs = prepare_core_inputs(
            _with_ratings(dataset, r.subset(r.created_at_ms <= cutoff)), CONFIG
        )
        result = rescore_final(step_inputs, pre, CONFIG, cache)
        cache = result.cache
        resolved_counts.append(int(result.resolved.sum()))
        _assert_same(result.final, run_final_scoring(step_inputs, pre, CONFIG))
    # Only the notes with new ratings were re-solved, never all of them.
    assert 0 < resolved_counts[0] < inputs0.n_notes
    # Changed and deleted ratings too.
    edited = prepare_core_inputs(_edit(dataset, 2), CONFIG)
    result = rescore_final(edited, pre, CONFIG, cache)
    _assert_same(result.final, run_final_scoring(edited, pre, CONFIG))
    # Nothing changed: nothing is re-solved, same result.
    again = rescore_final(edited, pre, CONFIG, result.cache)
    assert not again.resolved.any()
    _assert_same(again.final, result.final)


def test_new_notes_align_prescoring(
    dataset: Dataset, refit: tuple[CoreInputs, PrescoringResult, FinalScoringResult]
) -> None:
    inputs0 = refit[0]
    # The refit did not know the notes with the highest ids: drop them from its view.
    ids = np.asarray(inputs0.note_ids.ids)
    dropped = set(ids[-10:].tolist())
    r = dataset.ratings
    known = ~np.isin(np.asarray(r.note_ids.ids)[r.note_idx], list(dropped))
    notes = dataset.notes.filter(~dataset.notes["noteId"].cast(str).is_in(list(dropped)))
    nsh = dataset.status_history.filter(
        ~dataset.status_history["noteId"].cast(str).is_in(list(dropped))
    )
    small = replace(dataset, ratings=r.subset(known), notes=notes, status_history=nsh)
    small_inputs = prepare_core_inputs(small, CONFIG)
    assert small_inputs.n_notes == inputs0.n_notes - 10
    small_pre = run_prescoring(small_inputs, CONFIG, np.random.default_rng(5))
    cache = cache_from_final(
        small_inputs, small_pre, CONFIG, run_final_scoring(small_inputs, small_pre, CONFIG)
    )
    full_inputs = prepare_core_inputs(dataset, CONFIG)
    aligned = align_prescoring(
        small_pre, np.asarray(small_inputs.note_ids.ids), np.asarray(full_inputs.note_ids.ids)
    )
    result = rescore_final(full_inputs, aligned, CONFIG, cache)
    _assert_same(result.final, run_final_scoring(full_inputs, aligned, CONFIG))
    new_rows = np.isin(np.asarray(full_inputs.note_ids.ids), list(dropped))
    assert result.resolved[
        new_rows & (np.bincount(full_inputs.scoped.note_idx, minlength=full_inputs.n_notes) > 0)
    ].all()


def test_first_pass_from_an_empty_cache_solves_everything(
    refit: tuple[CoreInputs, PrescoringResult, FinalScoringResult],
) -> None:
    inputs0, pre, final0 = refit
    result = rescore_final(inputs0, pre, CONFIG, NoteFitCache.empty())
    _assert_same(result.final, final0)
    assert result.resolved.sum() == np.count_nonzero(
        np.bincount(inputs0.scoped.note_idx, minlength=inputs0.n_notes)
    )


def test_frozen_diligence_keeps_the_cached_intercepts(
    dataset: Dataset, refit: tuple[CoreInputs, PrescoringResult, FinalScoringResult]
) -> None:
    inputs0, pre, final0 = refit
    cache = cache_from_final(inputs0, pre, CONFIG, final0)
    full = prepare_core_inputs(dataset, CONFIG)
    result = rescore_final(full, pre, CONFIG, cache, IncrementalConfig(diligence="frozen"))
    assert result.final.diligence is None
    want = np.where(result.final.scored, cache.low_diligence, np.nan)
    np.testing.assert_array_equal(result.final.low_diligence_intercept, want)


def test_fingerprints_see_a_changed_value(dataset: Dataset) -> None:
    r = dataset.ratings
    n = len(dataset.note_ids)
    base = rating_fingerprints(r, n)
    np.testing.assert_array_equal(base[:, 0], np.bincount(r.note_idx, minlength=n))
    value = r.helpful_num.copy()
    value[0] = 1.0 - value[0] if value[0] != 0.5 else 0.0
    changed = rating_fingerprints(replace(r, helpful_num=value), n)
    diff = np.flatnonzero(np.any(changed != base, axis=1))
    assert diff.tolist() == [int(r.note_idx[0])]


def test_config_and_input_checks(
    refit: tuple[CoreInputs, PrescoringResult, FinalScoringResult], tmp_path: Path
) -> None:
    with pytest.raises(ConfigError):
        IncrementalConfig(diligence="sometimes")
    with pytest.raises(ConfigError):
        IncrementalConfig(roster_diligence="never")
    inputs0, pre, _ = refit
    short = align_prescoring(
        pre, np.asarray(inputs0.note_ids.ids), np.asarray(inputs0.note_ids.ids)[:-1]
    )
    with pytest.raises(InputError):
        rescore_final(inputs0, short, CONFIG, NoteFitCache.empty())
