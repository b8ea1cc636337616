"""Opinion axes of the rating matrix: a regularised low-rank fit of the double-centred votes.

Votes y (+1 / 0 / -1) are centred by their note's mean vote over the raters that can fit
the axes (``_note_means``), then by the rater's mean residual (leniency). The axes are
fitted on the well-observed part of the matrix only: the raters with at least
``fit_min_rater_ratings`` votes and, among their votes, the notes rated by at least
``fit_min_note_raters`` of them (at most ``fit_max_ratings`` votes: raters are sampled
beyond that). On that part, alternating ridge least squares over the observed votes
only (missing votes carry no weight; Hu, Koren & Volinsky 2008 solve the same normal
equations for implicit feedback) minimises

    sum over observed (r, n) of (y_rn - u_r . v_n)^2 + rater_ridge |u|^2 + note_ridge |v|^2,

from a random start (each sweep is a step of subspace iteration). The ridge keeps a rater or
note with few votes near 0, so neither can carry an axis: a plain truncated SVD of 100,000
sampled raters over 200,000 notes put both axes on a few thousand outlier raters (10M
ratings: groups of 99%, 0.5%, 0.5% and 0.2%, ARI 0.000 against the simulated camps).

The fitted factors are rotated to principal axes (orthogonal, ordered by singular value).
Then, over the whole matrix, in one pass over the ratings each (numba; the matrix is built
only for the fit): every note's loadings by a ridge fit over the votes of the fitted raters,
shrunk towards 0 when within a few standard errors of it (most notes carry no viewpoint);
every rater's position by a ridge fit over all its votes; and ``full_sweeps`` more of both,
the notes' loadings now from every rater with ``fit_min_rater_ratings`` votes (when the fit
was sampled, the fitted raters cast only part of each note's votes).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from bridgewatch.analysis.embeddings._kernels import (
    factor_normal_equations,
    gather_rows,
    kept_per_rater,
    note_vote_sums,
    rater_residual_sums,
)
from bridgewatch.analysis.embeddings.ratings import RatingMatrix
from bridgewatch.errors import ConfigError, ConvergenceWarning

__all__ = ["AxesConfig", "OpinionAxes", "fit_opinion_axes", "ridge_solve"]


@dataclass(frozen=True)
class AxesConfig:
    """Settings of the axis fit (see the module docstring).

    Parameters
    ----------
    n_components : number of axes.
    fit_min_rater_ratings : raters with fewer votes (kept ones) do not fit the axes.
    fit_min_note_raters : notes with fewer votes from the fitting raters do not fit them.
    fit_max_ratings : at most this many votes fit the axes (raters sampled with the seed).
    rater_ridge, note_ridge : ridge penalties (in votes) on rater positions and note
        loadings, in the fit and in the placement of every rater and note.
    loading_shrink : each note loading l placed after the fit is multiplied by
        max(0, 1 - loading_shrink x se^2 / l^2), se its standard error (0: no shrinkage; 1:
        positive-part James-Stein). On the simulator's communities (most notes unslanted)
        3 raised the ARI of the clustered raters against the camps by about 0.02.
    full_sweeps : alternating sweeps over the whole matrix after the fit (each a pass over
        the ratings for the notes and one for the raters).
    max_iter : alternating sweeps at most.
    tol : stop when a sweep lowers the penalised loss by less than this share of it.
    """

    n_components: int = 2
    fit_min_rater_ratings: int = 15
    fit_min_note_raters: int = 10
    fit_max_ratings: int = 10_000_000
    rater_ridge: float = 5.0
    note_ridge: float = 1.0
    loading_shrink: float = 3.0
    full_sweeps: int = 1
    max_iter: int = 30
    tol: float = 1e-3

    def __post_init__(self) -> None:
        for name in (
            "n_components",
            "fit_min_rater_ratings",
            "fit_min_note_raters",
            "fit_max_ratings",
            "max_iter",
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError(name, value, "an integer >= 1")
        if isinstance(self.full_sweeps, bool) or not isinstance(self.full_sweeps, int):
            raise ConfigError("full_sweeps", self.full_sweeps, "an integer >= 0")
        if self.full_sweeps < 0:
            raise ConfigError("full_sweeps", self.full_sweeps, "an integer >= 0")
        for name in ("rater_ridge", "note_ridge"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise ConfigError(name, value, "a finite number > 0")
        if not (math.isfinite(self.loading_shrink) and self.loading_shrink >= 0):
            raise ConfigError("loading_shrink", self.loading_shrink, "a finite number >= 0")
        if not (math.isfinite(self.tol) and self.tol > 0):
            raise ConfigError("tol", self.tol, "a finite number > 0")


@dataclass(frozen=True)
class OpinionAxes:
    """Fitted axes, and every rater and note placed on them.

    Parameters
    ----------
    rater_positions : float64 array of shape (n_raters, d): each rater's ridge fit of its
        centred votes on the note loadings (0 for a rater without kept votes).
    note_loadings : float64 array of shape (n_notes, d), unit root mean square per axis over
        the notes that fitted the axes (0 for a note without votes from fitted raters).
    singular_values : float64 array of shape (d,), decreasing, of the fitted part.
    explained : float64 array of shape (d,): each axis's share of the fitted part's sum of
        squares, over the observed votes only.
    rater_votes : int64 array of shape (n_raters,), kept votes of each rater.
    n_fit_raters, n_fit_notes, n_fit_ratings : size of the fitted part.
    n_iter : alternating sweeps run.
    """

    rater_positions: NDArray[np.float64]
    note_loadings: NDArray[np.float64]
    singular_values: NDArray[np.float64]
    explained: NDArray[np.float64]
    rater_votes: NDArray[np.int64]
    n_fit_raters: int
    n_fit_notes: int
    n_fit_ratings: int
    n_iter: int


def ridge_solve(
    gram: NDArray[np.float64], rhs: NDArray[np.float64], ridge: float
) -> NDArray[np.float64]:
    """Solve (gram_i + ridge I) x_i = rhs_i for every i.

    Parameters
    ----------
    gram : float64 array of shape (n, d, d), symmetric positive semi-definite.
    rhs : float64 array of shape (n, d).
    ridge : > 0, so every system is regular.

    Returns
    -------
    float64 array of shape (n, d).
    """
    d = gram.shape[-1]
    solved = np.linalg.solve(gram + ridge * np.eye(d), rhs[:, :, None])[:, :, 0]
    return np.asarray(solved, dtype=np.float64)


def _normal_equations(
    values: sp.csr_matrix, pattern: sp.csr_matrix, factors: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Each row's normal equations on the other side's ``factors`` (n_cols, d) over its
    observed values: gram (n_rows, d, d) = sum f f^T and rhs (n_rows, d) = sum y f, from
    two sparse products (the pattern times every product of two factor columns, and
    values @ factors)."""
    d = factors.shape[1]
    pairs = [(a, b) for a in range(d) for b in range(a, d)]
    products = np.column_stack([factors[:, a] * factors[:, b] for a, b in pairs])
    sums = np.asarray(pattern @ products)
    gram = np.empty((values.shape[0], d, d))
    for j, (a, b) in enumerate(pairs):
        gram[:, a, b] = sums[:, j]
        gram[:, b, a] = sums[:, j]
    return gram, np.asarray(values @ factors, dtype=np.float64)


