"""Throughput of the full multi-model meta chain and the NSH update on synthetic notes.

Usage: .venv/bin/python benchmarks/bench_meta_chain.py [n_notes]
Every scorer has a status for every note (statuses, groups and topics drawn at random), the
worst case for the chain. Prints wall time per stage (best of 3) and the hardware. Not a test.
"""

from __future__ import annotations

import os
import platform
import sys
import time
from collections.abc import Callable

import numpy as np

from bridgewatch.scoring.history import StatusHistory, update_status_history
from bridgewatch.scoring.meta import (
    MetaChainInputs,
    MetaConfig,
    MetaResult,
    apply_meta_chain,
    run_statuses,
)
from bridgewatch.scoring.status import TagCounts

NOW = 1_800_000_000_000


def best_of(fn: Callable[[], object], times: int = 3) -> float:
    best = float("inf")
    for _ in range(times):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    rng = np.random.default_rng(0)

    def statuses() -> np.ndarray:  # type: ignore[type-arg]
        return rng.integers(-1, 5, n).astype(np.int8)

    inputs = MetaChainInputs(
        previous_status=rng.integers(-1, 3, n).astype(np.int8),
        stabilization_ts=rng.choice(np.array([np.nan, -1.0, NOW - 40 * 60_000.0]), n),
        first_non_nmr_status=rng.integers(-1, 3, n).astype(np.int8),
        locked_status=np.where(rng.random(n) < 0.7, -1, rng.integers(0, 3, n)).astype(np.int8),
        tag_counts=TagCounts(rng.integers(0, 4, (n, 9)), rng.integers(0, 4, (n, 13))),
        core_status=statuses(),
        core_intercept=rng.uniform(0.0, 0.6, n),
        core_intercept_population_sampled=rng.uniform(0.0, 0.6, n),
        population_sampled_neg_count=rng.integers(0, 6, n),
        population_sampled_pos_count=rng.integers(0, 6, n),
        core_with_topics_status=statuses(),
        expansion_status=statuses(),
        expansion_intercept=rng.uniform(0.0, 0.6, n),
        expansion_plus_status=statuses(),
        multi_group_status=statuses(),
        modeling_multi_group=rng.integers(-1, 2, n),
        group_status=statuses(),
        modeling_group=rng.integers(-1, 34, n),
        gaussian_status=statuses(),
        gaussian_core_with_topics_status=statuses(),
        note_topic=rng.integers(-1, 6, n).astype(np.int8),
        topic_intercept=rng.uniform(-0.3, 0.6, n),
        topic_factor=rng.uniform(-1.2, 1.2, n),
        topic_confident=rng.random(n) < 0.5,
    )
    config = MetaConfig()
    result: list[MetaResult] = []
    chain_s = best_of(lambda: result.append(apply_meta_chain(inputs, NOW, config)))
    history = StatusHistory.new_rows(
        np.arange(n).astype(str), np.zeros(n).astype(str), np.zeros(n, np.int64)
    )
    statuses_run = run_statuses(inputs, result[-1])
    nsh_s = best_of(lambda: update_status_history(history, statuses_run, NOW))
    print(f"{n:,} notes, every scorer present")
    print(f"  apply_meta_chain       {chain_s:7.2f} s")
    print(f"  update_status_history  {nsh_s:7.2f} s")
    print(f"  {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
