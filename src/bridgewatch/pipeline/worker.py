"""The real-time worker: tail the event log, rescore touched notes, publish status changes.

Delivery is at-least-once (events are read after the consumer offset) and effects are
exactly-once: a micro-batch's status history rows, status-change log rows, its
``note.status_changed`` events and the new offset commit in one transaction. The offset row
is locked for the whole transaction (``SELECT ... FOR UPDATE`` on PostgreSQL; on SQLite the
first write takes the database's single writer lock), so several workers can run: one
applies a batch at a time, the others wait, then catch their in-memory state up on the
events applied meanwhile (data only, no effects) before going on.

PostgreSQL: the worker sleeps on ``LISTEN bridgewatch_events`` (a trigger on ``events``
notifies) with polling as the fallback; SQLite: polling. A lost database connection rolls
the micro-batch back (the in-memory state too) and the worker reconnects with backoff.

Held notes (the stabilization delay, scoring-core.md §9.4) are re-evaluated when their hold
can end, not when some later event happens to arrive: when the event log is idle and the
clock passes the next moment a hold can end (30, 60 or 360 minutes after the note entered
it, by ``ScoringConfig.meta``), the worker runs a pass at that time on its own.

Ids of PostgreSQL serial columns are taken before commit, so a later id can become visible
before an earlier one: the worker stops at a gap in the ids and waits up to
``gap_timeout_s`` for it to fill (a rolled-back insert leaves a gap forever).
"""

from __future__ import annotations

import gc
import json
import logging
import math
import os
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import Engine, bindparam, delete, func, insert, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from bridgewatch import clock as wall
from bridgewatch.errors import ConfigError
from bridgewatch.pipeline.contributors import ContributorRows
from bridgewatch.pipeline.refit_job import RefitJob
from bridgewatch.pipeline.state import (
    LiveState,
    PassResult,
    Refit,
    defences_on,
    load_history,
    load_holds,
    load_snapshot,
)
from bridgewatch.pipeline.timeline import Timeline, timeline_log
from bridgewatch.scoring.config import ScoringConfig
from bridgewatch.scoring.incremental import IncrementalConfig, WatchConfig
from bridgewatch.scoring.scorers import ScorerSpec
from bridgewatch.store.event_types import REFIT_REQUESTED, STATUS_CHANGED
from bridgewatch.store.events import NOTIFY_CHANNEL, encode_payload, list_events
from bridgewatch.store.migrate import ensure_pipeline_schema
from bridgewatch.store.repositories.refits import load_refit_payload, store_refit
from bridgewatch.store.tables import (
    contributor_scores,
    enrollment,
    events,
    note_scores,
    note_status_changes,
    note_status_history,
    pipeline_offsets,
    pipeline_pending,
    pipeline_refits,
)

__all__ = ["REFIT_REQUESTED", "STATUS_CHANGED", "StepResult", "Worker", "WorkerConfig"]

_log = logging.getLogger(__name__)


_INT_COLUMNS = frozenset(
    c.name for c in note_status_history.columns if c.type.python_type is int and c.name != "noteId"
)


@dataclass(frozen=True)
class WorkerConfig:
    """Worker settings.

    Attributes
    ----------
    consumer : name of the offset row; workers sharing it share the work.
    batch_size : most events per micro-batch (> 0).
    poll_interval_s : sleep between polls when idle, s (> 0); with LISTEN, the longest wait.
    refit_interval_s : time between scheduled full refits, s (> 0; default hourly).
    gap_timeout_s : how long to wait for a missing event id before skipping it, s (>= 0).
    listen : use LISTEN/NOTIFY on PostgreSQL.
    seed : seed of each refit.
    incremental : how jointly fitted figures are handled between refits.
    scorers : the roster of the refits (None: every scorer of the published algorithm, as
        ``bridgewatch score``); the passes keep the same scorers current.
    watch : the coordination watch's thresholds (on with the defences): notes whose recent
        ratings look coordinated keep their helpful status (or its absence) until a refit.
    background_refit : run scheduled and requested refits in a child process
        (:mod:`bridgewatch.pipeline.refit_job`) while the passes go on with the previous
        refit; off, a refit stops the passes for as long as it takes. The first refit (no
        state yet) and refits of an in-memory SQLite database always run in the worker.
    refit_nice : the refit job's CPU priority (``nice`` increment, 0-19).
    refresh_rows : after a refit is installed, the published ``note_scores`` rows still hold
        the previous refit's figures; each pass (and each idle step) rewrites up to this
        many of them beside the notes it rescores, instead of every row at the install
        (>= 0; 0: a row waits until its note is rescored).
    """

    consumer: str = "worker"
    batch_size: int = 500
    poll_interval_s: float = 0.2
    refit_interval_s: float = 3600.0
    gap_timeout_s: float = 5.0
    listen: bool = True
    seed: int = 0
    incremental: IncrementalConfig = field(default_factory=IncrementalConfig)
    scorers: tuple[ScorerSpec, ...] | None = None
    watch: WatchConfig = field(default_factory=WatchConfig)
    background_refit: bool = True
    refit_nice: int = 10
    refresh_rows: int = 500

    def __post_init__(self) -> None:
        if self.batch_size <= 0:
            raise ConfigError("batch_size", self.batch_size, "> 0")
        if self.refresh_rows < 0:
            raise ConfigError("refresh_rows", self.refresh_rows, ">= 0")
        if self.poll_interval_s <= 0:
            raise ConfigError("poll_interval_s", self.poll_interval_s, "> 0")
        if self.refit_interval_s <= 0:
            raise ConfigError("refit_interval_s", self.refit_interval_s, "> 0")
        if self.gap_timeout_s < 0:
            raise ConfigError("gap_timeout_s", self.gap_timeout_s, ">= 0")
        if not 0 <= self.refit_nice <= 19:
            raise ConfigError("refit_nice", self.refit_nice, "in [0, 19]")


