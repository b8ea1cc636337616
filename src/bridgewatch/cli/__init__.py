"""The `bridgewatch` command line: one module per command, each with `register(subparsers)`.

Commands are imported lazily so that `bridgewatch --help` stays fast. A command module
exposes ``register(subparsers) -> None`` which adds its parser and sets ``func`` to a callable
taking the parsed namespace and returning the exit code.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from bridgewatch import __version__
from bridgewatch.errors import BridgewatchError

__all__ = ["build_parser", "main"]

# One entry per command module under bridgewatch.cli; keep sorted.
_COMMAND_MODULES: tuple[str, ...] = (
    "analyze",
    "apikey",
    "attack_bench",
    "convert",
    "db",
    "demo",
    "explain",
    "export",
    "import_dump",
    "info",
    "score",
    "scorers",
    "serve",
    "simulate",
    "validate",
    "worker",
)

# Command name and one-line help per module, so that a run imports only the module of the
# command it runs (the others pull in numba, polars, scipy, FastAPI, ...: seconds of start-up).
# A module missing here is imported eagerly, which is slower but still correct.
_COMMAND_HELP: dict[str, tuple[str, str]] = {
    "analyze": ("analyze", "rater similarity, polarization and diversity report of a scoring run"),
    "apikey": ("apikey", "create or revoke API keys"),
    "attack_bench": ("attack-bench", "simulate brigades and score with the defences off and on"),
    "convert": ("convert", "convert a public data file between TSV and Parquet"),
    "db": ("db", "manage the service database"),
    "demo": ("demo", "simulate a community and serve the web app"),
    "explain": ("explain", "print which rule decided a note's status, with its figures"),
    "export": ("export", "export the public data files"),
    "import_dump": ("import", "load a public data dump into the database"),
    "info": ("info", "print the version and algorithm"),
    "score": ("score", "score notes from the public TSV files"),
    "scorers": ("scorers", "list the scorers of the roster and the --scorers keywords"),
    "serve": ("serve", "run the HTTP API (OpenAPI at /docs)"),
    "simulate": ("simulate", "write a synthetic community (public TSV format + ground truth)"),
    "validate": (
        "validate",
        "check public data files (TSV, zip, Parquet, directories of shards)",
    ),
    "worker": ("worker", "real-time scoring from the event log"),
}

_log = logging.getLogger(__name__)


def _requested_command(argv: Sequence[str]) -> str | None:
    """The sub-command named in ``argv`` (the first word that is not a global option)."""
    for word in argv:
        if word in ("-v", "--verbose") or (word.startswith("-v") and set(word[1:]) == {"v"}):
            continue
        return None if word.startswith("-") else word
    return None


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """Build the top-level parser.

    With ``argv``, only the module of the command that ``argv`` names is imported; every other
    command gets a light parser that lists it in ``--help``. Without it, every command module
    is imported and registered in full.
    """
    parser = argparse.ArgumentParser(
        prog="bridgewatch",
        description="Crowdsourced context notes scored by bridging matrix factorization.",
    )
    parser.add_argument("--version", action="version", version=f"bridgewatch {__version__}")
    parser.add_argument(
        "-v", "--verbose", action="count", default=0, help="more log output (repeat for debug)"
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    wanted = _requested_command(argv) if argv is not None else None
    for name in _COMMAND_MODULES:
        known = _COMMAND_HELP.get(name)
        if argv is None or known is None or known[0] == wanted:
            module = importlib.import_module(f"bridgewatch.cli.{name}")
            module.register(subparsers)
        else:
            subparsers.add_parser(known[0], help=known[1])
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the process exit code."""
    words = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(words)
    args = parser.parse_args(words)
    level = logging.WARNING - 10 * min(args.verbose, 2) if args.verbose else logging.INFO
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        code: int = args.func(args)
    except BridgewatchError as exc:
        sys.stderr.write(f"bridgewatch {args.command}: error: {exc}\n")
        return 1
    return code


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
