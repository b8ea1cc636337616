"""One scorer's pass over the changed notes only (scoring-core.md §5, §6; multimodel §11).

With the refit's rater parameters, prescoring and defence decisions frozen, and the tag
aggregates' coupling figures held from the refit (:class:`~bridgewatch.scoring.status
.TagScale`), every per-note figure of a scorer depends on the note's own ratings and on
three run-wide tallies of its main fit, kept here per scorer between passes
(:class:`FitTally`):

- which raters have a rating in the main fit (their frozen factor is "known" to the sign,
  tag and incorrect aggregates, §5.5; NaN otherwise);
- |R| and |N| of the main fit, and the extreme pseudo-raters over its raters (§5.3).

A pass (:func:`rescore_notes`) redoes the changed notes on compact inputs
(:func:`.compact.restrict`), updates the tallies from the changed notes' old and new main-fit
ratings, redoes the notes of any rater who entered or left the main fit, merges the
per-note figures into the previous pass's arrays and re-applies the rule table (§6) to the
changed notes and to the notes whose bounds, low-diligence intercept or previous status
move a rule's predicate (:func:`~bridgewatch.scoring.status.update_core_rules`).
``tests/scoring/incremental/test_notes.py`` checks the result equals a pass over every
note (:func:`.final.rescore_final`).

Core's low-diligence fit (§5.4) is one joint fit: with ``diligence="full"`` it is refitted
over the whole main fit on every pass, the one O(ratings) step left (Core only).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from typing import Any, TypeVar

import numpy as np
from numpy.typing import NDArray

from bridgewatch.model import Ratings
from bridgewatch.scoring.config import ScoringConfig
from bridgewatch.scoring.final import (
    FinalScoringResult,
    NoteAggregates,
    NoteFit,
    assemble_final_result,
    fit_final_low_diligence,
    note_aggregates,
)
from bridgewatch.scoring.incremental.cache import FITS, NoteFitCache, take_rows
from bridgewatch.scoring.incremental.compact import notes_of_raters, restrict
from bridgewatch.scoring.incremental.defences import HeldDefences
from bridgewatch.scoring.incremental.final import (
    FitKind,
    NotePlan,
    _fit_masks,
    _subset,
    fit_rater_factor,
    fit_ratings,
)
from bridgewatch.scoring.incremental.inputs import empty_ratings
from bridgewatch.scoring.incremental.writes import WriteLog, Writer, copy_put
from bridgewatch.scoring.inputs import CoreInputs
from bridgewatch.scoring.mf import (
    BoundGrams,
    PseudoRaterBounds,
    PseudoRaterScale,
    bound_grams,
    bounds_from_grams,
)
from bridgewatch.scoring.preprocess import raters_in_scope
from bridgewatch.scoring.prescoring import PrescoringResult
from bridgewatch.scoring.scorers.scope import scorer_inputs
from bridgewatch.scoring.scorers.spec import ScorerSpec
from bridgewatch.scoring.status import TagScale

__all__ = [
    "FitTally",
    "NotePassResult",
    "ScorerNotes",
    "rescore_notes",
    "scorer_notes",
    "tally_final",
]

_T = TypeVar("_T")


@dataclass(frozen=True)
class FitTally:
    """The run-wide tallies of one scorer's main fit.

    Attributes
    ----------
    rater_counts : int64 array of shape (n_participants,), main-fit ratings per rater.
    note_counts : int64 array of shape (n_notes,), main-fit ratings per note.
    """

    rater_counts: NDArray[np.int64]
    note_counts: NDArray[np.int64]

    @property
    def n_ratings(self) -> int:
        """|R| of the main fit."""
        return int(self.note_counts.sum())

    @property
    def n_fit_notes(self) -> int:
        """|N| of the main fit."""
        return int(np.count_nonzero(self.note_counts))


def tally_final(final: FinalScoringResult, n_notes: int) -> FitTally:
    """The tallies of a pass over every note (its ``main.ratings`` are the whole fit)."""
    fr = final.main.ratings
    return FitTally(
        rater_counts=np.bincount(fr.rater_idx, minlength=fr.n_participants).astype(np.int64),
        note_counts=np.bincount(fr.note_idx, minlength=n_notes).astype(np.int64),
    )


@dataclass(frozen=True)
class ScorerNotes:
    """What a scorer carries from one pass to the next (over the same note index).

    Attributes
    ----------
    aggregates : the pass's per-note aggregates (§5.5) over every note.
    cache : its fits and low-diligence intercepts per note (:class:`NoteFitCache`).
    tally : its main fit's tallies.
    grams : its pseudo-rater normal equations per note (None: no pseudo-raters).
    final : the pass's final scoring, whose rule outcomes the next pass keeps for the notes
        whose rule inputs did not change (None: the next pass applies the rules to every
        note).
    owned : whether the per-note arrays that a pass over the changed notes sets rows of
        (aggregates, fits, tallies, normal equations, the final tag and incorrect figures)
        belong to this state alone: made by such a pass, not shared with a refit's or a
        full pass's results. Only then may the next pass write them in place.
    """

    aggregates: NoteAggregates
    cache: NoteFitCache
    tally: FitTally
    grams: BoundGrams | None
    final: FinalScoringResult | None = None
    owned: bool = False

    def aligned(self, old_rows: NDArray[np.int64], note_ids: NDArray[np.str_]) -> ScorerNotes:
        """The state on a grown note index: ``old_rows`` gives each note's row in this
        state's index (-1: a new note, which the pass redoes)."""
        return ScorerNotes(
            aggregates=_take(self.aggregates, old_rows),
            cache=self.cache.aligned(note_ids),
            tally=FitTally(self.tally.rater_counts, take_rows(self.tally.note_counts, old_rows, 0)),
            grams=None if self.grams is None else _take(self.grams, old_rows),
            final=None,
            owned=self.owned,
        )


