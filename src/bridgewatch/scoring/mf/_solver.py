"""The ALS sweep loop behind :func:`bridgewatch.scoring.mf.fit_mf` (scoring-core.md §3, §12).

A sweep solves, exactly and in order: every note's (i_n, f_n) given raters and μ (with the
diamond penalty: the global optimum of the non-convex 2-D subproblem); every rater's
(i_u, f_u) given notes and μ; then μ jointly with a uniform shift of all note (not with the
diamond penalty) and all rater intercepts. Between sweeps a safeguarded Anderson step may
jump ahead.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from bridgewatch.scoring.mf._engines import Engine
from bridgewatch.scoring.mf._inputs import StartValues
from bridgewatch.scoring.mf.config import MFConfig
from bridgewatch.scoring.mf.objective import Penalties, regularisation
from bridgewatch.scoring.mf.params import MFParams

__all__ = ["AlsSolver", "SolveOutcome"]

logger = logging.getLogger("bridgewatch.scoring.mf.als")

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class _Shift:
    global_intercept: float
    note_intercepts: float
    rater_intercepts: float


def offset_step(
    se: float,
    w_total: float,
    mu: float,
    ni: FloatArray,
    ri: FloatArray,
    note_pos: NDArray[np.intp],
    rater_pos: NDArray[np.intp],
    pen: Penalties,
    *,
    free_raters: bool,
    free_global: bool,
    shift_notes: bool = True,
) -> _Shift:
    """Exact minimiser over (a, b, c) of J(μ + a, i_n + b, i_u + c), factors fixed.

    All three moves shift every prediction by s = a + b + c, so the data term only sees s;
    the stationarity conditions give each block's new mean as g/(P·count) with
    g = (Σw·e + W·base)/(1 + W·H), H = Σ 1/(P·count), base = Σ current means (free blocks
    only). This replaces the plain μ update (its special case b = c = 0) and removes the
    slow trade-off between μ and the intercept means that plain ALS crawls through.

    An unregularised μ (P_μ = 0) forces g = 0: the other blocks' means go to 0 and μ takes
    the rest of s = Σw·e/W (left in place when W = 0, where any μ is optimal). With the
    diamond penalty (``shift_notes=False``) a uniform note-intercept shift is not a quadratic
    move, so b = 0 and only μ and the rater intercepts take part.
    """
    blocks: list[tuple[float, float, float]] = []  # (penalty, count, current mean)
    if free_global:
        blocks.append((pen.global_intercept, 1.0, mu))
    if shift_notes:
        n_notes = float(note_pos.shape[0])
        blocks.append((pen.note_intercept, n_notes, float(np.sum(ni[note_pos])) / n_notes))
    if free_raters:
        n_raters = float(rater_pos.shape[0])
        blocks.append((pen.rater_intercept, n_raters, float(np.sum(ri[rater_pos])) / n_raters))
    if not blocks:
        return _Shift(global_intercept=0.0, note_intercepts=0.0, rater_intercepts=0.0)
    if free_global and pen.global_intercept == 0.0:
        # Only μ can be unpenalised (the config keeps every other lambda > 0).
        moves = [0.0] + [-m for _, _, m in blocks[1:]]
        if w_total > 0.0:
            moves[0] = se / w_total - sum(moves[1:])
    else:
        h = sum(1.0 / (p * n) for p, n, _ in blocks)
        base = sum(m for _, _, m in blocks)
        g = (se + w_total * base) / (1.0 + w_total * h)
        moves = [g / (p * n) - m for p, n, m in blocks]
    a = moves.pop(0) if free_global else 0.0
    b = moves.pop(0) if shift_notes else 0.0
    c = moves.pop(0) if free_raters else 0.0
    return _Shift(global_intercept=a, note_intercepts=b, rater_intercepts=c)


class _AndersonMixer:
    """Type-II Anderson acceleration of the ALS fixed-point map x -> G(x), depth m.

    Given the last m differences of inputs' residuals f = G(x) − x and of outputs G(x), it
    proposes G(x_k) − ΔG·γ with γ = argmin ‖f_k − ΔF·γ‖ (normal equations, tiny ridge).
    The caller accepts a proposal only when it lowers the objective, so every accepted
    iterate is no worse than a plain sweep and convergence stays monotone.

    The differences live in two (m, n) ring buffers and the Gram matrix ΔF·ΔFᵀ is updated
    one row per call (m dot products instead of m²), all with ``np.einsum``: no copies of
    the history, and no multithreaded BLAS call whose spinning threads cost CPU time on a
    busy machine. Slots are filled in a fixed order, so results are deterministic.
    """

    def __init__(self, depth: int) -> None:
        self._depth = depth
        self._d_f: FloatArray | None = None
        self._d_g: FloatArray | None = None
        self._gram = np.zeros((depth, depth))
        self._count = 0
        self._head = 0
        self._last: tuple[FloatArray, FloatArray] | None = None
        # Two (f, g) buffer pairs used in turn: the last call's pair stays readable.
        self._bufs: list[FloatArray] | None = None
        self._turn = 0

    def reset(self) -> None:
        self._count = 0
        self._head = 0
        self._last = None

    def _order(self) -> NDArray[np.intp]:
        """Slots of the stored differences, oldest first."""
        start = (self._head - self._count) % self._depth
        return (start + np.arange(self._count)) % self._depth

    def propose(self, x: FloatArray, g: FloatArray) -> FloatArray | None:
        if self._depth == 0:
            return None
        if self._bufs is None or self._bufs[0].shape != g.shape:
            self._bufs = [np.empty_like(g) for _ in range(4)]
        f, g_kept = self._bufs[2 * self._turn], self._bufs[2 * self._turn + 1]
        self._turn ^= 1
        np.subtract(g, x, out=f)
        if self._last is not None:
            if self._d_f is None or self._d_g is None:
                self._d_f = np.zeros((self._depth, f.shape[0]))
                self._d_g = np.zeros((self._depth, f.shape[0]))
            last_f, last_g = self._last
            slot = self._head
            np.subtract(f, last_f, out=self._d_f[slot])
            np.subtract(g, last_g, out=self._d_g[slot])
            self._head = (slot + 1) % self._depth
            self._count = min(self._count + 1, self._depth)
            order = self._order()
            row = np.einsum("ij,j->i", self._d_f, self._d_f[slot])[order]
            self._gram[slot, order] = row
            self._gram[order, slot] = row
        np.copyto(g_kept, g)
        self._last = (f, g_kept)
        if self._count == 0 or self._d_f is None or self._d_g is None:
            return None
        order = self._order()
        gram = self._gram[np.ix_(order, order)]
        ridge = 1e-12 * float(np.trace(gram)) + 1e-300
        rhs = np.einsum("ij,j->i", self._d_f, f)[order]
        gamma = np.zeros(self._depth)  # 0 for slots not in use
        gamma[order] = np.linalg.solve(gram + ridge * np.eye(order.shape[0]), rhs)
        proposal: FloatArray = g - np.einsum("i,ij->j", gamma, self._d_g)
        return proposal if np.all(np.isfinite(proposal)) else None


@dataclass(frozen=True)
class SolveOutcome:
    """How the sweep loop ended: flag, sweeps run, final loss L and Σ w·e²."""

    converged: bool
    n_iterations: int
    loss: float
    sse: float


class AlsSolver:
    """Owns the parameters as one flat float64 vector with per-block views.

    Anderson mixing works on the vector, the kernels on the views, and nothing is copied
    between them. Rows of entities without ratings stay 0 throughout.
    """

    def __init__(
        self,
        engine: Engine,
        start: StartValues,
        pen: Penalties,
        note_ok: NDArray[np.bool_],
        rater_ok: NDArray[np.bool_],
        *,
        w_total: float,
        free_raters: bool,
        free_global: bool,
    ) -> None:
        n_notes, k = start.note_factors.shape
        n_raters = start.rater_factors.shape[0]
        self.theta = np.concatenate(
            (
                start.note_intercepts,
                start.note_factors.ravel(),
                start.rater_intercepts,
                start.rater_factors.ravel(),
                [start.global_intercept],
            )
        )
        o1, o2 = n_notes, n_notes * (1 + k)
        o3 = o2 + n_raters
        self.ni, self.nf = self.theta[:o1], self.theta[o1:o2].reshape(n_notes, k)
        self.ri, self.rf = self.theta[o2:o3], self.theta[o3:-1].reshape(n_raters, k)
        self._eng = engine
        self._pen = pen
        # The present rows as positions, for the sums and shifts of every sweep and loss:
        # gathering by positions is several times faster than by a mixed boolean mask, and
        # the gathered values, so the sums, are the same (``offset_step`` takes them too).
        self._note_pos = np.flatnonzero(note_ok)
        self._rater_pos = np.flatnonzero(rater_ok)
        self._w_total = w_total
        self._free_raters = free_raters
        self._free_global = free_global
        self._n_ratings = pen.n_ratings

    @property
    def global_intercept(self) -> float:
        return float(self.theta[-1])

    def _loss(self, sse: float) -> float:
        params = MFParams(self.ni, self.nf, self.ri, self.rf, self.global_intercept)
        return (sse + regularisation(params, self._pen, self._note_pos, self._rater_pos)) / (
            self._n_ratings
        )

    def objective(self) -> tuple[float, float]:
        """(loss L, Σ w·e²) at theta: one pass over the ratings."""
        sse, _ = self._eng.error_sums(self.ni, self.nf, self.ri, self.rf, self.global_intercept)
        return self._loss(sse), sse

    def sweep(self) -> tuple[float, float]:
        """One ALS sweep in place; returns (loss L, Σ w·e²) at the new theta."""
        ni, nf, ri, rf, pen = self.ni, self.nf, self.ri, self.rf, self._pen
        mu = self.global_intercept
        # The last block solve also returns the error sums at the new values; when the rater
        # step follows, the note step skips its sums pass (one pass over the ratings less).
        sse, se = self._eng.solve_notes(
            ni, nf, ri, rf, mu, pen.note_intercept, pen.note_factor, pen.diamond,
            sums=not self._free_raters,
        )  # fmt: skip
        if self._free_raters:
            sse, se = self._eng.solve_raters(
                ni, nf, ri, rf, mu, pen.rater_intercept, pen.rater_factor
            )
        shift = offset_step(
            se,
            self._w_total,
            mu,
            ni,
            ri,
            self._note_pos,
            self._rater_pos,
            pen,
            free_raters=self._free_raters,
            free_global=self._free_global,
            shift_notes=pen.diamond == 0.0,
        )
        self.theta[-1] = mu + shift.global_intercept
        ni[self._note_pos] += shift.note_intercepts
        if self._free_raters:
            ri[self._rater_pos] += shift.rater_intercepts
        s_all = shift.global_intercept + shift.note_intercepts + shift.rater_intercepts
        # Every prediction moved by s_all: update Σ w·e² without another data pass.
        sse = sse - 2.0 * s_all * se + s_all * s_all * self._w_total
        return self._loss(sse), sse

    def run(self, cap: int, cfg: MFConfig, *, exact_in_one: bool) -> SolveOutcome:
        """Sweep until the tolerances of ``cfg`` hold (or ``cap`` sweeps)."""
        theta = self.theta
        loss, sse = self.objective()
        mixer = _AndersonMixer(cfg.acceleration_depth)
        n_iter = 0
        # Work vectors of theta's size, allocated once: a fresh one per sweep cost more CPU
        # (page faults) than the arithmetic on it.
        x = np.empty_like(theta)
        step = np.empty_like(theta)
        while n_iter < cap:
            n_iter += 1
            np.copyto(x, theta)
            new_loss, sse = self.sweep()
            np.subtract(theta, x, out=step)
            max_step = float(np.max(np.abs(step, out=step)))
            decrease = loss - new_loss
            loss = new_loss
            logger.debug(
                "sweep %d: loss %.12g, decrease %.3g, max step %.3g",
                n_iter,
                loss,
                decrease,
                max_step,
            )
            if exact_in_one or (
                decrease <= cfg.tolerance * abs(new_loss) and max_step <= cfg.param_tolerance
            ):
                return SolveOutcome(True, n_iter, loss, sse)
            candidate = mixer.propose(x, theta)
            if candidate is not None:
                g = step  # the step is no longer needed: keep the plain sweep's theta in it
                np.copyto(g, theta)
                theta[:] = candidate
                mixed_loss, mixed_sse = self.objective()
                if mixed_loss < loss:
                    loss, sse = mixed_loss, mixed_sse
                else:
                    # Safeguard: keep the plain sweep and restart the mixing history.
                    theta[:] = g
                    mixer.reset()
        return SolveOutcome(False, n_iter, loss, sse)
