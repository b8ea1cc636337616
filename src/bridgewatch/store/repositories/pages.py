"""Read queries of the web pages beyond the other repositories (figures for charts, the
active-learning candidates, a contributor's recent ratings, the pipeline's state)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from bridgewatch.store.repositories.notes import NEEDS_MORE_RATINGS, timeline
from bridgewatch.store.rows import NoteView
from bridgewatch.store.tables import (
    contributor_scores,
    events,
    note_requests,
    note_scores,
    note_status_changes,
    note_status_history,
    notes,
    pipeline_offsets,
    pipeline_refits,
    posts,
    ratings,
)

__all__ = [
    "AuthoredNote",
    "Candidate",
    "PipelineState",
    "RaterPoint",
    "RecentRating",
    "has_requested",
    "latest_event_id",
    "needs_help_candidates",
    "note_points",
    "note_rater_points",
    "note_status",
    "notes_by_author",
    "pipeline_state",
    "rater_factors",
    "recent_ratings",
    "status_counts",
    "status_over_time",
    "viewer_factor",
]


@dataclass(frozen=True)
class Candidate:
    """A note the viewer may rate, with what the scorer knows about it.

    ``ratings_by_side`` counts its raters with factor < 0 and >= 0 (raters without a factor
    are not counted); ``intercept_min``/``max`` are the pseudo-rater bounds, if scored;
    ``core_status`` is the Core model's status from the last full run, if scored.
    """

    note_id: int
    n_ratings: int
    ratings_negative_side: int
    ratings_positive_side: int
    intercept: float | None
    factor: float | None
    intercept_min: float | None
    intercept_max: float | None
    created_at_ms: int
    core_status: str | None = None
    net_negative_side: int = 0
    net_positive_side: int = 0


_CRH = "CURRENTLY_RATED_HELPFUL"
_CRNH = "CURRENTLY_RATED_NOT_HELPFUL"


@dataclass(frozen=True)
class RaterPoint:
    """One rating of a note placed on the viewpoint axis (factor ``None`` if unscored)."""

    factor: float | None
    level: str


@dataclass(frozen=True)
class RecentRating:
    """A contributor's rating and how it turned out against the note's current status."""

    note_id: int
    post_id: str
    summary: str
    level: str
    status: str
    created_at_ms: int
    outcome: str


@dataclass(frozen=True)
class AuthoredNote:
    """A note the contributor wrote, with its current status and rating count."""

    note_id: int
    post_id: str
    summary: str
    status: str
    num_ratings: int
    created_at_ms: int


@dataclass(frozen=True)
class PipelineState:
    """Where the real-time worker is: its offset, when it last moved, its last full refit."""

    worker_offset: int | None
    worker_updated_at_ms: int | None
    refit_at_ms: int | None


def latest_event_id(session: Session) -> int:
    """The newest event id in the log (0 if empty), as seen by this transaction."""
    return int(session.execute(select(func.coalesce(func.max(events.c.id), 0))).scalar_one())


def pipeline_state(session: Session, consumer: str = "worker") -> PipelineState:
    """The worker consumer's offset and the newest stored refit."""
    offset = session.execute(
        select(pipeline_offsets.c.last_event_id, pipeline_offsets.c.updated_at_ms).where(
            pipeline_offsets.c.consumer == consumer
        )
    ).first()
    refit_at = session.execute(select(func.max(pipeline_refits.c.created_at_ms))).scalar_one()
    return PipelineState(
        worker_offset=None if offset is None else int(offset.last_event_id),
        worker_updated_at_ms=None if offset is None else int(offset.updated_at_ms),
        refit_at_ms=None if refit_at is None else int(refit_at),
    )


def note_status(session: Session, note_id: int) -> tuple[str, str | None] | None:
    """The note's published status and deciding model (``None``: no such note)."""
    row = session.execute(
        select(
            func.coalesce(note_status_history.c.currentStatus, NEEDS_MORE_RATINGS),
            note_status_history.c.currentDecidedBy,
        )
        .select_from(
            notes.outerjoin(note_status_history, note_status_history.c.noteId == notes.c.noteId)
        )
        .where(notes.c.noteId == note_id)
    ).first()
    return None if row is None else (str(row[0]), None if row[1] is None else str(row[1]))


