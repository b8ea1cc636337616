"""Requesting a note on a post (spec-extended §6.1): who may, and how often."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bridgewatch.errors import PermissionDeniedError
from bridgewatch.model import EnrollmentState
from bridgewatch.store.repositories.participants import Participant
from bridgewatch.store.repositories.posts import create_note_request, require_post
from bridgewatch.store.rows import NoteRequestRow
from bridgewatch.usecases.limits import LimitSettings, check_request_rate

__all__ = ["request_note"]


def request_note(
    db: Session,
    *,
    now_ms: int,
    requester: Participant,
    post_id: str,
    source_link: str | None,
    suggestion: str | None,
    limits: LimitSettings,
) -> NoteRequestRow:
    """Store ``requester``'s request for a note on post ``post_id``, in the caller's
    transaction, within ``limits.note_requests_per_day``.

    Returns
    -------
    The stored request.

    Raises
    ------
    NotFoundError : no such post.
    PermissionDeniedError : the requester was removed.
    RateLimitedError : the daily limit is reached.
    ConflictError : the requester already asked for a note on this post.
    """
    require_post(db, post_id)
    if requester.enrollment_state == EnrollmentState.removed:
        raise PermissionDeniedError("this participant was removed")
    check_request_rate(db, settings=limits, now_ms=now_ms, participant_id=requester.participant_id)
    return create_note_request(
        db,
        now_ms=now_ms,
        post_id=post_id,
        requester_participant_id=requester.participant_id,
        source_link=source_link,
        suggestion=suggestion,
    )
