"""The full multi-model meta chain (scoring-multimodel.md §10.3), one rule kind at a time.

Each case is one note; fields not given take ``BASE`` (no scorer but Core, previous status
CRH so that the stabilization delay leaves CRH/CRNH/NMR labels alone). The label before the
stabilization delay (``pre_stabilization_status``) and the rules that emitted show what the
model rules did.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pytest

from bridgewatch.errors import ConfigError, InputError
from bridgewatch.model import NoteStatus
from bridgewatch.scoring.history import StatusHistoryConfig, lock_eligible
from bridgewatch.scoring.meta import (
    GroupPromotion,
    MetaChainInputs,
    MetaConfig,
    MetaInputs,
    ModelRulesConfig,
    ScorerStatus,
    TopicDemotion,
    apply_meta_chain,
    apply_meta_rules,
    chain_rule_names,
    explain_meta,
    run_statuses,
)
from bridgewatch.scoring.status import TagCounts

NMR = NoteStatus.NEEDS_MORE_RATINGS
CRH = NoteStatus.CURRENTLY_RATED_HELPFUL
CRNH = NoteStatus.CURRENTLY_RATED_NOT_HELPFUL
FR = NoteStatus.FIRM_REJECT
NYH = NoteStatus.NEEDS_YOUR_HELP
NAN = float("nan")
NOW = 1_800_000_000_000
TAGS_H = [3, 3, 0, 0, 0, 0, 0, 0, 0]
TAGS_NH = [0, 3, 3] + [0] * 10

STATUS_FIELDS = (
    "core_status",
    "core_with_topics_status",
    "expansion_status",
    "expansion_plus_status",
    "multi_group_status",
    "group_status",
    "gaussian_status",
    "gaussian_core_with_topics_status",
)
BASE: dict[str, Any] = {
    **dict.fromkeys(STATUS_FIELDS, -1),
    "core_intercept": NAN,
    "expansion_intercept": NAN,
    "modeling_multi_group": NAN,
    "modeling_group": -1,
    "note_topic": -1,
    "topic_intercept": NAN,
    "topic_factor": NAN,
    "topic_confident": False,
    "previous_status": CRH,
    "stabilization_ts": -1.0,
    "first_non_nmr_status": CRH,
    "locked_status": -1,
}
DTYPES = {
    **dict.fromkeys(STATUS_FIELDS, np.int8),
    "modeling_group": np.int64,
    "note_topic": np.int8,
    "topic_confident": np.bool_,
    "previous_status": np.int8,
    "first_non_nmr_status": np.int8,
    "locked_status": np.int8,
}


def inputs(cases: list[dict[str, Any]]) -> MetaChainInputs:
    columns: dict[str, Any] = {
        k: np.array([c.get(k, default) for c in cases], dtype=DTYPES.get(k, np.float64))
        for k, default in BASE.items()
    }
    n = len(cases)
    return MetaChainInputs(
        tag_counts=TagCounts(np.tile(TAGS_H, (n, 1)), np.tile(TAGS_NH, (n, 1))), **columns
    )


def run(cases: list[dict[str, Any]], config: MetaConfig | None = None) -> Any:
    return apply_meta_chain(inputs(cases), NOW, config or MetaConfig())


def rules(result: Any) -> list[list[str]]:
    """The rules that emitted per note, names without versions and without MetaInitialNMR."""
    return [
        [r.split(" (")[0] for r in labels.split(",")][1:] for labels in result.active_rules_labels()
    ]


def test_rule_catalogue_fits_the_bitmask_and_names_every_rule() -> None:
    names = chain_rule_names(MetaConfig())
    assert len(names) == 35
    assert names[:6] == (
        "MetaInitialNMR (v1.0)",
        "ExpansionPlusModel (v1.1)",
        "ExpansionModel (v1.1)",
        "CoreWithTopicsModel (v1.1)",
        "CoreModel (v1.1)",
        "MultiGroupModel01 (v1.0)",
    )
    assert names[19:26] == (
        "GroupModel14 (v1.1)",
        "GroupModel33 (v1.1)",
        "GroupModel33NMR (v1.1)",
        "GroupModel18NMR (v1.1)",
        "GroupModel15NMR (v1.1)",
        "GaussianModel (v1.0)",
        "GaussianCoreWithTopicsModel (v1.0)",
    )
    assert names[30] == "TopicModel05 (v1.0)"
    assert names[-1] == "InsufficientExplanation (v1.0)"
    many = ModelRulesConfig(group_promotions=tuple(GroupPromotion(k, 0.3) for k in range(60)))
    with pytest.raises(InputError, match="at most 64"):
        run([{}], MetaConfig(models=many))


def test_lock_eligibility_of_every_decider() -> None:
    """scoring-multimodel.md §10.6 / core §10 step 4: which decidedBy names may lock."""
    names = np.array(chain_rule_names(MetaConfig()))
    eligible = names[lock_eligible(names, StatusHistoryConfig().lock_eligible_rules)]
    assert set(eligible.tolist()) == {
        "ExpansionModel (v1.1)",
        "CoreWithTopicsModel (v1.1)",
        "CoreModel (v1.1)",
        "MultiGroupModel01 (v1.0)",
        *(f"GroupModel{k:02d} (v1.1)" for k in (*range(1, 15), 33)),
        "GroupModel33NMR (v1.1)",
        "GroupModel18NMR (v1.1)",
        "GroupModel15NMR (v1.1)",
        "GaussianModel (v1.0)",
        "GaussianCoreWithTopicsModel (v1.0)",
        "InsufficientExplanation (v1.0)",
    }
    # Not: MetaInitialNMR, ExpansionPlus, TopicModel01-05, PopulationSampledIntercept,
    # NmrDueToMinStableCrhTime, ScoringDriftGuard.
    assert len(names) - len(eligible) == 10


def test_base_models_emit_even_when_the_status_does_not_change() -> None:
    result = run(
        [
            {"expansion_plus_status": NMR, "expansion_status": NMR, "core_status": NMR},
            {"expansion_plus_status": CRH, "expansion_status": FR},
            {"expansion_status": CRNH, "core_with_topics_status": NYH},
            {},
        ]
    )
    assert rules(result) == [
        ["ExpansionPlusModel", "ExpansionModel", "CoreModel"],
        ["ExpansionPlusModel", "ExpansionModel"],
        ["ExpansionModel", "CoreWithTopicsModel", "NmrDueToMinStableCrhTime"],
        [],
    ]
    # FIRM_REJECT is exported as NMR; NYH is kept (and released to CRH: previous CRH).
    assert result.pre_stabilization_status.tolist() == [NMR, NMR, NYH, NMR]
    assert result.decided_by_labels().tolist() == [
        "CoreModel (v1.1)",
        "ExpansionModel (v1.1)",
        "NmrDueToMinStableCrhTime (v1.0)",
        "MetaInitialNMR (v1.0)",
    ]


def test_multi_group_overrides_with_the_block_check() -> None:
    on = {"modeling_multi_group": 1.0}
    result = run(
        [
            on | {"expansion_status": CRH, "multi_group_status": NMR},  # CRH -> NMR override
            on | {"expansion_status": FR, "multi_group_status": CRH},  # blocked by Expansion
            on | {"expansion_status": FR, "multi_group_status": CRNH},  # CRNH never blocked
            on | {"core_status": NMR, "expansion_status": FR, "multi_group_status": CRH},
            {"expansion_status": CRH, "multi_group_status": NMR},  # not its note
            {"expansion_status": CRH, "multi_group_status": NMR, "modeling_multi_group": 2.0},
        ]
    )
    assert result.pre_stabilization_status.tolist() == [NMR, NMR, CRNH, CRH, CRH, CRH]
    assert ["MultiGroupModel01" in r for r in rules(result)] == [
        True,
        False,
        True,
        True,  # Core NMR takes precedence over Expansion FR: not blocked
        False,
        False,
    ]


def test_group_promotion_safeguard_bounds_are_strict_and_core_first() -> None:
    g = {"modeling_group": 5, "group_status": CRH, "core_status": NMR}
    result = run(
        [
            g | {"core_intercept": 0.35},
            g | {"core_intercept": 0.30},  # not > 0.30
            g | {"core_intercept": 0.40},  # not < 0.40
            g | {"core_intercept": 0.45, "expansion_intercept": 0.35},  # Core decides
            g | {"core_status": -1, "expansion_status": NMR, "expansion_intercept": 0.35},
            g | {"core_status": -1, "expansion_status": NMR},  # no intercept at all
            g | {"modeling_group": 14, "core_intercept": 0.43},  # group 14: > 0.25, no cap
            g | {"modeling_group": 14, "core_intercept": 0.25},
            g | {"modeling_group": 33, "core_intercept": 0.90},
            g | {"modeling_group": 15, "core_intercept": 0.35},  # group 15 never promotes
        ]
    )
    assert result.pre_stabilization_status.tolist() == [
        CRH,
        NMR,
        NMR,
        NMR,
        CRH,
        NMR,
        CRH,
        NMR,
        CRH,
        NMR,
    ]
    assert result.decided_by_labels()[[0, 4, 6, 8]].tolist() == [
        "GroupModel05 (v1.1)",
        "GroupModel05 (v1.1)",
        "GroupModel14 (v1.1)",
        "GroupModel33 (v1.1)",
    ]


def test_group_promotion_needs_an_open_label_and_an_unblocked_note() -> None:
    g = {"modeling_group": 2, "core_intercept": 0.35}
    result = run(
        [
            g | {"core_status": NYH, "group_status": NYH},  # NYH on NYH: no update
            g | {"core_status": NYH, "group_status": CRH},
            g | {"core_status": NMR, "group_status": NYH},
            g | {"core_status": CRNH, "group_status": CRH},  # blocked (and not open)
            g | {"core_status": FR, "group_status": CRH},  # blocked: label NMR but Core FR
            g | {"core_status": -1, "expansion_status": CRNH, "group_status": CRH},
            g | {"core_status": NMR, "group_status": CRNH},  # groups never give CRNH
        ]
    )
    assert result.pre_stabilization_status.tolist() == [NYH, CRH, NYH, CRNH, NMR, CRNH, NMR]
    assert [("GroupModel02" in r) for r in rules(result)] == [
        False,
        True,
        True,
        False,
        False,
        False,
        False,
    ]


def test_group_demotions_act_on_crh_and_nyh_of_their_own_notes() -> None:
    result = run(
        [
            {"expansion_status": CRH, "modeling_group": 33, "group_status": NMR},
            {"expansion_status": NYH, "modeling_group": 18, "group_status": CRNH},
            {"expansion_status": CRH, "modeling_group": 15, "group_status": NMR},
            {"expansion_status": CRH, "modeling_group": 15, "group_status": CRH},
            {"expansion_status": NMR, "modeling_group": 33, "group_status": NMR},
            {"expansion_status": CRH, "modeling_group": 5, "group_status": NMR},
        ]
    )
    assert result.pre_stabilization_status.tolist() == [NMR, NMR, NMR, CRH, NMR, CRH]
    assert [r[-1] for r in rules(result)][:3] == [
        "GroupModel33NMR",
        "GroupModel18NMR",
        "GroupModel15NMR",
    ]
    assert rules(result)[3:] == [["ExpansionModel"]] * 3


def test_gaussian_fill_in_transitions() -> None:
    result = run(
        [
            {"core_status": NMR, "gaussian_status": CRH},
            {"core_status": NYH, "gaussian_status": CRH},  # rescues a Core NYH note
            {"core_status": FR, "gaussian_status": CRNH},  # FR (label NMR) -> CRNH
            {"core_status": FR, "gaussian_status": CRH},  # blocked
            {"core_status": NYH, "gaussian_status": NYH},  # NYH on NYH: no update
            {"core_status": CRH, "gaussian_status": CRNH},  # label not open
            {"core_status": NMR, "gaussian_status": NMR},  # NMR is no fill-in
            # 10b acts after 10a on a label 10a left open.
            {
                "core_status": NMR,
                "gaussian_status": NYH,
                "gaussian_core_with_topics_status": CRH,
            },
            {"core_with_topics_status": NMR, "gaussian_core_with_topics_status": CRNH},
        ]
    )
    assert result.pre_stabilization_status.tolist() == [
        CRH,
        CRH,
        CRNH,
        NMR,
        NYH,
        CRH,
        NMR,
        CRH,
        CRNH,
    ]
    assert [r[1:] for r in rules(result)][:8] == [
        ["GaussianModel"],
        ["GaussianModel"],
        ["GaussianModel"],
        [],
        ["NmrDueToMinStableCrhTime"],  # previous CRH: the NYH label goes CRH
        [],
        [],
        ["GaussianModel", "GaussianCoreWithTopicsModel"],
    ]
    assert rules(result)[8] == ["CoreWithTopicsModel", "GaussianCoreWithTopicsModel"]


def test_topic_demotion_thresholds_and_confidence() -> None:
    t1 = {"expansion_status": CRH, "note_topic": 1, "topic_confident": True}
    t5 = t1 | {"note_topic": 5}
    result = run(
        [
            t1 | {"topic_intercept": 0.23, "topic_factor": 0.0},
            t1 | {"topic_intercept": 0.24, "topic_factor": 0.51},  # both at the bound
            t1 | {"topic_intercept": 0.30, "topic_factor": -0.52},
            t1 | {"topic_intercept": 0.10, "topic_confident": False},
            t1 | {"topic_intercept": 0.10, "expansion_status": CRNH},  # only CRH / NYH
            t1 | {"topic_intercept": 0.10, "expansion_status": NYH},
            t5 | {"topic_intercept": 0.50, "topic_factor": 0.0},
            t5 | {"topic_intercept": 0.51, "topic_factor": 0.9},  # 0.51 / 1.0 for topic 5
            t5 | {"topic_intercept": 0.60, "topic_factor": 1.01},
            t1 | {"note_topic": -1, "topic_intercept": 0.10},
        ]
    )
    assert result.pre_stabilization_status.tolist() == [
        NMR,
        CRH,
        NMR,
        CRH,
        CRNH,
        NMR,
        NMR,
        CRH,
        NMR,
        CRH,
    ]
    assert result.decided_by_labels()[[0, 2, 5, 6, 8]].tolist() == [
        "TopicModel01 (v1.0)",
        "TopicModel01 (v1.0)",
        "TopicModel01 (v1.0)",
        "TopicModel05 (v1.0)",
        "TopicModel05 (v1.0)",
    ]


def test_unsure_topic_holds_a_note_in_stabilization_between_30_and_60_minutes() -> None:
    held = {
        "core_with_topics_status": CRH,
        "previous_status": NMR,
        "first_non_nmr_status": -1,
        "note_topic": 2,
        "topic_intercept": 0.5,
        "topic_factor": 0.0,
    }
    result = run(
        [
            held | {"stabilization_ts": float(NOW - 45 * 60_000)},
            held | {"stabilization_ts": float(NOW - 45 * 60_000), "topic_confident": True},
            held | {"stabilization_ts": float(NOW - 61 * 60_000)},
        ],
    )
    # Not confident: held (NMR) at 45 min. Confident: pflip is missing, so still held.
    # After 60 min a CRH leaves the hold either way.
    assert result.final_status.tolist() == [NMR, NMR, CRH]
    assert result.stabilization_ts.tolist() == [float(NOW - 45 * 60_000)] * 2 + [-1.0]
    pflip = dataclasses.replace(
        inputs(
            [
                held | {"stabilization_ts": float(NOW - 45 * 60_000)},
                held | {"stabilization_ts": float(NOW - 45 * 60_000), "topic_confident": True},
            ]
        ),
        pflip_predicts_crh=np.array([True, True]),
    )
    # With a CRH prediction only the topic hold remains.
    assert apply_meta_chain(pflip, NOW, MetaConfig()).final_status.tolist() == [NMR, CRH]


def test_core_path_gives_the_result_of_apply_meta_rules() -> None:
    rng = np.random.default_rng(7)
    n = 4000
    statuses = np.array([-1, NMR, CRH, CRNH, FR, NYH], dtype=np.int8)
    previous = np.array([-1, NMR, CRH, CRNH], dtype=np.int8)
    core = rng.choice(statuses, n)
    core_i = np.where(rng.random(n) < 0.1, np.nan, rng.uniform(0.2, 0.6, n))
    pop_i = np.where(rng.random(n) < 0.3, np.nan, rng.uniform(0.0, 0.5, n))
    ts = rng.choice(np.array([np.nan, -1.0, NOW - 20 * 60_000.0, NOW - 50 * 60_000.0]), n)
    tags = TagCounts(rng.integers(0, 4, (n, 9)), rng.integers(0, 4, (n, 13)))
    topic = rng.choice(np.array([-1, -1, 1, 5], dtype=np.int8), n)
    common: dict[str, Any] = {
        "core_intercept": core_i,
        "core_intercept_population_sampled": pop_i,
        "population_sampled_neg_count": rng.integers(0, 8, n),
        "population_sampled_pos_count": rng.integers(0, 8, n),
        "previous_status": rng.choice(previous, n),
        "stabilization_ts": ts,
        "first_non_nmr_status": rng.choice(previous, n),
        "locked_status": rng.choice(np.array([-1, -1, -1, NMR, CRH, CRNH], np.int8), n),
        "tag_counts": tags,
    }
    old = apply_meta_rules(
        MetaInputs(
            scorers=(ScorerStatus("CoreModel", "v1.1", core),),
            has_topic=topic >= 0,
            **common,
        ),
        NOW,
        MetaConfig(),
    )
    new = apply_meta_chain(
        MetaChainInputs(core_status=core, note_topic=topic, **common), NOW, MetaConfig()
    )
    for name in (
        "final_status",
        "pre_stabilization_status",
        "unlocked_status",
        "stabilization_ts",
        "first_tag",
        "second_tag",
    ):
        np.testing.assert_array_equal(getattr(new, name), getattr(old, name), err_msg=name)
    assert new.decided_by_labels().tolist() == old.decided_by_labels().tolist()
    assert new.active_rules_labels() == old.active_rules_labels()
    assert len(set(old.decided_by_labels().tolist())) == 6  # every Core-path rule decides


def test_run_statuses_carry_the_multi_model_columns() -> None:
    cases: list[dict[str, Any]] = [
        {"core_status": FR, "expansion_status": CRH, "modeling_group": 13, "group_status": NYH},
        {"multi_group_status": CRNH, "modeling_multi_group": 1.0, "expansion_status": FR},
    ]
    result = run(cases)
    statuses = run_statuses(inputs(cases), result)
    assert statuses.core_status.tolist() == [FR, -1]
    assert statuses.expansion_status is not None
    assert statuses.expansion_status.tolist() == [CRH, FR]
    assert statuses.group_status is not None and statuses.group_status.tolist() == [NYH, -1]
    assert statuses.multi_group_status is not None
    assert statuses.multi_group_status.tolist() == [-1, CRNH]
    assert statuses.modeling_group is not None
    np.testing.assert_array_equal(statuses.modeling_group, [13.0, np.nan])
    assert statuses.modeling_multi_group is not None
    np.testing.assert_array_equal(statuses.modeling_multi_group, [np.nan, 1.0])
    assert statuses.decided_by.tolist() == ["CoreModel (v1.1)", "MultiGroupModel01 (v1.0)"]


def test_bad_inputs_and_config_name_the_field() -> None:
    good = inputs([{}, {}])
    with pytest.raises(InputError, match="group_status"):
        apply_meta_chain(
            dataclasses.replace(good, group_status=np.zeros(3, np.int8)), NOW, MetaConfig()
        )
    with pytest.raises(InputError, match="core_status"):
        apply_meta_chain(dataclasses.replace(good, core_status=np.array([0, 7])), NOW, MetaConfig())
    with pytest.raises(ConfigError, match="group_promotions"):
        ModelRulesConfig(group_promotions=(GroupPromotion(1, 0.3), GroupPromotion(1, 0.2)))
    with pytest.raises(ConfigError, match="topic"):
        TopicDemotion(0, 0.24, 0.51)
    with pytest.raises(ConfigError, match="min_intercept"):
        GroupPromotion(3, float("nan"))


def test_explain_meta_lists_the_scorers_that_had_a_status() -> None:
    case = {
        "expansion_status": CRH,
        "modeling_group": 33,
        "group_status": NMR,
        "note_topic": 5,
        "topic_confident": True,
        "topic_intercept": 0.6,
        "topic_factor": 0.0,
    }
    chain_inputs = inputs([case])
    lines = explain_meta(chain_inputs, apply_meta_chain(chain_inputs, NOW, MetaConfig()), 0, NOW)
    assert lines[0] == "final NEEDS_MORE_RATINGS, decided by GroupModel33NMR (v1.1)"
    assert lines[2:5] == [
        "Expansion status: CURRENTLY_RATED_HELPFUL",
        "Group status: NEEDS_MORE_RATINGS (modeling group 33)",
        "topic 5: confident",
    ]
