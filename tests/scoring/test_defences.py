"""The defences' reading of a prescoring: raters the final round left out; the
unexplained-ratings test's acquittal of revoked groups."""

from __future__ import annotations

from types import SimpleNamespace
from typing import cast

import numpy as np
from numpy.typing import NDArray

from bridgewatch.scoring.defences import _prescoring_model, _RaterModel, _test_unexplained
from bridgewatch.scoring.inputs import CoreInputs
from bridgewatch.scoring.manipulation import UnexplainedConfig, UnexplainedResult, revoked_groups
from bridgewatch.scoring.prescoring import PrescoringResult


def _params(intercepts: list[float], factors: list[float]) -> SimpleNamespace:
    return SimpleNamespace(
        rater_intercepts=np.array(intercepts),
        rater_factors=np.array(factors)[:, None],
        global_intercept=0.1,
    )


def test_unproven_raters_outside_the_final_round_take_round_one_parameters() -> None:
    """Issue 15: a pool whose verdicts go against bridged outcomes fails the helpfulness
    filter and leaves the final round, yet its ratings bent round 1; the unexplained test
    must still see it. Round 1's factor sign is aligned with the final round's; an
    established rater left out stays out of the reference."""
    nan = float("nan")
    pre = SimpleNamespace(
        final_round=_params([0.1, -0.1, nan, nan], [0.5, -0.4, nan, nan]),
        round1=_params([0.2, -0.2, -0.5, 0.3], [-0.6, 0.5, 0.7, -0.2]),
    )
    established = np.array([True, True, False, True])
    model = _prescoring_model(cast(PrescoringResult, pre), established)
    np.testing.assert_allclose(model.intercepts[:3], [0.1, -0.1, -0.5])
    np.testing.assert_allclose(model.factors[:3], [0.5, -0.4, -0.7])  # sign flipped
    assert np.isnan(model.intercepts[3]) and np.isnan(model.factors[3])
    assert model.global_intercept == 0.1


def _acquittal_case() -> tuple[SimpleNamespace, NDArray[np.int64], NDArray[np.int64]]:
    """Ten established outsiders (raters 0-9) beside three kinds of unproven raters:

    - an honest circle whose establishment was revoked (raters 10-29, group 0) rating its
      24 niche notes (0-23) as the outsiders do, except on note 0, a bad note the circle
      calls NOT HELPFUL as one while the outsiders hesitate (3 NOT HELPFUL, 6 SOMEWHAT, 1
      HELPFUL): the per-note test catches it, the circle's 24 notes pooled do not;
    - a revoked aged brigade (raters 30-39, group 1) calling three bad notes (24-26)
      HELPFUL: caught on all three and convicted;
    - ten fresh accounts outside any group (raters 40-49) calling bad note 27 HELPFUL.
    """
    split = [0.0] * 3 + [0.5] * 6 + [1.0]
    rows: list[tuple[int, int, float]] = []
    for n in range(24):
        outsiders = split if n == 0 else [1.0] * 9 + [0.5]
        rows += [(n, u, y) for u, y in enumerate(outsiders)]
        rows += [
            (n, u, 0.0 if n == 0 else (0.5 if (u + n) % 10 == 0 else 1.0)) for u in range(10, 30)
        ]
    for n in (24, 25, 26):
        rows += [(n, u, 0.5 if u == 9 else 0.0) for u in range(10)]
        rows += [(n, u, 1.0) for u in range(30, 40)]
    rows += [(27, u, 0.0) for u in range(10)] + [(27, u, 1.0) for u in range(40, 50)]
    a = np.array(rows)
    notes, raters, y = a[:, 0].astype(np.int64), a[:, 1].astype(np.int64), a[:, 2]
    group = np.full(50, -1, dtype=np.int64)
    group[10:30], group[30:40] = 0, 1
    levels = np.rint(y * 2).astype(np.int64)
    groups = revoked_groups(notes, levels, raters, group, (raters >= 10) & (raters < 40), 28)
    inputs = SimpleNamespace(
        scoped=SimpleNamespace(note_idx=notes, rater_idx=raters, helpful_num=y, n_ratings=y.size),
        established=np.arange(50) < 10,
        revoked_groups=groups,
        n_notes=28,
    )
    return inputs, notes, raters


def test_an_acquitted_circle_keeps_its_ratings_on_a_note_caught_by_chance() -> None:
    """Issue 15 (bench, aged-pool 20%, whole roster): a revoked honest circle's bad note
    crossed the per-note bar in the Expansion scorers' view and lost 26 honest ratings,
    while the circle's groups pooled 1.4-1.9 over their 23-24 notes. A group the
    conviction judged on its notes and acquitted leaves the per-note test; a convicted
    brigade and fresh accounts outside any group are caught as before."""
    inputs, notes, raters = _acquittal_case()
    zero = np.zeros(50)
    model = _RaterModel(zero, zero, 0.0)

    def run(acquit: bool) -> UnexplainedResult:
        config = UnexplainedConfig(acquit_groups=acquit)
        return _test_unexplained(cast(CoreInputs, inputs), model, config)

    circle = (raters >= 10) & (raters < 30)
    brigade, fresh = (raters >= 30) & (raters < 40), raters >= 40
    before, after = run(False), run(True)
    assert before.convicted is not None and after.convicted is not None
    np.testing.assert_array_equal(before.convicted, [False, True])
    np.testing.assert_array_equal(after.convicted, [False, True])
    # Without the acquittal the circle loses its 20 verdicts on note 0 ...
    np.testing.assert_array_equal(before.flagged & circle, circle & (notes == 0))
    assert before.targeted[0]
    # ... with it, none; the brigade and the fresh accounts lose every attack rating.
    assert not (after.flagged & circle).any() and not after.targeted[0]
    np.testing.assert_array_equal(after.flagged, brigade | fresh)
    np.testing.assert_array_equal(before.flagged & ~circle, brigade | fresh)
