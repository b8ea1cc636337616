"""Benchmark Post Selection Similarity pair counting on synthetic communities.

Usage: .venv/bin/python benchmarks/pss_pair_counting.py [N_RATINGS ...]   (default 1e6 1e7)

Ratings arrive after their note's creation with exponential delays (mean 6 h), so many
ratings of a note fall within the 20-minute co-rating window. Prints the time of family A
(author-rater pairs), family B counting (co-ratings), and the NPMI/minSim filter with the
connected-components clustering.
"""

from __future__ import annotations

import os
import platform
import sys
import time

import numpy as np

from bridgewatch.model import HelpfulnessLevel, IdIndex, Ratings
from bridgewatch.scoring.manipulation import (
    PostSelectionConfig,
    cluster_pairs,
    count_co_ratings,
    find_author_rater_pairs,
    find_co_rating_pairs,
    find_post_selection_clusters,
)

T0 = 1_790_000_000_000
DAY_MS = 86_400_000


def community(n_ratings: int, seed: int = 0) -> tuple[Ratings, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    n_notes = max(n_ratings // 50, 10)
    n_raters = max(n_ratings // 20, 10)
    n_posts = max(n_notes * 2 // 3, 1)
    note_created = T0 + rng.integers(0, 60 * DAY_MS, size=n_notes)
    note_author = rng.integers(0, n_raters, size=n_notes).astype(np.int32)
    note_post = rng.integers(0, n_posts, size=n_notes).astype(np.int64)
    # Popular notes get more ratings (Zipf-like), raters are drawn uniformly; duplicates of
    # (rater, note) are rare and harmless for the benchmark.
    weights = 1.0 / np.arange(1, n_notes + 1) ** 0.6
    note_idx = rng.choice(n_notes, size=n_ratings, p=weights / weights.sum()).astype(np.int32)
    rater_idx = rng.integers(0, n_raters, size=n_ratings).astype(np.int32)
    delay = rng.exponential(6 * 3_600_000, size=n_ratings).astype(np.int64)
    ratings = Ratings(
        note_idx=note_idx,
        rater_idx=rater_idx,
        helpful_num=np.ones(n_ratings, dtype=np.float32),
        helpfulness_level=rng.choice(
            [HelpfulnessLevel.HELPFUL, HelpfulnessLevel.NOT_HELPFUL], size=n_ratings
        ).astype(np.int8),
        created_at_ms=note_created[note_idx] + delay,
        helpful_tags=np.zeros(n_ratings, dtype=np.uint16),
        not_helpful_tags=np.zeros(n_ratings, dtype=np.uint16),
        population_sampled=np.zeros(n_ratings, dtype=np.bool_),
        note_ids=IdIndex(np.arange(n_notes).astype(np.str_)),
        participant_ids=IdIndex(np.arange(n_raters).astype(np.str_)),
    )
    return ratings, note_author, note_created, note_post


def main() -> int:
    sizes = [int(float(a)) for a in sys.argv[1:]] or [1_000_000, 10_000_000]
    print(
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"python {platform.python_version()}, numpy {np.__version__}"
    )
    config = PostSelectionConfig()
    warm = community(10_000)
    find_post_selection_clusters(*warm, config)  # compile the numba kernel outside the timing
    for n in sizes:
        ratings, author, created, post = community(n)
        t = time.perf_counter()
        family_a = find_author_rater_pairs(ratings, author, created, config)
        t_a = time.perf_counter() - t
        t, cpu = time.perf_counter(), time.process_time()
        counts = count_co_ratings(ratings, post, config, min_rater_posts=config.min_unique_posts)
        t_b, cpu_b = time.perf_counter() - t, time.process_time() - cpu
        t = time.perf_counter()
        flagged = find_co_rating_pairs(counts, config)
        clusters = cluster_pairs(np.concatenate([family_a, flagged]), ratings.n_participants)
        t_rest = time.perf_counter() - t
        print(
            f"{n:>11,d} ratings: family A {t_a:6.2f} s ({family_a.shape[0]} pairs), "
            f"co-rating counts {t_b:6.2f} s wall / {cpu_b:6.2f} s CPU "
            f"({counts.pairs.shape[0]:,d} co-rating pairs), "
            f"NPMI/minSim + clustering {t_rest:6.2f} s ({int(clusters.max(initial=0))} clusters)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
