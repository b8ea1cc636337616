"""The outputs of `bridgewatch score` as long frames of per-scorer embeddings.

Each scorer of the roster writes its own columns into ``scored_notes.tsv`` (notes:
``{scorer}NoteIntercept``, ``{scorer}NoteFactor1``, ``{scorer}RatingStatus``) and
``helpfulness_scores.tsv`` (raters: ``{scorer}RaterIntercept``, ``{scorer}RaterFactor1``);
scoring-core.md §11.1 and §11.4, scoring-multimodel.md for the other scorers' columns. The
functions here find those column pairs by name and stack them into one long frame, so the
rest of the analysis works on any roster (Core alone, or every scorer).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from bridgewatch.errors import InputError
from bridgewatch.io import schemas
from bridgewatch.io.read import read_table
from bridgewatch.io.schema import Schema

__all__ = [
    "ScoreTables",
    "note_embeddings",
    "rater_embeddings",
    "read_score_tables",
    "scorer_factor",
]

_NOTE_INTERCEPT = re.compile(r"^(?P<scorer>[a-z][A-Za-z]*)NoteIntercept$")
_RATER_INTERCEPT = re.compile(r"^(?P<scorer>[a-z][A-Za-z]*)RaterIntercept$")
# Columns the embeddings are read from.
_NOTE_COLUMN = re.compile(r"^[a-z][A-Za-z]*(NoteIntercept|NoteFactor1|RatingStatus)$")
_RATER_COLUMN = re.compile(r"^[a-z][A-Za-z]*(RaterIntercept|RaterFactor1)$")


@dataclass(frozen=True)
class ScoreTables:
    """The two tables of a scoring run the analysis reads.

    Parameters
    ----------
    scored_notes : ``scored_notes.tsv`` (one row per note, every scorer's columns).
    helpfulness_scores : ``helpfulness_scores.tsv`` (one row per participant).
    """

    scored_notes: pl.DataFrame
    helpfulness_scores: pl.DataFrame


def read_score_tables(scores_dir: str | Path) -> ScoreTables:
    """Read ``scored_notes.tsv`` and ``helpfulness_scores.tsv`` from a `score` output dir.

    Raises
    ------
    InputError
        A file is missing (naming it), or a row is bad (file, line and field).
    """
    directory = Path(scores_dir)
    paths = {name: directory / name for name in ("scored_notes.tsv", "helpfulness_scores.tsv")}
    for path in paths.values():
        if not path.is_file():
            raise InputError(
                "missing: the --scores directory must hold the output of `bridgewatch score`",
                path=path,
            )
    # Only the columns the analysis reads: every scorer's embedding and status, the final
    # status and the modeling group (the others are ~3 GB of frames at 2M notes and raters).
    return ScoreTables(
        scored_notes=read_table(
            paths["scored_notes.tsv"],
            schemas.SCORED_NOTES,
            skip_columns=_unused(schemas.SCORED_NOTES, _NOTE_COLUMN, {"finalRatingStatus"}),
        ).frame,
        helpfulness_scores=read_table(
            paths["helpfulness_scores.tsv"],
            schemas.HELPFULNESS_SCORES,
            skip_columns=_unused(schemas.HELPFULNESS_SCORES, _RATER_COLUMN, {"modelingGroup"}),
        ).frame,
    )


def _unused(schema: Schema, used: re.Pattern[str], also: set[str]) -> list[str]:
    """The optional columns of ``schema`` that the analysis does not read."""
    return [
        c.name
        for c in schema.columns
        if not c.required and c.name not in also and used.match(c.name) is None
    ]


def _scorers(columns: list[str], pattern: re.Pattern[str]) -> list[str]:
    return [m["scorer"] for c in columns if (m := pattern.match(c)) is not None]


def _long(frame: pl.DataFrame, id_column: str, kind: str, pattern: re.Pattern[str]) -> pl.DataFrame:
    parts = []
    for scorer in _scorers(frame.columns, pattern):
        factor = f"{scorer}{kind}Factor1"
        status = f"{scorer}RatingStatus"
        has_status = kind == "Note" and status in frame.columns
        part = frame.select(
            pl.col(id_column),
            pl.lit(scorer).alias("scorer"),
            pl.col(f"{scorer}{kind}Intercept").cast(pl.Float64).alias("intercept"),
            (
                pl.col(factor).cast(pl.Float64)
                if factor in frame.columns
                else pl.lit(None, dtype=pl.Float64)
            ).alias("factor"),
            *(
                [
                    (
                        pl.col(status).cast(pl.String)
                        if has_status
                        else pl.lit(None, dtype=pl.String)
                    ).alias("status")
                ]
                if kind == "Note"
                else []
            ),
        )
        parts.append(
            part.filter(pl.col("intercept").is_not_null() & pl.col("intercept").is_not_nan())
        )
    if not parts:
        schema: dict[str, pl.DataType | type[pl.DataType]] = {
            id_column: pl.String,
            "scorer": pl.String,
            "intercept": pl.Float64,
            "factor": pl.Float64,
        }
        if kind == "Note":
            schema["status"] = pl.String
        return pl.DataFrame(schema=schema)
    return pl.concat(parts, how="vertical_relaxed").with_columns(pl.col(id_column).cast(pl.String))


def rater_embeddings(helpfulness_scores: pl.DataFrame) -> pl.DataFrame:
    """Every scorer's rater embedding, one row per (rater, scorer) that has one.

    Returns
    -------
    Columns ``raterParticipantId`` (String), ``scorer`` (String: ``core``, ``expansion``,
    ``group``, ...), ``intercept`` and ``factor`` (Float64; ``factor`` null for an
    intercept-only scorer). Raters the scorer did not fit (null or NaN intercept) are left out.
    """
    return _long(helpfulness_scores, "raterParticipantId", "Rater", _RATER_INTERCEPT)


def note_embeddings(scored_notes: pl.DataFrame) -> pl.DataFrame:
    """Every scorer's note embedding and status, one row per (note, scorer) that has one.

    Returns
    -------
    Columns ``noteId``, ``scorer``, ``intercept``, ``factor`` (as in
    :func:`rater_embeddings`) and ``status`` (that scorer's ``RatingStatus``, null if none).
    """
    return _long(scored_notes, "noteId", "Note", _NOTE_INTERCEPT)


def scorer_factor(embeddings: pl.DataFrame, scorer: str, id_column: str) -> pl.DataFrame:
    """``id_column``, ``intercept`` and ``factor`` of one scorer from a long embedding frame.

    Raises
    ------
    InputError
        The scorer has no rows (names the scorers present).
    """
    rows = embeddings.filter(pl.col("scorer") == scorer).select(id_column, "intercept", "factor")
    if rows.height == 0:
        present = sorted(set(embeddings["scorer"].to_list()))
        raise InputError(
            f"scorer {scorer!r} has no fitted rows; scorers present: {', '.join(present)}",
            field=f"{scorer}Intercept",
        )
    return rows
