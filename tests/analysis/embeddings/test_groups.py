"""Opinion groups on a matrix whose groups are known, and the label comparison."""

from __future__ import annotations

import numpy as np
import pytest

from bridgewatch.analysis.embeddings import (
    AxesConfig,
    OpinionGroupsConfig,
    compare_labels,
    opinion_groups,
)
from bridgewatch.errors import ConfigError
from tests.analysis.embeddings.factories import matrix_of, two_camps


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


def test_light_raters_join_the_group_of_the_raters_they_vote_like() -> None:
    # Two camps who rate all 40 notes, and four light raters who cast 16 votes each, on
    # 8 even (agreed) notes, +1 like everyone, and 8 odd (opposed) notes: two vote like
    # camp 0, two like camp 1. (On odd notes alone, a rater's position could not be told
    # from its leniency: all of them lean the same way.)
    m, camps = two_camps()
    votes = [
        (int(r), int(c), int(v)) for r, c, v in zip(m.rater_idx, m.note_idx, m.votes, strict=True)
    ]
    for extra in range(4):
        vote = 1 if extra < 2 else -1
        votes += [(60 + extra, note, vote) for note in range(1, 17, 2)]
        votes += [(60 + extra, note, 1) for note in range(0, 16, 2)]
    light = matrix_of(votes, 64, 40)
    # k fixed at 2: this toy's raters sit at exactly four positions (its even-note votes
    # differ by rater), which a silhouette scores as four perfect groups.
    config = OpinionGroupsConfig(k_range=(2, 2), cluster_min_ratings=20, min_cluster_raters=10)
    groups = opinion_groups(light, config)
    labels = groups.labels_for(light.rater_ids)
    clustered = groups.raters["clustered"].to_numpy()
    assert clustered.sum() == 60  # the light raters did not fit the k-means
    assert compare_labels("group", labels[:60], "camp", camps)["ari"][0] == pytest.approx(1.0)
    camp_group = {int(camps[i]): int(labels[i]) for i in (0, 59)}
    assert labels[60:].tolist() == [camp_group[0]] * 2 + [camp_group[1]] * 2


def test_too_few_heavy_raters_cluster_the_most_active_ones() -> None:
    m, camps = two_camps()
    groups = opinion_groups(m, OpinionGroupsConfig(cluster_min_ratings=1000, min_cluster_raters=20))
    assert int(groups.raters["clustered"].sum()) == 20
    labels = groups.labels_for(m.rater_ids)
    assert compare_labels("group", labels, "camp", camps)["ari"][0] == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("field", "value"),
    [("cluster_min_ratings", 0), ("min_cluster_raters", 0), ("cluster_sample", 5)],
)
def test_bad_clustering_settings_are_config_errors(field: str, value: float) -> None:
    with pytest.raises(ConfigError, match=field):
        OpinionGroupsConfig(**{field: value})  # type: ignore[arg-type]


def test_more_clustered_components_than_axes_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="cluster_components"):
        OpinionGroupsConfig(axes=AxesConfig(n_components=1), cluster_components=2)


def test_axes_fitted_on_a_sample_of_raters_still_place_every_rater_in_its_camp() -> None:
    m, camps = two_camps()
    # 480 of the 2,400 votes: 12 of the 60 raters fit the axes. k fixed at 2: on this toy's
    # second axis the raters sit at a few exact positions (their even-note votes), which a
    # silhouette scores as more perfect groups.
    config = OpinionGroupsConfig(axes=AxesConfig(fit_max_ratings=480), k_range=(2, 2))
    groups = opinion_groups(m, config)
    assert groups.raters.height == m.n_raters
    table = compare_labels("group", groups.labels_for(m.rater_ids), "camp", camps)
    assert table["ari"][0] == pytest.approx(1.0)
