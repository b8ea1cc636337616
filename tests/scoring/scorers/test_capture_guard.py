"""The capture-share guard: out-of-scope ratings by unproven raters do not count in a
scorer's capture denominator when ``ScoringConfig.establishment`` is set."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from bridgewatch.io.dataset import load_dataset
from bridgewatch.model import NoteStatus
from bridgewatch.scoring.config import ScoringConfig
from bridgewatch.scoring.final import run_final_scoring
from bridgewatch.scoring.inputs import CoreInputs, prepare_core_inputs
from bridgewatch.scoring.prescoring import run_prescoring
from bridgewatch.scoring.reputation import EstablishmentConfig
from bridgewatch.scoring.scorers.roster import core_scorer
from bridgewatch.scoring.scorers.scope import scorer_inputs
from tests.scoring.community import write_small_community

GUARDED = ScoringConfig(establishment=EstablishmentConfig())


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> CoreInputs:
    files = write_small_community(Path(tmp_path_factory.mktemp("community")))
    dataset = load_dataset(
        notes=files.notes,
        ratings=files.ratings[0],
        status_history=files.note_status_history,
        enrollment=files.user_enrollment,
    )
    return prepare_core_inputs(dataset, GUARDED)


def _flooded(shared: CoreInputs, established: bool) -> CoreInputs:
    """60% of the raters moved outside every Core modeling group (group 4), unproven or
    established (then everyone is established)."""
    assert shared.established is not None
    rng = np.random.default_rng(0)
    moved = rng.random(shared.n_participants) < 0.6
    group = np.where(moved, 4, shared.modeling_group)
    est = np.where(moved, established, shared.established | established)
    return dataclasses.replace(shared, modeling_group=group, established=est)


def test_unproven_out_of_scope_flood_does_not_silence_core(shared: CoreInputs) -> None:
    flooded = _flooded(shared, established=False)
    faithful = scorer_inputs(
        dataclasses.replace(flooded, established=None), core_scorer(ScoringConfig())
    )
    guarded = scorer_inputs(flooded, core_scorer(GUARDED))
    # The flood pushes notes below the capture share without the guard ...
    assert faithful.captured.sum() < 0.5 * shared.captured.sum()
    # ... with it, every note with in-scope ratings keeps Core's verdict (the rest of the
    # raters are established in scope or out-of-scope only by the flood).
    assert (guarded.captured >= faithful.captured).all()
    in_scope_notes = np.bincount(guarded.scoped.note_idx, minlength=shared.n_notes) > 0
    assert guarded.captured[in_scope_notes].mean() > 0.95
    # The guard touches the capture only: the scoped ratings are the same.
    np.testing.assert_array_equal(guarded.scoped.rater_idx, faithful.scoped.rater_idx)


def test_established_outsiders_still_count(shared: CoreInputs) -> None:
    flooded = _flooded(shared, established=True)
    faithful = scorer_inputs(
        dataclasses.replace(flooded, established=None), core_scorer(ScoringConfig())
    )
    guarded = scorer_inputs(flooded, core_scorer(GUARDED))
    np.testing.assert_array_equal(guarded.captured, faithful.captured)
    off = dataclasses.replace(GUARDED, establishment=EstablishmentConfig(guard_capture=False))
    unguarded = scorer_inputs(_flooded(shared, established=False), core_scorer(off))
    np.testing.assert_array_equal(unguarded.captured, faithful.captured)


def test_the_guard_keeps_verdicts_not_needs_more_ratings(shared: CoreInputs) -> None:
    # The guard hands Core notes whose unproven raters are outside it. Honest newcomers
    # outside Core make such notes too, and there Core's Needs More Ratings would override
    # the scorer the note belongs to without the guard (issue #15): only Core's verdicts
    # keep their row on them.
    flooded = _flooded(shared, established=False)
    faithful = scorer_inputs(
        dataclasses.replace(flooded, established=None), core_scorer(ScoringConfig())
    )
    guarded = scorer_inputs(flooded, core_scorer(GUARDED))
    pre = run_prescoring(guarded, GUARDED, np.random.default_rng(0))
    rows = run_final_scoring(guarded, pre, GUARDED)
    every = run_final_scoring(guarded, pre, ScoringConfig())  # the same, no row dropped
    by_guard = guarded.captured & ~faithful.captured & every.scored
    verdict = np.isin(
        every.rules.status,
        [
            NoteStatus.CURRENTLY_RATED_HELPFUL,
            NoteStatus.CURRENTLY_RATED_NOT_HELPFUL,
            NoteStatus.FIRM_REJECT,
        ],
    )
    assert (by_guard & verdict).any() and (by_guard & ~verdict).any()
    np.testing.assert_array_equal(rows.scored, every.scored & ~(by_guard & ~verdict))
    kept = rows.scored
    np.testing.assert_array_equal(rows.rules.status[kept], every.rules.status[kept])
    assert (rows.rules.status[~kept] == -1).all()
    assert np.isnan(rows.tags.adjusted[~kept]).all()
    # The held notes have no Core figure or rule, as notes outside the capture share.
    assert np.isnan(rows.low_diligence_intercept[~kept]).all()
    assert np.isnan(rows.incorrect.tf_idf[~kept]).all()
    assert (rows.rules.active_rules[~kept] == 0).all()
    assert (rows.rules.decided_by[~kept] == -1).all()
    assert (rows.rules.filter_tags[~kept] == 0).all()
    assert kept[rows.rules.inertia_conflicts].all()
    np.testing.assert_array_equal(rows.rules.inputs.scored, kept)
    for name in ("active_rules", "decided_by", "filter_tags", "crnh_bound"):
        np.testing.assert_array_equal(
            getattr(rows.rules, name)[kept], getattr(every.rules, name)[kept], err_msg=name
        )
    np.testing.assert_array_equal(rows.tags.adjusted[kept], every.tags.adjusted[kept])
