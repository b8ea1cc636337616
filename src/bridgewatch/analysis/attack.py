"""The attack benchmark: simulated communities with brigades of growing size, scored with the
manipulation defences off and on.

Each cell is one (seed, brigade share, sleeper) community: the organic community of that
seed plus one PROMOTE brigade (camp +1, rates borderline one-sided notes of its camp HELPFUL)
and one SUPPRESS brigade (camp -1, rates the best notes of the other side NOT_HELPFUL), each
with ``share * n_raters`` members. Brigades draw from their own random streams, so every
cell of a seed shares the same organic notes, raters and ratings, and share 0 is the
community without adversaries. Statuses are the Core scorer's statuses before the
stabilization delay (``preStabilizationRatingStatus``), so one run per cell suffices.

Figures per cell and defence setting:

- ``promoted_crh``: PROMOTE targets rated helpful, and their share of the targets;
- ``suppressed``: SUPPRESS targets that are helpful in the same seed's community without
  adversaries (same defences) but not under attack;
- ``honest_helpful_rate``: share of truly helpful notes (true quality >= ``helpful_quality``,
  not attack targets) rated helpful; ``honest_helpful_drop`` is the drop in points against
  the community without adversaries scored with the defences off (the reference).
"""

from __future__ import annotations

import dataclasses
import logging
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from bridgewatch.errors import ConfigError
from bridgewatch.io.dataset import load_dataset
from bridgewatch.model import NoteStatus
from bridgewatch.scoring.config import ScoringConfig
from bridgewatch.scoring.manipulation import PostSelectionConfig, QuasiCliqueConfig
from bridgewatch.scoring.reputation import TrustConfig
from bridgewatch.scoring.run import default_as_of_ms, score_core
from bridgewatch.sim import BrigadeConfig, BrigadeGoal, SimConfig, simulate, write_community

__all__ = [
    "AttackBenchConfig",
    "AttackCell",
    "defence_config",
    "run_attack_bench",
    "summarize",
    "to_markdown",
]

_log = logging.getLogger(__name__)
_CRH = int(NoteStatus.CURRENTLY_RATED_HELPFUL)


@dataclass(frozen=True)
class AttackBenchConfig:
    """What the attack benchmark simulates.

    Parameters
    ----------
    shares : brigade sizes as shares of the organic raters (each of the two brigades).
    sleepers : brigade kinds to run: False = fresh accounts that attack at once, True =
        sleepers (old accounts with many honest ratings that attack only after
        ``sleeper_dormant_days``).
    seeds : simulation seeds (one organic community each); the scorer uses seed 0.
    n_notes, n_raters, n_ratings, days : size of each organic community.
    n_targets : notes each brigade attacks.
    fresh_age_days, fresh_organic_ratings : fresh accounts' age and honest ratings.
    sleeper_age_share, sleeper_organic_ratings, sleeper_dormant_share : sleepers' age and
        dormant period as shares of the window, and their honest ratings.
    max_reaction_minutes : attack ratings land within this many minutes of the target.
    helpful_quality : notes with at least this true quality count as truly helpful.
    promote_target_quality : the PROMOTE brigade targets one-sided notes of its camp whose
        true quality is closest to this (0.0: borderline notes a push could tip); None
        targets the worst ones.
    """

    shares: tuple[float, ...] = (0.0, 0.01, 0.02, 0.05, 0.10, 0.20)
    sleepers: tuple[bool, ...] = (False, True)
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
    max_reaction_minutes: float = 30.0
    helpful_quality: float = 1.0
    promote_target_quality: float | None = 0.0

    def __post_init__(self) -> None:
        if not self.shares or any(not 0.0 <= s <= 1.0 for s in self.shares):
            raise ConfigError("shares", self.shares, "shares in [0, 1]")
        if not self.sleepers or not self.seeds:
            raise ConfigError("seeds", self.seeds, "at least one seed and one brigade kind")
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

    def community(self, seed: int, share: float, sleeper: bool) -> SimConfig:
        """The simulated community of one cell."""
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
        kind = (
            {
                "account_age_days": self.sleeper_age_share * self.days,
                "organic_ratings": self.sleeper_organic_ratings,
                "dormant_days": self.sleeper_dormant_share * self.days,
            }
            if sleeper
            else {
                "account_age_days": self.fresh_age_days,
                "organic_ratings": self.fresh_organic_ratings,
            }
        )
        brigades = tuple(
            BrigadeConfig(
                n_members=members,
                n_targets=self.n_targets,
                goal=goal,
                camp=camp,
                max_reaction_minutes=self.max_reaction_minutes,
                target_quality=self.promote_target_quality if goal is BrigadeGoal.PROMOTE else None,
                **kind,  # type: ignore[arg-type]
            )
            for goal, camp in ((BrigadeGoal.PROMOTE, 1), (BrigadeGoal.SUPPRESS, -1))
        )
        return dataclasses.replace(base, brigades=brigades)


