"""The typed rows the repositories return and take: frozen dataclasses, one per record.

Naming: a stored table's record is ``<Table>Row`` (``NoteRow``, ``RatingRow``, ``PostRow``);
a read that joins several tables is named for what it answers (``NoteView``,
``RatingTarget``). Attributes are snake_case everywhere; the public TSV column names
(``noteId``, ``tweetId``, ``createdAtMillis``...) stay inside ``store``: the repositories
read them into these rows, and :meth:`NoteContent.columns` / :meth:`RatingRow.columns` turn a
row back into them for a write and its event payload. Times are ms since the epoch.

Flags stored as nullable 0/1 integers (older public dumps leave some empty) read as
``bool``, an empty value as ``False``; tag and reason columns read as the tuple of the names
set, without their column prefix, in TSV column order (``misleadingFactualError`` ->
``"FactualError"``, ``helpfulGoodSources`` -> ``"GoodSources"``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bridgewatch.model import EnrollmentState
from bridgewatch.model.columns import HELPFUL_TAGS, NOT_HELPFUL_TAGS
from bridgewatch.store.tables import MISLEADING_REASONS, NOT_MISLEADING_REASONS

__all__ = [
    "ContributorScoresRow",
    "EnrollmentRow",
    "NoteContent",
    "NoteRequestRow",
    "NoteRow",
    "NoteScoresRow",
    "NoteView",
    "PostRequestRow",
    "PostRow",
    "RatingRow",
    "RatingTarget",
    "StatusChangeRow",
    "names_set",
]


def names_set(row: Mapping[str, Any], columns: tuple[str, ...], prefix: str) -> tuple[str, ...]:
    """The names (``prefix`` removed) of the 0/1 ``columns`` set in ``row``, in column order."""
    return tuple(c.removeprefix(prefix) for c in columns if row[c])


@dataclass(frozen=True, slots=True)
class NoteContent:
    """What an author writes: a new note before it is stored (spec-extended §7.2).

    ``misleading_reasons`` / ``not_misleading_reasons`` are names of the reason columns
    without their prefix (``"FactualError"``); unknown names are not stored.
    """

    post_id: str
    classification: str
    summary: str
    misleading_reasons: tuple[str, ...] = ()
    not_misleading_reasons: tuple[str, ...] = ()
    trustworthy_sources: bool = False
    is_media_note: bool = False
    is_collaborative_note: bool = False

    def columns(self) -> dict[str, Any]:
        """The notes columns (public names) of this content; no id, author or time."""
        values: dict[str, Any] = {
            "tweetId": self.post_id,
            "classification": self.classification,
            "trustworthySources": int(self.trustworthy_sources),
            "summary": self.summary,
            "isMediaNote": int(self.is_media_note),
            "isCollaborativeNote": int(self.is_collaborative_note),
        }
        for column in MISLEADING_REASONS:
            values[column] = int(column.removeprefix("misleading") in self.misleading_reasons)
        for column in NOT_MISLEADING_REASONS:
            values[column] = int(
                column.removeprefix("notMisleading") in self.not_misleading_reasons
            )
        return values


@dataclass(frozen=True, slots=True)
class NoteRow:
    """A stored note (the ``notes`` table; ``deleted_at_ms`` set once its author deleted it)."""

    note_id: int
    author_participant_id: str
    created_at_ms: int
    post_id: str
    classification: str
    summary: str
    misleading_reasons: tuple[str, ...]
    not_misleading_reasons: tuple[str, ...]
    trustworthy_sources: bool
    is_media_note: bool
    is_collaborative_note: bool
    deleted_at_ms: int | None

    @staticmethod
    def fields_from(row: Mapping[str, Any]) -> dict[str, Any]:
        """This class's fields from a row of notes columns (public names)."""
        return {
            "note_id": int(row["noteId"]),
            "author_participant_id": row["noteAuthorParticipantId"],
            "created_at_ms": int(row["createdAtMillis"]),
            "post_id": row["tweetId"],
            "classification": row["classification"],
            "summary": row["summary"],
            "misleading_reasons": names_set(row, MISLEADING_REASONS, "misleading"),
            "not_misleading_reasons": names_set(row, NOT_MISLEADING_REASONS, "notMisleading"),
            "trustworthy_sources": bool(row["trustworthySources"]),
            "is_media_note": bool(row["isMediaNote"]),
            "is_collaborative_note": bool(row["isCollaborativeNote"]),
            "deleted_at_ms": row["deleted_at_ms"],
        }


@dataclass(frozen=True, slots=True)
class NoteView(NoteRow):
    """A note as readers see it: the stored note with its published status, the rule that
    decided it, its explanation tags, its Core intercept and its number of ratings."""

    status: str
    decided_by: str | None
    locked_status: str | None
    first_tag: str | None
    second_tag: str | None
    core_note_intercept: float | None
    num_ratings: int


