"""Bridging matrix factorization by alternating least squares (scoring-core.md §3, §12).

The reference minimises its objective with full-batch Adam to a 1e-7 loss change; we
minimise the SAME objective (§3.2, see :mod:`bridgewatch.scoring.mf.objective`) with
closed-form block updates (the sweep loop lives in :mod:`bridgewatch.scoring.mf._solver`).
Every block update solves its subproblem exactly and accelerated steps are accepted only
when they lower the objective, so the objective never increases.
"""

from __future__ import annotations

import dataclasses
import logging
import warnings

import numpy as np
from numpy.typing import NDArray

from bridgewatch.errors import ConvergenceWarning, InputError
from bridgewatch.scoring.mf import _reference
from bridgewatch.scoring.mf._engines import make_engine
from bridgewatch.scoring.mf._inputs import StartValues, check_ratings, check_ratio, start_values
from bridgewatch.scoring.mf._solver import AlsSolver
from bridgewatch.scoring.mf.adam import adam_descent
from bridgewatch.scoring.mf.config import MFConfig
from bridgewatch.scoring.mf.normalized import normalized_loss_weights
from bridgewatch.scoring.mf.objective import penalties_for
from bridgewatch.scoring.mf.params import MFInit, MFParams, MFResult
from bridgewatch.scoring.mf.reference_start import reference_factor_draws

__all__ = ["fit_mf", "identify_signs"]

logger = logging.getLogger(__name__)


def identify_signs(params: MFParams) -> MFParams:
    """Flip factors so that most raters have a negative factor (scoring-core.md §3.3).

    For each factor column q: p = #(f_u,q < 0) / #(f_u,q ≠ 0) over raters with parameters;
    if p < 0.5 every note and rater factor of column q is multiplied by −1 (p undefined:
    no flip). Predictions and the objective are unchanged.
    """
    rf = params.rater_factors
    ok = np.isfinite(params.rater_intercepts)
    sign = np.ones(rf.shape[1])
    for q in range(rf.shape[1]):
        col = rf[ok, q]
        nonzero = int(np.count_nonzero(col))
        if nonzero > 0 and np.count_nonzero(col < 0) / nonzero < 0.5:
            sign[q] = -1.0
    if np.all(sign == 1.0):
        return params
    return MFParams(
        note_intercepts=params.note_intercepts,
        note_factors=params.note_factors * sign,
        rater_intercepts=params.rater_intercepts,
        rater_factors=rf * sign,
        global_intercept=params.global_intercept,
    )


def _as_init(init: MFInit | MFParams | None) -> MFInit | None:
    if isinstance(init, MFParams):
        return MFInit.from_params(init)
    return init


# Fits whose present notes (or raters) are below this share of the index run on compact rows.
COMPACT_BELOW = 0.5


def _compact_rows(ok: NDArray[np.bool_]) -> NDArray[np.int64] | None:
    """Rows present in the fit when they are few enough to compact, else None."""
    kept = np.flatnonzero(ok)
    return kept if kept.shape[0] < COMPACT_BELOW * ok.shape[0] else None


def _compact_fit(
    start: StartValues,
    note_ok: NDArray[np.bool_],
    rater_ok: NDArray[np.bool_],
    note_idx: NDArray[np.integer],
    rater_idx: NDArray[np.integer],
    notes_kept: NDArray[np.int64] | None,
    raters_kept: NDArray[np.int64] | None,
) -> tuple[StartValues, NDArray[np.bool_], NDArray[np.bool_], NDArray[np.int32], NDArray[np.int32]]:
    """Start values, presence and rating indexes on the compact rows of each side that has
    them (``None``: that side keeps its full index)."""

    def side(
        kept: NDArray[np.int64] | None,
        ok: NDArray[np.bool_],
        idx: NDArray[np.integer],
        inter: NDArray[np.float64],
        fac: NDArray[np.float64],
    ) -> tuple[NDArray[np.bool_], NDArray[np.int32], NDArray[np.float64], NDArray[np.float64]]:
        if kept is None:
            return ok, np.asarray(idx), inter, fac
        row = np.full(ok.shape[0], -1, dtype=np.int32)
        row[kept] = np.arange(kept.shape[0], dtype=np.int32)
        return np.ones(kept.shape[0], dtype=np.bool_), row[idx], inter[kept], fac[kept]

    n_ok, n_idx, ni, nf = side(
        notes_kept, note_ok, note_idx, start.note_intercepts, start.note_factors
    )
    r_ok, r_idx, ri, rf = side(
        raters_kept, rater_ok, rater_idx, start.rater_intercepts, start.rater_factors
    )
    return StartValues(ni, nf, ri, rf, start.global_intercept), n_ok, r_ok, n_idx, r_idx


