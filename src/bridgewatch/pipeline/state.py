"""The worker's in-memory scoring state: the data as of an event, the last refit, the cache.

``load_snapshot`` reads a consistent snapshot of the database (one REPEATABLE READ
transaction on PostgreSQL, one read transaction on SQLite) together with the worker's
consumer offset; ``refit`` runs the batch scorer on it (``score``: the whole roster by
default, with the config's defences) and keeps what the passes hold frozen
(:func:`bridgewatch.scoring.incremental.roster_refit`); ``apply_events`` applies rating and
note events (idempotent: a rating event carries the whole row, so applying it twice leaves
the same data); ``rescore`` runs every scorer's incremental final scoring, the meta chain and
the status history (:func:`bridgewatch.scoring.incremental.rescore_roster`), holds the notes
whose recent ratings look coordinated (:mod:`bridgewatch.scoring.incremental.watch`) and
returns the changed rows and the rule trace of the notes it rescored.

Per pass the work that does not depend on the ratings is not redone: ratings are kept in a
:class:`~bridgewatch.pipeline.store.RatingStore` updated per event, the note-level
preprocessing in a :class:`~bridgewatch.scoring.incremental.NoteContext`, and every scorer
redoes only the notes whose ratings changed since the previous pass (``rescore_roster``
with ``previous``). Each pass also runs the contributor phase (rating impact, writing
impact, enrollment: :mod:`bridgewatch.pipeline.contributors`) and returns the rows whose
figures changed.
"""

from __future__ import annotations

import logging
import pickle
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np
import polars as pl
from numpy.typing import NDArray
from sqlalchemy import Connection, func, select

from bridgewatch.io import schemas
from bridgewatch.io.columns import NOT_HELPFUL_TAGS, NOTE_STATUS_HISTORY_COLUMNS
from bridgewatch.io.dataset import Dataset
from bridgewatch.model import IdIndex, Ratings
from bridgewatch.model.columns import ENROLLED_SINCE_COLUMN
from bridgewatch.pipeline.contributors import (
    COUNT_COLUMNS,
    ContributorFigures,
    ContributorRows,
    OutcomeTally,
    changed_rows,
    contributor_figures,
    enrolled_mask,
)
from bridgewatch.pipeline.gather import LiveRows
from bridgewatch.pipeline.inputs import build_note_context, history_frame
from bridgewatch.pipeline.store import RatingStore
from bridgewatch.pipeline.views import note_views
from bridgewatch.scoring.config import ScoringConfig
from bridgewatch.scoring.contributors import (
    enrollment_table,
    note_facts,
    note_sort_keys,
    score_contributors,
)
from bridgewatch.scoring.enrollment import EnrollmentTable
from bridgewatch.scoring.enrollment.update import emerging_cutoff_ms
from bridgewatch.scoring.history import StatusHistory, status_names
from bridgewatch.scoring.incremental import (
    IncrementalConfig,
    InputsTrail,
    LivePass,
    NoteContext,
    NoteFitCache,
    PopularityCache,
    PrescoringAligner,
    RaterModel,
    RecentPerNote,
    RosterRefit,
    WatchConfig,
    apply_holds,
    corroboration_holds,
    deviation_holds,
    follow_inputs,
    is_corroboration_reason,
    newly_helpful,
    rater_model,
    rescore_roster,
    residual_spread,
    roster_refit,
    sticky_proven,
    suspicious_notes,
    unproven_support,
)
from bridgewatch.scoring.incremental.writes import WriteLog
from bridgewatch.scoring.inputs import CoreInputs, prepare_core_inputs
from bridgewatch.scoring.meta.explanation import ALL_TAGS
from bridgewatch.scoring.run import score
from bridgewatch.scoring.scorers import CORE_NAME, ScorerSpec
from bridgewatch.scoring.status import CORE_RULE_NAMES, labels_from_bitmask
from bridgewatch.store.dump import export_frames
from bridgewatch.store.tables import (
    contributor_scores,
    events,
    note_scores,
    note_status_history,
    pipeline_offsets,
)
from bridgewatch.store.tables import enrollment as enrollment_rows

__all__ = [
    "Frames",
    "LiveState",
    "PassResult",
    "Refit",
    "StatusChange",
    "defences_on",
    "load_contributor_figures",
    "load_history",
    "load_holds",
    "load_snapshot",
    "max_event_id",
]

_log = logging.getLogger(__name__)

_NO_CUTOFF = 2**62
_RATING_KEY = ("noteId", "raterParticipantId")


def _typed(rows: pl.DataFrame, schema: pl.Schema) -> pl.DataFrame:
    """``rows`` with exactly ``schema``'s columns and dtypes (missing columns null)."""
    return rows.select(
        [
            (pl.col(name) if name in rows.columns else pl.lit(None)).cast(dtype).alias(name)
            for name, dtype in schema.items()
        ]
    )


@dataclass
class Frames:
    """The scorer's inputs as typed frames (public schemas) plus the status history."""

    notes: pl.DataFrame
    ratings: pl.DataFrame
    enrollment: pl.DataFrame
    history: StatusHistory


def load_snapshot(conn: Connection, consumer: str) -> tuple[Frames, int]:
    """Everything the scorer reads, and ``consumer``'s offset, in the caller's transaction.

    Returns
    -------
    (frames, offset): the offset is the last event whose effects the consumer committed;
    the frames may already contain later writes, which replaying the events after the
    offset re-applies harmlessly.
    """
    offset = conn.execute(
        select(pipeline_offsets.c.last_event_id).where(pipeline_offsets.c.consumer == consumer)
    ).scalar()
    frames = export_frames(conn, _NO_CUTOFF)
    nsh = frames["noteStatusHistory"]
    history = StatusHistory.from_frame(nsh) if nsh.height else StatusHistory.empty()
    out = Frames(
        notes=_typed(frames["notes"], schemas.NOTES.polars_schema),
        ratings=_typed(frames["ratings"], schemas.RATINGS.polars_schema),
        enrollment=_with_enrolled_since(
            conn, _typed(frames["userEnrollment"], schemas.USER_ENROLLMENT.polars_schema)
        ),
        history=history,
    )
    return out, int(offset or 0)


