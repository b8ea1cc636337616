"""The attack benchmark: summary arithmetic on constructed cells and a tiny end-to-end run."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from bridgewatch.analysis.attack import (
    AttackBenchConfig,
    AttackCell,
    defence_config,
    run_attack_bench,
    summarize,
    to_markdown,
)
from bridgewatch.analysis.attack_plot import plot_attack_bench
from bridgewatch.cli import main
from bridgewatch.errors import ConfigError
from bridgewatch.scoring.config import ScoringConfig
from bridgewatch.sim import BrigadeGoal


def _cell(share: float, defences: bool, crh: set[str], promoted: int = 0) -> AttackCell:
    return AttackCell(
        seed=0,
        share=share,
        sleeper=False,
        defences=defences,
        n_promote_targets=2 if share else 0,
        promoted_crh=promoted,
        n_suppress_targets=2 if share else 0,
        suppress_target_ids=frozenset({"s1", "s2"}) if share else frozenset(),
        honest_ids=frozenset({"h1", "h2", "h3", "h4"}),
        crh_ids=frozenset(crh),
    )


def test_summary_counts_against_the_community_without_adversaries() -> None:
    cells = [
        _cell(0.0, False, {"h1", "h2", "s1"}),
        _cell(0.0, True, {"h1", "h2", "s1", "s2"}),
        _cell(0.1, False, {"h1", "p1"}, promoted=1),
        _cell(0.1, True, {"h1", "h2", "h3", "s2"}),
    ]
    table = summarize(cells)
    rows = {(r["brigade"], r["defences"]): r for r in table.iter_rows(named=True)}
    off, on = rows[("fresh", "off")], rows[("fresh", "on")]
    assert (off["promoted_crh"], off["promote_targets"]) == (1, 2)
    # s1 was helpful without adversaries (defences off) and is not under attack.
    assert (off["good_suppressed"], off["good_targets"]) == (1, 1)
    # With defences on, the baseline has s1 and s2; s1 lost.
    assert (on["good_suppressed"], on["good_targets"]) == (1, 2)
    assert off["honest_lost"] == 1 and on["honest_lost"] == 0
    assert off["honest_helpful_rate"] == pytest.approx(25.0)
    assert off["honest_helpful_drop"] == pytest.approx(25.0)
    assert on["honest_helpful_drop"] == pytest.approx(-25.0)
    markdown = to_markdown(table)
    assert "| fresh | 10% | off | 1/2 | 1/1 | 1/2 | 25.0% | +25.0 |" in markdown


def test_bench_cells_have_one_promote_and_one_suppress_brigade() -> None:
    bench = AttackBenchConfig(n_raters=1000, days=30.0)
    sim = bench.community(3, 0.05, sleeper=True)
    assert [b.goal for b in sim.brigades] == [BrigadeGoal.PROMOTE, BrigadeGoal.SUPPRESS]
    assert all(b.n_members == 50 and b.dormant_days == 15.0 for b in sim.brigades)
    assert not bench.community(3, 0.0, sleeper=True).brigades
    defended = defence_config()
    assert defended.trust is not None and defended.post_selection is not None
    with pytest.raises(ConfigError):
        AttackBenchConfig(shares=(1.5,))
    with pytest.raises(ConfigError):
        AttackBenchConfig(sleeper_dormant_share=0.9)


def test_tiny_bench_end_to_end(tmp_path: Path) -> None:
    bench = AttackBenchConfig(
        shares=(0.0, 0.1),
        sleepers=(False,),
        seeds=(0,),
        n_notes=300,
        n_raters=600,
        n_ratings=9_000,
        days=20.0,
        n_targets=3,
    )
    labels: list[str] = []
    cells = run_attack_bench(bench, scoring=ScoringConfig(topics=None), progress=labels.append)
    assert len(cells) == 4 and len(labels) == 2
    attacked = [c for c in cells if c.share > 0]
    assert all(c.n_promote_targets == 3 and c.n_suppress_targets == 3 for c in attacked)
    table = summarize(cells)
    assert table.height == 4
    assert set(table["defences"].to_list()) == {"off", "on"}
    path = plot_attack_bench(table, tmp_path / "bench.png")
    assert path.stat().st_size > 1000


def test_cli_writes_table_markdown_and_plot(tmp_path: Path) -> None:
    code = main(
        [
            "attack-bench",
            "--outdir",
            str(tmp_path),
            "--shares",
            "0,5",
            "--seeds",
            "1",
            "--notes",
            "250",
            "--raters",
            "500",
            "--ratings",
            "6000",
            "--days",
            "20",
            "--targets",
            "2",
            "--no-sleepers",
            "--no-topics",
        ]
    )
    assert code == 0
    table = pl.read_csv(tmp_path / "attack_bench.tsv", separator="\t")
    assert table.height == 4
    assert (tmp_path / "attack_bench.md").read_text().startswith("| brigade |")
    assert (tmp_path / "attack_bench.png").stat().st_size > 1000
