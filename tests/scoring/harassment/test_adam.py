"""The numba reference-Adam solver equals its plain-numpy twin."""

from __future__ import annotations

from typing import Any, Literal

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
            config=HarassmentConfig(adam_dtype="float64"),
            solver=solver,
        )
        for solver in (fast_solver, solve_adam)
    ]
    fast, plain = fits
    assert fast.iterations == plain.iterations and fast.converged
    np.testing.assert_allclose(fast.note_intercepts, plain.note_intercepts, atol=1e-9)
    np.testing.assert_allclose(fast.rater_factors, plain.rater_factors, atol=1e-9)
    assert fast.loss == pytest.approx(plain.loss, rel=1e-12)


def _fit_dtype(toy: Any, dtype: Literal["float32", "float64"]) -> Any:
    return fit_harassment_model(
        toy.note_idx, toy.rater_idx, toy.labels, n_notes=toy.n_notes,
        n_raters=toy.n_raters, init_rater_factors=toy.rater_factors,
        init_note_factors=toy.note_factors, config=HarassmentConfig(adam_dtype=dtype),
    )  # fmt: skip


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_float32_adam_follows_the_float64_adam(seed: int) -> None:
    toy = make_toy(seed)
    fits = [_fit_dtype(toy, dtype) for dtype in ("float32", "float32", "float64")]
    single, again, double = fits
    assert HarassmentConfig().adam_dtype == "float64" and single.converged
    assert single.note_intercepts.tobytes() == again.note_intercepts.tobytes()
    assert abs(single.iterations - double.iterations) <= 5
    np.testing.assert_allclose(single.note_intercepts, double.note_intercepts, atol=1e-3)
    assert single.loss == pytest.approx(double.loss, rel=1e-4)


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
