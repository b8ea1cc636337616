"""The coordination watch: coordinated runs (fast, slow, across camps) and notes carried by
unproven raters are held; honest runs and honest cross-camp consensus are not."""

from __future__ import annotations

import numpy as np
import pytest

from bridgewatch.errors import ConfigError
from bridgewatch.model import IdIndex, Ratings
from bridgewatch.model.enums import NoteStatus
from bridgewatch.scoring.history import StatusHistory
from bridgewatch.scoring.incremental import (
    RaterModel,
    WatchConfig,
    apply_holds,
    crosses_helpful,
    established_fit,
    newly_helpful,
    sticky_proven,
    suspicious_notes,
    unproven_support,
)

NOW = 10_000_000
N_NOTES, N_RATERS = 20, 40


def _ratings(rows: list[tuple[int, int, float, int]]) -> Ratings:
    note, rater, value, at = (np.asarray(c) for c in zip(*rows, strict=True))
    n = note.shape[0]
    return Ratings(
        note_idx=note.astype(np.int32),
        rater_idx=rater.astype(np.int32),
        helpful_num=value.astype(np.float32),
        helpfulness_level=np.zeros(n, dtype=np.int8),
        created_at_ms=at.astype(np.int64),
        helpful_tags=np.zeros(n, dtype=np.uint16),
        not_helpful_tags=np.zeros(n, dtype=np.uint16),
        population_sampled=np.zeros(n, dtype=np.bool_),
        note_ids=IdIndex(np.asarray([f"{k:03d}" for k in range(N_NOTES)])),
        participant_ids=IdIndex(np.asarray([f"p{k:03d}" for k in range(N_RATERS)])),
    )


def _burst(note: int, raters: range, at: int) -> list[tuple[int, int, float, int]]:
    return [(note, r, 1.0, at + k) for k, r in enumerate(raters)]


def test_a_brigade_that_keeps_meeting_is_suspicious_an_honest_burst_is_not() -> None:
    # Raters 0-5 rated notes 1-4 helpful together before; raters 10-15 never met.
    history = [row for n in (1, 2, 3, 4) for row in _burst(n, range(6), 1000 * n)]
    history += [(n, 10 + n, 0.0, 500) for n in range(6)]
    recent = _burst(7, range(6), NOW - 60_000) + _burst(8, range(10, 16), NOW - 60_000)
    ratings = _ratings(history + recent)
    flagged = np.zeros(N_RATERS, dtype=np.bool_)
    found = suspicious_notes(ratings, np.array([7, 8]), flagged, NOW, WatchConfig())
    assert list(found) == [7]
    assert "together" in found[7]
    # Old bursts are not recent: nothing to hold.
    later = NOW + 7 * 3_600_000
    assert suspicious_notes(ratings, np.array([7, 8]), flagged, later, WatchConfig()) == {}
    # Raters the refit flagged are suspicious whatever their history.
    flagged[10:16] = True
    found = suspicious_notes(ratings, np.array([8]), flagged, NOW, WatchConfig())
    assert list(found) == [8] and "refit" in found[8]


def test_the_chance_model_steps_aside_where_it_cannot_tell() -> None:
    """In a community of 48 ratings a brigade of six that shares four notes is all the
    popularity there is: the null expects 1.5 of its 4 meetings, and even 4 of 4 is within
    chance at ``meeting_p``, so the test has no power and the count decides (held)."""
    history = [row for n in (1, 2, 3, 4) for row in _burst(n, range(6), 1000 * n)]
    history += [(n, 10 + n, 0.0, 500) for n in range(6)]
    recent = _burst(7, range(6), NOW - 60_000) + _burst(8, range(10, 16), NOW - 60_000)
    ratings = _ratings(history + recent)
    flagged = np.zeros(N_RATERS, dtype=np.bool_)
    for config in (WatchConfig(), WatchConfig(meeting_p=None), WatchConfig(meeting_p=0.5)):
        assert list(suspicious_notes(ratings, np.array([7, 8]), flagged, NOW, config)) == [7]


def _members(n: int, camps: int) -> list[int]:
    """Rater rows of ``n`` members; with ``camps`` = 2 the odd ones sit in the other camp
    (the watch never reads factors, so a camp is only a label here)."""
    return list(range(n)) if camps == 1 else [2 * k + (k % 2) for k in range(n)]


