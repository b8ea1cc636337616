"""The roster on executors whose tasks run in other processes: local worker processes and a
two-worker Dask ``LocalCluster``. The output is bit-identical to the serial run's, a worker
killed mid-run changes nothing, and a task that raises fails the run with the scorer's name
and writes nothing."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest

from bridgewatch.io.dataset import Dataset, load_dataset
from bridgewatch.parallel import TaskFailed
from bridgewatch.parallel.dask_executor import DaskExecutor
from bridgewatch.parallel.processes import RetryingProcessPool
from bridgewatch.pipeline.batch import run_batch
from bridgewatch.scoring.config import ScoringConfig
from bridgewatch.scoring.run import ScoringResult, score
from bridgewatch.scoring.scorers import ScorerSpec, default_roster, select_scorers
from bridgewatch.scoring.scorers.sharing import shared_prescorings
from tests.fidelity.test_s_core import FIXTURES, RUN1_NOW_MS
from tests.scoring.scorers import sabotage

pytestmark = pytest.mark.slow

TABLES = ("scored_notes", "aux_note_info", "note_status_history", "helpfulness_scores")
# Every kind of task and dependency: Core and the Gaussian scorers borrowing its prescoring,
# a prescoring-only lender (group 15, topic 5), the Reputation scorer, an Adam-fitted group.
SUBSET = (
    "core",
    "gaussian",
    "GaussianGroupScorer_15",
    "GaussianTopicScorer_InDimensionTwo",
    "reputation",
    "MFGroupScorer_14",
    "MFExpansionScorer",
)


def _files(fixture: str) -> dict[str, Path]:
    folder = FIXTURES / fixture / "input"
    if not folder.is_dir():
        pytest.skip(f"fixture {folder} is not available")
    return {
        "notes": folder / "notes-00000.tsv",
        "ratings": folder / "ratings-00000.tsv",
        "status_history": folder / "noteStatusHistory-00000.tsv",
        "enrollment": folder / "userEnrollment-00000.tsv",
    }


def _dataset(fixture: str) -> Dataset:
    return load_dataset(**_files(fixture))  # type: ignore[arg-type]


def _score(
    dataset: Dataset,
    roster: tuple[ScorerSpec, ...] | None,
    executor: Executor | str | None,
    work_dir: Path | None = None,
) -> ScoringResult:
    return score(
        dataset,
        ScoringConfig(),
        as_of_ms=RUN1_NOW_MS,
        seed=1,
        scorers=roster,
        executor=executor,
        work_dir=None if work_dir is None else str(work_dir),
    )


def _bits(frame: pl.DataFrame) -> pl.DataFrame:
    """The frame with each float column as its IEEE bits (NaN, -0.0 and all)."""
    return frame.with_columns(
        pl.Series(c.name, c.to_numpy().astype(np.float64).view(np.uint64))
        for c in frame.get_columns()
        if c.dtype.is_float()
    )


def _assert_same(a: ScoringResult, b: ScoringResult) -> None:
    for table in TABLES:
        left, right = _bits(getattr(a, table)), _bits(getattr(b, table))
        assert left.equals(right, null_equal=True), table
    assert a.note_explanations.equals(b.note_explanations, null_equal=True)


@pytest.fixture(scope="module")
def s_full() -> Dataset:
    return _dataset("S-full")


@pytest.fixture(scope="module")
def subset() -> tuple[ScorerSpec, ...]:
    return select_scorers(default_roster(ScoringConfig()), SUBSET)


@pytest.fixture(scope="module")
def serial_subset(s_full: Dataset, subset: tuple[ScorerSpec, ...]) -> ScoringResult:
    return _score(s_full, subset, None)


@pytest.fixture
def dask_executor(dask_client: Any) -> Iterator[DaskExecutor]:
    executor = DaskExecutor(dask_client, owns_client=False)
    yield executor
    executor.shutdown()


def test_the_whole_roster_is_bit_identical_on_dask(dask_executor: DaskExecutor) -> None:
    dataset = _dataset("S-core")
    serial = _score(dataset, None, "serial")
    on_dask = _score(dataset, None, dask_executor)
    assert serial.roster is not None and on_dask.roster is not None
    assert list(on_dask.roster.runs) == list(serial.roster.runs)
    # 25 scorers in one task each; Core's prescoring and final scoring, the prescorings of
    # MFGroupScorer_15 and MFTopicScorer_InDimensionTwo, and the four Gaussian scorers
    # (33 tasks); a lender of a shared prescoring runs it in a task of its own, and the
    # scorers that share it only their final scoring.
    shares = shared_prescorings(serial.inputs, default_roster(ScoringConfig()))
    assert shares  # S-core has no Expansion raters: ExpansionPlus shares Expansion's
    lenders = set(shares.values()) - {"MFCoreScorer"}
    assert len(on_dask.roster.task_seconds) == 33 + len(lenders)
    _assert_same(serial, on_dask)


def test_a_scorer_subset_is_bit_identical_on_processes(
    s_full: Dataset, subset: tuple[ScorerSpec, ...], serial_subset: ScoringResult
) -> None:
    _assert_same(serial_subset, _score(s_full, subset, "processes:2"))


class _CountingPool(RetryingProcessPool):
    """A process pool that records how many of its tasks were unfinished at once."""

    def __init__(self, workers: int) -> None:
        super().__init__(workers)
        self.futures: list[Future[Any]] = []
        self.most = 0

    def submit(self, fn: Callable[..., Any], /, *args: object, **kwargs: object) -> Any:
        future = super().submit(fn, *args, **kwargs)
        self.futures.append(future)
        self.most = max(self.most, sum(not f.done() for f in self.futures))
        return future


@pytest.mark.parametrize(("budget", "most"), [(1.0, 1), (None, 2)])
def test_process_tasks_wait_for_memory_and_keep_the_bits(
    s_full: Dataset,
    subset: tuple[ScorerSpec, ...],
    serial_subset: ScoringResult,
    budget: float | None,
    most: int,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """On this machine's worker processes a task starts only when its estimate fits the
    budget beside the running ones and the workers' copies of the shared inputs: with 1
    byte one task at a time (each starts alone), by default two. Never more than workers."""
    pool = _CountingPool(2)
    try:
        with caplog.at_level("INFO", logger="bridgewatch.scoring.scorers.remote"):
            result = score(
                s_full,
                ScoringConfig(),
                as_of_ms=RUN1_NOW_MS,
                seed=1,
                scorers=subset,
                executor=pool,
                memory_budget=budget,
            )
    finally:
        pool.shutdown()
    _assert_same(serial_subset, result)
    assert pool.most == most
    assert "beside 2 workers' shared inputs" in caplog.text
    assert "roster: 11 of 11 tasks done" in caplog.text


def _kill_when_started(work_dir: Path, pids: Callable[[], list[int]], killed: list[int]) -> None:
    """Kill one worker once a lender's prescoring is in the work directory (the tasks are
    under way)."""
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if any(work_dir.glob("bridgewatch-run-*/prescored/*.pkl")):
            victims = pids()
            if victims:
                os.kill(victims[0], signal.SIGKILL)
                killed.append(victims[0])
                return
        time.sleep(0.02)


def _run_and_kill(
    s_full: Dataset,
    subset: tuple[ScorerSpec, ...],
    executor: Executor,
    pids: Callable[[], list[int]],
    tmp_path: Path,
) -> tuple[ScoringResult, list[int]]:
    killed: list[int] = []
    killer = threading.Thread(target=_kill_when_started, args=(tmp_path, pids, killed))
    killer.start()
    try:
        result = _score(s_full, subset, executor, work_dir=tmp_path)
    finally:
        killer.join()
    return result, killed


def test_a_killed_process_worker_changes_nothing(
    s_full: Dataset, subset: tuple[ScorerSpec, ...], serial_subset: ScoringResult, tmp_path: Path
) -> None:
    pool = RetryingProcessPool(2)
    try:
        result, killed = _run_and_kill(s_full, subset, pool, pool.worker_pids, tmp_path)
    finally:
        pool.shutdown()
    assert killed, "no worker was killed"
    _assert_same(serial_subset, result)
    assert not list(tmp_path.iterdir())  # the run directory is gone


def test_a_killed_dask_worker_changes_nothing(
    s_full: Dataset,
    subset: tuple[ScorerSpec, ...],
    serial_subset: ScoringResult,
    dask_executor: DaskExecutor,
    tmp_path: Path,
) -> None:
    client = dask_executor.client

    def pids() -> list[int]:
        return sorted(client.run(os.getpid).values())

    result, killed = _run_and_kill(s_full, subset, dask_executor, pids, tmp_path)
    assert killed, "no worker was killed"
    _assert_same(serial_subset, result)
    client.wait_for_workers(2, timeout=120)  # the nanny restarted it


@pytest.mark.parametrize("where", ["processes", "dask"])
def test_a_raising_task_fails_the_run_with_the_scorer_name_and_writes_nothing(
    where: str, subset: tuple[ScorerSpec, ...], tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    target = "MFGroupScorer_14"
    executor: RetryingProcessPool | DaskExecutor
    if where == "processes":
        executor = RetryingProcessPool(2, initializer=partial(sabotage.sabotage, target))
    else:
        on_dask: DaskExecutor = request.getfixturevalue("dask_executor")
        on_dask.client.run(sabotage.sabotage, target)
        executor = on_dask
    outdir = tmp_path / "out"
    try:
        with pytest.raises(TaskFailed, match=rf"score:{target} failed: .*sabotaged {target}"):
            run_batch(
                **_files("S-full"),  # type: ignore[arg-type]
                outdir=outdir,
                as_of_ms=RUN1_NOW_MS,
                seed=1,
                scorers=subset,
                executor=executor,
                work_dir=str(tmp_path / "work"),
            )
    finally:
        if isinstance(executor, DaskExecutor):
            executor.client.run(sabotage.restore)
        else:
            executor.shutdown()
    assert not outdir.exists()
    assert not list((tmp_path / "work").iterdir())
