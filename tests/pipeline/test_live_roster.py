"""The platform's worker runs the whole roster with the defences switch, holds notes whose
recent ratings look coordinated, and the note details show every scorer's view and the hold."""

from __future__ import annotations

import json
import pickle
import warnings
from typing import Any

import numpy as np
import pytest
from sqlalchemy import Engine, func, insert, select
from sqlalchemy.orm import Session

from bridgewatch.pipeline.state import Refit
from bridgewatch.pipeline.worker import Worker, WorkerConfig
from bridgewatch.scoring.config import ScoringConfig
from bridgewatch.scoring.defences import with_defences
from bridgewatch.scoring.incremental import WatchConfig
from bridgewatch.scoring.run import score
from bridgewatch.service import Settings, create_app
from bridgewatch.store.repositories.ratings import upsert_rating
from bridgewatch.store.tables import note_scores, pipeline_refits
from bridgewatch.web import install_web
from tests.pipeline.conftest import Community

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message=".*httpx2.*")
    from starlette.testclient import TestClient

CONFIG = ScoringConfig(topics=None)
NOW = 1_700_000_000_000


def _drain(worker: Worker) -> None:
    while worker.step().consumed:
        pass


def _rate(engine: Engine, template: dict[str, Any], cells: list[tuple[int, str, int]]) -> None:
    with Session(engine) as s, s.begin():
        for note, rater, at in cells:
            values = {k: v for k, v in template.items() if k != "createdAtMillis"}
            values.update(noteId=note, raterParticipantId=rater)
            upsert_rating(s, now_ms=at, values=values)


@pytest.mark.parametrize("defences", [False, True], ids=["defences-off", "defences-on"])
def test_the_defences_switch_is_honoured(loaded: Engine, defences: bool) -> None:
    config = with_defences(CONFIG) if defences else CONFIG
    worker = Worker(loaded, config, WorkerConfig(gap_timeout_s=0.0), clock=lambda: NOW)
    worker.setup()
    _drain(worker)
    state = worker.state
    assert state is not None and state.refit_state is not None
    refit = state.refit_state
    assert refit.defences is defences
    assert (state.watch is not None) is defences
    assert len(refit.roster.scorers) > 5  # the whole roster, not Core alone
    core = refit.roster.scorers["MFCoreScorer"].defences
    # Trust's decisions are held when trust runs (``with_defences`` leaves it off by default).
    assert (core.rater_weights is not None) is (config.trust is not None)
    # At the refit point the worker's pass equals a batch score of the same ratings in every
    # scored_notes column.
    live = state.last_pass
    assert live is not None
    as_of = state.store.newest_ms()
    batch = score(state._dataset(None), config, as_of_ms=as_of, seed=0)
    got = live.scored_notes(as_of, config)
    assert got.columns == batch.scored_notes.columns
    for name in got.columns:
        a, b = batch.scored_notes[name], got[name]
        if a.dtype.is_float():
            np.testing.assert_allclose(
                a.to_numpy().astype(float), b.to_numpy().astype(float), rtol=1e-9, atol=1e-12
            )
        else:
            assert a.equals(b), name


def test_a_coordinated_burst_is_held_and_the_note_page_says_why(
    loaded: Engine, community: Community
) -> None:
    # The community's raters are established, who count as meeting only when asked to.
    watched = WorkerConfig(gap_timeout_s=0.0, watch=WatchConfig(min_meetings_established=3))
    worker = Worker(loaded, with_defences(CONFIG), watched, clock=lambda: NOW)
    worker.setup()
    _drain(worker)
    template = next(r for r in community.later if r["helpfulnessLevel"] == "HELPFUL")
    raters = sorted({str(r["raterParticipantId"]) for r in community.later})[:6]
    notes = sorted({int(r["noteId"]) for r in community.later})
    met, target = notes[:3], notes[-1]
    t0 = max(int(r["createdAtMillis"]) for r in community.later) + 86_400_000
    # The six raters rated three notes helpful together a day ago ...
    _rate(
        loaded,
        template,
        [(n, r, t0 + k) for k, (n, r) in enumerate((n, r) for n in met for r in raters)],
    )
    _drain(worker)
    # ... and now rate the target helpful within minutes.
    later = t0 + 86_400_000
    _rate(loaded, template, [(target, r, later + 60_000 * k) for k, r in enumerate(raters)])
    _drain(worker)
    state = worker.state
    assert state is not None and str(target) in state.holds
    with loaded.connect() as conn:
        row = conn.execute(select(note_scores).where(note_scores.c.note_id == target)).one()
    assert row.hold_reason and "together" in row.hold_reason
    assert row.held_since_ms == later + 60_000 * 5
    views = json.loads(row.scorer_views)
    assert {v["scorer"] for v in views["scorers"]} >= {"MFCoreScorer"}
    app = install_web(create_app(Settings(database_url="sqlite://"), engine=loaded))
    with TestClient(app, follow_redirects=False) as client:
        details = client.get(f"/api/v1/notes/{target}").json()["scoring"]
        assert details["hold"]["reason"] == row.hold_reason
        assert details["scorers"] and details["scorers"][0]["scorer"]
        page = client.get(f"/notes/{target}")
        assert page.status_code == 200
        assert 'id="hold"' in page.text and 'id="scorers"' in page.text
        # A note without a coordinated burst is not held.
        other = client.get(f"/api/v1/notes/{notes[len(notes) // 2]}").json()["scoring"]
        assert other["hold"] is None
    # The hold is committed state: a restarted worker keeps it ...
    again = Worker(loaded, with_defences(CONFIG), watched, clock=lambda: NOW)
    again.setup()
    again.step()
    assert again.state is not None and str(target) in again.state.holds
    # ... until the next refit decides.
    again.refit()
    _drain(again)
    assert again.state is not None and not again.state.holds
    with loaded.connect() as conn:
        assert (
            conn.execute(
                select(note_scores.c.hold_reason).where(note_scores.c.note_id == target)
            ).scalar_one()
            is None
        )


def test_a_refit_stored_by_an_older_version_is_replaced(loaded: Engine) -> None:
    old = object.__new__(Refit)  # the Core-only layout had no roster
    with Session(loaded) as s, s.begin():
        s.execute(
            insert(pipeline_refits),
            {"created_at_ms": NOW, "snapshot_offset": 0, "payload": pickle.dumps(old)},
        )
    with pytest.raises(TypeError):
        Refit.from_bytes(pickle.dumps(old))
    worker = Worker(loaded, CONFIG, WorkerConfig(gap_timeout_s=0.0), clock=lambda: NOW)
    worker.setup()
    _drain(worker)
    assert worker.state is not None and worker.state.refit_state is not None
    with loaded.connect() as conn:
        assert conn.execute(select(func.count()).select_from(pipeline_refits)).scalar_one() == 2
