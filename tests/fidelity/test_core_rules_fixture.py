"""Fidelity of the per-note aggregates and the Core rule table against the reference (run 2).

The reference's own final-scoring figures (intercepts, factors, bounds, auxiliary intercepts,
low diligence, tag and incorrect aggregates from the outputs) are fed into
``apply_core_rules``; the sign buckets / net-helpful counts are computed by us from the
ratings and the reference's rater factors. The per-tag thresholds of §4.9 are prescoring
state that the reference does not write out: the test infers, per tag, the interval of
thresholds consistent with the reference's TagFilter decisions, asserts that it is not empty,
and uses its lower end.
"""

from __future__ import annotations

import numpy as np
import pytest
from numpy.typing import NDArray

from bridgewatch.model import Classification
from bridgewatch.model.columns import NOT_HELPFUL_TAGS
from bridgewatch.scoring.history import status_codes
from bridgewatch.scoring.status import (
    CoreRuleInputs,
    IncorrectAggregates,
    StatusRulesConfig,
    TagAggregates,
    apply_core_rules,
    compute_incorrect_aggregates,
    compute_sign_aggregates,
    compute_tag_aggregates,
)
from tests.fidelity.reference import CoreRun, floats, ints, load_core_run

CONFIG = StatusRulesConfig()
FIXTURES = ["S-core", "S-full"]
_CACHE: dict[str, CoreRun] = {}


def run_of(fixture: str) -> CoreRun:
    if fixture not in _CACHE:
        _CACHE[fixture] = load_core_run(fixture)
    return _CACHE[fixture]


def inferred_thresholds(
    run: CoreRun,
    scored: NDArray[np.bool_],
    adjusted: NDArray[np.float64],
    ratio: NDArray[np.float64],
) -> NDArray[np.float64]:
    rules = run.scored["coreActiveRules"].fill_null("").to_list()
    filter_tags = run.scored["activeFilterTags"].fill_null("").to_list()
    crnh_before = np.array(
        [any(r in x for r in ("GeneralCRNH", "UcbCRNH", "RatioCRNH", "NmCRNH")) for x in rules]
    )
    candidates = scored & ~crnh_before
    thresholds = np.full(len(NOT_HELPFUL_TAGS), np.inf)
    for k, tag in enumerate(NOT_HELPFUL_TAGS):
        fired = np.array([tag in x.split(",") for x in filter_tags])
        eligible = candidates & (adjusted[:, k] > CONFIG.tag_filter_min_adjusted)
        low = ratio[eligible & ~fired, k].max(initial=-np.inf)
        high = ratio[eligible & fired, k].min(initial=np.inf)
        assert low < high, f"no single threshold explains the reference's TagFilter on {tag}"
        thresholds[k] = low if np.isfinite(low) else np.nextafter(high, -np.inf)
    return thresholds


