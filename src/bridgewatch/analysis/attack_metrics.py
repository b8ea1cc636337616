"""What the manipulation defences did in one scoring run, told apart by ground truth, and
what the run cost.

Defence-agnostic where it can be: a rating counts as *removed* when it is in Core's scope
before the defences (``scorer_inputs`` of the shared inputs) but not among the ratings of
Core's final fits (``ScorerRun.defences.inputs``), whatever defence took it out, and as
*down-weighted* when it stays with a weight below 1. It counts as *removed in any scorer*
when some scorer of the roster lost it that way from its own view (the run-wide co-rating
pass, or the scorer's own defences: ``ScorerRun.removed`` of a run scored with
``audit_defences``); the ratings counted there are those in any scorer's view. A rater
counts as *flagged* when it lost or had down-weighted at least one Core rating, or when
any scorer's defences flagged it as a rater (co-rating group, coordinated bursts,
untrusted) or took one of its ratings out as unexplained; as *revoked* when it was
established before the run and the defences revoked its establishment (co-rating among
established raters, thin pools: ``SharedScreening.revoked``), which no flag above shows
and which sends its ratings to the unexplained-ratings test.
"""

from __future__ import annotations

import gc
import resource
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import numpy as np
import polars as pl
from numpy.typing import NDArray

from bridgewatch.scoring.run import ScoringResult
from bridgewatch.scoring.scorers import CORE_NAME
from bridgewatch.scoring.scorers.scope import scorer_inputs

__all__ = [
    "DefenceAudit",
    "RunUsage",
    "adversary_ratings_removed",
    "audit_defences",
    "count_audit",
    "flagged_raters",
    "measured",
    "removed_mask",
    "removed_ratings",
    "revoked_raters",
    "roster_removed_ratings",
]

_T = TypeVar("_T")
_CLEAR_REFS = Path("/proc/self/clear_refs")
_STATUS = Path("/proc/self/status")


@dataclass(frozen=True)
class DefenceAudit:
    """Ratings and raters the defences took out of one run, honest vs adversarial.

    Attributes
    ----------
    honest_ratings, adversary_ratings : ratings in Core's scope before the defences.
    honest_removed, adversary_removed : ... of them absent from Core's final fits.
    honest_down_weighted : honest ratings kept with a weight below 1.
    honest_flagged, adversaries_flagged : raters flagged (see the module docstring).
    structure_flagged : honest raters flagged that belong to an honest structure (niche
        circles, modeling-group communities, very active raters).
    attack_ratings, attack_removed : the brigade members' ratings on attacked notes (the
        attack itself, without the accounts' ratings elsewhere) in Core's scope, and those
        absent from Core's final fits (0 when the targets were not given).
    honest_ratings_any, honest_removed_any : honest ratings in any scorer's view before the
        defences, and those that any scorer's defences took out (Core's alone when the run
        was not audited; see the module docstring).
    honest_revoked, adversaries_revoked : raters whose establishment the defences revoked.
    honest_flagged_any, structure_flagged_any : honest raters flagged, revoked or with a
        rating removed in any scorer; ... of them in honest structures.
    """

    honest_ratings: int
    honest_removed: int
    honest_down_weighted: int
    adversary_ratings: int
    adversary_removed: int
    honest_flagged: int
    adversaries_flagged: int
    structure_flagged: int
    attack_ratings: int = 0
    attack_removed: int = 0
    honest_ratings_any: int = 0
    honest_removed_any: int = 0
    honest_revoked: int = 0
    adversaries_revoked: int = 0
    honest_flagged_any: int = 0
    structure_flagged_any: int = 0


@dataclass(frozen=True)
class RunUsage:
    """Wall seconds, CPU seconds (whole process) and peak resident memory (MiB) of a call.

    The peak is the process's high-water mark reset just before the call (Linux
    ``/proc/self/clear_refs``), so it includes what was resident before it; where the reset
    is not available it is the process's peak so far.
    """

    wall_s: float
    cpu_s: float
    peak_mib: float


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _reset_peak() -> bool:
    try:
        _CLEAR_REFS.write_text("5")
    except OSError:
        return False
    return True


