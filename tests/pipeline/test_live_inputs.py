"""The worker's in-memory ratings and the per-pass scorer inputs built from them."""

from __future__ import annotations

from dataclasses import fields

import numpy as np
import polars as pl
import pytest

from bridgewatch.io import read_ratings
from bridgewatch.io.dataset import Dataset, ratings_from_frame
from bridgewatch.model import IdIndex, Ratings
from bridgewatch.pipeline.inputs import build_note_context
from bridgewatch.pipeline.store import RatingStore
from bridgewatch.scoring.config import ScoringConfig
from bridgewatch.scoring.defences import with_defences
from bridgewatch.scoring.history import StatusHistory
from bridgewatch.scoring.incremental import live_inputs
from bridgewatch.scoring.inputs import CoreInputs, prepare_core_inputs
from tests.scoring.community import load_small_community, write_small_community


def _row(note: str, rater: str, level: str | None, **extra: object) -> dict[str, object]:
    return {
        "noteId": note,
        "raterParticipantId": rater,
        "createdAtMillis": 10,
        "version": 2,
        "helpfulnessLevel": level,
        "ratingSourceBucketed": "DEFAULT",
        **extra,
    }


def _live(store: RatingStore) -> dict[tuple[str, str], float]:
    rows = store.live_rows()
    notes = IdIndex(np.asarray(sorted(store.note_keys), dtype=np.str_))
    raters = IdIndex(np.asarray(sorted(store.rater_keys), dtype=np.str_))
    r = store.ratings(
        rows,
        notes.lookup(np.asarray(store.note_keys, dtype=np.str_)),
        raters.lookup(np.asarray(store.rater_keys, dtype=np.str_)),
        notes,
        raters,
    )
    return {
        (str(notes.ids[n]), str(raters.ids[u])): float(v)
        for n, u, v in zip(r.note_idx, r.rater_idx, r.helpful_num, strict=True)
    }


def test_store_upserts_deletes_and_undoes() -> None:
    store = RatingStore()
    store.upsert([_row("1", "a", "HELPFUL"), _row("1", "b", "NOT_HELPFUL")])
    store.mark()
    assert _live(store) == {("1", "a"): 1.0, ("1", "b"): 0.0}
    store.upsert([_row("1", "a", "SOMEWHAT_HELPFUL"), _row("2", "a", "HELPFUL")])
    store.delete("1", "b")
    store.upsert([_row("1", "a", "NOT_HELPFUL")])  # twice in one unit of work
    # No value at all (no level, no legacy columns): the rating is dropped, as the scorer does.
    store.upsert([_row("2", "c", None)])
    assert _live(store) == {("1", "a"): 0.0, ("2", "a"): 1.0}
    assert len(store) == 2
    store.undo()
    assert _live(store) == {("1", "a"): 1.0, ("1", "b"): 0.0}
    # Legacy columns give a value when the level is missing.
    store.upsert([_row("3", "d", None, helpful=1, notHelpful=0)])
    assert _live(store)[("3", "d")] == 1.0


def test_store_compacts_dead_rows_and_keeps_the_ratings() -> None:
    store = RatingStore()
    rows = [_row(str(n), str(u), "HELPFUL") for n in range(40) for u in range(40)]
    store.upsert(rows)
    for _ in range(3):
        store.upsert([{**r, "helpfulnessLevel": "NOT_HELPFUL"} for r in rows[:1000]])
    store.mark()  # compacts: most rows are dead
    assert store.live_rows().shape[0] == len(store) == 1600
    live = _live(store)
    assert sum(v == 0.0 for v in live.values()) == 1000


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Dataset:
    return load_small_community(tmp_path_factory.mktemp("community"))


def _same_ratings(a: Ratings, b: Ratings) -> None:
    # Same multiset of ratings (the store keeps its own order).
    def key(r: Ratings) -> np.ndarray:
        cols = [r.note_idx, r.rater_idx, r.helpful_num, r.created_at_ms, r.not_helpful_tags]
        table = np.stack([np.asarray(c, dtype=np.float64) for c in cols], axis=1)
        return table[np.lexsort(table.T[::-1])]

    np.testing.assert_array_equal(key(a), key(b))


