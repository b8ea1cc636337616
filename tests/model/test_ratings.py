"""``Ratings.subset``: lazy column gathering gives exactly the eager copy."""

from __future__ import annotations

import dataclasses
import pickle

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from bridgewatch.model import IdIndex, Ratings

_COLUMNS = [
    f.name for f in dataclasses.fields(Ratings) if f.name not in ("note_ids", "participant_ids")
]


def _ratings(n: int, seed: int = 0) -> Ratings:
    rng = np.random.default_rng(seed)
    return Ratings(
        note_idx=rng.integers(0, 7, n).astype(np.int32),
        rater_idx=rng.integers(0, 11, n).astype(np.int32),
        helpful_num=rng.choice([0.0, 0.5, 1.0], n).astype(np.float32),
        helpfulness_level=rng.integers(-1, 3, n).astype(np.int8),
        created_at_ms=rng.integers(0, 10**12, n).astype(np.int64),
        helpful_tags=rng.integers(0, 2**10, n).astype(np.uint16),
        not_helpful_tags=rng.integers(0, 2**12, n).astype(np.uint16),
        population_sampled=rng.random(n) < 0.2,
        note_ids=IdIndex(np.array([str(i) for i in range(7)])),
        participant_ids=IdIndex(np.array([f"p{i}" for i in range(11)])),
    )


def _eager(ratings: Ratings, keep: np.ndarray) -> dict[str, np.ndarray]:
    return {c: getattr(ratings, c)[keep] for c in _COLUMNS}


@settings(max_examples=60, deadline=None)
@given(
    st.integers(min_value=0, max_value=60),
    st.integers(min_value=0, max_value=2**31),
    st.floats(min_value=0.0, max_value=1.0),
    st.floats(min_value=0.0, max_value=1.0),
)
def test_nested_subsets_equal_eager_copies(n: int, seed: int, p1: float, p2: float) -> None:
    full = _ratings(n, seed)
    rng = np.random.default_rng(seed + 1)
    m1 = rng.random(n) < p1
    first = full.subset(m1)
    k1 = np.flatnonzero(m1)
    assert first.n_ratings == k1.shape[0]
    # read one column of the first subset before cutting it again: the second subset must
    # not depend on which columns the first has gathered
    _ = first.helpful_num
    m2 = rng.random(first.n_ratings) < p2
    second = first.subset(m2)
    k2 = k1[np.flatnonzero(m2)]
    assert second.n_ratings == k2.shape[0]
    for name, values in _eager(full, k2).items():
        got = getattr(second, name)
        assert got.dtype == values.dtype
        np.testing.assert_array_equal(got, values)
    for name, values in _eager(full, k1).items():
        np.testing.assert_array_equal(getattr(first, name), values)


def test_unread_columns_are_never_copied_and_root_released_when_all_read() -> None:
    full = _ratings(100)
    view = full.subset(np.arange(100) % 3 == 0)
    np.testing.assert_array_equal(view.note_idx, full.note_idx[::3])
    assert "created_at_ms" not in view.__dict__  # not gathered
    assert "note_idx" in view.__dict__  # gathered once, then kept
    assert any(v is full for v in _lazy_roots(view))
    for name in _COLUMNS:
        getattr(view, name)
    assert not any(v is full for v in _lazy_roots(view))


def _lazy_roots(ratings: Ratings) -> list[object]:
    return [v[0] for v in ratings.__dict__.values() if isinstance(v, tuple)]


def test_subset_of_subset_points_at_the_first_full_ratings() -> None:
    full = _ratings(50)
    first = full.subset(np.arange(50) >= 10)
    second = first.subset(np.arange(40) % 3 != 0)
    assert _lazy_roots(second) == [full]
    assert second.__dict__["_lazy_source"][1].dtype == np.int32


def test_pickle_and_replace_of_a_lazy_subset_hold_every_column() -> None:
    full = _ratings(40)
    view = full.subset(np.arange(40) < 25)
    clone = pickle.loads(pickle.dumps(view))
    assert _lazy_roots(clone) == []
    assert clone.n_ratings == 25
    for name, values in _eager(full, np.arange(25)).items():
        np.testing.assert_array_equal(getattr(clone, name), values)
    changed = dataclasses.replace(view, helpful_num=np.ones(25, dtype=np.float32))
    np.testing.assert_array_equal(changed.created_at_ms, full.created_at_ms[:25])
    assert changed.helpful_num.sum() == 25


def test_unknown_attribute_still_raises() -> None:
    view = _ratings(10).subset(np.arange(10) < 5)
    try:
        view.no_such_column  # type: ignore[attr-defined]  # noqa: B018
    except AttributeError:
        pass
    else:
        raise AssertionError("expected AttributeError")


def test_a_small_cut_is_copied_and_holds_no_reference_to_the_full_ratings() -> None:
    full = _ratings(100)
    empty = full.subset(np.zeros(100, dtype=np.bool_))
    small = full.subset(np.arange(100) < 10)
    assert _lazy_roots(empty) == [] and _lazy_roots(small) == []
    assert empty.n_ratings == 0 and empty.created_at_ms.dtype == np.int64
    np.testing.assert_array_equal(small.created_at_ms, full.created_at_ms[:10])


def test_full_mask_returns_the_same_object() -> None:
    full = _ratings(20)
    assert full.subset(np.ones(20, dtype=np.bool_)) is full


def test_take_equals_the_eager_rows_and_gathers_no_whole_column() -> None:
    full = _ratings(100, 3)
    keep = np.random.default_rng(4).random(100) < 0.6
    lazy = full.subset(keep)
    _ = lazy.note_idx  # one column gathered, the others still lazy
    positions = np.array([0, 2, 5, 9], dtype=np.int64)
    part = lazy.take(positions)
    rows = np.flatnonzero(keep)[positions]
    for name, values in _eager(full, rows).items():
        np.testing.assert_array_equal(getattr(part, name), values)
    assert part.note_ids is full.note_ids and part.participant_ids is full.participant_ids
    assert "helpful_num" not in lazy.__dict__  # read at the positions alone
    eager = full.take(positions)
    np.testing.assert_array_equal(eager.created_at_ms, full.created_at_ms[positions])


def test_a_detached_view_shares_what_is_gathered_and_keeps_its_own_gathers() -> None:
    full = _ratings(40)
    assert full.detached() is full
    view = full.subset(np.arange(40) % 4 != 0)  # 30 of 40: lazy
    gathered = view.note_idx
    task = view.detached()
    assert task is not view and task.note_idx is gathered  # no second copy
    np.testing.assert_array_equal(task.helpful_num, full.helpful_num[np.arange(40) % 4 != 0])
    assert "helpful_num" in vars(task) and "helpful_num" not in vars(view)
    assert task.n_ratings == view.n_ratings == 30
    for name, values in _eager(full, np.arange(40) % 4 != 0).items():
        np.testing.assert_array_equal(getattr(task, name), values)
