"""Typed rows and their public columns: a write's columns read back as the same row."""

from __future__ import annotations

import dataclasses

from sqlalchemy import Engine

from bridgewatch.model.columns import HELPFUL_TAGS, NOT_HELPFUL_TAGS, RATINGS_COLUMNS
from bridgewatch.store.db import make_session_factory
from bridgewatch.store.repositories.notes import insert_note, require_note
from bridgewatch.store.repositories.participants import create_participant
from bridgewatch.store.repositories.posts import create_post
from bridgewatch.store.repositories.ratings import get_rating, save_rating
from bridgewatch.store.rows import NoteContent, NoteRow, RatingRow, names_set
from bridgewatch.store.tables import MISLEADING_REASONS, NOT_MISLEADING_REASONS, notes

CONTENT = NoteContent(
    "p1",
    "MISINFORMED_OR_POTENTIALLY_MISLEADING",
    "Wrong, see https://example.org",
    misleading_reasons=("Satire", "FactualError", "NoSuchReason"),
    trustworthy_sources=True,
    is_media_note=True,
)


def test_names_set_keeps_column_order_and_drops_the_prefix() -> None:
    row = {"misleadingOther": 0, "misleadingFactualError": 1, "misleadingSatire": None}
    row |= {c: 0 for c in MISLEADING_REASONS if c not in row}
    row["misleadingSatire"] = 1
    assert names_set(row, MISLEADING_REASONS, "misleading") == ("FactualError", "Satire")


def test_note_content_has_every_note_column_but_id_author_time_and_deletion() -> None:
    columns = CONTENT.columns()
    expected = {c.name for c in notes.columns} - {
        "noteId",
        "noteAuthorParticipantId",
        "createdAtMillis",
        "deleted_at_ms",
        "believable",
        "harmful",
        "validationDifficulty",
    }
    assert set(columns) == expected
    assert columns["misleadingFactualError"] == columns["misleadingSatire"] == 1
    assert sum(columns[c] for c in MISLEADING_REASONS) == 2  # unknown names are not stored
    assert all(columns[c] == 0 for c in NOT_MISLEADING_REASONS)
    assert (columns["isMediaNote"], columns["trustworthySources"]) == (1, 1)


def test_rating_columns_are_the_35_public_columns_and_read_back_as_the_rating() -> None:
    rating = RatingRow(
        note_id=7,
        rater_participant_id="R",
        created_at_ms=9,
        helpfulness_level="NOT_HELPFUL",
        helpful_tags=frozenset(),
        not_helpful_tags=frozenset({"Incorrect", "NoteNotNeeded", "NotATag"}),
        rated_on_post_id="p1",
        rating_source="DEFAULT",
    )
    columns = rating.columns()
    assert set(columns) == set(RATINGS_COLUMNS)
    assert [c for c in NOT_HELPFUL_TAGS if columns[c]] == [
        "notHelpfulIncorrect",
        "notHelpfulNoteNotNeeded",
    ]
    assert not any(columns[c] for c in HELPFUL_TAGS)
    assert (columns["version"], columns["helpful"], columns["suggestion"]) == (2, 0, None)
    known = dataclasses.replace(rating, not_helpful_tags=frozenset({"Incorrect", "NoteNotNeeded"}))
    assert RatingRow.from_columns(columns) == known


def test_stored_rows_read_back_as_written(engine: Engine) -> None:
    factory = make_session_factory(engine)
    with factory() as s, s.begin():
        author = create_participant(s, now_ms=1).participant_id
        rater = create_participant(s, now_ms=1).participant_id
        create_post(
            s,
            now_ms=1,
            actor_participant_id=None,
            post_id="p1",
            author_id=None,
            text=None,
            url=None,
        )
        written = insert_note(s, now_ms=5, author_participant_id=author, content=CONTENT)
        rating = RatingRow(written.note_id, rater, 6, "HELPFUL", frozenset({"Clear"}))
        assert save_rating(s, rating) is False
    with factory() as s:
        view = require_note(s, written.note_id)
        stored = get_rating(s, note_id=written.note_id, rater_participant_id=rater)
    assert (
        NoteRow(**{f.name: getattr(view, f.name) for f in dataclasses.fields(NoteRow)}) == written
    )
    assert written.misleading_reasons == ("FactualError", "Satire")
    assert (view.status, view.num_ratings, view.decided_by) == ("NEEDS_MORE_RATINGS", 1, None)
    assert stored == rating
