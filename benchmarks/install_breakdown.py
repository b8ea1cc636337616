"""What installing a background refit costs the worker: payload, install, first pass, rows.

The worker installs a refit stored by a refit job (``pipeline/refit_job.py``) at its next
micro-batch: it reads the payload, unpickles it (``Refit.from_bytes``), swaps it in
(``LiveState.install``), and its next pass rescoring then runs with the new refit and writes
the rows that pass returns. This replays that in memory on a simulated community of N
ratings (the one ``pass_breakdown.py`` builds: whole roster, defences on, frozen diligence):

1. a first refit, its warm pass and the pass that publishes it, then ``--passes`` passes of
   ``--batch-size`` rating events (what the worker published before the new refit);
2. a second refit on the data so far (the job's snapshot), serialized as the job stores it;
3. ``--after`` more rating events (the events the worker applied while the job ran);
4. the install, timed step by step (CPU and wall): unpickling the payload, the swap, the
   first pass after it (with one more batch of events), and the rows it returns
   (``note_scores``, ``contributor_scores``, ``enrollment``, status history).

    PYTHONPATH=src python benchmarks/install_breakdown.py 1000000

No database: the payload's read from PostgreSQL and the rows' writes are timed by the
worker's timeline (``bench_realtime.py --refit-at``, ``lag_timeline.py --install``).
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bridgewatch._allocator import release_free_heap
from bridgewatch.pipeline.state import Refit, note_score_rows
from pass_breakdown import published_community


class _Clock:
    """CPU (process) and wall seconds since the last ``lap``."""

    def __init__(self) -> None:
        self.cpu, self.wall = time.process_time(), time.perf_counter()

    def lap(self) -> tuple[float, float]:
        cpu, wall = time.process_time(), time.perf_counter()
        out = (cpu - self.cpu, wall - self.wall)
        self.cpu, self.wall = cpu, wall
        return out


def _fmt(lap: tuple[float, float]) -> str:
    return f"{lap[0] * 1000:7.0f} ms CPU {lap[1] * 1000:7.0f} ms wall"


def _differ(rows: list[dict[str, Any]], table: dict[int, dict[str, Any]]) -> None:
    """How many of ``rows`` differ from ``table`` (the full note_scores table before the
    refit) other than by their time, and in which columns."""
    columns: Counter[str] = Counter()
    differ = 0
    for row in rows:
        old = table.get(row["note_id"])
        names = [k for k in row if k != "scored_at_ms" and (old is None or old.get(k) != row[k])]
        differ += bool(names)
        columns.update(names)
    print(f"  of the {len(rows)} note_scores rows, {differ} differ from the table before")
    print(f"  columns that differ: {dict(columns.most_common())}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("ratings", type=int, help="community size (ratings)")
    parser.add_argument("--passes", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--after", type=int, default=2000, help="events after the snapshot")
    parser.add_argument("--profile", help="write a cProfile (CPU time) of the first pass here")
    args = parser.parse_args()
    state, batch = published_community(args.ratings)
    for _ in range(args.passes):
        state.apply_events(batch(args.batch_size))
        state.rescore(batch.now)
    # What the worker published last (the contributor figures its passes compare with).
    published = state._contributors
    live = state.last_pass
    assert live is not None
    rows = np.arange(live.inputs.n_notes, dtype=np.int64)
    table = {
        r["note_id"]: r
        for r in note_score_rows(live, rows, batch.now, state.config, None, state.holds)
    }
    del live
    clock = _Clock()
    refit = state.refit()  # the job's refit at its snapshot (installed here: undone below)
    print(f"second refit: {_fmt(clock.lap())}")
    payload = refit.to_bytes()
    print(f"to_bytes: {_fmt(clock.lap())}, {len(payload) / 2**20:.0f} MiB")
    del refit
    state.refit_rows = None
    state._contributors = published
    state.apply_events(batch(args.after))
    gc.collect()
    release_free_heap()
    clock.lap()
    loaded = Refit.from_bytes(payload)
    unpickle = clock.lap()
    state.install(loaded)
    swap = clock.lap()
    del payload
    # The worker's ``_settle_heap`` after an install.
    gc.unfreeze()
    gc.collect()
    gc.freeze()
    heap = clock.lap()
    profile = cProfile.Profile(time.process_time) if args.profile else None
    if profile is not None:
        profile.enable()
    state.apply_events(batch(args.batch_size))
    result = state.rescore(batch.now)
    if profile is not None:
        profile.disable()
        profile.dump_stats(args.profile)
    first = clock.lap()
    contributors = result.contributors
    print(f"install: unpickle {_fmt(unpickle)}; swap {_fmt(swap)}; heap {_fmt(heap)}")
    print(
        f"first pass after the install: {_fmt(first)}; rows: {len(result.scores)} note_scores, "
        f"{len(contributors.scores)} contributor_scores, {len(contributors.enrollment)} "
        f"enrollment, {len(result.history_rows)} status history"
    )
    _differ(result.scores, table)
    clock.lap()
    state.apply_events(batch(args.batch_size))
    result = state.rescore(batch.now)
    print(f"the pass after it: {_fmt(clock.lap())}; {len(result.scores)} note_scores rows")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
