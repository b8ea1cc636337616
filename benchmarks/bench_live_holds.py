"""Live replay of a simulated community with hourly refits: how long the coordination watch
delays honest notes, and whether an attack's targets are ever shown as helpful.

The community's ratings before the last ``--stream-days`` seed the worker's in-memory state
(:class:`bridgewatch.pipeline.state.LiveState`, the platform's scoring: whole roster,
defences on); the rest are applied in time order as rating events in batches of
``--batch-minutes`` of data time, with a pass after each batch and a full refit every
``--refit-minutes`` of data time. For every note the replay records when its status would
first have become CURRENTLY_RATED_HELPFUL without the holds (the pass's own status) and when
it was first published as such; the difference is the delay the holds cost.

    python benchmarks/bench_live_holds.py                       # honest community
    python benchmarks/bench_live_holds.py --brigade-members 20  # with a PROMOTE brigade
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl

from bridgewatch.io import read_ratings, schemas
from bridgewatch.model.enums import NoteStatus
from bridgewatch.pipeline.state import Frames, LiveState
from bridgewatch.scoring.config import ScoringConfig
from bridgewatch.scoring.defences import with_defences
from bridgewatch.scoring.history import StatusHistory
from bridgewatch.scoring.incremental import WatchConfig
from bridgewatch.sim import SimConfig, simulate, write_community
from bridgewatch.sim.config import BrigadeConfig

_CRH = int(NoteStatus.CURRENTLY_RATED_HELPFUL)


def _typed(frame: pl.DataFrame, schema: pl.Schema) -> pl.DataFrame:
    return frame.select(
        (pl.col(k) if k in frame.columns else pl.lit(None)).cast(t).alias(k)
        for k, t in schema.items()
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ratings", type=int, default=9000)
    parser.add_argument("--notes", type=int, default=300)
    parser.add_argument("--raters", type=int, default=600)
    parser.add_argument("--days", type=float, default=10.0)
    parser.add_argument("--stream-days", type=float, default=2.0)
    parser.add_argument("--batch-minutes", type=float, default=5.0)
    parser.add_argument("--refit-minutes", type=float, default=60.0)
    parser.add_argument("--brigade-members", type=int, default=0, help="0: no attack")
    parser.add_argument("--no-watch", action="store_true", help="the holds off (baseline)")
    args = parser.parse_args()
    brigades = ()
    if args.brigade_members:
        brigades = (
            BrigadeConfig(
                n_members=args.brigade_members,
                n_targets=5,
                account_age_days=args.stream_days + 1.0,
                organic_ratings=5,
            ),
        )
    sim = SimConfig(
        seed=3,
        n_notes=args.notes,
        n_raters=args.raters,
        n_ratings=args.ratings,
        days=args.days,
        brigades=brigades,
    )
    with tempfile.TemporaryDirectory() as tmp:
        community = simulate(sim)
        files = write_community(community, Path(tmp) / "c")
        ratings = read_ratings(files.ratings[0])
        ratings = ratings.with_columns(
            pl.col(c).cast(pl.String) for c, t in ratings.schema.items() if isinstance(t, pl.Enum)
        ).sort("createdAtMillis")
        notes = pl.read_csv(files.notes, separator="\t", infer_schema_length=0)
        enrollment = pl.read_csv(files.user_enrollment, separator="\t", infer_schema_length=0)
        nsh = pl.read_csv(files.note_status_history, separator="\t", infer_schema_length=0)
    targets = set(
        community.note_truth.filter(pl.col("attackTarget"))["noteId"].cast(pl.String).to_list()
    )
    end = int(ratings["createdAtMillis"].max())  # type: ignore[arg-type]
    cut = end - int(args.stream_days * 86_400_000)
    early, late = (
        ratings.filter(pl.col("createdAtMillis") <= cut),
        ratings.filter(pl.col("createdAtMillis") > cut),
    )
    state = LiveState(
        frames=Frames(
            notes=_typed(notes, schemas.NOTES.polars_schema),
            ratings=_typed(early, schemas.RATINGS.polars_schema),
            enrollment=_typed(enrollment, schemas.USER_ENROLLMENT.polars_schema),
            history=StatusHistory.from_frame(
                _typed(nsh, schemas.NOTE_STATUS_HISTORY.polars_schema)
            ),
        ),
        position=0,
        config=with_defences(ScoringConfig(topics=None)),
        defences=True,
        watch=None if args.no_watch else WatchConfig(),
    )
    started, cpu = time.perf_counter(), time.process_time()
    state.refit()
    last_refit = cut
    would: dict[str, int] = {}
    shown: dict[str, int] = {}
    targets_shown: set[str] = set()
    held_notes: set[str] = set()
    rows = late.to_dicts()
    step = int(args.batch_minutes * 60_000)
    event_id, k, passes, refits = 0, 0, 0, 1
    t = cut
    while k < len(rows):
        t += step
        batch = []
        while k < len(rows) and int(rows[k]["createdAtMillis"]) <= t:
            event_id += 1
            batch.append(
                {
                    "id": event_id,
                    "event_type": "rating.created",
                    "created_at_ms": int(rows[k]["createdAtMillis"]),
                    "payload": rows[k],
                }
            )
            k += 1
        if t - last_refit >= args.refit_minutes * 60_000:
            state.refit()
            last_refit, refits = t, refits + 1
        if not batch and not state.holds:
            continue
        state.apply_events(batch)
        state.rescore(t)
        passes += 1
        live = state.last_pass
        assert live is not None
        ids = live.inputs.note_ids.ids
        held_notes |= set(state.holds)
        for note in ids[live.history.current_status == _CRH].tolist():
            would.setdefault(note, t)
        for note in ids[state.frames.history.current_status == _CRH].tolist():
            shown.setdefault(note, t)
            if note in targets:
                targets_shown.add(note)
    wall, used = time.perf_counter() - started, time.process_time() - cpu
    honest = [n for n in would if n not in targets]
    delays = np.array(
        [(shown.get(n, t + int(args.refit_minutes * 60_000)) - would[n]) / 60_000 for n in honest]
    )
    print(
        f"replay: {len(rows)} rating events over {args.stream_days} days in {passes} passes, "
        f"{refits} refits, watch {'off' if args.no_watch else 'on'}; {wall:.0f} s wall, "
        f"{used:.0f} s CPU"
    )
    print(f"notes held at some point: {len(held_notes)} ({len(held_notes & targets)} targets)")
    if delays.size:
        print(
            f"honest notes newly helpful: {delays.size}; delay by the holds: median "
            f"{np.median(delays):.0f} min, p95 {np.percentile(delays, 95):.0f} min, "
            f"max {delays.max():.0f} min, delayed at all: {int((delays > 0).sum())}"
        )
    print(f"attack targets: {len(targets)}, shown as helpful at some moment: {len(targets_shown)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
