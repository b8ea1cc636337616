"""`bridgewatch convert`: convert a public data file between TSV and Parquet."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bridgewatch.errors import InputError
from bridgewatch.io.readers import detect_schema, read_file
from bridgewatch.io.schemas import SCHEMAS
from bridgewatch.io.write import conform, write_parquet, write_tsv

__all__ = ["register", "run"]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `convert` command."""
    parser = subparsers.add_parser(
        "convert",
        help="convert a public data file between TSV and Parquet",
        description=(
            "Read IN (a TSV, a downloaded zip, Parquet, or a directory of shards), validate it "
            "against its schema, and write OUT atomically in the public column order."
        ),
    )
    parser.add_argument("input", type=Path, metavar="IN", help="input file or directory")
    parser.add_argument("output", type=Path, metavar="OUT", help="output file")
    parser.add_argument(
        "--to",
        choices=("parquet", "tsv"),
        help="output format (default: parquet if OUT ends in .parquet, else tsv)",
    )
    parser.add_argument(
        "--type", choices=sorted(SCHEMAS), help="file type of IN (default: from its name)"
    )
    parser.add_argument(
        "--lenient", action="store_true", help="skip bad rows (reported) instead of failing"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Convert; 0 on success (errors propagate as InputError, exit 1)."""
    schema = SCHEMAS[args.type] if args.type else detect_schema(args.input)
    if schema is None:
        raise InputError(
            "cannot tell the file type from the name or the header; pass --type", path=args.input
        )
    result = read_file(args.input, schema, lenient=args.lenient)
    to = args.to or ("parquet" if args.output.suffix == ".parquet" else "tsv")
    frame = conform(result.frame, schema, path=args.output)
    if to == "parquet":
        write_parquet(frame, args.output)
    else:
        write_tsv(frame, args.output)
    sys.stdout.write(
        f"wrote {frame.height} {schema.name} rows to {args.output} ({to})"
        + (f"; skipped {len(result.skipped)} bad rows" if result.skipped else "")
        + "\n"
    )
    return 0
