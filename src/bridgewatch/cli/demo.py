"""`bridgewatch demo`: a simulated community scored by the real scorer, served live on :8000.

Simulates a community with ``bridgewatch.sim`` (public TSV files under --data-dir/dump),
imports it into a fresh SQLite database under --data-dir (replacing an earlier demo
database), scores it with every scorer and the platform's defences at weekly checkpoints
and once more now (so statuses have a history), stores that run as the real-time worker's
refit, adds two demo logins, then runs the worker and the web app (with the API) until
Ctrl-C: ratings made in the web app update note statuses within about a second.
``--no-serve`` prepares everything and exits.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

from bridgewatch import DEFAULT_SEED
from bridgewatch import clock as wall

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from bridgewatch.scoring.config import ScoringConfig

_log = logging.getLogger(__name__)
_DAY_MS = 86_400_000
_HOUR_MS = 3_600_000


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `demo` command."""
    parser = subparsers.add_parser(
        "demo", help="simulate a community and serve the web app", description=__doc__
    )
    parser.add_argument("--data-dir", type=Path, default=Path("data/demo"))
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument(
        "--seed",
        type=int,
        default=DEFAULT_SEED,
        help=f"seed of the simulation and scorer (default: {DEFAULT_SEED})",
    )
    parser.add_argument("--n-notes", type=int, default=300, help="simulated notes")
    parser.add_argument("--n-raters", type=int, default=400, help="simulated raters")
    parser.add_argument("--n-ratings", type=int, default=9000, help="simulated ratings")
    # The flags' names before every command said --n-notes (as `simulate`; `--notes` and
    # `--ratings` name files in `score` and `analyze`); kept so scripts keep working.
    for old in ("notes", "raters", "ratings"):
        parser.add_argument(f"--{old}", dest=f"n_{old}", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--days", type=int, default=28, help="age of the community, days")
    parser.add_argument(
        "--no-serve", action="store_true", help="prepare the database, print the logins, exit"
    )
    parser.set_defaults(func=run)


class _Progress:
    """One ``[k/n] step ... 1.2 s`` line per step on stdout, timed from the command's start.

    On a terminal the line starts when the step does and ends with its time; elsewhere (a
    pipe, a log file) each line is written whole when its step ends, so that log lines on
    stderr never land in the middle of one.
    """

    def __init__(self, n_steps: int, *, interactive: bool | None = None) -> None:
        self.start = time.perf_counter()
        self.n_steps = n_steps
        self.k = 0
        self._t: float | None = None
        self._line = ""
        self._interactive = sys.stdout.isatty() if interactive is None else interactive

    def __call__(self, text: str) -> None:
        """Start the next step (finishing the current one)."""
        self.finish()
        self.k += 1
        self._t = time.perf_counter()
        self._line = f"[{self.k}/{self.n_steps}] {text} ..."
        if self._interactive:
            sys.stdout.write(self._line)
            sys.stdout.flush()

    def finish(self, detail: str = "") -> None:
        """End the current step's line with its time."""
        if self._t is None:
            return
        took = time.perf_counter() - self._t
        end = f" {detail + ', ' if detail else ''}{took:.1f} s\n"
        sys.stdout.write(end if self._interactive else self._line + end)
        sys.stdout.flush()
        self._t = None

    def ready(self) -> str:
        """The "ready N s after the command started" text (process age where known)."""
        age = _process_age_s()
        if age is None:
            return f"ready in {time.perf_counter() - self.start:.1f} s"
        return f"ready {age:.1f} s after the command started"


def run(args: argparse.Namespace) -> int:
    """Simulate, import, score and publish the demo database, then serve it live."""
    if not args.verbose:
        # Progress lines instead of the scorer's stage log; -v brings the log back.
        logging.getLogger().setLevel(logging.WARNING)
        logging.getLogger("bridgewatch.scoring").setLevel(logging.ERROR)
    progress = _Progress(5 if args.no_serve else 6)
    progress("loading bridgewatch")
    from bridgewatch.cli.demo_seed import DEMO_PASSWORD, demo_scoring_config, seed_demo
    from bridgewatch.service import make_engine, upgrade_database
    from bridgewatch.sim import SimConfig

    now_ms = wall.now_ms()
    data_dir: Path = args.data_dir
    data_dir.mkdir(parents=True, exist_ok=True)
    db_path = data_dir / "bridgewatch.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    url = f"sqlite:///{db_path.resolve()}"
    engine = make_engine(url)
    upgrade_database(engine)
    from bridgewatch.service.settings import Settings

    config = demo_scoring_config(defences=Settings().defences)
    seeded = seed_demo(
        engine,
        data_dir / "dump",
        sim=SimConfig(
            seed=args.seed,
            n_notes=args.n_notes,
            n_raters=args.n_raters,
            n_ratings=args.n_ratings,
            days=float(args.days),
            end_ms=now_ms - _HOUR_MS,
        ),
        now_ms=now_ms,
        config=config,
        progress=progress,
    )
    counts = seeded.published.status_counts
    progress.finish()
    imported = seeded.imported
    sys.stdout.write(
        f"demo database: {db_path} ({imported.participants} participants, {imported.notes} "
        f"notes, {imported.ratings} ratings): {counts.get('CURRENTLY_RATED_HELPFUL', 0)} notes "
        f"rated helpful, {counts.get('CURRENTLY_RATED_NOT_HELPFUL', 0)} not helpful, "
        f"{counts.get('NEEDS_MORE_RATINGS', 0)} need more ratings\n"
    )
    logins = (
        f"  log in as 'demo' / {DEMO_PASSWORD!r} (can write notes), or "
        f"'newcomer' / {DEMO_PASSWORD!r} (new: rating only)\n"
    )
    if args.no_serve:
        engine.dispose()
        sys.stdout.write(progress.ready() + "\n" + logins)
        return 0
    return _serve(args, url, engine, config, progress, logins)


def _serve(
    args: argparse.Namespace,
    url: str,
    engine: Engine,
    config: ScoringConfig,
    progress: _Progress,
    logins: str,
) -> int:
    """Run the worker (thread) and the web app (uvicorn) until Ctrl-C; stop both cleanly."""
    import uvicorn

    from bridgewatch.pipeline.worker import Worker, WorkerConfig
    from bridgewatch.service import Settings, create_app, make_engine
    from bridgewatch.web import install_web

    progress("starting the real-time worker and the web app")
    stop = threading.Event()
    worker_engine = make_engine(url)
    worker = Worker(worker_engine, config, WorkerConfig(seed=args.seed))
    failure: list[BaseException] = []

    def work() -> None:
        try:
            worker.run(stop)
        except BaseException as exc:  # reported by the main thread
            failure.append(exc)
            _log.exception("the worker stopped")

    worker_thread = threading.Thread(target=work, name="bridgewatch-worker", daemon=True)
    worker_thread.start()
    app = install_web(create_app(Settings(database_url=url, data_dir=args.data_dir), engine=engine))
    server = uvicorn.Server(
        uvicorn.Config(app, host=args.host, port=args.port, log_level="warning")
    )
    server_thread = threading.Thread(target=server.run, name="bridgewatch-web", daemon=True)
    server_thread.start()
    while not server.started and server_thread.is_alive():
        time.sleep(0.05)
    if not server.started:
        stop.set()
        worker_thread.join(timeout=10)
        sys.stderr.write(f"the web app could not start on {args.host}:{args.port}\n")
        return 1
    progress.finish()
    sys.stdout.write(
        f"\nbridgewatch demo is running at http://{args.host}:{args.port}/ "
        f"({progress.ready()})\n" + logins + "  press Ctrl-C to stop\n"
    )
    sys.stdout.flush()
    # SIGTERM stops the demo like Ctrl-C does.
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        # Sleep, not join: a signal that interrupts Thread.join can leave the thread
        # marked as stopped, and the join below would then not wait for it.
        while server_thread.is_alive() and not failure:
            time.sleep(0.25)
    except KeyboardInterrupt:
        sys.stdout.write("\nstopping ...")
        sys.stdout.flush()
    finally:
        stopping = time.perf_counter()
        server.should_exit = True
        stop.set()
        server_thread.join(timeout=10)
        worker_thread.join(timeout=30)
        worker_engine.dispose()
        engine.dispose()
        sys.stdout.write(f" stopped in {time.perf_counter() - stopping:.1f} s\n")
    return 1 if failure else 0


def _process_age_s() -> float | None:
    """Seconds since this process started (Linux ``/proc``), or ``None`` elsewhere."""
    try:
        with open("/proc/self/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        with open("/proc/uptime") as f:
            uptime_s = float(f.read().split()[0])
        return uptime_s - int(fields[19]) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt
