"""The contributor pages: timelines, posts with the rating dialog, note writing, note
details, profiles, transparency, sign-up / log-in / log-out.

Forms post back with a CSRF token (see :mod:`bridgewatch.web.csrf`); the session is the
service's session token in an HttpOnly cookie. Writes go through the service repositories
and limits, so the web app and the HTTP API enforce the same rules.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import ValidationError

from bridgewatch import ALGORITHM, __version__
from bridgewatch.analysis.perspectives import PerspectiveRule, liked_by_different_perspectives
from bridgewatch.errors import (
    BridgewatchError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
)
from bridgewatch.scoring.status.config import StatusRulesConfig
from bridgewatch.service.convert import (
    HELPFUL_TAG_COLUMNS,
    NOT_HELPFUL_TAG_COLUMNS,
    note_content,
    rating_row,
)
from bridgewatch.service.deps import Db, Now, get_settings
from bridgewatch.service.schemas import NoteCreate, NoteRequestCreate, RatingCreate
from bridgewatch.service.settings import Settings
from bridgewatch.store.dump import PUBLICATION_DELAY_MS
from bridgewatch.store.pending import pending_ratings
from bridgewatch.store.repositories import pages
from bridgewatch.store.repositories.notes import (
    TimelinePosition,
    get_scoring,
    list_status_changes,
    notes_on_post,
    require_note,
    require_own_note,
    timeline,
)
from bridgewatch.store.repositories.participants import Participant, get_session_participant
from bridgewatch.store.repositories.posts import (
    count_post_requests,
    get_post,
    require_post,
)
from bridgewatch.store.repositories.ratings import get_rating
from bridgewatch.store.rows import PostRow
from bridgewatch.usecases import notes as usecases_notes
from bridgewatch.usecases import ratings as usecases_ratings
from bridgewatch.usecases import requests as usecases_requests
from bridgewatch.usecases.accounts import authenticate, create_account, end_session, start_session
from bridgewatch.usecases.notes import SummaryProblem, summary_problems
from bridgewatch.usecases.profile import contributor_profile
from bridgewatch.usecases.rules import WRITING_STATES
from bridgewatch.usecases.text import find_urls, summary_length
from bridgewatch.usecases.throttle import (
    address_key,
    login_succeeded,
    reserve_login,
    reserve_signup,
)
from bridgewatch.web import charts
from bridgewatch.web.community_analysis import community_figures
from bridgewatch.web.csrf import CSRF_COOKIE, check_csrf, csrf_token_for
from bridgewatch.web.explain import (
    SideCounts,
    enrollment_label,
    explain_note,
    rule_list,
    rule_meanings,
    scorer_label,
    split_rules,
)
from bridgewatch.web.forms import (
    FIELD_LABELS,
    MISLEADING_CHOICES,
    NOT_MISLEADING_CHOICES,
    friendly_note_errors,
)
from bridgewatch.web.needs_help import rank_needs_help

__all__ = ["SESSION_COOKIE", "router", "templates"]

_log = logging.getLogger(__name__)

SESSION_COOKIE = "bw_session"
templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
router = APIRouter(include_in_schema=False)
SettingsDep = Annotated[Settings, Depends(get_settings)]

TABS = {
    "needs-your-help": "Needs your help",
    "new": "New",
    "rated-helpful": "Rated helpful",
    "rated-not-helpful": "Rated not helpful",
}
STATUS_LABELS = {
    "NEEDS_MORE_RATINGS": "Needs more ratings",
    "CURRENTLY_RATED_HELPFUL": "Helpful",
    "CURRENTLY_RATED_NOT_HELPFUL": "Not helpful",
}
# The Core model's own statuses that never show as a note's status (scoring-core.md §6.2).
CORE_STATUS_LABELS = {
    **STATUS_LABELS,
    "NEEDS_YOUR_HELP": "Helpful so far, needs raters from more viewpoints",
    "FIRM_REJECT": "Held back: cannot be rated helpful in this run",
}
LEVEL_LABELS = {"HELPFUL": "Yes", "SOMEWHAT_HELPFUL": "Somewhat", "NOT_HELPFUL": "No"}
TAG_LABELS = {
    "Clear": "Clear and easy to understand",
    "GoodSources": "Cites high-quality sources",
    "AddressesClaim": "Directly addresses the post's claim",
    "ImportantContext": "Provides important context",
    "UnbiasedLanguage": "Neutral or unbiased language",
    "Other": "Other",
    "Incorrect": "Incorrect information",
    "SourcesMissingOrUnreliable": "Sources not included or unreliable",
    "IrrelevantSources": "Sources do not support the note",
    "OpinionSpeculation": "Opinion or speculation",
    "HardToUnderstand": "Typos or unclear language",
    "MissingKeyPoints": "Misses key points or irrelevant",
    "ArgumentativeOrBiased": "Argumentative or biased language",
    "NoteNotNeeded": "Note not needed on this post",
    "SpamHarassmentOrAbuse": "Harassment or abuse",
}
_TSV_TAG_LABELS = {
    **{col: TAG_LABELS[tag] for tag, col in HELPFUL_TAG_COLUMNS.items()},
    **{col: TAG_LABELS[tag] for tag, col in NOT_HELPFUL_TAG_COLUMNS.items()},
}


def _when(ms: int | None) -> str:
    if ms is None:
        return "-"
    return dt.datetime.fromtimestamp(ms / 1000, tz=dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


_TITLE_WORDS = 8


def post_title(post: PostRow) -> str:
    """A readable title for a post: its author and the first words of its text, e.g.
    ``@city_watch on "Official numbers: the bridge closure cost …"``; without text or
    author, the day it was posted rather than its (often 19-digit) id."""
    text = " ".join((post.text or "").split())
    words = text.split(" ")
    opening = " ".join(words[:_TITLE_WORDS]) + (" …" if len(words) > _TITLE_WORDS else "")
    author = post.author_id
    if text and author:
        return f"{author}: “{opening}”"
    if text:
        return f"“{opening}”"
    return post_heading(post)


def post_heading(post: PostRow) -> str:
    """The heading above a post's text: who posted it and when (not its id)."""
    day = dt.datetime.fromtimestamp(post.created_at_ms / 1000, tz=dt.UTC)
    author = post.author_id
    return f"Post by {author}, {day:%d %b %Y}" if author else f"A post of {day:%d %b %Y}"