def viewer_factor(session: Session, participant_id: str) -> float | None:
    """The participant's rater factor from the last scoring run, if any."""
    value = session.execute(
        select(contributor_scores.c.core_rater_factor1).where(
            contributor_scores.c.participant_id == participant_id
        )
    ).scalar_one_or_none()
    return None if value is None else float(value)


def note_rater_points(session: Session, note_id: int) -> list[RaterPoint]:
    """Every rating of the note with its rater's factor."""
    rows = session.execute(
        select(ratings.c.helpfulnessLevel, contributor_scores.c.core_rater_factor1)
        .select_from(
            ratings.outerjoin(
                contributor_scores,
                contributor_scores.c.participant_id == ratings.c.raterParticipantId,
            )
        )
        .where(ratings.c.noteId == note_id)
    ).all()
    return [
        RaterPoint(
            None if r.core_rater_factor1 is None else float(r.core_rater_factor1),
            str(r.helpfulnessLevel),
        )
        for r in rows
    ]


def has_requested(session: Session, post_id: str, participant_id: str) -> bool:
    """Whether the participant already requested a note on the post."""
    row = session.execute(
        select(note_requests.c.id).where(
            note_requests.c.post_id == post_id,
            note_requests.c.requester_participant_id == participant_id,
        )
    ).first()
    return row is not None


def needs_help_candidates(
    session: Session, *, viewer_participant_id: str | None, limit: int = 200
) -> list[tuple[Candidate, NoteView]]:
    """Notes needing more ratings the viewer did not write or rate, with side counts.

    Returns (candidate, note view) pairs for up to ``limit`` newest such notes.
    """
    rows = timeline(
        session,
        tab="needs-your-help",
        viewer_participant_id=viewer_participant_id,
        after=None,
        limit=limit,
    )
    if not rows:
        return []
    ids = [r.note_id for r in rows]
    factor = contributor_scores.c.core_rater_factor1
    level = ratings.c.helpfulnessLevel
    sides = session.execute(
        select(
            ratings.c.noteId,
            func.sum(case((factor < 0, 1), else_=0)).label("neg"),
            func.sum(case((factor >= 0, 1), else_=0)).label("pos"),
            func.sum(case((and_(factor < 0, level == "HELPFUL"), 1), else_=0)).label("neg_yes"),
            func.sum(case((and_(factor < 0, level == "NOT_HELPFUL"), 1), else_=0)).label("neg_no"),
            func.sum(case((and_(factor >= 0, level == "HELPFUL"), 1), else_=0)).label("pos_yes"),
            func.sum(case((and_(factor >= 0, level == "NOT_HELPFUL"), 1), else_=0)).label("pos_no"),
        )
        .select_from(
            ratings.join(
                contributor_scores,
                contributor_scores.c.participant_id == ratings.c.raterParticipantId,
            )
        )
        .where(ratings.c.noteId.in_(ids))
        .group_by(ratings.c.noteId)
    ).all()
    by_note = {
        int(r.noteId): (
            int(r.neg or 0),
            int(r.pos or 0),
            int(r.neg_yes or 0) - int(r.neg_no or 0),
            int(r.pos_yes or 0) - int(r.pos_no or 0),
        )
        for r in sides
    }
    scores = {
        int(r.note_id): r
        for r in session.execute(select(note_scores).where(note_scores.c.note_id.in_(ids)))
    }
    out = []
    for r in rows:
        nid = r.note_id
        neg, pos, net_neg, net_pos = by_note.get(nid, (0, 0, 0, 0))
        sc = scores.get(nid)
        out.append(
            (
                Candidate(
                    note_id=nid,
                    n_ratings=r.num_ratings,
                    ratings_negative_side=neg,
                    ratings_positive_side=pos,
                    intercept=None if sc is None else sc.core_note_intercept,
                    factor=None if sc is None else sc.core_note_factor1,
                    intercept_min=None if sc is None else sc.core_note_intercept_min,
                    intercept_max=None if sc is None else sc.core_note_intercept_max,
                    created_at_ms=r.created_at_ms,
                    core_status=None if sc is None else sc.core_rating_status,
                    net_negative_side=net_neg,
                    net_positive_side=net_pos,
                ),
                r,
            )
        )
    return out


