"""Live attack replay through the HTTP API: are an attack's targets ever shown as helpful, and
how long do the coordination holds delay honest notes?

For each brigade kind of the attack bench (``bridgewatch.analysis.attack``), a community is
simulated with one PROMOTE brigade; its ratings before the stream window are imported into a
fresh SQLite database, and the rest (every attack rating among them) are posted in time order
to ``POST /api/v1/notes/{id}/ratings`` with each rater's session token, time compressed (the
API's and the worker's clock is the data's time). After every ``--batch-minutes`` of data time
the platform's worker (whole roster, defences on, the coordination watch) drains the event log;
it refits every ``--refit-minutes`` of data time. After each batch the published statuses are
read from the database (what the API serves): a target published as CURRENTLY_RATED_HELPFUL at
any of those moments counts as shown. For honest notes, the delay is the time from the pass
that first scored the note helpful without the holds to its first publication as helpful.

    python benchmarks/bench_live_attack.py                     # every kind
    python benchmarks/bench_live_attack.py --kinds fresh,pool --members 20

Goals (issue 16): 0 targets shown as helpful at any moment; honest delay median <= 10 min,
p95 <= 60 min.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import warnings
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from bridgewatch.analysis.attack import BRIGADE_KINDS, AttackBenchConfig
from bridgewatch.io import read_ratings
from bridgewatch.io.columns import HELPFUL_TAGS, NOT_HELPFUL_TAGS
from bridgewatch.model.enums import NoteStatus
from bridgewatch.pipeline.worker import Worker, WorkerConfig
from bridgewatch.scoring.config import ScoringConfig
from bridgewatch.scoring.defences import with_defences
from bridgewatch.scoring.incremental import (
    CorroborationConfig,
    WatchConfig,
    is_corroboration_reason,
)
from bridgewatch.service import Settings, create_app, make_engine, upgrade_database
from bridgewatch.sim import simulate, write_community
from bridgewatch.sim.config import BrigadeGoal
from bridgewatch.store.dump import import_dump
from bridgewatch.store.repositories.auth import create_session_token
from bridgewatch.store.tables import note_status_history

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message=".*httpx2.*")
    from starlette.testclient import TestClient

_CRH = NoteStatus.CURRENTLY_RATED_HELPFUL.name
_CRH_CODE = int(NoteStatus.CURRENTLY_RATED_HELPFUL)
_API_HELPFUL = {"Clear", "GoodSources", "AddressesClaim", "ImportantContext", "UnbiasedLanguage"}
_API_NOT_HELPFUL = {
    "Incorrect",
    "SourcesMissingOrUnreliable",
    "IrrelevantSources",
    "OpinionSpeculation",
    "Hostile",
    "Outdated",
    "SpamHarassmentOrAbuse",
    "MissingKeyPoints",
    "HardToUnderstand",
    "ArgumentativeOrBiased",
    "NoteNotNeeded",
}


def _body(row: dict[str, Any]) -> dict[str, Any] | None:
    """The API's rating form for one public ratings row (None: the row has no verdict)."""
    level = row.get("helpfulnessLevel")
    if level is None:
        if str(row.get("notHelpful")) == "1":
            level = "NOT_HELPFUL"
        elif str(row.get("helpful")) == "1":
            level = "HELPFUL"
        else:
            return None
    helpful = [c.removeprefix("helpful") for c in HELPFUL_TAGS if str(row.get(c)) == "1"]
    not_helpful = [c.removeprefix("notHelpful") for c in NOT_HELPFUL_TAGS if str(row.get(c)) == "1"]
    return {
        "helpfulnessLevel": level,
        "helpfulTags": [t for t in helpful if t in _API_HELPFUL] if level != "NOT_HELPFUL" else [],
        "notHelpfulTags": (
            [t for t in not_helpful if t in _API_NOT_HELPFUL] if level != "HELPFUL" else []
        ),
    }


def _published(engine: Engine) -> dict[str, str]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(note_status_history.c.noteId, note_status_history.c.currentStatus)
        ).all()
    return {str(n): str(s) for n, s in rows if s is not None}


