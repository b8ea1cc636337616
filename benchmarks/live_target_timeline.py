"""When each rating of an attack target arrives in the live attack replay, and whose it is.

Simulates the community of ``bench_live_attack.py`` (same defaults) for one kind and seed,
computes the replay's stream start (``cut``) the same way, and prints one line per rating of
each note given (minutes into the stream, member or honest, verdict). Shows whether a
target had any rating before its brigade struck (a reference a per-note test could use).

    python benchmarks/live_target_timeline.py --kind aged --seed 1 NOTE_ID [NOTE_ID ...]
"""

from __future__ import annotations

import argparse

import polars as pl

from bridgewatch.analysis.attack import AttackBenchConfig
from bridgewatch.sim import simulate
from bridgewatch.sim.config import BrigadeGoal


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notes", nargs="+")
    parser.add_argument("--kind", default="aged")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--members", type=int, default=20)
    parser.add_argument("--stream-days", type=float, default=2.0)
    args = parser.parse_args()
    bench = AttackBenchConfig(
        n_notes=300,
        n_raters=600,
        n_ratings=9000,
        days=10.0,
        fresh_age_days=min(args.stream_days + 1.0, 10.0),
    )
    sim = bench.community(
        args.seed, 0.0, args.kind, members=args.members, goals=(BrigadeGoal.PROMOTE,)
    )
    community = simulate(sim)
    ratings = community.ratings.with_columns(
        pl.col("noteId").cast(pl.String), pl.col("raterParticipantId").cast(pl.String)
    )
    members = set(
        community.rater_truth.filter(pl.col("brigadeId") >= 0)["participantId"]
        .cast(pl.String)
        .to_list()
    )
    truth = community.note_truth.with_columns(pl.col("noteId").cast(pl.String))
    targets = set(truth.filter(pl.col("attackTarget"))["noteId"].to_list())
    end = int(ratings["createdAtMillis"].max())  # type: ignore[arg-type]
    cut = end - int(args.stream_days * 86_400_000)
    attack = ratings.filter(
        pl.col("raterParticipantId").is_in(list(members)) & pl.col("noteId").is_in(list(targets))
    )
    if attack.height:
        cut = min(cut, int(attack["createdAtMillis"].min()) - 3_600_000)  # type: ignore[arg-type]
    for note in args.notes:
        row = truth.filter(pl.col("noteId") == note).row(0, named=True)
        print(
            f"note {note}: target {row['attackTarget']}, quality {row['quality']:+.2f}, "
            f"slant {row['slant']:+.2f}, one-sided {row['oneSided']}"
        )
        for r in (
            ratings.filter(pl.col("noteId") == note).sort("createdAtMillis").iter_rows(named=True)
        ):
            who = "member" if r["raterParticipantId"] in members else "honest"
            print(
                f"    {(r['createdAtMillis'] - cut) / 60_000:7.0f} min  {who}  "
                f"{r['helpfulnessLevel']}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
