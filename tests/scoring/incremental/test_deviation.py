"""The watch's recent-deviation test: established raters of both camps calling helpful a note
its earlier raters, read through their viewpoints, did not, all within a day, are held;
later raters who agree with the earlier ones, and a new note without a reference, are not."""

from __future__ import annotations

import numpy as np
import pytest

from bridgewatch.errors import ConfigError
from bridgewatch.model.enums import NoteStatus
from bridgewatch.scoring.incremental import (
    DeviationConfig,
    RaterModel,
    deviation_holds,
    recent_deviation,
    residual_spread,
)
from tests.scoring.incremental.test_watch import N_NOTES, N_RATERS, NOW, _ratings

DAY = 24 * 3_600_000
CRH = int(NoteStatus.CURRENTLY_RATED_HELPFUL)
NMR = int(NoteStatus.NEEDS_MORE_RATINGS)
# Every rater is in the model: camps alternate (+1 even, -1 odd), intercept 0, μ 0.
FACTORS = np.where(np.arange(N_RATERS) % 2 == 0, 0.5, -0.5)


def _model() -> RaterModel:
    return RaterModel(
        rater_intercepts=np.zeros(N_RATERS),
        rater_factors=FACTORS.copy(),
        global_intercept=0.0,
        intercept_penalty=1.0,
        factor_penalty=1.0,
    )


def _one_sided(note: int, raters: range, at: int) -> list[tuple[int, int, float, int]]:
    """Verdicts as the model predicts on a note slanted towards the +1 camp."""
    return [(note, r, 1.0 if FACTORS[r] > 0 else 0.0, at + r) for r in raters]


def _community() -> list[tuple[int, int, float, int]]:
    old = NOW - 3 * DAY
    rows: list[tuple[int, int, float, int]] = []
    # Background: notes 10-19 slanted one way or the other, rated days ago (sets σ).
    for n in range(10, 20):
        rows += [
            (n, r, 1.0 if (FACTORS[r] > 0) == (n % 2 == 0) else 0.0, old + r)
            for r in range(0, N_RATERS, 2)
        ]
    # Note 1 (the target): its earlier raters of both camps split along their viewpoints
    # (a one-sided note); in the last hours 12 established raters of both camps call it
    # helpful.
    rows += _one_sided(1, range(20, 32), old)
    rows += [(1, r, 1.0, NOW - 3_600_000 + 60_000 * r) for r in range(12)]
    # Note 2 (honest): the same earlier split; 12 later raters agree with their camps.
    rows += _one_sided(2, range(20, 32), old)
    rows += _one_sided(2, range(12), NOW - 3_600_000)
    # Note 3 (new): only recent ratings, all helpful: nothing to test them against.
    rows += [(3, r, 1.0, NOW - 60_000 + r) for r in range(12)]
    return rows


def test_a_coordinated_deviation_is_held_agreeing_raters_and_new_notes_are_not() -> None:
    ratings = _ratings(_community())
    model = _model()
    sigma = residual_spread(ratings, model)
    assert 0.0 < sigma < 0.5
    config = DeviationConfig()
    # Every note of 1-3 would newly become helpful in the pass.
    old = np.full(N_NOTES, NMR, dtype=np.int8)
    new = old.copy()
    new[[1, 2, 3]] = CRH
    found = deviation_holds(ratings, old, new, model, sigma, NOW, config)
    assert list(found) == [1]
    assert "more helpful than the model predicts" in found[1]
    assert "12 ratings of the last 24 hours" in found[1]
    result = recent_deviation(ratings, np.array([1, 2, 3]), model, sigma, NOW, config)
    assert result.tested.tolist()[1:4] == [True, True, False]  # note 3: no reference
    assert result.z[1] >= result.z_star > abs(result.z[2])
    # A note that would not change status is not tested; the deviation pushes towards
    # helpful, so the same note losing that status is not held either.
    assert deviation_holds(ratings, old, old, model, sigma, NOW, config) == {}
    assert deviation_holds(ratings, new, old, model, sigma, NOW, config) == {}
    # A day later the same ratings are the note's reference: nothing recent to test.
    assert deviation_holds(ratings, old, new, model, sigma, NOW + DAY + 3_600_000, config) == {}


def test_a_coordinated_push_off_helpful_is_held() -> None:
    old_day = NOW - 3 * DAY
    rows = [(1, r, 1.0, old_day + r) for r in range(20, 32)]  # a bridged note
    rows += [(1, r, 0.0, NOW - 60_000 + r) for r in range(12)]  # suddenly not helpful
    rows += [(n, r, float(r % 2), old_day) for n in range(10, 20) for r in range(20, 40)]
    ratings = _ratings(rows)
    model = _model()
    sigma = residual_spread(ratings, model)
    was = np.full(N_NOTES, CRH, dtype=np.int8)
    now = was.copy()
    now[1] = NMR
    found = deviation_holds(ratings, was, now, model, sigma, NOW, DeviationConfig())
    assert list(found) == [1] and "less helpful" in found[1]


def test_the_bar_is_bonferroni_over_the_notes_tested() -> None:
    ratings = _ratings(_community())
    model = _model()
    sigma = residual_spread(ratings, model)
    one = recent_deviation(ratings, np.array([1]), model, sigma, NOW, DeviationConfig())
    assert one.z_star == 3.0  # min_z: Φ⁻¹(1 - 0.01) is 2.3
    strict = DeviationConfig(alpha=1e-9)
    assert recent_deviation(ratings, np.array([1]), model, sigma, NOW, strict).z_star > 5.9
    with pytest.raises(ConfigError):
        recent_deviation(ratings, np.array([1]), _model_of(N_RATERS - 1), sigma, NOW, strict)


def _model_of(n: int) -> RaterModel:
    return RaterModel(
        rater_intercepts=np.zeros(n),
        rater_factors=np.zeros(n),
        global_intercept=0.0,
        intercept_penalty=1.0,
        factor_penalty=1.0,
    )


def test_config_checks() -> None:
    for bad in (
        {"window_ms": 0},
        {"min_recent": 1},
        {"min_reference": 0},
        {"min_shift": -1.0},
        {"min_z": 0.0},
        {"alpha": 0.0},
        {"variance_prior": 0.0},
    ):
        with pytest.raises(ConfigError):
            DeviationConfig(**bad)
