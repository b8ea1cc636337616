"""Coordinated co-rating: a planted slow group, honest prolific raters on popular notes,
the plain version."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray

from bridgewatch.errors import ConfigError
from bridgewatch.scoring.manipulation import (
    CoRatingConfig,
    CoRatingResult,
    find_co_rating_groups,
    find_co_rating_groups_reference,
)

Arrays = tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]


def _honest(
    rng: np.random.Generator,
    n_notes: int,
    n_raters: int,
    prolific: int,
    ratings: tuple[int, int] = (5, 30),
    exponent: float = 0.8,
) -> tuple[list[tuple[int, int, int]], NDArray[np.int64]]:
    """Honest raters in two camps pick notes by (Zipf-like) popularity; the verdict
    follows the note's slant and the rater's camp, with noise. The first ``prolific``
    raters rate 40% of the notes each (mostly the popular ones), the others a number in
    ``ratings`` (high exclusive); popularity falls as rank ** -``exponent``."""
    popularity = 1.0 / np.arange(1, n_notes + 1) ** exponent
    popularity /= popularity.sum()
    slant = rng.choice([-1, 0, 1], size=n_notes)
    camps = rng.choice([-1, 1], size=n_raters)
    rows = []
    for r in range(n_raters):
        d = int(0.4 * n_notes) if r < prolific else int(rng.integers(*ratings))
        for note in rng.choice(n_notes, size=d, replace=False, p=popularity):
            agree = slant[note] == 0 or slant[note] == camps[r]
            level = 2 if agree else 0
            if rng.random() < 0.2:
                level = int(rng.integers(0, 3))
            rows.append((int(note), r, level))
    return rows, camps


def _arrays(rows: list[tuple[int, int, int]]) -> Arrays:
    a = np.array(rows, dtype=np.int64)
    return a[:, 0], a[:, 1], a[:, 2]


def _attack(members: range, targets: list[int], level: int) -> list[tuple[int, int, int]]:
    return [(t, m, level) for m in members for t in targets]


def test_planted_slow_group_is_found_and_only_its_attack_ratings_are_flagged() -> None:
    rng = np.random.default_rng(7)
    n_notes, n_honest = 400, 300
    rows, _ = _honest(rng, n_notes, n_honest, prolific=10)
    # A group of 12 sleepers: 10-19 honest-looking ratings each on popular notes, then every
    # member rates the same 12 targets HELPFUL (no timing involved at all).
    members = range(n_honest, n_honest + 12)
    sleeper_rows, _ = _honest(np.random.default_rng(8), n_notes, 12, prolific=0, ratings=(10, 20))
    rows += [(note, n_honest + r, level) for note, r, level in sleeper_rows]
    targets = [50, 80, 120, 160, 200, 230, 260, 310, 333, 350, 370, 399]
    attack = _attack(members, targets, 2)
    attack_keys = {(t, m) for t, m, _ in attack}
    rows = [row for row in rows if (row[0], row[1]) not in attack_keys] + attack
    note, rater, level = _arrays(rows)
    result = find_co_rating_groups(note, rater, level, n_honest + 12, CoRatingConfig())
    assert result.n_groups == 1
    np.testing.assert_array_equal(np.flatnonzero(result.group >= 0), list(members))
    is_attack = np.array(
        [(int(t), int(m)) in attack_keys for t, m in zip(note, rater, strict=True)]
    )
    np.testing.assert_array_equal(result.flagged, is_attack)


def test_honest_prolific_raters_on_popular_notes_are_not_flagged() -> None:
    rng = np.random.default_rng(3)
    # 30 prolific raters each rate 40% of the notes, mostly the popular ones, and agree
    # with their camp: they share many (note, verdict) cells, as the null model expects.
    rows, _ = _honest(rng, 300, 400, prolific=30)
    note, rater, level = _arrays(rows)
    result = find_co_rating_groups(note, rater, level, 400, CoRatingConfig())
    assert result.n_groups == 0
    assert not result.flagged.any()
    assert (result.group == -1).all()


def test_group_smaller_than_the_core_or_sharing_few_cells_is_not_flagged() -> None:
    rng = np.random.default_rng(11)
    rows, _ = _honest(rng, 300, 200, prolific=0)
    base = [row for row in rows if row[1] < 200]
    # 4 members (< min_partners + 1 = 5) on 10 targets; 8 members on only 4 targets.
    for members, targets in (
        (range(200, 204), list(range(250, 260))),
        (range(204, 212), [1, 2, 3, 4]),
    ):
        attack = _attack(members, targets, 0)
        keys = {(t, m) for t, m, _ in attack}
        note, rater, level = _arrays([r for r in base if (r[0], r[1]) not in keys] + attack)
        result = find_co_rating_groups(note, rater, level, 212, CoRatingConfig())
        assert result.n_groups == 0 and not result.flagged.any()


def test_config_and_input_checks() -> None:
    for bad in (
        {"min_shared_cells": 0},
        {"min_partners": True},
        {"min_lift": 0.5},
        {"max_pair_p": 0.0},
        {"max_cell_p": 1.5},
        {"min_cell_share": -0.1},
        {"max_cell_raters": 0},
    ):
        with pytest.raises(ConfigError):
            CoRatingConfig(**bad)
    one = np.zeros(1, np.int64)
    with pytest.raises(ConfigError, match="levels"):
        find_co_rating_groups(one, one, one + 3, 1, CoRatingConfig())
    with pytest.raises(ConfigError, match="rater_idx"):
        find_co_rating_groups(one, one + 1, one, 1, CoRatingConfig())
    with pytest.raises(ConfigError, match="rater_idx"):
        find_co_rating_groups(one, np.zeros(2, np.int64), one, 1, CoRatingConfig())
    empty = np.zeros(0, np.int64)
    result = find_co_rating_groups(empty, empty, empty, 3, CoRatingConfig())
    assert result.n_groups == 0 and result.flagged.shape == (0,) and (result.group == -1).all()


def _same(a: CoRatingResult, b: CoRatingResult) -> None:
    np.testing.assert_array_equal(a.group, b.group, err_msg="group")
    np.testing.assert_array_equal(a.flagged, b.flagged, err_msg="flagged")
    assert (a.n_pairs, a.n_groups, a.n_attached) == (b.n_pairs, b.n_groups, b.n_attached)


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(
        st.tuples(st.integers(0, 5), st.integers(0, 8), st.integers(0, 2)),
        min_size=1,
        max_size=50,
        unique_by=lambda t: (t[0], t[1]),
    ),
    max_cell_raters=st.integers(2, 10),
    attach=st.sampled_from([None, 1.0]),
)
def test_vectorized_matches_plain_loops(
    rows: list[tuple[int, int, int]], max_cell_raters: int, attach: float | None
) -> None:
    config = CoRatingConfig(
        min_shared_cells=2,
        min_lift=1.0,
        max_pair_p=0.6,
        min_partners=1,
        min_cell_members=2,
        min_cell_share=0.3,
        max_cell_p=0.6,
        max_cell_raters=max_cell_raters,
        attach_max_p=attach,
    )
    note, rater, level = _arrays(rows)
    _same(
        find_co_rating_groups(note, rater, level, 9, config),
        find_co_rating_groups_reference(note, rater, level, 9, config),
    )


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(
        st.tuples(st.integers(0, 5), st.integers(0, 8), st.integers(0, 2)),
        min_size=1,
        max_size=50,
        unique_by=lambda t: (t[0], t[1]),
    ),
    blocks=st.lists(st.integers(-1, 2), min_size=9, max_size=9),
    established=st.lists(st.booleans(), min_size=9, max_size=9),
    alpha=st.sampled_from([None, 0.5, 1.0]),
    thin=st.sampled_from([1, 2, 3]),
    attach=st.sampled_from([None, 1.0]),
)
def test_vectorized_matches_plain_loops_with_blocks_and_established(
    rows: list[tuple[int, int, int]],
    blocks: list[int],
    established: list[bool],
    alpha: float | None,
    thin: int,
    attach: float | None,
) -> None:
    config = CoRatingConfig(
        min_shared_cells=2,
        min_shared_unproven=thin,
        min_cell_share_unproven=0.1,
        min_lift=1.0,
        max_pair_p=0.6,
        min_partners=1,
        min_cell_members=2,
        min_cell_share=0.3,
        max_cell_p=0.6,
        pair_alpha=alpha,
        attach_max_p=attach,
    )
    note, rater, level = _arrays(rows)
    block = np.array(blocks, dtype=np.int64)
    est = np.array(established, dtype=np.bool_)
    _same(
        find_co_rating_groups(note, rater, level, 9, config, block=block, established=est),
        find_co_rating_groups_reference(
            note, rater, level, 9, config, block=block, established=est
        ),
    )


def test_one_block_is_the_popularity_null() -> None:
    rng = np.random.default_rng(5)
    rows, _ = _honest(rng, 200, 150, prolific=5)
    rows += _attack(range(150, 158), list(range(190, 200)), 2)
    note, rater, level = _arrays(rows)
    config = CoRatingConfig()
    _same(
        find_co_rating_groups(note, rater, level, 158, config),
        find_co_rating_groups(note, rater, level, 158, config, block=np.full(158, 7)),
    )


def _circle_and_brigade() -> tuple[Arrays, range, range, set[tuple[int, int]]]:
    """300 honest raters, an honest niche circle (raters 300-329, established) who all rate
    the same 20 little-rated notes by their camp, and a brigade of 10 new accounts
    (330-339) with a few honest-looking ratings each, all rating 6 targets HELPFUL."""
    rng = np.random.default_rng(21)
    rows, _ = _honest(rng, 400, 300, prolific=5)
    circle = range(300, 330)
    niche = list(range(380, 400))
    rows = [r for r in rows if r[0] not in niche]
    for m in circle:
        rows += [(int(n), m, 2) for n in rng.choice(300, size=8, replace=False)]
        rows += [(n, m, 2 if n % 3 else 0) for n in niche]
    brigade = range(330, 340)
    targets = [40, 90, 150, 210, 260, 333]
    for m in brigade:
        rows += [(int(n), m, 2) for n in rng.choice(300, size=4, replace=False)]
    attack = _attack(brigade, targets, 2)
    keys = {(t, m) for t, m, _ in attack}
    rows = [r for r in rows if (r[0], r[1]) not in keys] + attack
    return _arrays(rows), circle, brigade, keys


def test_established_circle_is_left_alone_and_new_brigade_of_six_targets_is_caught() -> None:
    (note, rater, level), circle, brigade, keys = _circle_and_brigade()
    n = 340
    established = np.ones(n, dtype=np.bool_)
    established[list(brigade)] = False
    # Without an establishment the circle is grouped and loses its niche ratings.
    plain = find_co_rating_groups(note, rater, level, n, CoRatingConfig())
    assert (plain.group[list(circle)] >= 0).all()
    assert plain.flagged[np.isin(rater, list(circle))].sum() > 0
    found = find_co_rating_groups(
        note, rater, level, n, CoRatingConfig(pair_alpha=0.05), established=established
    )
    is_attack = np.array([(int(t), int(m)) in keys for t, m in zip(note, rater, strict=True)])
    np.testing.assert_array_equal(found.flagged, is_attack)
    assert (found.group[list(brigade)] >= 0).all()
    assert (found.group[list(circle)] == -1).all()  # exempt: reported ungrouped


def test_pair_alpha_bounds_chance_pairs_family_wise() -> None:
    rng = np.random.default_rng(3)
    rows, _ = _honest(rng, 300, 400, prolific=30)
    note, rater, level = _arrays(rows)
    loose = CoRatingConfig(min_lift=1.0, max_pair_p=0.05, min_partners=1)
    strict = dataclasses.replace(loose, pair_alpha=0.05)
    assert find_co_rating_groups(note, rater, level, 400, strict).n_pairs < (
        find_co_rating_groups(note, rater, level, 400, loose).n_pairs
    )
    with pytest.raises(ConfigError, match="pair_alpha"):
        CoRatingConfig(pair_alpha=0.0)
    one = np.zeros(1, np.int64)
    with pytest.raises(ConfigError, match="block"):
        find_co_rating_groups(one, one, one, 1, CoRatingConfig(), block=np.zeros(2, np.int64))
    with pytest.raises(ConfigError, match="established"):
        find_co_rating_groups(one, one, one, 1, CoRatingConfig(), established=np.zeros(3, np.bool_))


def test_group_of_mostly_established_members_loses_nothing() -> None:
    (note, rater, level), circle, brigade, keys = _circle_and_brigade()
    n = 340
    # A quarter of the circle is unproven (newcomers to the community): it stays whole.
    established = np.ones(n, dtype=np.bool_)
    established[list(brigade)] = False
    established[list(circle)[:7]] = False
    found = find_co_rating_groups(note, rater, level, n, CoRatingConfig(), established=established)
    in_circle = np.isin(rater, list(circle))
    assert not found.flagged[in_circle].any()
    assert (found.group[list(circle)] == -1).all()
    is_attack = np.array([(int(t), int(m)) in keys for t, m in zip(note, rater, strict=True)])
    np.testing.assert_array_equal(found.flagged, is_attack)
    # Flag every group with an unproven member: the newcomers lose their niche ratings.
    strict = find_co_rating_groups(
        note, rater, level, n, CoRatingConfig(min_unproven_share=0.0), established=established
    )
    assert strict.flagged[in_circle].any()
    assert not strict.flagged[np.isin(rater, list(circle)[7:])].any()


def test_poisson_tail_equals_scipy_stats() -> None:
    from scipy.stats import poisson

    from bridgewatch.scoring.manipulation.co_rating import _poisson_sf

    k = np.array([-1, 0, 1, 4, 5, 9, 20, 50])
    mu = np.array([2.0, 0.1, 2.0, 0.5, 7.0, 1.2, 3.3, 0.01])
    np.testing.assert_allclose(_poisson_sf(k, mu), poisson.sf(k, mu), rtol=1e-12)


def _thin_brigades() -> tuple[Arrays, NDArray[np.bool_], set[tuple[int, int]], range, range]:
    """600 honest raters on 2,000 notes (a third of them unproven newcomers), an
    established niche circle (600-629) that rates 20 little-rated notes alike, and two
    thin brigades of new accounts with 2 honest-looking ratings each: a pool (630-709)
    in which each of 30 targets gets a fresh random 16 of the 80 members (a member rates
    ~6), no pair sharing more than 3 targets, and a rotating brigade (710-733) in 3
    waves of 8 accounts, each wave rating its own 4 targets. No pair of either brigade
    shares 5 cells.

    Returns ((note, rater, level), established, attack keys, pool members, circle)."""
    rng = np.random.default_rng(33)
    rows, _ = _honest(rng, 2000, 600, prolific=5, exponent=0.5)
    circle = range(600, 630)
    niche = list(range(1980, 2000))
    rows = [r for r in rows if r[0] not in niche]
    for m in circle:
        rows += [(int(n), m, 2) for n in rng.choice(1000, size=8, replace=False)]
        rows += [(n, m, 2 if n % 3 else 0) for n in niche]
    pool = range(630, 710)
    rotating = range(710, 734)
    for m in [*pool, *rotating]:
        rows += [(int(n), m, 2) for n in rng.choice(1000, size=2, replace=False)]
    attack: list[tuple[int, int, int]] = []
    together = np.zeros((80, 80), dtype=np.int64)
    for t in range(30):
        picked: list[int] = []
        for m in rng.permutation(80).tolist():
            if len(picked) < 16 and (not picked or together[m, picked].max() < 3):
                picked.append(m)
        together[np.ix_(picked, picked)] += 1
        attack += [(1900 + t, pool[m], 2) for m in picked]
    for w in range(3):
        attack += _attack(rotating[8 * w : 8 * w + 8], [1940 + 4 * w + k for k in range(4)], 0)
    keys = {(t, m) for t, m, _ in attack}
    rows = [r for r in rows if (r[0], r[1]) not in keys] + attack
    established = np.ones(734, dtype=np.bool_)
    established[:600:3] = False  # honest newcomers among the organic raters
    established[630:] = False
    return _arrays(rows), established, keys, pool, circle


def test_thin_pool_and_rotating_waves_are_caught_and_honest_circle_left_alone() -> None:
    (note, rater, level), established, keys, pool, circle = _thin_brigades()
    is_attack = np.array([(int(t), int(m)) in keys for t, m in zip(note, rater, strict=True)])
    config = CoRatingConfig()
    found = find_co_rating_groups(note, rater, level, 734, config, established=established)
    # Nothing honest is flagged: neither the newcomers nor the circle.
    assert not found.flagged[~is_attack].any()
    assert not found.flagged[np.isin(rater, list(circle))].any()
    assert (found.group[:630] == -1).all()
    assert (found.group[list(pool)] >= 0).mean() >= 0.5
    # The rotating waves lose every attack rating, the pool most of them.
    rot = is_attack & (rater >= 710)
    pool_attack = is_attack & (rater < 710)
    assert found.flagged[rot].all()
    assert found.flagged[pool_attack].mean() >= 0.7
    # With five shared cells for every pair (the old rule) neither is caught.
    old = CoRatingConfig(min_shared_unproven=5, min_cell_share_unproven=0.2)
    before = find_co_rating_groups(note, rater, level, 734, old, established=established)
    assert not before.flagged.any()


def _dense_aged() -> tuple[Arrays, int, range, range, range, range]:
    """A small dense community: 400 honest raters (10-39 ratings each on 600 notes), an
    aged brigade of 30 accounts rating the same 8 rarely rated notes NOT HELPFUL, 24 of
    them with 12 camouflage ratings and 6 with 100 on popular notes (their pairs expect
    far more shared cells, so 8 shared targets miss ``min_lift``), an honest dense circle
    (raters 430-454) rating the same 20 niche notes by camp, and 10 honest newcomers
    (455-464) who rated 6-10 of the circle's niche notes as the circle does."""
    rng = np.random.default_rng(3)
    n_notes, n_honest = 600, 400
    rows, _ = _honest(rng, n_notes, n_honest, prolific=5, ratings=(10, 40), exponent=0.8)
    popularity = 1.0 / np.arange(1, n_notes - 7) ** 0.8
    popularity /= popularity.sum()
    heavy, light = range(400, 406), range(406, 430)
    for m in [*heavy, *light]:
        k = 100 if m in heavy else 12
        for n in rng.choice(n_notes - 8, size=k, replace=False, p=popularity):
            rows.append((int(n), m, 2 if rng.random() < 0.7 else 0))
    niche = list(range(560, 580))
    rows = [r for r in rows if r[0] not in niche]
    circle, newcomers = range(430, 455), range(455, 465)
    for m in circle:
        rows += [(int(n), m, 2) for n in rng.choice(300, size=10, replace=False)]
        rows += [(n, m, 2 if n % 3 else 0) for n in niche]
    for m in newcomers:
        rows += [(int(n), m, 2) for n in rng.choice(300, size=5, replace=False)]
        picked = rng.choice(niche, size=int(rng.integers(6, 11)), replace=False)
        rows += [(int(n), m, 2 if n % 3 else 0) for n in picked]
    attack = _attack(range(400, 430), list(range(n_notes - 8, n_notes)), 0)
    keys = {(t, m) for t, m, _ in attack}
    rows = [r for r in rows if (r[0], r[1]) not in keys] + attack
    return _arrays(rows), 465, heavy, light, circle, newcomers