@dataclass(frozen=True)
class StepResult:
    """One micro-batch: events consumed, events that changed data, the pass (if any)."""

    consumed: int
    applied: int
    scoring: PassResult | None
    offset: int


class Worker:
    """Consumes the event log into note statuses (see the module docstring).

    Parameters
    ----------
    engine : the service's database.
    config : the scorer's config (the same as the batch scorer's); the platform's has the
        manipulation defences on (``scoring.defences.with_defences``) unless turned off.
    worker : WorkerConfig.
    clock : "now" in ms since the epoch (injected for tests; default the wall clock).
    """

    def __init__(
        self,
        engine: Engine,
        config: ScoringConfig,
        worker: WorkerConfig | None = None,
        clock: wall.Clock = wall.now_ms,
    ) -> None:
        self.engine = engine
        self.config = config
        self.settings = worker if worker is not None else WorkerConfig()
        self.clock = clock
        self.state: LiveState | None = None
        self._last_refit_ms = 0
        self._refit_id: int | None = None
        self._gap: tuple[int, int] | None = None  # (missing event id, first seen at ms)
        self._gap_seen_db: Any = None  # server time when the current gap was first seen
        self._gap_dead: int | None = None  # a gap id no open transaction can still fill
        self._pg = engine.dialect.name == "postgresql"
        self._refit_requested = False
        # Hold deadlines at or before this time (ms) were evaluated by a pass.
        self._holds_checked_ms = -math.inf
        # (history it was computed from, checked_ms, deadline): next_hold_deadline_ms's cache.
        self._hold_cache: tuple[object, float, int | None] | None = None
        # The current micro-batch's timeline (None: not recording, see pipeline.timeline);
        # the wall time the loop waited for events before it (s).
        self._timeline: Timeline | None = None
        self._waited_s = 0.0
        self._job: RefitJob | None = None  # the refit running in a child process
        self._loader: _RefitLoader | None = None  # a stored refit being read (PostgreSQL)

    # ---- setup and refits --------------------------------------------------------------
    def setup(self) -> None:
        """Create the pipeline tables and this consumer's offset row (idempotent)."""
        ensure_pipeline_schema(self.engine)
        builder = postgresql.insert if self._pg else sqlite.insert
        stmt = builder(pipeline_offsets).on_conflict_do_nothing(index_elements=["consumer"])
        with Session(self.engine) as s, s.begin():
            s.execute(
                stmt,
                {
                    "consumer": self.settings.consumer,
                    "last_event_id": 0,
                    "updated_at_ms": self.clock(),
                },
            )

    def _snapshot_state(self) -> LiveState:
        with self.engine.connect() as conn:
            if self._pg:
                conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                frames, offset = load_snapshot(conn, self.settings.consumer)
                holds = load_holds(conn)
        state = LiveState(
            frames=frames,
            position=offset,
            config=self.config,
            incremental=self.settings.incremental,
            seed=self.settings.seed,
            scorers=self.settings.scorers,
            defences=defences_on(self.config),
            watch=self.settings.watch if defences_on(self.config) else None,
            refresh_rows=self.settings.refresh_rows,
        )
        state.holds = holds
        return state

    def refit(self) -> None:
        """Full refit on a consistent snapshot, published and swapped in atomically.

        The snapshot is read with the consumer's offset; the events after that offset
        (including the writes that arrive during the refit) are replayed on top by the
        following micro-batches. The refit is stored in ``pipeline_refits`` so every
        worker scores with it from its next micro-batch on.
        """
        state, refit_id, now_ms = self._refit_and_store()
        state.warm_up()
        self.state = state  # the swap
        self._refit_id = refit_id
        self._last_refit_ms = now_ms
        self._refit_requested = False
        _settle_heap()

    def compute_refit(self) -> tuple[int, int]:
        """A refit on a consistent snapshot, stored for the workers to install but not
        swapped in here (what a :class:`~bridgewatch.pipeline.refit_job.RefitJob` runs);
        returns (stored refit id, the snapshot's event offset)."""
        state, refit_id, _ = self._refit_and_store(publish=False)
        return refit_id, state.position

    def _refit_and_store(self, *, publish: bool = True) -> tuple[LiveState, int, int]:
        """Refit on a snapshot and store it. ``publish``: also write the rows a refit
        changes as of its snapshot (hold reasons, contributor and pending rows), for a
        worker that swaps this state in; a refit job leaves them to the worker that
        installs its refit (:meth:`_publish_installed`), which writes them as of its own
        later events. The consumer's offset row (which every micro-batch locks) is
        written last, so it is locked only for the commit, not while the refit's payload
        is written."""
        started = time.perf_counter()
        state = self._snapshot_state()
        read = time.perf_counter()
        refit = state.refit()
        now_ms = self.clock()
        fitted = time.perf_counter()
        with Session(self.engine) as s, s.begin():
            refit_id = store_refit(
                s.connection(),
                created_at_ms=now_ms,
                snapshot_offset=state.position,
                payload=refit.to_bytes(),
            )
            if publish:
                # The refit decides: the coordination holds end (the next pass rewrites
                # the held notes' rows).
                self._clear_hold_reasons(s)
                # The refit's contributor figures (the passes write what changes after it).
                if state.refit_rows is not None:
                    self._write_contributors(s, state.refit_rows)
                # What waits for the next refit, as of the snapshot; the passes that replay
                # the later events keep the rows of the notes they touch current.
                s.execute(delete(pipeline_pending))
                self._write_pending(s, state.count_pending(), now_ms, now_ms)
            state.refit_rows = None
            s.execute(
                update(pipeline_offsets)
                .where(pipeline_offsets.c.consumer == self.settings.consumer)
                .values(last_refit_at_ms=now_ms)
            )
        _log.info(
            "refit %d on the snapshot at event %d: read %.1f s, scored %.1f s, stored %.1f s",
            refit_id,
            state.position,
            read - started,
            fitted - read,
            time.perf_counter() - fitted,
        )
        return state, int(refit_id), now_ms

    def _clear_hold_reasons(self, s: Session) -> None:
        s.execute(
            update(note_scores)
            .where(note_scores.c.hold_reason.is_not(None))
            .values(hold_reason=None, held_since_ms=None)
        )

    def _publish_installed(self, s: Session, state: LiveState, *, clear_holds: bool) -> None:
        """After installing a stored refit: its decisions replace the coordination holds
        (the state released them; its next pass rewrites their rows; ``clear_holds``) and
        the pending counts follow the raters it knows, on the events up to now. Its first
        pass writes the rows of the notes it rescores (the other note rows follow a few at a
        time: ``WorkerConfig.refresh_rows``) and the contributor rows whose figures the refit
        changed (compared by participant id with those published under the previous refit:
        Core's rater parameters move at every refit, enrollment states rarely)."""
        if clear_holds:
            self._clear_hold_reasons(s)
        s.execute(delete(pipeline_pending))
        self._write_pending(s, state.count_pending(), self._last_refit_ms, self.clock())

    def _adopt_latest_refit(self, s: Session, state: LiveState, *, wait: bool = True) -> bool:
        """Install the newest stored refit if it is not the one in use; whether it did.

        On PostgreSQL the payload (~0.5 GB at 1M ratings) is read and unpickled in a
        background thread (:class:`_RefitLoader`, on its own connection) while the worker
        goes on with its micro-batches; ``wait`` False: install only if that is done (else
        start it, or let it go on), True: wait for it. SQLite reads it here, in the
        caller's transaction."""
        latest = s.execute(
            select(pipeline_refits.c.id, pipeline_refits.c.created_at_ms)
            .order_by(pipeline_refits.c.id.desc())
            .limit(1)
        ).first()
        if latest is None or int(latest[0]) == self._refit_id:
            self._loader = None
            return False
        refit_id = int(latest[0])
        loaded: Refit | BaseException
        if self._pg:
            loader = self._loader
            if loader is None or loader.refit_id != refit_id:
                loader = self._loader = _RefitLoader(self.engine, refit_id)
            if not wait and loader.running():
                return False
            self._loader = None
            loaded = loader.result()
            self._mark("i_wait")
        else:
            try:
                loaded = Refit.from_bytes(load_refit_payload(s.connection(), refit_id))
            except (LookupError, TypeError, AttributeError, ImportError) as exc:
                loaded = exc
            self._mark("i_payload")
        if isinstance(loaded, LookupError):  # pruned by a newer refit meanwhile: next step
            return False
        if isinstance(loaded, (TypeError, AttributeError, ImportError)):
            _log.warning("stored refit %d is not usable (%s): refitting", refit_id, loaded)
            self._refit_requested = True
            return False
        if isinstance(loaded, BaseException):
            raise loaded
        refit = loaded
        state.install(refit)
        self._refit_id = refit_id
        self._last_refit_ms = max(self._last_refit_ms, int(latest[1]))
        self._mark("i_swap")
        _settle_heap()
        self._mark("i_heap")
        if self._timeline is not None:
            self._timeline.facts["installed"] = 1
        return True

    def refit_due(self) -> bool:
        """Whether a scheduled or requested refit should start now (never while a refit
        job runs; a job that ended counts as the refit of its start time, failed or not,
        so a failing refit is retried at the next interval, not in a loop)."""
        if self._job is not None:
            code = self._job.poll()
            if code is None:
                return False
            job, self._job = self._job, None
            self._last_refit_ms = max(self._last_refit_ms, job.created_at_ms)
            if code != 0:
                _log.error(
                    "refit job failed (exit code %s); next attempt in %.0f s",
                    code,
                    self.settings.refit_interval_s,
                )
        if self._refit_requested:
            return True
        if self.state is None:
            return False
        return self.clock() - self._last_refit_ms >= self.settings.refit_interval_s * 1000

    def _start_refit(self) -> None:
        """Refit: in a child process while this worker serves (``background_refit``), or
        here when there is no state to serve yet or the database is in-memory SQLite."""
        if self.settings.background_refit and self.state is not None:
            try:
                self._job = RefitJob(self.engine, self.config, self.settings, self.clock())
            except ValueError as exc:  # in-memory SQLite: no other process can read it
                _log.debug("refit in the worker: %s", exc)
            else:
                self._refit_requested = False
                return
        self.refit()

    @property
    def refit_job(self) -> RefitJob | None:
        """The refit running in a child process, if any."""
        return self._job

    def stop_refit_job(self) -> None:
        """Stop a running refit job (nothing of it is stored)."""
        if self._job is not None:
            self._job.stop()
            self._job = None

    def _ensure_state(self) -> LiveState:
        if self.state is None:
            self._refit_id = None
            state = self._snapshot_state()
            with Session(self.engine) as s:
                self._adopt_latest_refit(s, state)
            if not state.has_refit:
                self.refit()
                if self.state is None:  # pragma: no cover - refit() sets it
                    raise RuntimeError("no state")
                return self.state
            state.warm_up()
            self.state = state
        return self.state

    # ---- one micro-batch ------------------------------------------------------------------
    def _lock_offset(self, s: Session) -> int:
        table = pipeline_offsets
        where = table.c.consumer == self.settings.consumer
        if self._pg:
            value = s.execute(select(table.c.last_event_id).where(where).with_for_update())
        else:
            # A write first: SQLite's writer lock is held until commit.
            s.execute(update(table).where(where).values(updated_at_ms=table.c.updated_at_ms))
            value = s.execute(select(table.c.last_event_id).where(where))
        return int(value.scalar_one())

    def _contiguous(self, batch: list[dict[str, Any]], offset: int) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        expected = offset + 1
        if self._gap is not None and batch and batch[0]["id"] == self._gap[0] == expected:
            waited = (self.clock() - self._gap[1]) / 1000
            if waited >= 1.0:
                _log.info("event id %d committed after a %.1f s wait", expected, waited)
            self._gap = None
        for ev in batch:
            if ev["id"] != expected:
                now = self.clock()
                if self._gap is None or self._gap[0] != expected:
                    self._gap = (expected, now)
                    self._gap_seen_db = None
                waited = (now - self._gap[1]) / 1000
                if waited < self.settings.gap_timeout_s and self._gap_dead != expected:
                    break
                _log.warning("skipping event ids %d..%d (never committed)", expected, ev["id"] - 1)
            out.append(ev)
            expected = int(ev["id"]) + 1
        return out

    def _check_gap(self, s: Session) -> None:
        """PostgreSQL: find out early whether the gap the worker waits at can still fill.

        A missing id was taken before the next id, which committed before the worker saw
        the gap, so only a transaction that started before that moment can still commit
        it. Once no such transaction is open (in this database, other than ours), the id
        will never appear (its insert rolled back) and is skipped without waiting for
        ``gap_timeout_s``. Events committed meanwhile are read after this check.
        """
        if not self._pg or self._gap is None:
            return
        if self._gap_seen_db is None:
            self._gap_seen_db = s.execute(select(func.clock_timestamp())).scalar_one()
            return
        open_older = s.execute(
            text(
                "SELECT EXISTS (SELECT 1 FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid() "
                "AND state <> 'idle' AND xact_start <= :seen)"
            ),
            {"seen": self._gap_seen_db},
        ).scalar_one()
        if not open_older:
            self._gap_dead = self._gap[0]

    def step(self) -> StepResult:
        """Process one micro-batch in one transaction; returns what it did."""
        if self.refit_due():
            self._start_refit()
        state = self._ensure_state()
        started = time.perf_counter()
        tl = Timeline() if timeline_log.isEnabledFor(logging.DEBUG) else None
        self._timeline = tl
        if tl is not None:
            # The loop's waits and empty micro-batches since the last logged one.
            tl.add("idle", self._waited_s)
        self._waited_s = 0.0
        saved = state.checkpoint()
        try:
            with Session(self.engine) as s, s.begin():
                offset = self._lock_offset(s)
                if tl is not None:
                    tl.mark("lock")
                    server = self._server_cpu(s) if self._pg else None
                # (A refit still being read is installed at a later micro-batch.)
                adopted = self._adopt_latest_refit(s, state, wait=False)
                if state.position > offset:
                    # Ahead of the committed offset: only possible if the offset was reset.
                    raise _Resync
                behind = state.position < offset
                while state.position < offset:
                    gap = list_events(
                        s, after_id=state.position, limit=min(self.settings.batch_size * 10, 10_000)
                    )
                    gap = [ev for ev in gap if ev["id"] <= offset]
                    if not gap:
                        break
                    state.apply_events(gap)
                    state.position = max(state.position, int(gap[-1]["id"]))
                state.position = offset
                if behind:
                    # Another worker applied those events: take its published history
                    # and holds.
                    state.frames.history = load_history(s.connection())
                    state.holds = load_holds(s.connection())
                    state.adopt_published_contributors(s.connection())
                if adopted:
                    # Behind, the holds just loaded are the other worker's, which installed
                    # this refit first (and cleared the ones it ended) or will.
                    self._publish_installed(s, state, clear_holds=not behind)
                    self._mark("i_publish")
                if self._gap is not None and self._gap[0] == offset + 1:
                    self._check_gap(s)
                batch = self._contiguous(
                    list_events(s, after_id=offset, limit=self.settings.batch_size), offset
                )
                if (
                    self._gap is not None
                    and self._gap[0] == offset + 1
                    and (self._gap_seen_db is None)
                ):
                    self._check_gap(s)  # first seen now: note the server's time
                read_s = time.perf_counter()
                if tl is not None:
                    tl.mark("read")
                if not batch and self._loader is not None and not adopted:
                    # Nothing to serve: wait for the refit being read and install it now.
                    adopted = self._adopt_latest_refit(s, state, wait=True)
                    if adopted:
                        self._publish_installed(s, state, clear_holds=not behind)
                        self._mark("i_publish")
                if not batch:
                    if tl is not None and tl.facts.get("installed"):
                        # (An install is logged even without events: its own line.)
                        tl.facts.update(events=0, last_event=offset)
                        timeline_log.debug(tl.line())
                    elif tl is not None:
                        self._waited_s = tl.phases["idle"][0] + time.perf_counter() - tl.started
                    self._timeline = None
                    held = self._hold_pass(s, state)
                    if held is None:
                        # Idle: rewrite some of the rows an installed refit left stale.
                        self._bulk_upsert(s, note_scores, "note_id", state.refresh_scores())
                    return StepResult(0, 0, held, offset)
                applied = state.apply_events(batch)
                if any(ev["event_type"] == REFIT_REQUESTED for ev in batch):
                    self._refit_requested = True
                if tl is not None:
                    tl.mark("apply")
                scoring = None
                if applied:
                    as_of = max(int(ev["created_at_ms"]) for ev in batch)
                    scoring = state.rescore(as_of)
                    self._holds_checked_ms = max(self._holds_checked_ms, as_of)
                    if tl is not None:
                        tl.mark("pass")
                    self._write_effects(s, scoring)
                new_offset = int(batch[-1]["id"])
                s.execute(
                    update(pipeline_offsets)
                    .where(pipeline_offsets.c.consumer == self.settings.consumer)
                    .values(last_event_id=new_offset, updated_at_ms=self.clock())
                )
                if tl is not None:
                    tl.mark("offset")
                    if server is not None:
                        # The database server's CPU for this transaction (before its commit)
                        # when it runs on this machine: what the writes cost on its side.
                        after = _proc_cpu_s(server[0])
                        if after is not None:
                            tl.facts["server_cpu_ms"] = round((after - server[1]) * 1000, 1)
                scored_s = time.perf_counter()
            if tl is not None:
                tl.mark("commit")
                oldest = min(int(ev["created_at_ms"]) for ev in batch)
                tl.facts.update(
                    events=len(batch),
                    applied=applied,
                    notes=0 if scoring is None else len(scoring.scores),
                    history_rows=0 if scoring is None else len(scoring.history_rows),
                    contributor_rows=0
                    if scoring is None
                    else len(scoring.contributors.scores) + len(scoring.contributors.enrollment),
                    oldest_age_ms=self.clock() - oldest,
                    last_event=new_offset,
                )
                timeline_log.debug(tl.line())
                self._timeline = None
            if _log.isEnabledFor(logging.DEBUG):
                done = time.perf_counter()
                _log.debug(
                    "batch of %d events (%d applied): %.1f ms, of which scoring %.1f ms, "
                    "commit %.1f ms",
                    len(batch),
                    applied,
                    (done - started) * 1000,
                    (scored_s - read_s) * 1000,
                    (done - scored_s) * 1000,
                )
            return StepResult(len(batch), applied, scoring, new_offset)
        except _Resync:
            self.state = None
            return StepResult(0, 0, None, state.position)
        except BaseException:
            state.restore(saved)
            raise

    # ---- stabilization holds ------------------------------------------------------------
    def next_hold_deadline_ms(self) -> int | None:
        """The next time (ms) a held note's hold can end and a pass should look at it.

        For each note in stabilization since T (``timestampMillisOfNmrDueToMinStableCrhTime``
        > 0) the rule's outcome can change at T + the minimum hold, just after T + the
        longest CRH hold and just after T + the longest NYH hold (§9.4); the earliest of
        those not yet evaluated by a pass. ``None``: no note is held (or no state yet).
        """
        state = self.state
        if state is None:
            return None
        history = state.frames.history
        cache = self._hold_cache
        if cache is not None and cache[0] is history and cache[1] == self._holds_checked_ms:
            return cache[2]
        since = history.nmr_due_to_min_stable_crh_ts
        held = since[np.isfinite(since) & (since > 0)]
        deadline: int | None = None
        if held.size:
            meta = self.config.meta
            minutes = np.array(
                [
                    meta.min_stable_crh_minutes,
                    meta.max_stable_crh_minutes,
                    meta.max_stable_nyh_minutes,
                ]
            )
            # The longest holds end when the age exceeds them: 1 ms after.
            ends = held[:, None] + minutes[None, :] * 60_000 + np.array([0, 1, 1])
            later = ends[ends > self._holds_checked_ms]
            deadline = math.ceil(float(later.min())) if later.size else None
        self._hold_cache = (history, self._holds_checked_ms, deadline)
        return deadline

    def _hold_pass(self, s: Session, state: LiveState) -> PassResult | None:
        """When a hold deadline has passed and no event is waiting: a pass at the clock's
        time, which ends the holds that are over (§9.4), with its effects written as an
        event-driven pass's."""
        deadline = self.next_hold_deadline_ms()
        now_ms = self.clock()
        if deadline is None or now_ms < deadline:
            return None
        self._sync_held_rows(s, state)
        scoring = state.rescore(now_ms)
        self._holds_checked_ms = now_ms
        self._write_effects(s, scoring)
        if scoring.changes:
            _log.info("hold pass at %d: %d status changes", now_ms, len(scoring.changes))
        return scoring

    def _sync_held_rows(self, s: Session, state: LiveState) -> None:
        """Take the published history if another worker's hold pass changed a held note's
        row since this worker's history was read (hold passes consume no events, so the
        offset does not tell)."""
        history = state.frames.history
        since = history.nmr_due_to_min_stable_crh_ts
        held = np.flatnonzero(np.isfinite(since) & (since > 0))
        ids = [int(n) for n in history.note_id[held].tolist()]
        column = note_status_history.c.timestampMillisOfNmrDueToMinStableCrhTime
        published = dict(
            s.execute(
                select(note_status_history.c.noteId, column).where(
                    note_status_history.c.noteId.in_(ids)
                )
            ).all()
        )
        mine = dict(zip(ids, since[held].tolist(), strict=True))
        if any(published.get(n) is None or float(published[n]) != t for n, t in mine.items()):
            state.frames.history = load_history(s.connection())

    def _upsert(self, table: Any, key: str) -> Any:
        builder = postgresql.insert if self._pg else sqlite.insert
        stmt = builder(table)
        return stmt.on_conflict_do_update(
            index_elements=[key],
            set_={c.name: stmt.excluded[c.name] for c in table.columns if c.name != key},
        )

    def _write_pending(
        self, s: Session, pending: dict[str, int], refit_at_ms: int, now_ms: int
    ) -> None:
        """Upsert the pending counts (0: delete the row)."""
        next_ms = refit_at_ms + int(self.settings.refit_interval_s * 1000)
        waiting = [
            {
                "note_id": int(note),
                "pending_ratings": n,
                "next_refit_at_ms": next_ms,
                "updated_at_ms": now_ms,
            }
            for note, n in sorted(pending.items())
            if n > 0
        ]
        done = [int(note) for note, n in pending.items() if n <= 0]
        if waiting:
            s.execute(self._upsert(pipeline_pending, "note_id"), waiting)
        if done:
            s.execute(delete(pipeline_pending).where(pipeline_pending.c.note_id.in_(done)))

    def _bulk_upsert(self, s: Session, table: Any, key: str, rows: list[dict[str, Any]]) -> None:
        """Insert or update ``rows`` (every column of ``table``) by ``key``.

        PostgreSQL: one statement whose rows travel as one JSON parameter (an executemany
        costs a round trip and the driver's parameter handling per row); SQLite: executemany.
        """
        if not rows:
            return
        if not self._pg:
            s.execute(self._upsert(table, key), rows)
            return
        names = [c.name for c in table.columns]
        updates = ", ".join(f'"{c}" = excluded."{c}"' for c in names if c != key)
        stmt = text(
            f'INSERT INTO "{table.name}" SELECT * FROM '
            f'json_populate_recordset(NULL::"{table.name}", :rows) '
            f'ON CONFLICT ("{key}") DO UPDATE SET {updates}'
        )
        s.execute(stmt, {"rows": json.dumps(rows, allow_nan=False)})

    def _write_contributors(self, s: Session, rows: ContributorRows) -> None:
        """Contributors' figures that changed: ``contributor_scores`` upserts and the
        ``enrollment`` columns the run sets (a column it has no value for is left as is,
        as ``pipeline.publish`` does)."""
        if rows.scores or rows.enrollment:
            _log.debug(
                "contributors: %d score rows, %d enrollment rows",
                len(rows.scores),
                len(rows.enrollment),
            )
        self._bulk_upsert(s, contributor_scores, "participant_id", rows.scores)
        by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for row in rows.enrollment:
            values = {k: v for k, v in row.items() if v is not None}
            by_columns.setdefault(tuple(sorted(values)), []).append(values)
        for columns, group in by_columns.items():
            stmt = (
                update(enrollment)
                .where(enrollment.c.participantId == bindparam("pid"))
                .values({c: bindparam(c) for c in columns if c != "participantId"})
            )
            s.connection().execute(stmt, [{**r, "pid": r["participantId"]} for r in group])

    def _server_cpu(self, s: Session) -> tuple[int, float] | None:
        """(backend pid, its CPU s) of the session's PostgreSQL connection, when the server
        runs on this machine (``/proc`` readable); None otherwise."""
        pid = int(s.execute(select(func.pg_backend_pid())).scalar_one())
        cpu = _proc_cpu_s(pid)
        return None if cpu is None else (pid, cpu)

    def _mark(self, name: str) -> None:
        if self._timeline is not None:
            self._timeline.mark(name)

    def _write_effects(self, s: Session, scoring: PassResult) -> None:
        self._bulk_upsert(
            s, note_status_history, "noteId", [_nsh_row(r) for r in scoring.history_rows]
        )
        self._mark("w_history")
        # The rule trace the note details show, for the notes this pass rescored.
        self._bulk_upsert(s, note_scores, "note_id", scoring.scores)
        self._mark("w_scores")
        self._write_contributors(s, scoring.contributors)
        self._mark("w_contributors")
        if scoring.pending:
            now_ms = self.clock()
            self._write_pending(s, scoring.pending, self._last_refit_ms, now_ms)
            self._mark("w_pending")
        changes = [
            {
                "note_id": int(c.note_id),
                "changed_at_ms": c.at_ms,
                "status": c.status,
                "decided_by": c.decided_by,
            }
            for c in scoring.changes
            if c.status is not None
        ]
        if changes:
            s.execute(insert(note_status_changes), changes)
        if scoring.changes:
            s.execute(
                insert(events),
                [
                    {
                        "created_at_ms": c.at_ms,
                        "event_type": STATUS_CHANGED,
                        "actor_participant_id": None,
                        "entity_id": c.note_id,
                        "payload": encode_payload(
                            {
                                "noteId": c.note_id,
                                "status": c.status,
                                "previousStatus": c.previous,
                                "decidedBy": c.decided_by,
                            }
                        ),
                    }
                    for c in scoring.changes
                ],
            )
        self._mark("w_changes")

    # ---- the loop ---------------------------------------------------------------------
    def run(self, stop: threading.Event | None = None, *, max_steps: int | None = None) -> int:
        """Loop until ``stop`` is set (or ``max_steps`` micro-batches ran); returns steps.

        Database errors roll the batch back and are retried with exponential backoff
        (0.1 s doubling to 5 s), so a restarted server is picked up again.
        """
        stop = stop if stop is not None else threading.Event()
        self.setup_with_retry(stop)
        waiter = _Waiter(self.engine, self.settings) if self._pg and self.settings.listen else None
        steps = 0
        backoff = 0.1
        try:
            while not stop.is_set() and (max_steps is None or steps < max_steps):
                try:
                    result = self.step()
                    backoff = 0.1
                except DBAPIError as exc:
                    _log.warning("database error, retrying in %.1f s: %s", backoff, exc)
                    stop.wait(backoff)
                    backoff = min(backoff * 2, 5.0)
                    if waiter is not None:
                        waiter.close()
                    continue
                steps += 1
                if result.consumed < self.settings.batch_size:
                    waited = time.perf_counter()
                    if waiter is not None:
                        waiter.wait(self.settings.poll_interval_s)
                    else:
                        stop.wait(self.settings.poll_interval_s)
                    self._waited_s += time.perf_counter() - waited
        finally:
            if waiter is not None:
                waiter.close()
            self.stop_refit_job()
        return steps

    def setup_with_retry(self, stop: threading.Event) -> None:
        """``setup`` retried while the database is unreachable."""
        backoff = 0.1
        while True:
            try:
                self.setup()
                return
            except DBAPIError as exc:
                if stop.is_set():
                    raise
                _log.warning("database unavailable, retrying in %.1f s: %s", backoff, exc)
                stop.wait(backoff)
                backoff = min(backoff * 2, 5.0)


