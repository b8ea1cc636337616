"""A small simulated community on disk, shared by the scorer's end-to-end tests."""

from __future__ import annotations

from pathlib import Path

from bridgewatch.io.dataset import Dataset, load_dataset
from bridgewatch.sim import SimConfig, WrittenFiles, simulate, write_community

# 300 notes, 600 raters, 9,000 ratings in two camps over 20 days: big enough for the >= 200
# note safeguards, small enough to score in about a second.
SMALL = SimConfig(seed=3, n_notes=300, n_raters=600, n_ratings=9_000, days=20.0)


def write_small_community(directory: Path, config: SimConfig = SMALL) -> WrittenFiles:
    """Simulate ``config`` and write it in the public format into ``directory``."""
    return write_community(simulate(config), directory)


def load_small_community(directory: Path, config: SimConfig = SMALL) -> Dataset:
    """Write ``config``'s community into ``directory`` and load it as the scorer's input."""
    files = write_small_community(directory, config)
    return load_dataset(
        notes=files.notes,
        ratings=files.ratings[0],
        status_history=files.note_status_history,
        enrollment=files.user_enrollment,
    )