def test_attach_catches_aged_members_whose_camouflage_hides_their_pairs() -> None:
    (note, rater, level), n, heavy, light, circle, _ = _dense_aged()
    # The revocation pass (no establishment mask) without the attach step: the heavy
    # members' pairs expect too many shared cells and they keep their establishment.
    # (Step 3b, seeding from the targets' cells, is off here: it finds them too.)
    plain = CoRatingConfig(cell_pair_p=None)
    before = find_co_rating_groups(
        note, rater, level, n, dataclasses.replace(plain, attach_max_p=None)
    )
    assert (before.group[list(light)] >= 0).all()
    assert not (before.group[list(heavy)] >= 0).any()
    after = find_co_rating_groups(note, rater, level, n, plain)
    seeded = find_co_rating_groups(note, rater, level, n, CoRatingConfig())
    brigade_rows = [*heavy, *light]
    assert (seeded.group[brigade_rows] == seeded.group[light[0]]).all()
    assert seeded.group[light[0]] >= 0
    assert not (seeded.group[:400] >= 0).any()
    assert before.n_attached == 0
    assert after.n_attached >= len(heavy)
    brigade = [*heavy, *light]
    assert (after.group[brigade] == after.group[light[0]]).all()
    assert not (after.group[:400] >= 0).any()  # no honest rater joins
    # Only the brigade's ratings on its targets are its group's concentrated cells.
    mine = np.isin(rater, brigade)
    assert (after.flagged[mine] == (note[mine] >= 592)).all()
    assert not after.flagged[rater < 400].any()
    # The circle is a group of its own (as before); nobody attaches to it from outside.
    np.testing.assert_array_equal(after.group[list(circle)] >= 0, before.group[list(circle)] >= 0)


