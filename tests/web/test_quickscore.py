from __future__ import annotations

import numpy as np
from sqlalchemy import Engine, select

from bridgewatch.service.convert import rating_values
from bridgewatch.service.db import make_session_factory
from bridgewatch.service.repositories.ratings import upsert_rating
from bridgewatch.service.schemas import RatingCreate
from bridgewatch.service.tables import note_scores, note_status_changes, note_status_history
from bridgewatch.web.quickscore import classify_notes, latest_run, rescore_note, score_all
from tests.web.conftest import NOW_MS, Seeded


def test_classify_notes_rule_table() -> None:
    i = np.array([0.45, 0.45, 0.2, -0.2, -0.1, np.nan, 0.45])
    f = np.array([0.0, 0.6, 0.0, 0.1, 0.2, 0.0, 0.0])
    n = np.array([5, 5, 5, 5, 5, 9, 4])
    got = classify_notes(i, f, n)
    assert got.status.tolist() == [
        "CURRENTLY_RATED_HELPFUL",
        "NEEDS_MORE_RATINGS",  # large factor
        "NEEDS_MORE_RATINGS",
        "CURRENTLY_RATED_NOT_HELPFUL",  # -0.2 <= -0.05 - 0.08
        "NEEDS_MORE_RATINGS",  # -0.1 > -0.05 - 0.16
        "NEEDS_MORE_RATINGS",  # no fit
        "NEEDS_MORE_RATINGS",  # 4 ratings
    ]
    assert got.rule.tolist()[:4] == ["GeneralCRH", "LargeFactor", "InitialNMR", "GeneralCRNH"]


def test_fifth_helpful_rating_decides_a_pivot_note(db_engine: Engine, seeded_db: Seeded) -> None:
    factory = make_session_factory(db_engine)
    note_id = seeded_db.result.pivot_note_ids[0]
    with factory() as s, s.begin():
        demo = s.execute(
            select(note_status_history.c.currentStatus).where(
                note_status_history.c.noteId == note_id
            )
        ).scalar_one()
        assert demo == "NEEDS_MORE_RATINGS"
        from bridgewatch.web.accounts import web_accounts

        rater = s.execute(
            select(web_accounts.c.participant_id).where(web_accounts.c.username == "demo")
        ).scalar_one()
        upsert_rating(
            s,
            now_ms=NOW_MS + 5,
            values=rating_values(
                RatingCreate(helpfulness_level="HELPFUL"),
                note_id=note_id,
                rater_participant_id=rater,
            ),
        )
        out = rescore_note(s, note_id=note_id, now_ms=NOW_MS + 10)
    assert out is not None
    assert (out.old_status, out.new_status, out.n_ratings) == (
        "NEEDS_MORE_RATINGS",
        "CURRENTLY_RATED_HELPFUL",
        5,
    )
    assert out.intercept is not None and out.intercept >= 0.40
    with factory() as s:
        changes = (
            s.execute(
                select(note_status_changes.c.status)
                .where(note_status_changes.c.note_id == note_id)
                .order_by(note_status_changes.c.id)
            )
            .scalars()
            .all()
        )
        assert changes[-1] == "CURRENTLY_RATED_HELPFUL"
        row = s.execute(select(note_scores).where(note_scores.c.note_id == note_id)).one()
        assert row.core_active_rules == "GeneralCRH"
        # Pseudo-rater bounds (mean mode, scoring-core.md §5.3) around the refit.
        assert row.core_note_intercept_min <= row.core_note_intercept <= row.core_note_intercept_max


def test_score_all_is_deterministic(db_engine: Engine) -> None:
    factory = make_session_factory(db_engine)
    with factory() as s, s.begin():
        first = score_all(s, now_ms=NOW_MS + 1, seed=1)
        a = s.execute(
            select(note_scores.c.note_id, note_scores.c.core_note_intercept).order_by(
                note_scores.c.note_id
            )
        ).all()
        second = score_all(s, now_ms=NOW_MS + 2, seed=1)
        b = s.execute(
            select(note_scores.c.note_id, note_scores.c.core_note_intercept).order_by(
                note_scores.c.note_id
            )
        ).all()
        assert latest_run(s) == second
    assert first.global_intercept == second.global_intercept
    assert a == b
