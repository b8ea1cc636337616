"""Valid ratings (scoring-core.md §4.4)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from bridgewatch.model import NoteStatus
from bridgewatch.scoring.helpfulness import (
    ValidRatingsConfig,
    classify_valid_ratings,
    ratings_before_note_status,
)
from bridgewatch.scoring.helpfulness.valid import created_after, created_before

H = 3_600_000
NEW = 1_700_000_000_000  # after the 2022-05-19 tombstone launch
OLD = 1_600_000_000_000


def test_window_and_latest_status_timestamp() -> None:
    cfg = ValidRatingsConfig()
    note = np.array([0, 0, 0, 1, 2], dtype=np.int32)
    created = np.array([NEW + H, NEW + 47 * H, NEW + 49 * H, NEW + 2 * H, NEW + H], np.int64)
    in_nsh = np.array([True, True, False])
    note_created = np.array([NEW, NEW, NEW], dtype=np.int64)
    latest = np.array([np.nan, NEW + 2 * H, np.nan])
    before = ratings_before_note_status(note, created, in_nsh, note_created, latest, cfg)
    # 49 h is outside the window; on note 1 the rating at exactly the label time is not
    # strictly earlier; note 2 is not in NSH
    assert before.tolist() == [True, True, False, False, False]


def test_old_notes_use_the_first_n_ratings_by_time() -> None:
    cfg = ValidRatingsConfig(first_n_old_notes=2)
    note = np.zeros(4, dtype=np.int32)
    created = np.array([OLD + 3, OLD + 1, OLD + 2, OLD + 50 * H], dtype=np.int64)
    before = ratings_before_note_status(
        note, created, np.array([True]), np.array([OLD]), np.array([OLD + 2.0]), cfg
    )
    # the latest-status timestamp does not matter for old notes
    assert before.tolist() == [False, True, True, False]


def test_classes_follow_the_reference_naming() -> None:
    crh, crnh, nmr = (
        NoteStatus.CURRENTLY_RATED_HELPFUL,
        NoteStatus.CURRENTLY_RATED_NOT_HELPFUL,
        NoteStatus.NEEDS_MORE_RATINGS,
    )
    status = np.array([crh, crnh, nmr], dtype=np.int8)
    note = np.array([0, 0, 0, 1, 1, 2, 0], dtype=np.int32)
    value = np.array([1.0, 0.0, 0.5, 1.0, 0.0, 1.0, 1.0], dtype=np.float32)
    before = np.array([True, True, True, True, True, True, False])
    v = classify_valid_ratings(note, value, before, status)
    assert v.valid.tolist() == [True, True, False, True, True, False, False]
    assert v.agree.tolist() == [True, False, False, False, True, False, False]
    assert v.successful_helpful.tolist() == [True] + [False] * 6
    assert v.unsuccessful_helpful.tolist() == [False, True] + [False] * 5
    assert v.unsuccessful_not_helpful.tolist() == [False, False, False, True, False, False, False]
    assert v.successful_not_helpful.tolist() == [False] * 4 + [True, False, False]
    counts = v.per_rater(np.array([0, 0, 0, 1, 1, 1, 1], dtype=np.int32), 2)
    assert counts.valid.tolist() == [2, 2]
    assert counts.agree.tolist() == [1, 1]


_MS = st.integers(min_value=-(2**53), max_value=2**53)
_NOTE_MS = st.one_of(
    st.just(float("nan")),
    st.just(float("inf")),
    st.just(float("-inf")),
    st.floats(min_value=-1e300, max_value=1e300),
    _MS.map(float),
)


@settings(max_examples=200, deadline=None)
@given(created=st.lists(_MS, min_size=1, max_size=20), note_ms=st.lists(_NOTE_MS, min_size=1))
def test_integer_time_comparisons_match_the_float_definitions(
    created: list[int], note_ms: list[float]
) -> None:
    c = np.array(created, dtype=np.int64)
    x = np.array(note_ms, dtype=np.float64)
    idx = (np.arange(c.shape[0]) % x.shape[0]).astype(np.int32)
    gathered = x[idx]
    before = np.isnan(gathered) | (c.astype(np.float64) < gathered)
    assert np.array_equal(created_before(c, idx, x), before)
    with np.errstate(invalid="ignore"):
        after = c.astype(np.float64) > gathered
    assert np.array_equal(created_after(c, idx, x), after)
