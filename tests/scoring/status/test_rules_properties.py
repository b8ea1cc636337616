"""The vectorised rule table against a note-by-note reading of scoring-core.md §6.2."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from bridgewatch.model import NoteStatus
from bridgewatch.scoring.status import (
    CoreRuleInputs,
    IncorrectAggregates,
    SignAggregates,
    StatusRulesConfig,
    TagAggregates,
    apply_core_rules,
    update_core_rules,
)

CFG = StatusRulesConfig()
NMR, CRH, CRNH = 0, 1, 2
FR, NYH = int(NoteStatus.FIRM_REJECT), int(NoteStatus.NEEDS_YOUR_HELP)


def maybe_nan(rng: np.random.Generator, values: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    return np.where(rng.random(values.shape) < 0.1, np.nan, values)


def random_inputs(seed: int, n: int) -> CoreRuleInputs:
    rng = np.random.default_rng(seed)
    net = rng.integers(-3, 15, (n, 2))
    net_min = np.maximum(0, net.min(axis=1))
    counts = rng.integers(0, 30, (n, 2))
    return CoreRuleInputs(
        scored=rng.random(n) < 0.9,
        num_ratings=rng.integers(0, 12, n),
        classification=rng.integers(-1, 2, n).astype(np.int8),
        intercept=maybe_nan(rng, rng.uniform(-0.6, 0.7, n).round(2)),
        factor=maybe_nan(rng, rng.uniform(-0.8, 0.8, n).round(2)),
        previous_status=rng.integers(-1, 3, n).astype(np.int8),
        intercept_max=maybe_nan(rng, rng.uniform(-0.3, 0.7, n).round(2)),
        signs=SignAggregates(
            num_ratings=rng.integers(0, 12, n),
            neg_count=counts[:, 0],
            pos_count=counts[:, 1],
            min_sign_count=counts.min(axis=1),
            neg_mean_helpful=maybe_nan(rng, rng.uniform(0, 1, n).round(1)),
            pos_mean_helpful=maybe_nan(rng, rng.uniform(0, 1, n).round(1)),
            net_neg=net[:, 0],
            net_pos=net[:, 1],
            net_min_helpful=net_min,
            net_min_helpful_ratio=maybe_nan(rng, rng.uniform(0, 0.1, n).round(3)),
            pop_neg_count=np.zeros(n, np.int64),
            pop_pos_count=np.zeros(n, np.int64),
        ),
        tags=TagAggregates(
            np.ones(n),
            maybe_nan(rng, rng.uniform(0, 4, (n, 13)).round(1)),
            maybe_nan(rng, rng.uniform(0, 0.6, (n, 13)).round(2)),
            1.0,
        ),
        tag_thresholds=maybe_nan(rng, rng.uniform(0.3, 0.6, 13)),
        incorrect=IncorrectAggregates(
            maybe_nan(rng, rng.integers(0, 4, n).astype(float)),
            np.zeros(n),
            maybe_nan(rng, rng.integers(0, 5, n).astype(float)),
            maybe_nan(rng, rng.uniform(0, 4, n).round(1)),
        ),
        low_diligence_intercept=maybe_nan(rng, rng.uniform(0, 0.4, n).round(3)),
        intercept_no_high_vol=maybe_nan(rng, rng.uniform(0.2, 0.6, n).round(2)),
        intercept_no_correlated=maybe_nan(rng, rng.uniform(0.2, 0.6, n).round(2)),
    )


def lt(a: float, b: float) -> bool:
    return not (math.isnan(a) or math.isnan(b)) and a < b


def le(a: float, b: float) -> bool:
    return not (math.isnan(a) or math.isnan(b)) and a <= b


def one_note(x: CoreRuleInputs, i: int) -> tuple[int, list[int]]:
    """Apply the table to note ``i`` in plain Python, as the spec reads."""
    assert x.signs and x.tags and x.incorrect and x.previous_status is not None
    assert x.intercept_max is not None and x.tag_thresholds is not None
    assert x.low_diligence_intercept is not None and x.intercept_no_high_vol is not None
    assert x.intercept_no_correlated is not None
    if not x.scored[i]:
        return -1, []
    i_n, f_n = float(x.intercept[i]), float(x.factor[i])
    enough = x.num_ratings[i] >= 5
    misleading = x.classification[i] != 0
    s, fired = NMR, [0]

    def emit(rule: int, status: int) -> None:
        nonlocal s
        s = status
        fired.append(rule)

    if misleading and enough and le(0.40, i_n):
        emit(1, CRH)
    if enough and le(i_n, -0.05 - 0.8 * abs(f_n)):
        emit(2, CRNH)
    if enough and lt(float(x.intercept_max[i]), -0.04):
        emit(3, CRNH)
    neg, pos = float(x.signs.neg_mean_helpful[i]), float(x.signs.pos_mean_helpful[i])
    if enough and x.signs.min_sign_count[i] >= 3 and le(neg, 0.4) and le(pos, 0.4):
        if le((neg + pos) / 2, 0.3):
            emit(4, CRNH)
    if x.classification[i] == 0 and lt(i_n, -0.15):
        emit(5, CRNH)
    if s != CRH and misleading and enough and le(0.39, i_n) and x.previous_status[i] == CRH:
        if not lt(0.40, i_n):
            emit(6, CRH)
    triggered = any(
        lt(2.5, float(x.tags.adjusted[i, k]))
        and lt(float(x.tag_thresholds[k]), float(x.tags.adjusted_ratio[i, k]))
        for k in range(13)
        if k != 6
    )
    if s != CRNH and triggered:
        emit(7, FR)
    inc = x.incorrect
    if (
        s != CRNH
        and le(2, float(inc.incorrect[i]))
        and le(3, float(inc.num_voters[i]))
        and le(2.5, float(inc.tf_idf[i]))
    ):
        emit(8, FR)
    if s != CRNH and lt(0.263, float(x.low_diligence_intercept[i])):
        emit(9, FR)
    if s == CRH and lt(0.5, abs(f_n)):
        emit(10, FR)
    if s != CRNH and lt(i_n, 0.30):
        emit(11, FR)
    net = int(x.signs.net_min_helpful[i])
    if s == CRH and net < 4:
        emit(12, NYH)
    if s == CRH and 4 <= net < 10 and lt(float(x.signs.net_min_helpful_ratio[i]), 0.05):
        emit(13, NYH)
    if s == CRH and lt(float(x.intercept_no_high_vol[i]), 0.37):
        emit(14, NYH)
    if s == CRH and lt(float(x.intercept_no_correlated[i]), 0.37):
        emit(15, NYH)
    return s, fired


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_vectorised_table_equals_the_note_by_note_reading(seed: int) -> None:
    inputs = random_inputs(seed, 300)
    result = apply_core_rules(inputs, CFG)
    for i in range(300):
        status, fired = one_note(inputs, i)
        assert result.status[i] == status, result.explain(i)
        bits = int(result.active_rules[i])
        assert [k for k in range(16) if (bits >> k) & 1] == fired


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_permuting_notes_permutes_the_results(seed: int) -> None:
    inputs = random_inputs(seed, 50)
    perm = np.random.default_rng(seed).permutation(50)

    def take(value: Any) -> Any:
        if isinstance(value, np.ndarray) and value.shape[:1] == (50,):
            return value[perm]
        if isinstance(value, (SignAggregates, TagAggregates, IncorrectAggregates)):
            return type(value)(*(take(getattr(value, f)) for f in value.__dataclass_fields__))
        return value

    permuted = CoreRuleInputs(**{f: take(getattr(inputs, f)) for f in inputs.__dataclass_fields__})
    a, b = apply_core_rules(inputs, CFG), apply_core_rules(permuted, CFG)
    np.testing.assert_array_equal(a.status[perm], b.status)
    np.testing.assert_array_equal(a.active_rules[perm], b.active_rules)
    np.testing.assert_array_equal(a.filter_tags[perm], b.filter_tags)


_WIDE = ("intercept_max", "low_diligence_intercept", "previous_status")


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_redoing_the_changed_notes_equals_the_whole_table(seed: int) -> None:
    """A pass moves some notes' figures and every note's bounds, low-diligence intercept and
    previous status: re-applying the table to the named notes and to the notes where those
    move a rule's predicate gives the whole table's result."""
    n = 200
    before, after = random_inputs(seed, n), random_inputs(seed + 1, n)
    rng = np.random.default_rng(seed)
    rows = np.flatnonzero(rng.random(n) < 0.1).astype(np.int64)
    changed = np.zeros(n, dtype=np.bool_)
    changed[rows] = True
    # Most notes keep the predicate of the wide figures; some cross a threshold.
    keep = rng.random(n) < 0.8

    def mix(old: Any, new: Any, name: str) -> Any:
        if isinstance(old, (SignAggregates, TagAggregates, IncorrectAggregates)):
            return type(old)(
                *(mix(getattr(old, f), getattr(new, f), f) for f in old.__dataclass_fields__)
            )
        if not isinstance(old, np.ndarray) or old.shape[:1] != (n,) or name == "classification":
            return old
        pick = (changed | ~keep) if name in _WIDE else changed
        mask = pick if old.ndim == 1 else pick[:, None]
        return np.where(mask, new, old)

    moved = CoreRuleInputs(
        **{f: mix(getattr(before, f), getattr(after, f), f) for f in before.__dataclass_fields__}
    )
    whole = apply_core_rules(moved, CFG)
    part = update_core_rules(apply_core_rules(before, CFG), moved, rows)
    for field in ("status", "active_rules", "decided_by", "filter_tags", "crnh_bound"):
        np.testing.assert_array_equal(getattr(part, field), getattr(whole, field), err_msg=field)
    np.testing.assert_array_equal(part.inertia_conflicts, whole.inertia_conflicts)
    assert part.inputs is moved
