"""`bridgewatch explain`: why a note has its status, from a scoring run's output directory."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import polars as pl

from bridgewatch.errors import InputError, NotFoundError
from bridgewatch.pipeline.batch import CORE_RULES_FILE, EXPLANATIONS_FILE, SCORER_RULES_DIR
from bridgewatch.scoring.explain import render_note_explanation, render_scorer_rules
from bridgewatch.scoring.trace_store import load_note_rules

__all__ = ["register", "run"]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `explain` command."""
    parser = subparsers.add_parser(
        "explain",
        help="print which rule decided a note's status, with its figures",
        description=(
            "Read the per-note rule trace that `bridgewatch score` writes "
            f"({EXPLANATIONS_FILE}, {CORE_RULES_FILE}, {SCORER_RULES_DIR}/) and print the "
            "meta rule that decided NOTE_ID's status, then every scorer that scored the "
            "note: its status, intercept, factor and rule figures."
        ),
    )
    parser.add_argument("note_id", metavar="NOTE_ID", help="the note id")
    parser.add_argument(
        "--scores", required=True, metavar="DIR", help="output directory of `bridgewatch score`"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print the explanation of one note."""
    path = Path(args.scores) / EXPLANATIONS_FILE
    if not path.is_file():
        raise InputError(f"no {EXPLANATIONS_FILE} here; run `bridgewatch score` first", path=path)
    rows = pl.scan_parquet(path).filter(pl.col("noteId") == str(args.note_id)).collect().to_dicts()
    if not rows:
        raise NotFoundError(f"note {args.note_id} is not in {path}")
    rules = load_note_rules(Path(args.scores) / CORE_RULES_FILE, str(args.note_id))
    trace = rules.explain(0) if rules is not None else None
    sys.stdout.write(render_note_explanation(rows[0], trace) + "\n")
    scorer_dir = Path(args.scores) / SCORER_RULES_DIR
    for path in sorted(scorer_dir.glob("*.npz")) if scorer_dir.is_dir() else []:
        other = load_note_rules(path, str(args.note_id))
        if other is None:
            continue
        sys.stdout.write(render_scorer_rules(path.stem, other) + "\n")
    return 0
