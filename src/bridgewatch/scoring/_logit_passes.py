"""Per-epoch passes of a weighted logistic MF over rater-major ratings, in parallel threads.

Shared by the low-diligence model (``diligence.epochs``) and the harassment model
(``harassment.adam``), whose logits are both ``x_r = f_n·f_u + b_n·ρ_u + b_u + μ`` (ρ_u = 1
for harassment). One call of :meth:`LogitPasses.run` does, for every rating:

1. a numba gather pass writing ``-x_r`` (ratings sorted rater-major, so the rater's
   parameters are loaded once per rater);
2. ``numpy.exp`` over that array, which numpy evaluates with SIMD (several ratings per
   instruction), and on loss epochs ``log1p(exp(−|x|))`` the same way;
3. a numba pass turning ``e_r = exp(-x_r)`` into ``d_r = w_r·(σ(x_r) − y_r)``, scattering it
   to the note gradients and summing the rater gradients in registers (one store per rater),
   plus the data loss ``Σ w·(softplus(x) − y·x)`` when asked.

Memory layout, which decides the speed at scale (ratings rater-major, so the note reads and
note-gradient writes are the random accesses): the passes keep their own copy of the note
parameters as (f_n, b_n) pairs, and note gradients the same way, so one cache line serves
both; the pairs are stored by descending rating count, so the most-rated notes share the
cache; 0/1 targets are read as bytes; and the ratings are walked in cache blocks of
``NOTE_BLOCK`` note slots (within each rater chunk: block by block, raters ascending), so
the random accesses of a block stay in L2. A rater's gradient then adds up block by block
(with one block, up to 32k notes, the order is exactly rater-major). At 65M ratings on 1.6M
notes an epoch went from 4.6 s to 2.0 s with the pairs alone; blocks took 30M ratings on
800k notes from 0.93 s to 0.41 s (one thread, CPU). Each chunk is walked in pieces of
``PIECE`` ratings whose three passes run back to back while the piece's work arrays are in
cache (10-20% off loss epochs at 65M ratings, two threads).

The passes run on ``N_CHUNKS`` fixed rater ranges of about equal rating counts, in parallel
threads (numba and numpy release the GIL); each range sums its own note gradients, and the
ranges' sums are added in range order. The split does not depend on the number of threads, so
every sum runs in the same order on any machine: results are bit-identical from run to run.
Parameters live in one vector ``theta = [f_n, b_n, f_u, b_u, ρ_u, μ]`` (sizes nn, nn, nu, nu,
nu, 1); the gradient vector has the same layout.

Precision (``dtype``): float64, or float32 as the reference's torch models. In float32 the
parameters, gradients, rating weights, work arrays and note tables are stored in 4 bytes, which
halves the bytes per epoch and lets a cache block hold twice the notes (``NOTE_BLOCK`` is
counted in float64 notes); the kernels' scalar arithmetic is mixed (float64 constants promote
it) and the loss is summed in float64. At 10M ratings an epoch took 20-35% less CPU.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from types import TracebackType
from typing import Any

import numba
import numpy as np
from numpy.typing import DTypeLike, NDArray

from bridgewatch.scoring._indexes import stable_order, unsigned
from bridgewatch.scoring._threads import kernel_threads

__all__ = [
    "NOTE_BLOCK",
    "N_CHUNKS",
    "Floats",
    "LogitPasses",
    "compact_targets",
    "exp_terms",
    "rater_major",
]

_njit: Any = numba.njit(cache=True, nogil=True, error_model="numpy")

# Parameter and gradient vectors of the passes: float64, or float32 storage (``dtype``).
Floats = NDArray[np.float32] | NDArray[np.float64]

# The ratings are always split into this many rater ranges, whatever the number of threads,
# so that every sum runs in the same order: results do not depend on the machine's cores.
N_CHUNKS = 2
# Notes per cache block (float64; twice as many in float32): a block's (f_n, b_n) pairs and one
# chunk's note gradients take 32 bytes a note, 1 MiB here, so they stay in a core's L2 cache.
NOTE_BLOCK = 32_768
# Ratings per piece: each piece's gather, exp and gradient passes run back to back, so its
# slices of the per-rating work arrays (24 bytes a rating) are still in cache, not in DRAM.
PIECE = 131_072
# Below this many ratings the passes run in the calling thread (thread hand-off costs more).
PARALLEL_MIN = 50_000


@_njit
def _neg_logits(seg_ptr, seg_rater, s_lo, s_hi, note_c, note_p, theta, nn, nu, neg_x):  # type: ignore[no-untyped-def]
    """``neg_x[r] = −x_r`` for the ratings of segments s_lo..s_hi-1 (one rater, one block)."""
    f_u = theta[2 * nn : 2 * nn + nu]
    b_u = theta[2 * nn + nu : 2 * nn + 2 * nu]
    rep = theta[2 * nn + 2 * nu : 2 * nn + 3 * nu]
    mu = theta[2 * nn + 3 * nu]
    for s in range(s_lo, s_hi):
        u = seg_rater[s]
        fu = f_u[u]
        ru = rep[u]
        c = b_u[u] + mu
        for r in range(seg_ptr[s], seg_ptr[s + 1]):
            n = note_c[r]
            neg_x[r] = -(note_p[n, 0] * fu + note_p[n, 1] * ru + c)


@_njit
def _gradient(  # type: ignore[no-untyped-def]
    seg_ptr, seg_rater, s_lo, s_hi, u_lo, u_hi, note_c, y, w, neg_x, e, lse, note_p, theta,
    nn, nu, grad, note_grad, t_fn, t_bn, with_loss,
):  # fmt: skip
    """Add the gradient sums of the segments s_lo..s_hi-1 (raters within u_lo..u_hi-1):
    rater entries into ``grad`` (disjoint per chunk; a rater's segments add up in block
    order), note entries into this chunk's own ``note_grad`` (shape (nn, 2): f_n, b_n side
    by side); returns (data loss, μ gradient) of these segments. The caller zeroes both."""
    f_u = theta[2 * nn : 2 * nn + nu]
    rep = theta[2 * nn + 2 * nu : 2 * nn + 3 * nu]
    g_fu = grad[2 * nn : 2 * nn + nu]
    g_bu = grad[2 * nn + nu : 2 * nn + 2 * nu]
    g_rep = grad[2 * nn + 2 * nu : 2 * nn + 3 * nu]
    loss = 0.0
    g_mu = 0.0
    for s in range(s_lo, s_hi):
        u = seg_rater[s]
        fu = f_u[u]
        ru = rep[u]
        a_fu = 0.0
        a_bu = 0.0
        a_rep = 0.0
        for r in range(seg_ptr[s], seg_ptr[s + 1]):
            n = note_c[r]
            er = e[r]
            yr = float(y[r])
            # σ(x) = 1/(1 + e^-x); e = inf for x < -709 gives 0
            d = w[r] * (1.0 / (1.0 + er) - yr)
            if t_fn:
                note_grad[n, 0] += d * fu
            if t_bn:
                note_grad[n, 1] += d * ru
            a_fu += d * note_p[n, 0]
            a_bu += d
            a_rep += d * note_p[n, 1]
            if with_loss:
                # softplus(x) − y·x with softplus(x) = max(x, 0) + log1p(exp(−|x|))
                x = -neg_x[r]
                loss += w[r] * (max(x, 0.0) + lse[r] - yr * x)
        g_fu[u] += a_fu
        g_bu[u] += a_bu
        g_rep[u] += a_rep
        g_mu += a_bu
    return loss, g_mu


@_njit
def _gradient_chunks(  # type: ignore[no-untyped-def]
    seg_ptr, seg_rater, seg_lo, seg_hi, u_lo, u_hi, note_c, y, w, neg_x, e, lse, note_p, theta,
    nn, nu, grad, note_grads, t_fn, t_bn, with_loss, out,
):  # fmt: skip
    """``LogitPasses._chunk`` of every chunk in one call, when each chunk is one piece: per
    chunk c, zero its gradient entries, run ``_gradient`` over its segments
    ``seg_lo[c]..seg_hi[c]-1`` and store (data loss, μ gradient) in ``out[c]``."""
    for c in range(seg_lo.shape[0]):
        note_grads[c, :, :] = 0.0
        for start in (2 * nn, 2 * nn + nu, 2 * nn + 2 * nu):
            for u in range(start + u_lo[c], start + u_hi[c]):
                grad[u] = 0.0
        loss, g_mu = _gradient(
            seg_ptr, seg_rater, seg_lo[c], seg_hi[c], u_lo[c], u_hi[c], note_c, y, w, neg_x, e,
            lse, note_p, theta, nn, nu, grad, note_grads[c], t_fn, t_bn, with_loss,
        )  # fmt: skip
        out[c, 0] = loss
        out[c, 1] = g_mu


@_njit
def _interleave_notes(theta, nn, slot, note_p):  # type: ignore[no-untyped-def]
    """note_p[slot[n]] = (f_n, b_n): one cache line holds both for the random per-rating
    reads, and the most-rated notes sit together (see ``_note_slots``)."""
    for i in range(nn):
        k = slot[i]
        note_p[k, 0] = theta[i]
        note_p[k, 1] = theta[nn + i]


@_njit
def _combine_notes(grad, note_grads, nn, slot):  # type: ignore[no-untyped-def]
    """Note gradient = the chunks' sums added in chunk order (fixed, so deterministic)."""
    for i in range(nn):
        k = slot[i]
        for j in range(2):
            total = 0.0
            for c in range(note_grads.shape[0]):
                total += note_grads[c, k, j]
            grad[j * nn + i] = total


