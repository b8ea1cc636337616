"""Application of post-selection-similarity clusters to the ratings (scoring-core.md §2.3 step 5).

How clusters are found is outside this module (``bridgewatch.scoring.manipulation`` finds
them, scoring-extended.md §3.1-3.2); it takes rater -> cluster and rater -> quasi-clique
arrays and returns which ratings survive and which are flagged correlated.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from bridgewatch.scoring.preprocess.config import PreprocessConfig

__all__ = ["PSSResult", "apply_pss"]


@dataclass(frozen=True)
class PSSResult:
    """Outcome of PSS application; arrays have shape (n_ratings,) of the input ratings.

    Attributes
    ----------
    keep : bool, the rating survives coalescing and the same-cluster-as-author rule.
    correlated_rater : bool, the rater has a quasi-clique value >= 1 (``correlatedRater``).
    """

    keep: NDArray[np.bool_]
    correlated_rater: NDArray[np.bool_]


def apply_pss(
    note_idx: NDArray[np.int32],
    rater_idx: NDArray[np.int32],
    created_at_ms: NDArray[np.int64],
    note_author_idx: NDArray[np.int32],
    n_notes_in_table: int,
    config: PreprocessConfig,
    *,
    rater_cluster: NDArray[np.int64] | None = None,
    rater_quasi_clique: NDArray[np.int64] | None = None,
    require_both: bool = False,
) -> PSSResult:
    """Coalesce ratings of post-selection-similar raters and flag quasi-clique raters.

    * Raters with ``quasiCliqueValue >= 1`` get every rating flagged ``correlatedRater``; this
      happens even on small data.
    * Only when the notes table has at least ``config.min_notes_for_safeguards`` notes: for
      raters with a cluster id, only the earliest rating (by ``created_at_ms``, ties by input
      order) per (note, cluster) is kept, and when the note's author is in the same cluster as
      the rater, all of that cluster's ratings on the note are dropped.

    Parameters
    ----------
    note_idx, rater_idx : int32 arrays of shape (n_ratings,)
    created_at_ms : int64 array of shape (n_ratings,), ms since the epoch
    note_author_idx : int32 array of shape (n_notes,), participant row of each note's author,
        -1 when unknown
    n_notes_in_table : number of notes in the notes table (the size guard)
    config : PreprocessConfig
    rater_cluster : int64 array of shape (n_participants,), ``postSelectionValue``, -1 for none
    rater_quasi_clique : int64 array of shape (n_participants,), ``quasiCliqueValue``, -1 or 0
        for none
    require_both : reproduce the reference's final-scoring quirk (scoring-extended.md §3.1):
        only raters with both a cluster id and a quasi-clique value >= 1 are coalesced and
        flagged (the reference drops table rows with any missing value first)

    Returns
    -------
    PSSResult
    """
    n = note_idx.shape[0]
    keep = np.ones(n, dtype=np.bool_)
    if require_both:
        if rater_cluster is None or rater_quasi_clique is None:
            rater_cluster = rater_quasi_clique = None
        else:
            both = (rater_cluster >= 0) & (rater_quasi_clique >= 1)
            rater_cluster = np.where(both, rater_cluster, -1)
            rater_quasi_clique = np.where(both, rater_quasi_clique, 0)
    if rater_quasi_clique is None:
        correlated = np.zeros(n, dtype=np.bool_)
    else:
        correlated = rater_quasi_clique[rater_idx] >= 1
    if rater_cluster is None or n_notes_in_table < config.min_notes_for_safeguards or n == 0:
        return PSSResult(keep=keep, correlated_rater=correlated)
    cluster = rater_cluster[rater_idx]
    clustered = np.flatnonzero(cluster >= 0)
    if clustered.size == 0:
        return PSSResult(keep=keep, correlated_rater=correlated)
    c_note = note_idx[clustered].astype(np.int64)
    c_cluster = cluster[clustered]
    # Earliest rating per (note, cluster): lexsort is stable, so ties keep input order.
    order = np.lexsort((created_at_ms[clustered], c_cluster, c_note))
    sorted_note = c_note[order]
    sorted_cluster = c_cluster[order]
    first = np.ones(order.shape[0], dtype=np.bool_)
    first[1:] = (sorted_note[1:] != sorted_note[:-1]) | (sorted_cluster[1:] != sorted_cluster[:-1])
    keep[clustered[order[~first]]] = False
    author = note_author_idx[c_note]
    author_cluster = np.where(author >= 0, rater_cluster[np.maximum(author, 0)], -1)
    same_cluster = (author_cluster >= 0) & (author_cluster == c_cluster)
    keep[clustered[same_cluster]] = False
    return PSSResult(keep=keep, correlated_rater=correlated)
