"""Passes that write the previous pass's per-note arrays in place (with an undo log) equal
passes that copy them, and passes over every note; the log gives the previous pass back."""

from __future__ import annotations

from dataclasses import fields, is_dataclass, replace
from typing import Any

import numpy as np
import pytest

from bridgewatch.io.dataset import Dataset
from bridgewatch.scoring.config import ScoringConfig
from bridgewatch.scoring.defences import with_defences
from bridgewatch.scoring.incremental import (
    LivePass,
    RosterRefit,
    WriteLog,
    rescore_roster,
    roster_refit,
)
from bridgewatch.scoring.incremental.notes import ScorerNotes
from bridgewatch.scoring.inputs import CoreInputs, prepare_core_inputs
from bridgewatch.scoring.run import score
from tests.scoring.community import load_small_community
from tests.scoring.incremental.test_notes import FULL, _upto
from tests.scoring.incremental.test_roster import AS_OF, _differing


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Dataset:
    return load_small_community(tmp_path_factory.mktemp("community"))


def _arrays(obj: Any, path: str = "") -> dict[str, np.ndarray]:
    """Every array of a state (dataclass fields, dict values), by path."""
    out: dict[str, np.ndarray] = {}
    if isinstance(obj, np.ndarray):
        out[path] = obj
    elif isinstance(obj, dict):
        for k, v in obj.items():
            out |= _arrays(v, f"{path}[{k}]")
    elif is_dataclass(obj) and not isinstance(obj, type):
        for f in fields(obj):
            if f.name in ("inputs", "config"):
                continue
            out |= _arrays(getattr(obj, f.name), f"{path}.{f.name}")
    return out


def _state_arrays(notes: dict[str, ScorerNotes]) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    for name, state in notes.items():
        out |= _arrays(state, name)
    return out


def _snapshot(notes: dict[str, ScorerNotes]) -> dict[str, np.ndarray]:
    return {k: v.copy() for k, v in _state_arrays(notes).items()}


def _same(live: LivePass, other: LivePass, config: ScoringConfig, rtol: float) -> None:
    """The same figures (``rtol`` 0: bit for bit; a pass over every note fits each note
    on other arrays, equal to ~1e-15)."""
    assert _differing(other.scored_notes(AS_OF, config), live.scored_notes(AS_OF, config)) == []
    for name, run in other.runs.runs.items():
        a, b = run.final, live.runs.runs[name].final
        assert a is not None and b is not None
        np.testing.assert_array_equal(a.rules.status, b.rules.status, err_msg=name)
        np.testing.assert_array_equal(a.signs.pos_count, b.signs.pos_count, err_msg=name)
        for x, y in (
            (a.main.intercept, b.main.intercept),
            (a.tags.adjusted_ratio, b.tags.adjusted_ratio),
            (a.incorrect.tf_idf, b.incorrect.tf_idf),
        ):
            np.testing.assert_allclose(x, y, rtol=rtol, atol=0, err_msg=name)


def _passes(refit: RosterRefit, config: ScoringConfig, steps: list[CoreInputs]) -> tuple[int, int]:
    """Runs the passes over ``steps`` three ways (in place, copying, every note); returns
    how many arrays were written in place and how many writes were undone."""
    in_place = copying = rescore_roster(steps[0], refit, {}, AS_OF, config, FULL)
    written = undone = 0
    for shared in steps[1:]:
        before = _snapshot(in_place.notes)
        log = WriteLog()
        step = rescore_roster(shared, refit, {}, AS_OF, config, FULL, previous=in_place, log=log)
        # Undone, the previous pass's state is back as it was; redone, the same pass.
        undone += len(log)
        log.undo()
        after = _state_arrays(in_place.notes)
        assert after.keys() == before.keys()
        for key, value in before.items():
            np.testing.assert_array_equal(after[key], value, err_msg=key)
        step = rescore_roster(shared, refit, {}, AS_OF, config, FULL, previous=in_place, log=log)
        old = {id(v) for v in after.values()}
        written += sum(id(v) in old for v in _state_arrays(step.notes).values())
        copy = rescore_roster(shared, refit, {}, AS_OF, config, FULL, previous=copying)
        every = rescore_roster(shared, refit, {}, AS_OF, config, FULL)
        _same(step, copy, config, 0.0)
        _same(step, every, config, 1e-12)
        in_place, copying = step, copy
    return written, undone


@pytest.mark.parametrize("defences", [False, True], ids=["plain", "defences"])
def test_passes_written_in_place_equal_copying_passes_and_undo(
    dataset: Dataset, defences: bool
) -> None:
    config = ScoringConfig(topics=None)
    if defences:
        config = with_defences(config)
    refit = roster_refit(score(_upto(dataset, 0.7), config, as_of_ms=AS_OF, seed=0))
    groups: dict[str, Any] = {
        "rater_cluster": refit.rater_cluster,
        "rater_quasi_clique": refit.rater_quasi_clique,
    }
    steps = [
        replace(
            prepare_core_inputs(_upto(dataset, q), config, **groups),
            established=refit.established,
        )
        for q in (0.7, 0.8, 0.85, 0.9, 1.0)
    ]
    written, undone = _passes(refit, config, steps)
    # The first pass over the changed notes copies the full pass's arrays (shared with its
    # results); the later ones write into them.
    assert written > 0 and undone > 0


def test_raters_leaving_the_main_fit_in_place(dataset: Dataset) -> None:
    # (As test_notes' raters_entering_and_leaving: the notes of raters who leave or enter
    # the main fit are redone too, their rows written in place.)
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
    steps = [
        prepare_core_inputs(data, config, **groups) for data in (dataset, without, dataset, without)
    ]
    written, undone = _passes(refit, config, steps)
    assert written > 0 and undone > 0