def defence_config(base: ScoringConfig | None = None) -> ScoringConfig:
    """``base`` with every defence on: PSS clusters, quasi-cliques (the NoCorrelated fit)
    and trust propagation before the final fits."""
    return dataclasses.replace(
        base or ScoringConfig(),
        post_selection=PostSelectionConfig(),
        quasi_cliques=QuasiCliqueConfig(),
        trust=TrustConfig(),
    )


@dataclass(frozen=True)
class AttackCell:
    """Core statuses of one community under one defence setting.

    Attributes
    ----------
    seed, share, sleeper, defences : the cell.
    n_promote_targets, promoted_crh : PROMOTE targets and how many were rated helpful.
    n_suppress_targets, suppress_crh : SUPPRESS targets and how many were rated helpful.
    suppress_targets_crh_ids : note ids of the SUPPRESS targets rated helpful.
    honest_ids : note ids of the truly helpful non-target notes.
    honest_crh : how many of them were rated helpful.
    crh_ids : every note id rated helpful.
    """

    seed: int
    share: float
    sleeper: bool
    defences: bool
    n_promote_targets: int
    promoted_crh: int
    n_suppress_targets: int
    suppress_target_ids: frozenset[str]
    honest_ids: frozenset[str]
    crh_ids: frozenset[str]


def _score_cell(
    sim: SimConfig,
    seed: int,
    share: float,
    sleeper: bool,
    configs: Sequence[ScoringConfig],
    helpful_quality: float,
    workdir: Path,
) -> list[AttackCell]:
    community = simulate(sim)
    files = write_community(community, workdir)
    dataset = load_dataset(
        notes=files.notes,
        ratings=files.ratings[0] if len(files.ratings) == 1 else workdir,
        status_history=files.note_status_history,
        enrollment=files.user_enrollment,
    )
    truth = community.note_truth
    promote = set(truth.filter(pl.col("attackGoal") == "promote")["noteId"].to_list())
    suppress = frozenset(truth.filter(pl.col("attackGoal") == "suppress")["noteId"].to_list())
    honest = frozenset(
        truth.filter((pl.col("quality") >= helpful_quality) & ~pl.col("attackTarget"))[
            "noteId"
        ].to_list()
    )
    as_of = default_as_of_ms(dataset)
    cells = []
    for defences, config in enumerate(configs):
        result = score_core(dataset, config, as_of_ms=as_of, seed=0)
        ids = np.asarray(result.inputs.note_ids.ids, dtype=object)
        crh = frozenset(ids[result.meta.pre_stabilization_status == _CRH].tolist())
        cells.append(
            AttackCell(
                seed=seed,
                share=share,
                sleeper=sleeper,
                defences=bool(defences),
                n_promote_targets=len(promote),
                promoted_crh=len(promote & crh),
                n_suppress_targets=len(suppress),
                suppress_target_ids=suppress,
                honest_ids=honest,
                crh_ids=crh,
            )
        )
    return cells


