"""Throughput of the Core status rules, meta scoring and NSH update on synthetic notes.

Usage: .venv/bin/python benchmarks/bench_status_rules.py [n_notes] [ratings_per_note]
Prints wall time per stage and the hardware. Not a test.
"""

from __future__ import annotations

import os
import platform
import sys
import time

import numpy as np

from bridgewatch.model import IdIndex, Ratings
from bridgewatch.scoring.history import RunStatuses, StatusHistory, update_status_history
from bridgewatch.scoring.meta import MetaConfig, MetaInputs, ScorerStatus, apply_meta_rules
from bridgewatch.scoring.status import (
    CoreRuleInputs,
    StatusRulesConfig,
    apply_core_rules,
    compute_incorrect_aggregates,
    compute_sign_aggregates,
    compute_tag_aggregates,
    count_tags,
)


def sparse_tags(rng: np.random.Generator, m: int, n_tags: int) -> np.ndarray:  # type: ignore[type-arg]
    """Like the public data: most ratings carry no tag of a family, some one or two."""
    first = np.where(rng.random(m) < 0.35, 1 << rng.integers(0, n_tags, m), 0)
    second = np.where(rng.random(m) < 0.15, 1 << rng.integers(0, n_tags, m), 0)
    return (first | second).astype(np.uint16)


def main() -> None:
    n_notes = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    per_note = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    n_raters = max(n_notes // 2, 10)
    rng = np.random.default_rng(0)
    m = n_notes * per_note
    ratings = Ratings(
        note_idx=np.repeat(np.arange(n_notes, dtype=np.int32), per_note),
        rater_idx=rng.integers(0, n_raters, m, dtype=np.int32),
        helpful_num=rng.choice(np.array([0.0, 0.5, 1.0], np.float32), m),
        helpfulness_level=np.full(m, -1, np.int8),
        created_at_ms=rng.integers(0, 10**12, m),
        helpful_tags=sparse_tags(rng, m, 9),
        not_helpful_tags=sparse_tags(rng, m, 13),
        population_sampled=rng.random(m) < 0.05,
        note_ids=IdIndex(np.arange(n_notes).astype(str)),
        participant_ids=IdIndex(np.arange(n_raters).astype(str)),
    )
    cfg = StatusRulesConfig()
    f_u = rng.normal(0, 0.5, n_raters)
    f_n = rng.normal(0, 0.3, n_notes)
    i_n = rng.normal(0.1, 0.25, n_notes)
    timings: dict[str, float] = {}

    def timed(name: str, fn):  # type: ignore[no-untyped-def]
        t0 = time.perf_counter()
        out = fn()
        timings[name] = time.perf_counter() - t0
        return out

    signs = timed("sign aggregates", lambda: compute_sign_aggregates(ratings, f_u))
    tags = timed("tag aggregates", lambda: compute_tag_aggregates(ratings, f_n, f_u, cfg))
    inc = timed(
        "incorrect aggregates",
        lambda: compute_incorrect_aggregates(
            ratings, f_n, f_u, np.ones(n_raters), np.full(n_raters, 4.0), cfg
        ),
    )
    counts = timed("tag counts", lambda: count_tags(ratings))
    rules = timed(
        "core rules",
        lambda: apply_core_rules(
            CoreRuleInputs(
                scored=np.ones(n_notes, np.bool_),
                num_ratings=signs.num_ratings,
                classification=np.ones(n_notes, np.int8),
                intercept=i_n,
                factor=f_n,
                previous_status=np.zeros(n_notes, np.int8),
                intercept_max=i_n + 0.05,
                signs=signs,
                tags=tags,
                tag_thresholds=np.full(13, 0.3),
                incorrect=inc,
                low_diligence_intercept=rng.normal(0, 0.1, n_notes),
                intercept_no_high_vol=i_n,
                intercept_no_correlated=i_n,
            ),
            cfg,
        ),
    )
    labels = timed("coreActiveRules strings", rules.active_rules_labels)
    nan = np.full(n_notes, np.nan)
    meta = timed(
        "meta rules",
        lambda: apply_meta_rules(
            MetaInputs(
                scorers=(ScorerStatus("CoreModel", "v1.1", rules.status),),
                core_intercept=i_n,
                core_intercept_population_sampled=nan,
                population_sampled_neg_count=signs.pop_neg_count,
                population_sampled_pos_count=signs.pop_pos_count,
                previous_status=np.zeros(n_notes, np.int8),
                stabilization_ts=nan,
                first_non_nmr_status=np.full(n_notes, -1, np.int8),
                locked_status=np.full(n_notes, -1, np.int8),
                tag_counts=counts,
            ),
            10**12,
            MetaConfig(),
        ),
    )
    history = StatusHistory.new_rows(
        ratings.note_ids.ids, np.full(n_notes, "a"), np.zeros(n_notes, np.int64)
    )
    timed(
        "NSH update",
        lambda: update_status_history(
            history,
            RunStatuses(meta.final_status, rules.status, meta.decided_by_labels(), nan),
            10**12,
        ),
    )
    print(
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cpus, "
        f"Python {platform.python_version()}"
    )
    print(f"{n_notes:,} notes, {m:,} ratings, {len(set(labels)):,} distinct rule strings")
    for name, seconds in timings.items():
        print(f"{name:28s} {seconds * 1000:9.1f} ms")


if __name__ == "__main__":
    main()
