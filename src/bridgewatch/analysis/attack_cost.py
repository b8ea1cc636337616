"""Attack cost curves: for each brigade kind, the smallest brigade (accounts, ratings) that
gets half its targets through, with the defences off and on.

One brigade per probe: PROMOTE for every kind but ``out-of-scope``, whose goal is SUPPRESS.
A probe simulates the community of ``AttackBenchConfig.community`` with exactly ``members``
accounts and scores it once. Success, against the same seed's community without any brigade
scored with the defences off (the reference):

- PROMOTE: at least half of the targets not helpful in the reference are helpful;
- SUPPRESS: at least half of the targets helpful in the reference are not (no such target:
  no success).

The search doubles the brigade from ``cost_min_members`` until a probe succeeds or the cap
``cost_max_share * n_raters`` is reached, then bisects ``cost_bisect_steps`` times between
the last failure and the first success. Success need not be monotone in the brigade size
(each size is its own random community); the search reports the smallest success it saw.
"""

from __future__ import annotations

import logging
import math
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from bridgewatch.analysis.attack import (
    AttackBenchConfig,
    crh_ids,
    load_community,
    score_dataset,
)
from bridgewatch.errors import ConfigError
from bridgewatch.scoring.config import ScoringConfig
from bridgewatch.sim import BrigadeGoal, simulate

__all__ = [
    "CostProbe",
    "CostResult",
    "ProbeFn",
    "attack_cost",
    "cost_goal",
    "cost_table",
    "probe_cost",
    "reference_crh",
    "search_cost",
]

_log = logging.getLogger(__name__)


def cost_goal(kind: str) -> BrigadeGoal:
    """The goal of ``kind``'s cost brigade: SUPPRESS for ``out-of-scope``, else PROMOTE."""
    return BrigadeGoal.SUPPRESS if kind == "out-of-scope" else BrigadeGoal.PROMOTE


@dataclass(frozen=True)
class CostProbe:
    """One brigade size tried.

    Attributes
    ----------
    members : accounts in the brigade.
    ratings : every rating they made (attack and honest-looking).
    eligible : targets the attack could change (see the module docstring).
    changed : ... of them it changed (promoted, or suppressed).
    """

    members: int
    ratings: int
    eligible: int
    changed: int

    @property
    def success(self) -> bool:
        """At least half of the eligible targets changed (and there was one)."""
        return self.eligible > 0 and 2 * self.changed >= self.eligible


@dataclass(frozen=True)
class CostResult:
    """The cost search of one kind under one defence setting.

    Attributes
    ----------
    kind, defences : what was searched.
    members, ratings : the smallest successful brigade (None: none up to the cap).
    cap_members : the largest brigade tried.
    probes : every probe, in search order.
    """

    kind: str
    defences: bool
    members: int | None
    ratings: int | None
    cap_members: int
    probes: tuple[CostProbe, ...]


def reference_crh(
    bench: AttackBenchConfig, seed: int, scoring: ScoringConfig, workdir: Path
) -> frozenset[str]:
    """Notes helpful in the seed's community without brigades, defences off."""
    community = simulate(bench.community(seed, 0.0, "fresh"))
    return crh_ids(score_dataset(load_community(community, workdir), scoring, bench.scorers))


def probe_cost(
    bench: AttackBenchConfig,
    kind: str,
    members: int,
    seed: int,
    config: ScoringConfig,
    reference: frozenset[str],
    workdir: Path,
) -> CostProbe:
    """Simulate one brigade of ``members`` accounts of ``kind`` and score it with ``config``
    (a pure function of its arguments)."""
    goal = cost_goal(kind)
    community = simulate(bench.community(seed, 0.0, kind, members=members, goals=(goal,)))
    truth = community.note_truth.filter(pl.col("attackTarget"))
    targets = frozenset(truth["noteId"].to_list())
    adversaries = community.rater_truth.filter(pl.col("isAdversary"))["participantId"]
    ratings = community.ratings.filter(
        pl.col("raterParticipantId").is_in(adversaries.to_list())
    ).height
    crh = crh_ids(score_dataset(load_community(community, workdir), config, bench.scorers))
    if goal is BrigadeGoal.PROMOTE:
        eligible = targets - reference
        changed = len(eligible & crh)
    else:
        eligible = targets & reference
        changed = len(eligible - crh)
    n = community.rater_truth["isAdversary"].sum()
    return CostProbe(members=int(n), ratings=ratings, eligible=len(eligible), changed=changed)


