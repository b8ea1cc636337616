"""Rater and author helpfulness: training filter, valid ratings, helpfulness gate (§4.1-§4.10).

The contributor statistics of ``helpfulness_scores.tsv`` (§11.4) are
``bridgewatch.scoring.enrollment``'s; they reuse the valid-rating kernels of this package.
"""

from bridgewatch.scoring.helpfulness.config import (
    HelpfulnessConfig,
    StableInitConfig,
    TrainingFilterConfig,
    ValidRatingsConfig,
)
from bridgewatch.scoring.helpfulness.propensity import IncorrectPropensity, incorrect_propensity
from bridgewatch.scoring.helpfulness.scores import (
    HelpfulnessScores,
    compute_helpfulness_scores,
)
from bridgewatch.scoring.helpfulness.training import filter_ratings_for_training, stable_init_mask
from bridgewatch.scoring.helpfulness.valid import (
    ValidRatingCounts,
    ValidRatings,
    classify_valid_ratings,
    ratings_before_note_status,
)

__all__ = [
    "HelpfulnessConfig",
    "HelpfulnessScores",
    "IncorrectPropensity",
    "StableInitConfig",
    "TrainingFilterConfig",
    "ValidRatingCounts",
    "ValidRatings",
    "ValidRatingsConfig",
    "classify_valid_ratings",
    "compute_helpfulness_scores",
    "filter_ratings_for_training",
    "incorrect_propensity",
    "ratings_before_note_status",
    "stable_init_mask",
]
