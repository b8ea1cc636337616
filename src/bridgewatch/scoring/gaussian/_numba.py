"""numba kernel of one Gaussian aggregation pass over note-grouped (CSR) ratings.

Each note's score depends only on its own rows, so notes split into ranges that run in
threads (the kernel releases the GIL) with bit-identical results however they are split.
Memory per call is O(points) scratch: no (rows x points) matrix is ever built.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit

__all__ = ["pass_range"]

_Array = Any  # numba dispatchers are untyped; typed wrappers live in aggregate.py


@njit(cache=True, nogil=True)
def pass_range(  # pragma: no cover  (compiled; covered through aggregate.py)
    lo: int,
    hi: int,
    indptr: _Array,
    raters: _Array,
    values: _Array,
    extra_rater: _Array,
    factors: _Array,
    table: _Array,
    points: _Array,
    scal: _Array,
    flags: _Array,
    out_score: _Array,
    out_factor: _Array,
    out_insufficient: _Array,
) -> None:
    """Score notes ``lo..hi-1`` (§6.3 steps 1-11) into the ``out_*`` arrays.

    ``indptr`` (int64, n_notes + 1) groups ``raters`` (int32) and ``values`` (float32, the
    rating value h in {0, 0.5, 1}) by note; ``extra_rater`` (int32, n_notes) is a rater
    whose synthetic h = 1 row joins the note (-1: none). ``factors`` (float64, n_raters)
    and ``table`` (float32, n_raters x K, the pass's kernel rows) are per rater; ``points``
    (float64, K). ``scal`` = (somewhat value, negative weight, multiplier slope, multiplier
    cap, sigmoid slope, sigmoid window, weight floor, smoothing value, min prior, smoothing
    weight, adaptive base, clip lo, clip hi, sparse-side prior, sparse-side min raters);
    ``flags`` = (flip,). Notes without rows get NaN score and factor.
    """
    somewhat = np.float32(scal[0])
    neg_weight = np.float32(scal[1])
    m_slope, m_cap = scal[2], scal[3]
    s_slope, s_window = scal[4], scal[5]
    floor = np.float32(scal[6])
    v, min_prior, s_weight, base = scal[7], scal[8], scal[9], scal[10]
    clip_lo, clip_hi = scal[11], scal[12]
    sparse_prior, sparse_min = scal[13], scal[14]
    flip = flags[0] != 0
    neg_h = np.float32(1.0) if flip else np.float32(0.0)
    k_pts = points.shape[0]
    log_base = np.log(base)
    w_pos = np.empty(k_pts)
    w_neg = np.empty(k_pts)
    v_pos = np.empty(k_pts)
    for n in range(lo, hi):
        start, end = indptr[n], indptr[n + 1]
        stop = end + (1 if extra_rater[n] >= 0 else 0)
        count = stop - start
        if count == 0:
            out_score[n] = np.nan
            out_factor[n] = np.nan
            out_insufficient[n] = False
            continue
        for k in range(k_pts):
            w_pos[k] = 0.0
            w_neg[k] = 0.0
            v_pos[k] = 0.0
        # One sweep: step 4 statistics, step 7 f-hat, step 8 side counts and the kernel sums
        # split by y = 0 or not. Rows with y = 0 add nothing to V, and their extra weight
        # M·negWeight is the same for the whole note, so W = W_pos + M·negWeight·W_neg and
        # the unweighted mass of step 3 is W_pos + W_neg.
        neg_sum = 0.0
        neg_count = 0
        fac_sum = 0.0
        n_neg = 0
        n_pos = 0
        for j in range(start, stop):
            if j < end:
                r = raters[j]
                h = values[j]
            else:
                r = extra_rater[n]
                h = np.float32(1.0)
            f = factors[r]
            if h == neg_h:
                neg_sum += f
                neg_count += 1
            hp = np.float32(1.0) - h if flip else h
            fac_sum += (hp - np.float32(0.5)) * np.float32(2.0) * np.float32(f)
            if f < 0:
                n_neg += 1
            elif f > 0:
                n_pos += 1
            y = somewhat if h == np.float32(0.5) else h
            if flip:
                y = np.float32(1.0) - y
            row = table[r]
            if y == np.float32(0.0):
                for k in range(k_pts):
                    w_neg[k] += row[k]
            else:
                for k in range(k_pts):
                    w = row[k]
                    w_pos[k] += w
                    v_pos[k] += w * y
        mult = 1.0
        if neg_count > 0:
            mean = neg_sum / neg_count
            unexpected = 0.0
            for j in range(start, stop):
                if j < end:
                    r = raters[j]
                    h = values[j]
                else:
                    r = extra_rater[n]
                    h = np.float32(1.0)
                if h == neg_h:
                    d = abs(factors[r] - mean)
                    unexpected += 1.0 / (1.0 + np.exp(-s_slope * (d - s_window)))
            mult = min(1.0 + m_slope * (unexpected / count), m_cap)
        neg_scale = mult * neg_weight
        insufficient = False
        for k in range(k_pts):
            if np.float32(w_pos[k] + w_neg[k]) < floor:
                insufficient = True
        f_hat = fac_sum / count
        out_factor[n] = f_hat
        out_insufficient[n] = insufficient
        if insufficient:
            out_score[n] = 0.0
            continue
        sparse = n_neg < sparse_min or n_pos < sparse_min
        weight = s_weight * np.log(max(float(count), base)) / log_base
        log_sum = 0.0
        for k in range(k_pts):
            if sparse:
                prior = sparse_prior
            else:
                prior = max(min(f_hat * points[k] / 2.0 + v, v), min_prior)
            den = w_pos[k] + neg_scale * w_neg[k] + weight
            mu = (v_pos[k] + prior * weight) / den if den != 0.0 else clip_lo
            mu = min(max(mu, clip_lo), clip_hi)
            log_sum += np.log(mu)
        out_score[n] = np.exp(log_sum / k_pts)
