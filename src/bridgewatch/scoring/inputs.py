"""Stage 0 of the Core scorer: from a loaded dataset to the arrays every later stage reads.

Preprocessing (scoring-core.md §2.3), topic exclusion (scoring-extended.md §4.3) and the Core
scope (§2.4). Pure: no files, no clock.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, fields, replace

import numpy as np
import polars as pl
from numpy.typing import NDArray

from bridgewatch.errors import InputError
from bridgewatch.model import Classification, EnrollmentState, IdIndex, Ratings
from bridgewatch.model.columns import ENROLLED_SINCE_COLUMN
from bridgewatch.model.dataset import Dataset
from bridgewatch.scoring.config import ScoringConfig
from bridgewatch.scoring.history import StatusHistory
from bridgewatch.scoring.manipulation import (
    PushWindows,
    RevokedGroups,
    find_post_selection_clusters,
    find_quasi_cliques,
)
from bridgewatch.scoring.preprocess import (
    NoteInfo,
    apply_pss,
    capture_mask,
    filter_misleading_or_deleted,
    flag_high_volume_raters,
    merge_note_info,
    raters_in_scope,
)
from bridgewatch.scoring.reputation.established import established_raters
from bridgewatch.scoring.topics import TopicClassifierError, assign_topics

__all__ = ["CoreInputs", "note_topics", "prepare_core_inputs"]

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CoreInputs:
    """Preprocessed inputs of one Core run.

    Notes are the rows of the merged status history, sorted by note id: note arrays have
    shape (n_notes,) and are aligned with ``history`` and ``note_ids``; every rating's note is
    one of them (the misleading/deleted filter drops ratings on notes in neither file).
    Participant arrays have shape (n_participants,) over ``participant_ids``.

    Attributes
    ----------
    note_ids : the notes of ``history``, sorted; participant_ids : the dataset's index.
    ratings : preprocessed ratings before PSS (misleading/deleted filter applied); the
        contributor statistics use these (§11.4).
    post_pss : ratings after PSS application (all raters); tag counts and capture use these.
    correlated : bool array of shape (post_pss.n_ratings,), ``correlatedRater``.
    scoped : post-PSS ratings of in-scope raters on notes without a topic (scopedRatings).
    scoped_correlated : bool array of shape (scoped.n_ratings,).
    high_volume : bool per participant (§2.3 step 2).
    in_scope : bool per participant (§2.4).
    modeling_group : int64 per participant, -1 where missing.
    enrolled : bool per participant.
    note_info : merged note facts (§2.3 step 3).
    note_topic : int8 per note, topic id or -1.
    captured : bool per note, passes the Core capture threshold (§2.4).
    history : the input NSH merged with new notes, one row per note, sorted by note id.
    rater_cluster, rater_quasi_clique : int64 per participant, the PSS groups the run used
        (extended §3.1-3.2; -1 none), or None when it used none. The worker keeps a refit's
        between refits (they need the whole rating graph).
    established : bool per participant (``bridgewatch.scoring.reputation
        .established_raters``) when ``ScoringConfig.establishment`` is set (a defence, not
        in the reference), else None.
    revoked_groups : the co-rating groups among established raters whose establishment the
        run revoked, and the cells they concentrate on (``bridgewatch.scoring.defences
        .screen_shared``; the unexplained-ratings test convicts them), else None.
    push_windows : the cells where the run-wide group passes dropped verdicts and when
        (``bridgewatch.scoring.defences.screen_shared`` with ``ScoringConfig.push_guard``;
        the final note fits and the tag-based filters guard them), else None.
    scoped_mask : bool array of shape (post_pss.n_ratings,), which post-PSS ratings
        ``scoped`` holds, when known (``prepare_core_inputs``); None otherwise. A scorer
        whose view selects the same ratings reuses ``scoped`` instead of copying them
        (``scorers.scope.scorer_inputs``). Whoever replaces ``scoped`` or ``post_pss``
        clears it.
    """

    note_ids: IdIndex
    participant_ids: IdIndex
    ratings: Ratings
    post_pss: Ratings
    correlated: NDArray[np.bool_]
    scoped: Ratings
    scoped_correlated: NDArray[np.bool_]
    high_volume: NDArray[np.bool_]
    in_scope: NDArray[np.bool_]
    modeling_group: NDArray[np.int64]
    enrolled: NDArray[np.bool_]
    note_info: NoteInfo
    note_topic: NDArray[np.int8]
    captured: NDArray[np.bool_]
    history: StatusHistory
    rater_cluster: NDArray[np.int64] | None = None
    rater_quasi_clique: NDArray[np.int64] | None = None
    established: NDArray[np.bool_] | None = None
    revoked_groups: RevokedGroups | None = None
    push_windows: PushWindows | None = None
    scoped_mask: NDArray[np.bool_] | None = None

    @property
    def n_notes(self) -> int:
        """Size of the note index."""
        return len(self.note_ids)

    @property
    def n_participants(self) -> int:
        """Size of the participant index."""
        return len(self.participant_ids)


def _ids(series: pl.Series) -> NDArray[np.str_]:
    return np.asarray(series.cast(pl.String).fill_null("").to_list(), dtype=np.str_)


def _participant_lookup(index: IdIndex, ids: NDArray[np.str_]) -> NDArray[np.int32]:
    out = index.lookup(ids)
    out[ids == ""] = -1
    return out


def _enrollment_arrays(
    dataset: Dataset,
) -> tuple[NDArray[np.int64], NDArray[np.bool_]]:
    n = len(dataset.participant_ids)
    group = np.full(n, -1, dtype=np.int64)
    enrolled = np.zeros(n, dtype=np.bool_)
    frame = dataset.enrollment
    if frame.height:
        rows = dataset.participant_ids.lookup(_ids(frame["participantId"]))
        values = frame["modelingGroup"].cast(pl.Float64).fill_null(np.nan).to_numpy()
        ok = rows >= 0
        enrolled[rows[ok]] = True
        finite = ok & np.isfinite(values)
        group[rows[finite]] = values[finite].astype(np.int64)
    return group, enrolled


def _established(dataset: Dataset, config: ScoringConfig) -> NDArray[np.bool_] | None:
    """Established participants (``EstablishmentConfig``) from the enrollment rows, the
    present being the newest rating; None without ``config.establishment``. The clock
    starts at the frame's ``ENROLLED_SINCE_COLUMN`` where it has one (the platform's
    tables: scoring's own state changes do not restart it), else at
    ``timestampOfLastStateChange``."""
    if config.establishment is None:
        return None
    n = len(dataset.participant_ids)
    enrolled = np.zeros(n, dtype=np.bool_)
    state = np.full(n, -1, dtype=np.int8)
    changed = np.zeros(n, dtype=np.int64)
    frame = dataset.enrollment
    if frame.height:
        rows = dataset.participant_ids.lookup(_ids(frame["participantId"]))
        ok = rows >= 0
        enrolled[rows[ok]] = True
        codes = frame["enrollmentState"].to_physical().cast(pl.Int64).fill_null(-1).to_numpy()
        names = frame["enrollmentState"].dtype
        if isinstance(names, pl.Enum):  # physical Enum positions -> EnrollmentState codes
            lut = np.array([int(EnrollmentState[c]) for c in names.categories.to_list()])
            codes = np.where(codes >= 0, lut[np.maximum(codes, 0)], -1)
        state[rows[ok]] = codes[ok].astype(np.int8)
        if "timestampOfLastStateChange" in frame.columns:
            ts = frame["timestampOfLastStateChange"].cast(pl.Int64)
            if ENROLLED_SINCE_COLUMN in frame.columns:
                # The platform's clock start, which scoring's state changes never move.
                ts = frame[ENROLLED_SINCE_COLUMN].cast(pl.Int64).fill_null(ts)
            changed[rows[ok]] = ts.fill_null(0).to_numpy()[ok]
    ratings = dataset.ratings
    now = int(ratings.created_at_ms.max()) if ratings.n_ratings else 0
    return established_raters(enrolled, state, changed, now, config.establishment)


def note_topics(notes: pl.DataFrame, config: ScoringConfig) -> NDArray[np.int8]:
    """Topic id of each row of a notes frame (extended §4.3), -1 for none.

    All -1 when topics are off, there are no notes, or the classifier fails (the reference
    aborts the run there; scoring goes on without topics and a warning, as with
    ``--no-topics``). It reads only the notes (``tweetId``, ``summary``), so a caller may run
    it while the ratings load (``pipeline.batch``) and pass it to ``prepare_core_inputs``.
    """
    topics = np.full(notes.height, -1, dtype=np.int8)
    if config.topics is None or notes.height == 0:
        return topics
    try:
        assignment = assign_topics(
            notes["tweetId"].cast(pl.String).fill_null("").to_numpy(),
            notes["summary"].cast(pl.String).to_list(),
            config.topics,
        )
    except TopicClassifierError as exc:
        _log.warning("topic classifier failed (%s); scoring without topic assignment", exc)
        return topics
    return assignment.note_topics.astype(np.int8, copy=False)


def _note_topics(
    dataset: Dataset, config: ScoringConfig, by_row: NDArray[np.int8] | None
) -> NDArray[np.int8]:
    """Topic per note of ``dataset.note_ids`` from ``note_topics`` of its notes frame
    (``by_row``, computed here when None)."""
    notes = dataset.notes
    if by_row is None:
        by_row = note_topics(notes, config)
    elif by_row.shape != (notes.height,):
        raise ValueError(f"note_topics has shape {by_row.shape} for {notes.height} notes")
    topics = np.full(len(dataset.note_ids), -1, dtype=np.int8)
    if notes.height:
        topics[dataset.note_ids.lookup(_ids(notes["noteId"]))] = by_row
    return topics


def _history(dataset: Dataset) -> StatusHistory:
    """Input NSH with rows for new notes (§2.3 step 3), sorted by note id."""
    frame = dataset.status_history
    history = StatusHistory.from_frame(frame) if frame.height else StatusHistory.empty()
    notes = dataset.notes
    merged = history.with_new_notes(
        _ids(notes["noteId"]),
        _ids(notes["noteAuthorParticipantId"]),
        notes["createdAtMillis"].cast(pl.Int64).to_numpy(),
    )
    order = np.argsort(merged.note_id, kind="stable")
    return merged.with_columns(**{f.name: getattr(merged, f.name)[order] for f in fields(merged)})


def _reindex_notes(ratings: Ratings, to_row: NDArray[np.int32], note_ids: IdIndex) -> Ratings:
    """The same ratings with ``note_idx`` mapped through ``to_row`` onto ``note_ids``.

    When ``to_row`` is the identity (every note has a history row: the usual case) the
    ratings keep their ``note_idx`` array instead of a copy of it.
    """
    identity = to_row.shape[0] == len(note_ids) and bool(
        np.array_equal(to_row, np.arange(to_row.shape[0], dtype=to_row.dtype))
    )
    note_idx = ratings.note_idx if identity else to_row[ratings.note_idx]
    return replace(ratings, note_idx=note_idx, note_ids=note_ids)


def _take_info(info: NoteInfo, rows: NDArray[np.int32]) -> NoteInfo:
    return NoteInfo(**{f.name: getattr(info, f.name)[rows] for f in fields(info)})


def _detect_manipulation(
    dataset: Dataset,
    kept: Ratings,
    info: NoteInfo,
    history: StatusHistory,
    rows: NDArray[np.int32],
    config: ScoringConfig,
) -> tuple[NDArray[np.int64] | None, NDArray[np.int64] | None]:
    """PSS clusters and quasi-cliques per participant, when the config asks for them."""
    if config.post_selection is None and config.quasi_cliques is None:
        return None, None
    n_rows = history.n_notes
    post_idx = np.full(n_rows, -1, dtype=np.int64)
    notes = dataset.notes
    if notes.height:
        tweet = _ids(notes["tweetId"])
        _, codes = np.unique(tweet, return_inverse=True)
        to_row = np.full(len(dataset.note_ids), -1, dtype=np.int64)
        to_row[rows] = np.arange(n_rows)
        note_rows = to_row[dataset.note_ids.lookup(_ids(notes["noteId"]))]
        real = (note_rows >= 0) & (tweet != "-1") & (tweet != "")
        post_idx[note_rows[real]] = codes[real]
    cluster = clique = None
    if config.post_selection is not None:
        found = find_post_selection_clusters(
            kept, info.author_idx, history.created_at_ms, post_idx, config.post_selection
        )
        cluster = found.post_selection_value.astype(np.int64)
        _log.info("post-selection similarity: %d clusters", found.n_clusters)
    if config.quasi_cliques is not None:
        misleading = info.classification == Classification.MISINFORMED_OR_POTENTIALLY_MISLEADING
        cliques = find_quasi_cliques(
            kept, history.created_at_ms, post_idx, misleading, config.quasi_cliques
        )
        clique = cliques.quasi_clique_value.astype(np.int64)
        _log.info("quasi-cliques: %d", cliques.clique_sizes.shape[0])
    return cluster, clique


def prepare_core_inputs(
    dataset: Dataset,
    config: ScoringConfig,
    *,
    rater_cluster: NDArray[np.int64] | None = None,
    rater_quasi_clique: NDArray[np.int64] | None = None,
    topics: NDArray[np.int8] | None = None,
) -> CoreInputs:
    """Preprocess a dataset for the Core scorer (§2.3, §2.4, extended §4.3).

    Parameters
    ----------
    dataset : the loaded inputs.
    config : ScoringConfig
    rater_cluster : int64 array of shape (n_participants,), PSS ``postSelectionValue`` per
        participant (-1 none); None: detect them when ``config.post_selection`` is set, else
        no clusters.
    rater_quasi_clique : int64 array of shape (n_participants,), ``quasiCliqueValue``;
        None: detect them when ``config.quasi_cliques`` is set, else none.
    topics : int8 array of shape (dataset.notes.height,), ``note_topics`` of the dataset's
        notes frame with this config, when the caller computed it already; None computes it.

    Returns
    -------
    CoreInputs
    """
    n_notes = len(dataset.note_ids)
    n_part = len(dataset.participant_ids)
    ratings = dataset.ratings
    high_volume = flag_high_volume_raters(
        ratings.rater_idx, ratings.created_at_ms, ratings.note_idx, n_part, config.preprocess
    )

    input_nsh = dataset.status_history
    nsh_rows = dataset.note_ids.lookup(_ids(input_nsh["noteId"]))
    notes = dataset.notes
    notes_rows = dataset.note_ids.lookup(_ids(notes["noteId"]))
    classification = (
        notes["classification"].to_physical().cast(pl.Int8).fill_null(-1).to_numpy()
    ).astype(np.int8)
    info = merge_note_info(
        n_notes,
        nsh_note_idx=nsh_rows,
        nsh_created_at_ms=input_nsh["createdAtMillis"].cast(pl.Int64).to_numpy(),
        nsh_author_idx=_participant_lookup(
            dataset.participant_ids, _ids(input_nsh["noteAuthorParticipantId"])
        ),
        notes_note_idx=notes_rows,
        notes_created_at_ms=notes["createdAtMillis"].cast(pl.Int64).to_numpy(),
        notes_author_idx=_participant_lookup(
            dataset.participant_ids, _ids(notes["noteAuthorParticipantId"])
        ),
        notes_classification=classification,
    )
    in_input_nsh = np.zeros(n_notes, dtype=np.bool_)
    in_input_nsh[nsh_rows] = True
    kept = ratings.subset(
        filter_misleading_or_deleted(ratings.note_idx, info, in_input_nsh, config.preprocess)
    )
    history = _history(dataset)
    rows = dataset.note_ids.lookup(history.note_id)
    to_row = np.full(n_notes, -1, dtype=np.int32)
    to_row[rows] = np.arange(rows.shape[0], dtype=np.int32)
    if np.any((to_row < 0)[kept.note_idx]):
        raise InputError("a kept rating's note has no status-history row", field="noteId")
    note_ids = IdIndex(history.note_id)
    kept = _reindex_notes(kept, to_row, note_ids)
    info = _take_info(info, rows)
    n_rows = history.n_notes

    if rater_cluster is None or rater_quasi_clique is None:
        detected_cluster, detected_clique = _detect_manipulation(
            dataset, kept, info, history, rows, config
        )
        rater_cluster = detected_cluster if rater_cluster is None else rater_cluster
        rater_quasi_clique = detected_clique if rater_quasi_clique is None else rater_quasi_clique
    pss = apply_pss(
        kept.note_idx,
        kept.rater_idx,
        kept.created_at_ms,
        info.author_idx,
        int(notes.height),
        config.preprocess,
        rater_cluster=rater_cluster,
        rater_quasi_clique=rater_quasi_clique,
    )
    post_pss = kept.subset(pss.keep)
    correlated = pss.correlated_rater[pss.keep]

    modeling_group, enrolled = _enrollment_arrays(dataset)
    in_scope = raters_in_scope(modeling_group, enrolled, config.scope)
    note_topic = _note_topics(dataset, config, topics)[rows]
    rating_in_scope = in_scope[post_pss.rater_idx]
    scoped_mask = rating_in_scope & (note_topic[post_pss.note_idx] < 0)
    captured = capture_mask(post_pss.note_idx, rating_in_scope, n_rows, config.scope)

    _log.info(
        "preprocessed: %d ratings kept of %d, %d after PSS, %d in Core scope; "
        "%d high-volume raters; %d notes with a topic",
        kept.n_ratings,
        ratings.n_ratings,
        post_pss.n_ratings,
        int(scoped_mask.sum()),
        int(high_volume.sum()),
        int((note_topic >= 0).sum()),
    )
    return CoreInputs(
        note_ids=note_ids,
        participant_ids=dataset.participant_ids,
        ratings=kept,
        post_pss=post_pss,
        correlated=correlated,
        scoped=post_pss.subset(scoped_mask),
        scoped_correlated=correlated[scoped_mask],
        high_volume=high_volume,
        in_scope=in_scope,
        modeling_group=modeling_group,
        enrolled=enrolled,
        note_info=info,
        note_topic=note_topic,
        captured=captured,
        history=history,
        rater_cluster=rater_cluster,
        rater_quasi_clique=rater_quasi_clique,
        established=_established(dataset, config),
        scoped_mask=scoped_mask,
    )
