"""Request and response bodies of the HTTP API (JSON keys in camelCase, as the public files)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from pydantic.alias_generators import to_camel

__all__ = [
    "ClassificationName",
    "ContributorProfile",
    "EnrollmentPublic",
    "ErrorBody",
    "ErrorDetail",
    "HelpfulTag",
    "HelpfulnessLevelName",
    "ImpactPublic",
    "MisleadingReason",
    "NotHelpfulTag",
    "NotMisleadingReason",
    "NoteCreate",
    "NoteDetails",
    "NoteHold",
    "NotePublic",
    "NoteRequestCreate",
    "NoteRequestPublic",
    "NoteScoring",
    "NotesPage",
    "ParticipantCreated",
    "ParticipantPublic",
    "PendingRatings",
    "PostCreate",
    "PostNotes",
    "PostPublic",
    "RatingCreate",
    "RatingPublic",
    "ScorerView",
    "SessionCreated",
    "StatusChange",
    "Text",
    "WritingAbility",
]

ClassificationName = Literal["MISINFORMED_OR_POTENTIALLY_MISLEADING", "NOT_MISLEADING"]
HelpfulnessLevelName = Literal["HELPFUL", "SOMEWHAT_HELPFUL", "NOT_HELPFUL"]
MisleadingReason = Literal[
    "Other",
    "FactualError",
    "ManipulatedMedia",
    "OutdatedInformation",
    "MissingImportantContext",
    "UnverifiedClaimAsFact",
    "Satire",
]
NotMisleadingReason = Literal[
    "Other", "FactuallyCorrect", "OutdatedButNotWhenWritten", "ClearlySatire", "PersonalOpinion"
]
# The rating form's tags (spec-extended §7.3); stored in the matching public TSV columns.
HelpfulTag = Literal[
    "Clear", "GoodSources", "AddressesClaim", "ImportantContext", "UnbiasedLanguage", "Other"
]
NotHelpfulTag = Literal[
    "Incorrect",
    "SourcesMissingOrUnreliable",
    "IrrelevantSources",
    "OpinionSpeculation",
    "HardToUnderstand",
    "MissingKeyPoints",
    "ArgumentativeOrBiased",
    "NoteNotNeeded",
    "SpamHarassmentOrAbuse",
    "Other",
]


def _no_nul(value: str) -> str:
    # PostgreSQL text cannot hold NUL; refuse it on every backend alike.
    if "\x00" in value:
        raise ValueError("NUL characters are not allowed")
    return value


Text = Annotated[str, AfterValidator(_no_nul)]
_Id = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")


class _Body(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True
    )


class ErrorDetail(_Body):
    """One problem with a request: where (``field``, a dotted path) and why."""

    field: str | None
    reason: str


class ErrorBody(_Body):
    """Every 4xx body: an error code, a message and the offending fields."""

    error: str
    message: str
    details: list[ErrorDetail] = Field(default_factory=list)


class ParticipantPublic(_Body):
    """A contributor as everyone sees them: pseudonymous id and alias."""

    participant_id: str
    alias: str
    joined_at_millis: int


class ParticipantCreated(_Body):
    """Answer to joining: the new participant and a session token for the web app."""

    participant: ParticipantPublic
    session_token: str
    expires_at_millis: int


class SessionCreated(_Body):
    """A session token issued to a participant (by a trusted integration)."""

    participant_id: str
    session_token: str
    expires_at_millis: int


class EnrollmentPublic(_Body):
    """The public userEnrollment record (spec-extended §2.1)."""

    enrollment_state: str
    successful_rating_needed_to_earn_in: int
    timestamp_of_last_state_change: int | None
    timestamp_of_last_earn_out: int
    modeling_population: str | None
    modeling_group: int | None
    number_of_times_earned_out: int


class ImpactPublic(_Body):
    """Writing and Rating Impact with their parts (spec-extended §2.3, §2.4)."""

    rating_impact: int
    successful_rating_total: int
    unsuccessful_rating_total: int
    ratings_awaiting_more_ratings: int
    writing_impact: int
    notes_currently_rated_helpful: int
    notes_currently_rated_not_helpful: int
    notes_awaiting_more_ratings: int
    hit_rate: float
    is_top_writer: bool
    scored_at_millis: int | None


class WritingAbility(_Body):
    """Whether the participant can write notes and, if not, what they still need."""

    can_write: bool
    can_rate: bool
    rating_impact_needed: int
    daily_note_limit: int
    reason: str


class ContributorProfile(_Body):
    """A contributor's public profile: alias, enrollment, impact and writing ability."""

    participant: ParticipantPublic
    enrollment: EnrollmentPublic
    impact: ImpactPublic
    writing_ability: WritingAbility
    notes_written: int
    ratings_given: int


