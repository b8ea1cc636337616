"""The numba reference-Adam solver equals its plain-numpy twin."""

from __future__ import annotations

import numpy as np
import pytest

from bridgewatch.scoring.harassment import (
    HarassmentConfig,
    fit_harassment_model,
    solve_adam,
    solve_adam_fast,
    solve_adam_vectorized,
)
from bridgewatch.scoring.harassment.problem import Solver
from tests.scoring.harassment.conftest import make_toy


@pytest.mark.parametrize("fast_solver", [solve_adam_fast, solve_adam_vectorized])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_numba_adam_equals_numpy_adam(seed: int, fast_solver: Solver) -> None:
    toy = make_toy(seed)
    fits = [
        fit_harassment_model(
            toy.note_idx,
            toy.rater_idx,
            toy.labels,
            n_notes=toy.n_notes,
            n_raters=toy.n_raters,
            init_rater_factors=toy.rater_factors,
            init_note_factors=toy.note_factors,
            config=HarassmentConfig(),
            solver=solver,
        )
        for solver in (fast_solver, solve_adam)
    ]
    fast, plain = fits
    assert fast.iterations == plain.iterations and fast.converged
    np.testing.assert_allclose(fast.note_intercepts, plain.note_intercepts, atol=1e-9)
    np.testing.assert_allclose(fast.rater_factors, plain.rater_factors, atol=1e-9)
    assert fast.loss == pytest.approx(plain.loss, rel=1e-12)


def test_adam_epoch_cap_warns() -> None:
    toy = make_toy(0)
    from bridgewatch.errors import ConvergenceWarning

    with pytest.warns(ConvergenceWarning, match="after 3 iterations"):
        fit_harassment_model(
            toy.note_idx, toy.rater_idx, toy.labels,
            n_notes=toy.n_notes, n_raters=toy.n_raters,
            init_rater_factors=toy.rater_factors, init_note_factors=toy.note_factors,
            config=HarassmentConfig(adam_max_epochs=3),
        )  # fmt: skip