@pytest.mark.parametrize("camps", [1, 2])
def test_a_slow_brigade_is_held_across_hours(camps: int) -> None:
    # Ten unproven members rated three earlier targets helpful together, then the new
    # target one rating every 30 minutes: no 30-minute burst, one 6-hour run.
    members = _members(10, camps)
    history = [(n, r, 1.0, 1000 * n + k) for n in (1, 2, 3) for k, r in enumerate(members)]
    slow = [(9, r, 1.0, NOW - 30 * 60_000 * k - 1) for k, r in enumerate(members)]
    ratings = _ratings(history + slow)
    flagged = np.zeros(N_RATERS, dtype=np.bool_)
    established = np.zeros(N_RATERS, dtype=np.bool_)
    found = suspicious_notes(ratings, np.array([9]), flagged, NOW, WatchConfig(), established)
    assert list(found) == [9] and "6 hours" in found[9]
    # A watch of 30-minute bursts alone would have missed it.
    short = WatchConfig(long_window_ms=30 * 60_000)
    assert suspicious_notes(ratings, np.array([9]), flagged, NOW, short, established) == {}
    # Honest raters with no shared history give the same slow run: not held.
    honest = [(9, 20 + k, 1.0, NOW - 30 * 60_000 * k - 1) for k in range(10)]
    ratings = _ratings(history + honest)
    assert suspicious_notes(ratings, np.array([9]), flagged, NOW, WatchConfig(), established) == {}


def test_with_a_null_model_chance_meetings_of_prolific_raters_do_not_count() -> None:
    """``meeting_p``: raters who each rated many popular notes share three verdicts by
    chance; a brigade that shares every verdict is still a run of suspects."""
    n_notes, n_raters = 60, 40

    def ratings(rows: list[tuple[int, int, float, int]]) -> Ratings:
        base = _ratings(rows)
        return Ratings(
            **{
                **{f: getattr(base, f) for f in base.__dataclass_fields__},
                "note_ids": IdIndex(np.asarray([f"{k:03d}" for k in range(n_notes)])),
                "participant_ids": IdIndex(np.asarray([f"p{k:03d}" for k in range(n_raters)])),
            }
        )

    rng = np.random.default_rng(0)
    # Raters 10-15 rated 30 random notes of 50 helpful each (good notes): any two share
    # ~18 cells, at chance. Raters 0-5 (a brigade) share 6 targets and nothing else.
    history = [(int(n), r, 1.0, 1000) for r in range(10, 16) for n in rng.choice(50, 30, False)]
    history += [(n, r, 1.0, 2000) for n in range(50, 56) for r in range(6)]
    history += [(n, r, 0.0, 500) for n in range(50) for r in range(20, 40)]  # the community
    recent = _burst(58, range(6), NOW - 60_000) + _burst(59, range(10, 16), NOW - 60_000)
    data = ratings(history + recent)
    flagged = np.zeros(n_raters, dtype=np.bool_)
    counted = WatchConfig(meeting_p=None)
    plain = suspicious_notes(data, np.array([58, 59]), flagged, NOW, counted)
    assert sorted(plain) == [58, 59]  # three shared verdicts make a suspect
    for null in (WatchConfig(meeting_p=0.01), WatchConfig()):  # the default: 1e-3
        assert list(suspicious_notes(data, np.array([58, 59]), flagged, NOW, null)) == [58]
    with pytest.raises(ConfigError):
        WatchConfig(meeting_p=1.0)


