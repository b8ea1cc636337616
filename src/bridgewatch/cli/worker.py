"""`bridgewatch worker`: keep note statuses up to date from the event log (real time).

Runs until interrupted (SIGINT/SIGTERM finish the current micro-batch). ``--refit-now``
asks the running workers for a full refit (an event in the log) and exits; ``--until-idle``
processes what is in the log and exits.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import threading

from bridgewatch import DEFAULT_SEED
from bridgewatch import clock as wall
from bridgewatch.pipeline.webhooks import (
    WebhookConfig,
    WebhookDispatcher,
    add_endpoint,
    run_dispatcher,
)
from bridgewatch.pipeline.worker import REFIT_REQUESTED, Worker, WorkerConfig
from bridgewatch.scoring.config import ScoringConfig
from bridgewatch.scoring.defences import with_defences
from bridgewatch.scoring.incremental import IncrementalConfig
from bridgewatch.service.settings import Settings
from bridgewatch.store.db import make_engine, make_session_factory
from bridgewatch.store.events import append_event

_log = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `worker` command."""
    parser = subparsers.add_parser(
        "worker", help="real-time scoring from the event log", description=__doc__
    )
    parser.add_argument("--database-url", help="SQLAlchemy URL (default: the service's)")
    parser.add_argument("--consumer", default="worker", help="offset name shared by workers")
    parser.add_argument("--batch-size", type=int, default=500, help="events per micro-batch")
    parser.add_argument("--poll-interval", type=float, default=0.2, help="idle poll, s")
    parser.add_argument("--refit-interval", type=float, default=3600.0, help="full refit, s")
    parser.add_argument(
        "--diligence",
        choices=("full", "frozen"),
        default="full",
        help="refit the low-diligence model on every pass (exact) or keep it until a refit",
    )
    parser.add_argument(
        "--roster-diligence",
        choices=("full", "frozen"),
        default="frozen",
        help="the same choice for every scorer but Core (default: kept until a refit)",
    )
    parser.add_argument(
        "--defences",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="manipulation defences in refits and passes (default: on, or the "
        "BRIDGEWATCH_DEFENCES setting)",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=DEFAULT_SEED,
        help=f"seed of the refits (default: {DEFAULT_SEED})",
    )
    parser.add_argument(
        "--no-topics", action="store_true", help="score without the topic model (scope)"
    )
    parser.add_argument(
        "--foreground-refit",
        action="store_true",
        help="run refits in the worker itself, pausing the passes (default: in a child "
        "process while the worker keeps serving)",
    )
    parser.add_argument(
        "--refit-now", action="store_true", help="request a full refit from the workers and exit"
    )
    parser.add_argument(
        "--webhooks",
        action="store_true",
        help="also deliver status-change webhooks (signed, retried) from this process",
    )
    parser.add_argument(
        "--add-webhook",
        metavar="URL",
        help="register a webhook endpoint (secret from BRIDGEWATCH_WEBHOOK_SECRET) and exit",
    )
    parser.add_argument(
        "--until-idle", action="store_true", help="exit once the log is fully processed"
    )
    parser.add_argument(
        "--refresh-rows",
        type=int,
        default=500,
        help="note rows a pass (or idle step) rewrites when a refit left them stale; 0: none",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the worker (or request a refit)."""
    settings = Settings()
    url = args.database_url or settings.resolved_database_url()
    engine = make_engine(url)
    try:
        if args.add_webhook:
            secret = os.environ.get("BRIDGEWATCH_WEBHOOK_SECRET", "")
            endpoint = add_endpoint(
                engine, url=args.add_webhook, secret=secret, now_ms=wall.now_ms()
            )
            _log.info("webhook endpoint %d added", endpoint)
            return 0
        if args.refit_now:
            with make_session_factory(engine)() as s, s.begin():
                append_event(
                    s,
                    now_ms=wall.now_ms(),
                    event_type=REFIT_REQUESTED,
                    actor_participant_id=None,
                    entity_id="cli",
                    payload={"source": "cli"},
                )
            _log.info("refit requested")
            return 0
        config = ScoringConfig(topics=None) if args.no_topics else ScoringConfig()
        defences = settings.defences if args.defences is None else args.defences
        if defences:
            config = with_defences(config)
        _log.info("manipulation defences %s", "on" if defences else "off")
        worker = Worker(
            engine,
            config,
            WorkerConfig(
                consumer=args.consumer,
                batch_size=args.batch_size,
                poll_interval_s=args.poll_interval,
                refit_interval_s=args.refit_interval,
                seed=args.seed,
                incremental=IncrementalConfig(
                    diligence=args.diligence, roster_diligence=args.roster_diligence
                ),
                # --until-idle returns when the log is drained: a refit it starts must end.
                background_refit=not (args.foreground_refit or args.until_idle),
                refresh_rows=args.refresh_rows,
            ),
        )
        if args.until_idle:
            worker.setup()
            while worker.step().consumed:
                pass
            return 0
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        hooks = None
        if args.webhooks:
            dispatcher = WebhookDispatcher(engine, WebhookConfig())
            hooks = threading.Thread(
                target=run_dispatcher, args=(dispatcher, stop), name="webhooks", daemon=True
            )
            hooks.start()
        steps = worker.run(stop)
        if hooks is not None:
            hooks.join(timeout=30)
        _log.info("worker stopped after %d micro-batches", steps)
        return 0
    finally:
        engine.dispose()