def _note_slots(note_c: NDArray[np.int32], n_notes: int) -> NDArray[np.int32]:
    """Slot of each note in the passes' note arrays: by descending rating count (ties by
    index), so that the notes most ratings touch share the cache. Only the memory layout
    changes: every sum still runs over the same ratings in the same order."""
    counts = np.bincount(note_c, minlength=n_notes)
    order = np.argsort(-counts, kind="stable")
    slot = np.empty(n_notes, dtype=np.int32)
    slot[order] = np.arange(n_notes, dtype=np.int32)
    return slot


def _rater_chunks(rater_ptr: NDArray[np.int64], n_chunks: int) -> list[tuple[int, int]]:
    """``n_chunks`` consecutive rater ranges holding about equal numbers of ratings."""
    n_raters = rater_ptr.shape[0] - 1
    total = int(rater_ptr[-1])
    cuts = [0]
    for c in range(1, n_chunks):
        cuts.append(max(cuts[-1], int(np.searchsorted(rater_ptr, total * c // n_chunks))))
    cuts.append(n_raters)
    return [(cuts[c], max(cuts[c], min(cuts[c + 1], n_raters))) for c in range(n_chunks)]


def _segments(
    rater_ptr: NDArray[np.int64],
    slots: NDArray[np.int32],
    chunks: list[tuple[int, int]],
    note_block: int = NOTE_BLOCK,
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int32], list[tuple[int, int]]]:
    """The passes' rating order and its segments (module docstring, "cache blocks").

    Within each rater chunk the rater-major ratings are stably sorted by note block
    (``note_block`` consecutive note slots), so a chunk walks block after block, raters
    ascending within a block. A segment is one rater's ratings in one block.

    Returns
    -------
    order : int64 array of shape (n_ratings,), rating positions in pass order
    seg_ptr : int64 array of shape (n_segments + 1,), segment s is ``seg_ptr[s]:seg_ptr[s+1]``
        of the reordered ratings
    seg_rater : int32 array of shape (n_segments,)
    seg_ranges : per chunk, its segments ``(s_lo, s_hi)``
    """
    m = slots.shape[0]
    block = slots // note_block
    rater_of = np.repeat(np.arange(rater_ptr.shape[0] - 1, dtype=np.int32), np.diff(rater_ptr))
    parts = [
        int(rater_ptr[u_lo]) + np.argsort(block[rater_ptr[u_lo] : rater_ptr[u_hi]], kind="stable")
        for u_lo, u_hi in chunks
    ]
    order = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
    rater_o, block_o = rater_of[order], block[order]
    del rater_of, block
    change = np.ones(m, dtype=np.bool_)
    change[1:] = (rater_o[1:] != rater_o[:-1]) | (block_o[1:] != block_o[:-1])
    starts = np.flatnonzero(change)
    seg_ptr = np.append(starts, m).astype(np.int64)
    seg_ranges = [
        (
            int(np.searchsorted(starts, rater_ptr[u_lo])),
            int(np.searchsorted(starts, rater_ptr[u_hi])),
        )
        for u_lo, u_hi in chunks
    ]
    return order, seg_ptr, rater_o[starts], seg_ranges


def _pieces(seg_ptr: NDArray[np.int64], s_lo: int, s_hi: int) -> list[tuple[int, int]]:
    """Segments s_lo..s_hi-1 cut into consecutive runs of about ``PIECE`` ratings."""
    if s_hi <= s_lo:
        return []
    bucket = (seg_ptr[s_lo:s_hi] - seg_ptr[s_lo]) // PIECE
    cuts = s_lo + np.flatnonzero(np.diff(bucket)) + 1
    edges = [s_lo, *cuts.tolist(), s_hi]
    return [(edges[i], edges[i + 1]) for i in range(len(edges) - 1)]


def compact_targets(y: NDArray[np.float64]) -> NDArray[np.generic]:
    """0/1 targets (all callers') as int8, read as one byte instead of eight: less memory
    traffic per rating and epoch, same arithmetic (the kernels convert to float64)."""
    return y.astype(np.int8) if bool(np.all((y == 0.0) | (y == 1.0))) else y


def exp_terms(
    neg_x: NDArray[np.float64],
    e: NDArray[np.float64],
    lse: NDArray[np.float64],
    lo: int,
    hi: int,
    with_loss: bool,
) -> None:
    """``e = exp(−x)`` and, for the loss, ``lse = log1p(exp(−|x|))`` on rows lo..hi-1,
    vectorized by numpy (SIMD), in place. ``e`` overflows to inf where ``−x`` passes the
    dtype's range (about 88.7 in float32, 709.8 in float64); that is the exact limit the
    kernels need (``1 / (1 + e)`` = 0), so the overflow is not reported."""
    with np.errstate(over="ignore"):
        np.exp(neg_x[lo:hi], out=e[lo:hi])
    if with_loss:
        part = lse[lo:hi]
        np.abs(neg_x[lo:hi], out=part)
        np.negative(part, out=part)
        np.exp(part, out=part)
        np.log1p(part, out=part)


def rater_major(
    note_c: NDArray[np.integer],
    rater_c: NDArray[np.integer],
    *columns: NDArray[np.float64],
    n_raters: int,
) -> tuple[NDArray[np.int64], NDArray[np.int32], list[NDArray[np.float64]]]:
    """Rater row pointers (n_raters + 1), and note indexes and ``columns`` in rater-major order.

    A stable sort by rater (the input order within a rater is kept); no copy when the ratings
    are already rater-major.
    """
    if rater_c.shape[0] > 1 and bool(np.any(rater_c[1:] < rater_c[:-1])):
        order = stable_order(rater_c, n_raters)
        note_c, rater_c = note_c[order], rater_c[order]
        columns = tuple(col[order] for col in columns)
    ptr = np.zeros(n_raters + 1, dtype=np.int64)
    np.cumsum(np.bincount(rater_c, minlength=n_raters), out=ptr[1:])
    return (
        ptr,
        np.ascontiguousarray(note_c, dtype=np.int32),
        [np.ascontiguousarray(col, dtype=np.float64) for col in columns],
    )


class LogitPasses:
    """Loss and gradient passes over fixed ratings (module docstring); use as a context manager.

    Parameters
    ----------
    rater_ptr : int64 array of shape (n_raters + 1,)
        Ratings of rater u are rows ``rater_ptr[u]:rater_ptr[u + 1]``.
    note_c : int32 array of shape (n_ratings,)
        Note of each rating.
    y, w : float64 arrays of shape (n_ratings,)
        Targets in {0, 1} and rating weights.
    n_notes, n_raters : int
    workers : int, optional
        Threads (default: one per range when there are cores (``_threads.kernel_threads``)
        and ``PARALLEL_MIN`` ratings).
        The result does not depend on it.
    dtype : float64 or float32
        Storage precision of the weights, work arrays and note tables; ``run`` takes
        ``theta`` and ``grad`` of this dtype (module docstring, "Precision").
    """

    def __init__(
        self,
        rater_ptr: NDArray[np.int64],
        note_c: NDArray[np.int32],
        y: NDArray[np.float64],
        w: NDArray[np.float64],
        n_notes: int,
        n_raters: int,
        *,
        workers: int | None = None,
        dtype: DTypeLike = np.float64,
    ) -> None:
        self.dtype = np.dtype(dtype)
        if self.dtype not in (np.dtype(np.float64), np.dtype(np.float32)):
            raise ValueError(f"dtype must be float64 or float32, not {self.dtype}")
        # Same L2 bytes per block whatever the dtype: float32 pairs fit twice the notes.
        self.note_block = NOTE_BLOCK * 8 // self.dtype.itemsize
        self.slot = _note_slots(note_c, n_notes)
        self.nn, self.nu = n_notes, n_raters
        m = note_c.shape[0]
        self.ptr = rater_ptr
        self.chunks = _rater_chunks(rater_ptr, N_CHUNKS)
        order, self.seg_ptr, self.seg_rater, self.seg_ranges = _segments(
            rater_ptr, self.slot[note_c], self.chunks, self.note_block
        )
        self.pieces = [_pieces(self.seg_ptr, s_lo, s_hi) for s_lo, s_hi in self.seg_ranges]
        self.note_c = self.slot[note_c][order]
        # Unsigned views of the index arrays for the kernels (``_indexes``: same bits, faster).
        self._k_ptr = unsigned(self.seg_ptr)
        self._k_rater = unsigned(self.seg_rater)
        self._k_note = unsigned(self.note_c)
        self._k_slot = unsigned(self.slot)
        self.w = w[order].astype(self.dtype, copy=False)
        y = y[order]
        self.y = compact_targets(y)
        del order
        self.neg_x = np.empty(m, dtype=self.dtype)
        self.e = np.empty(m, dtype=self.dtype)
        self.lse = np.empty(m, dtype=self.dtype)
        self.note_grads = np.zeros((len(self.chunks), n_notes, 2), dtype=self.dtype)
        self.note_p = np.empty((n_notes, 2), dtype=self.dtype)
        if workers is None:
            workers = min(len(self.chunks), kernel_threads()) if m >= PARALLEL_MIN else 1
        self._pool = ThreadPoolExecutor(max_workers=workers) if workers > 1 else None
        # In the calling thread with at most one piece per chunk (small fits): each epoch's
        # passes in three calls over all chunks (``_fused_run``), not three per chunk: the
        # per-call overhead, not the ratings, is most of a small fit's epoch.
        self._fused = self._pool is None and all(len(p) <= 1 for p in self.pieces)
        self._seg_lo = np.array([lo for lo, _ in self.seg_ranges], dtype=np.int64)
        self._seg_hi = np.array([hi for _, hi in self.seg_ranges], dtype=np.int64)
        self._u_lo = np.array([lo for lo, _ in self.chunks], dtype=np.int64)
        self._u_hi = np.array([hi for _, hi in self.chunks], dtype=np.int64)
        self._parts = np.zeros((len(self.chunks), 2))

    def __enter__(self) -> LogitPasses:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._pool is not None:
            self._pool.shutdown()

    def _chunk(
        self, c: int, theta: Floats, grad: Floats, flags: tuple[bool, ...]
    ) -> tuple[float, float]:
        t_fn, t_bn, with_loss = flags
        u_lo, u_hi = self.chunks[c]
        nn, nu = self.nn, self.nu
        self.note_grads[c].fill(0.0)
        for start in (2 * nn, 2 * nn + nu, 2 * nn + 2 * nu):
            grad[start + u_lo : start + u_hi] = 0.0
        loss_c = 0.0
        g_mu_c = 0.0
        for s_a, s_b in self.pieces[c]:  # in order: the sums are deterministic
            r_a, r_b = int(self.seg_ptr[s_a]), int(self.seg_ptr[s_b])
            _neg_logits(
                self._k_ptr, self._k_rater, s_a, s_b, self._k_note, self.note_p, theta,
                nn, nu, self.neg_x,
            )  # fmt: skip
            exp_terms(self.neg_x, self.e, self.lse, r_a, r_b, with_loss)
            loss_p, g_mu_p = _gradient(
                self._k_ptr, self._k_rater, s_a, s_b, u_lo, u_hi, self._k_note, self.y,
                self.w, self.neg_x, self.e, self.lse, self.note_p, theta, nn, nu, grad,
                self.note_grads[c], t_fn, t_bn, with_loss,
            )  # fmt: skip
            loss_c += float(loss_p)
            g_mu_c += float(g_mu_p)
        return loss_c, g_mu_c

    def _fused_run(
        self, theta: Floats, grad: Floats, flags: tuple[bool, ...]
    ) -> list[tuple[float, float]]:
        """Every chunk's ``_chunk`` result when each chunk is at most one piece: the gather
        and ``exp`` run once over all ratings (element by element: the same values as per
        chunk), the gradient sums per chunk as ``_chunk`` does (same order, same bits)."""
        t_fn, t_bn, with_loss = flags
        s_lo, s_hi = int(self._seg_lo[0]), int(self._seg_hi[-1])
        _neg_logits(
            self._k_ptr, self._k_rater, s_lo, s_hi, self._k_note, self.note_p, theta, self.nn,
            self.nu, self.neg_x,
        )  # fmt: skip
        r_lo, r_hi = int(self.seg_ptr[s_lo]), int(self.seg_ptr[s_hi])
        exp_terms(self.neg_x, self.e, self.lse, r_lo, r_hi, with_loss)
        _gradient_chunks(
            self._k_ptr, self._k_rater, self._seg_lo, self._seg_hi, self._u_lo, self._u_hi,
            self._k_note, self.y, self.w, self.neg_x, self.e, self.lse, self.note_p, theta,
            self.nn, self.nu, grad, self.note_grads, t_fn, t_bn, with_loss, self._parts,
        )  # fmt: skip
        return [(float(loss), float(g_mu)) for loss, g_mu in self._parts]

    def run(
        self,
        theta: Floats,
        grad: Floats,
        *,
        note_factors: bool,
        note_intercepts: bool,
        with_loss: bool,
    ) -> float:
        """Write Σ_r ∂(w·ℓ)/∂θ into ``grad`` and return Σ_r w·ℓ (0 unless ``with_loss``).

        ``note_factors`` / ``note_intercepts`` False skip (and zero) those note gradients.
        """
        if theta.dtype != self.dtype or grad.dtype != self.dtype:
            raise ValueError(f"theta and grad must be {self.dtype}: {theta.dtype}, {grad.dtype}")
        flags = (note_factors, note_intercepts, with_loss)
        n = len(self.chunks)
        _interleave_notes(theta, self.nn, self._k_slot, self.note_p)
        if self._fused:
            parts = self._fused_run(theta, grad, flags)
        elif self._pool is None:
            parts = [self._chunk(c, theta, grad, flags) for c in range(n)]
        else:
            parts = list(
                self._pool.map(self._chunk, range(n), [theta] * n, [grad] * n, [flags] * n)
            )
        _combine_notes(grad, self.note_grads, self.nn, self._k_slot)
        data_loss = 0.0
        g_mu = 0.0
        for loss_c, g_mu_c in parts:  # range order: deterministic
            data_loss += loss_c
            g_mu += g_mu_c
        grad[2 * self.nn + 3 * self.nu] = g_mu
        return data_loss
