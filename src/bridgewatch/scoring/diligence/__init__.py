"""Low-diligence reputation model of the Core scorer (scoring-core.md §4.8, §5.4, §6.2 rule 10)."""

from bridgewatch.scoring.diligence.config import DiligenceConfig
from bridgewatch.scoring.diligence.kernels import (
    data_loss_and_grad,
    data_loss_and_grad_reference,
)
from bridgewatch.scoring.diligence.model import (
    LOW_DILIGENCE_TAGS,
    DiligenceFinalResult,
    DiligencePrescoringResult,
    DiligenceState,
    fit_low_diligence_final,
    fit_low_diligence_prescoring,
    low_diligence_targets,
)
from bridgewatch.scoring.diligence.training import RoundStats, train_round, train_round_reference

__all__ = [
    "LOW_DILIGENCE_TAGS",
    "DiligenceConfig",
    "DiligenceFinalResult",
    "DiligencePrescoringResult",
    "DiligenceState",
    "RoundStats",
    "data_loss_and_grad",
    "data_loss_and_grad_reference",
    "fit_low_diligence_final",
    "fit_low_diligence_prescoring",
    "low_diligence_targets",
    "train_round",
    "train_round_reference",
]
