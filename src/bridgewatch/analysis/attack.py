"""The attack benchmark: simulated communities with brigades of growing size, scored with the
manipulation defences off and on.

Each cell is one (seed, brigade share, brigade kind) community: the organic community of
that seed, the honest structures of ``AttackBenchConfig.structures`` (niche circles with one
or both camps, a modeling-group community, very active raters: none of them should be
flagged), plus one PROMOTE brigade (rates borderline one-sided notes of camp +1 HELPFUL)
and one SUPPRESS brigade (rates the best notes not slanted towards camp -1 NOT_HELPFUL),
each with ``share * n_raters`` members. Kinds:

- ``fresh``: new accounts that attack at once;
- ``sleeper``: old accounts enrolled ``earnedIn`` in Core's modeling groups, with many
  honest ratings, that attack only after a dormant period;
- ``two-camp``: sleepers with half of each brigade in each camp, faking agreement across
  viewpoints; ``slow``: two-camp sleepers that spread their attack ratings over
  ``slow_reaction_minutes`` instead of ``max_reaction_minutes`` (the timing signal fades);
- ``pool``: a large pool of fresh accounts; each of ``pool_targets`` targets gets a fresh
  random ``pool_share`` of the pool, no pair of accounts sharing more than
  ``pool_max_overlap`` targets (thin co-rating);
- ``rotating``: fresh accounts in disjoint waves of ``rotating_targets_per_wave`` targets
  each (``rotating_targets`` in all), every wave new accounts retired after use;
- ``out-of-scope``: fresh accounts enrolled in modeling groups outside Core's scope
  (``out_of_scope_groups``): Core never sees their ratings, but they count in the capture
  share (a note keeps its Core result only if half its ratings are Core raters');
- ``embedded``: sleepers recruited inside one modeling-group community: every member in
  ``community_group``, the group of the honest ``group`` structure;
- ``aged``: ``slow`` two-camp sleepers whose accounts earned in ``aged_enrolled_days``
  before the window end (120): past the establishment bar (90 days), so they count as
  established raters (accounts farmed long ago and woken for the attack);
- ``aged-pool``: a large pool of two-camp sleepers (``sleeper_organic_ratings`` honest
  ratings of camouflage each) that earned in ``aged_enrolled_days`` before the window end,
  woken for ``pool_targets`` targets, each rated by a fresh random ``pool_share`` of the
  pool within ``slow_reaction_minutes``, no pair sharing more than ``pool_max_overlap``
  targets: established accounts whose verdicts reach Core's final fits, and no pair
  beyond chance (issue #15's "large pool, low overlap": ~330 accounts, 15% per target,
  a pair sharing ~1.4 targets is ``pool_targets=60 pool_share=0.15
  pool_max_overlap=2`` with ``share * n_raters = 330``).

Statuses are the final statuses before the stabilization delay
(``preStabilizationRatingStatus``) of the meta chain over every scorer of the roster
(``scorers="all"``), or of the Core scorer alone (``scorers="core"``, the fast path).

Like is compared with like: every cell's reference is *the same community without the
attack* -- the same organic raters and ratings plus the brigade members' own honest
ratings (a sleeper's reputation-building phase changes the community; it is not the
attack) -- scored with the defences off. See ``summarize`` for the columns and
``bridgewatch.analysis.attack_cost`` for the attack cost curves.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import tempfile
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np
import polars as pl

from bridgewatch.analysis.attack_metrics import (
    DefenceAudit,
    RunUsage,
    adversary_ratings_removed,
    audit_defences,
    measured,
)
from bridgewatch.errors import ConfigError
from bridgewatch.io.dataset import Dataset, load_dataset
from bridgewatch.model import NoteStatus
from bridgewatch.parallel import SerialExecutor, Task, executor_scope, run_graph
from bridgewatch.scoring._threads import limit_kernel_threads
from bridgewatch.scoring.config import ScoringConfig
from bridgewatch.scoring.defences import with_defences
from bridgewatch.scoring.preprocess.config import CORE_MODELING_GROUPS
from bridgewatch.scoring.run import ScoringResult, default_as_of_ms, score
from bridgewatch.scoring.scorers.roster import core_scorer
from bridgewatch.sim import (
    BrigadeConfig,
    BrigadeGoal,
    Community,
    SimConfig,
    simulate,
    write_community,
)
from bridgewatch.sim.config import (
    N_MODELING_GROUPS,
    ActiveRatersConfig,
    CircleConfig,
    GroupCommunityConfig,
)

__all__ = [
    "BRIGADE_KINDS",
    "SCORER_SETS",
    "STRUCTURE_KINDS",
    "AttackBenchConfig",
    "AttackCell",
    "CellSpec",
    "bench_cells",
    "cell_table",
    "crh_ids",
    "defence_config",
    "drop_attack_ratings",
    "load_community",
    "run_attack_bench",
    "run_cell",
    "score_dataset",
    "summarize",
    "to_markdown",
]

_log = logging.getLogger(__name__)
_CRH = int(NoteStatus.CURRENTLY_RATED_HELPFUL)

BRIGADE_KINDS: tuple[str, ...] = (
    "fresh",
    "sleeper",
    "two-camp",
    "slow",
    "pool",
    "rotating",
    "out-of-scope",
    "embedded",
    "aged",
    "aged-pool",
)
"""The brigade kinds of the benchmark (see the module docstring)."""

STRUCTURE_KINDS: tuple[str, ...] = ("circles-one", "circles-both", "group", "active")
"""Honest structures that can be added to every community: ``circles-one`` (niche circles
whose members are all in one camp, alternating +1/-1), ``circles-both`` (niche circles with
both camps), ``group`` (a modeling-group community in ``community_group``), ``active``
(very active raters)."""

SCORER_SETS: tuple[str, ...] = ("all", "core")
"""``all``: the whole roster and its meta chain (``score(..., scorers=None)``); ``core``: the
Core scorer alone (``score_core``)."""

# The simulator's Core groups (CORE_MODELING_GROUPS among the groups it draws).
_SIM_CORE_GROUPS = tuple(sorted(g for g in CORE_MODELING_GROUPS if g < N_MODELING_GROUPS))


@dataclass(frozen=True)
class AttackBenchConfig:
    """What the attack benchmark simulates.

    Parameters
    ----------
    shares : brigade sizes as shares of the organic raters (each of the two brigades).
    kinds : brigade kinds to run, from ``BRIGADE_KINDS``.
    seeds : simulation seeds (one organic community each); the scorer uses seed 0.
    n_notes, n_raters, n_ratings, days : size of each organic community.
    n_targets : notes each brigade attacks (kinds other than pool and rotating).
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
    pool_targets, pool_share, pool_max_overlap : the ``pool`` and ``aged-pool`` kinds:
        targets per brigade,
        share of the pool rating each target, bound on the targets a pair shares (None: no
        bound).
    rotating_targets, rotating_targets_per_wave : the ``rotating`` kind: targets per
        brigade, and per wave of new accounts.
    out_of_scope_groups : modeling groups of ``out-of-scope`` accounts (default: the groups
        the simulator draws that are outside Core's scope; the Expansion scorers see them).
    community_group : modeling group of the ``group`` structure and of ``embedded``
        brigades (a Core group).
    aged_enrolled_days : the ``aged`` and ``aged-pool`` kinds: days before the window end
        at which its accounts earned in.
    structures : honest structures added to every community, from ``STRUCTURE_KINDS``.
    n_circles : niche circles per circle structure; circle_members, circle_notes: their size.
    group_members, group_interest_share, group_ratings : the modeling-group community.
    active_raters, active_ratings : very active raters and their ratings each.
    scorers : statuses from the whole roster ("all") or Core alone ("core").
    cost_kinds : kinds whose attack cost curve is measured (``attack_cost``).
    cost_min_members, cost_max_share, cost_bisect_steps : the cost search starts at
        ``cost_min_members`` accounts and doubles up to ``cost_max_share * n_raters``, then
        bisects this many times.
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
    pool_targets: int = 30
    pool_share: float = 0.15
    pool_max_overlap: int | None = 3
    rotating_targets: int = 30
    rotating_targets_per_wave: int = 6
    out_of_scope_groups: tuple[int, ...] = tuple(
        g for g in range(N_MODELING_GROUPS) if g not in CORE_MODELING_GROUPS
    )
    community_group: int = 3
    aged_enrolled_days: float = 120.0
    structures: tuple[str, ...] = ()
    n_circles: int = 3
    circle_members: int = 30
    circle_notes: int = 25
    group_members: int = 300
    group_interest_share: float = 0.1
    group_ratings: int = 30
    active_raters: int = 20
    active_ratings: int = 1_000
    scorers: str = "all"
    cost_kinds: tuple[str, ...] = ()
    cost_min_members: int = 4
    cost_max_share: float = 0.4
    cost_bisect_steps: int = 3

    def __post_init__(self) -> None:
        if not self.shares or any(not 0.0 <= s <= 1.0 for s in self.shares):
            raise ConfigError("shares", self.shares, "shares in [0, 1]")
        for name, values, allowed in (
            ("kinds", self.kinds, BRIGADE_KINDS),
            ("cost_kinds", self.cost_kinds, BRIGADE_KINDS),
            ("structures", self.structures, STRUCTURE_KINDS),
        ):
            if any(k not in allowed for k in values):
                raise ConfigError(name, values, f"values from {allowed}")
        if not self.kinds:
            raise ConfigError("kinds", self.kinds, "at least one kind")
        if not self.seeds:
            raise ConfigError("seeds", self.seeds, "at least one seed")
        if self.scorers not in SCORER_SETS:
            raise ConfigError("scorers", self.scorers, f"one of {SCORER_SETS}")
        for name in ("n_targets", "pool_targets", "rotating_targets", "rotating_targets_per_wave"):
            if getattr(self, name) < 1:
                raise ConfigError(name, getattr(self, name), "an int >= 1")
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
        if not self.out_of_scope_groups or any(
            g in CORE_MODELING_GROUPS for g in self.out_of_scope_groups
        ):
            raise ConfigError(
                "out_of_scope_groups", self.out_of_scope_groups, "groups outside Core's scope"
            )
        if self.cost_min_members < 1 or not 0.0 < self.cost_max_share <= 10.0:
            raise ConfigError(
                "cost_min_members", self.cost_min_members, ">= 1, with cost_max_share in (0, 10]"
            )
        if self.cost_bisect_steps < 0:
            raise ConfigError("cost_bisect_steps", self.cost_bisect_steps, "an int >= 0")

    def targets_of(self, kind: str) -> int:
        """Targets per brigade of ``kind``."""
        if kind in ("pool", "aged-pool"):
            return self.pool_targets
        if kind == "rotating":
            return self.rotating_targets
        return self.n_targets

    def min_members(self, kind: str) -> int:
        """The fewest accounts a brigade of ``kind`` can have (one per rotating wave)."""
        if kind == "rotating":
            return -(-self.rotating_targets // self.rotating_targets_per_wave)
        return 1

    def honest_structures(self) -> dict[str, tuple[object, ...]]:
        """The ``SimConfig`` fields of the honest structures (``structures``)."""
        circles: list[CircleConfig] = []
        for kind in ("circles-one", "circles-both"):
            if kind in self.structures:
                circles += [
                    CircleConfig(
                        n_members=self.circle_members,
                        n_notes=self.circle_notes,
                        camp=0 if kind == "circles-both" else (1 if i % 2 == 0 else -1),
                    )
                    for i in range(self.n_circles)
                ]
        groups = (
            (
                GroupCommunityConfig(
                    n_members=self.group_members,
                    modeling_group=self.community_group,
                    interest_share=self.group_interest_share,
                    ratings_per_member=self.group_ratings,
                ),
            )
            if "group" in self.structures
            else ()
        )
        active = (
            (ActiveRatersConfig(self.active_raters, min(self.active_ratings, self.n_notes)),)
            if "active" in self.structures
            else ()
        )
        return {"circles": tuple(circles), "group_communities": groups, "active_raters": active}

    def brigade(self, kind: str, members: int, goal: BrigadeGoal) -> BrigadeConfig:
        """One brigade of ``kind`` with ``members`` accounts and the given goal (PROMOTE in
        camp +1, SUPPRESS in camp -1)."""
        if kind not in BRIGADE_KINDS:
            raise ConfigError("kind", kind, f"one of {BRIGADE_KINDS}")
        fresh = kind in ("fresh", "pool", "rotating", "out-of-scope")
        options: dict[str, object] = {}
        if fresh:
            options |= {
                "account_age_days": self.fresh_age_days,
                "organic_ratings": self.fresh_organic_ratings,
            }
        else:
            options |= {
                "account_age_days": self.sleeper_age_share * self.days,
                "organic_ratings": self.sleeper_organic_ratings,
                "dormant_days": self.sleeper_dormant_share * self.days,
                "earned_in": True,
                "modeling_groups": _SIM_CORE_GROUPS,
            }
        if kind in ("two-camp", "slow", "aged", "aged-pool"):
            options["cross_camp_share"] = self.two_camp_share
        if kind in ("aged", "aged-pool"):
            options["enrolled_days"] = self.aged_enrolled_days
        if kind in ("pool", "aged-pool"):
            options |= {"pool_share": self.pool_share, "max_pair_overlap": self.pool_max_overlap}
        if kind == "rotating":
            options["targets_per_wave"] = self.rotating_targets_per_wave
        if kind == "out-of-scope":
            options["modeling_groups"] = self.out_of_scope_groups
        if kind == "embedded":
            options["modeling_groups"] = (self.community_group,)
        promote = goal is BrigadeGoal.PROMOTE
        return BrigadeConfig(
            n_members=members,
            n_targets=self.targets_of(kind),
            goal=goal,
            camp=1 if promote else -1,
            max_reaction_minutes=(
                self.slow_reaction_minutes
                if kind in ("slow", "aged", "aged-pool")
                else self.max_reaction_minutes
            ),
            target_quality=self.promote_target_quality if promote else None,
            **options,  # type: ignore[arg-type]
        )

    def community(
        self,
        seed: int,
        share: float,
        kind: str,
        *,
        members: int | None = None,
        goals: tuple[BrigadeGoal, ...] = (BrigadeGoal.PROMOTE, BrigadeGoal.SUPPRESS),
    ) -> SimConfig:
        """The simulated community of one cell: ``share * n_raters`` members per brigade
        (or exactly ``members``), one brigade per goal; no brigade when that is 0."""
        if kind not in BRIGADE_KINDS:
            raise ConfigError("kind", kind, f"one of {BRIGADE_KINDS}")
        base = SimConfig(
            seed=seed,
            n_notes=self.n_notes,
            n_raters=self.n_raters,
            n_ratings=self.n_ratings,
            days=self.days,
            **self.honest_structures(),  # type: ignore[arg-type]
        )
        size = round(share * self.n_raters) if members is None else members
        if size == 0:
            return base
        size = max(size, self.min_members(kind))
        brigades = tuple(self.brigade(kind, size, goal) for goal in goals)
        return dataclasses.replace(base, brigades=brigades)


def defence_config(base: ScoringConfig | None = None) -> ScoringConfig:
    """``base`` with every defence on (``bridgewatch.scoring.defences.with_defences``)."""
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
class CellSpec:
    """One community of the bench: seed, brigade share and kind ("none" for share 0)."""

    seed: int
    share: float
    kind: str


def bench_cells(bench: AttackBenchConfig) -> list[CellSpec]:
    """Every cell of ``bench``: per seed, share 0 once, then each share and kind."""
    return [
        CellSpec(seed, share, kind)
        for seed in bench.seeds
        for share in bench.shares
        for kind in (bench.kinds if share > 0 else ("none",))
    ]


@dataclass(frozen=True)
class AttackCell:
    """Statuses and defence figures of one community under one defence setting.

    Attributes
    ----------
    seed, share, kind, defences : the cell (kind "none" for share 0).
    promote_target_ids, suppress_target_ids : note ids of the brigades' targets.
    honest_ids : note ids of the truly helpful non-target notes.
    crh_ids : every note id rated helpful.
    ref_crh_ids : every note id rated helpful in the same community without the attack,
        scored with the defences off (the reference).
    off_crh_ids : every note id rated helpful in this community with the defences off.
    circle_good_ids : truly helpful non-target notes of honest niche circles.
    audit : what the defences removed and flagged (None: not measured).
    usage : the scoring run's wall time, CPU time and peak memory (None: not measured).
    matched_crh_ids : every note id rated helpful in the matched reference of a defended
        run: the reference without the brigade members' other ratings that the run's
        defences removed (only brigade accounts' ratings differ from the reference), scored
        with the defences off; None: the reference itself (defences off, nothing removed).
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
    off_crh_ids: frozenset[str] = frozenset()
    circle_good_ids: frozenset[str] = frozenset()
    audit: DefenceAudit | None = None
    usage: RunUsage | None = None
    matched_crh_ids: frozenset[str] | None = None


def load_community(community: Community, workdir: Path) -> Dataset:
    """Write ``community`` under ``workdir`` and load it as the scorer reads files."""
    files = write_community(community, workdir)
    return load_dataset(
        notes=files.notes,
        ratings=files.ratings[0] if len(files.ratings) == 1 else workdir,
        status_history=files.note_status_history,
        enrollment=files.user_enrollment,
    )


def score_dataset(dataset: Dataset, config: ScoringConfig, scorers: str) -> ScoringResult:
    """Score with the whole roster ("all") or Core alone ("core"), seed 0, as of the newest
    timestamp of the data; every scorer records the ratings its defences took out
    (``audit_defences``: the statuses are the same)."""
    as_of = default_as_of_ms(dataset)
    roster = (core_scorer(config),) if scorers == "core" else None
    return score(dataset, config, as_of_ms=as_of, seed=0, scorers=roster, audit_defences=True)


def crh_ids(result: ScoringResult) -> frozenset[str]:
    """Note ids rated helpful (before the stabilization delay) in ``result``."""
    ids = np.asarray(result.inputs.note_ids.ids, dtype=object)
    return frozenset(ids[result.meta.pre_stabilization_status == _CRH].tolist())


def _truth_masks(result: ScoringResult, rater_truth: pl.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(adversary, structure) bool arrays over the run's participant index."""
    n = result.inputs.n_participants
    index = result.inputs.participant_ids
    adversary = np.zeros(n, dtype=np.bool_)
    structure = np.zeros(n, dtype=np.bool_)
    pos = index.lookup(np.asarray(rater_truth["participantId"].to_list(), dtype=np.str_))
    known = pos >= 0
    adversary[pos[known]] = rater_truth["isAdversary"].to_numpy()[known]
    if "structure" in rater_truth.columns:
        structure[pos[known]] = rater_truth["structure"].is_not_null().to_numpy()[known]
    return adversary, structure


@dataclass(frozen=True)
class DiagnosedCell:
    """One bench cell scored with the defences, for diagnostic scripts.

    Attributes
    ----------
    community : the simulated community (its ``rater_truth`` names who is who).
    result : the defended run.
    adversary, structure : bool arrays of shape (n_participants,) over the run's participant
        index: brigade accounts, members of an honest structure.
    """

    community: Community
    result: ScoringResult
    adversary: np.ndarray
    structure: np.ndarray


def diagnose_cell(
    seed: int,
    share: float,
    kind: str,
    bench: AttackBenchConfig | None = None,
) -> DiagnosedCell:
    """Simulate the cell (``seed``, attack ``share``, brigade ``kind``) of ``bench`` (default:
    the bench's sizes with every honest structure) and score it with the defences on, with
    ``bench.scorers``, as ``bridgewatch attack-bench --no-topics`` does."""
    if bench is None:
        bench = AttackBenchConfig(
            structures=("circles-one", "circles-both", "group", "active"), scorers="core"
        )
    community = simulate(bench.community(seed, share, kind))
    with tempfile.TemporaryDirectory() as tmp:
        data = load_community(community, Path(tmp) / "cell")
    result = score_dataset(data, defence_config(ScoringConfig(topics=None)), bench.scorers)
    adversary, structure = _truth_masks(result, community.rater_truth)
    return DiagnosedCell(community, result, adversary, structure)


def run_cell(
    bench: AttackBenchConfig,
    cell: CellSpec,
    configs: Sequence[ScoringConfig],
    workdir: Path | None = None,
) -> list[AttackCell]:
    """Simulate and score one cell: a pure function of the bench, the cell and the scoring
    configs (everything is drawn from the cell's seed), so cells can run anywhere.

    Parameters
    ----------
    bench : the benchmark.
    cell : the cell (``bench_cells``).
    configs : the scoring configs, defences off first, then each defended one.
    workdir : where to write the community's files (default: a temporary directory).

    Returns
    -------
    One AttackCell per config. The community is scored ``len(configs) + 1`` times when
    attacked (its reference without the attack first), ``len(configs)`` times otherwise.
    """
    if workdir is None:
        with tempfile.TemporaryDirectory(prefix="bw-attack-") as tmp:
            return run_cell(bench, cell, configs, Path(tmp))
    kind = cell.kind if cell.share > 0 else BRIGADE_KINDS[0]
    community = simulate(bench.community(cell.seed, cell.share, kind))
    truth = community.note_truth

    def ids(expr: pl.Expr) -> frozenset[str]:
        return frozenset(truth.filter(expr)["noteId"].to_list())

    promote = ids(pl.col("attackGoal") == "promote")
    suppress = ids(pl.col("attackGoal") == "suppress")
    good = (pl.col("quality") >= bench.helpful_quality) & ~pl.col("attackTarget")
    honest = ids(good)
    circle_good = ids(good & (pl.col("circleId") >= 0))
    attacked = load_community(community, workdir / "attacked")
    clean = drop_attack_ratings(community)
    runs: list[tuple[frozenset[str], DefenceAudit, RunUsage]] = []
    taken: list[pl.DataFrame] = []
    for config in configs:
        result, usage = measured(partial(score_dataset, attacked, config, bench.scorers))
        adversary, structure = _truth_masks(result, community.rater_truth)
        note_ids = np.asarray(result.inputs.note_ids.ids, dtype=object)
        target = np.isin(note_ids, list(promote | suppress))
        audit = audit_defences(result, adversary, structure, target)
        runs.append((crh_ids(result), audit, usage))
        taken.append(adversary_ratings_removed(result, adversary))
        del result
    if clean.ratings.height == community.ratings.height:
        reference = runs[0][0]
    else:
        clean_data = load_community(clean, workdir / "clean")
        reference = crh_ids(score_dataset(clean_data, configs[0], bench.scorers))
    # The matched reference of each defended run: the community without the attack and
    # without the brigade members' other ratings that this run's defences took out.
    # Removing a brigade account's ratings is no collateral, but the bridging model moves
    # with any hundred ratings (108 random ratings of the embedded 10% community moved 1
    # and 3 good notes), so only this reference isolates what the defences did to honest
    # raters and notes.
    matched: list[frozenset[str] | None] = [None]
    for i, gone in enumerate(taken[1:], start=1):
        keys = ["raterParticipantId", "noteId"]
        own = gone.join(clean.ratings.select(keys), on=keys, how="semi")
        if own.height == 0:
            matched.append(reference)
            continue
        trimmed = dataclasses.replace(
            clean,
            ratings=clean.ratings.join(own, on=keys, how="anti"),
        )
        data = load_community(trimmed, workdir / f"matched{i}")
        matched.append(crh_ids(score_dataset(data, configs[0], bench.scorers)))
    return [
        AttackCell(
            seed=cell.seed,
            share=cell.share,
            kind=cell.kind if cell.share > 0 else "none",
            defences=i > 0,
            promote_target_ids=promote,
            suppress_target_ids=suppress,
            honest_ids=honest,
            crh_ids=crh,
            ref_crh_ids=reference,
            off_crh_ids=runs[0][0],
            circle_good_ids=circle_good,
            audit=audit,
            usage=usage,
            matched_crh_ids=matched[i],
        )
        for i, (crh, audit, usage) in enumerate(runs)
    ]


def run_attack_bench(
    bench: AttackBenchConfig,
    *,
    scoring: ScoringConfig | None = None,
    defended: ScoringConfig | None = None,
    progress: Callable[[str], None] | None = None,
    executor: Executor | str | None = None,
) -> list[AttackCell]:
    """Simulate and score every cell of ``bench`` (``bench_cells``) with defences off and on.

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
    """
    off = scoring or ScoringConfig()
    configs = (off, defended or defence_config(off))
    cells = {
        f"seed {spec.seed} share {spec.share:.0%} {spec.kind}": spec for spec in bench_cells(bench)
    }
    with executor_scope(executor) as pool:
        if pool is None or isinstance(pool, SerialExecutor):
            done: list[AttackCell] = []
            for label, spec in cells.items():  # in this thread, each scoring on all cores
                if progress is not None:
                    progress(label)
                _log.info("attack bench: %s", label)
                done += run_cell(bench, spec, configs)
            return done
        # Each cell is a task that simulates its own community from its seed (only the
        # cell's description travels) and returns its note-id sets.
        for label in cells:
            if progress is not None:
                progress(label)
        tasks = {
            label: Task(_cell_task_one_thread, (bench, spec, configs))
            for label, spec in cells.items()
        }
        results = run_graph(pool, tasks)
    return [cell for label in cells for cell in results[label]]


def _cell_task_one_thread(
    bench: AttackBenchConfig, cell: CellSpec, configs: Sequence[ScoringConfig]
) -> list[AttackCell]:
    """``run_cell`` with its kernels on one thread (the cells are the parallelism)."""
    with limit_kernel_threads(1):
        return run_cell(bench, cell, configs)


_SUMS = (
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
    "circle_good_off",
    "circle_good_lost",
    "circle_good_ref",
    "circle_good_lost_ref",
    "honest_crh_matched",
    "honest_lost_matched",
    "honest_gained_matched",
    "honest_ratings",
    "honest_removed",
    "honest_down_weighted",
    "honest_flagged",
    "structure_flagged",
    "adversary_ratings",
    "adversary_removed",
    "adversaries_flagged",
    "attack_ratings",
    "attack_removed",
    "honest_ratings_any",
    "honest_removed_any",
    "honest_revoked",
    "adversaries_revoked",
    "honest_flagged_any",
    "structure_flagged_any",
    "wall_s",
    "cpu_s",
)


def _cell_row(c: AttackCell) -> dict[str, object]:
    good = c.suppress_target_ids & c.ref_crh_ids
    honest_ref = c.honest_ids & c.ref_crh_ids
    circle_off = c.circle_good_ids & c.off_crh_ids
    circle_ref = c.circle_good_ids & c.ref_crh_ids
    matched = c.ref_crh_ids if c.matched_crh_ids is None else c.matched_crh_ids
    audit = c.audit
    usage = c.usage
    return {
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
        "circle_good_off": len(circle_off),
        "circle_good_lost": len(circle_off - c.crh_ids),
        "circle_good_ref": len(circle_ref),
        "circle_good_lost_ref": len(circle_ref - c.crh_ids),
        "honest_crh_matched": len(c.honest_ids & matched),
        "honest_lost_matched": len((c.honest_ids & matched) - c.crh_ids),
        "honest_gained_matched": len((c.honest_ids & c.crh_ids) - matched),
        "honest_ratings": 0 if audit is None else audit.honest_ratings,
        "honest_removed": 0 if audit is None else audit.honest_removed,
        "honest_down_weighted": 0 if audit is None else audit.honest_down_weighted,
        "honest_flagged": 0 if audit is None else audit.honest_flagged,
        "structure_flagged": 0 if audit is None else audit.structure_flagged,
        "adversary_ratings": 0 if audit is None else audit.adversary_ratings,
        "adversary_removed": 0 if audit is None else audit.adversary_removed,
        "adversaries_flagged": 0 if audit is None else audit.adversaries_flagged,
        "attack_ratings": 0 if audit is None else audit.attack_ratings,
        "attack_removed": 0 if audit is None else audit.attack_removed,
        "honest_ratings_any": 0 if audit is None else audit.honest_ratings_any,
        "honest_removed_any": 0 if audit is None else audit.honest_removed_any,
        "honest_revoked": 0 if audit is None else audit.honest_revoked,
        "adversaries_revoked": 0 if audit is None else audit.adversaries_revoked,
        "honest_flagged_any": 0 if audit is None else audit.honest_flagged_any,
        "structure_flagged_any": 0 if audit is None else audit.structure_flagged_any,
        "wall_s": math.nan if usage is None else usage.wall_s,
        "cpu_s": math.nan if usage is None else usage.cpu_s,
        "peak_mib": math.nan if usage is None else usage.peak_mib,
    }


def summarize(cells: Sequence[AttackCell]) -> pl.DataFrame:
    """One row per (share, brigade kind, defences), summed over seeds.

    Columns: share, brigade, defences (off / on), seeds; promoted_crh, promote_crh_ref
    (targets helpful without the attack), promote_targets; good_suppressed, good_targets
    (SUPPRESS targets helpful in the reference); honest_crh_ref (truly helpful notes rated
    helpful in the reference), honest_lost, honest_gained, honest_helpful_rate (%),
    honest_helpful_drop (points against the reference); circle_good_off (good niche-circle
    notes helpful with the defences off), circle_good_lost (... of them not helpful here);
    circle_good_ref, circle_good_lost_ref (the same against the reference: in an attacked
    community the defences-off statuses carry the attack's own spill-over);
    honest_lost_matched, honest_gained_matched, honest_helpful_drop_matched (points): truly
    helpful notes against the matched reference (``AttackCell.matched_crh_ids``: the
    reference without the brigade members' ratings the defences removed), what the
    defences did to honest notes;
    honest_ratings (in Core's scope), honest_removed, honest_removed_pct (of them: Core's
    view alone), honest_down_weighted, honest_flagged (honest raters flagged),
    structure_flagged (... of them in honest structures); honest_ratings_any,
    honest_removed_any, honest_removed_any_pct (honest ratings in any scorer's view, and
    those any scorer's defences took out: with ``--scorers core`` Core's view again, the
    same ratings as honest_removed), honest_revoked, adversaries_revoked (raters whose
    establishment the defences revoked), honest_flagged_any, structure_flagged_any (honest
    raters flagged, revoked or with a rating removed in any scorer; ... of them in honest
    structures: ``attack_metrics``); adversary_ratings, adversary_removed,
    adversary_removed_pct, adversaries_flagged; attack_ratings, attack_removed,
    attack_removed_pct (the brigade members' ratings on attacked notes alone: the attack
    without the accounts' ratings elsewhere); wall_s, cpu_s (summed), peak_mib (max);
    cpu_overhead_pct and peak_overhead_pct (defences on against off, same cells; 0 for off).
    """
    frame = pl.DataFrame([_cell_row(c) for c in cells])
    keys = ["share", "brigade", "defences"]
    table = (
        frame.group_by(keys, maintain_order=True)
        .agg(
            pl.len().alias("seeds"),
            *(pl.col(c).sum() for c in _SUMS),
            pl.col("peak_mib").max(),
        )
        .with_columns(
            (100.0 * pl.col("honest_crh") / pl.col("honest")).alias("honest_helpful_rate"),
            (100.0 * (pl.col("honest_crh_ref") - pl.col("honest_crh")) / pl.col("honest")).alias(
                "honest_helpful_drop"
            ),
            (
                100.0 * (pl.col("honest_crh_matched") - pl.col("honest_crh")) / pl.col("honest")
            ).alias("honest_helpful_drop_matched"),
            (100.0 * pl.col("honest_removed") / pl.col("honest_ratings")).alias(
                "honest_removed_pct"
            ),
            (100.0 * pl.col("honest_removed_any") / pl.col("honest_ratings_any")).alias(
                "honest_removed_any_pct"
            ),
            (100.0 * pl.col("adversary_removed") / pl.col("adversary_ratings"))
            .fill_nan(None)
            .alias("adversary_removed_pct"),
            (100.0 * pl.col("attack_removed") / pl.col("attack_ratings"))
            .fill_nan(None)
            .alias("attack_removed_pct"),
        )
        .drop("honest_crh", "honest", "honest_crh_matched")
    )
    off = table.filter(pl.col("defences") == "off").select(
        "share", "brigade", pl.col("cpu_s").alias("_cpu_off"), pl.col("peak_mib").alias("_peak_off")
    )
    return (
        table.join(off, on=["share", "brigade"], how="left")
        .with_columns(
            (100.0 * (pl.col("cpu_s") / pl.col("_cpu_off") - 1.0)).alias("cpu_overhead_pct"),
            (100.0 * (pl.col("peak_mib") / pl.col("_peak_off") - 1.0)).alias("peak_overhead_pct"),
        )
        .drop("_cpu_off", "_peak_off")
        .sort(["brigade", "share", "defences"])
    )


def cell_table(cells: Sequence[AttackCell]) -> pl.DataFrame:
    """One row per cell and defence setting (seeds apart, unlike ``summarize``): the
    counts of ``summarize`` plus honest_helpful_drop and honest_helpful_drop_matched
    (points) of that seed alone, so their spread over seeds can be read."""
    frame = pl.DataFrame([_cell_row(c) for c in cells])
    return frame.with_columns(
        (100.0 * (pl.col("honest_crh_ref") - pl.col("honest_crh")) / pl.col("honest")).alias(
            "honest_helpful_drop"
        ),
        (100.0 * (pl.col("honest_crh_matched") - pl.col("honest_crh")) / pl.col("honest")).alias(
            "honest_helpful_drop_matched"
        ),
    ).sort(["brigade", "share", "defences", "seed"])


def _pct(num: int, den: int) -> str:
    return f"{num}/{den}"


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
        "drop vs matched (pts)",
        "honest ratings removed (Core / any scorer)",
        "honest raters flagged (+ revoked only)",
        "circle good notes lost vs off",
        "circle good notes lost vs ref",
        "brigade ratings removed (on targets)",
        "CPU s (vs off)",
        "peak MiB (vs off)",
    ]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for r in table.iter_rows(named=True):
        adv = r["adversary_removed_pct"]
        hit = r.get("attack_removed_pct")
        on_targets = "" if hit is None else f" ({hit:.0f}%)"
        lines.append(
            f"| {r['brigade']} | {r['share']:.0%} | {r['defences']} "
            f"| {_pct(r['promoted_crh'], r['promote_targets'])} "
            f"| {_pct(r['good_suppressed'], r['good_targets'])} "
            f"| {r['honest_lost']} / {r['honest_gained']} of {r['honest_crh_ref']} "
            f"| {r['honest_helpful_rate']:.1f}% | {r['honest_helpful_drop']:+.1f} "
            f"| {r['honest_helpful_drop_matched']:+.1f} "
            f"({r['honest_lost_matched']} / {r['honest_gained_matched']}) "
            f"| {r['honest_removed']} ({r['honest_removed_pct']:.2f}%) / "
            f"{r['honest_removed_any']} ({r['honest_removed_any_pct']:.2f}%) "
            f"| {r['honest_flagged']} ({r['structure_flagged']} in structures); "
            f"{r['honest_flagged_any']} ({r['structure_flagged_any']}) with "
            f"{r['honest_revoked']} revoked "
            f"| {_pct(r['circle_good_lost'], r['circle_good_off'])} "
            f"| {_pct(r['circle_good_lost_ref'], r['circle_good_ref'])} "
            f"| {'-' if adv is None else f'{adv:.0f}%{on_targets}'} "
            f"| {r['cpu_s']:.1f} ({r['cpu_overhead_pct']:+.0f}%) "
            f"| {r['peak_mib']:.0f} ({r['peak_overhead_pct']:+.0f}%) |"
        )
    return "\n".join(lines) + "\n"
