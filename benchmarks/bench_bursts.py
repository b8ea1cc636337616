"""Time the coordinated-burst detector on synthetic rating arrays, and check it finds a
planted brigade without flagging honest raters.

Honest ratings: lognormal note popularity, lognormal rater activity, lognormal rating delays
(median 4 h), random sides and levels. Planted: one brigade of ``--members`` accounts rating
``--targets`` notes NOT_HELPFUL from one side within 30 minutes. Prints wall and CPU time.

    python benchmarks/bench_bursts.py --ratings 1000000 --raters 100000 --notes 50000
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np

from bridgewatch.scoring.manipulation import BurstConfig, find_rating_bursts

_HOUR_MS = 3_600_000


def _cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ratings", type=int, default=1_000_000)
    parser.add_argument("--raters", type=int, default=100_000)
    parser.add_argument("--notes", type=int, default=50_000)
    parser.add_argument("--members", type=int, default=200)
    parser.add_argument("--targets", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    n = args.ratings
    popularity = rng.lognormal(0.0, 1.0, args.notes)
    activity = rng.lognormal(0.0, 1.0, args.raters)
    note = rng.choice(args.notes, size=n, p=popularity / popularity.sum())
    rater = rng.choice(args.raters, size=n, p=activity / activity.sum())
    created = rng.integers(0, 60 * 24 * _HOUR_MS, size=args.notes)
    delay = rng.lognormal(np.log(4 * _HOUR_MS), 1.28, size=n).astype(np.int64)
    times = created[note] + delay
    levels = rng.integers(0, 3, size=n)
    n_all = args.raters + args.members
    sides = rng.choice(np.array([-1, 1], dtype=np.int8), size=n_all)
    members = np.arange(args.raters, n_all)
    sides[members] = -1
    targets = rng.choice(args.notes, size=args.targets, replace=False)
    a_note = np.repeat(targets, members.size)
    a_rater = np.tile(members, targets.size)
    a_time = created[a_note] + rng.integers(0, 30 * 60_000, size=a_note.size)
    note = np.concatenate([note, a_note])
    rater = np.concatenate([rater, a_rater])
    times = np.concatenate([times, a_time])
    levels = np.concatenate([levels, np.zeros(a_note.size, dtype=levels.dtype)])

    wall, cpu = time.perf_counter(), _cpu_s()
    result = find_rating_bursts(note, rater, levels, times, sides, BurstConfig())
    wall, cpu = time.perf_counter() - wall, _cpu_s() - cpu
    honest = ~np.isin(np.arange(n_all), members)
    print(f"ratings {note.size:,}  raters {n_all:,}  notes {args.notes:,}")
    print(f"bursts {result.n_bursts:,}  coordinated pairs {result.n_pairs:,}")
    print(
        f"brigade members coordinated {int(result.coordinated[members].sum())}/{members.size}"
        f"  honest raters coordinated {int(result.coordinated[honest].sum())}"
    )
    attack = np.zeros(note.size, dtype=np.bool_)
    attack[n:] = True
    print(
        f"attack ratings flagged {int(result.flagged[attack].sum())}/{int(attack.sum())}"
        f"  honest ratings flagged {int(result.flagged[~attack].sum())}"
    )
    print(f"wall {wall:.2f} s  cpu {cpu:.2f} s")


if __name__ == "__main__":
    main()