def _peak_mib(reset: bool) -> float:
    if reset:
        try:
            for line in _STATUS.read_text().splitlines():
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
        except (OSError, ValueError, IndexError):
            pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measured(fn: Callable[[], _T]) -> tuple[_T, RunUsage]:
    """``fn()`` and what it cost (see ``RunUsage``)."""
    gc.collect()
    reset = _reset_peak()
    wall, cpu = time.perf_counter(), _cpu_s()
    out = fn()
    usage = RunUsage(time.perf_counter() - wall, _cpu_s() - cpu, _peak_mib(reset))
    return out, usage


def removed_mask(
    view_keys: NDArray[np.int64],
    fit_keys: NDArray[np.int64],
    fit_weights: NDArray[np.float64] | None,
) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """Which ratings of a view the final fits dropped or down-weighted.

    Parameters
    ----------
    view_keys : int64 array of shape (n_view,), one key per rating before the defences
        (e.g. ``rater_idx * n_notes + note_idx``).
    fit_keys : int64 array of shape (n_fit,), the keys of the final fits' ratings.
    fit_weights : float64 array of shape (n_fit,), their weights, or None (all 1).

    Returns
    -------
    (removed, down_weighted): bool arrays of shape (n_view,); a removed rating is never
    counted as down-weighted.
    """
    removed = ~np.isin(view_keys, fit_keys)
    if fit_weights is None:
        return removed, np.zeros(view_keys.shape[0], dtype=np.bool_)
    down = np.isin(view_keys, fit_keys[fit_weights < 1.0]) & ~removed
    return removed, down


def removed_ratings(
    result: ScoringResult,
) -> tuple[NDArray[np.int64], NDArray[np.bool_], NDArray[np.bool_]]:
    """Core's scoped ratings before the defences and what became of them.

    Returns
    -------
    (rater_idx, removed, down_weighted): arrays of shape (n_scoped,) over Core's scoped
    ratings before the defences: the rater, the rating is absent from Core's final fits,
    the rating is kept with a weight below 1.
    """
    run = result.roster[CORE_NAME] if result.roster is not None else None
    view = scorer_inputs(result.inputs, run.spec) if run is not None else result.inputs
    scoped = view.scoped
    rater = scoped.rater_idx.astype(np.int64)
    n_notes = max(result.inputs.n_notes, 1)
    keys = rater * n_notes + scoped.note_idx.astype(np.int64)
    if run is None or run.defences is None:
        none = np.zeros(keys.shape[0], dtype=np.bool_)
        return rater, none, none.copy()
    fit = run.defences.inputs.scoped
    fit_keys = fit.rater_idx.astype(np.int64) * n_notes + fit.note_idx.astype(np.int64)
    removed, down = removed_mask(keys, fit_keys, run.defences.rating_weights)
    return rater, removed, down


def _keys(rater: NDArray[np.integer], note: NDArray[np.integer], n_notes: int) -> NDArray[np.int64]:
    return rater.astype(np.int64) * max(n_notes, 1) + note.astype(np.int64)


def roster_removed_ratings(result: ScoringResult) -> tuple[NDArray[np.int64], NDArray[np.bool_]]:
    """The ratings in any scorer's view before the defences, and whether any scorer's
    defences took them out (module docstring).

    Every scorer's view is ``scorer_inputs`` of the run's shared inputs; a rating is removed
    from it by the run-wide co-rating pass (``ScoringResult.co_rating``) or by the scorer's
    own defences (``ScorerRun.removed``). A run scored without ``audit_defences`` records
    no scorer's own removals: Core's are then read from its final fits (``removed_ratings``)
    and the other scorers' count only the co-rating pass.

    Returns
    -------
    (rater_idx, removed): arrays of shape (n_any,) over the distinct ratings (rater, note)
    of every scorer's view: the rater, and whether some scorer lost the rating.
    """
    shared = result.inputs
    n_notes = shared.n_notes
    runs = [] if result.roster is None else list(result.roster.runs.values())
    if not runs:
        rater, removed, _ = removed_ratings(result)
        return rater, removed
    co = result.co_rating
    post = shared.post_pss
    flagged_keys = (
        np.zeros(0, dtype=np.int64)
        if co is None
        else _keys(post.rater_idx[co.flagged], post.note_idx[co.flagged], n_notes)
    )
    views: list[NDArray[np.int64]] = []
    gone: list[NDArray[np.int64]] = [flagged_keys]
    for run in runs:
        scoped = scorer_inputs(shared, run.spec).scoped
        view = _keys(scoped.rater_idx, scoped.note_idx, n_notes)
        views.append(view)
        if run.removed is not None:
            gone.append(run.removed)
        elif run.spec.name == CORE_NAME and run.defences is not None:
            fit = run.defences.inputs.scoped
            gone.append(view[~np.isin(view, _keys(fit.rater_idx, fit.note_idx, n_notes))])
    keys = np.unique(np.concatenate(views))
    removed = np.isin(keys, np.concatenate(gone))
    return keys // max(n_notes, 1), removed


