"""The stabilization delay ``NmrDueToMinStableCrhTime`` (scoring-core.md §9.4).

A note that newly reaches CRH (or NYH) is held at NMR for a while before it is shown. The
per-note timestamp T (``timestampMillisOfNmrDueToMinStableCrhTime``) is NaN when the note
was never held, > 0 while held since T, and -1 after leaving the hold.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from bridgewatch.model import NoteStatus
from bridgewatch.scoring.meta.config import MetaConfig

__all__ = ["StabilizationResult", "apply_stabilization"]

_MINUTE_MS = 60_000.0
_NMR = np.int8(NoteStatus.NEEDS_MORE_RATINGS)
_CRH = np.int8(NoteStatus.CURRENTLY_RATED_HELPFUL)
_CRNH = np.int8(NoteStatus.CURRENTLY_RATED_NOT_HELPFUL)
_NYH = np.int8(NoteStatus.NEEDS_YOUR_HELP)


@dataclass(frozen=True)
class StabilizationResult:
    """Outcome of the stabilization rule; arrays of shape (n_notes,).

    Attributes
    ----------
    status : int8
        The label after the rule (no NEEDS_YOUR_HELP remains except where the input had one
        outside the rule's scope, which cannot happen after Core meta scoring).
    stabilization_ts : float64
        The new T per note (the input value where the rule did not change it).
    emitted : bool
        Notes whose label the rule changed; these count as the rule's updates for
        ``decidedBy`` (a release to CRH keeps the previous decider, as in the reference).
    """

    status: NDArray[np.int8]
    stabilization_ts: NDArray[np.float64]
    emitted: NDArray[np.bool_]


def apply_stabilization(
    status: NDArray[np.int8],
    previous_status: NDArray[np.int8],
    stabilization_ts: NDArray[np.floating],
    first_non_nmr_status: NDArray[np.int8],
    now_ms: int,
    config: MetaConfig,
    *,
    has_topic: NDArray[np.bool_] | None = None,
    topic_confident: NDArray[np.bool_] | None = None,
    pflip_predicts_crh: NDArray[np.bool_] | None = None,
) -> StabilizationResult:
    """Apply the case table of §9.4.

    Case 1 (previous CRH): NYH -> CRH, T untouched. Case 2 (previous not CRH), for notes
    with label in {CRH, NYH} or T > 0:

    ====  ===========================================  =====================
    T     label / condition                            result
    ====  ===========================================  =====================
    NaN   CRH or NYH                                   NMR, T := now
    < 0   CRH                                          NMR, T := now
    < 0   NYH                                          NMR, T unchanged
    > 0   CRH and age > max CRH hold                   CRH, T := -1
    > 0   NYH and age > max NYH hold                   NMR, T := -1
    > 0   age < min hold                               NMR
    > 0   topic note and topic model not confident     NMR
    > 0   first non-NMR status CRH, or no CRH pflip    NMR
    > 0   NYH                                          NMR
    > 0   CRH (min <= age <= max)                      CRH, T := -1
    > 0   NMR or CRNH                                  unchanged, T := -1
    ====  ===========================================  =====================

    Parameters
    ----------
    status : int8 array of shape (n_notes,)
        Label after PopulationSampledIntercept.
    previous_status : int8 array of shape (n_notes,)
        The input NSH ``currentStatus`` (-1 missing).
    stabilization_ts : float array of shape (n_notes,)
        Stored T in epoch milliseconds (NaN, -1 or > 0).
    first_non_nmr_status : int8 array of shape (n_notes,)
        The input NSH ``firstNonNMRStatus`` (-1 missing).
    now_ms : int
        "Now", epoch milliseconds.
    config : MetaConfig
    has_topic, topic_confident : bool arrays of shape (n_notes,), optional
        Topic assignment and topic-model confidence; missing = no topic.
    pflip_predicts_crh : bool array of shape (n_notes,), optional
        pflip label == "CRH"; missing = no prediction (counts as predicted to flip).

    Returns
    -------
    StabilizationResult
    """
    s_in = np.asarray(status, dtype=np.int8)
    n = s_in.shape[0]
    s = s_in.copy()
    t_in = np.asarray(stabilization_ts, dtype=np.float64)
    t = t_in.copy()
    prev = np.asarray(previous_status)
    first = np.asarray(first_non_nmr_status)
    no = np.zeros(n, dtype=np.bool_)
    topic = no if has_topic is None else np.asarray(has_topic, dtype=np.bool_)
    confident = no if topic_confident is None else np.asarray(topic_confident, dtype=np.bool_)
    pflip_crh = no if pflip_predicts_crh is None else np.asarray(pflip_predicts_crh, np.bool_)
    now = float(now_ms)

    prev_crh = prev == _CRH
    s[prev_crh & (s_in == _NYH)] = _CRH  # case 1

    crh, nyh = s_in == _CRH, s_in == _NYH
    up = crh | nyh
    never, left = np.isnan(t_in), t_in <= 0.0
    held = t_in > 0.0
    rest = ~prev_crh
    enter = rest & up & (never | (left & crh))
    s[enter] = _NMR
    t[enter] = now
    s[rest & nyh & left & ~never] = _NMR

    with np.errstate(invalid="ignore"):
        age_min = (now - t_in) / _MINUTE_MS
    h = rest & held
    release_crh = h & crh & (age_min > config.max_stable_crh_minutes)
    expire_nyh = h & nyh & (age_min > config.max_stable_nyh_minutes)
    pending = h & up & ~release_crh & ~expire_nyh
    too_young = pending & (age_min < config.min_stable_crh_minutes)
    unsure_topic = pending & topic & ~confident
    flip_risk = pending & ((first == _CRH) | ~pflip_crh)
    hold = too_young | unsure_topic | flip_risk | (pending & nyh)
    s[expire_nyh | hold] = _NMR
    t[release_crh | expire_nyh] = -1.0
    release_in_window = pending & ~hold  # CRH with min <= age <= max
    t[release_in_window] = -1.0
    t[h & ~up] = -1.0  # NMR / CRNH while held: leave the hold
    return StabilizationResult(status=s, stabilization_ts=t, emitted=s != s_in)