class PostCreate(_Body):
    """A platform's post that notes can be written on."""

    post_id: str = _Id
    author_id: Text | None = Field(default=None, max_length=128)
    text: Text | None = Field(default=None, max_length=20_000)
    url: str | None = Field(default=None, max_length=2048, pattern=r"^https?://\S+$")


class PostPublic(_Body):
    """A stored post."""

    post_id: str
    author_id: str | None
    text: str | None
    url: str | None
    created_at_millis: int
    request_count: int = Field(
        default=0,
        description="note requests on the post: each made here, and one per requested post"
        " imported from a public dump (which does not publish the requesters)",
    )


class NoteCreate(_Body):
    """The note-writing form (spec-extended §7.2); the author comes from authentication.

    A misleading note needs at least one misleading reason and a source link (a URL in the
    summary); a not-misleading note needs at least one not-misleading reason.
    """

    post_id: str = _Id
    classification: ClassificationName
    misleading_reasons: list[MisleadingReason] = Field(
        default_factory=list, max_length=7, validate_default=True
    )
    not_misleading_reasons: list[NotMisleadingReason] = Field(
        default_factory=list, max_length=5, validate_default=True
    )
    trustworthy_sources: bool
    summary: Text = Field(min_length=1, max_length=2000)
    is_media_note: bool = False

    @field_validator("misleading_reasons")
    @classmethod
    def _misleading_reasons_match(cls, value: list[str], info: ValidationInfo) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("a reason is listed twice")
        classification = info.data.get("classification")
        if classification == "NOT_MISLEADING" and value:
            raise ValueError("a NOT_MISLEADING note takes no misleading reasons")
        if classification == "MISINFORMED_OR_POTENTIALLY_MISLEADING" and not value:
            raise ValueError("a misleading note needs at least one misleading reason")
        return value

    @field_validator("not_misleading_reasons")
    @classmethod
    def _not_misleading_reasons_match(cls, value: list[str], info: ValidationInfo) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("a reason is listed twice")
        classification = info.data.get("classification")
        if classification == "MISINFORMED_OR_POTENTIALLY_MISLEADING" and value:
            raise ValueError("a misleading note takes no not-misleading reasons")
        if classification == "NOT_MISLEADING" and not value:
            raise ValueError("a NOT_MISLEADING note needs at least one not-misleading reason")
        return value


class NotePublic(_Body):
    """A note with its current status and explanation tags."""

    note_id: str
    note_author_participant_id: str
    created_at_millis: int
    post_id: str
    classification: ClassificationName
    misleading_reasons: list[str]
    not_misleading_reasons: list[str]
    trustworthy_sources: bool
    summary: str
    is_media_note: bool
    is_collaborative_note: bool
    deleted: bool
    status: str
    first_tag: str | None
    second_tag: str | None
    num_ratings: int


class StatusChange(_Body):
    """One entry of a note's status history."""

    changed_at_millis: int
    status: str
    decided_by: str | None


class ScorerView(_Body):
    """One scorer's view of a note (scoring-multimodel.md §9.1): its status and figures."""

    scorer: str
    family: str
    status: str | None
    intercept: float | None
    factor: float | None
    active_rules: str | None
    held: str | None = Field(
        default=None,
        description="Why this scorer's figures stay at the last full refit between refits",
    )


class NoteHold(_Body):
    """The note's recent ratings look coordinated: its helpful status (or its absence) is
    held until the next full refit decides."""

    reason: str
    since_millis: int