def revoked_raters(result: ScoringResult) -> NDArray[np.bool_]:
    """Participants established before the run whose establishment the defences revoked
    (established in the shared inputs, not in Core's screened view) and did not give back
    (``ScorerRun.restored``: their group was acquitted).

    Returns
    -------
    bool array of shape (n_participants,).
    """
    n = result.inputs.n_participants
    before = result.inputs.established
    run = result.roster.get(CORE_NAME) if result.roster is not None else None
    after = None if run is None else run.inputs.established
    if before is None or after is None:
        return np.zeros(n, dtype=np.bool_)
    out: NDArray[np.bool_] = before[:n] & ~after[:n]
    if run is not None and run.restored is not None:
        out &= ~run.restored[:n]
    return out


def adversary_ratings_removed(result: ScoringResult, adversary: NDArray[np.bool_]) -> pl.DataFrame:
    """The brigade members' ratings that the defences took out of Core's view.

    Parameters
    ----------
    result : the scoring run.
    adversary : bool array of shape (n_participants,), the participant is a brigade member.

    Returns
    -------
    polars.DataFrame with columns raterParticipantId, noteId (str), one row per rating.
    """
    keys = ("raterParticipantId", "noteId")
    run = result.roster[CORE_NAME] if result.roster is not None else None
    if run is None or run.defences is None:
        return pl.DataFrame({k: [] for k in keys}, schema=dict.fromkeys(keys, pl.Utf8))
    scoped = scorer_inputs(result.inputs, run.spec).scoped
    n_notes = max(result.inputs.n_notes, 1)
    view = scoped.rater_idx.astype(np.int64) * n_notes + scoped.note_idx.astype(np.int64)
    fit = run.defences.inputs.scoped
    kept = fit.rater_idx.astype(np.int64) * n_notes + fit.note_idx.astype(np.int64)
    gone = ~np.isin(view, kept) & adversary[scoped.rater_idx]
    raters = np.asarray(result.inputs.participant_ids.ids, dtype=object)
    notes = np.asarray(result.inputs.note_ids.ids, dtype=object)
    return pl.DataFrame(
        {
            "raterParticipantId": raters[scoped.rater_idx[gone]].astype(str),
            "noteId": notes[scoped.note_idx[gone]].astype(str),
        },
        schema=dict.fromkeys(keys, pl.Utf8),
    )


def flagged_raters(result: ScoringResult) -> NDArray[np.bool_]:
    """Participants the defences flagged in any scorer of the run (module docstring).

    Returns
    -------
    bool array of shape (n_participants,).
    """
    n = result.inputs.n_participants
    flagged = np.zeros(n, dtype=np.bool_)
    rater, removed, down = removed_ratings(result)
    flagged[rater[removed | down]] = True
    runs = [] if result.roster is None else list(result.roster.runs.values())
    for run in runs:
        screening, defences = run.screening, run.defences
        if screening is not None and screening.co_rating is not None:
            flagged |= screening.co_rating.group[:n] >= 0
        if screening is not None and screening.bursts is not None:
            flagged |= screening.bursts.coordinated[:n]
        if defences is not None and defences.bursts is not None:
            flagged |= defences.bursts.coordinated[:n]
        if defences is not None and defences.trust is not None:
            flagged |= ~defences.trust.trusted[:n]
        # Ratings the unexplained test took out of any scorer's view (before prescoring
        # or before the final fits): their raters are flagged too, whatever the scorer.
        for found in (
            None if screening is None else screening.unexplained,
            None if defences is None else defences.unexplained,
        ):
            if found is not None and found.flagged_raters.size:
                flagged[found.flagged_raters[found.flagged_raters < n]] = True
    return flagged