def search_cost(
    bench: AttackBenchConfig,
    kind: str,
    defences: bool,
    probe: Callable[[int], CostProbe],
) -> CostResult:
    """The doubling-then-bisection search of the module docstring over ``probe(members)``."""
    low_bound = max(bench.cost_min_members, bench.min_members(kind))
    cap = max(low_bound, math.floor(bench.cost_max_share * bench.n_raters))
    probes: list[CostProbe] = []
    members, failed, best = low_bound, 0, None
    while True:
        result = probe(members)
        probes.append(result)
        if result.success:
            best = result
            break
        failed = members
        if members >= cap:
            break
        members = min(2 * members, cap)
    if best is None:
        return CostResult(kind, defences, None, None, cap, tuple(probes))
    for _ in range(bench.cost_bisect_steps):
        if best.members - failed <= max(1, failed // 10):
            break
        mid = (failed + best.members) // 2
        result = probe(mid)
        probes.append(result)
        if result.success:
            best = result
        else:
            failed = mid
    return CostResult(kind, defences, best.members, best.ratings, cap, tuple(probes))


class ProbeFn:
    """``probe(members)`` for one kind, seed and scoring config (a picklable callable)."""

    def __init__(
        self,
        bench: AttackBenchConfig,
        kind: str,
        seed: int,
        config: ScoringConfig,
        reference: frozenset[str],
    ) -> None:
        self.bench, self.kind, self.seed = bench, kind, seed
        self.config, self.reference = config, reference

    def __call__(self, members: int) -> CostProbe:
        with tempfile.TemporaryDirectory(prefix="bw-cost-") as tmp:
            out = probe_cost(
                self.bench, self.kind, members, self.seed, self.config, self.reference, Path(tmp)
            )
        _log.info(
            "cost %s: %d accounts, %d ratings -> %d/%d targets",
            self.kind,
            out.members,
            out.ratings,
            out.changed,
            out.eligible,
        )
        return out


def attack_cost(
    bench: AttackBenchConfig,
    *,
    scoring: ScoringConfig,
    defended: ScoringConfig,
    seed: int | None = None,
) -> list[CostResult]:
    """The cost curve of every kind of ``bench.cost_kinds``, defences off and on.

    Parameters
    ----------
    bench : the benchmark (its cost_* fields, sizes and structures).
    scoring, defended : the defences-off and defences-on scoring configs.
    seed : the community seed (default: the bench's first seed).

    Returns
    -------
    Two CostResults (off, on) per kind.
    """
    if not bench.cost_kinds:
        raise ConfigError("cost_kinds", bench.cost_kinds, "at least one kind")
    seed = bench.seeds[0] if seed is None else seed
    with tempfile.TemporaryDirectory(prefix="bw-cost-ref-") as tmp:
        reference = reference_crh(bench, seed, scoring, Path(tmp))
    out: list[CostResult] = []
    for kind in bench.cost_kinds:
        for defences, config in ((False, scoring), (True, defended)):
            out.append(
                search_cost(bench, kind, defences, ProbeFn(bench, kind, seed, config, reference))
            )
    return out


def cost_table(results: list[CostResult]) -> pl.DataFrame:
    """One row per (kind, defences): members and ratings of the smallest successful brigade
    (null: none up to cap_members), the cap, the probes tried, and ``cost_ratio`` (members
    with defences on over off; null unless both succeeded)."""
    frame = pl.DataFrame(
        {
            "brigade": [r.kind for r in results],
            "defences": ["on" if r.defences else "off" for r in results],
            "members": [r.members for r in results],
            "ratings": [r.ratings for r in results],
            "cap_members": [r.cap_members for r in results],
            "probes": [
                ";".join(f"{p.members}:{p.changed}/{p.eligible}" for p in r.probes) for r in results
            ],
        },
        schema_overrides={"members": pl.Int64, "ratings": pl.Int64},
    )
    off = frame.filter(pl.col("defences") == "off").select(
        "brigade", pl.col("members").alias("_off")
    )
    return (
        frame.join(off, on="brigade", how="left")
        .with_columns((pl.col("members") / pl.col("_off")).alias("cost_ratio"))
        .drop("_off")
    )
