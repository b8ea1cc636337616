"""The ordered Core rule table (scoring-core.md §6): each rule fires, just misses, and NaN."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pytest

from bridgewatch.errors import InputError
from bridgewatch.model import NoteStatus
from bridgewatch.scoring.status import (
    CORE_RULE_NAMES,
    CoreRuleInputs,
    CoreRulesResult,
    IncorrectAggregates,
    SignAggregates,
    StatusRulesConfig,
    TagAggregates,
    apply_core_rules,
    label_array,
    provisional_statuses,
)
from tests.scoring.factories import column

NMR = NoteStatus.NEEDS_MORE_RATINGS
CRH = NoteStatus.CURRENTLY_RATED_HELPFUL
CRNH = NoteStatus.CURRENTLY_RATED_NOT_HELPFUL
FR = NoteStatus.FIRM_REJECT
NYH = NoteStatus.NEEDS_YOUR_HELP
NAN = float("nan")
MISLEADING, NOT_MISLEADING, DELETED = 1, 0, -1

# A note where only InitialNMR fires: intercept between the firm-reject and CRH thresholds,
# balanced raters, no tags, no diligence problem.
BASE: dict[str, Any] = {
    "scored": True,
    "num_ratings": 20,
    "classification": MISLEADING,
    "intercept": 0.35,
    "factor": 0.0,
    "intercept_max": NAN,
    "previous_status": NMR,
    "neg_count": 10,
    "pos_count": 10,
    "min_sign_count": 10,
    "neg_mean": 0.8,
    "pos_mean": 0.8,
    "net_neg": 10,
    "net_pos": 10,
    "net_min": 10,
    "net_ratio": 0.5,
    "tag_adjusted": 0.0,
    "tag_ratio": 0.0,
    "incorrect": 0.0,
    "voters": 0.0,
    "tf_idf": 0.0,
    "low_diligence": 0.0,
    "no_high_vol": 0.5,
    "no_correlated": 0.5,
}
THRESHOLDS = np.full(13, 0.5)


def run(
    cases: list[dict[str, Any]], thresholds: np.ndarray[Any, Any] = THRESHOLDS
) -> CoreRulesResult:
    n = len(cases)
    v = {k: [c.get(k, BASE[k]) for c in cases] for k in BASE}
    tag_adjusted = np.array([np.broadcast_to(x, 13) for x in v["tag_adjusted"]], dtype=float)
    tag_ratio = np.array([np.broadcast_to(x, 13) for x in v["tag_ratio"]], dtype=float)
    signs = SignAggregates(
        num_ratings=column(v["num_ratings"], n, np.int64),
        neg_count=column(v["neg_count"], n, np.int64),
        pos_count=column(v["pos_count"], n, np.int64),
        min_sign_count=column(v["min_sign_count"], n, np.int64),
        neg_mean_helpful=column(v["neg_mean"], n, np.float64),
        pos_mean_helpful=column(v["pos_mean"], n, np.float64),
        net_neg=column(v["net_neg"], n, np.int64),
        net_pos=column(v["net_pos"], n, np.int64),
        net_min_helpful=column(v["net_min"], n, np.int64),
        net_min_helpful_ratio=column(v["net_ratio"], n, np.float64),
        pop_neg_count=np.zeros(n, np.int64),
        pop_pos_count=np.zeros(n, np.int64),
    )
    inputs = CoreRuleInputs(
        scored=column(v["scored"], n, np.bool_),
        num_ratings=column(v["num_ratings"], n, np.int64),
        classification=column(v["classification"], n, np.int8),
        intercept=column(v["intercept"], n, np.float64),
        factor=column(v["factor"], n, np.float64),
        previous_status=column(v["previous_status"], n, np.int8),
        intercept_max=column(v["intercept_max"], n, np.float64),
        signs=signs,
        tags=TagAggregates(np.ones(n), tag_adjusted, tag_ratio, 1.0),
        tag_thresholds=thresholds,
        incorrect=IncorrectAggregates(
            column(v["incorrect"], n, np.float64),
            np.zeros(n),
            column(v["voters"], n, np.float64),
            column(v["tf_idf"], n, np.float64),
        ),
        low_diligence_intercept=column(v["low_diligence"], n, np.float64),
        intercept_no_high_vol=column(v["no_high_vol"], n, np.float64),
        intercept_no_correlated=column(v["no_correlated"], n, np.float64),
    )
    return apply_core_rules(inputs, StatusRulesConfig())


def fired(result: CoreRulesResult, note: int, rule: str) -> bool:
    k = next(i for i, name in enumerate(CORE_RULE_NAMES) if name.startswith(rule + " "))
    return bool((int(result.active_rules[note]) >> k) & 1)


def check(cases: list[tuple[dict[str, Any], int, bool]], rule: str) -> None:
    """Each case: overrides, expected status, whether ``rule`` emitted."""
    result = run([c[0] for c in cases])
    for i, (overrides, status, emits) in enumerate(cases):
        assert result.status[i] == status, (i, overrides, result.explain(i))
        assert fired(result, i, rule) == emits, (i, overrides, result.explain(i))


def test_base_note_only_gets_initial_nmr_and_unscored_notes_get_nothing() -> None:
    result = run([{}, {"scored": False}])
    assert result.status.tolist() == [NMR, -1]
    assert result.active_rules_labels() == ["InitialNMR (v1.0)", None]
    assert result.decided_by.tolist() == [0, -1]


def test_general_crh() -> None:
    check(
        [
            ({"intercept": 0.40}, CRH, True),
            ({"intercept": 0.3999}, NMR, False),
            ({"intercept": 0.5, "num_ratings": 4}, NMR, False),
            ({"intercept": 0.5, "num_ratings": 5}, CRH, True),
            ({"intercept": 0.5, "classification": NOT_MISLEADING}, NMR, False),
            ({"intercept": 0.5, "classification": DELETED}, CRH, True),
            ({"intercept": NAN}, NMR, False),
        ],
        "GeneralCRH",
    )


def test_general_crnh_uses_the_factor_dependent_bound() -> None:
    check(
        [
            ({"intercept": -0.05}, CRNH, True),
            ({"intercept": -0.0499}, FR, False),  # then RejectLowIntercept
            ({"intercept": -0.44, "factor": 0.5}, FR, False),  # bound -0.05 - 0.8*0.5 = -0.45
            ({"intercept": -0.46, "factor": -0.5}, CRNH, True),
            ({"intercept": -0.5, "num_ratings": 4}, FR, False),
            ({"intercept": -0.5, "factor": NAN}, FR, False),
        ],
        "GeneralCRNH",
    )


def test_ucb_crnh() -> None:
    check(
        [
            ({"intercept_max": -0.0401}, CRNH, True),
            ({"intercept_max": -0.04}, NMR, False),
            ({"intercept_max": -0.5, "num_ratings": 4}, NMR, False),
            ({"intercept_max": NAN}, NMR, False),
        ],
        "UcbCRNH",
    )


def test_ratio_crnh() -> None:
    check(
        [
            ({"min_sign_count": 3, "neg_mean": 0.4, "pos_mean": 0.1}, CRNH, True),
            ({"min_sign_count": 3, "neg_mean": 0.25, "pos_mean": 0.25}, CRNH, True),
            ({"min_sign_count": 3, "neg_mean": 0.4, "pos_mean": 0.22}, NMR, False),  # avg > 0.3
            ({"min_sign_count": 3, "neg_mean": 0.41, "pos_mean": 0.0}, NMR, False),
            ({"min_sign_count": 2, "neg_mean": 0.0, "pos_mean": 0.0}, NMR, False),
            ({"neg_mean": 0.0, "pos_mean": 0.0, "num_ratings": 4}, NMR, False),
            ({"neg_mean": NAN, "pos_mean": 0.0}, NMR, False),
        ],
        "RatioCRNH",
    )


def test_nm_crnh_has_no_rating_count_test() -> None:
    check(
        [
            ({"classification": NOT_MISLEADING, "intercept": -0.16, "num_ratings": 0}, CRNH, True),
            ({"classification": NOT_MISLEADING, "intercept": -0.15, "num_ratings": 0}, FR, False),
            ({"classification": MISLEADING, "intercept": -0.16, "num_ratings": 0}, FR, False),
            ({"classification": NOT_MISLEADING, "intercept": NAN}, NMR, False),
        ],
        "NmCRNH",
    )


def test_crh_inertia() -> None:
    check(
        [
            ({"previous_status": CRH, "intercept": 0.39}, CRH, True),
            ({"previous_status": CRH, "intercept": 0.3899}, NMR, False),
            ({"previous_status": NMR, "intercept": 0.395}, NMR, False),
            ({"previous_status": CRH, "intercept": 0.395, "num_ratings": 4}, NMR, False),
            ({"previous_status": CRH, "intercept": 0.395, "classification": 0}, NMR, False),
            ({"previous_status": CRH, "intercept": NAN}, NMR, False),
            ({"previous_status": CRH, "intercept": 0.45}, CRH, False),  # already CRH
        ],
        "GeneralCRHInertia",
    )


def test_crh_inertia_above_threshold_is_skipped_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # RatioCRNH demotes a 0.45 note; the reference's inertia rule would abort the run.
    demoted = {"previous_status": CRH, "intercept": 0.45, "min_sign_count": 3}
    demoted |= {"neg_mean": 0.1, "pos_mean": 0.1}
    at_threshold = demoted | {"intercept": 0.40}
    with caplog.at_level(logging.WARNING, logger="bridgewatch.scoring.status.rules"):
        result = run([demoted, at_threshold])
    assert result.status.tolist() == [CRNH, CRH]
    assert result.inertia_conflicts.tolist() == [0]
    assert not fired(result, 0, "GeneralCRHInertia") and fired(result, 1, "GeneralCRHInertia")
    assert "reference aborts" in caplog.text
    assert any("skipped" in line for line in result.explain(0))


def test_tag_filter() -> None:
    thresholds = np.full(13, 0.5)
    thresholds[2] = NAN  # SourcesMissingOrUnreliable: no CRH reference values
    tag = np.zeros(13)
    cases: list[dict[str, Any]] = [
        {"tag_adjusted": tag + 2.6, "tag_ratio": tag + 0.6},
        {"tag_adjusted": tag + 2.5, "tag_ratio": tag + 0.6},
        {"tag_adjusted": tag + 2.6, "tag_ratio": tag + 0.5},
        {"tag_adjusted": np.where(np.arange(13) == 6, 9.0, 0.0), "tag_ratio": tag + 0.9},
        {"tag_adjusted": np.where(np.arange(13) == 2, 9.0, 0.0), "tag_ratio": tag + 0.9},
        {"tag_adjusted": tag + 2.6, "tag_ratio": tag + 0.6, "intercept_max": -0.5},
        {"tag_adjusted": tag + NAN, "tag_ratio": tag + NAN},
    ]
    result = run(cases, thresholds)
    assert result.status.tolist() == [FR, NMR, NMR, NMR, NMR, CRNH, NMR]
    assert [fired(result, i, "TagFilter") for i in range(7)] == [1, 0, 0, 0, 0, 0, 0]
    labels = result.filter_tags_labels()
    assert labels[0] is not None and labels[1:] == [None] * 6
    tags = labels[0].split(",")
    assert "notHelpfulHardToUnderstand" not in tags and "notHelpfulOther" in tags
    assert "notHelpfulSourcesMissingOrUnreliable" not in tags and len(tags) == 11
    assert tags[0] == "notHelpfulOther" and tags[1] == "notHelpfulIncorrect"  # TSV order


def test_filter_incorrect() -> None:
    fires = {"incorrect": 2.0, "voters": 3.0, "tf_idf": 2.5}
    check(
        [
            (fires, FR, True),
            (fires | {"incorrect": 1.0}, NMR, False),
            (fires | {"voters": 2.0}, NMR, False),
            (fires | {"tf_idf": 2.49}, NMR, False),
            (fires | {"tf_idf": NAN}, NMR, False),
            (fires | {"intercept_max": -0.5}, CRNH, False),
        ],
        "FilterIncorrect",
    )


def test_filter_low_diligence() -> None:
    check(
        [
            ({"low_diligence": 0.2631}, FR, True),
            ({"low_diligence": 0.263}, NMR, False),
            ({"low_diligence": NAN}, NMR, False),
            ({"low_diligence": 0.9, "intercept": 0.5}, FR, True),
        ],
        "FilterLowDiligence",
    )


def test_filter_large_factor_only_on_crh() -> None:
    check(
        [
            ({"intercept": 0.5, "factor": 0.51}, FR, True),
            ({"intercept": 0.5, "factor": -0.51}, FR, True),
            ({"intercept": 0.5, "factor": 0.5}, CRH, False),
            ({"intercept": 0.35, "factor": 0.9}, NMR, False),
            ({"intercept": 0.5, "factor": NAN}, CRH, False),
        ],
        "FilterLargeFactor",
    )


def test_reject_low_intercept() -> None:
    check(
        [
            ({"intercept": 0.2999}, FR, True),
            ({"intercept": 0.30}, NMR, False),
            ({"intercept": NAN}, NMR, False),
            ({"intercept": 0.2, "intercept_max": -0.5}, CRNH, False),
        ],
        "RejectLowIntercept",
    )


def test_min_minority_raters() -> None:
    check(
        [
            ({"intercept": 0.5, "net_min": 3}, NYH, True),
            ({"intercept": 0.5, "net_min": 4}, CRH, False),
            ({"intercept": 0.35, "net_min": 0}, NMR, False),
        ],
        "MinMinorityRaters",
    )


def test_rater_balance() -> None:
    check(
        [
            ({"intercept": 0.5, "net_min": 4, "net_ratio": 0.049}, NYH, True),
            ({"intercept": 0.5, "net_min": 9, "net_ratio": 0.049}, NYH, True),
            ({"intercept": 0.5, "net_min": 4, "net_ratio": 0.05}, CRH, False),
            ({"intercept": 0.5, "net_min": 10, "net_ratio": 0.01}, CRH, False),
            ({"intercept": 0.5, "net_min": 4, "net_ratio": NAN}, CRH, False),
        ],
        "RaterBalance",
    )


@pytest.mark.parametrize(
    ("field", "rule"),
    [("no_high_vol", "NoHighVolIntercept"), ("no_correlated", "NoCorrelatedIntercept")],
)
def test_auxiliary_intercepts(field: str, rule: str) -> None:
    check(
        [
            ({"intercept": 0.5, field: 0.3699}, NYH, True),
            ({"intercept": 0.5, field: 0.37}, CRH, False),
            ({"intercept": 0.5, field: NAN}, CRH, False),  # NaN does not block
            ({"intercept": 0.35, field: 0.1}, NMR, False),
        ],
        rule,
    )


def test_active_rules_are_listed_in_table_order() -> None:
    crnh_everywhere = {"intercept": -0.2, "intercept_max": -0.1, "min_sign_count": 3}
    result = run([crnh_everywhere | {"neg_mean": 0.1, "pos_mean": 0.1}])
    assert result.active_rules_labels() == [
        "InitialNMR (v1.0),GeneralCRNH (v1.0),UcbCRNH (v1.0),RatioCRNH (v1.0)"
    ]
    assert CORE_RULE_NAMES[int(result.decided_by[0])] == "RatioCRNH (v1.0)"


def test_explain_names_the_deciding_rule_and_figures() -> None:
    result = run([{"intercept": 0.5, "net_min": 3}])
    lines = result.explain(0)
    assert lines[0] == "status NEEDS_YOUR_HELP, decided by MinMinorityRaters (v1.0)"
    assert any("MinMinorityRaters" in line and "netMin=3" in line for line in lines)


def test_final_round_requires_every_aggregate() -> None:
    inputs = CoreRuleInputs(
        scored=np.ones(1, np.bool_),
        num_ratings=np.array([5]),
        classification=np.array([1], np.int8),
        intercept=np.array([0.5]),
        factor=np.array([0.0]),
    )
    with pytest.raises(InputError, match="signs"):
        apply_core_rules(inputs, StatusRulesConfig())


def test_provisional_statuses_run_only_rules_1_to_4_and_6() -> None:
    statuses = provisional_statuses(
        intercept=np.array([0.45, -0.2, 0.1, -0.16, 0.2, NAN]),
        factor=np.array([0.9, 0.0, 0.0, 0.0, 0.0, 0.0]),
        num_ratings=np.array([5, 5, 5, 0, 4, 9]),
        classification=np.array([1, 1, 1, 0, 1, 1], np.int8),
        config=StatusRulesConfig(),
    )
    # Large factor and low intercept filters are final-round only.
    assert statuses.tolist() == [CRH, CRNH, NMR, CRNH, NMR, NMR]


def test_label_array_names_each_masks_rules_in_table_order() -> None:
    rng = np.random.default_rng(0)
    bits = rng.integers(0, 1 << len(CORE_RULE_NAMES), 2000).astype(np.uint32)
    labels = label_array(bits, CORE_RULE_NAMES)
    for mask, label in zip(bits.tolist(), labels.tolist(), strict=True):
        assert label == ",".join(n for k, n in enumerate(CORE_RULE_NAMES) if (mask >> k) & 1)
    # Masks beyond the table and longer name lists take the sorting path: same labels.
    many = tuple(f"r{k}" for k in range(20))
    wide = np.array([0, 1 << 19, (1 << 19) | 1], dtype=np.uint32)
    assert label_array(wide, many).tolist() == ["", "r19", "r0,r19"]
    assert label_array(np.zeros(0, dtype=np.uint32), CORE_RULE_NAMES).shape == (0,)
