"""Multinomial logistic regression fitted by L-BFGS (scoring-extended.md §4.3)."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from bridgewatch.scoring.topics import fit_softmax_regression
from bridgewatch.scoring.topics.classifier import softmax_loss_and_gradient


def _toy() -> tuple[sp.csr_matrix, np.ndarray]:
    features = sp.csr_matrix(
        np.array(
            [[1.0, 0.0, 0.0], [0.9, 0.1, 0.0], [0.0, 1.0, 0.0], [0.1, 0.8, 0.0], [0.0, 0.0, 1.0]]
        )
    )
    return features, np.array([0, 0, 3, 3, 7])


def test_gradient_matches_finite_differences() -> None:
    features, labels = _toy()
    onehot = np.eye(3)[np.unique(labels, return_inverse=True)[1]]
    params = np.random.default_rng(5).normal(size=3 * 4)
    _, grad = softmax_loss_and_gradient(params, features, onehot, 0.7)
    step = 1e-6
    numeric = np.empty_like(params)
    for k in range(params.shape[0]):
        e = np.zeros_like(params)
        e[k] = step
        up, _ = softmax_loss_and_gradient(params + e, features, onehot, 0.7)
        down, _ = softmax_loss_and_gradient(params - e, features, onehot, 0.7)
        numeric[k] = (up - down) / (2 * step)
    np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-8)


def test_fit_reaches_a_stationary_point_and_separates_the_classes() -> None:
    features, labels = _toy()
    model = fit_softmax_regression(
        features, labels, inverse_regularization=10.0, max_iter=1000, tol=1e-8
    )
    assert model.converged
    assert model.classes.tolist() == [0, 3, 7]
    probs = model.predict_proba(features, 8)
    assert probs.argmax(axis=1).tolist() == [0, 0, 3, 3, 7]
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-12)
    assert np.all(probs[:, [1, 2, 4, 5, 6]] == 0.0)
    onehot = np.eye(3)[np.unique(labels, return_inverse=True)[1]]
    params = np.hstack([model.coef, model.intercept[:, None]]).ravel()
    _, grad = softmax_loss_and_gradient(params, features, onehot, 0.1)
    # L-BFGS-B also stops on relative objective change (ftol), as in the reference.
    assert np.max(np.abs(grad)) < 1e-4


def test_intercepts_stay_centred_from_the_zero_start() -> None:
    # Softmax is shift invariant; gradients of the intercepts always sum to zero.
    features, labels = _toy()
    model = fit_softmax_regression(
        features, labels, inverse_regularization=1.0, max_iter=1000, tol=1e-6
    )
    assert abs(float(model.intercept.sum())) < 1e-8


def test_same_data_gives_bit_identical_fits() -> None:
    features, labels = _toy()
    a = fit_softmax_regression(features, labels, inverse_regularization=1.0, max_iter=100, tol=1e-4)
    b = fit_softmax_regression(features, labels, inverse_regularization=1.0, max_iter=100, tol=1e-4)
    assert np.array_equal(a.coef, b.coef) and np.array_equal(a.intercept, b.intercept)


def test_repeated_documents_fit_like_the_full_sum() -> None:
    """Repeated (row, label) documents enter the objective once with their count; the fit
    must equal L-BFGS on every document (same objective, other summation order)."""
    from scipy.optimize import minimize

    from bridgewatch.scoring.topics.classifier import _distinct_documents

    rng = np.random.default_rng(5)
    pool = sp.csr_matrix(sp.random(25, 8, density=0.4, random_state=3))
    pick = rng.integers(0, 25, 700)
    features = sp.csr_matrix(pool[pick])
    labels = ((pick + (rng.random(700) < 0.1)) % 3).astype(np.int64)  # some rows: 2 labels
    rows, counts = _distinct_documents(features, labels)  # type: ignore[misc]
    assert counts.sum() == 700 and rows.shape[0] < 80
    assert np.all(np.diff(rows) > 0)  # first occurrences, in document order
    model = fit_softmax_regression(
        features, labels, inverse_regularization=1.0, max_iter=500, tol=1e-8
    )
    onehot = np.eye(3)[labels]
    full = minimize(
        softmax_loss_and_gradient,
        np.zeros(3 * 9),
        args=(features, onehot, 1.0),
        method="L-BFGS-B",
        jac=True,
        options={"gtol": 1e-8, "maxiter": 500},
    )
    w = full.x.reshape(3, 9)
    np.testing.assert_allclose(model.coef, w[:, :-1], atol=1e-5)
    np.testing.assert_allclose(model.intercept, w[:, -1], atol=1e-5)
    assert _distinct_documents(sp.csr_matrix(np.eye(4)), np.arange(4)) is None
