from __future__ import annotations

from bridgewatch.web.needs_help import Candidate, rank_needs_help


def _c(
    note_id: int,
    n: int,
    neg: int,
    pos: int,
    lo: float | None = None,
    hi: float | None = None,
    t: int = 0,
) -> Candidate:
    return Candidate(
        note_id, n, neg, pos, None if lo is None else (lo + (hi or lo)) / 2, 0.0, lo, hi, t
    )


def test_missing_side_ranks_first_and_says_why() -> None:
    # Note 1: 6 ratings all from the positive side; the viewer is on the negative side.
    # Note 2: balanced, well inside the Helpful region, nothing to learn.
    ranked = rank_needs_help(
        [_c(1, 6, 0, 6, 0.1, 0.2), _c(2, 8, 4, 4, 0.6, 0.7)], viewer_factor=-0.5, limit=10
    )
    assert [s.note_id for s in ranked] == [1, 2]
    assert ranked[0].reasons[0] == "Only 0 ratings from your side of the viewpoint axis so far."
    assert ranked[1].reasons == ("Still needs more ratings.",)


def test_straddling_the_helpful_threshold_is_a_reason() -> None:
    (s,) = rank_needs_help([_c(3, 7, 3, 4, 0.35, 0.45)], viewer_factor=0.5, limit=1)
    assert any("straddles the Helpful threshold 0.40" in r for r in s.reasons)


def test_one_rating_short() -> None:
    (s,) = rank_needs_help([_c(4, 4, 2, 2)], viewer_factor=0.5, limit=1)
    assert "One more rating lets the scorer decide a status." in s.reasons


def test_limit_and_tie_break_newest_first() -> None:
    cands = [_c(k, 8, 4, 4, 0.6, 0.7, t=k) for k in range(5)]
    ranked = rank_needs_help(cands, viewer_factor=None, limit=3)
    assert [s.note_id for s in ranked] == [4, 3, 2]
    assert all(s.reasons for s in ranked)


def test_held_for_minority_raters_is_a_reason() -> None:
    held = Candidate(5, 9, 1, 8, 0.45, 0.1, 0.41, 0.5, 0, core_status="NEEDS_YOUR_HELP")
    plain = Candidate(6, 9, 1, 8, 0.45, 0.1, 0.41, 0.5, 1)
    ranked = rank_needs_help([plain, held], viewer_factor=0.5, limit=2)
    assert [s.note_id for s in ranked] == [5, 6]
    assert any("needs more raters from the side" in r for r in ranked[0].reasons)
