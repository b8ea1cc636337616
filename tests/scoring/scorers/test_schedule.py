"""The roster as one task graph: the same bits as two phases, longest scorers first."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from bridgewatch.parallel import open_executor
from bridgewatch.scoring.config import ScoringConfig
from bridgewatch.scoring.inputs import CoreInputs, prepare_core_inputs
from bridgewatch.scoring.scorers import default_roster, select_scorers
from bridgewatch.scoring.scorers.gaussian_fit import gaussian_note_fitter
from bridgewatch.scoring.scorers.run import (
    RosterResult,
    final_roster,
    prescore_roster,
    run_roster,
    screen_roster,
)
from bridgewatch.scoring.scorers.schedule import (
    RosterProgress,
    TaskMemory,
    available_memory,
    default_memory_budget,
    roster_costs,
    roster_graph,
    task_priorities,
)
from tests.scoring.community import load_small_community

CONFIG = ScoringConfig(topics=None)
# A lender with its borrower (Core, GaussianScorer), a prescoring-only lender with its
# borrower (group 15), and scorers nobody borrows from.
NAMES = ("gaussian", "MFGroupScorer_15", "GaussianGroupScorer_15", "MFGroupScorer_13", "broad")


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> CoreInputs:
    dataset = load_small_community(tmp_path_factory.mktemp("community"))
    return prepare_core_inputs(dataset, CONFIG)


def _arrays(result: RosterResult) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    for name, run in result.runs.items():
        if run.prescoring is not None:
            out[f"{name}.round"] = run.prescoring.final_round.note_intercepts
            out[f"{name}.raters"] = run.prescoring.final_round.rater_factors
            out[f"{name}.diligence"] = run.prescoring.diligence.note_intercepts
        if run.final is not None:
            out[f"{name}.final"] = run.final.main.intercept
            out[f"{name}.rules"] = run.final.rules.active_rules
    return out


def test_the_task_graph_gives_the_two_phase_result_bit_for_bit(shared: CoreInputs) -> None:
    roster = select_scorers(default_roster(CONFIG), NAMES)
    screening = screen_roster(shared, roster)
    prescored = prescore_roster(shared, roster, seed=3, screening=screening)
    phases = final_roster(
        shared,
        roster,
        prescored,
        seed=3,
        gaussian_fitter=gaussian_note_fitter,
        screening=screening,
    )
    with open_executor("threads:2") as pool:
        graph = run_roster(
            shared, roster, seed=3, gaussian_fitter=gaussian_note_fitter, executor=pool
        )
    assert list(graph.runs) == list(phases.runs)
    expected, got = _arrays(phases), _arrays(graph)
    assert expected.keys() == got.keys()
    assert any(k.startswith("GaussianScorer.") for k in got)
    for key, values in expected.items():
        np.testing.assert_array_equal(got[key], values, err_msg=key)
    # Only Core keeps its per-rating arrays once its task is done.
    for name, run in graph.runs.items():
        kept = run.inputs.scoped.n_ratings > 0
        assert kept == (name == "MFCoreScorer"), name


def test_broad_scorers_come_first_and_lenders_before_everything(shared: CoreInputs) -> None:
    roster = default_roster(CONFIG)
    costs = roster_costs(shared, roster)
    assert costs["MFExpansionScorer"] > costs["MFGroupScorer_13"] > 0.0
    assert costs["MFCoreWithTopicsScorer"] >= costs["MFCoreScorer"]
    priorities = task_priorities(roster_graph(roster), costs)
    first = max(priorities, key=lambda name: priorities[name])
    assert first.startswith("prescore:")
    assert priorities["score:MFExpansionScorer"] > priorities["score:MFGroupScorer_13"]


def test_a_memory_budget_changes_the_order_never_a_bit(
    shared: CoreInputs, caplog: pytest.LogCaptureFixture
) -> None:
    roster = select_scorers(default_roster(CONFIG), NAMES)
    with (
        caplog.at_level("INFO", "bridgewatch.scoring.scorers.schedule"),
        open_executor("threads:2") as pool,
    ):
        free = run_roster(
            shared, roster, seed=3, gaussian_fitter=gaussian_note_fitter, executor=pool
        )
        # One byte: no two tasks fit together, each starts alone (kernels on every core).
        tight = run_roster(
            shared,
            roster,
            seed=3,
            gaussian_fitter=gaussian_note_fitter,
            executor=pool,
            memory_budget=1.0,
        )
    expected, got = _arrays(free), _arrays(tight)
    # The finished scorers' output state is counted against the budget, and reported.
    kept = re.findall(r"finished tasks keep (\d+) MiB", caplog.text)
    assert len(kept) == 2 and kept[0] == kept[1]
    assert expected.keys() == got.keys()
    for key, values in expected.items():
        np.testing.assert_array_equal(got[key], values, err_msg=key)


def test_task_memory_scales_with_the_view_and_lenders_hold_part_of_it() -> None:
    model = TaskMemory(prescoring=80.0, final=40.0, held=20.0)
    assert model.of_task("prescore", 1e6) == (8e7, 2e7)
    assert model.of_task("score", 1e6) == (8e7, 0.0)
    assert model.of_task("final", 1e6) == (4e7, 0.0)
    # An empty view still takes the floor (a scorer's tables): it cannot slip in for free.
    assert model.of_task("score", 0.0) == (2.0**20, 0.0)
    assert model.of_task("prescore", 0.0) == (2.0**20, 0.0)
    budget = default_memory_budget(0.5)
    assert budget is None or budget > 0


def test_available_memory_reads_the_host_and_a_container_limit(tmp_path: Path) -> None:
    meminfo = tmp_path / "meminfo"
    meminfo.write_text("MemTotal: 24000000 kB\nMemAvailable: 10000000 kB\n")
    cgroup = tmp_path / "cgroup"
    cgroup.mkdir()
    assert available_memory(meminfo, cgroup) == 10000000 * 1024.0  # no cgroup files
    (cgroup / "memory.max").write_text("max\n")
    (cgroup / "memory.current").write_text("123\n")
    assert available_memory(meminfo, cgroup) == 10000000 * 1024.0  # unlimited
    (cgroup / "memory.max").write_text(f"{4 * 2**30}\n")
    (cgroup / "memory.current").write_text(f"{1 * 2**30}\n")
    assert available_memory(meminfo, cgroup) == 3 * 2**30  # the container's room
    assert available_memory(tmp_path / "none", cgroup) == 3 * 2**30
    assert available_memory(tmp_path / "none", tmp_path / "none") is None


def test_roster_progress_logs_each_finished_task_with_the_count(
    caplog: pytest.LogCaptureFixture,
) -> None:
    progress = RosterProgress(3)
    with caplog.at_level("INFO", logger="bridgewatch.scoring.scorers.schedule"):
        for name in ("prescore:MFCoreScorer", "final:MFCoreScorer", "score:GaussianScorer"):
            progress(name)
    lines = [r.getMessage() for r in caplog.records]
    assert [line.split(" after ")[0] for line in lines] == [
        "roster: 1 of 3 tasks done",
        "roster: 2 of 3 tasks done",
        "roster: 3 of 3 tasks done",
    ]
    assert lines[-1].endswith("(score:GaussianScorer)")
