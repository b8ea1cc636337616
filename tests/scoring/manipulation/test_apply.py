"""Applying PSS clusters and quasi-cliques to ratings (scoring-core.md §2.3 step 5)."""

from __future__ import annotations

import dataclasses

import numpy as np

from bridgewatch.scoring.manipulation import PostSelectionConfig, apply_post_selection
from tests.scoring.manipulation.test_pss import T0, _ratings

CONFIG = PostSelectionConfig()


def _case() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    # Participants: 0 author in cluster 1; 1, 2 in cluster 1; 3, 4 in cluster 2; 5 free,
    # and 5 is also in quasi-clique 1 (as is 3).
    authors = np.array([0, 5], dtype=np.int32)
    clusters = np.array([1, 1, 1, 2, 2, -1], dtype=np.int32)
    quasi = np.array([0, 0, 0, 1, 0, 1], dtype=np.int32)
    return authors, clusters, quasi


RATINGS = _ratings(
    [
        (1, 0, T0 + 5),  # same cluster as note 0's author: dropped
        (3, 0, T0 + 9),  # cluster 2 on note 0: later one ...
        (4, 0, T0 + 2),  # ... earlier one kept
        (5, 0, T0 + 1),  # no cluster: kept
        (1, 1, T0 + 7),  # cluster 1 on note 1 (author 5 has no cluster): first kept
        (2, 1, T0 + 8),  # second of cluster 1 on note 1: dropped
        (3, 1, T0 + 3),  # cluster 2 on note 1: kept
    ],
    n_notes=2,
    n_participants=6,
)


def test_clusters_coalesce_to_the_earliest_rating_and_authors_lose_their_cluster() -> None:
    authors, clusters, quasi = _case()
    out = apply_post_selection(
        RATINGS, authors, clusters, quasi, n_notes_in_file=500, config=CONFIG
    )
    assert out.keep.tolist() == [False, False, True, True, True, False, True]
    assert out.correlated_rater.tolist() == [False, True, False, True, False, False, True]


def test_small_data_keeps_every_rating_but_still_flags() -> None:
    authors, clusters, quasi = _case()
    out = apply_post_selection(
        RATINGS, authors, clusters, quasi, n_notes_in_file=199, config=CONFIG
    )
    assert out.keep.all()
    assert out.correlated_rater.sum() == 3
    lowered = dataclasses.replace(CONFIG, min_notes_to_apply=100)
    out = apply_post_selection(
        RATINGS, authors, clusters, quasi, n_notes_in_file=199, config=lowered
    )
    assert not out.keep.all()


def test_final_scoring_quirk_only_uses_raters_in_both_tables() -> None:
    authors, clusters, quasi = _case()
    out = apply_post_selection(
        RATINGS, authors, clusters, quasi, n_notes_in_file=500, config=CONFIG, require_both=True
    )
    # Only rater 3 has both a cluster and a quasi-clique: everyone else is untouched.
    assert out.keep.all()
    assert out.correlated_rater.tolist() == [False, True, False, False, False, False, True]
