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
