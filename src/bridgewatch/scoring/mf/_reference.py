"""Plain-numpy reference versions of the ALS building blocks (twins of ``_numba``).

They work on the ratings in their original (COO) order with ``np.bincount`` and a batched
``np.linalg.solve``. Slower and more memory-hungry than the numba kernels, but short enough
to check by eye; tests hold the two to agreement.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = ["RowGram", "error_sums", "row_gram", "solve_gram", "solve_gram_diamond"]

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class RowGram:
    """Per-row normal equations without penalties.

    Parameters
    ----------
    gram : float64 array of shape (n_rows, k + 1, k + 1)
        Σ_j w_j z_j z_jᵀ with z_j = (1, f_o).
    rhs : float64 array of shape (n_rows, k + 1)
        Σ_j w_j z_j t_j with t_j = y_j − μ − i_o.
    counts : int64 array of shape (n_rows,)
        Ratings per row.
    """

    gram: FloatArray
    rhs: FloatArray
    counts: NDArray[np.int64]


def row_gram(
    group: NDArray[np.integer],
    other: NDArray[np.integer],
    values: NDArray[np.floating],
    weights: NDArray[np.floating] | None,
    other_int: FloatArray,
    other_fac: FloatArray,
    mu: float,
    n_rows: int,
) -> RowGram:
    """Accumulate each row's Gram matrix and right-hand side with ``np.bincount``."""
    k = other_fac.shape[1]
    d = k + 1
    z = np.empty((group.shape[0], d))
    z[:, 0] = 1.0
    z[:, 1:] = other_fac[other]
    t = np.asarray(values, dtype=np.float64) - mu - other_int[other]
    wz = z if weights is None else z * np.asarray(weights, dtype=np.float64)[:, None]
    gram = np.empty((n_rows, d, d))
    rhs = np.empty((n_rows, d))
    for p in range(d):
        rhs[:, p] = np.bincount(group, weights=wz[:, p] * t, minlength=n_rows)
        for q in range(p + 1):
            col = np.bincount(group, weights=wz[:, p] * z[:, q], minlength=n_rows)
            gram[:, p, q] = col
            gram[:, q, p] = col
    counts = np.bincount(group, minlength=n_rows).astype(np.int64)
    return RowGram(gram=gram, rhs=rhs, counts=counts)


def solve_gram(
    gram: FloatArray, rhs: FloatArray, pen_int: float, pen_fac: float
) -> tuple[FloatArray, FloatArray]:
    """Solve (G + diag(pen_int, pen_fac, ...)) x = rhs per row; returns (intercepts, factors).

    Shapes: gram (n, k+1, k+1), rhs (n, k+1) -> intercepts (n,), factors (n, k).
    """
    d = gram.shape[1]
    a = gram.copy()
    a[:, 0, 0] += pen_int
    idx = np.arange(1, d)
    a[:, idx, idx] += pen_fac
    x = np.asarray(np.linalg.solve(a, rhs[:, :, None])[:, :, 0], dtype=np.float64)
    return x[:, 0].copy(), x[:, 1:].copy()


def solve_gram_diamond(
    gram: FloatArray, rhs: FloatArray, pen_int: float, pen_fac: float, pen_dia: float
) -> tuple[FloatArray, FloatArray]:
    """Per row, the global minimiser of xᵀ(G + diag(pen_int, pen_fac))x − 2·rhsᵀx
    + pen_dia·|x0·x1| for one factor (twin of ``_numba.diamond_argmin``, vectorised).

    Shapes: gram (n, 2, 2), rhs (n, 2) -> intercepts (n,), factors (n, 1).
    """
    a00 = gram[:, 0, 0] + pen_int
    a01 = gram[:, 0, 1]
    a11 = gram[:, 1, 1] + pen_fac
    b0, b1 = rhs[:, 0], rhs[:, 1]
    # Candidates in the kernel's order: x1 = 0 axis, x0 = 0 axis, σ = +1, σ = −1.
    x0s = [b0 / a00, np.zeros_like(b0)]
    x1s = [np.zeros_like(b0), b1 / a11]
    vals = [-b0 * x0s[0], -b1 * x1s[1]]
    for sigma in (1.0, -1.0):
        c = a01 + 0.5 * sigma * pen_dia
        det = a00 * a11 - c * c
        ok = det > 0.0
        safe = np.where(ok, det, 1.0)
        x0 = (a11 * b0 - c * b1) / safe
        x1 = (a00 * b1 - c * b0) / safe
        inside = ok & (sigma * x0 * x1 > 0.0)
        x0s.append(x0)
        x1s.append(x1)
        vals.append(np.where(inside, -(b0 * x0 + b1 * x1), np.inf))
    # argmin takes the first of equal values, like the kernel's strict comparisons.
    pick = np.argmin(np.stack(vals), axis=0)
    rows = np.arange(b0.shape[0])
    ints = np.stack(x0s)[pick, rows]
    facs = np.stack(x1s)[pick, rows]
    return ints, facs[:, None].copy()


def error_sums(
    note_idx: NDArray[np.integer],
    rater_idx: NDArray[np.integer],
    values: NDArray[np.floating],
    weights: NDArray[np.floating] | None,
    note_int: FloatArray,
    note_fac: FloatArray,
    rater_int: FloatArray,
    rater_fac: FloatArray,
    mu: float,
) -> tuple[float, float]:
    """(Σ w·e², Σ w·e) over all ratings, e = y − ŷ."""
    pred = (
        mu
        + rater_int[rater_idx]
        + note_int[note_idx]
        + np.sum(rater_fac[rater_idx] * note_fac[note_idx], axis=1)
    )
    err = np.asarray(values, dtype=np.float64) - pred
    werr = err if weights is None else err * weights
    return float(np.sum(werr * err)), float(np.sum(werr))