def _fit_rows(
    n_votes: NDArray[np.int64], config: AxesConfig, rng: np.random.Generator
) -> NDArray[np.int64]:
    """Raters (rows) that fit the axes: enough votes, sampled down to ``fit_max_ratings``."""
    rows = np.flatnonzero(n_votes >= config.fit_min_rater_ratings)
    if int(n_votes[rows].sum()) > config.fit_max_ratings:
        order = rng.permutation(rows)
        within = np.cumsum(n_votes[order]) <= config.fit_max_ratings
        rows = np.sort(order[within])
    return rows.astype(np.int64)


def _principal(
    u: NDArray[np.float64], v: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Rotate U V^T to principal axes: rater scores (n_rows, d) and note loadings (n_cols,
    d), each axis's columns orthogonal with norm sqrt(singular value), and the singular
    values (d,), decreasing; each axis's sign set so that its largest loading is positive
    (a deterministic orientation)."""
    qu, ru = np.linalg.qr(u)
    qv, rv = np.linalg.qr(v)
    w, s, zt = np.linalg.svd(ru @ rv.T)
    # The singular values split evenly between the sides, as the ridge balances them.
    scores = qu @ w * np.sqrt(s)
    loadings = qv @ zt.T * np.sqrt(s)
    flip = np.sign(loadings[np.argmax(np.abs(loadings), axis=0), np.arange(loadings.shape[1])])
    flip[flip == 0] = 1.0
    return scores * flip, loadings * flip, s


@dataclass(frozen=True)
class _Fitted:
    scores: NDArray[np.float64]
    singular_values: NDArray[np.float64]
    explained: NDArray[np.float64]
    residual_variance: float
    n_iter: int


def _alternate(values: sp.csr_matrix, config: AxesConfig, seed: int) -> _Fitted:
    """Alternating ridge least squares on the fitted part (module docstring), until the
    penalised loss falls by less than ``tol`` (relative) in a sweep.

    The loss comes from the note step's normal equations (G, b), with no pass over the
    votes: sum y^2 - 2 sum_n v_n . b_n + sum_n v_n^T G_n v_n + the penalties.
    """
    pattern = sp.csr_matrix(
        (np.ones(values.nnz), values.indices, values.indptr), shape=values.shape
    )
    values_t = values.T.tocsr()
    pattern_t = sp.csr_matrix(
        (np.ones(values_t.nnz), values_t.indices, values_t.indptr), shape=values_t.shape
    )
    total = float(values.data @ values.data)
    # A random start: each sweep acts as a step of subspace (power) iteration, so the top
    # axes emerge from it.
    v = np.random.default_rng(seed).standard_normal((values.shape[1], config.n_components))
    loss = math.inf
    converged = False
    n_iter = 0
    while n_iter < config.max_iter:
        n_iter += 1
        u = ridge_solve(*_normal_equations(values, pattern, v), config.rater_ridge)
        gram, rhs = _normal_equations(values_t, pattern_t, u)
        v = ridge_solve(gram, rhs, config.note_ridge)
        previous, loss = (
            loss,
            float(
                total
                - 2.0 * np.sum(v * rhs)
                + np.einsum("na,nab,nb->", v, gram, v)
                + config.rater_ridge * np.sum(u * u)
                + config.note_ridge * np.sum(v * v)
            ),
        )
        converged = math.isfinite(previous) and previous - loss <= config.tol * previous
        if converged:
            break
    if not converged:
        fell = (previous - loss) / previous
        warnings.warn(
            ConvergenceWarning(f"opinion axes stopped at max_iter (loss fell {fell:.2g})", n_iter),
            stacklevel=3,
        )
    scores, loadings, singular = _principal(u, v)
    # Each axis's share of the observed sum of squares: sum over the observed (r, n) of
    # (score_r loading_n)^2, over sum y^2.
    covered = np.sum(scores**2 * np.asarray(pattern @ loadings**2), axis=0)
    penalties = config.rater_ridge * np.sum(u * u) + config.note_ridge * np.sum(v * v)
    return _Fitted(
        scores,
        singular,
        covered / max(total, np.finfo(np.float64).tiny),
        max(loss - float(penalties), 0.0) / max(values.nnz, 1),
        n_iter,
    )


@dataclass(frozen=True)
class _Means:
    notes: NDArray[np.float64]
    raters: NDArray[np.float64]


def _note_step(
    matrix: RatingMatrix,
    keep: NDArray[np.bool_],
    means: _Means,
    rater_factors: NDArray[np.float64],
    config: AxesConfig,
    fitted: _Fitted,
) -> NDArray[np.float64]:
    """Every note's ridge fit of its kept votes on ``rater_factors`` (n_raters, d; 0 for a
    rater left out), shrunk."""
    gram, rhs = factor_normal_equations(
        matrix.note_idx,
        matrix.rater_idx,
        matrix.votes,
        keep,
        means.notes,
        means.raters,
        rater_factors,
        matrix.n_notes,
    )
    loadings = ridge_solve(gram, rhs, config.note_ridge)
    if config.loading_shrink > 0:
        # Most notes carry no viewpoint (83% in the simulator), and their noisy loadings
        # would add noise to every rater who rated them: a loading within a few standard
        # errors of 0 is shrunk towards it (positive-part James-Stein, Efron & Morris 1973,
        # per loading). Squared standard error: the residual variance per vote times the
        # diagonal of (G + note_ridge I)^-1.
        inverse = np.linalg.inv(gram + config.note_ridge * np.eye(gram.shape[1]))
        noise = config.loading_shrink * fitted.residual_variance * np.einsum("naa->na", inverse)
        tiny = np.finfo(np.float64).tiny
        loadings *= np.maximum(0.0, 1.0 - noise / np.maximum(loadings**2, tiny))
    return loadings


def _rater_step(
    matrix: RatingMatrix,
    keep: NDArray[np.bool_],
    means: _Means,
    loadings: NDArray[np.float64],
    config: AxesConfig,
) -> NDArray[np.float64]:
    """Every rater's ridge fit of its kept votes on the note ``loadings`` (n_notes, d)."""
    gram, rhs = factor_normal_equations(
        matrix.rater_idx,
        matrix.note_idx,
        matrix.votes,
        keep,
        means.raters,
        means.notes,
        loadings,
        matrix.n_raters,
    )
    return ridge_solve(gram, rhs, config.rater_ridge)


