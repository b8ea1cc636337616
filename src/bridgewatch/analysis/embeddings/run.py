"""The whole analysis of one scoring run: every table the report plots, as polars frames.

``analyze`` composes the modules of this package; ``bridgewatch analyze`` reads the files,
calls it and writes the report (:mod:`bridgewatch.analysis.embeddings.report`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
import polars as pl
from numpy.typing import NDArray

from bridgewatch.analysis.embeddings.diversity import (
    DiversityConfig,
    helpful_share_by_side,
    note_diversity,
    rater_diversity,
)
from bridgewatch.analysis.embeddings.groups import (
    OpinionGroups,
    OpinionGroupsConfig,
    compare_labels,
    opinion_groups,
)
from bridgewatch.analysis.embeddings.polarization import (
    PolarizationConfig,
    factor_measures,
    polarization_table,
)
from bridgewatch.analysis.embeddings.ratings import RatingMatrix, label_rows, note_value_counts
from bridgewatch.analysis.embeddings.robustness import rating_concentration
from bridgewatch.analysis.embeddings.similarity import (
    corating_neighbours,
    embedding_neighbours,
    group_agreement,
    rater_sides,
    side_similarity,
)
from bridgewatch.analysis.embeddings.tables import (
    ScoreTables,
    note_embeddings,
    rater_embeddings,
    scorer_factor,
)
from bridgewatch.errors import ConfigError

__all__ = ["Analysis", "AnalysisConfig", "analyze"]

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AnalysisConfig:
    """Settings of the whole analysis.

    Parameters
    ----------
    scorer : the scorer whose rater factor defines the sides (``core``, ``expansion``, ...).
    neighbours_k : nearest neighbours per rater (embedding and co-rating).
    corating_queries : raters (sampled with ``seed`` among those the opinion groups place)
        whose co-rating neighbours are computed; 0 for none. The cost grows with it.
    embedding_queries : raters (sampled with ``seed``) whose embedding neighbours are listed
        when there are more (a k-d tree query per rater: 50 s at 500k raters on this machine).
    seed : seed of those samples.
    polarization, groups, diversity : the parts' own settings.
    """

    scorer: str = "core"
    neighbours_k: int = 10
    corating_queries: int = 1000
    embedding_queries: int = 50_000
    seed: int = 0
    polarization: PolarizationConfig = field(default_factory=PolarizationConfig)
    groups: OpinionGroupsConfig = field(default_factory=OpinionGroupsConfig)
    diversity: DiversityConfig = field(default_factory=DiversityConfig)

    def __post_init__(self) -> None:
        if self.neighbours_k < 1:
            raise ConfigError("neighbours_k", self.neighbours_k, "an integer >= 1")
        if self.embedding_queries < 1:
            raise ConfigError("embedding_queries", self.embedding_queries, "an integer >= 1")
        if self.corating_queries < 0:
            raise ConfigError("corating_queries", self.corating_queries, "an integer >= 0")


@dataclass(frozen=True)
class Analysis:
    """Every table of the analysis (ratings-based ones are None without ratings).

    Parameters
    ----------
    scorer : the scorer that defines the sides.
    rater_embeddings, note_embeddings : long frames of every scorer's embeddings.
    embedding_neighbours : nearest raters in the scorer's (intercept, factor) plane.
    polarization : measures for the run (and per month, with ratings) with intervals.
    corating_neighbours : most agreeing raters of the sampled query raters.
    side_similarity : agreement rates within and between sides.
    opinion_groups : the opinion map and its groups.
    group_comparison : ``reference`` (``factorSide``, ``modelingGroup``), ``ari`` and the
        crosstab of groups against it.
    group_similarity : agreement rates between and within opinion groups.
    note_diversity, rater_diversity : per-note and per-rater diversity (``note_diversity``
        with the run's ``finalStatus``).
    helpful_share : HELPFUL share by rater bucket and note bucket.
    concentration : rating concentration.
    robustness : seed-stability and drop-top-raters comparisons (``seed_stability``,
        ``drop_top_raters``), set by the caller who paid for the re-scores.
    """

    scorer: str
    rater_embeddings: pl.DataFrame
    note_embeddings: pl.DataFrame
    embedding_neighbours: pl.DataFrame
    polarization: pl.DataFrame
    corating_neighbours: pl.DataFrame | None = None
    side_similarity: pl.DataFrame | None = None
    opinion_groups: OpinionGroups | None = None
    group_comparison: pl.DataFrame | None = None
    group_similarity: pl.DataFrame | None = None
    note_diversity: pl.DataFrame | None = None
    rater_diversity: pl.DataFrame | None = None
    helpful_share: pl.DataFrame | None = None
    concentration: pl.DataFrame | None = None
    robustness: pl.DataFrame | None = None

    def tables(self) -> dict[str, pl.DataFrame]:
        """Every table that is present, by file stem."""
        out: dict[str, pl.DataFrame] = {
            "rater_embeddings": self.rater_embeddings,
            "note_embeddings": self.note_embeddings,
            "embedding_neighbours": self.embedding_neighbours,
            "polarization": self.polarization,
        }
        optional: dict[str, pl.DataFrame | None] = {
            "corating_neighbours": self.corating_neighbours,
            "side_similarity": self.side_similarity,
            "opinion_groups": None if self.opinion_groups is None else self.opinion_groups.raters,
            "opinion_group_silhouettes": (
                None if self.opinion_groups is None else self.opinion_groups.silhouettes
            ),
            "group_comparison": self.group_comparison,
            "group_similarity": self.group_similarity,
            "note_diversity": self.note_diversity,
            "rater_diversity": self.rater_diversity,
            "helpful_share": self.helpful_share,
            "concentration": self.concentration,
            "robustness": self.robustness,
        }
        out.update({k: v for k, v in optional.items() if v is not None})
        return out


def _factor_only_polarization(factors: NDArray[np.float64]) -> pl.DataFrame:
    got = factor_measures(factors)
    n = int(np.isfinite(factors).sum())
    return pl.DataFrame(
        {
            "scope": ["all"] * len(got),
            "measure": list(got),
            "value": list(got.values()),
            "ciLow": [float("nan")] * len(got),
            "ciHigh": [float("nan")] * len(got),
            "n": [n] * len(got),
        },
        schema={
            "scope": pl.String,
            "measure": pl.String,
            "value": pl.Float64,
            "ciLow": pl.Float64,
            "ciHigh": pl.Float64,
            "n": pl.Int64,
        },
    )


def _group_similarity(matrix: RatingMatrix, groups: OpinionGroups) -> pl.DataFrame:
    labels = groups.labels_for(matrix.rater_ids)
    pc = group_agreement(note_value_counts(matrix, labels, groups.k))
    rates = pc.rates()
    a, b = np.meshgrid(np.arange(groups.k), np.arange(groups.k), indexing="ij")
    return pl.DataFrame(
        {
            "groupA": a.ravel(),
            "groupB": b.ravel(),
            "pairs": pc.pairs.ravel(),
            "agreementRate": rates.ravel(),
        }
    )


def _group_comparison(
    matrix: RatingMatrix,
    groups: OpinionGroups,
    factors: NDArray[np.float64],
    helpfulness_scores: pl.DataFrame,
) -> pl.DataFrame:
    labels = groups.labels_for(matrix.rater_ids)
    parts = [
        compare_labels("group", labels, "label", rater_sides(factors)).with_columns(
            pl.lit("factorSide").alias("reference")
        )
    ]
    if "modelingGroup" in helpfulness_scores.columns:
        mg = label_rows(matrix.rater_ids, helpfulness_scores, "raterParticipantId", "modelingGroup")
        mg_labels = np.where(np.isfinite(mg), mg, -1).astype(np.int64)
        if (mg_labels >= 0).any():
            parts.append(
                compare_labels("group", labels, "label", mg_labels).with_columns(
                    pl.lit("modelingGroup").alias("reference")
                )
            )
    return pl.concat(parts).select("reference", "ari", "group", "label", "raters")


def _with_final_status(diversity: pl.DataFrame, scored_notes: pl.DataFrame) -> pl.DataFrame:
    """Join ``finalRatingStatus`` (the roster's decision) as ``finalStatus``."""
    if "finalRatingStatus" not in scored_notes.columns:
        return diversity.with_columns(pl.lit(None, dtype=pl.String).alias("finalStatus"))
    final = scored_notes.select(
        pl.col("noteId").cast(pl.String),
        pl.col("finalRatingStatus").cast(pl.String).alias("finalStatus"),
    )
    return diversity.join(final, on="noteId", how="left", maintain_order="left")


def analyze(
    tables: ScoreTables,
    matrix: RatingMatrix | None = None,
    config: AnalysisConfig | None = None,
) -> Analysis:
    """Run every part of the analysis.

    Parameters
    ----------
    tables : ``scored_notes`` and ``helpfulness_scores`` of a `score` run.
    matrix : the run's ratings (``rating_matrix(load_dataset(...).ratings)``); without them
        only the embedding tables, embedding neighbours and factor measures are computed.
    config : settings.

    Raises
    ------
    InputError
        ``config.scorer`` has no rater factors in ``tables``.
    """
    cfg = config or AnalysisConfig()
    raters = rater_embeddings(tables.helpfulness_scores)
    notes = note_embeddings(tables.scored_notes)
    scorer_raters = scorer_factor(raters, cfg.scorer, "raterParticipantId")
    neighbours = embedding_neighbours(
        scorer_raters, k=cfg.neighbours_k, max_queries=cfg.embedding_queries, seed=cfg.seed
    )
    if matrix is None:
        return Analysis(
            scorer=cfg.scorer,
            rater_embeddings=raters,
            note_embeddings=notes,
            embedding_neighbours=neighbours,
            polarization=_factor_only_polarization(scorer_raters["factor"].to_numpy()),
        )
    factors = label_rows(matrix.rater_ids, scorer_raters, "raterParticipantId", "factor")
    scorer_notes = notes.filter(pl.col("scorer") == cfg.scorer).drop("scorer")
    note_factors = label_rows(matrix.note_ids, scorer_notes, "noteId", "factor")
    try:
        groups: OpinionGroups | None = opinion_groups(matrix, cfg.groups)
    except ConfigError as exc:
        # A community too small to cluster still gets every other table.
        _log.warning("no opinion groups: %s", exc)
        groups = None
    rng = np.random.default_rng(cfg.seed)
    placed = (
        np.flatnonzero(groups.labels_for(matrix.rater_ids) >= 0)
        if groups is not None
        else np.flatnonzero(matrix.ratings_per_rater() > 0)
    )
    n_query = min(cfg.corating_queries, placed.shape[0])
    queries = np.sort(rng.choice(placed, size=n_query, replace=False)) if n_query else placed[:0]
    return Analysis(
        scorer=cfg.scorer,
        rater_embeddings=raters,
        note_embeddings=notes,
        embedding_neighbours=neighbours,
        polarization=polarization_table(matrix, factors, cfg.polarization),
        corating_neighbours=corating_neighbours(matrix, queries, k=cfg.neighbours_k),
        side_similarity=side_similarity(matrix, rater_sides(factors)),
        opinion_groups=groups,
        group_comparison=(
            None
            if groups is None
            else _group_comparison(matrix, groups, factors, tables.helpfulness_scores)
        ),
        group_similarity=None if groups is None else _group_similarity(matrix, groups),
        note_diversity=_with_final_status(
            note_diversity(matrix, factors, scorer_notes, cfg.diversity), tables.scored_notes
        ),
        rater_diversity=rater_diversity(matrix, factors, note_factors, cfg.diversity.split),
        helpful_share=helpful_share_by_side(matrix, factors, note_factors, cfg.diversity.split),
        concentration=rating_concentration(matrix),
    )
