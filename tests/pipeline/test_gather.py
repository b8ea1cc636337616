"""The pass's live rows and ratings followed by the store's changes equal a full gather."""

from __future__ import annotations

import random

import numpy as np
import pytest

from bridgewatch.model import IdIndex, Ratings
from bridgewatch.pipeline import gather
from bridgewatch.pipeline.gather import _COLUMNS, LiveRows
from bridgewatch.pipeline.store import RatingStore

_LEVELS = ("HELPFUL", "SOMEWHAT_HELPFUL", "NOT_HELPFUL")


def _row(note: str, rater: str, level: str | None, at: int) -> dict[str, object]:
    return {
        "noteId": note,
        "raterParticipantId": rater,
        "createdAtMillis": at,
        "version": 2,
        "helpfulnessLevel": level,
        "ratingSourceBucketed": "DEFAULT",
    }


def _maps(store: RatingStore, notes: IdIndex, raters: IdIndex) -> tuple[np.ndarray, np.ndarray]:
    note_row = notes.lookup(np.asarray(store.note_keys, dtype=np.str_)).astype(np.int32)
    rater_row = raters.lookup(np.asarray(store.rater_keys, dtype=np.str_)).astype(np.int32)
    return note_row, rater_row


def _full(
    store: RatingStore, notes: IdIndex, raters: IdIndex
) -> tuple[np.ndarray, np.ndarray, Ratings]:
    """What the passes gathered before: every live row, split by known rater, then gathered."""
    note_row, rater_row = _maps(store, notes, raters)
    live = store.live_rows()
    mine = rater_row[store.rater_of(live)] >= 0
    known = live[mine]
    return known, live[~mine], store.ratings(known, note_row, rater_row, notes, raters)


def _frozen(r: Ratings) -> dict[str, np.ndarray]:
    return {name: np.array(getattr(r, name), copy=True) for name in _COLUMNS}


def _same(a: Ratings, b: Ratings) -> None:
    for name in _COLUMNS:
        x, y = getattr(a, name), getattr(b, name)
        assert x.dtype == y.dtype, name
        np.testing.assert_array_equal(x, y, err_msg=name)


@pytest.mark.parametrize("room", [None, 3])
def test_followed_rows_and_ratings_equal_a_full_gather_after_every_kind_of_change(
    room: int | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    if room is not None:
        # Buffers with almost no spare room: most appends move to larger buffers.
        monkeypatch.setattr(gather, "_room", lambda n: n + room)
    rng = random.Random(7)
    notes = IdIndex(np.asarray(sorted(str(n) for n in range(60)), dtype=np.str_))
    # Raters 0-79 are known to the "refit"; 80-99 are not (their ratings wait).
    raters = IdIndex(np.asarray(sorted(str(u) for u in range(80)), dtype=np.str_))
    store = RatingStore()
    at = 0

    def some(k: int) -> list[dict[str, object]]:
        nonlocal at
        out = []
        for _ in range(k):
            at += 1
            level = None if rng.random() < 0.03 else rng.choice(_LEVELS)  # None: kills
            out.append(_row(str(rng.randrange(60)), str(rng.randrange(100)), level, at))
        return out

    store.upsert(some(1500))
    store.mark()
    live = LiveRows()
    kept: list[tuple[Ratings, dict[str, np.ndarray]]] = []
    paths = {"append": 0, "regather": 0}
    for step in range(60):
        kind = step % 6
        if kind == 0:
            store.upsert(some(40))  # new ratings and replacements (kills)
        elif kind == 1:
            store.upsert(some(3))
            for _ in range(5):
                store.delete(str(rng.randrange(60)), str(rng.randrange(100)))
        elif kind == 2:
            store.mark()
            store.upsert(some(30))
            store.undo()  # a micro-batch that did not commit: a new epoch
        elif kind == 3:
            # Only brand-new (note, rater) pairs, some by raters the refit does not know
            # (they wait): nothing dies, the buffers are appended to.
            for _ in range(20):
                at += 1
                rater = str(rng.randrange(80)) if rng.random() < 0.5 else f"new{at}"
                store.upsert(
                    [_row(str(rng.randrange(60)), rater + f"-{at}" * (at % 2), "HELPFUL", at)]
                )
        elif kind == 4:
            store.mark()  # compacts when half the rows are dead: a new epoch
            store.upsert(some(10))
        else:
            store.upsert(some(0))
        note_row, rater_row = _maps(store, notes, raters)
        known, unknown = live.rows(store, rater_row, raters)
        want_known, want_unknown, want = _full(store, notes, raters)
        np.testing.assert_array_equal(known, want_known)
        np.testing.assert_array_equal(unknown, want_unknown)
        before = live._columns
        got = live.ratings(store, known, note_row, rater_row, notes, raters)
        assert got is not None
        _same(got, want)
        paths["append" if live._columns is before else "regather"] += 1
        # Earlier passes' ratings are never written over (they are still read by the next
        # pass as "the previous pass's inputs").
        for old, frozen in kept:
            for name in _COLUMNS:
                np.testing.assert_array_equal(getattr(old, name), frozen[name], err_msg=name)
        kept.append((got, _frozen(got)))
    assert paths["append"] > 10 and paths["regather"] > 5, paths


def test_a_rating_on_an_unknown_note_sends_the_pass_to_the_batch_path() -> None:
    notes = IdIndex(np.asarray(["1", "2"], dtype=np.str_))
    raters = IdIndex(np.asarray(["a", "b"], dtype=np.str_))
    store = RatingStore()
    store.upsert([_row("1", "a", "HELPFUL", 1), _row("2", "b", "NOT_HELPFUL", 2)])
    live = LiveRows()
    note_row, rater_row = _maps(store, notes, raters)
    known, _ = live.rows(store, rater_row, raters)
    assert live.ratings(store, known, note_row, rater_row, notes, raters) is not None
    store.upsert([_row("3", "a", "HELPFUL", 3)])  # a note the index does not have
    note_row, rater_row = _maps(store, notes, raters)
    known, _ = live.rows(store, rater_row, raters)
    assert live.ratings(store, known, note_row, rater_row, notes, raters) is None
    store.delete("3", "a")
    known, _ = live.rows(store, rater_row, raters)
    got = live.ratings(store, known, note_row, rater_row, notes, raters)
    assert got is not None
    _same(got, _full(store, notes, raters)[2])


def test_another_store_or_index_is_gathered_anew() -> None:
    notes = IdIndex(np.asarray(["1", "2"], dtype=np.str_))
    raters = IdIndex(np.asarray(["a", "b"], dtype=np.str_))
    one, two = RatingStore(), RatingStore()
    one.upsert([_row("1", "a", "HELPFUL", 1)])
    two.upsert([_row("2", "b", "NOT_HELPFUL", 2)])  # same epoch and row numbers as ``one``
    live = LiveRows()
    for store in (one, two, one):
        note_row, rater_row = _maps(store, notes, raters)
        known, _ = live.rows(store, rater_row, raters)
        got = live.ratings(store, known, note_row, rater_row, notes, raters)
        assert got is not None
        _same(got, _full(store, notes, raters)[2])
    other = IdIndex(np.asarray(["a", "b"], dtype=np.str_))  # equal ids, another object
    note_row, rater_row = _maps(one, notes, other)
    known, _ = live.rows(one, rater_row, other)
    got = live.ratings(one, known, note_row, rater_row, notes, other)
    assert got is not None and got.participant_ids is other
