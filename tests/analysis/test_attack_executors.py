"""The attack bench's cells as tasks: the same cells on local processes and on Dask."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from bridgewatch.analysis.attack import AttackBenchConfig, AttackCell, run_attack_bench
from bridgewatch.parallel.dask_executor import DaskExecutor
from bridgewatch.scoring.config import ScoringConfig

pytestmark = pytest.mark.slow

BENCH = AttackBenchConfig(
    shares=(0.0, 0.1),
    kinds=("fresh",),
    seeds=(0,),
    n_notes=200,
    n_raters=400,
    n_ratings=5_000,
    days=20.0,
    n_targets=3,
)  # two cells: no brigade, a fresh brigade


def test_cells_are_the_same_serially_on_processes_and_on_dask(dask_client: Any) -> None:
    scoring = ScoringConfig(topics=None)
    serial = run_attack_bench(BENCH, scoring=scoring)
    labels: list[str] = []
    processes = run_attack_bench(
        BENCH, scoring=scoring, executor="processes:2", progress=labels.append
    )
    dask = DaskExecutor(dask_client, owns_client=False)
    try:
        on_dask = run_attack_bench(BENCH, scoring=scoring, executor=dask)
    finally:
        dask.shutdown()
    assert len(serial) == 4 and len(labels) == 2
    assert _outcomes(processes) == _outcomes(serial)
    assert _outcomes(on_dask) == _outcomes(serial)


def _outcomes(cells: list[AttackCell]) -> list[AttackCell]:
    """The cells without their measured run usage (time and memory differ run to run)."""
    return [dataclasses.replace(c, usage=None) for c in cells]
