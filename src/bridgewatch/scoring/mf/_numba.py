"""numba kernels of the ALS solver over grouped (CSR-like) ratings.

Each kernel has a plain-numpy twin in :mod:`bridgewatch.scoring.mf._reference`; tests check
that they agree. Every row's solve is independent and its sums run sequentially, so results
are bit-for-bit reproducible however rows are split. The ``*_range`` kernels release the GIL
and solve one range of rows: the engine runs two fixed ranges in threads on large fits (below
a size threshold thread hand-off cost more than it saved on a shared 2-core machine). They
read the other side's parameters packed as ``(intercept, factors...)`` rows, one cache line
per rating instead of two (the random reads are what costs at scale).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit

__all__ = [
    "diamond_argmin",
    "error_sums_range",
    "pack_other",
    "row_error_sums",
    "row_gram",
    "row_pointers",
    "scatter_by_key",
    "solve_range",
    "solve_range_diamond",
    "solve_rows",
]

# numba dispatchers are untyped callables; the typed wrappers live in _layout.py / als.py.
_Array = Any


@njit(cache=True)
def row_pointers(keys: _Array, n_keys: int) -> _Array:  # pragma: no cover
    """indptr (int64, shape (n_keys + 1,)) of the stable counting sort of ``keys``."""
    indptr = np.zeros(n_keys + 1, np.int64)
    for j in range(keys.shape[0]):
        indptr[keys[j] + 1] += 1
    for r in range(n_keys):
        indptr[r + 1] += indptr[r]
    return indptr


@njit(cache=True)
def scatter_by_key(keys: _Array, indptr: _Array, column: _Array) -> _Array:  # pragma: no cover
    """``column`` reordered by a stable counting sort on ``keys`` (same dtype)."""
    pos = indptr[:-1].copy()
    out = np.empty_like(column)
    for j in range(keys.shape[0]):
        r = keys[j]
        out[pos[r]] = column[j]
        pos[r] += 1
    return out


@njit(cache=True, nogil=True)
def pack_other(other_int: _Array, other_fac: _Array) -> _Array:  # pragma: no cover
    """(n, k + 1) float64 rows ``(i_o, f_o...)`` of the other side's parameters."""
    n, k = other_fac.shape
    out = np.empty((n, k + 1))
    for o in range(n):
        out[o, 0] = other_int[o]
        for q in range(k):
            out[o, q + 1] = other_fac[o, q]
    return out


