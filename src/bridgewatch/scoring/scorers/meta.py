"""Meta scoring of a roster's results (scoring-multimodel.md §10): the families' coalesced
columns become the chain's inputs."""

from __future__ import annotations

import numpy as np

from bridgewatch.scoring.config import ScoringConfig
from bridgewatch.scoring.final import FinalScoringResult
from bridgewatch.scoring.history import RunStatuses
from bridgewatch.scoring.inputs import CoreInputs
from bridgewatch.scoring.meta import MetaChainInputs, MetaResult, apply_meta_chain, run_statuses
from bridgewatch.scoring.scorers.columns import FamilyColumns
from bridgewatch.scoring.scorers.spec import Family
from bridgewatch.scoring.status import TagCounts

__all__ = ["roster_meta", "roster_meta_inputs"]


def roster_meta_inputs(
    inputs: CoreInputs,
    core: FinalScoringResult,
    families: dict[Family, FamilyColumns],
    tag_counts: TagCounts,
) -> MetaChainInputs:
    """The meta chain's inputs: Core's figures where Core has a row, every other family's
    coalesced columns (missing where no scorer of it has a row), and the input NSH."""
    history = inputs.history
    scored = core.scored

    def core_only(values: np.ndarray) -> np.ndarray:
        return np.where(scored, values, np.nan)

    def present(family: Family) -> FamilyColumns | None:
        cols = families[family]
        return cols if cols.has_row.any() else None

    def status(family: Family) -> np.ndarray | None:
        cols = present(family)
        return None if cols is None else cols.status

    group = present(Family.GROUP)
    multi = present(Family.MULTI_GROUP)
    topic = present(Family.TOPIC)
    expansion = present(Family.EXPANSION)
    return MetaChainInputs(
        previous_status=history.current_status,
        stabilization_ts=history.nmr_due_to_min_stable_crh_ts,
        first_non_nmr_status=history.first_non_nmr_status,
        locked_status=history.locked_status,
        tag_counts=tag_counts,
        core_status=core.rules.status,
        core_intercept=core_only(core.main.intercept),
        core_intercept_population_sampled=core_only(core.intercept_population_sampled),
        population_sampled_neg_count=np.where(scored, core.signs.pop_neg_count, 0),
        population_sampled_pos_count=np.where(scored, core.signs.pop_pos_count, 0),
        core_with_topics_status=status(Family.CORE_WITH_TOPICS),
        expansion_status=None if expansion is None else expansion.status,
        expansion_intercept=None if expansion is None else expansion.intercept,
        expansion_plus_status=status(Family.EXPANSION_PLUS),
        multi_group_status=None if multi is None else multi.status,
        modeling_multi_group=None if multi is None else multi.group,
        group_status=None if group is None else group.status,
        modeling_group=None if group is None else group.group,
        gaussian_status=status(Family.GAUSSIAN),
        gaussian_core_with_topics_status=status(Family.GAUSSIAN_CORE_WITH_TOPICS),
        note_topic=None if topic is None else topic.topic,
        topic_intercept=None if topic is None else topic.intercept,
        topic_factor=None if topic is None else topic.factor,
        topic_confident=None if topic is None else topic.topic_confident,
    )


def roster_meta(
    inputs: CoreInputs,
    core: FinalScoringResult,
    families: dict[Family, FamilyColumns],
    tag_counts: TagCounts,
    as_of_ms: int,
    config: ScoringConfig,
) -> tuple[MetaResult, RunStatuses]:
    """The meta chain over every family's statuses, and the run's NSH columns (§9.3)."""
    chain_inputs = roster_meta_inputs(inputs, core, families, tag_counts)
    result = apply_meta_chain(chain_inputs, as_of_ms, config.meta)
    return result, run_statuses(chain_inputs, result)
