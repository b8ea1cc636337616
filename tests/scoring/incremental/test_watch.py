"""The coordination watch: bursts from raters who keep meeting are held, honest ones not."""

from __future__ import annotations

import numpy as np
import pytest

from bridgewatch.errors import ConfigError
from bridgewatch.model import IdIndex, Ratings
from bridgewatch.model.enums import NoteStatus
from bridgewatch.scoring.history import StatusHistory
from bridgewatch.scoring.incremental import (
    WatchConfig,
    apply_holds,
    crosses_helpful,
    suspicious_notes,
)

NOW = 10_000_000
N_NOTES, N_RATERS = 20, 40


def _ratings(rows: list[tuple[int, int, float, int]]) -> Ratings:
    note, rater, value, at = (np.asarray(c) for c in zip(*rows, strict=True))
    n = note.shape[0]
    return Ratings(
        note_idx=note.astype(np.int32),
        rater_idx=rater.astype(np.int32),
        helpful_num=value.astype(np.float32),
        helpfulness_level=np.zeros(n, dtype=np.int8),
        created_at_ms=at.astype(np.int64),
        helpful_tags=np.zeros(n, dtype=np.uint16),
        not_helpful_tags=np.zeros(n, dtype=np.uint16),
        population_sampled=np.zeros(n, dtype=np.bool_),
        note_ids=IdIndex(np.asarray([f"{k:03d}" for k in range(N_NOTES)])),
        participant_ids=IdIndex(np.asarray([f"p{k:03d}" for k in range(N_RATERS)])),
    )


def _burst(note: int, raters: range, at: int) -> list[tuple[int, int, float, int]]:
    return [(note, r, 1.0, at + k) for k, r in enumerate(raters)]


def test_a_brigade_that_keeps_meeting_is_suspicious_an_honest_burst_is_not() -> None:
    # Raters 0-5 rated notes 1-4 helpful together before; raters 10-15 never met.
    history = [row for n in (1, 2, 3, 4) for row in _burst(n, range(6), 1000 * n)]
    history += [(n, 10 + n, 0.0, 500) for n in range(6)]
    recent = _burst(7, range(6), NOW - 60_000) + _burst(8, range(10, 16), NOW - 60_000)
    ratings = _ratings(history + recent)
    flagged = np.zeros(N_RATERS, dtype=np.bool_)
    found = suspicious_notes(ratings, np.array([7, 8]), flagged, NOW, WatchConfig())
    assert list(found) == [7]
    assert "together" in found[7]
    # Old bursts are not recent: nothing to hold.
    assert (
        suspicious_notes(ratings, np.array([7, 8]), flagged, NOW + 3_600_000, WatchConfig()) == {}
    )
    # Raters the refit flagged are suspicious whatever their history.
    flagged[10:16] = True
    found = suspicious_notes(ratings, np.array([8]), flagged, NOW, WatchConfig())
    assert list(found) == [8] and "refit" in found[8]


def test_holds_stop_only_changes_across_helpful() -> None:
    old = StatusHistory.empty().with_new_notes(
        np.asarray(["a", "b", "c"]), np.asarray(["x", "y", "z"]), np.asarray([1, 2, 3])
    )
    crh, nmr = int(NoteStatus.CURRENTLY_RATED_HELPFUL), int(NoteStatus.NEEDS_MORE_RATINGS)
    crnh = int(NoteStatus.CURRENTLY_RATED_NOT_HELPFUL)
    old = old.with_columns(current_status=np.asarray([nmr, crh, nmr], dtype=np.int8))
    new = old.with_columns(current_status=np.asarray([crh, nmr, crnh], dtype=np.int8))
    held = np.asarray([True, True, True])
    assert crosses_helpful(old.current_status, new.current_status).tolist() == [
        True,
        True,
        False,
    ]
    out, stopped = apply_holds(old, new, held)
    assert stopped.tolist() == [True, True, False]
    assert out.current_status.tolist() == [nmr, crh, crnh]
    out, stopped = apply_holds(old, new, np.zeros(3, dtype=np.bool_))
    assert not stopped.any() and out is new


def test_config_checks() -> None:
    with pytest.raises(ConfigError):
        WatchConfig(window_ms=0)
    with pytest.raises(ConfigError):
        WatchConfig(min_burst=5, min_suspect=6)