@njit(cache=True, nogil=True)
def solve_range(  # pragma: no cover
    indptr: _Array,
    other: _Array,
    values: _Array,
    weights: _Array,
    has_weights: bool,
    other_p: _Array,
    mu: float,
    pen_int: float,
    pen_fac: float,
    row_int: _Array,
    row_fac: _Array,
    sse_out: _Array,
    se_out: _Array,
    r_lo: int,
    r_hi: int,
    with_sums: bool = True,
) -> None:
    """Ridge-solve (i_r, f_r) for every non-empty row in [r_lo, r_hi), in place.

    minimise Σ_j w_j (y_j − μ − i_o − i_r − f_o·f_r)² + pen_int·i_r² + pen_fac·|f_r|²
    over the row's ratings j (o = other entity, ``other_p[o] = (i_o, f_o)``), via the
    (k+1)x(k+1) normal equations. Then, while the row is still in cache, sse_out[r] = Σ w·e²
    and se_out[r] = Σ w·e at the new values (e = y − ŷ), which spares the sweep a separate
    pass over the ratings. With ``with_sums=False`` that pass is skipped and both are 0
    (a sweep whose rater step follows discards the note step's sums).
    """
    k = other_p.shape[1] - 1
    if k == 1:
        for r in range(r_lo, r_hi):
            s = indptr[r]
            e = indptr[r + 1]
            if s == e:
                sse_out[r] = 0.0
                se_out[r] = 0.0
                continue
            a00 = pen_int
            a01 = 0.0
            a11 = pen_fac
            b0 = 0.0
            b1 = 0.0
            for j in range(s, e):
                o = other[j]
                w = weights[j] if has_weights else 1.0
                f = other_p[o, 1]
                t = values[j] - mu - other_p[o, 0]
                a00 += w
                a01 += w * f
                a11 += w * f * f
                b0 += w * t
                b1 += w * f * t
            det = a00 * a11 - a01 * a01
            x0 = (a11 * b0 - a01 * b1) / det
            x1 = (a00 * b1 - a01 * b0) / det
            row_int[r] = x0
            row_fac[r, 0] = x1
            if not with_sums:
                sse_out[r] = 0.0
                se_out[r] = 0.0
                continue
            sse = 0.0
            se = 0.0
            for j in range(s, e):
                o = other[j]
                w = weights[j] if has_weights else 1.0
                err = values[j] - mu - other_p[o, 0] - x0 - other_p[o, 1] * x1
                sse += w * err * err
                se += w * err
            sse_out[r] = sse
            se_out[r] = se
        return
    d = k + 1
    a = np.zeros((d, d))
    b = np.zeros(d)
    z = np.empty(d)
    for r in range(r_lo, r_hi):
        s = indptr[r]
        e = indptr[r + 1]
        if s == e:
            sse_out[r] = 0.0
            se_out[r] = 0.0
            continue
        a[:, :] = 0.0
        b[:] = 0.0
        a[0, 0] = pen_int
        for q in range(1, d):
            a[q, q] = pen_fac
        z[0] = 1.0
        for j in range(s, e):
            o = other[j]
            w = weights[j] if has_weights else 1.0
            t = values[j] - mu - other_p[o, 0]
            for q in range(k):
                z[q + 1] = other_p[o, q + 1]
            for p in range(d):
                wz = w * z[p]
                b[p] += wz * t
                for q in range(p + 1):
                    a[p, q] += wz * z[q]
        # Cholesky of the lower triangle, then forward and back substitution.
        for p in range(d):
            acc = a[p, p]
            for q in range(p):
                acc -= a[p, q] * a[p, q]
            diag = np.sqrt(acc)
            a[p, p] = diag
            for m in range(p + 1, d):
                acc2 = a[m, p]
                for q in range(p):
                    acc2 -= a[m, q] * a[p, q]
                a[m, p] = acc2 / diag
        for p in range(d):
            acc = b[p]
            for q in range(p):
                acc -= a[p, q] * b[q]
            b[p] = acc / a[p, p]
        for p in range(d - 1, -1, -1):
            acc = b[p]
            for q in range(p + 1, d):
                acc -= a[q, p] * b[q]
            b[p] = acc / a[p, p]
        row_int[r] = b[0]
        for q in range(k):
            row_fac[r, q] = b[q + 1]
        if not with_sums:
            sse_out[r] = 0.0
            se_out[r] = 0.0
            continue
        sse = 0.0
        se = 0.0
        for j in range(s, e):
            o = other[j]
            w = weights[j] if has_weights else 1.0
            err = values[j] - mu - other_p[o, 0] - b[0]
            for q in range(k):
                err -= other_p[o, q + 1] * b[q + 1]
            sse += w * err * err
            se += w * err
        sse_out[r] = sse
        se_out[r] = se


@njit(cache=True, nogil=True)
def diamond_argmin(  # pragma: no cover
    a00: float, a01: float, a11: float, b0: float, b1: float, pen_dia: float
) -> tuple[float, float]:
    """Global minimiser (x0, x1) of q(x) = xᵀAx − 2bᵀx + pen_dia·|x0·x1|, A = [[a00, a01],
    [a01, a11]] positive definite, pen_dia >= 0.

    In each closed sign quadrant σ = sign(x0·x1) ∈ {+1, −1} the penalty is σ·pen_dia·x0·x1, so
    q is the quadratic with off-diagonal a01 + σ·pen_dia/2. On the axes the penalty is 0. The
    global minimum lies in some closed quadrant, hence either at an interior stationary point
    of that quadrant's quadratic (which must then be positive definite, and the point strictly
    inside the quadrant) or on an axis, where q is the plain ridge objective with 1-D optimum
    b0/a00 (x1 = 0) or b1/a11 (x0 = 0). All candidates are compared by their value −bᵀx
    (the minimum of xᵀMx − 2bᵀx at its stationary point); the first strict minimum wins, in
    the order: x1 = 0 axis, x0 = 0 axis, σ = +1, σ = −1.
    """
    best0 = b0 / a00
    best1 = 0.0
    best = -b0 * best0
    y1 = b1 / a11
    val = -b1 * y1
    if val < best:
        best0 = 0.0
        best1 = y1
        best = val
    for sigma in (1.0, -1.0):
        c = a01 + 0.5 * sigma * pen_dia
        det = a00 * a11 - c * c
        if det > 0.0:
            x0 = (a11 * b0 - c * b1) / det
            x1 = (a00 * b1 - c * b0) / det
            if sigma * x0 * x1 > 0.0:
                val = -(b0 * x0 + b1 * x1)
                if val < best:
                    best0 = x0
                    best1 = x1
                    best = val
    return best0, best1