@dataclass(frozen=True, slots=True)
class RatingRow:
    """A rating (the ``ratings`` table; one per rater per note, spec-extended §7.3).

    ``helpful_tags`` / ``not_helpful_tags`` are the sets of tag names without their column
    prefix (``"GoodSources"``); names of no TSV column are not stored.
    """

    note_id: int
    rater_participant_id: str
    created_at_ms: int
    helpfulness_level: str | None
    helpful_tags: frozenset[str] = frozenset()
    not_helpful_tags: frozenset[str] = frozenset()
    rated_on_post_id: str | None = None
    rating_source: str | None = None

    @classmethod
    def from_columns(cls, row: Mapping[Any, Any]) -> RatingRow:  # Any: a row mapping
        """The rating of a row of ratings columns (public names)."""
        return cls(
            note_id=int(row["noteId"]),
            rater_participant_id=row["raterParticipantId"],
            created_at_ms=int(row["createdAtMillis"]),
            helpfulness_level=row["helpfulnessLevel"],
            helpful_tags=frozenset(names_set(row, HELPFUL_TAGS, "helpful")),
            not_helpful_tags=frozenset(names_set(row, NOT_HELPFUL_TAGS, "notHelpful")),
            rated_on_post_id=row["ratedOnTweetId"],
            rating_source=row["ratingSourceBucketed"],
        )

    def columns(self) -> dict[str, Any]:
        """Every ratings column (public names) of this rating as the platform writes it:
        version 2, the legacy agree/disagree/helpful/notHelpful fields 0, no suggestion."""
        # The rating path's hot spot: a copy of the constant columns, then the tags set.
        values = {
            **_PLATFORM_RATING,
            "noteId": self.note_id,
            "raterParticipantId": self.rater_participant_id,
            "createdAtMillis": self.created_at_ms,
            "helpfulnessLevel": self.helpfulness_level,
            "ratedOnTweetId": self.rated_on_post_id,
            "ratingSourceBucketed": self.rating_source,
        }
        for tag in self.helpful_tags:
            if (column := _HELPFUL_COLUMN.get(tag)) is not None:
                values[column] = 1
        for tag in self.not_helpful_tags:
            if (column := _NOT_HELPFUL_COLUMN.get(tag)) is not None:
                values[column] = 1
        return values


# The ratings columns every platform rating has alike (tags unset), and tag -> column.
_PLATFORM_RATING: dict[str, Any] = {
    "version": 2,
    "agree": 0,
    "disagree": 0,
    "helpful": 0,
    "notHelpful": 0,
    "suggestion": None,
    "suggestionId": None,
    **dict.fromkeys(HELPFUL_TAGS, 0),
    **dict.fromkeys(NOT_HELPFUL_TAGS, 0),
}
_HELPFUL_COLUMN = {c.removeprefix("helpful"): c for c in HELPFUL_TAGS}
_NOT_HELPFUL_COLUMN = {c.removeprefix("notHelpful"): c for c in NOT_HELPFUL_TAGS}


@dataclass(frozen=True, slots=True)
class RatingTarget:
    """The note about to be rated, and the rater's recent rating events (what the rating
    rate limit counts)."""

    note_id: int
    author_participant_id: str
    deleted_at_ms: int | None
    recent_events: int


@dataclass(frozen=True, slots=True)
class PostRow:
    """A platform's post that notes are written on (the ``posts`` table)."""

    post_id: str
    author_id: str | None
    text: str | None
    url: str | None
    created_at_ms: int


@dataclass(frozen=True, slots=True)
class NoteRequestRow:
    """A participant's request for a note on a post (the ``note_requests`` table)."""

    post_id: str
    requester_participant_id: str
    created_at_ms: int
    source_link: str | None
    suggestion: str | None


@dataclass(frozen=True, slots=True)
class PostRequestRow:
    """A note request as a post's public listing shows it (no requester; ``imported``: it
    came from a public dump)."""

    created_at_ms: int
    source_link: str | None
    suggestion: str | None
    imported: bool


@dataclass(frozen=True, slots=True)
class NoteScoresRow:
    """The scorer's trace behind a note's status for the latest run (``note_scores``;
    scoring-core.md §11.1). The rule lists are the scorer's text, as stored."""

    note_id: int
    scored_at_ms: int
    final_rating_status: str
    decided_by: str | None
    first_tag: str | None
    second_tag: str | None
    core_note_intercept: float | None
    core_note_factor1: float | None
    core_note_intercept_min: float | None
    core_note_intercept_max: float | None
    core_rating_status: str | None
    core_active_rules: str | None
    meta_scorer_active_rules: str | None
    active_filter_tags: str | None
    num_ratings: int | None
    core_num_final_round_ratings: int | None
    scorer_views: str | None = None
    """Every scorer's view of the note, JSON (``pipeline.views``)."""
    hold_reason: str | None = None
    """Why the live worker holds the note's status until the next refit, if it does."""
    held_since_ms: int | None = None


@dataclass(frozen=True, slots=True)
class StatusChangeRow:
    """One change of a note's published status (``note_status_changes``)."""

    changed_at_ms: int
    status: str
    decided_by: str | None


@dataclass(frozen=True, slots=True)
class EnrollmentRow:
    """A participant's userEnrollment record (spec-extended §2.1)."""

    participant_id: str
    enrollment_state: EnrollmentState
    successful_rating_needed_to_earn_in: int
    timestamp_of_last_state_change: int | None
    timestamp_of_last_earn_out: int
    modeling_population: str | None
    modeling_group: int | None
    number_of_times_earned_out: int


@dataclass(frozen=True, slots=True)
class ContributorScoresRow:
    """A contributor's figures from the scorer's contributor phase (``contributor_scores``;
    scoring-core.md §11.4)."""

    participant_id: str
    scored_at_ms: int
    core_rater_intercept: float | None
    core_rater_factor1: float | None
    successful_rating_helpful_count: int
    successful_rating_not_helpful_count: int
    unsuccessful_rating_helpful_count: int
    unsuccessful_rating_not_helpful_count: int
    ratings_awaiting_more_ratings: int
    notes_currently_rated_helpful: int
    notes_currently_rated_not_helpful: int
    notes_awaiting_more_ratings: int
    aggregate_rating_received_total: int
    above_helpfulness_threshold: bool | None
