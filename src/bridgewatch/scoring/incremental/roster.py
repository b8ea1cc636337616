"""Every scorer of the roster kept current between refits (scoring-multimodel.md §11).

A refit is a batch ``score`` of the whole roster; :func:`roster_refit` keeps of it what the
passes until the next refit hold frozen: each scorer's prescoring (its own, or the one a
Gaussian scorer borrows), its defence decisions (:mod:`.defences`), the PSS groups and a
fit cache per scorer. :func:`rescore_roster` then runs one pass over the current ratings:
the shared rating-level preprocessing, each scorer's view (rater scope, topic filter,
capture), the held defence decisions, the scorer's note re-solves with its rater parameters
frozen (:func:`.final.rescore_final`), the family columns (group, multi-group and topic
membership), the meta chain and the status history, as ``score`` runs them.

What cannot be updated one note at a time is held at the refit's value and refreshed at
each refit: MFGroupScorer_14's note parameters (its second stage moves raters, multimodel
§4.2), the Reputation scorer's ``coverage*`` columns (one joint reputation fit; no meta
rule reads them, §7) and the tag aggregates' scale (the standardisation of the factors and
the p40 distance of scoring-core.md §5.5d, which would otherwise tie every note's tag
aggregates to every rating).

With the previous pass given, a pass redoes only the notes whose ratings changed
(:mod:`.compact`, :mod:`.notes`): per scorer it keeps its main fit's run-wide tallies and
each note's figures, so its cost follows the changed notes and the number of notes, not
the number of ratings; the result equals a pass over every note.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any

import numpy as np
import polars as pl
from numpy.typing import NDArray

from bridgewatch.model import IdIndex
from bridgewatch.scoring.config import ScoringConfig
from bridgewatch.scoring.final import FinalScoringResult, fit_final_notes
from bridgewatch.scoring.history import StatusHistory, update_status_history
from bridgewatch.scoring.incremental.cache import (
    NoteFitCache,
    align_prescoring,
    prescoring_on_rows,
    rows_of,
    take_rows,
)
from bridgewatch.scoring.incremental.compact import (
    changed_notes,
    merge_tag_counts,
    note_prints,
    notes_of_raters,
    restrict,
    update_prints,
)
from bridgewatch.scoring.incremental.defences import HeldDefences, hold_defences
from bridgewatch.scoring.incremental.final import (
    FitKind,
    IncrementalConfig,
    NotePlan,
    cache_from_final,
    rescore_final,
)
from bridgewatch.scoring.incremental.notes import ScorerNotes, rescore_notes, scorer_notes
from bridgewatch.scoring.incremental.writes import WriteLog
from bridgewatch.scoring.inputs import CoreInputs
from bridgewatch.scoring.meta import MetaResult
from bridgewatch.scoring.outputs import build_scored_notes
from bridgewatch.scoring.preprocess import raters_in_scope
from bridgewatch.scoring.preprocess.config import CoreScopeConfig
from bridgewatch.scoring.prescoring import PrescoringResult
from bridgewatch.scoring.run import ScoringResult, core_note_scores, topic_names
from bridgewatch.scoring.scorers import (
    CORE_NAME,
    RosterResult,
    ScorerKind,
    ScorerRun,
    ScorerSpec,
    family_columns,
    scored_note_columns,
)
from bridgewatch.scoring.scorers.columns import ColumnCache, FamilyColumns
from bridgewatch.scoring.scorers.gaussian_fit import gaussian_note_fitter
from bridgewatch.scoring.scorers.meta import roster_meta
from bridgewatch.scoring.scorers.scope import scorer_inputs
from bridgewatch.scoring.scorers.spec import Family
from bridgewatch.scoring.status import TagCounts, TagScale, count_tags, tag_scale

__all__ = [
    "HELD_SCORERS_NOTE",
    "LivePass",
    "RosterRefit",
    "ScorerRefit",
    "rescore_roster",
    "roster_refit",
]

_log = logging.getLogger(__name__)

HELD_SCORERS_NOTE = {
    "normalized": "held at the last refit: its second stage moves raters (multimodel §4.2)",
    "reputation": "held at the last refit: one joint reputation fit (multimodel §7)",
}


@dataclass(frozen=True)
class ScorerRefit:
    """What one final-phase scorer holds frozen until the next refit.

    Attributes
    ----------
    spec : the scorer.
    prescoring : its prescoring (MF) or the borrowed one (Gaussian), note arrays over the
        refit's notes.
    kind : how its note fits are redone (FitKind).
    defences : its defence decisions.
    cache : the refit's final fits, the first pass's cache.
    tag_scale : the refit's tag-aggregate coupling figures (standardisation and p40 of
        §5.5d), held until the next refit so each note's tag aggregates depend on its own
        ratings (None: the refit had no factors to take them from).
    """

    spec: ScorerSpec
    prescoring: PrescoringResult
    kind: FitKind
    defences: HeldDefences
    cache: NoteFitCache
    tag_scale: TagScale | None = None


@dataclass(frozen=True)
class HeldColumns:
    """A family's per-note columns held from the refit (the Reputation scorer's)."""

    note_ids: NDArray[np.str_]
    columns: FamilyColumns

    def aligned(self, note_ids: NDArray[np.str_]) -> FamilyColumns:
        """The held rows on ``note_ids`` (notes the refit did not know: no row)."""
        rows = rows_of(self.note_ids, note_ids)
        c = self.columns
        out = FamilyColumns.empty(note_ids.shape[0])
        out.intercept = take_rows(c.intercept, rows, np.nan)
        out.factor = take_rows(c.factor, rows, np.nan)
        out.status = take_rows(c.status, rows, -1)
        out.scorer = take_rows(c.scorer, rows, "")
        return out


@dataclass(frozen=True)
class RosterRefit:
    """One full refit of the roster: what every pass until the next refit holds frozen.

    Attributes
    ----------
    participant_ids : the refit's participant index (raters it does not know wait).
    note_ids : the refit's notes (sorted).
    roster : the scorers, in roster order.
    scorers : final-phase scorers with results, by name.
    skipped : final-phase scorers without results at the refit, with the reason.
    coverage : the Reputation scorer's held columns, or None.
    rater_cluster, rater_quasi_clique : the refit's PSS groups (None: none).
    as_of_ms : the refit's "now".
    established : bool per participant, the raters the refit counted as established (the
        capture-share guard of the defences), or None without that defence. Held until the
        next refit, like the PSS groups.
    proven : bool per participant, ``established`` without the raters whose establishment
        the co-rating defence revoked (``CoRatingConfig.revoke_established``: aged accounts
        that co-rate far beyond the null) and Core's unexplained-ratings tests did not
        give back (``ScorerRun.restored``: their group acquitted); the coordination
        watch's proven record. None: ``established``.
    """

    participant_ids: IdIndex
    note_ids: NDArray[np.str_]
    roster: tuple[ScorerSpec, ...]
    scorers: dict[str, ScorerRefit]
    skipped: dict[str, str]
    coverage: HeldColumns | None
    rater_cluster: NDArray[np.int64] | None
    rater_quasi_clique: NDArray[np.int64] | None
    as_of_ms: int
    established: NDArray[np.bool_] | None = None
    proven: NDArray[np.bool_] | None = None

    @property
    def proven_raters(self) -> NDArray[np.bool_] | None:
        """The raters with a proven record for the watch (``proven``, else
        ``established``; None without the establishment defence)."""
        return self.established if self.proven is None else self.proven

    @property
    def flagged_raters(self) -> NDArray[np.bool_]:
        """Raters in a group some scorer's defences flagged or convicted at the refit (bool
        per participant): the coordination watch counts them."""
        out = np.zeros(len(self.participant_ids), dtype=np.bool_)
        for scorer in self.scorers.values():
            out |= scorer.defences.flagged_raters
        return out

    @property
    def held(self) -> dict[str, str]:
        """Scorers whose figures are held at the refit between refits, with the reason."""
        out = {
            name: HELD_SCORERS_NOTE["normalized"]
            for name, s in self.scorers.items()
            if s.kind is FitKind.HELD
        }
        if self.coverage is not None:
            for name in set(self.coverage.columns.scorer.tolist()) - {""}:
                out[str(name)] = HELD_SCORERS_NOTE["reputation"]
        return out


def _kind(spec: ScorerSpec) -> FitKind:
    if spec.kind is ScorerKind.GAUSSIAN:
        return FitKind.GAUSSIAN
    if spec.config.mf.normalized_loss is not None:
        return FitKind.HELD
    return FitKind.MF


def roster_refit(result: ScoringResult) -> RosterRefit:
    """The frozen state of a batch ``score`` run (with its ``roster``) for the passes.

    Parameters
    ----------
    result : ``score(dataset, config, ...)`` on the refit's data.

    Returns
    -------
    RosterRefit
    """
    if result.roster is None:
        raise ValueError("the result has no roster (score() always sets it)")
    shared = result.inputs
    roster = tuple(r.spec for r in result.roster.runs.values())
    scorers: dict[str, ScorerRefit] = {}
    skipped: dict[str, str] = {}
    coverage: HeldColumns | None = None
    note_ids = np.asarray(shared.note_ids.ids, dtype=np.str_)
    for run in result.roster.runs.values():
        spec = run.spec
        if not spec.final:
            continue
        if spec.kind is ScorerKind.REPUTATION:
            if run.reputation is not None:
                held = family_columns(RosterResult({spec.name: run}), shared.n_notes)
                coverage = HeldColumns(note_ids, held[spec.family])
            else:
                skipped[spec.name] = run.skipped or "no result"
            continue
        if run.final is None or run.prescoring is None:
            skipped[spec.name] = run.skipped or "no result"
            continue
        view = scorer_inputs(shared, spec)
        defences = hold_defences(view, run, spec.config, shared)
        defended, weights = defences.apply(view)
        cache = cache_from_final(defended, run.prescoring, spec.config, run.final, weights)
        scale = tag_scale(run.final.tags, run.final.main.factor, run.final.main.rater_factor)
        scorers[spec.name] = ScorerRefit(
            spec,
            run.prescoring,
            _kind(spec),
            defences,
            cache,
            scale if scale.finite else None,
        )
    return RosterRefit(
        participant_ids=shared.participant_ids,
        note_ids=note_ids,
        roster=roster,
        scorers=scorers,
        skipped=skipped,
        coverage=coverage,
        rater_cluster=shared.rater_cluster,
        rater_quasi_clique=shared.rater_quasi_clique,
        as_of_ms=result.as_of_ms,
        established=shared.established,
        proven=_proven(result, shared.established),
    )


def _proven(
    result: ScoringResult, established: NDArray[np.bool_] | None
) -> NDArray[np.bool_] | None:
    """``established`` as the Core scorer's view saw it: without the raters the run-wide
    co-rating pass revoked, unless Core's tests acquitted their group
    (``ScorerRun.restored``) (None: no Core view with that mask)."""
    core = None if result.roster is None else result.roster.runs.get(CORE_NAME)
    seen = None if core is None else core.inputs.established
    if established is None or seen is None or seen.shape != established.shape:
        return None
    if core is not None and core.restored is not None and core.restored.shape == seen.shape:
        seen = seen | core.restored
    out: NDArray[np.bool_] = established & seen
    return out


@dataclass(frozen=True)
class LivePass:
    """One pass over the roster; note arrays follow ``inputs.note_ids``.

    Attributes
    ----------
    inputs : the shared preprocessed inputs of the pass.
    runs : every final-phase scorer's run (view after the held defences, prescoring,
        final scoring).
    families : every family's coalesced columns (as ``scored_notes`` writes them).
    meta : the meta chain's result; history : the new status history.
    tag_counts : tag counts over the post-PSS ratings.
    caches : per-scorer caches for the next pass.
    resolved : bool (n_notes,), notes some scorer re-solved in this pass.
    held : scorers held at the refit (name -> why).
    refit : the refit the pass ran on.
    prints : float64 (n_notes, 3), each note's fingerprint (:func:`.compact.note_prints`).
    notes : each scorer's state for a next pass over the changed notes only.
    """

    inputs: CoreInputs
    runs: RosterResult
    families: dict[Family, FamilyColumns]
    meta: MetaResult
    history: StatusHistory
    tag_counts: TagCounts
    caches: dict[str, NoteFitCache]
    resolved: NDArray[np.bool_]
    held: dict[str, str] = field(default_factory=dict)
    refit: RosterRefit | None = None
    prints: NDArray[np.float64] | None = None
    notes: dict[str, ScorerNotes] = field(default_factory=dict)

    @property
    def core(self) -> FinalScoringResult:
        """Core's final scoring (Core always runs)."""
        final = self.runs[CORE_NAME].final
        assert final is not None
        return final

    def scored_notes(self, as_of_ms: int, config: ScoringConfig) -> pl.DataFrame:
        """The ``scored_notes`` table of the pass, built as ``score`` builds it."""
        inputs = self.inputs
        return build_scored_notes(
            note_ids=inputs.note_ids.ids,
            classification=inputs.note_info.classification,
            num_ratings=np.bincount(inputs.post_pss.note_idx, minlength=inputs.n_notes).astype(
                np.int64
            ),
            core=core_note_scores(self.core, inputs.n_notes),
            rules=self.core.rules,
            meta=self.meta,
            history=self.history,
            epoch_ms=as_of_ms,
            extra=scored_note_columns(self.families, topic_names(config)),
        )

    def scorer_columns(self, config: ScoringConfig) -> dict[str, Any]:
        """Every non-Core family's ``scored_notes`` columns (name -> per-note values)."""
        return scored_note_columns(self.families, topic_names(config))


