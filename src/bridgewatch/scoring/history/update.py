"""Note status history update after meta scoring (scoring-core.md §10, extended §4.8, §4.10)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np
from numpy.typing import NDArray

from bridgewatch.errors import ConfigError, InputError
from bridgewatch.model import NoteStatus
from bridgewatch.scoring.history.table import StatusHistory

__all__ = [
    "LOCK_ELIGIBLE_RULES",
    "RunStatuses",
    "StatusHistoryConfig",
    "lock_eligible",
    "update_status_history",
]

# decidedBy rule names (without version) whose decisions may lock a note (§10 step 4).
LOCK_ELIGIBLE_RULES: frozenset[str] = frozenset(
    {
        "CoreModel",
        "CoreWithTopicsModel",
        "ExpansionModel",
        *(f"GroupModel{k:02d}" for k in range(1, 16)),
        "GroupModel15NMR",
        "GroupModel18",
        "GroupModel18NMR",
        "GroupModel33",
        "GroupModel33NMR",
        "MultiGroupModel01",
        "InsufficientExplanation",
        "GaussianModel",
        "GaussianCoreWithTopicsModel",
    }
)
_VERSION = re.compile(r"\s*\(v[0-9.]+\)\s*$")
_NMR = np.int8(NoteStatus.NEEDS_MORE_RATINGS)


@dataclass(frozen=True)
class StatusHistoryConfig:
    """Constants of the NSH update (§10, Appendix A)."""

    # §10 step 4: a note locks once strictly older than this (ms; 14 days).
    lock_after_ms: int = 14 * 86_400_000
    # §10 step 4: decidedBy names (no version) that may lock.
    lock_eligible_rules: frozenset[str] = field(default_factory=lambda: LOCK_ELIGIBLE_RULES)
    # §10 step 7: notes created before this (epoch ms, 2022-05-19) skip first/latest status.
    first_status_cutoff_ms: int = 1652918400000

    def __post_init__(self) -> None:
        if self.lock_after_ms < 0:
            raise ConfigError("lock_after_ms", self.lock_after_ms, "an integer >= 0")


@dataclass(frozen=True)
class RunStatuses:
    """This run's results per history row; arrays of shape (n_notes,), aligned with the NSH.

    Attributes
    ----------
    final_status : int8
        ``finalRatingStatus`` codes.
    core_status : int8
        Raw Core status (FIRM_REJECT / NEEDS_YOUR_HELP possible; -1 out of Core).
    decided_by : str array
        ``decidedBy`` labels such as ``"CoreModel (v1.1)"``.
    stabilization_ts : float64
        New stabilization timestamp from meta scoring (NaN = none computed).
    expansion_status, group_status, multi_group_status : int8, optional
        Other scorers' statuses (missing = -1).
    modeling_group, modeling_multi_group : float64, optional
        Missing = NaN.
    above_pcrh_threshold_ts : float64, optional
        New ``abovePcrhThresholdTime`` (missing = none computed).
    """

    final_status: NDArray[np.int8]
    core_status: NDArray[np.int8]
    decided_by: NDArray[np.str_]
    stabilization_ts: NDArray[np.float64]
    expansion_status: NDArray[np.int8] | None = None
    group_status: NDArray[np.int8] | None = None
    multi_group_status: NDArray[np.int8] | None = None
    modeling_group: NDArray[np.float64] | None = None
    modeling_multi_group: NDArray[np.float64] | None = None
    above_pcrh_threshold_ts: NDArray[np.float64] | None = None


def lock_eligible(decided_by: NDArray[np.str_], rules: frozenset[str]) -> NDArray[np.bool_]:
    """Whether each ``decidedBy`` label names a lock-eligible rule (version ignored)."""
    labels = np.asarray(decided_by, dtype=np.str_).ravel().tolist()
    # A run has a few dozen distinct labels: look each up once (np.unique sorts strings).
    known: dict[str, bool] = {}
    out = np.empty(len(labels), dtype=np.bool_)
    for k, label in enumerate(labels):
        ok = known.get(label)
        if ok is None:
            ok = known[label] = _VERSION.sub("", label) in rules
        out[k] = ok
    return out


def update_status_history(
    history: StatusHistory,
    run: RunStatuses,
    now_ms: int,
    config: StatusHistoryConfig | None = None,
) -> StatusHistory:
    """The new NSH after a scoring run (§10); pure, the input is not modified.

    Steps, per row: (1) clear ``timestampMinuteOfFinalScoringOutput``; (2) status-change
    timestamp := now if the final status differs from the previous ``currentStatus``, else
    -1 if empty; (3) copy the current statuses, decidedBy and now; (4) lock unlocked notes
    older than ``lock_after_ms`` (strict) whose decidedBy is lock-eligible; (5) locked notes:
    stabilization timestamp := -1; (6) unlocked notes: copy the new stabilization timestamp
    (and the first one if empty) and the pcrh timestamp; (7) notes created before
    the cutoff stop; (8) a non-NMR final status sets the first / most recent non-NMR status.

    Parameters
    ----------
    history : StatusHistory
        Input NSH with every scored note already present (see ``with_new_notes``).
    run : RunStatuses
        This run's results aligned with ``history`` rows. Rows whose ``final_status`` is -1
        were not rescored (incremental runs, extended §4.11) and are passed through unchanged.
    now_ms : int
        Update time in epoch milliseconds (``epochMillis`` when overridden, §10).
    config : StatusHistoryConfig, optional

    Returns
    -------
    StatusHistory
    """
    cfg = config or StatusHistoryConfig()
    n = history.n_notes
    final = _arr(run.final_status, n, "final_status", np.int8)
    now = float(now_ms)

    def opt_status(a: NDArray[np.int8] | None, name: str) -> NDArray[np.int8]:
        return np.full(n, -1, np.int8) if a is None else _arr(a, n, name, np.int8)

    def opt_float(a: NDArray[np.float64] | None, name: str) -> NDArray[np.float64]:
        return np.full(n, np.nan) if a is None else _arr(a, n, name, np.float64)

    changed = final != history.current_status
    change_ts = np.where(
        changed,
        now,
        np.where(
            np.isnan(history.most_recent_status_change_ts),
            -1.0,
            history.most_recent_status_change_ts,
        ),
    )
    decided_by = np.asarray(run.decided_by, dtype=np.str_)
    if decided_by.shape != (n,):
        raise InputError(f"expected shape ({n},)", field="decided_by")

    unlocked = history.locked_status < 0
    lock = unlocked & (now - history.created_at_ms.astype(np.float64) > cfg.lock_after_ms)
    lock[lock] = lock_eligible(decided_by[lock], cfg.lock_eligible_rules)
    locked_status = np.where(lock, final, history.locked_status).astype(np.int8)
    lock_ts = np.where(lock, now, history.status_lock_ts)
    is_locked = locked_status >= 0

    new_stab = _arr(run.stabilization_ts, n, "stabilization_ts", np.float64)
    has_stab = ~np.isnan(new_stab)
    stab = np.where(
        is_locked, -1.0, np.where(has_stab, new_stab, history.nmr_due_to_min_stable_crh_ts)
    )
    first_stab = np.where(
        ~is_locked & has_stab & np.isnan(history.first_nmr_due_to_min_stable_crh_ts),
        new_stab,
        history.first_nmr_due_to_min_stable_crh_ts,
    )
    new_pcrh = opt_float(run.above_pcrh_threshold_ts, "above_pcrh_threshold_ts")
    # The spec (§10 step 5) also sets abovePcrhThresholdTime := -1 on locked notes, but the
    # reference's written NSH keeps it empty on every locked note (fixtures S-core, S-full):
    # its pcrh column is re-merged after the lock step. We follow the output.
    pcrh = np.where(~is_locked & ~np.isnan(new_pcrh), new_pcrh, history.above_pcrh_threshold_ts)
    eligible = (
        (history.created_at_ms >= cfg.first_status_cutoff_ms) & (final >= 0) & (final != _NMR)
    )
    first_time = eligible & (history.first_non_nmr_status < 0)
    first_status = np.where(first_time, final, history.first_non_nmr_status).astype(np.int8)
    first_ts = np.where(first_time, now, history.first_non_nmr_ts)
    latest_change = eligible & (first_time | (final != history.most_recent_non_nmr_status))
    latest_status = np.where(latest_change, final, history.most_recent_non_nmr_status).astype(
        np.int8
    )
    latest_ts = np.where(latest_change, now, history.latest_non_nmr_ts)

    updated = history.with_columns(
        final_scoring_output_minute=np.full(n, np.nan),
        most_recent_status_change_ts=change_ts,
        current_status=final.copy(),
        current_core_status=_arr(run.core_status, n, "core_status", np.int8).copy(),
        current_expansion_status=opt_status(run.expansion_status, "expansion_status"),
        current_group_status=opt_status(run.group_status, "group_status"),
        current_multi_group_status=opt_status(run.multi_group_status, "multi_group_status"),
        current_decided_by=decided_by.copy(),
        current_modeling_group=opt_float(run.modeling_group, "modeling_group"),
        current_modeling_multi_group=opt_float(run.modeling_multi_group, "modeling_multi_group"),
        current_status_ts=np.full(n, now),
        locked_status=locked_status,
        status_lock_ts=lock_ts,
        nmr_due_to_min_stable_crh_ts=stab,
        first_nmr_due_to_min_stable_crh_ts=first_stab,
        above_pcrh_threshold_ts=pcrh,
        first_non_nmr_status=first_status,
        first_non_nmr_ts=first_ts,
        most_recent_non_nmr_status=latest_status,
        latest_non_nmr_ts=latest_ts,
    )
    rescored = final >= 0
    if rescored.all():
        return updated
    return StatusHistory(
        **{
            f.name: np.where(rescored, getattr(updated, f.name), getattr(history, f.name))
            for f in fields(StatusHistory)
        }
    )


def _arr(a: NDArray[np.generic], n: int, name: str, dtype: type) -> NDArray[Any]:
    arr: NDArray[Any] = np.asarray(a, dtype=dtype)
    if arr.shape != (n,):
        raise InputError(f"expected shape ({n},), got {arr.shape}", field=name)
    return arr
