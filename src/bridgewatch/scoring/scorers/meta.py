"""Meta scoring of a roster's results (scoring-multimodel.md §10)."""

from __future__ import annotations

from bridgewatch.scoring.config import ScoringConfig
from bridgewatch.scoring.final import FinalScoringResult
from bridgewatch.scoring.inputs import CoreInputs
from bridgewatch.scoring.meta import MetaInputs, MetaResult, ScorerStatus, apply_meta_rules
from bridgewatch.scoring.scorers.columns import FamilyColumns
from bridgewatch.scoring.scorers.spec import Family
from bridgewatch.scoring.status import TagCounts

__all__ = ["roster_meta"]


def roster_meta(
    inputs: CoreInputs,
    core: FinalScoringResult,
    families: dict[Family, FamilyColumns],
    tag_counts: TagCounts,
    as_of_ms: int,
    config: ScoringConfig,
) -> MetaResult:
    """The meta chain over every family's statuses."""
    history = inputs.history
    base = [
        ScorerStatus("ExpansionPlusModel", "v1.1", families[Family.EXPANSION_PLUS].status),
        ScorerStatus("ExpansionModel", "v1.1", families[Family.EXPANSION].status),
        ScorerStatus("CoreWithTopicsModel", "v1.1", families[Family.CORE_WITH_TOPICS].status),
        ScorerStatus("CoreModel", "v1.1", core.rules.status),
    ]
    present = tuple(s for s in base if (s.status >= 0).any() or s.name == "CoreModel")
    return apply_meta_rules(
        MetaInputs(
            scorers=present,
            core_intercept=core.main.intercept,
            core_intercept_population_sampled=core.intercept_population_sampled,
            population_sampled_neg_count=core.signs.pop_neg_count,
            population_sampled_pos_count=core.signs.pop_pos_count,
            previous_status=history.current_status,
            stabilization_ts=history.nmr_due_to_min_stable_crh_ts,
            first_non_nmr_status=history.first_non_nmr_status,
            locked_status=history.locked_status,
            tag_counts=tag_counts,
            has_topic=inputs.note_topic >= 0,
        ),
        as_of_ms,
        config.meta,
    )
