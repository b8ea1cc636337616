"""The description of one scorer of the roster: data, not a class per scorer.

A scorer is the shared MF pipeline (prescoring and final scoring of scoring-core.md §4-§6)
or the Gaussian aggregation (scoring-multimodel.md §6), run on its own slice of the shared
preprocessed ratings with its own frozen ``ScoringConfig``. Everything that tells the thirty
scorers of the reference apart is a field here (scoring-multimodel.md §1, §2, §8).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from bridgewatch.errors import ConfigError
from bridgewatch.scoring.config import ScoringConfig
from bridgewatch.scoring.gaussian import GaussianConfig
from bridgewatch.scoring.reputation_mf import ReputationMFConfig

__all__ = ["CORE_NAME", "RUN_SEED_SCORERS", "Family", "ScorerKind", "ScorerSpec"]


CORE_NAME = "MFCoreScorer"
"""The Core scorer's name: the scorer every run has."""

RUN_SEED_SCORERS = frozenset(
    {CORE_NAME, "MFCoreWithTopicsScorer", "MFExpansionScorer", "MFExpansionPlusScorer"}
)
"""Scorers whose random numbers come from the run seed itself (``run.scorer_entropy``)."""


class ScorerKind(Enum):
    """How a scorer fits its notes."""

    MF = "mf"
    """The shared MF pipeline: own prescoring, then four note-only MF fits."""
    GAUSSIAN = "gaussian"
    """Gaussian kernel aggregation on a borrowed prescoring (multimodel §6)."""
    REPUTATION = "reputation"
    """The helpfulness-reputation MF of the Reputation scorer (multimodel §7)."""


class Family(Enum):
    """The output column family (prefix) a scorer writes; values are the prefixes."""

    CORE = "core"
    CORE_WITH_TOPICS = "coreWithTopics"
    EXPANSION = "expansion"
    EXPANSION_PLUS = "expansionPlus"
    GROUP = "group"
    MULTI_GROUP = "multiGroup"
    TOPIC = "topic"
    GAUSSIAN = "gaussian"
    GAUSSIAN_CORE_WITH_TOPICS = "gaussianCoreWithTopics"
    COVERAGE = "coverage"


@dataclass(frozen=True)
class ScorerSpec:
    """One scorer of the roster.

    Parameters
    ----------
    name : the reference's scorer name (``get_name``), e.g. ``"MFExpansionScorer"``; also
        the key of its prescoring output.
    kind : MF pipeline, Gaussian aggregation or reputation MF.
    family : the output column family it writes (group, multi-group and topic scorers
        write suffixed columns that are coalesced, multimodel §2.7).
    config : every hyperparameter of its pipeline: rater scope and capture threshold
        (``config.scope``), MF, helpfulness gate, harassment, status rules, pseudo-raters,
        reputation. The preprocessing, topic and defence parts are taken from the run's
        config, not from here.
    prescoring, final : the phases the scorer runs in (MFGroupScorer_15 and
        MFTopicScorer_InDimensionTwo prescore only; the Gaussian scorers only score).
    topic : keep only the notes assigned to this topic id (topic scorers), else None.
    exclude_topics : drop every note with a topic assignment (Core, GaussianScorer).
    strict_inclusion : train only on notes with at least the capture share of in-group
        ratings (group 33, multimodel §2.2 step 4).
    group : the ``modelingGroup`` value written on the scorer's rows (group scorers), or 1
        for ``modelingMultiGroup`` (the multi-group scorer); None elsewhere.
    borrows : name of the MF scorer whose prescoring a Gaussian scorer reads.
    gaussian : the Gaussian aggregation's config (Gaussian scorers only; topic 5 has its
        own CRH bandwidth and no helpfulness gate).
    topic_confidence_min_per_side : a topic note is confident with more than this many
        ratings from raters on each factor side (4; 0 for topic 5, multimodel §5.4).
    reputation_mf : the reputation MF's config (the Reputation scorer only; its scope,
        training filter, stable initialisation and stable-init MF come from ``config``).
    """

    name: str
    kind: ScorerKind
    family: Family
    config: ScoringConfig
    prescoring: bool = True
    final: bool = True
    topic: int | None = None
    exclude_topics: bool = False
    strict_inclusion: bool = False
    group: int | None = None
    borrows: str | None = None
    gaussian: GaussianConfig | None = None
    topic_confidence_min_per_side: int = 4
    reputation_mf: ReputationMFConfig | None = None

    def __post_init__(self) -> None:
        if self.kind is ScorerKind.GAUSSIAN:
            if self.borrows is None:
                raise ConfigError("borrows", None, "the name of an MF scorer to borrow from")
            if self.prescoring:
                raise ConfigError("prescoring", True, "False for a Gaussian scorer")
            if self.gaussian is None:
                raise ConfigError("gaussian", None, "a GaussianConfig for a Gaussian scorer")
        elif self.borrows is not None:
            raise ConfigError("borrows", self.borrows, "None for an MF or Reputation scorer")
        if (self.kind is ScorerKind.REPUTATION) != (self.reputation_mf is not None):
            raise ConfigError(
                "reputation_mf", self.reputation_mf, "set for a Reputation scorer and only there"
            )
        if self.topic is not None and self.exclude_topics:
            raise ConfigError("exclude_topics", True, "False when the scorer keeps one topic")
        if not (self.prescoring or self.final):
            raise ConfigError("final", False, "a scorer that runs in at least one phase")
