"""`bridgewatch validate`: check public data files and print a summary of each."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bridgewatch.errors import InputError
from bridgewatch.io.ratings_stream import rating_value_exprs
from bridgewatch.io.read import ReadResult
from bridgewatch.io.readers import detect_schema, read_file, require_rating_values
from bridgewatch.io.schemas import RATINGS, SCHEMAS

__all__ = ["register", "run"]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `validate` command."""
    parser = subparsers.add_parser(
        "validate",
        help="check public data files (TSV, zip, Parquet, directories of shards)",
        description=(
            "Check each file against its schema (the type is told from the file name, e.g. "
            "notes-00000.tsv, ratings-00003.zip, noteStatusHistory-00000.tsv, "
            "userEnrollment-00000.tsv, batSignals-00000.tsv, scored_notes.tsv, else from the "
            "names of the files in a directory or from the header) and print a summary. "
            "Every row must have the header's number of fields and no NUL byte. Exits 1 "
            "with file, line and field of the first problem in any file."
        ),
    )
    parser.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="file or directory")
    parser.add_argument(
        "--type",
        choices=sorted(SCHEMAS),
        help="file type of every PATH (default: from each file name)",
    )
    parser.add_argument(
        "--lenient", action="store_true", help="skip bad rows and report them instead of failing"
    )
    parser.set_defaults(func=run)


def _ratings_without_value(result: ReadResult) -> int:
    """Ratings rows with neither a helpfulness level nor a legacy helpful/notHelpful 1."""
    value = rating_value_exprs()[0]
    return int(result.frame.select(value.is_null().sum()).item())


def run(args: argparse.Namespace) -> int:
    """Validate every path; 0 if all are good (or lenient), 1 otherwise."""
    failed = 0
    for path in args.paths:
        try:
            if not path.exists():
                raise InputError("no such file or directory", path=path)
            schema = SCHEMAS[args.type] if args.type else detect_schema(path)
            if schema is None:
                raise InputError(
                    "cannot tell the file type from the name or the header; pass --type",
                    path=path,
                )
            result = read_file(path, schema, lenient=args.lenient)
            unvalued = _ratings_without_value(result) if schema is RATINGS else 0
            require_rating_values(
                path, result.frame.height, result.frame.height - unvalued, result.absent
            )
        except InputError as exc:
            failed += 1
            sys.stderr.write(f"bridgewatch validate: error: {exc}\n")
            continue
        present = len(schema.columns) - len(result.absent)
        line = (
            f"{path}: ok, {schema.name}, {result.frame.height} rows, "
            f"{present}/{len(schema.columns)} columns, {len(result.files)} file(s)"
        )
        if result.absent:
            line += f"; absent optional columns: {', '.join(sorted(result.absent))}"
        if unvalued:
            line += f"; {unvalued} ratings have no value (score drops them)"
        if result.skipped:
            first = result.skipped[0]
            line += (
                f"; skipped {len(result.skipped)} bad rows (first: {first.path} line "
                f"{first.line}, field {first.field!r}: {first.reason})"
            )
        sys.stdout.write(line + "\n")
    return 1 if failed else 0