def recent_ratings(session: Session, participant_id: str, *, limit: int = 20) -> list[RecentRating]:
    """The participant's latest ratings, with the note's status and the outcome.

    Outcome: ``agreed`` (Helpful on a Helpful note, Not helpful on a Not Helpful note),
    ``disagreed`` (the opposite), ``awaiting`` (the note needs more ratings) or ``neutral``
    (Somewhat helpful on a decided note).
    """
    status = func.coalesce(note_status_history.c.currentStatus, NEEDS_MORE_RATINGS)
    rows = session.execute(
        select(
            ratings.c.noteId,
            ratings.c.helpfulnessLevel,
            ratings.c.createdAtMillis,
            notes.c.tweetId,
            notes.c.summary,
            status.label("status"),
        )
        .select_from(
            ratings.join(notes, notes.c.noteId == ratings.c.noteId).outerjoin(
                note_status_history, note_status_history.c.noteId == ratings.c.noteId
            )
        )
        .where(ratings.c.raterParticipantId == participant_id)
        .order_by(ratings.c.createdAtMillis.desc(), ratings.c.noteId.desc())
        .limit(limit)
    ).all()
    out = []
    for r in rows:
        st, level = str(r.status), str(r.helpfulnessLevel)
        if st not in (_CRH, _CRNH):
            outcome = "awaiting"
        elif level == "SOMEWHAT_HELPFUL":
            outcome = "neutral"
        elif (level == "HELPFUL") == (st == _CRH):
            outcome = "agreed"
        else:
            outcome = "disagreed"
        out.append(
            RecentRating(
                int(r.noteId),
                str(r.tweetId),
                str(r.summary),
                level,
                st,
                int(r.createdAtMillis),
                outcome,
            )
        )
    return out


def notes_by_author(
    session: Session, participant_id: str, *, limit: int = 50
) -> list[AuthoredNote]:
    """The participant's live notes, newest first, with status and number of ratings."""
    status = func.coalesce(note_status_history.c.currentStatus, NEEDS_MORE_RATINGS)
    n_ratings = (
        select(func.count())
        .where(ratings.c.noteId == notes.c.noteId)
        .correlate(notes)
        .scalar_subquery()
    )
    rows = session.execute(
        select(
            notes.c.noteId,
            notes.c.tweetId,
            notes.c.summary,
            notes.c.createdAtMillis,
            status.label("status"),
            n_ratings.label("num_ratings"),
        )
        .select_from(
            notes.outerjoin(note_status_history, note_status_history.c.noteId == notes.c.noteId)
        )
        .where(notes.c.noteAuthorParticipantId == participant_id, notes.c.deleted_at_ms.is_(None))
        .order_by(notes.c.createdAtMillis.desc(), notes.c.noteId.desc())
        .limit(limit)
    ).all()
    return [
        AuthoredNote(
            int(r.noteId),
            str(r.tweetId),
            str(r.summary),
            str(r.status),
            int(r.num_ratings),
            int(r.createdAtMillis),
        )
        for r in rows
    ]


def status_counts(session: Session) -> dict[str, int]:
    """Live notes per current status."""
    status = func.coalesce(note_status_history.c.currentStatus, NEEDS_MORE_RATINGS)
    rows = session.execute(
        select(status.label("s"), func.count())
        .select_from(
            notes.outerjoin(note_status_history, note_status_history.c.noteId == notes.c.noteId)
        )
        .where(notes.c.deleted_at_ms.is_(None))
        .group_by(status)
    ).all()
    counts = {NEEDS_MORE_RATINGS: 0, _CRH: 0, _CRNH: 0}
    counts.update({str(s): int(c) for s, c in rows})
    return counts


