"""A small synthetic community for the demo and the web tests.

Raters sit on two sides of a viewpoint axis (hidden factor f_u = side x U(0.3, 1)); notes
are good (helpful to both sides), partisan (helpful to one side) or poor. A rater finds a
note helpful with probability clip(0.5 + q/2 + p f_u / 2, 0.02, 0.98) for note quality q
and polarity p. Ratings arrive in time order over ``days`` days and the quick scorer runs
after each third of them, so statuses have a history.

The demo logins (password ``demo-password``): ``demo`` (earned writing ability, rated some
notes) and ``newcomer`` (new, no ratings yet).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bridgewatch.errors import ConfigError
from bridgewatch.model import EnrollmentState
from bridgewatch.service.convert import note_values, rating_values
from bridgewatch.service.repositories.notes import insert_note
from bridgewatch.service.repositories.participants import create_participant
from bridgewatch.service.repositories.posts import create_post
from bridgewatch.service.repositories.ratings import upsert_rating
from bridgewatch.service.schemas import NoteCreate, RatingCreate
from bridgewatch.service.tables import contributor_scores, enrollment
from bridgewatch.service.tables import notes as notes_table
from bridgewatch.web.accounts import create_account
from bridgewatch.web.quickscore import rescore_note, score_all

__all__ = ["DEMO_PASSWORD", "SeedConfig", "SeedResult", "seed_community"]

_log = logging.getLogger(__name__)

DEMO_PASSWORD = "demo-password"
_DAY_MS = 86_400_000
_CLAIMS = (
    "The new bridge will be paid for entirely by a toll on bicycles.",
    "City water now contains twice the legal limit of fluoride, a leaked memo shows.",
    "This photo shows the flood in the old town last week.",
    "Voting hours were cut in half in the northern district.",
    "Scientists confirm the heatwave was caused by the new wind farm.",
    "The council banned street musicians from the main square.",
    "Unemployment fell to its lowest level in fifty years this spring.",
    "A vaccine trial in the region was halted after one day.",
    "The museum will close for good at the end of the month.",
    "Tap water is now cheaper than it was ten years ago.",
    "The mayor's speech was delivered by an AI-generated double.",
    "School lunches will be free for every pupil from January.",
)
_GOOD = (
    "The toll plan covers cars and lorries only; bicycles stay free. {url}",
    "The memo is from 2009 and refers to a different city; current levels are in range. {url}",
    "The image is from a 2013 flood in another country (reverse image search). {url}",
)
_PARTISAN = (
    "This is what the other party always does; do not trust them. {url}",
    "Only one side's sources report this; the original claim is spun. {url}",
)
_POOR = ("This is fake.", "Everyone knows this is wrong, look it up. {url}")
_HELPFUL_TAGS = ("Clear", "GoodSources", "AddressesClaim", "ImportantContext", "UnbiasedLanguage")
_NOT_HELPFUL_TAGS = (
    "Incorrect",
    "SourcesMissingOrUnreliable",
    "OpinionSpeculation",
    "MissingKeyPoints",
    "ArgumentativeOrBiased",
)


@dataclass(frozen=True)
class SeedConfig:
    """Size and randomness of the synthetic community.

    Parameters
    ----------
    n_raters : raters besides the demo accounts (>= 4).
    n_writers : how many of them also write notes (earned writing ability), <= n_raters.
    n_posts : posts, each with 1-4 notes (<= 12).
    rating_probability : chance that a rater rates a given note, in (0, 1].
    days : the community's age, days (ratings are spread over it).
    seed : seed of the ``numpy.random.Generator``.
    """

    n_raters: int = 40
    n_writers: int = 10
    n_posts: int = 12
    rating_probability: float = 0.45
    days: int = 21
    seed: int = 7

    def __post_init__(self) -> None:
        if self.n_raters < 4:
            raise ConfigError("n_raters", self.n_raters, ">= 4")
        if not 1 <= self.n_writers <= self.n_raters - 4:
            raise ConfigError("n_writers", self.n_writers, "in [1, n_raters - 4]")
        if not 1 <= self.n_posts <= len(_CLAIMS):
            raise ConfigError("n_posts", self.n_posts, f"in [1, {len(_CLAIMS)}]")
        if not 0.0 < self.rating_probability <= 1.0:
            raise ConfigError("rating_probability", self.rating_probability, "in (0, 1]")
        if self.days < 1:
            raise ConfigError("days", self.days, ">= 1")


@dataclass(frozen=True)
class SeedResult:
    """What was seeded: counts, the demo logins and the notes one rating can decide."""

    n_participants: int
    n_notes: int
    n_ratings: int
    logins: tuple[tuple[str, str], ...]
    pivot_note_ids: tuple[int, ...]


def _rate(
    session: Session,
    *,
    note_id: int,
    rater: str,
    helpful: bool,
    somewhat: bool,
    rng: np.random.Generator,
    now_ms: int,
) -> None:
    if helpful:
        level = "SOMEWHAT_HELPFUL" if somewhat else "HELPFUL"
        body = RatingCreate(
            helpfulness_level=level,
            helpful_tags=sorted(rng.choice(_HELPFUL_TAGS, size=2, replace=False).tolist()),
        )
    else:
        body = RatingCreate(
            helpfulness_level="NOT_HELPFUL",
            not_helpful_tags=sorted(rng.choice(_NOT_HELPFUL_TAGS, size=2, replace=False).tolist()),
        )
    upsert_rating(
        session,
        now_ms=now_ms,
        values=rating_values(body, note_id=note_id, rater_participant_id=rater),
    )


def _rate_pivots(
    session: Session,
    pivot_ids: list[int],
    *,
    authors: dict[int, str],
    exclude: str,
    rng: np.random.Generator,
    now_ms: int,
) -> None:
    """Four Helpful ratings on each pivot note from the strictest raters of both sides
    (lowest rater intercepts), then a closed-form re-fit: one more rating decides it."""
    rows = session.execute(
        select(
            contributor_scores.c.participant_id,
            contributor_scores.c.core_rater_intercept,
            contributor_scores.c.core_rater_factor1,
        ).where(
            contributor_scores.c.core_rater_intercept.is_not(None),
            contributor_scores.c.participant_id != exclude,
        )
    ).all()
    for k, nid in enumerate(pivot_ids):
        ok = [r for r in rows if r.participant_id != authors[nid]]
        neg = sorted(
            (r for r in ok if r.core_rater_factor1 < 0), key=lambda r: r.core_rater_intercept
        )
        pos = sorted(
            (r for r in ok if r.core_rater_factor1 >= 0), key=lambda r: r.core_rater_intercept
        )
        for j, r in enumerate([*neg[:2], *pos[:2]]):
            t = now_ms - (len(pivot_ids) - k) * 600_000 + j * 60_000
            _rate(
                session,
                note_id=nid,
                rater=str(r.participant_id),
                helpful=True,
                somewhat=False,
                rng=rng,
                now_ms=t,
            )
        rescore_note(session, note_id=nid, now_ms=now_ms - 60_000)


def seed_community(
    session: Session, *, now_ms: int, config: SeedConfig | None = None
) -> SeedResult:
    """Fill an empty service database with a scored synthetic community.

    Parameters
    ----------
    session : an open transaction on a migrated database (web tables created).
    now_ms : "now", ms since the epoch: the community's last day ends here.
    config : sizes and seed.

    Returns
    -------
    :class:`SeedResult` with the demo logins ``(username, password)``.
    """
    cfg = config if config is not None else SeedConfig()
    rng = np.random.default_rng(cfg.seed)
    start = now_ms - cfg.days * _DAY_MS
    sides = np.where(np.arange(cfg.n_raters) % 2 == 0, 1.0, -1.0)
    factors = sides * rng.uniform(0.3, 1.0, cfg.n_raters)
    raters = [f"{k:064X}" for k in range(1, cfg.n_raters + 1)]
    for pid in raters:
        create_participant(session, now_ms=start, participant_id=pid)
    demo_id = create_account(session, username="demo", password=DEMO_PASSWORD, now_ms=start)
    create_account(session, username="newcomer", password=DEMO_PASSWORD, now_ms=now_ms)
    writers = raters[: cfg.n_writers]
    session.execute(
        update(enrollment)
        .where(enrollment.c.participantId.in_([*writers, demo_id]))
        .values(enrollmentState=int(EnrollmentState.earnedIn), successfulRatingNeededToEarnIn=0)
    )
    all_raters = [*raters, demo_id]
    all_factors = np.append(factors, 0.6)
    note_ids: list[int] = []
    note_q: list[tuple[float, float]] = []
    note_time: list[int] = []
    for p in range(cfg.n_posts):
        post_time = start + int(p * (cfg.days - 2) * _DAY_MS / cfg.n_posts)
        post_id = f"post-{p + 1:03d}"
        create_post(
            session,
            now_ms=post_time,
            actor_participant_id=None,
            post_id=post_id,
            author_id=f"author-{p % 4 + 1}",
            text=_CLAIMS[p],
            url=f"https://example.social/{post_id}",
        )
        for k in range(int(rng.integers(1, 5))):
            kind = int(rng.choice(3, p=[0.45, 0.35, 0.2]))
            url = f"https://news.example.org/check/{p + 1}-{k + 1}"
            template = (_GOOD, _PARTISAN, _POOR)[kind]
            summary = str(template[int(rng.integers(len(template)))]).format(url=url)
            if "http" not in summary:
                summary = f"{summary} {url}"
            quality, polarity = ((0.8, 0.0), (0.1, float(rng.choice([-0.9, 0.9]))), (-0.7, 0.0))[
                kind
            ]
            created = post_time + int(rng.integers(1, 6 * 3_600_000))
            author = writers[int(rng.integers(len(writers)))]
            row = insert_note(
                session,
                now_ms=created,
                author_participant_id=author,
                values=note_values(
                    NoteCreate(
                        post_id=post_id,
                        classification="MISINFORMED_OR_POTENTIALLY_MISLEADING",
                        misleading_reasons=["MissingImportantContext", "FactualError"][: 1 + k % 2],
                        trustworthy_sources=kind == 0,
                        summary=summary,
                    )
                ),
            )
            note_ids.append(int(row["noteId"]))
            note_q.append((quality, polarity))
            note_time.append(created)
    # Ratings: (time, note index, rater index, helpful, somewhat), in time order.
    planned: list[tuple[int, int, int, bool, bool]] = []
    pivot_count = min(3, len(note_ids) // 4)
    pivot_idx = set(range(len(note_ids) - pivot_count, len(note_ids)))
    for n, (q, pol) in enumerate(note_q):
        if n in pivot_idx:
            continue  # rated after the last run, see _rate_pivots
        mask = rng.random(len(all_raters)) < cfg.rating_probability
        for u in np.flatnonzero(mask):
            prob = float(np.clip(0.5 + q / 2 + pol * all_factors[u] / 2, 0.02, 0.98))
            helpful = bool(rng.random() < prob)
            somewhat = bool(rng.random() < 0.2)
            t = note_time[n] + int(rng.integers(3_600_000, 4 * _DAY_MS))
            planned.append((min(t, now_ms - 60_000), n, int(u), helpful, somewhat))
    planned.sort()
    authors = {
        int(nid): str(author)
        for nid, author in session.execute(
            select(notes_table.c.noteId, notes_table.c.noteAuthorParticipantId)
        )
    }
    planned = [p for p in planned if authors[note_ids[p[1]]] != all_raters[p[2]]]
    cuts = [len(planned) // 3, 2 * len(planned) // 3, len(planned)]
    done = 0
    for cut in cuts:
        for t, note_k, rater_k, helpful, somewhat in planned[done:cut]:
            _rate(
                session,
                note_id=note_ids[note_k],
                rater=all_raters[rater_k],
                helpful=helpful,
                somewhat=somewhat,
                rng=rng,
                now_ms=t,
            )
        done = cut
        run_at = planned[cut - 1][0] + 60_000 if cut else now_ms
        score_all(session, now_ms=run_at, seed=cfg.seed)
    pivot_ids = [note_ids[n] for n in sorted(pivot_idx)]
    _rate_pivots(session, pivot_ids, authors=authors, exclude=demo_id, rng=rng, now_ms=now_ms)
    _log.info(
        "seeded %d raters, %d notes, %d ratings", len(all_raters), len(note_ids), len(planned)
    )
    return SeedResult(
        n_participants=len(all_raters) + 1,
        n_notes=len(note_ids),
        n_ratings=len(planned),
        logins=(("demo", DEMO_PASSWORD), ("newcomer", DEMO_PASSWORD)),
        pivot_note_ids=tuple(pivot_ids),
    )
