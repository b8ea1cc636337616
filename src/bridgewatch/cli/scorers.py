"""`bridgewatch scorers`: list the scorer roster and the keywords of `score --scorers`."""

from __future__ import annotations

import argparse
import sys

from bridgewatch.scoring.config import ScoringConfig
from bridgewatch.scoring.scorers import SCORER_KEYWORDS, ScorerSpec, default_roster

__all__ = ["describe", "register", "run"]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `scorers` command."""
    parser = subparsers.add_parser(
        "scorers",
        help="list the scorers of the roster and the --scorers keywords",
        description=(
            "List every scorer of the published algorithm's default run that `bridgewatch "
            "score` runs: its kind, phases, rater scope, capture threshold and the output "
            "columns it writes; then the keywords `score --scorers` accepts."
        ),
    )
    parser.set_defaults(func=run)


def describe(spec: ScorerSpec) -> str:
    """One line about a scorer: name, kind, phases, scope, capture, column family."""
    scope = spec.config.scope
    if scope.single_population:
        raters = "all raters"
    else:
        groups = ",".join(str(g) for g in sorted(scope.modeling_groups))
        raters = f"groups {groups}" + (" + unassigned" if scope.include_unassigned else "")
    notes = (
        f"topic {spec.topic} notes"
        if spec.topic is not None
        else "notes without a topic"
        if spec.exclude_topics
        else "all notes"
    )
    capture = scope.min_capture_share
    phases = "+".join(p for p, on in (("prescoring", spec.prescoring), ("final", spec.final)) if on)
    borrow = f", reads {spec.borrows}'s prescoring" if spec.borrows else ""
    return (
        f"{spec.name:<38} {spec.kind.value:<10} {phases:<18} {spec.family.value + '*':<24} "
        f"{raters}; {notes}; capture {'none' if capture is None else capture}{borrow}"
    )


def run(args: argparse.Namespace) -> int:
    """Print the roster."""
    out = sys.stdout
    out.write(f"{'scorer':<38} {'kind':<10} {'phases':<18} {'columns':<24} scope\n")
    for spec in default_roster(ScoringConfig()):
        out.write(describe(spec) + "\n")
    out.write("\nkeywords of `bridgewatch score --scorers` (comma-separated, with names):\n")
    for keyword, meaning in SCORER_KEYWORDS.items():
        out.write(f"  {keyword:<11} {meaning}\n")
    return 0
