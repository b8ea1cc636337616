"""Contributors' rating impact, writing impact and enrollment follow the worker's status
changes (issue 16): writing ability earned between refits is usable at once."""

from __future__ import annotations

import warnings

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from bridgewatch.clock import now_ms
from bridgewatch.model import EnrollmentState
from bridgewatch.pipeline.worker import Worker, WorkerConfig
from bridgewatch.scoring.config import ScoringConfig
from bridgewatch.service import Settings, create_app
from bridgewatch.store.repositories.auth import create_session_token
from bridgewatch.store.repositories.ratings import upsert_rating
from bridgewatch.store.tables import contributor_scores, enrollment, posts
from bridgewatch.usecases.rules import WRITING_STATES
from tests.pipeline.conftest import Community

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message=".*httpx2.*")
    from starlette.testclient import TestClient

CONFIG = ScoringConfig(topics=None)
NOW = 1_700_000_000_000


def _drain(worker: Worker) -> None:
    while worker.step().consumed:
        pass


def _states(engine: Engine) -> dict[str, EnrollmentState]:
    with engine.connect() as conn:
        rows = conn.execute(select(enrollment.c.participantId, enrollment.c.enrollmentState))
        return {str(p): EnrollmentState(int(s)) for p, s in rows}


def _impacts(engine: Engine) -> dict[str, tuple[int, ...]]:
    with engine.connect() as conn:
        rows = conn.execute(select(contributor_scores)).mappings().all()
    return {
        str(r["participant_id"]): (
            r["successful_rating_helpful_count"],
            r["unsuccessful_rating_helpful_count"],
            r["notes_currently_rated_helpful"],
        )
        for r in rows
    }


def test_writing_ability_earned_from_the_workers_status_changes_is_usable_at_once(
    loaded: Engine, community: Community
) -> None:
    worker = Worker(loaded, CONFIG, WorkerConfig(gap_timeout_s=0.0), clock=lambda: NOW)
    worker.setup()
    _drain(worker)  # the first step refits and publishes the refit's contributor figures
    state, refit_id = worker.state, worker._refit_id
    assert state is not None
    # At the refit point the live contributor phase is the batch's: a pass on the refit's
    # own data finds nothing to change.
    saved = state.checkpoint()
    same = state.rescore(state.store.newest_ms()).contributors
    state.restore(saved)
    assert (same.scores, same.enrollment) == ([], [])
    states, impacts = _states(loaded), _impacts(loaded)
    assert impacts  # the refit wrote contributor_scores

    # The rest of the community's ratings arrive through the service's write function.
    with Session(loaded) as s, s.begin():
        for row in community.later:
            upsert_rating(s, now_ms=int(row["createdAtMillis"]), values=row)
    _drain(worker)
    assert worker._refit_id == refit_id  # no refit ran
    after, impacts_after = _states(loaded), _impacts(loaded)
    assert impacts_after != impacts
    earned = sorted(
        p for p, s in states.items() if s not in WRITING_STATES and after[p] in WRITING_STATES
    )
    assert earned, "some contributor earns writing ability from the later ratings"

    with loaded.connect() as conn:
        post_id = conn.execute(select(posts.c.post_id).limit(1)).scalar_one()
    with Session(loaded) as s, s.begin():
        token, _ = create_session_token(s, participant_id=earned[0], now_ms=now_ms(), ttl_s=600)
    app = create_app(Settings(database_url="sqlite://"), engine=loaded)
    body = {
        "postId": str(post_id),
        "classification": "MISINFORMED_OR_POTENTIALLY_MISLEADING",
        "misleadingReasons": ["FactualError"],
        "trustworthySources": True,
        "summary": "The figure is wrong, see https://stats.example.org/report",
    }
    with TestClient(app) as client:
        r = client.post("/api/v1/notes", json=body, headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 201, r.text
        # One who has not earned it is still refused.
        stuck = next(p for p, s in after.items() if s == EnrollmentState.newUser)
        with Session(loaded) as s, s.begin():
            other, _ = create_session_token(s, participant_id=stuck, now_ms=now_ms(), ttl_s=600)
        r = client.post("/api/v1/notes", json=body, headers={"Authorization": f"Bearer {other}"})
        assert r.status_code == 403, r.text