def run_attack_bench(
    bench: AttackBenchConfig,
    *,
    scoring: ScoringConfig | None = None,
    progress: Callable[[str], None] | None = None,
) -> list[AttackCell]:
    """Simulate and score every cell of ``bench`` with defences off and on.

    Parameters
    ----------
    bench : AttackBenchConfig
    scoring : the defences-off scoring config (default ``ScoringConfig()``); the
        defences-on one is ``defence_config(scoring)``.
    progress : called with a short label before each community.

    Returns
    -------
    Two cells (defences off, on) per seed, share and brigade kind; share 0 once per seed.
    """
    off = scoring or ScoringConfig()
    configs = (off, defence_config(off))
    cells: list[AttackCell] = []
    for seed in bench.seeds:
        for share in bench.shares:
            for sleeper in bench.sleepers if share > 0 else (False,):
                label = f"seed {seed} share {share:.0%} {'sleeper' if sleeper else 'fresh'}"
                if progress is not None:
                    progress(label)
                _log.info("attack bench: %s", label)
                with tempfile.TemporaryDirectory(prefix="bw-attack-") as tmp:
                    cells += _score_cell(
                        bench.community(seed, share, sleeper),
                        seed,
                        share,
                        sleeper,
                        configs,
                        bench.helpful_quality,
                        Path(tmp),
                    )
    return cells


def summarize(cells: Sequence[AttackCell]) -> pl.DataFrame:
    """One row per (share, brigade kind, defences), summed over seeds.

    Columns: share, brigade (none / fresh / sleeper), defences (off / on), seeds,
    promoted_crh, promote_targets, good_suppressed, good_targets (SUPPRESS targets helpful
    without adversaries), honest_crh_ref (truly helpful notes rated helpful without
    adversaries and defences), honest_lost (those of them not rated helpful here),
    honest_helpful_rate (%), honest_helpful_drop (points against the same seeds without
    adversaries and without defences).
    """
    base = {(c.seed, c.defences): c for c in cells if c.share == 0}
    rows = []
    for c in cells:
        ref = base.get((c.seed, c.defences))
        ref_off = base.get((c.seed, False))
        good = c.suppress_target_ids & ref.crh_ids if ref is not None else frozenset()
        honest = c.honest_ids
        rows.append(
            {
                "share": c.share,
                "brigade": "none" if c.share == 0 else ("sleeper" if c.sleeper else "fresh"),
                "defences": "on" if c.defences else "off",
                "seed": c.seed,
                "promoted_crh": c.promoted_crh,
                "promote_targets": c.n_promote_targets,
                "good_suppressed": len(good - c.crh_ids),
                "good_targets": len(good),
                "honest_crh": len(honest & c.crh_ids),
                "honest": len(honest),
                "honest_crh_ref": len(honest & ref_off.crh_ids) if ref_off is not None else 0,
                "honest_lost": len((honest & ref_off.crh_ids) - c.crh_ids)
                if ref_off is not None
                else 0,
            }
        )
    frame = pl.DataFrame(rows)
    out = (
        frame.group_by(["share", "brigade", "defences"], maintain_order=True)
        .agg(
            pl.len().alias("seeds"),
            pl.col("promoted_crh").sum(),
            pl.col("promote_targets").sum(),
            pl.col("good_suppressed").sum(),
            pl.col("good_targets").sum(),
            pl.col("honest_crh").sum(),
            pl.col("honest").sum(),
            pl.col("honest_crh_ref").sum(),
            pl.col("honest_lost").sum(),
        )
        .with_columns(
            (100.0 * pl.col("honest_crh") / pl.col("honest")).alias("honest_helpful_rate"),
            (100.0 * (pl.col("honest_crh_ref") - pl.col("honest_crh")) / pl.col("honest")).alias(
                "honest_helpful_drop"
            ),
        )
        .drop("honest_crh", "honest")
        .sort(["brigade", "share", "defences"])
    )
    return out


def to_markdown(table: pl.DataFrame) -> str:
    """The summary as a GitHub markdown table."""
    header = [
        "brigade",
        "share",
        "defences",
        "promoted → CRH",
        "good notes suppressed",
        "honest helpful lost",
        "honest helpful rate",
        "drop (pts)",
    ]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for r in table.iter_rows(named=True):
        lines.append(
            f"| {r['brigade']} | {r['share']:.0%} | {r['defences']} "
            f"| {r['promoted_crh']}/{r['promote_targets']} "
            f"| {r['good_suppressed']}/{r['good_targets']} "
            f"| {r['honest_lost']}/{r['honest_crh_ref']} "
            f"| {r['honest_helpful_rate']:.1f}% | {r['honest_helpful_drop']:+.1f} |"
        )
    return "\n".join(lines) + "\n"
