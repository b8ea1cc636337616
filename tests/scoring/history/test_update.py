"""NSH update (scoring-core.md §10): change timestamps, locking, stabilization, first/latest."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from bridgewatch.model import NoteStatus
from bridgewatch.scoring.history import (
    RunStatuses,
    StatusHistory,
    StatusHistoryConfig,
    lock_eligible,
    update_status_history,
)

NMR = NoteStatus.NEEDS_MORE_RATINGS
CRH = NoteStatus.CURRENTLY_RATED_HELPFUL
CRNH = NoteStatus.CURRENTLY_RATED_NOT_HELPFUL
FR = NoteStatus.FIRM_REJECT
NAN = float("nan")
NOW = 1_800_000_000_000
DAY = 86_400_000
CORE = "CoreModel (v1.1)"


def history(n: int, created_days_ago: float | list[float] = 1.0, **columns: Any) -> StatusHistory:
    created = NOW - np.broadcast_to(np.asarray(created_days_ago, float), (n,)) * DAY
    base = StatusHistory.new_rows(
        np.array([f"n{i}" for i in range(n)]), np.array(["a"] * n), created.astype(np.int64)
    )
    arrays = {
        k: np.broadcast_to(np.asarray(v, dtype=getattr(base, k).dtype), (n,)).copy()
        for k, v in columns.items()
    }
    return base.with_columns(**arrays)


def run(
    final: list[int], decided: list[str] | None = None, stab: list[float] | None = None
) -> RunStatuses:
    n = len(final)
    return RunStatuses(
        final_status=np.array(final, np.int8),
        core_status=np.array(final, np.int8),
        decided_by=np.array(decided or [CORE] * n),
        stabilization_ts=np.array(stab or [NAN] * n),
    )


def test_status_change_timestamp() -> None:
    h = history(3, current_status=[NMR, NMR, -1], most_recent_status_change_ts=[NAN, 5.0, NAN])
    new = update_status_history(h, run([NMR, NMR, NMR]), NOW)
    assert new.most_recent_status_change_ts.tolist() == [-1.0, 5.0, float(NOW)]
    new = update_status_history(h, run([CRNH, NMR, NMR]), NOW)
    assert new.most_recent_status_change_ts[0] == NOW
    assert new.current_status.tolist() == [CRNH, NMR, NMR]
    assert new.current_status_ts.tolist() == [float(NOW)] * 3
    assert np.isnan(new.final_scoring_output_minute).all()


def test_locking_needs_strictly_more_than_14_days() -> None:
    h = history(3, created_days_ago=[14.0, 14.0 + 1 / DAY, 30.0])
    new = update_status_history(h, run([CRNH, CRNH, NMR]), NOW)
    assert new.locked_status.tolist() == [-1, CRNH, NMR]
    assert np.isnan(new.status_lock_ts[0]) and new.status_lock_ts[1:].tolist() == [NOW, NOW]


@pytest.mark.parametrize(
    ("decided_by", "locks"),
    [
        ("CoreModel (v1.1)", True),
        ("InsufficientExplanation (v1.0)", True),
        ("GroupModel07 (v1.1)", True),
        ("GroupModel33NMR (v1.1)", True),
        ("GaussianCoreWithTopicsModel (v1.0)", True),
        ("MetaInitialNMR (v1.0)", False),
        ("NmrDueToMinStableCrhTime (v1.0)", False),
        ("ScoringDriftGuard (v1.0)", False),
        ("PopulationSampledIntercept (v1.0)", False),
        ("ExpansionPlusModel (v1.1)", False),
        ("TopicModel02 (v1.0)", False),
    ],
)
def test_only_lock_eligible_deciders_lock(decided_by: str, locks: bool) -> None:
    new = update_status_history(history(1, 20.0), run([CRH], [decided_by]), NOW)
    assert (new.locked_status[0] == CRH) == locks
    assert (
        lock_eligible(np.array([decided_by]), StatusHistoryConfig().lock_eligible_rules)[0] == locks
    )


def test_a_lock_is_never_removed_or_changed() -> None:
    h = history(1, 20.0, locked_status=CRH, status_lock_ts=7.0)
    new = update_status_history(h, run([CRNH]), NOW)
    assert new.locked_status.tolist() == [CRH] and new.status_lock_ts.tolist() == [7.0]


def test_stabilization_timestamps_on_locked_and_unlocked_notes() -> None:
    h = history(
        4,
        created_days_ago=[1.0, 1.0, 1.0, 20.0],
        nmr_due_to_min_stable_crh_ts=[NAN, 5.0, 5.0, 5.0],
        first_nmr_due_to_min_stable_crh_ts=[NAN, 5.0, NAN, NAN],
    )
    new = update_status_history(
        h, run([NMR, NMR, NMR, CRH], stab=[float(NOW), -1.0, -1.0, -1.0]), NOW
    )
    assert new.nmr_due_to_min_stable_crh_ts.tolist() == [NOW, -1.0, -1.0, -1.0]
    # The first timestamp is set once, even to -1, and not on locked notes.
    assert new.first_nmr_due_to_min_stable_crh_ts[:3].tolist() == [NOW, 5.0, -1.0]
    assert np.isnan(new.first_nmr_due_to_min_stable_crh_ts[3])
    # No new value: the stored one is kept (unless locked).
    new = update_status_history(h, run([NMR, NMR, NMR, NMR]), NOW)
    assert new.nmr_due_to_min_stable_crh_ts[1:].tolist() == [5.0, 5.0, -1.0]


def test_first_and_most_recent_non_nmr_status() -> None:
    h = history(
        4,
        first_non_nmr_status=[-1, CRH, CRH, CRH],
        first_non_nmr_ts=[NAN, 1.0, 1.0, 1.0],
        most_recent_non_nmr_status=[-1, CRH, CRH, CRH],
        latest_non_nmr_ts=[NAN, 1.0, 1.0, 1.0],
    )
    new = update_status_history(h, run([CRH, CRNH, NMR, CRH]), NOW)
    assert new.first_non_nmr_status.tolist() == [CRH, CRH, CRH, CRH]
    assert new.first_non_nmr_ts.tolist() == [NOW, 1.0, 1.0, 1.0]
    assert new.most_recent_non_nmr_status.tolist() == [CRH, CRNH, CRH, CRH]
    assert new.latest_non_nmr_ts.tolist() == [NOW, NOW, 1.0, 1.0]


def test_notes_before_the_cutoff_skip_first_status_but_still_lock() -> None:
    old = (NOW - 1652918400000 + DAY) / DAY  # created one day before 2022-05-19
    new = update_status_history(history(1, old), run([CRH]), NOW)
    assert new.first_non_nmr_status.tolist() == [-1]
    assert new.locked_status.tolist() == [CRH]


def test_firm_reject_core_status_and_new_notes() -> None:
    h = history(1).with_new_notes(np.array(["n0", "n9"]), np.array(["x", "b"]), np.array([1, 2]))
    assert h.note_id.tolist() == ["n0", "n9"] and h.author_id.tolist() == ["a", "b"]
    runs = RunStatuses(
        final_status=np.array([NMR, NMR], np.int8),
        core_status=np.array([FR, -1], np.int8),
        decided_by=np.array([CORE, "MetaInitialNMR (v1.0)"]),
        stabilization_ts=np.array([NAN, NAN]),
    )
    new = update_status_history(h, runs, NOW)
    assert new.current_core_status.tolist() == [FR, -1]
    assert new.current_decided_by.tolist() == [CORE, "MetaInitialNMR (v1.0)"]
    assert h.current_status.tolist() == [-1, -1]  # input untouched


def test_rows_without_a_final_status_pass_through_unchanged() -> None:
    h = history(2, 20.0, current_status=[CRH, CRH], most_recent_status_change_ts=[3.0, 3.0])
    new = update_status_history(h, run([-1, NMR]), NOW)
    assert new.current_status.tolist() == [CRH, NMR]
    assert new.most_recent_status_change_ts.tolist() == [3.0, float(NOW)]
    assert new.locked_status.tolist() == [-1, NMR]
    assert np.isnan(new.current_status_ts[0]) and new.current_decided_by[0] == ""


def test_multi_model_columns_are_copied_and_missing_scorers_cleared() -> None:
    """scoring-multimodel.md §9.3: the other scorers' statuses and modeling ids, this run's."""
    NYH = NoteStatus.NEEDS_YOUR_HELP
    h = history(
        2,
        30.0,
        current_expansion_status=[CRH, CRH],
        current_group_status=[CRH, CRH],
        current_modeling_group=[4.0, 4.0],
        current_multi_group_status=[NMR, NMR],
        current_modeling_multi_group=[1.0, 1.0],
    )
    runs = RunStatuses(
        final_status=np.array([NMR, CRH], np.int8),
        core_status=np.array([-1, -1], np.int8),
        decided_by=np.array(["GroupModel33NMR (v1.1)", "TopicModel05 (v1.0)"]),
        stabilization_ts=np.array([NAN, NAN]),
        expansion_status=np.array([FR, CRNH], np.int8),
        group_status=np.array([NMR, -1], np.int8),
        multi_group_status=np.array([-1, NYH], np.int8),
        modeling_group=np.array([33.0, NAN]),
        modeling_multi_group=np.array([NAN, 1.0]),
    )
    new = update_status_history(h, runs, NOW)
    assert new.current_expansion_status.tolist() == [FR, CRNH]
    assert new.current_group_status.tolist() == [NMR, -1]
    np.testing.assert_array_equal(new.current_modeling_group, [33.0, NAN])
    assert new.current_multi_group_status.tolist() == [-1, NYH]
    np.testing.assert_array_equal(new.current_modeling_multi_group, [NAN, 1.0])
    # A group demotion may lock; a topic demotion may not.
    assert new.locked_status.tolist() == [NMR, -1]
    # A run without those scorers clears their columns.
    cleared = update_status_history(new, run([NMR, NMR]), NOW + 1)
    assert cleared.current_expansion_status.tolist() == [-1, -1]
    assert np.isnan(cleared.current_modeling_group).all()
