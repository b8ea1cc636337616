"""Column names of the public Community Notes files, in published order.

Readers match columns by header name, never by position; these tuples give the published order
that writers use. Helpful / not-helpful tag tuples are in TSV order (scoring-core.md §2.1).
"""

from __future__ import annotations

# notes-*.tsv, 24 columns (scoring-core.md §2.1).
NOTES_COLUMNS: tuple[str, ...] = (
    "noteId",
    "noteAuthorParticipantId",
    "createdAtMillis",
    "tweetId",
    "classification",
    "believable",
    "harmful",
    "validationDifficulty",
    "misleadingOther",
    "misleadingFactualError",
    "misleadingManipulatedMedia",
    "misleadingOutdatedInformation",
    "misleadingMissingImportantContext",
    "misleadingUnverifiedClaimAsFact",
    "misleadingSatire",
    "notMisleadingOther",
    "notMisleadingFactuallyCorrect",
    "notMisleadingOutdatedButNotWhenWritten",
    "notMisleadingClearlySatire",
    "notMisleadingPersonalOpinion",
    "trustworthySources",
    "summary",
    "isMediaNote",
    "isCollaborativeNote",
)

# The 9 helpful tags in TSV order.
HELPFUL_TAGS: tuple[str, ...] = (
    "helpfulOther",
    "helpfulInformative",
    "helpfulClear",
    "helpfulEmpathetic",
    "helpfulGoodSources",
    "helpfulUniqueContext",
    "helpfulAddressesClaim",
    "helpfulImportantContext",
    "helpfulUnbiasedLanguage",
)

# The 13 not-helpful tags in TSV order.
NOT_HELPFUL_TAGS: tuple[str, ...] = (
    "notHelpfulOther",
    "notHelpfulIncorrect",
    "notHelpfulSourcesMissingOrUnreliable",
    "notHelpfulOpinionSpeculationOrBias",
    "notHelpfulMissingKeyPoints",
    "notHelpfulOutdated",
    "notHelpfulHardToUnderstand",
    "notHelpfulArgumentativeOrBiased",
    "notHelpfulOffTopic",
    "notHelpfulSpamHarassmentOrAbuse",
    "notHelpfulIrrelevantSources",
    "notHelpfulOpinionSpeculation",
    "notHelpfulNoteNotNeeded",
)

# ratings-*.tsv, 35 columns (scoring-core.md §2.1).
RATINGS_COLUMNS: tuple[str, ...] = (
    "noteId",
    "raterParticipantId",
    "createdAtMillis",
    "version",
    "agree",
    "disagree",
    "helpful",
    "notHelpful",
    "helpfulnessLevel",
    *HELPFUL_TAGS,
    *NOT_HELPFUL_TAGS,
    "ratedOnTweetId",
    "ratingSourceBucketed",
    "suggestion",
    "suggestionId",
)

# noteStatusHistory-*.tsv, 24 columns; the older layout lacks the last (scoring-core.md §11.3).
NOTE_STATUS_HISTORY_COLUMNS: tuple[str, ...] = (
    "noteId",
    "noteAuthorParticipantId",
    "createdAtMillis",
    "timestampMillisOfFirstNonNMRStatus",
    "firstNonNMRStatus",
    "timestampMillisOfCurrentStatus",
    "currentStatus",
    "timestampMillisOfLatestNonNMRStatus",
    "mostRecentNonNMRStatus",
    "timestampMillisOfStatusLock",
    "lockedStatus",
    "timestampMillisOfRetroLock",
    "currentCoreStatus",
    "currentExpansionStatus",
    "currentGroupStatus",
    "currentDecidedBy",
    "currentModelingGroup",
    "timestampMillisOfMostRecentStatusChange",
    "timestampMillisOfNmrDueToMinStableCrhTime",
    "currentMultiGroupStatus",
    "currentModelingMultiGroup",
    "timestampMinuteOfFinalScoringOutput",
    "timestampMillisOfFirstNmrDueToMinStableCrhTime",
    "abovePcrhThresholdTime",
)

# userEnrollment-*.tsv, 8 columns (scoring-core.md §2.1).
USER_ENROLLMENT_COLUMNS: tuple[str, ...] = (
    "participantId",
    "enrollmentState",
    "successfulRatingNeededToEarnIn",
    "timestampOfLastStateChange",
    "timestampOfLastEarnOut",
    "modelingPopulation",
    "modelingGroup",
    "numberOfTimesEarnedOut",
)

# The platform's extra enrollment column (not in the public files): when a participant's
# establishment clock starts (``EstablishmentConfig``), ``timestampOfLastStateChange`` as
# the platform first recorded the row. Scoring's own state changes never move it. An
# enrollment frame without it (the public files) uses ``timestampOfLastStateChange``.
ENROLLED_SINCE_COLUMN = "enrolledSinceMillis"


__all__ = [
    "ENROLLED_SINCE_COLUMN",
    "HELPFUL_TAGS",
    "NOTES_COLUMNS",
    "NOTE_STATUS_HISTORY_COLUMNS",
    "NOT_HELPFUL_TAGS",
    "RATINGS_COLUMNS",
    "USER_ENROLLMENT_COLUMNS",
]
