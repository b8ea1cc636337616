"""The two interchangeable ALS back ends: numba over grouped ratings, numpy over COO.

Both expose the same three operations on full-size float64 parameter arrays:
``solve_notes`` and ``solve_raters`` (per-row ridge solves, in place, present rows only,
returning (Σ w·e², Σ w·e) at the new values) and ``error_sums`` -> (Σ w·e², Σ w·e).
``solve_notes`` also takes the diamond penalty P_◇ (one factor only; 0 = plain ridge) and
``sums``: with False an engine may skip the error sums (returning (0, 0)), for a sweep
whose rater step follows and replaces them.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from bridgewatch.scoring._indexes import unsigned
from bridgewatch.scoring._threads import kernel_threads
from bridgewatch.scoring.mf import _numba, _reference

__all__ = ["PARALLEL_MIN_RATINGS", "Engine", "NumbaEngine", "NumpyEngine", "make_engine"]

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
        pen_dia: float = 0.0,
        sums: bool = True,
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


# Fits with at least this many ratings solve their rows in two threads (each on a fixed range
# of rows; results do not depend on it). Below it, thread hand-off costs more than it saves.
PARALLEL_MIN_RATINGS = 1_000_000

_POOL: ThreadPoolExecutor | None = None


def _pool() -> ThreadPoolExecutor:
    """The process-wide pair of solver threads (created on first use)."""
    global _POOL
    if _POOL is None:
        _POOL = ThreadPoolExecutor(max_workers=2, thread_name_prefix="bridgewatch-als")
    return _POOL


def _row_ranges(indptr: NDArray[np.int64], parallel: bool) -> list[tuple[int, int]]:
    """[0, n_rows) whole, or in two ranges holding about equal numbers of ratings."""
    n_rows = indptr.shape[0] - 1
    if not parallel:
        return [(0, n_rows)]
    cut = int(np.searchsorted(indptr, indptr[-1] // 2))
    cut = min(max(cut, 0), n_rows)
    return [(0, cut), (cut, n_rows)]


class _Groups:
    """Ratings grouped by one side (CSR): row pointers, the other side, values, weights."""

    def __init__(
        self,
        keys: NDArray[np.integer],
        other: NDArray[np.integer],
        vals: NDArray[np.floating],
        w: NDArray[np.float64],
        has_w: bool,
        n_rows: int,
        parallel: bool,
    ) -> None:
        self.ptr = _numba.row_pointers(keys, n_rows)
        self.other = _numba.scatter_by_key(keys, self.ptr, other)
        self.vals = _numba.scatter_by_key(keys, self.ptr, vals)
        self.w = _numba.scatter_by_key(keys, self.ptr, w) if has_w else w
        self.has_w = has_w
        self.sse = np.empty(n_rows)
        self.se = np.empty(n_rows)
        self.ranges = _row_ranges(self.ptr, parallel)
        # Unsigned views for the kernels (``_indexes``: same bits, faster).
        self._k_ptr, self._k_other = unsigned(self.ptr), unsigned(self.other)

    def _run(
        self, kernel: Callable[..., None], *args: object, with_sums: bool | None = None
    ) -> tuple[float, float]:
        common = (
            self._k_ptr,
            self._k_other,
            self.vals,
            self.w,
            self.has_w,
            *args,
            self.sse,
            self.se,
        )
        tail = () if with_sums is None else (with_sums,)
        if len(self.ranges) == 1:
            kernel(*common, *self.ranges[0], *tail)
        else:
            futures = [_pool().submit(kernel, *common, lo, hi, *tail) for lo, hi in self.ranges]
            for future in futures:
                future.result()
        return float(np.sum(self.sse)), float(np.sum(self.se))

    def solve(
        self,
        own_i: FloatArray,
        own_f: FloatArray,
        other_i: FloatArray,
        other_f: FloatArray,
        mu: float,
        pen_int: float,
        pen_fac: float,
        pen_dia: float = 0.0,
        sums: bool = True,
    ) -> tuple[float, float]:
        other_p = _numba.pack_other(other_i, other_f)
        if pen_dia != 0.0:
            return self._run(
                _numba.solve_range_diamond, other_p, mu, pen_int, pen_fac, pen_dia, own_i, own_f,
                with_sums=sums,
            )  # fmt: skip
        return self._run(
            _numba.solve_range, other_p, mu, pen_int, pen_fac, own_i, own_f, with_sums=sums
        )

    def error_sums(
        self, own_i: FloatArray, own_f: FloatArray, other_i: FloatArray, other_f: FloatArray,
        mu: float,
    ) -> tuple[float, float]:  # fmt: skip
        other_p = _numba.pack_other(other_i, other_f)
        return self._run(_numba.error_sums_range, own_i, own_f, other_p, mu)


class NumbaEngine:
    """Ratings grouped by note (CSR) and, unless raters are frozen, by rater (CSC).

    Fits of ``PARALLEL_MIN_RATINGS`` or more solve two fixed row ranges in threads.
    """

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
        parallel: bool | None = None,
    ) -> None:
        vals = _kernel_values(values)
        has_w = weights is not None
        w = np.ones(1) if weights is None else np.asarray(weights, dtype=np.float64)
        if parallel is None:
            parallel = note_idx.shape[0] >= PARALLEL_MIN_RATINGS and kernel_threads() > 1
        self._notes = _Groups(note_idx, rater_idx, vals, w, has_w, n_notes, parallel)
        self._raters = (
            _Groups(rater_idx, note_idx, vals, w, has_w, n_raters, parallel)
            if need_rater_groups
            else None
        )

    def solve_notes(
        self,
        ni: FloatArray,
        nf: FloatArray,
        ri: FloatArray,
        rf: FloatArray,
        mu: float,
        pen_int: float,
        pen_fac: float,
        pen_dia: float = 0.0,
        sums: bool = True,
    ) -> tuple[float, float]:
        return self._notes.solve(ni, nf, ri, rf, mu, pen_int, pen_fac, pen_dia, sums)

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
        if self._raters is None:
            raise RuntimeError("rater groups were not built (raters frozen)")
        return self._raters.solve(ri, rf, ni, nf, mu, pen_int, pen_fac)

    def error_sums(
        self, ni: FloatArray, nf: FloatArray, ri: FloatArray, rf: FloatArray, mu: float
    ) -> tuple[float, float]:
        return self._notes.error_sums(ni, nf, ri, rf, mu)


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
        pen_dia: float = 0.0,
        sums: bool = True,
    ) -> tuple[float, float]:
        # The reference always returns the sums (``sums`` only lets an engine skip them).
        self._solve_block(
            self._note_idx,
            self._rater_idx,
            self._note_ok,
            ni,
            nf,
            ri,
            rf,
            mu,
            pen_int,
            pen_fac,
            pen_dia,
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
        pen_dia: float = 0.0,
    ) -> None:
        # One ALS half-step: every row entity (notes or raters) that has ratings is solved in
        # place, with the other block and mu held fixed.
        g = _reference.row_gram(
            rows, cols, self._values, self._weights, other_i, other_f, mu, ok.shape[0]
        )
        if pen_dia != 0.0:
            own_i[ok], own_f[ok] = _reference.solve_gram_diamond(
                g.gram[ok], g.rhs[ok], pen_int, pen_fac, pen_dia
            )
        else:
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
