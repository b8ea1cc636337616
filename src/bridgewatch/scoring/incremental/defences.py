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
* the raters trust propagation filtered out stay out (``"weight"`` mode: keep their weight).

At the refit's own data the result equals the batch's final-fit inputs and weights.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from bridgewatch.model import Ratings
from bridgewatch.scoring.config import ScoringConfig
from bridgewatch.scoring.incremental.cache import rows_of
from bridgewatch.scoring.inputs import CoreInputs
from bridgewatch.scoring.scorers.run import ScorerRun

__all__ = ["HeldDefences", "hold_defences"]


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

    @property
    def active(self) -> bool:
        """Whether any decision is held."""
        return bool(self.pair_notes.size) or self.rater_weights is not None or self.weighted

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
        if self.rater_weights is not None:
            out *= self.rater_weights[rater_idx]
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
    return HeldDefences(
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