class NoteScoring(_Body):
    """The rule and figures behind a note's status (scoring-core.md §11.1, §11.3), every
    scorer's view of it, and the live hold if any."""

    scored_at_millis: int
    final_rating_status: str
    decided_by: str | None
    core_rating_status: str | None
    core_active_rules: str | None
    meta_scorer_active_rules: str | None
    active_filter_tags: str | None
    core_note_intercept: float | None
    core_note_factor1: float | None
    core_note_intercept_min: float | None
    core_note_intercept_max: float | None
    num_ratings: int | None
    core_num_final_round_ratings: int | None
    scorers: list[ScorerView] = Field(default_factory=list)
    hold: NoteHold | None = None


class PendingRatings(_Body):
    """Ratings by raters the last full refit does not know: they wait for the next one."""

    ratings: int
    next_refit_at_millis: int
    message: str


class NoteDetails(_Body):
    """A note, the decision behind its status and its status history."""

    note: NotePublic
    decided_by: str | None
    locked_status: str | None
    scoring: NoteScoring | None
    status_history: list[StatusChange]
    pending: PendingRatings | None = None


class NotesPage(_Body):
    """One page of a timeline; pass ``nextCursor`` as ``cursor`` for the next page."""

    items: list[NotePublic]
    next_cursor: str | None


class PostNotes(_Body):
    """A post and the notes on it (NMR by recency, decided notes by helpfulness)."""

    post: PostPublic
    notes: list[NotePublic]
    request_count: int


class RatingCreate(_Body):
    """The rating form (spec-extended §7.3); the rater comes from authentication.

    Helpful tags go with HELPFUL or SOMEWHAT_HELPFUL, not-helpful tags with NOT_HELPFUL or
    SOMEWHAT_HELPFUL. ``ratingSource`` POPULATION_SAMPLED is reserved to integrations.
    """

    helpfulness_level: HelpfulnessLevelName
    helpful_tags: list[HelpfulTag] = Field(
        default_factory=list, max_length=6, validate_default=True
    )
    not_helpful_tags: list[NotHelpfulTag] = Field(
        default_factory=list, max_length=10, validate_default=True
    )
    rated_on_post_id: str | None = Field(default=None, min_length=1, max_length=64)
    rating_source: Literal["DEFAULT", "POPULATION_SAMPLED"] = "DEFAULT"

    @field_validator("helpful_tags")
    @classmethod
    def _helpful_tags_match(cls, value: list[str], info: ValidationInfo) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("a tag is listed twice")
        if value and info.data.get("helpfulness_level") == "NOT_HELPFUL":
            raise ValueError("a NOT_HELPFUL rating takes no helpful tags")
        return value

    @field_validator("not_helpful_tags")
    @classmethod
    def _not_helpful_tags_match(cls, value: list[str], info: ValidationInfo) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("a tag is listed twice")
        if value and info.data.get("helpfulness_level") == "HELPFUL":
            raise ValueError("a HELPFUL rating takes no not-helpful tags")
        return value


class RatingPublic(_Body):
    """A stored rating."""

    note_id: str
    rater_participant_id: str
    created_at_millis: int
    helpfulness_level: HelpfulnessLevelName
    helpful_tags: list[str]
    not_helpful_tags: list[str]
    rated_on_post_id: str | None
    rating_source: str
    replaced: bool


class NoteRequestCreate(_Body):
    """A request for a note on a post (spec-extended §6.1)."""

    source_link: str | None = Field(default=None, max_length=2048, pattern=r"^https?://\S+$")
    suggestion: Text | None = Field(default=None, max_length=1000)


class NoteRequestListed(_Body):
    """A note request as anyone may see it (without the requester, as in the public
    export). ``imported``: loaded from a public dump, one per requested post; such a
    request's ``source_link`` is the post's comma-separated links and ``suggestion`` the
    published JSON array."""

    created_at_millis: int
    source_link: str | None
    suggestion: str | None
    imported: bool


class NoteRequestsOnPost(_Body):
    """The note requests on a post, oldest first."""

    post_id: str
    request_count: int
    requests: list[NoteRequestListed]


class NoteRequestPublic(_Body):
    """A stored note request."""

    post_id: str
    requester_participant_id: str
    created_at_millis: int
    source_link: str | None
    suggestion: str | None
