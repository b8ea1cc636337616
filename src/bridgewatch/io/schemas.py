"""One :class:`~bridgewatch.io.schema.Schema` per public file type.

Input files (scoring-core.md §2.1; scoring-extended.md §6.1, §7.9): ``NOTES``, ``RATINGS``,
``NOTE_STATUS_HISTORY`` (24 columns; the older 23-column layout is the same schema without the
optional last column), ``USER_ENROLLMENT`` and ``NOTE_REQUESTS``. Scorer outputs (§11):
``SCORED_NOTES``, ``AUX_NOTE_INFO``, ``HELPFULNESS_SCORES``; the scorer's
``note_status_history.tsv`` uses ``NOTE_STATUS_HISTORY``.

Ids (``noteId``, participant ids, ``tweetId``) are strings so that they round-trip exactly.
Timestamps are Int64 milliseconds. 0/1 flags and tags are Int8, as published.

The scorer output schemas are typed as the reference writes them: a column the reference
writes as floats (``2.0``) is Float64 here even when it holds whole numbers, so a written file
reads like the reference's.
"""

from __future__ import annotations

import polars as pl

from bridgewatch.io.schema import Column, Schema
from bridgewatch.model import EnrollmentState, HelpfulnessLevel, NoteStatus
from bridgewatch.model.columns import (
    NOTE_STATUS_HISTORY_COLUMNS,
    NOTES_COLUMNS,
    RATINGS_COLUMNS,
    USER_ENROLLMENT_COLUMNS,
)

__all__ = [
    "AUX_NOTE_INFO",
    "CLASSIFICATION_DTYPE",
    "ENROLLMENT_STATE_DTYPE",
    "HELPFULNESS_LEVEL_DTYPE",
    "HELPFULNESS_SCORES",
    "NOTES",
    "NOTE_REQUESTS",
    "NOTE_REQUESTS_COLUMNS",
    "NOTE_STATUS_DTYPE",
    "NOTE_STATUS_HISTORY",
    "POSTS",
    "POSTS_COLUMNS",
    "RATINGS",
    "RATING_SOURCE_DTYPE",
    "SCHEMAS",
    "SCORED_NOTES",
    "USER_ENROLLMENT",
    "schema_for_name",
]

_S = pl.String()
_I = pl.Int64()
_F = pl.Float64()
_B = pl.Boolean()
_FLAG = pl.Int8()

# Enum dtypes: categories are the TSV literals, in the order of the model's int codes, so
# that the physical (UInt8) code of an Enum value is the model's code.
HELPFULNESS_LEVEL_DTYPE = pl.Enum([m.name for m in HelpfulnessLevel])
CLASSIFICATION_DTYPE = pl.Enum(["NOT_MISLEADING", "MISINFORMED_OR_POTENTIALLY_MISLEADING"])
RATING_SOURCE_DTYPE = pl.Enum(["DEFAULT", "POPULATION_SAMPLED"])
NOTE_STATUS_DTYPE = pl.Enum([m.name for m in NoteStatus])
ENROLLMENT_STATE_DTYPE = pl.Enum([m.name for m in EnrollmentState])


def _typed(
    names: tuple[str, ...], types: dict[str, pl.DataType], default: pl.DataType
) -> tuple[Column, ...]:
    return tuple(Column(n, types.get(n, default)) for n in names)


def _key(column: Column) -> Column:
    return Column(column.name, column.dtype, required=True, nullable=False, aliases=column.aliases)


def _require(columns: tuple[Column, ...], names: set[str]) -> tuple[Column, ...]:
    return tuple(
        Column(c.name, c.dtype, required=True, nullable=c.nullable, aliases=c.aliases)
        if c.name in names
        else c
        for c in columns
    )


