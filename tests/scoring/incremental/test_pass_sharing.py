"""Work a pass shares across the roster's scorers gives what each scorer found alone."""

from __future__ import annotations

import dataclasses
from dataclasses import replace
from typing import Any

import numpy as np
import pytest

from bridgewatch.io.dataset import Dataset
from bridgewatch.scoring.config import ScoringConfig
from bridgewatch.scoring.incremental import RosterRefit, align_prescoring, roster_refit
from bridgewatch.scoring.incremental.notes import _rater_delta
from bridgewatch.scoring.incremental.roster import PrescoringAligner
from bridgewatch.scoring.run import score
from tests.scoring.community import load_small_community
from tests.scoring.incremental.test_roster import AS_OF


def _assert_equal(a: Any, b: Any, where: str = "") -> None:
    """Every array of two (nested) dataclasses equal, NaN in the same places."""
    if dataclasses.is_dataclass(a) and not isinstance(a, type):
        assert type(a) is type(b), where
        for f in dataclasses.fields(a):
            _assert_equal(getattr(a, f.name), getattr(b, f.name), f"{where}.{f.name}")
    elif isinstance(a, np.ndarray):
        assert isinstance(b, np.ndarray) and a.dtype == b.dtype, where
        np.testing.assert_array_equal(a, b, err_msg=where)
    else:
        assert a == b or (a != a and b != b), where


def _union_delta(new: np.ndarray, old: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The replaced computation: sorted union and two searches."""
    raters = np.union1d(new, old).astype(np.int64)
    delta = np.zeros(raters.shape[0], dtype=np.int64)
    np.add.at(delta, np.searchsorted(raters, new), 1)
    np.subtract.at(delta, np.searchsorted(raters, old), 1)
    return raters, delta


@pytest.mark.parametrize("seed", range(6))
def test_rater_delta_equals_the_sorted_union_and_its_counts(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 50
    sizes = [(0, 0), (0, 7), (9, 0), (30, 30), (200, 150), (5, 300)][seed]
    new = rng.integers(0, n, sizes[0]).astype(np.int32)
    old = rng.integers(0, n, sizes[1]).astype(np.int32)
    if seed == 3:
        old = new.copy()  # the same ratings: every delta 0, the raters still listed
    raters, delta = _rater_delta(new, old, n)
    want_raters, want_delta = _union_delta(new, old)
    assert raters.dtype == np.int64 and delta.dtype == np.int64
    np.testing.assert_array_equal(raters, want_raters)
    np.testing.assert_array_equal(delta, want_delta)


@pytest.fixture(scope="module")
def refit(tmp_path_factory: pytest.TempPathFactory) -> RosterRefit:
    dataset: Dataset = load_small_community(tmp_path_factory.mktemp("community"))
    return roster_refit(score(dataset, ScoringConfig(topics=None), as_of_ms=AS_OF, seed=0))


def test_aligned_prescoring_on_a_few_notes_equals_each_scorers_own(refit: RosterRefit) -> None:
    """``PrescoringAligner.get_notes`` finds the notes' rows once for every scorer: the
    result is each scorer's ``align_prescoring`` on the same notes, for the same array, an
    equal copy, other arrays (more than it keeps), notes the refit does not know, the
    refit's own notes, and after the refit's notes change."""
    ids = np.asarray(refit.note_ids)
    rng = np.random.default_rng(1)
    few = np.sort(rng.choice(ids, 25, replace=False))
    unknown = np.sort(np.concatenate([few[:10], np.asarray(["0", "99999999999999999999"])]))
    arrays = [few, few, few.copy(), unknown, ids[:3], ids[5:9], ids[-4:], ids, few, unknown]
    aligner = PrescoringAligner()
    names = list(refit.scorers)
    assert len(names) > 3
    for note_ids in arrays:
        for name in names:
            got = aligner.get_notes(refit, name, note_ids)
            want = align_prescoring(refit.scorers[name].prescoring, refit.note_ids, note_ids)
            _assert_equal(got, want, name)
    # Another refit (other notes): the rows kept for the first are not reused.
    other = replace(refit, note_ids=ids[1:])
    for name in names[:3]:
        got = aligner.get_notes(other, name, few)
        want = align_prescoring(other.scorers[name].prescoring, other.note_ids, few)
        _assert_equal(got, want, name)
