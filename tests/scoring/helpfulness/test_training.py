"""Training filter and stable-init subset (scoring-core.md §4.1, §4.2)."""

from __future__ import annotations

import numpy as np

from bridgewatch.scoring.helpfulness import (
    StableInitConfig,
    TrainingFilterConfig,
    filter_ratings_for_training,
    stable_init_mask,
)


def test_one_pass_note_rater_note_without_fixed_point() -> None:
    cfg = TrainingFilterConfig(min_ratings_per_note=2, min_ratings_per_rater=2)
    # note 0: raters 0,1; note 1: raters 0,2; note 2: rater 0 only (dropped first).
    # rater 0 has 2 left, raters 1 and 2 have 1 -> dropped; then notes 0 and 1 have 1 -> dropped.
    note = np.array([0, 0, 1, 1, 2], dtype=np.int32)
    rater = np.array([0, 1, 0, 2, 0], dtype=np.int32)
    keep = filter_ratings_for_training(note, rater, 3, 3, cfg)
    assert not keep.any()


def test_filter_keeps_a_dense_block() -> None:
    cfg = TrainingFilterConfig(min_ratings_per_note=2, min_ratings_per_rater=2)
    note = np.array([0, 0, 1, 1, 2], dtype=np.int32)
    rater = np.array([0, 1, 0, 1, 2], dtype=np.int32)
    keep = filter_ratings_for_training(note, rater, 3, 3, cfg)
    assert keep.tolist() == [True, True, True, True, False]


def test_stable_init_share_and_count_over_enrolled_raters_only() -> None:
    cfg = StableInitConfig(modeling_group=13, min_group_share=0.75, min_ratings=4)
    groups = np.array([13, 13, 13, 1, -1], dtype=np.int64)
    enrolled = np.array([True, True, True, True, False])
    # note 0: raters 0,1,2 (13) + 3 (group 1) -> 4 joined, share 0.75 -> kept for 13s
    # note 1: raters 0,1,2 + 4 (absent) -> only 3 joined -> dropped
    note = np.array([0, 0, 0, 0, 1, 1, 1, 1], dtype=np.int32)
    rater = np.array([0, 1, 2, 3, 0, 1, 2, 4], dtype=np.int32)
    mask = stable_init_mask(note, rater, groups, enrolled, 2, cfg)
    assert mask.tolist() == [True, True, True, False, False, False, False, False]
