"""Plain-numpy reference versions of the ALS building blocks (twins of ``_numba``).

They work on the ratings in their original (COO) order with ``np.bincount`` and a batched
``np.linalg.solve``. Slower and more memory-hungry than the numba kernels, but short enough
to check by eye; tests hold the two to agreement.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = ["RowGram", "error_sums", "row_gram", "solve_gram"]

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
