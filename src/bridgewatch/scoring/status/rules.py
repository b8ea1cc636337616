"""The ordered Core status rule table, applied in vectorised form (scoring-core.md §6).

Mechanics (§6.1): rules run in a fixed order; each emits (note, status) updates for the notes
that meet its condition among its candidates; the latest assignment wins; candidates are
defined by the label assigned so far in this rule list; comparisons with NaN are false.
``coreActiveRules`` lists every rule that emitted for the note, in order, as ``Name (vX.Y)``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, fields, is_dataclass, replace
from typing import Any, TypeVar

import numpy as np
from numpy.typing import NDArray

from bridgewatch.errors import InputError
from bridgewatch.model import Classification, NoteStatus
from bridgewatch.model.columns import NOT_HELPFUL_TAGS
from bridgewatch.scoring.status.aggregates import SignAggregates
from bridgewatch.scoring.status.config import StatusRulesConfig
from bridgewatch.scoring.status.tag_filter import IncorrectAggregates, TagAggregates

__all__ = [
    "CORE_RULE_NAMES",
    "CoreRuleInputs",
    "CoreRulesResult",
    "apply_core_rules",
    "label_array",
    "labels_from_bitmask",
    "provisional_statuses",
    "update_core_rules",
]

logger = logging.getLogger(__name__)

# §6.2, in table order; bit k of ``CoreRulesResult.active_rules`` is rule k.
CORE_RULE_NAMES: tuple[str, ...] = (
    "InitialNMR (v1.0)",
    "GeneralCRH (v1.0)",
    "GeneralCRNH (v1.0)",
    "UcbCRNH (v1.0)",
    "RatioCRNH (v1.0)",
    "NmCRNH (v1.0)",
    "GeneralCRHInertia (v1.0)",
    "TagFilter (v1.0)",
    "FilterIncorrect (v1.0)",
    "FilterLowDiligence (v1.0)",
    "FilterLargeFactor (v1.0)",
    "RejectLowIntercept (v1.0)",
    "MinMinorityRaters (v1.0)",
    "RaterBalance (v1.0)",
    "NoHighVolIntercept (v1.0)",
    "NoCorrelatedIntercept (v1.0)",
)
_PROVISIONAL_RULES = frozenset({0, 1, 2, 3, 5})  # §4.3: rules 1-4 and 6 (0-based here)
_HARD_TO_UNDERSTAND = NOT_HELPFUL_TAGS.index("notHelpfulHardToUnderstand")

_NMR = np.int8(NoteStatus.NEEDS_MORE_RATINGS)
_CRH = np.int8(NoteStatus.CURRENTLY_RATED_HELPFUL)
_CRNH = np.int8(NoteStatus.CURRENTLY_RATED_NOT_HELPFUL)
_FR = np.int8(NoteStatus.FIRM_REJECT)
_NYH = np.int8(NoteStatus.NEEDS_YOUR_HELP)


@dataclass(frozen=True)
class CoreRuleInputs:
    """Per-note figures the rules read; every array has shape (n_notes,) unless stated.

    Attributes
    ----------
    scored : bool
        Notes that get a Core row (the caller's scope: ≥1 scoped rating, capture filter).
        Other notes get status -1 and no rules.
    num_ratings : int
        ``numRatings`` (§5.5a).
    classification : int8
        ``Classification`` code, -1 for deleted notes (which count as misleading).
    intercept, factor : float
        Note intercept i_n and factor f_n; NaN when the note has none.
    previous_status : int8, optional
        ``currentStatus`` of the input NSH (-1 missing); rule 7. Required when final_round.
    intercept_max : float, optional
        Pseudo-rater upper bound ``coreNoteInterceptMax``; rule 4 (no-op when None).
    signs : SignAggregates, optional
        Rules 5, 13, 14. Required when final_round.
    tags : TagAggregates, optional
        Rule 8. Required when final_round.
    tag_thresholds : float array of shape (13,), optional
        threshold_t of §4.9, NOT_HELPFUL_TAGS order. Required when final_round.
    incorrect : IncorrectAggregates, optional
        Rule 9. Required when final_round.
    low_diligence_intercept : float, optional
        Rule 10. Required when final_round.
    intercept_no_high_vol, intercept_no_correlated : float, optional
        Rules 15-16 (NaN never blocks). Required when final_round.
    """

    scored: NDArray[np.bool_]
    num_ratings: NDArray[np.integer]
    classification: NDArray[np.int8]
    intercept: NDArray[np.floating]
    factor: NDArray[np.floating]
    previous_status: NDArray[np.int8] | None = None
    intercept_max: NDArray[np.floating] | None = None
    signs: SignAggregates | None = None
    tags: TagAggregates | None = None
    tag_thresholds: NDArray[np.floating] | None = None
    incorrect: IncorrectAggregates | None = None
    low_diligence_intercept: NDArray[np.floating] | None = None
    intercept_no_high_vol: NDArray[np.floating] | None = None
    intercept_no_correlated: NDArray[np.floating] | None = None

    @property
    def n_notes(self) -> int:
        """Number of notes."""
        return int(self.scored.shape[0])


@dataclass(frozen=True)
class CoreRulesResult:
    """Outcome of the Core rule table, with a per-note trace for explanations.

    Attributes
    ----------
    status : int8 array of shape (n_notes,)
        ``coreRatingStatus`` as ``NoteStatus`` codes (FIRM_REJECT, NEEDS_YOUR_HELP possible);
        -1 for notes outside ``scored``.
    active_rules : uint32 array of shape (n_notes,)
        Bit k set when rule ``CORE_RULE_NAMES[k]`` emitted an update for the note.
    decided_by : int8 array of shape (n_notes,)
        Index in ``CORE_RULE_NAMES`` of the last rule that emitted for the note (-1 if none).
    filter_tags : uint16 array of shape (n_notes,)
        Bit k set when tag ``NOT_HELPFUL_TAGS[k]`` triggered TagFilter (``activeFilterTags``).
    crnh_bound : float64 array of shape (n_notes,)
        Rule 3's bound ``crnh_intercept + crnh_factor_multiplier·|f_n|``.
    inertia_conflicts : int64 array
        Notes that rule 7 would promote although i_n > the CRH threshold; the reference aborts
        the run here (§6.3). We skip those notes (they keep their label) and log a warning.
    final_round : bool
        False for the provisional (§4.3) rule set.
    inputs : CoreRuleInputs
        The figures the rules read, kept for ``explain``.
    config : StatusRulesConfig
        The thresholds used.
    """

    status: NDArray[np.int8]
    active_rules: NDArray[np.uint32]
    decided_by: NDArray[np.int8]
    filter_tags: NDArray[np.uint16]
    crnh_bound: NDArray[np.float64]
    inertia_conflicts: NDArray[np.int64]
    final_round: bool
    inputs: CoreRuleInputs
    config: StatusRulesConfig

    def active_rules_labels(self) -> list[str | None]:
        """``coreActiveRules`` strings per note (None outside ``scored``)."""
        labels = labels_from_bitmask(self.active_rules, CORE_RULE_NAMES)
        return [lab if s else None for lab, s in zip(labels, self.inputs.scored, strict=True)]

    def filter_tags_labels(self) -> list[str | None]:
        """``activeFilterTags`` strings per note (None when no tag triggered)."""
        labels = labels_from_bitmask(self.filter_tags, NOT_HELPFUL_TAGS)
        return [lab if lab else None for lab in labels]

    def explain(self, note: int) -> list[str]:
        """Human-readable lines: each rule's figures vs thresholds for one note."""
        from bridgewatch.scoring.status.explain import explain_core_rules

        return explain_core_rules(self, note)


def labels_from_bitmask(bits: NDArray[np.unsignedinteger], names: tuple[str, ...]) -> list[str]:
    """Comma-join the names of the set bits, in bit order, for every entry.

    Builds one string per distinct mask, so the cost is O(n + distinct masks · len(names)).
    """
    labels: list[str] = label_array(bits, names).tolist()
    return labels


def _label(mask: int, names: tuple[str, ...]) -> str:
    return ",".join(name for k, name in enumerate(names) if (mask >> k) & 1)


# Labels by mask for name lists of at most 16 names (the Core table), filled as masks appear.
_LABELS: dict[tuple[str, ...], NDArray[np.object_]] = {}
_TABLE_BITS = 16


def label_array(bits: NDArray[np.unsignedinteger], names: tuple[str, ...]) -> NDArray[np.object_]:
    """:func:`labels_from_bitmask` as an object array of shape ``bits.shape`` (flattened)."""
    flat = np.asarray(bits).ravel()
    if len(names) <= _TABLE_BITS and flat.shape[0] and int(flat.max()) < 1 << _TABLE_BITS:
        # A lookup table over every mask: no sort of the notes' masks (one per note and
        # scorer in a pass).
        table = _LABELS.get(names)
        if table is None:
            table = np.full(1 << _TABLE_BITS, None, dtype=object)
            _LABELS[names] = table
        seen = np.zeros(1 << _TABLE_BITS, dtype=np.bool_)
        seen[flat] = True
        for mask in np.flatnonzero(seen).tolist():
            if table[mask] is None:
                table[mask] = _label(mask, names)
        looked: NDArray[np.object_] = table[flat]
        return looked
    unique, inverse = np.unique(flat, return_inverse=True)
    texts = np.empty(unique.shape[0], dtype=object)
    texts[:] = [_label(int(mask), names) for mask in unique]
    out: NDArray[np.object_] = texts[inverse.ravel()]
    return out


def _float(a: NDArray[np.floating] | None, n: int, name: str) -> NDArray[np.float64]:
    if a is None:
        return np.full(n, np.nan)
    arr = np.asarray(a, dtype=np.float64)
    if arr.shape != (n,):
        raise InputError(f"expected shape ({n},), got {arr.shape}", field=name)
    return arr


_T = TypeVar("_T")


def _need(value: _T | None, name: str) -> _T:
    if value is None:
        raise InputError("required for the final-round rule set (§6.2)", field=name)
    return value


class _Engine:
    """Latest-assignment-wins bookkeeping over the rule list."""

    def __init__(self, scored: NDArray[np.bool_]) -> None:
        n = scored.shape[0]
        self.scored = scored
        self.status = np.full(n, -1, dtype=np.int8)
        self.active = np.zeros(n, dtype=np.uint32)
        self.decided = np.full(n, -1, dtype=np.int8)

    def emit(self, rule: int, mask: NDArray[np.bool_], status: np.int8) -> None:
        mask = mask & self.scored
        self.status[mask] = status
        self.active[mask] |= np.uint32(1 << rule)
        self.decided[mask] = rule


def apply_core_rules(
    inputs: CoreRuleInputs,
    config: StatusRulesConfig,
    *,
    final_round: bool = True,
) -> CoreRulesResult:
    """Apply the ordered Core rule table of §6.2.

    With ``final_round=False`` only rules 1-4 and 6 run (the provisional statuses of §4.3).

    Parameters
    ----------
    inputs : CoreRuleInputs
    config : StatusRulesConfig
    final_round : bool
        Run the full final-scoring table (rules 1-16).

    Returns
    -------
    CoreRulesResult
    """
    return _apply(inputs, config, final_round, None)


def _apply(
    inputs: CoreRuleInputs,
    config: StatusRulesConfig,
    final_round: bool,
    note_rows: NDArray[np.int64] | None,
) -> CoreRulesResult:
    """:func:`apply_core_rules`; ``note_rows`` maps the notes of ``inputs`` to the rows the
    caller knows them by (for the warning), None: the same."""
    n = inputs.n_notes
    scored = np.asarray(inputs.scored, dtype=np.bool_)
    num = np.asarray(inputs.num_ratings)
    if num.shape != (n,) or np.asarray(inputs.classification).shape != (n,):
        raise InputError(f"expected shape ({n},)", field="num_ratings/classification")
    cls = np.asarray(inputs.classification)
    i_n = _float(inputs.intercept, n, "intercept")
    f_n = _float(inputs.factor, n, "factor")
    i_max = _float(inputs.intercept_max, n, "intercept_max")
    enough = num >= config.min_ratings_to_get_rating
    misleading = cls != Classification.NOT_MISLEADING
    crnh_bound = config.crnh_intercept + config.crnh_factor_multiplier * np.abs(f_n)

    e = _Engine(scored)
    e.emit(0, np.ones(n, dtype=np.bool_), _NMR)
    e.emit(1, misleading & enough & (i_n >= config.crh_threshold), _CRH)
    e.emit(2, enough & (i_n <= crnh_bound), _CRNH)
    e.emit(3, enough & (i_max < config.crnh_ucb_threshold), _CRNH)
    filter_tags = np.zeros(n, dtype=np.uint16)
    conflicts = np.zeros(0, dtype=np.int64)
    if final_round:
        signs = _need(inputs.signs, "signs")
        neg, pos = signs.neg_mean_helpful, signs.pos_mean_helpful
        e.emit(
            4,
            enough
            & (signs.min_sign_count >= config.ratio_crnh_min_sign_count)
            & (neg <= config.ratio_crnh_max_side_mean)
            & (pos <= config.ratio_crnh_max_side_mean)
            & ((neg + pos) / 2.0 <= config.ratio_crnh_max_average_mean),
            _CRNH,
        )
    nm = cls == Classification.NOT_MISLEADING
    e.emit(5, nm & (i_n < config.nm_crnh_threshold), _CRNH)
    if final_round:
        filter_tags, conflicts = _final_round_rules(e, inputs, config, i_n, f_n, enough, note_rows)
    return CoreRulesResult(
        status=e.status,
        active_rules=e.active,
        decided_by=e.decided,
        filter_tags=filter_tags,
        crnh_bound=crnh_bound,
        inertia_conflicts=conflicts,
        final_round=final_round,
        inputs=inputs,
        config=config,
    )


def _final_round_rules(
    e: _Engine,
    inputs: CoreRuleInputs,
    config: StatusRulesConfig,
    i_n: NDArray[np.float64],
    f_n: NDArray[np.float64],
    enough: NDArray[np.bool_],
    note_rows: NDArray[np.int64] | None,
) -> tuple[NDArray[np.uint16], NDArray[np.int64]]:
    n = inputs.n_notes
    prev = np.asarray(_need(inputs.previous_status, "previous_status"))
    misleading = np.asarray(inputs.classification) != Classification.NOT_MISLEADING
    inertia = (
        (e.status != _CRH)
        & misleading
        & enough
        & (i_n >= config.crh_threshold - config.crh_inertia_delta)
        & (prev == _CRH)
    )
    over = inertia & e.scored & (i_n > config.crh_threshold)
    conflicts = np.flatnonzero(over).astype(np.int64)
    if conflicts.size:
        logger.warning(
            "GeneralCRHInertia: %d note(s) with intercept above %.2f and a previous CRH status "
            "are not CRH now (the reference aborts here, scoring-core.md §6.3); they keep "
            "their current label. First note rows: %s",
            conflicts.size,
            config.crh_threshold,
            (conflicts if note_rows is None else note_rows[conflicts])[:10].tolist(),
        )
    e.emit(6, inertia & ~over, _CRH)

    tags = _need(inputs.tags, "tags")
    thresholds = _need(inputs.tag_thresholds, "tag_thresholds")
    incorrect = _need(inputs.incorrect, "incorrect")
    signs = _need(inputs.signs, "signs")
    thr = np.asarray(thresholds, dtype=np.float64)
    if thr.shape != (len(NOT_HELPFUL_TAGS),):
        raise InputError(f"expected shape ({len(NOT_HELPFUL_TAGS)},)", field="tag_thresholds")
    trigger = (tags.adjusted > config.tag_filter_min_adjusted) & (tags.adjusted_ratio > thr)
    trigger[:, _HARD_TO_UNDERSTAND] = False
    weights = (np.uint16(1) << np.arange(len(NOT_HELPFUL_TAGS), dtype=np.uint16)).astype(np.uint16)
    filter_tags = (trigger.astype(np.uint16) * weights).sum(axis=1).astype(np.uint16)
    # Scorers without a firm-reject threshold filter to NMR instead (multimodel §2.6).
    reject = _FR if config.firm_reject else _NMR
    not_crnh = e.status != _CRNH
    filter_tags[~(not_crnh & e.scored)] = 0
    e.emit(7, not_crnh & trigger.any(axis=1), reject)

    not_crnh = e.status != _CRNH
    e.emit(
        8,
        not_crnh
        & (incorrect.incorrect >= config.incorrect_min_tags)
        & (incorrect.num_voters >= config.incorrect_min_voters)
        & (incorrect.tf_idf >= config.incorrect_min_tf_idf),
        reject,
    )
    _need(inputs.low_diligence_intercept, "low_diligence_intercept")
    _need(inputs.intercept_no_high_vol, "intercept_no_high_vol")
    _need(inputs.intercept_no_correlated, "intercept_no_correlated")
    low_dil = _float(inputs.low_diligence_intercept, n, "low_diligence_intercept")
    e.emit(9, (e.status != _CRNH) & (low_dil > config.low_diligence_threshold), reject)
    e.emit(10, (e.status == _CRH) & (np.abs(f_n) > config.large_factor_threshold), reject)
    if config.firm_reject:
        e.emit(11, (e.status != _CRNH) & (i_n < config.firm_reject_threshold), _FR)
    if config.net_helpful_rules:
        net = signs.net_min_helpful
        e.emit(12, (e.status == _CRH) & (net < config.min_net_helpful), _NYH)
        e.emit(
            13,
            (e.status == _CRH)
            & (net >= config.min_net_helpful)
            & (net < config.net_helpful_balance_upper)
            & (signs.net_min_helpful_ratio < config.min_net_helpful_ratio),
            _NYH,
        )
    no_hv = _float(inputs.intercept_no_high_vol, n, "intercept_no_high_vol")
    e.emit(14, (e.status == _CRH) & (no_hv < config.no_high_vol_threshold), _NYH)
    no_corr = _float(inputs.intercept_no_correlated, n, "intercept_no_correlated")
    e.emit(15, (e.status == _CRH) & (no_corr < config.no_correlated_threshold), _NYH)
    return filter_tags, conflicts


def _take(obj: _T, rows: NDArray[np.int64], n: int) -> _T:
    """Every per-note array of a (nested) dataclass of rule inputs at ``rows``; run-wide
    figures (scalars, arrays of another length) kept."""
    changes: dict[str, Any] = {}
    for f in fields(obj):  # type: ignore[arg-type]
        value = getattr(obj, f.name)
        if isinstance(value, np.ndarray) and value.ndim >= 1 and value.shape[0] == n:
            changes[f.name] = value[rows]
        elif is_dataclass(value) and not isinstance(value, type):
            changes[f.name] = _take(value, rows, n)
    return replace(obj, **changes)  # type: ignore[type-var]


def moved_predicates(
    previous: CoreRulesResult,
    intercept_max: NDArray[np.floating] | None,
    low_diligence_intercept: NDArray[np.floating] | None,
    previous_status: NDArray[np.integer] | None,
) -> NDArray[np.bool_] | None:
    """Notes where one of the three figures a pass moves for every note crosses the
    threshold its rule reads, against ``previous``' inputs (see :func:`update_core_rules`).

    Parameters
    ----------
    previous : a final-round rule result on the same note index (n_notes notes).
    intercept_max, low_diligence_intercept : float arrays of shape (n_notes,) or None.
    previous_status : int8 array of shape (n_notes,) or None.

    Returns
    -------
    bool array of shape (n_notes,) (a new array), or None when a figure is given on one
    side only (every note must be redone).
    """
    config = previous.config
    old = previous.inputs
    checks = [
        _flips(old.intercept_max, intercept_max, lambda a: a < config.crnh_ucb_threshold),
        _flips(
            old.low_diligence_intercept,
            low_diligence_intercept,
            lambda a: a > config.low_diligence_threshold,
        ),
        _flips(old.previous_status, previous_status, lambda a: a),
    ]
    redo = np.zeros(old.n_notes, dtype=np.bool_)
    for c in checks:
        if c is None:
            return None
        if c.shape[0]:
            redo |= c
    return redo


def _flips(
    old: NDArray[np.floating] | NDArray[np.integer] | None,
    new: NDArray[np.floating] | NDArray[np.integer] | None,
    test: Any,
) -> NDArray[np.bool_] | None:
    """Notes where the predicate ``test`` a rule reads differs between the two arrays;
    None when only one of them is given (every note is redone)."""
    if old is None and new is None:
        return np.zeros(0, dtype=np.bool_)
    if old is None or new is None:
        return None
    with np.errstate(invalid="ignore"):
        out: NDArray[np.bool_] = test(np.asarray(old)) != test(np.asarray(new))
    return out


def update_core_rules(
    previous: CoreRulesResult, inputs: CoreRuleInputs, rows: NDArray[np.int64]
) -> CoreRulesResult:
    """:func:`apply_core_rules` (final round) on ``inputs``, redoing only the notes whose
    rule inputs changed since ``previous``.

    Every rule reads the note's own figures only (§6.1), so a note whose figures did not
    change keeps its outcome. The caller names in ``rows`` every note whose per-note inputs
    (fits, aggregates, ``scored``) may differ from ``previous.inputs``; the three figures a
    pass moves for every note are checked here, note by note, through the predicate the rule
    reads: ``intercept_max`` (rule 4, ``< crnh_ucb_threshold``; the pseudo-rater
    regularisation follows |R|), ``low_diligence_intercept`` (rule 10, ``>`` its threshold;
    the joint low-diligence fit) and ``previous_status`` (rule 7). The result equals
    ``apply_core_rules(inputs, previous.config)``, which is run instead whenever the note
    index, the classifications or the tag thresholds differ.

    Parameters
    ----------
    previous : the final-round rule result of the previous pass, same note index.
    inputs : this pass's rule inputs.
    rows : int64 array, the notes whose per-note inputs may have changed (any order).

    Returns
    -------
    CoreRulesResult
    """
    config = previous.config
    old = previous.inputs
    n = inputs.n_notes
    same = (
        previous.final_round
        and old.n_notes == n
        and old.tag_thresholds is not None
        and inputs.tag_thresholds is not None
        and np.array_equal(old.tag_thresholds, inputs.tag_thresholds, equal_nan=True)
        and np.array_equal(old.classification, inputs.classification)
    )
    moved = (
        moved_predicates(
            previous,
            inputs.intercept_max,
            inputs.low_diligence_intercept,
            inputs.previous_status,
        )
        if same
        else None
    )
    if moved is None:
        return apply_core_rules(inputs, config, final_round=True)
    redo = moved
    redo[rows] = True
    picked = np.flatnonzero(redo).astype(np.int64)
    part = _apply(_take(inputs, picked, n), config, True, picked)

    def merged(before: NDArray[Any], now: NDArray[Any]) -> NDArray[Any]:
        out = before.copy()
        out[picked] = now
        return out

    kept = previous.inertia_conflicts[~redo[previous.inertia_conflicts]]
    return CoreRulesResult(
        status=merged(previous.status, part.status),
        active_rules=merged(previous.active_rules, part.active_rules),
        decided_by=merged(previous.decided_by, part.decided_by),
        filter_tags=merged(previous.filter_tags, part.filter_tags),
        crnh_bound=merged(previous.crnh_bound, part.crnh_bound),
        inertia_conflicts=np.union1d(kept, picked[part.inertia_conflicts]).astype(np.int64),
        final_round=True,
        inputs=inputs,
        config=config,
    )


def provisional_statuses(
    intercept: NDArray[np.floating],
    factor: NDArray[np.floating],
    num_ratings: NDArray[np.integer],
    classification: NDArray[np.int8],
    config: StatusRulesConfig,
    scored: NDArray[np.bool_] | None = None,
) -> NDArray[np.int8]:
    """Provisional statuses of prescoring (§4.3): rules 1-4 and 6 on round-1 params.

    Parameters
    ----------
    intercept, factor : float arrays of shape (n_notes,)
        Round-1 note params (NaN where none).
    num_ratings : int array of shape (n_notes,)
        Count of scoped ratings per note.
    classification : int8 array of shape (n_notes,)
    config : StatusRulesConfig
    scored : bool array of shape (n_notes,), optional
        Notes to label; default every note.

    Returns
    -------
    int8 array of shape (n_notes,)
        NMR / CRH / CRNH codes (-1 outside ``scored``).
    """
    n = np.asarray(intercept).shape[0]
    inputs = CoreRuleInputs(
        scored=np.ones(n, dtype=np.bool_) if scored is None else np.asarray(scored, np.bool_),
        num_ratings=num_ratings,
        classification=classification,
        intercept=intercept,
        factor=factor,
    )
    return apply_core_rules(inputs, config, final_round=False).status
