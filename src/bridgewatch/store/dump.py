"""Public data dumps: load one into the database, and export the database as one.

The export writes the public files (scoring-extended.md §7.9) as TSV and Parquet with a
manifest of row counts, sizes and SHA-256 checksums. Content younger than the publication
delay (48 h by default) is left out; deleted notes leave the notes file but keep their
status history.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import Connection, Engine, Select, Table, insert, select
from sqlalchemy.exc import IntegrityError

from bridgewatch.errors import ConflictError, InputError
from bridgewatch.io import (
    read_notes,
    read_ratings,
    read_table,
    read_user_enrollment,
    write_note_requests,
    write_note_status_history,
    write_notes,
    write_ratings,
    write_user_enrollment,
)
from bridgewatch.io.schemas import NOTE_REQUESTS, NOTE_STATUS_HISTORY, POSTS
from bridgewatch.model import EnrollmentState
from bridgewatch.model.columns import (
    NOTE_STATUS_HISTORY_COLUMNS,
    NOTES_COLUMNS,
    RATINGS_COLUMNS,
    USER_ENROLLMENT_COLUMNS,
)
from bridgewatch.store.db import make_session_factory
from bridgewatch.store.events import append_event
from bridgewatch.store.tables import (
    enrollment,
    note_requests,
    note_status_history,
    notes,
    participants,
    posts,
    ratings,
)

__all__ = [
    "PUBLICATION_DELAY_MS",
    "ExportManifest",
    "ExportedFile",
    "ImportSummary",
    "export_dump",
    "export_frames",
    "import_dump",
]

_log = logging.getLogger(__name__)

# Public files only hold content created at least 48 h before release (§7.9).
PUBLICATION_DELAY_MS = 48 * 3600 * 1000
_CHUNK = 5000


@dataclass(frozen=True)
class ImportSummary:
    """Rows loaded per table by :func:`import_dump`."""

    participants: int
    posts: int
    notes: int
    ratings: int
    note_status_history: int
    enrollment: int
    note_requests: int = 0


@dataclass(frozen=True)
class ExportedFile:
    """One exported file: name, row count, size in bytes and SHA-256 hex digest."""

    name: str
    rows: int
    bytes: int
    sha256: str


@dataclass(frozen=True)
class ExportManifest:
    """What :func:`export_dump` wrote (also written as ``manifest.json``)."""

    as_of_millis: int
    cutoff_millis: int
    files: tuple[ExportedFile, ...]

    def to_json(self) -> str:
        """The manifest as JSON text."""
        body = asdict(self)
        body["format"] = "bridgewatch-public-export/1"
        return json.dumps(body, indent=2, sort_keys=True) + "\n"


def _shards(directory: Path, prefix: str) -> list[Path]:
    return sorted(
        p
        for p in directory.glob(f"{prefix}*")
        if p.is_file() and p.suffix in (".tsv", ".zip", ".parquet")
    )


def _concat(frames: Sequence[pl.DataFrame]) -> pl.DataFrame | None:
    return pl.concat(frames, how="diagonal_relaxed") if frames else None


def _rows(frame: pl.DataFrame) -> list[dict[str, Any]]:
    # Enum columns become their TSV literal; everything else stays as typed.
    casts = [
        pl.col(name).cast(pl.String)
        for name, dtype in frame.schema.items()
        if isinstance(dtype, (pl.Enum, pl.Categorical))
    ]
    return (frame.with_columns(casts) if casts else frame).to_dicts()


def _insert(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> int:
    for start in range(0, len(rows), _CHUNK):
        conn.execute(insert(table), rows[start : start + _CHUNK])
    return len(rows)


def _note_ids(frame: pl.DataFrame, path: Path, column: str = "noteId") -> pl.DataFrame:
    try:
        return frame.with_columns(pl.col(column).cast(pl.Int64, strict=True))
    except pl.exceptions.InvalidOperationError as exc:
        raise InputError("noteId is not a 64-bit integer", path=path, field=column) from exc


def _read_dump(directory: Path) -> dict[str, pl.DataFrame | None]:
    notes_frames = [_note_ids(read_notes(p), p) for p in _shards(directory, "notes-")]
    ratings_frames = [_note_ids(read_ratings(p), p) for p in _shards(directory, "ratings-")]
    # The generic reader keeps every NSH value as given (the typed reader resets two
    # columns of the 23-column layout, as the scorer does).
    nsh_frames = [
        _note_ids(read_table(p, NOTE_STATUS_HISTORY).frame, p)
        for p in _shards(directory, "noteStatusHistory-")
    ]
    enrollment_frames = [read_user_enrollment(p) for p in _shards(directory, "userEnrollment-")]
    # Published as batSignals-*; bridgewatch simulate names them noteRequests-*.
    request_frames = [
        read_table(p, NOTE_REQUESTS).frame
        for prefix in ("batSignals-", "noteRequests-")
        for p in _shards(directory, prefix)
    ]
    post_frames = [read_table(p, POSTS).frame for p in _shards(directory, "posts-")]
    return {
        "notes": _concat(notes_frames),
        "ratings": _concat(ratings_frames),
        "nsh": _concat(nsh_frames),
        "enrollment": _concat(enrollment_frames),
        "requests": _concat(request_frames),
        "posts": _concat(post_frames),
    }


_FEED_COLUMNS = {
    "noteRequestFeedEligibleAtMillis": "feed_eligible_at_ms",
    "apiSmallFeedEligibleAtMillis": "api_small_feed_eligible_at_ms",
    "apiLargeFeedEligibleAtMillis": "api_large_feed_eligible_at_ms",
    "apiXlFeedEligibleAtMillis": "api_xl_feed_eligible_at_ms",
}


def _post_rows(frames: dict[str, pl.DataFrame | None], now_ms: int) -> pl.DataFrame | None:
    """One ``posts`` row per post any file mentions.

    Text, author and time come from a ``posts-*`` file when the dump has one (the public
    dump does not; ``bridgewatch simulate`` writes it); otherwise a post's time is that of
    its first note, or of its first feed eligibility for a post with requests only (``now``
    if it never became eligible).
    """
    parts: list[pl.DataFrame] = []
    schema = {"post_id": pl.String, "created_at_ms": pl.Int64, "author_id": pl.String}
    if (frame := frames["posts"]) is not None:
        parts.append(
            frame.select(
                pl.col("tweetId").alias("post_id"),
                pl.col("createdAtMillis").alias("created_at_ms"),
                pl.col("authorHandle").alias("author_id"),
                pl.col("text"),
            )
        )
    if (frame := frames["notes"]) is not None:
        parts.append(
            frame.group_by("tweetId")
            .agg(pl.col("createdAtMillis").min().alias("created_at_ms"))
            .rename({"tweetId": "post_id"})
        )
    if (frame := frames["requests"]) is not None:
        eligible = pl.min_horizontal(
            [pl.when(pl.col(c) >= 0).then(pl.col(c)) for c in _FEED_COLUMNS]
        )
        parts.append(
            frame.select(
                pl.col("tweetId").alias("post_id"),
                eligible.fill_null(now_ms).alias("created_at_ms"),
            )
        )
    if not parts:
        return None
    typed = [
        p.select(
            *[
                pl.col(c).cast(t) if c in p.columns else pl.lit(None, t).alias(c)
                for c, t in schema.items()
            ],
            pl.col("text").cast(pl.String)
            if "text" in p.columns
            else pl.lit(None, pl.String).alias("text"),
        )
        for p in parts
    ]
    # The first source of a post wins: the posts file, then the notes, then the requests.
    return pl.concat(typed).unique("post_id", keep="first", maintain_order=True).sort("post_id")


def _request_rows(frame: pl.DataFrame, posts_frame: pl.DataFrame) -> list[dict[str, Any]]:
    """``note_requests`` rows of imported public rows: no requester, the post's links and
    suggestions as published, its feed times; made when it first became eligible (its
    post's time if never)."""
    created = frame.unique("tweetId", keep="first", maintain_order=True).join(
        posts_frame.select(pl.col("post_id").alias("tweetId"), "created_at_ms"), on="tweetId"
    )
    eligible = pl.min_horizontal([pl.when(pl.col(c) >= 0).then(pl.col(c)) for c in _FEED_COLUMNS])
    return created.select(
        pl.col("tweetId").alias("post_id"),
        pl.lit(None, pl.String).alias("requester_participant_id"),
        eligible.fill_null(pl.col("created_at_ms")).alias("created_at_ms"),
        pl.col("sourceLinks").alias("source_link"),
        pl.col("suggestions").alias("suggestion"),
        *[pl.col(public).alias(db) for public, db in _FEED_COLUMNS.items()],
    ).to_dicts()


# Where each file names a participant, and the time (ms) at which the row shows them active.
_PARTICIPANT_COLUMNS = (
    ("notes", "noteAuthorParticipantId", "createdAtMillis"),
    ("ratings", "raterParticipantId", "createdAtMillis"),
    ("enrollment", "participantId", "timestampOfLastStateChange"),
    ("nsh", "noteAuthorParticipantId", "createdAtMillis"),
)


def _participant_joins(frames: dict[str, pl.DataFrame | None], now_ms: int) -> dict[str, int]:
    """Every participant id of the dump with the earliest time it shows them (ms), as
    their join time; ``now_ms`` for a participant no row dates. The export's publication
    delay applies to participants by it (an imported community stays publishable)."""
    parts = [
        frame.select(
            pl.col(column).cast(pl.String).alias("participantId"),
            pl.col(stamp).cast(pl.Int64, strict=False).alias("at_ms"),
        )
        for key, column, stamp in _PARTICIPANT_COLUMNS
        if (frame := frames[key]) is not None
    ]
    if not parts:
        return {}
    joined = (
        pl.concat(parts)
        .drop_nulls("participantId")
        .with_columns(pl.when(pl.col("at_ms") > 0).then(pl.col("at_ms")).alias("at_ms"))
        .group_by("participantId")
        .agg(pl.col("at_ms").min().fill_null(now_ms).clip(upper_bound=now_ms))
        .sort("participantId")
    )
    return dict(zip(joined["participantId"].to_list(), joined["at_ms"].to_list(), strict=True))


def import_dump(engine: Engine, directory: str | Path, *, now_ms: int) -> ImportSummary:
    """Load a public data dump (notes, ratings, noteStatusHistory, userEnrollment and note
    request files, each possibly sharded, plus a ``posts-*`` file of post texts when
    present) into an empty database, in one transaction.

    Participants are created for every id in the files (alias ``imported-<id prefix>``),
    joined at the earliest time a row of theirs shows (``now_ms`` if none does); posts for
    every ``tweetId`` (with text and author from ``posts-*``). Each note-request row
    (``batSignals-*`` as published, ``noteRequests-*`` as simulated: one row per requested
    post) becomes one request without a requester, since the dump names none. One
    ``dump.imported`` event records the load (the real-time pipeline refits from the tables
    after it).

    Raises
    ------
    InputError : a file is malformed (names file, line and field), or nothing to import.
    ConflictError : the database already holds some of the rows.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise InputError("not a directory", path=directory)
    frames = _read_dump(directory)
    if all(f is None for f in frames.values()):
        raise InputError(
            "no notes-, ratings-, noteStatusHistory-, userEnrollment-, batSignals-, "
            "noteRequests- or posts- files",
            path=directory,
        )
    joins = _participant_joins(frames, now_ms)
    factory = make_session_factory(engine)
    try:
        with factory() as session, session.begin():
            conn = session.connection()
            n_participants = _insert(
                conn,
                participants,
                [
                    {
                        "participantId": pid,
                        "alias": f"imported-{pid[:24]}",
                        "created_at_ms": joined_ms,
                        "is_api_writer": False,
                    }
                    for pid, joined_ms in joins.items()
                ],
            )
            n_posts = n_notes = n_ratings = n_nsh = n_enrollment = n_requests = 0
            post_rows = _post_rows(frames, now_ms)
            if post_rows is not None:
                n_posts = _insert(conn, posts, post_rows.to_dicts())
            if (frame := frames["enrollment"]) is not None:
                codes = {m.name: int(m) for m in EnrollmentState}
                frame = frame.with_columns(
                    pl.col("enrollmentState")
                    .cast(pl.String)
                    .replace_strict(codes, return_dtype=pl.Int16),
                    pl.col("timestampOfLastEarnOut").fill_null(1),
                    pl.col("numberOfTimesEarnedOut").fill_null(0),
                    pl.col("successfulRatingNeededToEarnIn").fill_null(5),
                    # The establishment clock starts at the imported state's change.
                    pl.col("timestampOfLastStateChange").alias("enrolledSinceMillis"),
                )
                n_enrollment = _insert(conn, enrollment, _rows(frame))
            if (frame := frames["notes"]) is not None:
                n_notes = _insert(conn, notes, _rows(frame.select(NOTES_COLUMNS)))
            if (frame := frames["ratings"]) is not None:
                n_ratings = _insert(conn, ratings, _rows(frame.select(RATINGS_COLUMNS)))
            if (frame := frames["nsh"]) is not None:
                n_nsh = _insert(
                    conn, note_status_history, _rows(frame.select(NOTE_STATUS_HISTORY_COLUMNS))
                )
            if (frame := frames["requests"]) is not None and post_rows is not None:
                n_requests = _insert(conn, note_requests, _request_rows(frame, post_rows))
            summary = ImportSummary(
                n_participants, n_posts, n_notes, n_ratings, n_nsh, n_enrollment, n_requests
            )
            append_event(
                session,
                now_ms=now_ms,
                event_type="dump.imported",
                actor_participant_id=None,
                entity_id=str(directory.name),
                payload=asdict(summary),
            )
    except IntegrityError as exc:
        raise ConflictError(
            f"the database already holds rows of this dump or the dump is inconsistent: {exc.orig}"
        ) from exc
    _log.info("imported %s from %s", summary, directory)
    return summary


def _frame(conn: Connection, stmt: Select[Any], columns: Sequence[str]) -> pl.DataFrame:
    """The rows of ``stmt`` as a frame with ``columns`` (integer and text columns only)."""
    if conn.dialect.name == "postgresql":
        return _frame_copy(conn, stmt, columns)
    return _frame_rows(conn, stmt, columns)


def _frame_rows(conn: Connection, stmt: Select[Any], columns: Sequence[str]) -> pl.DataFrame:
    """:func:`_frame` through the rows of the result (any database)."""
    result = conn.execute(stmt)
    data: dict[str, list[Any]] = {c: [] for c in columns}
    for row in result:
        for column, value in zip(columns, row, strict=True):
            data[column].append(value)
    return pl.DataFrame(data, strict=False)


# COPY's text for NULL: not a value a note, rating or identifier is expected to hold (a
# field that holds exactly this text would read back as null).
_COPY_NULL = "\u2400bw-null\u2400"


def _frame_copy(conn: Connection, stmt: Select[Any], columns: Sequence[str]) -> pl.DataFrame:
    """:func:`_frame` on PostgreSQL: the rows streamed by ``COPY (query) TO STDOUT`` as CSV,
    in the caller's transaction, and parsed by polars with each column's type from the
    statement (integers as Int64, everything else as text: the exported tables hold no
    other kind), instead of a Python object per value: at a million ratings the snapshot a
    refit reads took 6.5 s CPU and ~1.7 GiB of row objects that way."""
    sql = str(stmt.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
    schema = {
        name: pl.Int64 if column.type.python_type is int else pl.String
        for name, column in zip(columns, stmt.selected_columns, strict=True)
    }
    raw: Any = conn.connection.driver_connection  # psycopg.Connection
    buffer = io.BytesIO()
    with (
        raw.cursor() as cursor,
        cursor.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv, NULL '{_COPY_NULL}')") as copy,
    ):
        for block in copy:
            buffer.write(block)
    if buffer.tell() == 0:
        return pl.DataFrame(schema=schema)
    buffer.seek(0)
    return pl.read_csv(
        buffer,
        has_header=False,
        new_columns=list(columns),
        schema=schema,
        null_values=_COPY_NULL,
        empty_string_is_null=False,
        quote_char='"',
        infer_schema=False,
    )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _requests_export(conn: Connection, cutoff_ms: int) -> pl.DataFrame:
    """The note-requests file: one row per requested post with its source links, its
    suggestions (a JSON array) and the feed times of its imported row, if any."""
    feeds = [
        note_requests.c.feed_eligible_at_ms,
        note_requests.c.api_small_feed_eligible_at_ms,
        note_requests.c.api_large_feed_eligible_at_ms,
        note_requests.c.api_xl_feed_eligible_at_ms,
    ]
    rows = conn.execute(
        select(
            note_requests.c.post_id,
            note_requests.c.requester_participant_id,
            note_requests.c.source_link,
            note_requests.c.suggestion,
            *feeds,
        )
        .where(note_requests.c.created_at_ms <= cutoff_ms)
        .order_by(note_requests.c.post_id, note_requests.c.created_at_ms, note_requests.c.id)
    ).all()
    per_post: dict[str, dict[str, Any]] = {}
    for post_id, requester, link, suggestion, *times in rows:
        out = per_post.setdefault(
            str(post_id),
            {"links": [], "suggestions": [], "times": [None] * len(_FEED_COLUMNS)},
        )
        if link:
            out["links"].append(link)
        if requester is None:
            # An imported row: its suggestions are the published JSON array.
            out["suggestions"].extend(_json_list(suggestion))
            out["times"] = times
        elif suggestion:
            out["suggestions"].append(suggestion)
    schema = {"tweetId": pl.String, **dict.fromkeys(_FEED_COLUMNS, pl.Int64)}
    return pl.DataFrame(
        [
            {
                "tweetId": post_id,
                **dict(zip(_FEED_COLUMNS, p["times"], strict=True)),
                "sourceLinks": ",".join(p["links"]) or None,
                "suggestions": json.dumps(p["suggestions"]),
            }
            for post_id, p in per_post.items()
        ],
        schema={**schema, "sourceLinks": pl.String, "suggestions": pl.String},
    )


def _json_list(text: str | None) -> list[Any]:
    if not text:
        return []
    try:
        value = json.loads(text)
    except ValueError:
        return [text]
    return list(value) if isinstance(value, list) else [value]


def export_frames(conn: Connection, cutoff_ms: int) -> dict[str, pl.DataFrame]:
    """The public tables as frames in the published layouts, keyed by file kind.

    Content created after ``cutoff_ms`` (ms since the epoch) is left out, as the public
    export's 48-hour delay requires (scoring-extended.md §7.9): notes, ratings, status
    history and requests by their creation time, enrollment rows by their participant's join
    time. Deleted notes are left out;
    their ratings and status-history rows stay, since they still count. The real-time pipeline
    reads its snapshots through this function too.
    """
    notes_frame = _frame(
        conn,
        select(*[notes.c[c] for c in NOTES_COLUMNS])
        .where(notes.c.deleted_at_ms.is_(None), notes.c.createdAtMillis <= cutoff_ms)
        .order_by(notes.c.createdAtMillis, notes.c.noteId),
        NOTES_COLUMNS,
    )
    ratings_frame = _frame(
        conn,
        select(*[ratings.c[c] for c in RATINGS_COLUMNS])
        .where(ratings.c.createdAtMillis <= cutoff_ms)
        .order_by(ratings.c.createdAtMillis, ratings.c.noteId, ratings.c.raterParticipantId),
        RATINGS_COLUMNS,
    )
    nsh_frame = _frame(
        conn,
        select(*[note_status_history.c[c] for c in NOTE_STATUS_HISTORY_COLUMNS])
        .where(note_status_history.c.createdAtMillis <= cutoff_ms)
        .order_by(note_status_history.c.createdAtMillis, note_status_history.c.noteId),
        NOTE_STATUS_HISTORY_COLUMNS,
    )
    names = {int(m): m.name for m in EnrollmentState}
    enrollment_frame = _frame(
        conn,
        select(*[enrollment.c[c] for c in USER_ENROLLMENT_COLUMNS])
        .join(participants, participants.c.participantId == enrollment.c.participantId)
        .where(participants.c.created_at_ms <= cutoff_ms)
        .order_by(enrollment.c.participantId),
        USER_ENROLLMENT_COLUMNS,
    ).with_columns(
        pl.col("enrollmentState").cast(pl.Int64).replace_strict(names, return_dtype=pl.String)
    )
    requests_frame = _requests_export(conn, cutoff_ms)
    return {
        "notes": notes_frame.with_columns(pl.col("noteId").cast(pl.String)),
        "ratings": ratings_frame.with_columns(pl.col("noteId").cast(pl.String)),
        "noteStatusHistory": nsh_frame.with_columns(pl.col("noteId").cast(pl.String)),
        "userEnrollment": enrollment_frame,
        "batSignals": requests_frame,
    }


_WRITERS = {
    "notes": write_notes,
    "ratings": write_ratings,
    "noteStatusHistory": write_note_status_history,
    "userEnrollment": write_user_enrollment,
    "batSignals": write_note_requests,
}


def export_dump(
    engine: Engine,
    directory: str | Path,
    *,
    as_of_ms: int,
    delay_ms: int = PUBLICATION_DELAY_MS,
    formats: Iterable[str] = ("tsv", "parquet"),
) -> ExportManifest:
    """Write the public files of everything in the database, with ``manifest.json`` and
    ``SHA256SUMS``.

    Parameters
    ----------
    directory : output directory (created if missing).
    as_of_ms : release time, ms; content created after ``as_of_ms - delay_ms`` is left out.
    delay_ms : publication delay, ms (48 h by default, spec-extended §7.9).
    formats : ``tsv`` and/or ``parquet``.

    Returns
    -------
    The manifest: per file its name, rows, bytes and SHA-256.
    """
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    formats = tuple(formats)
    unknown = sorted(set(formats) - {"tsv", "parquet"})
    if unknown:
        raise InputError(f"unknown export format(s) {unknown}", field="formats")
    cutoff = as_of_ms - delay_ms
    with engine.connect() as conn, conn.begin():
        frames = export_frames(conn, cutoff)
    files = []
    for name, frame in frames.items():
        for fmt in formats:
            path = out / f"{name}-00000.{fmt}"
            _WRITERS[name](frame, path)
            files.append(ExportedFile(path.name, frame.height, path.stat().st_size, _sha256(path)))
    manifest = ExportManifest(as_of_ms, cutoff, tuple(files))
    (out / "manifest.json").write_text(manifest.to_json())
    (out / "SHA256SUMS").write_text("".join(f"{f.sha256}  {f.name}\n" for f in files))
    _log.info("exported %d files to %s", len(files), out)
    return manifest
