"""Replay a dumped ``fit_mf`` call (``mf_steps.py --dump DIR``) under variants of the ALS
loop, to study why group-scorer fits take hundreds of sweeps (not a test; an experiment).

Usage: python benchmarks/als_group_variants.py DUMP_DIR mfN MODE [MODE ...]

Modes: ``base`` (the solver as shipped: Anderson acceleration, reset on a rejected
proposal), ``noreset`` (keep the Anderson history after a rejection), ``els`` (no Anderson;
after each sweep an exact line search along the sweep's step: the objective along a line
is a quartic in the step length for this bilinear model, minimised on [0, 8]). Prints
sweeps, CPU and the final loss; the line search is plain numpy here, so its CPU is not
representative (one pass over the ratings in a kernel).
"""

from __future__ import annotations

import os
import pickle
import sys
import time
import warnings
from typing import Any

import numpy as np

from bridgewatch.scoring.mf import _solver, als

CAPTURED: dict[str, Any] = {}


def _capture_engine() -> None:
    inner = als.make_engine

    def make_engine(name: str, ni: Any, ri: Any, v: Any, w: Any, *rest: Any, **kw: Any) -> Any:
        CAPTURED.update(ni=np.asarray(ni), ri=np.asarray(ri), y=np.asarray(v, float), w=w)
        return inner(name, ni, ri, v, w, *rest, **kw)

    als.make_engine = make_engine  # type: ignore[assignment]


def _quartic(solver: Any, x0: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Coefficients c0..c4 of L(x0 + a·d) (the solver's objective, /|R|)."""
    nn, k = solver.nf.shape
    nr = solver.rf.shape[0]
    o1, o2 = nn, nn * (1 + k)
    o3 = o2 + nr

    def parts(t: np.ndarray) -> tuple[Any, ...]:
        return t[:o1], t[o1:o2].reshape(nn, k), t[o2:o3], t[o3:-1].reshape(nr, k), t[-1]

    ni, nf, ri, rf, mu = parts(x0)
    dni, dnf, dri, drf, dmu = parts(d)
    n, u, y = CAPTURED["ni"], CAPTURED["ri"], CAPTURED["y"]
    w = np.ones_like(y) if CAPTURED["w"] is None else np.asarray(CAPTURED["w"], float)
    e0 = y - (mu + ni[n] + ri[u] + np.sum(nf[n] * rf[u], axis=1))
    a = dmu + dni[n] + dri[u] + np.sum(rf[u] * dnf[n] + drf[u] * nf[n], axis=1)
    b = np.sum(drf[u] * dnf[n], axis=1)
    c = np.array(
        [
            w @ (e0 * e0),
            -2 * (w @ (e0 * a)),
            w @ (a * a) - 2 * (w @ (e0 * b)),
            2 * (w @ (a * b)),
            w @ (b * b),
        ]
    )
    pen, npos, rpos = solver._pen, solver._note_pos, solver._rater_pos
    for p, v, dv in (
        (pen.note_intercept, ni[npos], dni[npos]),
        (pen.note_factor, nf[npos], dnf[npos]),
        (pen.rater_intercept, ri[rpos], dri[rpos]),
        (pen.rater_factor, rf[rpos], drf[rpos]),
        (pen.global_intercept, np.array([mu]), np.array([dmu])),
    ):
        c[:3] += p * np.array([np.sum(v * v), 2 * np.sum(v * dv), np.sum(dv * dv)])
    return c / solver._n_ratings


def _line_min(c: np.ndarray, top: float) -> tuple[float, float]:
    roots = np.roots([4 * c[4], 3 * c[3], 2 * c[2], c[1]])
    cands = [0.0, top] + [r.real for r in roots if abs(r.imag) < 1e-12 and 0 < r.real < top]
    vals = [float(np.polyval(c[::-1], t)) for t in cands]
    i = int(np.argmin(vals))
    return cands[i], vals[i]


def _run(mode: str, stats: dict[str, int]) -> Any:
    def run(self: Any, cap: int, cfg: Any, *, exact_in_one: bool) -> Any:
        theta = self.theta
        loss, sse = self.objective()
        mixer = _solver._AndersonMixer(cfg.acceleration_depth)
        x = np.empty_like(theta)
        for n_iter in range(1, cap + 1):
            np.copyto(x, theta)
            new_loss, sse = self.sweep()
            max_step = float(np.max(np.abs(theta - x)))
            decrease, loss = loss - new_loss, new_loss
            if exact_in_one or (
                decrease <= cfg.tolerance * abs(new_loss) and max_step <= cfg.param_tolerance
            ):
                return _solver.SolveOutcome(True, n_iter, loss, sse)
            if mode == "els":
                step = theta - x
                t, value = _line_min(_quartic(self, x.copy(), step), 8.0)
                if t > 1.0 + 1e-9 and value < loss:
                    theta[:] = x + t * step
                    loss, sse = self.objective()
                    stats["extrapolated"] += 1
                continue
            candidate = mixer.propose(x, theta)
            if candidate is not None:
                kept = theta.copy()
                theta[:] = candidate
                mixed_loss, mixed_sse = self.objective()
                if mixed_loss < loss:
                    loss, sse = mixed_loss, mixed_sse
                    stats["accepted"] += 1
                else:
                    theta[:] = kept
                    stats["rejected"] += 1
                    if mode == "base":
                        mixer.reset()
        return _solver.SolveOutcome(False, cap, loss, sse)

    return run


def main() -> None:
    dump, name, *modes = sys.argv[1:]
    warnings.simplefilter("ignore")
    _capture_engine()
    with open(os.path.join(dump, f"{name}.pkl"), "rb") as fh:
        args, kwargs, state = pickle.load(fh)
    for mode in modes:
        stats = {"accepted": 0, "rejected": 0, "extrapolated": 0}
        _solver.AlsSolver.run = _run(mode, stats)  # type: ignore[method-assign]
        kw = dict(kwargs)
        if state is not None:
            rng = np.random.default_rng()
            rng.bit_generator.state = state
            kw["rng"] = rng
        start = time.process_time()
        res = als.fit_mf(*args, **kw)
        print(
            f"{name} {mode:8s} {args[2].shape[0]} ratings: {res.n_iterations} sweeps, "
            f"CPU {time.process_time() - start:.2f} s, loss {res.loss:.12g}, {stats}",
            flush=True,
        )


if __name__ == "__main__":
    main()
