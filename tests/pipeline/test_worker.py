"""The worker: events in order, effects and offset in one transaction, several workers."""

from __future__ import annotations

import gc
import os
import threading
import time
from typing import Any

import numpy as np
import polars as pl
import pytest
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from bridgewatch.errors import ConfigError
from bridgewatch.model import NoteStatus
from bridgewatch.pipeline import worker as worker_module
from bridgewatch.pipeline.contributors import changed_rows
from bridgewatch.pipeline.worker import (
    REFIT_REQUESTED,
    STATUS_CHANGED,
    StepResult,
    Worker,
    WorkerConfig,
)
from bridgewatch.scoring.config import ScoringConfig
from bridgewatch.store.events import append_event
from bridgewatch.store.repositories.ratings import delete_rating, upsert_rating
from bridgewatch.store.tables import (
    contributor_scores,
    enrollment,
    events,
    note_scores,
    note_status_changes,
    note_status_history,
    pipeline_offsets,
    pipeline_refits,
)
from tests.pipeline.conftest import Community

CONFIG = ScoringConfig(topics=None)


def _write(engine: Engine, rows: list[dict[str, Any]]) -> None:
    with Session(engine) as s, s.begin():
        for row in rows:
            values = {k: v for k, v in row.items() if k != "createdAtMillis"}
            values["noteId"] = int(values["noteId"])
            upsert_rating(s, now_ms=int(row["createdAtMillis"]), values=values)


def request_refit(engine: Engine, now_ms: int = 1) -> None:
    """A refit request in the event log, as ``worker --refit-now`` writes it."""
    with Session(engine) as s, s.begin():
        append_event(
            s,
            now_ms=now_ms,
            event_type=REFIT_REQUESTED,
            actor_participant_id=None,
            entity_id="cli",
            payload={},
        )


def _drain(worker: Worker) -> int:
    steps = 0
    while worker.step().consumed:
        steps += 1
    return steps


def _statuses(engine: Engine) -> dict[int, tuple[str | None, str | None]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                note_status_history.c.noteId,
                note_status_history.c.currentStatus,
                note_status_history.c.currentCoreStatus,
            )
        ).all()
    return {int(r[0]): (r[1], r[2]) for r in rows}


def _count(engine: Engine, stmt: Any) -> int:
    with engine.connect() as conn:
        return int(conn.execute(stmt).scalar_one())


def _offset(engine: Engine) -> int:
    return _count(engine, select(func.max(pipeline_offsets.c.last_event_id)))


def _agrees_with_a_new_worker(engine: Engine, worker: Worker, settings: WorkerConfig) -> None:
    """The worker is at the log's end and scores note by note as a new worker that starts
    from the same stored refit and data (statuses; Core intercepts to rtol 1e-9)."""
    state = worker.state
    assert state is not None and state.position == _offset(engine)
    fresh = Worker(engine, CONFIG, settings)
    fresh_state = fresh._ensure_state()
    assert fresh._refit_id == worker._refit_id
    state.rescore(state.store.newest_ms())
    fresh_state.rescore(fresh_state.store.newest_ms())
    live_a, live_b = state.last_pass, fresh_state.last_pass
    assert live_a is not None and live_b is not None
    np.testing.assert_array_equal(live_a.inputs.note_ids.ids, live_b.inputs.note_ids.ids)
    np.testing.assert_array_equal(live_a.meta.final_status, live_b.meta.final_status)
    np.testing.assert_allclose(
        live_a.core.main.intercept, live_b.core.main.intercept, rtol=1e-9, atol=1e-12
    )


