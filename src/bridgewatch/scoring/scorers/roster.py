"""The default roster of the published algorithm, as data (scoring-multimodel.md §1, §8).

``default_roster(base)`` derives every scorer's config from the run's Core config ``base``,
changing only what the spec's constant tables say differs from Core; ``select_scorers``
picks a subset by name or by family keyword for ``bridgewatch score --scorers``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from bridgewatch.errors import ConfigError
from bridgewatch.scoring.config import ScoringConfig
from bridgewatch.scoring.gaussian import GaussianConfig
from bridgewatch.scoring.mf import AdamConfig, NormalizedLossConfig
from bridgewatch.scoring.preprocess import CoreScopeConfig
from bridgewatch.scoring.reputation_mf import ReputationMFConfig
from bridgewatch.scoring.scorers.spec import Family, ScorerKind, ScorerSpec
from bridgewatch.scoring.status import StatusRulesConfig

__all__ = [
    "COVERAGE_EXCLUDED_GROUPS",
    "EXPANSION_GROUPS",
    "EXPANSION_PLUS_GROUPS",
    "MULTI_GROUP_1",
    "SCORER_KEYWORDS",
    "core_scorer",
    "default_roster",
    "reputation_scorer",
    "select_scorers",
]

EXPANSION_GROUPS = frozenset({0, 4, 5, 7, 12, 15, 16, 20, 22, 23, 24, 26, 27, 28, 29, 33})
EXPANSION_PLUS_GROUPS = frozenset({17, 18, 30, 31, 32})
MULTI_GROUP_1 = frozenset({4, 5, 7, 12, 26})
# Coverage (Gaussian scorers) = the Core groups without these (multimodel §1.3).
COVERAGE_EXCLUDED_GROUPS = frozenset({21})

# Topic ids of the reference's enum (multimodel §5.1); 5 is InDimensionTwo.
_MF_TOPICS = ((1, "UkraineConflict"), (2, "GazaConflict"), (3, "MessiRonaldo"), (4, "Scams"))
_IN_DIMENSION_TWO = (5, "InDimensionTwo")


def _with(base: ScoringConfig, **parts: Any) -> ScoringConfig:
    """``base`` with sub-configs replaced field by field: ``mf={"x": 1}`` -> replace(mf, x=1)."""
    changes: dict[str, Any] = {}
    for name, value in parts.items():
        if isinstance(value, dict):
            changes[name] = replace(getattr(base, name), **value)
        else:
            changes[name] = value
    return replace(base, **changes)


def _scope(
    groups: frozenset[int], capture: float | None, *, unassigned: bool = True
) -> CoreScopeConfig:
    return CoreScopeConfig(
        modeling_groups=groups, min_capture_share=capture, include_unassigned=unassigned
    )


def _group_base(base: ScoringConfig, groups: frozenset[int], capture: float) -> ScoringConfig:
    """Group and multi-group scorers (§4): in-group raters only, random round-1 start,
    no pseudo-raters, no firm reject."""
    return _with(
        base,
        scope=_scope(groups, capture, unassigned=False),
        use_stable_initialization=False,
        pseudo_raters=False,
        status={"firm_reject": False},
    )


def _gaussian_status(base: StatusRulesConfig) -> StatusRulesConfig:
    """Rules of GaussianScorer and GaussianCoreWithTopicsScorer (§6.1, §8.2)."""
    return replace(
        base,
        crh_threshold=0.51,
        crnh_intercept=-0.5,
        crnh_factor_multiplier=0.0,
        nm_crnh_threshold=-0.6,
        large_factor_threshold=1.0,
        no_high_vol_threshold=0.45,
        no_correlated_threshold=0.45,
        firm_reject=False,
        net_helpful_rules=False,
    )


def core_scorer(base: ScoringConfig) -> ScorerSpec:
    """MFCoreScorer with the run's config (scoring-core.md)."""
    return ScorerSpec("MFCoreScorer", ScorerKind.MF, Family.CORE, base, exclude_topics=True)


