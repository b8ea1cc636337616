"""The attack benchmark: simulated communities with brigades of growing size, scored with the
manipulation defences off and on.

Each cell is one (seed, brigade share, brigade kind) community: the organic community of
that seed plus one PROMOTE brigade (rates borderline one-sided notes of camp +1 HELPFUL)
and one SUPPRESS brigade (rates the best notes not slanted towards camp -1 NOT_HELPFUL),
each with ``share * n_raters`` members. Kinds: ``fresh`` (new accounts that attack at
once), ``sleeper`` (old accounts with many honest ratings that attack only after a dormant
period; the PROMOTE brigade in camp +1, the SUPPRESS one in camp -1), ``two-camp``
(sleepers with half of each brigade in each camp, faking agreement across viewpoints) and
``slow`` (two-camp sleepers that spread their attack ratings over
``slow_reaction_minutes`` instead of ``max_reaction_minutes``: the timing signal fades).
Statuses are the Core scorer's statuses before the stabilization delay
(``preStabilizationRatingStatus``).

Like is compared with like: every cell's reference is *the same community without the
attack* -- the same organic raters and ratings plus the brigade members' own honest
ratings (a sleeper's reputation-building phase changes the community; it is not the
attack) -- scored with the defences off. Figures per cell and defence setting:

- ``promoted_crh``: PROMOTE targets rated helpful (``promote_crh_ref`` of them are
  helpful in the reference already);
- ``good_suppressed``: SUPPRESS targets helpful in the reference but not under attack;
- ``honest_helpful_rate``: share of truly helpful notes (true quality >=
  ``helpful_quality``, not attack targets) rated helpful; ``honest_helpful_drop`` is the
  drop in points against the reference, so it counts both the attack's collateral damage
  and the defences' false positives. The ``none`` rows (no brigade, defences on) are the
  defences' false positives alone.
"""

from __future__ import annotations

import dataclasses
import logging
import tempfile
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from bridgewatch.errors import ConfigError
from bridgewatch.io.dataset import Dataset, load_dataset
from bridgewatch.model import NoteStatus
from bridgewatch.parallel import SerialExecutor, Task, executor_scope, run_graph
from bridgewatch.scoring._threads import limit_kernel_threads
from bridgewatch.scoring.config import ScoringConfig
from bridgewatch.scoring.defences import with_defences
from bridgewatch.scoring.run import default_as_of_ms, score_core
from bridgewatch.sim import (
    BrigadeConfig,
    BrigadeGoal,
    Community,
    SimConfig,
    simulate,
    write_community,
)

__all__ = [
    "BRIGADE_KINDS",
    "AttackBenchConfig",
    "AttackCell",
    "defence_config",
    "drop_attack_ratings",
    "run_attack_bench",
    "summarize",
    "to_markdown",
]

_log = logging.getLogger(__name__)
_CRH = int(NoteStatus.CURRENTLY_RATED_HELPFUL)

BRIGADE_KINDS: tuple[str, ...] = ("fresh", "sleeper", "two-camp", "slow")
"""The brigade kinds of the benchmark (see the module docstring)."""


