"""Round-1 MF with stable initialisation (scoring-core.md §4.2)."""

from __future__ import annotations

import numpy as np
import pytest

from bridgewatch.errors import InputError
from bridgewatch.scoring.mf import MFInit, fit_mf, fit_with_stable_init
from tests.scoring.mf.helpers import two_camps


def test_full_fit_starts_from_the_subset_fit() -> None:
    prob = two_camps(3, n_notes=14, n_raters=18)
    stable = (prob.rater_idx < 10) & (prob.note_idx < 10)
    res = fit_with_stable_init(
        prob.note_idx,
        prob.rater_idx,
        prob.values,
        stable=stable,
        n_notes=14,
        n_raters=18,
        rng=np.random.default_rng(4),
    )
    assert np.all(np.isnan(res.stable.params.note_intercepts[10:]))
    by_hand = fit_mf(
        prob.note_idx,
        prob.rater_idx,
        prob.values,
        n_notes=14,
        n_raters=18,
        init=MFInit.from_params(res.stable.params),
    )
    np.testing.assert_array_equal(res.full.params.note_intercepts, by_hand.params.note_intercepts)
    assert np.all(np.isfinite(res.full.params.note_intercepts))
    f = res.full.params.rater_factors[:, 0]
    assert np.count_nonzero(f < 0) >= np.count_nonzero(f > 0)


def test_an_empty_subset_is_an_error() -> None:
    prob = two_camps(0)
    with pytest.raises(InputError, match="selects no ratings"):
        fit_with_stable_init(
            prob.note_idx,
            prob.rater_idx,
            prob.values,
            stable=np.zeros(prob.values.size, dtype=bool),
            n_notes=prob.n_notes,
            n_raters=prob.n_raters,
            rng=np.random.default_rng(0),
        )