def default_roster(base: ScoringConfig | None = None) -> tuple[ScorerSpec, ...]:
    """The reference's default scorers, in its final-phase order (multimodel §1.1-§1.2).

    Parameters
    ----------
    base : the run's config; it is Core's config, and the other scorers' configs are
        derived from it (so a change to, say, ``base.mf.tolerance`` reaches every scorer).

    Returns
    -------
    tuple of ScorerSpec (MFGroupScorer_15 and MFTopicScorer_InDimensionTwo prescore only;
    the Gaussian scorers only score): 30 final and 28 prescoring scorers. The Reputation
    scorer's ``coverage*`` columns are informational (no meta rule reads them, §7).
    """
    base = ScoringConfig() if base is None else base
    core_groups = base.scope.modeling_groups
    single = base.scope.single_population
    coverage = core_groups - COVERAGE_EXCLUDED_GROUPS
    expansion = core_groups | EXPANSION_GROUPS
    expansion_plus = expansion | EXPANSION_PLUS_GROUPS

    def broad(groups: frozenset[int], capture: float | None) -> CoreScopeConfig:
        return replace(_scope(groups, capture), single_population=single)

    no_firm_reject = {"firm_reject": False}
    cwt = _with(base, scope=broad(core_groups, 0.5), status=no_firm_reject)
    exp = _with(base, scope=broad(expansion, 0.5), pseudo_raters=False)
    exp_plus = _with(
        base, scope=broad(expansion_plus, None), pseudo_raters=False, status=no_firm_reject
    )
    gauss = _with(
        base,
        scope=broad(coverage, 0.5),
        pseudo_raters=False,
        status=_gaussian_status(base.status),
    )
    specs: list[ScorerSpec] = [
        ScorerSpec(
            "GaussianScorer",
            ScorerKind.GAUSSIAN,
            Family.GAUSSIAN,
            gauss,
            prescoring=False,
            exclude_topics=True,
            borrows="MFCoreScorer",
            gaussian=GaussianConfig(),
        ),
        ScorerSpec(
            "GaussianCoreWithTopicsScorer",
            ScorerKind.GAUSSIAN,
            Family.GAUSSIAN_CORE_WITH_TOPICS,
            gauss,
            prescoring=False,
            borrows="MFCoreScorer",
            gaussian=GaussianConfig(),
        ),
        _gaussian_group_15(base),
        ScorerSpec("MFCoreWithTopicsScorer", ScorerKind.MF, Family.CORE_WITH_TOPICS, cwt),
        core_scorer(base),
        ScorerSpec("MFExpansionScorer", ScorerKind.MF, Family.EXPANSION, exp),
        ScorerSpec("MFExpansionPlusScorer", ScorerKind.MF, Family.EXPANSION_PLUS, exp_plus),
        reputation_scorer(base),
    ]
    for k in range(13, 0, -1):
        specs.append(
            ScorerSpec(
                f"MFGroupScorer_{k}",
                ScorerKind.MF,
                Family.GROUP,
                _group_base(base, frozenset({k}), 0.8),
                group=k,
            )
        )
    specs += [
        _group_14(base),
        ScorerSpec(
            "MFGroupScorer_33",
            ScorerKind.MF,
            Family.GROUP,
            _group_base(base, frozenset({33}), 0.8),
            group=33,
            strict_inclusion=True,
        ),
        _group_18(base),
        _group_15_prescoring(base),
    ]
    topic_cfg = _topic_base(base)
    for topic_id, name in _MF_TOPICS:
        specs.append(
            ScorerSpec(
                f"MFTopicScorer_{name}", ScorerKind.MF, Family.TOPIC, topic_cfg, topic=topic_id
            )
        )
    specs += list(_in_dimension_two(base))
    specs.append(
        ScorerSpec(
            "MFMultiGroupScorer_1",
            ScorerKind.MF,
            Family.MULTI_GROUP,
            _group_base(base, MULTI_GROUP_1, 0.8),
            group=1,
        )
    )
    return tuple(specs)


