"""The per-post-author note limit and its escalation (spec-extended §7.2.1), hand-checked."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bridgewatch.usecases.limits import post_author_note_limit

DAY_MS = 24 * 3600 * 1000
WEEK_MS = 7 * DAY_MS


@pytest.mark.parametrize(
    ("notes", "helpful", "allowed", "window_ms"),
    [
        (0, 0, 3, DAY_MS),  # a new writer on this author: the initial 3 a day
        (5, 0, 3, DAY_MS),  # still under 6 notes: no escalation whatever the rate
        (6, 0, 1, DAY_MS),  # r = 0 % but fewer than 15 notes: 1 a day
        (14, 0, 1, DAY_MS),
        (15, 0, 1, WEEK_MS),  # r < 1 % with 15 notes: 1 a week
        (101, 1, 1, WEEK_MS),  # r = 0.99 %
        (100, 1, 1, DAY_MS),  # r = 1 % exactly: 1 a day
        (21, 1, 1, DAY_MS),  # r = 4.76 %
        (20, 1, 5, DAY_MS),  # r = 5 % exactly: floor(5) a day
        (6, 1, 16, DAY_MS),  # r = 16.67 %: 16 a day
        (100, 29, 29, DAY_MS),  # 29 / 100 * 100 is 28.999... in floating point; still 29
        (6, 6, 100, DAY_MS),  # every note helpful: 100 a day
    ],
)
def test_post_author_limit_follows_the_spec_table(
    notes: int, helpful: int, allowed: int, window_ms: int
) -> None:
    rule = post_author_note_limit(notes, helpful, initial=3)
    assert (rule.notes, rule.window_ms) == (allowed, window_ms)


def test_initial_limit_is_a_setting() -> None:
    assert post_author_note_limit(2, 0, initial=10).notes == 10


@given(st.integers(6, 10_000), st.data())
def test_more_helpful_notes_never_lower_the_allowance(notes: int, data: st.DataObject) -> None:
    helpful = data.draw(st.integers(0, notes - 1))
    worse = post_author_note_limit(notes, helpful, initial=3)
    better = post_author_note_limit(notes, helpful + 1, initial=3)
    # Notes per week: a weekly limit allows 1, a daily one 7 times its count.
    per_week = {DAY_MS: 7, WEEK_MS: 1}
    assert better.notes * per_week[better.window_ms] >= worse.notes * per_week[worse.window_ms]
    assert worse.notes >= 1
