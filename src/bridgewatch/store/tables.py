"""Every database table bridgewatch stores, in one ``MetaData`` (SQLAlchemy Core).

The service's tables, the real-time pipeline's (consumer offsets, refits, ratings waiting for
a refit, webhooks and their deliveries) and the web app's accounts. The packaged Alembic
migrations (:mod:`bridgewatch.store.migrations`) create them;
``tests/store/test_migrations.py`` checks that the migrated schema matches these definitions.

Tables holding public data use the public column names of their TSV file (scoring-core.md
§2.1, §11.3), so a dump row and a table row are the same record and import/export is a
rename-free copy. Service-only tables use snake_case.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from bridgewatch.model.columns import HELPFUL_TAGS, NOT_HELPFUL_TAGS

__all__ = [
    "MISLEADING_REASONS",
    "NOT_MISLEADING_REASONS",
    "PIPELINE_TABLES",
    "WEB_TABLES",
    "api_key_participants",
    "api_keys",
    "auth_attempts",
    "contributor_scores",
    "enrollment",
    "events",
    "idempotency_keys",
    "metadata",
    "note_requests",
    "note_scores",
    "note_status_changes",
    "note_status_history",
    "notes",
    "participants",
    "pipeline_offsets",
    "pipeline_pending",
    "pipeline_refit_chunks",
    "pipeline_refits",
    "posts",
    "ratings",
    "session_tokens",
    "web_accounts",
    "webhook_deliveries",
    "webhook_endpoints",
]

# Autoincrementing 64-bit keys: SQLite only autoincrements INTEGER PRIMARY KEY.
_BigId = BigInteger().with_variant(Integer(), "sqlite")

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

MISLEADING_REASONS: tuple[str, ...] = (
    "misleadingOther",
    "misleadingFactualError",
    "misleadingManipulatedMedia",
    "misleadingOutdatedInformation",
    "misleadingMissingImportantContext",
    "misleadingUnverifiedClaimAsFact",
    "misleadingSatire",
)
NOT_MISLEADING_REASONS: tuple[str, ...] = (
    "notMisleadingOther",
    "notMisleadingFactuallyCorrect",
    "notMisleadingOutdatedButNotWhenWritten",
    "notMisleadingClearlySatire",
    "notMisleadingPersonalOpinion",
)

participants = Table(
    "participants",
    metadata,
    Column("participantId", String(64), primary_key=True),
    Column("alias", String(64), nullable=False, unique=True),
    Column("created_at_ms", BigInteger, nullable=False),
    Column("is_api_writer", Boolean, nullable=False, default=False),
)

# userEnrollment: one row per participant (spec-extended §2.1). enrollmentState is the
# integer code of bridgewatch.model.EnrollmentState.
enrollment = Table(
    "enrollment",
    metadata,
    Column(
        "participantId",
        String(64),
        ForeignKey("participants.participantId", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("enrollmentState", SmallInteger, nullable=False),
    Column("successfulRatingNeededToEarnIn", Integer, nullable=False),
    Column("timestampOfLastStateChange", BigInteger, nullable=True),
    Column("timestampOfLastEarnOut", BigInteger, nullable=False),
    Column("modelingPopulation", String(32), nullable=True),
    Column("modelingGroup", Integer, nullable=True),
    Column("numberOfTimesEarnedOut", Integer, nullable=False),
    # When the establishment clock starts (``bridgewatch.scoring.reputation
    # .established_raters``): ``timestampOfLastStateChange`` as the platform first recorded
    # the row (import or sign-up). Scoring's own state changes rewrite that column, never
    # this one, so the established set does not depend on how often scoring ran. NULL:
    # ``timestampOfLastStateChange``.
    Column("enrolledSinceMillis", BigInteger, nullable=True),
)

posts = Table(
    "posts",
    metadata,
    Column("post_id", String(64), primary_key=True),
    Column("author_id", String(128), nullable=True),
    Column("text", Text, nullable=True),
    Column("url", String(2048), nullable=True),
    Column("created_at_ms", BigInteger, nullable=False),
)

notes = Table(
    "notes",
    metadata,
    Column("noteId", BigInteger, primary_key=True, autoincrement=False),
    Column(
        "noteAuthorParticipantId",
        String(64),
        ForeignKey("participants.participantId"),
        nullable=False,
    ),
    Column("createdAtMillis", BigInteger, nullable=False),
    Column("tweetId", String(64), ForeignKey("posts.post_id"), nullable=False),
    Column("classification", String(48), nullable=False),
    Column("believable", String(32), nullable=True),
    Column("harmful", String(32), nullable=True),
    Column("validationDifficulty", String(32), nullable=True),
    # 0/1 flags; nullable because older public dumps leave some empty (kept as given).
    *[Column(name, SmallInteger, nullable=True) for name in MISLEADING_REASONS],
    *[Column(name, SmallInteger, nullable=True) for name in NOT_MISLEADING_REASONS],
    Column("trustworthySources", SmallInteger, nullable=True),
    Column("summary", Text, nullable=False),
    Column("isMediaNote", SmallInteger, nullable=True),
    Column("isCollaborativeNote", SmallInteger, nullable=True),
    # Deleted notes keep their row (ratings and status history still count, spec-extended
    # §7.2) but leave the public notes export.
    Column("deleted_at_ms", BigInteger, nullable=True),
    Index("ix_notes_tweetId_createdAtMillis", "tweetId", "createdAtMillis"),
    Index("ix_notes_createdAtMillis_noteId", "createdAtMillis", "noteId"),
    Index("ix_notes_author_createdAtMillis", "noteAuthorParticipantId", "createdAtMillis"),
)

ratings = Table(
    "ratings",
    metadata,
    Column("noteId", BigInteger, ForeignKey("notes.noteId"), primary_key=True),
    Column(
        "raterParticipantId",
        String(64),
        ForeignKey("participants.participantId"),
        primary_key=True,
    ),
    Column("createdAtMillis", BigInteger, nullable=False),
    # Legacy and tag columns are nullable: older public dumps leave some empty.
    Column("version", SmallInteger, nullable=True),
    Column("agree", SmallInteger, nullable=True),
    Column("disagree", SmallInteger, nullable=True),
    Column("helpful", SmallInteger, nullable=True),
    Column("notHelpful", SmallInteger, nullable=True),
    Column("helpfulnessLevel", String(24), nullable=True),
    *[Column(name, SmallInteger, nullable=True) for name in HELPFUL_TAGS],
    *[Column(name, SmallInteger, nullable=True) for name in NOT_HELPFUL_TAGS],
    Column("ratedOnTweetId", String(64), nullable=True),
    Column("ratingSourceBucketed", String(24), nullable=True),
    Column("suggestion", Text, nullable=True),
    Column("suggestionId", String(64), nullable=True),
    Index("ix_ratings_rater_createdAtMillis", "raterParticipantId", "createdAtMillis"),
)

# The public 24-column note status history, one row per note ever scored (scoring-core.md
# §11.3). Filled by the scorer / real-time worker; the API only reads it.
note_status_history = Table(
    "note_status_history",
    metadata,
    Column("noteId", BigInteger, primary_key=True, autoincrement=False),
    Column("noteAuthorParticipantId", String(64), nullable=False),
    Column("createdAtMillis", BigInteger, nullable=False),
    Column("timestampMillisOfFirstNonNMRStatus", BigInteger, nullable=True),
    Column("firstNonNMRStatus", String(48), nullable=True),
    Column("timestampMillisOfCurrentStatus", BigInteger, nullable=True),
    Column("currentStatus", String(48), nullable=True),
    Column("timestampMillisOfLatestNonNMRStatus", BigInteger, nullable=True),
    Column("mostRecentNonNMRStatus", String(48), nullable=True),
    Column("timestampMillisOfStatusLock", BigInteger, nullable=True),
    Column("lockedStatus", String(48), nullable=True),
    Column("timestampMillisOfRetroLock", BigInteger, nullable=True),
    Column("currentCoreStatus", String(48), nullable=True),
    Column("currentExpansionStatus", String(48), nullable=True),
    Column("currentGroupStatus", String(48), nullable=True),
    Column("currentDecidedBy", String(64), nullable=True),
    Column("currentModelingGroup", Integer, nullable=True),
    Column("timestampMillisOfMostRecentStatusChange", BigInteger, nullable=True),
    Column("timestampMillisOfNmrDueToMinStableCrhTime", BigInteger, nullable=True),
    Column("currentMultiGroupStatus", String(48), nullable=True),
    Column("currentModelingMultiGroup", Integer, nullable=True),
    Column("timestampMinuteOfFinalScoringOutput", BigInteger, nullable=True),
    Column("timestampMillisOfFirstNmrDueToMinStableCrhTime", BigInteger, nullable=True),
    Column("abovePcrhThresholdTime", BigInteger, nullable=True),
    Index("ix_note_status_history_currentStatus", "currentStatus"),
)

# Append-only log of status changes: the "status history" shown on a note's page.
note_status_changes = Table(
    "note_status_changes",
    metadata,
    Column("id", _BigId, primary_key=True, autoincrement=True),
    Column("note_id", BigInteger, nullable=False),
    Column("changed_at_ms", BigInteger, nullable=False),
    Column("status", String(48), nullable=False),
    Column("decided_by", String(64), nullable=True),
    Index("ix_note_status_changes_note_id_changed_at_ms", "note_id", "changed_at_ms"),
)

# The rule trace behind a note's status: the essential scored_notes columns (scoring-core.md
# §11.1), written by the scorer for the latest run.
note_scores = Table(
    "note_scores",
    metadata,
    Column("note_id", BigInteger, primary_key=True, autoincrement=False),
    Column("scored_at_ms", BigInteger, nullable=False),
    Column("final_rating_status", String(48), nullable=False),
    Column("decided_by", String(64), nullable=True),
    Column("first_tag", String(64), nullable=True),
    Column("second_tag", String(64), nullable=True),
    Column("core_note_intercept", Float, nullable=True),
    Column("core_note_factor1", Float, nullable=True),
    Column("core_note_intercept_min", Float, nullable=True),
    Column("core_note_intercept_max", Float, nullable=True),
    Column("core_rating_status", String(48), nullable=True),
    Column("core_active_rules", Text, nullable=True),
    Column("meta_scorer_active_rules", Text, nullable=True),
    Column("active_filter_tags", Text, nullable=True),
    Column("num_ratings", Integer, nullable=True),
    Column("core_num_final_round_ratings", Integer, nullable=True),
    # Every scorer's view of the note (JSON, ``pipeline.views``), and the worker's hold on a
    # status change while the note's recent ratings look coordinated (until the next refit).
    Column("scorer_views", Text, nullable=True),
    Column("hold_reason", Text, nullable=True),
    Column("held_since_ms", BigInteger, nullable=True),
)

# Per-contributor figures from the contributor phase (scoring-core.md §11.4).
contributor_scores = Table(
    "contributor_scores",
    metadata,
    Column("participant_id", String(64), primary_key=True),
    Column("scored_at_ms", BigInteger, nullable=False),
    Column("core_rater_intercept", Float, nullable=True),
    Column("core_rater_factor1", Float, nullable=True),
    Column("successful_rating_helpful_count", Integer, nullable=False, default=0),
    Column("successful_rating_not_helpful_count", Integer, nullable=False, default=0),
    Column("unsuccessful_rating_helpful_count", Integer, nullable=False, default=0),
    Column("unsuccessful_rating_not_helpful_count", Integer, nullable=False, default=0),
    Column("ratings_awaiting_more_ratings", Integer, nullable=False, default=0),
    Column("notes_currently_rated_helpful", Integer, nullable=False, default=0),
    Column("notes_currently_rated_not_helpful", Integer, nullable=False, default=0),
    Column("notes_awaiting_more_ratings", Integer, nullable=False, default=0),
    Column("aggregate_rating_received_total", Integer, nullable=False, default=0),
    Column("above_helpfulness_threshold", Boolean, nullable=True),
)

note_requests = Table(
    "note_requests",
    metadata,
    Column("id", _BigId, primary_key=True, autoincrement=True),
    Column("post_id", String(64), ForeignKey("posts.post_id"), nullable=False),
    # NULL for a request imported from a public dump, which does not name requesters
    # (one imported row per requested post, with the public row's feed times).
    Column(
        "requester_participant_id",
        String(64),
        ForeignKey("participants.participantId"),
        nullable=True,
    ),
    Column("created_at_ms", BigInteger, nullable=False),
    # One URL for a request made here; the comma-separated list of an imported row.
    Column("source_link", Text, nullable=True),
    Column("suggestion", Text, nullable=True),
    # When the post became eligible for the in-app requests feed and the API small, large
    # and xl feeds (scoring-extended.md §6.1); -1 never; NULL for requests made here.
    Column("feed_eligible_at_ms", BigInteger, nullable=True),
    Column("api_small_feed_eligible_at_ms", BigInteger, nullable=True),
    Column("api_large_feed_eligible_at_ms", BigInteger, nullable=True),
    Column("api_xl_feed_eligible_at_ms", BigInteger, nullable=True),
    UniqueConstraint("post_id", "requester_participant_id"),
    Index("ix_note_requests_requester_created", "requester_participant_id", "created_at_ms"),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", _BigId, primary_key=True, autoincrement=True),
    Column("name", String(128), nullable=False, unique=True),
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("scopes", String(512), nullable=False),
    Column("created_at_ms", BigInteger, nullable=False),
    Column("revoked_at_ms", BigInteger, nullable=True),
)

# The participants a key may act for, if the operator restricted it (no row: any).
api_key_participants = Table(
    "api_key_participants",
    metadata,
    Column("key_id", _BigId, ForeignKey("api_keys.id", ondelete="CASCADE"), primary_key=True),
    Column("participant_id", String(64), primary_key=True),
)

# Recent log-in and sign-up attempts per throttled subject (usecases.throttle): a scope
# (``login-account``, ``login-address``, ``signup-address``) and a username or address.
auth_attempts = Table(
    "auth_attempts",
    metadata,
    Column("id", _BigId, primary_key=True, autoincrement=True),
    Column("scope", String(16), nullable=False),
    Column("subject", String(160), nullable=False),
    Column("created_at_ms", BigInteger, nullable=False),
    Index("ix_auth_attempts_scope_subject_created", "scope", "subject", "created_at_ms"),
    Index("ix_auth_attempts_created", "created_at_ms"),
)

session_tokens = Table(
    "session_tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column(
        "participant_id",
        String(64),
        ForeignKey("participants.participantId", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("created_at_ms", BigInteger, nullable=False),
    Column("expires_at_ms", BigInteger, nullable=False),
)

# Transactional outbox: every write appends here in the same transaction as its data change.
events = Table(
    "events",
    metadata,
    Column("id", _BigId, primary_key=True, autoincrement=True),
    Column("created_at_ms", BigInteger, nullable=False),
    Column("event_type", String(48), nullable=False),
    Column("actor_participant_id", String(64), nullable=True),
    Column("entity_id", String(128), nullable=False),
    Column("payload", Text, nullable=False),
    Index("ix_events_actor_type_created", "actor_participant_id", "event_type", "created_at_ms"),
)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("principal", String(160), primary_key=True),
    Column("key", String(255), primary_key=True),
    Column("request_hash", String(64), nullable=False),
    Column("status_code", SmallInteger, nullable=False),
    Column("response_body", Text, nullable=False),
    Column("created_at_ms", BigInteger, nullable=False),
    CheckConstraint("status_code >= 200 AND status_code < 300", name="success_only"),
)

# --- The real-time pipeline: consumer offsets, refits, ratings waiting for a refit,
# webhooks and their delivery log.

# One row per consumer ("worker", "webhooks"): the id of the last event whose effects are
# committed. Updated in the same transaction as the effects.
pipeline_offsets = Table(
    "pipeline_offsets",
    metadata,
    Column("consumer", String(64), primary_key=True),
    Column("last_event_id", BigInteger, nullable=False),
    Column("updated_at_ms", BigInteger, nullable=False),
    Column("last_refit_at_ms", BigInteger, nullable=True),
)

# Full refits, newest last: every worker scores with the newest one, so all workers give the
# same statuses. ``payload`` is the pickled refit (prescoring arrays, id indexes, fit cache),
# written and read only by the workers.
pipeline_refits = Table(
    "pipeline_refits",
    metadata,
    Column("id", _BigId, primary_key=True, autoincrement=True),
    Column("created_at_ms", BigInteger, nullable=False),
    Column("snapshot_offset", BigInteger, nullable=False),
    Column("payload", LargeBinary, nullable=False),
)

# A refit's payload in pieces (revision 0007): PostgreSQL reads no single value of 1 GB or
# more (a bytea's text form is twice its size), and a refit at 1M ratings is ~0.5 GB. Rows
# stored since 0007 keep an empty ``pipeline_refits.payload`` and their bytes here in
# ``seq`` order; older rows keep theirs inline.
pipeline_refit_chunks = Table(
    "pipeline_refit_chunks",
    metadata,
    Column(
        "refit_id",
        _BigId,
        ForeignKey("pipeline_refits.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("seq", Integer, primary_key=True),
    Column("data", LargeBinary, nullable=False),
)

# Notes with ratings by raters the last refit does not know: those ratings wait for the next
# refit (expected at ``next_refit_at_ms``). Rewritten at each refit, kept current by the
# worker's passes for the notes they touch; no row: nothing waits.
pipeline_pending = Table(
    "pipeline_pending",
    metadata,
    Column("note_id", BigInteger, primary_key=True, autoincrement=False),
    Column("pending_ratings", Integer, nullable=False),
    Column("next_refit_at_ms", BigInteger, nullable=False),
    Column("updated_at_ms", BigInteger, nullable=False),
)

webhook_endpoints = Table(
    "webhook_endpoints",
    metadata,
    Column("id", _BigId, primary_key=True, autoincrement=True),
    Column("url", String(2048), nullable=False),
    Column("secret", String(256), nullable=False),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at_ms", BigInteger, nullable=False),
)

# One row per (endpoint, event): state pending -> delivered | failed, with the attempts.
webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("id", _BigId, primary_key=True, autoincrement=True),
    Column("endpoint_id", BigInteger, nullable=False),
    Column("event_id", BigInteger, nullable=False),
    Column("state", String(16), nullable=False),
    Column("attempts", SmallInteger, nullable=False, default=0),
    Column("next_attempt_at_ms", BigInteger, nullable=False),
    Column("last_status_code", SmallInteger, nullable=True),
    Column("last_error", Text, nullable=True),
    Column("delivered_at_ms", BigInteger, nullable=True),
    Index("ix_webhook_deliveries_state_next", "state", "next_attempt_at_ms"),
    Index("uq_webhook_deliveries_endpoint_event", "endpoint_id", "event_id", unique=True),
)

# Web accounts: a username and a scrypt-hashed password bound to a participant (the web app
# adds sign-in by password; see :mod:`bridgewatch.usecases.accounts`).
web_accounts = Table(
    "web_accounts",
    metadata,
    Column("username", String(32), primary_key=True),
    Column("participant_id", String(64), nullable=False, unique=True),
    Column("password_hash", String(256), nullable=False),
    Column("created_at_ms", BigInteger, nullable=False),
)

# The real-time pipeline's tables and the web app's: created by revision 0002 (pipeline_pending
# by 0003, pipeline_refit_chunks by 0007); ``ensure_pipeline_schema`` and
# ``ensure_web_schema`` check them at start-up.
PIPELINE_TABLES: tuple[str, ...] = (
    "pipeline_offsets",
    "pipeline_refits",
    "pipeline_refit_chunks",
    "pipeline_pending",
    "webhook_endpoints",
    "webhook_deliveries",
)
WEB_TABLES: tuple[str, ...] = ("web_accounts",)
