"""`bridgewatch info`: the version and the algorithm this build implements."""

from __future__ import annotations

import argparse
import sys

from bridgewatch import ALGORITHM, __version__


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `info` command."""
    parser = subparsers.add_parser(
        "info", help="print the version and algorithm", description=__doc__
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print the version and the algorithm version."""
    sys.stdout.write(f"bridgewatch {__version__}\nalgorithm: {ALGORITHM}\n")
    return 0
