"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-25 22:18:23.095183
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_keys",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("scopes", sa.String(length=512), nullable=False),
        sa.Column("created_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("revoked_at_ms", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_api_keys_key_hash")),
        sa.UniqueConstraint("name", name=op.f("uq_api_keys_name")),
    )
    op.create_table(
        "contributor_scores",
        sa.Column("participant_id", sa.String(length=64), nullable=False),
        sa.Column("scored_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("core_rater_intercept", sa.Float(), nullable=True),
        sa.Column("core_rater_factor1", sa.Float(), nullable=True),
        sa.Column("successful_rating_helpful_count", sa.Integer(), nullable=False),
        sa.Column("successful_rating_not_helpful_count", sa.Integer(), nullable=False),
        sa.Column("unsuccessful_rating_helpful_count", sa.Integer(), nullable=False),
        sa.Column("unsuccessful_rating_not_helpful_count", sa.Integer(), nullable=False),
        sa.Column("ratings_awaiting_more_ratings", sa.Integer(), nullable=False),
        sa.Column("notes_currently_rated_helpful", sa.Integer(), nullable=False),
        sa.Column("notes_currently_rated_not_helpful", sa.Integer(), nullable=False),
        sa.Column("notes_awaiting_more_ratings", sa.Integer(), nullable=False),
        sa.Column("aggregate_rating_received_total", sa.Integer(), nullable=False),
        sa.Column("above_helpfulness_threshold", sa.Boolean(), nullable=True),
        sa.PrimaryKeyConstraint("participant_id", name=op.f("pk_contributor_scores")),
    )
    op.create_table(
        "events",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("created_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("event_type", sa.String(length=48), nullable=False),
        sa.Column("actor_participant_id", sa.String(length=64), nullable=True),
        sa.Column("entity_id", sa.String(length=128), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_events_actor_type_created",
            ["actor_participant_id", "event_type", "created_at_ms"],
            unique=False,
        )

    op.create_table(
        "idempotency_keys",
        sa.Column("principal", sa.String(length=160), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.SmallInteger(), nullable=False),
        sa.Column("response_body", sa.Text(), nullable=False),
        sa.Column("created_at_ms", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "status_code >= 200 AND status_code < 300",
            name=op.f("ck_idempotency_keys_success_only"),
        ),
        sa.PrimaryKeyConstraint("principal", "key", name=op.f("pk_idempotency_keys")),
    )
    op.create_table(
        "note_scores",
        sa.Column("note_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("scored_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("final_rating_status", sa.String(length=48), nullable=False),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.Column("first_tag", sa.String(length=64), nullable=True),
        sa.Column("second_tag", sa.String(length=64), nullable=True),
        sa.Column("core_note_intercept", sa.Float(), nullable=True),
        sa.Column("core_note_factor1", sa.Float(), nullable=True),
        sa.Column("core_note_intercept_min", sa.Float(), nullable=True),
        sa.Column("core_note_intercept_max", sa.Float(), nullable=True),
        sa.Column("core_rating_status", sa.String(length=48), nullable=True),
        sa.Column("core_active_rules", sa.Text(), nullable=True),
        sa.Column("meta_scorer_active_rules", sa.Text(), nullable=True),
        sa.Column("active_filter_tags", sa.Text(), nullable=True),
        sa.Column("num_ratings", sa.Integer(), nullable=True),
        sa.Column("core_num_final_round_ratings", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("note_id", name=op.f("pk_note_scores")),
    )
    op.create_table(
        "note_status_changes",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("note_id", sa.BigInteger(), nullable=False),
        sa.Column("changed_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=48), nullable=False),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_note_status_changes")),
    )
    with op.batch_alter_table("note_status_changes", schema=None) as batch_op:
        batch_op.create_index(
            "ix_note_status_changes_note_id_changed_at_ms",
            ["note_id", "changed_at_ms"],
            unique=False,
        )

    op.create_table(
        "note_status_history",
        sa.Column("noteId", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("noteAuthorParticipantId", sa.String(length=64), nullable=False),
        sa.Column("createdAtMillis", sa.BigInteger(), nullable=False),
        sa.Column("timestampMillisOfFirstNonNMRStatus", sa.BigInteger(), nullable=True),
        sa.Column("firstNonNMRStatus", sa.String(length=48), nullable=True),
        sa.Column("timestampMillisOfCurrentStatus", sa.BigInteger(), nullable=True),
        sa.Column("currentStatus", sa.String(length=48), nullable=True),
        sa.Column("timestampMillisOfLatestNonNMRStatus", sa.BigInteger(), nullable=True),
        sa.Column("mostRecentNonNMRStatus", sa.String(length=48), nullable=True),
        sa.Column("timestampMillisOfStatusLock", sa.BigInteger(), nullable=True),
        sa.Column("lockedStatus", sa.String(length=48), nullable=True),
        sa.Column("timestampMillisOfRetroLock", sa.BigInteger(), nullable=True),
        sa.Column("currentCoreStatus", sa.String(length=48), nullable=True),
        sa.Column("currentExpansionStatus", sa.String(length=48), nullable=True),
        sa.Column("currentGroupStatus", sa.String(length=48), nullable=True),
        sa.Column("currentDecidedBy", sa.String(length=64), nullable=True),
        sa.Column("currentModelingGroup", sa.Integer(), nullable=True),
        sa.Column("timestampMillisOfMostRecentStatusChange", sa.BigInteger(), nullable=True),
        sa.Column("timestampMillisOfNmrDueToMinStableCrhTime", sa.BigInteger(), nullable=True),
        sa.Column("currentMultiGroupStatus", sa.String(length=48), nullable=True),
        sa.Column("currentModelingMultiGroup", sa.Integer(), nullable=True),
        sa.Column("timestampMinuteOfFinalScoringOutput", sa.BigInteger(), nullable=True),
        sa.Column("timestampMillisOfFirstNmrDueToMinStableCrhTime", sa.BigInteger(), nullable=True),
        sa.Column("abovePcrhThresholdTime", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("noteId", name=op.f("pk_note_status_history")),
    )
    with op.batch_alter_table("note_status_history", schema=None) as batch_op:
        batch_op.create_index(
            "ix_note_status_history_currentStatus", ["currentStatus"], unique=False
        )

    op.create_table(
        "participants",
        sa.Column("participantId", sa.String(length=64), nullable=False),
        sa.Column("alias", sa.String(length=64), nullable=False),
        sa.Column("created_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("is_api_writer", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("participantId", name=op.f("pk_participants")),
        sa.UniqueConstraint("alias", name=op.f("uq_participants_alias")),
    )
    op.create_table(
        "posts",
        sa.Column("post_id", sa.String(length=64), nullable=False),
        sa.Column("author_id", sa.String(length=128), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("url", sa.String(length=2048), nullable=True),
        sa.Column("created_at_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("post_id", name=op.f("pk_posts")),
    )
    op.create_table(
        "enrollment",
        sa.Column("participantId", sa.String(length=64), nullable=False),
        sa.Column("enrollmentState", sa.SmallInteger(), nullable=False),
        sa.Column("successfulRatingNeededToEarnIn", sa.Integer(), nullable=False),
        sa.Column("timestampOfLastStateChange", sa.BigInteger(), nullable=True),
        sa.Column("timestampOfLastEarnOut", sa.BigInteger(), nullable=False),
        sa.Column("modelingPopulation", sa.String(length=32), nullable=True),
        sa.Column("modelingGroup", sa.Integer(), nullable=True),
        sa.Column("numberOfTimesEarnedOut", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["participantId"],
            ["participants.participantId"],
            name=op.f("fk_enrollment_participantId_participants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("participantId", name=op.f("pk_enrollment")),
    )
    op.create_table(
        "note_requests",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("post_id", sa.String(length=64), nullable=False),
        sa.Column("requester_participant_id", sa.String(length=64), nullable=False),
        sa.Column("created_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("source_link", sa.String(length=2048), nullable=True),
        sa.Column("suggestion", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["post_id"], ["posts.post_id"], name=op.f("fk_note_requests_post_id_posts")
        ),
        sa.ForeignKeyConstraint(
            ["requester_participant_id"],
            ["participants.participantId"],
            name=op.f("fk_note_requests_requester_participant_id_participants"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_note_requests")),
        sa.UniqueConstraint(
            "post_id",
            "requester_participant_id",
            name=op.f("uq_note_requests_post_id_requester_participant_id"),
        ),
    )
    with op.batch_alter_table("note_requests", schema=None) as batch_op:
        batch_op.create_index(
            "ix_note_requests_requester_created",
            ["requester_participant_id", "created_at_ms"],
            unique=False,
        )

    op.create_table(
        "notes",
        sa.Column("noteId", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("noteAuthorParticipantId", sa.String(length=64), nullable=False),
        sa.Column("createdAtMillis", sa.BigInteger(), nullable=False),
        sa.Column("tweetId", sa.String(length=64), nullable=False),
        sa.Column("classification", sa.String(length=48), nullable=False),
        sa.Column("believable", sa.String(length=32), nullable=True),
        sa.Column("harmful", sa.String(length=32), nullable=True),
        sa.Column("validationDifficulty", sa.String(length=32), nullable=True),
        sa.Column("misleadingOther", sa.SmallInteger(), nullable=True),
        sa.Column("misleadingFactualError", sa.SmallInteger(), nullable=True),
        sa.Column("misleadingManipulatedMedia", sa.SmallInteger(), nullable=True),
        sa.Column("misleadingOutdatedInformation", sa.SmallInteger(), nullable=True),
        sa.Column("misleadingMissingImportantContext", sa.SmallInteger(), nullable=True),
        sa.Column("misleadingUnverifiedClaimAsFact", sa.SmallInteger(), nullable=True),
        sa.Column("misleadingSatire", sa.SmallInteger(), nullable=True),
        sa.Column("notMisleadingOther", sa.SmallInteger(), nullable=True),
        sa.Column("notMisleadingFactuallyCorrect", sa.SmallInteger(), nullable=True),
        sa.Column("notMisleadingOutdatedButNotWhenWritten", sa.SmallInteger(), nullable=True),
        sa.Column("notMisleadingClearlySatire", sa.SmallInteger(), nullable=True),
        sa.Column("notMisleadingPersonalOpinion", sa.SmallInteger(), nullable=True),
        sa.Column("trustworthySources", sa.SmallInteger(), nullable=True),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("isMediaNote", sa.SmallInteger(), nullable=True),
        sa.Column("isCollaborativeNote", sa.SmallInteger(), nullable=True),
        sa.Column("deleted_at_ms", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["noteAuthorParticipantId"],
            ["participants.participantId"],
            name=op.f("fk_notes_noteAuthorParticipantId_participants"),
        ),
        sa.ForeignKeyConstraint(
            ["tweetId"], ["posts.post_id"], name=op.f("fk_notes_tweetId_posts")
        ),
        sa.PrimaryKeyConstraint("noteId", name=op.f("pk_notes")),
    )
    with op.batch_alter_table("notes", schema=None) as batch_op:
        batch_op.create_index(
            "ix_notes_author_createdAtMillis",
            ["noteAuthorParticipantId", "createdAtMillis"],
            unique=False,
        )
        batch_op.create_index(
            "ix_notes_createdAtMillis_noteId", ["createdAtMillis", "noteId"], unique=False
        )
        batch_op.create_index(
            "ix_notes_tweetId_createdAtMillis", ["tweetId", "createdAtMillis"], unique=False
        )

    op.create_table(
        "session_tokens",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("participant_id", sa.String(length=64), nullable=False),
        sa.Column("created_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("expires_at_ms", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participants.participantId"],
            name=op.f("fk_session_tokens_participant_id_participants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_session_tokens")),
    )
    op.create_table(
        "ratings",
        sa.Column("noteId", sa.BigInteger(), nullable=False),
        sa.Column("raterParticipantId", sa.String(length=64), nullable=False),
        sa.Column("createdAtMillis", sa.BigInteger(), nullable=False),
        sa.Column("version", sa.SmallInteger(), nullable=True),
        sa.Column("agree", sa.SmallInteger(), nullable=True),
        sa.Column("disagree", sa.SmallInteger(), nullable=True),
        sa.Column("helpful", sa.SmallInteger(), nullable=True),
        sa.Column("notHelpful", sa.SmallInteger(), nullable=True),
        sa.Column("helpfulnessLevel", sa.String(length=24), nullable=True),
        sa.Column("helpfulOther", sa.SmallInteger(), nullable=True),
        sa.Column("helpfulInformative", sa.SmallInteger(), nullable=True),
        sa.Column("helpfulClear", sa.SmallInteger(), nullable=True),
        sa.Column("helpfulEmpathetic", sa.SmallInteger(), nullable=True),
        sa.Column("helpfulGoodSources", sa.SmallInteger(), nullable=True),
        sa.Column("helpfulUniqueContext", sa.SmallInteger(), nullable=True),
        sa.Column("helpfulAddressesClaim", sa.SmallInteger(), nullable=True),
        sa.Column("helpfulImportantContext", sa.SmallInteger(), nullable=True),
        sa.Column("helpfulUnbiasedLanguage", sa.SmallInteger(), nullable=True),
        sa.Column("notHelpfulOther", sa.SmallInteger(), nullable=True),
        sa.Column("notHelpfulIncorrect", sa.SmallInteger(), nullable=True),
        sa.Column("notHelpfulSourcesMissingOrUnreliable", sa.SmallInteger(), nullable=True),
        sa.Column("notHelpfulOpinionSpeculationOrBias", sa.SmallInteger(), nullable=True),
        sa.Column("notHelpfulMissingKeyPoints", sa.SmallInteger(), nullable=True),
        sa.Column("notHelpfulOutdated", sa.SmallInteger(), nullable=True),
        sa.Column("notHelpfulHardToUnderstand", sa.SmallInteger(), nullable=True),
        sa.Column("notHelpfulArgumentativeOrBiased", sa.SmallInteger(), nullable=True),
        sa.Column("notHelpfulOffTopic", sa.SmallInteger(), nullable=True),
        sa.Column("notHelpfulSpamHarassmentOrAbuse", sa.SmallInteger(), nullable=True),
        sa.Column("notHelpfulIrrelevantSources", sa.SmallInteger(), nullable=True),
        sa.Column("notHelpfulOpinionSpeculation", sa.SmallInteger(), nullable=True),
        sa.Column("notHelpfulNoteNotNeeded", sa.SmallInteger(), nullable=True),
        sa.Column("ratedOnTweetId", sa.String(length=64), nullable=True),
        sa.Column("ratingSourceBucketed", sa.String(length=24), nullable=True),
        sa.Column("suggestion", sa.Text(), nullable=True),
        sa.Column("suggestionId", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["noteId"], ["notes.noteId"], name=op.f("fk_ratings_noteId_notes")),
        sa.ForeignKeyConstraint(
            ["raterParticipantId"],
            ["participants.participantId"],
            name=op.f("fk_ratings_raterParticipantId_participants"),
        ),
        sa.PrimaryKeyConstraint("noteId", "raterParticipantId", name=op.f("pk_ratings")),
    )
    with op.batch_alter_table("ratings", schema=None) as batch_op:
        batch_op.create_index(
            "ix_ratings_rater_createdAtMillis",
            ["raterParticipantId", "createdAtMillis"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("ratings", schema=None) as batch_op:
        batch_op.drop_index("ix_ratings_rater_createdAtMillis")

    op.drop_table("ratings")
    op.drop_table("session_tokens")
    with op.batch_alter_table("notes", schema=None) as batch_op:
        batch_op.drop_index("ix_notes_tweetId_createdAtMillis")
        batch_op.drop_index("ix_notes_createdAtMillis_noteId")
        batch_op.drop_index("ix_notes_author_createdAtMillis")

    op.drop_table("notes")
    with op.batch_alter_table("note_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_note_requests_requester_created")

    op.drop_table("note_requests")
    op.drop_table("enrollment")
    op.drop_table("posts")
    op.drop_table("participants")
    with op.batch_alter_table("note_status_history", schema=None) as batch_op:
        batch_op.drop_index("ix_note_status_history_currentStatus")

    op.drop_table("note_status_history")
    with op.batch_alter_table("note_status_changes", schema=None) as batch_op:
        batch_op.drop_index("ix_note_status_changes_note_id_changed_at_ms")

    op.drop_table("note_status_changes")
    op.drop_table("note_scores")
    op.drop_table("idempotency_keys")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index("ix_events_actor_type_created")

    op.drop_table("events")
    op.drop_table("contributor_scores")
    op.drop_table("api_keys")