class PrescoringAligner:
    """Each scorer's refit prescoring and the held Reputation columns re-indexed onto the
    current notes (cached per index), and each rater scope of the participants (cached per
    participant arrays)."""

    def __init__(self) -> None:
        self._key: tuple[int, NDArray[np.str_]] | None = None
        self._pre: dict[str, PrescoringResult] = {}
        self._coverage: FamilyColumns | None = None
        self._scope_key: tuple[NDArray[np.int64], NDArray[np.bool_]] | None = None
        self._scopes: dict[CoreScopeConfig, NDArray[np.bool_]] = {}
        self._rows_base: NDArray[np.str_] | None = None
        self._note_rows: list[tuple[NDArray[np.str_], NDArray[np.int64]]] = []
        # The family columns' object columns of the last pass (each pass checks them).
        self.columns = ColumnCache()

    def _keyed(self, refit: RosterRefit, note_ids: NDArray[np.str_]) -> None:
        """Drop the cached alignments unless they are of ``refit`` and ``note_ids``."""
        key = self._key
        # (The same array object on every pass until the note index changes: the O(notes)
        # string comparison is only needed when it is another object.)
        if (
            key is None
            or key[0] != id(refit)
            or (key[1] is not note_ids and not np.array_equal(key[1], note_ids))
        ):
            self._key = (id(refit), note_ids)
            self._pre = {}
            self._coverage = None

    def get(self, refit: RosterRefit, name: str, note_ids: NDArray[np.str_]) -> PrescoringResult:
        self._keyed(refit, note_ids)
        pre = self._pre.get(name)
        if pre is None:
            pre = align_prescoring(refit.scorers[name].prescoring, refit.note_ids, note_ids)
            self._pre[name] = pre
        return pre

    def coverage(self, refit: RosterRefit, note_ids: NDArray[np.str_]) -> FamilyColumns | None:
        """The refit's held Reputation columns on ``note_ids`` (cached with the aligned
        prescoring: they change only with the refit or the note index). The passes only
        read them."""
        if refit.coverage is None:
            return None
        self._keyed(refit, note_ids)
        if self._coverage is None:
            self._coverage = refit.coverage.aligned(note_ids)
        return self._coverage

    def get_notes(
        self, refit: RosterRefit, name: str, note_ids: NDArray[np.str_]
    ) -> PrescoringResult:
        """The refit prescoring of ``name`` on a few notes (the pass's changed notes; not
        cached). Every scorer of a pass aligns on the same few notes: their rows in the
        refit's notes are found once per note array (the string search was a scorer's
        largest fixed cost) and each scorer's prescoring is taken on them."""
        old = refit.note_ids
        if old.shape == note_ids.shape and np.array_equal(old, note_ids):
            return refit.scorers[name].prescoring
        return prescoring_on_rows(refit.scorers[name].prescoring, self._rows(refit, note_ids))

    def _rows(self, refit: RosterRefit, note_ids: NDArray[np.str_]) -> NDArray[np.int64]:
        """``rows_of(refit.note_ids, note_ids)``, kept for the last few note arrays while the
        refit's note ids are the same array (another array object with the same ids as a
        kept one finds its rows too)."""
        if self._rows_base is not refit.note_ids:
            self._rows_base = refit.note_ids
            self._note_rows = []
        for ids, rows in self._note_rows:
            if ids is note_ids or (ids.shape == note_ids.shape and np.array_equal(ids, note_ids)):
                return rows
        rows = rows_of(refit.note_ids, note_ids)
        # (A pass aligns the changed notes of this pass and of the previous one, and the
        # widened notes of a scorer whose main fit gained or lost raters.)
        self._note_rows = [(note_ids, rows), *self._note_rows[:3]]
        return rows

    def in_scope(self, shared: CoreInputs, scope: CoreScopeConfig) -> NDArray[np.bool_]:
        """``raters_in_scope`` of ``shared``'s participants, computed once per scope while
        the participant arrays are the same objects (between note-context rebuilds)."""
        key = self._scope_key
        if key is None or key[0] is not shared.modeling_group or key[1] is not shared.enrolled:
            self._scope_key = (shared.modeling_group, shared.enrolled)
            self._scopes = {}
        found = self._scopes.get(scope)
        if found is None:
            found = raters_in_scope(shared.modeling_group, shared.enrolled, scope)
            self._scopes[scope] = found
        return found