def test_established_accounts_that_moved_together_before_are_suspects() -> None:
    """``group_cell_p``: an aged brigade (established accounts, never flagged) that rated an
    earlier target together is a run of suspects on the next one; established raters who
    only share popular notes are not."""
    n_notes, n_raters = 100, 200
    rng = np.random.default_rng(1)
    rows = [
        (int(n), r, 1.0, 1000) for r in range(50, 200) for n in rng.choice(90, 40, replace=False)
    ]
    for r in range(20, 40):  # the run raters' own background ratings
        rows += [(int(n), r, 1.0, 1000) for n in rng.choice(90, 10, replace=False)]
    rows += [(95, r, 1.0, 2000) for r in range(20, 30)]  # the brigade's earlier target
    rows += _burst(97, range(20, 30), NOW - 60_000) + _burst(98, range(30, 40), NOW - 60_000)
    base = _ratings(rows)
    data = Ratings(
        **{
            **{f: getattr(base, f) for f in base.__dataclass_fields__},
            "note_ids": IdIndex(np.asarray([f"{k:03d}" for k in range(n_notes)])),
            "participant_ids": IdIndex(np.asarray([f"p{k:03d}" for k in range(n_raters)])),
        }
    )
    flagged = np.zeros(n_raters, dtype=np.bool_)
    established = np.ones(n_raters, dtype=np.bool_)
    notes = np.array([97, 98])
    assert suspicious_notes(data, notes, flagged, NOW, WatchConfig(), established) == {}
    group = WatchConfig(group_cell_p=1e-6)
    found = suspicious_notes(data, notes, flagged, NOW, group, established)
    assert list(found) == [97] and "together" in found[97]
    with pytest.raises(ConfigError):
        WatchConfig(group_cell_p=0.0)


def test_established_raters_meeting_on_good_notes_are_not_suspects() -> None:
    # Proven raters 20-27 agree on three good notes (both camps) and then on a fourth:
    # honest cross-camp consensus, not held; the same history from unproven raters is.
    raters = _members(8, 2)
    raters = [20 + (r % 20) for r in raters]
    history = [(n, r, 1.0, 1000 * n + k) for n in (1, 2, 3) for k, r in enumerate(raters)]
    good = [(9, r, 1.0, NOW - 5 * 60_000 * k) for k, r in enumerate(raters)]
    ratings = _ratings(history + good)
    flagged = np.zeros(N_RATERS, dtype=np.bool_)
    established = np.zeros(N_RATERS, dtype=np.bool_)
    established[20:] = True
    config = WatchConfig()
    assert suspicious_notes(ratings, np.array([9]), flagged, NOW, config, established) == {}
    assert list(suspicious_notes(ratings, np.array([9]), flagged, NOW, config)) == [9]
    # Meeting far more often than proven raters do is suspicious again, if asked for.
    more = [(n, r, 1.0, 1000 * n + k) for n in (4, 5, 6) for k, r in enumerate(raters)]
    ratings = _ratings(history + more + good)
    counted = WatchConfig(min_meetings_established=6)
    found = suspicious_notes(ratings, np.array([9]), flagged, NOW, counted, established)
    assert list(found) == [9]
    assert suspicious_notes(ratings, np.array([9]), flagged, NOW, config, established) == {}


def test_a_note_carried_by_unproven_raters_waits_for_the_refit() -> None:
    # Note 5: 6 helpful ratings from a two-camp brigade of unproven accounts, 2 from
    # established raters. Note 6: honest cross-camp consensus of established raters with
    # one unproven newcomer. Note 7: 4 unproven, 4 established (the share is reached).
    unproven = _members(6, 2)
    proven = list(range(20, 28))
    rows = [(5, r, 1.0, NOW) for r in unproven] + [(5, r, 1.0, NOW) for r in proven[:2]]
    rows += [(5, r, 0.0, NOW) for r in proven[2:]]  # the community finds it unhelpful
    rows += [(6, r, 1.0, NOW) for r in proven] + [(6, unproven[0], 1.0, NOW)]
    rows += [(7, r, 1.0, NOW) for r in unproven[:4]] + [(7, r, 0.5, NOW) for r in proven[:4]]
    ratings = _ratings(rows)
    established = np.zeros(N_RATERS, dtype=np.bool_)
    established[20:] = True
    # (The share rule alone: every rating at the same moment; 4 are not a run of 5.)
    share = WatchConfig(unproven_run=False)
    found = unproven_support(ratings, np.array([5, 6, 7]), established, share)
    assert sorted(found) == [5, 7]
    assert found[5].startswith("6 of its 8 helpful ratings")
    assert sorted(unproven_support(ratings, np.array([5, 6, 7]), established, WatchConfig())) == [5]
    # A stricter share lets note 7 (4 of 6 by weight) through but not note 5.
    strict = WatchConfig(max_unproven_share=0.7, unproven_run=False)
    assert sorted(unproven_support(ratings, np.array([5, 6, 7]), established, strict)) == [5]
    # Only the notes asked about are looked at; the mask must cover every participant.
    assert unproven_support(ratings, np.array([6]), established, WatchConfig()) == {}
    with pytest.raises(ConfigError):
        unproven_support(ratings, np.array([5]), established[:-1], WatchConfig())