def _rows(r: Ratings, mask: np.ndarray) -> set[tuple[int, int]]:
    return set(zip(r.note_idx[mask].tolist(), r.rater_idx[mask].tolist(), strict=True))


@pytest.mark.parametrize("defences", [False, True])
def test_live_inputs_equal_prepare_core_inputs(dataset: Dataset, defences: bool) -> None:
    # (The small community is too small for the topic classifier: topics off.)
    config = ScoringConfig(topics=None)
    if defences:
        # PSS clusters and quasi-cliques come from the refit: passed through as they are.
        config = with_defences(config)
    want = prepare_core_inputs(dataset, config)
    history = StatusHistory.from_frame(dataset.status_history)
    context = build_note_context(
        dataset.notes, history, dataset.enrollment, dataset.participant_ids, config
    )
    assert np.array_equal(context.base.note_ids.ids, want.note_ids.ids)
    # The dataset's ratings moved onto the context's note index.
    rows = context.base.note_ids.lookup(dataset.note_ids.ids[dataset.ratings.note_idx])
    ratings = Ratings(
        **{
            f.name: getattr(dataset.ratings, f.name)
            for f in fields(Ratings)
            if f.name not in ("note_idx", "note_ids")
        },
        note_idx=rows,
        note_ids=context.base.note_ids,
    )
    got = live_inputs(
        context,
        ratings,
        want.history,
        config,
        rater_cluster=want.rater_cluster,
        rater_quasi_clique=want.rater_quasi_clique,
    )
    assert (want.rater_cluster is not None) == defences
    assert isinstance(got, CoreInputs)
    for name in ("ratings", "post_pss", "scoped"):
        _same_ratings(getattr(got, name), getattr(want, name))
    # Flags travel with their rating.
    assert _rows(got.post_pss, got.correlated) == _rows(want.post_pss, want.correlated)
    assert _rows(got.scoped, got.scoped_correlated) == _rows(want.scoped, want.scoped_correlated)
    for name in ("high_volume", "in_scope", "captured", "note_topic", "modeling_group"):
        np.testing.assert_array_equal(getattr(got, name), getattr(want, name))


def test_values_match_the_scorer_conversion(tmp_path_factory: pytest.TempPathFactory) -> None:
    files = write_small_community(tmp_path_factory.mktemp("values"))
    typed = read_ratings(files.ratings[0]).head(500)
    # Event payloads carry the enums as strings.
    frame = typed.with_columns(
        [pl.col(c).cast(pl.String) for c, t in typed.schema.items() if isinstance(t, pl.Enum)]
    )
    store = RatingStore.from_frame(frame)
    notes = IdIndex.from_values(np.asarray(frame["noteId"].cast(pl.String).to_list()))
    raters = IdIndex.from_values(np.asarray(frame["raterParticipantId"].to_list()))
    want = ratings_from_frame(typed, notes, raters)
    got = store.ratings(
        store.live_rows(),
        notes.lookup(np.asarray(store.note_keys, dtype=np.str_)),
        raters.lookup(np.asarray(store.rater_keys, dtype=np.str_)),
        notes,
        raters,
    )
    for f in fields(Ratings):
        if f.name not in ("note_ids", "participant_ids"):
            np.testing.assert_array_equal(getattr(got, f.name), getattr(want, f.name), f.name)
    # One at a time through upserts: the same values.
    one = RatingStore()
    one.upsert(frame.to_dicts())
    again = one.ratings(
        one.live_rows(),
        notes.lookup(np.asarray(one.note_keys, dtype=np.str_)),
        raters.lookup(np.asarray(one.rater_keys, dtype=np.str_)),
        notes,
        raters,
    )
    for f in fields(Ratings):
        if f.name not in ("note_ids", "participant_ids"):
            np.testing.assert_array_equal(getattr(again, f.name), getattr(want, f.name), f.name)
