"""A refit after live enrollment changes counts the same raters established as a batch run
of the same ratings on the enrollment the platform recorded: the state changes the worker
writes (earning in, at risk, earning out) do not restart the 90-day establishment clock."""

from __future__ import annotations

import dataclasses

import numpy as np
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from bridgewatch.io.readers import read_user_enrollment
from bridgewatch.model import EnrollmentState
from bridgewatch.pipeline.contributors import ContributorRows
from bridgewatch.pipeline.worker import Worker, WorkerConfig
from bridgewatch.scoring.config import ScoringConfig
from bridgewatch.scoring.defences import with_defences
from bridgewatch.scoring.incremental import roster_refit
from bridgewatch.scoring.run import score
from bridgewatch.store.tables import enrollment
from tests.pipeline.conftest import Community

CONFIG = with_defences(ScoringConfig(topics=None))
NOW = 1_700_000_000_000


def _drain(worker: Worker) -> None:
    while worker.step().consumed:
        pass


def test_a_refit_after_live_state_changes_keeps_the_batch_established_set(
    loaded: Engine, community: Community
) -> None:
    worker = Worker(loaded, CONFIG, WorkerConfig(gap_timeout_s=0.0), clock=lambda: NOW)
    worker.setup()
    _drain(worker)
    state = worker.state
    assert state is not None and state.refit_state is not None
    first = state.refit_state.roster
    assert first.established is not None
    ids = np.asarray(first.participant_ids.ids, dtype=np.str_)
    # Established raters whose state the live reputation moves now (as a pass writes it:
    # the new state, with the pass's time as the last state change).
    moved = ids[first.established][:12].tolist()
    assert len(moved) == 12
    newest = state.store.newest_ms()
    rows = [
        {
            "participantId": pid,
            "enrollmentState": int(EnrollmentState.earnedIn),
            "successfulRatingNeededToEarnIn": 5,
            "timestampOfLastStateChange": newest,
            "timestampOfLastEarnOut": None,
            "numberOfTimesEarnedOut": 0,
        }
        for pid in moved
    ]
    with Session(loaded) as s, s.begin():
        worker._write_contributors(s, ContributorRows([], rows))
    with loaded.connect() as conn:
        written = conn.execute(
            select(enrollment.c.timestampOfLastStateChange).where(
                enrollment.c.participantId.in_(moved)
            )
        ).scalars()
        assert set(written) == {newest}
    worker.refit()
    state = worker.state
    assert state is not None and state.refit_state is not None
    live = state.refit_state.roster

    # The batch: the same ratings with the enrollment the platform imported.
    imported = read_user_enrollment(community.dump / "userEnrollment-00000.tsv")
    dataset = dataclasses.replace(state._dataset(None), enrollment=imported)
    batch = roster_refit(score(dataset, CONFIG, as_of_ms=newest, seed=0))
    assert batch.established is not None and live.established is not None
    assert np.array_equal(batch.participant_ids.ids, live.participant_ids.ids)
    at = live.participant_ids.lookup(np.asarray(moved, dtype=np.str_))
    assert live.established[at].all()  # the moved raters stay established
    assert np.array_equal(live.established, batch.established)
    assert live.proven is not None and batch.proven is not None
    assert np.array_equal(live.proven, batch.proven)
    # The defences decide alike.
    assert np.array_equal(live.flagged_raters, batch.flagged_raters)
    for name, scorer in live.scorers.items():
        other = batch.scorers[name].defences
        assert np.array_equal(scorer.defences.flagged_raters, other.flagged_raters), name