@dataclass(frozen=True)
class AttackBenchConfig:
    """What the attack benchmark simulates.

    Parameters
    ----------
    shares : brigade sizes as shares of the organic raters (each of the two brigades).
    kinds : brigade kinds to run, from ``BRIGADE_KINDS``.
    seeds : simulation seeds (one organic community each); the scorer uses seed 0.
    n_notes, n_raters, n_ratings, days : size of each organic community.
    n_targets : notes each brigade attacks.
    fresh_age_days, fresh_organic_ratings : fresh accounts' age and honest ratings.
    sleeper_age_share, sleeper_organic_ratings, sleeper_dormant_share : sleepers' age and
        dormant period as shares of the window, and their honest ratings.
    two_camp_share : share of a two-camp brigade's members in the other camp.
    max_reaction_minutes : attack ratings land within this many minutes of the target.
    slow_reaction_minutes : ... for the ``slow`` kind.
    helpful_quality : notes with at least this true quality count as truly helpful.
    promote_target_quality : the PROMOTE brigade targets one-sided notes of its camp whose
        true quality is closest to this (0.0: borderline notes a push could tip); None
        targets the worst ones.
    """

    shares: tuple[float, ...] = (0.0, 0.01, 0.02, 0.05, 0.10, 0.20)
    kinds: tuple[str, ...] = BRIGADE_KINDS
    seeds: tuple[int, ...] = (0, 1)
    n_notes: int = 2_000
    n_raters: int = 5_000
    n_ratings: int = 100_000
    days: float = 60.0
    n_targets: int = 10
    fresh_age_days: float = 14.0
    fresh_organic_ratings: int = 3
    sleeper_age_share: float = 0.85
    sleeper_organic_ratings: int = 40
    sleeper_dormant_share: float = 0.5
    two_camp_share: float = 0.5
    max_reaction_minutes: float = 30.0
    slow_reaction_minutes: float = 360.0
    helpful_quality: float = 1.0
    promote_target_quality: float | None = 0.0

    def __post_init__(self) -> None:
        if not self.shares or any(not 0.0 <= s <= 1.0 for s in self.shares):
            raise ConfigError("shares", self.shares, "shares in [0, 1]")
        if not self.kinds or any(k not in BRIGADE_KINDS for k in self.kinds):
            raise ConfigError("kinds", self.kinds, f"kinds from {BRIGADE_KINDS}")
        if not self.seeds:
            raise ConfigError("seeds", self.seeds, "at least one seed")
        if self.n_targets < 1:
            raise ConfigError("n_targets", self.n_targets, "an int >= 1")
        if not 0.0 <= self.sleeper_dormant_share < self.sleeper_age_share <= 1.0:
            raise ConfigError(
                "sleeper_dormant_share",
                self.sleeper_dormant_share,
                "0 <= sleeper_dormant_share < sleeper_age_share <= 1",
            )
        if not 0.0 < self.fresh_age_days <= self.days:
            raise ConfigError("fresh_age_days", self.fresh_age_days, "in (0, days]")
        if not 0.0 <= self.two_camp_share <= 1.0:
            raise ConfigError("two_camp_share", self.two_camp_share, "in [0, 1]")

    def community(self, seed: int, share: float, kind: str) -> SimConfig:
        """The simulated community of one cell."""
        if kind not in BRIGADE_KINDS:
            raise ConfigError("kind", kind, f"one of {BRIGADE_KINDS}")
        base = SimConfig(
            seed=seed,
            n_notes=self.n_notes,
            n_raters=self.n_raters,
            n_ratings=self.n_ratings,
            days=self.days,
        )
        members = round(share * self.n_raters)
        if members == 0:
            return base
        accounts: dict[str, float | int]
        if kind == "fresh":
            accounts = {
                "account_age_days": self.fresh_age_days,
                "organic_ratings": self.fresh_organic_ratings,
            }
        else:
            accounts = {
                "account_age_days": self.sleeper_age_share * self.days,
                "organic_ratings": self.sleeper_organic_ratings,
                "dormant_days": self.sleeper_dormant_share * self.days,
            }
        reaction = self.max_reaction_minutes
        if kind in ("two-camp", "slow"):
            accounts["cross_camp_share"] = self.two_camp_share
        if kind == "slow":
            reaction = self.slow_reaction_minutes
        brigades = tuple(
            BrigadeConfig(
                n_members=members,
                n_targets=self.n_targets,
                goal=goal,
                camp=camp,
                max_reaction_minutes=reaction,
                target_quality=self.promote_target_quality if goal is BrigadeGoal.PROMOTE else None,
                **accounts,  # type: ignore[arg-type]
            )
            for goal, camp in ((BrigadeGoal.PROMOTE, 1), (BrigadeGoal.SUPPRESS, -1))
        )
        return dataclasses.replace(base, brigades=brigades)


def defence_config(base: ScoringConfig | None = None) -> ScoringConfig:
    """``base`` with every defence on (``bridgewatch.scoring.defences.with_defences``): PSS
    clusters, quasi-cliques (the NoCorrelated fit), coordinated co-rating, coordinated rating
    bursts and trust propagation before the final fits."""
    return with_defences(base)


def drop_attack_ratings(community: Community) -> Community:
    """The same community without the attack: ratings by a brigade's members on that
    brigade's targets are removed; everything else (the members' honest ratings too) stays."""
    raters = community.rater_truth.select(
        pl.col("participantId").alias("raterParticipantId"),
        pl.col("brigadeId").alias("_raterBrigade"),
    )
    notes = community.note_truth.select("noteId", pl.col("brigadeId").alias("_noteBrigade"))
    ratings = (
        community.ratings.join(raters, on="raterParticipantId", how="left")
        .join(notes, on="noteId", how="left")
        .filter(
            ~(
                (pl.col("_raterBrigade") >= 0) & (pl.col("_raterBrigade") == pl.col("_noteBrigade"))
            ).fill_null(False)
        )
        .drop("_raterBrigade", "_noteBrigade")
    )
    return dataclasses.replace(community, ratings=ratings)


