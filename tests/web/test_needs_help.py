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
    return Candidate(note_id, n, neg, pos, lo, 0.0, lo, hi, t)


def test_missing_side_ranks_first_and_says_why() -> None:
    # Note 1: 6 ratings all from the positive side; the viewer is on the negative side.
    # Note 2: balanced, well inside the Helpful region, nothing to learn.
    ranked = rank_needs_help(
        [_c(1, 6, 0, 6, 0.1, 0.2), _c(2, 8, 4, 4, 0.6, 0.7)], viewer_factor=-0.5, limit=10
    )
    assert [s.note_id for s in ranked] == [1, 2]
    assert ranked[0].reasons[0] == (
        "No ratings from your side of the viewpoint axis so far, 6 from the other side: "
        "it is shown only if both sides find it helpful."
    )
    assert ranked[1].reasons == ("The scorer has not decided on it yet (8 ratings so far).",)


def test_without_a_factor_the_reasons_are_general_and_use_the_real_counts() -> None:
    ranked = rank_needs_help(
        [_c(1, 9, 2, 7), _c(2, 3, 0, 0), _c(3, 8, 4, 4)], viewer_factor=None, limit=10
    )
    reasons = {s.note_id: s.reasons for s in ranked}
    assert reasons[1][0].startswith("More of its ratings come from one side of the viewpoint")
    assert "(7 against 2)" in reasons[1][0]
    assert reasons[2][0].startswith("None of its raters has a place on the viewpoint axis")
    assert not any("your side" in r or "Only 0" in r for rs in reasons.values() for r in rs)


def test_straddling_the_helpful_threshold_is_a_reason() -> None:
    (s,) = rank_needs_help([_c(3, 7, 3, 4, 0.35, 0.45)], viewer_factor=0.5, limit=1)
    assert any(
        "score is 0.35, close to the 0.40 needed" in r and "lift it to 0.45" in r for r in s.reasons
    )


def test_short_of_the_minimum_promises_nothing() -> None:
    (s,) = rank_needs_help([_c(4, 4, 2, 2)], viewer_factor=0.5, limit=1)
    assert "It has 4 ratings; the scorer gives no status before 5 (and more may be needed)." in (
        s.reasons
    )
    assert not any("decide" in r.lower() and "one more" in r.lower() for r in s.reasons)


def test_limit_and_tie_break_newest_first() -> None:
    cands = [_c(k, 8, 4, 4, 0.6, 0.7, t=k) for k in range(5)]
    ranked = rank_needs_help(cands, viewer_factor=None, limit=3)
    assert [s.note_id for s in ranked] == [4, 3, 2]
    assert all(s.reasons for s in ranked)


def test_held_for_minority_raters_gives_the_net_counts() -> None:
    held = Candidate(
        5,
        9,
        1,
        8,
        0.45,
        0.1,
        0.41,
        0.5,
        0,
        "NEEDS_YOUR_HELP",
        net_negative_side=1,
        net_positive_side=6,
    )
    plain = Candidate(6, 9, 1, 8, 0.45, 0.1, 0.41, 0.5, 1)
    ranked = rank_needs_help([plain, held], viewer_factor=0.5, limit=2)
    assert [s.note_id for s in ranked] == [5, 6]
    assert any(
        "by at least 4: now by 1 on one side and 6 on the other" in r for r in ranked[0].reasons
    )
