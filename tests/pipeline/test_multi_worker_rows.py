"""Several workers of one consumer publish the contributor rows a single worker would: a
worker that takes over after another's batches compares its figures with what is published,
not with its own last figures."""

from __future__ import annotations

from typing import Any

import numpy as np
from sqlalchemy import Engine, select

from bridgewatch.pipeline.contributors import COUNT_COLUMNS
from bridgewatch.pipeline.worker import Worker, WorkerConfig
from bridgewatch.scoring.config import ScoringConfig
from bridgewatch.store.tables import contributor_scores, enrollment
from tests.pipeline.conftest import Community
from tests.pipeline.test_worker import _write

CONFIG = ScoringConfig(topics=None)


def _published(engine: Engine) -> tuple[dict[str, tuple[Any, ...]], dict[str, tuple[Any, ...]]]:
    with engine.connect() as conn:
        scores = conn.execute(
            select(
                contributor_scores.c.participant_id,
                *[contributor_scores.c[c] for c in COUNT_COLUMNS],
            )
        ).all()
        states = conn.execute(
            select(
                enrollment.c.participantId,
                enrollment.c.enrollmentState,
                enrollment.c.successfulRatingNeededToEarnIn,
                enrollment.c.numberOfTimesEarnedOut,
            )
        ).all()
    return {str(r[0]): tuple(r[1:]) for r in scores}, {str(r[0]): tuple(r[1:]) for r in states}


def _own(worker: Worker) -> tuple[dict[str, tuple[Any, ...]], dict[str, tuple[Any, ...]]]:
    """The worker's last figures: counts of the listed participants, and their enrollment
    state, earn-in target and times earned out."""
    assert worker.state is not None
    figures = worker.state._contributors
    assert figures is not None
    ids = figures.participant_ids.ids
    listed = np.flatnonzero(figures.listed)
    return (
        {str(ids[k]): tuple(figures.counts[k].tolist()) for k in listed},
        {str(ids[k]): tuple(figures.enrollment[k, [0, 1, 4]].tolist()) for k in listed},
    )


def test_alternating_workers_publish_the_figures_of_the_last_pass(
    loaded: Engine, community: Community
) -> None:
    settings = WorkerConfig(batch_size=40, gap_timeout_s=0.0, background_refit=False)
    a, b = Worker(loaded, CONFIG, settings), Worker(loaded, CONFIG, settings)
    a.setup()
    b.setup()
    while a.step().consumed:
        pass
    _write(loaded, community.later)
    last, turn, idle = a, 0, 0
    while idle < 2:
        worker = (a, b)[turn % 2]
        # Uneven turns, so that each worker is behind by one or several batches.
        moved = 0
        for _ in range(1 + (turn % 3 == 0)):
            step = worker.step().consumed
            moved += step
            if step:
                last = worker
        idle = 0 if moved else idle + 1
        turn += 1
    scores, states = _published(loaded)
    own_scores, own_states = _own(last)
    assert len(own_scores) > 100
    differ = [p for p, v in own_scores.items() if scores.get(p) != v]
    assert differ == [], differ[:5]
    differ = [p for p, v in own_states.items() if p in states and states[p] != v]
    assert differ == [], differ[:5]
