"""The attack benchmark: summary arithmetic on constructed cells and a tiny end-to-end run."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from bridgewatch.analysis.attack import (
    AttackBenchConfig,
    AttackCell,
    CellSpec,
    cell_table,
    defence_config,
    diagnose_cell,
    drop_attack_ratings,
    run_attack_bench,
    run_cell,
    summarize,
    to_markdown,
)
from bridgewatch.analysis.attack_metrics import DefenceAudit, RunUsage
from bridgewatch.analysis.attack_plot import plot_attack_bench
from bridgewatch.cli import main
from bridgewatch.errors import ConfigError
from bridgewatch.scoring.config import ScoringConfig
from bridgewatch.sim import BrigadeGoal, simulate


def _cell(
    share: float, defences: bool, crh: set[str], ref: set[str], kind: str = "fresh"
) -> AttackCell:
    return AttackCell(
        seed=0,
        share=share,
        kind=kind if share else "none",
        defences=defences,
        promote_target_ids=frozenset({"p1", "p2"}) if share else frozenset(),
        suppress_target_ids=frozenset({"s1", "s2"}) if share else frozenset(),
        honest_ids=frozenset({"h1", "h2", "h3", "h4"}),
        crh_ids=frozenset(crh),
        ref_crh_ids=frozenset(ref),
    )


def test_summary_counts_against_the_same_community_without_the_attack() -> None:
    # The reference (no attack, defences off) has h1, h2, s1, p2 helpful.
    ref = {"h1", "h2", "s1", "p2"}
    cells = [
        _cell(0.1, False, {"h1", "p1", "p2"}, ref),
        _cell(0.1, True, {"h1", "h2", "h3", "s1", "p2"}, ref),
    ]
    table = summarize(cells)
    rows = {(r["brigade"], r["defences"]): r for r in table.iter_rows(named=True)}
    off, on = rows[("fresh", "off")], rows[("fresh", "on")]
    assert (off["promoted_crh"], off["promote_crh_ref"], off["promote_targets"]) == (2, 1, 2)
    # s1 was helpful without the attack; s2 never was, so it is no good target.
    assert (off["good_suppressed"], off["good_targets"]) == (1, 1)
    assert (on["good_suppressed"], on["good_targets"]) == (0, 1)
    assert (off["honest_lost"], off["honest_gained"], off["honest_crh_ref"]) == (1, 0, 2)
    assert (on["honest_lost"], on["honest_gained"]) == (0, 1)
    assert off["honest_helpful_rate"] == pytest.approx(25.0)
    assert off["honest_helpful_drop"] == pytest.approx(25.0)
    assert on["honest_helpful_drop"] == pytest.approx(-25.0)
    markdown = to_markdown(table)
    assert "| fresh | 10% | off | 2/2 | 1/1 | 1 / 0 of 2 | 25.0% | +25.0 |" in markdown


def test_summary_collateral_columns_by_hand() -> None:
    # Circle notes c1, c2 are good; with the defences off both are helpful, on only c2.
    off_crh = {"c1", "c2", "h1"}

    def cell(defences: bool, crh: set[str], audit: DefenceAudit, cpu: float) -> AttackCell:
        return AttackCell(
            seed=0,
            share=0.0,
            kind="none",
            defences=defences,
            promote_target_ids=frozenset(),
            suppress_target_ids=frozenset(),
            honest_ids=frozenset({"h1", "c1", "c2"}),
            crh_ids=frozenset(crh),
            ref_crh_ids=frozenset(off_crh),
            off_crh_ids=frozenset(off_crh),
            circle_good_ids=frozenset({"c1", "c2", "c3"}),
            audit=audit,
            usage=RunUsage(wall_s=2 * cpu, cpu_s=cpu, peak_mib=100.0 * cpu),
        )

    nothing = DefenceAudit(400, 0, 0, 0, 0, 0, 0, 0, honest_ratings_any=500)
    # Any scorer's view: 500 honest ratings, 10 removed; 4 honest raters revoked, 7 flagged
    # or revoked (5 in structures).
    some = DefenceAudit(
        400,
        6,
        1,
        0,
        0,
        3,
        0,
        2,
        honest_ratings_any=500,
        honest_removed_any=10,
        honest_revoked=4,
        honest_flagged_any=7,
        structure_flagged_any=5,
    )
    table = summarize([cell(False, off_crh, nothing, 2.0), cell(True, {"c2", "h1"}, some, 3.0)])
    on = table.filter(pl.col("defences") == "on").row(0, named=True)
    off = table.filter(pl.col("defences") == "off").row(0, named=True)
    assert (on["circle_good_off"], on["circle_good_lost"]) == (2, 1)
    assert (off["circle_good_off"], off["circle_good_lost"]) == (2, 0)
    assert on["honest_removed_pct"] == pytest.approx(1.5)
    assert (on["honest_flagged"], on["structure_flagged"]) == (3, 2)
    assert on["cpu_overhead_pct"] == pytest.approx(50.0)
    assert on["peak_overhead_pct"] == pytest.approx(50.0)
    assert off["cpu_overhead_pct"] == pytest.approx(0.0)
    assert on["adversary_removed_pct"] is None  # no adversary ratings: no share
    assert on["honest_removed_any_pct"] == pytest.approx(2.0)
    assert (on["honest_revoked"], on["honest_flagged_any"], on["structure_flagged_any"]) == (
        4,
        7,
        5,
    )
    assert (
        "| 6 (1.50%) / 10 (2.00%) | 3 (2 in structures); 7 (5) with 4 revoked | 1/2 |"
        in to_markdown(table)
    )
    # Per seed: seed 1's defended run keeps h1 and c1, so its drop is 0 where seed 0's is
    # 1 of 3 notes; the summary sums both seeds.
    seeds = [
        cell(False, off_crh, nothing, 2.0),
        cell(True, {"c2", "h1"}, some, 3.0),
        dataclasses.replace(cell(False, off_crh, nothing, 2.0), seed=1),
        dataclasses.replace(cell(True, off_crh, nothing, 2.0), seed=1),
    ]
    per_seed = cell_table(seeds).filter(pl.col("defences") == "on")
    assert per_seed["seed"].to_list() == [0, 1]
    assert per_seed["honest_helpful_drop"].to_list() == pytest.approx([100.0 / 3, 0.0])
    both = summarize(seeds).filter(pl.col("defences") == "on").row(0, named=True)
    assert both["seeds"] == 2 and both["honest_helpful_drop"] == pytest.approx(100.0 / 6)


def test_bench_cells_have_one_promote_and_one_suppress_brigade() -> None:
    bench = AttackBenchConfig(n_raters=1000, days=30.0)
    sim = bench.community(3, 0.05, "sleeper")
    assert [b.goal for b in sim.brigades] == [BrigadeGoal.PROMOTE, BrigadeGoal.SUPPRESS]
    assert all(b.n_members == 50 and b.dormant_days == 15.0 for b in sim.brigades)
    assert all(b.cross_camp_share == 0.0 for b in sim.brigades)
    assert all(b.earned_in and b.modeling_groups for b in sim.brigades)
    pool = bench.community(3, 0.05, "pool")
    assert all(b.pool_share == 0.15 and b.n_targets == bench.pool_targets for b in pool.brigades)
    rotating = bench.community(3, 0.05, "rotating")
    assert all(b.targets_per_wave == 6 for b in rotating.brigades)
    outside = bench.community(3, 0.05, "out-of-scope")
    assert all(b.modeling_groups == bench.out_of_scope_groups for b in outside.brigades)
    embedded = bench.community(3, 0.05, "embedded").brigades
    assert all(b.modeling_groups == (bench.community_group,) for b in embedded)
    rich = AttackBenchConfig(structures=("circles-one", "circles-both", "group", "active"))
    sim_rich = rich.community(0, 0.0, "fresh")
    assert [c.camp for c in sim_rich.circles] == [1, -1, 1, 0, 0, 0]
    assert sim_rich.group_communities[0].modeling_group == rich.community_group
    assert sim_rich.active_raters[0].n_raters == rich.active_raters
    two = bench.community(3, 0.05, "two-camp")
    assert all(b.cross_camp_share == 0.5 and b.max_reaction_minutes == 30.0 for b in two.brigades)
    slow = bench.community(3, 0.05, "slow")
    assert all(b.max_reaction_minutes == 360.0 for b in slow.brigades)
    aged = bench.community(3, 0.05, "aged")
    assert all(
        b.cross_camp_share == 0.5 and b.max_reaction_minutes == 360.0 and b.earned_in
        for b in aged.brigades
    )
    assert all(b.enrolled_days == bench.aged_enrolled_days == 120.0 for b in aged.brigades)
    aged_pool = bench.community(3, 0.05, "aged-pool").brigades
    assert all(
        b.enrolled_days == 120.0 and b.earned_in and b.cross_camp_share == 0.5 for b in aged_pool
    )
    assert all(
        b.pool_share == 0.15 and b.max_pair_overlap == 3 and b.n_targets == bench.pool_targets
        for b in aged_pool
    )
    assert all(b.organic_ratings == bench.sleeper_organic_ratings for b in aged_pool)
    assert not bench.community(3, 0.0, "sleeper").brigades
    defended = defence_config()
    assert defended.thin_pools is not None
    assert defended.co_rating is not None and defended.post_selection is not None
    assert defended.bursts is not None and defended.co_rating is not None
    with pytest.raises(ConfigError):
        AttackBenchConfig(shares=(1.5,))
    with pytest.raises(ConfigError):
        AttackBenchConfig(sleeper_dormant_share=0.9)
    with pytest.raises(ConfigError):
        AttackBenchConfig(kinds=("sleepy",))


def test_drop_attack_ratings_keeps_the_members_honest_ratings() -> None:
    bench = AttackBenchConfig(n_notes=200, n_raters=300, n_ratings=3_000, days=20.0, n_targets=2)
    community = simulate(bench.community(0, 0.05, "sleeper"))
    clean = drop_attack_ratings(community)
    raters = community.rater_truth.select(
        pl.col("participantId").alias("raterParticipantId"), pl.col("brigadeId").alias("rb")
    )
    notes = community.note_truth.select("noteId", pl.col("brigadeId").alias("nb"))
    rated = community.ratings.join(raters, on="raterParticipantId").join(notes, on="noteId")
    members = rated.filter(pl.col("rb") >= 0)
    attack = members.filter(pl.col("rb") == pl.col("nb"))
    assert attack.height == 2 * 15 * 2  # two brigades of 15 members, two targets each
    assert clean.ratings.height == community.ratings.height - attack.height
    kept = clean.ratings.join(raters, on="raterParticipantId").filter(pl.col("rb") >= 0)
    # The members' honest ratings stay, those on the other brigade's targets included.
    assert kept.height == members.height - attack.height > 0


def test_tiny_bench_end_to_end(tmp_path: Path) -> None:
    bench = AttackBenchConfig(
        shares=(0.0, 0.1),
        kinds=("two-camp",),
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
    assert all(len(c.promote_target_ids) == len(c.suppress_target_ids) == 3 for c in attacked)
    assert all(c.kind == "two-camp" for c in attacked)
    table = summarize(cells)
    assert table.height == 4
    assert set(table["defences"].to_list()) == {"off", "on"}
    path = plot_attack_bench(table, tmp_path / "bench.png")
    assert path.stat().st_size > 1000


def test_tiny_cell_with_structures_audits_the_defences(tmp_path: Path) -> None:
    bench = AttackBenchConfig(
        shares=(0.1,),
        kinds=("pool",),
        seeds=(0,),
        n_notes=300,
        n_raters=600,
        n_ratings=9_000,
        days=20.0,
        pool_targets=6,
        structures=("circles-both", "active"),
        n_circles=1,
        active_raters=3,
        active_ratings=200,
        scorers="core",
    )
    off = ScoringConfig(topics=None)
    cells = run_cell(bench, CellSpec(0, 0.1, "pool"), (off, defence_config(off)), tmp_path)
    assert [c.defences for c in cells] == [False, True]
    off_cell, on_cell = cells
    assert off_cell.audit is not None and on_cell.audit is not None
    # Defences off remove nothing; the Core view holds the attack and the honest ratings.
    assert off_cell.audit.honest_removed == off_cell.audit.adversary_removed == 0
    assert off_cell.audit.honest_flagged == 0
    assert off_cell.audit.adversary_ratings > 0 and off_cell.audit.honest_ratings > 9_000 * 0.3
    assert on_cell.off_crh_ids == off_cell.crh_ids
    assert on_cell.usage is not None and on_cell.usage.cpu_s > 0 and on_cell.usage.peak_mib > 0
    assert len(on_cell.promote_target_ids) == 6


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
            "--kinds",
            "rotating",
            "--rotating-targets",
            "4",
            "--rotating-per-wave",
            "2",
            "--pool-share",
            "20",
            "--pool-max-overlap",
            "0",
            "--structures",
            "circles-one",
            "--scorers",
            "core",
            "--cost-kinds",
            "fresh",
            "--cost-min-members",
            "5",
            "--cost-max-share",
            "2",
            "--no-topics",
        ]
    )
    assert code == 0
    table = pl.read_csv(tmp_path / "attack_bench.tsv", separator="\t")
    assert table.height == 4
    assert set(table["brigade"].to_list()) == {"none", "rotating"}
    assert pl.read_parquet(tmp_path / "attack_bench.parquet").height == 4
    cells = pl.read_parquet(tmp_path / "attack_bench_cells.parquet")
    assert cells.height == 4 and cells["seed"].to_list() == [1, 1, 1, 1]
    rotating_on = cells.filter((pl.col("brigade") == "rotating") & (pl.col("defences") == "on"))
    assert 0 < rotating_on["attack_ratings"].item() <= rotating_on["adversary_ratings"].item()
    cost = pl.read_parquet(tmp_path / "attack_cost.parquet")
    assert cost["defences"].to_list() == ["off", "on"] and cost["cap_members"][0] == 10
    assert (tmp_path / "attack_bench.md").read_text().startswith("| brigade |")
    assert (tmp_path / "attack_bench.png").stat().st_size > 1000


def test_defence_config_reaches_every_scorer_of_the_roster() -> None:
    from bridgewatch.scoring.scorers.roster import default_roster

    roster = default_roster(defence_config(ScoringConfig()))
    assert len(roster) > 20
    for spec in roster:
        config = spec.config
        assert config.co_rating is not None and config.bursts is not None, spec.name
        assert config.post_selection is not None, spec.name
        assert config.establishment is not None and config.unexplained is not None, spec.name


def test_matched_reference_and_circle_losses_against_the_reference() -> None:
    """Issue 15, round five: the defences removed brigade accounts' own ratings and the
    scorer moved h3 and h4 with them (the matched reference has them helpful); the drop
    against the matched reference counts only what else changed. Circle note c1 was helpful
    with the defences off (the attack's spill-over) but not in the reference: lost vs off,
    not vs the reference."""
    ref = {"h1", "h2", "c2"}
    cell = AttackCell(
        seed=0,
        share=0.1,
        kind="embedded",
        defences=True,
        promote_target_ids=frozenset(),
        suppress_target_ids=frozenset(),
        honest_ids=frozenset({"h1", "h2", "h3", "h4", "c1", "c2"}),
        crh_ids=frozenset({"h1", "h2", "h3", "h4", "c2"}),
        ref_crh_ids=frozenset(ref),
        off_crh_ids=frozenset({"h1", "c1", "c2"}),
        circle_good_ids=frozenset({"c1", "c2"}),
        matched_crh_ids=frozenset({"h1", "h2", "h3", "h4", "c2"}),
    )
    row = summarize([cell]).row(0, named=True)
    assert row["honest_helpful_drop"] == pytest.approx(-100.0 * 2 / 6)
    assert row["honest_helpful_drop_matched"] == pytest.approx(0.0)
    assert (row["honest_lost_matched"], row["honest_gained_matched"]) == (0, 0)
    assert (row["circle_good_off"], row["circle_good_lost"]) == (2, 1)
    assert (row["circle_good_ref"], row["circle_good_lost_ref"]) == (1, 0)
    unmatched = summarize([dataclasses.replace(cell, matched_crh_ids=None)]).row(0, named=True)
    assert unmatched["honest_helpful_drop_matched"] == pytest.approx(-100.0 * 2 / 6)


def test_diagnose_cell_scores_one_cell_with_its_truth() -> None:
    bench = AttackBenchConfig(
        n_notes=300,
        n_raters=600,
        n_ratings=9_000,
        days=20.0,
        pool_targets=6,
        structures=("circles-both",),
        n_circles=1,
        scorers="core",
    )
    cell = diagnose_cell(0, 0.1, "pool", bench)
    n = cell.result.inputs.n_participants
    assert cell.adversary.shape == cell.structure.shape == (n,)
    truth = cell.community.rater_truth
    ids = set(np.asarray(cell.result.inputs.participant_ids.ids)[cell.adversary].tolist())
    assert ids == set(truth.filter(pl.col("isAdversary"))["participantId"].to_list()) & set(
        cell.result.inputs.participant_ids.ids.tolist()
    )
    assert cell.adversary.any() and cell.structure.any()
    assert not (cell.adversary & cell.structure).any()
    # Scored with the defences (established raters are only known with them), Core alone.
    assert cell.result.inputs.established is not None
    roster = cell.result.roster
    assert roster is not None and list(roster.runs) == ["MFCoreScorer"]
