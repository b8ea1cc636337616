"""High-volume rater flag (scoring-core.md §2.3 step 2)."""

from __future__ import annotations

import numpy as np
import pytest

from bridgewatch.errors import ConfigError
from bridgewatch.scoring.preprocess import PreprocessConfig, flag_high_volume_raters

DAY = 86_400_000


def _ratings(counts: list[int], *, age_days: float = 1.0) -> tuple[np.ndarray, ...]:
    rater = np.repeat(np.arange(len(counts), dtype=np.int32), counts)
    note = np.arange(rater.shape[0], dtype=np.int32)
    now = 100 * DAY
    created = np.full(rater.shape[0], now - int(age_days * DAY), dtype=np.int64)
    created[-1] = now
    return rater, created, note


def test_rater_above_the_quantile_is_flagged() -> None:
    rater, created, note = _ratings([1] * 300 + [50])
    config = PreprocessConfig(high_volume_quantile=0.99)
    flags = flag_high_volume_raters(rater, created, note, 301, config)
    # counts are 300 ones and one 50; the 0.99 quantile is 1.0 so only the 50 exceeds it
    assert flags.tolist() == [False] * 300 + [True]


def test_nobody_flagged_below_200_notes() -> None:
    rater, created, note = _ratings([1] * 150 + [40])
    flags = flag_high_volume_raters(rater, created, note, 151, PreprocessConfig())
    assert not flags.any()


def test_old_ratings_outside_both_windows_do_not_count() -> None:
    rater, created, note = _ratings([1] * 300 + [50], age_days=40)
    # all but the last rating (rater 300's newest) are 40 days old: only one recent rating
    flags = flag_high_volume_raters(rater, created, note, 301, PreprocessConfig())
    assert not flags.any()


def test_28_day_window_catches_what_7_days_misses() -> None:
    rater, created, note = _ratings([1] * 300 + [50], age_days=10)
    config = PreprocessConfig(high_volume_quantile=0.99)
    flags = flag_high_volume_raters(rater, created, note, 301, config)
    assert flags[300] and flags.sum() == 1


def test_threshold_uses_linear_interpolation_and_strict_excess() -> None:
    # 200 raters with counts 1..200 (all recent): 0.999 quantile = 199.801, 200 > it
    counts = list(range(1, 201))
    rater, created, note = _ratings(counts)
    flags = flag_high_volume_raters(rater, created, note, 200, PreprocessConfig())
    assert np.flatnonzero(flags).tolist() == [199]


def test_config_rejects_bad_quantile() -> None:
    with pytest.raises(ConfigError, match="high_volume_quantile"):
        PreprocessConfig(high_volume_quantile=1.5)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_flags_equal_the_per_window_bincounts(seed: int) -> None:
    """The one-scan counts give the flags of ``bincount(rater[created > cutoff])`` per
    window (the rule as written), ratings on both sides of both cutoffs and at them."""
    rng = np.random.default_rng(seed)
    n, n_raters = 20_000, 700
    rater = rng.integers(0, n_raters - 50, n).astype(np.int32)  # the last 50 never rate
    rater[: n // 20] = 3  # one heavy rater
    note = rng.integers(0, 400, n).astype(np.int32)
    now = 100 * DAY
    created = (now - rng.integers(0, 40 * DAY, n)).astype(np.int64)
    created[0] = now
    config = PreprocessConfig(high_volume_quantile=0.9)
    created[1:30] = now - config.high_volume_windows_ms[0]  # exactly at a cutoff: not counted
    want = np.zeros(n_raters, dtype=np.bool_)
    for window in config.high_volume_windows_ms:
        counts = np.bincount(rater[created > now - window], minlength=n_raters)
        active = counts > 0
        want |= counts > np.quantile(counts[active].astype(np.float64), 0.9)
    got = flag_high_volume_raters(rater, created, note, n_raters, config)
    np.testing.assert_array_equal(got, want)
    assert got[3] and 0 < got.sum() < n_raters - 50
    # The size guard counts distinct notes as ``np.count_nonzero(np.bincount(note))``.
    few = note % 150
    assert np.count_nonzero(np.bincount(few)) == 150 < PreprocessConfig().min_notes_for_safeguards
    assert not flag_high_volume_raters(rater, created, few, n_raters, config).any()


def test_counts_after_is_the_bincount_of_each_window_and_checks_the_index() -> None:
    from bridgewatch.scoring.preprocess.high_volume import counts_after

    rng = np.random.default_rng(4)
    idx = rng.integers(0, 90, 5000).astype(np.int32)
    created = rng.integers(0, 1000, 5000).astype(np.int64)
    cutoffs = np.asarray([-1, 250, 999, 500], dtype=np.int64)
    got = counts_after(idx, created, cutoffs, 100)
    assert got.shape == (4, 100) and got.dtype == np.int64
    for row, cutoff in zip(got, cutoffs, strict=True):
        np.testing.assert_array_equal(row, np.bincount(idx[created > cutoff], minlength=100))
    with pytest.raises(IndexError):
        counts_after(idx, created, cutoffs, 50)
