"""Rater reputation by trust propagation over the rater-note graph (personalized PageRank).

``propagate_trust`` is the pure sparse kernel; ``rater_trust`` builds the graph from the
scorer's ratings and seeds it with the prescoring helpfulness. When ``ScoringConfig.trust``
is set, the scorer drops the ratings of raters below ``TrustConfig.min_relative_trust``
before the final fits ("filter" mode) or weights them by ``trust_weights`` in those fits
("weight" mode).
"""

from bridgewatch.scoring.reputation.config import PROVEN_STATES, EstablishmentConfig, TrustConfig
from bridgewatch.scoring.reputation.established import established_raters
from bridgewatch.scoring.reputation.propagate import (
    TrustResult,
    propagate_trust,
    propagate_trust_reference,
)
from bridgewatch.scoring.reputation.raters import (
    RaterTrust,
    rater_trust,
    trust_weights,
    verdict_items,
)

__all__ = [
    "PROVEN_STATES",
    "EstablishmentConfig",
    "RaterTrust",
    "TrustConfig",
    "TrustResult",
    "established_raters",
    "propagate_trust",
    "propagate_trust_reference",
    "rater_trust",
    "trust_weights",
    "verdict_items",
]
