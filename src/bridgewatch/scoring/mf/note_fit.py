"""Note-only fits with raters and μ frozen (scoring-core.md §5.2, §5.3, §12).

With raters and μ fixed, the objective splits into one independent ridge problem per note::

    minimise over (i_n, f_n):  Σ_{u∈R(n)} w·(y_un − μ − i_u − i_n − f_u·f_n)²
                               + Λ_i·i_n² + Λ_f·|f_n|²

with Λ = λ·ρ_note in ratio mode and Λ_i = λ_in·|R|/|N|, Λ_f = λ_fn·|R|/(|N|·k) in mean mode.
It is strictly convex, so its closed-form solution is exactly the optimum the reference's
Adam loop approaches, whatever the starting point. With the diamond penalty
P_◇·|f_n·i_n| (group 14) it is not convex; the per-note solve is then the global optimum by
sign-quadrant case analysis (still exact, still one sweep).

Group 14's normalized loss is the exception to "raters frozen": as the reference codes it,
its stage-2 fit trains raters and μ too (:func:`fit_note_params_normalized`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from bridgewatch.errors import ConfigError, InputError
from bridgewatch.scoring.mf import _numba, _reference
from bridgewatch.scoring.mf._engines import make_engine
from bridgewatch.scoring.mf._inputs import check_ratings, check_ratio
from bridgewatch.scoring.mf._solver import offset_step
from bridgewatch.scoring.mf.als import COMPACT_BELOW, fit_mf
from bridgewatch.scoring.mf.config import MFConfig
from bridgewatch.scoring.mf.objective import penalties_for
from bridgewatch.scoring.mf.params import MFInit, MFResult, PseudoRaterBounds

__all__ = [
    "COMPACT_RATIO",
    "BoundGrams",
    "PseudoRaterScale",
    "bound_grams",
    "bounds_from_grams",
    "fit_frozen_notes",
    "fit_note_params",
    "fit_note_params_normalized",
    "pseudo_rater_bounds",
]

FloatArray = NDArray[np.float64]

# A frozen note fit with fewer than 1/COMPACT_RATIO ratings per rater of the index runs on
# the rows of its raters alone (:func:`fit_note_params`).
COMPACT_RATIO = 4


def _check_frozen_raters(
    rater_idx: NDArray[np.integer],
    rater_intercepts: NDArray[np.floating],
    rater_factors: NDArray[np.floating],
    global_intercept: float | None,
    n_factors: int,
    *,
    need_global: bool = True,
) -> None:
    n_raters = rater_intercepts.shape[0]
    if rater_intercepts.ndim != 1 or rater_factors.shape != (n_raters, n_factors):
        raise InputError(
            f"expected shapes (n_raters,) and (n_raters, {n_factors}), got "
            f"{rater_intercepts.shape} and {rater_factors.shape}",
            field="rater_factors",
        )
    # Checked on the raters' rows of the ratings (a pass's fits touch few of the raters).
    ok_at = np.isfinite(rater_intercepts[rater_idx]) & np.all(
        np.isfinite(rater_factors[rater_idx]), axis=1
    )
    if not ok_at.all():
        bad = int(np.min(rater_idx[~ok_at]))
        raise InputError(
            f"rater row {bad} has ratings but no finite frozen parameters; filter its ratings",
            field="rater_intercepts",
        )
    if need_global and (global_intercept is None or not np.isfinite(global_intercept)):
        raise InputError("must be finite", field="global_intercept")


def _frozen_init(
    note_idx: NDArray[np.integer],
    rater_idx: NDArray[np.integer],
    values: NDArray[np.floating],
    weights: NDArray[np.floating] | None,
    n_notes: int,
    rater_intercepts: NDArray[np.floating],
    rater_factors: NDArray[np.floating],
    global_intercept: float | None,
    cfg: MFConfig,
) -> MFInit:
    """The checked start of a fit with frozen raters: zero notes, the given raters, and μ
    (None without a global intercept). Raises InputError on ratings or raters that do not
    fit the index."""
    n_factors = cfg.n_factors
    check_ratings(note_idx, rater_idx, values, weights, n_notes, int(rater_intercepts.shape[0]))
    _check_frozen_raters(
        rater_idx,
        rater_intercepts,
        rater_factors,
        global_intercept,
        n_factors,
        need_global=cfg.use_global_intercept,
    )
    return MFInit(
        note_intercepts=np.zeros(n_notes),
        note_factors=np.zeros((n_notes, n_factors)),
        rater_intercepts=rater_intercepts,
        rater_factors=rater_factors,
        global_intercept=(
            float(global_intercept)
            if cfg.use_global_intercept and global_intercept is not None
            else None
        ),
    )


def fit_note_params(
    note_idx: NDArray[np.integer],
    rater_idx: NDArray[np.integer],
    values: NDArray[np.floating],
    *,
    n_notes: int,
    rater_intercepts: NDArray[np.floating],
    rater_factors: NDArray[np.floating],
    global_intercept: float | None,
    config: MFConfig | None = None,
    note_ratio: float | None = None,
    weights: NDArray[np.floating] | None = None,
    engine: str = "numba",
    rng: np.random.Generator | None = None,
    start_seed: int | None = None,
) -> MFResult:
    """Final-scoring note fit: raters and μ frozen, no sign flip (scoring-core.md §5.2).

    Solves the per-note ridge problem of the module docstring in closed form (one exact
    sweep of the same per-row solver :func:`fit_mf` uses), in ratio mode when
    ``note_ratio`` ρ is given (Λ_i = λ_in·ρ, Λ_f = λ_fn·ρ; the final scoring passes
    ρ = prescoring finalRoundNumRatings / finalRoundNumNotes), else in mean mode.

    Parameters
    ----------
    note_idx, rater_idx : int array of shape (n_ratings,)
    values : float array of shape (n_ratings,)
        helpfulNum.
    n_notes : int
    rater_intercepts : float array of shape (n_raters,)
        Frozen i_u; must be finite for every rater with ratings.
    rater_factors : float array of shape (n_raters, n_factors)
        Frozen f_u.
    global_intercept : float or None
        Frozen μ; finite. Ignored (None allowed) when ``config.use_global_intercept`` is
        False: μ is then 0.
    config : MFConfig, default MFConfig()
        With ``normalized_loss`` set the call is delegated to
        :func:`fit_note_params_normalized` (group 14; raters and μ are then NOT frozen).
    note_ratio : float > 0, optional
        ρ_note for ratio mode.
    weights : float array of shape (n_ratings,), optional
    engine : {"numba", "numpy"}
    rng : numpy.random.Generator, optional
        Only used (and then required) with ``config.normalized_loss``.
    start_seed : int, optional
        Only used with ``config.normalized_loss`` and ``config.adam``: the seeded
        reference's random start (see :func:`fit_mf`).

    Returns
    -------
    MFResult
        ``params.note_*`` hold the fitted notes (NaN without ratings); rater arrays are the
        frozen values (NaN for raters without ratings); ``loss`` is the objective with the
        frozen terms included; ``n_iterations`` is 1.
    """
    cfg = config if config is not None else MFConfig()
    if cfg.normalized_loss is not None:
        if weights is not None:
            raise InputError(
                "cannot be combined with config.normalized_loss (it sets the weights)",
                field="weights",
            )
        if rng is None:
            raise InputError(
                "the normalized two-stage fit draws its stage-2 note factors from rng",
                field="rng",
            )
        return fit_note_params_normalized(
            note_idx,
            rater_idx,
            values,
            n_notes=n_notes,
            rater_intercepts=rater_intercepts,
            rater_factors=rater_factors,
            global_intercept=global_intercept,
            config=cfg,
            rng=rng,
            note_ratio=note_ratio,
            engine=engine,
            start_seed=start_seed,
        )
    n_raters = int(rater_intercepts.shape[0])
    used: NDArray[np.int64] | None = None
    if values.shape[0] * COMPACT_RATIO < n_raters:
        # Few ratings against the rater index (a live pass over a few notes): the fit runs
        # on the rows of their raters alone, so that nothing costs the index's size. The
        # note solves read the same frozen values and sum each note's ratings in the same
        # order: the same bits (the fit on the whole index compacts to these rows too).
        check_ratings(note_idx, rater_idx, values, weights, n_notes, n_raters)
        used, local = np.unique(rater_idx, return_inverse=True)
        rater_idx = local.astype(np.int32, copy=False)
        rater_intercepts, rater_factors = rater_intercepts[used], rater_factors[used]
    init = _frozen_init(
        note_idx, rater_idx, values, weights, n_notes,
        rater_intercepts, rater_factors, global_intercept, cfg,
    )  # fmt: skip
    result = fit_mf(
        note_idx,
        rater_idx,
        values,
        n_notes=n_notes,
        n_raters=int(rater_intercepts.shape[0]),
        config=cfg,
        init=init,
        freeze_raters=True,
        freeze_global=True,
        note_ratio=note_ratio,
        sign_identify=False,
        weights=weights,
        engine=engine,
    )
    if used is None:
        return result
    params = result.params
    full_i = np.full(n_raters, np.nan)
    full_f = np.full((n_raters, params.rater_factors.shape[1]), np.nan)
    full_i[used] = params.rater_intercepts
    full_f[used] = params.rater_factors
    return dataclasses.replace(
        result, params=dataclasses.replace(params, rater_intercepts=full_i, rater_factors=full_f)
    )


def fit_frozen_notes(
    note_idx: NDArray[np.integer],
    rater_idx: NDArray[np.integer],
    values: NDArray[np.floating],
    *,
    n_notes: int,
    rater_intercepts: NDArray[np.floating],
    rater_factors: NDArray[np.floating],
    global_intercept: float | None,
    config: MFConfig,
    note_ratio: float | None = None,
    weights: NDArray[np.floating] | None = None,
    engine: str = "numba",
) -> tuple[FloatArray, FloatArray]:
    """The note parameters of :func:`fit_note_params`, bit for bit, without its result's
    rater arrays, loss and MSE: ``(note_intercepts (n_notes,), note_factors (n_notes, k))``,
    NaN for notes without ratings.

    The fit with raters and μ frozen is one exact sweep of :func:`fit_mf`: every note's
    ridge solve, then the note-intercept shift of the offset step (zero but for rounding).
    This runs that sweep alone on the rows of the ratings' raters, without the objective
    passes, start checks and index-sized copies around it: a live pass makes some seventy
    such fits of a few notes each. Only for ALS fits (no ``config.adam``, no
    ``config.normalized_loss``: :func:`fit_note_params` otherwise). Arguments as there;
    raises InputError on the same bad input.
    """
    cfg = config
    if cfg.adam is not None:
        raise ConfigError("adam", cfg.adam, "None (an ALS fit; fit_note_params runs Adam)")
    if cfg.normalized_loss is not None:
        raise ConfigError(
            "normalized_loss", cfg.normalized_loss, "None (group 14's fit: fit_note_params)"
        )
    n_raters = int(rater_intercepts.shape[0])
    check_ratings(note_idx, rater_idx, values, weights, n_notes, n_raters)
    check_ratio("note_ratio", note_ratio)
    used, local = np.unique(rater_idx, return_inverse=True)
    raters = local.astype(np.int32, copy=False)
    ri = np.asarray(rater_intercepts, dtype=np.float64)[used]
    rf = np.asarray(rater_factors, dtype=np.float64)[used]
    _check_frozen_raters(
        raters, ri, rf, global_intercept, cfg.n_factors, need_global=cfg.use_global_intercept
    )
    mu = (
        float(global_intercept)
        if cfg.use_global_intercept and global_intercept is not None
        else 0.0
    )
    note_ok = np.bincount(note_idx, minlength=n_notes) > 0
    kept = np.flatnonzero(note_ok)
    pen = penalties_for(
        cfg,
        n_ratings=int(values.shape[0]),
        n_notes=int(kept.shape[0]),
        n_raters=int(used.shape[0]),
        note_ratio=note_ratio,
    )
    # As fit_mf: the notes on compact rows when few of the index's are present (the
    # error sums then add the same per-note terms in the same blocks: the same bits).
    if kept.shape[0] < COMPACT_BELOW * n_notes:
        row = np.full(n_notes, -1, dtype=np.int32)
        row[kept] = np.arange(kept.shape[0], dtype=np.int32)
        fit_notes: NDArray[np.integer] = row[note_idx]
        n_rows, pos = int(kept.shape[0]), np.arange(kept.shape[0])
    else:
        fit_notes, n_rows, pos = note_idx, n_notes, kept
    eng = make_engine(
        engine, fit_notes, raters, values, weights, n_rows, int(used.shape[0]),
        need_rater_groups=False,
    )  # fmt: skip
    ni = np.zeros(n_rows)
    nf = np.zeros((n_rows, cfg.n_factors))
    _, se = eng.solve_notes(
        ni, nf, ri, rf, mu, pen.note_intercept, pen.note_factor, pen.diamond, sums=True
    )
    w_total = float(values.shape[0] if weights is None else np.sum(weights, dtype=np.float64))
    shift = offset_step(
        se, w_total, mu, ni, ri, pos, np.arange(used.shape[0]), pen,
        free_raters=False, free_global=False, shift_notes=pen.diamond == 0.0,
    )  # fmt: skip
    ni[pos] += shift.note_intercepts
    out_i = np.full(n_notes, np.nan)
    out_f = np.full((n_notes, cfg.n_factors), np.nan)
    out_i[kept] = ni[pos]
    out_f[kept] = nf[pos]
    return out_i, out_f


def fit_note_params_normalized(
    note_idx: NDArray[np.integer],
    rater_idx: NDArray[np.integer],
    values: NDArray[np.floating],
    *,
    n_notes: int,
    rater_intercepts: NDArray[np.floating],
    rater_factors: NDArray[np.floating],
    global_intercept: float | None,
    config: MFConfig,
    rng: np.random.Generator,
    note_ratio: float | None = None,
    engine: str = "numba",
    start_seed: int | None = None,
) -> MFResult:
    """Group 14's final-scoring note fit, as the reference codes it (multimodel §4.2).

    ⚠ **Quirk reproduced on purpose.** The reference's final scoring calls its MF with
    raters and μ frozen, but the normalized loss builds a *new* model for stage 2 without
    re-applying the freezes. So:

    * stage 1 is the ordinary frozen note fit (exact, as :func:`fit_note_params`); it only
      feeds the weights, and those depend only on the frozen rater factors;
    * the weights come from the frozen (prescoring) rater factors, no sign flip;
    * stage 2 is a full, non-convex MF of notes **and raters and μ**: note factors
      Xavier-random from ``rng``, note intercepts 0, raters starting from the given frozen
      values, μ starting from **0** (not from ``global_intercept``), notes in ratio mode
      (ρ = ``note_ratio``), rater terms in mean mode over the raters of these ratings,
      weighted by the normalized loss, no sign flip.

    The stage-2 parameters are returned, so ``params.rater_*`` and ``params.global_intercept``
    are the **moved** stage-2 values, not the frozen inputs; the note intercepts are what
    the group-14 rules read. ``train_mse`` is the unweighted stage-2 MSE; ``stage1`` holds
    the frozen fit. This is :func:`fit_mf` with ``freeze_raters=freeze_global=True`` and
    ``config.normalized_loss`` set, which applies the freezes to stage 1 only.

    Parameters
    ----------
    note_idx, rater_idx, values : arrays of shape (n_ratings,)
        As for :func:`fit_note_params`.
    n_notes : int
    rater_intercepts : float array of shape (n_raters,)
        Prescoring i_u; finite for every rater with ratings.
    rater_factors : float array of shape (n_raters, n_factors)
        Prescoring f_u.
    global_intercept : float or None
        Prescoring μ (stage 1 only); ignored without a global intercept.
    config : MFConfig
        Must have ``normalized_loss`` set.
    rng : numpy.random.Generator
        Draws the stage-2 note factors.
    note_ratio : float > 0, optional
        ρ_note for ratio mode.
    engine : {"numba", "numpy"}
    start_seed : int, optional
        With ``config.adam``: draw the stage-2 note factors as the seeded reference does
        (see :func:`fit_mf`) instead of from ``rng``.
    """
    if config.normalized_loss is None:
        raise ConfigError("normalized_loss", None, "a NormalizedLossConfig for this fit")
    n_raters = int(rater_intercepts.shape[0])
    init = _frozen_init(
        note_idx, rater_idx, values, None, n_notes,
        rater_intercepts, rater_factors, global_intercept, config,
    )  # fmt: skip
    return fit_mf(
        note_idx,
        rater_idx,
        values,
        n_notes=n_notes,
        n_raters=n_raters,
        config=config,
        init=init,
        freeze_raters=True,
        freeze_global=True,
        note_ratio=note_ratio,
        sign_identify=False,
        rng=rng,
        engine=engine,
        start_seed=start_seed,
    )


@dataclass(frozen=True)
class PseudoRaterScale:
    """The figures of the pseudo-rater bounds that couple every note (§5.3).

    Attributes
    ----------
    n_ratings, n_fit_notes : |R| and |N| of the whole note fit (the regularization's scale).
    pseudo_intercept : min i_u over the fit's raters.
    pseudo_factors : float64 array of shape (3,), (min f_u, 0, max f_u) over the fit's raters.

    With one, :func:`pseudo_rater_bounds` gives each note's bounds from its own ratings, so
    an incremental pass can bound only the notes it re-solves.
    """

    n_ratings: int
    n_fit_notes: int
    pseudo_intercept: float
    pseudo_factors: NDArray[np.float64]


def pseudo_rater_bounds(
    note_idx: NDArray[np.integer],
    rater_idx: NDArray[np.integer],
    values: NDArray[np.floating],
    *,
    n_notes: int,
    rater_intercepts: NDArray[np.floating],
    rater_factors: NDArray[np.floating],
    global_intercept: float | None,
    config: MFConfig | None = None,
    engine: str = "numba",
    scale: PseudoRaterScale | None = None,
) -> PseudoRaterBounds:
    """Note-intercept bounds from extreme pseudo-raters (scoring-core.md §5.3).

    Three pseudo-raters share intercept min i_u and have factors (min f_u, 0, max f_u),
    over the raters with ratings here. Four note-only refits run in MEAN mode with raters
    and μ frozen: ``refit_orig`` on the unchanged ratings (Λ_i = λ_in·|R|/|N|), and one per
    pseudo-rater, which adds one 1.0 rating to every note with ratings
    (Λ_i = λ_in·(|R| + |N|)/|N|). Each refit is the exact per-note optimum, so the
    reference's starting point (the note fit's params) does not matter.

    Parameters
    ----------
    note_idx, rater_idx : int array of shape (n_ratings,)
        The note fit's ratings (its finalRoundRatings).
    values : float array of shape (n_ratings,)
    n_notes : int
    rater_intercepts : float array of shape (n_raters,)
    rater_factors : float array of shape (n_raters, 1)
        Frozen rater params; finite for every rater with ratings. Only 1 factor is supported.
    global_intercept : float or None
        Frozen μ (ignored, None allowed, without a global intercept: μ = 0).
    config : MFConfig, default MFConfig(); ``n_factors`` must be 1, no diamond penalty and
        no normalized loss.
    engine : {"numba", "numpy"}
        How the per-note normal equations are accumulated (same results to ~1e-12).
    scale : |R|, |N| and the pseudo-raters of the whole fit when these ratings are only
        part of it (:class:`PseudoRaterScale`); None: taken from these ratings.

    Returns
    -------
    PseudoRaterBounds
    """
    cfg = config if config is not None else MFConfig()
    if cfg.n_factors != 1:
        raise ConfigError("n_factors", cfg.n_factors, "1 for pseudo-rater bounds")
    # No scorer with these variants runs pseudo-raters (multimodel §8.1).
    if cfg.diamond_lambda != 0:
        raise ConfigError("diamond_lambda", cfg.diamond_lambda, "0 for pseudo-rater bounds")
    if cfg.normalized_loss is not None:
        raise ConfigError("normalized_loss", cfg.normalized_loss, "None for pseudo-rater bounds")
    grams = bound_grams(
        note_idx,
        rater_idx,
        values,
        n_notes=n_notes,
        rater_intercepts=rater_intercepts,
        rater_factors=rater_factors,
        global_intercept=global_intercept,
        config=cfg,
        engine=engine,
    )
    if scale is None:
        ri = np.nan_to_num(np.asarray(rater_intercepts, dtype=np.float64))
        rf = np.nan_to_num(np.asarray(rater_factors, dtype=np.float64))
        used = np.bincount(rater_idx, minlength=ri.shape[0]) > 0
        scale = PseudoRaterScale(
            n_ratings=int(values.shape[0]),
            n_fit_notes=int(np.count_nonzero(grams.rating_count_all > 0)),
            pseudo_intercept=float(np.min(ri[used])),
            pseudo_factors=np.array([np.min(rf[used, 0]), 0.0, np.max(rf[used, 0])]),
        )
    return bounds_from_grams(grams, scale, cfg)


@dataclass(frozen=True)
class BoundGrams:
    """Each note's normal equations of the pseudo-rater refits (§5.3), before any scale.

    Attributes
    ----------
    gram : float64 array of shape (n_notes, 2, 2); rhs : float64 array of shape (n_notes, 2).
    rating_count_all, rating_count_neg_fac, rating_count_pos_fac : int64 arrays of shape
        (n_notes,), the note's ratings, and those by raters of negative / positive factor.
    mu : the frozen μ used (0 without a global intercept).
    """

    gram: FloatArray
    rhs: FloatArray
    rating_count_all: NDArray[np.int64]
    rating_count_neg_fac: NDArray[np.int64]
    rating_count_pos_fac: NDArray[np.int64]
    mu: float


def bound_grams(
    note_idx: NDArray[np.integer],
    rater_idx: NDArray[np.integer],
    values: NDArray[np.floating],
    *,
    n_notes: int,
    rater_intercepts: NDArray[np.floating],
    rater_factors: NDArray[np.floating],
    global_intercept: float | None,
    config: MFConfig,
    engine: str = "numba",
) -> BoundGrams:
    """The per-note part of :func:`pseudo_rater_bounds` (same parameters): each note's
    figures from its own ratings and the frozen rater parameters."""
    cfg = config
    n_raters = int(rater_intercepts.shape[0])
    check_ratings(note_idx, rater_idx, values, None, n_notes, n_raters)
    _check_frozen_raters(
        rater_idx,
        rater_intercepts,
        rater_factors,
        global_intercept,
        1,
        need_global=cfg.use_global_intercept,
    )
    ri = np.nan_to_num(np.asarray(rater_intercepts, dtype=np.float64))
    rf = np.nan_to_num(np.asarray(rater_factors, dtype=np.float64))
    mu = (
        float(global_intercept)
        if cfg.use_global_intercept and global_intercept is not None
        else 0.0
    )
    counts = np.bincount(note_idx, minlength=n_notes).astype(np.int64)
    if engine == "numba":
        indptr = _numba.row_pointers(note_idx, n_notes)
        gram_all, rhs_all = np.empty((n_notes, 2, 2)), np.empty((n_notes, 2))
        _numba.row_gram(
            indptr,
            _numba.scatter_by_key(note_idx, indptr, rater_idx),
            _numba.scatter_by_key(note_idx, indptr, values),
            ri,
            rf,
            mu,
            gram_all,
            rhs_all,
        )
    elif engine == "numpy":
        g = _reference.row_gram(note_idx, rater_idx, values, None, ri, rf, mu, n_notes)
        gram_all, rhs_all = g.gram, g.rhs
    else:
        raise ValueError(f"engine={engine!r} is not allowed: expected 'numba' or 'numpy'")
    f_u = rf[rater_idx, 0]
    return BoundGrams(
        gram=gram_all,
        rhs=rhs_all,
        rating_count_all=counts,
        rating_count_neg_fac=np.bincount(note_idx[f_u < 0], minlength=n_notes).astype(np.int64),
        rating_count_pos_fac=np.bincount(note_idx[f_u > 0], minlength=n_notes).astype(np.int64),
        mu=mu,
    )


def bounds_from_grams(
    grams: BoundGrams, scale: PseudoRaterScale, config: MFConfig, engine: str = "numba"
) -> PseudoRaterBounds:
    """The bounds of every note with ratings from its normal equations and the fit's
    run-wide :class:`PseudoRaterScale` (the coupling part of :func:`pseudo_rater_bounds`).

    ``engine``: "numba" solves the four 2x2 systems per note in one loop
    (``_numba.pseudo_bound_solves``; ~15x faster than "numpy", which batches them through
    ``np.linalg.solve``; the two agree to rounding, ~1e-15 relative)."""
    cfg = config
    n_notes = grams.rating_count_all.shape[0]
    ok = grams.rating_count_all > 0
    n_ratings, n_fit_notes = scale.n_ratings, scale.n_fit_notes
    pseudo_int, pseudo_fac = scale.pseudo_intercept, scale.pseudo_factors
    mu = grams.mu
    gram, rhs = grams.gram[ok], grams.rhs[ok]
    lam_i, lam_f = cfg.note_intercept_lambda, cfg.note_factor_lambda
    ints = np.empty((4, gram.shape[0]))
    facs = np.empty((4, gram.shape[0]))
    base = n_ratings / n_fit_notes
    n_aug = n_ratings + n_fit_notes
    aug = n_aug / n_fit_notes
    target = 1.0 - mu - pseudo_int
    if engine == "numba":
        _numba.pseudo_bound_solves(
            np.ascontiguousarray(gram, dtype=np.float64),
            np.ascontiguousarray(rhs, dtype=np.float64),
            lam_i * base,
            lam_f * base,
            lam_i * aug,
            lam_f * aug,
            np.ascontiguousarray(pseudo_fac, dtype=np.float64),
            target,
            ints,
            facs,
        )
    elif engine == "numpy":
        ints[0], f0 = _reference.solve_gram(gram, rhs, lam_i * base, lam_f * base)
        facs[0] = f0[:, 0]
        for j, fp in enumerate(pseudo_fac, start=1):
            z = np.array([1.0, fp])
            i_j, f_j = _reference.solve_gram(
                gram + np.outer(z, z), rhs + z * target, lam_i * aug, lam_f * aug
            )
            ints[j], facs[j] = i_j, f_j[:, 0]
    else:
        raise ValueError(f"engine={engine!r} is not allowed: expected 'numba' or 'numpy'")

    def spread(block: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
        """max, min and median of the four fits per note (NaN for notes without ratings)."""
        stats = np.empty((3, block.shape[1]))
        if engine == "numba":
            _numba.spread_of_four(np.ascontiguousarray(block), stats)
        else:
            stats[0], stats[1] = np.max(block, axis=0), np.min(block, axis=0)
            stats[2] = np.median(block, axis=0)
        out = np.full((3, n_notes), np.nan)
        out[:, ok] = stats
        return out[0], out[1], out[2]

    def orig(row: FloatArray) -> FloatArray:
        out = np.full(n_notes, np.nan)
        out[ok] = row
        return out

    int_max, int_min, int_median = spread(ints)
    fac_max, fac_min, fac_median = spread(facs)
    return PseudoRaterBounds(
        intercept_max=int_max,
        intercept_min=int_min,
        intercept_median=int_median,
        factor_max=fac_max,
        factor_min=fac_min,
        factor_median=fac_median,
        intercept_refit_orig=orig(ints[0]),
        factor_refit_orig=orig(facs[0]),
        rating_count_all=grams.rating_count_all,
        rating_count_neg_fac=grams.rating_count_neg_fac,
        rating_count_pos_fac=grams.rating_count_pos_fac,
        pseudo_rater_intercept=pseudo_int,
        pseudo_rater_factors=pseudo_fac,
    )
