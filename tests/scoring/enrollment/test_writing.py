"""Writing impact, the recent window and recognitions (scoring-extended.md §2.4, §2.7)."""

from __future__ import annotations

import numpy as np

from bridgewatch.model import NoteStatus
from bridgewatch.scoring.enrollment import (
    EnrollmentConfig,
    count_window_crnh,
    find_emerging_writers,
    find_top_writers,
    score_writing_outcomes,
)
from tests.scoring.enrollment.helpers import HOUR_MS, MISSING_MS, make_notes, make_ratings

CONFIG = EnrollmentConfig()
DAY = 24 * HOUR_MS
T = 1_790_000_000_000
CRH = NoteStatus.CURRENTLY_RATED_HELPFUL
CRNH = NoteStatus.CURRENTLY_RATED_NOT_HELPFUL
NMR = NoteStatus.NEEDS_MORE_RATINGS


def test_all_time_counts_include_every_note_in_the_history() -> None:
    notes = make_notes(
        [
            (0, T, 1, CRH, T),
            (0, T, 2, CRNH, T),
            (0, T, 3, NMR, MISSING_MS),
            (1, T, 4, CRH, T),
            (1, MISSING_MS, 5, CRH, T),  # not in the history
        ],
        num_ratings=[7, 3, 1, 2, 100],
    )
    out = score_writing_outcomes(notes, 3, CONFIG)
    assert out.notes_crh.tolist() == [1, 1, 0]
    assert out.notes_crnh.tolist() == [1, 0, 0]
    assert out.notes_nmr.tolist() == [1, 0, 0]
    assert out.aggregate_ratings_received.tolist() == [11, 2, 0]
    assert out.is_author.tolist() == [True, True, False]
    assert out.writing_impact.tolist() == [0, 1, 0]
    np.testing.assert_allclose(out.hit_rate, [0.0, 1.0, 0.0])


def test_window_takes_decided_notes_first_then_newest_cut_to_five() -> None:
    # Author 0: 6 decided notes (ids 1..6, CRNH on ids 1, 2 and 6) and 3 newer NMR notes.
    statuses = [CRNH, CRNH, CRH, CRH, CRH, CRNH]
    rows = [(0, T, k + 1, s, T) for k, s in enumerate(statuses)]
    rows += [(0, T, 10 + k, NMR, MISSING_MS) for k in range(3)]
    notes = make_notes(rows)
    last = np.array([1], dtype=np.int64)
    # Window: ids 6, 5, 4, 3, 2 -> CRNH on 6 and 2; id 1 falls out, NMR notes never enter.
    assert count_window_crnh(notes, last, CONFIG).tolist() == [2]


def test_nmr_notes_fill_the_window_when_few_notes_are_decided() -> None:
    notes = make_notes([(0, T, 1, CRNH, T), (0, T, 2, NMR, MISSING_MS)])
    assert count_window_crnh(notes, np.array([1], dtype=np.int64), CONFIG).tolist() == [1]


def test_window_only_holds_notes_created_after_the_last_earn_out() -> None:
    notes = make_notes([(0, T, 1, CRNH, T), (0, T + 1, 2, CRNH, T), (1, T, 3, CRNH, T)])
    last = np.array([T, 1], dtype=np.int64)
    assert count_window_crnh(notes, last, CONFIG).tolist() == [1, 1]


def test_recent_counts_window_before_the_newest_note() -> None:
    newest = T + 100 * DAY
    notes = make_notes(
        [
            (0, newest, 1, NMR, MISSING_MS),  # NMR with 10 ratings: counted in 14d
            (0, newest - 13 * DAY, 2, NMR, MISSING_MS),  # NMR with 9 ratings: not in 14d
            (0, newest - 13 * DAY, 3, CRNH, T),  # decided: counted
            (0, newest - 14 * DAY, 4, CRH, T),  # exactly 14 days: outside
            (0, newest - 89 * DAY, 5, CRH, T),
            (0, newest - 90 * DAY, 6, CRH, T),  # exactly 90 days: outside
        ],
        num_ratings=[10, 9, 0, 50, 0, 0],
    )
    out = score_writing_outcomes(notes, 1, CONFIG)
    assert (out.crh_14d[0], out.crnh_14d[0], out.nmr_14d[0]) == (0, 1, 1)
    assert (out.crh_90d[0], out.crnh_90d[0], out.nmr_90d[0]) == (2, 1, 2)


def test_top_writer_needs_impact_ten_and_hit_rate_four_percent() -> None:
    rows = [(0, T, k, CRH, T) for k in range(10)]  # WI 10, hit rate 1
    rows += [(1, T, 100 + k, CRH, T) for k in range(12)]
    rows += [(1, T, 200 + k, CRNH, T) for k in range(2)]  # WI 10 of 14 notes
    rows += [(2, T, 300 + k, CRH, T) for k in range(10)]
    rows += [(2, T, 400 + k, NMR, MISSING_MS) for k in range(241)]  # 10 / 251 < 0.04
    rows += [(3, T, 700 + k, CRH, T) for k in range(9)]  # WI 9
    writing = score_writing_outcomes(make_notes(rows), 4, CONFIG)
    assert find_top_writers(writing, CONFIG).tolist() == [True, True, False, False]


def test_emerging_writer_needs_mean_score_and_recent_ratings() -> None:
    now = T + 100 * DAY
    notes = make_notes(
        [(0, T, 1, CRH, T), (0, T, 2, NMR, MISSING_MS), (1, T, 3, CRH, T), (2, T, 4, CRH, T)]
    )
    # Author 0: intercepts (0.7, NaN) -> mean 0.35 over 2 notes; 10 recent ratings.
    # Author 1: mean 0.3 (not above); author 2: mean 0.5 but only 9 recent ratings.
    intercepts = np.array([0.7, np.nan, 0.3, 0.5])
    rows = [(5, 0, 1.0, now - HOUR_MS)] * 6 + [(5, 1, 1.0, now - HOUR_MS)] * 4
    rows += [(5, 2, 1.0, now - HOUR_MS)] * 10
    rows += [(5, 3, 1.0, now - HOUR_MS)] * 9 + [(5, 3, 1.0, now - 28 * DAY)]
    ratings = make_ratings(rows, n_notes=4, n_participants=6)
    emerging = find_emerging_writers(ratings, notes, intercepts, now_ms=now, config=CONFIG)
    assert emerging.tolist() == [True, False, False, False, False, False]
