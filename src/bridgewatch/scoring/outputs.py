"""Builders of the four output tables in the reference's exact column order (scoring-core.md §11).

Pure: typed results in, polars frames out; writing (TSV, NaN as empty, booleans as
``True``/``False``) is left to the writers of ``bridgewatch.io.writers``, whose schemas
(``bridgewatch.io.schemas``) give the column order used here. Columns of scorers
bridgewatch does not run are present and null; callers may fill them through ``extra``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl
from numpy.typing import NDArray

from bridgewatch.errors import InputError
from bridgewatch.io.schema import Schema
from bridgewatch.io.schemas import AUX_NOTE_INFO, HELPFULNESS_SCORES, SCORED_NOTES
from bridgewatch.model import Classification, NoteStatus
from bridgewatch.model.columns import HELPFUL_TAGS, NOT_HELPFUL_TAGS
from bridgewatch.scoring.history.table import StatusHistory, status_names
from bridgewatch.scoring.meta.rules import MetaResult
from bridgewatch.scoring.status.aggregates import TagCounts
from bridgewatch.scoring.status.rules import CoreRulesResult
from bridgewatch.scoring.status.tag_filter import IncorrectAggregates, TagAggregates

__all__ = [
    "CoreNoteScores",
    "build_aux_note_info",
    "build_helpfulness_scores",
    "build_note_status_history",
    "build_scored_notes",
]

ColumnValues = NDArray[np.generic] | pl.Series | list[object]


@dataclass(frozen=True)
class CoreNoteScores:
    """Core final-scoring figures per note; float arrays of shape (n_notes,), NaN where none.

    Attributes
    ----------
    intercept, factor : ``coreNoteIntercept``, ``coreNoteFactor1`` (§5.2, main fit).
    intercept_min, intercept_max : pseudo-rater bounds (§5.3).
    intercept_no_high_vol, intercept_no_correlated, intercept_population_sampled :
        auxiliary fits 1-3 (§5.1).
    num_final_round_ratings : ``coreNumFinalRoundRatings`` (§5.6).
    """

    intercept: NDArray[np.floating]
    factor: NDArray[np.floating]
    intercept_min: NDArray[np.floating]
    intercept_max: NDArray[np.floating]
    intercept_no_high_vol: NDArray[np.floating]
    intercept_no_correlated: NDArray[np.floating]
    intercept_population_sampled: NDArray[np.floating]
    num_final_round_ratings: NDArray[np.floating]


def _float(name: str, values: NDArray[np.floating]) -> pl.Series:
    return pl.Series(name, np.asarray(values, dtype=np.float64), pl.Float64, nan_to_null=True)


def _text(name: str, values: Sequence[str | None] | NDArray[np.str_]) -> pl.Series:
    items = values.tolist() if isinstance(values, np.ndarray) else list(values)
    return pl.Series(name, [v if v else None for v in items], pl.Utf8)


def _ordered_frame(
    n: int,
    schema: Schema,
    data: dict[str, pl.Series],
    extra: Mapping[str, ColumnValues] | None,
    table: str,
) -> pl.DataFrame:
    columns = dict(data)
    for name, values in (extra or {}).items():
        columns[name] = values if isinstance(values, pl.Series) else pl.Series(name, values)
    known = set(schema.names)
    for name, series in columns.items():
        if name not in known:
            raise InputError(f"not a column of {table}", field=name)
        if series.len() != n:
            raise InputError(f"expected {n} values, got {series.len()}", field=name)
    # Columns nobody computed are all-null columns of their schema dtype, made by
    # ``pl.repeat``: a list of n Nones per column cost ~16 bytes per row and column (2 GB
    # for scored_notes at 2M notes) and a cast to the schema dtype at write time.
    return pl.DataFrame(
        [
            columns[c.name].alias(c.name)
            if c.name in columns
            else pl.repeat(None, n, dtype=c.dtype, eager=True).alias(c.name)
            for c in schema.columns
        ]
    )


def _classification_names(codes: NDArray[np.int8]) -> list[str | None]:
    table: list[str | None] = [c.name for c in sorted(Classification)] + [None]
    return [table[c] for c in np.asarray(codes, dtype=np.int64).tolist()]


def build_scored_notes(
    *,
    note_ids: NDArray[np.str_],
    classification: NDArray[np.int8],
    num_ratings: NDArray[np.integer],
    core: CoreNoteScores,
    rules: CoreRulesResult,
    meta: MetaResult,
    history: StatusHistory,
    epoch_ms: int,
    extra: Mapping[str, ColumnValues] | None = None,
) -> pl.DataFrame:
    """``scored_notes.tsv`` (§11.1): 99 columns, one row per NSH note.

    Parameters
    ----------
    note_ids : str array of shape (n_notes,)
    classification : int8 array of shape (n_notes,)
        ``Classification`` codes (-1 for deleted notes -> empty).
    num_ratings : int array of shape (n_notes,)
        Post-PSS ratings per note, all raters.
    core : CoreNoteScores
    rules : CoreRulesResult
        Core rule outcome (``coreRatingStatus``, ``coreActiveRules``, ``activeFilterTags``).
    meta : MetaResult
    history : StatusHistory
        The **new** NSH, aligned with ``note_ids``: ``createdAtMillis`` and the stabilization
        timestamp come from it.
    epoch_ms : int
        ``timestampMillisOfCurrentStatus`` (the run's "now").
    extra : mapping of column name to values, optional
        Other scorers' columns (must be columns of §11.1).

    Returns
    -------
    polars.DataFrame
    """
    ids = np.asarray(note_ids, dtype=np.str_)
    n = ids.shape[0]
    if history.n_notes != n or not np.array_equal(history.note_id, ids):
        raise InputError("history rows must be aligned with note_ids", field="history")
    first, second = meta.tag_labels()
    data = {
        "noteId": _text("noteId", ids),
        "coreNoteIntercept": _float("coreNoteIntercept", core.intercept),
        "coreNoteFactor1": _float("coreNoteFactor1", core.factor),
        "finalRatingStatus": _text("finalRatingStatus", status_names(meta.final_status)),
        "firstTag": _text("firstTag", first),
        "secondTag": _text("secondTag", second),
        "coreActiveRules": _text("coreActiveRules", rules.active_rules_labels()),
        "activeFilterTags": _text("activeFilterTags", rules.filter_tags_labels()),
        "classification": _text("classification", _classification_names(classification)),
        "createdAtMillis": pl.Series("createdAtMillis", history.created_at_ms, pl.Int64),
        "coreRatingStatus": _text("coreRatingStatus", status_names(rules.status)),
        "metaScorerActiveRules": _text("metaScorerActiveRules", meta.active_rules_labels()),
        "decidedBy": _text("decidedBy", meta.decided_by_labels()),
        "coreNoteInterceptMin": _float("coreNoteInterceptMin", core.intercept_min),
        "coreNoteInterceptMax": _float("coreNoteInterceptMax", core.intercept_max),
        "numRatings": pl.Series("numRatings", np.asarray(num_ratings, dtype=np.int64)),
        "timestampMillisOfCurrentStatus": _float(
            "timestampMillisOfCurrentStatus", np.full(n, float(epoch_ms))
        ),
        "coreNumFinalRoundRatings": _float(
            "coreNumFinalRoundRatings", core.num_final_round_ratings
        ),
        "timestampMillisOfNmrDueToMinStableCrhTime": _float(
            "timestampMillisOfNmrDueToMinStableCrhTime", history.nmr_due_to_min_stable_crh_ts
        ),
        "coreNoteInterceptNoHighVol": _float(
            "coreNoteInterceptNoHighVol", core.intercept_no_high_vol
        ),
        "coreNoteInterceptNoCorrelated": _float(
            "coreNoteInterceptNoCorrelated", core.intercept_no_correlated
        ),
        "coreNoteInterceptPopulationSampled": _float(
            "coreNoteInterceptPopulationSampled", core.intercept_population_sampled
        ),
    }
    return _ordered_frame(n, SCORED_NOTES, data, extra, "scored_notes")


def build_aux_note_info(
    *,
    history: StatusHistory,
    previous_status: NDArray[np.int8],
    meta: MetaResult,
    tag_counts: TagCounts,
    tags: TagAggregates,
    incorrect: IncorrectAggregates,
    low_diligence_intercept: NDArray[np.floating],
    population_sampled_neg_count: NDArray[np.integer],
    population_sampled_pos_count: NDArray[np.integer],
    num_ratings_last_28: NDArray[np.integer],
    num_population_sampled_ratings: NDArray[np.integer],
    extra: Mapping[str, ColumnValues] | None = None,
) -> pl.DataFrame:
    """``aux_note_info.tsv`` (§11.2): 72 columns, one row per note of ``history``.

    Parameters
    ----------
    history : StatusHistory
        The new NSH (note ids, ``createdAtMillis``, author), rows aligned with every array.
    previous_status : int8 array of shape (n_notes,)
        ``currentStatus`` of the **input** NSH.
    meta : MetaResult
    tag_counts : TagCounts
    tags : TagAggregates
    incorrect : IncorrectAggregates
    low_diligence_intercept : float array of shape (n_notes,)
    population_sampled_neg_count, population_sampled_pos_count : int arrays (n_notes,)
    num_ratings_last_28, num_population_sampled_ratings : int arrays (n_notes,)
    extra : mapping, optional
        Further §11.2 columns (the pcrh diagnostics).

    Returns
    -------
    polars.DataFrame
    """
    n = history.n_notes
    final = meta.final_status
    data: dict[str, pl.Series] = {
        "noteId": _text("noteId", history.note_id),
        "ratingWeight": _float("ratingWeight", tags.rating_weight),
        "createdAtMillis": pl.Series("createdAtMillis", history.created_at_ms, pl.Int64),
        "noteAuthorParticipantId": _text("noteAuthorParticipantId", history.author_id),
        "awaitingBool": pl.Series(final == NoteStatus.NEEDS_MORE_RATINGS),
        "numRatingsLast28": pl.Series(np.asarray(num_ratings_last_28, dtype=np.int64)),
        "numPopulationSampledRatings": pl.Series(
            np.asarray(num_population_sampled_ratings, dtype=np.int64)
        ),
        "currentStatus": _text("currentStatus", status_names(previous_status)),
        "crhBool": pl.Series(final == NoteStatus.CURRENTLY_RATED_HELPFUL),
        "crnhBool": pl.Series(final == NoteStatus.CURRENTLY_RATED_NOT_HELPFUL),
        "unlockedRatingStatus": _text("unlockedRatingStatus", status_names(meta.unlocked_status)),
        "preStabilizationRatingStatus": _text(
            "preStabilizationRatingStatus", status_names(meta.pre_stabilization_status)
        ),
    }
    for k, tag in enumerate(HELPFUL_TAGS):
        data[tag] = pl.Series(tag, tag_counts.helpful[:, k], pl.Int64)
    for k, tag in enumerate(NOT_HELPFUL_TAGS):
        data[tag] = pl.Series(tag, tag_counts.not_helpful[:, k], pl.Int64)
    for k, tag in enumerate(NOT_HELPFUL_TAGS):
        data[f"{tag}Adjusted"] = _float(f"{tag}Adjusted", tags.adjusted[:, k])
    for k, tag in enumerate(NOT_HELPFUL_TAGS):
        data[f"{tag}AdjustedRatio"] = _float(f"{tag}AdjustedRatio", tags.adjusted_ratio[:, k])
    data["notHelpfulIncorrect_interval"] = _float("i", incorrect.incorrect)
    data["p_incorrect_user_interval"] = _float("p", incorrect.p_incorrect_user)
    data["num_voters_interval"] = _float("v", incorrect.num_voters)
    data["tf_idf_incorrect_interval"] = _float("t", incorrect.tf_idf)
    data["lowDiligenceIntercept"] = _float("l", low_diligence_intercept)
    data["coreNegFactor_populationSampledRatingCount"] = pl.Series(
        np.asarray(population_sampled_neg_count, dtype=np.int64)
    )
    data["corePosFactor_populationSampledRatingCount"] = pl.Series(
        np.asarray(population_sampled_pos_count, dtype=np.int64)
    )
    return _ordered_frame(n, AUX_NOTE_INFO, data, extra, "aux_note_info")


def build_helpfulness_scores(
    participant_ids: NDArray[np.str_],
    columns: Mapping[str, ColumnValues],
) -> pl.DataFrame:
    """``helpfulness_scores.tsv`` (§11.4): 47 columns in order, one row per contributor.

    Parameters
    ----------
    participant_ids : str array of shape (n_raters,)
        ``raterParticipantId``.
    columns : mapping of §11.4 column name to values of length n_raters
        Whatever the contributor scoring computed; missing columns are written empty.

    Returns
    -------
    polars.DataFrame

    Raises
    ------
    InputError
        A name that is not a §11.4 column, or a length mismatch.
    """
    ids = np.asarray(participant_ids, dtype=np.str_)
    data = {"raterParticipantId": _text("raterParticipantId", ids)}
    return _ordered_frame(ids.shape[0], HELPFULNESS_SCORES, data, columns, "helpfulness_scores")


def build_note_status_history(history: StatusHistory) -> pl.DataFrame:
    """``note_status_history.tsv`` (§11.3): the 24 columns in published order."""
    return history.to_frame()