def _model(factors: np.ndarray) -> RaterModel:
    return RaterModel(
        rater_intercepts=np.zeros(N_RATERS),
        rater_factors=factors,
        global_intercept=0.0,
        intercept_penalty=1.0,
        factor_penalty=1.0,
    )


def test_established_fit_solves_each_note_with_raters_frozen() -> None:
    factors = np.where(np.arange(N_RATERS) % 2 == 0, 1.0, -1.0)
    # Note 1: everyone helpful (bridged); note 2: only the +1 camp helpful (one-sided).
    rows = [(1, r, 1.0, NOW) for r in range(20)]
    rows += [(2, r, 1.0 if factors[r] > 0 else 0.0, NOW) for r in range(20)]
    ratings = _ratings(rows)
    intercept, factor = established_fit(ratings, np.arange(ratings.n_ratings), _model(factors))
    # Ridge optimum: i = 20 / (20 + 1) with f = 0 for note 1; note 2 splits 0.5 +- 0.5.
    assert intercept[1] == pytest.approx(20 / 21) and factor[1] == pytest.approx(0.0)
    assert intercept[2] == pytest.approx(10 / 21) and factor[2] == pytest.approx(10 / 21)
    assert intercept[0] == 0.0 and factor[0] == 0.0  # no ratings: the penalties' optimum
    # Raters outside the fit (NaN parameters) are left out.
    nan = factors.copy()
    nan[:10] = np.nan
    intercept, _ = established_fit(ratings, np.arange(ratings.n_ratings), _model(nan))
    assert intercept[1] == pytest.approx(10 / 11)


def test_a_two_camp_brigade_waits_an_honest_cross_camp_consensus_does_not() -> None:
    # Raters 0-9 unproven (a two-camp brigade: factors alternate), 20-39 established.
    factors = np.where(np.arange(N_RATERS) % 2 == 0, 1.0, -1.0)
    established = np.zeros(N_RATERS, dtype=np.bool_)
    established[20:] = True
    brigade = list(range(10))
    # Note 5: the brigade rates it helpful across camps, the established raters do not.
    rows = [(5, r, 1.0, NOW) for r in brigade] + [(5, r, 0.0, NOW) for r in range(20, 30)]
    # Note 6: established raters of both camps agree it is helpful; 4 newcomers join in.
    rows += [(6, r, 1.0, NOW) for r in range(20, 36)] + [(6, r, 1.0, NOW) for r in brigade[:4]]
    # Note 7: only the brigade has rated it yet.
    rows += [(7, r, 1.0, NOW) for r in brigade]
    ratings = _ratings(rows)
    model = _model(factors)
    found = unproven_support(ratings, np.array([5, 6, 7]), established, WatchConfig(), model)
    assert sorted(found) == [5, 7]
    assert "established raters alone" in found[5]
    assert found[7].startswith("10 of its 10 helpful ratings")
    with pytest.raises(ConfigError):
        unproven_support(ratings, np.array([5]), established, WatchConfig(), _model(factors[:-1]))


