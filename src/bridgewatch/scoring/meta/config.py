"""Thresholds of the meta-scoring rules (scoring-core.md §9, scoring-multimodel.md §10).

``MetaConfig`` holds the Core-path constants; its ``models`` field (``ModelRulesConfig``)
holds those of the multi-model rules (group promotion / demotion, topic demotion,
MultiGroup), which act only where the other scorers supply statuses.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields

from bridgewatch.errors import ConfigError

__all__ = ["GroupPromotion", "MetaConfig", "ModelRulesConfig", "TopicDemotion"]


def _finite(name: str, value: float) -> None:
    if not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ConfigError(name, value, "a finite number")


@dataclass(frozen=True)
class GroupPromotion:
    """One ``GroupModelKK`` promotion rule (scoring-multimodel.md §10.3 steps 7-9a, §10.4).

    Attributes
    ----------
    group : int
        ``modelingGroup`` the rule acts on (rule name ``GroupModel{group:02d}``).
    min_intercept : float
        Safeguard lower bound, strict: the safeguard intercept I must be > this.
    core_max_intercept, expansion_max_intercept : float or None
        Strict upper bound on I when I is Core's (resp. Expansion's) intercept; None = no
        upper bound. The reference uses each model's CRH threshold (0.40) for groups 1-13.
    """

    group: int
    min_intercept: float
    core_max_intercept: float | None = None
    expansion_max_intercept: float | None = None

    def __post_init__(self) -> None:
        if int(self.group) != self.group or self.group < 0:
            raise ConfigError("group", self.group, "an integer >= 0")
        _finite("min_intercept", self.min_intercept)
        for name in ("core_max_intercept", "expansion_max_intercept"):
            value = getattr(self, name)
            if value is not None:
                _finite(name, value)


@dataclass(frozen=True)
class TopicDemotion:
    """One ``TopicModelKK`` demotion rule (scoring-multimodel.md §10.3 step 11).

    A confident note of ``topic`` whose label is CRH or NYH goes to NMR when its topic
    intercept < ``max_intercept`` (strict) or |topic factor| > ``max_abs_factor`` (strict).

    Attributes
    ----------
    topic : int
        Topic id as in the topic enum (1 UkraineConflict ... 5 InDimensionTwo); rule name
        ``TopicModel{topic:02d}``.
    max_intercept, max_abs_factor : float
    """

    topic: int
    max_intercept: float
    max_abs_factor: float

    def __post_init__(self) -> None:
        if int(self.topic) != self.topic or self.topic < 1:
            raise ConfigError("topic", self.topic, "an integer >= 1")
        _finite("max_intercept", self.max_intercept)
        _finite("max_abs_factor", self.max_abs_factor)


def _default_promotions() -> tuple[GroupPromotion, ...]:
    # §10.3 steps 7 (groups 1-13: 0.30 < I < 0.40), 8 (group 14) and 9a (group 33): I > 0.25.
    standard = tuple(GroupPromotion(k, 0.30, 0.40, 0.40) for k in range(1, 14))
    return (*standard, GroupPromotion(14, 0.25), GroupPromotion(33, 0.25))


def _default_topics() -> tuple[TopicDemotion, ...]:
    # §10.3 step 11: topics 1-4 demote below 0.24 / above 0.51, topic 5 below 0.51 / above 1.0.
    return (*(TopicDemotion(t, 0.24, 0.51) for t in range(1, 5)), TopicDemotion(5, 0.51, 1.0))


@dataclass(frozen=True)
class ModelRulesConfig:
    """The multi-model rules of the meta chain, in chain order (scoring-multimodel.md §10.3).

    Attributes
    ----------
    multi_group : int
        ``modelingMultiGroup`` value MultiGroupModel01 acts on (step 6).
    group_promotions : tuple of GroupPromotion
        Steps 7-9a, applied in the order given.
    group_demotions : tuple of int
        Steps 9b-9d: groups whose NMR/CRNH status demotes a CRH/NYH label to NMR
        (``GroupModel{k}NMR``), in order: 33, 18, 15.
    topic_demotions : tuple of TopicDemotion
        Step 11, in order of topic id.
    """

    multi_group: int = 1
    group_promotions: tuple[GroupPromotion, ...] = field(default_factory=_default_promotions)
    group_demotions: tuple[int, ...] = (33, 18, 15)
    topic_demotions: tuple[TopicDemotion, ...] = field(default_factory=_default_topics)

    def __post_init__(self) -> None:
        if int(self.multi_group) != self.multi_group or self.multi_group < 0:
            raise ConfigError("multi_group", self.multi_group, "an integer >= 0")
        promoted = [p.group for p in self.group_promotions]
        if len(set(promoted)) != len(promoted):
            raise ConfigError("group_promotions", promoted, "distinct groups")
        if len(set(self.group_demotions)) != len(self.group_demotions) or any(
            int(g) != g or g < 0 for g in self.group_demotions
        ):
            raise ConfigError("group_demotions", self.group_demotions, "distinct integers >= 0")
        topics = [t.topic for t in self.topic_demotions]
        if len(set(topics)) != len(topics):
            raise ConfigError("topic_demotions", topics, "distinct topics")


@dataclass(frozen=True)
class MetaConfig:
    """Hyperparameters of PopulationSampledIntercept, the stabilization delay and the
    explanation-tag rule. Defaults are the reference's values."""

    # §9.3: min population-sampled ratings (neg + pos) and per factor sign (counts).
    pop_sampled_min_total: int = 8
    pop_sampled_min_per_side: int = 2
    # §9.3: NMR when the population-sampled intercept < this (strict) ...
    pop_sampled_max_intercept: float = 0.30
    # ... and core intercept - population-sampled intercept >= this.
    pop_sampled_min_gap: float = 0.15
    # §9.4: minimum hold, maximum hold for CRH, maximum hold for NYH (minutes).
    min_stable_crh_minutes: float = 30.0
    max_stable_crh_minutes: float = 60.0
    max_stable_nyh_minutes: float = 360.0
    # §9.5: a tag qualifies with >= this many ratings; a status needs >= this many tags.
    min_ratings_to_get_tag: int = 2
    min_tags_needed_for_status: int = 2
    # scoring-multimodel.md §10.3 steps 6-11: the rules of the other scorers.
    models: ModelRulesConfig = field(default_factory=ModelRulesConfig)

    def __post_init__(self) -> None:
        for f in fields(self):
            if f.name == "models":
                continue
            value = getattr(self, f.name)
            if not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
                raise ConfigError(f.name, value, "a finite number >= 0")
        for name in (
            "pop_sampled_min_total",
            "pop_sampled_min_per_side",
            "min_ratings_to_get_tag",
            "min_tags_needed_for_status",
        ):
            if int(getattr(self, name)) != getattr(self, name):
                raise ConfigError(name, getattr(self, name), "an integer >= 0")
        if self.min_tags_needed_for_status > 2:
            raise ConfigError(
                "min_tags_needed_for_status", self.min_tags_needed_for_status, "0, 1 or 2"
            )
        if not self.min_stable_crh_minutes <= self.max_stable_crh_minutes:
            raise ConfigError(
                "max_stable_crh_minutes",
                self.max_stable_crh_minutes,
                f">= min_stable_crh_minutes ({self.min_stable_crh_minutes})",
            )
        if not self.min_stable_crh_minutes <= self.max_stable_nyh_minutes:
            raise ConfigError(
                "max_stable_nyh_minutes",
                self.max_stable_nyh_minutes,
                f">= min_stable_crh_minutes ({self.min_stable_crh_minutes})",
            )