def _note_means(
    matrix: RatingMatrix, keep: NDArray[np.bool_], config: AxesConfig
) -> NDArray[np.float64]:
    """Each note's mean kept vote over the raters that can fit the axes (at least
    ``fit_min_rater_ratings`` kept votes), or over every rater where none of those rated it.

    The low-rank fit has no mean term, so its columns must be centred on the rows it is
    fitted on, as in principal component analysis: were the means taken over every rater,
    light raters (left out of the fit) who push some notes' means one way would leave every
    fitted rater with a residual of the same sign on those notes, a pattern all of them
    share, which the first axis would take instead of the one that divides them (a block of
    200 raters with 4 votes each on the same 8 notes put every rater of two planted camps on
    one side of a one-axis fit: tests/analysis/embeddings/test_axes.py).
    """
    rater_n = kept_per_rater(matrix.rater_idx, keep, matrix.n_raters)
    fitting = rater_n >= config.fit_min_rater_ratings
    fit_sum, fit_n, all_sum, all_n = note_vote_sums(
        matrix.rater_idx, matrix.note_idx, matrix.votes, keep, fitting, matrix.n_notes
    )
    means: NDArray[np.float64] = np.where(
        fit_n > 0, fit_sum / np.maximum(fit_n, 1), all_sum / np.maximum(all_n, 1)
    )
    return means


