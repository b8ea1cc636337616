"""Cost of the non-Core MF variants against the plain (Core) fit (not a test).

On the two-camp synthetic ratings of ``bench_mf.py``, times from the same random start:
the plain Core fit, μ unregularised (groups 15/18), no μ (topic 5), the diamond penalty
alone, and group 14's full fit (its lambdas, λ_◇ = 0.75, normalized two-stage loss); then
the final-scoring note fit with frozen raters, plain vs group 14's (whose stage 2 trains
raters and μ, multimodel §4.2). numba compilation is excluded (a warm-up on tiny data).

Usage: python benchmarks/bench_mf_variants.py [N_RATINGS]   (default: 100000)
"""

from __future__ import annotations

import os
import platform
import sys
import time
from collections.abc import Callable

import numpy as np

from bench_mf import Synthetic, make_ratings
from bridgewatch.scoring.mf import (
    MFConfig,
    MFResult,
    NormalizedLossConfig,
    fit_mf,
    fit_note_params,
)

GROUP_14 = MFConfig(
    rater_factor_lambda=0.0075,
    note_factor_lambda=0.01,
    rater_intercept_lambda=0.15,
    note_intercept_lambda=0.9,
    global_intercept_lambda=0.15,
    diamond_lambda=0.75,
    normalized_loss=NormalizedLossConfig(),
)
VARIANTS = {
    "core (plain)": MFConfig(),
    "group 18 (λ_μ = 0)": MFConfig(rater_intercept_lambda=0.03, global_intercept_lambda=0.0),
    "topic 5 (no μ)": MFConfig(rater_intercept_lambda=5.0, use_global_intercept=False),
    "diamond 0.75 only": MFConfig(diamond_lambda=0.75),
    "group 14 (full)": GROUP_14,
}


def _timed(fn: Callable[[], MFResult]) -> tuple[MFResult, float, float]:
    c0, t0 = time.process_time(), time.perf_counter()
    res = fn()
    return res, time.perf_counter() - t0, time.process_time() - c0


def _fit(data: Synthetic, cfg: MFConfig) -> MFResult:
    return fit_mf(
        data.note_idx,
        data.rater_idx,
        data.values,
        n_notes=data.n_notes,
        n_raters=data.n_raters,
        config=cfg,
        rng=np.random.default_rng(0),
    )


def main() -> None:
    n_ratings = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    print(
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.1f}, Python {platform.python_version()}"
    )
    tiny = make_ratings(2000, seed=1)
    for cfg in VARIANTS.values():
        _fit(tiny, cfg)
    data = make_ratings(n_ratings)
    print(f"{n_ratings:,d} ratings, {data.n_notes:,d} notes, {data.n_raters:,d} raters")
    results: dict[str, MFResult] = {}
    base_cpu = 0.0
    base_sweeps = 0
    for name, cfg in VARIANTS.items():
        res, wall, cpu = _timed(lambda cfg=cfg: _fit(data, cfg))
        results[name] = res
        sweeps = res.n_iterations + (res.stage1.n_iterations if res.stage1 is not None else 0)
        base_cpu = base_cpu or cpu
        base_sweeps = base_sweeps or sweeps
        extra = ""
        if res.stage1 is not None:
            extra = f" ({res.stage1.n_iterations} stage 1 + {res.n_iterations} stage 2)"
        print(
            f"  fit_mf {name:<20} {wall:6.2f} s wall / {cpu:6.2f} s CPU = {cpu / base_cpu:4.1f}x "
            f"| {sweeps:4d} sweeps = {sweeps / base_sweeps:4.1f}x{extra} | "
            f"train MSE {res.train_mse:.4f} converged={res.converged}"
        )
    p = results["core (plain)"].params
    ok = np.isfinite(p.rater_intercepts)
    keep = ok[data.rater_idx]
    args = (data.note_idx[keep], data.rater_idx[keep], data.values[keep])
    kwargs = {
        "n_notes": data.n_notes,
        "rater_intercepts": p.rater_intercepts,
        "rater_factors": p.rater_factors,
        "global_intercept": p.global_intercept,
        "note_ratio": 37.0,
    }
    fit_note_params(*args, **kwargs)
    plain, w_plain, c_plain = _timed(lambda: fit_note_params(*args, **kwargs))
    g14, w_g14, c_g14 = _timed(
        lambda: fit_note_params(*args, **kwargs, config=GROUP_14, rng=np.random.default_rng(0))
    )
    print(
        f"  fit_note_params plain {w_plain:6.3f} s wall / {c_plain:6.3f} s CPU "
        f"({plain.n_iterations} sweep) | group 14 {w_g14:6.2f} s wall / {c_g14:6.2f} s CPU "
        f"({g14.n_iterations} stage-2 sweeps, raters and μ trained)"
    )


if __name__ == "__main__":
    main()