def reputation_scorer(base: ScoringConfig) -> ScorerSpec:
    """ReputationScorer (multimodel §7): core groups + unassigned, every note, capture 0.5,
    the run's training filter, stable initialisation and MF config for its group-13 fit."""
    scope = replace(
        _scope(base.scope.modeling_groups, 0.5), single_population=base.scope.single_population
    )
    return ScorerSpec(
        "ReputationScorer",
        ScorerKind.REPUTATION,
        Family.COVERAGE,
        _with(base, scope=scope, pseudo_raters=False),
        reputation_mf=ReputationMFConfig(),
    )


def _group_14(base: ScoringConfig) -> ScorerSpec:
    """MFGroupScorer_14, the "expanded consensus" trial (§4.2)."""
    config = _with(
        _group_base(base, frozenset({14}), 0.51),
        mf={
            "rater_factor_lambda": 0.03 / 4,
            "note_factor_lambda": 0.03 / 3,
            "rater_intercept_lambda": 0.03 * 5,
            "note_intercept_lambda": 0.03 * 30,
            "global_intercept_lambda": 0.03 * 5,
            "diamond_lambda": 0.03 * 25,
            "normalized_loss": NormalizedLossConfig(),
            # Its fits stop where the reference's Adam stops, not at the optimum (§4.2).
            "adam": AdamConfig(learning_rate=0.02, init_learning_rate=0.02),
        },
        helpfulness={"min_mean_note_score": -0.01},
        harassment={
            "min_intercept_to_penalize": 2.5,
            "penalty_per_rating": 10.0,
            "penalty_scales_with_intercept": False,
        },
        status={
            "tag_filter_percentile": 90.0,
            "incorrect_min_tf_idf": 1.5,
            "crh_threshold": 0.15,
            "crnh_intercept": -0.01,
            "crnh_factor_multiplier": 0.0,
            "nm_crnh_threshold": -0.02,
            "low_diligence_threshold": 1000.0,
            "large_factor_threshold": 0.4,
            "no_high_vol_threshold": 0.12,
            "no_correlated_threshold": 0.12,
        },
    )
    return ScorerSpec("MFGroupScorer_14", ScorerKind.MF, Family.GROUP, config, group=14)


def _group_18(base: ScoringConfig) -> ScorerSpec:
    """MFGroupScorer_18, the NMR trial (§4.4)."""
    config = _with(
        _group_base(base, frozenset({18}), 0.51),
        mf={
            "note_intercept_lambda": 0.15,
            "rater_intercept_lambda": 0.03,
            "global_intercept_lambda": 0.0,
        },
        status={
            "crh_threshold": 0.20,
            "no_high_vol_threshold": 0.18,
            "no_correlated_threshold": 0.18,
        },
    )
    return ScorerSpec("MFGroupScorer_18", ScorerKind.MF, Family.GROUP, config, group=18)


def _group_15_prescoring(base: ScoringConfig) -> ScorerSpec:
    """MFGroupScorer_15: prescoring only, read by GaussianGroupScorer_15 (§4.5)."""
    config = _with(
        _group_base(base, frozenset({15}), 0.8),
        mf={
            "note_intercept_lambda": 0.09,
            "rater_intercept_lambda": 0.03,
            "global_intercept_lambda": 0.0,
        },
        status={"crh_threshold": 0.25},
    )
    return ScorerSpec(
        "MFGroupScorer_15", ScorerKind.MF, Family.GROUP, config, final=False, group=15
    )


def _gaussian_group_15(base: ScoringConfig) -> ScorerSpec:
    """GaussianGroupScorer_15 (§4.5): Gaussian on group-15 ratings, demotion only."""
    config = _with(
        _group_base(base, frozenset({15}), 0.8),
        status={"crh_threshold": 0.25, "net_helpful_rules": False},
    )
    return ScorerSpec(
        "GaussianGroupScorer_15",
        ScorerKind.GAUSSIAN,
        Family.GROUP,
        config,
        prescoring=False,
        group=15,
        borrows="MFGroupScorer_15",
        gaussian=GaussianConfig(),
    )


def _topic_base(base: ScoringConfig) -> ScoringConfig:
    """Topic scorers (§5.2): every rater, no capture, no reputation, no net-helpful rules."""
    return _with(
        base,
        scope=CoreScopeConfig(single_population=True, min_capture_share=None),
        use_stable_initialization=False,
        use_reputation=False,
        pseudo_raters=False,
        status={"firm_reject": False, "net_helpful_rules": False},
    )