def _grams(
    chosen: Ratings, n_notes: int, pre: PrescoringResult, config: ScoringConfig
) -> BoundGrams:
    return bound_grams(
        chosen.note_idx,
        chosen.rater_idx,
        chosen.helpful_num,
        n_notes=n_notes,
        rater_intercepts=pre.final_round.rater_intercepts,
        rater_factors=pre.final_round.rater_factors,
        global_intercept=pre.final_round.global_intercept,
        config=config.mf,
    )


def scorer_notes(
    final: FinalScoringResult,
    cache: NoteFitCache,
    pre: PrescoringResult,
    config: ScoringConfig,
) -> ScorerNotes | None:
    """The state a pass over every note leaves (its ``main.ratings`` are the whole fit);
    None when its main fit has no rating (the next pass goes over every note again)."""
    if not final.main.ratings.n_ratings:
        return None
    n_notes = final.main.intercept.shape[0]
    grams = _grams(final.main.ratings, n_notes, pre, config) if config.pseudo_raters else None
    # The tag and incorrect figures are masked outside the Core rows already; a note keeps
    # its row status unless redone, so masking them again later changes nothing.
    # The row mask before the capture guard's (``final._guarded_undecided``): a guarded note
    # without a verdict keeps no row, and a pass that does not redo it drops it again.
    scored = final.scored
    if final.guarded is not None:
        scored = scored | (final.guarded & (final.signs.num_ratings > 0))
    aggregates = NoteAggregates(
        final.signs,
        final.tags,
        final.incorrect,
        scored,
        final.num_final_round_ratings,
        final.guarded,
    )
    return ScorerNotes(aggregates, cache, tally_final(final, n_notes), grams, final)


@dataclass(frozen=True)
class NotePassResult:
    """One scorer's pass over the changed notes.

    Attributes
    ----------
    final : equal to a pass over every note.
    notes : the state for the next pass.
    resolved : int64 rows of the notes redone.
    in_scope : bool per participant, the scorer's rater scope (its view's).
    """

    final: FinalScoringResult
    notes: ScorerNotes
    resolved: NDArray[np.int64]
    in_scope: NDArray[np.bool_]


