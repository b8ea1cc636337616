"""The demo community: simulated, imported, scored by the Core scorer, with two logins.

:func:`seed_demo` is what ``bridgewatch demo`` and the web tests run: ``bridgewatch.sim``
writes a community in the public format, :func:`bridgewatch.store.dump.import_dump` loads
it, :func:`bridgewatch.pipeline.publish.score_and_publish` scores it at weekly checkpoints
and now (statuses, rule traces, explanation tags, the worker's refit) and
:func:`add_demo_logins` adds the logins (password ``demo-password``): ``demo`` (the busiest
rater among the contributors the scorer gave writing ability) and ``newcomer`` (new, no
ratings yet).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, func, select, update

from bridgewatch.model import EnrollmentState
from bridgewatch.pipeline.publish import PublishedRun, score_and_publish
from bridgewatch.scoring.config import ScoringConfig
from bridgewatch.scoring.defences import with_defences
from bridgewatch.sim import SimConfig, simulate, write_community
from bridgewatch.store.db import make_session_factory
from bridgewatch.store.dump import ImportSummary, import_dump
from bridgewatch.store.tables import enrollment, notes, participants, ratings
from bridgewatch.usecases.accounts import create_account
from bridgewatch.usecases.rules import WRITING_STATES

__all__ = ["DEMO_PASSWORD", "DemoSeed", "add_demo_logins", "demo_scoring_config", "seed_demo"]

DEMO_PASSWORD = "demo-password"
_DAY_MS = 86_400_000
_HOUR_MS = 3_600_000


def demo_scoring_config(*, defences: bool = True) -> ScoringConfig:
    """The scorer's config for demo-sized communities: the reference's, without topics
    (a few hundred simulated notes hold too few topic seed terms to train the classifier),
    with the platform's manipulation defences on unless ``defences`` is False."""
    config = ScoringConfig(topics=None)
    return with_defences(config) if defences else config


@dataclass(frozen=True)
class DemoSeed:
    """What :func:`seed_demo` made: the import, the published run and the demo login."""

    imported: ImportSummary
    published: PublishedRun
    demo_participant_id: str
    logins: tuple[tuple[str, str], ...]


def add_demo_logins(engine: Engine, *, now_ms: int) -> str:
    """Add ``demo`` and ``newcomer``; returns the participant id behind ``demo``.

    ``demo`` is the participant with the most ratings among those the scorer's enrollment
    gave writing ability (ties: smallest id); if none has it, the busiest rater who wrote a
    note, earned in by hand so the demo can show note writing.
    """
    with make_session_factory(engine)() as session, session.begin():
        busiest = (
            select(ratings.c.raterParticipantId)
            .group_by(ratings.c.raterParticipantId)
            .order_by(func.count().desc(), ratings.c.raterParticipantId)
            .limit(1)
        )
        writers = select(enrollment.c.participantId).where(
            enrollment.c.enrollmentState.in_([int(s) for s in WRITING_STATES])
        )
        pid = session.execute(
            busiest.where(ratings.c.raterParticipantId.in_(writers))
        ).scalar_one_or_none()
        if pid is None:
            pid = session.execute(
                busiest.where(
                    ratings.c.raterParticipantId.in_(select(notes.c.noteAuthorParticipantId))
                )
            ).scalar_one()
            session.execute(
                update(enrollment)
                .where(enrollment.c.participantId == pid)
                .values(enrollmentState=int(EnrollmentState.earnedIn))
            )
        create_account(
            session, username="demo", password=DEMO_PASSWORD, now_ms=now_ms, participant_id=pid
        )
        # Show "demo" rather than the imported alias on the pages (aliases are unique).
        if (
            session.execute(select(participants).where(participants.c.alias == "demo")).first()
            is None
        ):
            session.execute(
                update(participants).where(participants.c.participantId == pid).values(alias="demo")
            )
        create_account(session, username="newcomer", password=DEMO_PASSWORD, now_ms=now_ms)
    return str(pid)


def seed_demo(
    engine: Engine,
    dump_dir: Path,
    *,
    sim: SimConfig,
    now_ms: int,
    config: ScoringConfig | None = None,
    release_held: bool = True,
    progress: Callable[[str], None] | None = None,
) -> DemoSeed:
    """Simulate ``sim`` into ``dump_dir``, import it, score and publish it, add the logins.

    Parameters
    ----------
    engine : a migrated, empty service database.
    dump_dir : where the simulated public files go (replaced).
    sim : the community; its ``end_ms`` should be before ``now_ms``.
    now_ms : "now", ms since the epoch: the last scoring run's time and the logins' creation.
    config : the scorer's config (default :func:`demo_scoring_config`); workers must use it.
    release_held : also score one hour before now, so that notes first rated helpful
        before then are past the stabilization delay (scoring-core.md §9) at ``now_ms``;
        without it, notes that crossed the threshold since the last weekly run are held.
    progress : told what starts next.
    """
    say = progress if progress is not None else (lambda _msg: None)
    cfg = config if config is not None else demo_scoring_config()
    say(
        f"simulating {sim.n_notes} notes, {sim.n_raters} raters, {sim.n_ratings} ratings "
        f"over {sim.days:g} days"
    )
    shutil.rmtree(dump_dir, ignore_errors=True)
    write_community(simulate(sim), dump_dir)
    say("importing into the database")
    imported = import_dump(engine, dump_dir, now_ms=now_ms)
    start_ms = int(sim.end_ms - sim.days * _DAY_MS)
    checkpoints = list(range(start_ms + 7 * _DAY_MS, now_ms - _HOUR_MS, 7 * _DAY_MS))
    if release_held:
        checkpoints.append(now_ms - _HOUR_MS)
    say(
        f"scoring: every scorer with the platform's defences at {len(checkpoints)} weekly "
        "checkpoints and once more now"
    )
    published = score_and_publish(
        engine, cfg, as_of_ms=now_ms, seed=sim.seed, checkpoints_ms=checkpoints
    )
    say("adding the demo logins")
    pid = add_demo_logins(engine, now_ms=now_ms)
    return DemoSeed(
        imported=imported,
        published=published,
        demo_participant_id=pid,
        logins=(("demo", DEMO_PASSWORD), ("newcomer", DEMO_PASSWORD)),
    )