def test_newcomers_one_by_one_are_not_a_brigade() -> None:
    """Issue 16: the unproven-support hold needs the unproven raters to strike together.
    Honest newcomers who find a note helpful one by one, hours apart, do not hold it; the
    same ratings within 30 minutes (or ten within 6 hours) do; ``unproven_run=False`` holds
    both (the earlier rule, which kept honest notes waiting for hours)."""
    factors = np.where(np.arange(N_RATERS) % 2 == 0, 1.0, -1.0)
    established = np.zeros(N_RATERS, dtype=np.bool_)
    established[20:] = True
    model = _model(factors)
    hour = 3_600_000
    # Note 5: 6 newcomers, one every 2 hours; the established raters find it unhelpful.
    # Note 6: the same 6 within 12 minutes. Note 7: 10 newcomers over 5 hours (a slow run).
    rows = [(5, r, 1.0, NOW - 2 * hour * k) for r, k in zip(range(6), range(6), strict=True)]
    rows += [(6, r, 1.0, NOW - 2 * 60_000 * k) for r, k in zip(range(6), range(6), strict=True)]
    rows += [(7, r, 1.0, NOW - 30 * 60_000 * k) for r, k in zip(range(10), range(10), strict=True)]
    # Note 8: a slow brigade's first six, one every 2 hours (no run yet), who rated notes
    # 1-3 helpful together before.
    rows += [(8, r, 1.0, NOW - 2 * hour * k) for r, k in zip(range(10, 16), range(6), strict=True)]
    rows += [(n, r, 1.0, NOW - 50 * hour) for n in (1, 2, 3) for r in range(10, 16)]
    for note in (5, 6, 7, 8):
        rows += [(note, r, 0.0, NOW - 10 * hour) for r in range(20, 26)]
    ratings = _ratings(rows)
    notes = np.array([5, 6, 7, 8])
    found = unproven_support(ratings, notes, established, WatchConfig(), model)
    assert sorted(found) == [6, 7, 8] and "together" in found[6]
    run_only = WatchConfig(unproven_meeting=False)
    assert sorted(unproven_support(ratings, notes, established, run_only, model)) == [6, 7]
    before = WatchConfig(unproven_run=False)
    assert sorted(unproven_support(ratings, notes, established, before, model)) == [5, 6, 7, 8]
    # Without a rater model (the share rule) the run is asked for too.
    assert sorted(unproven_support(ratings, notes, established, WatchConfig())) == [6, 7, 8]
    # Note 5's newcomers become suspects when the refit flagged them.
    flagged = np.zeros(N_RATERS, dtype=np.bool_)
    flagged[:4] = True
    again = unproven_support(ratings, notes, established, WatchConfig(), model, flagged)
    assert sorted(again) == [5, 6, 7, 8]


def test_a_proven_record_survives_a_state_change_but_not_a_revocation() -> None:
    ids = np.asarray(["a", "b", "c", "d", "e"], dtype=np.str_)
    # First refit: a, b, c established; d revoked; e new.
    established = np.array([True, True, True, True, False])
    proven = np.array([True, True, True, False, False])
    mask, known = sticky_proven(ids, proven, established, np.zeros(0, dtype=np.str_))
    assert mask.tolist() == proven.tolist() and known.tolist() == ["a", "b", "c"]
    # Next refit (a new participant "f"): b's state changed (its establishment clock
    # restarted), c was revoked, a is still established.
    ids2 = np.asarray(["a", "b", "c", "d", "e", "f"], dtype=np.str_)
    established2 = np.array([True, False, True, False, False, False])
    proven2 = np.array([True, False, False, False, False, False])
    mask2, known2 = sticky_proven(ids2, proven2, established2, known)
    assert mask2.tolist() == [True, True, False, False, False, False]
    assert known2.tolist() == ["a", "b", "c"]
    with pytest.raises(ConfigError):
        sticky_proven(ids2, proven2[:-1], established2, known)


def test_newly_helpful_is_one_way() -> None:
    crh, nmr = int(NoteStatus.CURRENTLY_RATED_HELPFUL), int(NoteStatus.NEEDS_MORE_RATINGS)
    old = np.asarray([nmr, crh, crh, nmr], dtype=np.int8)
    new = np.asarray([crh, nmr, crh, nmr], dtype=np.int8)
    assert newly_helpful(old, new).tolist() == [True, False, False, False]


def test_holds_stop_only_changes_across_helpful() -> None:
    old = StatusHistory.empty().with_new_notes(
        np.asarray(["a", "b", "c"]), np.asarray(["x", "y", "z"]), np.asarray([1, 2, 3])
    )
    crh, nmr = int(NoteStatus.CURRENTLY_RATED_HELPFUL), int(NoteStatus.NEEDS_MORE_RATINGS)
    crnh = int(NoteStatus.CURRENTLY_RATED_NOT_HELPFUL)
    old = old.with_columns(current_status=np.asarray([nmr, crh, nmr], dtype=np.int8))
    new = old.with_columns(current_status=np.asarray([crh, nmr, crnh], dtype=np.int8))
    held = np.asarray([True, True, True])
    assert crosses_helpful(old.current_status, new.current_status).tolist() == [
        True,
        True,
        False,
    ]
    out, stopped = apply_holds(old, new, held)
    assert stopped.tolist() == [True, True, False]
    assert out.current_status.tolist() == [nmr, crh, crnh]
    out, stopped = apply_holds(old, new, np.zeros(3, dtype=np.bool_))
    assert not stopped.any() and out is new


