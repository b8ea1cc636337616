"""The two interchangeable ALS back ends: numba over grouped ratings, numpy over COO.

Both expose the same three operations on full-size float64 parameter arrays:
``solve_notes`` and ``solve_raters`` (per-row ridge solves, in place, present rows only,
returning (Σ w·e², Σ w·e) at the new values) and ``error_sums`` -> (Σ w·e², Σ w·e).
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from bridgewatch.scoring.mf import _numba, _reference

__all__ = ["Engine", "NumbaEngine", "NumpyEngine", "make_engine"]

FloatArray = NDArray[np.float64]


class Engine(Protocol):
    def solve_notes(
        self,
        ni: FloatArray,
        nf: FloatArray,
        ri: FloatArray,
        rf: FloatArray,
        mu: float,
        pen_int: float,
        pen_fac: float,
    ) -> tuple[float, float]: ...

    def solve_raters(
        self,
        ni: FloatArray,
        nf: FloatArray,
        ri: FloatArray,
        rf: FloatArray,
        mu: float,
        pen_int: float,
        pen_fac: float,
    ) -> tuple[float, float]: ...

    def error_sums(
        self, ni: FloatArray, nf: FloatArray, ri: FloatArray, rf: FloatArray, mu: float
    ) -> tuple[float, float]: ...


def _kernel_values(values: NDArray[np.floating]) -> NDArray[np.floating]:
    # float32 ratings (0, 0.5, 1 are exact) stay float32 to halve memory; sums are float64.
    if values.dtype in (np.float32, np.float64):
        return values
    return values.astype(np.float64)


class NumbaEngine:
    """Ratings grouped by note (CSR) and, unless raters are frozen, by rater (CSC)."""

    def __init__(
        self,
        note_idx: NDArray[np.integer],
        rater_idx: NDArray[np.integer],
        values: NDArray[np.floating],
        weights: NDArray[np.floating] | None,
        n_notes: int,
        n_raters: int,
        *,
        need_rater_groups: bool,
    ) -> None:
        vals = _kernel_values(values)
        self._has_w = weights is not None
        w = np.ones(1) if weights is None else np.asarray(weights, dtype=np.float64)
        self._n_ptr = _numba.row_pointers(note_idx, n_notes)
        self._n_other = _numba.scatter_by_key(note_idx, self._n_ptr, rater_idx)
        self._n_vals = _numba.scatter_by_key(note_idx, self._n_ptr, vals)
        self._n_w = _numba.scatter_by_key(note_idx, self._n_ptr, w) if self._has_w else w
        self._has_raters = need_rater_groups
        if need_rater_groups:
            self._u_ptr = _numba.row_pointers(rater_idx, n_raters)
            self._u_other = _numba.scatter_by_key(rater_idx, self._u_ptr, note_idx)
            self._u_vals = _numba.scatter_by_key(rater_idx, self._u_ptr, vals)
            self._u_w = _numba.scatter_by_key(rater_idx, self._u_ptr, w) if self._has_w else w
        self._sse = np.empty(n_notes)
        self._se = np.empty(n_notes)
        self._u_sse = np.empty(n_raters if need_rater_groups else 0)
        self._u_se = np.empty(n_raters if need_rater_groups else 0)

    def solve_notes(
        self,
        ni: FloatArray,
        nf: FloatArray,
        ri: FloatArray,
        rf: FloatArray,
        mu: float,
        pen_int: float,
        pen_fac: float,
    ) -> tuple[float, float]:
        _numba.solve_rows(
            self._n_ptr,
            self._n_other,
            self._n_vals,
            self._n_w,
            self._has_w,
            ri,
            rf,
            mu,
            pen_int,
            pen_fac,
            ni,
            nf,
            self._sse,
            self._se,
        )
        return float(np.sum(self._sse)), float(np.sum(self._se))

    def solve_raters(
        self,
        ni: FloatArray,
        nf: FloatArray,
        ri: FloatArray,
        rf: FloatArray,
        mu: float,
        pen_int: float,
        pen_fac: float,
    ) -> tuple[float, float]:
        if not self._has_raters:
            raise RuntimeError("rater groups were not built (raters frozen)")
        _numba.solve_rows(
            self._u_ptr,
            self._u_other,
            self._u_vals,
            self._u_w,
            self._has_w,
            ni,
            nf,
            mu,
            pen_int,
            pen_fac,
            ri,
            rf,
            self._u_sse,
            self._u_se,
        )
        return float(np.sum(self._u_sse)), float(np.sum(self._u_se))

    def error_sums(
        self, ni: FloatArray, nf: FloatArray, ri: FloatArray, rf: FloatArray, mu: float
    ) -> tuple[float, float]:
        _numba.row_error_sums(
            self._n_ptr,
            self._n_other,
            self._n_vals,
            self._n_w,
            self._has_w,
            ni,
            nf,
            ri,
            rf,
            mu,
            self._sse,
            self._se,
        )
        return float(np.sum(self._sse)), float(np.sum(self._se))


class NumpyEngine:
    """Plain-numpy reference: bincount Gram matrices and a batched solve per step."""

    def __init__(
        self,
        note_idx: NDArray[np.integer],
        rater_idx: NDArray[np.integer],
        values: NDArray[np.floating],
        weights: NDArray[np.floating] | None,
        n_notes: int,
        n_raters: int,
    ) -> None:
        self._note_idx = note_idx
        self._rater_idx = rater_idx
        self._values = values
        self._weights = weights
        self._n_notes = n_notes
        self._n_raters = n_raters
        self._note_ok = np.bincount(note_idx, minlength=n_notes) > 0
        self._rater_ok = np.bincount(rater_idx, minlength=n_raters) > 0

    def solve_notes(
        self,
        ni: FloatArray,
        nf: FloatArray,
        ri: FloatArray,
        rf: FloatArray,
        mu: float,
        pen_int: float,
        pen_fac: float,
    ) -> tuple[float, float]:
        self._solve_block(
            self._note_idx, self._rater_idx, self._note_ok, ni, nf, ri, rf, mu, pen_int, pen_fac
        )
        return self.error_sums(ni, nf, ri, rf, mu)

    def solve_raters(
        self,
        ni: FloatArray,
        nf: FloatArray,
        ri: FloatArray,
        rf: FloatArray,
        mu: float,
        pen_int: float,
        pen_fac: float,
    ) -> tuple[float, float]:
        self._solve_block(
            self._rater_idx, self._note_idx, self._rater_ok, ri, rf, ni, nf, mu, pen_int, pen_fac
        )
        return self.error_sums(ni, nf, ri, rf, mu)

    def _solve_block(
        self,
        rows: NDArray[np.integer],
        cols: NDArray[np.integer],
        ok: NDArray[np.bool_],
        own_i: FloatArray,
        own_f: FloatArray,
        other_i: FloatArray,
        other_f: FloatArray,
        mu: float,
        pen_int: float,
        pen_fac: float,
    ) -> None:
        # One ALS half-step: every row entity (notes or raters) that has ratings is solved in
        # place, with the other block and mu held fixed.
        g = _reference.row_gram(
            rows, cols, self._values, self._weights, other_i, other_f, mu, ok.shape[0]
        )
        own_i[ok], own_f[ok] = _reference.solve_gram(g.gram[ok], g.rhs[ok], pen_int, pen_fac)

    def error_sums(
        self, ni: FloatArray, nf: FloatArray, ri: FloatArray, rf: FloatArray, mu: float
    ) -> tuple[float, float]:
        return _reference.error_sums(
            self._note_idx, self._rater_idx, self._values, self._weights, ni, nf, ri, rf, mu
        )


def make_engine(
    name: str,
    note_idx: NDArray[np.integer],
    rater_idx: NDArray[np.integer],
    values: NDArray[np.floating],
    weights: NDArray[np.floating] | None,
    n_notes: int,
    n_raters: int,
    *,
    need_rater_groups: bool,
) -> Engine:
    """``"numba"`` (default, fast) or ``"numpy"`` (reference)."""
    if name == "numba":
        return NumbaEngine(
            note_idx,
            rater_idx,
            values,
            weights,
            n_notes,
            n_raters,
            need_rater_groups=need_rater_groups,
        )
    if name == "numpy":
        return NumpyEngine(note_idx, rater_idx, values, weights, n_notes, n_raters)
    raise ValueError(f"engine={name!r} is not allowed: expected 'numba' or 'numpy'")
