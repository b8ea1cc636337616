"""Executor specs of the roster, and the kernels' thread limit under a parallel roster."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from bridgewatch.errors import ConfigError
from bridgewatch.scoring._logit_passes import PARALLEL_MIN, LogitPasses, rater_major
from bridgewatch.scoring._threads import kernel_threads, limit_kernel_threads
from bridgewatch.scoring.scorers import SerialExecutor
from bridgewatch.scoring.scorers.executors import executor_workers, scorer_executor
from bridgewatch.scoring.scorers.run import _limited, kernel_thread_limit


@pytest.mark.parametrize(
    ("spec", "cores", "workers"),
    [
        ("serial", 8, 1),
        ("threads:3", 2, 3),
        ("Threads:1", 4, 1),
        ("threads", 4, 4),
        ("auto", 2, 2),
        ("auto", 1, 1),
    ],
)
def test_executor_specs(spec: str, cores: int, workers: int) -> None:
    assert executor_workers(spec, cores) == workers


@pytest.mark.parametrize("spec", ["", "thread:2", "threads:0", "threads:-1", "threads:x", "pool"])
def test_a_bad_executor_spec_names_the_field(spec: str) -> None:
    with pytest.raises(ConfigError, match="executor="):
        executor_workers(spec, 2)


def test_scorer_executor_is_none_serially_and_a_pool_that_ends_with_the_block() -> None:
    with scorer_executor("serial", 2) as serial:
        assert serial is None
    with scorer_executor("threads:2", 1) as pool:
        assert isinstance(pool, ThreadPoolExecutor)
        assert pool.submit(lambda: 41 + 1).result() == 42
    with pytest.raises(RuntimeError):  # shut down
        pool.submit(lambda: 0)


def test_kernels_run_single_threaded_only_under_a_parallel_roster() -> None:
    assert kernel_thread_limit(None) is None
    assert kernel_thread_limit(SerialExecutor()) is None
    with ThreadPoolExecutor(max_workers=2) as pool:
        limit = kernel_thread_limit(pool)
        assert limit == 1
        seen = pool.submit(_limited, limit, kernel_threads).result()
    assert seen == 1
    with limit_kernel_threads(None):
        assert kernel_threads() >= 1
    with pytest.raises(ValueError, match=">= 1"), limit_kernel_threads(0):
        pass


def test_a_big_fit_under_the_limit_makes_no_thread_pool(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    rng = np.random.default_rng(0)
    m = PARALLEL_MIN
    note = rng.integers(0, 50, m).astype(np.int32)
    rater = np.sort(rng.integers(0, 80, m)).astype(np.int32)
    y = (rng.random(m) < 0.2).astype(np.float64)
    ptr, note_c, (ys, ws) = rater_major(note, rater, y, np.ones(m), n_raters=80)
    with LogitPasses(ptr, note_c, ys, ws, 50, 80) as free:
        assert free._pool is not None
    with limit_kernel_threads(1), LogitPasses(ptr, note_c, ys, ws, 50, 80) as limited:
        assert limited._pool is None