def test_worker_applies_every_event_once_and_publishes_changes(
    loaded: Engine, community: Community
) -> None:
    worker = Worker(loaded, CONFIG, WorkerConfig(batch_size=400, gap_timeout_s=0.0))
    worker.setup()
    _drain(worker)  # the import event
    _write(loaded, community.later[:900])
    _write(loaded, community.later[900:])
    with Session(loaded) as s, s.begin():
        first = community.later[0]
        delete_rating(
            s,
            note_id=int(first["noteId"]),
            rater_participant_id=first["raterParticipantId"],
            now_ms=int(community.later[-1]["createdAtMillis"]) + 1,
        )
    assert _drain(worker) >= 5
    max_id = _count(loaded, select(func.max(events.c.id)))
    status_events = _count(
        loaded, select(func.count()).where(events.c.event_type == STATUS_CHANGED)
    )
    # The worker's own events come after the ones it consumed; one more pass consumes them.
    _drain(worker)
    assert _offset(loaded) == _count(loaded, select(func.max(events.c.id))) >= max_id
    statuses = _statuses(loaded)
    assert len(statuses) == 300
    assert status_events > 0
    changes = _count(loaded, select(func.count()).select_from(note_status_changes))
    assert changes <= status_events
    # The published statuses are the worker's in-memory history.
    assert worker.state is not None
    frame = worker.state.frames.history.to_frame()
    memory = dict(
        zip(frame["noteId"].cast(pl.Int64).to_list(), frame["currentStatus"].to_list(), strict=True)
    )
    assert {k: v[0] for k, v in statuses.items()} == memory
    # Nothing new: a step does nothing.
    assert worker.step().consumed == 0


def test_two_workers_share_the_log_and_match_one_worker(
    engine: Engine, community: Community, tmp_path_factory: pytest.TempPathFactory
) -> None:
    from bridgewatch.store.dump import import_dump

    import_dump(engine, community.dump, now_ms=1_700_000_000_000)
    settings = WorkerConfig(batch_size=300, gap_timeout_s=0.0)
    a, b = Worker(engine, CONFIG, settings), Worker(engine, CONFIG, settings)
    a.setup()
    b.setup()
    _drain(a)
    _write(engine, community.later[:700])
    a.step()
    b.step()  # catches up on a's batch (data only), then applies the next one
    _write(engine, community.later[700:])
    while a.step().consumed + b.step().consumed:
        pass
    shared = _statuses(engine)
    # Each status change was published once: no event applied twice.
    with engine.connect() as conn:
        ids = conn.execute(
            select(events.c.entity_id, events.c.payload).where(
                events.c.event_type == STATUS_CHANGED
            )
        ).all()
    assert len(ids) == len(set(ids))
    # One worker over a fresh copy of the same writes reaches the same statuses.
    assert a.state is not None and b.state is not None
    assert a.state.position == b.state.position == _offset(engine)
    fa = a.state.frames.history.to_frame()
    fb = b.state.frames.history.to_frame()
    assert fa["currentStatus"].to_list() == fb["currentStatus"].to_list()
    assert {k: v[0] for k, v in shared.items()} == dict(
        zip(fa["noteId"].cast(pl.Int64).to_list(), fa["currentStatus"].to_list(), strict=True)
    )


def test_refit_request_in_the_log_triggers_a_refit(loaded: Engine, community: Community) -> None:
    worker = Worker(loaded, CONFIG, WorkerConfig(gap_timeout_s=0.0, background_refit=False))
    worker.setup()
    _drain(worker)
    assert not worker.refit_due()
    request_refit(loaded)
    worker.step()
    assert worker.refit_due()
    _write(loaded, community.later[:50])
    before = worker.state
    worker.step()
    assert worker.state is not before  # swapped
    assert not worker.refit_due()
    # The refit's objects are out of the cyclic collector's way until the next refit.
    assert gc.get_freeze_count() > 0