# notes-*.tsv. believable / harmful / validationDifficulty are legacy free-text columns
# (empty in current dumps), kept as strings rather than an enum so old dumps still load.
_NOTES_TYPES: dict[str, pl.DataType] = {
    "noteId": _S,
    "noteAuthorParticipantId": _S,
    "createdAtMillis": _I,
    "tweetId": _S,
    "classification": CLASSIFICATION_DTYPE,
    "believable": _S,
    "harmful": _S,
    "validationDifficulty": _S,
    "summary": _S,
}
_notes = _typed(NOTES_COLUMNS, _NOTES_TYPES, _FLAG)
NOTES = Schema(
    "notes",
    (
        _key(_notes[0]),
        _key(Column("noteAuthorParticipantId", _S, aliases=("participantId",))),
        *_require(_notes[2:], {"createdAtMillis", "classification"}),
    ),
)

# ratings-*.tsv. Either helpfulnessLevel or the legacy helpful / notHelpful pair must be
# present (checked by the reader); every column but the ids and the timestamp is optional.
_RATINGS_TYPES: dict[str, pl.DataType] = {
    "noteId": _S,
    "raterParticipantId": _S,
    "createdAtMillis": _I,
    "version": _I,
    "helpfulnessLevel": HELPFULNESS_LEVEL_DTYPE,
    "ratedOnTweetId": _S,
    "ratingSourceBucketed": RATING_SOURCE_DTYPE,
    "suggestion": _S,
    "suggestionId": _S,
}
_ratings = _typed(RATINGS_COLUMNS, _RATINGS_TYPES, _FLAG)
RATINGS = Schema(
    "ratings",
    (
        _key(_ratings[0]),
        _key(Column("raterParticipantId", _S, aliases=("participantId",))),
        _key(_ratings[2]),
        *_ratings[3:],
    ),
    required_any=((("helpfulnessLevel",), ("helpful", "notHelpful")),),
)

# noteStatusHistory-*.tsv (24 columns; the 23-column layout lacks abovePcrhThresholdTime).
# The public download calls mostRecentNonNMRStatus latestNonNMRStatus (scoring-core.md §2.1).
_NSH_STATUS = {
    "firstNonNMRStatus",
    "currentStatus",
    "mostRecentNonNMRStatus",
    "lockedStatus",
    "currentCoreStatus",
    "currentExpansionStatus",
    "currentGroupStatus",
    "currentMultiGroupStatus",
}
_nsh = tuple(
    Column(
        n,
        _S
        if n in {"noteId", "noteAuthorParticipantId", "currentDecidedBy"}
        else NOTE_STATUS_DTYPE
        if n in _NSH_STATUS
        else _I,
        aliases=("latestNonNMRStatus",) if n == "mostRecentNonNMRStatus" else (),
    )
    for n in NOTE_STATUS_HISTORY_COLUMNS
)
NOTE_STATUS_HISTORY = Schema(
    "noteStatusHistory",
    (_key(_nsh[0]), *_require(_nsh[1:], {"noteAuthorParticipantId", "createdAtMillis"})),
)

# userEnrollment-*.tsv. modelingPopulation is informational (CORE / EXPANSION / ...), a string.
_ue = _typed(
    USER_ENROLLMENT_COLUMNS,
    {"participantId": _S, "enrollmentState": ENROLLMENT_STATE_DTYPE, "modelingPopulation": _S},
    _I,
)
USER_ENROLLMENT = Schema("userEnrollment", (_key(_ue[0]), *_require(_ue[1:], {"enrollmentState"})))

# Note requests, published as batSignals-*.tsv: one row per post (scoring-extended.md §6.1).
# The four *EligibleAtMillis columns are -1 when the post never became eligible for that feed;
# sourceLinks is a comma-separated list of post URLs and suggestions a JSON array, kept verbatim.
NOTE_REQUESTS_COLUMNS: tuple[str, ...] = (
    "tweetId",
    "noteRequestFeedEligibleAtMillis",
    "apiSmallFeedEligibleAtMillis",
    "apiLargeFeedEligibleAtMillis",
    "apiXlFeedEligibleAtMillis",
    "sourceLinks",
    "suggestions",
)
_nr = _typed(NOTE_REQUESTS_COLUMNS, {"tweetId": _S, "sourceLinks": _S, "suggestions": _S}, _I)
NOTE_REQUESTS = Schema("noteRequests", (_key(_nr[0]), *_nr[1:]))