def test_honest_dense_circle_and_its_newcomers_stay_unflagged_with_attach() -> None:
    (note, rater, level), n, heavy, light, circle, newcomers = _dense_aged()
    established = np.ones(n, dtype=np.bool_)
    established[list(newcomers)] = False
    found = find_co_rating_groups(note, rater, level, n, CoRatingConfig(), established=established)
    assert not found.flagged.any()
    assert (found.group == -1).all()
    # The same accounts unproven: the brigade loses exactly its target ratings, the
    # circle's newcomers (who rate its niche notes as it does) lose nothing.
    established[[*heavy, *light]] = False
    found = find_co_rating_groups(note, rater, level, n, CoRatingConfig(), established=established)
    brigade = np.isin(rater, [*heavy, *light])
    np.testing.assert_array_equal(found.flagged, brigade & (note >= 592))
    assert (found.group[list(newcomers)] == -1).all()
    assert (found.group[list(circle)] == -1).all()


def _small_aged(seed: int = 3) -> tuple[Arrays, int, range, range, list[int]]:
    """A small dense community (300 notes, 480 honest raters of 20-60 ratings, a few
    prolific ones), an honest niche circle of 25 established raters who mostly rate 20
    niche notes alike, and an aged brigade of 20 whose 40 camouflage ratings each follow
    the honest popularity: every brigade pair shares its 8 targets plus as many camouflage
    cells as chance gives, no more than the null expects of accounts that active."""
    rng = np.random.default_rng(seed)
    rows, _ = _honest(rng, 300, 480, prolific=6, ratings=(20, 60))
    niche = list(range(270, 290))
    rows = [r for r in rows if r[0] not in niche]
    circle = range(480, 505)
    for m in circle:
        rows += [(int(n), m, 2) for n in rng.choice(200, size=10, replace=False)]
        rows += [(n, m, 2 if n % 3 else 0) for n in niche if rng.random() < 0.8]
    brigade = range(505, 525)
    targets = list(range(290, 298))
    popularity = 1.0 / np.arange(1, 271) ** 0.8
    for m in brigade:
        for n in rng.choice(270, size=40, replace=False, p=popularity / popularity.sum()):
            rows.append((int(n), m, 2 if rng.random() < 0.7 else 0))
    rows += _attack(brigade, targets, 2)
    return _arrays(rows), 525, circle, brigade, targets