def test_a_refit_job_runs_while_the_worker_serves_then_is_installed(
    loaded: Engine, community: Community
) -> None:
    """A requested refit runs in a child process: the worker goes on applying events with
    the previous refit, installs the stored one at its next micro-batch once the job ends,
    and then scores exactly as a new worker that starts from that refit."""
    settings = WorkerConfig(gap_timeout_s=0.0, batch_size=50)
    worker = Worker(loaded, CONFIG, settings)
    worker.setup()
    _drain(worker)
    first = worker._refit_id
    state = worker.state
    assert state is not None
    request_refit(loaded)
    worker.step()  # reads the request
    assert worker.refit_due()
    _write(loaded, community.later[:100])
    served = 0
    result = worker.step()  # starts the job, then applies a micro-batch
    job = worker.refit_job
    assert job is not None
    assert not worker.refit_due()  # never a second job beside the first
    served += result.applied
    assert served > 0
    assert job.poll() is None, "the job ended before the worker served a batch beside it"
    assert worker.state is state and worker._refit_id == first  # still the previous refit
    assert job.wait(300) == 0
    assert not worker.refit_due()  # the job's refit counts as the one due
    _write(loaded, community.later[100:400])
    _drain(worker)
    assert worker.refit_job is None
    assert worker._refit_id is not None and worker._refit_id != first  # installed
    assert worker.state is state  # installed in place: the events since stay applied
    assert state.position == _offset(loaded)
    # A new worker that starts from the stored refit and the same data agrees note by note.
    _agrees_with_a_new_worker(loaded, worker, settings)