# posts-*.tsv: the posts notes are written on, one row per post. Not a public file (the
# public dump has no post text); ``bridgewatch simulate`` writes it next to the public files
# and ``bridgewatch import`` loads it when present. authorHandle and text may be empty.
POSTS_COLUMNS: tuple[str, ...] = ("tweetId", "createdAtMillis", "authorHandle", "text")
_posts = _typed(POSTS_COLUMNS, {"tweetId": _S, "authorHandle": _S, "text": _S}, _I)
POSTS = Schema("posts", (_key(_posts[0]), *_require(_posts[1:], {"createdAtMillis"})))

# scored_notes.tsv, 99 columns (scoring-core.md §11.1).
_SCORED_NOTES_COLUMNS: tuple[tuple[str, pl.DataType], ...] = (
    ("noteId", _S),
    ("coreNoteIntercept", _F),
    ("coreNoteFactor1", _F),
    ("finalRatingStatus", _S),
    ("firstTag", _S),
    ("secondTag", _S),
    ("coreActiveRules", _S),
    ("activeFilterTags", _S),
    ("classification", _S),
    ("createdAtMillis", _I),
    ("coreRatingStatus", _S),
    ("metaScorerActiveRules", _S),
    ("decidedBy", _S),
    ("expansionNoteIntercept", _F),
    ("expansionNoteFactor1", _F),
    ("expansionRatingStatus", _S),
    ("coverageNoteIntercept", _F),
    ("coverageNoteFactor1", _F),
    ("coverageRatingStatus", _S),
    ("coreNoteInterceptMin", _F),
    ("coreNoteInterceptMax", _F),
    ("expansionNoteInterceptMin", _F),
    ("expansionNoteInterceptMax", _F),
    ("coverageNoteInterceptMin", _F),
    ("coverageNoteInterceptMax", _F),
    ("groupNoteIntercept", _F),
    ("groupNoteFactor1", _F),
    ("groupRatingStatus", _S),
    ("groupNoteInterceptMax", _F),
    ("groupNoteInterceptMin", _F),
    ("modelingGroup", _F),
    ("numRatings", _I),
    ("timestampMillisOfCurrentStatus", _F),
    ("expansionPlusNoteIntercept", _F),
    ("expansionPlusNoteFactor1", _F),
    ("expansionPlusRatingStatus", _S),
    ("topicNoteIntercept", _F),
    ("topicNoteFactor1", _F),
    ("topicRatingStatus", _S),
    ("noteTopic", _S),
    ("topicNoteConfident", _B),
    ("expansionActiveRules", _S),
    ("expansionPlusActiveRules", _S),
    ("groupActiveRules", _S),
    ("topicActiveRules", _S),
    ("coreNumFinalRoundRatings", _F),
    ("expansionNumFinalRoundRatings", _F),
    ("expansionPlusNumFinalRoundRatings", _F),
    ("groupNumFinalRoundRatings", _F),
    ("topicNumFinalRoundRatings", _F),
    ("rescoringActiveRules", _S),
    ("multiGroupNoteIntercept", _F),
    ("multiGroupNoteFactor1", _F),
    ("multiGroupRatingStatus", _S),
    ("modelingMultiGroup", _F),
    ("multiGroupActiveRules", _S),
    ("multiGroupNumFinalRoundRatings", _F),
    ("coreWithTopicsNoteFactor1", _F),
    ("coreWithTopicsNoteIntercept", _F),
    ("coreWithTopicsRatingStatus", _S),
    ("coreWithTopicsActiveRules", _S),
    ("coreWithTopicsNumFinalRoundRatings", _F),
    ("coreWithTopicsNoteInterceptMin", _F),
    ("coreWithTopicsNoteInterceptMax", _F),
    ("timestampMillisOfNmrDueToMinStableCrhTime", _F),
    ("coreNoteInterceptNoHighVol", _F),
    ("coreWithTopicsNoteInterceptNoHighVol", _F),
    ("expansionNoteInterceptNoHighVol", _F),
    ("expansionPlusNoteInterceptNoHighVol", _F),
    ("groupNoteInterceptNoHighVol", _F),
    ("multiGroupNoteInterceptNoHighVol", _F),
    ("topicNoteInterceptNoHighVol", _F),
    ("coreNoteInterceptNoCorrelated", _F),
    ("coreNoteInterceptPopulationSampled", _F),
    ("coreWithTopicsNoteInterceptNoCorrelated", _F),
    ("expansionNoteInterceptNoCorrelated", _F),
    ("expansionPlusNoteInterceptNoCorrelated", _F),
    ("groupNoteInterceptNoCorrelated", _F),
    ("multiGroupNoteInterceptNoCorrelated", _F),
    ("topicNoteInterceptNoCorrelated", _F),
    ("gaussianNoteIntercept", _F),
    ("gaussianNoteFactor1", _F),
    ("gaussianRatingStatus", _S),
    ("gaussianActiveRules", _S),
    ("gaussianNoteInterceptNoCorrelated", _F),
    ("gaussianNoteInterceptNoHighVol", _F),
    ("gaussianNoteInterceptPopulationSampled", _F),
    ("gaussianNumFinalRoundRatings", _F),
    ("timestampMinuteOfFinalScoringOutput", _I),
    ("gaussianCoreWithTopicsNoteIntercept", _F),
    ("gaussianCoreWithTopicsNoteFactor1", _F),
    ("gaussianCoreWithTopicsRatingStatus", _S),
    ("gaussianCoreWithTopicsActiveRules", _S),
    ("gaussianCoreWithTopicsNoteInterceptNoHighVol", _F),
    ("gaussianCoreWithTopicsNoteInterceptNoCorrelated", _F),
    ("gaussianCoreWithTopicsNoteInterceptPopulationSampled", _F),
    ("gaussianCoreWithTopicsNumFinalRoundRatings", _F),
    ("abovePcrhThresholdTime", _I),
    ("pflipProba", _F),
)
SCORED_NOTES = Schema(
    "scored_notes",
    tuple(
        Column(n, t, required=n == "noteId", nullable=n != "noteId")
        for n, t in _SCORED_NOTES_COLUMNS
    ),
)

