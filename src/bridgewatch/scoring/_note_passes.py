"""Per-epoch passes of the logistic MF when only note parameters train (raters and μ frozen).

The low-diligence final fit (steps A and B of scoring-core.md §5.4) trains f_n or b_n alone.
With the rater side frozen, each rating's rater terms ``(f_u, ρ_u, b_u + μ)`` are constants:
they are gathered once per round into per-rating columns, the ratings are walked note-major,
and every epoch becomes a stream over sequential arrays with no random access at all
(:class:`bridgewatch.scoring._logit_passes.LogitPasses` reads and scatters note parameters at
random, which is what costs at millions of notes). Same interface as ``LogitPasses.run``; the
rater and μ entries of the gradient are left at zero (they do not train).

Each note's gradient is one sequential sum over its ratings in (note, rater) order, on two
fixed note ranges in parallel threads; the loss is the ranges' sums added in range order, so
results are bit-identical from run to run and do not depend on the number of threads.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from types import TracebackType
from typing import Any

import numba
import numpy as np
from numpy.typing import NDArray

from bridgewatch.scoring._indexes import stable_order, unsigned
from bridgewatch.scoring._logit_passes import (
    N_CHUNKS,
    PARALLEL_MIN,
    Floats,
    compact_targets,
    exp_terms,
)
from bridgewatch.scoring._threads import kernel_threads

__all__ = ["NoteMajorPasses"]

_njit: Any = numba.njit(cache=True, nogil=True, error_model="numpy")


@_njit
def _neg_logits(nptr, theta, nn, fu, ru, cu, n_lo, n_hi, neg_x):  # type: ignore[no-untyped-def]
    for n in range(n_lo, n_hi):
        fn = theta[n]
        bn = theta[nn + n]
        for r in range(nptr[n], nptr[n + 1]):
            neg_x[r] = -(fn * fu[r] + bn * ru[r] + cu[r])


@_njit
def _gradient(  # type: ignore[no-untyped-def]
    nptr, y, w, neg_x, e, lse, fu, ru, nn, n_lo, n_hi, grad, t_fn, t_bn, with_loss
):  # fmt: skip
    """Note gradients of notes n_lo..n_hi-1 into ``grad``; returns the range's data loss."""
    loss = 0.0
    for n in range(n_lo, n_hi):
        a_fn = 0.0
        a_bn = 0.0
        for r in range(nptr[n], nptr[n + 1]):
            yr = float(y[r])
            # σ(x) = 1/(1 + e^-x); e = inf for x < -709 gives 0
            d = w[r] * (1.0 / (1.0 + e[r]) - yr)
            a_fn += d * fu[r]
            a_bn += d * ru[r]
            if with_loss:
                # softplus(x) − y·x with softplus(x) = max(x, 0) + log1p(exp(−|x|))
                x = -neg_x[r]
                loss += w[r] * (max(x, 0.0) + lse[r] - yr * x)
        grad[n] = a_fn if t_fn else 0.0
        grad[nn + n] = a_bn if t_bn else 0.0
    return loss


@_njit
def _gradient_ranges(  # type: ignore[no-untyped-def]
    nptr, y, w, neg_x, e, lse, fu, ru, nn, lo, hi, grad, t_fn, t_bn, with_loss, out
):  # fmt: skip
    """``_gradient`` of every note range ``lo[c]..hi[c]-1`` in one call; losses in ``out``."""
    for c in range(lo.shape[0]):
        out[c] = _gradient(
            nptr, y, w, neg_x, e, lse, fu, ru, nn, lo[c], hi[c], grad, t_fn, t_bn, with_loss
        )


