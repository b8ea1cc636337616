"""The defence decisions of a refit, held between refits (not in the reference).

The manipulation defences (``bridgewatch.scoring.defences``) decide over the whole rating
graph: co-rating groups, coordinated bursts, rater trust. The worker cannot redo them per
note, so it keeps each scorer's decisions from the last refit (:func:`hold_defences`) and
applies them to the scorer's current view (:meth:`HeldDefences.apply`):

* every rating the refit dropped or down-weighted keeps its fate, also when its rater
  replaces it (the key is the (note, rater) pair);
* a rating made after the refit by a member of a flagged group (a co-rating group, or the
  raters the burst passes found coordinated) on a note where the refit flagged that group
  gets the same fate ("ratings of flagged groups on their notes stay out");
* a rating made after the refit by a member of a convicted group (a co-rating group of
  once-established raters that the unexplained-ratings test caught on most of its notes,
  ``bridgewatch.scoring.manipulation.conviction``) with the group's verdict on one of the
  notes it concentrates on is dropped, as the next refit's conviction would drop it;
* the raters trust propagation filtered out stay out (``"weight"`` mode: keep their weight).

At the refit's own data the result equals the batch's final-fit inputs and weights.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
from numpy.typing import NDArray

from bridgewatch.model import Ratings
from bridgewatch.scoring.config import ScoringConfig
from bridgewatch.scoring.incremental.cache import rows_of
from bridgewatch.scoring.inputs import CoreInputs
from bridgewatch.scoring.manipulation.push_guard import rating_levels
from bridgewatch.scoring.manipulation.unexplained import UnexplainedResult
from bridgewatch.scoring.scorers.run import ScorerRun

__all__ = ["HeldDefences", "hold_defences"]

_LEVELS = 3


@dataclass(frozen=True)
class HeldDefences:
    """One scorer's defence decisions at its last refit.

    Attributes
    ----------
    pair_notes : str array of shape (n_pairs,), note ids of the refit's flagged ratings.
    pair_raters : int64 array of shape (n_pairs,), their raters (participant rows).
    pair_weights : float64 array of shape (n_pairs,), their weight (0: dropped).
    labels : int64 array of shape (n_participants,), the rater's coordination group
        (co-rating group id, or one shared label for burst-coordinated raters), -1 none.
    cell_notes, cell_labels, cell_weights : (note id, group label) cells where the refit
        flagged a group, and the weight the group's ratings got there.
    after_ms : ratings created after this time (the refit's newest) fall under the cells.
    rater_weights : float64 array of shape (n_participants,), the trust weight (filter
        mode: 0 or 1), or None without trust.
    weighted : whether the batch passed weights to the note fits (else only drops).
    convicted : int64 array of shape (n_participants,), the rater's convicted group (its
        index among the refit's revoked groups), -1 none; all -1 by default.
    convicted_notes, convicted_groups, convicted_levels : the cells (note id, group,
        verdict level 0/1/2) the convicted groups concentrate on: a later rating of a
        member with that verdict on that note is dropped.
    """

    pair_notes: NDArray[np.str_]
    pair_raters: NDArray[np.int64]
    pair_weights: NDArray[np.float64]
    labels: NDArray[np.int64]
    cell_notes: NDArray[np.str_]
    cell_labels: NDArray[np.int64]
    cell_weights: NDArray[np.float64]
    after_ms: int
    rater_weights: NDArray[np.float64] | None
    weighted: bool
    convicted: NDArray[np.int64] | None = None
    convicted_notes: NDArray[np.str_] = field(default_factory=lambda: np.zeros(0, dtype=np.str_))
    convicted_groups: NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    convicted_levels: NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    @property
    def active(self) -> bool:
        """Whether any decision is held."""
        return (
            bool(self.pair_notes.size)
            or bool(self.convicted_notes.size)
            or self.rater_weights is not None
            or self.weighted
        )

    @property
    def flagged_raters(self) -> NDArray[np.bool_]:
        """Raters in a group the refit flagged or convicted (bool per participant)."""
        out: NDArray[np.bool_] = self.labels >= 0
        if self.convicted is not None:
            out = out | (self.convicted >= 0)
        return out

    @classmethod
    def none(cls, n_participants: int) -> HeldDefences:
        """No decisions (defences off, or nothing flagged)."""
        return cls(
            np.zeros(0, dtype=np.str_),
            np.zeros(0, dtype=np.int64),
            np.zeros(0),
            np.full(n_participants, -1, dtype=np.int64),
            np.zeros(0, dtype=np.str_),
            np.zeros(0, dtype=np.int64),
            np.zeros(0),
            0,
            None,
            False,
        )

    def weights(self, view: CoreInputs) -> NDArray[np.float64]:
        """Weight of each of ``view.scoped`` (0: out), float64 of shape (n_scoped,)."""
        scoped = view.scoped
        n_part = np.int64(view.n_participants)
        out = np.ones(scoped.n_ratings)
        note_ids = np.asarray(view.note_ids.ids, dtype=np.str_)
        note_idx = scoped.note_idx.astype(np.int64)
        rater_idx = scoped.rater_idx.astype(np.int64)
        if self.pair_notes.size:
            rows = rows_of(note_ids, self.pair_notes)
            ok = rows >= 0
            keys = rows[ok] * n_part + self.pair_raters[ok]
            order = np.argsort(keys, kind="stable")
            keys, w = keys[order], self.pair_weights[ok][order]
            mine = note_idx * n_part + rater_idx
            pos = np.minimum(np.searchsorted(keys, mine), max(keys.shape[0] - 1, 0))
            hit = keys.shape[0] > 0
            if hit:
                match = keys[pos] == mine
                out[match] = w[pos[match]]
        if self.cell_notes.size:
            label = self.labels[rater_idx]
            late = (label >= 0) & (scoped.created_at_ms > self.after_ms)
            if late.any():
                n_labels = np.int64(max(int(self.labels.max()) + 1, 1))
                rows = rows_of(note_ids, self.cell_notes)
                ok = rows >= 0
                keys = rows[ok] * n_labels + self.cell_labels[ok]
                order = np.argsort(keys, kind="stable")
                keys, w = keys[order], self.cell_weights[ok][order]
                if keys.shape[0]:
                    idx = np.flatnonzero(late)
                    mine = note_idx[idx] * n_labels + label[idx]
                    pos = np.minimum(np.searchsorted(keys, mine), keys.shape[0] - 1)
                    match = keys[pos] == mine
                    out[idx[match]] = np.minimum(out[idx[match]], w[pos[match]])
        if self.convicted_notes.size and self.convicted is not None:
            out[self._convicted_late(scoped, note_ids)] = 0.0
        if self.rater_weights is not None:
            out *= self.rater_weights[rater_idx]
        return out

    def _convicted_late(self, scoped: Ratings, note_ids: NDArray[np.str_]) -> NDArray[np.bool_]:
        """Ratings made after the refit by convicted members, with their group's verdict on
        one of its notes (bool per rating of ``scoped``)."""
        assert self.convicted is not None
        group = self.convicted[scoped.rater_idx]
        late = np.flatnonzero((group >= 0) & (scoped.created_at_ms > self.after_ms))
        out = np.zeros(scoped.n_ratings, dtype=np.bool_)
        if not late.shape[0]:
            return out
        rows = rows_of(note_ids, self.convicted_notes)
        ok = rows >= 0
        n_notes = np.int64(note_ids.shape[0])
        cells = np.unique(
            (self.convicted_groups[ok] * n_notes + rows[ok]) * _LEVELS + self.convicted_levels[ok]
        )
        if not cells.shape[0]:
            return out
        level = rating_levels(scoped.helpful_num[late])
        mine = (group[late] * n_notes + scoped.note_idx[late].astype(np.int64)) * _LEVELS + level
        pos = np.minimum(np.searchsorted(cells, mine), cells.shape[0] - 1)
        out[late] = cells[pos] == mine
        return out

    def apply(self, view: CoreInputs) -> tuple[CoreInputs, NDArray[np.float64] | None]:
        """``view`` without the ratings the decisions drop, and the weights of the rest
        (None when the batch fits would be unweighted)."""
        if not self.active:
            return view, None
        w = self.weights(view)
        keep = w > 0
        if not keep.all():
            view = replace(
                view,
                scoped=view.scoped.subset(keep),
                scoped_mask=None,
                scoped_correlated=view.scoped_correlated[keep],
            )
            w = w[keep]
        return view, (w if self.weighted else None)


def hold_defences(
    view: CoreInputs, run: ScorerRun, config: ScoringConfig, shared: CoreInputs | None = None
) -> HeldDefences:
    """The decisions of ``run`` (one scorer of a refit) on its unscreened ``view``.

    Parameters
    ----------
    view : ``scorer_inputs(refit.inputs, run.spec)``: the scorer's view before the
        defences, on the refit's data (the flags of ``run`` index its scoped ratings).
    run : the scorer's run (``screening`` and ``defences`` as the roster left them).
    config : the scorer's config (the burst weight, the trust mode).
    shared : the refit's shared inputs, needed when the co-rating pass ran once for the
        whole run (``defences.screen_shared``): its flags index the shared post-PSS ratings.

    Returns
    -------
    HeldDefences
    """
    scoped = view.scoped
    n = scoped.n_ratings
    n_part = view.n_participants
    weight = np.ones(n)
    labels = np.full(n_part, -1, dtype=np.int64)
    idx = np.arange(n)
    screening, defences = run.screening, run.defences
    n_co = 0
    if screening is not None and screening.co_rating is not None:
        co = screening.co_rating
        co_flagged = _view_flags(co.flagged, scoped, n_part, shared)
        weight[idx[co_flagged]] = 0.0
        labels = np.where(co.group >= 0, co.group, labels)
        n_co = int(co.n_groups)
        idx = idx[~co_flagged]
    coordinated = np.zeros(n_part, dtype=np.bool_)
    if screening is not None and screening.bursts is not None:
        b = screening.bursts
        weight[idx[b.flagged]] = 0.0
        coordinated |= b.coordinated
        idx = idx[~b.flagged]
    if screening is not None and screening.unexplained is not None:
        u = screening.unexplained  # on what co-rating and the bursts left
        weight[idx[u.flagged]] = 0.0
        idx = idx[~u.flagged]
    convicted = _convicted(screening.unexplained if screening is not None else None)
    weighted = False
    rater_weights = None
    if defences is not None:
        if defences.bursts is not None:
            b2 = defences.bursts
            coordinated |= b2.coordinated
            rw = config.bursts.rating_weight if config.bursts is not None else 0.0
            weight[idx[b2.flagged]] = rw
            if rw == 0.0:
                idx = idx[~b2.flagged]
            elif b2.flagged.any():
                weighted = True
        if defences.unexplained is not None:
            u2 = defences.unexplained  # on what the side-aware bursts left
            weight[idx[u2.flagged]] = 0.0
            idx = idx[~u2.flagged]
            again = _convicted(u2)
            if again is not None:
                convicted = again if convicted is None else convicted | again
        if defences.trust is not None and config.trust is not None:
            if config.trust.mode == "weight":
                rater_weights = defences.trust.weight.astype(np.float64)
                weighted = True
            else:
                rater_weights = defences.trust.trusted.astype(np.float64)
    labels = np.where((labels < 0) & coordinated, n_co, labels)
    flagged = weight != 1.0
    pair_notes = np.asarray(view.note_ids.ids, dtype=np.str_)[scoped.note_idx[flagged]]
    pair_raters = scoped.rater_idx[flagged].astype(np.int64)
    pair_weights = weight[flagged]
    grouped = labels[pair_raters] >= 0
    cells: dict[tuple[str, int], float] = {}
    for note, label, w in zip(
        pair_notes[grouped].tolist(),
        labels[pair_raters[grouped]].tolist(),
        pair_weights[grouped].tolist(),
        strict=True,
    ):
        key = (note, label)
        cells[key] = min(w, cells.get(key, 1.0))
    out = HeldDefences(
        pair_notes=pair_notes,
        pair_raters=pair_raters,
        pair_weights=pair_weights,
        labels=labels,
        cell_notes=np.asarray([k[0] for k in cells], dtype=np.str_),
        cell_labels=np.asarray([k[1] for k in cells], dtype=np.int64),
        cell_weights=np.asarray(list(cells.values()), dtype=np.float64),
        after_ms=int(scoped.created_at_ms.max()) if n else 0,
        rater_weights=rater_weights,
        weighted=weighted,
    )
    held = _convicted_cells(view, run.inputs, convicted)
    if held is None:
        return out
    member, notes, groups, levels = held
    return replace(
        out,
        convicted=member,
        convicted_notes=notes,
        convicted_groups=groups,
        convicted_levels=levels,
    )


def _convicted(found: UnexplainedResult | None) -> NDArray[np.bool_] | None:
    """The revoked groups an unexplained-ratings test convicted (None: none)."""
    if found is None or found.convicted is None or not found.convicted.any():
        return None
    return found.convicted


def _convicted_cells(
    view: CoreInputs, screened: CoreInputs, convicted: NDArray[np.bool_] | None
) -> tuple[NDArray[np.int64], NDArray[np.str_], NDArray[np.int64], NDArray[np.int64]] | None:
    """``HeldDefences``' conviction fields (None: no group convicted): the convicted
    groups' members (unproven in the scorer's ``screened`` view, as the conviction flags
    only those) and the cells they concentrate on."""
    groups = screened.revoked_groups
    if convicted is None or groups is None:
        return None
    if groups.n_groups != convicted.shape[0] or groups.n_notes != len(view.note_ids):
        raise ValueError(
            f"{convicted.shape[0]} convicted flags and {len(view.note_ids)} notes do not match "
            f"the revoked groups ({groups.n_groups} groups on {groups.n_notes} notes)"
        )
    member = groups.group.copy()
    member[member >= 0] = np.where(convicted[member[member >= 0]], member[member >= 0], -1)
    if screened.established is not None:
        member[screened.established] = -1
    per_group = _LEVELS * groups.n_notes
    g = groups.cells // per_group
    keep = convicted[g]
    cell = groups.cells[keep] % per_group
    note_ids = np.asarray(view.note_ids.ids, dtype=np.str_)
    return member, note_ids[cell // _LEVELS], g[keep], cell % _LEVELS


def _view_flags(
    flagged: NDArray[np.bool_], scoped: Ratings, n_part: int, shared: CoreInputs | None
) -> NDArray[np.bool_]:
    """Co-rating flags on the view's ``scoped`` ratings: ``flagged`` itself when it indexes
    them, else (the run-wide pass) the view's ratings whose (note, rater) pair the pass
    flagged among the shared post-PSS ratings."""
    if flagged.shape[0] == scoped.n_ratings and (
        shared is None or shared.post_pss.n_ratings != scoped.n_ratings
    ):
        return flagged
    if shared is None or shared.post_pss.n_ratings != flagged.shape[0]:
        raise ValueError(
            f"co-rating flags of {flagged.shape[0]} ratings match neither the view "
            f"({scoped.n_ratings}) nor the shared post-PSS ratings"
        )
    post = shared.post_pss
    bad = post.note_idx[flagged].astype(np.int64) * n_part + post.rater_idx[flagged]
    keys = scoped.note_idx.astype(np.int64) * n_part + scoped.rater_idx
    out: NDArray[np.bool_] = np.isin(keys, bad)
    return out
