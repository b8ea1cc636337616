"""``follow_inputs``: a pass's inputs updated from the previous pass's equal ``live_inputs``."""

from __future__ import annotations

from dataclasses import fields, replace

import numpy as np
import pytest

from bridgewatch.io.dataset import Dataset
from bridgewatch.model import Ratings
from bridgewatch.model.ratings import RATING_COLUMNS
from bridgewatch.pipeline.inputs import build_note_context
from bridgewatch.scoring.config import ScoringConfig
from bridgewatch.scoring.history import StatusHistory
from bridgewatch.scoring.incremental import (
    InputsTrail,
    NoteContext,
    RecentPerNote,
    follow_inputs,
    live_inputs,
)
from bridgewatch.scoring.incremental.watch import PopularityCache, _Popularity
from bridgewatch.scoring.inputs import CoreInputs
from bridgewatch.scoring.preprocess.high_volume import counts_after
from tests.scoring.community import load_small_community


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Dataset:
    return load_small_community(tmp_path_factory.mktemp("community"))


class _Buffers:
    """Rating columns with room, handed out as views of their first entries (as the
    worker's ``LiveRows`` does)."""

    def __init__(self, ratings: Ratings, n: int) -> None:
        self.like = ratings
        self.buffers = {
            name: np.empty(n, dtype=getattr(ratings, name).dtype) for name in RATING_COLUMNS
        }
        self.size = 0

    def write(self, at: int, part: dict[str, np.ndarray]) -> Ratings:
        k = part["note_idx"].shape[0]
        for name in RATING_COLUMNS:
            self.buffers[name][at : at + k] = part[name]
        self.size = at + k
        return Ratings(
            **{name: self.buffers[name][: at + k] for name in RATING_COLUMNS},
            note_ids=self.like.note_ids,
            participant_ids=self.like.participant_ids,
        )


def _setup(
    dataset: Dataset, seed: int
) -> tuple[NoteContext, Ratings, StatusHistory, ScoringConfig, dict[str, np.ndarray]]:
    config = ScoringConfig(topics=None)
    history = StatusHistory.from_frame(dataset.status_history)
    context = build_note_context(
        dataset.notes, history, dataset.enrollment, dataset.participant_ids, config
    )
    rows = context.base.note_ids.lookup(dataset.note_ids.ids[dataset.ratings.note_idx])
    ratings = Ratings(
        **{
            f.name: getattr(dataset.ratings, f.name)
            for f in fields(Ratings)
            if f.name not in ("note_idx", "note_ids")
        },
        note_idx=rows.astype(np.int32),
        note_ids=context.base.note_ids,
    )
    # In time order, as the worker mostly sees them (a few out of order below).
    ratings = ratings.take(np.argsort(ratings.created_at_ms, kind="stable"))
    rng = np.random.default_rng(seed)
    n_part = ratings.n_participants
    # Small clusters over a third of the raters, so that (note, cluster) pairs repeat, and
    # some quasi-clique raters.
    cluster = np.where(rng.random(n_part) < 0.35, rng.integers(0, 12, n_part), -1)
    if seed == 5:
        cluster[:] = -1  # (clusters that keep every rating)
    groups = {
        "rater_cluster": cluster.astype(np.int64),
        "rater_quasi_clique": np.where(rng.random(n_part) < 0.1, 1, -1).astype(np.int64),
    }
    return context, ratings, history, config, groups


def _columns(r: Ratings, start: int, end: int) -> dict[str, np.ndarray]:
    return {name: getattr(r, name)[start:end] for name in RATING_COLUMNS}


def _assert_same(got: CoreInputs, want: CoreInputs) -> None:
    for name in ("ratings", "post_pss", "scoped"):
        a, b = getattr(got, name), getattr(want, name)
        for column in RATING_COLUMNS:
            np.testing.assert_array_equal(getattr(a, column), getattr(b, column), err_msg=name)
    for name in ("correlated", "scoped_correlated", "high_volume", "captured"):
        np.testing.assert_array_equal(getattr(got, name), getattr(want, name), err_msg=name)
    assert got.history is want.history
    assert got.note_ids is want.note_ids