def _note_ranges(nptr: NDArray[np.int64], n_chunks: int) -> list[tuple[int, int]]:
    """``n_chunks`` consecutive note ranges holding about equal numbers of ratings."""
    n_notes = nptr.shape[0] - 1
    total = int(nptr[-1])
    cuts = [0]
    for c in range(1, n_chunks):
        cuts.append(max(cuts[-1], min(int(np.searchsorted(nptr, total * c // n_chunks)), n_notes)))
    cuts.append(n_notes)
    return [(cuts[c], cuts[c + 1]) for c in range(n_chunks)]


class NoteMajorPasses:
    """Loss and note-gradient passes with the rater side frozen; use as a context manager.

    Parameters
    ----------
    note_c, rater_c : int32 arrays of shape (n_ratings,)
        Compact note and rater of each rating (any order; walked in (note, input) order).
    y, w : float64 arrays of shape (n_ratings,)
        Targets in {0, 1} and rating weights.
    theta : float32 or float64 array of shape (2·n_notes + 3·n_raters + 1,)
        ``[f_n, b_n, f_u, b_u, ρ_u, μ]`` at the start of the round: its rater entries and μ
        are read here, once, and must not change during the round. Its dtype is that of
        the per-rating work arrays and of the ``theta`` and ``grad`` that ``run`` takes.
    n_notes, n_raters : int
    workers : int, optional
        Threads (default: one per range when there are cores (``_threads.kernel_threads``)
        and ``PARALLEL_MIN`` ratings).
        The result does not depend on it.
    """

    def __init__(
        self,
        note_c: NDArray[np.int32],
        rater_c: NDArray[np.int32],
        y: NDArray[np.float64],
        w: NDArray[np.float64],
        theta: NDArray[np.float64],
        n_notes: int,
        n_raters: int,
        *,
        workers: int | None = None,
    ) -> None:
        nn, nu = n_notes, n_raters
        order = stable_order(note_c, nn)
        rater_o = rater_c[order]
        self.nptr = np.zeros(nn + 1, dtype=np.int64)
        np.cumsum(np.bincount(note_c, minlength=nn), out=self.nptr[1:])
        self.fu = theta[2 * nn : 2 * nn + nu][rater_o]
        self.ru = theta[2 * nn + 2 * nu : 2 * nn + 3 * nu][rater_o]
        self.cu = theta[2 * nn + nu : 2 * nn + 2 * nu][rater_o] + theta[2 * nn + 3 * nu]
        del rater_o
        self.y = compact_targets(y[order])
        dtype = theta.dtype
        self.w = np.ascontiguousarray(w[order], dtype=dtype)
        self.nn, self.nu = nn, nu
        m = note_c.shape[0]
        self.neg_x = np.empty(m, dtype=dtype)
        self.e = np.empty(m, dtype=dtype)
        self.lse = np.empty(m, dtype=dtype)
        self.ranges = _note_ranges(self.nptr, N_CHUNKS)
        self._k_ptr = unsigned(self.nptr)  # for the kernels (``_indexes``)
        if workers is None:
            workers = min(len(self.ranges), kernel_threads()) if m >= PARALLEL_MIN else 1
        self._pool = ThreadPoolExecutor(max_workers=workers) if workers > 1 else None
        # In the calling thread: one call per pass over all ranges (``_fused_run``).
        self._lo = np.array([lo for lo, _ in self.ranges], dtype=np.int64)
        self._hi = np.array([hi for _, hi in self.ranges], dtype=np.int64)
        self._losses = np.zeros(len(self.ranges))

    def __enter__(self) -> NoteMajorPasses:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._pool is not None:
            self._pool.shutdown()

    def _range(self, c: int, theta: Floats, grad: Floats, flags: tuple[bool, ...]) -> float:
        t_fn, t_bn, with_loss = flags
        n_lo, n_hi = self.ranges[c]
        r_lo, r_hi = int(self.nptr[n_lo]), int(self.nptr[n_hi])
        _neg_logits(self._k_ptr, theta, self.nn, self.fu, self.ru, self.cu, n_lo, n_hi, self.neg_x)
        exp_terms(self.neg_x, self.e, self.lse, r_lo, r_hi, with_loss)
        return float(
            _gradient(
                self._k_ptr, self.y, self.w, self.neg_x, self.e, self.lse, self.fu, self.ru,
                self.nn, n_lo, n_hi, grad, t_fn, t_bn, with_loss,
            )
        )  # fmt: skip

    def _fused_run(self, theta: Floats, grad: Floats, flags: tuple[bool, ...]) -> list[float]:
        """Every range's ``_range`` result in three calls: the gather and ``exp`` over all
        ratings at once (element by element: the same values), the gradient sums per range
        as ``_range`` does (same order, same bits)."""
        t_fn, t_bn, with_loss = flags
        n_lo, n_hi = int(self._lo[0]), int(self._hi[-1])
        _neg_logits(self._k_ptr, theta, self.nn, self.fu, self.ru, self.cu, n_lo, n_hi, self.neg_x)
        r_lo, r_hi = int(self.nptr[n_lo]), int(self.nptr[n_hi])
        exp_terms(self.neg_x, self.e, self.lse, r_lo, r_hi, with_loss)
        _gradient_ranges(
            self._k_ptr, self.y, self.w, self.neg_x, self.e, self.lse, self.fu, self.ru,
            self.nn, self._lo, self._hi, grad, t_fn, t_bn, with_loss, self._losses,
        )  # fmt: skip
        return [float(loss) for loss in self._losses]

    def run(
        self,
        theta: Floats,
        grad: Floats,
        *,
        note_factors: bool,
        note_intercepts: bool,
        with_loss: bool,
    ) -> float:
        """Write the note entries of Σ_r ∂(w·ℓ)/∂θ into ``grad`` (rater entries and μ: 0) and
        return Σ_r w·ℓ (0 unless ``with_loss``). False flags zero those note gradients."""
        flags = (note_factors, note_intercepts, with_loss)
        n = len(self.ranges)
        if self._pool is None:
            parts = self._fused_run(theta, grad, flags)
        else:
            parts = list(
                self._pool.map(self._range, range(n), [theta] * n, [grad] * n, [flags] * n)
            )
        grad[2 * self.nn :] = 0.0
        data_loss = 0.0
        for loss_c in parts:  # range order: deterministic
            data_loss += loss_c
        return data_loss