templates.env.filters["when"] = _when
templates.env.filters["status_label"] = lambda s: STATUS_LABELS.get(str(s), str(s))
templates.env.filters["core_status_label"] = lambda s: CORE_STATUS_LABELS.get(str(s), str(s))
templates.env.filters["tag_label"] = lambda t: _TSV_TAG_LABELS.get(str(t), str(t))
templates.env.filters["tag_list"] = lambda text: ", ".join(
    _TSV_TAG_LABELS.get(t, t) for t in split_rules(text)
)
templates.env.filters["enrollment_label"] = enrollment_label
templates.env.filters["rule_list"] = rule_list
templates.env.filters["rule_meanings"] = rule_meanings
templates.env.filters["scorer_label"] = scorer_label
templates.env.globals.update(
    TABS=TABS,
    LEVEL_LABELS=LEVEL_LABELS,
    TAG_LABELS=TAG_LABELS,
    HELPFUL_TAGS=list(HELPFUL_TAG_COLUMNS),
    NOT_HELPFUL_TAGS=list(NOT_HELPFUL_TAG_COLUMNS),
    VERSION=__version__,
)


def current_user(request: Request, db: Db, now_ms: Now) -> Participant | None:
    """The logged-in participant (session cookie), or ``None``."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token or len(token) > 200:
        return None
    return get_session_participant(db, token, now_ms=now_ms)


User = Annotated[Participant | None, Depends(current_user)]


def _render(
    request: Request,
    template: str,
    context: dict[str, Any],
    *,
    user: Participant | None,
    status_code: int = 200,
) -> HTMLResponse:
    token = csrf_token_for(request)
    response = templates.TemplateResponse(
        request,
        template,
        {"user": user, "csrf_token": token, **context},
        status_code=status_code,
    )
    if request.cookies.get(CSRF_COOKIE) != token:
        response.set_cookie(CSRF_COOKIE, token, httponly=True, samesite="strict", path="/")
    response.headers["Cache-Control"] = "no-store"
    # Only our own scripts and styles; no framing (clickjacking), no referrer leaks.
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    return response


def _error(request: Request, user: Participant | None, exc: BridgewatchError) -> HTMLResponse:
    code = 400
    if isinstance(exc, NotFoundError):
        code = 404
    elif isinstance(exc, PermissionDeniedError):
        code = 403
    elif isinstance(exc, ConflictError):
        code = 409
    elif type(exc).__name__ == "RateLimitedError":
        code = 429
    return _render(request, "error.html", {"message": str(exc)}, user=user, status_code=code)


def _throttled(request: Request, user: Participant | None, exc: RateLimitedError) -> Response:
    """A log-in or sign-up refused by the throttle (``usecases.throttle``): 429."""
    response = _error(request, user, exc)
    response.headers["Retry-After"] = str(exc.retry_after_s)
    return response


def _address(request: Request) -> str:
    """The client address the log-in and sign-up throttle counts."""
    return address_key(request.client.host if request.client is not None else None)


def _login_redirect(request: Request) -> RedirectResponse:
    return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)


def _safe_next(target: str | None, default: str) -> str:
    """Only same-site absolute paths are followed after a form (no open redirect)."""
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return default


@router.get("/", response_class=HTMLResponse)
def home(user: User) -> RedirectResponse:
    """Start on the timeline that fits: Needs your help when logged in, else New."""
    return RedirectResponse("/timeline/needs-your-help" if user else "/timeline/new", 303)


_PAGE = 30


def _position(before: str | None) -> TimelinePosition | None:
    """``<createdAtMillis>-<noteId>`` of the last note shown, or ``None``."""
    if not before:
        return None
    created, _, note_id = before.partition("-")
    if not (created.isdigit() and note_id.isdigit()):
        return None
    return TimelinePosition(int(created), int(note_id))


@router.get("/timeline/{tab}", response_class=HTMLResponse)
def timeline_page(
    request: Request, db: Db, user: User, tab: str, before: str | None = None
) -> HTMLResponse:
    """One of the four timelines; Needs your help ranks notes by what the viewer's rating
    would teach the scorer, each with its reasons."""
    if tab not in TABS:
        return _error(request, user, NotFoundError(f"no timeline called {tab!r}"))
    viewer = user.participant_id if user else None
    placed = False
    reasons: dict[int, list[str]] = {}
    if tab == "needs-your-help":
        candidates = pages.needs_help_candidates(db, viewer_participant_id=viewer)
        rows = {c.note_id: row for c, row in candidates}
        factor = pages.viewer_factor(db, viewer) if viewer else None
        placed = factor is not None
        ranked = rank_needs_help([c for c, _ in candidates], viewer_factor=factor, limit=30)
        items = [rows[s.note_id] for s in ranked]
        reasons = {s.note_id: list(s.reasons) for s in ranked}
    else:
        items = timeline(
            db,
            tab=tab,  # type: ignore[arg-type]
            viewer_participant_id=viewer,
            after=_position(before),
            limit=_PAGE + 1,
        )
    older = None
    if tab != "needs-your-help" and len(items) > _PAGE:
        items = items[:_PAGE]
        older = f"{items[-1].created_at_ms}-{items[-1].note_id}"
    posts = pages.post_titles(db, sorted({n.post_id for n in items}))
    return _render(
        request,
        "timeline.html",
        {
            "tab": tab,
            "items": items,
            "reasons": reasons,
            "posts": posts,
            "older": older,
            "placed": placed,
            "title": TABS[tab],
        },
        user=user,
    )


@router.get("/posts/{post_id}", response_class=HTMLResponse)
def post_page(
    request: Request,
    db: Db,
    user: User,
    post_id: str,
    rated: int | None = None,
    was: str | None = None,
    after: int | None = None,
    requested: int = 0,
) -> HTMLResponse:
    """A post with its notes (status, top tags), the rating dialog on each, and its note
    requests (with the form to request one).

    After a rating (``rated``: the note, ``was``: its status before, ``after``: the event
    id of the rating) the flash says whether the real-time worker has scored the rating
    yet; if not, the page's script asks ``/notes/{id}/live`` until it has."""
    return _post_response(
        request, db, user, post_id, rated=rated, was=was, after=after, requested=bool(requested)
    )


