"""The roster as data: names, phases, configs of multimodel §1 and §8, and selection."""

from __future__ import annotations

import pytest

from bridgewatch.errors import ConfigError
from bridgewatch.scoring.config import ScoringConfig
from bridgewatch.scoring.scorers import (
    Family,
    ScorerKind,
    ScorerSpec,
    default_roster,
    select_scorers,
)

ROSTER = default_roster(ScoringConfig())
BY_NAME = {s.name: s for s in ROSTER}


def test_the_roster_has_the_references_30_final_and_28_prescoring_scorers() -> None:
    finals = [s.name for s in ROSTER if s.final]
    prescorers = [s.name for s in ROSTER if s.prescoring]
    # multimodel §1.1: 30 final instances, the Reputation scorer eighth; §1.2: 28 prescorers.
    assert len(finals) == 30
    assert len(prescorers) == 28
    assert finals[7] == "ReputationScorer" and "ReputationScorer" in prescorers
    assert "MFGroupScorer_15" in prescorers and "MFGroupScorer_15" not in finals
    assert "MFTopicScorer_InDimensionTwo" in prescorers
    assert "GaussianTopicScorer_InDimensionTwo" in finals
    assert [f"MFGroupScorer_{k}" for k in range(13, 0, -1)] == [
        n for n in finals if n.startswith("MFGroupScorer_") and int(n.split("_")[1]) <= 13
    ]


def test_gaussian_scorers_borrow_the_prescoring_the_spec_names() -> None:
    assert BY_NAME["GaussianScorer"].borrows == "MFCoreScorer"
    assert BY_NAME["GaussianCoreWithTopicsScorer"].borrows == "MFCoreScorer"
    assert BY_NAME["GaussianGroupScorer_15"].borrows == "MFGroupScorer_15"
    assert BY_NAME["GaussianTopicScorer_InDimensionTwo"].borrows == "MFTopicScorer_InDimensionTwo"
    for spec in ROSTER:
        assert (spec.kind is ScorerKind.GAUSSIAN) == (spec.borrows is not None)


@pytest.mark.parametrize(
    ("name", "capture", "unassigned", "groups"),
    [
        ("MFCoreScorer", 0.5, True, {1, 2, 3, 6, 8, 9, 10, 11, 13, 14, 19, 21, 25}),
        ("GaussianScorer", 0.5, True, {1, 2, 3, 6, 8, 9, 10, 11, 13, 14, 19, 25}),
        ("MFExpansionPlusScorer", None, True, None),
        ("MFGroupScorer_7", 0.8, False, {7}),
        ("MFGroupScorer_14", 0.51, False, {14}),
        ("MFGroupScorer_18", 0.51, False, {18}),
        ("MFMultiGroupScorer_1", 0.8, False, {4, 5, 7, 12, 26}),
        ("ReputationScorer", 0.5, True, {1, 2, 3, 6, 8, 9, 10, 11, 13, 14, 19, 21, 25}),
    ],
)
def test_scopes_and_capture_thresholds_follow_the_spec(
    name: str, capture: float | None, unassigned: bool, groups: set[int] | None
) -> None:
    scope = BY_NAME[name].config.scope
    assert scope.min_capture_share == capture
    assert scope.include_unassigned is unassigned
    if groups is not None:
        assert set(scope.modeling_groups) == groups


def test_rule_switches_follow_the_constant_tables() -> None:
    core, exp = BY_NAME["MFCoreScorer"].config, BY_NAME["MFExpansionScorer"].config
    assert core.status.firm_reject and exp.status.firm_reject
    assert core.pseudo_raters and not exp.pseudo_raters
    assert BY_NAME["MFCoreWithTopicsScorer"].config.pseudo_raters
    assert not BY_NAME["MFCoreWithTopicsScorer"].config.status.firm_reject
    topic = BY_NAME["MFTopicScorer_Scams"].config
    assert not topic.use_reputation and not topic.status.net_helpful_rules
    g14 = BY_NAME["MFGroupScorer_14"].config
    assert g14.status.crh_threshold == 0.15 and g14.mf.normalized_loss is not None
    assert g14.mf.note_intercept_lambda == pytest.approx(0.9)
    assert g14.harassment.penalty_scales_with_intercept is False
    assert BY_NAME["MFGroupScorer_18"].config.mf.global_intercept_lambda == 0.0
    assert not BY_NAME["MFTopicScorer_InDimensionTwo"].config.mf.use_global_intercept
    gauss = BY_NAME["GaussianScorer"].config.status
    assert (gauss.crh_threshold, gauss.crnh_intercept, gauss.nm_crnh_threshold) == (
        0.51,
        -0.5,
        -0.6,
    )
    assert not gauss.net_helpful_rules and not gauss.firm_reject


def test_a_changed_base_config_reaches_every_mf_scorer() -> None:
    from dataclasses import replace

    base = ScoringConfig()
    base = replace(base, mf=replace(base.mf, tolerance=1e-6))
    for spec in default_roster(base):
        assert spec.config.mf.tolerance == 1e-6, spec.name


def test_select_by_keyword_adds_the_borrowed_prescoring() -> None:
    chosen = [s.name for s in select_scorers(ROSTER, ["gaussian"])]
    assert chosen == ["GaussianScorer", "GaussianCoreWithTopicsScorer", "MFCoreScorer"]
    assert [s.name for s in select_scorers(ROSTER, ["core"])] == ["MFCoreScorer"]
    assert len(select_scorers(ROSTER, ["all"])) == len(ROSTER)
    topics = select_scorers(ROSTER, ["Topics"])
    assert {s.family for s in topics} == {Family.TOPIC}
    assert any(s.name == "MFTopicScorer_InDimensionTwo" for s in topics)


def test_the_reputation_scorer_has_its_own_kind_family_and_config() -> None:
    spec = BY_NAME["ReputationScorer"]
    assert spec.kind is ScorerKind.REPUTATION and spec.family is Family.COVERAGE
    assert spec.reputation_mf is not None and spec.reputation_mf.crh_threshold == 0.28
    assert spec.topic is None and not spec.exclude_topics  # every note (§7)
    assert spec.config.use_stable_initialization
    assert [s.name for s in select_scorers(ROSTER, ["reputation"])] == ["ReputationScorer"]
    with pytest.raises(ConfigError, match="reputation_mf"):
        ScorerSpec("R", ScorerKind.REPUTATION, Family.COVERAGE, ScoringConfig())
    with pytest.raises(ConfigError, match="reputation_mf"):
        ScorerSpec(
            "M", ScorerKind.MF, Family.CORE, ScoringConfig(), reputation_mf=spec.reputation_mf
        )


def test_select_rejects_an_unknown_name_with_the_valid_ones() -> None:
    with pytest.raises(ConfigError, match="MFExpansionScorer"):
        select_scorers(ROSTER, ["expansionn"])


def test_a_gaussian_spec_needs_a_borrowed_scorer() -> None:
    with pytest.raises(ConfigError, match="borrows"):
        ScorerSpec("G", ScorerKind.GAUSSIAN, Family.GAUSSIAN, ScoringConfig(), prescoring=False)
