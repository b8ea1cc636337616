"""Domain types: ids, enums, typed records and id <-> row index maps."""

from bridgewatch.model.dataset import Dataset, SkippedRow
from bridgewatch.model.enums import (
    Classification,
    EnrollmentState,
    HelpfulnessLevel,
    NoteStatus,
    RatingSource,
)
from bridgewatch.model.ids import IdIndex
from bridgewatch.model.ratings import Ratings

__all__ = [
    "Classification",
    "Dataset",
    "EnrollmentState",
    "HelpfulnessLevel",
    "IdIndex",
    "NoteStatus",
    "RatingSource",
    "Ratings",
    "SkippedRow",
]
