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
from bridgewatch.scoring.meta.explanation import explanation_tags
from bridgewatch.scoring.meta.result import MetaResult, RuleChain
from bridgewatch.scoring.meta.stabilization import apply_stabilization
from bridgewatch.scoring.status.aggregates import TagCounts

__all__ = [
    "DRIFT_GUARD",
    "INSUFFICIENT_EXPLANATION",
    "META_INITIAL_NMR",
    "POPULATION_SAMPLED_INTERCEPT",
    "POST_CHAIN_RULES",
    "STABILIZATION",
    "MetaInputs",
    "MetaResult",
    "PostChainInputs",
    "ScorerStatus",
    "apply_meta_rules",
    "finish_chain",
]

META_INITIAL_NMR = "MetaInitialNMR (v1.0)"
POPULATION_SAMPLED_INTERCEPT = "PopulationSampledIntercept (v1.0)"
STABILIZATION = "NmrDueToMinStableCrhTime (v1.0)"
DRIFT_GUARD = "ScoringDriftGuard (v1.0)"
INSUFFICIENT_EXPLANATION = "InsufficientExplanation (v1.0)"
# The rules that close every chain, in order (scoring-multimodel.md §10.3 steps 12-15).
POST_CHAIN_RULES: tuple[str, ...] = (
    POPULATION_SAMPLED_INTERCEPT,
    STABILIZATION,
    DRIFT_GUARD,
    INSUFFICIENT_EXPLANATION,
)

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


@dataclass(frozen=True)
class PostChainInputs:
    """Per-note inputs of the rules that close every chain (§9.3-§9.5); shapes (n_notes,).

    Attributes
    ----------
    core_intercept, core_intercept_population_sampled : float
        ``coreNoteIntercept`` and ``coreNoteInterceptPopulationSampled`` (NaN if none).
    population_sampled_neg_count, population_sampled_pos_count : int
        §5.5b population-sampled sign counts (0 where Core has no row).
    previous_status, first_non_nmr_status, locked_status : int8
        Input NSH ``currentStatus``, ``firstNonNMRStatus``, ``lockedStatus`` (-1 missing).
    stabilization_ts : float
        Input NSH ``timestampMillisOfNmrDueToMinStableCrhTime`` (NaN / -1 / > 0).
    tag_counts : TagCounts
        Raw tag counts over all post-PSS ratings, all raters.
    has_topic, topic_confident, pflip_predicts_crh : bool, optional
        Inputs of the stabilization holds; missing = no topic / not confident / no
        prediction.
    """

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


def finish_chain(
    chain: RuleChain, inputs: PostChainInputs, now_ms: int, config: MetaConfig
) -> MetaResult:
    """Apply PopulationSampledIntercept, NmrDueToMinStableCrhTime, ScoringDriftGuard and
    InsufficientExplanation to ``chain`` (in place) and return the result (§9.3-§9.5).

    ``chain.rule_names`` must end with ``POST_CHAIN_RULES``.

    Parameters
    ----------
    chain : RuleChain
        The labels after the scorer-model rules.
    inputs : PostChainInputs
    now_ms : int
        "Now" in epoch milliseconds, used by the stabilization delay.
    config : MetaConfig

    Returns
    -------
    MetaResult
    """
    n = chain.status.shape[0]
    if chain.rule_names[-len(POST_CHAIN_RULES) :] != POST_CHAIN_RULES:
        raise InputError("the chain must end with the post-chain rules", field="rule_names")
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
    chain.emit(POPULATION_SAMPLED_INTERCEPT, pop_drop, _NMR)

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
    chain.emit(STABILIZATION, stab.emitted, stab.status)

    locked = _i8(inputs.locked_status, n, "locked_status")
    drift = (locked >= 0) & (locked != chain.status)
    unlocked = np.where(drift, chain.status, -1).astype(np.int8)
    chain.emit(DRIFT_GUARD, drift, locked)

    tags = explanation_tags(
        chain.status, inputs.tag_counts.helpful, inputs.tag_counts.not_helpful, config
    )
    chain.emit(INSUFFICIENT_EXPLANATION, tags.insufficient, _NMR)
    return MetaResult(
        final_status=chain.status,
        decided_by=chain.decided,
        active_rules=chain.active,
        rule_names=chain.rule_names,
        pre_stabilization_status=pre_stabilization,
        unlocked_status=unlocked,
        stabilization_ts=stab.stabilization_ts,
        first_tag=tags.first_tag,
        second_tag=tags.second_tag,
    )


def apply_meta_rules(inputs: MetaInputs, now_ms: int, config: MetaConfig) -> MetaResult:
    """Run the meta-scoring rule chain of §9 with the given scorer-model rules.

    MetaInitialNMR, then each of ``inputs.scorers`` copies its status where present, then
    the post-chain rules (``finish_chain``). The Core path passes ``(CoreModel (v1.1),)``;
    ``apply_meta_chain`` runs the full multi-model chain.

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
    names = (META_INITIAL_NMR, *(s.label for s in inputs.scorers), *POST_CHAIN_RULES)
    try:
        chain = RuleChain(n, names)
    except InputError as exc:
        raise InputError(exc.message, field="scorers") from exc
    chain.emit(META_INITIAL_NMR, np.ones(n, dtype=np.bool_), _NMR)
    for scorer in inputs.scorers:
        st = _i8(scorer.status, n, f"{scorer.name}.status")
        if scorer.firm_reject_to_nmr:
            st = np.where(st == _FR, _NMR, st).astype(np.int8)
        chain.emit(scorer.label, st >= 0, st)
    post = PostChainInputs(
        core_intercept=inputs.core_intercept,
        core_intercept_population_sampled=inputs.core_intercept_population_sampled,
        population_sampled_neg_count=inputs.population_sampled_neg_count,
        population_sampled_pos_count=inputs.population_sampled_pos_count,
        previous_status=inputs.previous_status,
        stabilization_ts=inputs.stabilization_ts,
        first_non_nmr_status=inputs.first_non_nmr_status,
        locked_status=inputs.locked_status,
        tag_counts=inputs.tag_counts,
        has_topic=inputs.has_topic,
        topic_confident=inputs.topic_confident,
        pflip_predicts_crh=inputs.pflip_predicts_crh,
    )
    return finish_chain(chain, post, now_ms, config)