def _scatter(
    prev: _T, part: _T, rows: NDArray[np.int64], keep: frozenset[str], put: Writer = copy_put
) -> _T:
    """``prev`` with rows ``rows`` of every per-note array field set from ``part`` (by
    ``put``); the fields in ``keep`` (run-wide figures) are taken from ``part`` whole."""
    changes: dict[str, Any] = {}
    for f in fields(prev):  # type: ignore[arg-type]
        new = getattr(part, f.name)
        if f.name in keep:
            changes[f.name] = new
            continue
        changes[f.name] = put(getattr(prev, f.name), rows, new)
    return replace(prev, **changes)  # type: ignore[type-var]


_GRAMS_WIDE = frozenset({"mu"})
_TAGS_WIDE = frozenset({"distance_scale"})


def _take(obj: _T, rows: NDArray[np.int64]) -> _T:
    """Every per-note array field of a dataclass tree re-indexed by ``rows`` (-1: a zero,
    NaN or False row); run-wide scalars and the tag scale kept."""
    changes: dict[str, Any] = {}
    for f in fields(obj):  # type: ignore[arg-type]
        value = getattr(obj, f.name)
        if isinstance(value, np.ndarray):
            fill: Any = np.nan if value.dtype.kind == "f" else 0
            changes[f.name] = take_rows(value, rows, fill if value.dtype.kind != "b" else False)
        elif hasattr(value, "__dataclass_fields__"):
            changes[f.name] = _take(value, rows)
        else:
            changes[f.name] = value
    return replace(obj, **changes)  # type: ignore[type-var]