def _plan(scorer: ScorerRefit, shared: CoreInputs, incremental: IncrementalConfig) -> NotePlan:
    inc = incremental
    spec = scorer.spec
    diligence = inc.diligence if spec.name == CORE_NAME else inc.roster_diligence
    if scorer.kind is FitKind.GAUSSIAN:
        return NotePlan(
            FitKind.GAUSSIAN,
            gaussian_note_fitter(spec, shared),
            gaussian=spec.gaussian,
            diligence=diligence,
        )
    if scorer.kind is FitKind.HELD:
        return NotePlan(FitKind.HELD, None, diligence="frozen")
    return NotePlan(FitKind.MF, fit_final_notes, diligence=diligence)


def _note_rows(before: CoreInputs, now: CoreInputs) -> NDArray[np.int64] | None:
    """Each note's row in the previous pass's index (-1: new), when only ratings and new
    notes differ between the two passes' inputs; None otherwise (a changed note or rater
    fact, another participant index: the pass goes over every note)."""
    if before.participant_ids is not now.participant_ids and not np.array_equal(
        before.participant_ids.ids, now.participant_ids.ids
    ):
        return None
    old_ids = np.asarray(before.note_ids.ids, dtype=np.str_)
    new_ids = np.asarray(now.note_ids.ids, dtype=np.str_)
    if old_ids.shape == new_ids.shape and np.array_equal(old_ids, new_ids):
        rows = np.arange(new_ids.shape[0], dtype=np.int64)
    else:
        rows = rows_of(old_ids, new_ids)
        if int((rows >= 0).sum()) != old_ids.shape[0]:
            return None  # a note left the index
    kept = rows >= 0
    old = rows[kept]
    pairs = [
        (before.note_topic[old], now.note_topic[kept]),
        (before.in_scope, now.in_scope),
        (before.modeling_group, now.modeling_group),
        (before.enrolled, now.enrolled),
    ]
    pairs += [
        (getattr(before.note_info, f)[old], getattr(now.note_info, f)[kept])
        for f in _NOTE_INFO_FIELDS
    ]
    for x, y in ((before.established, now.established), (before.rater_cluster, now.rater_cluster)):
        if (x is None) != (y is None):
            return None
        if x is not None and y is not None:
            pairs.append((x, y))
    if all(x.shape == y.shape and np.array_equal(x, y) for x, y in pairs):
        return rows
    return None