def _compact_side(
    ok: NDArray[np.bool_], idx: NDArray[np.integer], kept: NDArray[np.int64] | None
) -> tuple[NDArray[np.bool_], NDArray[np.integer]]:
    """One side's presence and rating indexes on its compact rows (``kept`` None: as is)."""
    if kept is None:
        return ok, idx
    row = np.full(ok.shape[0], -1, dtype=np.int32)
    row[kept] = np.arange(kept.shape[0], dtype=np.int32)
    return np.ones(kept.shape[0], dtype=np.bool_), row[idx]


def _compact_init(
    init: MFInit | None,
    notes_kept: NDArray[np.int64] | None,
    raters_kept: NDArray[np.int64] | None,
    n: tuple[int, int],
) -> MFInit | None:
    """``init`` on the compact rows of each side that has them (``_compact_side``); ``n``
    the full index sizes (notes, raters). Arrays of another length are left for
    ``start_values`` to reject."""
    if init is None:
        return None

    def take(
        values: NDArray[np.floating] | None, kept: NDArray[np.int64] | None, size: int
    ) -> NDArray[np.floating] | None:
        if values is None or kept is None or values.shape[:1] != (size,):
            return values
        return values[kept]

    n_notes, n_raters = n
    return dataclasses.replace(
        init,
        note_intercepts=take(init.note_intercepts, notes_kept, n_notes),
        note_factors=take(init.note_factors, notes_kept, n_notes),
        rater_intercepts=take(init.rater_intercepts, raters_kept, n_raters),
        rater_factors=take(init.rater_factors, raters_kept, n_raters),
    )


