"""Small integer codes for the enumerations of the public files.

Kernels work on int8 codes; the strings of the public format live in ``NAMES`` tuples so that
``NAMES[code]`` is the TSV literal. -1 always means missing.
"""

from __future__ import annotations

from enum import IntEnum

__all__ = [
    "Classification",
    "EnrollmentState",
    "HelpfulnessLevel",
    "NoteStatus",
    "RatingSource",
]


class HelpfulnessLevel(IntEnum):
    """``helpfulnessLevel`` of a rating (scoring-core.md §2.2)."""

    NOT_HELPFUL = 0
    SOMEWHAT_HELPFUL = 1
    HELPFUL = 2


class Classification(IntEnum):
    """``classification`` of a note."""

    NOT_MISLEADING = 0
    MISINFORMED_OR_POTENTIALLY_MISLEADING = 1


class RatingSource(IntEnum):
    """``ratingSourceBucketed`` of a rating."""

    DEFAULT = 0
    POPULATION_SAMPLED = 1


class NoteStatus(IntEnum):
    """Note statuses; the last two exist only inside the pipeline (scoring-core.md preamble)."""

    NEEDS_MORE_RATINGS = 0
    CURRENTLY_RATED_HELPFUL = 1
    CURRENTLY_RATED_NOT_HELPFUL = 2
    FIRM_REJECT = 3
    NEEDS_YOUR_HELP = 4


class EnrollmentState(IntEnum):
    """``enrollmentState``; values are the reference's thrift codes (scoring-core.md §11.4)."""

    earnedIn = 0
    atRisk = 1
    earnedOutNoAcknowledge = 2
    earnedOutAcknowledged = 3
    newUser = 4
    removed = 5
    apiTestUser = 6
    apiEarnedIn = 7
    apiEarnedOut = 8
