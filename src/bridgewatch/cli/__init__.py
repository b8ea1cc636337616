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
    "serve",
    "simulate",
    "validate",
    "worker",
)

_log = logging.getLogger(__name__)


def build_parser() -> argparse.ArgumentParser:
    """Build the top-level parser with every registered sub-command."""
    parser = argparse.ArgumentParser(
        prog="bridgewatch",
        description="Crowdsourced context notes scored by bridging matrix factorization.",
    )
    parser.add_argument("--version", action="version", version=f"bridgewatch {__version__}")
    parser.add_argument(
        "-v", "--verbose", action="count", default=0, help="more log output (repeat for debug)"
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in _COMMAND_MODULES:
        module = importlib.import_module(f"bridgewatch.cli.{name}")
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
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
