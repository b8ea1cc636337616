"""The public files' column names, now in :mod:`bridgewatch.model.columns` (the scoring
kernels read them too, and ``scoring`` does not import ``io``). This alias keeps the
``bridgewatch.io.columns`` import path of the public API (``tests/io/test_public_api.py``)."""

from __future__ import annotations

from bridgewatch.model.columns import (
    HELPFUL_TAGS,
    NOT_HELPFUL_TAGS,
    NOTE_STATUS_HISTORY_COLUMNS,
    NOTES_COLUMNS,
    RATINGS_COLUMNS,
    USER_ENROLLMENT_COLUMNS,
)

__all__ = [
    "HELPFUL_TAGS",
    "NOTES_COLUMNS",
    "NOTE_STATUS_HISTORY_COLUMNS",
    "NOT_HELPFUL_TAGS",
    "RATINGS_COLUMNS",
    "USER_ENROLLMENT_COLUMNS",
]
