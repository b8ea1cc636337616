"""Where a worker pass's CPU goes: CPU time per named function over timed in-memory passes.

The same community and passes as ``bench_realtime.py --pass-cpu N`` (a simulated community of
N ratings, a refit of the whole roster with the defences, the warm and the publishing pass,
then passes of ``--batch-size`` random rating events, diligence frozen), with chosen
functions wrapped by a ``time.process_time`` accumulator instead of a profiler: the wrappers
cost ~1 us a call, so the pass keeps its unprofiled cost (cProfile triples the Python-heavy
parts). Nested targets overlap (a caller's time includes its callees').

    PYTHONPATH=src python benchmarks/pass_breakdown.py 700000 --passes 6 \\
        --targets bridgewatch.pipeline.state:LiveState._pass_inputs,...

A target is ``module:function`` or ``module:Class.method``, patched in the module that
calls it (``from x import f`` binds ``f`` in the caller: patch it there).
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import importlib
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_realtime as bench
from bridgewatch._allocator import release_free_heap
from bridgewatch.io import read_ratings, schemas
from bridgewatch.pipeline.state import Frames, LiveState
from bridgewatch.scoring.config import ScoringConfig
from bridgewatch.scoring.defences import with_defences
from bridgewatch.scoring.history import StatusHistory
from bridgewatch.scoring.incremental import IncrementalConfig, WatchConfig


def _typed(frame: pl.DataFrame, schema: pl.Schema) -> pl.DataFrame:
    return frame.select(
        (pl.col(k) if k in frame.columns else pl.lit(None)).cast(t).alias(k)
        for k, t in schema.items()
    )


def _wrap(spec: str, spent: dict[str, float]) -> None:
    """Replace the target by a wrapper adding its CPU time to ``spent[spec]``."""
    module, _, attr = spec.partition(":")
    owner: Any = importlib.import_module(module)
    if "." in attr:
        cls, attr = attr.split(".")
        owner = getattr(owner, cls)
    inner: Callable[..., Any] = getattr(owner, attr)

    def timed(*args: Any, **kwargs: Any) -> Any:
        start = time.process_time()
        try:
            return inner(*args, **kwargs)
        finally:
            spent[spec] += time.process_time() - start

    setattr(owner, attr, timed)


def community(n: int) -> tuple[LiveState, bench.RatingEvents]:
    """A live state (not refitted yet: whole roster, defences on, frozen diligence) of a
    simulated community of ``n`` ratings, and a source of random rating events on it."""
    with tempfile.TemporaryDirectory() as tmp_dir:
        config = bench.SimConfig(seed=3, n_notes=n // 30, n_raters=n // 15, n_ratings=n, days=20.0)
        files = bench.write_community(bench.simulate(config), Path(tmp_dir) / "c")
        text = read_ratings(files.ratings[0])
        text = text.with_columns(
            pl.col(c).cast(pl.String) for c, t in text.schema.items() if isinstance(t, pl.Enum)
        )
        notes = pl.read_csv(files.notes, separator="\t", infer_schema_length=0)
        enrollment = pl.read_csv(files.user_enrollment, separator="\t", infer_schema_length=0)
        nsh = pl.read_csv(files.note_status_history, separator="\t", infer_schema_length=0)
    state = LiveState(
        frames=Frames(
            notes=_typed(notes, schemas.NOTES.polars_schema),
            ratings=_typed(text, schemas.RATINGS.polars_schema),
            enrollment=_typed(enrollment, schemas.USER_ENROLLMENT.polars_schema),
            history=StatusHistory.from_frame(
                _typed(nsh, schemas.NOTE_STATUS_HISTORY.polars_schema)
            ),
        ),
        position=0,
        config=with_defences(ScoringConfig(topics=None)),
        incremental=IncrementalConfig(diligence="frozen"),
        defences=True,
        watch=WatchConfig(),
    )
    note_ids = [str(x) for x in notes["noteId"].to_list()]
    rater_ids = sorted(set(text["raterParticipantId"].to_list()))
    newest = int(text["createdAtMillis"].max())  # type: ignore[arg-type]
    return state, bench.RatingEvents(note_ids, rater_ids, newest)


def published_community(n: int) -> tuple[LiveState, bench.RatingEvents]:
    """:func:`community`, refitted, warmed up and with its first pass (which publishes the
    refit) run on one rating event: the state every timed pass starts from."""
    state, batch = community(n)
    state.refit()
    state.refit_rows = None
    gc.collect()
    release_free_heap()
    state.warm_up()
    state.apply_events(batch(1))
    state.rescore(batch.now)  # publishes the refit
    return state, batch


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("ratings", type=int, help="community size (ratings)")
    parser.add_argument("--passes", type=int, default=6)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--targets", default="", help="comma-separated module:function")
    parser.add_argument(
        "--refresh-rows",
        type=int,
        default=None,
        help="stale note rows each pass rewrites (default: the state's; 0: none, as once "
        "an install's rows are all refreshed)",
    )
    parser.add_argument(
        "--profile",
        default="",
        help="also write a cProfile of the timed passes to this file (slows them: the pass "
        "CPU printed is then the profiled one)",
    )
    args = parser.parse_args()
    state, batch = published_community(args.ratings)
    if args.refresh_rows is not None:
        state.refresh_rows = args.refresh_rows
    gc.collect()
    release_free_heap()
    state.apply_events(batch(args.batch_size))
    state.rescore(batch.now)
    spent: dict[str, float] = defaultdict(float)
    for spec in (s for s in args.targets.split(",") if s):
        _wrap(spec, spent)
        spent[spec] = 0.0
    spent_per_pass: dict[str, list[float]] = defaultdict(list)
    times = []
    profile = cProfile.Profile() if args.profile else None
    for _ in range(args.passes):
        events = batch(args.batch_size)
        start = time.process_time()
        if profile is not None:
            profile.enable()
        state.apply_events(events)
        state.rescore(batch.now)
        if profile is not None:
            profile.disable()
        times.append(time.process_time() - start)
        for spec in spent:
            spent_per_pass[spec].append(spent[spec])
            spent[spec] = 0.0
    if profile is not None:
        profile.dump_stats(args.profile)
    ms = np.array(times) * 1000
    print(
        f"{args.ratings} ratings, {args.passes} passes of {args.batch_size} events: pass CPU "
        f"median {np.median(ms):.0f} ms, min {ms.min():.0f} ms "
        f"({np.round(ms).astype(int).tolist()})"
    )
    # (Mean and median per pass: the first timed pass may compile a numba path the warm
    # passes did not take, which the mean carries.)
    for spec, per_pass in sorted(spent_per_pass.items(), key=lambda kv: -float(np.median(kv[1]))):
        each = np.array(per_pass) * 1000
        print(f"  {each.mean():8.1f} ms/pass mean {np.median(each):8.1f} median  {spec}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