_NOTE_INFO_FIELDS = ("in_nsh", "in_notes", "created_at_ms", "author_idx", "classification")


def rescore_roster(
    shared: CoreInputs,
    refit: RosterRefit,
    caches: dict[str, NoteFitCache],
    as_of_ms: int,
    config: ScoringConfig,
    incremental: IncrementalConfig | None = None,
    *,
    aligner: PrescoringAligner | None = None,
    previous: LivePass | None = None,
    touched: NDArray[np.int64] | None = None,
    log: WriteLog | None = None,
) -> LivePass:
    """One pass of every scorer over the current ratings (see the module docstring).

    With ``previous`` (the last pass, on the same refit and notes) each scorer redoes only
    the notes whose ratings changed since (:func:`.notes.rescore_notes`); the result is the
    same as a pass over every note.

    Parameters
    ----------
    shared : the pass's shared inputs (``live_inputs`` with the refit's PSS groups), on
        the refit's participant index.
    refit : the last refit.
    caches : each scorer's cache from the previous pass (missing: the refit's).
    as_of_ms : the pass's "now" (the newest event's time, never the wall clock).
    config : the run's config (the refit's).
    incremental : IncrementalConfig.
    aligner : a :class:`PrescoringAligner` kept across passes (saves re-indexing).
    previous : the previous pass (None: every note is redone).
    touched : int64 rows (of ``shared``'s notes) of every note whose ratings may have
        changed since ``previous`` (a superset: the notes of the events applied since);
        with it only those notes, the new ones and the notes of raters who crossed the
        high-volume line are fingerprinted, and the tag counts are carried over for the
        rest. None: every note is fingerprinted.
    log : with ``previous``: the scorers' per-note arrays that ``previous`` owns are
        updated in place, each overwritten row recorded in ``log`` (``log.undo()`` gives
        ``previous`` back); ``previous`` must not be read after the pass but to undo it.
        None: the pass copies them (``previous`` is unchanged).

    Returns
    -------
    LivePass
    """
    inc = incremental if incremental is not None else IncrementalConfig()
    align = aligner if aligner is not None else PrescoringAligner()
    note_ids = np.asarray(shared.note_ids.ids, dtype=np.str_)
    rows: NDArray[np.int64] | None = None
    old_rows: NDArray[np.int64] | None = None
    if previous is not None and previous.refit is refit and previous.prints is not None:
        old_rows = _note_rows(previous.inputs, shared)
    tag_counts: TagCounts | None = None
    if previous is not None and previous.prints is not None and old_rows is not None:
        new = old_rows < 0
        before = take_rows(previous.prints, old_rows, 0.0)
        if touched is None:
            prints = note_prints(shared)
        else:
            flipped = np.flatnonzero(previous.inputs.high_volume != shared.high_volume)
            candidates = np.union1d(touched, np.flatnonzero(new))
            if flipped.shape[0]:
                candidates = np.union1d(candidates, notes_of_raters(shared, flipped))
            prints = update_prints(shared, before, candidates.astype(np.int64))
        rows = changed_notes(prints, before)
        if new.any():
            rows = np.union1d(rows, np.flatnonzero(new)).astype(np.int64)
        known = old_rows[rows]
        changed = (restrict(shared, rows), restrict(previous.inputs, known[known >= 0]))
        tag_counts = merge_tag_counts(
            TagCounts(
                helpful=take_rows(previous.tag_counts.helpful, old_rows, 0),
                not_helpful=take_rows(previous.tag_counts.not_helpful, old_rows, 0),
            ),
            changed[0],
            rows,
        )
    else:
        prints = note_prints(shared)
    runs: dict[str, ScorerRun] = {}
    new_caches: dict[str, NoteFitCache] = {}
    notes: dict[str, ScorerNotes] = {}
    resolved = np.zeros(shared.n_notes, dtype=np.bool_)
    for spec in refit.roster:
        scorer = refit.scorers.get(spec.name)
        if scorer is None:
            continue
        pre = align.get(refit, spec.name, note_ids)
        state = None if previous is None else previous.notes.get(spec.name)
        if (
            state is not None
            and old_rows is not None
            and old_rows.shape[0]
            != len(
                previous.inputs.note_ids  # type: ignore[union-attr]
            )
        ):
            state = state.aligned(old_rows, note_ids)
        if rows is not None and previous is not None and state is not None:
            assert scorer.tag_scale is not None  # a state is only kept with a finite scale
            sparse = rescore_notes(
                shared,
                changed,
                rows,
                spec,
                scorer.defences,
                pre,
                partial(align.get_notes, refit, spec.name),
                spec.config,
                partial(_plan, scorer, incremental=inc),
                state,
                scorer.tag_scale,
                in_scope=align.in_scope(shared, spec.config.scope),
                log=log,
            )
            final = sparse.final
            notes[spec.name] = sparse.notes
            new_caches[spec.name] = sparse.notes.cache
            resolved[sparse.resolved] = True
            view = replace(shared, in_scope=sparse.in_scope)
        else:
            view, weights = scorer.defences.apply(scorer_inputs(shared, spec))
            result = rescore_final(
                view,
                pre,
                spec.config,
                caches.get(spec.name, scorer.cache),
                inc,
                rating_weights=weights,
                plan=_plan(scorer, shared, inc),
                tag_scale=scorer.tag_scale,
            )
            final = result.final
            new_caches[spec.name] = result.cache
            resolved |= result.resolved
            state = None
            if scorer.tag_scale is not None:
                state = scorer_notes(final, result.cache, pre, spec.config)
            if state is not None:
                notes[spec.name] = state
        runs[spec.name] = ScorerRun(spec, view, pre, final, 0.0)
    if CORE_NAME not in runs:
        raise ValueError("the refit has no MFCoreScorer result")
    roster = RosterResult(runs)
    families = family_columns(roster, shared.n_notes, align.columns)
    coverage = align.coverage(refit, note_ids)
    if coverage is not None:
        families[Family.COVERAGE] = coverage
    core = runs[CORE_NAME].final
    assert core is not None
    if tag_counts is None:
        tag_counts = count_tags(shared.post_pss)
    meta, statuses = roster_meta(shared, core, families, tag_counts, as_of_ms, config)
    history = update_status_history(shared.history, statuses, as_of_ms, config.history)
    return LivePass(
        inputs=shared,
        runs=roster,
        families=families,
        meta=meta,
        history=history,
        tag_counts=tag_counts,
        caches=new_caches,
        resolved=resolved,
        held=refit.held,
        refit=refit,
        prints=prints,
        notes=notes,
    )
