"""Import a public dump, export it, and get the same files back (modulo column order)."""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine

from bridgewatch.errors import ConflictError, InputError
from bridgewatch.sim import SimConfig, simulate, write_community
from bridgewatch.store.dump import export_dump, import_dump
from tests.service.conftest import Service

FIXTURE = Path(__file__).parents[3] / "shared" / "fixtures" / "S-core" / "input"
if not FIXTURE.is_dir():  # the worktree layout: /work/wt/<branch> beside /work/shared
    FIXTURE = Path("/work/shared/fixtures/S-core/input")
FILES = ("notes", "ratings", "noteStatusHistory", "userEnrollment")


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))


def _write(path: Path, header: list[str], rows: list[dict[str, str]]) -> None:
    lines = ["\t".join(header)] + ["\t".join(r[c] for c in header) for r in rows]
    path.write_text("\n".join(lines) + "\n")


@pytest.fixture(scope="module")
def small_dump(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The first 40 notes of S-core with their ratings, history and the enrollment of
    everyone involved, copied verbatim."""
    out = tmp_path_factory.mktemp("dump")
    notes = _read(FIXTURE / "notes-00000.tsv")[:40]
    note_ids = {n["noteId"] for n in notes}
    ratings = [r for r in _read(FIXTURE / "ratings-00000.tsv") if r["noteId"] in note_ids]
    nsh = [r for r in _read(FIXTURE / "noteStatusHistory-00000.tsv") if r["noteId"] in note_ids]
    people = {n["noteAuthorParticipantId"] for n in notes} | {
        r["raterParticipantId"] for r in ratings
    }
    enrollment = [
        r for r in _read(FIXTURE / "userEnrollment-00000.tsv") if r["participantId"] in people
    ]
    for name, rows in zip(FILES, (notes, ratings, nsh, enrollment), strict=True):
        header = list(_read(FIXTURE / f"{name}-00000.tsv")[0].keys())
        _write(out / f"{name}-00000.tsv", header, rows)
    return out


def test_import_then_export_gives_the_input_files_back(
    engine: Engine, small_dump: Path, tmp_path: Path
) -> None:
    summary = import_dump(engine, small_dump, now_ms=1)
    assert summary.notes == 40
    manifest = export_dump(engine, tmp_path, as_of_ms=2**62, delay_ms=0)
    for name in FILES:
        given = _read(small_dump / f"{name}-00000.tsv")
        written = _read(tmp_path / f"{name}-00000.tsv")
        columns = list(given[0].keys())
        assert sorted(tuple(r[c] for c in columns) for r in written) == sorted(
            tuple(r[c] for c in columns) for r in given
        ), name
        # Columns the input lacked (the 24th NSH column of the older layout) stay empty.
        for extra in set(written[0]) - set(columns):
            assert all(r[extra] == "" for r in written)
    listed = {f.name: f for f in manifest.files}
    assert {f"{n}-00000.{ext}" for n in FILES for ext in ("tsv", "parquet")} <= set(listed)
    notes_file = tmp_path / "notes-00000.tsv"
    assert listed[notes_file.name].sha256 == hashlib.sha256(notes_file.read_bytes()).hexdigest()
    assert json.loads((tmp_path / "manifest.json").read_text())["files"]


def test_imported_notes_are_served_with_their_status(
    engine: Engine, small_dump: Path, make_service: Callable[..., Service]
) -> None:
    import_dump(engine, small_dump, now_ms=1)
    service = make_service()
    row = _read(small_dump / "noteStatusHistory-00000.tsv")[0]
    details = service.client.get(f"/api/v1/notes/{row['noteId']}").json()
    assert details["note"]["status"] == row["currentStatus"]
    assert details["note"]["noteAuthorParticipantId"] == row["noteAuthorParticipantId"]
    author = service.client.get(f"/api/v1/participants/{row['noteAuthorParticipantId']}")
    assert author.json()["notesWritten"] >= 1


def test_export_leaves_out_content_younger_than_the_delay(
    engine: Engine, small_dump: Path, tmp_path: Path
) -> None:
    import_dump(engine, small_dump, now_ms=1)
    created = sorted(int(n["createdAtMillis"]) for n in _read(small_dump / "notes-00000.tsv"))
    cutoff = created[len(created) // 2]
    manifest = export_dump(engine, tmp_path, as_of_ms=cutoff + 1000, delay_ms=1000, formats=["tsv"])
    rows = {f.name: f.rows for f in manifest.files}
    assert rows["notes-00000.tsv"] == sum(1 for c in created if c <= cutoff)
    assert all(f.name.endswith(".tsv") for f in manifest.files)


def test_importing_twice_is_a_conflict_and_writes_nothing_more(
    engine: Engine, small_dump: Path
) -> None:
    import_dump(engine, small_dump, now_ms=1)
    with pytest.raises(ConflictError):
        import_dump(engine, small_dump, now_ms=2)


def test_malformed_dump_names_file_line_and_field(engine: Engine, tmp_path: Path) -> None:
    header = list(_read(FIXTURE / "notes-00000.tsv")[0].keys())
    row = _read(FIXTURE / "notes-00000.tsv")[0] | {"createdAtMillis": "yesterday"}
    _write(tmp_path / "notes-00000.tsv", header, [row])
    with pytest.raises(InputError) as info:
        import_dump(engine, tmp_path, now_ms=1)
    assert info.value.field == "createdAtMillis"
    assert info.value.line == 2
    with pytest.raises(InputError):
        import_dump(engine, tmp_path / "missing", now_ms=1)


@pytest.fixture(scope="module")
def simulated_dump(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small simulated community: public files plus posts-00000.tsv."""
    out = tmp_path_factory.mktemp("simulated")
    write_community(simulate(SimConfig(seed=2, n_notes=60, n_raters=80, n_ratings=600)), out)
    return out


def test_a_simulated_dump_imports_post_texts_and_note_requests(
    engine: Engine, simulated_dump: Path, make_service: Callable[..., Service]
) -> None:
    posts = {r["tweetId"]: r for r in _read(simulated_dump / "posts-00000.tsv")}
    requests = _read(simulated_dump / "noteRequests-00000.tsv")
    assert requests and posts
    summary = import_dump(engine, simulated_dump, now_ms=1)
    assert summary.posts == len(posts) and summary.note_requests == len(requests)
    client = make_service().client
    post_id, post = next(iter(posts.items()))
    body = client.get(f"/api/v1/posts/{post_id}").json()
    assert body["text"] == post["text"] and body["authorId"] == post["authorHandle"]
    assert body["createdAtMillis"] == int(post["createdAtMillis"])
    requested = requests[0]
    assert client.get(f"/api/v1/posts/{requested['tweetId']}").json()["requestCount"] == 1
    listed = client.get(f"/api/v1/posts/{requested['tweetId']}/requests").json()
    assert listed["requestCount"] == 1
    (only,) = listed["requests"]
    assert only["imported"] is True and only["sourceLink"] == (requested["sourceLinks"] or None)
    first_feed = int(requested["noteRequestFeedEligibleAtMillis"])
    if first_feed >= 0:
        assert only["createdAtMillis"] == first_feed
    unrequested = next(p for p in posts if p not in {r["tweetId"] for r in requests})
    assert client.get(f"/api/v1/posts/{unrequested}/requests").json()["requests"] == []
    assert client.get(f"/api/v1/posts/{unrequested}/notes").json()["requestCount"] == 0


def test_imported_note_requests_export_as_they_came(
    engine: Engine, simulated_dump: Path, tmp_path: Path
) -> None:
    import_dump(engine, simulated_dump, now_ms=1)
    export_dump(engine, tmp_path, as_of_ms=2**62, delay_ms=0, formats=["tsv"])
    given = _read(simulated_dump / "noteRequests-00000.tsv")
    written = _read(tmp_path / "batSignals-00000.tsv")
    assert sorted(given, key=lambda r: r["tweetId"]) == sorted(written, key=lambda r: r["tweetId"])


def test_export_leaves_out_the_enrollment_of_participants_younger_than_the_delay(
    make_service: Callable[..., Service], tmp_path: Path
) -> None:
    # Issue 13: people who joined seconds ago were listed in userEnrollment.
    service = make_service()
    early, _ = service.join()
    service.clock.advance(3600)
    late, _ = service.join()
    delay_ms = 48 * 3600 * 1000
    as_of = service.clock.now_ms + 60_000
    export_dump(service.engine, tmp_path / "a", as_of_ms=as_of, delay_ms=delay_ms)
    assert _read(tmp_path / "a" / "userEnrollment-00000.tsv") == []
    as_of = service.clock.now_ms - 1800 * 1000 + delay_ms
    export_dump(service.engine, tmp_path / "b", as_of_ms=as_of, delay_ms=delay_ms)
    listed = [r["participantId"] for r in _read(tmp_path / "b" / "userEnrollment-00000.tsv")]
    assert listed == [early]
    export_dump(service.engine, tmp_path / "c", as_of_ms=as_of + 3600_000, delay_ms=delay_ms)
    listed = [r["participantId"] for r in _read(tmp_path / "c" / "userEnrollment-00000.tsv")]
    assert sorted(listed) == sorted([early, late])


def test_imported_participants_join_at_their_first_row_so_a_fresh_import_exports(
    engine: Engine, small_dump: Path, tmp_path: Path
) -> None:
    now = 2**50
    import_dump(engine, small_dump, now_ms=now)
    export_dump(engine, tmp_path, as_of_ms=now, formats=["tsv"])
    given = _read(small_dump / "userEnrollment-00000.tsv")
    written = _read(tmp_path / "userEnrollment-00000.tsv")
    assert sorted(r["participantId"] for r in written) == sorted(r["participantId"] for r in given)


def test_postgresql_snapshots_stream_the_same_frames_as_rows(
    engine: Engine, small_dump: Path
) -> None:
    """On PostgreSQL the export (and every refit's snapshot) reads tables by COPY: the same
    values as reading them row by row, text with separators, quotes, newlines and
    backslashes, empty strings and NULLs included."""
    if engine.dialect.name != "postgresql":
        pytest.skip("COPY is PostgreSQL's")
    import polars as pl
    from sqlalchemy import select, update

    from bridgewatch.model.columns import NOTES_COLUMNS, RATINGS_COLUMNS
    from bridgewatch.store import dump
    from bridgewatch.store.tables import notes, ratings

    import_dump(engine, small_dump, now_ms=1)
    with engine.begin() as conn:
        ids = sorted(int(i) for i in conn.execute(select(notes.c.noteId)).scalars())
        tricky = ['a,b\n"c"\tç \\N', "", "\u2400"]
        for note_id, text in zip(ids, tricky, strict=False):
            conn.execute(update(notes).where(notes.c.noteId == note_id).values(summary=text))
    statements = {
        "notes": (
            select(*[notes.c[c] for c in NOTES_COLUMNS]).order_by(notes.c.noteId),
            NOTES_COLUMNS,
        ),
        "ratings": (
            select(*[ratings.c[c] for c in RATINGS_COLUMNS]).order_by(
                ratings.c.noteId, ratings.c.raterParticipantId
            ),
            RATINGS_COLUMNS,
        ),
    }
    with engine.connect() as conn:
        for name, (stmt, columns) in statements.items():
            streamed = dump._frame_copy(conn, stmt, columns)
            rows = dump._frame_rows(conn, stmt, columns)
            assert streamed.height == rows.height > 0, name
            assert any(streamed[c].null_count() for c in columns), name  # NULLs are compared
            for column in columns:
                assert streamed[column].to_list() == rows[column].to_list(), (name, column)
                if rows[column].dtype != pl.Null:
                    assert streamed[column].dtype == rows[column].dtype, (name, column)
        summaries = dict(
            zip(
                dump._frame_copy(conn, statements["notes"][0], NOTES_COLUMNS)["noteId"],
                dump._frame_copy(conn, statements["notes"][0], NOTES_COLUMNS)["summary"],
                strict=True,
            )
        )
    assert [summaries[i] for i in ids[:3]] == tricky