def _post_response(
    request: Request,
    db: Db,
    user: Participant | None,
    post_id: str,
    *,
    rated: int | None = None,
    was: str | None = None,
    after: int | None = None,
    requested: bool = False,
    request_form: dict[str, str] | None = None,
    request_error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    post = get_post(db, post_id)
    if post is None:
        return _error(request, user, NotFoundError(f"post {post_id!r} does not exist"))
    items = notes_on_post(db, post_id)
    mine: dict[int, str] = {}
    if user is not None:
        for n in items:
            r = get_rating(db, note_id=n.note_id, rater_participant_id=user.participant_id)
            if r is not None:
                mine[n.note_id] = str(r.helpfulness_level)
    flash = None
    if rated is not None:
        note = next((n for n in items if n.note_id == rated), None)
        if note is not None:
            old = was if was in STATUS_LABELS else None
            offset = pages.pipeline_state(db).worker_offset
            flash = {
                "note_id": rated,
                "old": old,
                "new": note.status,
                "after": after or 0,
                "scored": after is None or (offset is not None and offset >= after),
            }
    return _render(
        request,
        "post.html",
        {
            "post": post,
            "items": items,
            "mine": mine,
            "flash": flash,
            "requests": count_post_requests(db, post_id),
            "my_request": (
                user is not None and pages.has_requested(db, post_id, user.participant_id)
            ),
            "requested": requested,
            "request_form": request_form or {},
            "request_error": request_error,
            "can_write": user is not None and user.enrollment_state in WRITING_STATES,
            "title": post_title(post),
            "heading": post_heading(post),
        },
        user=user,
        status_code=status_code,
    )


@router.post("/posts/{post_id}/requests")
def request_note(
    request: Request,
    db: Db,
    now_ms: Now,
    user: User,
    settings: SettingsDep,
    post_id: str,
    source_link: Annotated[str, Form()] = "",
    suggestion: Annotated[str, Form()] = "",
    csrf_token: Annotated[str | None, Form()] = None,
) -> Response:
    """Request a note on the post: the API's ``POST /posts/{id}/requests`` (same schema,
    daily limit and one request per contributor and post), then back to the post."""
    check_csrf(request, csrf_token)
    if user is None:
        return _login_redirect(request)
    form = {"source_link": source_link, "suggestion": suggestion}
    try:
        require_post(db, post_id)
    except NotFoundError as exc:
        return _error(request, user, exc)
    message: str | None = None
    try:
        body = NoteRequestCreate(
            source_link=source_link.strip() or None, suggestion=suggestion.strip() or None
        )
    except ValidationError as exc:
        fields = {str(e["loc"][0]) for e in exc.errors() if e["loc"]}
        message = (
            "The source link must be a web address starting with http:// or https://."
            if "source_link" in fields
            else "The suggestion can have at most 1,000 characters."
        )
    else:
        try:
            usecases_requests.request_note(
                db,
                now_ms=now_ms,
                requester=user,
                post_id=post_id,
                source_link=body.source_link,
                suggestion=body.suggestion,
                limits=settings,
            )
        except BridgewatchError as exc:
            message = str(exc)[:1].upper() + str(exc)[1:] + "."
    if message is not None:
        return _post_response(
            request,
            db,
            user,
            post_id,
            request_form=form,
            request_error=message,
            status_code=422,
        )
    return RedirectResponse(f"/posts/{quote(post_id)}?requested=1#requests", status_code=303)


@router.post("/notes/{note_id}/rate")
def rate_note(
    request: Request,
    db: Db,
    now_ms: Now,
    user: User,
    settings: SettingsDep,
    note_id: int,
    helpfulness_level: Annotated[str, Form()] = "",
    helpful_tags: Annotated[list[str] | None, Form()] = None,
    not_helpful_tags: Annotated[list[str] | None, Form()] = None,
    csrf_token: Annotated[str | None, Form()] = None,
) -> Response:
    """Store the rating (replacing an earlier one) and go back to the post, which follows
    the note's status until the real-time worker has scored the rating."""
    check_csrf(request, csrf_token)
    if user is None:
        return _login_redirect(request)
    try:
        full = require_note(db, note_id)
        # The rules first (as before the form): who may rate, and this note.
        verdict = usecases_ratings.rater_verdict(user) or usecases_ratings.note_verdict(
            full, user.participant_id
        )
        if verdict is not None:
            raise usecases_ratings.refusal(verdict, note_id=note_id)
        level = helpfulness_level
        try:
            body = RatingCreate(
                helpfulness_level=level,
                helpful_tags=[] if level == "NOT_HELPFUL" else (helpful_tags or []),
                not_helpful_tags=[] if level == "HELPFUL" else (not_helpful_tags or []),
            )
        except ValidationError as exc:
            fields = {str(e["loc"][0]) for e in exc.errors() if e["loc"]}
            raise PermissionDeniedError(
                "choose Yes, Somewhat or No"
                if "helpfulness_level" in fields
                else "choose Yes, Somewhat or No, and only reasons from the list that match it"
            ) from exc
        before = full.status
        usecases_ratings.rate_note(
            db,
            rater=user,
            rating=rating_row(
                body, note_id=note_id, rater_participant_id=user.participant_id, now_ms=now_ms
            ),
            ratings_per_minute=settings.ratings_per_minute,
        )
        after = pages.latest_event_id(db)  # the rating's event (same transaction)
    except BridgewatchError as exc:
        return _error(request, user, exc)
    target = (
        f"/posts/{quote(full.post_id)}?rated={note_id}&was={before}&after={after}#note-{note_id}"
    )
    return RedirectResponse(target, status_code=303)


@router.get("/notes/{note_id}/live")
def note_live(db: Db, note_id: int, after: int = 0) -> JSONResponse:
    """The note's published status, and whether the worker has consumed event ``after``
    (so a page can tell "scored, unchanged" from "not scored yet")."""
    found = pages.note_status(db, note_id)
    if found is None:
        return JSONResponse({"detail": f"note {note_id} does not exist"}, status_code=404)
    status, decided_by = found
    offset = pages.pipeline_state(db).worker_offset
    return JSONResponse(
        {
            "noteId": str(note_id),
            "status": status,
            "label": STATUS_LABELS.get(status, status),
            "decidedBy": decided_by,
            "scored": offset is not None and offset >= after,
        },
        headers={"Cache-Control": "no-store"},
    )


def _write_context(
    db: Db, user: Participant | None, post: PostRow, max_chars: int
) -> dict[str, Any]:
    profile = contributor_profile(db, user.participant_id) if user is not None else None
    return {
        "post": post,
        "profile": profile,
        "misleading_choices": MISLEADING_CHOICES,
        "not_misleading_choices": NOT_MISLEADING_CHOICES,
        "max_chars": max_chars,
        "field_labels": FIELD_LABELS,
        "title": "Write a note",
    }


@router.get("/posts/{post_id}/write", response_class=HTMLResponse)
def write_page(
    request: Request, db: Db, user: User, settings: SettingsDep, post_id: str
) -> Response:
    """The note-writing form, or what the contributor still needs to earn to write."""
    if user is None:
        return _login_redirect(request)
    try:
        post = require_post(db, post_id)
    except NotFoundError as exc:
        return _error(request, user, exc)
    return _render(
        request,
        "write.html",
        {**_write_context(db, user, post, settings.summary_max_chars), "form": {}, "errors": {}},
        user=user,
    )


@router.post("/posts/{post_id}/write")
def write_note(
    request: Request,
    db: Db,
    now_ms: Now,
    user: User,
    settings: SettingsDep,
    post_id: str,
    classification: Annotated[str, Form()] = "",
    misleading_reasons: Annotated[list[str] | None, Form()] = None,
    not_misleading_reasons: Annotated[list[str] | None, Form()] = None,
    summary: Annotated[str, Form()] = "",
    source_link: Annotated[str, Form()] = "",
    csrf_token: Annotated[str | None, Form()] = None,
) -> Response:
    """Validate and store a note with the same rules as the API; re-show the form with the
    reason on an error."""
    check_csrf(request, csrf_token)
    if user is None:
        return _login_redirect(request)
    try:
        post = require_post(db, post_id)
    except NotFoundError as exc:
        return _error(request, user, exc)
    # Reasons of the answer not chosen are dropped (the page's script unticks them; without
    # the script they may still be ticked), as the rating form drops non-matching tags.
    if classification == "NOT_MISLEADING":
        misleading_reasons = []
    elif classification == "MISINFORMED_OR_POTENTIALLY_MISLEADING":
        not_misleading_reasons = []
    form = {
        "classification": classification,
        "misleading_reasons": misleading_reasons or [],
        "not_misleading_reasons": not_misleading_reasons or [],
        "summary": summary,
        "source_link": source_link,
    }
    text = summary.strip()
    link = source_link.strip()
    if link and link not in text:
        text = f"{text} {link}"
    errors: dict[str, str] = {}
    problems = summary_problems(
        text, classification=classification, max_chars=settings.summary_max_chars
    )
    if user.enrollment_state not in WRITING_STATES:
        errors["form"] = "You cannot write notes yet: earn writing ability by rating notes first."
    else:
        if link and not find_urls(link):
            errors["source_link"] = (
                "The source link must be a web address starting with http:// or https://."
            )
        elif SummaryProblem.NO_SOURCE in problems:
            errors["source_link"] = (
                "A note saying the post is misleading needs a source link: add the address "
                "of a page that supports your note."
            )
        # The form's own requirement: the text field itself (a link alone is no note).
        if not summary.strip():
            errors["summary"] = "Write the text of your note."
        elif SummaryProblem.TOO_LONG in problems:
            errors["summary"] = (
                f"The note has {summary_length(text)} characters (links not counted); "
                f"at most {settings.summary_max_chars} are allowed."
            )
        try:
            body = NoteCreate(
                post_id=post_id,
                classification=classification,
                misleading_reasons=misleading_reasons or [],
                not_misleading_reasons=not_misleading_reasons or [],
                trustworthy_sources=bool(find_urls(text)),
                summary=text,
            )
        except ValidationError as exc:
            for field, message in friendly_note_errors(exc).items():
                errors.setdefault(field, message)
    if not errors:
        try:
            note = usecases_notes.write_note(
                db,
                now_ms=now_ms,
                author=user,
                post=post,
                content=note_content(body),
                limits=settings,
            )
        except BridgewatchError as exc:
            errors["form"] = str(exc)
        else:
            return RedirectResponse(f"/notes/{note.note_id}?written=1", status_code=303)
    ordered = {k: errors[k] for k in FIELD_LABELS if k in errors}
    return _render(
        request,
        "write.html",
        {
            **_write_context(db, user, post, settings.summary_max_chars),
            "form": form,
            "errors": ordered,
        },
        user=user,
        status_code=422,
    )


@router.get("/notes/{note_id}", response_class=HTMLResponse)
def note_page(request: Request, db: Db, user: User, note_id: int, written: int = 0) -> Response:
    """Note details: status, deciding model and rule, intercept and factor, rating counts by
    side, status history and who rated it how along the viewpoint axis."""
    try:
        note = require_note(db, note_id)
    except NotFoundError as exc:
        return _error(request, user, exc)
    scoring = get_scoring(db, note_id)
    points = pages.note_rater_points(db, note_id)
    placed = [(p.factor, p.level) for p in points if p.factor is not None]
    sides: dict[str, dict[str, int]] = {
        side: dict.fromkeys(LEVEL_LABELS, 0) for side in ("negative", "positive", "unscored")
    }
    for p in points:
        side = "unscored" if p.factor is None else ("negative" if p.factor < 0 else "positive")
        if p.level in LEVEL_LABELS:
            sides[side][p.level] += 1
    perspectives = _perspectives(points)
    chart_title = "Who rated this note how, by viewpoint"
    chart = charts.responsive(
        charts.rater_axis_svg(placed, title=chart_title),
        charts.rater_axis_svg(placed, title=chart_title, width=charts.NARROW_WIDTH),
    )
    post = get_post(db, note.post_id)
    explanation = explain_note(
        status=note.status,
        decided_by=note.decided_by,
        scoring=scoring,
        num_ratings=note.num_ratings,
        negative=SideCounts.from_levels(sides["negative"]),
        positive=SideCounts.from_levels(sides["positive"]),
        unplaced=SideCounts.from_levels(sides["unscored"]),
        tag_labels=_TSV_TAG_LABELS,
    )
    return _render(
        request,
        "note.html",
        {
            "note": note,
            "post": post,
            "scoring": scoring,
            "pending": pending_ratings(db, note_id),
            "views": json.loads(scoring.scorer_views)
            if scoring is not None and scoring.scorer_views
            else None,
            "history": list_status_changes(db, note_id),
            "sides": sides,
            "perspectives": perspectives,
            "chart": chart,
            "explanation": explanation,
            "cfg": StatusRulesConfig(),
            "written": bool(written),
            "title": f"Note {note_id}",
        },
        user=user,
    )


def _perspectives(points: list[pages.RaterPoint]) -> dict[str, Any]:
    """HELPFUL and all ratings from raters left (factor < -split) and right (> split) of the
    note, and whether it was liked by people with different perspectives (the rule that
    `bridgewatch analyze` applies, ``bridgewatch.analysis.perspectives``)."""
    rule = PerspectiveRule()
    counts = {"helpful_left": 0, "ratings_left": 0, "helpful_right": 0, "ratings_right": 0}
    for p in points:
        if p.factor is None or abs(p.factor) <= rule.split:
            continue
        side = "left" if p.factor < 0 else "right"
        counts[f"ratings_{side}"] += 1
        counts[f"helpful_{side}"] += p.level == "HELPFUL"
    liked = bool(liked_by_different_perspectives(**counts, rule=rule))
    return {**counts, "liked": liked, "split": rule.split}


@router.get("/notes/{note_id}/delete", response_class=HTMLResponse)
def delete_note_page(request: Request, db: Db, user: User, note_id: int) -> Response:
    """Ask the author to confirm deleting their note (others get the API's 403 reason)."""
    if user is None:
        return _login_redirect(request)
    try:
        note = require_own_note(db, note_id, user.participant_id)
        if note.deleted_at_ms is not None:
            raise ConflictError(f"note {note_id} was already deleted")
    except BridgewatchError as exc:
        return _error(request, user, exc)
    return _render(request, "delete.html", {"note": note, "title": "Delete your note"}, user=user)


@router.post("/notes/{note_id}/delete")
def delete_note(
    request: Request,
    db: Db,
    now_ms: Now,
    user: User,
    note_id: int,
    csrf_token: Annotated[str | None, Form()] = None,
) -> Response:
    """Delete the author's own note with the API's rules (only the author; removed
    accounts cannot act; deleting twice is a no-op). The note leaves timelines and posts;
    its ratings and status history stay, as in the public data."""
    check_csrf(request, csrf_token)
    if user is None:
        return _login_redirect(request)
    try:
        usecases_notes.delete_note(db, note_id=note_id, author=user, now_ms=now_ms)
    except BridgewatchError as exc:
        return _error(request, user, exc)
    return RedirectResponse(
        f"/contributors/{quote(user.participant_id)}?deleted={note_id}", status_code=303
    )


@router.get("/me", response_class=HTMLResponse)
def my_page(request: Request, user: User) -> Response:
    """The logged-in contributor's profile."""
    if user is None:
        return _login_redirect(request)
    return RedirectResponse(f"/contributors/{user.participant_id}", status_code=303)


@router.get("/contributors/{participant_id}", response_class=HTMLResponse)
def profile_page(
    request: Request, db: Db, user: User, participant_id: str, deleted: int | None = None
) -> Response:
    """Rating impact, writing impact, enrollment, the contributor's notes with their status
    and recent ratings with their outcomes."""
    try:
        profile = contributor_profile(db, participant_id)
    except NotFoundError as exc:
        return _error(request, user, exc)
    is_me = user is not None and user.participant_id == participant_id
    return _render(
        request,
        "profile.html",
        {
            "profile": profile,
            "recent": pages.recent_ratings(db, participant_id),
            "authored": pages.notes_by_author(db, participant_id),
            "is_me": is_me,
            "deleted": deleted if is_me else None,
            "title": f"Contributor {profile.participant.alias}",
        },
        user=user,
    )


@router.get("/transparency", response_class=HTMLResponse)
def transparency_page(request: Request, db: Db, user: User) -> HTMLResponse:
    """Status counts over time, rater factors, notes' intercept vs factor with thresholds,
    raters by side and the notes liked by people with different perspectives, the data
    export and the algorithm version."""
    cfg = StatusRulesConfig()
    days, series = pages.status_over_time(db)
    factors = pages.rater_factors(db)
    points = pages.note_points(db)
    rule = PerspectiveRule()
    support = pages.side_support(db, rule.split)
    liked = liked_by_different_perspectives(
        support.helpful_left,
        support.ratings_left,
        support.helpful_right,
        support.ratings_right,
        rule,
    )
    sides = {
        "left": sum(f < -rule.split for f in factors),
        "neutral": sum(abs(f) <= rule.split for f in factors),
        "right": sum(f > rule.split for f in factors),
    }

    def both(draw: Callable[[int], str]) -> str:
        return charts.responsive(draw(640), draw(charts.NARROW_WIDTH))

    return _render(
        request,
        "transparency.html",
        {
            "counts": pages.status_counts(db),
            "status_chart": both(
                lambda w: charts.status_lines_svg(
                    days, series, title="Notes per status over time", width=w
                )
            ),
            "factor_chart": both(
                lambda w: charts.histogram_svg(
                    factors, title="Distribution of rater factors", width=w
                )
            ),
            "scatter_chart": both(
                lambda w: charts.intercept_factor_svg(
                    points,
                    title="Note intercept against note factor",
                    crh_threshold=cfg.crh_threshold,
                    crnh_intercept=cfg.crnh_intercept,
                    crnh_factor_multiplier=cfg.crnh_factor_multiplier,
                    width=w,
                )
            ),
            "perspectives": {
                "liked": int(liked.sum()),
                "rated": len(support.ratings_left),
                "sides": sides,
                "split": rule.split,
            },
            "pipeline": pages.pipeline_state(db),
            "analysis": community_figures(db),
            "algorithm": ALGORITHM,
            "cfg": cfg,
            "title": "Transparency",
        },
        user=user,
    )


def _latest_export(settings: Settings) -> dict[str, Any] | None:
    """The manifest the API's ``/api/v1/export`` serves, or ``None`` when nothing is
    published yet (or the manifest cannot be read)."""
    path = settings.data_dir / "export" / "manifest.json"
    try:
        manifest = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return manifest if isinstance(manifest, dict) and "files" in manifest else None


@router.get("/transparency/export", response_class=HTMLResponse)
def export_page(request: Request, user: User, settings: SettingsDep) -> HTMLResponse:
    """The public data export: its files with links, sizes and checksums, or how an
    operator publishes one when none is published yet."""
    manifest = _latest_export(settings)
    return _render(
        request,
        "export.html",
        {
            "manifest": manifest,
            "files": [] if manifest is None else list(manifest["files"]),
            "delay_hours": PUBLICATION_DELAY_MS // 3_600_000,
            "title": "Public data export",
        },
        user=user,
    )


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, user: User, next: str = "/") -> HTMLResponse:
    """The log-in form."""
    return _render(
        request, "login.html", {"next": _safe_next(next, "/"), "title": "Log in"}, user=user
    )


