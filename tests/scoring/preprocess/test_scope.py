"""Core scope and the capture threshold (scoring-core.md §2.4)."""

from __future__ import annotations

import numpy as np
import pytest

from bridgewatch.errors import ConfigError
from bridgewatch.scoring.preprocess import CoreScopeConfig, capture_mask, raters_in_scope
from bridgewatch.scoring.preprocess.scope import note_counts


def test_absent_raters_are_in_scope_enrolled_without_group_are_not() -> None:
    groups = np.array([1, 4, -1, -1, 13], dtype=np.int64)
    enrolled = np.array([True, True, True, False, True])
    scope = raters_in_scope(groups, enrolled, CoreScopeConfig())
    assert scope.tolist() == [True, False, False, True, True]


def test_single_population_puts_everyone_in_scope() -> None:
    groups = np.array([4, -1], dtype=np.int64)
    scope = raters_in_scope(groups, np.array([True, True]), CoreScopeConfig(single_population=True))
    assert scope.all()


def test_capture_needs_half_of_all_ratings_in_scope() -> None:
    note = np.array([0, 0, 1, 1, 1], dtype=np.int32)
    in_scope = np.array([True, False, True, False, False])
    captured = capture_mask(note, in_scope, 3, CoreScopeConfig())
    assert captured.tolist() == [True, False, False]  # 1/2 >= 0.5, 1/3 < 0.5, no ratings


def test_empty_group_set_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="modeling_groups"):
        CoreScopeConfig(modeling_groups=frozenset())


def test_capture_equals_the_float_weighted_share() -> None:
    rng = np.random.default_rng(5)
    note = rng.integers(0, 300, 20_000).astype(np.int32)
    in_scope = rng.random(20_000) < rng.random(300)[note]
    config = CoreScopeConfig()
    assert config.min_capture_share == 0.5
    total = np.bincount(note, minlength=310)
    weighted = np.bincount(note, weights=in_scope.astype(np.float64), minlength=310)
    with np.errstate(invalid="ignore", divide="ignore"):
        want = (total > 0) & (weighted / total >= 0.5)
    got = capture_mask(note, in_scope, 310, config)
    np.testing.assert_array_equal(got, want)
    assert 0 < got.sum() < 300 and not got[300:].any()


@pytest.mark.parametrize("dtype", [np.int32, np.int64])
def test_note_counts_equal_the_two_bincounts(dtype: type) -> None:
    rng = np.random.default_rng(7)
    note: np.ndarray = rng.integers(0, 400, 30_000).astype(dtype)
    chosen = rng.random(30_000) < 0.3
    total, hits = note_counts(note, chosen, 410)
    assert total.dtype == hits.dtype == np.int64
    np.testing.assert_array_equal(total, np.bincount(note, minlength=410))
    np.testing.assert_array_equal(hits, np.bincount(note[chosen], minlength=410))
    empty = note_counts(np.zeros(0, dtype=dtype), np.zeros(0, dtype=np.bool_), 3)
    assert empty[0].tolist() == empty[1].tolist() == [0, 0, 0]
    with pytest.raises(IndexError):
        note_counts(np.array([0, 3], dtype=dtype), np.array([True, True]), 3)
