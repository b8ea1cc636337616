"""Simulated communities scored by Core, for the analysis tests against ground truth."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import polars as pl

from bridgewatch.analysis.embeddings import RatingMatrix, ScoreTables, label_rows, rating_matrix
from bridgewatch.io import load_dataset
from bridgewatch.scoring.config import ScoringConfig
from bridgewatch.scoring.run import default_as_of_ms, score_core
from bridgewatch.sim import SimConfig, simulate, write_community

# 600 raters who rate about 200 of 400 notes each: enough votes per rater for the camps to
# show in the vote matrix (at 20 votes a rater, a sixth of them on slanted notes, they do
# not), small enough to simulate and score in about a second.
DENSE = SimConfig(
    seed=5,
    n_notes=400,
    n_raters=600,
    n_ratings=120_000,
    days=40.0,
    seed_status_history=False,
)


@dataclass(frozen=True)
class ScoredCommunity:
    """A simulated community, its Core scores and its ground truth."""

    tables: ScoreTables
    matrix: RatingMatrix
    rater_truth: pl.DataFrame
    note_truth: pl.DataFrame

    def camps(self) -> np.ndarray:
        """Ground-truth camp of each rater row of ``matrix``: 0 (camp -1), 1 (camp +1)."""
        camp = label_rows(self.matrix.rater_ids, self.rater_truth, "participantId", "camp")
        return np.where(np.isnan(camp), -1, camp > 0).astype(np.int64)


def scored_community(directory: Path, config: SimConfig = DENSE) -> ScoredCommunity:
    """Simulate ``config`` into ``directory``, load it and score it with Core (seed 1)."""
    written = write_community(simulate(config), directory)
    dataset = load_dataset(notes=written.notes, ratings=written.ratings[0])
    result = score_core(
        dataset, replace(ScoringConfig(), topics=None), as_of_ms=default_as_of_ms(dataset), seed=1
    )
    ids = {"participantId": pl.String, "noteId": pl.String}
    return ScoredCommunity(
        tables=ScoreTables(result.scored_notes, result.helpfulness_scores),
        matrix=rating_matrix(dataset.ratings),
        rater_truth=pl.read_csv(written.rater_truth, separator="\t", schema_overrides=ids),
        note_truth=pl.read_csv(written.note_truth, separator="\t", schema_overrides=ids),
    )