class _RefitLoader:
    """Reads and unpickles a stored refit in a daemon thread on its own connection, so that
    the worker's micro-batches go on meanwhile (the read waits on the server; only the
    unpickling holds the interpreter). :meth:`result` is the :class:`Refit`, or the
    exception reading or unpickling it raised."""

    def __init__(self, engine: Engine, refit_id: int) -> None:
        self.refit_id = refit_id
        self._engine = engine
        self._result: Refit | BaseException | None = None
        self._thread = threading.Thread(
            target=self._load, name=f"bridgewatch-refit-{refit_id}", daemon=True
        )
        self._thread.start()

    def _load(self) -> None:
        try:
            started = time.perf_counter()
            with self._engine.connect() as conn:
                payload = load_refit_payload(conn, self.refit_id)
            read = time.perf_counter()
            self._result = Refit.from_bytes(payload)
            _log.info(
                "refit %d read in the background: %d MiB in %.1f s, unpickled in %.1f s",
                self.refit_id,
                len(payload) >> 20,
                read - started,
                time.perf_counter() - read,
            )
        except BaseException as exc:  # handed to the worker's thread by result()
            self._result = exc

    def running(self) -> bool:
        """Whether the thread is still reading."""
        return self._thread.is_alive()

    def result(self) -> Refit | BaseException:
        """The refit (or the exception), waiting for the thread if it still runs."""
        self._thread.join()
        if self._result is None:  # pragma: no cover - _load always sets it
            raise RuntimeError("the refit loader ended without a result")
        return self._result


