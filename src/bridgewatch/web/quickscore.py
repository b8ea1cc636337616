"""Provisional scoring for the web app until the batch scorer and real-time worker run.

Two entry points, both writing the service's scoring tables (``note_scores``,
``note_status_history``, ``note_status_changes``, ``contributor_scores``):

- :func:`score_all` fits the Core matrix factorization (``bridgewatch.scoring.mf.fit_mf``)
  on every rating and applies the Core status thresholds (scoring-core.md §6.2 rules 1-3
  and the large-factor rule) to every note; it records μ in ``web_scoring_runs``.
- :func:`rescore_note` re-fits one note in closed form
  (``bridgewatch.scoring.mf.fit_note_params``) with μ and the rater parameters of the last
  stored run frozen, right after a rating, so a contributor sees the status move.

Raters who were not in the last run have no parameters and do not count until the next
:func:`score_all`. This is a simplified rule set (no tag filter, no meta scorer, no
stabilization delay): statuses are labelled with ``decidedBy = CoreModel (quick fit)``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import BigInteger, Column, Float, Integer, String, Table, delete, insert, select
from sqlalchemy import update as sql_update
from sqlalchemy.orm import Session

from bridgewatch.scoring.mf import MFConfig, fit_mf, fit_note_params, pseudo_rater_bounds
from bridgewatch.scoring.status.config import StatusRulesConfig
from bridgewatch.service.tables import (
    contributor_scores,
    note_scores,
    note_status_changes,
    note_status_history,
    notes,
    ratings,
)
from bridgewatch.web.accounts import web_metadata

__all__ = [
    "ALGORITHM",
    "DECIDED_BY",
    "NoteRescore",
    "ScoreRun",
    "classify_notes",
    "latest_run",
    "rescore_note",
    "score_all",
    "web_scoring_runs",
]

_log = logging.getLogger(__name__)

ALGORITHM = "bridgewatch quick fit 1.0: Core MF (1 factor) + Core thresholds"
DECIDED_BY = "CoreModel (quick fit)"
NMR = "NEEDS_MORE_RATINGS"
CRH = "CURRENTLY_RATED_HELPFUL"
CRNH = "CURRENTLY_RATED_NOT_HELPFUL"
_HELPFUL_NUM = {"HELPFUL": 1.0, "SOMEWHAT_HELPFUL": 0.5, "NOT_HELPFUL": 0.0}

web_scoring_runs = Table(
    "web_scoring_runs",
    web_metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("scored_at_ms", BigInteger, nullable=False),
    Column("global_intercept", Float, nullable=False),
    Column("n_ratings", Integer, nullable=False),
    Column("n_notes", Integer, nullable=False),
    Column("n_raters", Integer, nullable=False),
    Column("algorithm", String(128), nullable=False),
)


@dataclass(frozen=True)
class ScoreRun:
    """A stored scoring run: when, μ, and the sizes it saw."""

    scored_at_ms: int
    global_intercept: float
    n_ratings: int
    n_notes: int
    n_raters: int
    algorithm: str


@dataclass(frozen=True)
class NoteRescore:
    """Outcome of re-fitting one note: its status before and after, and the new figures."""

    note_id: int
    old_status: str
    new_status: str
    intercept: float | None
    factor: float | None
    n_ratings: int


@dataclass(frozen=True)
class _Classified:
    status: NDArray[np.str_]
    rule: NDArray[np.str_]


def classify_notes(
    intercepts: NDArray[np.floating],
    factors: NDArray[np.floating],
    n_ratings: NDArray[np.integer],
    config: StatusRulesConfig | None = None,
) -> _Classified:
    """Core status of each note from its fit (scoring-core.md §6.2, simplified).

    Parameters
    ----------
    intercepts, factors : float arrays of shape (n_notes,); NaN for notes without a fit.
    n_ratings : int array of shape (n_notes,), ratings counted by the fit.
    config : the thresholds (defaults: the reference's).

    Returns
    -------
    Status names and the deciding rule per note: ``InitialNMR`` (fewer than
    ``min_ratings_to_get_rating`` ratings or no fit), ``GeneralCRH`` (i_n >= 0.40),
    ``LargeFactor`` (would be CRH but |f_n| > 0.5: stays NMR), ``GeneralCRNH``
    (i_n <= -0.05 - 0.8 |f_n|), else ``InitialNMR``.
    """
    cfg = config if config is not None else StatusRulesConfig()
    i = np.asarray(intercepts, dtype=np.float64)
    f = np.abs(np.asarray(factors, dtype=np.float64))
    enough = (np.asarray(n_ratings) >= cfg.min_ratings_to_get_rating) & np.isfinite(i)
    status = np.full(i.shape[0], NMR, dtype=object)
    rule = np.full(i.shape[0], "InitialNMR", dtype=object)
    with np.errstate(invalid="ignore"):
        crh = enough & (i >= cfg.crh_threshold)
        large = crh & (f > cfg.large_factor_threshold)
        crnh = enough & ~crh & (i <= cfg.crnh_intercept + cfg.crnh_factor_multiplier * f)
    status[crh & ~large] = CRH
    rule[crh & ~large] = "GeneralCRH"
    rule[large] = "LargeFactor"
    status[crnh] = CRNH
    rule[crnh] = "GeneralCRNH"
    return _Classified(status=status.astype(str), rule=rule.astype(str))


def latest_run(session: Session) -> ScoreRun | None:
    """The most recent stored run, or ``None`` before the first one."""
    row = session.execute(
        select(web_scoring_runs).order_by(web_scoring_runs.c.id.desc()).limit(1)
    ).first()
    if row is None:
        return None
    return ScoreRun(
        scored_at_ms=int(row.scored_at_ms),
        global_intercept=float(row.global_intercept),
        n_ratings=int(row.n_ratings),
        n_notes=int(row.n_notes),
        n_raters=int(row.n_raters),
        algorithm=str(row.algorithm),
    )


def _record_status(
    session: Session,
    *,
    note_id: int,
    author: str,
    created_at_ms: int,
    status: str,
    now_ms: int,
) -> str:
    """Upsert the note's status history row; log a change. Returns the previous status."""
    decided_by = None if status == NMR else DECIDED_BY
    row = session.execute(
        select(note_status_history.c.currentStatus).where(note_status_history.c.noteId == note_id)
    ).first()
    previous = NMR if row is None or row.currentStatus is None else str(row.currentStatus)
    non_nmr = (
        {}
        if status == NMR
        else {
            "timestampMillisOfLatestNonNMRStatus": now_ms,
            "mostRecentNonNMRStatus": status,
        }
    )
    if row is None:
        session.execute(
            insert(note_status_history).values(
                noteId=note_id,
                noteAuthorParticipantId=author,
                createdAtMillis=created_at_ms,
                timestampMillisOfFirstNonNMRStatus=None if status == NMR else now_ms,
                firstNonNMRStatus=None if status == NMR else status,
                timestampMillisOfCurrentStatus=now_ms,
                currentStatus=status,
                currentCoreStatus=status,
                currentDecidedBy=decided_by,
                timestampMillisOfMostRecentStatusChange=now_ms,
                **non_nmr,
            )
        )
        session.execute(
            insert(note_status_changes).values(
                note_id=note_id, changed_at_ms=now_ms, status=status, decided_by=decided_by
            )
        )
        return previous
    values: dict[str, object] = {
        "timestampMillisOfCurrentStatus": now_ms,
        "currentStatus": status,
        "currentCoreStatus": status,
        "currentDecidedBy": decided_by,
        **non_nmr,
    }
    if status != previous:
        values["timestampMillisOfMostRecentStatusChange"] = now_ms
        session.execute(
            insert(note_status_changes).values(
                note_id=note_id, changed_at_ms=now_ms, status=status, decided_by=decided_by
            )
        )
    first = session.execute(
        select(note_status_history.c.firstNonNMRStatus).where(
            note_status_history.c.noteId == note_id
        )
    ).scalar_one()
    if first is None and status != NMR:
        values["firstNonNMRStatus"] = status
        values["timestampMillisOfFirstNonNMRStatus"] = now_ms
    session.execute(
        sql_update(note_status_history)
        .where(note_status_history.c.noteId == note_id)
        .values(**values)
    )
    return previous


def _write_note_score(
    session: Session,
    *,
    note_id: int,
    now_ms: int,
    status: str,
    rule: str,
    intercept: float,
    factor: float,
    bounds: tuple[float, float] | None,
    n_ratings: int,
) -> None:
    session.execute(delete(note_scores).where(note_scores.c.note_id == note_id))
    session.execute(
        insert(note_scores).values(
            note_id=note_id,
            scored_at_ms=now_ms,
            final_rating_status=status,
            decided_by=None if status == NMR else DECIDED_BY,
            core_note_intercept=None if not np.isfinite(intercept) else float(intercept),
            core_note_factor1=None if not np.isfinite(factor) else float(factor),
            core_note_intercept_min=None if bounds is None else bounds[0],
            core_note_intercept_max=None if bounds is None else bounds[1],
            core_rating_status=status,
            core_active_rules=rule,
            num_ratings=n_ratings,
            core_num_final_round_ratings=n_ratings,
        )
    )


def score_all(
    session: Session, *, now_ms: int, seed: int = 0, until_ms: int | None = None
) -> ScoreRun:
    """Fit every rating, set every live note's status and every rater's figures.

    Parameters
    ----------
    session : an open transaction on the service database.
    now_ms : the run's timestamp, ms since the epoch.
    seed : seed of the fit's random start (same data + seed -> same results).
    until_ms : score only the notes and ratings created at or before this time (replaying
        history, as the demo does); default: everything.

    Returns
    -------
    The stored :class:`ScoreRun`.
    """
    note_stmt = select(notes.c.noteId, notes.c.noteAuthorParticipantId, notes.c.createdAtMillis)
    rating_stmt = select(ratings.c.noteId, ratings.c.raterParticipantId, ratings.c.helpfulnessLevel)
    if until_ms is not None:
        note_stmt = note_stmt.where(notes.c.createdAtMillis <= until_ms)
        rating_stmt = rating_stmt.join(notes, notes.c.noteId == ratings.c.noteId).where(
            ratings.c.createdAtMillis <= until_ms, notes.c.createdAtMillis <= until_ms
        )
    note_rows = session.execute(note_stmt.order_by(notes.c.noteId)).all()
    rating_rows = session.execute(
        rating_stmt.order_by(ratings.c.noteId, ratings.c.raterParticipantId)
    ).all()
    note_ids = np.array([r.noteId for r in note_rows], dtype=np.int64)
    note_pos = {int(n): k for k, n in enumerate(note_ids)}
    rater_ids = sorted({str(r.raterParticipantId) for r in rating_rows})
    rater_pos = {r: k for k, r in enumerate(rater_ids)}
    kept = [r for r in rating_rows if r.helpfulnessLevel in _HELPFUL_NUM]
    n_idx = np.array([note_pos[int(r.noteId)] for r in kept], dtype=np.int64)
    r_idx = np.array([rater_pos[str(r.raterParticipantId)] for r in kept], dtype=np.int64)
    values = np.array([_HELPFUL_NUM[r.helpfulnessLevel] for r in kept], dtype=np.float64)
    n_notes, n_raters = len(note_ids), len(rater_ids)
    counts = np.bincount(n_idx, minlength=n_notes)
    mu = 0.0
    intercepts = np.full(n_notes, np.nan)
    factors = np.full(n_notes, np.nan)
    rater_i = np.full(n_raters, np.nan)
    rater_f = np.full(n_raters, np.nan)
    lo = np.full(n_notes, np.nan)
    hi = np.full(n_notes, np.nan)
    if len(kept) > 0:
        result = fit_mf(
            n_idx,
            r_idx,
            values,
            n_notes=n_notes,
            n_raters=n_raters,
            config=MFConfig(),
            rng=np.random.default_rng(seed),
        )
        p = result.params
        mu = float(p.global_intercept)
        intercepts, factors = p.note_intercepts, p.note_factors[:, 0]
        rater_i, rater_f = p.rater_intercepts, p.rater_factors[:, 0]
        bounds = pseudo_rater_bounds(
            n_idx,
            r_idx,
            values,
            n_notes=n_notes,
            rater_intercepts=p.rater_intercepts,
            rater_factors=p.rater_factors,
            global_intercept=mu,
        )
        lo, hi = bounds.intercept_min, bounds.intercept_max
    classified = classify_notes(intercepts, factors, counts)
    status_by_note: dict[int, str] = {}
    for k, row in enumerate(note_rows):
        nid = int(row.noteId)
        status = str(classified.status[k])
        status_by_note[nid] = status
        both = np.isfinite(lo[k]) and np.isfinite(hi[k])
        _write_note_score(
            session,
            note_id=nid,
            now_ms=now_ms,
            status=status,
            rule=str(classified.rule[k]),
            intercept=float(intercepts[k]),
            factor=float(factors[k]),
            bounds=(float(lo[k]), float(hi[k])) if both else None,
            n_ratings=int(counts[k]),
        )
        _record_status(
            session,
            note_id=nid,
            author=str(row.noteAuthorParticipantId),
            created_at_ms=int(row.createdAtMillis),
            status=status,
            now_ms=now_ms,
        )
    _write_contributor_scores(
        session,
        now_ms=now_ms,
        rater_ids=rater_ids,
        rater_i=rater_i,
        rater_f=rater_f,
        rating_rows=kept,
        note_rows=note_rows,
        status_by_note=status_by_note,
    )
    run = ScoreRun(now_ms, mu, len(kept), n_notes, n_raters, ALGORITHM)
    session.execute(
        insert(web_scoring_runs).values(
            scored_at_ms=now_ms,
            global_intercept=mu,
            n_ratings=run.n_ratings,
            n_notes=n_notes,
            n_raters=n_raters,
            algorithm=ALGORITHM,
        )
    )
    _log.info(
        "quick fit: %d ratings, %d notes, %d raters, mu=%.3f", len(kept), n_notes, n_raters, mu
    )
    return run


def _write_contributor_scores(
    session: Session,
    *,
    now_ms: int,
    rater_ids: list[str],
    rater_i: NDArray[np.floating],
    rater_f: NDArray[np.floating],
    rating_rows: Sequence[Any],
    note_rows: Sequence[Any],
    status_by_note: dict[int, str],
) -> None:
    """Rater params and the success counts behind Rating and Writing Impact (§2.3, §2.4)."""
    figures: dict[str, dict[str, int]] = {}

    def fig(pid: str) -> dict[str, int]:
        return figures.setdefault(pid, {})

    for r in rating_rows:
        status = status_by_note.get(int(r.noteId), NMR)
        d = fig(str(r.raterParticipantId))
        helpful = r.helpfulnessLevel == "HELPFUL"
        not_helpful = r.helpfulnessLevel == "NOT_HELPFUL"
        if status == NMR:
            key = "ratings_awaiting_more_ratings"
        elif helpful:
            key = f"{'' if status == CRH else 'un'}successful_rating_helpful_count"
        elif not_helpful:
            key = f"{'' if status == CRNH else 'un'}successful_rating_not_helpful_count"
        else:
            continue
        d[key] = d.get(key, 0) + 1
    for row in note_rows:
        status = status_by_note[int(row.noteId)]
        key = {
            CRH: "notes_currently_rated_helpful",
            CRNH: "notes_currently_rated_not_helpful",
        }.get(status, "notes_awaiting_more_ratings")
        d = fig(str(row.noteAuthorParticipantId))
        d[key] = d.get(key, 0) + 1
    params = {pid: (float(rater_i[k]), float(rater_f[k])) for k, pid in enumerate(rater_ids)}
    session.execute(delete(contributor_scores))
    rows = []
    for pid in sorted(set(figures) | set(params)):
        i_u, f_u = params.get(pid, (float("nan"), float("nan")))
        rows.append(
            {
                "participant_id": pid,
                "scored_at_ms": now_ms,
                "core_rater_intercept": i_u if np.isfinite(i_u) else None,
                "core_rater_factor1": f_u if np.isfinite(f_u) else None,
                "successful_rating_helpful_count": 0,
                "successful_rating_not_helpful_count": 0,
                "unsuccessful_rating_helpful_count": 0,
                "unsuccessful_rating_not_helpful_count": 0,
                "ratings_awaiting_more_ratings": 0,
                "notes_currently_rated_helpful": 0,
                "notes_currently_rated_not_helpful": 0,
                "notes_awaiting_more_ratings": 0,
                "aggregate_rating_received_total": 0,
                "above_helpfulness_threshold": None,
                **figures.get(pid, {}),
            }
        )
    if rows:
        session.execute(insert(contributor_scores), rows)


def rescore_note(session: Session, *, note_id: int, now_ms: int) -> NoteRescore | None:
    """Re-fit one note with raters and μ frozen at the last run; store its new status.

    Returns ``None`` before the first :func:`score_all` (nothing to freeze against).
    """
    run = latest_run(session)
    if run is None:
        return None
    note = session.execute(
        select(notes.c.noteId, notes.c.noteAuthorParticipantId, notes.c.createdAtMillis).where(
            notes.c.noteId == note_id
        )
    ).first()
    if note is None:
        return None
    rows = session.execute(
        select(
            ratings.c.helpfulnessLevel,
            contributor_scores.c.core_rater_intercept,
            contributor_scores.c.core_rater_factor1,
        )
        .select_from(
            ratings.join(
                contributor_scores,
                contributor_scores.c.participant_id == ratings.c.raterParticipantId,
            )
        )
        .where(
            ratings.c.noteId == note_id,
            contributor_scores.c.core_rater_intercept.is_not(None),
            contributor_scores.c.core_rater_factor1.is_not(None),
        )
    ).all()
    rows = [r for r in rows if r.helpfulnessLevel in _HELPFUL_NUM]
    n = len(rows)
    intercept = factor = float("nan")
    bounds: tuple[float, float] | None = None
    if n:
        r_idx = np.arange(n, dtype=np.int64)
        n_idx = np.zeros(n, dtype=np.int64)
        values = np.array([_HELPFUL_NUM[r.helpfulnessLevel] for r in rows])
        ri = np.array([float(r.core_rater_intercept) for r in rows])
        rf = np.array([[float(r.core_rater_factor1)] for r in rows])
        # Mean mode over this one note (Λ_i = λ_in·n), the same regularization as the
        # pseudo-rater bounds' refit below, so the intercept sits inside its bounds.
        fit = fit_note_params(
            n_idx,
            r_idx,
            values,
            n_notes=1,
            rater_intercepts=ri,
            rater_factors=rf,
            global_intercept=run.global_intercept,
        )
        intercept = float(fit.params.note_intercepts[0])
        factor = float(fit.params.note_factors[0, 0])
        b = pseudo_rater_bounds(
            n_idx,
            r_idx,
            values,
            n_notes=1,
            rater_intercepts=ri,
            rater_factors=rf,
            global_intercept=run.global_intercept,
        )
        bounds = (float(b.intercept_min[0]), float(b.intercept_max[0]))
    classified = classify_notes(np.array([intercept]), np.array([factor]), np.array([n]))
    status = str(classified.status[0])
    _write_note_score(
        session,
        note_id=note_id,
        now_ms=now_ms,
        status=status,
        rule=str(classified.rule[0]),
        intercept=intercept,
        factor=factor,
        bounds=bounds,
        n_ratings=n,
    )
    old = _record_status(
        session,
        note_id=note_id,
        author=str(note.noteAuthorParticipantId),
        created_at_ms=int(note.createdAtMillis),
        status=status,
        now_ms=now_ms,
    )
    return NoteRescore(
        note_id=note_id,
        old_status=old,
        new_status=status,
        intercept=None if not np.isfinite(intercept) else intercept,
        factor=None if not np.isfinite(factor) else factor,
        n_ratings=n,
    )
