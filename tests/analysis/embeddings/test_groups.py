"""Opinion groups on a matrix whose groups are known, and the label comparison."""

from __future__ import annotations

import numpy as np
import pytest

from bridgewatch.analysis.embeddings import OpinionGroupsConfig, compare_labels, opinion_groups
from bridgewatch.errors import ConfigError
from tests.analysis.embeddings.factories import two_camps


def test_two_camps_make_two_groups_that_match_them() -> None:
    m, camps = two_camps()
    groups = opinion_groups(m)
    assert groups.k == 2
    labels = groups.labels_for(m.rater_ids)
    table = compare_labels("group", labels, "camp", camps)
    assert table["ari"][0] == pytest.approx(1.0)
    assert groups.silhouettes["k"].to_list() == [2, 3, 4, 5]
    assert groups.raters.height == m.n_raters
    # The same seed gives the same map.
    assert opinion_groups(m).raters.equals(groups.raters)


def test_labels_for_unknown_or_unplaced_raters_is_minus_one() -> None:
    m, _camps = two_camps()
    groups = opinion_groups(m)
    got = groups.labels_for(np.array(["r0", "nobody"], dtype=np.str_))
    assert got[0] >= 0
    assert got[1] == -1


def test_compare_labels_ignores_label_names_and_unlabelled_raters() -> None:
    a = np.array([0, 0, 1, 1, -1])
    b = np.array([5, 5, 2, 2, 2])
    table = compare_labels("a", a, "b", b)
    assert table["ari"][0] == pytest.approx(1.0)
    assert table["raters"].sum() == 4


def test_too_few_raters_is_a_config_error_naming_the_field() -> None:
    m, _camps = two_camps(n_per_camp=1, n_notes=4)
    with pytest.raises(ConfigError, match="min_rater_ratings"):
        opinion_groups(m)
    with pytest.raises(ConfigError, match="k_range"):
        OpinionGroupsConfig(k_range=(1, 3))