@dataclass(frozen=True)
class AttackCell:
    """Core statuses of one community under one defence setting.

    Attributes
    ----------
    seed, share, kind, defences : the cell (kind "none" for share 0).
    promote_target_ids, suppress_target_ids : note ids of the brigades' targets.
    honest_ids : note ids of the truly helpful non-target notes.
    crh_ids : every note id rated helpful.
    ref_crh_ids : every note id rated helpful in the same community without the attack,
        scored with the defences off (the reference).
    """

    seed: int
    share: float
    kind: str
    defences: bool
    promote_target_ids: frozenset[str]
    suppress_target_ids: frozenset[str]
    honest_ids: frozenset[str]
    crh_ids: frozenset[str]
    ref_crh_ids: frozenset[str]


def _load(community: Community, workdir: Path) -> Dataset:
    files = write_community(community, workdir)
    return load_dataset(
        notes=files.notes,
        ratings=files.ratings[0] if len(files.ratings) == 1 else workdir,
        status_history=files.note_status_history,
        enrollment=files.user_enrollment,
    )


def _crh(dataset: Dataset, config: ScoringConfig) -> frozenset[str]:
    result = score_core(dataset, config, as_of_ms=default_as_of_ms(dataset), seed=0)
    ids = np.asarray(result.inputs.note_ids.ids, dtype=object)
    return frozenset(ids[result.meta.pre_stabilization_status == _CRH].tolist())


def _score_cell(
    sim: SimConfig,
    seed: int,
    share: float,
    kind: str,
    configs: Sequence[ScoringConfig],
    helpful_quality: float,
    workdir: Path,
) -> list[AttackCell]:
    community = simulate(sim)
    truth = community.note_truth

    def ids(expr: pl.Expr) -> frozenset[str]:
        return frozenset(truth.filter(expr)["noteId"].to_list())

    promote = ids(pl.col("attackGoal") == "promote")
    suppress = ids(pl.col("attackGoal") == "suppress")
    honest = ids((pl.col("quality") >= helpful_quality) & ~pl.col("attackTarget"))
    attacked = _load(community, workdir / "attacked")
    clean = drop_attack_ratings(community)
    if clean.ratings.height == community.ratings.height:
        reference = _crh(attacked, configs[0])
        crh = [reference, *(_crh(attacked, c) for c in configs[1:])]
    else:
        reference = _crh(_load(clean, workdir / "clean"), configs[0])
        crh = [_crh(attacked, c) for c in configs]
    return [
        AttackCell(
            seed=seed,
            share=share,
            kind=kind if share > 0 else "none",
            defences=bool(defences),
            promote_target_ids=promote,
            suppress_target_ids=suppress,
            honest_ids=honest,
            crh_ids=cell_crh,
            ref_crh_ids=reference,
        )
        for defences, cell_crh in enumerate(crh)
    ]


def run_attack_bench(
    bench: AttackBenchConfig,
    *,
    scoring: ScoringConfig | None = None,
    defended: ScoringConfig | None = None,
    progress: Callable[[str], None] | None = None,
    executor: Executor | str | None = None,
) -> list[AttackCell]:
    """Simulate and score every cell of ``bench`` with defences off and on.

    Parameters
    ----------
    bench : AttackBenchConfig
    scoring : the defences-off scoring config (default ``ScoringConfig()``).
    defended : the defences-on one (default ``defence_config(scoring)``).
    progress : called with a short label before each community (under a parallel
        executor: as the cells are submitted).
    executor : where the cells run (an Executor or a spec such as ``processes:2`` or
        ``dask:tcp://host:8786``, ``bridgewatch.parallel``); default serially. One task
        per cell; the cells are the same whatever the executor.

    Returns
    -------
    Two cells (defences off, on) per seed, share and brigade kind; share 0 once per seed.
    Each attacked community is scored three times (its reference without the attack, and
    with the attack defences off and on); share 0 twice.
    """
    off = scoring or ScoringConfig()
    configs = (off, defended or defence_config(off))
    cells: dict[str, tuple[Any, ...]] = {}
    for seed in bench.seeds:
        for share in bench.shares:
            for kind in bench.kinds if share > 0 else ("none",):
                label = f"seed {seed} share {share:.0%} {kind}"
                cells[label] = (bench, seed, share, kind, configs)
    with executor_scope(executor) as pool:
        if pool is None or isinstance(pool, SerialExecutor):
            done: list[AttackCell] = []
            for label, args in cells.items():  # in this thread, each scoring on all cores
                if progress is not None:
                    progress(label)
                done += _cell_task(*args)
            return done
        # Each cell is a task that simulates its own community from its seed (only the
        # cell's description travels) and returns its note-id sets.
        for label in cells:
            if progress is not None:
                progress(label)
        tasks = {label: Task(_cell_task_one_thread, args) for label, args in cells.items()}
        results = run_graph(pool, tasks)
    return [cell for label in cells for cell in results[label]]


