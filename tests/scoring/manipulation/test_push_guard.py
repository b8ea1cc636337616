"""Push windows: pushed cells and their windows from flagged ratings, and the intercept
guard that never moves a note past 0."""

from __future__ import annotations

import numpy as np
import pytest

from bridgewatch.errors import ConfigError
from bridgewatch.scoring.manipulation import (
    PushGuardConfig,
    find_push_windows,
    guard_filter_figures,
    guard_intercepts,
    in_push_window,
    rating_levels,
)

HOUR = 3_600_000


def test_windows_span_the_flagged_ratings_of_cells_with_enough_of_them() -> None:
    # Note 0 helpful: 5 flagged ratings over 4 hours; note 1 not helpful: 2 flagged (too
    # few); note 2 helpful: unflagged ratings only.
    note = np.array([0, 0, 0, 0, 0, 1, 1, 2, 2, 0])
    level = np.array([2, 2, 2, 2, 2, 0, 0, 2, 2, 0])
    t = np.array([0, 1, 2, 3, 4, 0, 1, 0, 1, 2]) * HOUR
    flagged = np.array([True] * 7 + [False, False, False])
    w = find_push_windows(note, level, t, flagged, PushGuardConfig())
    np.testing.assert_array_equal(w.cells, [0 * 3 + 2])
    # Range 4 h over 5 ratings: widened by 1 h on each side.
    np.testing.assert_array_equal(w.lo_ms, [-HOUR])
    np.testing.assert_array_equal(w.hi_ms, [5 * HOUR])
    np.testing.assert_array_equal(w.n_flagged, [5])
    up, down = w.directions(3)
    np.testing.assert_array_equal(up, [True, False, False])
    assert not down.any()
    # In the window: note 0's helpful ratings from -1 h to 5 h, not its not-helpful one.
    inside = in_push_window(
        w,
        np.array([0, 0, 0, 0, 1, 2]),
        np.array([2, 2, 2, 0, 2, 2]),
        np.array([-1, 5, 6, 2, 2, 2]) * HOUR,
    )
    np.testing.assert_array_equal(inside, [True, True, False, False, False, False])
    assert find_push_windows(note, level, t, flagged, PushGuardConfig(2)).n_cells == 2


def test_nothing_flagged_gives_no_window() -> None:
    z = np.zeros(4, dtype=np.int64)
    w = find_push_windows(z, z, z, np.zeros(4, dtype=np.bool_), PushGuardConfig())
    assert w.n_cells == 0
    assert not in_push_window(w, z, z, z).any()
    with pytest.raises(ValueError, match="flagged"):
        find_push_windows(z, z, z, np.zeros(3, dtype=np.bool_), PushGuardConfig())
    with pytest.raises(ConfigError, match="min_flagged"):
        PushGuardConfig(0)


def test_the_guard_moves_a_pushed_note_towards_zero_never_past_it() -> None:
    full = np.array([0.6, 0.6, 0.6, -0.6, -0.6, 0.6, -0.6, 0.6])
    without = np.array([0.3, 0.7, -0.4, -0.2, 0.5, np.nan, np.nan, 0.1])
    up = np.array([True, True, True, False, False, True, False, False])
    down = np.array([False, False, False, True, True, False, True, True])
    out = guard_intercepts(full, without, up, down)
    # up: the lesser of both, floored at 0; down: the greater, capped at 0; NaN counts as
    # 0; a note pushed down with a positive intercept (the push failed) is left alone.
    np.testing.assert_array_equal(out, [0.3, 0.6, 0.0, -0.2, 0.0, 0.0, 0.0, 0.6])


def test_rating_levels() -> None:
    np.testing.assert_array_equal(rating_levels(np.array([0.0, 0.5, 1.0])), [0, 1, 2])


def test_filter_figures_keep_the_lesser_value_on_down_pushed_notes_only() -> None:
    figures = np.array([[3.0, 1.0], [3.0, 1.0], [3.0, 1.0]])
    without = np.array([[2.0, 4.0], [1.0, 0.0], [np.nan, 5.0]])
    down = np.array([True, False, True])
    out = guard_filter_figures(figures, without, down)
    np.testing.assert_array_equal(out, [[2.0, 1.0], [3.0, 1.0], [np.nan, 1.0]])
    with pytest.raises(ValueError, match="do not match"):
        guard_filter_figures(figures, without[:2], down)