def _start_session(
    request: Request, db: Db, now_ms: Now, settings: Settings, pid: str, target: str
) -> Response:
    started = start_session(db, participant_id=pid, now_ms=now_ms, ttl_s=settings.session_ttl_s)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        started.token,
        max_age=settings.session_ttl_s,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )
    return response


@router.post("/login")
def login(
    request: Request,
    db: Db,
    now_ms: Now,
    user: User,
    settings: SettingsDep,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
    csrf_token: Annotated[str | None, Form()] = None,
) -> Response:
    """Check the password; start a session."""
    check_csrf(request, csrf_token)
    try:
        attempt = reserve_login(
            request.app.state.session_factory,
            settings,
            now_ms=now_ms,
            address=_address(request),
            username=username,
        )
    except RateLimitedError as exc:
        return _throttled(request, user, exc)
    pid = authenticate(db, username=username, password=password)
    if pid is None:
        return _render(
            request,
            "login.html",
            {
                "next": _safe_next(next, "/"),
                "error": "Wrong username or password.",
                "username": username,
                "title": "Log in",
            },
            user=user,
            status_code=401,
        )
    login_succeeded(db, attempt)
    return _start_session(request, db, now_ms, settings, pid, _safe_next(next, "/"))


@router.get("/signup", response_class=HTMLResponse)
def signup_page(request: Request, user: User) -> HTMLResponse:
    """The sign-up form."""
    return _render(request, "signup.html", {"title": "Join"}, user=user)


@router.post("/signup")
def signup(
    request: Request,
    db: Db,
    now_ms: Now,
    user: User,
    settings: SettingsDep,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    csrf_token: Annotated[str | None, Form()] = None,
) -> Response:
    """Create an account (a new participant: rating first, writing once earned)."""
    check_csrf(request, csrf_token)
    if not settings.open_registration:
        return _error(request, user, PermissionDeniedError("registration is closed"))
    try:
        reserve_signup(
            request.app.state.session_factory,
            settings,
            now_ms=now_ms,
            address=_address(request),
        )
    except RateLimitedError as exc:
        return _throttled(request, user, exc)
    try:
        pid = create_account(db, username=username, password=password, now_ms=now_ms)
    except BridgewatchError as exc:
        return _render(
            request,
            "signup.html",
            {"error": str(exc), "username": username, "title": "Join"},
            user=user,
            status_code=422,
        )
    return _start_session(request, db, now_ms, settings, pid, "/timeline/needs-your-help")


@router.post("/logout")
def logout(request: Request, db: Db, csrf_token: Annotated[str | None, Form()] = None) -> Response:
    """End the session."""
    check_csrf(request, csrf_token)
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        end_session(db, token)
    response = RedirectResponse("/timeline/new", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