def _in_dimension_two(base: ScoringConfig) -> tuple[ScorerSpec, ScorerSpec]:
    """Topic 5: MF prescoring without μ, Gaussian final scoring (§5.3)."""
    topic_id, name = _IN_DIMENSION_TWO
    topic = _topic_base(base)
    pre = _with(topic, mf={"use_global_intercept": False, "rater_intercept_lambda": 5.0})
    return (
        ScorerSpec(
            f"MFTopicScorer_{name}",
            ScorerKind.MF,
            Family.TOPIC,
            pre,
            final=False,
            topic=topic_id,
            topic_confidence_min_per_side=0,
        ),
        ScorerSpec(
            f"GaussianTopicScorer_{name}",
            ScorerKind.GAUSSIAN,
            Family.TOPIC,
            topic,
            prescoring=False,
            topic=topic_id,
            borrows=f"MFTopicScorer_{name}",
            gaussian=GaussianConfig.topic_in_dimension_two(),
            topic_confidence_min_per_side=0,
        ),
    )


# Keywords of ``--scorers`` besides scorer names: each selects a set of scorers.
SCORER_KEYWORDS: dict[str, str] = {
    "all": "every scorer of the default roster",
    "core": "MFCoreScorer alone (the Core path)",
    "broad": "Core, CoreWithTopics, Expansion, ExpansionPlus",
    "groups": "MFGroupScorer_1..14, 15 (with GaussianGroupScorer_15), 18, 33",
    "multigroup": "MFMultiGroupScorer_1",
    "topics": "the topic scorers (1-4 MF, InDimensionTwo Gaussian)",
    "gaussian": "GaussianScorer and GaussianCoreWithTopicsScorer (with MFCoreScorer)",
    "reputation": "ReputationScorer (coverage* columns, raterHelpfulnessReputation)",
}


def _keyword_members(keyword: str, roster: tuple[ScorerSpec, ...]) -> list[str]:
    broad = {Family.CORE, Family.CORE_WITH_TOPICS, Family.EXPANSION, Family.EXPANSION_PLUS}
    if keyword == "all":
        return [s.name for s in roster]
    if keyword == "core":
        return ["MFCoreScorer"]
    if keyword == "broad":
        return [s.name for s in roster if s.family in broad]
    if keyword == "groups":
        return [s.name for s in roster if s.family is Family.GROUP]
    if keyword == "multigroup":
        return [s.name for s in roster if s.family is Family.MULTI_GROUP]
    if keyword == "topics":
        return [s.name for s in roster if s.family is Family.TOPIC]
    if keyword == "reputation":
        return [s.name for s in roster if s.kind is ScorerKind.REPUTATION]
    if keyword == "gaussian":
        return [
            s.name
            for s in roster
            if s.family in (Family.GAUSSIAN, Family.GAUSSIAN_CORE_WITH_TOPICS)
        ]
    raise KeyError(keyword)


def select_scorers(roster: tuple[ScorerSpec, ...], names: Iterable[str]) -> tuple[ScorerSpec, ...]:
    """The scorers of ``roster`` named by ``names`` (scorer names or ``SCORER_KEYWORDS``,
    case-insensitive), with the prescoring scorers the chosen Gaussian scorers borrow from,
    in roster order.

    Raises
    ------
    ConfigError
        For a name that is neither a scorer nor a keyword.
    """
    by_lower = {s.name.lower(): s.name for s in roster}
    chosen: set[str] = set()
    for raw in names:
        key = raw.strip().lower()
        if not key:
            continue
        if key in SCORER_KEYWORDS:
            chosen.update(_keyword_members(key, roster))
        elif key in by_lower:
            chosen.add(by_lower[key])
        else:
            valid = ", ".join([*SCORER_KEYWORDS, *(s.name for s in roster)])
            raise ConfigError("scorers", raw, f"one of: {valid}")
    for spec in roster:
        if spec.name in chosen and spec.borrows is not None:
            chosen.add(spec.borrows)
    return tuple(s for s in roster if s.name in chosen)