@njit(cache=True, nogil=True)
def solve_range_diamond(  # pragma: no cover
    indptr: _Array,
    other: _Array,
    values: _Array,
    weights: _Array,
    has_weights: bool,
    other_p: _Array,
    mu: float,
    pen_int: float,
    pen_fac: float,
    pen_dia: float,
    row_int: _Array,
    row_fac: _Array,
    sse_out: _Array,
    se_out: _Array,
    r_lo: int,
    r_hi: int,
    with_sums: bool = True,
) -> None:
    """:func:`solve_range` for one factor with the diamond penalty pen_dia·|f_r·i_r| added.

    minimise Σ_j w_j (y_j − μ − i_o − i_r − f_o·f_r)² + pen_int·i_r² + pen_fac·f_r²
    + pen_dia·|i_r·f_r| exactly per row (:func:`diamond_argmin`); the row's error sums at
    the new values go to sse_out[r], se_out[r] as in :func:`solve_range` (0 with
    ``with_sums=False``).
    """
    for r in range(r_lo, r_hi):
        s = indptr[r]
        e = indptr[r + 1]
        if s == e:
            sse_out[r] = 0.0
            se_out[r] = 0.0
            continue
        a00 = pen_int
        a01 = 0.0
        a11 = pen_fac
        b0 = 0.0
        b1 = 0.0
        for j in range(s, e):
            o = other[j]
            w = weights[j] if has_weights else 1.0
            f = other_p[o, 1]
            t = values[j] - mu - other_p[o, 0]
            a00 += w
            a01 += w * f
            a11 += w * f * f
            b0 += w * t
            b1 += w * f * t
        x0, x1 = diamond_argmin(a00, a01, a11, b0, b1, pen_dia)
        row_int[r] = x0
        row_fac[r, 0] = x1
        if not with_sums:
            sse_out[r] = 0.0
            se_out[r] = 0.0
            continue
        sse = 0.0
        se = 0.0
        for j in range(s, e):
            o = other[j]
            w = weights[j] if has_weights else 1.0
            err = values[j] - mu - other_p[o, 0] - x0 - other_p[o, 1] * x1
            sse += w * err * err
            se += w * err
        sse_out[r] = sse
        se_out[r] = se


@njit(cache=True)
def solve_rows(  # pragma: no cover
    indptr: _Array,
    other: _Array,
    values: _Array,
    weights: _Array,
    has_weights: bool,
    other_int: _Array,
    other_fac: _Array,
    mu: float,
    pen_int: float,
    pen_fac: float,
    row_int: _Array,
    row_fac: _Array,
    sse_out: _Array,
    se_out: _Array,
) -> None:
    """:func:`solve_range` over all rows, from unpacked other-side parameters."""
    solve_range(
        indptr, other, values, weights, has_weights, pack_other(other_int, other_fac), mu,
        pen_int, pen_fac, row_int, row_fac, sse_out, se_out, 0, indptr.shape[0] - 1,
    )  # fmt: skip


@njit(cache=True, nogil=True)
def error_sums_range(  # pragma: no cover
    indptr: _Array,
    other: _Array,
    values: _Array,
    weights: _Array,
    has_weights: bool,
    row_int: _Array,
    row_fac: _Array,
    other_p: _Array,
    mu: float,
    sse_out: _Array,
    se_out: _Array,
    r_lo: int,
    r_hi: int,
) -> None:
    """Rows [r_lo, r_hi): sse_out[r] = Σ w·e², se_out[r] = Σ w·e with e = y − ŷ."""
    k = row_fac.shape[1]
    for r in range(r_lo, r_hi):
        s = indptr[r]
        e = indptr[r + 1]
        sse = 0.0
        se = 0.0
        base = mu + row_int[r] if s < e else 0.0
        for j in range(s, e):
            o = other[j]
            w = weights[j] if has_weights else 1.0
            dot = 0.0
            for q in range(k):
                dot += row_fac[r, q] * other_p[o, q + 1]
            err = values[j] - base - other_p[o, 0] - dot
            sse += w * err * err
            se += w * err
        sse_out[r] = sse
        se_out[r] = se


@njit(cache=True)
def row_error_sums(  # pragma: no cover
    indptr: _Array,
    other: _Array,
    values: _Array,
    weights: _Array,
    has_weights: bool,
    row_int: _Array,
    row_fac: _Array,
    other_int: _Array,
    other_fac: _Array,
    mu: float,
    sse_out: _Array,
    se_out: _Array,
) -> None:
    """Per row: sse_out[r] = Σ w·e², se_out[r] = Σ w·e with e = y − ŷ (float64 outputs)."""
    error_sums_range(
        indptr, other, values, weights, has_weights, row_int, row_fac,
        pack_other(other_int, other_fac), mu, sse_out, se_out, 0, indptr.shape[0] - 1,
    )  # fmt: skip