@pytest.mark.parametrize("fixture", FIXTURES)
def test_core_rule_table_reproduces_the_reference(fixture: str) -> None:
    run = run_of(fixture)
    sn, aux = run.scored, run.aux
    adjusted = np.stack([floats(aux[f"{t}Adjusted"]) for t in NOT_HELPFUL_TAGS], axis=1)
    ratio = np.stack([floats(aux[f"{t}AdjustedRatio"]) for t in NOT_HELPFUL_TAGS], axis=1)
    scored = (sn["coreRatingStatus"].fill_null("") != "").to_numpy().astype(np.bool_)
    classification = np.array(
        [
            Classification[c].value if c else -1
            for c in sn["classification"].fill_null("").to_list()
        ],
        dtype=np.int8,
    )
    signs = compute_sign_aggregates(run.scoped, run.rater_factor)
    inputs = CoreRuleInputs(
        scored=scored,
        num_ratings=signs.num_ratings,
        classification=classification,
        intercept=floats(sn["coreNoteIntercept"]),
        factor=floats(sn["coreNoteFactor1"]),
        previous_status=status_codes(run.previous_nsh["currentStatus"]),
        intercept_max=floats(sn["coreNoteInterceptMax"]),
        signs=signs,
        tags=TagAggregates(floats(aux["ratingWeight"]), adjusted, ratio, float("nan")),
        tag_thresholds=inferred_thresholds(run, scored, adjusted, ratio),
        incorrect=IncorrectAggregates(
            floats(aux["notHelpfulIncorrect_interval"]),
            floats(aux["p_incorrect_user_interval"]),
            floats(aux["num_voters_interval"]),
            floats(aux["tf_idf_incorrect_interval"]),
        ),
        low_diligence_intercept=floats(aux["lowDiligenceIntercept"]),
        intercept_no_high_vol=floats(sn["coreNoteInterceptNoHighVol"]),
        intercept_no_correlated=floats(sn["coreNoteInterceptNoCorrelated"]),
    )
    result = apply_core_rules(inputs, CONFIG)
    assert result.inertia_conflicts.size == 0
    np.testing.assert_array_equal(result.status, status_codes(sn["coreRatingStatus"]))
    assert [r or "" for r in result.active_rules_labels()] == sn["coreActiveRules"].fill_null(
        ""
    ).to_list()
    assert [t or "" for t in result.filter_tags_labels()] == sn["activeFilterTags"].fill_null(
        ""
    ).to_list()


@pytest.mark.parametrize("fixture", FIXTURES)
def test_incorrect_aggregates_match_exactly(fixture: str) -> None:
    run = run_of(fixture)
    scoped = run.scoped
    n_p = scoped.n_participants
    tagged = scoped.not_helpful_tags != 0
    incorrect_bit = NOT_HELPFUL_TAGS.index("notHelpfulIncorrect")
    is_incorrect = (scoped.not_helpful_tags[tagged] >> incorrect_bit) & 1
    per_rater_incorrect = np.bincount(scoped.rater_idx[tagged], is_incorrect, minlength=n_p).astype(
        np.float64
    )
    per_rater_total = np.bincount(scoped.rater_idx[tagged], minlength=n_p).astype(np.float64)
    agg = compute_incorrect_aggregates(
        scoped,
        floats(run.scored["coreNoteFactor1"]),
        run.rater_factor,
        per_rater_incorrect,
        per_rater_total,
        CONFIG,
    )
    for ours, column in [
        (agg.incorrect, "notHelpfulIncorrect_interval"),
        (agg.p_incorrect_user, "p_incorrect_user_interval"),
        (agg.num_voters, "num_voters_interval"),
        (agg.tf_idf, "tf_idf_incorrect_interval"),
    ]:
        np.testing.assert_allclose(ours, floats(run.aux[column]), rtol=1e-9, err_msg=column)


def test_population_sampled_counts_and_tag_weights_on_s_core() -> None:
    run = run_of("S-core")
    signs = compute_sign_aggregates(run.scoped, run.rater_factor)
    aux = run.aux
    np.testing.assert_array_equal(
        signs.pop_neg_count, ints(aux["coreNegFactor_populationSampledRatingCount"])
    )
    np.testing.assert_array_equal(
        signs.pop_pos_count, ints(aux["corePosFactor_populationSampledRatingCount"])
    )
    tags = compute_tag_aggregates(
        run.scoped, floats(run.scored["coreNoteFactor1"]), run.rater_factor, CONFIG
    )
    reference = floats(aux["ratingWeight"])
    assert (np.isnan(tags.rating_weight) == np.isnan(reference)).all()
    has = ~np.isnan(reference)
    # Known deviation: our weights are within 1% of the reference's on 99% of the notes but
    # not equal; the reference probably weights with its prescoring note factors, which it
    # does not write out (coreNoteFactor1 is the final-scoring factor).
    relative = np.abs(tags.rating_weight[has] / reference[has] - 1.0)
    assert np.mean(relative < 0.01) >= 0.99
