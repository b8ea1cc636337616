"""Benchmark: ``load_dataset`` on a directory of ratings shards (issue #12, 150M load).

Runs ``bridgewatch.io.load_dataset`` once in this process on a community directory (notes,
status history, enrollment TSVs) and a ratings path, and prints one JSON line: wall and CPU
seconds of the load (user+sys of the process, all threads), a SHA-256 of the loaded arrays
and id indexes, peak RSS (ru_maxrss) and the RSS timeline sampled every 0.25 s, with the
log lines' times, so that a peak can be tied to a step.

Usage: PYTHONPATH=src .venv/bin/python benchmarks/bench_load_shards.py COMMUNITY RATINGS
       [--profile OUT.prof]
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import json
import logging
import resource
import threading
import time
from pathlib import Path

_COLUMNS = (
    "note_idx",
    "rater_idx",
    "helpful_num",
    "helpfulness_level",
    "created_at_ms",
    "helpful_tags",
    "not_helpful_tags",
    "population_sampled",
)


def _rss_kib() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("community", type=Path)
    parser.add_argument("ratings", type=Path)
    parser.add_argument("--profile", type=Path)
    args = parser.parse_args()
    from bridgewatch.io import load_dataset

    t0 = time.perf_counter()
    events: list[tuple[float, str]] = []

    class _Rec(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            events.append((round(time.perf_counter() - t0, 2), record.getMessage()[:90]))

    logging.basicConfig(level=logging.INFO, handlers=[_Rec()])
    samples: list[tuple[float, int]] = []
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.25):
            samples.append((round(time.perf_counter() - t0, 2), _rss_kib()))

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    c = args.community
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    prof = cProfile.Profile() if args.profile else None
    if prof:
        prof.enable()
    ds = load_dataset(
        notes=c / "notes-00000.tsv",
        ratings=args.ratings,
        status_history=c / "noteStatusHistory-00000.tsv",
        enrollment=c / "userEnrollment-00000.tsv",
    )
    if prof:
        prof.disable()
        prof.dump_stats(args.profile)
    wall = time.perf_counter() - t0
    done.set()
    thread.join()
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    digest = hashlib.sha256()
    for name in _COLUMNS:
        digest.update(getattr(ds.ratings, name).tobytes())
    digest.update("\n".join(ds.note_ids.ids.tolist()).encode())
    digest.update("\n".join(ds.participant_ids.ids.tolist()).encode())
    peak = max((s[1] for s in samples), default=0)
    step = max(1, len(samples) // 40)
    print(
        json.dumps(
            {
                "ratings": str(args.ratings),
                "n_ratings": ds.ratings.n_ratings,
                "sha256": digest.hexdigest(),
                "wall_s": round(wall, 2),
                "cpu_s": round(cpu, 2),
                "maxrss_gib": round(cpu1.ru_maxrss / 2**20, 3),
                "sampled_peak_gib": round(peak / 2**20, 3),
                "result_gib": round(_rss_kib() / 2**20, 3),
                "timeline": [(t, round(k / 2**20, 2)) for t, k in samples[::step]],
                "events": events,
            }
        )
    )


if __name__ == "__main__":
    main()
