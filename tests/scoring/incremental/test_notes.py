"""A pass that redoes only the changed notes equals a pass over every note."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest

from bridgewatch.io.dataset import Dataset, load_dataset
from bridgewatch.scoring.config import ScoringConfig
from bridgewatch.scoring.defences import with_defences
from bridgewatch.scoring.incremental import IncrementalConfig, rescore_roster, roster_refit
from bridgewatch.scoring.incremental.compact import note_prints, restrict
from bridgewatch.scoring.inputs import CoreInputs, prepare_core_inputs
from bridgewatch.scoring.run import score
from tests.scoring.community import load_small_community, write_small_community
from tests.scoring.incremental.test_roster import AS_OF, _differing

FULL = IncrementalConfig(roster_diligence="full")


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Dataset:
    return load_small_community(tmp_path_factory.mktemp("community"))


def _upto(dataset: Dataset, quantile: float) -> Dataset:
    r = dataset.ratings
    cutoff = np.quantile(r.created_at_ms, quantile)
    return replace(dataset, ratings=r.subset(r.created_at_ms <= cutoff))


def _flooded(dataset: Dataset) -> Dataset:
    """60% of the enrolled raters moved outside Core's modeling groups (group 4) and made
    unproven (their last state change a day before the newest rating): with the defences,
    the capture-share guard hands Core notes whose ratings mostly come from them, and holds
    those where Core reaches no verdict without a Core row."""
    e = dataset.enrollment
    moved = pl.Series(np.random.default_rng(1).random(e.height) < 0.6)
    recent = int(dataset.ratings.created_at_ms.max()) - 86_400_000
    e = e.with_columns(
        pl.when(moved).then(4).otherwise(pl.col("modelingGroup")).alias("modelingGroup"),
        pl.when(moved)
        .then(recent)
        .otherwise(pl.col("timestampOfLastStateChange"))
        .alias("timestampOfLastStateChange"),
    )
    return replace(dataset, enrollment=e)


def _held(result: Any) -> int:
    """Notes some scorer holds without a row through the capture-share guard."""
    out = 0
    for run in result.runs.runs.values():
        f = run.final
        if f is not None and f.guarded is not None:
            out += int((f.guarded & ~f.scored).sum())
    return out


def _check_passes(dataset: Dataset, config: ScoringConfig) -> tuple[list[int], list[int]]:
    """Passes at 80%, 90% and 100% of the ratings after a refit at 70%, each over the changed
    notes, equal to a pass over every note; (notes redone, guard-held notes) per pass."""
    refit = roster_refit(score(_upto(dataset, 0.7), config, as_of_ms=AS_OF, seed=0))
    groups: dict[str, Any] = {
        "rater_cluster": refit.rater_cluster,
        "rater_quasi_clique": refit.rater_quasi_clique,
    }

    def shared_at(q: float) -> CoreInputs:
        inputs = prepare_core_inputs(_upto(dataset, q), config, **groups)
        return replace(inputs, established=refit.established)

    first = shared_at(0.7)
    previous = rescore_roster(first, refit, {}, AS_OF, config, FULL)
    redone, held = [], [_held(previous)]
    for q in (0.8, 0.9, 1.0):
        shared = shared_at(q)
        step = rescore_roster(shared, refit, {}, AS_OF, config, FULL, previous=previous)
        every = rescore_roster(shared, refit, {}, AS_OF, config, FULL)
        assert _differing(every.scored_notes(AS_OF, config), step.scored_notes(AS_OF, config)) == []
        for name, run in every.runs.runs.items():
            a, b = run.final, step.runs.runs[name].final
            assert a is not None and b is not None
            np.testing.assert_array_equal(a.rules.status, b.rules.status, err_msg=name)
            np.testing.assert_array_equal(a.scored, b.scored, err_msg=name)
            np.testing.assert_allclose(a.main.intercept, b.main.intercept, rtol=1e-12)
            if a.bounds is not None:
                assert b.bounds is not None
                np.testing.assert_allclose(
                    a.bounds.intercept_max, b.bounds.intercept_max, rtol=1e-12, err_msg=name
                )
            for x, y in (
                (a.tags.adjusted_ratio, b.tags.adjusted_ratio),
                (a.incorrect.tf_idf, b.incorrect.tf_idf),
                (a.low_diligence_intercept, b.low_diligence_intercept),
                (a.rules.inputs.low_diligence_intercept, b.rules.inputs.low_diligence_intercept),
            ):
                assert x is not None and y is not None
                np.testing.assert_allclose(x, y, rtol=1e-12, err_msg=name)
        redone.append(int(step.resolved.sum()))
        held.append(_held(step))
        previous = step
    # Some notes were redone, not all of them.
    assert 0 < max(redone) < first.n_notes
    return redone, held


@pytest.mark.parametrize("defences", [False, True], ids=["plain", "defences"])
def test_passes_over_the_changed_notes_equal_passes_over_every_note(
    dataset: Dataset, defences: bool
) -> None:
    config = ScoringConfig(topics=None)
    if defences:
        config = with_defences(config)
    _check_passes(dataset, config)


def test_guard_held_notes_in_passes_over_the_changed_notes(dataset: Dataset) -> None:
    # The capture-share guard's held notes (no row where the scorer reaches no verdict) are
    # redone only when their row comes or goes or a rule's figure moves (issue #16: redoing
    # every held note cost each pass a second rule table over all of them); the passes
    # still equal passes over every note.
    _, held = _check_passes(_flooded(dataset), with_defences(ScoringConfig(topics=None)))
    assert min(held) > 0, held


def test_restrict_keeps_each_notes_ratings_in_order(dataset: Dataset) -> None:
    inputs = prepare_core_inputs(dataset, ScoringConfig(topics=None))
    rows = np.array([1, 4, 7], dtype=np.int64)
    small = restrict(inputs, rows)
    assert small.note_ids.ids.tolist() == inputs.note_ids.ids[rows].tolist()
    for k, row in enumerate(rows.tolist()):
        want = inputs.post_pss.rater_idx[inputs.post_pss.note_idx == row]
        got = small.post_pss.rater_idx[small.post_pss.note_idx == k]
        assert want.tolist() == got.tolist()
    np.testing.assert_array_equal(note_prints(small), note_prints(inputs)[rows])


def test_raters_entering_and_leaving_the_main_fit_redo_their_other_notes(
    dataset: Dataset,
) -> None:
    # Every fifth rater loses (then regains) their ratings on notes with enough ratings to be
    # fitted, keeping those on sparsely rated notes: they leave (then re-enter) the main fit,
    # which changes the aggregates of the sparse notes whose own ratings did not change.
    config = ScoringConfig(topics=None)
    r = dataset.ratings
    refit = roster_refit(score(_upto(dataset, 0.7), config, as_of_ms=AS_OF, seed=0))
    sparse_note = np.bincount(r.note_idx, minlength=r.n_notes) < 5
    movers = r.rater_idx % 5 == 0
    without = replace(dataset, ratings=r.subset(~movers | sparse_note[r.note_idx]))
    groups: dict[str, Any] = {
        "rater_cluster": refit.rater_cluster,
        "rater_quasi_clique": refit.rater_quasi_clique,
    }
    previous = None
    for data in (without, dataset, without):
        shared = prepare_core_inputs(data, config, **groups)
        step = rescore_roster(shared, refit, {}, AS_OF, config, FULL, previous=previous)
        every = rescore_roster(shared, refit, {}, AS_OF, config, FULL)
        assert _differing(every.scored_notes(AS_OF, config), step.scored_notes(AS_OF, config)) == []
        for name, run in every.runs.runs.items():
            a, b = run.final, step.runs.runs[name].final
            assert a is not None and b is not None
            np.testing.assert_array_equal(a.signs.neg_count, b.signs.neg_count, err_msg=name)
            np.testing.assert_array_equal(a.signs.pos_count, b.signs.pos_count, err_msg=name)
            np.testing.assert_allclose(a.main.rater_factor, b.main.rater_factor, rtol=0)
        previous = step


def test_a_new_note_is_redone_without_redoing_the_others(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    # The same community without its last-created note, then with it (and its ratings).
    files = write_small_community(tmp_path_factory.mktemp("grown"))
    notes = pl.read_csv(files.notes, separator="\t", infer_schema_length=0)
    newest = notes.sort("createdAtMillis").tail(1)["noteId"].item()
    before = tmp_path_factory.mktemp("before")
    for src in (files.notes, files.note_status_history, files.ratings[0]):
        frame = pl.read_csv(src, separator="\t", infer_schema_length=0)
        frame.filter(pl.col("noteId") != newest).write_csv(
            before / src.name, separator="\t", null_value=""
        )

    def load(root: Path | None) -> Dataset:
        def at(path: Path) -> Path:
            return path if root is None else root / path.name

        return load_dataset(
            notes=at(files.notes),
            ratings=at(files.ratings[0]),
            status_history=at(files.note_status_history),
            enrollment=files.user_enrollment,
        )

    config = ScoringConfig(topics=None)
    first = load(before)
    refit = roster_refit(score(first, config, as_of_ms=AS_OF, seed=0))
    groups: dict[str, Any] = {
        "rater_cluster": refit.rater_cluster,
        "rater_quasi_clique": refit.rater_quasi_clique,
    }
    previous = rescore_roster(
        prepare_core_inputs(first, config, **groups), refit, {}, AS_OF, config, FULL
    )
    shared = prepare_core_inputs(load(None), config, **groups)
    assert len(shared.note_ids) == len(previous.inputs.note_ids) + 1
    step = rescore_roster(shared, refit, {}, AS_OF, config, FULL, previous=previous)
    every = rescore_roster(shared, refit, {}, AS_OF, config, FULL)
    assert _differing(every.scored_notes(AS_OF, config), step.scored_notes(AS_OF, config)) == []
    assert step.notes  # the scorers went over the new note alone, not every note
    assert 0 < int(step.resolved.sum()) < shared.n_notes // 2
