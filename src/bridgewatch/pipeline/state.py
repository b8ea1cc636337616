"""The worker's in-memory scoring state: the data as of an event, the last refit, the cache.

``load_snapshot`` reads a consistent snapshot of the database (one REPEATABLE READ
transaction on PostgreSQL, one read transaction on SQLite) together with the worker's
consumer offset; ``refit`` runs the batch Core scorer on it (prescoring parameters, the
fit cache); ``apply_events`` applies rating and note events (idempotent: a rating event
carries the whole row, so applying it twice leaves the same data); ``rescore`` runs the
incremental final scoring, meta rules and status history and returns the changed rows.
"""

from __future__ import annotations

import logging
import pickle
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl
from numpy.typing import NDArray
from sqlalchemy import Connection, func, select

from bridgewatch.io import schemas
from bridgewatch.io.columns import NOTE_STATUS_HISTORY_COLUMNS
from bridgewatch.io.dataset import Dataset, ratings_from_frame
from bridgewatch.model import IdIndex
from bridgewatch.pipeline.incremental import (
    IncrementalConfig,
    NoteFitCache,
    align_prescoring,
    cache_from_final,
    rescore_final,
    update_statuses,
)
from bridgewatch.pipeline.tables import pipeline_offsets
from bridgewatch.scoring.config import ScoringConfig
from bridgewatch.scoring.final import run_final_scoring
from bridgewatch.scoring.history import StatusHistory
from bridgewatch.scoring.inputs import prepare_core_inputs
from bridgewatch.scoring.prescoring import PrescoringResult, run_prescoring
from bridgewatch.service.dump import export_frames
from bridgewatch.service.tables import events, note_status_history

__all__ = [
    "Frames",
    "LiveState",
    "PassResult",
    "Refit",
    "StatusChange",
    "load_history",
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
        enrollment=_typed(frames["userEnrollment"], schemas.USER_ENROLLMENT.polars_schema),
        history=history,
    )
    return out, int(offset or 0)


def load_history(conn: Connection) -> StatusHistory:
    """The published note status history (another worker's effects included)."""
    columns = NOTE_STATUS_HISTORY_COLUMNS
    rows = conn.execute(
        select(*[note_status_history.c[c] for c in columns]).order_by(note_status_history.c.noteId)
    ).all()
    if not rows:
        return StatusHistory.empty()
    frame = pl.DataFrame([tuple(r) for r in rows], schema=list(columns), orient="row")
    return StatusHistory.from_frame(frame.with_columns(pl.col("noteId").cast(pl.String)))


