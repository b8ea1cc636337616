"""Preprocessing of a loaded dataset for the Core scorer (scoring-core.md §2.3, §2.4)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from bridgewatch.io.dataset import Dataset, load_dataset
from bridgewatch.model.columns import ENROLLED_SINCE_COLUMN
from bridgewatch.scoring.config import ScoringConfig
from bridgewatch.scoring.inputs import CoreInputs, prepare_core_inputs
from bridgewatch.scoring.manipulation import PostSelectionConfig, QuasiCliqueConfig
from bridgewatch.scoring.preprocess import CORE_MODELING_GROUPS
from bridgewatch.scoring.reputation import EstablishmentConfig
from tests.scoring.community import load_small_community, write_small_community

CONFIG = ScoringConfig(topics=None)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Dataset:
    return load_small_community(tmp_path_factory.mktemp("community"))


@pytest.fixture(scope="module")
def inputs(dataset: Dataset) -> CoreInputs:
    return prepare_core_inputs(dataset, CONFIG)


def test_notes_are_the_sorted_history_rows(inputs: CoreInputs) -> None:
    ids = inputs.history.note_id
    assert np.array_equal(ids, np.sort(ids))
    assert np.array_equal(inputs.note_ids.ids, ids)
    assert inputs.scoped.note_idx.max() < inputs.n_notes


def test_scoped_ratings_come_from_core_groups_or_unenrolled_raters(inputs: CoreInputs) -> None:
    raters = inputs.scoped.rater_idx
    groups = inputs.modeling_group[raters]
    enrolled = inputs.enrolled[raters]
    in_core = np.isin(groups, sorted(CORE_MODELING_GROUPS))
    assert np.all(in_core | ~enrolled)
    out_of_scope = ~inputs.in_scope[inputs.post_pss.rater_idx]
    assert out_of_scope.any(), "the simulated community has non-Core groups"
    assert inputs.scoped.n_ratings == inputs.post_pss.n_ratings - int(out_of_scope.sum())


def test_capture_needs_half_of_a_notes_ratings_in_scope(inputs: CoreInputs) -> None:
    post = inputs.post_pss
    total = np.bincount(post.note_idx, minlength=inputs.n_notes)
    scoped = np.bincount(post.note_idx[inputs.in_scope[post.rater_idx]], minlength=inputs.n_notes)
    expected = (total > 0) & (2 * scoped >= total)
    np.testing.assert_array_equal(inputs.captured, expected)


def test_a_note_in_neither_file_loses_its_ratings(dataset: Dataset) -> None:
    gone = dataset.notes["noteId"][0]
    trimmed = replace(
        dataset,
        notes=dataset.notes.filter(pl.col("noteId") != gone),
        status_history=dataset.status_history.filter(pl.col("noteId") != gone),
    )
    result = prepare_core_inputs(trimmed, CONFIG)
    assert gone not in set(result.note_ids.ids.tolist())
    n_gone = int(np.sum(dataset.ratings.note_ids.ids[dataset.ratings.note_idx] == gone))
    assert n_gone > 0
    assert result.ratings.n_ratings == dataset.ratings.n_ratings - n_gone


def test_a_deleted_note_in_the_history_keeps_its_ratings(dataset: Dataset) -> None:
    deleted = dataset.notes["noteId"][1]
    trimmed = replace(dataset, notes=dataset.notes.filter(pl.col("noteId") != deleted))
    result = prepare_core_inputs(trimmed, CONFIG)
    row = int(np.flatnonzero(result.note_ids.ids == deleted)[0])
    assert result.note_info.classification[row] == -1
    assert np.any(result.ratings.note_idx == row)


def test_without_enrollment_everyone_is_in_scope(tmp_path: Path) -> None:
    files = write_small_community(tmp_path)
    data = load_dataset(notes=files.notes, ratings=files.ratings[0])
    result = prepare_core_inputs(data, CONFIG)
    assert result.in_scope.all()
    assert result.scoped.n_ratings == result.post_pss.n_ratings


def test_manipulation_detection_runs_when_configured(dataset: Dataset) -> None:
    config = replace(
        CONFIG, post_selection=PostSelectionConfig(), quasi_cliques=QuasiCliqueConfig()
    )
    result = prepare_core_inputs(dataset, config)
    # The simulated community has no brigade: nothing is coalesced or flagged.
    assert result.post_pss.n_ratings == result.ratings.n_ratings
    assert not result.correlated.any()


def test_given_clusters_coalesce_ratings(dataset: Dataset, inputs: CoreInputs) -> None:
    cluster = np.full(inputs.n_participants, -1, dtype=np.int64)
    raters = np.unique(inputs.ratings.rater_idx)[:50]
    cluster[raters] = 0  # one big cluster
    clique = np.zeros(inputs.n_participants, dtype=np.int64)
    clique[raters[:5]] = 1
    result = prepare_core_inputs(dataset, CONFIG, rater_cluster=cluster, rater_quasi_clique=clique)
    assert result.post_pss.n_ratings < result.ratings.n_ratings
    assert result.correlated.any()


def test_the_establishment_clock_starts_at_the_platforms_column(dataset: Dataset) -> None:
    """A frame with ``ENROLLED_SINCE_COLUMN`` (the platform's) starts the clock there: a
    state change scoring wrote since (a recent ``timestampOfLastStateChange``) does not
    make an old account unproven; a null falls back to the last state change."""
    config = ScoringConfig(topics=None, establishment=EstablishmentConfig())
    base = prepare_core_inputs(dataset, config).established
    assert base is not None and 0 < base.sum() < base.shape[0]
    frame = dataset.enrollment
    now = int(dataset.ratings.created_at_ms.max())
    # Every row's state changed just now, as scoring writes it.
    moved = frame.with_columns(
        pl.col("timestampOfLastStateChange").alias(ENROLLED_SINCE_COLUMN),
        pl.lit(now, dtype=pl.Int64).alias("timestampOfLastStateChange"),
    )
    kept = prepare_core_inputs(replace(dataset, enrollment=moved), config).established
    assert kept is not None
    np.testing.assert_array_equal(kept, base)
    restarted = moved.with_columns(pl.lit(None, dtype=pl.Int64).alias(ENROLLED_SINCE_COLUMN))
    lost = prepare_core_inputs(replace(dataset, enrollment=restarted), config).established
    assert lost is not None and not lost.any()
