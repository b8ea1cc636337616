"""Core status rules: per-note aggregates, tag filter, provisional and final statuses.

Implements scoring-core.md §4.3, §4.9, §5.5 and §6.
"""

from bridgewatch.scoring.status.aggregates import (
    SignAggregates,
    TagCounts,
    compute_sign_aggregates,
    count_recent_ratings,
    count_tags,
    sum_tags_per_note,
)
from bridgewatch.scoring.status.config import StatusRulesConfig
from bridgewatch.scoring.status.rules import (
    CORE_RULE_NAMES,
    CoreRuleInputs,
    CoreRulesResult,
    apply_core_rules,
    label_array,
    labels_from_bitmask,
    moved_predicates,
    provisional_statuses,
    update_core_rules,
)
from bridgewatch.scoring.status.tag_filter import (
    IncorrectAggregates,
    TagAggregates,
    TagScale,
    compute_incorrect_aggregates,
    compute_tag_aggregates,
    tag_filter_thresholds,
    tag_scale,
)

__all__ = [
    "CORE_RULE_NAMES",
    "CoreRuleInputs",
    "CoreRulesResult",
    "IncorrectAggregates",
    "SignAggregates",
    "StatusRulesConfig",
    "TagAggregates",
    "TagCounts",
    "TagScale",
    "apply_core_rules",
    "compute_incorrect_aggregates",
    "compute_sign_aggregates",
    "compute_tag_aggregates",
    "count_recent_ratings",
    "count_tags",
    "label_array",
    "labels_from_bitmask",
    "moved_predicates",
    "provisional_statuses",
    "sum_tags_per_note",
    "tag_filter_thresholds",
    "tag_scale",
    "update_core_rules",
]
