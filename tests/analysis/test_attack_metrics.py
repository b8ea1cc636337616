"""Defence audit counts and the cost search, on hand-checked cases."""

from __future__ import annotations

from pathlib import Path

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


def test_count_audit_counts_every_scorer_and_revocations() -> None:
    # Same community as above; every scorer's view adds rating (1, note 9), which some
    # other scorer removed, and honest rater 3 lost its establishment without any flag.
    adversary = np.array([0, 0, 0, 0, 1, 1], dtype=np.bool_)
    structure = np.array([0, 0, 1, 1, 0, 0], dtype=np.bool_)
    rater = np.array([0, 0, 1, 2, 3, 4, 4, 5], dtype=np.int64)
    removed = np.array([0, 0, 0, 1, 0, 1, 1, 0], dtype=np.bool_)
    down = np.zeros(8, dtype=np.bool_)
    flagged = np.array([1, 0, 1, 0, 0, 0], dtype=np.bool_)
    any_rater = np.array([0, 0, 1, 1, 2, 3, 4, 4, 5], dtype=np.int64)
    any_removed = np.array([0, 0, 0, 1, 1, 0, 1, 1, 0], dtype=np.bool_)
    revoked = np.array([0, 0, 0, 1, 0, 1], dtype=np.bool_)
    audit = count_audit(
        rater,
        removed,
        down,
        flagged,
        adversary,
        structure,
        any_view=(any_rater, any_removed),
        revoked=revoked,
    )
    assert (audit.honest_removed, audit.honest_flagged) == (1, 2)  # Core's, as before
    assert (audit.honest_ratings_any, audit.honest_removed_any) == (6, 2)
    assert (audit.honest_revoked, audit.adversaries_revoked) == (1, 1)
    # 0 flagged, 1 lost a rating elsewhere, 2 flagged and lost one, 3 revoked.
    assert (audit.honest_flagged_any, audit.structure_flagged_any) == (4, 2)
    # Without the roster view and the revocations, Core's counts stand for them.
    plain = count_audit(rater, removed, down, flagged, adversary, structure)
    assert (plain.honest_ratings_any, plain.honest_removed_any) == (5, 1)
    assert (plain.honest_revoked, plain.honest_flagged_any) == (0, 2)


def test_audit_counts_revoked_honest_raters_and_every_scorers_removals(tmp_path: Path) -> None:
    """Issue 15: an honest niche circle (30 raters on 25 notes) co-rates enough to lose its
    establishment beside an aged SUPPRESS brigade, yet keeps its ratings: the bench counts
    its members as revoked (``honest_revoked``, ``honest_flagged_any``), which the Core
    flags alone never showed. A scorer beside Core records what its own defences took out
    of its view (``ScorerRun.removed``), and the union over the roster counts it."""
    from dataclasses import replace

    import polars as pl

    from bridgewatch.analysis.attack_metrics import (
        audit_defences,
        flagged_raters,
        removed_ratings,
        revoked_raters,
        roster_removed_ratings,
    )
    from bridgewatch.io.dataset import load_dataset
    from bridgewatch.scoring.config import ScoringConfig
    from bridgewatch.scoring.defences import with_defences
    from bridgewatch.scoring.run import default_as_of_ms, score
    from bridgewatch.scoring.scorers import default_roster, scorer_inputs, select_scorers
    from bridgewatch.sim import BrigadeConfig
    from bridgewatch.sim.config import CircleConfig
    from tests.scoring.community import SMALL, write_small_community

    brigade = BrigadeConfig(
        n_members=30,
        n_targets=10,
        goal=BrigadeGoal.SUPPRESS,
        camp=-1,
        account_age_days=18.0,
        organic_ratings=10,
        dormant_days=8.0,
        cross_camp_share=0.5,
        max_reaction_minutes=360.0,
        earned_in=True,
        enrolled_days=120.0,
    )
    circle = CircleConfig(n_members=30, n_notes=25)
    files = write_small_community(tmp_path, replace(SMALL, brigades=(brigade,), circles=(circle,)))
    data = load_dataset(
        notes=files.notes,
        ratings=files.ratings[0],
        status_history=files.note_status_history,
        enrollment=files.user_enrollment,
    )
    # The acquitted circle's establishment stays revoked (its restoration is tested in
    # tests/scoring/test_run.py): what is counted here is the revocation.
    from bridgewatch.scoring.manipulation import UnexplainedConfig

    config = replace(
        with_defences(ScoringConfig(topics=None)),
        unexplained=UnexplainedConfig(restore_acquitted=False),
    )
    roster = select_scorers(default_roster(config), ["MFCoreScorer", "MFExpansionScorer"])
    as_of = default_as_of_ms(data)
    result = score(data, config, as_of_ms=as_of, seed=1, scorers=roster, audit_defences=True)
    truth = pl.read_csv(files.rater_truth, separator="\t", infer_schema_length=0)
    ids = np.asarray(result.inputs.participant_ids.ids, dtype=np.str_)
    adversary = np.isin(ids, truth.filter(pl.col("brigadeId") != "-1")["participantId"])
    structure = np.isin(ids, truth.filter(pl.col("structure").is_not_null())["participantId"])

    revoked = revoked_raters(result)
    assert revoked[structure].sum() >= 20  # the circle lost its establishment ...
    flagged = flagged_raters(result)
    assert (revoked & structure & ~flagged).sum() >= 10  # ... mostly without any flag
    audit = audit_defences(result, adversary, structure)
    assert audit.honest_revoked == int((revoked & ~adversary).sum())
    assert audit.honest_flagged_any >= audit.honest_flagged + int(
        (revoked & structure & ~flagged).sum()
    )
    assert audit.structure_flagged_any > audit.structure_flagged

    # Core's own record is what its final fits lack (beyond the run-wide co-rating pass).
    assert result.roster is not None
    core, other = result.roster["MFCoreScorer"], result.roster["MFExpansionScorer"]
    assert core.removed is not None and other.removed is not None
    rater, lost, _ = removed_ratings(result)
    scoped = scorer_inputs(result.inputs, core.spec).scoped
    n_notes = result.inputs.n_notes
    keys = rater * n_notes + scoped.note_idx.astype(np.int64)
    assert set(core.removed.tolist()) <= set(keys[lost].tolist())
    # Expansion's removals are in its view, and the union counts them.
    assert other.removed.size > 0
    wide = scorer_inputs(result.inputs, other.spec).scoped
    wide_keys = wide.rater_idx.astype(np.int64) * n_notes + wide.note_idx.astype(np.int64)
    assert np.isin(other.removed, wide_keys).all()
    _, any_removed = roster_removed_ratings(result)
    assert any_removed.sum() >= max(int(lost.sum()), other.removed.size)
    assert audit.honest_removed_any + audit.adversary_removed <= int(any_removed.sum())

    # Without the audit the scorers record nothing (and the statuses are the same).
    plain = score(data, config, as_of_ms=as_of, seed=1, scorers=roster)
    assert plain.roster is not None and plain.roster["MFExpansionScorer"].removed is None
    np.testing.assert_array_equal(
        plain.meta.pre_stabilization_status, result.meta.pre_stabilization_status
    )
