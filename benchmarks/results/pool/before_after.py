"""One attack-bench cell scored defences off, on without thin pools (before) and on with
them (after); prints the summary rows of each and writes them beside this file.

    python benchmarks/results/pool/before_after.py --kind aged-pool --share 6.6 \
        --pool-targets 60 --pool-share 15 --pool-max-overlap 2 --scorers core
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
from pathlib import Path

import polars as pl

from bridgewatch.analysis.attack import (
    STRUCTURE_KINDS,
    AttackBenchConfig,
    CellSpec,
    defence_config,
    run_cell,
    summarize,
    to_markdown,
)
from bridgewatch.scoring.config import ScoringConfig


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--kind", default="aged-pool")
    parser.add_argument("--share", type=float, default=6.6)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--pool-targets", type=int, default=60)
    parser.add_argument("--pool-share", type=float, default=15.0)
    parser.add_argument("--pool-max-overlap", type=int, default=2)
    parser.add_argument("--scorers", default="core")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    bench = AttackBenchConfig(
        shares=(args.share / 100,),
        seeds=(args.seed,),
        kinds=(args.kind,),
        structures=STRUCTURE_KINDS,
        pool_targets=args.pool_targets,
        pool_share=args.pool_share / 100,
        pool_max_overlap=args.pool_max_overlap or None,
        scorers=args.scorers,
    )
    off = ScoringConfig(topics=None)
    after = defence_config(off)
    before = dataclasses.replace(after, thin_pools=None)
    cells = run_cell(bench, CellSpec(args.seed, args.share / 100, args.kind), (off, before, after))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    text = []
    for label, pick in (("before", (0, 1)), ("after", (0, 2))):
        table = summarize([cells[i] for i in pick])
        table.write_csv(out / f"{label}.tsv", separator="\t")
        text.append(f"## {label}\n\n" + to_markdown(table))
    (out / "before_after.md").write_text("\n".join(text))
    print("\n".join(text))
    print(pl.read_csv(out / "after.tsv", separator="\t").columns)


if __name__ == "__main__":
    main()