class _Resync(Exception):
    """The in-memory state must be rebuilt from a snapshot."""


def _settle_heap() -> None:
    """After a refit is swapped in: collect what the previous one left in reference cycles,
    then take every surviving object out of the cyclic collector's generations
    (``gc.freeze``). The refit's objects live until the next one; left in the oldest
    generation, each full collection would walk all of them in the middle of some pass (a
    ~150 ms pause at a million ratings). Frozen objects are still freed by reference
    counting; the next refit unfreezes them first, so their cycles are collected then."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()


def _proc_cpu_s(pid: int) -> float | None:
    """User + system CPU time of a process on this machine (Linux ``/proc``), s; None when
    it cannot be read (another machine, another OS)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def _nsh_row(row: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"noteId": int(row["noteId"])}
    for name, value in row.items():
        if name == "noteId":
            continue
        out[name] = int(value) if (value is not None and name in _INT_COLUMNS) else value
    return out


class _Waiter:
    """LISTEN on PostgreSQL: wait for a NOTIFY or a timeout; reconnects lazily."""

    def __init__(self, engine: Engine, settings: WorkerConfig) -> None:
        self._url = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        self._conn: Any = None  # Any: psycopg.Connection, imported lazily

    def _connect(self) -> Any:
        import psycopg

        conn = psycopg.connect(self._url, autocommit=True)
        conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
        return conn

    def wait(self, timeout_s: float) -> None:
        try:
            if self._conn is None:
                self._conn = self._connect()
            for _ in self._conn.notifies(timeout=timeout_s, stop_after=1):
                pass
        except Exception as exc:  # any connection failure falls back to a plain sleep
            _log.warning("LISTEN failed (%s); polling", exc)
            self.close()
            time.sleep(timeout_s)

    def close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            finally:
                self._conn = None