def _rater_delta(
    new_raters: NDArray[np.integer], old_raters: NDArray[np.integer], n_participants: int
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """The raters with a rating among ``new_raters`` or ``old_raters`` (ascending: the
    union of the two), and each one's count in the first minus its count in the second.

    Two counts over the participants instead of a sorted union and two searches (the
    main-fit ratings of the changed notes, twice per scorer and pass)."""
    new = np.bincount(new_raters, minlength=n_participants)
    old = np.bincount(old_raters, minlength=n_participants)
    raters = np.flatnonzero((new > 0) | (old > 0)).astype(np.int64)
    return raters, (new[raters] - old[raters]).astype(np.int64)


def _merge_aggregates(
    prev: NoteAggregates, part: NoteAggregates, rows: NDArray[np.int64], put: Writer
) -> NoteAggregates:
    """The previous pass's aggregates with the redone notes' replaced (by ``put``)."""
    return NoteAggregates(
        signs=_scatter(prev.signs, part.signs, rows, frozenset(), put),
        tags=_scatter(prev.tags, part.tags, rows, _TAGS_WIDE, put),
        incorrect=_scatter(prev.incorrect, part.incorrect, rows, frozenset(), put),
        scored=put(prev.scored, rows, part.scored),
        num_final_round_ratings=put(
            prev.num_final_round_ratings, rows, part.num_final_round_ratings
        ),
        guarded=None
        if part.guarded is None
        else put(
            np.zeros_like(prev.scored) if prev.guarded is None else prev.guarded,
            rows,
            part.guarded,
        ),
    )


def _pseudo_scale(
    used: NDArray[np.bool_], tally: FitTally, pre: PrescoringResult
) -> PseudoRaterScale:
    """|R|, |N| and the pseudo-raters of the whole main fit (as ``pseudo_rater_bounds``
    takes them over all its ratings)."""
    ri = np.nan_to_num(np.asarray(pre.final_round.rater_intercepts, dtype=np.float64))
    rf = np.nan_to_num(np.asarray(pre.final_round.rater_factors, dtype=np.float64))
    return PseudoRaterScale(
        n_ratings=tally.n_ratings,
        n_fit_notes=tally.n_fit_notes,
        pseudo_intercept=float(np.min(ri[used])),
        pseudo_factors=np.array([np.min(rf[used, 0]), 0.0, np.max(rf[used, 0])]),
    )


def _view(
    shared: CoreInputs,
    spec: ScorerSpec,
    defences: HeldDefences,
    in_scope: NDArray[np.bool_] | None = None,
) -> tuple[CoreInputs, NDArray[np.float64] | None]:
    return defences.apply(scorer_inputs(shared, spec, in_scope))


def rescore_notes(
    shared: CoreInputs,
    changed: tuple[CoreInputs, CoreInputs],
    rows: NDArray[np.int64],
    spec: ScorerSpec,
    defences: HeldDefences,
    pre: PrescoringResult,
    align: Any,
    config: ScoringConfig,
    make_plan: Callable[[CoreInputs], NotePlan],
    state: ScorerNotes,
    tag_scale: TagScale,
    in_scope: NDArray[np.bool_] | None = None,
    log: WriteLog | None = None,
) -> NotePassResult:
    """One scorer's pass that redoes only the notes at ``rows`` (see the module docstring).

    Parameters
    ----------
    shared : the pass's shared inputs (every note).
    changed : the changed notes' inputs in this pass and in the previous one
        (:func:`.compact.restrict` of both passes' shared inputs on ``rows``, the previous
        one without the notes it did not have; made once per pass for every scorer).
    rows : int64, ascending rows of the notes whose inputs changed since the previous pass.
    spec, defences : the scorer and its held defence decisions.
    pre : its prescoring aligned on ``shared.note_ids``.
    align : callable (note ids) -> the prescoring aligned on those notes.
    config : the scorer's config; make_plan : its note fit on given inputs
        (``plan.diligence`` as in :func:`.final.rescore_final`).
    state : its :class:`ScorerNotes` from the previous pass, on ``shared``'s note index
        (:meth:`ScorerNotes.aligned`).
    tag_scale : the refit's tag scale (finite).
    in_scope : bool per participant, the scorer's rater scope when already known
        (``raters_in_scope`` of ``shared``'s participants); None: found here.
    log : where the rows of ``state``'s arrays are written in place when ``state.owned``
        (:mod:`.writes`; ``state`` then holds this pass's figures too, and ``log.undo``
        restores it); None, or a state that is not owned: copies (``state`` is unchanged).

    Returns
    -------
    NotePassResult
    """
    plan = make_plan(shared)
    compact, old = changed
    # Every view of the pass has the same participants: the rater scope is found once.
    if in_scope is None:
        in_scope = raters_in_scope(shared.modeling_group, shared.enrolled, spec.config.scope)
    view, weights = _view(compact, spec, defences, in_scope)
    pre_c = align(compact.note_ids.ids)
    chosen = fit_ratings(view.scoped, weights, pre_c, config, plan)
    old_view, old_weights = _view(old, spec, defences, in_scope)
    pre_o = pre_c if old.note_ids.ids.shape == compact.note_ids.ids.shape else None
    if pre_o is None:
        pre_o = align(old.note_ids.ids)
    old_chosen = fit_ratings(old_view.scoped, old_weights, pre_o, config, plan)

    put: Writer = log.put if log is not None and state.owned else copy_put
    tally = state.tally
    touched_raters, delta = _rater_delta(
        chosen.rater_idx, old_chosen.rater_idx, tally.rater_counts.shape[0]
    )
    delta = delta.astype(tally.rater_counts.dtype, copy=False)
    was = tally.rater_counts[touched_raters]
    flipped = touched_raters[(was + delta > 0) != (was > 0)]
    counts = put(tally.rater_counts, touched_raters, was + delta)
    note_counts = put(
        tally.note_counts, rows, np.bincount(chosen.note_idx, minlength=rows.shape[0])
    )
    tally = FitTally(counts, note_counts)
    if flipped.shape[0]:
        # A rater entered or left the main fit: the aggregates of every note they rated read
        # their factor, so those notes are redone too (their fits do not change).
        rows = np.union1d(rows, notes_of_raters(shared, flipped)).astype(np.int64)
        compact = restrict(shared, rows)
        view, weights = _view(compact, spec, defences, in_scope)
        pre_c = align(compact.note_ids.ids)
        chosen = fit_ratings(view.scoped, weights, pre_c, config, plan)

    cache = state.cache
    intercepts = {name: cache.intercepts[name] for name in FITS}
    factors = {name: cache.factors[name] for name in FITS}
    if plan.kind is not FitKind.HELD and rows.shape[0]:
        fitter = make_plan(compact).fitter
        assert fitter is not None
        for name, (mask, ratio) in _fit_masks(view, pre_c, config).items():
            ratings, w = _subset(view.scoped, weights, mask)
            if not ratings.n_ratings:
                # No changed note has a rating in this fit: none has parameters.
                intercepts[name] = put(intercepts[name], rows, np.nan)
                factors[name] = put(factors[name], rows, np.nan)
                continue
            fit = fitter(ratings, pre_c, config, ratio, w)
            intercepts[name] = put(intercepts[name], rows, fit.intercept)
            factors[name] = put(factors[name], rows, fit.factor)
    if put is copy_put:
        # (Every array of the new state is its own: the next pass may write it in place.)
        intercepts = {
            k: v if v is not cache.intercepts[k] else v.copy() for k, v in intercepts.items()
        }
        factors = {k: v if v is not cache.factors[k] else v.copy() for k, v in factors.items()}
    used = counts > 0
    rater_factor = fit_rater_factor(used, pre, plan, cache)
    main_c = NoteFit(chosen, intercepts["main"][rows], factors["main"][rows], rater_factor)
    part = note_aggregates(view, pre_c, config, main_c, tag_scale)
    aggregates = _merge_aggregates(state.aggregates, part, rows, put)

    bounds: PseudoRaterBounds | None = None
    grams = state.grams
    if grams is not None:
        if chosen.n_ratings:
            part_grams = _grams(chosen, rows.shape[0], pre, config)
        else:
            k = rows.shape[0]
            zero = np.zeros(k, dtype=np.int64)
            part_grams = BoundGrams(
                np.zeros((k, 2, 2)), np.zeros((k, 2)), zero, zero.copy(), zero.copy(), grams.mu
            )
        grams = _scatter(grams, part_grams, rows, _GRAMS_WIDE, put)
        if tally.n_ratings:
            bounds = bounds_from_grams(grams, _pseudo_scale(used, tally, pre), config.mf)

    diligence = None
    low_diligence = cache.low_diligence  # (read only)
    if plan.diligence == "full" and tally.n_ratings:
        full_view, full_weights = _view(shared, spec, defences, in_scope)
        fr = fit_ratings(full_view.scoped, full_weights, pre, config, plan)
        diligence = fit_final_low_diligence(fr, full_view, pre, config)
        low_diligence = diligence.note_intercepts
    main = NoteFit(
        empty_ratings(shared.note_ids, shared.participant_ids),
        intercepts["main"],
        factors["main"],
        rater_factor,
    )
    final = assemble_final_result(
        shared,
        pre,
        config,
        main=main,
        bounds=bounds,
        diligence=diligence,
        low_diligence=low_diligence,
        intercept_no_high_vol=intercepts["no_high_vol"],
        intercept_no_correlated=intercepts["no_correlated"],
        intercept_population_sampled=intercepts["population"],
        aggregates=aggregates,
        previous=state.final,
        rows=rows,
        put=put,
    )
    fingerprints = cache.fingerprints
    if not state.owned:
        # (A pass over the changed notes fingerprints none: an owned state's are all NaN.)
        fingerprints = {k: np.full_like(v, np.nan) for k, v in fingerprints.items()}
    new_cache = replace(
        cache,
        intercepts=intercepts,
        factors=factors,
        fingerprints=fingerprints,
        low_diligence=low_diligence if diligence is not None else cache.low_diligence,
    )
    notes = ScorerNotes(aggregates, new_cache, tally, grams, final, owned=True)
    return NotePassResult(final, notes, rows, view.in_scope)