def count_audit(
    rater: NDArray[np.int64],
    removed: NDArray[np.bool_],
    down: NDArray[np.bool_],
    flagged: NDArray[np.bool_],
    adversary: NDArray[np.bool_],
    structure: NDArray[np.bool_],
    on_target: NDArray[np.bool_] | None = None,
    *,
    any_view: tuple[NDArray[np.int64], NDArray[np.bool_]] | None = None,
    revoked: NDArray[np.bool_] | None = None,
) -> DefenceAudit:
    """The counts of a ``DefenceAudit``.

    Parameters
    ----------
    rater, removed, down : arrays of shape (n_view,): each rating's rater, whether the
        defences removed it, whether they down-weighted it (``removed_mask``).
    flagged, adversary, structure : bool arrays of shape (n_participants,): flagged by a
        defence (raters without ratings should be False), brigade member, member of an honest
        structure.
    on_target : bool array of shape (n_view,), the rating is on an attacked note; None:
        the attack is not told apart (``attack_ratings`` 0).
    any_view : (rater, removed) over the ratings of every scorer's view
        (``roster_removed_ratings``); None: Core's view stands for it.
    revoked : bool array of shape (n_participants,), establishment revoked
        (``revoked_raters``; raters without ratings should be False); None: none.
    """
    bad = adversary[rater]
    attack = np.zeros_like(bad) if on_target is None else bad & on_target
    any_rater, any_removed = (rater, removed) if any_view is None else any_view
    any_bad = adversary[any_rater]
    lost = np.zeros_like(flagged) if revoked is None else revoked
    either = flagged | lost
    either[any_rater[any_removed]] = True
    return DefenceAudit(
        honest_ratings=int((~bad).sum()),
        honest_removed=int((removed & ~bad).sum()),
        honest_down_weighted=int((down & ~removed & ~bad).sum()),
        adversary_ratings=int(bad.sum()),
        adversary_removed=int((removed & bad).sum()),
        honest_flagged=int((flagged & ~adversary).sum()),
        adversaries_flagged=int((flagged & adversary).sum()),
        structure_flagged=int((flagged & ~adversary & structure).sum()),
        attack_ratings=int(attack.sum()),
        attack_removed=int((removed & attack).sum()),
        honest_ratings_any=int((~any_bad).sum()),
        honest_removed_any=int((any_removed & ~any_bad).sum()),
        honest_revoked=int((lost & ~adversary).sum()),
        adversaries_revoked=int((lost & adversary).sum()),
        honest_flagged_any=int((either & ~adversary).sum()),
        structure_flagged_any=int((either & ~adversary & structure).sum()),
    )


def audit_defences(
    result: ScoringResult,
    adversary: NDArray[np.bool_],
    structure: NDArray[np.bool_],
    target: NDArray[np.bool_] | None = None,
) -> DefenceAudit:
    """Count what the defences took out of ``result``, by ground truth.

    Parameters
    ----------
    result : the scoring run.
    adversary : bool array of shape (n_participants,) over ``result.inputs.participant_ids``,
        the participant is a brigade member.
    structure : bool array of the same shape, the participant belongs to an honest structure.
    target : bool array of shape (n_notes,) over ``result.inputs.note_ids``, the note is
        attacked; None: the attack ratings are not counted apart.
    """
    rater, removed, down = removed_ratings(result)
    flagged = flagged_raters(result)
    has_ratings = np.zeros(adversary.shape[0], dtype=np.bool_)
    has_ratings[result.inputs.post_pss.rater_idx] = True
    on_target = None
    if target is not None:
        run = result.roster[CORE_NAME] if result.roster is not None else None
        view = scorer_inputs(result.inputs, run.spec) if run is not None else result.inputs
        on_target = target[view.scoped.note_idx]
    return count_audit(
        rater,
        removed,
        down,
        flagged & has_ratings,
        adversary,
        structure,
        on_target,
        any_view=roster_removed_ratings(result),
        revoked=revoked_raters(result) & has_ratings,
    )
