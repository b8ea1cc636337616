"""Defence audit counts and the cost search, on hand-checked cases."""

from __future__ import annotations

import numpy as np
import pytest

from bridgewatch.analysis.attack import AttackBenchConfig
from bridgewatch.analysis.attack_cost import CostProbe, cost_goal, cost_table, search_cost
from bridgewatch.analysis.attack_metrics import count_audit, measured, removed_mask
from bridgewatch.sim import BrigadeGoal


def test_removed_mask_by_hand() -> None:
    view = np.array([10, 11, 12, 13, 14], dtype=np.int64)
    fit = np.array([14, 11, 13], dtype=np.int64)
    removed, down = removed_mask(view, fit, None)
    assert removed.tolist() == [True, False, True, False, False]
    assert not down.any()
    removed, down = removed_mask(view, fit, np.array([1.0, 0.5, 0.0]))
    assert down.tolist() == [False, True, False, True, False]


def test_count_audit_by_hand() -> None:
    # Participants 0-3 honest (2 and 3 in a niche circle), 4-5 adversaries.
    adversary = np.array([0, 0, 0, 0, 1, 1], dtype=np.bool_)
    structure = np.array([0, 0, 1, 1, 0, 0], dtype=np.bool_)
    rater = np.array([0, 0, 1, 2, 3, 4, 4, 5], dtype=np.int64)
    removed = np.array([0, 0, 0, 1, 0, 1, 1, 0], dtype=np.bool_)
    down = np.array([0, 1, 0, 0, 0, 0, 0, 0], dtype=np.bool_)
    flagged = np.array([1, 0, 1, 0, 1, 0], dtype=np.bool_)
    audit = count_audit(rater, removed, down, flagged, adversary, structure)
    assert (audit.honest_ratings, audit.honest_removed, audit.honest_down_weighted) == (5, 1, 1)
    assert (audit.adversary_ratings, audit.adversary_removed) == (3, 2)
    assert (audit.honest_flagged, audit.structure_flagged, audit.adversaries_flagged) == (2, 1, 1)
    assert (audit.attack_ratings, audit.attack_removed) == (0, 0)
    # Ratings 5 and 7 are on attacked notes (and by adversaries), 3 too but honest.
    on_target = np.array([0, 0, 0, 1, 0, 1, 0, 1], dtype=np.bool_)
    audit = count_audit(rater, removed, down, flagged, adversary, structure, on_target)
    assert (audit.attack_ratings, audit.attack_removed) == (2, 1)
    assert (audit.adversary_ratings, audit.adversary_removed) == (3, 2)


def test_measured_reports_the_call() -> None:
    out, usage = measured(lambda: sum(range(200_000)))
    assert out == sum(range(200_000))
    assert usage.wall_s >= 0 and usage.cpu_s >= 0 and usage.peak_mib > 10


def _threshold_probe(threshold: int, seen: list[int]):  # type: ignore[no-untyped-def]
    def probe(members: int) -> CostProbe:
        seen.append(members)
        return CostProbe(
            members, ratings=11 * members, eligible=10, changed=10 * (members >= threshold)
        )

    return probe


def test_cost_search_doubles_then_bisects() -> None:
    bench = AttackBenchConfig(n_raters=1000, cost_min_members=4, cost_max_share=0.5)
    seen: list[int] = []
    result = search_cost(bench, "fresh", True, _threshold_probe(37, seen))
    # 4, 8, 16, 32 fail, 64 succeeds; then 48 ok, 40 ok, 36 fails (three steps).
    assert seen == [4, 8, 16, 32, 64, 48, 40, 36]
    assert (result.members, result.ratings, result.cap_members) == (40, 440, 500)
    never: list[int] = []
    capped = search_cost(bench, "fresh", False, _threshold_probe(10_000, never))
    assert capped.members is None and never == [4, 8, 16, 32, 64, 128, 256, 500]
    table = cost_table([capped, result])
    assert table["members"].to_list() == [None, 40]
    assert table["cost_ratio"].to_list() == [None, None]  # no defences-off success


def test_cost_probe_success_rule_and_goals() -> None:
    assert CostProbe(5, 50, eligible=7, changed=4).success
    assert not CostProbe(5, 50, eligible=7, changed=3).success
    assert not CostProbe(5, 50, eligible=0, changed=0).success
    assert cost_goal("out-of-scope") is BrigadeGoal.SUPPRESS
    assert cost_goal("pool") is BrigadeGoal.PROMOTE
    with pytest.raises(ValueError):
        AttackBenchConfig(cost_kinds=("nope",))
