"""The worker's per-micro-batch timeline (``bridgewatch.pipeline.timeline``)."""

from __future__ import annotations

import logging
import time

import pytest
from sqlalchemy import Engine

from bridgewatch.pipeline.timeline import Timeline, parse_line
from bridgewatch.pipeline.worker import Worker, WorkerConfig
from bridgewatch.scoring.config import ScoringConfig
from tests.pipeline.conftest import Community
from tests.pipeline.test_worker import _drain, _write


def test_timeline_adds_up_marked_phases_and_parses_back() -> None:
    tl = Timeline()
    tl.add("idle", 0.25)
    time.sleep(0.01)
    tl.mark("read")
    tl.mark("pass")
    tl.mark("read")  # a phase marked twice adds up
    tl.facts["events"] = 3
    facts, phases = parse_line("12:00 DEBUG x: " + tl.line()) or ({}, {})
    assert facts == {"events": 3.0}
    assert list(phases) == ["idle", "read", "pass"]
    assert phases["idle"] == (250.0, 0.0)
    assert phases["read"][0] >= 10.0
    assert parse_line("batch of 3 events") is None


def test_worker_logs_one_timeline_per_micro_batch(
    loaded: Engine, community: Community, caplog: pytest.LogCaptureFixture
) -> None:
    worker = Worker(loaded, ScoringConfig(topics=None), WorkerConfig(gap_timeout_s=0.0))
    worker.setup()
    _drain(worker)  # the import event, the refit
    _write(loaded, community.later[:50])
    with caplog.at_level(logging.DEBUG, logger="bridgewatch.pipeline.timeline"):
        _drain(worker)
    lines = [parse_line(r.getMessage()) for r in caplog.records]
    timelines = [line for line in lines if line is not None]
    # The rating events, then the worker's own status-change events (nothing to apply).
    assert [f["applied"] for f, _ in timelines] == [50, 0]
    facts, phases = timelines[0]
    assert facts["events"] == 50 and facts["applied"] == 50
    assert facts["notes"] > 0 and facts["oldest_age_ms"] >= 0
    expected = ["idle", "lock", "read", "apply", "pass", "w_history", "w_scores"]
    assert list(phases)[: len(expected)] == expected
    assert {"w_contributors", "offset", "commit"} <= set(phases)
    assert all(wall >= 0 and cpu >= 0 for wall, cpu in phases.values())
    # PostgreSQL on this machine (the test server): its CPU for the transaction.
    if loaded.dialect.name == "postgresql":
        assert facts["server_cpu_ms"] >= 0
    else:
        assert "server_cpu_ms" not in facts
