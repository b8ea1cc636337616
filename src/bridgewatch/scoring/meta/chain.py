"""The full multi-model meta chain (scoring-multimodel.md §10.3): every scorer to one status.

Order: MetaInitialNMR; the base models ExpansionPlus, Expansion, CoreWithTopics, Core
(ApplyModelResult: copy the status wherever present, FIRM_REJECT as NMR, emitting even when
the label does not change); MultiGroupModel01 (ApplyModelResult with the block check, on
notes of its modeling multi-group); the group promotions GroupModel01...13, 14, 33; the
group demotions GroupModel33NMR, 18NMR, 15NMR; the Gaussian fill-ins GaussianModel and
GaussianCoreWithTopicsModel; the topic demotions TopicModel01...05; then
PopulationSampledIntercept, NmrDueToMinStableCrhTime, ScoringDriftGuard and
InsufficientExplanation (``finish_chain``). Rules after MultiGroup emit only real changes.

A scorer that did not run has all-missing inputs (statuses -1, intercepts NaN, groups -1):
its rules never emit, so the chain works for any subset of the roster and the Core path
(only Core given) gives the Core-path result of ``apply_meta_rules``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from bridgewatch.errors import InputError
from bridgewatch.model import NoteStatus
from bridgewatch.scoring.history.update import RunStatuses
from bridgewatch.scoring.meta.config import GroupPromotion, MetaConfig
from bridgewatch.scoring.meta.result import MetaResult, RuleChain
from bridgewatch.scoring.meta.rules import (
    META_INITIAL_NMR,
    POST_CHAIN_RULES,
    PostChainInputs,
    finish_chain,
)
from bridgewatch.scoring.status.aggregates import TagCounts

__all__ = [
    "BASE_MODEL_RULES",
    "CORE_MODEL",
    "GAUSSIAN_CORE_WITH_TOPICS_MODEL",
    "GAUSSIAN_MODEL",
    "MetaChainInputs",
    "apply_meta_chain",
    "chain_rule_names",
    "group_demotion_rule",
    "group_promotion_rule",
    "multi_group_rule",
    "run_statuses",
    "topic_rule",
]

EXPANSION_PLUS_MODEL = "ExpansionPlusModel (v1.1)"
EXPANSION_MODEL = "ExpansionModel (v1.1)"
CORE_WITH_TOPICS_MODEL = "CoreWithTopicsModel (v1.1)"
CORE_MODEL = "CoreModel (v1.1)"
# Steps 2-5, in chain order (lowest precedence first).
BASE_MODEL_RULES: tuple[str, ...] = (
    EXPANSION_PLUS_MODEL,
    EXPANSION_MODEL,
    CORE_WITH_TOPICS_MODEL,
    CORE_MODEL,
)
GAUSSIAN_MODEL = "GaussianModel (v1.0)"
GAUSSIAN_CORE_WITH_TOPICS_MODEL = "GaussianCoreWithTopicsModel (v1.0)"

_NMR = np.int8(NoteStatus.NEEDS_MORE_RATINGS)
_CRH = np.int8(NoteStatus.CURRENTLY_RATED_HELPFUL)
_CRNH = np.int8(NoteStatus.CURRENTLY_RATED_NOT_HELPFUL)
_NYH = np.int8(NoteStatus.NEEDS_YOUR_HELP)
_FR = np.int8(NoteStatus.FIRM_REJECT)


def multi_group_rule(multi_group: int) -> str:
    """``MultiGroupModel01 (v1.0)`` for multi-group 1."""
    return f"MultiGroupModel{multi_group:02d} (v1.0)"


def group_promotion_rule(group: int) -> str:
    """``GroupModel01 (v1.1)`` for group 1."""
    return f"GroupModel{group:02d} (v1.1)"


def group_demotion_rule(group: int) -> str:
    """``GroupModel33NMR (v1.1)`` for group 33."""
    return f"GroupModel{group:02d}NMR (v1.1)"


def topic_rule(topic: int) -> str:
    """``TopicModel05 (v1.0)`` for topic 5."""
    return f"TopicModel{topic:02d} (v1.0)"


def chain_rule_names(config: MetaConfig) -> tuple[str, ...]:
    """Every rule of the chain in order, as written in ``decidedBy`` (35 by default)."""
    m = config.models
    return (
        META_INITIAL_NMR,
        *BASE_MODEL_RULES,
        multi_group_rule(m.multi_group),
        *(group_promotion_rule(p.group) for p in m.group_promotions),
        *(group_demotion_rule(g) for g in m.group_demotions),
        GAUSSIAN_MODEL,
        GAUSSIAN_CORE_WITH_TOPICS_MODEL,
        *(topic_rule(t.topic) for t in m.topic_demotions),
        *POST_CHAIN_RULES,
    )


@dataclass(frozen=True)
class MetaChainInputs:
    """Per-note inputs of the full meta chain; every array has shape (n_notes,).

    Statuses are int8 ``NoteStatus`` codes with -1 where the scorer has no row; floats are
    NaN where missing. Every scorer field is optional: None means the scorer did not run
    (all missing). The NSH fields and ``tag_counts`` are required.

    Attributes
    ----------
    previous_status : int8
        Input NSH ``currentStatus`` (-1 missing); fixes ``n_notes``.
    stabilization_ts : float
        Input NSH ``timestampMillisOfNmrDueToMinStableCrhTime`` (NaN / -1 / > 0).
    first_non_nmr_status, locked_status : int8
        Input NSH ``firstNonNMRStatus`` and ``lockedStatus`` (-1 missing).
    tag_counts : TagCounts
        Raw tag counts over all post-PSS ratings, all raters (shapes (n, 9) and (n, 13)).
    core_status : int8, optional
        Raw ``coreRatingStatus`` (FIRM_REJECT and NEEDS_YOUR_HELP possible).
    core_intercept, core_intercept_population_sampled : float, optional
        ``coreNoteIntercept``, ``coreNoteInterceptPopulationSampled``.
    population_sampled_neg_count, population_sampled_pos_count : int, optional
        Core's population-sampled sign counts (0 where Core has no row; missing = 0).
    core_with_topics_status, expansion_plus_status : int8, optional
    expansion_status : int8, optional
        Raw ``expansionRatingStatus`` (FIRM_REJECT possible; used by the block check).
    expansion_intercept : float, optional
        ``expansionNoteIntercept`` (group safeguard where Core has no intercept).
    multi_group_status : int8, optional
        ``multiGroupRatingStatus``.
    modeling_multi_group : int or float, optional
        ``modelingMultiGroup`` (-1 or NaN missing); MultiGroupModel01 acts where it equals
        ``config.models.multi_group``.
    group_status : int8, optional
        Coalesced ``groupRatingStatus`` (group 15's is the Gaussian group scorer's).
    modeling_group : int or float, optional
        Coalesced ``modelingGroup`` (-1 or NaN missing).
    gaussian_status, gaussian_core_with_topics_status : int8, optional
        ``gaussianRatingStatus``, ``gaussianCoreWithTopicsRatingStatus``.
    note_topic : int8, optional
        ``noteTopic`` as the topic id of the topic enum: 1 UkraineConflict, 2 GazaConflict,
        3 MessiRonaldo, 4 Scams, 5 InDimensionTwo; -1 = no ``noteTopic`` (missing = all -1).
        The same ids as ``bridgewatch.scoring.topics`` assigns.
    topic_intercept, topic_factor : float, optional
        Coalesced ``topicNoteIntercept``, ``topicNoteFactor1``.
    topic_confident : bool, optional
        ``topicNoteConfident`` (False where missing). A note with a topic and False is held
        by the stabilization delay (§10.5).
    pflip_predicts_crh : bool, optional
        pflip label == "CRH"; missing = no prediction (counts as predicted to flip).
    """

    previous_status: NDArray[np.int8]
    stabilization_ts: NDArray[np.floating]
    first_non_nmr_status: NDArray[np.int8]
    locked_status: NDArray[np.int8]
    tag_counts: TagCounts
    core_status: NDArray[np.int8] | None = None
    core_intercept: NDArray[np.floating] | None = None
    core_intercept_population_sampled: NDArray[np.floating] | None = None
    population_sampled_neg_count: NDArray[np.integer] | None = None
    population_sampled_pos_count: NDArray[np.integer] | None = None
    core_with_topics_status: NDArray[np.int8] | None = None
    expansion_status: NDArray[np.int8] | None = None
    expansion_intercept: NDArray[np.floating] | None = None
    expansion_plus_status: NDArray[np.int8] | None = None
    multi_group_status: NDArray[np.int8] | None = None
    modeling_multi_group: NDArray[np.number] | None = None
    group_status: NDArray[np.int8] | None = None
    modeling_group: NDArray[np.number] | None = None
    gaussian_status: NDArray[np.int8] | None = None
    gaussian_core_with_topics_status: NDArray[np.int8] | None = None
    note_topic: NDArray[np.int8] | None = None
    topic_intercept: NDArray[np.floating] | None = None
    topic_factor: NDArray[np.floating] | None = None
    topic_confident: NDArray[np.bool_] | None = None
    pflip_predicts_crh: NDArray[np.bool_] | None = None

    @property
    def n_notes(self) -> int:
        """Number of notes."""
        return int(np.asarray(self.previous_status).shape[0])


class _Columns:
    """Validated, missing-filled views of ``MetaChainInputs``."""

    def __init__(self, inputs: MetaChainInputs) -> None:
        self.inputs = inputs
        self.n = inputs.n_notes

    def _get(self, name: str) -> NDArray[np.generic] | None:
        value = getattr(self.inputs, name)
        if value is None:
            return None
        arr = np.asarray(value)
        if arr.shape != (self.n,):
            raise InputError(f"expected shape ({self.n},), got {arr.shape}", field=name)
        return arr

    def status(self, name: str) -> NDArray[np.int8]:
        arr = self._get(name)
        if arr is None:
            return np.full(self.n, -1, dtype=np.int8)
        codes = arr.astype(np.int64)
        if ((codes < -1) | (codes > int(max(NoteStatus)))).any():
            raise InputError("not a NoteStatus code or -1", field=name)
        return codes.astype(np.int8)

    def floats(self, name: str) -> NDArray[np.float64]:
        arr = self._get(name)
        return np.full(self.n, np.nan) if arr is None else arr.astype(np.float64)

    def ids(self, name: str) -> NDArray[np.float64]:
        """Group / topic ids as float64 with NaN for missing (-1 or NaN given)."""
        arr = self._get(name)
        if arr is None:
            return np.full(self.n, np.nan)
        out = arr.astype(np.float64)
        return np.where(out < 0, np.nan, out)

    def counts(self, name: str) -> NDArray[np.int64]:
        arr = self._get(name)
        return np.zeros(self.n, dtype=np.int64) if arr is None else arr.astype(np.int64)

    def flags(self, name: str) -> NDArray[np.bool_]:
        arr = self._get(name)
        return np.zeros(self.n, dtype=np.bool_) if arr is None else arr.astype(np.bool_)


def _safeguard(
    rule: GroupPromotion, core_i: NDArray[np.float64], expansion_i: NDArray[np.float64]
) -> NDArray[np.bool_]:
    """§10.4: the Core intercept if present, else Expansion's, strictly inside the bounds."""

    def inside(values: NDArray[np.float64], upper: float | None) -> NDArray[np.bool_]:
        ok = values > rule.min_intercept
        return ok if upper is None else ok & (values < upper)

    has_core = ~np.isnan(core_i)
    with np.errstate(invalid="ignore"):
        core_ok = inside(core_i, rule.core_max_intercept)
        expansion_ok = inside(expansion_i, rule.expansion_max_intercept)
    return np.where(has_core, core_ok, ~np.isnan(expansion_i) & expansion_ok)


