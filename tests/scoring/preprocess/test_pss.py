"""PSS application (scoring-core.md §2.3 step 5)."""

from __future__ import annotations

import numpy as np

from bridgewatch.scoring.preprocess import PreprocessConfig, apply_pss

CFG = PreprocessConfig(min_notes_for_safeguards=2)


def test_earliest_rating_per_note_and_cluster_survives() -> None:
    # raters 0,1 share cluster 7; rater 2 has none. Both rate note 0; rater 1 first.
    note = np.array([0, 0, 0, 1], dtype=np.int32)
    rater = np.array([0, 1, 2, 0], dtype=np.int32)
    created = np.array([20, 10, 5, 30], dtype=np.int64)
    authors = np.array([3, 3], dtype=np.int32)
    cluster = np.array([7, 7, -1, -1], dtype=np.int64)
    res = apply_pss(note, rater, created, authors, 10, CFG, rater_cluster=cluster)
    assert res.keep.tolist() == [False, True, True, True]
    assert not res.correlated_rater.any()


def test_cluster_of_the_author_loses_all_its_ratings_on_the_note() -> None:
    note = np.array([0, 0, 1], dtype=np.int32)
    rater = np.array([0, 1, 0], dtype=np.int32)
    created = np.array([1, 2, 3], dtype=np.int64)
    authors = np.array([2, 3], dtype=np.int32)  # author 2 is in cluster 7, author 3 in none
    cluster = np.array([7, 5, 7, -1], dtype=np.int64)
    res = apply_pss(note, rater, created, authors, 10, CFG, rater_cluster=cluster)
    assert res.keep.tolist() == [False, True, True]


def test_small_tables_skip_coalescing_but_still_flag_correlated_raters() -> None:
    note = np.array([0, 0], dtype=np.int32)
    rater = np.array([0, 1], dtype=np.int32)
    created = np.array([1, 2], dtype=np.int64)
    authors = np.array([-1], dtype=np.int32)
    cluster = np.array([7, 7], dtype=np.int64)
    clique = np.array([0, 2], dtype=np.int64)
    res = apply_pss(
        note, rater, created, authors, 1, CFG, rater_cluster=cluster, rater_quasi_clique=clique
    )
    assert res.keep.all()
    assert res.correlated_rater.tolist() == [False, True]


def test_ties_keep_input_order() -> None:
    note = np.array([0, 0], dtype=np.int32)
    rater = np.array([1, 0], dtype=np.int32)
    created = np.array([5, 5], dtype=np.int64)
    cluster = np.array([4, 4], dtype=np.int64)
    res = apply_pss(note, rater, created, np.array([-1], np.int32), 10, CFG, rater_cluster=cluster)
    assert res.keep.tolist() == [True, False]


def test_final_scoring_quirk_keeps_only_raters_in_both_tables() -> None:
    # Raters 0, 1 share cluster 7 (rater 1 also in quasi-clique 1); rater 2 is only in
    # quasi-clique 2; rater 3 is in cluster 7 and quasi-clique 3.
    note = np.array([0, 0, 0, 0], dtype=np.int32)
    rater = np.array([0, 1, 2, 3], dtype=np.int32)
    created = np.array([1, 2, 3, 4], dtype=np.int64)
    authors = np.array([-1], dtype=np.int32)
    cluster = np.array([7, 7, -1, 7], dtype=np.int64)
    clique = np.array([0, 1, 2, 3], dtype=np.int64)
    full = apply_pss(
        note, rater, created, authors, 10, CFG, rater_cluster=cluster, rater_quasi_clique=clique
    )
    assert full.keep.tolist() == [True, False, True, False]
    assert full.correlated_rater.tolist() == [False, True, True, True]
    quirk = apply_pss(
        note,
        rater,
        created,
        authors,
        10,
        CFG,
        rater_cluster=cluster,
        rater_quasi_clique=clique,
        require_both=True,
    )
    # Only raters 1 and 3 are in both tables: rater 0 keeps its rating, rater 2 loses its flag.
    assert quirk.keep.tolist() == [True, True, True, False]
    assert quirk.correlated_rater.tolist() == [False, True, False, True]