def _reason_kind(why: str) -> str:
    """A hold reason's rule: the 30-minute burst, the slow run, unproven support or the
    recent deviation."""
    if "model predicts" in why:
        return "recent deviation"
    if is_corroboration_reason(why):
        return "uncorroborated"
    if "proven record" in why:
        return "unproven support"
    if "hours" in why:
        return "slow run"
    return "burst"


def _watch_config(args: argparse.Namespace) -> WatchConfig:
    """The watch's defaults, with ``--meeting-p`` / ``--group-cell-p`` where given
    (``--meeting-p 1``: the chance model off)."""
    options: dict[str, Any] = {}
    if args.meeting_p is not None:
        options["meeting_p"] = None if args.meeting_p >= 1.0 else args.meeting_p
    if args.group_cell_p is not None:
        options["group_cell_p"] = args.group_cell_p
    if not args.corroboration:
        options["corroboration"] = None
    else:
        corroboration = CorroborationConfig()
        if args.opening is not None:
            corroboration = replace(corroboration, min_opening=args.opening)
        if args.group_p is not None:
            corroboration = replace(
                corroboration, group_p=None if args.group_p >= 1.0 else args.group_p
            )
        options["corroboration"] = corroboration
    return WatchConfig(**options)


def _run_kind(kind: str, args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    bench = AttackBenchConfig(
        n_notes=args.notes,
        n_raters=args.raters,
        n_ratings=args.ratings,
        days=args.days,
        # Fresh accounts join a day before the stream window.
        fresh_age_days=min(args.stream_days + 1.0, args.days),
    )
    sim = bench.community(args.seed, 0.0, kind, members=args.members, goals=(BrigadeGoal.PROMOTE,))
    community = simulate(sim)
    files = write_community(community, tmp / kind / "community")
    ratings = read_ratings(files.ratings[0])
    ratings = ratings.with_columns(
        pl.col(c).cast(pl.String) for c, t in ratings.schema.items() if isinstance(t, pl.Enum)
    ).sort("createdAtMillis", "noteId", "raterParticipantId")
    truth = community.note_truth
    targets = set(truth.filter(pl.col("attackTarget"))["noteId"].cast(pl.String).to_list())
    members = set(
        community.rater_truth.filter(pl.col("brigadeId") >= 0)["participantId"]
        .cast(pl.String)
        .to_list()
    )
    attack = ratings.filter(
        pl.col("raterParticipantId").is_in(list(members))
        & pl.col("noteId").cast(pl.String).is_in(list(targets))
    )
    end = int(ratings["createdAtMillis"].max())  # type: ignore[arg-type]
    cut = end - int(args.stream_days * 86_400_000)
    if attack.height:
        first_attack = int(attack["createdAtMillis"].min())  # type: ignore[arg-type]
        cut = min(cut, first_attack - 3_600_000)
    dump = tmp / kind / "dump"
    dump.mkdir(parents=True)
    for src, name in (
        (files.notes, "notes-00000.tsv"),
        (files.note_status_history, "noteStatusHistory-00000.tsv"),
        (files.user_enrollment, "userEnrollment-00000.tsv"),
    ):
        (dump / name).write_bytes(src.read_bytes())
    ratings.filter(pl.col("createdAtMillis") <= cut).write_csv(
        dump / "ratings-00000.tsv", separator="\t", null_value=""
    )
    late = ratings.filter(pl.col("createdAtMillis") > cut).to_dicts()

    engine = make_engine(f"sqlite:///{tmp / kind / 'live.sqlite3'}")
    upgrade_database(engine)
    import_dump(engine, dump, now_ms=cut)
    now = [cut]

    def clock() -> int:
        return now[0]

    config = ScoringConfig(topics=None)
    if args.defences:
        config = with_defences(config)
    worker = Worker(
        engine,
        config,
        WorkerConfig(
            refit_interval_s=args.refit_minutes * 60.0,
            gap_timeout_s=0.0,
            batch_size=5000,
            listen=False,
            watch=_watch_config(args),
        ),
        clock=clock,
    )
    started, cpu = time.perf_counter(), time.process_time()
    worker.setup()
    refits = 0

    def drain() -> None:
        nonlocal refits
        while True:
            due = worker.refit_due() or worker.state is None
            result = worker.step()
            refits += int(due)
            if not result.consumed:
                return

    drain()
    raters = sorted({str(r["raterParticipantId"]) for r in late})
    tokens: dict[str, str] = {}
    with Session(engine) as s, s.begin():
        for rater in raters:
            tokens[rater], _ = create_session_token(
                s, participant_id=rater, now_ms=cut, ttl_s=int(args.days * 2 * 86_400)
            )
    settings = Settings(database_url="sqlite://", ratings_per_minute=args.ratings_per_minute)
    app = create_app(settings, engine=engine, clock=clock)
    refused: dict[int, int] = {}
    posted = 0
    would: dict[str, int] = {}
    shown: dict[str, int] = {}
    targets_shown: set[str] = set()
    held: set[str] = set()
    reasons: dict[str, set[str]] = {}
    unheld_helpful: dict[str, int] = {}  # passes the unheld status was helpful, not published
    said: dict[str, dict[str, int]] = {}  # note -> hold reason -> first time given
    target_lines: list[str] = []  # when each shown target was first shown, and how
    step = int(args.batch_minutes * 60_000)
    k, t, passes = 0, cut, 0
    with TestClient(app) as client:
        while k < len(late):
            t += step
            while k < len(late) and int(late[k]["createdAtMillis"]) <= t:
                row = late[k]
                k += 1
                body = _body(row)
                if body is None:
                    continue
                now[0] = int(row["createdAtMillis"])
                r = client.post(
                    f"/api/v1/notes/{row['noteId']}/ratings",
                    json=body,
                    headers={"Authorization": f"Bearer {tokens[str(row['raterParticipantId'])]}"},
                )
                if r.status_code in (200, 201):
                    posted += 1
                else:
                    refused[r.status_code] = refused.get(r.status_code, 0) + 1
            now[0] = t
            refits_before = refits
            drain()
            passes += 1
            refit_now = refits > refits_before
            state = worker.state
            assert state is not None
            held |= set(state.holds)
            for note, (since, why) in state.holds.items():
                reasons.setdefault(note, set()).add(_reason_kind(why))
                if args.diagnose:
                    said.setdefault(note, {}).setdefault(why, since)
            live = state.last_pass
            now_helpful: list[str] = []
            if live is not None:
                ids = live.inputs.note_ids.ids
                now_helpful = ids[live.history.current_status == _CRH_CODE].tolist()
                for note in now_helpful:
                    would.setdefault(note, t)
            published = _published(engine)
            for note, status in published.items():
                if status == _CRH:
                    shown.setdefault(note, t)
                    if note in targets:
                        if note not in targets_shown and args.diagnose:
                            target_lines.append(
                                f"target {note} first shown {(t - cut) / 60_000:.0f} min into "
                                f"the stream, {'at a refit' if refit_now else 'by a pass'}; "
                                f"held before by {', '.join(sorted(reasons.get(note, set())))}"
                                if note in reasons
                                else f"target {note} first shown {(t - cut) / 60_000:.0f} min "
                                f"into the stream, {'at a refit' if refit_now else 'by a pass'}"
                                "; never held before"
                            )
                        targets_shown.add(note)
            for note in now_helpful:
                if published.get(note) != _CRH and note not in shown:
                    unheld_helpful[note] = unheld_helpful.get(note, 0) + 1
    wall, used = time.perf_counter() - started, time.process_time() - cpu
    honest = [n for n in would if n not in targets]
    horizon = t + int(args.refit_minutes * 60_000)
    delays = np.array([(shown.get(n, horizon) - would[n]) / 60_000 for n in honest])
    engine.dispose()
    slow = sorted(
        ((d, n) for d, n in zip(delays.tolist(), honest, strict=True) if d > 60), reverse=True
    )
    diagnosis: list[str] = list(target_lines)
    for d, n in slow:
        diagnosis.append(
            f"{n}: delay {d:.0f} min, unheld helpful "
            f"{unheld_helpful.get(n, 0) * args.batch_minutes:.0f} min, "
            f"{'shown' if n in shown else 'never shown'}, held by "
            f"{', '.join(sorted(reasons.get(n, set()))) or 'nothing'}"
        )
        for why, since in sorted(said.get(n, {}).items(), key=lambda x: x[1]):
            diagnosis.append(f"      {(since - would[n]) / 60_000:+.0f} min: {why}")
    final = worker.state.refit_state if worker.state is not None else None
    if final is not None and final.roster.proven_raters is not None:
        proven = final.roster.proven_raters
        diagnosis.append(f"proven raters at the last refit: {int(proven.sum())} of {proven.size}")
    return {
        "diagnosis": diagnosis,
        "kind": kind,
        "posted": posted,
        "refused": refused,
        "stream_days": (end - cut) / 86_400_000,
        "passes": passes,
        "refits": refits,
        "targets": len(targets),
        "targets_rated": attack["noteId"].n_unique(),
        "targets_shown": len(targets_shown),
        "held": len(held),
        "held_targets": len(held & targets),
        "honest_new_helpful": int(delays.size),
        "delay_median": float(np.median(delays)) if delays.size else float("nan"),
        "delay_p95": float(np.percentile(delays, 95)) if delays.size else float("nan"),
        "delay_max": float(delays.max()) if delays.size else float("nan"),
        "wall_s": wall,
        "cpu_s": used,
    }


def _report(r: dict[str, Any], diagnose: bool) -> None:
    refused = ", ".join(f"{c}: {n}" for c, n in sorted(r["refused"].items())) or "none"
    print(
        f"[{r['kind']}] {r['posted']} ratings posted over {r['stream_days']:.1f} days "
        f"(refused {refused}), {r['passes']} batches, {r['refits']} refits; targets "
        f"{r['targets']} ({r['targets_rated']} rated by the brigade), shown helpful at some "
        f"moment: {r['targets_shown']}; notes held {r['held']} ({r['held_targets']} "
        f"targets); honest newly helpful {r['honest_new_helpful']}, hold delay median "
        f"{r['delay_median']:.0f} min, p95 {r['delay_p95']:.0f} min, max "
        f"{r['delay_max']:.0f} min; {r['wall_s']:.0f} s wall, {r['cpu_s']:.0f} s CPU",
        flush=True,
    )
    if diagnose:
        for line in r["diagnosis"]:
            print(f"    {line}", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kinds", default=",".join(BRIGADE_KINDS))
    parser.add_argument("--members", type=int, default=20, help="accounts in the brigade")
    parser.add_argument("--ratings", type=int, default=9000)
    parser.add_argument("--notes", type=int, default=300)
    parser.add_argument("--raters", type=int, default=600)
    parser.add_argument("--days", type=float, default=10.0)
    parser.add_argument("--stream-days", type=float, default=2.0)
    parser.add_argument("--batch-minutes", type=float, default=5.0)
    parser.add_argument("--refit-minutes", type=float, default=60.0)
    parser.add_argument("--ratings-per-minute", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--meeting-p",
        type=float,
        default=None,
        help="WatchConfig.meeting_p (default: the watch's, 1e-3; 1: off)",
    )
    parser.add_argument(
        "--group-cell-p", type=float, default=None, help="WatchConfig.group_cell_p (default off)"
    )
    parser.add_argument(
        "--corroboration",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="WatchConfig.corroboration (default on; --no-corroboration: off)",
    )
    parser.add_argument(
        "--opening",
        type=int,
        default=None,
        help="CorroborationConfig.min_opening (default: the watch's, off)",
    )
    parser.add_argument(
        "--group-p",
        type=float,
        default=None,
        help="CorroborationConfig.group_p (default: the watch's, 1e-3; 1: off)",
    )
    parser.add_argument(
        "--diagnose", action="store_true", help="list the honest notes delayed over 60 minutes"
    )
    parser.add_argument(
        "--defences",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="the platform's defences and the coordination watch (--no-defences: baseline)",
    )
    args = parser.parse_args()
    kinds = [k for k in args.kinds.split(",") if k]
    print(
        f"community: {args.notes} notes, {args.raters} raters, {args.ratings} ratings over "
        f"{args.days} days, one PROMOTE brigade of {args.members}; refits every "
        f"{args.refit_minutes:.0f} min, passes every {args.batch_minutes:.0f} min of data time; "
        f"defences {'on' if args.defences else 'off'}",
        flush=True,
    )
    with tempfile.TemporaryDirectory() as tmp_dir:
        for kind in kinds:
            _report(_run_kind(kind, args, Path(tmp_dir)), args.diagnose)
    load = os.getloadavg()
    print(f"load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
