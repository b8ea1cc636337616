"""Opinion axes: the normal-equation kernel on paper, the fit on planted structure, and
outlier raters with few votes (issue #17: they took the axes at 10M ratings)."""

from __future__ import annotations

import numpy as np
import pytest

from bridgewatch.analysis.embeddings import (
    AxesConfig,
    OpinionGroupsConfig,
    RatingMatrix,
    compare_labels,
    fit_opinion_axes,
    opinion_groups,
)
from bridgewatch.analysis.embeddings._kernels import factor_normal_equations
from bridgewatch.errors import ConfigError
from tests.analysis.embeddings.factories import (
    camps_with_a_light_block,
    matrix_of,
    random_matrix,
    two_camps,
)


def test_factor_normal_equations_match_a_plain_numpy_sum() -> None:
    m = random_matrix(3, n_raters=15, n_notes=11, p=0.6)
    rng = np.random.default_rng(0)
    keep = rng.random(m.n_ratings) < 0.8
    note_means, rater_means = rng.normal(size=m.n_notes), rng.normal(size=m.n_raters)
    loadings = rng.normal(size=(m.n_notes, 2))
    loadings[4] = 0.0  # a note without loadings adds nothing
    gram, rhs = factor_normal_equations(
        m.rater_idx, m.note_idx, m.votes, keep, rater_means, note_means, loadings, m.n_raters
    )
    r, n = m.rater_idx[keep], m.note_idx[keep]
    y = m.votes[keep] - rater_means[r] - note_means[n]
    f = loadings[n]
    want_gram = np.zeros((m.n_raters, 2, 2))
    np.add.at(want_gram, r, f[:, :, None] * f[:, None, :])
    want_rhs = np.zeros((m.n_raters, 2))
    np.add.at(want_rhs, r, y[:, None] * f)
    np.testing.assert_allclose(gram, want_gram, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(rhs, want_rhs, rtol=1e-12, atol=1e-12)


def test_the_first_axis_separates_two_camps_and_explains_most() -> None:
    m, camps = two_camps()
    keep = np.ones(m.n_ratings, dtype=np.bool_)
    axes = fit_opinion_axes(m, keep, AxesConfig(), np.random.default_rng(0))
    first = axes.rater_positions[:, 0]
    assert np.all(first[camps == 0] * first[camps == 1][0] < 0)  # opposite signs
    assert np.all(np.sign(first[camps == 1]) == np.sign(first[camps == 1][0]))
    assert axes.explained[0] > 5 * axes.explained[1]
    assert axes.singular_values[0] >= axes.singular_values[1]
    # Odd notes split the camps. (Even notes load on the axis too, with the other sign:
    # camp 0's +1 on every odd note makes it look lenient, and its rater-centred votes on
    # the even notes fall below camp 1's.)
    odd, even = axes.note_loadings[1::2, 0], axes.note_loadings[0::2, 0]
    assert np.all(np.sign(odd) == np.sign(odd[0]))
    assert np.all(np.sign(even) == -np.sign(odd[0]))
    # The same generator seed gives the same axes, bit for bit.
    again = fit_opinion_axes(m, keep, AxesConfig(), np.random.default_rng(0))
    assert np.array_equal(again.rater_positions, axes.rater_positions)


def _camps_with_outlier_blocks(n_blocks: int) -> tuple[RatingMatrix, np.ndarray]:
    """The two camps (60 raters, 40 notes) plus ``n_blocks`` outlier blocks: 10 raters
    who each cast 8 votes on 8 notes of their own, half of them +1 on the block's first
    four notes and -1 on the rest, the other half the reverse (a perfect split no one else
    sees). Camps of the outliers: -1."""
    m, camps = two_camps()
    votes = [
        (int(r), int(c), int(v)) for r, c, v in zip(m.rater_idx, m.note_idx, m.votes, strict=True)
    ]
    n_raters, n_notes = m.n_raters, m.n_notes
    for _block in range(n_blocks):
        for i in range(10):
            sign = 1 if i < 5 else -1
            for j in range(8):
                votes.append((n_raters + i, n_notes + j, sign if j < 4 else -sign))
        n_raters, n_notes = n_raters + 10, n_notes + 8
    labels = np.concatenate([camps, np.full(n_raters - camps.shape[0], -1)])
    return matrix_of(votes, n_raters, n_notes), labels


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_raters_with_few_votes_cannot_take_an_axis_issue_17(seed: int) -> None:
    # Scaled by rater and note degrees, each outlier block is as strong as the camps (the
    # truncated SVD put its axes on blocks like these at 10M ratings); by votes, with
    # ridge, they are weak, and their raters (8 votes) do not fit the axes at all.
    m, labels = _camps_with_outlier_blocks(3)
    config = OpinionGroupsConfig(cluster_min_ratings=20, min_cluster_raters=10, seed=seed)
    groups = opinion_groups(m, config)
    got = groups.labels_for(m.rater_ids)
    # The camps lie apart on the map's first axis (on outlier axes they sat at 1e-16 from
    # the centre, and k-means split them by rounding noise).
    x = groups.raters["x"].to_numpy()[:60]
    assert np.abs(x).min() > 0.1
    assert np.all(np.sign(x[labels[:60] == 0]) == -np.sign(x[labels[:60] == 1][0]))
    assert groups.k == 2
    assert compare_labels("group", got, "camp", labels)["ari"][0] == pytest.approx(1.0)
    # The outlier blocks' notes carry (almost) no loading on the camp axis.
    axes = fit_opinion_axes(
        m, np.ones(m.n_ratings, dtype=np.bool_), AxesConfig(), np.random.default_rng(seed)
    )
    assert np.abs(axes.note_loadings[40:, 0]).max() < 0.1


@pytest.mark.parametrize("vote", [-1, 1])
def test_light_raters_shifting_note_means_do_not_take_the_first_axis(vote: int) -> None:
    # 200 raters with 4 votes each, all on 8 notes, move those notes' means far from the
    # camps' mean. Centred on every rater's mean, both camps kept a residual of one sign on
    # those notes, and a one-axis fit took that shared offset: every camp rater on one side.
    # Centred on the fitting raters' means, the axis is the camps' again.
    m, labels = camps_with_a_light_block(vote=vote)
    axes = fit_opinion_axes(
        m,
        np.ones(m.n_ratings, dtype=np.bool_),
        AxesConfig(n_components=1),
        np.random.default_rng(0),
    )
    first = axes.rater_positions[:60, 0]
    assert np.all(np.sign(first[labels[:60] == 0]) == -np.sign(first[labels[:60] == 1][0]))
    assert np.all(np.sign(first[labels[:60] == 1]) == np.sign(first[labels[:60] == 1][0]))
    # The camps sit about symmetrically around 0, as they do without the light raters.
    assert abs(first.mean()) < 0.1 * np.abs(first).mean()


def test_too_few_raters_to_fit_the_axes_is_a_config_error_naming_the_field() -> None:
    m, _camps = two_camps()
    keep = np.ones(m.n_ratings, dtype=np.bool_)
    with pytest.raises(ConfigError, match="fit_min_rater_ratings"):
        fit_opinion_axes(m, keep, AxesConfig(fit_min_rater_ratings=1000), np.random.default_rng(0))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("n_components", 0),
        ("fit_min_note_raters", 0),
        ("rater_ridge", 0.0),
        ("note_ridge", float("nan")),
        ("loading_shrink", -1.0),
        ("full_sweeps", -1),
        ("tol", 0.0),
    ],
)
def test_bad_axis_settings_are_config_errors(field: str, value: float) -> None:
    with pytest.raises(ConfigError, match=field):
        AxesConfig(**{field: value})  # type: ignore[arg-type]
