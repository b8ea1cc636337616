"""Harassment/abuse tag-consensus model of the Core scorer (scoring-core.md §4.5-§4.6)."""

from bridgewatch.scoring.harassment.adam import solve_adam_fast, solve_adam_vectorized
from bridgewatch.scoring.harassment.config import HarassmentConfig
from bridgewatch.scoring.harassment.labels import HarassmentLabels, label_harassment_ratings
from bridgewatch.scoring.harassment.model import (
    HarassmentResult,
    fit_harassment_model,
    rater_harassment_penalties,
    skipped_harassment,
)
from bridgewatch.scoring.harassment.problem import (
    HarassmentParams,
    HarassmentProblem,
    SolverOutcome,
    objective_and_gradient,
)
from bridgewatch.scoring.harassment.reference import solve_adam, solve_lbfgs

__all__ = [
    "HarassmentConfig",
    "HarassmentLabels",
    "HarassmentParams",
    "HarassmentProblem",
    "HarassmentResult",
    "SolverOutcome",
    "fit_harassment_model",
    "label_harassment_ratings",
    "objective_and_gradient",
    "rater_harassment_penalties",
    "skipped_harassment",
    "solve_adam",
    "solve_adam_fast",
    "solve_adam_vectorized",
    "solve_lbfgs",
]