@pytest.mark.parametrize("seed", [0, 1, 5])
def test_a_chain_of_passes_equals_live_inputs(dataset: Dataset, seed: int) -> None:
    context, ratings, history, config, groups = _setup(dataset, seed)
    n = ratings.n_ratings
    buffers = _Buffers(ratings, n + 50)
    start = n // 2
    current = buffers.write(0, _columns(ratings, 0, start))
    trail: InputsTrail | None = None
    updated = 0
    rng = np.random.default_rng(seed)
    while start < n:
        end = min(n, start + int(rng.integers(0, 60)))
        part = _columns(ratings, start, end)
        if rng.random() < 0.15 and end > start:
            # Out of time order: older timestamps (the high-volume counts re-sort; a new
            # rating earlier than its (note, cluster)'s kept one takes the full path).
            # (And just after a high-volume window's cutoff: among its next leavers.)
            day = 86_400_000
            shift = [40 * day, 7 * day - 3_600_000, 28 * day - 7_200_000][int(rng.integers(3))]
            part["created_at_ms"] = part["created_at_ms"] - shift
        current = buffers.write(start, part)
        got, new_trail = follow_inputs(trail, context, current, history, config, **groups)
        want = live_inputs(context, current, history, config, **groups)
        _assert_same(got, want)
        if new_trail.follow is not None:
            updated += 1
            # The high-volume counts themselves, not only the flags they give.
            recent = new_trail.follow.recent
            newest = int(current.created_at_ms.max())
            cutoffs = np.asarray(
                [newest - w for w in config.preprocess.high_volume_windows_ms], dtype=np.int64
            )
            np.testing.assert_array_equal(recent.cutoffs, cutoffs)
            np.testing.assert_array_equal(
                recent.counts,
                counts_after(
                    current.rater_idx, current.created_at_ms, cutoffs, current.n_participants
                ),
            )
        trail, start = new_trail, end
    assert updated > 3  # (most passes took the update)


def test_an_undone_pass_leaves_the_earlier_trail_valid(dataset: Dataset) -> None:
    context, ratings, history, config, groups = _setup(dataset, 2)
    n = ratings.n_ratings
    buffers = _Buffers(ratings, n)
    current = buffers.write(0, _columns(ratings, 0, n - 700))
    trail = follow_inputs(None, context, current, history, config, **groups)[1]
    current = buffers.write(n - 700, _columns(ratings, n - 700, n - 600))
    trail = follow_inputs(trail, context, current, history, config, **groups)[1]
    # (The first pass that extends a full pass's ratings is a full pass too: see
    # ``follow_inputs``.)
    assert trail.follow is None and trail.streak == 1
    current = buffers.write(n - 600, _columns(ratings, n - 600, n - 500))
    saved = follow_inputs(trail, context, current, history, config, **groups)[1]
    assert saved.follow is not None
    # A pass that is undone appends to the trail's buffers...
    current = buffers.write(n - 500, _columns(ratings, n - 500, n - 300))
    undone = follow_inputs(saved, context, current, history, config, **groups)[1]
    assert undone.follow is not None
    # ... then other ratings come after the saved pass's (the same buffers, rewritten).
    other = _columns(ratings, n - 300, n)
    current = buffers.write(n - 500, other)
    got, _ = follow_inputs(saved, context, current, history, config, **groups)
    _assert_same(got, live_inputs(context, current, history, config, **groups))
    # The saved pass's own inputs are untouched.
    before = buffers.write(0, _columns(ratings, 0, n - 500))
    _assert_same(saved.inputs, live_inputs(context, before, history, config, **groups))


def test_other_objects_take_the_full_path(dataset: Dataset) -> None:
    context, ratings, history, config, groups = _setup(dataset, 3)
    trail = follow_inputs(None, context, ratings, history, config, **groups)[1]
    # Not the same buffers (a regathered pass): the full path, the same inputs.
    copy = replace(ratings, note_idx=ratings.note_idx.copy())
    got, again = follow_inputs(trail, context, copy, history, config, **groups)
    assert again.follow is None
    _assert_same(got, live_inputs(context, copy, history, config, **groups))


def test_the_popularity_cache_equals_a_count(dataset: Dataset) -> None:
    ratings = _setup(dataset, 4)[1]
    n = ratings.n_ratings
    buffers = _Buffers(ratings, n)
    cache = PopularityCache()
    current = buffers.write(0, _columns(ratings, 0, n - 900))
    for end in (n - 900, n - 850, n - 400, n):
        current = buffers.write(buffers.size, _columns(ratings, buffers.size, end))
        got, want = cache.get(current), _Popularity.count(current)
        np.testing.assert_array_equal(got.cells, want.cells)
        assert (got.total, got.share) == (want.total, want.share)
    # Other buffers (a regathered pass, an undo): counted anew.
    other = replace(current, note_idx=current.note_idx.copy())
    assert cache.get(other).share == _Popularity.count(other).share


def test_recent_per_note_equals_a_count(dataset: Dataset) -> None:
    ratings = _setup(dataset, 6)[1]
    n = ratings.n_ratings
    buffers = _Buffers(ratings, n)
    recent = RecentPerNote()
    rng = np.random.default_rng(6)
    current = buffers.write(0, _columns(ratings, 0, n // 2))
    hour = 3_600_000
    cutoff = int(current.created_at_ms.max()) - 28 * 24 * hour
    while buffers.size < n:
        end = min(n, buffers.size + int(rng.integers(0, 60)))
        current = buffers.write(buffers.size, _columns(ratings, buffers.size, end))
        # The cutoff follows "now": mostly forward by minutes to hours, now and then back.
        cutoff += int(rng.integers(-hour, 3 * hour)) if rng.random() < 0.1 else 600_000
        want = counts_after(
            current.note_idx,
            current.created_at_ms,
            np.asarray([cutoff], dtype=np.int64),
            current.n_notes,
        )[0]
        np.testing.assert_array_equal(recent.get(current, cutoff), want)
