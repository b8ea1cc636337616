"""The watch's corroboration hold: a new note that a run of helpful ratings opens before
anyone else rates it, or whose helpful raters moved together on another note, waits until
raters outside them alone make it helpful; a note whose support came from raters rating
on their own is not held."""

from __future__ import annotations

import numpy as np
import pytest

from bridgewatch.errors import ConfigError
from bridgewatch.scoring.incremental import (
    CorroborationConfig,
    RaterModel,
    WatchConfig,
    corroboration_holds,
    is_corroboration_reason,
)
from bridgewatch.scoring.incremental.corroboration import note_suspects
from tests.scoring.incremental.test_watch import N_RATERS, NOW, _ratings

MIN = 60_000
DAY = 24 * 3_600_000
# Camps alternate (+0.5 even, -0.5 odd), intercepts 0, μ 0.
FACTORS = np.where(np.arange(N_RATERS) % 2 == 0, 0.5, -0.5)

Row = tuple[int, int, float, int]
# The opening-run rule is off by default (its cost to honest notes on the live replay):
# these tests turn it on.
OPENING = CorroborationConfig(min_opening=5)


def _model() -> RaterModel:
    return RaterModel(
        rater_intercepts=np.zeros(N_RATERS),
        rater_factors=FACTORS.copy(),
        global_intercept=0.0,
        intercept_penalty=1.0,
        factor_penalty=1.0,
    )


def _background() -> list[Row]:
    """Notes 10-19, rated days ago by raters 20-39 along their viewpoints (the popularity
    of the group test's cells)."""
    old = NOW - 3 * DAY
    return [
        (n, r, 1.0 if (FACTORS[r] > 0) == (n % 2 == 0) else 0.0, old + r)
        for n in range(10, 20)
        for r in range(20, N_RATERS)
    ]


def _burst_first(note: int = 1) -> list[Row]:
    """Raters 0-7 (both camps) open the note with helpful ratings over 80 minutes."""
    return [(note, r, 1.0, NOW - 90 * MIN + 10 * MIN * r) for r in range(8)]


def _held(
    rows: list[Row], notes: list[int], config: CorroborationConfig | None = None
) -> dict[int, str]:
    ratings = _ratings(rows)
    found = corroboration_holds(
        ratings,
        ratings,
        np.asarray(notes, dtype=np.int64),
        _model(),
        NOW,
        config or OPENING,
    )
    return found


def test_a_burst_first_push_is_held() -> None:
    found = _held(_background() + _burst_first(), [1])
    assert list(found) == [1]
    assert is_corroboration_reason(found[1])
    assert "8 raters who opened it with helpful ratings" in found[1]
    assert "no ratings from anyone else yet" in found[1]


def test_an_honest_note_with_spread_out_support_is_not_held() -> None:
    # Note 2: its first rater finds it somewhat helpful, then raters of both camps come
    # one by one and most find it helpful: no opening run, and its raters never moved
    # together elsewhere.
    rows = [*_background(), (2, 8, 0.5, NOW - 300 * MIN)]
    rows += [(2, r, 1.0 if r != 12 else 0.0, NOW - 290 * MIN + 20 * MIN * r) for r in range(9, 16)]
    found = _held(rows, [2])
    assert found == {}
    assert note_suspects(_ratings(rows), 2, NOW, OPENING).raters.size == 0


def test_the_hold_is_lifted_once_raters_outside_the_run_carry_the_note() -> None:
    # Rater 8 breaks the run (somewhat helpful); raters 9-15 (both camps) then find it
    # helpful on their own.
    broken = [(1, 8, 0.5, NOW - 10 * MIN)]
    later = [(1, r, 1.0, NOW - 5 * MIN + r) for r in range(9, 16)]
    found = _held(_background() + _burst_first() + broken + later[:2], [1])
    assert "only 3 ratings from anyone else" in found[1]  # 3 < min_independent
    assert _held(_background() + _burst_first() + broken + later, [1]) == {}
    # Others who rate along their viewpoints (a one-sided note) do not corroborate it.
    sided = [(1, r, 1.0 if FACTORS[r] > 0 else 0.0, NOW - 5 * MIN + r) for r in range(9, 16)]
    found = _held(_background() + _burst_first() + broken + sided, [1])
    assert "its 8 ratings from everyone else do not make it helpful" in found[1]
    # Raters who only extend the run are part of it: no one outside has had a say.
    extended = [(1, r, 1.0, NOW - 5 * MIN + r) for r in range(8, 16)]
    assert "16 raters who opened it" in _held(_background() + _burst_first() + extended, [1])[1]


def test_an_old_note_or_a_short_run_is_no_opening() -> None:
    config = OPENING
    old = [(1, r, 1.0, NOW - 2 * DAY + MIN * r) for r in range(8)]
    assert note_suspects(_ratings(old), 1, NOW, config).opening.size == 0
    short = _burst_first()[:4]
    assert note_suspects(_ratings(short), 1, NOW, config).opening.size == 0
    assert note_suspects(_ratings(_burst_first()[:5]), 1, NOW, config).opening.size == 5


def test_a_group_that_moved_together_before_is_held_on_its_next_note() -> None:
    # Raters 0-9 (both camps) called note 5 helpful together yesterday; today they call
    # note 6 helpful, after raters 30-34 rated it along their viewpoints (no opening run).
    rows = _background()
    rows += [(5, r, 1.0, NOW - DAY + MIN * r) for r in range(10)]
    rows += [(6, r, 1.0 if FACTORS[r] > 0 else 0.0, NOW - 100 * MIN + r) for r in range(30, 35)]
    rows += [(6, r, 1.0, NOW - 60 * MIN + 5 * MIN * r) for r in range(10)]
    ratings = _ratings(rows)
    suspects = note_suspects(ratings, 6, NOW, OPENING)
    assert suspects.opening.size == 0
    assert suspects.group.tolist() == list(range(10))
    found = _held(rows, [6])
    assert "10 raters who gave the same verdict together on another note" in found[6]
    # Off: the group test needs group_p.
    assert _held(rows, [6], CorroborationConfig(min_opening=5, group_p=None)) == {}
    # The opening rule off: the first target is not held, the group's next one is.
    assert _held(_background() + _burst_first(), [1], CorroborationConfig(min_opening=None)) == {}
    assert 6 in _held(rows, [6], CorroborationConfig(min_opening=None))


def test_config() -> None:
    assert WatchConfig().corroboration == CorroborationConfig()
    assert CorroborationConfig().min_opening is None  # the group rule alone by default
    assert WatchConfig(corroboration=None).corroboration is None
    for bad in (
        {"min_opening": 1},
        {"min_opening": 0},
        {"max_age_ms": 0},
        {"group_p": 1.0},
        {"min_group": 1},
        {"min_independent": 0},
    ):
        with pytest.raises(ConfigError):
            CorroborationConfig(**bad)
