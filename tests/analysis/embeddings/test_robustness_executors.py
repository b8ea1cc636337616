"""The robustness re-scores as tasks: the same rows on local processes as serially."""

from __future__ import annotations

from dataclasses import replace
from functools import partial
from pathlib import Path

import polars as pl
import pytest

from bridgewatch.analysis.embeddings import drop_top_raters, seed_stability
from bridgewatch.errors import ConfigError
from bridgewatch.io import load_dataset
from bridgewatch.scoring.config import ScoringConfig
from bridgewatch.scoring.run import default_as_of_ms
from tests.scoring.community import write_small_community


def test_rescores_on_processes_match_the_serial_ones(tmp_path: Path) -> None:
    written = write_small_community(tmp_path)
    load = partial(load_dataset, notes=written.notes, ratings=written.ratings[0])
    dataset = load()
    config = replace(ScoringConfig(), topics=None)
    as_of = default_as_of_ms(dataset)
    serial = pl.concat(
        [
            seed_stability(dataset, config, [1, 2], as_of_ms=as_of),
            drop_top_raters(dataset, config, share=0.05, as_of_ms=as_of),
        ],
        how="diagonal",
    )
    parallel = pl.concat(
        [
            seed_stability(
                dataset, config, [1, 2], as_of_ms=as_of, executor="processes:2", load=load
            ),
            drop_top_raters(dataset, config, share=0.05, as_of_ms=as_of, executor="threads:2"),
        ],
        how="diagonal",
    )
    assert parallel.equals(serial, null_equal=True)
    with pytest.raises(ConfigError, match="load"):
        seed_stability(dataset, config, [1, 2], as_of_ms=as_of, executor="processes:1")
