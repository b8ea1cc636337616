"""Each scorer's slice of the shared preprocessed inputs (scoring-multimodel.md §2.2, §2.3).

The shared preprocessing (scoring-core.md §2.3, PSS, topic assignment) runs once; a scorer
sees a view of it whose ``scoped`` ratings, ``in_scope`` raters and ``captured`` notes are
its own. Note and participant indexes are shared, so every scorer's arrays line up.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from bridgewatch.scoring.inputs import CoreInputs
from bridgewatch.scoring.preprocess import capture_mask, raters_in_scope
from bridgewatch.scoring.scorers.spec import ScorerSpec

__all__ = ["ScopeMasks", "capture_share", "scope_masks", "scorer_inputs"]


def capture_share(
    note_idx: NDArray[np.int32], rating_in_scope: NDArray[np.bool_], n_notes: int
) -> NDArray[np.float64]:
    """Share of each note's ratings whose rater is in scope; NaN for notes without ratings.

    Parameters
    ----------
    note_idx : int32 array of shape (n_ratings,), the note of every post-PSS rating.
    rating_in_scope : bool array of shape (n_ratings,).
    n_notes : size of the note index.
    """
    total = np.bincount(note_idx, minlength=n_notes)
    hits = np.bincount(note_idx, weights=rating_in_scope.astype(np.float64), minlength=n_notes)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray(hits / total, dtype=np.float64)


@dataclass(frozen=True)
class ScopeMasks:
    """What decides a scorer's view (``scorer_inputs``), before any array is sliced.

    Attributes
    ----------
    in_scope : bool array of shape (n_participants,), raters in the scorer's population.
    note_ok : bool array of shape (n_notes,), notes in its note scope (topic filters,
        strict inclusion).
    captured : bool array of shape (n_notes,), notes whose results it keeps (capture share).

    Two scorers with equal ``in_scope`` and ``note_ok`` see the same scoped ratings.
    """

    in_scope: NDArray[np.bool_]
    note_ok: NDArray[np.bool_]
    captured: NDArray[np.bool_]


def scope_masks(
    shared: CoreInputs, spec: ScorerSpec, in_scope: NDArray[np.bool_] | None = None
) -> ScopeMasks:
    """The masks of ``spec``'s view of ``shared`` (see ``scorer_inputs``): O(ratings) counting,
    no copy of the ratings. ``in_scope``: the scorer's raters when already known
    (``raters_in_scope`` of the same participants)."""
    scope = spec.config.scope
    post = shared.post_pss
    n_notes = shared.n_notes
    if in_scope is None:
        in_scope = raters_in_scope(shared.modeling_group, shared.enrolled, scope)
    rating_in_scope = in_scope[post.rater_idx]
    cap_note, cap_in_scope = post.note_idx, rating_in_scope
    established, guard = shared.established, spec.config.establishment
    if established is not None and guard is not None and guard.guard_capture:
        counted = rating_in_scope | established[post.rater_idx]
        cap_note, cap_in_scope = post.note_idx[counted], rating_in_scope[counted]
    topic = shared.note_topic
    if spec.topic is not None:
        note_ok = topic == spec.topic
    elif spec.exclude_topics:
        note_ok = topic < 0
    else:
        note_ok = np.ones(n_notes, dtype=np.bool_)
    if spec.strict_inclusion and scope.min_capture_share is not None:
        share = capture_share(cap_note, cap_in_scope, n_notes)
        with np.errstate(invalid="ignore"):
            note_ok = note_ok & (share >= scope.min_capture_share)
    captured = capture_mask(cap_note, cap_in_scope, n_notes, scope) & note_ok
    return ScopeMasks(in_scope, note_ok, captured)


def scorer_inputs(
    shared: CoreInputs, spec: ScorerSpec, in_scope: NDArray[np.bool_] | None = None
) -> CoreInputs:
    """The view of ``shared`` that ``spec`` scores.

    Rater scope from ``spec.config.scope`` (§1.3: in group, unassigned when included, never
    an enrolled rater without a group); note scope from the topic filters (§2.2 steps 1-2)
    and strict inclusion (step 4); capture over all post-PSS ratings (§2.3). Without a
    capture threshold every note of the note scope is captured.

    Parameters
    ----------
    shared : the run's preprocessed inputs (Core's view: their ``scoped``/``captured`` are
        replaced here).
    spec : ScorerSpec
    in_scope : bool per participant, the scorer's raters when already known (the same
        participants: an incremental pass makes several views of one scorer).

    Returns
    -------
    CoreInputs
    """
    masks = scope_masks(shared, spec, in_scope)
    post = shared.post_pss
    mask = masks.in_scope[post.rater_idx] & masks.note_ok[post.note_idx]
    if _holds(shared, mask):  # Core's view, say: the ratings are already cut (no copy)
        # Detached: the columns the scorer's fits gather leave with its view, instead of
        # staying cached in the shared inputs for the rest of the roster (~25 bytes per
        # rating: 2.3 GiB of Core's at 150M ratings).
        scoped, scoped_correlated = shared.scoped.detached(), shared.scoped_correlated
    else:
        scoped, scoped_correlated = post.subset(mask), shared.correlated[mask]
    return replace(
        shared,
        scoped=scoped,
        scoped_correlated=scoped_correlated,
        in_scope=masks.in_scope,
        captured=masks.captured,
        scoped_mask=mask,
    )


def _holds(shared: CoreInputs, mask: NDArray[np.bool_]) -> bool:
    """Whether ``shared.scoped`` is ``post_pss`` cut by ``mask`` (``CoreInputs.scoped_mask``)."""
    known = shared.scoped_mask
    return (
        known is not None
        and known.shape == mask.shape
        and shared.scoped.n_ratings == shared.scoped_correlated.shape[0] == int(known.sum())
        and bool(np.array_equal(known, mask))
    )