# aux_note_info.tsv (scoring-core.md §11.2).
_AUX_NOTE_INFO_COLUMNS: tuple[tuple[str, pl.DataType], ...] = (
    ("noteId", _S),
    ("ratingWeight", _F),
    ("createdAtMillis", _I),
    ("noteAuthorParticipantId", _S),
    ("awaitingBool", _B),
    ("numRatingsLast28", _I),
    ("numPopulationSampledRatings", _I),
    ("currentStatus", _S),
    ("crhBool", _B),
    ("crnhBool", _B),
    ("unlockedRatingStatus", _S),
    ("preStabilizationRatingStatus", _S),
    ("helpfulOther", _I),
    ("helpfulInformative", _I),
    ("helpfulClear", _I),
    ("helpfulEmpathetic", _I),
    ("helpfulGoodSources", _I),
    ("helpfulUniqueContext", _I),
    ("helpfulAddressesClaim", _I),
    ("helpfulImportantContext", _I),
    ("helpfulUnbiasedLanguage", _I),
    ("notHelpfulOther", _I),
    ("notHelpfulIncorrect", _I),
    ("notHelpfulSourcesMissingOrUnreliable", _I),
    ("notHelpfulOpinionSpeculationOrBias", _I),
    ("notHelpfulMissingKeyPoints", _I),
    ("notHelpfulOutdated", _I),
    ("notHelpfulHardToUnderstand", _I),
    ("notHelpfulArgumentativeOrBiased", _I),
    ("notHelpfulOffTopic", _I),
    ("notHelpfulSpamHarassmentOrAbuse", _I),
    ("notHelpfulIrrelevantSources", _I),
    ("notHelpfulOpinionSpeculation", _I),
    ("notHelpfulNoteNotNeeded", _I),
    ("notHelpfulOtherAdjusted", _F),
    ("notHelpfulIncorrectAdjusted", _F),
    ("notHelpfulSourcesMissingOrUnreliableAdjusted", _F),
    ("notHelpfulOpinionSpeculationOrBiasAdjusted", _F),
    ("notHelpfulMissingKeyPointsAdjusted", _F),
    ("notHelpfulOutdatedAdjusted", _F),
    ("notHelpfulHardToUnderstandAdjusted", _F),
    ("notHelpfulArgumentativeOrBiasedAdjusted", _F),
    ("notHelpfulOffTopicAdjusted", _F),
    ("notHelpfulSpamHarassmentOrAbuseAdjusted", _F),
    ("notHelpfulIrrelevantSourcesAdjusted", _F),
    ("notHelpfulOpinionSpeculationAdjusted", _F),
    ("notHelpfulNoteNotNeededAdjusted", _F),
    ("notHelpfulOtherAdjustedRatio", _F),
    ("notHelpfulIncorrectAdjustedRatio", _F),
    ("notHelpfulSourcesMissingOrUnreliableAdjustedRatio", _F),
    ("notHelpfulOpinionSpeculationOrBiasAdjustedRatio", _F),
    ("notHelpfulMissingKeyPointsAdjustedRatio", _F),
    ("notHelpfulOutdatedAdjustedRatio", _F),
    ("notHelpfulHardToUnderstandAdjustedRatio", _F),
    ("notHelpfulArgumentativeOrBiasedAdjustedRatio", _F),
    ("notHelpfulOffTopicAdjustedRatio", _F),
    ("notHelpfulSpamHarassmentOrAbuseAdjustedRatio", _F),
    ("notHelpfulIrrelevantSourcesAdjustedRatio", _F),
    ("notHelpfulOpinionSpeculationAdjustedRatio", _F),
    ("notHelpfulNoteNotNeededAdjustedRatio", _F),
    ("notHelpfulIncorrect_interval", _I),
    ("p_incorrect_user_interval", _F),
    ("num_voters_interval", _F),
    ("tf_idf_incorrect_interval", _F),
    ("lowDiligenceIntercept", _F),
    ("coreNegFactor_populationSampledRatingCount", _I),
    ("corePosFactor_populationSampledRatingCount", _I),
    ("pcrhExitN", _F),
    ("pcrhExitProba", _F),
    ("pcrhRevoked", _B),
    ("pcrhRevokeN", _F),
    ("pcrhFinalPred", _B),
)
AUX_NOTE_INFO = Schema(
    "aux_note_info",
    tuple(
        Column(n, t, required=n == "noteId", nullable=n != "noteId")
        for n, t in _AUX_NOTE_INFO_COLUMNS
    ),
)

