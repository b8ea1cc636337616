"""The Gaussian scorers' note fit with the push guard: a pool's leftover accounts no longer
promote a note the group passes caught it pushing; honest notes are left alone."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace
from typing import Any, cast

import numpy as np
import pytest

from bridgewatch.io.dataset import Dataset
from bridgewatch.model import Ratings
from bridgewatch.scoring.config import ScoringConfig
from bridgewatch.scoring.defences import screen_shared, with_defences
from bridgewatch.scoring.inputs import CoreInputs, prepare_core_inputs
from bridgewatch.scoring.manipulation import PushGuardConfig, PushWindows, find_push_windows
from bridgewatch.scoring.prescoring import PrescoringResult
from bridgewatch.scoring.scorers import default_roster
from bridgewatch.scoring.scorers import run as roster_run
from bridgewatch.scoring.scorers.gaussian_fit import gaussian_note_fitter
from bridgewatch.scoring.scorers.spec import ScorerSpec
from tests.scoring.community import load_small_community
from tests.scoring.factories import make_ratings

HOUR = 3_600_000
CONFIG = ScoringConfig(topics=None)


def _gaussian(config: ScoringConfig = CONFIG) -> ScorerSpec:
    return next(s for s in default_roster(config) if s.name == "GaussianScorer")


@dataclasses.dataclass
class _Planted:
    ratings: Ratings  # what the Gaussian fits read (the flagged ratings are gone)
    windows: PushWindows
    pre: PrescoringResult


def _caught_after(
    everything: Ratings, n_kept: int, factors: np.ndarray
) -> tuple[Ratings, PushWindows, PrescoringResult]:
    """The ratings before ``n_kept`` (the rest are the caught accounts', flagged), the push
    windows those flags open, and a stand-in prescoring with rater factors ``factors``."""
    n = factors.shape[0]
    flagged = np.arange(everything.n_ratings) >= n_kept
    windows = find_push_windows(
        everything.note_idx,
        np.rint(everything.helpful_num * 2).astype(np.int64),
        everything.created_at_ms,
        flagged,
        PushGuardConfig(),
    )
    pre = SimpleNamespace(
        final_round=SimpleNamespace(
            rater_intercepts=np.zeros(n), rater_factors=factors[:, None], global_intercept=0.1
        ),
        helpfulness=SimpleNamespace(above_helpfulness_threshold=np.ones(n, dtype=np.bool_)),
        note_ratio=7.0,
    )
    return everything.subset(~flagged), windows, cast(PrescoringResult, pre)


def _planted() -> _Planted:
    """Note 0: a one-sided note (8 camp-A raters helpful, 4 camp-B raters not helpful or
    somewhat, over ten days) pushed HELPFUL by a pool within 6 hours: 30 of its accounts
    caught (flagged, not in the fits), 20 left over, on both camps. Note 1: an honest
    bridged note rated by both camps in the same 6 hours, not pushed. Note 2: an honest
    bridged note the pool also pushed, whose honest ratings all came later."""
    rng = np.random.default_rng(0)
    n_a, n_b, n_left, n_caught = 12, 12, 20, 30
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

    for u in range(8):
        rate(0, u, 1.0, 0, 240)
    for u in range(n_a, n_a + 4):
        rate(0, u, 0.0 if u % 3 else 0.5, 0, 240)
    left = range(n_a + n_b, n_a + n_b + n_left)
    caught = range(n_a + n_b + n_left, n)
    for u in left:
        rate(0, u, 1.0, 0, 6)
    for u in [*range(10), *range(n_a, n_a + 10)]:
        rate(1, u, 1.0, 0, 6)
        rate(2, u, 1.0, 24, 240)
    for u in range(10, 12):
        rate(1, u, 0.0, 0, 6)
        rate(2, u, 0.0, 24, 240)
    n_kept = len(rows)
    for note in (0, 2):
        for u in caught:
            rate(note, u, 1.0, 0, 6)
    everything = make_ratings(rows, n_notes=3, n_participants=n, created_at_ms=times)
    kept, windows, pre = _caught_after(everything, n_kept, factors)
    return _Planted(kept, windows, pre)


def _intercepts(planted: _Planted, windows: PushWindows | None) -> Any:
    spec = _gaussian()
    borrowed = SimpleNamespace(
        note_info=SimpleNamespace(author_idx=np.full(3, -1, dtype=np.int32)),
        push_windows=windows,
    )
    fitter = gaussian_note_fitter(spec, cast(CoreInputs, borrowed))
    return fitter(planted.ratings, planted.pre, spec.config, 7.0).intercept


def test_leftover_pool_ratings_no_longer_promote_a_pushed_note() -> None:
    planted = _planted()
    threshold = _gaussian().config.status.crh_threshold
    assert planted.windows.n_cells == 2
    unguarded = _intercepts(planted, None)
    guarded = _intercepts(planted, planted.windows)
    # Twenty leftover accounts on both camps lift the one-sided note over the Gaussian CRH
    # threshold; without their verdicts in the push window it is not helpful.
    assert unguarded[0] >= threshold
    assert guarded[0] < threshold
    without_leftovers = planted.ratings.subset(
        ~((planted.ratings.note_idx == 0) & (planted.ratings.rater_idx >= 24))
    )
    clean = _intercepts(dataclasses.replace(planted, ratings=without_leftovers), None)
    assert guarded[0] == pytest.approx(max(clean[0], 0.0))


def test_honest_notes_are_left_alone() -> None:
    planted = _planted()
    threshold = _gaussian().config.status.crh_threshold
    unguarded = _intercepts(planted, None)
    guarded = _intercepts(planted, planted.windows)
    # Note 1 was rated in the same hours but not pushed; note 2 was pushed, but its honest
    # verdicts came after the push: both keep their intercept and status.
    np.testing.assert_array_equal(guarded[1:], unguarded[1:])
    assert (guarded[1:] >= threshold).all()


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Dataset:
    return load_small_community(tmp_path_factory.mktemp("community"))


def test_defaults_compute_no_push_windows(dataset: Dataset) -> None:
    inputs = prepare_core_inputs(dataset, CONFIG)
    assert screen_shared(inputs, CONFIG).inputs.push_windows is None
    off = dataclasses.replace(with_defences(CONFIG), push_guard=None)
    assert screen_shared(inputs, off).inputs.push_windows is None


def test_push_windows_reach_the_gaussian_scorers_fits(dataset: Dataset) -> None:
    config = with_defences(CONFIG)
    shared = screen_shared(prepare_core_inputs(dataset, config), config)
    windows = shared.inputs.push_windows
    assert windows is not None and windows.n_cells == 0  # an honest community
    roster = default_roster(config)
    core = next(s for s in roster if s.name == "MFCoreScorer")
    spec = next(s for s in roster if s.name == "GaussianScorer")
    prescored = {core.name: roster_run._prescore(shared, core, 7)}

    def statuses(screening: Any) -> Any:
        run = roster_run._final(spec, screening, prescored, gaussian_note_fitter, 7)
        assert run.final is not None
        return run.final.rules.status, run.final.main.intercept

    status, intercept = statuses(shared)
    helpful = np.flatnonzero(status == 1)
    assert helpful.size >= 2
    # Plant a push on two helpful notes over the whole time line: their helpful verdicts
    # must now carry them without any helpful rating, and cannot.
    pushed = np.sort(helpful[:2].astype(np.int64) * 3 + 2)
    wide = np.iinfo(np.int64).max // 2
    planted = PushWindows(
        pushed, np.full(2, -wide), np.full(2, wide), np.full(2, 10, dtype=np.int64)
    )
    screening = dataclasses.replace(
        shared, inputs=dataclasses.replace(shared.inputs, push_windows=planted)
    )
    # The borrowed view is taken from the shared inputs, so the prescoring's view holds the
    # windows too.
    prescored[core.name] = dataclasses.replace(
        prescored[core.name],
        inputs=dataclasses.replace(prescored[core.name].inputs, push_windows=planted),
    )
    guarded_status, guarded_intercept = statuses(screening)
    assert (guarded_status[helpful[:2]] != 1).all()
    others = np.ones(status.shape[0], dtype=np.bool_)
    others[helpful[:2]] = False
    np.testing.assert_array_equal(guarded_status[others], status[others])
    np.testing.assert_array_equal(guarded_intercept[others], intercept[others])


# The coverage floor of the CRH pass (``gaussian_fit.guard_coverage_floor``).

_BRIDGED = (-0.5, -0.45, -0.4, -0.35, -0.3, 0.05, 0.1, 0.15, 0.2, 0.25)
_HIGH_VOLUME = 0.6  # a high-volume rater's factor: out of the no-high-volume fit


def _coverage_planted(outer: float) -> tuple[Ratings, PushWindows, PrescoringResult, Any]:
    """Four good notes, each rated HELPFUL (one NOT_HELPFUL at -0.3) by ten bridged raters
    and a high-volume rater at +0.6, honest ratings over days 1-10. Notes 0, 1 and 3 also
    have an outermost positive rater at ``outer``: with ``outer`` just under 0.33 their
    no-high-volume fit's CRH pass leaves +0.92 under the weight floor (insufficient).
    Note 2's positive side is the high-volume rater alone and four raters at -0.2..-0.05.
    Notes 0 and 2 are pushed NOT HELPFUL and note 3 HELPFUL by 30 caught accounts (flagged,
    not in the fits) within 6 hours; note 1 is not pushed. Returns the fits' ratings, the
    windows, the prescoring and the no-high-volume mask."""
    n_bridged = len(_BRIDGED)
    outer_u, hv_u, side_u = n_bridged, n_bridged + 1, n_bridged + 2
    caught = range(side_u + 4, side_u + 34)
    factors = np.concatenate(
        [_BRIDGED, [outer, _HIGH_VOLUME], [-0.2, -0.15, -0.1, -0.05], np.linspace(-0.6, 0.6, 30)]
    )
    n = factors.shape[0]
    rng = np.random.default_rng(1)
    rows: list[tuple[int, int, float]] = []
    times: list[int] = []

    def rate(note: int, rater: int, value: float, lo_h: float, hi_h: float) -> None:
        rows.append((note, rater, value))
        times.append(int(rng.uniform(lo_h, hi_h) * HOUR))

    for note in (0, 1, 3):
        for u in range(n_bridged):
            rate(note, u, 0.0 if _BRIDGED[u] == -0.3 else 1.0, 24, 240)
        rate(note, outer_u, 1.0, 24, 240)
        rate(note, hv_u, 1.0, 24, 240)
    for u in [*range(5), *range(side_u, side_u + 4), hv_u]:
        rate(2, u, 1.0, 24, 240)
    n_kept = len(rows)
    for note, value in ((0, 0.0), (2, 0.0), (3, 1.0)):
        for u in caught:
            rate(note, u, value, 0, 6)
    everything = make_ratings(rows, n_notes=4, n_participants=n, created_at_ms=times)
    ratings, windows, pre = _caught_after(everything, n_kept, factors)
    return ratings, windows, pre, ratings.rater_idx != hv_u


def _coverage_fit(outer: float, windows: bool, *, aux: bool = True) -> Any:
    ratings, planted, pre, no_high_vol = _coverage_planted(outer)
    spec = _gaussian()
    borrowed = SimpleNamespace(
        note_info=SimpleNamespace(author_idx=np.full(4, -1, dtype=np.int32)),
        push_windows=planted if windows else None,
    )
    fitter = gaussian_note_fitter(spec, cast(CoreInputs, borrowed))
    return fitter(ratings, pre, spec.config, 7.0, mask=no_high_vol if aux else None)


def test_factor_drift_over_the_coverage_floor_no_longer_filters_a_pushed_good_note() -> None:
    bar = _gaussian().config.status.no_high_vol_threshold
    clean = _coverage_fit(0.34, windows=False)  # the outermost rater's factor, no attack
    drifted = _coverage_fit(0.31, windows=False)  # the same ratings, the factor moved
    # The drift alone tips the no-high-volume fit's CRH pass under its floor: the fit's
    # intercept falls to minus the CRNH score and NoHighVolIntercept would fire.
    assert not clean.aggregate.crh_insufficient[0] and clean.intercept[0] >= bar
    assert drifted.aggregate.crh_insufficient[[0, 1, 3]].all()
    assert (drifted.filter_figure()[[0, 1, 3]] < 0).all()
    guarded = _coverage_fit(0.31, windows=True)
    # Pushed not helpful (note 0): the filter reads the fit without the floor too, as
    # high as the fit without the drift.
    assert guarded.filter_figure()[0] >= bar
    assert guarded.filter_figure()[0] == pytest.approx(clean.intercept[0], abs=0.01)
    # The fit's own intercept (what a status reads) is untouched on every note.
    np.testing.assert_array_equal(guarded.intercept, drifted.intercept)
    main = _coverage_fit(0.31, windows=True, aux=False)
    np.testing.assert_array_equal(main.intercept, _coverage_fit(0.31, False, aux=False).intercept)


def test_coverage_floor_guard_leaves_other_notes_and_one_sided_coverage_alone() -> None:
    bar = _gaussian().config.status.no_high_vol_threshold
    drifted = _coverage_fit(0.31, windows=False)
    guarded = _coverage_fit(0.31, windows=True)
    figure = guarded.filter_figure()
    # Note 1 (not pushed) and note 3 (pushed HELPFUL) keep the reference's figure.
    np.testing.assert_array_equal(figure[[1, 3]], drifted.filter_figure()[[1, 3]])
    # Note 2, pushed NOT HELPFUL, is helpful on the positive side only through its
    # high-volume rater: without the floor its no-high-volume fit still scores under the
    # bar, and the filter still fires.
    assert drifted.aggregate.crh_insufficient[2]
    assert figure[2] < bar
    # Without a window nothing changes: the reference's fit.
    assert drifted.filter_intercept is None