def test_config_checks() -> None:
    with pytest.raises(ConfigError):
        WatchConfig(window_ms=0)
    with pytest.raises(ConfigError):
        WatchConfig(min_burst=5, min_suspect=6)
    with pytest.raises(ConfigError):
        WatchConfig(min_meetings=3, min_meetings_established=2)
    with pytest.raises(ConfigError):
        WatchConfig(max_unproven_share=0.0)
    with pytest.raises(ConfigError):
        WatchConfig(long_window_ms=60_000)
    with pytest.raises(ConfigError):
        WatchConfig(min_long_run=10, min_long_suspect=11)


def test_the_popularity_null_counts_each_cell_as_the_bincount_does() -> None:
    from bridgewatch.scoring.incremental.watch import _Popularity
    from bridgewatch.scoring.manipulation.push_guard import rating_levels

    rng = np.random.default_rng(3)
    n = 5000
    values = rng.choice(np.asarray([0.0, 0.5, 1.0], dtype=np.float32), n)
    values[:7] = np.asarray([0.24, 0.26, 0.74, 0.76, -0.3, 1.4, 0.75], dtype=np.float32)
    rows = [
        (int(a), int(b), float(v), NOW)
        for a, b, v in zip(
            rng.integers(0, N_NOTES, n), rng.integers(0, N_RATERS, n), values, strict=True
        )
    ]
    ratings = _ratings(rows)
    cells = ratings.note_idx.astype(np.int64) * 3 + rating_levels(ratings.helpful_num)
    want = np.bincount(cells, minlength=3 * N_NOTES).astype(np.float64)
    got = _Popularity.count(ratings)
    np.testing.assert_array_equal(got.cells, want)
    assert got.total == n
    assert got.share == float(np.dot(want, want)) / float(n) ** 2


def test_meeting_counts_equal_the_sparse_product() -> None:
    """``_meetings`` is ``m @ m.T`` of the 0/1 rater x cell matrix with a zero diagonal (the
    duplicates of a rater in a cell counted as the product counts them)."""
    import scipy.sparse as sp

    from bridgewatch.scoring.incremental.watch import _meetings

    rng = np.random.default_rng(9)
    for n_raters, n_cells, n in ((1, 1, 1), (7, 30, 60), (25, 200, 900), (40, 15, 400)):
        pairs = np.unique(
            np.stack([rng.integers(0, n_raters, n), rng.integers(0, n_cells, n)], axis=1), axis=0
        )
        r_pos, c_pos = pairs[:, 0], pairs[:, 1]
        if n_raters == 40:  # a rater twice in a cell, as the product would count it
            r_pos, c_pos = np.concatenate([r_pos, r_pos[:5]]), np.concatenate([c_pos, c_pos[:5]])
        m = sp.csr_matrix((np.ones(r_pos.shape[0]), (r_pos, c_pos)), shape=(n_raters, n_cells))
        want = (m @ m.T).toarray()
        np.fill_diagonal(want, 0)
        got = _meetings(r_pos.astype(np.int64), c_pos.astype(np.int64), n_raters)
        assert got.dtype == np.float64
        np.testing.assert_array_equal(got, want)
        # The group-cell reductions: ratings per cell, raters with a rating in chosen cells.
        np.testing.assert_array_equal(
            np.bincount(c_pos, minlength=n_cells).astype(np.float64),
            np.asarray(m.sum(axis=0)).ravel(),
        )
        chosen = rng.random(n_cells) < 0.2
        has = np.zeros(n_raters, dtype=np.bool_)
        has[r_pos[chosen[c_pos]]] = True
        np.testing.assert_array_equal(
            has, np.asarray(m[:, np.flatnonzero(chosen)].sum(axis=1)).ravel() > 0
        )
