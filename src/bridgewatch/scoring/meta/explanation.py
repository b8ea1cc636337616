"""Explanation tags and the InsufficientExplanation rule (scoring-core.md §9.5).

CRH notes are explained by their two most used helpful tags, CRNH notes by their two most
used not-helpful tags. A tag qualifies with ≥ ``min_ratings_to_get_tag`` ratings; a note
with fewer than ``min_tags_needed_for_status`` qualifying tags falls back to NMR.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from bridgewatch.errors import InputError
from bridgewatch.model import NoteStatus
from bridgewatch.model.columns import HELPFUL_TAGS, NOT_HELPFUL_TAGS
from bridgewatch.scoring.meta.config import MetaConfig

__all__ = [
    "ALL_TAGS",
    "HELPFUL_TIE_BREAK",
    "NOT_HELPFUL_TIE_BREAK",
    "ExplanationTags",
    "explanation_tags",
]

# Tag codes of ``ExplanationTags``: 0-8 helpful tags, 9-21 not-helpful tags (TSV order).
ALL_TAGS: tuple[str, ...] = HELPFUL_TAGS + NOT_HELPFUL_TAGS

# Tie-break order as the reference code applies it: earlier wins (§9.5; the docs list the
# helpful order reversed).
HELPFUL_TIE_BREAK: tuple[str, ...] = (
    "helpfulInformative",
    "helpfulClear",
    "helpfulImportantContext",
    "helpfulAddressesClaim",
    "helpfulGoodSources",
    "helpfulEmpathetic",
    "helpfulUniqueContext",
    "helpfulUnbiasedLanguage",
    "helpfulOther",
)
NOT_HELPFUL_TIE_BREAK: tuple[str, ...] = (
    "notHelpfulOutdated",
    "notHelpfulSpamHarassmentOrAbuse",
    "notHelpfulHardToUnderstand",
    "notHelpfulOffTopic",
    "notHelpfulIncorrect",
    "notHelpfulArgumentativeOrBiased",
    "notHelpfulNoteNotNeeded",
    "notHelpfulMissingKeyPoints",
    "notHelpfulOpinionSpeculationOrBias",
    "notHelpfulOpinionSpeculation",
    "notHelpfulSourcesMissingOrUnreliable",
    "notHelpfulIrrelevantSources",
    "notHelpfulOther",
)

_CRH = np.int8(NoteStatus.CURRENTLY_RATED_HELPFUL)
_CRNH = np.int8(NoteStatus.CURRENTLY_RATED_NOT_HELPFUL)


@dataclass(frozen=True)
class ExplanationTags:
    """Explanation tags per note; arrays of shape (n_notes,).

    Attributes
    ----------
    first_tag, second_tag : int8
        Index into ``ALL_TAGS``; -1 when the note is neither CRH nor CRNH or lacks tags.
    insufficient : bool
        CRH/CRNH notes with fewer qualifying tags than needed (InsufficientExplanation fires).
    """

    first_tag: NDArray[np.int8]
    second_tag: NDArray[np.int8]
    insufficient: NDArray[np.bool_]


def _top_two(
    counts: NDArray[np.integer],
    rows: NDArray[np.intp],
    order: tuple[str, ...],
    names: tuple[str, ...],
    min_count: int,
) -> tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.int64]]:
    """Best and second-best qualifying tag (column index) of each of ``rows``, and the
    number of qualifying tags. The tags are meaningful only where that number is >= 1 / 2."""
    # rank: larger wins ties; a qualifying tag's key = count * (n_tags + 1) + rank + 1 > 0,
    # distinct per tag, so two argmax passes give the top two.
    rank = np.array([len(order) - 1 - order.index(name) for name in names], dtype=np.int64)
    c = np.asarray(counts)[rows].astype(np.int64)
    qualifies = c >= max(min_count, 1)
    key = np.where(qualifies, c * (len(names) + 1) + rank + 1, 0)
    best = key.argmax(axis=1)
    key[np.arange(rows.shape[0]), best] = -1
    return best, key.argmax(axis=1), qualifies.sum(axis=1)


def explanation_tags(
    status: NDArray[np.int8],
    helpful_counts: NDArray[np.integer],
    not_helpful_counts: NDArray[np.integer],
    config: MetaConfig,
) -> ExplanationTags:
    """Choose ``firstTag`` / ``secondTag`` and find notes with insufficient explanation.

    Parameters
    ----------
    status : int8 array of shape (n_notes,)
        The label before the rule (after ScoringDriftGuard).
    helpful_counts : int array of shape (n_notes, 9)
        Per-note helpful tag counts, ``HELPFUL_TAGS`` order, over all post-PSS ratings.
    not_helpful_counts : int array of shape (n_notes, 13)
        Per-note not-helpful tag counts, ``NOT_HELPFUL_TAGS`` order.
    config : MetaConfig

    Returns
    -------
    ExplanationTags
    """
    s = np.asarray(status)
    n = s.shape[0]
    if np.shape(helpful_counts) != (n, len(HELPFUL_TAGS)) or np.shape(not_helpful_counts) != (
        n,
        len(NOT_HELPFUL_TAGS),
    ):
        raise InputError("tag counts must have shapes (n, 9) and (n, 13)", field="tag_counts")
    need = config.min_tags_needed_for_status
    crh, crnh = s == _CRH, s == _CRNH
    n_qual = np.zeros(n, dtype=np.int64)
    first = np.full(n, -1, dtype=np.int64)
    second = np.full(n, -1, dtype=np.int64)
    # Only CRH notes need helpful tags and only CRNH notes not-helpful ones.
    for mask, counts, order, names, offset in (
        (crh, helpful_counts, HELPFUL_TIE_BREAK, HELPFUL_TAGS, 0),
        (crnh, not_helpful_counts, NOT_HELPFUL_TIE_BREAK, NOT_HELPFUL_TAGS, len(HELPFUL_TAGS)),
    ):
        rows = np.flatnonzero(mask)
        best, runner_up, qualifying = _top_two(
            counts, rows, order, names, config.min_ratings_to_get_tag
        )
        first[rows] = best + offset
        second[rows] = runner_up + offset
        n_qual[rows] = qualifying
    insufficient = (crh | crnh) & (n_qual < need)
    first = np.where((crh | crnh) & ~insufficient & (n_qual >= 1), first, -1)
    second = np.where((crh | crnh) & ~insufficient & (n_qual >= 2), second, -1)
    return ExplanationTags(
        first_tag=first.astype(np.int8),
        second_tag=second.astype(np.int8),
        insufficient=insufficient,
    )
