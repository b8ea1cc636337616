"""The scorer's inputs of an incremental pass, without redoing the note-level preprocessing.

``prepare_core_inputs`` (scoring stage 0) mixes note-level work (merging the notes file with
the status history, note facts, topics, enrollment and scope) with rating-level work
(high-volume raters, the misleading/deleted filter, PSS, the Core scope of each rating,
capture). Between two note events only the ratings change, so a :class:`NoteContext` keeps
the note-level half (``prepare_core_inputs`` on the notes with no ratings, built by the
caller, which owns the data) and :func:`live_inputs` redoes the rating-level half with the
same kernels on the ratings of the pass. The PSS groups (post-selection clusters and
quasi-cliques, extended §3.1-3.2) need the whole rating graph: the last refit's are kept.
``tests/scoring/incremental/test_inputs.py`` checks the result equals ``prepare_core_inputs``
on the same data and groups.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from bridgewatch.model import IdIndex, Ratings
from bridgewatch.scoring.config import ScoringConfig
from bridgewatch.scoring.history import StatusHistory
from bridgewatch.scoring.inputs import CoreInputs
from bridgewatch.scoring.preprocess import (
    apply_pss,
    capture_mask,
    filter_misleading_or_deleted,
    flag_high_volume_raters,
)

__all__ = ["NoteContext", "empty_ratings", "live_inputs"]


def empty_ratings(note_ids: IdIndex, participant_ids: IdIndex) -> Ratings:
    """No ratings, on the given indexes."""
    return Ratings(
        note_idx=np.zeros(0, dtype=np.int32),
        rater_idx=np.zeros(0, dtype=np.int32),
        helpful_num=np.zeros(0, dtype=np.float32),
        helpfulness_level=np.zeros(0, dtype=np.int8),
        created_at_ms=np.zeros(0, dtype=np.int64),
        helpful_tags=np.zeros(0, dtype=np.uint16),
        not_helpful_tags=np.zeros(0, dtype=np.uint16),
        population_sampled=np.zeros(0, dtype=np.bool_),
        note_ids=note_ids,
        participant_ids=participant_ids,
    )


@dataclass(frozen=True)
class NoteContext:
    """The note-level half of ``CoreInputs`` for one set of notes and one participant index.

    Attributes
    ----------
    base : ``prepare_core_inputs`` of the notes, status history and enrollment with no
        ratings; ``base.note_ids`` are the notes of the pass (sorted).
    in_input_nsh : bool array of shape (n_notes,), the note had a row in the input history.
    n_notes_in_table : rows of the notes table (PSS needs it).
    """

    base: CoreInputs
    in_input_nsh: NDArray[np.bool_]
    n_notes_in_table: int

    def accepts(self, history: StatusHistory, participant_ids: IdIndex) -> bool:
        """Whether ``history`` (the input NSH of the pass) has exactly this context's notes."""
        return self.base.participant_ids is participant_ids and np.array_equal(
            history.note_id, self.base.note_ids.ids
        )


def _subset(ratings: Ratings, mask: NDArray[np.bool_]) -> Ratings:
    """``ratings.subset(mask)``, without the copy when every rating is kept."""
    return ratings if bool(mask.all()) else ratings.subset(mask)


def live_inputs(
    context: NoteContext,
    ratings: Ratings,
    history: StatusHistory,
    config: ScoringConfig,
    *,
    rater_cluster: NDArray[np.int64] | None = None,
    rater_quasi_clique: NDArray[np.int64] | None = None,
    established: NDArray[np.bool_] | None = None,
) -> CoreInputs:
    """``prepare_core_inputs`` of the context's notes with ``ratings``, as of ``history``.

    Parameters
    ----------
    context : the note-level half; ``context.accepts(history, ...)`` must hold.
    ratings : the ratings with a value, on ``context.base.note_ids`` and its participants.
    history : the input status history (its rows are the context's notes, same order).
    config : ScoringConfig.
    rater_cluster, rater_quasi_clique : int64 arrays of shape (n_participants,), the PSS
        groups of the last refit (``CoreInputs.rater_cluster``...); None: none.
    established : bool per participant, the last refit's established raters
        (``CoreInputs.established``, the capture-share guard); None: none.

    Returns
    -------
    CoreInputs
    """
    base = context.base
    n_part = base.n_participants
    high_volume = flag_high_volume_raters(
        ratings.rater_idx, ratings.created_at_ms, ratings.note_idx, n_part, config.preprocess
    )
    info = base.note_info
    kept = _subset(
        ratings,
        filter_misleading_or_deleted(
            ratings.note_idx, info, context.in_input_nsh, config.preprocess
        ),
    )
    pss = apply_pss(
        kept.note_idx,
        kept.rater_idx,
        kept.created_at_ms,
        info.author_idx,
        context.n_notes_in_table,
        config.preprocess,
        rater_cluster=rater_cluster,
        rater_quasi_clique=rater_quasi_clique,
    )
    post_pss = _subset(kept, pss.keep)
    correlated = pss.correlated_rater[pss.keep]
    rating_in_scope = base.in_scope[post_pss.rater_idx]
    scoped_mask = rating_in_scope & (base.note_topic[post_pss.note_idx] < 0)
    captured = capture_mask(post_pss.note_idx, rating_in_scope, base.n_notes, config.scope)
    return replace(
        base,
        ratings=kept,
        post_pss=post_pss,
        correlated=correlated,
        scoped=_subset(post_pss, scoped_mask),
        scoped_correlated=correlated[scoped_mask],
        high_volume=high_volume,
        captured=captured,
        history=history,
        rater_cluster=rater_cluster,
        rater_quasi_clique=rater_quasi_clique,
        established=established,
    )
