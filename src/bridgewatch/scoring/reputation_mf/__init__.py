"""The helpfulness-reputation MF of the published Reputation scorer (scoring-multimodel.md
§7): ``coverageNoteIntercept`` / ``coverageNoteFactor1`` / ``coverageRatingStatus`` and
``raterHelpfulnessReputation``.

Not to be confused with ``scoring.reputation``, this project's trust-propagation defence.
"""

from bridgewatch.scoring.reputation_mf.config import ReputationMFConfig
from bridgewatch.scoring.reputation_mf.model import (
    ReputationFinal,
    ReputationState,
    RoundStats,
    fit_reputation_final,
    fit_reputation_prescoring,
    rating_weights,
)

__all__ = [
    "ReputationFinal",
    "ReputationMFConfig",
    "ReputationState",
    "RoundStats",
    "fit_reputation_final",
    "fit_reputation_prescoring",
    "rating_weights",
]
