"""Topics computed from the notes frame alone (``run_batch`` does it while the ratings load)
give the same inputs as topics computed during preprocessing."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from bridgewatch.io.dataset import load_dataset
from bridgewatch.scoring.config import ScoringConfig
from bridgewatch.scoring.inputs import note_topics, prepare_core_inputs
from tests.fidelity.reference import FIXTURES


def test_topics_from_the_notes_frame_equal_those_of_preprocessing() -> None:
    root = FIXTURES / "S-full" / "input"
    if not root.exists():
        pytest.skip("fixtures not available")
    seen: list[pl.DataFrame] = []
    dataset = load_dataset(
        notes=root / "notes-00000.tsv",
        ratings=root / "ratings-00000.tsv",
        status_history=root / "noteStatusHistory-00000.tsv",
        enrollment=root / "userEnrollment-00000.tsv",
        on_notes=seen.append,
    )
    assert len(seen) == 1 and seen[0].equals(dataset.notes)
    config = ScoringConfig()
    early = note_topics(seen[0], config)
    assert early.shape == (dataset.notes.height,)
    assert (early >= 0).sum() > 10  # S-full has topic notes
    given = prepare_core_inputs(dataset, config, topics=early)
    computed = prepare_core_inputs(dataset, config)
    np.testing.assert_array_equal(given.note_topic, computed.note_topic)
    np.testing.assert_array_equal(given.scoped.note_idx, computed.scoped.note_idx)
    with pytest.raises(ValueError, match="note_topics has shape"):
        prepare_core_inputs(dataset, config, topics=early[:-1])
