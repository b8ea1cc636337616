"""Applying PSS clusters and quasi-cliques to ratings (scoring-core.md §2.3 step 5, ext. §3.1).

* Ratings by raters with ``quasiCliqueValue >= 1`` are flagged ``correlatedRater``.
* Raters without a cluster id keep all their ratings.
* A rater in the same cluster as the note's author loses that rating.
* Otherwise only the earliest rating per (note, cluster) is kept.
* Below ``min_notes_to_apply`` notes nothing is dropped (the flag is still set).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from bridgewatch.model import Ratings
from bridgewatch.scoring.manipulation.config import PostSelectionConfig
from bridgewatch.scoring.manipulation.pss import NO_CLUSTER

__all__ = ["PostSelectionApplication", "apply_post_selection"]


@dataclass(frozen=True)
class PostSelectionApplication:
    """Which ratings survive PSS and which are flagged.

    Parameters
    ----------
    keep : bool array of shape (n_ratings,)
        Ratings that stay in the scoring input.
    correlated_rater : bool array of shape (n_ratings,)
        ``correlatedRater`` flag (rater in a quasi-clique).
    """

    keep: NDArray[np.bool_]
    correlated_rater: NDArray[np.bool_]


def apply_post_selection(
    ratings: Ratings,
    note_author_idx: NDArray[np.int32],
    post_selection_value: NDArray[np.int32],
    quasi_clique_value: NDArray[np.int32],
    *,
    n_notes_in_file: int,
    config: PostSelectionConfig,
    require_both: bool = False,
) -> PostSelectionApplication:
    """Coalesce clustered raters and flag correlated ones (core §2.3 step 5).

    Parameters
    ----------
    ratings : Ratings
    note_author_idx : int32 array of shape (n_notes,)
        Author of each note, -1 if unknown.
    post_selection_value : int32 array of shape (n_participants,)
        PSS cluster id per participant, -1 for none.
    quasi_clique_value : int32 array of shape (n_participants,)
        Quasi-clique id per participant, 0 or -1 for none.
    n_notes_in_file : int
        Number of notes in the notes table (the small-data guard compares it).
    config : PostSelectionConfig
    require_both : bool
        Reproduce the reference's final-scoring quirk (ext. §3.1): only raters with both a
        cluster id and a quasi-clique id are coalesced and flagged.

    Returns
    -------
    PostSelectionApplication
    """
    clusters = post_selection_value
    quasi = quasi_clique_value
    if require_both:
        both = (clusters != NO_CLUSTER) & (quasi >= 1)
        clusters = np.where(both, clusters, NO_CLUSTER).astype(np.int32)
        quasi = np.where(both, quasi, 0).astype(np.int32)
    correlated = quasi[ratings.rater_idx] >= 1
    if n_notes_in_file < config.min_notes_to_apply:
        return PostSelectionApplication(np.ones(ratings.n_ratings, dtype=np.bool_), correlated)
    rater_cluster = clusters[ratings.rater_idx]
    author = note_author_idx[ratings.note_idx]
    author_cluster = np.where(author >= 0, clusters[np.maximum(author, 0)], NO_CLUSTER)
    clustered = rater_cluster != NO_CLUSTER
    same_as_author = clustered & (rater_cluster == author_cluster)
    candidates = np.flatnonzero(clustered & ~same_as_author)
    order = candidates[
        np.lexsort(
            (
                candidates,
                ratings.created_at_ms[candidates],
                rater_cluster[candidates],
                ratings.note_idx[candidates],
            )
        )
    ]
    keep = ~clustered
    if order.shape[0]:
        note_sorted = ratings.note_idx[order]
        cluster_sorted = rater_cluster[order]
        first = np.r_[
            True,
            (note_sorted[1:] != note_sorted[:-1]) | (cluster_sorted[1:] != cluster_sorted[:-1]),
        ]
        keep[order[first]] = True
    return PostSelectionApplication(keep, correlated)
