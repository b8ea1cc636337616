"""Valid ratings and Rating Impact (scoring-extended.md §2.2-§2.3)."""

from __future__ import annotations

import numpy as np
import pytest

from bridgewatch.model import NoteStatus
from bridgewatch.scoring.enrollment import EnrollmentConfig, outcome_counts, score_rating_outcomes
from bridgewatch.scoring.enrollment import rating_outcomes as outcomes_module
from bridgewatch.scoring.helpfulness import valid as valid_module
from tests.scoring.enrollment.helpers import HOUR_MS, MISSING_MS, make_notes, make_ratings

CONFIG = EnrollmentConfig()
T = 1_790_000_000_000
CRH = NoteStatus.CURRENTLY_RATED_HELPFUL
CRNH = NoteStatus.CURRENTLY_RATED_NOT_HELPFUL
NMR = NoteStatus.NEEDS_MORE_RATINGS
DECIDED = T + 10 * HOUR_MS


@pytest.fixture(autouse=True, params=[None, 1, 2, 3], ids=["one block", "1", "2", "3"])
def _blocks(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test also with the ratings classified a few at a time: blocks cut across
    notes and raters (the old-note ranking too), and the results must not change."""
    if request.param is not None:
        monkeypatch.setattr(valid_module, "RATING_BLOCK", request.param)
        monkeypatch.setattr(outcomes_module, "RATING_BLOCK", request.param)


def test_valid_ratings_are_classified_against_the_final_status() -> None:
    notes = make_notes(
        [
            (9, T, 1, CRH, DECIDED),
            (9, T, 2, CRNH, DECIDED),
            (9, T, 3, NMR, MISSING_MS),
            (9, MISSING_MS, 4, -1, MISSING_MS),  # not in the status history
        ]
    )
    ratings = make_ratings(
        [
            (0, 0, 1.0, T + HOUR_MS),  # HELPFUL on CRH: successful
            (0, 1, 0.0, T + HOUR_MS),  # NOT_HELPFUL on CRNH: successful
            (1, 1, 1.0, T + HOUR_MS),  # HELPFUL on CRNH: unsuccessful, costs 2
            (1, 0, 0.0, T + HOUR_MS),  # NOT_HELPFUL on CRH: unsuccessful
            (2, 0, 0.5, T + HOUR_MS),  # SOMEWHAT: never valid
            (2, 1, 1.0, T + 11 * HOUR_MS),  # after the decision
            (3, 0, 1.0, T + 49 * HOUR_MS),  # 48 h or more after creation
            (3, 2, 1.0, T + HOUR_MS),  # on an NMR note: awaiting more ratings
            (4, 3, 1.0, T + HOUR_MS),  # note outside the history: ignored
        ],
        n_notes=4,
        n_participants=10,
    )
    out = score_rating_outcomes(ratings, notes, CONFIG)
    assert out.successful_helpful[:5].tolist() == [1, 0, 0, 0, 0]
    assert out.successful_not_helpful[:5].tolist() == [1, 0, 0, 0, 0]
    assert out.unsuccessful_helpful[:5].tolist() == [0, 1, 0, 0, 0]
    assert out.unsuccessful_not_helpful[:5].tolist() == [0, 1, 0, 0, 0]
    assert out.successful_total[:5].tolist() == [2, 0, 0, 0, 0]
    assert out.unsuccessful_total[:5].tolist() == [0, 2, 0, 0, 0]
    assert out.rating_impact[:5].tolist() == [2, -3, 0, 0, 0]
    assert out.ratings_awaiting_more_ratings[:5].tolist() == [0, 0, 0, 1, 0]
    assert out.rated_after_decision[:5].tolist() == [0, 0, 1, 1, 0]
    assert out.has_counts[:5].tolist() == [True, True, True, True, False]
    assert out.is_valid.tolist() == [True, True, True, True] + [False] * 5


def test_rating_exactly_at_the_decision_or_48_hours_is_not_valid() -> None:
    notes = make_notes([(9, T, 1, CRH, DECIDED), (9, T, 2, CRH, MISSING_MS)])
    ratings = make_ratings(
        [(0, 0, 1.0, DECIDED), (1, 1, 1.0, T + 48 * HOUR_MS), (2, 1, 1.0, T + 48 * HOUR_MS - 1)],
        n_notes=2,
        n_participants=10,
    )
    assert score_rating_outcomes(ratings, notes, CONFIG).is_valid.tolist() == [False, False, True]


def test_old_notes_count_their_first_five_early_ratings_even_after_the_decision() -> None:
    created = CONFIG.valid.tombstone_launch_ms - 24 * HOUR_MS
    notes = make_notes([(9, created, 1, CRH, created + HOUR_MS)])
    rows = [(k, 0, 1.0, created + (7 - k) * HOUR_MS) for k in range(7)]
    rows.append((7, 0, 1.0, created + 50 * HOUR_MS))
    ratings = make_ratings(rows, n_notes=1, n_participants=10)
    valid = score_rating_outcomes(ratings, notes, CONFIG).is_valid
    # Raters 6..2 rated first (hours 1..5); 1 and 0 came later; rater 7 after 48 h.
    assert valid.tolist() == [False, False, True, True, True, True, True, False]


def test_counts_by_blocks_match_the_whole_array_formula(monkeypatch: pytest.MonkeyPatch) -> None:
    """Random ratings on old and new notes, in blocks of 7: the counts and validity of the
    whole-array form (pre-status, the four classes, awaiting, after the decision)."""
    rng = np.random.default_rng(3)
    launch = CONFIG.valid.tombstone_launch_ms
    rows_n = []
    for k in range(12):
        created = launch + (k - 4) * 24 * HOUR_MS
        status = (CRH, CRNH, NMR, -1)[k % 4]
        latest = created + (k % 3) * 20 * HOUR_MS if status in (CRH, CRNH) else MISSING_MS
        rows_n.append((k % 5, created if status != -1 else MISSING_MS, k, status, latest))
    notes = make_notes(rows_n)
    rows_r = []
    for _ in range(300):
        note = int(rng.integers(12))
        base = rows_n[note][1] if rows_n[note][1] != MISSING_MS else launch
        when = base + int(rng.integers(0, 60)) * HOUR_MS
        rows_r.append((int(rng.integers(20)), note, float(rng.choice([0.0, 0.5, 1.0])), when))
    ratings = make_ratings(rows_r, n_notes=12, n_participants=20)
    whole = score_rating_outcomes(ratings, notes, CONFIG)
    whole_counts = outcome_counts(ratings, notes, CONFIG)
    monkeypatch.setattr(valid_module, "RATING_BLOCK", 7)
    monkeypatch.setattr(outcomes_module, "RATING_BLOCK", 7)
    blocked = score_rating_outcomes(ratings, notes, CONFIG)
    np.testing.assert_array_equal(outcome_counts(ratings, notes, CONFIG), whole_counts)
    np.testing.assert_array_equal(blocked.is_valid, whole.is_valid)
    for name in ("successful_helpful", "unsuccessful_not_helpful", "rated_after_decision"):
        np.testing.assert_array_equal(getattr(blocked, name), getattr(whole, name))
    # The whole-array formula of "rated after the decision" (float64 times).
    latest_ms = np.array([r[4] for r in rows_n], dtype=np.int64)
    latest_f = np.where(latest_ms == MISSING_MS, np.nan, latest_ms.astype(np.float64))
    in_history = np.array([r[1] != MISSING_MS for r in rows_n])
    after = in_history[ratings.note_idx] & (
        ratings.created_at_ms.astype(np.float64) > latest_f[ratings.note_idx]
    )
    want = np.bincount(ratings.rater_idx[after], minlength=20)
    np.testing.assert_array_equal(blocked.rated_after_decision, want)
    assert whole.is_valid.any() and whole.rated_after_decision.any()