def apply_meta_chain(inputs: MetaChainInputs, now_ms: int, config: MetaConfig) -> MetaResult:
    """Run the full meta chain of scoring-multimodel.md §10.3 (steps 1-15).

    Parameters
    ----------
    inputs : MetaChainInputs
        Every scorer's per-note columns (missing for scorers that did not run), the input
        NSH columns and the tag counts.
    now_ms : int
        "Now" in epoch milliseconds (``epochMillis``), used by the stabilization delay.
    config : MetaConfig
        Post-chain constants and, in ``config.models``, the group and topic rules.

    Returns
    -------
    MetaResult
        ``rule_names`` is ``chain_rule_names(config)``; ``decided_by`` / ``active_rules``
        index into it.
    """
    cols = _Columns(inputs)
    n = cols.n
    m = config.models
    chain = RuleChain(n, chain_rule_names(config))
    label = chain.status  # updated in place by every emit
    chain.emit(META_INITIAL_NMR, np.ones(n, dtype=np.bool_), _NMR)

    # Steps 2-5: ApplyModelResult, FIRM_REJECT exported as NMR, emitted wherever present.
    core = cols.status("core_status")
    expansion = cols.status("expansion_status")
    for rule, name in zip(
        BASE_MODEL_RULES,
        ("expansion_plus_status", "expansion_status", "core_with_topics_status", "core_status"),
        strict=True,
    ):
        status = cols.status(name)
        chain.emit(rule, status >= 0, np.where(status == _FR, _NMR, status).astype(np.int8))

    # §10.4: blocked = Core FR/CRNH, or no Core status and Expansion FR/CRNH.
    rejects = (_FR, _CRNH)
    blocked = np.isin(core, rejects) | ((core < 0) & np.isin(expansion, rejects))

    # Step 6: MultiGroup overwrites any label on its notes, except CRH/NYH of blocked notes.
    multi = cols.status("multi_group_status")
    up = (multi == _CRH) | (multi == _NYH)
    on_multi = cols.ids("modeling_multi_group") == m.multi_group
    chain.emit(
        multi_group_rule(m.multi_group),
        on_multi & (multi >= 0) & ~(blocked & up),
        np.where(multi == _FR, _NMR, multi).astype(np.int8),
    )

    # Steps 7-9a: group promotions of NMR/NYH labels (NYH on NYH is no update).
    group = cols.status("group_status")
    modeling_group = cols.ids("modeling_group")
    core_i = cols.floats("core_intercept")
    expansion_i = cols.floats("expansion_intercept")
    group_up = (group == _CRH) | (group == _NYH)
    for promotion in m.group_promotions:
        open_label = (label == _NMR) | (label == _NYH)
        mask = (
            ~blocked
            & (modeling_group == promotion.group)
            & group_up
            & open_label
            & ~((group == _NYH) & (label == _NYH))
        )
        rows = np.flatnonzero(mask)  # few notes per group: check the safeguard on them only
        mask[rows] = _safeguard(promotion, core_i[rows], expansion_i[rows])
        chain.emit(group_promotion_rule(promotion.group), mask, group)

    # Steps 9b-9d: group demotions of CRH/NYH labels to NMR.
    group_down = (group == _NMR) | (group == _CRNH)
    for demoted in m.group_demotions:
        mask = (modeling_group == demoted) & group_down & ((label == _CRH) | (label == _NYH))
        chain.emit(group_demotion_rule(demoted), mask, _NMR)

    # Steps 10a-10b: Gaussian fill-in of NMR/NYH labels; CRNH is never blocked.
    for rule, name in (
        (GAUSSIAN_MODEL, "gaussian_status"),
        (GAUSSIAN_CORE_WITH_TOPICS_MODEL, "gaussian_core_with_topics_status"),
    ):
        gauss = cols.status(name)
        candidate = (((gauss == _CRH) | (gauss == _NYH)) & ~blocked) | (gauss == _CRNH)
        open_label = (label == _NMR) | (label == _NYH)
        mask = candidate & open_label & ~((gauss == _NYH) & (label == _NYH))
        chain.emit(rule, mask, gauss)

    # Step 11: topic demotions of confident notes' CRH/NYH labels.
    topic = cols.ids("note_topic")
    topic_i = cols.floats("topic_intercept")
    topic_f = cols.floats("topic_factor")
    confident = cols.flags("topic_confident")
    with np.errstate(invalid="ignore"):
        for demotion in m.topic_demotions:
            weak = (topic_i < demotion.max_intercept) | (np.abs(topic_f) > demotion.max_abs_factor)
            mask = (
                (topic == demotion.topic) & confident & weak & ((label == _CRH) | (label == _NYH))
            )
            chain.emit(topic_rule(demotion.topic), mask, _NMR)

    # Steps 12-15.
    post = PostChainInputs(
        core_intercept=core_i,
        core_intercept_population_sampled=cols.floats("core_intercept_population_sampled"),
        population_sampled_neg_count=cols.counts("population_sampled_neg_count"),
        population_sampled_pos_count=cols.counts("population_sampled_pos_count"),
        previous_status=inputs.previous_status,
        stabilization_ts=inputs.stabilization_ts,
        first_non_nmr_status=inputs.first_non_nmr_status,
        locked_status=inputs.locked_status,
        tag_counts=inputs.tag_counts,
        has_topic=~np.isnan(topic),
        topic_confident=confident,
        pflip_predicts_crh=None
        if inputs.pflip_predicts_crh is None
        else cols.flags("pflip_predicts_crh"),
    )
    return finish_chain(chain, post, now_ms, config)


