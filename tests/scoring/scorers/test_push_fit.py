"""The push guard of the MF scorers' final note fits and of the tag-based filters: a thin
pool's leftover accounts no longer promote a note the group passes caught it pushing
helpful, nor tip the incorrect filter on a note caught pushed not helpful; notes without
a push window are left alone, and the guard only ever works against the push."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace
from typing import Any, cast

import numpy as np
import pytest

from bridgewatch.model import Ratings
from bridgewatch.scoring.config import ScoringConfig
from bridgewatch.scoring.final import NoteFit, fit_final_notes, note_aggregates
from bridgewatch.scoring.inputs import CoreInputs
from bridgewatch.scoring.manipulation import PushGuardConfig, PushWindows, find_push_windows
from bridgewatch.scoring.prescoring import PrescoringResult
from bridgewatch.scoring.scorers.push_fit import guarded_note_fitter
from tests.scoring.factories import make_ratings

HOUR = 3_600_000
CONFIG = ScoringConfig(topics=None)
CRH = CONFIG.status.crh_threshold
RATIO = 7.0


@dataclasses.dataclass
class _Planted:
    ratings: Ratings  # what the final fits read (the flagged ratings are gone)
    windows: PushWindows
    pre: PrescoringResult


def _windows(everything: Ratings, flagged: np.ndarray) -> PushWindows:
    return find_push_windows(
        everything.note_idx,
        np.rint(everything.helpful_num * 2).astype(np.int64),
        everything.created_at_ms,
        flagged,
        PushGuardConfig(),
    )


def _pre(factors: np.ndarray) -> PrescoringResult:
    n = factors.shape[0]
    pre = SimpleNamespace(
        final_round=SimpleNamespace(
            rater_intercepts=np.zeros(n), rater_factors=factors[:, None], global_intercept=0.1
        ),
        helpfulness=SimpleNamespace(
            above_helpfulness_threshold=np.ones(n, dtype=np.bool_),
            has_row=np.ones(n, dtype=np.bool_),
        ),
        incorrect=SimpleNamespace(incorrect_tag_ratings=np.ones(n), total_ratings=np.full(n, 10.0)),
        note_ratio=RATIO,
    )
    return cast(PrescoringResult, pre)


def _planted() -> _Planted:
    """Note 0: a one-sided note (6 camp-A raters helpful, 8 camp-B raters not helpful, over
    ten days) pushed HELPFUL by a pool within 6 hours: 30 of its accounts caught (flagged,
    not in the fits), 10 left over, on both camps. Note 1: an honest bridged note rated by
    both camps in the same 6 hours, not pushed. Note 2: an honest bridged note the pool
    also pushed, whose honest ratings all came later. Note 3: a good note pushed NOT
    HELPFUL, 5 leftover accounts in the window."""
    rng = np.random.default_rng(0)
    n_a, n_b, n_left, n_caught = 12, 12, 10, 30
    n = n_a + n_b + n_left + n_caught
    factors = np.concatenate(
        [
            rng.uniform(-0.7, -0.2, n_a),
            rng.uniform(0.2, 0.7, n_b),
            np.where(np.arange(n_left) % 2 == 0, -1.0, 1.0) * rng.uniform(0.2, 0.7, n_left),
            rng.uniform(-0.7, 0.7, n_caught),
        ]
    )
    rows: list[tuple[int, int, float]] = []
    times: list[int] = []

    def rate(note: int, rater: int, value: float, lo_h: float, hi_h: float) -> None:
        rows.append((note, rater, value))
        times.append(int(rng.uniform(lo_h, hi_h) * HOUR))

    for u in range(6):
        rate(0, u, 1.0, 0, 240)
    for u in range(n_a, n_a + 8):
        rate(0, u, 0.0, 0, 240)
    left = range(n_a + n_b, n_a + n_b + n_left)
    caught = range(n_a + n_b + n_left, n)
    for u in left:
        rate(0, u, 1.0, 0, 6)
    for u in [*range(10), *range(n_a, n_a + 10)]:
        rate(1, u, 1.0, 0, 6)
        rate(2, u, 1.0, 24, 240)
        rate(3, u, 1.0, 0, 240)
    for u in range(10, 12):
        rate(1, u, 0.0, 0, 6)
        rate(2, u, 0.0, 24, 240)
    for u in list(left)[:5]:
        rate(3, u, 0.0, 0, 6)
    n_kept = len(rows)
    for note, value in ((0, 1.0), (2, 1.0), (3, 0.0)):
        for u in caught:
            rate(note, u, value, 0, 6)
    everything = make_ratings(rows, n_notes=4, n_participants=n, created_at_ms=times)
    flagged = np.arange(everything.n_ratings) >= n_kept
    return _Planted(everything.subset(~flagged), _windows(everything, flagged), _pre(factors))


def _fit(planted: _Planted, windows: PushWindows | None, *, local: bool = True) -> NoteFit:
    fitter = (
        fit_final_notes
        if windows is None
        else guarded_note_fitter(fit_final_notes, windows, local=local)
    )
    return fitter(planted.ratings, planted.pre, CONFIG, RATIO)


def test_leftover_pool_ratings_no_longer_promote_a_pushed_note() -> None:
    planted = _planted()
    assert planted.windows.n_cells == 3
    unguarded = _fit(planted, None).intercept
    guarded = _fit(planted, planted.windows).intercept
    # Ten leftover accounts on both camps lift the one-sided note over the CRH threshold
    # of Core's MF fit; without their verdicts in the push window it is not helpful.
    assert unguarded[0] >= CRH
    assert guarded[0] < CRH
    r = planted.ratings
    clean = _fit(
        dataclasses.replace(planted, ratings=r.subset(~((r.note_idx == 0) & (r.rater_idx >= 24)))),
        None,
    )
    assert guarded[0] == pytest.approx(max(clean.intercept[0], 0.0))
    # Refit on every rating but the pushed ones (group 14's path): the same intercepts,
    # a frozen-rater note fit depends on its note's ratings only.
    np.testing.assert_allclose(_fit(planted, planted.windows, local=False).intercept, guarded)


def test_honest_notes_are_left_alone() -> None:
    planted = _planted()
    unguarded = _fit(planted, None)
    guarded = _fit(planted, planted.windows)
    # Note 1 was rated in the same hours but not pushed; note 2 was pushed, but its honest
    # verdicts came after the push: both keep their intercept (note 2's refit on the same
    # ratings, up to rounding) and status.
    assert guarded.intercept[1] == unguarded.intercept[1]
    assert guarded.intercept[2] == pytest.approx(unguarded.intercept[2], rel=1e-12)
    assert (guarded.intercept[1:3] >= CRH).all()
    # Only the intercept is guarded.
    np.testing.assert_array_equal(guarded.factor, unguarded.factor)
    np.testing.assert_array_equal(guarded.rater_factor, unguarded.rater_factor)


def test_the_guard_only_works_against_the_push() -> None:
    planted = _planted()
    unguarded = _fit(planted, None).intercept
    guarded = _fit(planted, planted.windows).intercept
    up, down = planted.windows.directions(4)
    assert up[[0, 2]].all() and down[3] and not (up[3] or down[1])
    # Up-pushed notes can only fall, and never below 0; the down-pushed good note (its
    # leftover NOT_HELPFUL verdicts dropped, it would rise) keeps its intercept: the guard
    # never raises a note's intercept towards helpful.
    assert (guarded[up] <= unguarded[up]).all() and (guarded[up] >= 0).all()
    assert guarded[3] == unguarded[3] > 0
    # With no windows at all, the guarded fitter is the plain fit.
    empty = PushWindows(*(np.zeros(0, dtype=np.int64) for _ in range(4)))
    np.testing.assert_array_equal(_fit(planted, empty).intercept, unguarded)


def _tagged() -> tuple[Any, PrescoringResult, NoteFit, PushWindows]:
    """Three good notes near factor 0, each with two honest NOT_HELPFUL "incorrect"
    ratings; notes 0 and 2 pushed NOT_HELPFUL by a caught pool within 6 hours. Note 0 has
    three leftover accounts' tagged NOT_HELPFUL ratings in the window; note 1 (not pushed)
    and note 2 (its three extra tagged ratings came after the window) the same counts."""
    rng = np.random.default_rng(1)
    n_honest, n_left, n_caught = 16, 3, 20
    n = n_honest + n_left + n_caught
    factors = rng.uniform(-0.1, 0.1, n)
    rows: list[tuple[int, int, float]] = []
    times: list[int] = []
    tags: list[list[str]] = []

    def rate(note: int, rater: int, value: float, lo_h: float, hi_h: float, tag: bool) -> None:
        rows.append((note, rater, value))
        times.append(int(rng.uniform(lo_h, hi_h) * HOUR))
        tags.append(["notHelpfulIncorrect"] if tag else [])

    for note in range(3):
        for u in range(10):
            rate(note, u, 1.0, 0, 240, False)
        for u in range(10, 12):
            rate(note, u, 0.0, 0, 240, True)
    left = range(n_honest, n_honest + n_left)
    for u in left:
        rate(0, u, 0.0, 1, 5, True)
        rate(1, u, 0.0, 1, 5, True)
    for u in range(12, 15):
        rate(2, u, 0.0, 48, 240, True)
    n_kept = len(rows)
    for note in (0, 2):
        for u in range(n_honest + n_left, n):
            rate(note, u, 0.0, 0, 6, True)
    everything = make_ratings(
        rows, n_notes=3, n_participants=n, created_at_ms=times, not_helpful=tags
    )
    flagged = np.arange(everything.n_ratings) >= n_kept
    scoped = everything.subset(~flagged)
    inputs = SimpleNamespace(
        scoped=scoped, captured=np.ones(3, dtype=np.bool_), n_notes=3, push_windows=None
    )
    rater_factor = np.where(np.bincount(scoped.rater_idx, minlength=n) > 0, factors, np.nan)
    main = NoteFit(scoped, np.full(3, 0.5), np.zeros(3), rater_factor)
    return inputs, _pre(factors), main, _windows(everything, flagged)


def _fires(incorrect: Any) -> np.ndarray:
    s = CONFIG.status
    fires: np.ndarray = (
        (incorrect.incorrect >= s.incorrect_min_tags)
        & (incorrect.num_voters >= s.incorrect_min_voters)
        & (incorrect.tf_idf >= s.incorrect_min_tf_idf)
    )
    return fires


def test_leftover_tags_no_longer_tip_the_incorrect_filter() -> None:
    inputs, pre, main, windows = _tagged()
    plain = note_aggregates(cast(CoreInputs, inputs), pre, CONFIG, main)
    guarded = note_aggregates(cast(CoreInputs, inputs), pre, CONFIG, main, push=windows)
    # Five tagged voters fire the filter on every note; on the pushed note 0, the three
    # leftover accounts inside the window tipped it: without them it does not fire.
    assert _fires(plain.incorrect).all()
    assert _fires(guarded.incorrect).tolist() == [False, True, True]
    assert guarded.incorrect.num_voters[0] == 2
    # Notes 1 (not pushed) and 2 (pushed, its tags came after the window) are untouched,
    # and so are the tag-outlier figures of notes without a leftover in a window.
    for name in ("incorrect", "num_voters", "tf_idf", "p_incorrect_user"):
        np.testing.assert_array_equal(
            getattr(guarded.incorrect, name)[1:], getattr(plain.incorrect, name)[1:]
        )
    np.testing.assert_array_equal(guarded.tags.adjusted[1:], plain.tags.adjusted[1:])
    # The guard only lowers a filter's figures.
    assert (guarded.tags.adjusted <= plain.tags.adjusted).all()
    assert (guarded.incorrect.tf_idf <= plain.incorrect.tf_idf).all()


def test_the_fit_without_the_pushed_ratings_leaves_its_note_factor() -> None:
    planted = _planted()
    guarded = _fit(planted, planted.windows)
    assert guarded.push_factor is not None and _fit(planted, None).push_factor is None
    # Pushed notes 0, 2, 3: the factor of the fit without their in-window pushed verdicts
    # (note 0: the fit without its leftover accounts); note 1, not pushed: NaN.
    assert np.isnan(guarded.push_factor[1]) and np.isfinite(guarded.push_factor[[0, 2, 3]]).all()
    r = planted.ratings
    clean = _fit(
        dataclasses.replace(planted, ratings=r.subset(~((r.note_idx == 0) & (r.rater_idx >= 24)))),
        None,
    )
    assert guarded.push_factor[0] == pytest.approx(clean.factor[0])
    np.testing.assert_array_equal(guarded.factor, _fit(planted, None).factor)


def test_the_guarded_incorrect_filter_reads_the_note_where_the_push_left_it() -> None:
    """Aged-pool 10% seeds 1 and 4: leftover NOT_HELPFUL verdicts moved a good note's factor
    (-0.057 -> -0.120) and two honest NOT_HELPFUL raters came within the incorrect filter's
    0.3 of it; the guarded figures, computed without the in-window ratings but at the
    factor they had moved, still fired. At the factor of the fit without them, they do not
    count, and the note is filtered only where it also is without the push."""
    inputs, pre, main, windows = _tagged()
    n = main.rater_factor.shape[0]
    # Three more honest "incorrect" taggers on each note, after the window, at factor -0.5.
    extra = main.ratings
    rows = list(
        zip(
            extra.note_idx.tolist(),
            extra.rater_idx.tolist(),
            extra.helpful_num.tolist(),
            strict=True,
        )
    )
    times = extra.created_at_ms.tolist()
    tags = [["notHelpfulIncorrect"] if t else [] for t in extra.not_helpful_tags.tolist()]
    for note in range(3):
        for u in range(12, 15):
            rows.append((note, u, 0.0))
            times.append(100 * HOUR)
            tags.append(["notHelpfulIncorrect"])
    scoped = make_ratings(rows, n_notes=3, n_participants=n, created_at_ms=times, not_helpful=tags)
    rater_factor = main.rater_factor.copy()
    rater_factor[12:15] = -0.5
    pre.final_round.rater_factors[12:15, 0] = -0.5
    inputs.scoped = scoped
    # The fit with the leftovers moved note 0 to -0.25 (the taggers at -0.5 are within
    # 0.3); without them it sits at 0.0 (they are 0.5 away).
    drifted = np.array([-0.25, 0.0, 0.0])
    plain_fit = NoteFit(scoped, np.full(3, 0.5), drifted, rater_factor)
    push_fit = dataclasses.replace(plain_fit, push_factor=np.array([0.0, np.nan, np.nan]))
    before = note_aggregates(cast(CoreInputs, inputs), pre, CONFIG, plain_fit, push=windows)
    after = note_aggregates(cast(CoreInputs, inputs), pre, CONFIG, push_fit, push=windows)
    assert _fires(before.incorrect)[0]  # the in-window leftovers out, the drift kept
    assert not _fires(after.incorrect)[0]
    assert after.incorrect.num_voters[0] == 2
    # Notes whose push factor is NaN (not pushed, or no fit without) keep their figures.
    for name in ("incorrect", "num_voters", "tf_idf"):
        np.testing.assert_array_equal(
            getattr(after.incorrect, name)[1:], getattr(before.incorrect, name)[1:]
        )
