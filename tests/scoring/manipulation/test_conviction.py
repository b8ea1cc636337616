"""Group conviction: a revoked co-rating group caught by the unexplained-ratings test on
most of its notes loses its concentrated verdicts on all of them, untestable ones too; an
honest circle the test never catches loses nothing."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.typing import NDArray

from bridgewatch.errors import ConfigError
from bridgewatch.scoring.manipulation import (
    Conviction,
    RevokedGroups,
    UnexplainedConfig,
    convict_groups,
    revoked_groups,
)

N_NOTES = 6
HELPFUL, NOT_HELPFUL = 2, 0


def _ratings() -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """A brigade (raters 0-4) rates notes 0-3 HELPFUL (note 3 has too few established
    ratings to be tested) and note 5 NOT HELPFUL once each; an honest circle (raters 5-9)
    rates its niche notes 4 and 5 HELPFUL; rater 10 rates everything SOMEWHAT."""
    rows = [(n, u, HELPFUL) for u in range(5) for n in range(4)]
    rows += [(5, u, NOT_HELPFUL) for u in range(5)]
    rows += [(n, u, HELPFUL) for u in range(5, 10) for n in (4, 5)]
    rows += [(n, 10, 1) for n in range(N_NOTES)]
    a = np.array(rows, dtype=np.int64)
    return a[:, 0], a[:, 1], a[:, 2]


def _groups(
    notes: NDArray[np.int64], raters: NDArray[np.int64], levels: NDArray[np.int64]
) -> RevokedGroups:
    group = np.full(11, -1, dtype=np.int64)
    group[:5], group[5:10] = 0, 1
    # The co-rating pass's concentrated cells: the brigade's HELPFUL on notes 0-3, the
    # circle's HELPFUL on notes 4-5.
    concentrated = ((raters < 5) & (levels == HELPFUL)) | ((raters >= 5) & (raters < 10))
    return revoked_groups(notes, levels, raters, group, concentrated, N_NOTES)


def _convict(
    shift: list[float],
    *,
    targeted: tuple[int, ...] = (0, 1, 2),
    unproven: NDArray[np.bool_] | None = None,
    min_notes: int = 2,
) -> tuple[Conviction, NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    notes, raters, levels = _ratings()
    tested = np.array([True, True, True, False, True, True])
    target_mask = np.isin(np.arange(N_NOTES), targeted)
    found = convict_groups(
        notes,
        levels,
        raters,
        np.ones(11, dtype=np.bool_) if unproven is None else unproven,
        _groups(notes, raters, levels),
        tested,
        target_mask,
        np.array(shift),
        min_notes=min_notes,
        share=0.5,
    )
    return found, notes, raters, levels


def test_revoked_groups_keys_their_concentrated_cells() -> None:
    notes, raters, levels = _ratings()
    groups = _groups(notes, raters, levels)
    assert groups.n_groups == 2 and groups.n_notes == N_NOTES
    expected = [0 * 18 + n * 3 + HELPFUL for n in range(4)] + [18 + n * 3 + HELPFUL for n in (4, 5)]
    np.testing.assert_array_equal(groups.cells, expected)


def test_a_brigade_caught_on_its_tested_notes_loses_the_untested_one_and_a_circle_nothing() -> None:
    found, notes, raters, levels = _convict([0.6, 0.5, 0.7, np.nan, 0.0, 0.0])
    np.testing.assert_array_equal(found.convicted, [True, False])
    np.testing.assert_array_equal(found.caught, [3, 0])
    np.testing.assert_array_equal(found.tested, [3, 2])
    # Every brigade HELPFUL on notes 0-3, note 3 (never tested) included; its NOT HELPFUL
    # on note 5 was no shared cell, the circle and rater 10 keep everything.
    np.testing.assert_array_equal(found.flagged, (raters < 5) & (notes < 4) & (levels == HELPFUL))


def test_no_conviction_against_the_groups_direction_or_below_the_bar() -> None:
    # The unproven raters pushed the notes down while the group says HELPFUL: not its doing.
    found, *_ = _convict([-0.6, -0.5, -0.7, np.nan, 0.0, 0.0])
    assert not found.convicted.any() and not found.flagged.any()
    # One caught note is below min_notes ...
    found, *_ = _convict([0.6, 0.0, 0.0, np.nan, 0.0, 0.0], targeted=(0,))
    assert not found.convicted.any()
    # ... and with min_notes 1, one of three tested notes is below the share (0.5).
    found, *_ = _convict([0.6, 0.0, 0.0, np.nan, 0.0, 0.0], targeted=(0,), min_notes=1)
    assert not found.convicted.any()


def test_members_established_in_the_view_keep_their_ratings() -> None:
    unproven = np.ones(11, dtype=np.bool_)
    unproven[0] = False
    found, _, raters, _ = _convict([0.6, 0.5, 0.7, np.nan, 0.0, 0.0], unproven=unproven)
    assert found.convicted[0]
    assert not found.flagged[raters == 0].any() and found.flagged[raters == 1].any()


def test_checks() -> None:
    notes, raters, levels = _ratings()
    groups = _groups(notes, raters, levels)
    with pytest.raises(ConfigError, match="tested"):
        convict_groups(
            notes,
            levels,
            raters,
            np.ones(11, dtype=np.bool_),
            groups,
            np.ones(3, dtype=np.bool_),
            np.ones(N_NOTES, dtype=np.bool_),
            np.zeros(N_NOTES),
            min_notes=2,
            share=0.5,
        )
    with pytest.raises(ConfigError, match="levels"):
        revoked_groups(notes, levels[:3], raters, groups.group, np.zeros(notes.size, np.bool_), 6)


def test_default_share_convicts_a_brigade_caught_on_a_third_and_spares_a_circle() -> None:
    """Issue 15, round five: an aged two-camp brigade of 64 accounts was caught on 4 of its 9
    testable notes (half its members' verdicts are explained by their camp) and kept 2
    targets under the old share of one half. With the default share (1/3) it is convicted,
    while an honest circle with 2 chance catches among its 24 notes is not."""
    share = UnexplainedConfig().convict_share
    n_notes = 9 + 24
    rows = [(n, u, HELPFUL) for u in range(8) for n in range(9)]  # brigade: raters 0-7
    rows += [(n, u, HELPFUL) for u in range(8, 16) for n in range(9, n_notes)]  # circle
    a = np.array(rows, dtype=np.int64)
    notes, raters, levels = a[:, 0], a[:, 1], a[:, 2]
    group = np.r_[np.zeros(8, np.int64), np.ones(8, np.int64)]
    groups = revoked_groups(notes, levels, raters, group, np.ones(notes.size, np.bool_), n_notes)
    targeted = np.isin(np.arange(n_notes), [0, 1, 2, 3, 9, 10])

    def convict(min_notes: int, share: float) -> Conviction:
        return convict_groups(
            notes,
            levels,
            raters,
            np.ones(16, dtype=np.bool_),
            groups,
            np.ones(n_notes, dtype=np.bool_),
            targeted,
            np.where(targeted, 0.5, 0.0),
            min_notes=min_notes,
            share=share,
        )

    found = convict(UnexplainedConfig().convict_min_notes, share)
    np.testing.assert_array_equal(found.caught, [4, 2])
    np.testing.assert_array_equal(found.convicted, [True, False])
    np.testing.assert_array_equal(found.flagged, raters < 8)
    half = convict(2, 0.5)
    assert not half.convicted.any()


def test_pooled_evidence_convicts_a_group_deviating_the_same_way_on_every_note() -> None:
    """No note is caught (none reaches the per-note bar), but the brigade deviates by 2.5
    standard errors the same way on each of its 3 tested notes (Stouffer 4.3): convicted,
    its untested note included. The circle's notes scatter around 0: left alone; a
    circle at +1.5 on both (pooled 2.1) too."""
    notes, raters, levels = _ratings()
    tested = np.array([True, True, True, False, True, True])
    groups = _groups(notes, raters, levels)

    def run(
        note_z: list[float] | None, pooled_z: float | None = 4.0, pooled_mean: float = 1.5
    ) -> Conviction:
        return convict_groups(
            notes,
            levels,
            raters,
            np.ones(11, dtype=np.bool_),
            groups,
            tested,
            np.zeros(N_NOTES, dtype=np.bool_),
            np.zeros(N_NOTES),
            min_notes=2,
            share=0.5,
            note_z=None if note_z is None else np.array(note_z),
            pooled_z=pooled_z,
            pooled_mean=pooled_mean,
        )

    found = run([2.5, 2.5, 2.5, 0.0, 0.4, -0.6])
    np.testing.assert_array_equal(found.convicted, [True, False])
    assert found.pooled is not None
    np.testing.assert_allclose(found.pooled, [7.5 / np.sqrt(3), -0.2 / np.sqrt(2)])
    brigade_helpful = (raters < 5) & (levels == HELPFUL)
    np.testing.assert_array_equal(found.flagged, brigade_helpful)
    assert not run([2.5, 2.5, 2.5, 0.0, 1.5, 1.5]).convicted[1]
    # A small shift shared by every note sums past the bar only with many notes; the
    # mean bar asks for whole standard errors per note.
    assert not run([2.5, 2.5, 2.5, 0.0, 0.0, 0.0], pooled_mean=3.0).convicted.any()
    # Deviations against the group's verdict are no evidence for it.
    assert not run([-2.5, -2.5, -2.5, 0.0, 0.0, 0.0]).convicted.any()
    # Off without the statistics or the bar; the per-note rule alone then sees nothing.
    assert not run(None).convicted.any()
    assert not run([2.5, 2.5, 2.5, 0.0, 0.0, 0.0], None).convicted.any()
    with pytest.raises(ConfigError):
        run([1.0, 2.0])
