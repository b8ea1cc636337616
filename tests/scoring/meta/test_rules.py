"""The meta rule chain on the Core path (scoring-core.md §9): decidedBy, population-sampled
check, drift guard and the outputs that describe them."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from bridgewatch.errors import ConfigError, InputError
from bridgewatch.model import NoteStatus
from bridgewatch.scoring.meta import (
    MetaConfig,
    MetaInputs,
    ScorerStatus,
    apply_meta_rules,
    explain_meta,
)
from bridgewatch.scoring.status import TagCounts

NMR = NoteStatus.NEEDS_MORE_RATINGS
CRH = NoteStatus.CURRENTLY_RATED_HELPFUL
CRNH = NoteStatus.CURRENTLY_RATED_NOT_HELPFUL
FR = NoteStatus.FIRM_REJECT
NYH = NoteStatus.NEEDS_YOUR_HELP
NAN = float("nan")
NOW = 1_800_000_000_000
TAGGED_H = [3, 3, 0, 0, 0, 0, 0, 0, 0]  # Other, Informative -> 2 qualifying helpful tags
TAGGED_NH = [0, 3, 3] + [0] * 10

BASE: dict[str, Any] = {
    "core": NMR,
    "core_i": 0.5,
    "pop_i": NAN,
    "neg": 0,
    "pos": 0,
    "prev": CRH,
    "ts": -1.0,
    "first": CRH,
    "locked": -1,
    "helpful": TAGGED_H,
    "not_helpful": TAGGED_NH,
}


def run(cases: list[dict[str, Any]], scorers: tuple[ScorerStatus, ...] = ()) -> Any:
    v = {k: [c.get(k, BASE[k]) for c in cases] for k in BASE}
    core = ScorerStatus("CoreModel", "v1.1", np.array(v["core"], np.int8))
    inputs = MetaInputs(
        scorers=(*scorers, core),
        core_intercept=np.array(v["core_i"], float),
        core_intercept_population_sampled=np.array(v["pop_i"], float),
        population_sampled_neg_count=np.array(v["neg"]),
        population_sampled_pos_count=np.array(v["pos"]),
        previous_status=np.array(v["prev"], np.int8),
        stabilization_ts=np.array(v["ts"], float),
        first_non_nmr_status=np.array(v["first"], np.int8),
        locked_status=np.array(v["locked"], np.int8),
        tag_counts=TagCounts(np.array(v["helpful"]), np.array(v["not_helpful"])),
    )
    return apply_meta_rules(inputs, NOW, MetaConfig())


def test_core_status_is_copied_with_firm_reject_as_nmr() -> None:
    result = run([{"core": CRH}, {"core": FR}, {"core": CRNH}, {"core": -1}])
    assert result.final_status.tolist() == [CRH, NMR, CRNH, NMR]
    assert result.decided_by_labels().tolist() == ["CoreModel (v1.1)"] * 3 + [
        "MetaInitialNMR (v1.0)"
    ]
    assert result.active_rules_labels()[0] == "MetaInitialNMR (v1.0),CoreModel (v1.1)"
    assert result.active_rules_labels()[3] == "MetaInitialNMR (v1.0)"


def test_core_overrides_earlier_scorers() -> None:
    expansion = ScorerStatus("ExpansionModel", "v1.1", np.array([CRNH, CRH], np.int8))
    result = run([{"core": CRH}, {"core": -1}], scorers=(expansion,))
    assert result.final_status.tolist() == [CRH, CRH]
    assert result.decided_by_labels().tolist() == ["CoreModel (v1.1)", "ExpansionModel (v1.1)"]


def test_population_sampled_intercept() -> None:
    fires = {"core": CRH, "core_i": 0.45, "pop_i": 0.29, "neg": 4, "pos": 4}
    result = run(
        [
            fires,
            fires | {"pop_i": 0.30},  # not strictly below 0.30
            fires | {"core_i": 0.43},  # gap 0.14 < 0.15
            fires | {"neg": 2, "pos": 5},  # total 7 < 8
            fires | {"neg": 1, "pos": 9},  # one side < 2
            fires | {"pop_i": NAN},
            fires | {"core": CRNH},  # only CRH notes are candidates
        ]
    )
    assert result.final_status.tolist() == [NMR, CRH, CRH, CRH, CRH, CRH, CRNH]
    assert result.decided_by_labels()[0] == "PopulationSampledIntercept (v1.0)"
    assert result.pre_stabilization_status[0] == NMR


def test_stabilization_hold_decides_and_release_keeps_the_model_decider() -> None:
    held = float(NOW - 45 * 60_000)
    result = run(
        [
            {"core": CRH, "prev": NMR, "ts": NAN, "first": -1},
            {"core": CRH, "prev": NMR, "ts": float(NOW - 61 * 60_000), "first": -1},
            {"core": NYH, "prev": CRH, "ts": held},
        ]
    )
    assert result.final_status.tolist() == [NMR, CRH, CRH]
    assert result.decided_by_labels().tolist() == [
        "NmrDueToMinStableCrhTime (v1.0)",
        "CoreModel (v1.1)",
        "NmrDueToMinStableCrhTime (v1.0)",
    ]
    assert result.pre_stabilization_status.tolist() == [CRH, CRH, NYH]
    assert result.stabilization_ts.tolist() == [float(NOW), -1.0, held]


def test_drift_guard_restores_the_locked_status() -> None:
    result = run(
        [
            {"core": CRNH, "locked": NMR},
            {"core": CRH, "locked": CRH},  # agreeing lock: no update
            {"core": FR, "locked": CRH},
        ]
    )
    assert result.final_status.tolist() == [NMR, CRH, CRH]
    assert result.unlocked_status.tolist() == [CRNH, -1, NMR]
    assert result.decided_by_labels().tolist() == [
        "ScoringDriftGuard (v1.0)",
        "CoreModel (v1.1)",
        "ScoringDriftGuard (v1.0)",
    ]


def test_insufficient_explanation_runs_last_even_over_a_lock() -> None:
    no_tags = [0] * 9
    result = run(
        [
            {"core": CRH, "helpful": no_tags},
            {"core": CRNH, "locked": CRH, "helpful": [1, 1, 5, 0, 0, 0, 0, 0, 0]},
            {"core": CRH},
        ]
    )
    assert result.final_status.tolist() == [NMR, NMR, CRH]
    assert result.decided_by_labels()[:2].tolist() == ["InsufficientExplanation (v1.0)"] * 2
    assert result.active_rules_labels()[1].endswith(
        "ScoringDriftGuard (v1.0),InsufficientExplanation (v1.0)"
    )
    first, second = result.tag_labels()
    assert (first, second) == ([None, None, "helpfulInformative"], [None, None, "helpfulOther"])


def test_bad_shapes_and_config() -> None:
    with pytest.raises(InputError, match="core_intercept"):
        inputs = MetaInputs(
            scorers=(),
            core_intercept=np.zeros(2),
            core_intercept_population_sampled=np.zeros(1),
            population_sampled_neg_count=np.zeros(1, int),
            population_sampled_pos_count=np.zeros(1, int),
            previous_status=np.zeros(1, np.int8),
            stabilization_ts=np.zeros(1),
            first_non_nmr_status=np.zeros(1, np.int8),
            locked_status=np.zeros(1, np.int8),
            tag_counts=TagCounts(np.zeros((1, 9), int), np.zeros((1, 13), int)),
        )
        apply_meta_rules(inputs, NOW, MetaConfig())
    with pytest.raises(ConfigError, match="max_stable_crh_minutes"):
        MetaConfig(max_stable_crh_minutes=10.0)


def test_explain_meta_tells_the_story_of_a_held_note() -> None:
    case = {"core": CRH, "prev": NMR, "ts": NAN, "first": -1}
    v = {k: [case.get(k, BASE[k])] for k in BASE}
    inputs = MetaInputs(
        scorers=(ScorerStatus("CoreModel", "v1.1", np.array(v["core"], np.int8)),),
        core_intercept=np.array(v["core_i"], float),
        core_intercept_population_sampled=np.array(v["pop_i"], float),
        population_sampled_neg_count=np.array(v["neg"]),
        population_sampled_pos_count=np.array(v["pos"]),
        previous_status=np.array(v["prev"], np.int8),
        stabilization_ts=np.array(v["ts"], float),
        first_non_nmr_status=np.array(v["first"], np.int8),
        locked_status=np.array(v["locked"], np.int8),
        tag_counts=TagCounts(np.array(v["helpful"]), np.array(v["not_helpful"])),
    )
    lines = explain_meta(inputs, apply_meta_rules(inputs, NOW, MetaConfig()), 0, NOW)
    assert lines[0] == "final NEEDS_MORE_RATINGS, decided by NmrDueToMinStableCrhTime (v1.0)"
    assert "stabilization: never held -> held since" in lines[4]