def _table(engine: Engine, table: Any, key: str, skip: frozenset[str]) -> dict[str, dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(select(table)).mappings().all()
    return {str(r[key]): {k: v for k, v in r.items() if k not in skip} for r in rows}


def test_installing_a_refit_writes_only_the_contributor_rows_it_changed(
    loaded: Engine, community: Community
) -> None:
    """The first pass after a worker installs a background refit compares its contributor
    figures with those it published under the previous refit (by participant id): it writes
    the rows that differ, not all of them, and the published tables are then what a full
    rewrite of that pass's figures gives."""
    settings = WorkerConfig(gap_timeout_s=0.0, batch_size=50)
    worker = Worker(loaded, CONFIG, settings)
    worker.setup()
    _drain(worker)
    first = worker._refit_id
    request_refit(loaded)
    worker.step()  # reads the request
    _write(loaded, community.later[:100])
    worker.step()  # starts the job, then applies a micro-batch
    job = worker.refit_job
    assert job is not None and job.wait(300) == 0
    _drain(worker)  # nothing to serve: the worker installs the stored refit
    assert worker._refit_id is not None and worker._refit_id != first
    _write(loaded, community.later[100:200])
    results = []
    while (result := worker.step()).consumed:
        results.append(result)
    assert worker._refit_id is not None and worker._refit_id != first
    state = worker.state
    assert state is not None and state._contributors is not None and state._enrollment
    install = results[0].scoring
    assert install is not None
    figures, known = state._contributors, state._enrollment[3]
    full = changed_rows(figures, None, known, 0)
    # The refit moves Core's rater parameters: their rows are rewritten; enrollment rows
    # only where the state moved.
    assert len(install.contributors.enrollment) < len(full.enrollment)
    assert len(install.contributors.scores) <= len(full.scores)
    scores = _table(loaded, contributor_scores, "participant_id", frozenset({"scored_at_ms"}))
    for row in full.scores:
        expected = {k: v for k, v in row.items() if k != "scored_at_ms"}
        got = scores[row["participant_id"]]
        for name, value in expected.items():
            if isinstance(value, float):
                assert got[name] == pytest.approx(value, rel=1e-12), name
            else:
                assert got[name] == value, name
    # The enrollment columns that decide (a time alone does not make a row change).
    enrolled = _table(loaded, enrollment, "participantId", frozenset())
    for row in full.enrollment:
        got = enrolled[row["participantId"]]
        for name in ("enrollmentState", "successfulRatingNeededToEarnIn", "numberOfTimesEarnedOut"):
            assert got[name] == row[name], name


def test_a_stored_refit_is_read_in_the_background_while_the_worker_serves(
    loaded: Engine, community: Community, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL: the payload of a stored refit is read and unpickled in a thread; the
    micro-batches go on with the previous refit meanwhile, and the refit is installed at
    the first one after the read (or when there is nothing to serve), after which the
    worker scores as a new worker that starts from it."""
    if loaded.dialect.name != "postgresql":
        pytest.skip("SQLite reads the payload in the micro-batch")
    settings = WorkerConfig(gap_timeout_s=0.0, batch_size=50)
    worker = Worker(loaded, CONFIG, settings)
    worker.setup()
    _drain(worker)
    first = worker._refit_id
    Worker(loaded, CONFIG, settings).compute_refit()  # as a refit job stores one
    release = threading.Event()
    load = worker_module._RefitLoader._load

    def slow(self: Any) -> None:
        assert release.wait(120)
        load(self)

    monkeypatch.setattr(worker_module._RefitLoader, "_load", slow)
    _write(loaded, community.later[:100])
    served = worker.step()
    assert served.applied > 0 and worker._refit_id == first  # served on the previous refit
    assert worker.step().applied > 0 and worker._refit_id == first
    release.set()
    _write(loaded, community.later[100:200])
    _drain(worker)
    assert worker._refit_id is not None and worker._refit_id != first
    _agrees_with_a_new_worker(loaded, worker, settings)


def test_a_micro_batch_that_installs_a_refit_and_fails_leaves_a_state_that_agrees(
    loaded: Engine, community: Community, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A micro-batch that installed a stored refit and then rolled back (a database error
    in its writes) leaves a state that scores as a new worker on that refit does (the
    rolled-back ``restore`` brings back the previous pass, not the previous refit)."""
    settings = WorkerConfig(gap_timeout_s=0.0, batch_size=50)
    worker = Worker(loaded, CONFIG, settings)
    worker.setup()
    _drain(worker)
    first = worker._refit_id
    Worker(loaded, CONFIG, settings).compute_refit()  # as a refit job stores one
    _write(loaded, community.later[:200])

    def fail(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("connection lost")

    monkeypatch.setattr(worker, "_publish_installed", fail)
    for _ in range(200):
        try:
            worker.step()
        except RuntimeError:
            break
        time.sleep(0.01)
    else:
        pytest.fail("the micro-batch never installed the refit")
    monkeypatch.undo()
    _write(loaded, community.later[200:300])
    _drain(worker)
    assert worker._refit_id is not None and worker._refit_id != first
    _agrees_with_a_new_worker(loaded, worker, settings)


def test_a_worker_stopped_during_a_refit_job_stops_the_job(loaded: Engine) -> None:
    worker = Worker(loaded, CONFIG, WorkerConfig(gap_timeout_s=0.0))
    worker.setup()
    _drain(worker)
    worker._refit_requested = True
    worker.step()
    job = worker.refit_job
    assert job is not None
    # It runs below the worker's CPU priority (WorkerConfig.refit_nice), once started.
    mine = os.getpriority(os.PRIO_PROCESS, 0)
    deadline = time.monotonic() + 60
    while os.getpriority(os.PRIO_PROCESS, job.pid) == mine and time.monotonic() < deadline:
        time.sleep(0.05)
    assert os.getpriority(os.PRIO_PROCESS, job.pid) == min(mine + 10, 19)
    with Session(loaded) as s:
        stored = s.execute(select(func.count()).select_from(pipeline_refits)).scalar_one()
    worker.stop_refit_job()
    assert job.poll() not in (None, 0)  # terminated: nothing stored
    assert worker.refit_job is None
    with Session(loaded) as s:
        assert s.execute(select(func.count()).select_from(pipeline_refits)).scalar_one() == stored


def test_gap_in_ids_waits_then_skips(loaded: Engine) -> None:
    now = [1_000_000]  # ms
    worker = Worker(loaded, CONFIG, WorkerConfig(gap_timeout_s=5.0), clock=lambda: now[0])
    batch = [{"id": 1}, {"id": 3}, {"id": 4}]
    assert [e["id"] for e in worker._contiguous(batch, 0)] == [1]
    assert worker._contiguous(batch[1:], 1) == []
    now[0] += 6_000
    assert [e["id"] for e in worker._contiguous(batch[1:], 1)] == [3, 4]


def test_worker_config_checks() -> None:
    with pytest.raises(ConfigError):
        WorkerConfig(batch_size=0)
    with pytest.raises(ConfigError):
        WorkerConfig(gap_timeout_s=-1)
    with pytest.raises(ConfigError):
        WorkerConfig(refit_nice=20)


def test_a_rolled_back_event_id_is_skipped_without_the_gap_timeout(
    loaded: Engine, community: Community
) -> None:
    now = [1_000_000]  # ms
    worker = Worker(
        loaded, CONFIG, WorkerConfig(gap_timeout_s=3600.0), clock=lambda: now[0]
    )  # the clock never moves: only the open-transaction check can skip the gap
    worker.setup()
    _drain(worker)
    with Session(loaded) as s:
        s.begin()
        append_event(
            s,
            now_ms=1,
            event_type="rating.created",
            actor_participant_id=None,
            entity_id="rolled-back",
            payload={},
        )
        s.flush()
        s.rollback()  # its id is taken on PostgreSQL and never commits
    _write(loaded, community.later[:20])
    last = _count(loaded, select(func.max(events.c.id)))
    # Other test processes may share this database (pytest -n): their transactions are
    # open transactions too, so the gap is skipped once they end; the clock never reaches
    # the gap timeout, whatever the wall time.
    deadline = time.monotonic() + 60.0
    while _offset(loaded) < last and time.monotonic() < deadline:
        worker.step()
        time.sleep(0.02)
    assert _offset(loaded) >= last


def _hold(worker: Worker, engine: Engine, note_id: str, since_ms: int) -> None:
    """Put a note in the stabilization hold since ``since_ms`` (never CRH before), in the
    worker's history and in the published one, as a pass that found it CRH would."""
    state = worker.state
    assert state is not None
    history = state.frames.history
    row = history.note_id == note_id
    nan = np.where(row, np.nan, history.first_non_nmr_ts)
    state.frames.history = history.with_columns(
        current_status=np.where(row, NoteStatus.NEEDS_MORE_RATINGS, history.current_status).astype(
            np.int8
        ),
        nmr_due_to_min_stable_crh_ts=np.where(
            row, float(since_ms), history.nmr_due_to_min_stable_crh_ts
        ),
        first_nmr_due_to_min_stable_crh_ts=np.where(
            row, float(since_ms), history.first_nmr_due_to_min_stable_crh_ts
        ),
        first_non_nmr_ts=nan,
        first_non_nmr_status=np.where(row, -1, history.first_non_nmr_status).astype(np.int8),
        locked_status=np.where(row, -1, history.locked_status).astype(np.int8),
        status_lock_ts=np.where(row, np.nan, history.status_lock_ts),
    )
    with Session(engine) as s, s.begin():
        s.execute(
            update(note_status_history)
            .where(note_status_history.c.noteId == int(note_id))
            .values(
                currentStatus="NEEDS_MORE_RATINGS",
                timestampMillisOfNmrDueToMinStableCrhTime=since_ms,
                timestampMillisOfFirstNmrDueToMinStableCrhTime=since_ms,
                timestampMillisOfFirstNonNMRStatus=None,
                firstNonNMRStatus=None,
                lockedStatus=None,
                timestampMillisOfStatusLock=None,
            )
        )


def test_a_held_note_is_released_when_its_hold_ends_without_any_event(
    loaded: Engine, community: Community
) -> None:
    entered_ms = 1_800_000_000_000
    now_ms = [entered_ms - 86_400_000]
    worker = Worker(loaded, CONFIG, WorkerConfig(), clock=lambda: now_ms[0])
    worker.setup()
    _write(loaded, community.later)
    _drain(worker)
    while worker.step().scoring is not None:  # a day on, the holds of these passes end
        pass
    assert worker.next_hold_deadline_ms() is None
    with loaded.connect() as conn:
        note_id = conn.execute(
            select(note_status_history.c.noteId)
            .where(note_status_history.c.currentStatus == "CURRENTLY_RATED_HELPFUL")
            .order_by(note_status_history.c.noteId)
            .limit(1)
        ).scalar_one()
    _hold(worker, loaded, str(note_id), entered_ms)
    minute_ms = 60_000
    assert worker.next_hold_deadline_ms() == entered_ms + 30 * 60_000
    before = _count(loaded, select(func.max(events.c.id)))

    # A second worker of the same consumer, started with the note already held.
    other = Worker(loaded, CONFIG, WorkerConfig(), clock=lambda: now_ms[0])
    now_ms[0] = entered_ms + 29 * minute_ms  # too early: no pass at all
    assert worker.step() == StepResult(0, 0, None, _offset(loaded))
    assert other.step().scoring is None
    now_ms[0] = entered_ms + 45 * minute_ms  # past the minimum hold: looked at, held
    result = worker.step()
    assert result.consumed == 0 and result.scoring is not None and not result.scoring.changes
    assert _statuses(loaded)[int(note_id)][0] == "NEEDS_MORE_RATINGS"
    assert worker.next_hold_deadline_ms() == entered_ms + 60 * 60_000 + 1

    now_ms[0] = entered_ms + 61 * minute_ms  # the CRH hold is over: released
    result = worker.step()
    assert result.consumed == 0 and result.scoring is not None
    assert [(c.note_id, c.status) for c in result.scoring.changes] == [
        (str(note_id), "CURRENTLY_RATED_HELPFUL")
    ]
    assert _statuses(loaded)[int(note_id)][0] == "CURRENTLY_RATED_HELPFUL"
    with loaded.connect() as conn:
        at, status = conn.execute(
            select(note_status_changes.c.changed_at_ms, note_status_changes.c.status)
            .where(note_status_changes.c.note_id == int(note_id))
            .order_by(note_status_changes.c.id.desc())
            .limit(1)
        ).one()
        announced = conn.execute(
            select(events.c.entity_id).where(
                events.c.event_type == STATUS_CHANGED, events.c.id > before
            )
        ).all()
    assert (at, status) == (now_ms[0], "CURRENTLY_RATED_HELPFUL")
    assert announced == [(str(note_id),)]
    # Only the pass's own status event was written; the offset did not move.
    assert _count(loaded, select(func.max(events.c.id))) == before + 1
    assert worker.next_hold_deadline_ms() is None
    # The other worker reads the status event (no data: no pass), then its own hold pass
    # finds the release published by the first worker: no second change.
    assert other.step().consumed == 1
    late = other.step()
    assert late.scoring is not None and late.scoring.changes == []
    assert _count(loaded, select(func.max(events.c.id))) == before + 1
    assert worker.step().scoring is None and other.step().scoring is None  # nothing held


def _published_intercepts(engine: Engine) -> dict[str, float | None]:
    with engine.connect() as conn:
        rows = conn.execute(select(note_scores.c.note_id, note_scores.c.core_note_intercept)).all()
    return {str(n): v for n, v in rows}


def test_rows_a_refit_leaves_stale_are_rewritten_a_few_at_a_time(
    loaded: Engine, community: Community
) -> None:
    """After a refit every published note row holds the previous refit's figures; the
    passes and the idle steps rewrite ``refresh_rows`` of them at a time until every row
    holds the new refit's (the install itself writes only what its pass rescored)."""
    settings = WorkerConfig(gap_timeout_s=0.0, background_refit=False, refresh_rows=7)
    worker = Worker(loaded, CONFIG, settings)
    worker.setup()
    _drain(worker)
    _write(loaded, community.later)
    _drain(worker)
    while worker.step().consumed:
        pass
    while worker.state is not None and worker.state.stale_rows:
        worker.step()
    request_refit(loaded)
    worker.step()  # reads the request
    assert worker.refit_due()
    worker.step()  # refits in place (foreground), then serves
    state = worker.state
    assert state is not None
    live = state.last_pass  # the new refit's warm pass, on the same data
    assert live is not None
    ids = [str(n) for n in live.inputs.note_ids.ids]
    # (A note without a Core row has no Core intercept in its row.)
    core = np.where(live.core.scored, live.core.main.intercept, np.nan)
    want = dict(zip(ids, core.tolist(), strict=True))

    def stale() -> list[str]:
        got = _published_intercepts(loaded)
        return [
            n
            for n, v in want.items()
            if n in got
            and not (
                (v != v and got[n] is None)
                or (got[n] is not None and abs(got[n] - v) <= 1e-9 * max(1.0, abs(v)))
            )
        ]

    before = stale()
    assert len(before) > 7, "the refit moved too few rows to test the refresh"
    steps = 0
    while state.stale_rows:
        worker.step()  # idle: 7 rows a step
        steps += 1
    assert steps >= 2
    assert stale() == []