# helpfulness_scores.tsv (scoring-core.md §11.4); enrollmentState is the int code here.
_HELPFULNESS_SCORES_COLUMNS: tuple[tuple[str, pl.DataType], ...] = (
    ("raterParticipantId", _S),
    ("coreRaterIntercept", _F),
    ("coreRaterFactor1", _F),
    ("crhCrnhRatioDifference", _F),
    ("meanNoteScore", _F),
    ("raterAgreeRatio", _F),
    ("successfulRatingHelpfulCount", _F),
    ("successfulRatingNotHelpfulCount", _F),
    ("successfulRatingTotal", _F),
    ("unsuccessfulRatingHelpfulCount", _F),
    ("unsuccessfulRatingNotHelpfulCount", _F),
    ("unsuccessfulRatingTotal", _F),
    ("ratingsAwaitingMoreRatings", _F),
    ("ratedAfterDecision", _F),
    ("notesCurrentlyRatedHelpful", _F),
    ("notesCurrentlyRatedNotHelpful", _F),
    ("notesAwaitingMoreRatings", _F),
    ("enrollmentState", _I),
    ("successfulRatingNeededToEarnIn", _I),
    ("authorTopNotHelpfulTagValues", _S),
    ("timestampOfLastStateChange", _I),
    ("aboveHelpfulnessThreshold", _B),
    ("isEmergingWriter", _B),
    ("aggregateRatingReceivedTotal", _F),
    ("timestampOfLastEarnOut", _F),
    ("groupRaterIntercept", _F),
    ("groupRaterFactor1", _F),
    ("modelingGroup", _F),
    ("raterHelpfulnessReputation", _F),
    ("numberOfTimesEarnedOut", _I),
    ("expansionRaterIntercept", _F),
    ("expansionRaterFactor1", _F),
    ("expansionPlusRaterIntercept", _F),
    ("expansionPlusRaterFactor1", _F),
    ("multiGroupRaterIntercept", _F),
    ("multiGroupRaterFactor1", _F),
    ("modelingMultiGroup", _F),
    ("coreWithTopicsRaterIntercept", _F),
    ("coreWithTopicsRaterFactor1", _F),
    ("coreFirstRoundRaterIntercept", _F),
    ("coreFirstRoundRaterFactor1", _F),
    ("crhTotal14d", _I),
    ("crnhTotal14d", _I),
    ("nmrTotal14d", _I),
    ("crhTotal90d", _I),
    ("crnhTotal90d", _I),
    ("nmrTotal90d", _I),
)
HELPFULNESS_SCORES = Schema(
    "helpfulness_scores",
    tuple(
        Column(n, t, required=n == "raterParticipantId", nullable=n != "raterParticipantId")
        for n, t in _HELPFULNESS_SCORES_COLUMNS
    ),
)