def status_over_time(session: Session) -> tuple[list[str], dict[str, list[int]]]:
    """Notes per status at the end of each day (UTC), replaying the status change log.

    Returns the days (ISO dates, oldest first, gaps filled) and status -> counts per day;
    a note counts from its creation day (as Needs more ratings until its first change).
    """
    created = session.execute(select(notes.c.noteId, notes.c.createdAtMillis)).all()
    changes = session.execute(
        select(
            note_status_changes.c.note_id,
            note_status_changes.c.changed_at_ms,
            note_status_changes.c.status,
        ).order_by(note_status_changes.c.changed_at_ms, note_status_changes.c.id)
    ).all()
    if not created:
        return [], {}

    def day(ms: int) -> dt.date:
        return dt.datetime.fromtimestamp(ms / 1000, tz=dt.UTC).date()

    events: list[tuple[int, int, int, str]] = [
        (int(t), 0, int(n), NEEDS_MORE_RATINGS) for n, t in created
    ]
    events += [(int(t), 1, int(n), str(s)) for n, t, s in changes]
    events.sort()
    first, last = day(events[0][0]), day(events[-1][0])
    days = [first + dt.timedelta(days=k) for k in range((last - first).days + 1)]
    current: dict[int, str] = {}
    series: dict[str, list[int]] = {NEEDS_MORE_RATINGS: [], _CRH: [], _CRNH: []}
    k = 0
    for d in days:
        while k < len(events) and day(events[k][0]) <= d:
            _, _, nid, st = events[k]
            current[nid] = st
            k += 1
        for s in series:
            series[s].append(sum(1 for v in current.values() if v == s))
    return [d.isoformat() for d in days], series


def rater_factors(session: Session) -> list[float]:
    """Every scored rater's factor from the last run."""
    rows = session.execute(
        select(contributor_scores.c.core_rater_factor1).where(
            contributor_scores.c.core_rater_factor1.is_not(None)
        )
    ).scalars()
    return [float(v) for v in rows]


def note_points(session: Session) -> list[tuple[float, float, str]]:
    """(factor, intercept, status) of every live scored note."""
    rows = session.execute(
        select(
            note_scores.c.core_note_factor1,
            note_scores.c.core_note_intercept,
            note_scores.c.final_rating_status,
        )
        .select_from(note_scores.join(notes, notes.c.noteId == note_scores.c.note_id))
        .where(
            and_(
                note_scores.c.core_note_intercept.is_not(None),
                note_scores.c.core_note_factor1.is_not(None),
                notes.c.deleted_at_ms.is_(None),
            )
        )
    ).all()
    return [(float(f), float(i), str(s)) for f, i, s in rows]


def post_titles(session: Session, post_ids: list[str]) -> dict[str, str]:
    """Post id -> its text (for note cards on timelines)."""
    if not post_ids:
        return {}
    rows = session.execute(
        select(posts.c.post_id, posts.c.text).where(posts.c.post_id.in_(post_ids))
    )
    return {str(p): str(t or "") for p, t in rows}


@dataclass(frozen=True)
class SideSupport:
    """Ratings of every rated note by raters on each side of the factor split (arrays in
    note order; left: factor < -split, right: factor > split)."""

    helpful_left: list[int]
    ratings_left: list[int]
    helpful_right: list[int]
    ratings_right: list[int]


def side_support(session: Session, split: float) -> SideSupport:
    """HELPFUL and all ratings per live note from raters left and right of ``split``."""
    factor = contributor_scores.c.core_rater_factor1
    helpful = ratings.c.helpfulnessLevel == "HELPFUL"
    left, right = factor < -split, factor > split

    def count(cond: Any) -> Any:
        return func.sum(case((cond, 1), else_=0))

    rows = session.execute(
        select(
            count(and_(left, helpful)),
            count(left),
            count(and_(right, helpful)),
            count(right),
        )
        .select_from(
            ratings.join(
                contributor_scores,
                contributor_scores.c.participant_id == ratings.c.raterParticipantId,
            ).join(notes, notes.c.noteId == ratings.c.noteId)
        )
        .where(and_(notes.c.deleted_at_ms.is_(None), factor.is_not(None)))
        .group_by(ratings.c.noteId)
    ).all()
    return SideSupport(
        [int(r[0]) for r in rows],
        [int(r[1]) for r in rows],
        [int(r[2]) for r in rows],
        [int(r[3]) for r in rows],
    )
