"""Meta scoring on the Core path: from scorer statuses to the final status (scoring-core.md §9).

Rule order: MetaInitialNMR, the scorer-model rules in the order given (Core last on the Core
path), PopulationSampledIntercept, NmrDueToMinStableCrhTime, ScoringDriftGuard,
InsufficientExplanation. Each rule emits (note, status) updates; the latest wins;
``decidedBy`` is the last rule that emitted, ``metaScorerActiveRules`` all of them in order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from bridgewatch.errors import InputError
from bridgewatch.model import NoteStatus
from bridgewatch.scoring.meta.config import MetaConfig
from bridgewatch.scoring.meta.explanation import ALL_TAGS, explanation_tags
from bridgewatch.scoring.meta.stabilization import apply_stabilization
from bridgewatch.scoring.status.aggregates import TagCounts
from bridgewatch.scoring.status.rules import labels_from_bitmask

__all__ = [
    "META_INITIAL_NMR",
    "MetaInputs",
    "MetaResult",
    "ScorerStatus",
    "apply_meta_rules",
]

META_INITIAL_NMR = "MetaInitialNMR (v1.0)"
_POPULATION_SAMPLED = "PopulationSampledIntercept (v1.0)"
_STABILIZATION = "NmrDueToMinStableCrhTime (v1.0)"
_DRIFT_GUARD = "ScoringDriftGuard (v1.0)"
_INSUFFICIENT = "InsufficientExplanation (v1.0)"

_NMR = np.int8(NoteStatus.NEEDS_MORE_RATINGS)
_CRH = np.int8(NoteStatus.CURRENTLY_RATED_HELPFUL)
_FR = np.int8(NoteStatus.FIRM_REJECT)


@dataclass(frozen=True)
class ScorerStatus:
    """One scorer's note statuses, copied by its model rule (§9.1 step 3).

    Attributes
    ----------
    name : str
        Rule name without version, e.g. ``"CoreModel"``.
    version : str
        e.g. ``"v1.1"``; the label is ``"CoreModel (v1.1)"``.
    status : int8 array of shape (n_notes,)
        ``NoteStatus`` codes; -1 where the scorer has no status (the rule does not emit).
    firm_reject_to_nmr : bool
        Map FIRM_REJECT to NMR when copying (true for Core, Expansion, ExpansionPlus).
    """

    name: str
    version: str
    status: NDArray[np.int8]
    firm_reject_to_nmr: bool = True

    @property
    def label(self) -> str:
        """``Name (vX.Y)`` as written in ``decidedBy``."""
        return f"{self.name} ({self.version})"


@dataclass(frozen=True)
class MetaInputs:
    """Per-note inputs of meta scoring; arrays of shape (n_notes,) unless stated.

    Attributes
    ----------
    scorers : tuple of ScorerStatus
        Scorer-model rules in application order; the Core path is ``(CoreModel (v1.1),)``.
    core_intercept, core_intercept_population_sampled : float
        ``coreNoteIntercept`` and ``coreNoteInterceptPopulationSampled`` (NaN if none).
    population_sampled_neg_count, population_sampled_pos_count : int
        §5.5b population-sampled sign counts.
    previous_status : int8
        Input NSH ``currentStatus`` (-1 missing).
    stabilization_ts : float
        Input NSH ``timestampMillisOfNmrDueToMinStableCrhTime`` (NaN / -1 / > 0).
    first_non_nmr_status, locked_status : int8
        Input NSH ``firstNonNMRStatus`` and ``lockedStatus`` (-1 missing).
    tag_counts : TagCounts
        Raw tag counts over all post-PSS ratings, all raters.
    has_topic, topic_confident, pflip_predicts_crh : bool, optional
        Topic and pflip inputs of §9.4; missing = no topic / no prediction.
    """

    scorers: tuple[ScorerStatus, ...]
    core_intercept: NDArray[np.floating]
    core_intercept_population_sampled: NDArray[np.floating]
    population_sampled_neg_count: NDArray[np.integer]
    population_sampled_pos_count: NDArray[np.integer]
    previous_status: NDArray[np.int8]
    stabilization_ts: NDArray[np.floating]
    first_non_nmr_status: NDArray[np.int8]
    locked_status: NDArray[np.int8]
    tag_counts: TagCounts
    has_topic: NDArray[np.bool_] | None = None
    topic_confident: NDArray[np.bool_] | None = None
    pflip_predicts_crh: NDArray[np.bool_] | None = None

    @property
    def n_notes(self) -> int:
        """Number of notes."""
        return int(np.asarray(self.previous_status).shape[0])


@dataclass(frozen=True)
class MetaResult:
    """Outcome of meta scoring; arrays of shape (n_notes,).

    Attributes
    ----------
    final_status : int8
        ``finalRatingStatus``: NMR, CRH or CRNH.
    decided_by : int8
        Index into ``rule_names`` of the last rule that emitted for the note.
    active_rules : uint64
        Bit k set when ``rule_names[k]`` emitted for the note.
    rule_names : tuple of str
        The meta rules in order, as ``Name (vX.Y)``.
    pre_stabilization_status : int8
        ``preStabilizationRatingStatus``: the label before NmrDueToMinStableCrhTime.
    unlocked_status : int8
        ``unlockedRatingStatus``: the label ScoringDriftGuard replaced; -1 elsewhere.
    stabilization_ts : float64
        New ``timestampMillisOfNmrDueToMinStableCrhTime`` before the NSH lock reset (§10).
    first_tag, second_tag : int8
        Explanation tags as indexes into ``ALL_TAGS``; -1 when none.
    """

    final_status: NDArray[np.int8]
    decided_by: NDArray[np.int8]
    active_rules: NDArray[np.uint64]
    rule_names: tuple[str, ...]
    pre_stabilization_status: NDArray[np.int8]
    unlocked_status: NDArray[np.int8]
    stabilization_ts: NDArray[np.float64]
    first_tag: NDArray[np.int8]
    second_tag: NDArray[np.int8]

    def decided_by_labels(self) -> NDArray[np.str_]:
        """``decidedBy`` strings per note."""
        return np.asarray(self.rule_names)[self.decided_by]

    def active_rules_labels(self) -> list[str]:
        """``metaScorerActiveRules`` strings per note."""
        return labels_from_bitmask(self.active_rules, self.rule_names)

    def tag_labels(self) -> tuple[list[str | None], list[str | None]]:
        """``firstTag`` and ``secondTag`` strings per note (None when empty)."""

        def names(codes: NDArray[np.int8]) -> list[str | None]:
            return [ALL_TAGS[c] if c >= 0 else None for c in codes.tolist()]

        return names(self.first_tag), names(self.second_tag)


class _Chain:
    def __init__(self, n: int, n_rules: int) -> None:
        if n_rules > 64:
            raise InputError(f"at most 64 meta rules, got {n_rules}", field="scorers")
        self.status = np.full(n, _NMR, dtype=np.int8)
        self.active = np.zeros(n, dtype=np.uint64)
        self.decided = np.zeros(n, dtype=np.int8)

    def emit(self, rule: int, mask: NDArray[np.bool_], status: NDArray[np.int8] | np.int8) -> None:
        self.status[mask] = status[mask] if isinstance(status, np.ndarray) else status
        self.active[mask] |= np.uint64(1 << rule)
        self.decided[mask] = rule


def _shape(arr: NDArray[np.generic], n: int, name: str) -> None:
    if arr.shape != (n,):
        raise InputError(f"expected shape ({n},), got {arr.shape}", field=name)


def _f64(a: NDArray[np.floating], n: int, name: str) -> NDArray[np.float64]:
    arr = np.asarray(a, dtype=np.float64)
    _shape(arr, n, name)
    return arr


def _i64(a: NDArray[np.integer], n: int, name: str) -> NDArray[np.int64]:
    arr = np.asarray(a, dtype=np.int64)
    _shape(arr, n, name)
    return arr


def _i8(a: NDArray[np.int8], n: int, name: str) -> NDArray[np.int8]:
    arr = np.asarray(a, dtype=np.int8)
    _shape(arr, n, name)
    return arr


def apply_meta_rules(inputs: MetaInputs, now_ms: int, config: MetaConfig) -> MetaResult:
    """Run the meta-scoring rule chain of §9 for the Core path.

    Parameters
    ----------
    inputs : MetaInputs
    now_ms : int
        "Now" in epoch milliseconds (``epochMillis``), used by the stabilization delay.
    config : MetaConfig

    Returns
    -------
    MetaResult
    """
    n = inputs.n_notes
    names = (
        META_INITIAL_NMR,
        *(s.label for s in inputs.scorers),
        _POPULATION_SAMPLED,
        _STABILIZATION,
        _DRIFT_GUARD,
        _INSUFFICIENT,
    )
    chain = _Chain(n, len(names))
    chain.emit(0, np.ones(n, dtype=np.bool_), _NMR)
    for k, scorer in enumerate(inputs.scorers, start=1):
        st = _i8(scorer.status, n, f"{scorer.name}.status")
        if scorer.firm_reject_to_nmr:
            st = np.where(st == _FR, _NMR, st).astype(np.int8)
        chain.emit(k, st >= 0, st)
    rule = len(inputs.scorers) + 1

    core_i = _f64(inputs.core_intercept, n, "core_intercept")
    pop_i = _f64(inputs.core_intercept_population_sampled, n, "core_intercept_population_sampled")
    neg = _i64(inputs.population_sampled_neg_count, n, "population_sampled_neg_count")
    pos = _i64(inputs.population_sampled_pos_count, n, "population_sampled_pos_count")
    with np.errstate(invalid="ignore"):
        pop_drop = (
            (chain.status == _CRH)
            & np.isfinite(core_i)
            & np.isfinite(pop_i)
            & (neg + pos >= config.pop_sampled_min_total)
            & (neg >= config.pop_sampled_min_per_side)
            & (pos >= config.pop_sampled_min_per_side)
            & (pop_i < config.pop_sampled_max_intercept)
            & (core_i - pop_i >= config.pop_sampled_min_gap)
        )
    chain.emit(rule, pop_drop, _NMR)

    pre_stabilization = chain.status.copy()
    stab = apply_stabilization(
        chain.status,
        _i8(inputs.previous_status, n, "previous_status"),
        _f64(inputs.stabilization_ts, n, "stabilization_ts"),
        _i8(inputs.first_non_nmr_status, n, "first_non_nmr_status"),
        now_ms,
        config,
        has_topic=inputs.has_topic,
        topic_confident=inputs.topic_confident,
        pflip_predicts_crh=inputs.pflip_predicts_crh,
    )
    chain.emit(rule + 1, stab.emitted, stab.status)

    locked = _i8(inputs.locked_status, n, "locked_status")
    drift = (locked >= 0) & (locked != chain.status)
    unlocked = np.where(drift, chain.status, -1).astype(np.int8)
    chain.emit(rule + 2, drift, locked)

    tags = explanation_tags(
        chain.status, inputs.tag_counts.helpful, inputs.tag_counts.not_helpful, config
    )
    chain.emit(rule + 3, tags.insufficient, _NMR)
    return MetaResult(
        final_status=chain.status,
        decided_by=chain.decided,
        active_rules=chain.active,
        rule_names=names,
        pre_stabilization_status=pre_stabilization,
        unlocked_status=unlocked,
        stabilization_ts=stab.stabilization_ts,
        first_tag=tags.first_tag,
        second_tag=tags.second_tag,
    )
