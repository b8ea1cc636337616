"""Numerically stable pieces of the weighted logistic (BCE-with-logits) loss.

Both BCE models of the Core scorer (harassment, scoring-core.md §4.6; low diligence, §4.8) use
the per-rating loss ``c·(softplus(x) − y·x)`` with a binary target y and a weight c. torch's
``BCEWithLogitsLoss(pos_weight=pw)`` is the case c = pw for y = 1 and c = 1 for y = 0.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["bce_with_logits", "sigmoid", "softplus"]


def softplus(x: NDArray[np.float64]) -> NDArray[np.float64]:
    """log(1 + exp(x)) without overflow; float64 array of the shape of ``x``."""
    return np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))


def sigmoid(x: NDArray[np.float64]) -> NDArray[np.float64]:
    """1 / (1 + exp(−x)) without overflow; float64 array of the shape of ``x``."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0.0, 1.0 / (1.0 + e), e / (1.0 + e))


def bce_with_logits(x: NDArray[np.float64], y: NDArray[np.float64]) -> NDArray[np.float64]:
    """Unweighted BCE-with-logits loss per element: softplus(x) − y·x (y in {0, 1})."""
    return softplus(x) - y * x
