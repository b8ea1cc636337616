"""Coordinated rating bursts: constructed brigades, honest fast raters, the plain version."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray

from bridgewatch.errors import ConfigError
from bridgewatch.scoring.manipulation import (
    BurstConfig,
    BurstResult,
    find_rating_bursts,
    find_rating_bursts_reference,
    rater_sides,
)

MIN = 60_000
T0 = 1_700_000_000_000


class _Ratings:
    """A tiny builder of rating arrays."""

    def __init__(self) -> None:
        self.rows: list[tuple[int, int, int, int]] = []

    def add(self, note: int, rater: int, level: int, minutes: float) -> None:
        self.rows.append((note, rater, level, T0 + round(minutes * MIN)))

    def run(self, sides: list[int], config: BurstConfig | None = None) -> BurstResult:
        a = np.array(self.rows, dtype=np.int64).reshape(-1, 4)
        return find_rating_bursts(
            a[:, 0], a[:, 1], a[:, 2], a[:, 3], np.array(sides, np.int8), config or BurstConfig()
        )


def _brigade(r: _Ratings, members: range, notes: range, level: int, spread_min: float) -> None:
    for k, note in enumerate(notes):
        for j, m in enumerate(members):
            r.add(note, m, level, note * 600 + (j * spread_min / len(members)) + k * 0.1)


def test_brigade_of_five_on_three_notes_is_flagged() -> None:
    r = _Ratings()
    _brigade(r, range(5), range(3), level=0, spread_min=20)
    # An honest rater of the same side rates one of the notes much later.
    r.add(0, 5, 0, 300.0)
    result = r.run([-1] * 6)
    assert result.n_bursts == 3
    np.testing.assert_array_equal(result.coordinated, [True] * 5 + [False])
    assert result.flagged[:15].all() and not result.flagged[15]
    assert result.n_pairs == 10  # every pair of five shares all three bursts


def test_too_few_shared_bursts_or_too_small_a_group_is_not_flagged() -> None:
    r = _Ratings()
    _brigade(r, range(5), range(2), level=0, spread_min=20)  # only 2 bursts < 3
    assert not r.run([1] * 5).flagged.any()
    r = _Ratings()
    _brigade(r, range(4), range(3), level=0, spread_min=20)  # 4 members: 3 partners < 4
    result = r.run([1] * 4, BurstConfig(min_burst_ratings=4))
    assert result.in_burst.all() and not result.coordinated.any()


def test_slow_ratings_and_mixed_levels_are_no_burst() -> None:
    r = _Ratings()
    _brigade(r, range(5), range(3), level=2, spread_min=300)  # 5 ratings over 5 hours
    assert not r.run([1] * 5).in_burst.any()
    r = _Ratings()
    for note in range(3):
        for m in range(6):  # alternate HELPFUL / NOT_HELPFUL within minutes
            r.add(note, m, 2 * (m % 2), note * 600 + m)
    assert not r.run([1] * 6).in_burst.any()


def test_sides_split_bursts_and_two_camp_brigades_are_still_caught() -> None:
    # Ten members, five per side, all HELPFUL within minutes on four notes: two bursts per
    # note (one per side), and the members still share all of their side's bursts.
    r = _Ratings()
    _brigade(r, range(10), range(4), level=2, spread_min=10)
    sides = [1] * 5 + [-1] * 5
    result = r.run(sides)
    assert result.n_bursts == 8
    assert result.coordinated.all() and result.flagged.all()
    # Three per side is no burst of five.
    r = _Ratings()
    _brigade(r, range(6), range(4), level=2, spread_min=10)
    assert not r.run([1, 1, 1, -1, -1, -1]).in_burst.any()


def test_honest_fast_raters_on_popular_notes_are_not_flagged() -> None:
    # 200 honest raters; 30 popular notes each get 8 same-side HELPFUL ratings within
    # minutes from a different random set of raters: many bursts, no recurring group.
    rng = np.random.default_rng(3)
    r = _Ratings()
    for note in range(30):
        for m in rng.choice(200, size=8, replace=False):
            r.add(note, int(m), 2, note * 600 + rng.random() * 30)
    result = r.run([1] * 200)
    assert result.n_bursts == 30
    assert not result.coordinated.any() and not result.flagged.any()


def test_a_chance_core_inside_an_honest_crowd_is_not_coordinated() -> None:
    # A community of 300 members rates its three popular notes within the hour (bursts of
    # ~100) and 40 other notes in small bursts of 8. Six members with few bursts were in
    # all three large ones: each pair of them shares 3 of its <= 5 bursts, so they form a
    # core of co-burst pairs (as five honest members of a modeling-group community did in
    # the attack bench), but they are 6 of ~100 in each burst and make none on their own.
    # A brigade of five on three quiet notes in the same data is still caught.
    rng = np.random.default_rng(11)
    r = _Ratings()
    chance, crowd = range(6), np.arange(6, 300)
    for note in range(3):
        members = [*chance, *rng.choice(crowd, size=90, replace=False).tolist()]
        for m in members:
            r.add(note, int(m), 2, note * 600 + rng.random() * 40)
    small = dict.fromkeys(chance, 0)
    for note in range(3, 43):
        for m in rng.choice(300, size=8, replace=False):
            if int(m) in small:
                if small[int(m)] == 2:  # the chance members keep <= 5 bursts
                    continue
                small[int(m)] += 1
            r.add(note, int(m), 2, note * 600 + rng.random() * 30)
    brigade = range(300, 305)
    _brigade(r, brigade, range(50, 53), level=0, spread_min=20)
    result = r.run([1] * 305)
    assert result.n_pairs >= 15 + 10  # the chance six's pairs and the brigade's
    assert not result.coordinated[:300].any() and result.coordinated[300:].all()
    rows = np.array(r.rows)
    np.testing.assert_array_equal(result.flagged, rows[:, 1] >= 300)


def test_sleeper_honest_ratings_are_kept() -> None:
    r = _Ratings()
    _brigade(r, range(6), range(3), level=0, spread_min=15)
    for m in range(6):  # each member's honest ratings, spread out over other notes
        for k in range(10):
            r.add(10 + 7 * m + k, m, k % 3, 5_000 + 400 * k + m)
    result = r.run([-1] * 6)
    n_attack = 18
    assert result.flagged[:n_attack].all() and not result.flagged[n_attack:].any()


def test_rater_sides() -> None:
    np.testing.assert_array_equal(rater_sides(np.array([0.3, -0.1, np.nan, 0.0])), [1, -1, 0, 0])


def test_config_and_input_checks() -> None:
    for bad in (
        {"window_minutes": 0.0},
        {"min_burst_ratings": 1},
        {"min_shared_bursts": 0},
        {"min_shared_fraction": 1.5},
        {"rating_weight": 1.0},
        {"min_partners": True},
    ):
        with pytest.raises(ConfigError):
            BurstConfig(**bad)
    one = np.zeros(1, np.int64)
    with pytest.raises(ConfigError, match="levels"):
        find_rating_bursts(one, one, one + 3, one, np.zeros(1, np.int8), BurstConfig())
    with pytest.raises(ConfigError, match="rater_idx"):
        find_rating_bursts(one, one + 1, one, one, np.zeros(1, np.int8), BurstConfig())


def _same(a: BurstResult, b: BurstResult) -> None:
    for name in ("in_burst", "burst_id", "coordinated", "flagged"):
        x: NDArray[np.generic] = getattr(a, name)
        np.testing.assert_array_equal(x, getattr(b, name), err_msg=name)
    assert (a.n_bursts, a.n_pairs) == (b.n_bursts, b.n_pairs)


@settings(max_examples=40, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.integers(0, 3),  # note
            st.integers(0, 7),  # rater
            st.integers(0, 2),  # level
            st.integers(0, 240),  # minutes
        ),
        min_size=1,
        max_size=60,
        unique_by=lambda t: (t[0], t[1]),
    ),
    sides=st.lists(st.integers(-1, 1), min_size=8, max_size=8),
)
def test_vectorized_matches_plain_loops(
    rows: list[tuple[int, int, int, int]], sides: list[int]
) -> None:
    config = BurstConfig(
        window_minutes=30, min_burst_ratings=2, min_shared_bursts=2, min_partners=1
    )
    a = np.array(rows, dtype=np.int64)
    args = (a[:, 0], a[:, 1], a[:, 2], T0 + a[:, 3] * MIN, np.array(sides, np.int8), config)
    _same(find_rating_bursts(*args), find_rating_bursts_reference(*args))
