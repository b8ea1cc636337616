"""Batch scoring of the service database: published tables, history replay, and the stored
refit a worker then scores from without refitting."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from bridgewatch.pipeline.publish import score_and_publish
from bridgewatch.pipeline.state import LiveState, Refit, load_snapshot
from bridgewatch.pipeline.worker import Worker, WorkerConfig
from bridgewatch.scoring.config import ScoringConfig
from bridgewatch.scoring.defences import with_defences
from bridgewatch.store.repositories.ratings import upsert_rating
from bridgewatch.store.repositories.refits import load_refit_payload
from bridgewatch.store.tables import (
    contributor_scores,
    events,
    note_scores,
    note_status_changes,
    note_status_history,
    pipeline_offsets,
    pipeline_refits,
    ratings,
)
from tests.pipeline.conftest import Community

CONFIG = ScoringConfig(topics=None)
_DAY_MS = 86_400_000


def _scalar(engine: Engine, stmt: Any) -> Any:
    with engine.connect() as conn:
        return conn.execute(stmt).scalar_one()


def _as_of(engine: Engine) -> int:
    return int(_scalar(engine, select(func.max(ratings.c.createdAtMillis)))) + 3_600_000


def test_published_tables_follow_the_batch_result(loaded: Engine) -> None:
    as_of = _as_of(loaded)
    run = score_and_publish(loaded, CONFIG, as_of_ms=as_of, seed=1)
    scored = {
        int(n): s
        for n, s in zip(
            run.result.scored_notes["noteId"].to_list(),
            run.result.scored_notes["finalRatingStatus"].to_list(),
            strict=True,
        )
    }
    with loaded.connect() as conn:
        nsh = {
            int(n): s
            for n, s in conn.execute(
                select(note_status_history.c.noteId, note_status_history.c.currentStatus)
            )
        }
        stored = {
            int(n): s
            for n, s in conn.execute(
                select(note_scores.c.note_id, note_scores.c.final_rating_status)
            )
        }
        rules = conn.execute(
            select(
                note_scores.c.core_active_rules,
                note_scores.c.decided_by,
                note_scores.c.scorer_views,
            ).where(note_scores.c.final_rating_status != "NEEDS_MORE_RATINGS")
        ).all()
        n_contributors = conn.execute(select(func.count()).select_from(contributor_scores))
        offset = conn.execute(select(pipeline_offsets.c.last_event_id)).scalar_one()
        newest_event = conn.execute(select(func.max(events.c.id))).scalar_one()
    assert stored == scored
    assert {n: nsh[n] for n in scored} == scored
    assert sum(run.status_counts.values()) == len(scored)
    # Every decided note says which rule decided it, and every scorer's view of it.
    assert rules and all(r.decided_by for r in rules)
    assert any(r.core_active_rules for r in rules)
    for r in rules:
        view = json.loads(r.scorer_views)
        assert view["decidedBy"] == r.decided_by
        assert view["scorers"] and "gaussianRatingStatus" in view["columns"]
    assert n_contributors.scalar_one() == run.result.helpfulness_scores.height
    assert offset == run.snapshot_offset == newest_event


def test_stored_refit_is_the_workers_own_and_it_scores_from_it(
    loaded: Engine, community: Community
) -> None:
    as_of = _as_of(loaded)
    run = score_and_publish(loaded, CONFIG, as_of_ms=as_of, seed=2)
    with loaded.connect() as conn:
        frames, offset = load_snapshot(conn, "worker")
        payload = load_refit_payload(conn, run.refit_id)
    stored = Refit.from_bytes(payload)
    # What the worker's own full refit computes on the same data and seed.
    own = LiveState(frames=frames, position=offset, config=CONFIG, seed=2).refit()
    assert np.array_equal(stored.note_ids, own.note_ids)
    assert np.array_equal(stored.participant_ids.ids, own.participant_ids.ids)
    assert stored.roster.scorers.keys() == own.roster.scorers.keys()
    assert len(stored.roster.scorers) > 5  # the whole roster, not Core alone
    for scorer, kept in stored.roster.scorers.items():
        mine = own.roster.scorers[scorer].prescoring.final_round
        for name in ("rater_intercepts", "note_intercepts", "rater_factors", "note_factors"):
            assert np.array_equal(
                getattr(kept.prescoring.final_round, name), getattr(mine, name), equal_nan=True
            ), (scorer, name)
    # A worker started now adopts the stored refit (no refit of its own) ...
    worker = Worker(loaded, CONFIG, WorkerConfig(seed=2), clock=lambda: as_of + 60_000)
    worker.setup()
    assert worker.step().consumed == 0
    # ... and scores later ratings from it.
    with Session(loaded) as s, s.begin():
        for row in community.later[:200]:
            values = {k: v for k, v in row.items() if k != "createdAtMillis"}
            values["noteId"] = int(values["noteId"])
            upsert_rating(s, now_ms=as_of + 1000, values=values)
    while worker.step().consumed:
        pass
    assert _scalar(loaded, select(func.count()).select_from(pipeline_refits)) == 1
    assert _scalar(loaded, select(pipeline_offsets.c.last_event_id)) > run.snapshot_offset


def test_checkpoints_give_statuses_a_history(loaded: Engine) -> None:
    as_of = _as_of(loaded)
    checkpoints = [as_of - 14 * _DAY_MS, as_of - 7 * _DAY_MS, as_of - 3_600_000]
    run = score_and_publish(loaded, CONFIG, as_of_ms=as_of, seed=3, checkpoints_ms=checkpoints)
    with loaded.connect() as conn:
        times = [
            int(t)
            for t in conn.execute(select(note_status_changes.c.changed_at_ms)).scalars().all()
        ]
    assert len(times) == run.n_changes > 0
    assert set(times) <= {*checkpoints, as_of}
    assert len(set(times)) >= 2


def test_the_defences_are_published_and_held_for_the_workers(loaded: Engine) -> None:
    config = with_defences(CONFIG, trust=True)  # trust joins on request
    run = score_and_publish(loaded, config, as_of_ms=_as_of(loaded), seed=0)
    assert run.result.trust is not None
    with loaded.connect() as conn:
        stored = Refit.from_bytes(load_refit_payload(conn, run.refit_id))
    assert stored.defences
    core = stored.roster.scorers["MFCoreScorer"]
    assert core.defences.rater_weights is not None  # trust's decisions travel with the refit
