"""Where one epoch of the BCE passes spends its CPU (``_logit_passes``), in one thread.

Times, on the synthetic ratings of ``bench_bce_epochs.py``, the parts of one
``LogitPasses.run`` (gather of the logits, numpy ``exp`` (and the loss's ``log1p`` terms),
gradient pass, the per-note interleave and combine), then two diagnostics:

* memory attribution: the gather and gradient passes again with the rater index masked to
  1,024 rows (no sweep over the rater arrays), the note index masked (no random note
  access), or both (what is left: the arithmetic and the sequential per-rating streams);
* a fused single pass (gather, scalar ``math.exp``, gradient in one loop) against the three
  passes. Its ``exp`` is libm's, not numpy's SIMD one, so its bits differ (about 5% of
  ``exp`` values differ in the last place); it is here to show what fusing would buy.

    PYTHONPATH=src python benchmarks/bce_epoch_anatomy.py --ratings 30000000 \\
        --notes 1500000 --raters 1500000
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import time
from collections.abc import Callable
from functools import partial
from typing import Any

import numba
import numpy as np

from bench_bce_epochs import synthetic
from bridgewatch.scoring import _logit_passes as lp

_njit: Any = numba.njit(cache=False, nogil=True, error_model="numpy")


@_njit
def _gather_masked(seg_ptr, seg_rater, s_lo, s_hi, note_c, note_p, theta, nn, nu, neg_x, um, nm):  # type: ignore[no-untyped-def]
    f_u = theta[2 * nn : 2 * nn + nu]
    b_u = theta[2 * nn + nu : 2 * nn + 2 * nu]
    rep = theta[2 * nn + 2 * nu : 2 * nn + 3 * nu]
    mu = theta[2 * nn + 3 * nu]
    for s in range(s_lo, s_hi):
        u = seg_rater[s] & um
        fu = f_u[u]
        ru = rep[u]
        c = b_u[u] + mu
        for r in range(seg_ptr[s], seg_ptr[s + 1]):
            n = note_c[r] & nm
            neg_x[r] = -(note_p[n, 0] * fu + note_p[n, 1] * ru + c)


@_njit
def _gradient_masked(  # type: ignore[no-untyped-def]
    seg_ptr, seg_rater, s_lo, s_hi, note_c, y, w, e, note_p, theta, nn, nu, grad, note_grad, um,
    nm,
):  # fmt: skip
    f_u = theta[2 * nn : 2 * nn + nu]
    rep = theta[2 * nn + 2 * nu : 2 * nn + 3 * nu]
    g_fu = grad[2 * nn : 2 * nn + nu]
    g_bu = grad[2 * nn + nu : 2 * nn + 2 * nu]
    g_rep = grad[2 * nn + 2 * nu : 2 * nn + 3 * nu]
    g_mu = 0.0
    for s in range(s_lo, s_hi):
        u = seg_rater[s] & um
        fu = f_u[u]
        ru = rep[u]
        a_fu = 0.0
        a_bu = 0.0
        a_rep = 0.0
        for r in range(seg_ptr[s], seg_ptr[s + 1]):
            n = note_c[r] & nm
            d = w[r] * (1.0 / (1.0 + e[r]) - float(y[r]))
            note_grad[n, 0] += d * fu
            note_grad[n, 1] += d * ru
            a_fu += d * note_p[n, 0]
            a_bu += d
            a_rep += d * note_p[n, 1]
        g_fu[u] += a_fu
        g_bu[u] += a_bu
        g_rep[u] += a_rep
        g_mu += a_bu
    return g_mu


@_njit
def _fused(seg_ptr, seg_rater, s_lo, s_hi, note_c, y, w, note_p, theta, nn, nu, grad, note_grad):  # type: ignore[no-untyped-def]
    f_u = theta[2 * nn : 2 * nn + nu]
    b_u = theta[2 * nn + nu : 2 * nn + 2 * nu]
    rep = theta[2 * nn + 2 * nu : 2 * nn + 3 * nu]
    mu = theta[2 * nn + 3 * nu]
    g_fu = grad[2 * nn : 2 * nn + nu]
    g_bu = grad[2 * nn + nu : 2 * nn + 2 * nu]
    g_rep = grad[2 * nn + 2 * nu : 2 * nn + 3 * nu]
    g_mu = 0.0
    for s in range(s_lo, s_hi):
        u = seg_rater[s]
        fu = f_u[u]
        ru = rep[u]
        c = b_u[u] + mu
        a_fu = 0.0
        a_bu = 0.0
        a_rep = 0.0
        for r in range(seg_ptr[s], seg_ptr[s + 1]):
            n = note_c[r]
            fn = note_p[n, 0]
            bn = note_p[n, 1]
            x = fn * fu + bn * ru + c
            d = w[r] * (1.0 / (1.0 + math.exp(-x)) - float(y[r]))
            note_grad[n, 0] += d * fu
            note_grad[n, 1] += d * ru
            a_fu += d * fn
            a_bu += d
            a_rep += d * bn
        g_fu[u] += a_fu
        g_bu[u] += a_bu
        g_rep[u] += a_rep
        g_mu += a_bu
    return g_mu


def _cpu_ms(fn: Callable[[], object], reps: int) -> float:
    fn()  # compile / warm
    times = []
    for _ in range(reps):
        t0 = time.process_time()
        fn()
        times.append(time.process_time() - t0)
    return 1000 * statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--ratings", type=int, default=10_000_000)
    ap.add_argument("--notes", type=int, default=500_000)
    ap.add_argument("--raters", type=int, default=500_000)
    ap.add_argument("--reps", type=int, default=5)
    args = ap.parse_args()
    m, nn, nu = args.ratings, args.notes, args.raters
    note, rater, y = synthetic(m, nn, nu)
    w = np.where(y == 1.0, 5.0, 1.0)
    ptr, note_c, (ys, ws) = lp.rater_major(note, rater, y, w, n_raters=nu)
    p = lp.LogitPasses(ptr, note_c, ys, ws, nn, nu, workers=1)
    theta = np.random.default_rng(1).standard_normal(2 * nn + 3 * nu + 1) * 0.3
    grad = np.zeros_like(theta)
    s_lo, s_hi = p.seg_ranges[0][0], p.seg_ranges[-1][1]
    k = (p._k_ptr, p._k_rater, s_lo, s_hi, p._k_note)
    lp._interleave_notes(theta, nn, p._k_slot, p.note_p)
    lp.exp_terms(p.neg_x, p.e, p.lse, 0, m, True)
    full = (1 << 31) - 1
    print(f"{m} ratings, {nn} notes, {nu} raters, {s_hi - s_lo} segments; one thread, CPU ms")
    print(f"load average {os.getloadavg()[0]:.1f}")
    rows: list[tuple[str, Callable[[], object]]] = [
        ("run, no loss", lambda: p.run(theta, grad, note_factors=True, note_intercepts=True,
                                       with_loss=False)),
        ("run, with loss", lambda: p.run(theta, grad, note_factors=True, note_intercepts=True,
                                         with_loss=True)),
        ("  interleave notes", lambda: lp._interleave_notes(theta, nn, p._k_slot, p.note_p)),
        ("  gather logits", lambda: lp._neg_logits(*k, p.note_p, theta, nn, nu, p.neg_x)),
        ("  numpy exp", lambda: lp.exp_terms(p.neg_x, p.e, p.lse, 0, m, False)),
        ("  numpy exp + loss terms", lambda: lp.exp_terms(p.neg_x, p.e, p.lse, 0, m, True)),
        ("  gradient, no loss", lambda: lp._gradient(
            k[0], k[1], s_lo, s_hi, 0, nu, k[4], p.y, p.w, p.neg_x, p.e, p.lse, p.note_p,
            theta, nn, nu, grad, p.note_grads[0], True, True, False)),
        ("  gradient, with loss", lambda: lp._gradient(
            k[0], k[1], s_lo, s_hi, 0, nu, k[4], p.y, p.w, p.neg_x, p.e, p.lse, p.note_p,
            theta, nn, nu, grad, p.note_grads[0], True, True, True)),
        ("  combine note gradients", lambda: lp._combine_notes(grad, p.note_grads, nn, p._k_slot)),
    ]  # fmt: skip
    for label, (um, nm) in (
        ("all accesses", (full, full)),
        ("no rater sweep", (1023, full)),
        ("no random note access", (full, 1023)),
        ("neither", (1023, 1023)),
    ):
        rows.append((f"gather, {label}", partial(
            _gather_masked, *k, p.note_p, theta, nn, nu, p.neg_x, um, nm)))  # fmt: skip
        rows.append((f"gradient, {label}", partial(
            _gradient_masked, *k, p.y, p.w, p.e, p.note_p, theta, nn, nu, grad, p.note_grads[0],
            um, nm,
        )))  # fmt: skip
    rows.append(("fused single pass (libm exp)", lambda: _fused(
        *k, p.y, p.w, p.note_p, theta, nn, nu, grad, p.note_grads[0])))  # fmt: skip
    for label, fn in rows:
        print(f"{label:36s} {_cpu_ms(fn, args.reps):8.1f}", flush=True)
    print(f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
