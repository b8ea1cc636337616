"""Rater similarity, opinion groups, polarization, diversity and robustness from the outputs
of `bridgewatch score` (every scorer's intercepts and factors) and the ratings.

Pure functions that return polars frames; ``analyze`` runs them all and ``write_report``
writes the self-contained HTML report and the Parquet tables (`bridgewatch analyze`).
"""

from bridgewatch.analysis.embeddings.axes import AxesConfig, OpinionAxes, fit_opinion_axes
from bridgewatch.analysis.embeddings.diversity import (
    DiversityConfig,
    helpful_share_by_side,
    note_diversity,
    ranking_auc,
    rater_diversity,
)
from bridgewatch.analysis.embeddings.groups import (
    OpinionGroups,
    OpinionGroupsConfig,
    compare_labels,
    opinion_groups,
)
from bridgewatch.analysis.embeddings.polarization import (
    FACTOR_MEASURES,
    GRAPH_MEASURES,
    CrossFitSides,
    PolarizationConfig,
    crossfit_sides,
    factor_measures,
    graph_measures,
    polarization_table,
)
from bridgewatch.analysis.embeddings.ratings import (
    RatingMatrix,
    label_rows,
    note_value_counts,
    rating_matrix,
)
from bridgewatch.analysis.embeddings.robustness import (
    drop_top_raters,
    rating_concentration,
    seed_stability,
    without_raters,
)
from bridgewatch.analysis.embeddings.run import Analysis, AnalysisConfig, analyze
from bridgewatch.analysis.embeddings.similarity import (
    PERSPECTIVE_SPLIT,
    PairCounts,
    corating_neighbours,
    embedding_neighbours,
    group_agreement,
    perspective_buckets,
    rater_sides,
    side_similarity,
)
from bridgewatch.analysis.embeddings.tables import (
    ScoreTables,
    note_embeddings,
    rater_embeddings,
    read_score_tables,
    scorer_factor,
)

__all__ = [
    "FACTOR_MEASURES",
    "GRAPH_MEASURES",
    "PERSPECTIVE_SPLIT",
    "Analysis",
    "AnalysisConfig",
    "AxesConfig",
    "CrossFitSides",
    "DiversityConfig",
    "OpinionAxes",
    "OpinionGroups",
    "OpinionGroupsConfig",
    "PairCounts",
    "PolarizationConfig",
    "RatingMatrix",
    "ScoreTables",
    "analyze",
    "compare_labels",
    "corating_neighbours",
    "crossfit_sides",
    "drop_top_raters",
    "embedding_neighbours",
    "factor_measures",
    "fit_opinion_axes",
    "graph_measures",
    "group_agreement",
    "helpful_share_by_side",
    "label_rows",
    "note_diversity",
    "note_embeddings",
    "note_value_counts",
    "opinion_groups",
    "perspective_buckets",
    "polarization_table",
    "ranking_auc",
    "rater_diversity",
    "rater_embeddings",
    "rater_sides",
    "rating_concentration",
    "rating_matrix",
    "read_score_tables",
    "scorer_factor",
    "seed_stability",
    "side_similarity",
    "without_raters",
]
