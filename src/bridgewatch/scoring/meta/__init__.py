"""Meta scoring for the Core path: scorer statuses to the final status (scoring-core.md §9)."""

from bridgewatch.scoring.meta.config import MetaConfig
from bridgewatch.scoring.meta.explain import explain_meta
from bridgewatch.scoring.meta.explanation import (
    ALL_TAGS,
    HELPFUL_TIE_BREAK,
    NOT_HELPFUL_TIE_BREAK,
    ExplanationTags,
    explanation_tags,
)
from bridgewatch.scoring.meta.rules import (
    META_INITIAL_NMR,
    MetaInputs,
    MetaResult,
    ScorerStatus,
    apply_meta_rules,
)
from bridgewatch.scoring.meta.stabilization import StabilizationResult, apply_stabilization

__all__ = [
    "ALL_TAGS",
    "HELPFUL_TIE_BREAK",
    "META_INITIAL_NMR",
    "NOT_HELPFUL_TIE_BREAK",
    "ExplanationTags",
    "MetaConfig",
    "MetaInputs",
    "MetaResult",
    "ScorerStatus",
    "StabilizationResult",
    "apply_meta_rules",
    "apply_stabilization",
    "explain_meta",
    "explanation_tags",
]