@njit(cache=True)
def row_gram(  # pragma: no cover
    indptr: _Array,
    other: _Array,
    values: _Array,
    other_int: _Array,
    other_fac: _Array,
    mu: float,
    gram_out: _Array,
    rhs_out: _Array,
) -> None:
    """Unpenalised normal equations per row: gram_out[r] = Σ z zᵀ, rhs_out[r] = Σ z·t,
    z = (1, f_o), t = y − μ − i_o (unit weights). Shapes (n_rows, k+1, k+1), (n_rows, k+1).
    """
    n_rows = indptr.shape[0] - 1
    k = other_fac.shape[1]
    d = k + 1
    z = np.empty(d)
    z[0] = 1.0
    for r in range(n_rows):
        for p in range(d):
            rhs_out[r, p] = 0.0
            for q in range(d):
                gram_out[r, p, q] = 0.0
        for j in range(indptr[r], indptr[r + 1]):
            o = other[j]
            t = values[j] - mu - other_int[o]
            for q in range(k):
                z[q + 1] = other_fac[o, q]
            for p in range(d):
                rhs_out[r, p] += z[p] * t
                for q in range(p + 1):
                    gram_out[r, p, q] += z[p] * z[q]
        for p in range(d):
            for q in range(p + 1, d):
                gram_out[r, p, q] = gram_out[r, q, p]


@njit(cache=True)
def _solve_2x2(  # pragma: no cover
    a00: float, a01: float, a10: float, a11: float, b0: float, b1: float
) -> tuple[float, float]:
    """(A x = b) for one 2x2 system by LU with partial pivoting (as LAPACK's gesv; equal to
    ``np.linalg.solve`` to rounding, not bit for bit)."""
    if abs(a10) > abs(a00):
        a00, a01, a10, a11 = a10, a11, a00, a01
        b0, b1 = b1, b0
    lower = a10 / a00
    x1 = (b1 - lower * b0) / (a11 - lower * a01)
    return (b0 - a01 * x1) / a00, x1


@njit(cache=True)
def pseudo_bound_solves(  # pragma: no cover
    gram: _Array,
    rhs: _Array,
    pen_int: float,
    pen_fac: float,
    aug_int: float,
    aug_fac: float,
    pseudo_factors: _Array,
    target: float,
    ints_out: _Array,
    facs_out: _Array,
) -> None:
    """The four note-only refits of the pseudo-rater bounds (scoring-core.md §5.3), per row:
    refit 0 on (G + diag(pen_int, pen_fac)) x = rhs, refit j = 1..3 with one pseudo-rating
    z = (1, f_j), value ``target``: (G + z zᵀ + diag(aug_int, aug_fac)) x = rhs + z·target.

    Shapes: gram (n, 2, 2), rhs (n, 2), pseudo_factors (3,); ints_out, facs_out (4, n).
    (Twin of the numpy loop of ``bounds_from_grams`` before session 12.)
    """
    n = gram.shape[0]
    for r in range(n):
        g00, g01, g10, g11 = gram[r, 0, 0], gram[r, 0, 1], gram[r, 1, 0], gram[r, 1, 1]
        b0, b1 = rhs[r, 0], rhs[r, 1]
        ints_out[0, r], facs_out[0, r] = _solve_2x2(g00 + pen_int, g01, g10, g11 + pen_fac, b0, b1)
        for j in range(3):
            fp = pseudo_factors[j]
            ints_out[j + 1, r], facs_out[j + 1, r] = _solve_2x2(
                (g00 + 1.0) + aug_int,
                g01 + fp,
                g10 + fp,
                (g11 + fp * fp) + aug_fac,
                b0 + target,
                b1 + fp * target,
            )


@njit(cache=True)
def spread_of_four(block: _Array, out: _Array) -> None:  # pragma: no cover
    """Per column of ``block`` (4, n): max, min and median into ``out`` (3, n), as
    ``np.max`` / ``np.min`` / ``np.median`` along axis 0 give them (the median of four is
    the mean of the middle two, (a + b) / 2; a column with a NaN is NaN throughout)."""
    for j in range(block.shape[1]):
        a, b, c, d = block[0, j], block[1, j], block[2, j], block[3, j]
        if np.isnan(a) or np.isnan(b) or np.isnan(c) or np.isnan(d):
            out[0, j] = np.nan
            out[1, j] = np.nan
            out[2, j] = np.nan
            continue
        # sort the four by a fixed network
        if a > b:
            a, b = b, a
        if c > d:
            c, d = d, c
        if a > c:
            a, c = c, a
        if b > d:
            b, d = d, b
        if b > c:
            b, c = c, b
        out[0, j] = d
        out[1, j] = a
        out[2, j] = (b + c) / 2.0