def test_cell_seeds_group_an_aged_brigade_whose_camouflage_hides_its_pairs() -> None:
    (note, rater, level), n, circle, brigade, targets = _small_aged()
    # The revocation pass (no establishment mask) without step 3b: no brigade pair is
    # beyond the null, and nothing joins a group the brigade never formed.
    before = find_co_rating_groups(note, rater, level, n, CoRatingConfig(cell_pair_p=None))
    assert not (before.group[list(brigade)] >= 0).any()
    after = find_co_rating_groups(note, rater, level, n, CoRatingConfig())
    members = after.group[list(brigade)]
    assert (members >= 0).all() and (members == members[0]).all()
    assert not (after.group[:480] >= 0).any()  # no honest rater outside the circle
    # Only the targets are the brigade's concentrated cells.
    mine = np.isin(rater, list(brigade))
    np.testing.assert_array_equal(after.flagged[mine], np.isin(note[mine], targets))
    # The circle is grouped too (the revocation pass only sends it to the unexplained
    # test, whose pooled conviction leaves a circle rating as the model predicts alone);
    # the two are different groups.
    assert not np.isin(after.group[list(circle)], members[0]).any()


def test_cell_seeds_leave_unproven_passes_and_honest_communities_alone() -> None:
    (note, rater, level), n, _, _, _ = _small_aged()
    # Honest raters only: nothing but the circle groups.
    honest = rater < 505
    found = find_co_rating_groups(note[honest], rater[honest], level[honest], n, CoRatingConfig())
    assert not (found.group[:480] >= 0).any()
    # With an establishment mask (the unproven pass) step 3b does not run: an established
    # brigade is for the revocation pass, honest newcomers are never seeded from cells.
    established = np.ones(n, dtype=np.bool_)
    with_mask = find_co_rating_groups(
        note, rater, level, n, CoRatingConfig(), established=established
    )
    assert (with_mask.group == -1).all() and not with_mask.flagged.any()
