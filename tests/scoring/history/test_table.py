"""StatusHistory <-> polars frame conversion (scoring-core.md §2.1, §11.3)."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from bridgewatch.errors import InputError
from bridgewatch.model import NoteStatus
from bridgewatch.model.columns import NOTE_STATUS_HISTORY_COLUMNS
from bridgewatch.scoring.history import StatusHistory, status_codes, status_names


def frame(n_columns: int = 24, **overrides: list[str]) -> pl.DataFrame:
    data = {c: [""] for c in NOTE_STATUS_HISTORY_COLUMNS[:n_columns]}
    data |= {"noteId": ["1"], "noteAuthorParticipantId": ["A"], "createdAtMillis": ["17"]}
    data |= {"currentStatus": ["CURRENTLY_RATED_HELPFUL"], "timestampMillisOfStatusLock": ["-1"]}
    data |= {"abovePcrhThresholdTime": ["5"]} if n_columns == 24 else {}
    data |= {"timestampMillisOfFirstNmrDueToMinStableCrhTime": ["3.0"]}
    data |= overrides
    return pl.DataFrame(data)


def test_round_trip_keeps_values_and_column_order() -> None:
    h = StatusHistory.from_frame(frame())
    assert h.current_status.tolist() == [NoteStatus.CURRENTLY_RATED_HELPFUL]
    assert h.created_at_ms.tolist() == [17] and h.status_lock_ts.tolist() == [-1.0]
    assert h.first_nmr_due_to_min_stable_crh_ts.tolist() == [3.0]
    out = h.to_frame()
    assert tuple(out.columns) == NOTE_STATUS_HISTORY_COLUMNS
    assert out["currentStatus"].to_list() == ["CURRENTLY_RATED_HELPFUL"]
    assert out["lockedStatus"].to_list() == [None]
    assert StatusHistory.from_frame(out).current_status.tolist() == h.current_status.tolist()


def test_legacy_23_column_layout_resets_two_timestamps() -> None:
    h = StatusHistory.from_frame(frame(23))
    assert np.isnan(h.first_nmr_due_to_min_stable_crh_ts[0])
    assert np.isnan(h.above_pcrh_threshold_ts[0])


def test_bad_values_name_the_field_and_line() -> None:
    with pytest.raises(InputError, match=r"line 2, field 'currentStatus'"):
        StatusHistory.from_frame(frame(currentStatus=["HELPFUL"]))
    with pytest.raises(InputError, match="timestampMillisOfStatusLock"):
        StatusHistory.from_frame(frame(timestampMillisOfStatusLock=["soon"]))
    with pytest.raises(InputError, match="createdAtMillis"):
        StatusHistory.from_frame(frame(createdAtMillis=[""]))
    with pytest.raises(InputError, match="missing column"):
        StatusHistory.from_frame(frame().drop("lockedStatus"))


def test_status_names_and_codes_round_trip() -> None:
    codes = status_codes(["", "NEEDS_YOUR_HELP", "FIRM_REJECT", None])
    assert codes.tolist() == [-1, 4, 3, -1]
    assert status_names(codes) == [None, "NEEDS_YOUR_HELP", "FIRM_REJECT", None]
