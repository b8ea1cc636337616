"""Time the coordinated co-rating detector on synthetic rating arrays, and check it finds a
planted slow brigade without flagging honest raters.

Honest ratings: lognormal note popularity, lognormal rater activity, levels drawn per
rating with a per-note lean (popular notes and prolific raters co-rate a lot by chance).
Planted: one brigade of ``--members`` accounts, each with ``--member-ratings`` honest-looking
ratings, rating ``--targets`` notes HELPFUL (no timing at all). Prints wall and CPU time.

    python benchmarks/bench_co_rating.py --ratings 1000000 --raters 100000 --notes 50000
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np

from bridgewatch.scoring.manipulation import CoRatingConfig, find_co_rating_groups


def _cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ratings", type=int, default=1_000_000)
    parser.add_argument("--raters", type=int, default=100_000)
    parser.add_argument("--notes", type=int, default=50_000)
    parser.add_argument("--members", type=int, default=200)
    parser.add_argument("--member-ratings", type=int, default=40)
    parser.add_argument("--targets", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    popularity = rng.lognormal(0.0, 1.0, args.notes)
    p_note = popularity / popularity.sum()
    activity = rng.lognormal(0.0, 1.0, args.raters)
    n_all = args.raters + args.members
    members = np.arange(args.raters, n_all)
    note = rng.choice(args.notes, size=args.ratings, p=p_note)
    rater = rng.choice(args.raters, size=args.ratings, p=activity / activity.sum())
    m_note = rng.choice(args.notes, size=members.size * args.member_ratings, p=p_note)
    m_rater = np.repeat(members, args.member_ratings)
    targets = rng.choice(args.notes, size=args.targets, replace=False)
    a_note = np.repeat(targets, members.size)
    a_rater = np.tile(members, targets.size)
    lean = rng.random(args.notes)  # each note's share of HELPFUL verdicts
    note = np.concatenate([note, m_note])
    rater = np.concatenate([rater, m_rater])
    levels = np.where(rng.random(note.size) < lean[note], 2, rng.integers(0, 2, note.size))
    # One rating per (rater, note); the attack ratings replace any honest one.
    attack_keys = a_rater.astype(np.int64) * args.notes + a_note
    keys = rater.astype(np.int64) * args.notes + note
    _, first = np.unique(keys, return_index=True)
    keep = np.zeros(keys.size, dtype=np.bool_)
    keep[first] = True
    keep &= ~np.isin(keys, attack_keys)
    n_honest = int(keep.sum())
    note = np.concatenate([note[keep], a_note])
    rater = np.concatenate([rater[keep], a_rater])
    levels = np.concatenate([levels[keep], np.full(a_note.size, 2)])

    wall, cpu = time.perf_counter(), _cpu_s()
    result = find_co_rating_groups(note, rater, levels, n_all, CoRatingConfig())
    wall, cpu = time.perf_counter() - wall, _cpu_s() - cpu
    grouped = result.group >= 0
    print(f"ratings {note.size:,}  raters {n_all:,}  notes {args.notes:,}")
    print(f"coordinated pairs {result.n_pairs:,}  groups {result.n_groups}")
    print(
        f"brigade members grouped {int(grouped[members].sum())}/{members.size}"
        f"  honest raters grouped {int(grouped[: args.raters].sum())}"
    )
    attack = np.zeros(note.size, dtype=np.bool_)
    attack[n_honest:] = True
    print(
        f"attack ratings flagged {int(result.flagged[attack].sum())}/{int(attack.sum())}"
        f"  other ratings flagged {int(result.flagged[~attack].sum())}"
    )
    print(f"wall {wall:.2f} s  cpu {cpu:.2f} s")


if __name__ == "__main__":
    main()