def run_statuses(inputs: MetaChainInputs, result: MetaResult) -> RunStatuses:
    """The NSH update's per-run columns (scoring-multimodel.md §9.3) from one chain run.

    ``currentCoreStatus`` / ``currentExpansionStatus`` / ``currentGroupStatus`` /
    ``currentMultiGroupStatus`` take the raw scorer statuses, ``currentModelingGroup`` /
    ``currentModelingMultiGroup`` the modeling ids (NaN where missing) and
    ``currentDecidedBy`` the chain's ``decidedBy``.

    Parameters
    ----------
    inputs : MetaChainInputs
    result : MetaResult
        ``apply_meta_chain(inputs, ...)``.

    Returns
    -------
    RunStatuses
        Aligned with ``inputs`` rows; pass to ``update_status_history``.
    """
    cols = _Columns(inputs)
    return RunStatuses(
        final_status=result.final_status,
        core_status=cols.status("core_status"),
        decided_by=result.decided_by_labels(),
        stabilization_ts=result.stabilization_ts,
        expansion_status=cols.status("expansion_status"),
        group_status=cols.status("group_status"),
        multi_group_status=cols.status("multi_group_status"),
        modeling_group=cols.ids("modeling_group"),
        modeling_multi_group=cols.ids("modeling_multi_group"),
    )
