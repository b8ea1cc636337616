"""Meta scoring: every scorer's status to the final status (scoring-core.md §9,
scoring-multimodel.md §10). ``apply_meta_chain`` runs the full multi-model chain,
``apply_meta_rules`` a chain of given scorer-model rules (the Core path)."""

from bridgewatch.scoring.meta.chain import (
    MetaChainInputs,
    apply_meta_chain,
    chain_rule_names,
    run_statuses,
)
from bridgewatch.scoring.meta.config import (
    GroupPromotion,
    MetaConfig,
    ModelRulesConfig,
    TopicDemotion,
)
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
    "GroupPromotion",
    "MetaChainInputs",
    "MetaConfig",
    "MetaInputs",
    "MetaResult",
    "ModelRulesConfig",
    "ScorerStatus",
    "StabilizationResult",
    "TopicDemotion",
    "apply_meta_chain",
    "apply_meta_rules",
    "apply_stabilization",
    "chain_rule_names",
    "explain_meta",
    "explanation_tags",
    "run_statuses",
]
