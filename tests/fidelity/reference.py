"""Loading the fixtures' reference outputs and inputs into arrays for fidelity tests.

A minimal reader for tests only (the io package owns the real readers): TSV by header, all
strings, ratings mapped to ``Ratings`` with the note index of ``scored_notes.tsv``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from numpy.typing import NDArray

from bridgewatch.model import IdIndex, Ratings
from bridgewatch.model.columns import HELPFUL_TAGS, NOT_HELPFUL_TAGS

FIXTURES = Path("/work/shared/fixtures")
CORE_GROUPS = [1, 2, 3, 6, 8, 9, 10, 11, 13, 14, 19, 21, 25]  # scoring-core.md §2.4


def read(path: Path) -> pl.DataFrame:
    """A reference TSV with every column as a string."""
    if not path.exists():
        pytest.skip("fixtures not available")
    return pl.read_csv(path, separator="\t", infer_schema=False, quote_char=None)


def floats(series: pl.Series) -> NDArray[np.float64]:
    """Numbers of a string column, NaN for empty fields."""
    return series.cast(pl.Float64, strict=False).fill_null(np.nan).to_numpy()


def ints(series: pl.Series) -> NDArray[np.int64]:
    """Integers of a string column without empty fields."""
    return series.cast(pl.Int64).to_numpy()


def _bits(frame: pl.DataFrame, tags: tuple[str, ...]) -> NDArray[np.uint16]:
    expr = pl.lit(0, pl.UInt16)
    for k, tag in enumerate(tags):
        expr = expr | (pl.col(tag).cast(pl.UInt16).fill_null(0) * (1 << k)).cast(pl.UInt16)
    return frame.select(expr.alias("bits"))["bits"].to_numpy().astype(np.uint16)


@dataclass(frozen=True)
class CoreRun:
    """A fixture's run-2 reference outputs and the inputs needed around them.

    Attributes
    ----------
    scored, aux, helpfulness : reference output frames (aux aligned to ``scored`` rows).
    ratings : all ratings, note index = rows of ``scored``.
    scoped : Core-scope ratings (rater groups of §2.4, absent raters kept, topic notes out).
    rater_factor : float64 (n_participants,), ``coreRaterFactor1`` of raters above the
        helpfulness threshold, NaN for everyone else.
    previous_status_frame : run-1 NSH aligned to ``scored`` rows.
    """

    scored: pl.DataFrame
    aux: pl.DataFrame
    helpfulness: pl.DataFrame
    ratings: Ratings
    scoped: Ratings
    rater_factor: NDArray[np.float64]
    previous_nsh: pl.DataFrame


def load_core_run(fixture: str) -> CoreRun:
    """Load ``fixture``'s inputs and ``reference/run2`` outputs."""
    root = FIXTURES / fixture
    scored = read(root / "reference/run2/scored_notes.tsv")
    order = scored.select("noteId")
    aux = order.join(read(root / "reference/run2/aux_note_info.tsv"), on="noteId", how="left")
    hs = read(root / "reference/run2/helpfulness_scores.tsv")
    raw = read(root / "input/ratings-00000.tsv")
    enrollment = read(root / "input/userEnrollment-00000.tsv")
    notes = IdIndex(np.array(scored["noteId"].to_list()))
    parts = IdIndex.from_values(
        np.array(raw["raterParticipantId"].to_list()), np.array(hs["raterParticipantId"].to_list())
    )
    level = raw["helpfulnessLevel"].replace_strict(
        {"HELPFUL": 1.0, "SOMEWHAT_HELPFUL": 0.5, "NOT_HELPFUL": 0.0}, return_dtype=pl.Float32
    )
    ratings = Ratings(
        note_idx=notes.lookup(np.array(raw["noteId"].to_list())),
        rater_idx=parts.lookup(np.array(raw["raterParticipantId"].to_list())),
        helpful_num=level.to_numpy().astype(np.float32),
        helpfulness_level=np.full(raw.height, -1, np.int8),
        created_at_ms=ints(raw["createdAtMillis"]),
        helpful_tags=_bits(raw, HELPFUL_TAGS),
        not_helpful_tags=_bits(raw, NOT_HELPFUL_TAGS),
        population_sampled=(raw["ratingSourceBucketed"] == "POPULATION_SAMPLED")
        .to_numpy()
        .astype(np.bool_),
        note_ids=notes,
        participant_ids=parts,
    )
    enrolled = parts.lookup(np.array(enrollment["participantId"].to_list()))
    in_scope = np.ones(len(parts), dtype=np.bool_)
    groups = floats(enrollment["modelingGroup"])
    in_scope[enrolled[enrolled >= 0]] = np.isin(groups[enrolled >= 0], CORE_GROUPS)
    topic = (scored["noteTopic"].fill_null("") != "").to_numpy().astype(np.bool_)
    scoped = ratings.subset(~topic[ratings.note_idx] & in_scope[ratings.rater_idx])
    rater_factor = np.full(len(parts), np.nan)
    above = (hs["aboveHelpfulnessThreshold"] == "True").fill_null(False).to_numpy().astype(bool)
    rows = parts.lookup(np.array(hs["raterParticipantId"].to_list()))
    rater_factor[rows[above]] = floats(hs["coreRaterFactor1"])[above]
    previous = order.join(
        read(root / "reference/run1/note_status_history.tsv"),
        on="noteId",
        how="left",
        maintain_order="left",
    )
    return CoreRun(scored, aux, hs, ratings, scoped, rater_factor, previous)
