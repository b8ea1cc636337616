"""Summarize the worker's micro-batch timelines (``bridgewatch.pipeline.timeline``).

    BENCH_WORKER_LOG=/tmp/w.log python benchmarks/bench_realtime.py ... --settle
    python benchmarks/lag_timeline.py /tmp/w.log [--min-events 2] [--slowest 3]

Per phase: mean and median wall ms and mean CPU ms per micro-batch, and its share of the
wall time of all micro-batches (idle included). Micro-batches with fewer than
``--min-events`` events (the settle rating, the marker) are left out. ``--slowest K``
also prints the K micro-batches with the longest busy time phase by phase (wall / CPU ms):
the install of a stored refit is one of them (fact ``installed``; phases ``i_wait`` for the
background read on PostgreSQL or ``i_payload`` read and unpickled on SQLite, ``i_swap``,
``i_heap`` collect and freeze, ``i_publish`` pending rows).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from bridgewatch.pipeline.timeline import parse_line


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("log", type=Path)
    parser.add_argument("--min-events", type=int, default=2)
    parser.add_argument("--slowest", type=int, default=0)
    args = parser.parse_args()
    batches = []
    every = []
    for line in args.log.read_text().splitlines():
        parsed = parse_line(line)
        if parsed is not None:
            every.append(parsed)
            if parsed[0].get("events", 0) >= args.min_events:
                batches.append(parsed)
    if args.slowest:
        _slowest(every, args.slowest)
    if not batches:
        print("no timelines")
        return 1
    names: list[str] = []
    for _, phases in batches:
        names += [n for n in phases if n not in names]
    wall = np.array([[p.get(n, (0.0, 0.0))[0] for n in names] for _, p in batches])
    cpu = np.array([[p.get(n, (0.0, 0.0))[1] for n in names] for _, p in batches])
    total = wall.sum()
    facts = {k: np.array([f.get(k, 0.0) for f, _ in batches]) for k in batches[0][0]}
    print(f"{len(batches)} micro-batches, {total / 1000:.1f} s wall in all")
    for key, values in facts.items():
        print(f"  {key}: mean {values.mean():.1f}, median {np.median(values):.0f}")
    print(f"{'phase':<16}{'wall mean':>10}{'median':>8}{'p90':>8}{'CPU mean':>10}{'share':>7}")
    for i, name in enumerate(names):
        w, c = wall[:, i], cpu[:, i]
        print(
            f"{name:<16}{w.mean():>10.1f}{np.median(w):>8.1f}{np.percentile(w, 90):>8.1f}"
            f"{c.mean():>10.1f}{w.sum() / total:>7.0%}"
        )
    busy = wall.sum(axis=1) - wall[:, names.index("idle")] if "idle" in names else wall.sum(1)
    print(
        f"{'busy (no idle)':<16}{busy.mean():>10.1f}{np.median(busy):>8.1f}"
        f"{np.percentile(busy, 90):>8.1f}{cpu.sum(axis=1).mean():>10.1f}"
    )
    return 0


def _slowest(
    batches: list[tuple[dict[str, float], dict[str, tuple[float, float]]]], k: int
) -> None:
    """The ``k`` micro-batches with the longest busy (not idle) wall time, phase by phase."""

    def busy(batch: tuple[dict[str, float], dict[str, tuple[float, float]]]) -> float:
        return sum(w for name, (w, _) in batch[1].items() if name != "idle")

    for facts, phases in sorted(batches, key=busy, reverse=True)[:k]:
        cpu = sum(c for name, (_, c) in phases.items() if name != "idle")
        print(
            f"slow micro-batch: busy {busy((facts, phases)):.0f} ms wall / {cpu:.0f} ms CPU; "
            + " ".join(f"{key}={value:g}" for key, value in facts.items())
        )
        print(
            "  "
            + " ".join(
                f"{name}={w:.0f}/{c:.0f}" for name, (w, c) in phases.items() if name != "idle"
            )
        )


if __name__ == "__main__":
    raise SystemExit(main())
