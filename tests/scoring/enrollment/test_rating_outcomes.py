"""Valid ratings and Rating Impact (scoring-extended.md §2.2-§2.3)."""

from __future__ import annotations

from bridgewatch.model import NoteStatus
from bridgewatch.scoring.enrollment import EnrollmentConfig, score_rating_outcomes
from tests.scoring.enrollment.helpers import HOUR_MS, MISSING_MS, make_notes, make_ratings

CONFIG = EnrollmentConfig()
T = 1_790_000_000_000
CRH = NoteStatus.CURRENTLY_RATED_HELPFUL
CRNH = NoteStatus.CURRENTLY_RATED_NOT_HELPFUL
NMR = NoteStatus.NEEDS_MORE_RATINGS
DECIDED = T + 10 * HOUR_MS


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
