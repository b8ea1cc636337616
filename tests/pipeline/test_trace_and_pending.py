"""What the worker leaves for the note details: the rule trace of the notes it rescored, and
the ratings that wait for the next refit (raters the last refit does not know)."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from bridgewatch.pipeline.worker import REFIT_REQUESTED, Worker, WorkerConfig
from bridgewatch.scoring.config import ScoringConfig
from bridgewatch.scoring.final import run_final_scoring
from bridgewatch.scoring.incremental import align_prescoring
from bridgewatch.scoring.inputs import prepare_core_inputs
from bridgewatch.service import Settings, create_app
from bridgewatch.store.events import append_event
from bridgewatch.store.pending import PendingRatings
from bridgewatch.store.repositories.participants import create_participant
from bridgewatch.store.repositories.ratings import upsert_rating
from bridgewatch.store.tables import note_scores, note_status_history, pipeline_pending
from bridgewatch.web import install_web
from tests.pipeline.conftest import Community

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message=".*httpx2.*")
    from starlette.testclient import TestClient

CONFIG = ScoringConfig(topics=None)


def _write(engine: Engine, rows: list[dict[str, Any]]) -> None:
    with Session(engine) as s, s.begin():
        for row in rows:
            values = {k: v for k, v in row.items() if k != "createdAtMillis"}
            values["noteId"] = int(values["noteId"])
            upsert_rating(s, now_ms=int(row["createdAtMillis"]), values=values)


def _drain(worker: Worker) -> None:
    while worker.step().consumed:
        pass


def _same(stored: float | None, want: float) -> None:
    if np.isnan(want):
        assert stored is None
    else:
        assert stored == pytest.approx(want, abs=1e-9)


def test_note_scores_hold_the_incremental_figures_of_rescored_notes(
    loaded: Engine, community: Community
) -> None:
    worker = Worker(loaded, CONFIG, WorkerConfig(batch_size=500, gap_timeout_s=0.0))
    worker.setup()
    _drain(worker)
    _write(loaded, community.later[:600])
    _drain(worker)
    last = community.later[600:700]  # one pass
    _write(loaded, last)
    _drain(worker)
    touched = {int(r["noteId"]) for r in community.later[:700]}
    in_last_pass = {int(r["noteId"]) for r in last}
    with loaded.connect() as conn:
        rows = {int(r.note_id): r for r in conn.execute(select(note_scores))}
        nsh = {
            int(r.noteId): r
            for r in conn.execute(
                select(
                    note_status_history.c.noteId,
                    note_status_history.c.currentStatus,
                    note_status_history.c.currentDecidedBy,
                )
            )
        }
    assert touched <= set(rows)
    # The same figures as a batch final pass with the refit's prescoring on the same data.
    state = worker.state
    assert state is not None and state._refit is not None
    refit = state._refit
    inputs = prepare_core_inputs(state._dataset(refit.participant_ids), CONFIG)
    ids = np.asarray(inputs.note_ids.ids)
    pre = align_prescoring(refit.roster.scorers["MFCoreScorer"].prescoring, refit.note_ids, ids)
    final = run_final_scoring(inputs, pre, CONFIG)
    position = {note: k for k, note in enumerate(ids.tolist())}
    checked = 0
    for note in sorted(touched):
        row, k = rows[note], position[str(note)]
        assert row.final_rating_status == nsh[note].currentStatus
        assert row.decided_by == nsh[note].currentDecidedBy
        if not final.scored[k]:
            assert row.core_note_intercept is None
            continue
        checked += 1
        # A note's own fit depends on its ratings only (raters frozen): always current.
        _same(row.core_note_intercept, final.main.intercept[k])
        _same(row.core_note_factor1, final.main.factor[k])
        if note not in in_last_pass:
            # The bounds also move with every rating anywhere (|R| / |N| of the fit): the
            # row keeps those of the last pass that rescored the note.
            continue
        assert final.bounds is not None
        _same(row.core_note_intercept_max, final.bounds.intercept_max[k])
        assert row.core_num_final_round_ratings == final.num_final_round_ratings[k]
        assert row.core_rating_status is not None
        assert row.core_active_rules is not None
    assert checked > 10


def test_ratings_by_new_raters_wait_for_the_next_refit(
    loaded: Engine, community: Community
) -> None:
    now = [1_700_000_000_000]  # ms
    worker = Worker(
        loaded,
        CONFIG,
        WorkerConfig(
            batch_size=500, gap_timeout_s=0.0, refit_interval_s=3600.0, background_refit=False
        ),
        clock=lambda: now[0],
    )
    worker.setup()
    _drain(worker)
    note = int(community.later[0]["noteId"])
    base = dict(community.later[0])
    with Session(loaded) as s, s.begin():
        newcomers = [create_participant(s, now_ms=1).participant_id for _ in range(3)]
    _write(loaded, [{**base, "raterParticipantId": p} for p in newcomers])
    _drain(worker)
    app = install_web(create_app(Settings(database_url="sqlite://"), engine=loaded))
    with TestClient(app, follow_redirects=False) as client:
        details = client.get(f"/api/v1/notes/{note}")
        assert details.status_code == 200, details.text
        pending = details.json()["pending"]
        assert pending["ratings"] == 3
        assert pending["nextRefitAtMillis"] == now[0] + 3_600_000
        assert pending["message"].startswith("3 ratings from new raters are pending")
        page = client.get(f"/notes/{note}")
        assert page.status_code == 200
        assert "3 ratings from new raters are pending until the next refit" in page.text
        # Another note has nothing waiting.
        other = next(int(r["noteId"]) for r in community.later if int(r["noteId"]) != note)
        assert client.get(f"/api/v1/notes/{other}").json()["pending"] is None
    # One of them is deleted: the count follows.
    with Session(loaded) as s, s.begin():
        from bridgewatch.store.repositories.ratings import delete_rating

        delete_rating(s, note_id=note, rater_participant_id=newcomers[0], now_ms=2)
    _drain(worker)
    with loaded.connect() as conn:
        left = conn.execute(
            select(pipeline_pending.c.pending_ratings).where(pipeline_pending.c.note_id == note)
        ).scalar_one()
    assert left == 2
    # The next refit knows them: nothing waits any more.
    with Session(loaded) as s, s.begin():
        append_event(
            s,
            now_ms=3,
            event_type=REFIT_REQUESTED,
            actor_participant_id=None,
            entity_id="test",
            payload={},
        )
    _drain(worker)
    _drain(worker)
    with loaded.connect() as conn:
        assert conn.execute(select(pipeline_pending)).first() is None


def test_pending_message_is_singular_for_one_rating() -> None:
    one = PendingRatings(ratings=1, next_refit_at_ms=0)
    assert one.message.startswith("1 rating from new raters is pending until the next refit at")
    assert "1970-01-01 00:00 UTC" in one.message
