"""Contributor scoring and enrollment (scoring-extended.md §2, scoring-core.md §11.4).

Public surface::

    from bridgewatch.scoring.enrollment import (
        EnrollmentConfig, EnrollmentTable, ScoredNoteFacts, update_enrollment,
    )

    result = update_enrollment(ratings, notes, table, now_ms=now, config=EnrollmentConfig())
    result.table            # rows to persist as the next run's userEnrollment
    result.ratings          # valid-rating counts (helpfulness_scores columns)
    result.writing          # note outcome counts per author
"""

from bridgewatch.scoring.enrollment.config import EnrollmentConfig
from bridgewatch.scoring.enrollment.frames import (
    helpfulness_enrollment_frame,
    user_enrollment_frame,
)
from bridgewatch.scoring.enrollment.notes import MISSING_MS, ScoredNoteFacts
from bridgewatch.scoring.enrollment.rating_outcomes import (
    OUTCOME_COUNTS,
    RatingOutcomes,
    outcome_counts,
    outcomes_from_counts,
    score_rating_outcomes,
)
from bridgewatch.scoring.enrollment.state import (
    NEVER_EARNED_OUT_MS,
    EnrollmentTable,
    transition_enrollment,
)
from bridgewatch.scoring.enrollment.update import (
    EnrollmentResult,
    find_emerging_writers,
    find_top_writers,
    update_enrollment,
)
from bridgewatch.scoring.enrollment.writing import (
    WritingOutcomes,
    count_window_crnh,
    score_writing_outcomes,
)

__all__ = [
    "MISSING_MS",
    "NEVER_EARNED_OUT_MS",
    "OUTCOME_COUNTS",
    "EnrollmentConfig",
    "EnrollmentResult",
    "EnrollmentTable",
    "RatingOutcomes",
    "ScoredNoteFacts",
    "WritingOutcomes",
    "count_window_crnh",
    "find_emerging_writers",
    "find_top_writers",
    "helpfulness_enrollment_frame",
    "outcome_counts",
    "outcomes_from_counts",
    "score_rating_outcomes",
    "score_writing_outcomes",
    "transition_enrollment",
    "update_enrollment",
    "user_enrollment_frame",
]
