"""The running totals a live pass carries over (note fingerprints, tag counts, rating
outcomes) equal a recount after random event batches: new ratings, changed ratings
(value, tags, time) and deleted ratings, with the statuses they move."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest

from bridgewatch.io import read_ratings, schemas
from bridgewatch.io.columns import HELPFUL_TAGS, NOT_HELPFUL_TAGS
from bridgewatch.model import IdIndex, NoteStatus, Ratings
from bridgewatch.pipeline.contributors import OutcomeTally
from bridgewatch.pipeline.state import Frames, LiveState
from bridgewatch.scoring.config import ScoringConfig
from bridgewatch.scoring.defences import with_defences
from bridgewatch.scoring.enrollment import EnrollmentConfig, ScoredNoteFacts, outcome_counts
from bridgewatch.scoring.history import StatusHistory
from bridgewatch.scoring.incremental import rescore_roster
from bridgewatch.scoring.incremental.compact import note_prints
from bridgewatch.scoring.status import count_tags
from tests.scoring.community import write_small_community
from tests.scoring.incremental.test_roster import _differing

_LEVELS = ("HELPFUL", "SOMEWHAT_HELPFUL", "NOT_HELPFUL")
_VERDICTS = ("HELPFUL", "NOT_HELPFUL", "HELPFUL")


def _typed(frame: pl.DataFrame, schema: pl.Schema) -> pl.DataFrame:
    return frame.select(
        (pl.col(k) if k in frame.columns else pl.lit(None)).cast(t).alias(k)
        for k, t in schema.items()
    )


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return write_small_community(tmp_path_factory.mktemp("tallies"))


def _state(files: Any, config: ScoringConfig) -> LiveState:
    def read(path: Path) -> pl.DataFrame:
        return pl.read_csv(path, separator="\t", infer_schema_length=0)

    ratings = read_ratings(files.ratings[0])
    return LiveState(
        frames=Frames(
            notes=_typed(read(files.notes), schemas.NOTES.polars_schema),
            ratings=_typed(ratings, schemas.RATINGS.polars_schema),
            enrollment=_typed(read(files.user_enrollment), schemas.USER_ENROLLMENT.polars_schema),
            history=StatusHistory.from_frame(
                _typed(read(files.note_status_history), schemas.NOTE_STATUS_HISTORY.polars_schema)
            ),
        ),
        position=0,
        config=config,
    )


def _events(
    rng: random.Random,
    state: LiveState,
    notes: list[str],
    raters: list[str],
    start_id: int,
    at_ms: int,
    size: int,
) -> list[dict[str, Any]]:
    """A batch of rating events: about half new ratings, a third changes of existing ones,
    the rest deletions; a few notes get many of them (to move their status)."""
    store = state.store
    rows = store.live_rows()
    existing = sorted(
        zip(
            [store.note_keys[k] for k in store.note_of(rows).tolist()],
            [store.rater_keys[k] for k in store.rater_of(rows).tolist()],
            strict=True,
        )
    )
    # Notes that need more ratings get one verdict each from many raters: their statuses move.
    history = state.frames.history
    nmr = set(history.note_id[history.current_status == NoteStatus.NEEDS_MORE_RATINGS].tolist())
    hot = rng.sample(sorted(nmr & set(notes)), 3)
    out: list[dict[str, Any]] = []
    for k in range(size):
        kind = rng.random()
        on_hot = rng.random() < 0.5
        note = rng.choice(hot) if on_hot else rng.choice(notes)
        if kind < 0.5 or on_hot:
            pair = (note, rng.choice(raters))
            event = "rating.created"
        else:
            pair = rng.choice(existing)
            event = "rating.replaced" if kind < 0.85 else "rating.deleted"
        level = _VERDICTS[hot.index(pair[0])] if pair[0] in hot else rng.choice(_LEVELS)
        payload: dict[str, Any] = {
            "noteId": pair[0],
            "raterParticipantId": pair[1],
            "createdAtMillis": at_ms + k,
            "version": 2,
            "helpfulnessLevel": level,
            "helpful": int(level == "HELPFUL"),
            "notHelpful": int(level == "NOT_HELPFUL"),
            "ratingSourceBucketed": "DEFAULT" if rng.random() < 0.8 else "POPULATION",
        }
        tags = HELPFUL_TAGS if level != "NOT_HELPFUL" else NOT_HELPFUL_TAGS
        for tag in rng.sample(list(tags), rng.randint(0, 3)):
            payload[tag] = 1
        out.append(
            {
                "id": start_id + k,
                "event_type": event,
                "created_at_ms": at_ms + k,
                "payload": payload,
            }
        )
    return out


@pytest.mark.parametrize("seed", [0, 1])
def test_running_totals_equal_a_recount_after_random_batches(files: Any, seed: int) -> None:
    config = with_defences(ScoringConfig(topics=None))
    state = _state(files, config)
    state.refit()
    notes = sorted({state.store.note_keys[k] for k in state.store.note_of(state.store.live_rows())})
    raters = sorted(state.store.rater_keys)  # (interned in no fixed order)
    rng = random.Random(seed)
    now = state.store.newest_ms()
    event_id = 1
    state.rescore(now)  # the first pass after the refit goes over every note
    changed = 0
    for size in (40, 1, 150, 150, 60):
        batch = _events(rng, state, notes, raters, event_id, now + 1000, size)
        event_id += size
        now += 1000 + size
        state.apply_events(batch)
        before = state.frames.history.current_status.copy()
        state.rescore(now)
        live = state.last_pass
        assert live is not None and live.prints is not None
        inputs = live.inputs
        np.testing.assert_array_equal(live.prints, note_prints(inputs))
        recount = count_tags(inputs.post_pss)
        np.testing.assert_array_equal(live.tag_counts.helpful, recount.helpful)
        np.testing.assert_array_equal(live.tag_counts.not_helpful, recount.not_helpful)
        tally = state._tally
        assert tally is not None
        facts = tally.facts
        want = outcome_counts(inputs.ratings, facts, config.enrollment)
        np.testing.assert_array_equal(tally.counts, want)
        # The pass over the changed notes equals a pass over every note.
        every = rescore_roster(inputs, live.refit, {}, now, config, state.incremental)  # type: ignore[arg-type]
        assert _differing(every.scored_notes(now, config), live.scored_notes(now, config)) == []
        changed += int((state.frames.history.current_status != before).sum())
    assert changed  # the batches moved some statuses (so facts changed too)


def _ratings(rng: np.random.Generator, n_notes: int, n_raters: int, n: int) -> Ratings:
    pairs = rng.choice(n_notes * n_raters, size=n, replace=False)
    return Ratings(
        note_idx=(pairs // n_raters).astype(np.int32),
        rater_idx=(pairs % n_raters).astype(np.int32),
        helpful_num=rng.choice([0.0, 0.5, 1.0], size=n).astype(np.float32),
        helpfulness_level=rng.integers(0, 3, size=n).astype(np.int8),
        created_at_ms=rng.integers(0, 10 * 86_400_000, size=n).astype(np.int64),
        helpful_tags=np.zeros(n, dtype=np.uint16),
        not_helpful_tags=np.zeros(n, dtype=np.uint16),
        population_sampled=np.zeros(n, dtype=np.bool_),
        note_ids=IdIndex(np.asarray([f"{k:04d}" for k in range(n_notes)], dtype=np.str_)),
        participant_ids=IdIndex(np.asarray([f"r{k:04d}" for k in range(n_raters)])),
    )


def _facts(rng: np.random.Generator, n_notes: int) -> ScoredNoteFacts:
    created = rng.integers(0, 5 * 86_400_000, size=n_notes).astype(np.int64)
    created[rng.random(n_notes) < 0.1] = -1  # not in the history
    latest = created + rng.integers(0, 3 * 86_400_000, size=n_notes)
    latest[rng.random(n_notes) < 0.4] = -1
    return ScoredNoteFacts(
        author_idx=np.full(n_notes, -1, dtype=np.int32),
        created_at_ms=created,
        sort_key=np.arange(n_notes, dtype=np.int64),
        final_status=rng.integers(-1, 3, size=n_notes).astype(np.int8),
        latest_non_nmr_ms=latest.astype(np.int64),
        num_ratings=np.zeros(n_notes, dtype=np.int64),
    )


def _edit(rng: np.random.Generator, r: Ratings) -> tuple[Ratings, np.ndarray]:
    """``r`` with some ratings deleted, some changed and some added; the notes touched."""
    n = r.n_ratings
    keep = rng.random(n) > 0.05
    value = r.helpful_num.copy()
    flip = rng.random(n) < 0.05
    value[flip] = rng.choice([0.0, 0.5, 1.0], size=int(flip.sum()))
    created = r.created_at_ms.copy()
    moved = rng.random(n) < 0.03
    created[moved] += rng.integers(-86_400_000, 86_400_000, size=int(moved.sum()))
    fresh = _ratings(rng, r.n_notes, r.n_participants, 30)
    taken = set(zip(r.note_idx.tolist(), r.rater_idx.tolist(), strict=True))
    new = np.array(
        [(n_, u) not in taken for n_, u in zip(fresh.note_idx, fresh.rater_idx, strict=True)]
    )

    def cat(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.concatenate([a[keep], b[new]])

    out = Ratings(
        note_idx=cat(r.note_idx, fresh.note_idx),
        rater_idx=cat(r.rater_idx, fresh.rater_idx),
        helpful_num=cat(value, fresh.helpful_num),
        helpfulness_level=cat(r.helpfulness_level, fresh.helpfulness_level),
        created_at_ms=cat(created, fresh.created_at_ms),
        helpful_tags=cat(r.helpful_tags, fresh.helpful_tags),
        not_helpful_tags=cat(r.not_helpful_tags, fresh.not_helpful_tags),
        population_sampled=cat(r.population_sampled, fresh.population_sampled),
        note_ids=r.note_ids,
        participant_ids=r.participant_ids,
    )
    touched = np.unique(
        np.concatenate([r.note_idx[~keep | flip | moved], fresh.note_idx[new]]).astype(np.int64)
    )
    return out, touched


@pytest.mark.parametrize("seed", range(5))
def test_outcome_tally_follows_rating_and_status_changes(seed: int) -> None:
    rng = np.random.default_rng(seed)
    config = EnrollmentConfig()
    ratings = _ratings(rng, 60, 80, 1500)
    facts = _facts(rng, 60)
    tally = OutcomeTally.count(ratings, facts, config)
    for _ in range(6):
        ratings_next, touched = _edit(rng, ratings)
        # Some notes' status and decision times change too (without rating events).
        fresh = _facts(rng, 60)
        moved = rng.random(60) < 0.15
        facts = ScoredNoteFacts(
            author_idx=facts.author_idx,
            created_at_ms=np.where(moved, fresh.created_at_ms, facts.created_at_ms),
            sort_key=facts.sort_key,
            final_status=np.where(moved, fresh.final_status, facts.final_status).astype(np.int8),
            latest_non_nmr_ms=np.where(moved, fresh.latest_non_nmr_ms, facts.latest_non_nmr_ms),
            num_ratings=facts.num_ratings,
        )
        tally = tally.updated(ratings, ratings_next, facts, touched, config)
        ratings = ratings_next
        np.testing.assert_array_equal(tally.counts, outcome_counts(ratings, facts, config))
    # Without the touched notes (unknown) it recounts.
    again = tally.updated(ratings, ratings, facts, None, config)
    np.testing.assert_array_equal(again.counts, tally.counts)


def test_a_pass_undone_by_restore_leaves_the_state_as_without_it(files: Any) -> None:
    # Passes write their scorers' per-note arrays in place; a pass whose transaction did not
    # commit is undone by ``restore``, and the next passes are those of a state that never
    # ran it.
    config = with_defences(ScoringConfig(topics=None))
    states = [_state(files, config), _state(files, config)]
    rng = random.Random(2)
    notes = sorted(
        {states[0].store.note_keys[k] for k in states[0].store.note_of(states[0].store.live_rows())}
    )
    raters = sorted(states[0].store.rater_keys)
    now = states[0].store.newest_ms()
    for state in states:
        state.rescore(now)  # the refit and the first pass, over every note
    event_id = 1
    for k, size in enumerate((30, 40, 25, 50)):
        batch = _events(rng, states[0], notes, raters, event_id, now + 1000, size)
        event_id += size
        now += 1000 + size
        if k in (1, 2):
            # The first state runs another batch (and pass) first, then drops it.
            aborted = _events(random.Random(k), states[0], notes, raters, 10_000 * k, now, 60)
            saved = states[0].checkpoint()
            states[0].apply_events(aborted)
            states[0].rescore(now)
            states[0].restore(saved)
        results = []
        for state in states:
            state.checkpoint()
            state.apply_events(batch)
            results.append(state.rescore(now))
        a, b = (s.last_pass for s in states)
        assert a is not None and b is not None
        assert _differing(a.scored_notes(now, config), b.scored_notes(now, config)) == []
        assert [c.note_id for c in results[0].changes] == [c.note_id for c in results[1].changes]
        assert results[0].scores == results[1].scores
