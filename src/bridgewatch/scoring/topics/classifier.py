"""L2-regularised multinomial logistic regression fitted by L-BFGS (extended §4.3).

The objective is the reference classifier's (scikit-learn 1.0 ``LogisticRegression`` with the
lbfgs solver, multinomial loss, ``C``, intercept fitted and unpenalised), minimised by the
same SciPy L-BFGS-B routine from the same zero start with the same stopping rule, so that the
fitted probabilities match the reference's to the precision of floating-point summation::

    minimise over W (k x f), b (k):
        sum_i [ logsumexp(x_i W^T + b) - (x_i W^T + b)_{y_i} ] + ||W||_F^2 / (2 C)

where k is the number of classes present in the training labels.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy.optimize import minimize
from scipy.special import logsumexp, softmax

from bridgewatch.errors import ConvergenceWarning

__all__ = ["SoftmaxModel", "fit_softmax_regression", "softmax_loss_and_gradient"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SoftmaxModel:
    """A fitted multinomial logistic regression.

    Parameters
    ----------
    classes : int64 array of shape (k,)
        The distinct training labels, ascending; row j of ``coef`` scores ``classes[j]``.
    coef : float64 array of shape (k, n_features)
    intercept : float64 array of shape (k,)
    n_iter : int
        L-BFGS iterations run.
    converged : bool
        Whether the solver met its tolerance before the iteration cap.
    """

    classes: NDArray[np.int64]
    coef: NDArray[np.float64]
    intercept: NDArray[np.float64]
    n_iter: int
    converged: bool

    def decision_function(self, features: sp.csr_matrix) -> NDArray[np.float64]:
        """Class scores (logits), float64 array of shape (n_docs, k)."""
        logits = features @ self.coef.T
        return np.asarray(logits, dtype=np.float64) + self.intercept

    def predict_proba(self, features: sp.csr_matrix, n_columns: int) -> NDArray[np.float64]:
        """Class probabilities with column c holding class c (absent classes are 0).

        Parameters
        ----------
        features : float64 CSR matrix of shape (n_docs, n_features)
        n_columns : int
            Number of output columns, larger than every class label.

        Returns
        -------
        float64 array of shape (n_docs, n_columns)
        """
        probs = softmax(self.decision_function(features), axis=1)
        full = np.zeros((features.shape[0], n_columns), dtype=np.float64)
        full[:, self.classes] = probs
        return full


def softmax_loss_and_gradient(
    params: NDArray[np.float64],
    features: sp.csr_matrix,
    onehot: NDArray[np.float64],
    alpha: float,
) -> tuple[float, NDArray[np.float64]]:
    """Objective and gradient of the regularised multinomial log-loss.

    Parameters
    ----------
    params : float64 array of shape (k * (n_features + 1),)
        Row-major (k, n_features + 1) matrix: weights, then the intercept in the last column.
    features : float64 CSR matrix of shape (n_docs, n_features)
    onehot : float64 array of shape (n_docs, k)
        Indicator of each document's class.
    alpha : float
        L2 strength, ``1 / C``.

    Returns
    -------
    (loss, gradient) with gradient of the same shape as ``params``.
    """
    n_classes = onehot.shape[1]
    n_features = features.shape[1]
    w = params.reshape(n_classes, n_features + 1)
    weights = w[:, :-1]
    logits = np.asarray(features @ weights.T) + w[:, -1]
    log_probs = logits - logsumexp(logits, axis=1)[:, np.newaxis]
    loss = -float((onehot * log_probs).sum()) + 0.5 * alpha * float((weights * weights).sum())
    diff = np.exp(log_probs) - onehot
    grad = np.zeros_like(w)
    grad[:, :-1] = np.asarray(features.T @ diff).T + alpha * weights
    grad[:, -1] = diff.sum(axis=0)
    return loss, grad.ravel()


def fit_softmax_regression(
    features: sp.csr_matrix,
    labels: NDArray[np.integer],
    *,
    inverse_regularization: float,
    max_iter: int,
    tol: float,
) -> SoftmaxModel:
    """Fit the multinomial logistic regression by L-BFGS-B from zero (see module docstring).

    Parameters
    ----------
    features : float64 CSR matrix of shape (n_docs, n_features)
    labels : int array of shape (n_docs,)
        Class of each document; at least two distinct values.
    inverse_regularization : float
        ``C`` (> 0).
    max_iter : int
        Iteration cap; reaching it emits a ``ConvergenceWarning``.
    tol : float
        Projected-gradient tolerance (``gtol``) on the summed objective.

    Returns
    -------
    SoftmaxModel
    """
    labels = np.asarray(labels)
    if labels.shape[0] != features.shape[0]:
        raise ValueError(f"{labels.shape[0]} labels for {features.shape[0]} documents")
    classes, y = np.unique(labels, return_inverse=True)
    if classes.shape[0] < 2:
        raise ValueError(f"need at least two classes to fit, got {classes.tolist()}")
    onehot = np.zeros((labels.shape[0], classes.shape[0]), dtype=np.float64)
    onehot[np.arange(labels.shape[0]), y] = 1.0
    n_features = features.shape[1]
    start = np.zeros(classes.shape[0] * (n_features + 1), dtype=np.float64)
    result = minimize(
        softmax_loss_and_gradient,
        start,
        args=(features, onehot, 1.0 / inverse_regularization),
        method="L-BFGS-B",
        jac=True,
        options={"gtol": tol, "maxiter": max_iter},
    )
    n_iter = min(int(result.nit), max_iter)
    converged = int(result.status) == 0
    if int(result.status) == 1:
        warnings.warn(
            ConvergenceWarning("topic classifier L-BFGS did not converge", n_iter), stacklevel=2
        )
    elif not converged:
        logger.info("topic classifier L-BFGS stopped: %s", result.message)
    w = np.asarray(result.x, dtype=np.float64).reshape(classes.shape[0], n_features + 1)
    return SoftmaxModel(
        classes=classes.astype(np.int64),
        coef=np.ascontiguousarray(w[:, :-1]),
        intercept=np.ascontiguousarray(w[:, -1]),
        n_iter=n_iter,
        converged=converged,
    )
