"""Group conviction: a co-rating group of once-established raters that the
unexplained-ratings test catches on its notes loses its shared verdicts on all of them (a
bridgewatch defence).

Revocation (``CoRatingConfig.revoke_established``) turns established raters who co-rate
far beyond the null into unproven ones, so the unexplained-ratings test
(``unexplained.py``) tests them note by note. A note can only be tested with a few
established ratings to refit it on (``UnexplainedConfig.min_established``); a brigade of
aged accounts that piles onto a note almost nobody else rated gets through there, while
the same accounts are caught on every other target. The evidence is per group, not per
note: the revocation pass already knows which cells ``(note, verdict)`` each group
concentrates on (``CoRatingResult.flagged``: at least ``min_cell_members`` members, far
beyond the null), so the catches on the group's other notes carry over.

Math
----
Let group ``g`` concentrate on the cells ``C_g`` (one verdict per note, as a rule), ``N_g``
their notes, ``T_g ⊆ N_g`` the ones the test could test (``UnexplainedResult.tested``) and
``K_g ⊆ T_g`` the ones it targeted *in the group's direction* (the group's verdict is
HELPFUL and the unproven raters pushed the note up, or NOT HELPFUL and they pushed it
down). The group is *convicted* when

    |K_g| >= min_notes   and   |K_g| >= share |T_g|

and its unproven members' ratings on every cell of ``C_g`` are flagged, tested or not.

A group is also convicted on its pooled evidence (``pooled_z``): each tested note's
statistic ``z_n`` (``UnexplainedResult.note_z``, signed by the note's shift) counts in the
group's direction ``s_n`` (+1 HELPFUL, -1 NOT HELPFUL), and Stouffer's sum

    Z_g = sum_{n in T_g} s_n z_n / sqrt(|T_g|)   with   |T_g| >= min_notes

reaches ``pooled_z`` and the mean ``sum s_n z_n / |T_g|`` reaches ``pooled_mean``. A slow
aged brigade that also rates with the model on camouflage
deviates by 2-4 standard errors on each target, no single one past the per-note
Bonferroni bar, but on every one the same way; an honest circle's notes scatter around 0.
The mean bar is for what the sum cannot tell apart: the model's misfit shared by a
group's notes (a community of 50 honest raters, 29 notes at +0.76 each in a small dense
community under attack, Z 4.1) against a brigade deviating on each target by whole
standard errors (the live replay's aged brigades: +2.6 over 9 notes, +1.8 over 5).
An honest circle whose established status was revoked rates its niche notes as the model
predicts from its members' factors: the test targets none of them, and nothing of
theirs goes; and when one of its notes crosses the per-note bar by chance, a group the
conviction judged on its notes and acquitted leaves the per-note test
(``UnexplainedConfig.acquit_groups``). A brigade must be unexplained on most of the
notes the test can see to lose the ones it cannot.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from bridgewatch.errors import ConfigError

__all__ = ["Conviction", "RevokedGroups", "convict_groups", "revoked_groups"]

_LEVELS = 3


@dataclass(frozen=True)
class RevokedGroups:
    """Co-rating groups among established raters and the cells they concentrate on.

    Attributes
    ----------
    group : int64 array of shape (n_participants,), the rater's group (0..n_groups-1) or
        -1.
    cells : int64 array, sorted and unique: ``group * 3 n_notes + 3 note + level`` for
        every cell ``(note, level)`` on which the group's shared verdicts concentrate.
    n_notes : size of the note index the keys were built on.
    n_groups : number of groups.
    """

    group: NDArray[np.int64]
    cells: NDArray[np.int64]
    n_notes: int
    n_groups: int


@dataclass(frozen=True)
class Conviction:
    """What ``convict_groups`` found.

    Attributes
    ----------
    flagged : bool array of shape (n_ratings,), unproven members' ratings on the cells of
        convicted groups.
    convicted : bool array of shape (n_groups,).
    caught : int64 array of shape (n_groups,), ``|K_g|`` (see the module docstring).
    tested : int64 array of shape (n_groups,), ``|T_g|``.
    pooled : float64 array of shape (n_groups,), ``Z_g`` (0 without ``note_z``).
    """

    flagged: NDArray[np.bool_]
    convicted: NDArray[np.bool_]
    caught: NDArray[np.int64]
    tested: NDArray[np.int64]
    pooled: NDArray[np.float64] | None = None


def revoked_groups(
    note_idx: NDArray[np.integer],
    levels: NDArray[np.integer],
    rater_idx: NDArray[np.integer],
    group: NDArray[np.int64],
    concentrated: NDArray[np.bool_],
    n_notes: int,
) -> RevokedGroups:
    """The groups of a co-rating pass and their concentrated cells.

    Parameters
    ----------
    note_idx, levels, rater_idx : int arrays of shape (n_ratings,), the ratings the pass
        ran on (levels 0 NOT_HELPFUL, 1 SOMEWHAT, 2 HELPFUL).
    group : int64 array of shape (n_participants,), ``CoRatingResult.group``.
    concentrated : bool array of shape (n_ratings,), ``CoRatingResult.flagged`` (members'
        ratings on the group's concentrated cells).
    n_notes : size of the note index.

    Returns
    -------
    RevokedGroups
    """
    n = note_idx.shape[0]
    for name, arr in (("levels", levels), ("rater_idx", rater_idx), ("concentrated", concentrated)):
        if arr.shape != (n,):
            raise ConfigError(name, arr.shape, f"shape ({n},) like note_idx")
    g = group[rater_idx[concentrated]]
    keep = g >= 0
    keys = _keys(g[keep], note_idx[concentrated][keep], levels[concentrated][keep], n_notes)
    n_groups = int(group.max()) + 1 if group.size and group.max() >= 0 else 0
    return RevokedGroups(group.astype(np.int64), np.unique(keys), n_notes, n_groups)


def _keys(
    group: NDArray[np.integer],
    note: NDArray[np.integer],
    level: NDArray[np.integer],
    n_notes: int,
) -> NDArray[np.int64]:
    out: NDArray[np.int64] = (
        group.astype(np.int64) * (_LEVELS * n_notes)
        + note.astype(np.int64) * _LEVELS
        + level.astype(np.int64)
    )
    return out


def convict_groups(
    note_idx: NDArray[np.integer],
    levels: NDArray[np.integer],
    rater_idx: NDArray[np.integer],
    unproven: NDArray[np.bool_],
    groups: RevokedGroups,
    tested: NDArray[np.bool_],
    targeted: NDArray[np.bool_],
    note_shift: NDArray[np.floating],
    *,
    min_notes: int,
    share: float,
    note_z: NDArray[np.floating] | None = None,
    pooled_z: float | None = None,
    pooled_mean: float = 0.0,
) -> Conviction:
    """Convict the groups the unexplained-ratings test caught on most of their notes (see
    the module docstring) and flag their unproven members' concentrated ratings.

    Parameters
    ----------
    note_idx, levels, rater_idx : int arrays of shape (n_ratings,), the ratings to flag
        (a scorer's view; levels 0 / 1 / 2).
    unproven : bool array of shape (n_participants,), raters not established in the view
        (only their ratings can be flagged).
    groups : the revoked groups (``revoked_groups``), on the same note index.
    tested, targeted : bool arrays of shape (n_notes,), ``UnexplainedResult.tested`` and
        ``.targeted`` of the test on these ratings.
    note_shift : float array of shape (n_notes,), ``UnexplainedResult.note_shift``.
    min_notes, share : the conviction bar (``|K_g| >= min_notes``, ``|K_g| >= share |T_g|``).
    note_z : float array of shape (n_notes,), ``UnexplainedResult.note_z``, or None.
    pooled_z : convict also when ``Z_g >= pooled_z`` (see the module docstring); None: off.
    pooled_mean : ... and the mean statistic over the tested notes is at least this.

    Returns
    -------
    Conviction
    """
    n = note_idx.shape[0]
    n_notes = groups.n_notes
    for name, arr in (("tested", tested), ("targeted", targeted), ("note_shift", note_shift)):
        if arr.shape != (n_notes,):
            raise ConfigError(name, arr.shape, f"shape ({n_notes},) like the groups' notes")
    k = groups.n_groups
    none = np.zeros(k, dtype=np.int64)
    if k == 0 or groups.cells.size == 0:
        return Conviction(np.zeros(n, dtype=np.bool_), np.zeros(k, dtype=np.bool_), none, none)
    per_group = _LEVELS * n_notes
    g = groups.cells // per_group
    cell = groups.cells % per_group
    note, level = cell // _LEVELS, cell % _LEVELS
    shift = np.nan_to_num(np.asarray(note_shift, dtype=np.float64))
    with_group = ((level == 2) & (shift[note] > 0.0)) | ((level == 0) & (shift[note] < 0.0))
    caught_cell = targeted[note] & with_group
    # Per (group, note): a group with two verdicts on one note counts the note once.
    pairs, inverse = np.unique(g * n_notes + note, return_inverse=True)
    pair_caught = np.bincount(inverse.ravel(), weights=caught_cell, minlength=pairs.size) > 0
    pair_group, pair_note = pairs // n_notes, pairs % n_notes
    caught = np.bincount(pair_group, weights=pair_caught, minlength=k).astype(np.int64)
    seen = np.bincount(pair_group, weights=tested[pair_note], minlength=k).astype(np.int64)
    convicted = (caught >= min_notes) & (caught >= share * seen)
    pooled = np.zeros(k, dtype=np.float64)
    if note_z is not None and pooled_z is not None:
        if note_z.shape != (n_notes,):
            raise ConfigError("note_z", note_z.shape, f"shape ({n_notes},) like the groups' notes")
        # The group's direction per (group, note): +1 HELPFUL, -1 NOT HELPFUL, 0 both or
        # SOMEWHAT; each tested note once.
        sign = np.where(level == 2, 1.0, np.where(level == 0, -1.0, 0.0))
        direction = np.bincount(inverse.ravel(), weights=sign, minlength=pairs.size)
        direction = np.where(np.abs(direction) == 1.0, direction, 0.0)
        z = np.nan_to_num(np.asarray(note_z, dtype=np.float64))[pair_note] * direction
        z = np.where(tested[pair_note], z, 0.0)
        total = np.bincount(pair_group, weights=z, minlength=k)
        with np.errstate(invalid="ignore", divide="ignore"):
            pooled = np.where(seen > 0, total / np.sqrt(np.maximum(seen, 1)), 0.0)
        mean = np.where(seen > 0, total / np.maximum(seen, 1), 0.0)
        convicted |= (seen >= min_notes) & (pooled >= pooled_z) & (mean >= pooled_mean)
    flagged = np.zeros(n, dtype=np.bool_)
    if convicted.any():
        raters = rater_idx.astype(np.int64)
        rg = groups.group[raters]
        cand = (rg >= 0) & unproven[raters]
        cand[cand] = convicted[rg[cand]]
        keys = _keys(rg[cand], note_idx[cand], levels[cand], n_notes)
        pos = np.searchsorted(groups.cells, keys)
        hit = pos < groups.cells.size
        hit[hit] = groups.cells[pos[hit]] == keys[hit]
        flagged[np.flatnonzero(cand)] = hit
    return Conviction(flagged, convicted, caught, seen, pooled)
