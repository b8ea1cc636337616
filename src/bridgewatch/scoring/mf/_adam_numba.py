"""numba kernel of the Adam loop's data term (:mod:`bridgewatch.scoring.mf.adam`).

One sequential pass over the ratings gives Σ w·e² and the data part of the gradient of
L = (1/|R|)·Σ w·e² with respect to every parameter, in place of the numpy engine's
``np.bincount`` passes (one per parameter block). The pass is serial, so results are
bit-for-bit reproducible; they agree with the numpy engine to rounding (~1e-15).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit

__all__ = ["data_term"]

_Array = Any


@njit(cache=True, nogil=True)
def data_term(  # pragma: no cover
    note_idx: _Array,
    rater_idx: _Array,
    values: _Array,
    weights: _Array,
    has_weights: bool,
    ni: _Array,
    nf: _Array,
    ri: _Array,
    rf: _Array,
    mu: float,
    g_ni: _Array,
    g_nf: _Array,
    g_ri: _Array,
    g_rf: _Array,
) -> tuple[float, float]:
    """Σ w·e² and ∂/∂μ of the data term; the other gradients are written into g_* (zeroed
    here). e = μ + i_u + i_n + f_u·f_n − y; the gradient of (1/|R|)·Σ w·e² is 2·w·e/|R|
    times the prediction's derivative."""
    n = values.shape[0]
    k = nf.shape[1]
    g_ni[:] = 0.0
    g_nf[:, :] = 0.0
    g_ri[:] = 0.0
    g_rf[:, :] = 0.0
    scale = 2.0 / n
    sse = 0.0
    g_mu = 0.0
    for j in range(n):
        a = note_idx[j]
        b = rater_idx[j]
        pred = mu + ni[a] + ri[b]
        for q in range(k):
            pred += nf[a, q] * rf[b, q]
        e = pred - values[j]
        w = weights[j] if has_weights else 1.0
        sse += w * e * e
        g = scale * w * e
        g_mu += g
        g_ni[a] += g
        g_ri[b] += g
        for q in range(k):
            g_nf[a, q] += g * rf[b, q]
            g_rf[b, q] += g * nf[a, q]
    return sse, g_mu


def empty_weights() -> _Array:
    """The placeholder passed as ``weights`` when there are none."""
    return np.empty(0)