def _expand_rows(
    inter: NDArray[np.float64],
    fac: NDArray[np.float64],
    kept: NDArray[np.int64] | None,
    n: int,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Compact-row parameters back in the full index (NaN for rows not in the fit)."""
    if kept is None:
        return inter, fac
    full_i = np.full(n, np.nan)
    full_f = np.full((n, fac.shape[1]), np.nan)
    full_i[kept] = inter
    full_f[kept] = fac
    return full_i, full_f


def fit_mf(
    note_idx: NDArray[np.integer],
    rater_idx: NDArray[np.integer],
    values: NDArray[np.floating],
    *,
    n_notes: int,
    n_raters: int,
    config: MFConfig | None = None,
    init: MFInit | MFParams | None = None,
    freeze_raters: bool = False,
    freeze_global: bool = False,
    note_ratio: float | None = None,
    rater_ratio: float | None = None,
    sign_identify: bool = True,
    rng: np.random.Generator | None = None,
    weights: NDArray[np.floating] | None = None,
    engine: str = "numba",
    start_seed: int | None = None,
) -> MFResult:
    """Fit ``ŷ_un = μ + i_u + i_n + f_u·f_n`` to ratings by ALS (scoring-core.md §3).

    Minimises the reference objective (§3.2) ``L = J/|R|`` with::

        J = Σ_R w·(y − μ − i_u − i_n − f_u·f_n)² + P_in·Σ_N i_n² + P_fn·Σ_N |f_n|²
            + P_◇·Σ_N |f_n·i_n| + P_iu·Σ_U i_u² + P_fu·Σ_U |f_u|² + P_μ·μ²

    Mean mode: P_in = λ_in·|R|/|N|, P_fn = λ_fn·|R|/(|N|·k), P_◇ = λ_◇·|R|/(|N|·k),
    P_iu = λ_iu·|R|/|U|, P_fu = λ_fu·|R|/(|U|·k), P_μ = λ_μ·|R|, where |N| and |U| count
    the notes and raters that appear in the ratings. Ratio mode (``note_ratio`` ρ given):
    P_in = λ_in·ρ, P_fn = λ_fn·ρ, P_◇ = λ_◇·ρ; likewise for raters with ``rater_ratio``.
    λ_μ may be 0 (μ unregularised); with ``config.use_global_intercept=False`` μ is not in
    the model at all (fixed at 0, no P_μ term, reported as 0.0).

    Each sweep solves, exactly: every note's (k+1)-square ridge system given raters and μ
    (with λ_◇ > 0: the global optimum of the non-convex 2-D note problem, by sign-quadrant
    case analysis); every rater's given notes and μ (skipped when ``freeze_raters``); then
    the joint exact optimum of μ and a uniform shift of all note (not with λ_◇ > 0) and all
    rater intercepts (frozen blocks excluded; with notes and raters fixed this is
    μ = Σ w·(y − i_u − i_n − f_u·f_n) / (Σ w + P_μ)).
    Sweeps stop when the objective decreases by at most ``config.tolerance`` (relative) and
    no parameter moves by more than ``config.param_tolerance``. The problem is non-convex:
    like the reference, start from a stable initialisation where one exists (§4.2). With
    λ_◇ > 0 and free raters the fit runs by continuation (λ_◇ = 0 first, then λ_◇ from
    that optimum; see ``_fit_stage``): started directly, ALS collapses to zero factors.

    **Fit by Adam** (``config.adam`` set; group 14). Every stage runs the reference's own
    training loop instead of ALS (:func:`~bridgewatch.scoring.mf.adam.adam_descent`:
    full-batch Adam, gradient clipping, the reference's stopping rule) from the §3.3 start,
    so it stops where the reference stops rather than at the optimum: the diamond problem's
    optimum often lies on the factor axis, the stopped Adam run in the intercept basin.
    The learning rate is ``config.adam.init_learning_rate`` when both note and rater
    initial values are given, else ``config.adam.learning_rate``. ``n_iterations`` counts
    epochs.

    **Normalized two-stage fit** (``config.normalized_loss`` set; group 14, multimodel
    §4.2). Stage 1 is the fit above with the call's init, freezes and modes. Rating weights
    are then built from stage-1 rater factors (sign-identified when ``sign_identify``) by
    :func:`~bridgewatch.scoring.mf.normalized_loss_weights`. Stage 2 is a new weighted fit
    from Xavier-random note factors (drawn from ``rng``), zero note intercepts, the call's
    rater initial values (random when none) and μ = 0, in the same regularisation modes.
    ⚠ As the reference codes it, the call's freezes are **not** applied in stage 2: rater
    parameters and μ are trained there even when ``freeze_raters`` / ``freeze_global`` are
    set (see :func:`~bridgewatch.scoring.mf.fit_note_params_normalized`). The result holds
    the stage-2 parameters, ``loss`` = stage-2 weighted objective, ``train_mse`` = the
    *unweighted* stage-2 MSE (the reference's train error), ``n_iterations`` / ``converged``
    of stage 2 (continuation sweeps included), and the stage-1 result in ``stage1``. Needs
    ``rng``; ``weights`` must be None (the stage-2 weights replace them).

    Parameters
    ----------
    note_idx, rater_idx : int array of shape (n_ratings,)
        Dense rows (0 <= idx < n_notes / n_raters) of each rating's note and rater.
        int32 keeps memory low on large data.
    values : float32 or float64 array of shape (n_ratings,)
        y_un (helpfulNum). Sums run in float64 either way.
    n_notes, n_raters : int
        Sizes of the parameter arrays; entities without ratings get NaN parameters.
    config : MFConfig, default MFConfig()
    init : MFInit or MFParams, optional
        Initial values with the §3.3 semantics (see :class:`MFInit`). Without them, factors
        are Xavier-uniform U(±sqrt(6/(count + k))) drawn from ``rng`` (raters, then notes)
        and intercepts and μ start at 0. An MFParams passes μ when it is finite. Without a
        global intercept any initial μ is ignored.
    freeze_raters, freeze_global : bool
        Keep (i_u, f_u) / μ at their initial values. Frozen terms stay in the loss.
    note_ratio, rater_ratio : float > 0, optional
        Ratio-mode ratings-per-note / per-rater ratios.
    sign_identify : bool, default True
        Apply :func:`identify_signs` to the result (final scoring turns it off).
    rng : numpy.random.Generator, optional
        Required when a random initialisation is needed (always with ``normalized_loss``).
    weights : float array of shape (n_ratings,), optional
        Per-rating weights w >= 0 of the squared errors (1 when None).
    engine : {"numba", "numpy"}
        The fast kernels or the plain-numpy reference (same results to ~1e-12; fits by
        Adam agree to rounding, and may stop an epoch apart when a loss change sits at the
        tolerance).
    start_seed : int in [0, 2**32), optional
        Only for fits run by Adam (``config.adam``): draw every random initial factor as
        the reference does after ``torch.manual_seed(start_seed)``
        (:func:`~bridgewatch.scoring.mf.reference_start.reference_factor_draws`; present
        rows in row order), afresh for each stage, as the reference re-seeds at every
        model build. ``rng`` is then not drawn from. ALS fits ignore it.

    Returns
    -------
    MFResult
        Fitted parameters, train MSE, loss L, sweeps run and whether they converged.
        Emits :class:`~bridgewatch.errors.ConvergenceWarning` at the iteration cap.
    """
    cfg = config if config is not None else MFConfig()
    check_ratings(note_idx, rater_idx, values, weights, n_notes, n_raters)
    check_ratio("note_ratio", note_ratio)
    check_ratio("rater_ratio", rater_ratio)
    call = _Call(
        note_idx=note_idx,
        rater_idx=rater_idx,
        values=values,
        n_notes=n_notes,
        n_raters=n_raters,
        cfg=cfg,
        note_ratio=note_ratio,
        rater_ratio=rater_ratio,
        sign_identify=sign_identify,
        engine=engine,
        start_seed=start_seed,
    )
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
        return _fit_normalized(
            call, _as_init(init), freeze_raters=freeze_raters, freeze_global=freeze_global, rng=rng
        )
    return _fit_stage(
        call,
        _as_init(init),
        freeze_raters=freeze_raters,
        freeze_global=freeze_global,
        rng=rng,
        weights=weights,
    )


@dataclasses.dataclass(frozen=True)
class _Call:
    """The arguments of a :func:`fit_mf` call that every stage of it shares."""

    note_idx: NDArray[np.integer]
    rater_idx: NDArray[np.integer]
    values: NDArray[np.floating]
    n_notes: int
    n_raters: int
    cfg: MFConfig
    note_ratio: float | None
    rater_ratio: float | None
    sign_identify: bool
    engine: str
    start_seed: int | None = None


def _fit_normalized(
    call: _Call,
    init: MFInit | None,
    *,
    freeze_raters: bool,
    freeze_global: bool,
    rng: np.random.Generator,
) -> MFResult:
    """The two-stage normalized fit (multimodel §4.2); see :func:`fit_mf`."""
    assert call.cfg.normalized_loss is not None
    stage1 = _fit_stage(
        call, init, freeze_raters=freeze_raters, freeze_global=freeze_global, rng=rng
    )
    weights = normalized_loss_weights(
        call.note_idx,
        call.rater_idx,
        stage1.params.rater_factors,
        n_notes=call.n_notes,
        config=call.cfg.normalized_loss,
    )
    # A new model: random note factors, zero note intercepts, the call's rater init, μ = 0,
    # and (as coded, ⚠) none of the call's freezes.
    stage2_init = MFInit(
        rater_intercepts=None if init is None else init.rater_intercepts,
        rater_factors=None if init is None else init.rater_factors,
    )
    stage2 = _fit_stage(
        call, stage2_init, freeze_raters=False, freeze_global=False, rng=rng, weights=weights
    )
    p = stage2.params
    # The reference's train error is the unweighted MSE of the stage-2 model.
    sse, _ = _reference.error_sums(
        call.note_idx,
        call.rater_idx,
        call.values,
        None,
        p.note_intercepts,
        p.note_factors,
        p.rater_intercepts,
        p.rater_factors,
        p.global_intercept,
    )
    return dataclasses.replace(stage2, train_mse=float(sse / call.values.shape[0]), stage1=stage1)


def _fit_stage(
    call: _Call,
    init: MFInit | None,
    *,
    freeze_raters: bool,
    freeze_global: bool,
    rng: np.random.Generator | None,
    weights: NDArray[np.floating] | None = None,
) -> MFResult:
    """One fit of the objective; with the diamond penalty and free raters, by continuation.

    ALS solves each note's diamond subproblem globally, and from a random start the first
    note step (factors still uninformative, intercepts jumping to their optimum) puts
    f_n = 0 exactly on nearly every note; the rater step then zeroes f_u and the fit is
    stuck in the zero-factor local optimum (train MSE ~0.16 instead of ~0.09 on synthetic
    two-camp data). The reference's Adam instead grows intercepts and factors together
    from i_n = 0. So a fit with λ_◇ > 0 that trains raters first fits λ_◇ = 0 from the
    given start, then λ_◇ from that optimum: on synthetic data ALS started from the end
    point of a reference-style Adam run reaches the same optimum. ``n_iterations`` counts
    the sweeps of both fits.
    """
    cfg = call.cfg
    if cfg.adam is not None:
        return _fit_adam(
            call,
            init,
            freeze_raters=freeze_raters,
            freeze_global=freeze_global,
            rng=rng,
            weights=weights,
        )
    if cfg.diamond_lambda == 0 or freeze_raters:
        return _fit_single(
            call,
            init,
            freeze_raters=freeze_raters,
            freeze_global=freeze_global,
            rng=rng,
            weights=weights,
        )
    warm_call = dataclasses.replace(
        call, cfg=dataclasses.replace(cfg, diamond_lambda=0.0), sign_identify=False
    )
    warm = _fit_single(
        warm_call,
        init,
        freeze_raters=False,
        freeze_global=freeze_global,
        rng=rng,
        weights=weights,
    )
    res = _fit_single(
        call,
        MFInit.from_params(warm.params),
        freeze_raters=False,
        freeze_global=freeze_global,
        rng=None,
        weights=weights,
    )
    return dataclasses.replace(res, n_iterations=warm.n_iterations + res.n_iterations)


def _reference_seeded_start(
    init: MFInit | None,
    note_ok: NDArray[np.bool_],
    rater_ok: NDArray[np.bool_],
    n_factors: int,
    seed: int,
) -> StartValues:
    """Start values with the seeded reference's random factors for every block that
    ``init`` leaves random (:func:`~bridgewatch.scoring.mf.reference_start.reference_factor_draws`;
    present rows in ascending row order)."""
    init = init if init is not None else MFInit()
    rater_draws, note_draws = reference_factor_draws(
        seed, int(np.count_nonzero(rater_ok)), int(np.count_nonzero(note_ok)), n_factors
    )

    def block(
        ints: NDArray[np.floating] | None,
        facs: NDArray[np.floating] | None,
        ok: NDArray[np.bool_],
        draws: NDArray[np.float64],
    ) -> tuple[NDArray[np.floating] | None, NDArray[np.floating] | None]:
        if ints is not None or facs is not None:
            return ints, facs  # given (start_values checks that both are)
        fac = np.zeros((ok.shape[0], n_factors))
        fac[ok] = draws
        return np.zeros(ok.shape[0]), fac

    ni, nf = block(init.note_intercepts, init.note_factors, note_ok, note_draws)
    ri, rf = block(init.rater_intercepts, init.rater_factors, rater_ok, rater_draws)
    seeded = MFInit(ni, nf, ri, rf, init.global_intercept)
    return start_values(seeded, note_ok, rater_ok, n_factors, None)


def _fit_adam(
    call: _Call,
    init: MFInit | None,
    *,
    freeze_raters: bool,
    freeze_global: bool,
    rng: np.random.Generator | None,
    weights: NDArray[np.floating] | None = None,
) -> MFResult:
    """One run of the reference's Adam loop (``config.adam``) from the given start.

    The parameters are the rows present in the ratings only (the reference's embeddings
    hold exactly those). The learning rate is ``init_learning_rate`` when the call gives
    both note and rater initial values, else ``learning_rate`` (§3.3).
    ``n_iterations`` counts Adam epochs.
    """
    cfg, note_idx, rater_idx, values = call.cfg, call.note_idx, call.rater_idx, call.values
    assert cfg.adam is not None
    note_ok = np.bincount(note_idx, minlength=call.n_notes) > 0
    rater_ok = np.bincount(rater_idx, minlength=call.n_raters) > 0
    n_ratings = int(values.shape[0])
    pen = penalties_for(
        cfg,
        n_ratings=n_ratings,
        n_notes=int(np.count_nonzero(note_ok)),
        n_raters=int(np.count_nonzero(rater_ok)),
        note_ratio=call.note_ratio,
        rater_ratio=call.rater_ratio,
    )
    notes_kept = np.flatnonzero(note_ok)
    raters_kept = np.flatnonzero(rater_ok)

    def draw() -> StartValues:
        if call.start_seed is None:
            full = start_values(init, note_ok, rater_ok, cfg.n_factors, rng)
        else:
            full = _reference_seeded_start(init, note_ok, rater_ok, cfg.n_factors, call.start_seed)
        compact, _, _, _, _ = _compact_fit(
            full, note_ok, rater_ok, note_idx, rater_idx, notes_kept, raters_kept
        )
        return compact

    start = draw()
    row_note = np.full(call.n_notes, -1, dtype=np.int64)
    row_note[notes_kept] = np.arange(notes_kept.shape[0])
    row_rater = np.full(call.n_raters, -1, dtype=np.int64)
    row_rater[raters_kept] = np.arange(raters_kept.shape[0])
    with_init = (
        init is not None and init.note_intercepts is not None and init.rater_intercepts is not None
    )
    outcome = adam_descent(
        row_note[note_idx],
        row_rater[rater_idx],
        values,
        start,
        pen,
        config=cfg.adam,
        learning_rate=cfg.adam.init_learning_rate if with_init else cfg.adam.learning_rate,
        free_raters=not freeze_raters,
        free_global=not freeze_global,
        use_global_intercept=cfg.use_global_intercept,
        weights=weights,
        restart=draw,
        engine=call.engine,
    )
    ni, nf = _expand_rows(outcome.note_intercepts, outcome.note_factors, notes_kept, call.n_notes)
    ri, rf = _expand_rows(
        outcome.rater_intercepts, outcome.rater_factors, raters_kept, call.n_raters
    )
    params = MFParams(ni, nf, ri, rf, outcome.global_intercept)
    if call.sign_identify:
        params = identify_signs(params)
    logger.debug(
        "MF fit by Adam: %d ratings, %d epochs, loss %.10g",
        n_ratings,
        outcome.n_epochs,
        outcome.loss,
    )
    return MFResult(
        params=params,
        train_mse=float(outcome.sse / n_ratings),
        loss=float(outcome.loss),
        n_iterations=outcome.n_epochs,
        converged=outcome.converged,
    )


def _fit_single(
    call: _Call,
    init: MFInit | None,
    *,
    freeze_raters: bool,
    freeze_global: bool,
    rng: np.random.Generator | None,
    weights: NDArray[np.floating] | None = None,
) -> MFResult:
    """One ALS run from the given start."""
    cfg, note_idx, rater_idx, values = call.cfg, call.note_idx, call.rater_idx, call.values
    n_notes, n_raters = call.n_notes, call.n_raters
    note_ok = np.bincount(note_idx, minlength=n_notes) > 0
    rater_ok = np.bincount(rater_idx, minlength=n_raters) > 0
    n_ratings = int(values.shape[0])
    pen = penalties_for(
        cfg,
        n_ratings=n_ratings,
        n_notes=int(np.count_nonzero(note_ok)),
        n_raters=int(np.count_nonzero(rater_ok)),
        note_ratio=call.note_ratio,
        rater_ratio=call.rater_ratio,
    )
    # A fit on few of the index's entities (the stable-initialization subset: ~1% of the notes
    # and raters) runs on compact rows: a sweep's cost then follows the ratings, not the index
    # size (a 13k-rating fit in a 2M x 2M index took 56 s). Absent rows are 0 and stay out of
    # every sum, so only the order of some float sums changes.
    notes_kept = _compact_rows(note_ok)
    raters_kept = _compact_rows(rater_ok)
    fit_notes, fit_raters = note_idx, rater_idx
    if notes_kept is not None or raters_kept is not None:
        # The start values are made on the compact rows alone (each row's start depends on
        # that row only, and random starts are drawn for the present rows in index order
        # either way): the same values without a pass over the whole index.
        note_ok, fit_notes = _compact_side(note_ok, note_idx, notes_kept)
        rater_ok, fit_raters = _compact_side(rater_ok, rater_idx, raters_kept)
        compact = _compact_init(init, notes_kept, raters_kept, (n_notes, n_raters))
        start = start_values(compact, note_ok, rater_ok, cfg.n_factors, rng)
    else:
        start = start_values(init, note_ok, rater_ok, cfg.n_factors, rng)
    if not cfg.use_global_intercept:
        # No μ in the model: it stays at 0 whatever the initial values say.
        start = dataclasses.replace(start, global_intercept=0.0)
    free_global = not freeze_global and cfg.use_global_intercept
    solver = AlsSolver(
        make_engine(
            call.engine,
            fit_notes,
            fit_raters,
            values,
            weights,
            note_ok.shape[0],
            rater_ok.shape[0],
            need_rater_groups=not freeze_raters,
        ),
        start,
        pen,
        note_ok,
        rater_ok,
        w_total=float(n_ratings if weights is None else np.sum(weights, dtype=np.float64)),
        free_raters=not freeze_raters,
        free_global=free_global,
    )
    # With raters and μ fixed the note step is the exact optimum: one sweep suffices.
    exact = freeze_raters and not free_global
    cap = 1 if exact else cfg.max_iterations
    outcome = solver.run(cap, cfg, exact_in_one=exact)
    if not outcome.converged:
        warnings.warn(
            ConvergenceWarning("MF by ALS stopped at max_iterations", outcome.n_iterations),
            stacklevel=4,
        )
    ni, nf, ri, rf = solver.ni, solver.nf, solver.ri, solver.rf
    nan_rows = ~note_ok
    ni[nan_rows] = np.nan
    nf[nan_rows] = np.nan
    ri[~rater_ok] = np.nan
    rf[~rater_ok] = np.nan
    ni, nf = _expand_rows(ni, nf, notes_kept, n_notes)
    ri, rf = _expand_rows(ri, rf, raters_kept, n_raters)
    params = MFParams(ni.copy(), nf.copy(), ri.copy(), rf.copy(), solver.global_intercept)
    if call.sign_identify:
        params = identify_signs(params)
    logger.debug(
        "MF fit: %d ratings, %d sweeps, loss %.10g, train MSE %.6g",
        n_ratings,
        outcome.n_iterations,
        outcome.loss,
        outcome.sse / n_ratings,
    )
    return MFResult(
        params=params,
        train_mse=float(outcome.sse / n_ratings),
        loss=float(outcome.loss),
        n_iterations=outcome.n_iterations,
        converged=outcome.converged,
    )
