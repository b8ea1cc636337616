"""Validation of rating arrays and initial values shared by the MF entry points (§3.3)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from bridgewatch.errors import InputError
from bridgewatch.scoring.mf.params import MFInit

__all__ = ["StartValues", "check_ratings", "check_ratio", "start_values"]

FloatArray = NDArray[np.float64]


def check_ratings(
    note_idx: NDArray[np.integer],
    rater_idx: NDArray[np.integer],
    values: NDArray[np.floating],
    weights: NDArray[np.floating] | None,
    n_notes: int,
    n_raters: int,
) -> None:
    """Raise InputError unless the rating arrays are aligned, in range and finite."""
    n = values.shape[0] if values.ndim == 1 else -1
    for name, arr in (("note_idx", note_idx), ("rater_idx", rater_idx), ("values", values)):
        if arr.ndim != 1 or arr.shape[0] != n:
            raise InputError(f"must be 1-D with one entry per rating ({n})", field=name)
    if n == 0:
        raise InputError("no ratings to fit", field="values")
    for name, arr, bound in (("note_idx", note_idx, n_notes), ("rater_idx", rater_idx, n_raters)):
        if not np.issubdtype(arr.dtype, np.integer):
            raise InputError(f"must have an integer dtype, got {arr.dtype}", field=name)
        lo, hi = int(arr.min()), int(arr.max())
        if lo < 0 or hi >= bound:
            raise InputError(f"indexes must lie in [0, {bound}), got [{lo}, {hi}]", field=name)
    if not np.issubdtype(values.dtype, np.floating) or not np.all(np.isfinite(values)):
        raise InputError("must be finite floating-point numbers", field="values")
    if weights is not None:
        if weights.shape != values.shape:
            raise InputError("must have one entry per rating", field="weights")
        if not np.all(np.isfinite(weights)) or np.any(weights < 0):
            raise InputError("must be finite and >= 0", field="weights")


def check_ratio(name: str, ratio: float | None) -> None:
    """Raise InputError unless ``ratio`` is None or a finite positive number."""
    if ratio is not None and not (np.isfinite(ratio) and ratio > 0):
        raise InputError(f"must be a finite number > 0, got {ratio!r}", field=name)


@dataclass(frozen=True)
class StartValues:
    """Initial parameters, full size, float64; rows of absent entities are 0."""

    note_intercepts: FloatArray
    note_factors: FloatArray
    rater_intercepts: FloatArray
    rater_factors: FloatArray
    global_intercept: float


def _block(
    name: str,
    intercepts: NDArray[np.floating] | None,
    factors: NDArray[np.floating] | None,
    present: NDArray[np.bool_],
    n_factors: int,
    rng: np.random.Generator | None,
) -> tuple[FloatArray, FloatArray]:
    n = present.shape[0]
    if intercepts is None and factors is None:
        count = int(np.count_nonzero(present))
        # Xavier-uniform on the (count x k) embedding, as torch's xavier_uniform_ (§3.3).
        bound = np.sqrt(6.0 / (count + n_factors))
        if rng is None:
            raise InputError("a random initialisation needs rng", field=f"init.{name}")
        fac = np.zeros((n, n_factors))
        fac[present] = rng.uniform(-bound, bound, size=(count, n_factors))
        return np.zeros(n), fac
    if intercepts is None or factors is None:
        raise InputError("intercepts and factors must be given together", field=f"init.{name}")
    ints = np.asarray(intercepts, dtype=np.float64)
    facs = np.asarray(factors, dtype=np.float64)
    if ints.shape != (n,) or facs.shape != (n, n_factors):
        raise InputError(
            f"expected shapes ({n},) and ({n}, {n_factors}), got {ints.shape} and {facs.shape}",
            field=f"init.{name}",
        )
    # A row missing from the initial values (any NaN) starts at 0 for intercept and factors.
    missing = ~np.isfinite(ints) | ~np.all(np.isfinite(facs), axis=1)
    ints = np.where(missing, 0.0, ints)
    facs = np.where(missing[:, None], 0.0, facs)
    return np.where(present, ints, 0.0), np.where(present[:, None], facs, 0.0)


def start_values(
    init: MFInit | None,
    note_present: NDArray[np.bool_],
    rater_present: NDArray[np.bool_],
    n_factors: int,
    rng: np.random.Generator | None,
) -> StartValues:
    """Initial values per scoring-core.md §3.3 (raters are drawn before notes)."""
    init = init if init is not None else MFInit()
    ri, rf = _block(
        "raters", init.rater_intercepts, init.rater_factors, rater_present, n_factors, rng
    )
    ni, nf = _block("notes", init.note_intercepts, init.note_factors, note_present, n_factors, rng)
    mu = 0.0 if init.global_intercept is None else float(init.global_intercept)
    if not np.isfinite(mu):
        raise InputError("must be finite when given", field="init.global_intercept")
    return StartValues(ni, nf, ri, rf, mu)