# Every schema by file type name.
SCHEMAS: dict[str, Schema] = {
    s.name: s
    for s in (
        NOTES,
        RATINGS,
        NOTE_STATUS_HISTORY,
        USER_ENROLLMENT,
        NOTE_REQUESTS,
        POSTS,
        SCORED_NOTES,
        AUX_NOTE_INFO,
        HELPFULNESS_SCORES,
    )
}

# File name prefixes (the part before the first "-" or ".") of each file type.
_PREFIXES: dict[str, Schema] = {
    "notes": NOTES,
    "ratings": RATINGS,
    "noteStatusHistory": NOTE_STATUS_HISTORY,
    "note_status_history": NOTE_STATUS_HISTORY,
    "userEnrollment": USER_ENROLLMENT,
    "batSignals": NOTE_REQUESTS,
    "noteRequests": NOTE_REQUESTS,
    "posts": POSTS,
    "scored_notes": SCORED_NOTES,
    "aux_note_info": AUX_NOTE_INFO,
    "helpfulness_scores": HELPFULNESS_SCORES,
}


def schema_for_name(name: str) -> Schema | None:
    """The schema of a file or directory named like the public files, ``None`` if unknown.

    ``ratings-00003.zip``, ``noteStatusHistory-00000.tsv``, ``batSignals`` (note requests),
    ``scored_notes.parquet`` and the like; a schema name (``"ratings"``) works too.
    """
    if name in SCHEMAS:
        return SCHEMAS[name]
    token = name.split("-", 1)[0].split(".", 1)[0]
    return _PREFIXES.get(token)