def max_event_id(conn: Connection) -> int:
    """The newest event id visible to the caller's transaction (0 if none)."""
    return int(conn.execute(select(func.coalesce(func.max(events.c.id), 0))).scalar_one())


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
    pending : note id -> ratings waiting for the next refit (raters it does not know).
    resolved : number of notes whose fits were re-solved.
    """

    history_rows: list[dict[str, Any]]
    changes: list[StatusChange]
    pending: dict[str, int]
    resolved: int


@dataclass(frozen=True)
class Refit:
    """One full refit: what every incremental pass until the next refit holds frozen.

    Attributes
    ----------
    participant_ids : the refit's participant index (raters it does not know wait).
    note_ids : the refit's notes (sorted); pre : its prescoring over them.
    cache : the batch final pass of the refit, the first pass's cache.
    """

    participant_ids: IdIndex
    note_ids: NDArray[np.str_]
    pre: PrescoringResult
    cache: NoteFitCache

    def to_bytes(self) -> bytes:
        """Serialized (pickle: written and read only by the workers, never user data)."""
        return pickle.dumps(self, protocol=pickle.HIGHEST_PROTOCOL)

    @classmethod
    def from_bytes(cls, data: bytes) -> Refit:
        """The refit ``to_bytes`` wrote."""
        value = pickle.loads(data)  # our own table, written by to_bytes
        if not isinstance(value, cls):
            raise TypeError("not a Refit")
        return value


@dataclass
class LiveState:
    """The data, the last refit and the fit cache of one worker.

    Attributes
    ----------
    frames : the data as of ``position``.
    position : id of the last event applied to ``frames``.
    config : the scorer's config; incremental : how jointly fitted figures are handled.
    seed : seed of each refit's random initial values.
    """

    frames: Frames
    position: int
    config: ScoringConfig
    incremental: IncrementalConfig = field(default_factory=IncrementalConfig)
    seed: int = 0
    _refit: Refit | None = None
    _cache: NoteFitCache = field(default_factory=NoteFitCache.empty)

    @property
    def has_refit(self) -> bool:
        """Whether a refit has run (rescoring needs one)."""
        return self._refit is not None

    def checkpoint(self) -> tuple[Frames, int, NoteFitCache]:
        """The mutable parts (frames and cache are never changed in place)."""
        f = self.frames
        return Frames(f.notes, f.ratings, f.enrollment, f.history), self.position, self._cache

    def restore(self, saved: tuple[Frames, int, NoteFitCache]) -> None:
        """Undo everything since ``checkpoint`` (a pass whose transaction did not commit)."""
        self.frames, self.position, self._cache = saved

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
            self._apply_ratings(upserts)
        self.position = last
        return applied

    def _add_notes(self, rows: Mapping[str, Mapping[str, Any]]) -> None:
        notes = self.frames.notes
        fresh = [dict(r) for k, r in rows.items()]
        frame = _typed(pl.DataFrame(fresh, infer_schema_length=None), notes.schema)
        kept = notes.filter(~pl.col("noteId").is_in(list(rows)))
        self.frames.notes = pl.concat([kept, frame])

    def _apply_ratings(self, upserts: Mapping[tuple[str, str], Mapping[str, Any] | None]) -> None:
        ratings = self.frames.ratings
        keys = pl.DataFrame(
            {"noteId": [k[0] for k in upserts], "raterParticipantId": [k[1] for k in upserts]},
            schema={"noteId": pl.String, "raterParticipantId": pl.String},
        )
        kept = ratings.join(keys, on=list(_RATING_KEY), how="anti")
        rows = [dict(r) for r in upserts.values() if r is not None]
        if rows:
            frame = _typed(pl.DataFrame(rows, infer_schema_length=None), ratings.schema)
            kept = pl.concat([kept, frame])
        self.frames.ratings = kept

    # ---- scoring ----------------------------------------------------------------------
    def _dataset(self, participant_ids: IdIndex | None) -> tuple[Dataset, dict[str, int]]:
        f = self.frames
        ratings = f.ratings
        pending: dict[str, int] = {}
        if participant_ids is None:
            ids = pl.concat(
                [
                    ratings["raterParticipantId"],
                    f.notes["noteAuthorParticipantId"],
                    pl.Series(f.history.author_id.tolist(), dtype=pl.String),
                    f.enrollment["participantId"],
                ]
            )
            participant_ids = IdIndex(
                np.asarray(ids.drop_nulls().unique().sort().to_list(), dtype=np.str_)
            )
        else:
            known = np.asarray(participant_ids.ids)
            is_known = ratings["raterParticipantId"].is_in(known.tolist())
            waiting = ratings.filter(~is_known)
            if waiting.height:
                counts = waiting.group_by("noteId").len()
                pending = dict(
                    zip(counts["noteId"].to_list(), counts["len"].to_list(), strict=True)
                )
            ratings = ratings.filter(is_known)
        nsh = f.history.to_frame()
        note_ids = pl.concat([f.notes["noteId"], nsh["noteId"].cast(pl.String), ratings["noteId"]])
        note_index = IdIndex(np.asarray(note_ids.unique().sort().to_list(), dtype=np.str_))
        dataset = Dataset(
            notes=f.notes,
            status_history=_typed(nsh, schemas.NOTE_STATUS_HISTORY.polars_schema)
            if nsh.height
            else pl.DataFrame(schema=schemas.NOTE_STATUS_HISTORY.polars_schema),
            enrollment=f.enrollment,
            ratings=ratings_from_frame(ratings, note_index, participant_ids),
            note_ids=note_index,
            participant_ids=participant_ids,
        )
        return dataset, pending

    def refit(self) -> Refit:
        """Full refit on the current data: prescoring, then a batch final pass as the cache.

        The new refit is installed (see :meth:`install`) and returned.
        """
        dataset, _ = self._dataset(None)
        inputs = prepare_core_inputs(dataset, self.config)
        pre = run_prescoring(inputs, self.config, np.random.default_rng(self.seed))
        final = run_final_scoring(inputs, pre, self.config)
        note_ids = np.asarray(inputs.note_ids.ids, dtype=np.str_)
        refit = Refit(
            dataset.participant_ids,
            note_ids,
            pre,
            cache_from_final(inputs, pre, self.config, final),
        )
        _log.info(
            "refit: %d notes, %d participants, %d ratings",
            inputs.n_notes,
            inputs.n_participants,
            dataset.ratings.n_ratings,
        )
        self.install(refit)
        return refit

    def install(self, refit: Refit) -> None:
        """Swap in a refit: rater params, note params and cache change together."""
        self._refit = refit
        self._cache = refit.cache

    def rescore(self, as_of_ms: int) -> PassResult:
        """One incremental pass at ``as_of_ms``; updates ``frames.history``."""
        if self._refit is None:
            self.refit()
        refit = self._refit
        if refit is None:  # pragma: no cover - refit() always sets it
            raise RuntimeError("no refit")
        dataset, pending = self._dataset(refit.participant_ids)
        inputs = prepare_core_inputs(dataset, self.config)
        note_ids = np.asarray(inputs.note_ids.ids, dtype=np.str_)
        pre = align_prescoring(refit.pre, refit.note_ids, note_ids)
        result = rescore_final(inputs, pre, self.config, self._cache, self.incremental)
        self._cache = result.cache
        update = update_statuses(inputs, result.final, as_of_ms, self.config)
        rows, changes = _diff(self.frames.history, update.history, as_of_ms)
        self.frames.history = update.history
        return PassResult(rows, changes, pending, int(result.resolved.sum()))


# Every pass stamps every note's row with its time; a row is only rewritten when something
# else changed (so a pass writes the notes it changed, not all of them).
_NOT_COMPARED = frozenset({"noteId", "timestampMillisOfCurrentStatus"})


def _diff(
    old: StatusHistory, new: StatusHistory, as_of_ms: int
) -> tuple[list[dict[str, Any]], list[StatusChange]]:
    """NSH rows of ``new`` that differ from ``old`` (or are new) and the status changes.

    ``timestampMillisOfCurrentStatus`` alone does not make a row differ: in the database
    it is the time of the last pass that changed the row.
    """
    new_frame = new.to_frame()
    old_frame = old.to_frame()
    if old_frame.height:
        joined = new_frame.join(old_frame, on="noteId", how="left", suffix="__old")
        same = pl.lit(True)
        for column in new_frame.columns:
            if column in _NOT_COMPARED:
                continue
            same = same & pl.col(column).eq_missing(pl.col(f"{column}__old"))
        changed_mask = ~joined.select(same.alias("same"))["same"]
        changed = new_frame.filter(changed_mask)
        prev = dict(
            zip(old_frame["noteId"].to_list(), old_frame["currentStatus"].to_list(), strict=True)
        )
    else:
        changed = new_frame
        prev = {}
    rows = changed.to_dicts()
    changes = []
    for row in rows:
        before = prev.get(row["noteId"])
        if row["currentStatus"] != before:
            changes.append(
                StatusChange(
                    note_id=str(row["noteId"]),
                    status=row["currentStatus"],
                    previous=before,
                    decided_by=row["currentDecidedBy"],
                    at_ms=as_of_ms,
                )
            )
    return rows, changes
