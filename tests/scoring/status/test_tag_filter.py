"""Distance-weighted tag aggregates, incorrect aggregates and tag thresholds (§4.9, §5.5d-e)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from bridgewatch.errors import InputError
from bridgewatch.scoring.status import (
    StatusRulesConfig,
    compute_incorrect_aggregates,
    compute_tag_aggregates,
    tag_filter_thresholds,
)
from tests.scoring.factories import make_ratings

NAN = float("nan")
CONFIG = StatusRulesConfig()


def test_tag_aggregates_by_hand() -> None:
    # Factors already have mean 0 and population std 1, so standardising leaves them.
    # Distances: (n0,r0)=0, (n0,r1)=2, (n1,r0)=2, (n1,r1)=0 -> p40 of [0,0,2,2] = 0.4,
    # w(0) = 1, w(2) = 1 / (1 + 5^5) = 1/3126. r2 and n2 have no factor and are ignored.
    ratings = make_ratings(
        [(0, 0, 1.0), (0, 1, 0.0), (1, 0, 0.0), (1, 1, 1.0), (0, 2, 0.0), (2, 0, 0.0)],
        n_notes=3,
        n_participants=3,
        not_helpful=[
            [],
            ["notHelpfulOther"],
            ["notHelpfulIncorrect"],
            [],
            ["notHelpfulOther"],
            ["notHelpfulOther"],
        ],
    )
    agg = compute_tag_aggregates(
        ratings, np.array([-1.0, 1.0, NAN]), np.array([-1.0, 1.0, NAN]), CONFIG
    )
    small = 1 / 3126
    assert agg.distance_scale == pytest.approx(0.4)
    np.testing.assert_allclose(agg.rating_weight, [1 + small, 1 + small, NAN])
    np.testing.assert_allclose(agg.adjusted[0, 0], small)
    np.testing.assert_allclose(agg.adjusted_ratio[0, 0], small / (1 + small))
    np.testing.assert_allclose(agg.adjusted[1, 1], small)
    assert agg.adjusted[0, 1:].sum() == 0.0
    assert np.isnan(agg.adjusted[2]).all() and np.isnan(agg.adjusted_ratio[2]).all()


def test_tag_aggregates_are_invariant_to_factor_scale_and_shift() -> None:
    ratings = make_ratings(
        [(0, 0, 1.0), (0, 1, 0.0), (1, 0, 0.0), (1, 1, 1.0), (1, 2, 1.0)],
        n_notes=2,
        n_participants=3,
        not_helpful=[["notHelpfulOther"], [], ["notHelpfulOther"], [], ["notHelpfulOutdated"]],
    )
    notes, raters = np.array([-0.3, 0.5]), np.array([0.1, -0.4, 0.9])
    a = compute_tag_aggregates(ratings, notes, raters, CONFIG)
    b = compute_tag_aggregates(ratings, 3 * notes + 1, 2 * raters - 5, CONFIG)
    np.testing.assert_allclose(a.adjusted, b.adjusted)
    np.testing.assert_allclose(a.rating_weight, b.rating_weight)


def test_tag_aggregates_without_usable_ratings_are_nan() -> None:
    ratings = make_ratings([(0, 0, 1.0)], n_notes=1, n_participants=1)
    agg = compute_tag_aggregates(ratings, np.array([NAN]), np.array([0.2]), CONFIG)
    assert np.isnan(agg.rating_weight).all() and math.isnan(agg.distance_scale)


def test_incorrect_aggregates_by_hand() -> None:
    # Note 0 has f_n = 0.1. r0 (0.5 -> clipped 0.4) is 0.3 away: not < 0.3, dropped.
    # r1 (0.2) and r2 (-0.15) are kept; r3 carries no NH tag; r4 has no params.
    ratings = make_ratings(
        [(0, 0, 0.0), (0, 1, 0.0), (0, 2, 0.0), (0, 3, 1.0), (0, 4, 0.0), (1, 1, 0.0)],
        n_notes=2,
        n_participants=5,
        not_helpful=[
            ["notHelpfulIncorrect"],
            ["notHelpfulIncorrect"],
            ["notHelpfulOther"],
            [],
            ["notHelpfulIncorrect"],
            ["notHelpfulIncorrect"],
        ],
    )
    agg = compute_incorrect_aggregates(
        ratings,
        note_factor=np.array([0.1, NAN]),
        rater_factor=np.array([0.5, 0.2, -0.15, 0.2, NAN]),
        rater_incorrect_count=np.array([3.0, 1.0, 0.0, 0.0, 2.0]),
        rater_total_count=np.array([3.0, 4.0, 0.0, NAN, 2.0]),
        config=CONFIG,
    )
    np.testing.assert_allclose(agg.incorrect, [1.0, NAN])
    np.testing.assert_allclose(agg.num_voters, [2.0, NAN])
    np.testing.assert_allclose(agg.p_incorrect_user, [0.25, NAN])  # r2: 0/0 -> 0
    np.testing.assert_allclose(agg.tf_idf, [1.0 / math.log(1.25), NAN])


def test_incorrect_tf_idf_is_nan_for_zero_over_zero() -> None:
    ratings = make_ratings(
        [(0, 0, 0.0)], n_notes=1, n_participants=1, not_helpful=[["notHelpfulOther"]]
    )
    agg = compute_incorrect_aggregates(
        ratings, np.array([0.0]), np.array([0.0]), np.array([0.0]), np.array([0.0]), CONFIG
    )
    assert agg.incorrect.tolist() == [0.0] and np.isnan(agg.tf_idf[0])


def test_thresholds_are_the_95th_percentile_over_provisional_crh_notes() -> None:
    ratio = np.zeros((4, 13))
    ratio[:, 0] = [0.1, 0.2, 9.0, NAN]
    ratio[:, 1] = [NAN, NAN, 1.0, NAN]
    thresholds = tag_filter_thresholds(ratio, np.array([True, True, False, True]), CONFIG)
    assert thresholds[0] == pytest.approx(0.1 + 0.95 * 0.1)
    assert np.isnan(thresholds[1])
    assert thresholds[2] == 0.0
    with pytest.raises(InputError):
        tag_filter_thresholds(ratio[:, :5], np.ones(4, np.bool_), CONFIG)
