"""Merge of notes into NSH and the misleading/deleted filter (scoring-core.md §2.3 steps 3-4)."""

from __future__ import annotations

import numpy as np

from bridgewatch.model import Classification
from bridgewatch.scoring.preprocess import (
    PreprocessConfig,
    filter_misleading_or_deleted,
    merge_note_info,
)

CUTOFF = 1_664_755_200_000
M = Classification.MISINFORMED_OR_POTENTIALLY_MISLEADING
N = Classification.NOT_MISLEADING


def _i32(*v: int) -> np.ndarray:
    return np.array(v, dtype=np.int32)


def _i64(*v: int) -> np.ndarray:
    return np.array(v, dtype=np.int64)


def test_merge_is_the_union_and_keeps_deleted_notes() -> None:
    # note 0: in both; note 1: deleted (NSH only); note 2: new (notes only); note 3: nowhere
    info = merge_note_info(
        4,
        nsh_note_idx=_i32(0, 1),
        nsh_created_at_ms=_i64(10, 20),
        nsh_author_idx=_i32(5, 6),
        notes_note_idx=_i32(0, 2),
        notes_created_at_ms=_i64(10, 30),
        notes_author_idx=_i32(5, 7),
        notes_classification=np.array([M, N], dtype=np.int8),
    )
    assert info.in_nsh.tolist() == [True, True, True, False]
    assert info.in_notes.tolist() == [True, False, True, False]
    assert info.created_at_ms.tolist() == [10, 20, 30, -1]
    assert info.author_idx.tolist() == [5, 6, 7, -1]
    assert info.classification.tolist() == [M, -1, N, -1]


def test_filter_keeps_misleading_deleted_in_nsh_and_recent_not_misleading() -> None:
    # notes: 0 misleading, 1 deleted in NSH, 2 old NM, 3 NM exactly at cutoff, 4 recent NM,
    # 5 in neither file
    info = merge_note_info(
        6,
        nsh_note_idx=_i32(0, 1),
        nsh_created_at_ms=_i64(1, 1),
        nsh_author_idx=_i32(0, 0),
        notes_note_idx=_i32(0, 2, 3, 4),
        notes_created_at_ms=_i64(1, CUTOFF - 1, CUTOFF, CUTOFF + 1),
        notes_author_idx=_i32(0, 0, 0, 0),
        notes_classification=np.array([M, N, N, N], dtype=np.int8),
    )
    nsh_before = np.array([True, True, False, False, False, False])
    keep = filter_misleading_or_deleted(
        _i32(0, 1, 2, 3, 4, 5), info, nsh_before, PreprocessConfig()
    )
    assert keep.tolist() == [True, True, False, False, True, False]