def fit_opinion_axes(
    matrix: RatingMatrix, keep: NDArray[np.bool_], config: AxesConfig, rng: np.random.Generator
) -> OpinionAxes:
    """Fit the axes on the kept ratings and place every rater and note (module docstring).

    Parameters
    ----------
    matrix : the ratings.
    keep : bool array of shape (n_ratings,), the ratings that count.
    config : the settings.
    rng : draws the rater sample (when more than ``fit_max_ratings`` votes qualify) and the
        seed of the initial SVD.

    Raises
    ------
    ConfigError
        Fewer than two raters or notes are left to fit the axes (``fit_min_rater_ratings``).
    """
    d = config.n_components
    note_means = _note_means(matrix, keep, config)
    rater_sum, rater_n = rater_residual_sums(
        matrix.rater_idx, matrix.note_idx, matrix.votes, keep, note_means, matrix.n_raters
    )
    rater_means = rater_sum / np.maximum(rater_n, 1)

    fit_raters = _fit_rows(rater_n, config, rng)
    row_of_rater = np.full(matrix.n_raters, -1, dtype=np.int64)
    row_of_rater[fit_raters] = np.arange(fit_raters.shape[0])
    rows, cols, vals = gather_rows(
        matrix.rater_idx,
        matrix.note_idx,
        matrix.votes,
        keep,
        row_of_rater,
        note_means,
        rater_means,
        np.ones(matrix.n_raters),
        np.ones(matrix.n_notes),
    )
    per_col = np.bincount(cols, minlength=matrix.n_notes)
    fit_notes = np.flatnonzero(per_col >= config.fit_min_note_raters)
    col_of_note = np.full(matrix.n_notes, -1, dtype=np.int64)
    col_of_note[fit_notes] = np.arange(fit_notes.shape[0])
    inside = col_of_note[cols] >= 0
    values = sp.csr_matrix(
        (vals[inside], (rows[inside], col_of_note[cols[inside]])),
        shape=(fit_raters.shape[0], fit_notes.shape[0]),
    )
    del rows, cols, vals, inside
    if min(values.shape) < 2 or values.nnz == 0:
        raise ConfigError(
            "fit_min_rater_ratings",
            config.fit_min_rater_ratings,
            f"a value that leaves at least two raters and notes to fit the axes "
            f"(left: {values.shape[0]} raters, {values.shape[1]} notes)",
        )
    fitted = _alternate(values, config, int(rng.integers(2**31 - 1)))
    n_fit_ratings = values.nnz
    del values
    scores = np.zeros((matrix.n_raters, d))
    scores[fit_raters] = fitted.scores
    means = _Means(note_means, rater_means)
    # Loadings of every note from the fitted raters' votes, then every rater's position from
    # all its votes: a half step each over the whole matrix, in one pass; then
    # ``full_sweeps`` more of both, the notes' loadings now from every placed rater (when
    # the fit was sampled, the fitted raters are a fraction of each note's raters).
    loadings = _note_step(matrix, keep, means, scores, config, fitted)
    positions = _rater_step(matrix, keep, means, loadings, config)
    eligible = (rater_n >= config.fit_min_rater_ratings)[:, None]
    for _sweep in range(config.full_sweeps):
        loadings = _note_step(
            matrix, keep, means, np.where(eligible, positions, 0.0), config, fitted
        )
        positions = _rater_step(matrix, keep, means, loadings, config)
    # Loadings to unit root mean square over the fitted notes, positions in those units.
    rms = np.sqrt(np.mean(loadings[fit_notes] ** 2, axis=0))
    rms = np.where(rms > 0, rms, 1.0)
    loadings /= rms
    positions *= rms
    return OpinionAxes(
        rater_positions=positions,
        note_loadings=loadings,
        singular_values=fitted.singular_values,
        explained=fitted.explained,
        rater_votes=rater_n.astype(np.int64),
        n_fit_raters=int(fit_raters.shape[0]),
        n_fit_notes=int(fit_notes.shape[0]),
        n_fit_ratings=int(n_fit_ratings),
        n_iter=fitted.n_iter,
    )