def _with_enrolled_since(conn: Connection, frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with the platform's ``ENROLLED_SINCE_COLUMN`` (the establishment clock's
    start, which the passes' and refits' state changes never move; null where unknown), so
    every refit counts the same raters established as a batch run of the enrollment the
    platform first recorded, however often scoring wrote state changes in between."""
    rows = conn.execute(
        select(enrollment_rows.c.participantId, enrollment_rows.c[ENROLLED_SINCE_COLUMN])
    ).all()
    since = pl.DataFrame(
        {
            "participantId": [str(r[0]) for r in rows],
            ENROLLED_SINCE_COLUMN: [None if r[1] is None else int(r[1]) for r in rows],
        },
        schema={"participantId": pl.String, ENROLLED_SINCE_COLUMN: pl.Int64},
    )
    key = frame["participantId"].cast(pl.String).alias("participantId")
    joined = pl.DataFrame(key).join(since, on="participantId", how="left", maintain_order="left")
    return frame.with_columns(joined[ENROLLED_SINCE_COLUMN])


def load_history(conn: Connection) -> StatusHistory:
    """The published note status history (another worker's effects included)."""
    columns = NOTE_STATUS_HISTORY_COLUMNS
    rows = conn.execute(
        select(*[note_status_history.c[c] for c in columns]).order_by(note_status_history.c.noteId)
    ).all()
    if not rows:
        return StatusHistory.empty()
    frame = pl.DataFrame(
        [tuple(r) for r in rows], schema=list(columns), orient="row", infer_schema_length=None
    )
    return StatusHistory.from_frame(frame.with_columns(pl.col("noteId").cast(pl.String)))


def load_holds(conn: Connection) -> dict[str, tuple[int, str]]:
    """The published coordination holds: note id -> (held since ms, why).

    The holds are part of the worker's committed state (written with the offset), so a
    restarted worker, or one that catches up on another's batches, takes them from here.
    """
    rows = conn.execute(
        select(note_scores.c.note_id, note_scores.c.held_since_ms, note_scores.c.hold_reason)
        .where(note_scores.c.hold_reason.is_not(None))
        .order_by(note_scores.c.note_id)
    ).all()
    return {str(int(n)): (int(t or 0), str(r)) for n, t, r in rows}


def load_contributor_figures(conn: Connection, like: ContributorFigures) -> ContributorFigures:
    """The published contributor rows (``contributor_scores`` and ``enrollment``, another
    worker's passes included) as figures on ``like``'s participant index, for a worker that
    takes over from another to compare its next pass with (``changed_rows``).

    Participants without a ``contributor_scores`` row are not listed (NaN rater parameters);
    without an enrollment row their enrollment figures are -1.
    """
    ids = like.participant_ids
    n = len(ids)
    c = contributor_scores.c
    at, values = _published(
        conn,
        ids,
        c.participant_id,
        c.core_rater_intercept,
        c.core_rater_factor1,
        c.above_helpfulness_threshold,
        *[c[k] for k in COUNT_COLUMNS],
    )
    listed = np.zeros(n, dtype=np.bool_)
    listed[at] = True
    params = np.full((n, 2), np.nan)
    params[at] = values[:, :2]
    above = np.full(n, -1, dtype=np.int8)
    above[at] = np.nan_to_num(values[:, 2], nan=-1).astype(np.int8)
    counts = np.zeros((n, len(COUNT_COLUMNS)), dtype=np.int64)
    counts[at] = np.nan_to_num(values[:, 3:], nan=0).astype(np.int64)
    e = enrollment_rows.c
    at, values = _published(
        conn,
        ids,
        e.participantId,
        e.enrollmentState,
        e.successfulRatingNeededToEarnIn,
        e.timestampOfLastStateChange,
        e.timestampOfLastEarnOut,
        e.numberOfTimesEarnedOut,
    )
    enrollment = np.full((n, 5), -1, dtype=np.int64)
    enrollment[at] = np.nan_to_num(values, nan=-1).astype(np.int64)
    return ContributorFigures(
        participant_ids=ids,
        listed=listed,
        counts=counts,
        rater_intercept=params[:, 0],
        rater_factor=params[:, 1],
        above=above,
        enrollment=enrollment,
    )


def _published(
    conn: Connection, ids: IdIndex, key: Any, *columns: Any
) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """Rows of a per-participant table: the participants' rows in ``ids`` (int64 array of
    shape (k,)) and their ``columns`` as float64 (k, len(columns)), NULL as NaN (exact for
    the tables' integers, all below 2**53); rows of participants not in ``ids`` skipped."""
    rows = conn.execute(select(key, *columns)).all()
    if not rows:
        return np.zeros(0, dtype=np.int64), np.zeros((0, len(columns)))
    at = ids.lookup(np.asarray([str(r[0]) for r in rows], dtype=np.str_)).astype(np.int64)
    values = np.array([r[1:] for r in rows], dtype=np.float64)  # None -> NaN
    keep = at >= 0
    return at[keep], values[keep]


def max_event_id(conn: Connection) -> int:
    """The newest event id visible to the caller's transaction (0 if none)."""
    return int(conn.execute(select(func.coalesce(func.max(events.c.id), 0))).scalar_one())


def defences_on(config: ScoringConfig) -> bool:
    """Whether ``config`` has any manipulation defence beyond the published algorithm on."""
    return any(
        part is not None
        for part in (
            config.co_rating,
            config.thin_pools,
            config.bursts,
            config.trust,
            config.post_selection,
            config.quasi_cliques,
        )
    )


@dataclass(frozen=True)
class StatusChange:
    """One note whose published status changed in a pass."""

    note_id: str
    status: str | None
    previous: str | None
    decided_by: str | None
    at_ms: int


@dataclass(frozen=True)
class PassResult:
    """What one pass changed.

    Attributes
    ----------
    history_rows : NSH rows (public column names) of the notes whose row changed.
    changes : notes whose ``currentStatus`` changed.
    pending : note id -> ratings waiting for the next refit (raters it does not know), for
        the notes with rating events in this pass (0: none wait).
    resolved : number of notes whose fits were re-solved.
    scores : ``note_scores`` rows (the rule trace) of the notes this pass rescored: those
        with rating events, re-solved fits or a changed status-history row.
    contributors : the ``contributor_scores`` and ``enrollment`` rows whose figures changed
        (rating impact, writing impact, enrollment state).
    """

    history_rows: list[dict[str, Any]]
    changes: list[StatusChange]
    pending: dict[str, int]
    resolved: int
    scores: list[dict[str, Any]] = field(default_factory=list)
    contributors: ContributorRows = field(default_factory=lambda: ContributorRows([], []))


@dataclass(frozen=True)
class Refit:
    """One full refit: what every incremental pass until the next refit holds frozen.

    Attributes
    ----------
    roster : the frozen state of the refit's ``score`` run (every scorer's prescoring,
        defence decisions and fit cache, the PSS groups).
    defences : whether the refit ran with the manipulation defences on.
    enrollment : the enrollment table the refit loaded: the passes until the next refit run
        the contributor phase from it (as the refit did), so a pass at the refit point
        writes the refit's figures; None (a refit stored by an older version): the passes
        take the enrollment of their snapshot.
    """

    roster: RosterRefit
    defences: bool = False
    enrollment: pl.DataFrame | None = None

    @property
    def participant_ids(self) -> IdIndex:
        """The refit's participant index (raters it does not know wait)."""
        return self.roster.participant_ids

    @property
    def note_ids(self) -> NDArray[np.str_]:
        """The refit's notes (sorted)."""
        return self.roster.note_ids

    def to_bytes(self) -> bytes:
        """Serialized (pickle: written and read only by the workers, never user data)."""
        return pickle.dumps(self, protocol=pickle.HIGHEST_PROTOCOL)

    @classmethod
    def from_bytes(cls, data: bytes) -> Refit:
        """The refit ``to_bytes`` wrote."""
        value = pickle.loads(data)  # our own table, written by to_bytes
        if not isinstance(value, cls) or not isinstance(
            getattr(value, "roster", None), RosterRefit
        ):
            # (A refit stored by an older version, Core alone: the worker refits anew.)
            raise TypeError("not a Refit of this version")
        return value


@dataclass
class LiveState:
    """The data, the last refit and the fit cache of one worker.

    The ratings live in a :class:`RatingStore` (updated per event); the notes and the
    enrollment stay frames (they change rarely) and the note-level preprocessing of a pass
    is cached in a :class:`NoteContext` until a note event or a refit changes it.

    Attributes
    ----------
    frames : the notes, enrollment and status history as of ``position`` (``frames.ratings``
        is only read once, into ``store``).
    position : id of the last event applied.
    config : the scorer's config; incremental : how jointly fitted figures are handled.
    seed : seed of each refit's random initial values.
    scorers : the roster of each refit (None: the whole default roster, as ``score``).
    defences : whether ``config`` has the manipulation defences on (recorded in refits).
    watch : the coordination watch between refits (None: off); see
        :mod:`bridgewatch.scoring.incremental.watch`.
    holds : note id -> (held since ms, why): notes whose helpful status may not change
        until the next refit.
    """

    frames: Frames
    position: int
    config: ScoringConfig
    incremental: IncrementalConfig = field(default_factory=IncrementalConfig)
    seed: int = 0
    scorers: tuple[ScorerSpec, ...] | None = None
    defences: bool = False
    watch: WatchConfig | None = None
    holds: dict[str, tuple[int, str]] = field(default_factory=dict)
    refresh_rows: int = 500
    _released: set[str] = field(default_factory=set)
    _refit: Refit | None = None
    _caches: dict[str, NoteFitCache] = field(default_factory=dict)
    store: RatingStore = field(default_factory=RatingStore)
    _context: NoteContext | None = None
    _aligner: PrescoringAligner = field(default_factory=PrescoringAligner)
    last_pass: LivePass | None = None
    _rater_map: NDArray[np.int32] = field(default_factory=lambda: np.zeros(0, dtype=np.int32))
    _note_map: NDArray[np.int32] = field(default_factory=lambda: np.zeros(0, dtype=np.int32))
    _touched: set[str] = field(default_factory=set)
    # Note ids whose ``note_scores`` row may predate the installed refit (see ``install``).
    _stale: NDArray[np.str_] = field(default_factory=lambda: np.zeros(0, dtype=np.str_))
    _as_of_ms: int = 0
    pending: dict[str, int] = field(default_factory=dict)
    _contributors: ContributorFigures | None = None
    _tally: OutcomeTally | None = None
    _sort_keys: tuple[NDArray[np.str_], NDArray[np.int64]] | None = None
    refit_rows: ContributorRows | None = None
    # (enrollment frame, participant index, its table, its enrolled mask) of the passes.
    _enrollment: tuple[pl.DataFrame, IdIndex, EnrollmentTable, NDArray[np.bool_]] | None = None
    # (refit, its Core rater model) of the watch's unproven-support rule.
    _model: tuple[Refit, RaterModel | None] | None = None
    # (refit, the model's residual spread) of the watch's recent-deviation test.
    _spread: tuple[Refit, float] | None = None
    # (refit, its defences' flagged raters) of the watch.
    _flagged: tuple[Refit, NDArray[np.bool_]] | None = None
    # (refit, the watch's proven record there); the participants proven at any refit so far.
    _proven: tuple[Refit, NDArray[np.bool_] | None] | None = None
    _proven_ids: NDArray[np.str_] = field(default_factory=lambda: np.zeros(0, dtype=np.str_))
    # The rows the passes since ``checkpoint`` overwrote in the previous passes' per-note
    # arrays (they update them in place: see ``bridgewatch.scoring.incremental.writes``);
    # None: no unit of work open (nothing to undo). ``_warming``: the warm pass copies.
    _writes: WriteLog | None = None
    _warming: bool = False
    # The live rows and the pass's ratings, followed from pass to pass by the store's changes.
    _live: LiveRows = field(default_factory=LiveRows)
    # The last pass's rating-level inputs, which the next pass updates (``follow_inputs``).
    _trail: InputsTrail | None = None
    # The watch's cell popularity, updated for the ratings added since (it checks that
    # itself: nothing to undo).
    _popularity: PopularityCache = field(default_factory=PopularityCache)
    # The emerging-writer window's ratings per note, the same way.
    _recent_notes: RecentPerNote = field(default_factory=RecentPerNote)

    def __post_init__(self) -> None:
        if self.frames.ratings.height:
            self.store = RatingStore.from_frame(self.frames.ratings)
            self.frames.ratings = self.frames.ratings.clear()

    @property
    def has_refit(self) -> bool:
        """Whether a refit has run (rescoring needs one)."""
        return self._refit is not None

    def checkpoint(self) -> _Saved:
        """Start a unit of work that :meth:`restore` can undo."""
        self.store.mark()
        self._writes = WriteLog()
        f = self.frames
        return _Saved(
            Frames(f.notes, f.ratings, f.enrollment, f.history),
            self.position,
            self._caches,
            self._context,
            set(self._touched),
            dict(self.pending),
            dict(self.holds),
            set(self._released),
            self.last_pass,
            self._contributors,
            self._tally,
            self._stale,
            self._trail,
        )

    def restore(self, saved: _Saved) -> None:
        """Undo everything since ``checkpoint`` (a pass whose transaction did not commit)."""
        self.store.undo()
        if self._writes is not None:
            self._writes.undo()  # the previous pass's arrays, as ``saved.last_pass`` had them
        self._writes = WriteLog()
        self.frames, self.position, self._caches = saved.frames, saved.position, saved.caches
        self._context, self._touched, self.pending = saved.context, saved.touched, saved.pending
        self.holds, self._released = saved.holds, saved.released
        self.last_pass = saved.last_pass
        self._contributors = saved.contributors
        self._tally = saved.tally
        self._stale = saved.stale
        self._trail = saved.trail

    # ---- events -----------------------------------------------------------------------
    def apply_events(self, batch: Iterable[Mapping[str, Any]]) -> int:
        """Apply rating and note events in order; returns how many changed the data."""
        upserts: dict[tuple[str, str], Mapping[str, Any] | None] = {}
        new_notes: dict[str, Mapping[str, Any]] = {}
        applied = 0
        last = self.position
        for ev in batch:
            kind = ev["event_type"]
            payload = ev["payload"]
            last = max(last, int(ev["id"]))
            if kind in ("rating.created", "rating.replaced"):
                upserts[(str(payload["noteId"]), str(payload["raterParticipantId"]))] = payload
            elif kind == "rating.deleted":
                upserts[(str(payload["noteId"]), str(payload["raterParticipantId"]))] = None
            elif kind == "note.created":
                new_notes[str(payload["noteId"])] = payload
            else:
                continue
            applied += 1
        if new_notes:
            self._add_notes(new_notes)
        if upserts:
            for (note_id, rater_id), row in upserts.items():
                if row is None:
                    self.store.delete(note_id, rater_id)
            self.store.upsert(r for r in upserts.values() if r is not None)
            self._touched.update(k[0] for k in upserts)
        self.position = last
        return applied

    def _add_notes(self, rows: Mapping[str, Mapping[str, Any]]) -> None:
        notes = self.frames.notes
        fresh = [dict(r) for k, r in rows.items()]
        frame = _typed(pl.DataFrame(fresh, infer_schema_length=None), notes.schema)
        kept = notes.filter(~pl.col("noteId").is_in(list(rows)))
        self.frames.notes = pl.concat([kept, frame])
        self._context = None

    # ---- the data of a pass -----------------------------------------------------------
    def _key_rows(
        self, keys: list[str], cached: NDArray[np.int32], index: IdIndex
    ) -> NDArray[np.int32]:
        """Position in ``index`` of every interned key (extends ``cached``, -1 if absent)."""
        if cached.shape[0] == len(keys):
            return cached
        fresh = index.lookup(np.asarray(keys[cached.shape[0] :], dtype=np.str_))
        return np.concatenate([cached, fresh.astype(np.int32)])

    def _dataset(self, participant_ids: IdIndex | None) -> Dataset:
        """The current data as a scorer ``Dataset`` (the refit's, or a fallback pass's).

        ``participant_ids`` None: every participant of the data (a refit); otherwise the
        ratings of raters not in it are left out (they wait for the next refit).
        """
        f = self.frames
        store = self.store
        rows = store.live_rows()
        rater_keys = np.asarray(store.rater_keys, dtype=np.str_)
        if participant_ids is None:
            raters = rater_keys[np.unique(store.rater_of(rows))]
            participant_ids = IdIndex.from_values(
                raters,
                _ids(f.notes["noteAuthorParticipantId"]),
                f.history.author_id[f.history.author_id != ""],
                _ids(f.enrollment["participantId"]),
            )
        rater_row = participant_ids.lookup(rater_keys)
        rows = rows[rater_row[store.rater_of(rows)] >= 0]
        note_keys = np.asarray(store.note_keys, dtype=np.str_)
        note_index = IdIndex.from_values(
            _ids(f.notes["noteId"]), f.history.note_id, note_keys[np.unique(store.note_of(rows))]
        )
        return Dataset(
            notes=f.notes,
            status_history=history_frame(f.history),
            enrollment=f.enrollment,
            ratings=store.ratings(
                rows, note_index.lookup(note_keys), rater_row, note_index, participant_ids
            ),
            note_ids=note_index,
            participant_ids=participant_ids,
        )

    def _pass_inputs(self, refit: Refit) -> CoreInputs:
        """The shared inputs of an incremental pass; sets ``pending``."""
        store = self.store
        rows = self._pass_pending(refit)
        config = self.config
        groups = {
            "rater_cluster": refit.roster.rater_cluster,
            "rater_quasi_clique": refit.roster.rater_quasi_clique,
        }
        context = self._context
        if context is None or not context.accepts(self.frames.history, refit.participant_ids):
            context = build_note_context(
                self.frames.notes,
                self.frames.history,
                self.frames.enrollment,
                refit.participant_ids,
                config,
            )
            self._context = context
            self._note_map = np.zeros(0, dtype=np.int32)
        history = context.base.history
        if np.array_equal(self.frames.history.note_id, history.note_id):
            history = self.frames.history
        self._note_map = self._key_rows(store.note_keys, self._note_map, context.base.note_ids)
        ratings = self._live.ratings(
            store,
            rows,
            self._note_map,
            self._rater_map,
            context.base.note_ids,
            refit.participant_ids,
        )
        if ratings is None:
            # Ratings on notes in neither the notes nor the history: the batch path drops them
            # with its own rules.
            self._trail = None
            return prepare_core_inputs(
                self._dataset(refit.participant_ids),
                config,
                rater_cluster=refit.roster.rater_cluster,
                rater_quasi_clique=refit.roster.rater_quasi_clique,
            )
        # (The previous pass's inputs, updated for the ratings added since when that is all
        # that changed: see ``follow_inputs``.)
        inputs, self._trail = follow_inputs(
            self._trail,
            context,
            ratings,
            history,
            config,
            established=refit.roster.established,
            **groups,
        )
        return inputs

    # ---- scoring ----------------------------------------------------------------------
    def refit(self) -> Refit:
        """Full refit on the current data: the batch ``score`` of the roster (the whole
        roster by default, with the config's defences), whose results seed the passes.

        The new refit is installed (see :meth:`install`) and returned.
        """
        dataset = self._dataset(None)
        result = score(
            dataset,
            self.config,
            as_of_ms=self.store.newest_ms(),
            seed=self.seed,
            scorers=self.scorers,
        )
        refit = Refit(roster_refit(result), self.defences, self.frames.enrollment)
        self._release_holds()
        _log.info(
            "refit: %d notes, %d participants, %d ratings, %d scorers (%s held between "
            "refits), defences %s",
            result.inputs.n_notes,
            result.inputs.n_participants,
            dataset.ratings.n_ratings,
            len(refit.roster.scorers),
            ", ".join(sorted(refit.roster.held)) or "none",
            "on" if self.defences else "off",
        )
        self.install(refit)
        figures = contributor_figures(result.inputs, result.prescoring, result.contributors)
        known = enrolled_mask(self.frames.enrollment, result.inputs.participant_ids)
        self.refit_rows = changed_rows(figures, None, known, result.as_of_ms)
        self._contributors = figures
        return refit

    def install(self, refit: Refit) -> None:
        """Swap in a refit: rater params, note params and caches change together."""
        if self._refit is not None:
            # A new refit decides: holds end (the next pass rewrites their notes' rows). A
            # state's first refit is the one its published holds were made under.
            self._release_holds()
        self._refit = refit
        self._caches = {}
        self.last_pass = None
        # Every published note row holds another refit's figures (intercepts, bounds, every
        # scorer's view): the passes rewrite them, ``refresh_rows`` at a time beside the
        # notes they rescore, and idle steps too (``refresh_scores``), so that an install
        # does not stall the worker for a rewrite of every row.
        self._stale = np.asarray(self.frames.history.note_id, dtype=np.str_).copy()
        # ``_contributors`` stays: the figures last published, which the first pass with
        # this refit compares its own with (by participant id), so that it writes only the
        # contributor and enrollment rows the refit changed.
        self._tally = None
        self._context = None
        self._aligner = PrescoringAligner()
        self._rater_map = np.zeros(0, dtype=np.int32)

    def _release_holds(self) -> None:
        self._released |= set(self.holds)
        self.holds = {}

    @property
    def refit_state(self) -> Refit | None:
        """The installed refit (None before the first)."""
        return self._refit

    def rescore(self, as_of_ms: int) -> PassResult:
        """One incremental pass at ``as_of_ms``; updates ``frames.history``."""
        if self._refit is None:
            self.refit()
        refit = self._refit
        if refit is None:  # pragma: no cover - refit() always sets it
            raise RuntimeError("no refit")
        inputs = self._pass_inputs(refit)
        note_ids = inputs.note_ids.ids
        touched_ids = sorted(self._touched)
        touched = _rows_mask(inputs.note_ids, touched_ids)
        previous = self.last_pass
        # Only the notes of the events since the last pass can have other ratings, while
        # the note-level inputs are the same objects (no note event, no fallback build).
        same_notes = previous is not None and previous.inputs.note_info is inputs.note_info
        touched_rows = np.flatnonzero(touched).astype(np.int64) if same_notes else None
        live = rescore_roster(
            inputs,
            refit.roster,
            self._caches,
            as_of_ms,
            self.config,
            self.incremental,
            aligner=self._aligner,
            previous=previous,
            touched=touched_rows,
            log=None if self._warming else self._write_log(),
        )
        self._caches = live.caches
        self.last_pass = live
        self._touched = set()
        history, held = self._hold(live, refit, touched, as_of_ms)
        # Rows the database does not have yet (new notes) are written even if unchanged.
        known = self.frames.history.note_id
        if np.array_equal(known, note_ids):
            fresh = np.zeros(note_ids.shape[0], dtype=np.bool_)
        else:
            fresh = ~np.isin(note_ids, known)
        rows, changes, changed_idx = _diff(inputs.history, history, as_of_ms, fresh)
        self.frames.history = history
        touched |= _rows_mask(inputs.note_ids, sorted(self._released))
        self._released = set()
        touched[changed_idx] = True
        touched |= live.resolved
        if not self._warming:
            touched |= self._refresh_pick(inputs.note_ids, touched)
        self._as_of_ms = as_of_ms
        scores = note_score_rows(
            live, np.flatnonzero(touched), as_of_ms, self.config, history, self.holds
        )
        pending = {k: self.pending.get(k, 0) for k in touched_ids}
        before = None if previous is None else previous.inputs.ratings
        contributors = self._contributor_rows(
            live, refit, history, held, as_of_ms, before, touched_rows
        )
        return PassResult(rows, changes, pending, int(live.resolved.sum()), scores, contributors)

    @property
    def stale_rows(self) -> int:
        """Notes whose published ``note_scores`` row may predate the installed refit."""
        return int(self._stale.shape[0])

    def _refresh_pick(self, index: IdIndex, written: NDArray[np.bool_]) -> NDArray[np.bool_]:
        """Bool per row of ``index``: up to ``refresh_rows`` stale notes not in ``written``
        (the rows a pass writes anyway); every note picked or written, and every note no
        longer in the index, leaves the stale list."""
        out = np.zeros(len(index), dtype=np.bool_)
        if not self._stale.shape[0] or self.refresh_rows <= 0:
            return out
        rows = index.lookup(self._stale)
        todo = rows >= 0
        todo[todo] = ~written[rows[todo]]
        pick = np.flatnonzero(todo)[: self.refresh_rows]
        out[rows[pick]] = True
        todo[pick] = False
        self._stale = self._stale[todo]
        return out

    def refresh_scores(self) -> list[dict[str, Any]]:
        """The ``note_scores`` rows of up to ``refresh_rows`` stale notes, from the last
        pass (for a worker with no event to apply); [] when none is stale."""
        live = self.last_pass
        if live is None or not self._stale.shape[0]:
            return []
        pick = self._refresh_pick(live.inputs.note_ids, np.zeros(live.inputs.n_notes, np.bool_))
        return note_score_rows(
            live,
            np.flatnonzero(pick),
            self._as_of_ms,
            self.config,
            self.frames.history,
            self.holds,
        )

    def adopt_published_contributors(self, conn: Connection) -> None:
        """Take the published contributor rows as the figures the next pass compares with
        (after another worker applied events: its passes wrote rows this state never saw, so
        a row that it changed and this state's next pass changes back would be left stale)."""
        if self._contributors is not None:
            self._contributors = load_contributor_figures(conn, self._contributors)

    def _write_log(self) -> WriteLog:
        """Where a pass records its in-place writes: the open unit of work's log, or (no
        ``checkpoint``: nothing will be undone) a log that keeps nothing."""
        return self._writes if self._writes is not None else WriteLog(record=False)

    def _contributor_rows(
        self,
        live: LivePass,
        refit: Refit,
        history: StatusHistory,
        held: NDArray[np.bool_],
        as_of_ms: int,
        before: Ratings | None = None,
        touched: NDArray[np.int64] | None = None,
    ) -> ContributorRows:
        """The contributor phase of the pass, and the rows that changed since the last
        published figures (see :mod:`bridgewatch.pipeline.contributors`); ``before`` (the
        previous pass's ratings) and ``touched`` (the rows of the notes whose ratings may
        differ from them) let the rating outcomes be recounted for those notes alone."""
        inputs, core = live.inputs, live.core
        base = refit.enrollment if refit.enrollment is not None else self.frames.enrollment
        cached = self._enrollment
        if cached is None or cached[0] is not base or cached[1] is not inputs.participant_ids:
            table = enrollment_table(base, inputs.participant_ids)
            cached = (
                base,
                inputs.participant_ids,
                table,
                enrolled_mask(base, inputs.participant_ids),
            )
            self._enrollment = cached
        # Held notes count with the status they keep (the published one).
        statuses = np.where(held, history.current_status, live.meta.final_status).astype(np.int8)
        if live.prints is not None:
            num_ratings = live.prints[:, 0].astype(np.int64)  # post-PSS ratings per note
        else:
            num_ratings = np.bincount(inputs.post_pss.note_idx, minlength=inputs.n_notes)
        sort_keys = self._sort_keys
        if sort_keys is None or not np.array_equal(sort_keys[0], history.note_id):
            sort_keys = (history.note_id, note_sort_keys(history.note_id))
            self._sort_keys = sort_keys
        facts = note_facts(inputs, history, statuses, num_ratings.astype(np.int64), sort_keys[1])
        tally = self._tally
        enroll = self.config.enrollment
        if tally is None or before is None:
            tally = OutcomeTally.count(inputs.ratings, facts, enroll)
        else:
            tally = tally.updated(before, inputs.ratings, facts, touched, enroll)
        self._tally = tally
        contributors = score_contributors(
            inputs,
            cached[2],
            history,
            statuses,
            facts.num_ratings,
            np.where(core.scored, core.main.intercept, np.nan),
            as_of_ms,
            self.config,
            rating_outcomes=tally.outcomes,
            rated=tally.rated,
            facts=facts,
            recent_per_note=self._recent_per_note(inputs, as_of_ms),
        )
        pre = refit.roster.scorers[CORE_NAME].prescoring
        figures = contributor_figures(inputs, pre, contributors, is_rater=tally.rated)
        rows = changed_rows(figures, self._contributors, cached[3], as_of_ms)
        self._contributors = figures
        return rows

    def _recent_per_note(self, inputs: CoreInputs, as_of_ms: int) -> NDArray[np.int64] | None:
        """The emerging-writer window's ratings per note of the pass (its kept ratings),
        followed from pass to pass (:class:`RecentPerNote` over the pass's ratings, the
        filter's notes zeroed); None when the pass's inputs are not the trail's (the
        contributor phase counts them)."""
        trail = self._trail
        if trail is None or trail.inputs is not inputs:
            return None
        raw = self._recent_notes.get(trail.ratings, emerging_cutoff_ms(as_of_ms))
        out: NDArray[np.int64] = np.where(trail.keep_note, raw, 0)
        return out

    def _hold(
        self, live: LivePass, refit: Refit, touched: NDArray[np.bool_], as_of_ms: int
    ) -> tuple[StatusHistory, NDArray[np.bool_]]:
        """The pass's history with the held notes' helpful-status changes stopped, and the
        notes whose change was stopped; new holds for the touched notes whose recent
        ratings look coordinated and for the notes that would newly become helpful on
        unproven raters' ratings (see :mod:`bridgewatch.scoring.incremental.watch`)."""
        none = np.zeros(live.inputs.n_notes, dtype=np.bool_)
        if self.watch is None:
            return live.history, none
        note_ids = live.inputs.note_ids.ids
        established = self._watch_proven(refit)
        flagged = self._watch_flagged(refit)
        found = suspicious_notes(
            live.inputs.post_pss,
            np.flatnonzero(touched),
            flagged,
            as_of_ms,
            self.watch,
            established,
            popularity=self._popularity,
        )
        if established is not None and self.watch.hold_unproven:
            rising = newly_helpful(live.inputs.history.current_status, live.history.current_status)
            model = self._watch_model(refit)
            for row, reason in unproven_support(
                live.inputs.post_pss,
                np.flatnonzero(rising),
                established,
                self.watch,
                model,
                flagged,
            ).items():
                found.setdefault(row, reason)
        if self.watch.deviation is not None:
            for row, reason in self._deviation(live, refit, as_of_ms).items():
                found.setdefault(row, reason)
        uncorroborated = self._corroboration(live, refit, as_of_ms)
        # A corroboration hold lasts while it fires: once raters outside the suspects carry
        # the note (or it would no longer become helpful), the pass lifts it.
        firing = {str(note_ids[row]) for row in uncorroborated}
        for note_id, (_, why) in list(self.holds.items()):
            if is_corroboration_reason(why) and note_id not in firing:
                del self.holds[note_id]
                self._released.add(note_id)
        for row, reason in found.items():
            self.holds.setdefault(str(note_ids[row]), (as_of_ms, reason))
        for row, reason in uncorroborated.items():
            self.holds.setdefault(str(note_ids[row]), (as_of_ms, reason))
        if not self.holds:
            return live.history, none
        held = _rows_mask(live.inputs.note_ids, list(self.holds))
        history, stopped = apply_holds(live.inputs.history, live.history, held)
        if stopped.any():
            _log.info("holds stopped %d status changes", int(stopped.sum()))
        return history, stopped

    def _deviation(self, live: LivePass, refit: Refit, as_of_ms: int) -> dict[int, str]:
        """The watch's recent-deviation holds of the pass
        (:mod:`bridgewatch.scoring.incremental.deviation`; the model's residual spread is
        measured on the first pass after each refit)."""
        model = self._watch_model(refit)
        config = self.watch.deviation if self.watch is not None else None
        if model is None or config is None:
            return {}
        ratings = live.inputs.post_pss
        if model.rater_intercepts.shape != (ratings.n_participants,):
            return {}
        cached = self._spread
        if cached is None or cached[0] is not refit:
            cached = (refit, residual_spread(ratings, model))
            self._spread = cached
        old, new = live.inputs.history.current_status, live.history.current_status
        return deviation_holds(ratings, old, new, model, cached[1], as_of_ms, config)

    def _corroboration(self, live: LivePass, refit: Refit, as_of_ms: int) -> dict[int, str]:
        """The watch's corroboration holds of the pass: the notes that would newly become
        helpful without raters outside their suspects carrying them
        (:mod:`bridgewatch.scoring.incremental.corroboration`)."""
        config = self.watch.corroboration if self.watch is not None else None
        if config is None:
            return {}
        model = self._watch_model(refit)
        ratings = live.inputs.post_pss
        if model is None or model.rater_intercepts.shape != (ratings.n_participants,):
            return {}
        rising = newly_helpful(live.inputs.history.current_status, live.history.current_status)
        return corroboration_holds(
            live.inputs.ratings, ratings, np.flatnonzero(rising), model, as_of_ms, config
        )

    def _watch_proven(self, refit: Refit) -> NDArray[np.bool_] | None:
        """The watch's proven record at ``refit`` (once per refit): its established raters
        after revocation, and those of this worker's earlier refits it did not revoke
        (:func:`~bridgewatch.scoring.incremental.watch.sticky_proven`)."""
        cached = self._proven
        if cached is not None and cached[0] is refit:
            return cached[1]
        proven, established = refit.roster.proven_raters, refit.roster.established
        mask = proven
        if proven is not None and established is not None:
            ids = np.asarray(refit.participant_ids.ids, dtype=np.str_)
            mask, self._proven_ids = sticky_proven(ids, proven, established, self._proven_ids)
        self._proven = (refit, mask)
        return mask

    def _watch_flagged(self, refit: Refit) -> NDArray[np.bool_]:
        """The raters the refit's defences flagged (``flagged_raters``), once per refit."""
        cached = self._flagged
        if cached is not None and cached[0] is refit:
            return cached[1]
        flagged = refit.roster.flagged_raters
        self._flagged = (refit, flagged)
        return flagged

    def _watch_model(self, refit: Refit) -> RaterModel | None:
        """The Core scorer's frozen raters for the unproven-support rule, built once per
        refit."""
        cached = self._model
        if cached is not None and cached[0] is refit:
            return cached[1]
        core = refit.roster.scorers.get(CORE_NAME)
        model = (
            rater_model(core.prescoring, core.spec.config.mf, core.spec.config.status)
            if core is not None
            else None
        )
        self._model = (refit, model)
        return model

    def warm_up(self) -> None:
        """Run a pass and throw its results away: the first pass after a refit then costs
        what every pass costs (JIT compilation, the note context, the aligned prescoring)."""
        outer = self._writes
        saved = self.checkpoint()
        # The warm pass copies what it changes: ``saved.last_pass`` (and an enclosing unit
        # of work's) stay as they were.
        self._warming = True
        try:
            self.rescore(as_of_ms=self.store.newest_ms())
        finally:
            self._warming = False
            # The fit caches are checked against rating fingerprints on every pass, so the
            # warm pass's caches (of the same data) stay valid; so do the note caches.
            # The contributor figures go back to the published ones (the warm pass wrote
            # nothing).
            context, caches, last = self._context, self._caches, self.last_pass
            tally = self._tally  # counted over the warm pass's ratings, as ``last`` holds
            trail = self._trail  # (the warm pass's inputs, which ``last`` holds)
            self.restore(saved)
            self._writes = outer
            self._context, self._caches, self.last_pass = context, caches, last
            self._tally = tally
            self._trail = trail

    def count_pending(self) -> dict[str, int]:
        """Note id -> ratings by raters the installed refit does not know (sets ``pending``)."""
        if self._refit is None:
            return {}
        self._pass_pending(self._refit)
        return dict(self.pending)

    def _pass_pending(self, refit: Refit) -> NDArray[np.int64]:
        """Live rows by raters ``refit`` knows; sets ``pending`` from the others."""
        store = self.store
        self._rater_map = self._key_rows(store.rater_keys, self._rater_map, refit.participant_ids)
        rows, unknown = self._live.rows(store, self._rater_map, refit.participant_ids)
        pending: dict[str, int] = {}
        if unknown.shape[0]:
            keys, counts = np.unique(store.note_of(unknown), return_counts=True)
            pending = {store.note_keys[k]: int(c) for k, c in zip(keys, counts, strict=True)}
        self.pending = pending
        return rows


@dataclass(frozen=True)
class _Saved:
    frames: Frames
    position: int
    caches: dict[str, NoteFitCache]
    context: NoteContext | None
    touched: set[str]
    pending: dict[str, int]
    holds: dict[str, tuple[int, str]]
    released: set[str]
    last_pass: LivePass | None
    contributors: ContributorFigures | None
    tally: OutcomeTally | None
    stale: NDArray[np.str_]
    trail: InputsTrail | None


def _rows_mask(index: IdIndex, ids: list[str]) -> NDArray[np.bool_]:
    """Bool per row of ``index``: the row's id is one of ``ids`` (absent ids ignored)."""
    out = np.zeros(len(index), dtype=np.bool_)
    if ids:
        rows = index.lookup(np.asarray(ids, dtype=np.str_))
        out[rows[rows >= 0]] = True
    return out


def _ids(series: pl.Series) -> NDArray[np.str_]:
    values = series.cast(pl.String).drop_nulls()
    return np.asarray(values.filter(values != "").to_list(), dtype=np.str_)


def _or_none(values: NDArray[np.float64]) -> list[float | None]:
    out = values.astype(object)
    out[~np.isfinite(values)] = None
    result: list[float | None] = out.tolist()
    return result


def note_score_rows(
    live: LivePass,
    rows: NDArray[np.int64],
    as_of_ms: int,
    config: ScoringConfig,
    history: StatusHistory | None = None,
    holds: Mapping[str, tuple[int, str]] | None = None,
) -> list[dict[str, Any]]:
    """``note_scores`` rows (the rule trace the note details show) of the notes at ``rows``.

    The same figures as ``scored_notes`` (scoring-core.md §11.1): Core figures only where the
    note has a Core row, and every scorer's view (:func:`~bridgewatch.pipeline.views.note_views`).
    ``history`` (default the pass's) gives the published status of held notes; ``holds``
    (note id -> (since ms, why)) the notes under a coordination hold.
    """
    holds = holds or {}
    published = live.history if history is None else history
    inputs, final, meta = live.inputs, live.core, live.meta
    if rows.shape[0] == 0:
        return []
    scored = final.scored[rows]
    nan = np.full(rows.shape[0], np.nan)

    def core(values: NDArray[np.float64]) -> list[float | None]:
        return _or_none(np.where(scored, values[rows], np.nan))

    bounds = final.bounds
    rules = final.rules
    intercept = core(final.main.intercept)
    factor = core(final.main.factor)
    low = core(bounds.intercept_min) if bounds is not None else _or_none(nan)
    high = core(bounds.intercept_max) if bounds is not None else _or_none(nan)
    active = labels_from_bitmask(rules.active_rules[rows], CORE_RULE_NAMES)
    filters = labels_from_bitmask(rules.filter_tags[rows], NOT_HELPFUL_TAGS)
    meta_rules = labels_from_bitmask(meta.active_rules[rows], meta.rule_names)
    decided = np.asarray(meta.rule_names)[meta.decided_by[rows]].tolist()
    final_status = status_names(meta.final_status[rows])
    # A held note shows the status it keeps (the published one) until the next refit.
    kept_status = status_names(published.current_status[rows])
    kept_decided = published.current_decided_by[rows].tolist()
    core_status = status_names(rules.status[rows])
    first = meta.first_tag[rows].tolist()
    second = meta.second_tag[rows].tolist()
    if live.prints is not None:  # column 0: each note's post-PSS ratings
        num_ratings = live.prints[rows, 0].astype(np.int64).tolist()
    else:
        num_ratings = np.bincount(inputs.post_pss.note_idx, minlength=inputs.n_notes)[rows].tolist()
    final_round = final.num_final_round_ratings[rows].tolist()
    views = note_views(live.runs, live.families, meta, rows, config, held=live.held)
    out = []
    scored_list = scored.tolist()
    for k, note_id in enumerate(inputs.note_ids.ids[rows].tolist()):
        s = scored_list[k]
        hold = holds.get(note_id)
        status, by = final_status[k], decided[k]
        if hold is not None and kept_status[k] != status:
            status, by = kept_status[k], kept_decided[k] or by
        out.append(
            {
                "note_id": int(note_id),
                "scored_at_ms": int(as_of_ms),
                "final_rating_status": status or "NEEDS_MORE_RATINGS",
                "decided_by": by,
                "first_tag": ALL_TAGS[first[k]] if first[k] >= 0 else None,
                "second_tag": ALL_TAGS[second[k]] if second[k] >= 0 else None,
                "core_note_intercept": intercept[k],
                "core_note_factor1": factor[k],
                "core_note_intercept_min": low[k],
                "core_note_intercept_max": high[k],
                "core_rating_status": core_status[k] if s else None,
                "core_active_rules": (active[k] or None) if s else None,
                "meta_scorer_active_rules": meta_rules[k] or None,
                "active_filter_tags": filters[k] or None,
                "num_ratings": int(num_ratings[k]),
                "core_num_final_round_ratings": int(final_round[k]) if s else None,
                "scorer_views": views[k],
                "hold_reason": None if hold is None else hold[1],
                "held_since_ms": None if hold is None else int(hold[0]),
            }
        )
    return out


# Every pass stamps every note's row with its time; a row is only rewritten when something
# else changed (so a pass writes the notes it changed, not all of them).
_NOT_COMPARED = frozenset({"note_id", "current_status_ts"})


def _same(a: NDArray[Any], b: NDArray[Any]) -> NDArray[np.bool_]:
    if a is b:  # (a column the pass carried over: the note ids, authors, creation times)
        return np.ones(a.shape[0], dtype=np.bool_)
    eq: NDArray[np.bool_] = a == b
    if a.dtype.kind == "f":
        eq |= np.isnan(a) & np.isnan(b)
    return eq


def _diff(
    old: StatusHistory, new: StatusHistory, as_of_ms: int, fresh: NDArray[np.bool_]
) -> tuple[list[dict[str, Any]], list[StatusChange], NDArray[np.int64]]:
    """NSH rows of ``new`` that differ from ``old`` and the status changes.

    ``old`` is the pass's input history and ``new`` its output, row for row (same notes,
    same order). ``timestampMillisOfCurrentStatus`` alone does not make a row differ: in the
    database it is the time of the last pass that changed the row. ``fresh`` rows (bool per
    row: not in the database yet) count as changed.

    Returns
    -------
    (rows, changes, changed): rows with the public column names, the status changes, and
    the positions of the changed rows in ``new``.
    """
    if old.n_notes != new.n_notes or (
        old.note_id is not new.note_id and not np.array_equal(old.note_id, new.note_id)
    ):
        raise ValueError("the histories of a pass must have the same notes in the same order")
    same = ~fresh
    for f in fields(StatusHistory):
        if f.name not in _NOT_COMPARED:
            same &= _same(getattr(old, f.name), getattr(new, f.name))
    changed = np.flatnonzero(~same)
    if changed.shape[0] == 0:
        return [], [], changed
    subset = new.with_columns(**{f.name: getattr(new, f.name)[changed] for f in fields(new)})
    rows = subset.to_frame().to_dicts()
    previous = [
        None if new_row else before
        for new_row, before in zip(
            fresh[changed].tolist(), status_names(old.current_status[changed]), strict=True
        )
    ]
    changes = [
        StatusChange(
            note_id=str(row["noteId"]),
            status=row["currentStatus"],
            previous=before,
            decided_by=row["currentDecidedBy"],
            at_ms=as_of_ms,
        )
        for row, before in zip(rows, previous, strict=True)
        if row["currentStatus"] != before
    ]
    return rows, changes, changed
