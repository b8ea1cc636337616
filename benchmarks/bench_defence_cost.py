"""What the manipulation defences cost on a community without any attack: honest raters
flagged, honest ratings removed, and the run time and peak memory they add.

Simulates one community (no brigade; optionally the attack bench's honest structures),
writes it, then scores it in two child processes, defences off and on (``with_defences``),
so each peak RSS is that run's alone. Each child loads the files, scores (the whole roster
by default, ``--scorers core`` for the Core path) and audits the defences
(``bridgewatch.analysis.attack_metrics``: every rater here is honest). Prints wall, CPU and
peak RSS per setting, the overheads, and the load average.

    python benchmarks/bench_defence_cost.py --ratings 1000000 --notes 20000
Goals (issue #15): 0 honest raters flagged, defences add <= 25% time and <= 30% peak memory.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bridgewatch.analysis.attack import STRUCTURE_KINDS, AttackBenchConfig
from bridgewatch.sim import SimConfig, write_simulation

CHILD = """
import dataclasses, json, resource, sys, time
args = json.loads(sys.argv[1])
t0 = time.perf_counter()
import numpy as np, polars as pl
from bridgewatch.analysis.attack import score_dataset
from bridgewatch.analysis.attack_metrics import audit_defences, revoked_raters
from bridgewatch.io.dataset import load_dataset
from bridgewatch.scoring.config import ScoringConfig
from bridgewatch.scoring.defences import with_defences
cpu0 = time.process_time(); t1 = time.perf_counter()
data = load_dataset(notes=args["notes"], ratings=args["ratings"], status_history=args["status"],
                    enrollment=args["enrollment"])
config = ScoringConfig() if args["topics"] else ScoringConfig(topics=None)
if args["defences"]:
    config = with_defences(config)
t2 = time.perf_counter(); cpu1 = time.process_time()
result = score_dataset(data, config, args["scorers"])
t3 = time.perf_counter(); cpu2 = time.process_time()
truth = pl.read_csv(args["rater_truth"], separator="\\t")
n = result.inputs.n_participants
ids = np.asarray(truth["participantId"].to_list(), dtype=np.str_)
pos = result.inputs.participant_ids.lookup(ids)
structure = np.zeros(n, dtype=np.bool_)
known = pos >= 0
structure[pos[known]] = truth["structure"].is_not_null().to_numpy()[known]
audit = audit_defences(result, np.zeros(n, dtype=np.bool_), structure)
# Raters whose establishment the defences revoked, by honest structure ("none": outside).
kind = np.full(n, "none", dtype=object)
kind[pos[known]] = np.asarray(truth["structure"].fill_null("none").to_list(), dtype=object)[known]
has = np.zeros(n, dtype=np.bool_)
has[result.inputs.post_pss.rater_idx] = True
lost = revoked_raters(result) & has
names, counts = np.unique(kind[lost].astype(str), return_counts=True)
revoked_by_structure = {str(k): int(c) for k, c in zip(names, counts)}
# Ratings the unexplained test took out of any scorer's view (every rater here is honest).
unexplained = {}
for name, run in (result.roster.runs.items() if result.roster is not None else ()):
    for stage in (run.screening, run.defences):
        found = None if stage is None else stage.unexplained
        if found is not None and found.flagged.any():
            unexplained[name] = unexplained.get(name, 0) + int(found.flagged.sum())
print(json.dumps({"load_s": t2 - t1, "score_s": t3 - t2, "score_cpu_s": cpu2 - cpu1,
                  "total_s": t3 - t1, "total_cpu_s": cpu2 - cpu0,
                  "maxrss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "n_ratings": int(result.inputs.ratings.n_ratings),
                  "unexplained_by_scorer": unexplained,
                  "revoked_by_structure": revoked_by_structure,
                  **dataclasses.asdict(audit)}))
"""


def _child(args: dict[str, object]) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, json.dumps(args)],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ratings", type=int, default=1_000_000)
    parser.add_argument("--notes", type=int, default=20_000)
    parser.add_argument("--raters", type=int, default=0, help="default ratings / 20")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--scorers", choices=("all", "core"), default="all")
    parser.add_argument("--topics", action="store_true", help="score with the topic model")
    parser.add_argument(
        "--structures",
        default="",
        help=f"honest structures of the attack bench to add ({','.join(STRUCTURE_KINDS)})",
    )
    args = parser.parse_args()
    structures = tuple(s for s in args.structures.split(",") if s)
    bench = AttackBenchConfig(structures=structures, n_notes=args.notes)
    config = SimConfig(
        seed=args.seed,
        n_notes=args.notes,
        n_raters=args.raters or max(5_000, args.ratings // 20),
        n_ratings=args.ratings,
        **bench.honest_structures(),  # type: ignore[arg-type]
    )
    with tempfile.TemporaryDirectory(prefix="bw-defcost-") as tmp:
        files = write_simulation(config, Path(tmp) / "sim")
        base = {
            "notes": str(files.notes),
            "ratings": str(files.ratings[0]),
            "status": str(files.note_status_history),
            "enrollment": str(files.user_enrollment),
            "rater_truth": str(files.rater_truth),
            "topics": args.topics,
            "scorers": args.scorers,
        }
        runs = {d: _child({**base, "defences": d}) for d in (False, True)}
    off, on = runs[False], runs[True]
    print(
        f"community: {args.ratings:,} organic ratings ({off['n_ratings']:,} in all), "
        f"{args.notes:,} notes, structures {structures or 'none'}, scorers {args.scorers}, "
        f"no attack"
    )
    for label, r in (("off", off), ("on", on)):
        print(
            f"defences {label}: score {r['score_s']:.1f} s wall, {r['score_cpu_s']:.1f} s CPU; "
            f"load+score {r['total_s']:.1f} s; peak RSS {r['maxrss_mib']:.0f} MiB"
        )
    print(
        f"overhead: wall {100 * (on['score_s'] / off['score_s'] - 1):+.0f}%, "
        f"CPU {100 * (on['score_cpu_s'] / off['score_cpu_s'] - 1):+.0f}%, "
        f"peak RSS {100 * (on['maxrss_mib'] / off['maxrss_mib'] - 1):+.0f}%"
    )
    print(
        f"honest raters flagged: {on['honest_flagged']:,} ({on['structure_flagged']:,} in "
        f"structures); honest ratings removed: {on['honest_removed']:,} of "
        f"{on['honest_ratings']:,} in Core's scope "
        f"({100 * on['honest_removed'] / max(on['honest_ratings'], 1):.3f}%), "
        f"down-weighted {on['honest_down_weighted']:,}"
    )
    revoked = on.get("revoked_by_structure") or {}
    print(
        f"honest raters whose establishment the defences revoked: {on['honest_revoked']:,} "
        "(" + (", ".join(f"{k} {v}" for k, v in sorted(revoked.items())) or "none") + "); "
        f"flagged, revoked or a rating removed in any scorer: {on['honest_flagged_any']:,} "
        f"({on['structure_flagged_any']:,} in structures); honest ratings removed in any "
        f"scorer: {on['honest_removed_any']:,} of {on['honest_ratings_any']:,}"
    )
    by_scorer = on.get("unexplained_by_scorer") or {}
    print(
        "honest ratings flagged as unexplained, by scorer (screening and final fits): "
        + (", ".join(f"{k} {v}" for k, v in sorted(by_scorer.items())) or "none")
    )
    print(f"cores {os.cpu_count()}, load average {os.getloadavg()}")


if __name__ == "__main__":
    main()