def _cell_task(
    bench: AttackBenchConfig,
    seed: int,
    share: float,
    kind: str,
    configs: Sequence[ScoringConfig],
) -> list[AttackCell]:
    """One cell of the benchmark, simulated from its seed and scored (a task)."""
    _log.info("attack bench: seed %d share %.0f%% %s", seed, 100 * share, kind)
    sim = bench.community(seed, share, kind if share > 0 else BRIGADE_KINDS[0])
    with tempfile.TemporaryDirectory(prefix="bw-attack-") as tmp:
        return _score_cell(sim, seed, share, kind, configs, bench.helpful_quality, Path(tmp))


def _cell_task_one_thread(*args: Any) -> list[AttackCell]:
    """``_cell_task`` with its kernels on one thread (the cells are the parallelism)."""
    with limit_kernel_threads(1):
        return _cell_task(*args)


def summarize(cells: Sequence[AttackCell]) -> pl.DataFrame:
    """One row per (share, brigade kind, defences), summed over seeds.

    Columns: share, brigade (none / fresh / sleeper / two-camp), defences (off / on),
    seeds, promoted_crh, promote_crh_ref (targets helpful without the attack),
    promote_targets, good_suppressed, good_targets (SUPPRESS targets helpful in the
    reference), honest_crh_ref (truly helpful notes rated helpful in the reference),
    honest_lost (those of them not rated helpful here), honest_gained (truly helpful notes
    helpful here but not in the reference), honest_helpful_rate (%), honest_helpful_drop
    (points against the reference).
    """
    rows = []
    for c in cells:
        good = c.suppress_target_ids & c.ref_crh_ids
        honest_ref = c.honest_ids & c.ref_crh_ids
        rows.append(
            {
                "share": c.share,
                "brigade": c.kind,
                "defences": "on" if c.defences else "off",
                "seed": c.seed,
                "promoted_crh": len(c.promote_target_ids & c.crh_ids),
                "promote_crh_ref": len(c.promote_target_ids & c.ref_crh_ids),
                "promote_targets": len(c.promote_target_ids),
                "good_suppressed": len(good - c.crh_ids),
                "good_targets": len(good),
                "honest_crh": len(c.honest_ids & c.crh_ids),
                "honest": len(c.honest_ids),
                "honest_crh_ref": len(honest_ref),
                "honest_lost": len(honest_ref - c.crh_ids),
                "honest_gained": len((c.honest_ids & c.crh_ids) - c.ref_crh_ids),
            }
        )
    frame = pl.DataFrame(rows)
    sums = [
        "promoted_crh",
        "promote_crh_ref",
        "promote_targets",
        "good_suppressed",
        "good_targets",
        "honest_crh",
        "honest",
        "honest_crh_ref",
        "honest_lost",
        "honest_gained",
    ]
    return (
        frame.group_by(["share", "brigade", "defences"], maintain_order=True)
        .agg(pl.len().alias("seeds"), *(pl.col(c).sum() for c in sums))
        .with_columns(
            (100.0 * pl.col("honest_crh") / pl.col("honest")).alias("honest_helpful_rate"),
            (100.0 * (pl.col("honest_crh_ref") - pl.col("honest_crh")) / pl.col("honest")).alias(
                "honest_helpful_drop"
            ),
        )
        .drop("honest_crh", "honest")
        .sort(["brigade", "share", "defences"])
    )


def to_markdown(table: pl.DataFrame) -> str:
    """The summary as a GitHub markdown table."""
    header = [
        "brigade",
        "share",
        "defences",
        "promoted → helpful",
        "good notes suppressed",
        "honest helpful lost / gained",
        "honest helpful rate",
        "drop (pts)",
    ]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for r in table.iter_rows(named=True):
        lines.append(
            f"| {r['brigade']} | {r['share']:.0%} | {r['defences']} "
            f"| {r['promoted_crh']}/{r['promote_targets']} "
            f"| {r['good_suppressed']}/{r['good_targets']} "
            f"| {r['honest_lost']} / {r['honest_gained']} of {r['honest_crh_ref']} "
            f"| {r['honest_helpful_rate']:.1f}% | {r['honest_helpful_drop']:+.1f} |"
        )
    return "\n".join(lines) + "\n"
