"""Unexplained ratings: a planted pool of new accounts deviating on its targets is flagged;
honest newcomers and an established niche circle are left alone."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.typing import NDArray

from bridgewatch.errors import ConfigError
from bridgewatch.scoring.manipulation import UnexplainedConfig, find_unexplained_ratings

MU = 0.1


def _community(
    seed: int, noise: float = 0.15
) -> tuple[
    list[tuple[int, int, float]], NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]
]:
    """300 established raters in two camps (factor +-1) rate 60 notes by the model
    ``y = MU + i_n + f_u f_n`` plus noise, clipped to the levels; 60 honest newcomers
    (300-359) rate 3 notes each the same way."""
    rng = np.random.default_rng(seed)
    n_est, n_new, n_notes = 300, 60, 60
    f_u = np.r_[rng.choice([-1.0, 1.0], n_est), rng.choice([-1.0, 1.0], n_new)]
    i_u = rng.normal(0, 0.05, n_est + n_new)
    i_n = rng.uniform(-0.1, 0.7, n_notes)
    f_n = rng.uniform(-0.3, 0.3, n_notes)
    rows = []
    for u in range(n_est + n_new):
        k = 20 if u < n_est else 3
        for n in rng.choice(n_notes, size=k, replace=False):
            y = MU + i_u[u] + i_n[n] + f_u[u] * f_n[n] + rng.normal(0, noise)
            rows.append((int(n), u, float(np.clip(np.round(y * 2) / 2, 0, 1))))
    return rows, i_u, f_u, i_n


def _run(
    rows: list[tuple[int, int, float]],
    i_u: NDArray[np.float64],
    f_u: NDArray[np.float64],
    established: NDArray[np.bool_],
) -> tuple[object, NDArray[np.int64], NDArray[np.int64]]:
    a = np.array(rows)
    note, rater = a[:, 0].astype(np.int64), a[:, 1].astype(np.int64)
    found = find_unexplained_ratings(
        note, rater, a[:, 2], i_u, f_u, MU, established, 60, UnexplainedConfig()
    )
    return found, note, rater


def test_pool_deviating_on_its_targets_is_flagged_and_newcomers_are_not() -> None:
    rows, i_u, f_u, i_n = _community(1)
    # A pool of 40 new accounts with camp-like factors: each good target (the 4 notes with
    # the highest intercept) is rated NOT_HELPFUL by a fresh 12 of them.
    rng = np.random.default_rng(2)
    pool = np.arange(360, 400)
    i_u = np.r_[i_u, np.zeros(40)]
    f_u = np.r_[f_u, rng.choice([-1.0, 1.0], 40)]
    targets = np.argsort(i_n)[-4:]
    attack = set()
    for t in targets:
        for m in rng.choice(pool, size=12, replace=False):
            attack.add((int(t), int(m)))
    rows = [r for r in rows if (r[0], r[1]) not in attack] + [(t, m, 0.0) for t, m in attack]
    established = np.r_[np.ones(300, np.bool_), np.zeros(100, np.bool_)]
    found, note, rater = _run(rows, i_u, f_u, established)
    is_attack = np.array([(int(n), int(u)) in attack for n, u in zip(note, rater, strict=True)])
    flagged = found.flagged  # type: ignore[attr-defined]
    assert flagged[is_attack].all()
    assert set(np.flatnonzero(found.targeted)) == set(targets.tolist())  # type: ignore[attr-defined]
    # The targets are scored by their established raters and the unproven verdicts that pull
    # against the attack: every other unproven rating on them goes, nothing elsewhere.
    y = np.array(rows)[:, 2]
    on_targets = ~established[rater] & np.isin(note, targets)
    np.testing.assert_array_equal(flagged, on_targets & (y < 1.0))
    assert (on_targets & (y == 1.0)).sum() >= 3  # honest newcomers' HELPFUL verdicts stay
    everything = find_unexplained_ratings(
        note, rater, y, i_u, f_u, MU, established, 60, UnexplainedConfig(keep_opposing=False)
    )
    np.testing.assert_array_equal(everything.flagged, on_targets)
    # Only the large deviations: the attack's ratings alone.
    narrow = find_unexplained_ratings(
        note,
        rater,
        np.array(rows)[:, 2],
        i_u,
        f_u,
        MU,
        established,
        60,
        UnexplainedConfig(whole_note=False),
    )
    assert narrow.flagged[is_attack].mean() > 0.9
    # Newcomers' intercepts are shrunk towards the population (3 ratings each), so a few
    # honest newcomers whose verdict sits near the cut cross it.
    assert narrow.flagged[~is_attack].sum() <= 3


def test_honest_community_and_established_circle_are_left_alone() -> None:
    rows, i_u, f_u, _ = _community(3)
    # An established circle (raters 0-29) all rating notes 50-59 HELPFUL by their camp.
    rows = [r for r in rows if not (r[1] < 30 and r[0] >= 50)]
    rows += [(n, u, 1.0) for u in range(30) for n in range(50, 60)]
    established = np.r_[np.ones(300, np.bool_), np.zeros(60, np.bool_)]
    found, _, _ = _run(rows, i_u, f_u, established)
    assert not found.flagged.any()  # type: ignore[attr-defined]
    # Every rater unproven but none established: nothing to refit against, nothing flagged.
    found, _, _ = _run(rows, i_u, f_u, np.zeros(360, np.bool_))
    assert not found.flagged.any()  # type: ignore[attr-defined]


def test_checks() -> None:
    with pytest.raises(ConfigError, match="min_ratings"):
        UnexplainedConfig(min_ratings=0)
    with pytest.raises(ConfigError, match="factor_prior"):
        UnexplainedConfig(factor_prior=0.0)
    with pytest.raises(ConfigError, match="convict_min_notes"):
        UnexplainedConfig(convict_min_notes=0)
    with pytest.raises(ConfigError, match="rerun_min_share"):
        UnexplainedConfig(rerun_min_share=-0.1)
    with pytest.raises(ConfigError, match="convict_share"):
        UnexplainedConfig(convict_share=1.5)
    one = np.zeros(1, np.int64)
    with pytest.raises(ConfigError, match="rater_factor"):
        find_unexplained_ratings(
            one,
            one,
            np.ones(1),
            np.zeros(2),
            np.zeros(3),
            0.0,
            np.ones(2, np.bool_),
            1,
            UnexplainedConfig(),
        )


def test_skewed_honest_note_is_left_alone_and_a_brigade_of_its_size_is_not() -> None:
    """Issue 15: at 1M ratings an honest bad note (3 of 43 established raters called it
    helpful) was flagged because 7 of its 17 honest newcomers did (here 4 and 6): the
    established residuals alone understated the spread of 0/1 verdicts. The same number of accounts
    all calling such a note helpful is still flagged."""
    rows, i_u, f_u, _ = _community(5)
    rows = [r for r in rows if r[0] not in (0, 1)]
    i_u = np.r_[i_u, np.zeros(17)]
    f_u = np.r_[f_u, np.zeros(17)]
    for note, first in ((0, 0), (1, 43)):
        rows += [(note, u, 1.0 if u - first < 4 else 0.0) for u in range(first, first + 43)]
    newcomers = [1.0] * 6 + [0.5] * 2 + [0.0] * 9
    rows += [(0, 300 + j, v) for j, v in enumerate(newcomers)]
    rows += [(1, 360 + j, 1.0) for j in range(17)]
    established = np.r_[np.ones(300, np.bool_), np.zeros(77, np.bool_)]
    a = np.array(rows)
    found = find_unexplained_ratings(
        a[:, 0].astype(np.int64),
        a[:, 1].astype(np.int64),
        a[:, 2],
        i_u,
        f_u,
        MU,
        established,
        60,
        UnexplainedConfig(),
    )
    assert np.flatnonzero(found.targeted).tolist() == [1]


def test_intercept_multipliers_of_the_reputation_model_are_honoured() -> None:
    """Under ``y = MU + i_u + w_u i_n + f_u f_n`` (the Reputation scorer's ``ρ_u``) honest
    newcomers of high multiplier are explained (a model with ``w_u = 1`` would call them
    too lenient on good notes) and a pool is not."""
    rng = np.random.default_rng(11)
    n_est, n_new, n_pool, n_notes = 300, 60, 40, 60
    n = n_est + n_new + n_pool
    f_u = rng.choice([-1.0, 1.0], n)
    i_u = rng.normal(0, 0.05, n)
    w_u = np.where((rng.random(n) < 0.5) & (np.arange(n) < n_est), 0.3, 1.7)
    i_n = rng.uniform(-0.1, 0.6, n_notes)
    f_n = rng.uniform(-0.2, 0.2, n_notes)
    rows = []
    for u in range(n_est + n_new):
        for note in rng.choice(n_notes, size=20 if u < n_est else 8, replace=False):
            y = MU + i_u[u] + w_u[u] * i_n[note] + f_u[u] * f_n[note] + rng.normal(0, 0.1)
            rows.append((int(note), u, float(np.clip(np.round(y * 2) / 2, 0, 1))))
    targets = np.argsort(i_n)[:3]  # the worst notes, rated HELPFUL by 12 pool accounts each
    for t in targets:
        rows += [(int(t), int(m), 1.0) for m in rng.choice(np.arange(360, n), 12, replace=False)]
    a = np.array(rows)
    note, rater = a[:, 0].astype(np.int64), a[:, 1].astype(np.int64)
    established = np.arange(n) < n_est
    found = find_unexplained_ratings(
        note,
        rater,
        a[:, 2],
        i_u,
        f_u,
        MU,
        established,
        n_notes,
        UnexplainedConfig(),
        rater_weight=w_u,
    )
    assert set(np.flatnonzero(found.targeted)) == set(targets.tolist())
    assert set(note[found.flagged].tolist()) == set(targets.tolist())
    assert not found.flagged[established[rater]].any()


def test_a_pool_whose_intercepts_are_its_attack_is_still_flagged() -> None:
    """Accounts that only ever call good notes unhelpful get harsh intercepts from
    prescoring, which explain the attack; shrunk by empirical Bayes (their few ratings
    show little leniency), the attack is unexplained again."""
    rows, i_u, f_u, i_n = _community(9)
    pool = np.arange(360, 390)
    targets = np.argsort(i_n)[-5:]
    rows += [(int(t), int(m), 0.0) for t in targets for m in pool]
    i_u = np.r_[i_u, np.full(30, -0.6)]  # what a fit on the attack alone learns
    f_u = np.r_[f_u, np.zeros(30)]
    established = np.r_[np.ones(300, np.bool_), np.zeros(90, np.bool_)]
    a = np.array(rows)

    def run(config: UnexplainedConfig) -> set[int]:
        found = find_unexplained_ratings(
            a[:, 0].astype(np.int64),
            a[:, 1].astype(np.int64),
            a[:, 2],
            i_u,
            f_u,
            MU,
            established,
            60,
            config,
        )
        return set(np.flatnonzero(found.targeted).tolist())

    assert run(UnexplainedConfig()) == set(targets.tolist())
    assert run(UnexplainedConfig(shrink_unproven=False)) == set()


def _clear_cut_note(newcomers: list[float], seed: int = 7) -> tuple[object, object]:
    """Note 0 of ``_community`` (noise 0.3: a residual spread of 0.28, as in the 1M
    community's group-1 view): 20 established raters, 19 of them calling it HELPFUL, and
    the given verdicts of as many new accounts (raters 360...). Returns the test's result
    under the floored (default) and the pooled variance."""
    rows, i_u, f_u, _ = _community(seed, noise=0.3)
    rows = [r for r in rows if r[0] != 0]
    rows += [(0, u, 1.0 if u < 19 else 0.0) for u in range(20)]
    k = len(newcomers)
    rows += [(0, 360 + j, v) for j, v in enumerate(newcomers)]
    i_u = np.r_[i_u, np.zeros(k)]
    f_u = np.r_[f_u, np.zeros(k)]
    established = np.r_[np.ones(300, np.bool_), np.zeros(60 + k, np.bool_)]
    a = np.array(rows)
    args = (a[:, 0].astype(np.int64), a[:, 1].astype(np.int64), a[:, 2], i_u, f_u, MU)
    floor = find_unexplained_ratings(*args, established, 60, UnexplainedConfig())
    pooled = find_unexplained_ratings(*args, established, 60, UnexplainedConfig(variance="pooled"))
    return floor, pooled


def test_a_few_newcomers_splitting_on_a_clear_cut_note_are_left_alone() -> None:
    """Issue 15, 1M ratings without attack (group-1 view): 4 of 5 honest newcomers called a
    good note NOT HELPFUL that 19 of 20 established raters call helpful. The pooled variance
    is the established raters' near-unanimity and flagged them; with the floor their own
    spread carries their mean's uncertainty."""
    floor, pooled = _clear_cut_note([0.0, 0.0, 0.0, 0.0, 1.0])
    assert pooled.targeted[0]  # type: ignore[attr-defined]
    assert not floor.targeted[0]  # type: ignore[attr-defined]
    assert not floor.flagged.any()  # type: ignore[attr-defined]


@pytest.mark.parametrize("k", [6, 8])
def test_a_small_brigade_on_a_clear_cut_note_is_still_caught(k: int) -> None:
    """The same note under k accounts that all call it NOT HELPFUL: little spread of their
    own, so the floored statistic still catches them (the smallest benchmarked brigade is
    8)."""
    floor, _ = _clear_cut_note([0.0] * k)
    assert floor.targeted[0]  # type: ignore[attr-defined]
    assert floor.flagged_raters.tolist() == list(range(360, 360 + k))  # type: ignore[attr-defined]


def test_newcomers_are_shrunk_towards_the_established_mean_intercept() -> None:
    """Issue 15, 1M ratings without attack (Expansion views): rater intercepts average about
    +0.15, and shrinking newcomers' intercepts towards 0 lowered every newcomer's prediction,
    so 29 honest newcomers on a bad note looked too positive and 17 of their ratings were
    flagged. Here every rater, established or new, has intercept 0.3 and rates by the same
    model: nothing is flagged. A pool calling a bad note HELPFUL is."""
    rng = np.random.default_rng(13)
    n_est, n_new, n_notes = 300, 200, 60
    n = n_est + n_new
    f_u = rng.choice([-1.0, 1.0], n)
    i_u = np.full(n, 0.3) + rng.normal(0, 0.02, n)
    i_n = rng.uniform(-0.6, 0.3, n_notes)
    f_n = rng.uniform(-0.2, 0.2, n_notes)
    rows = []
    for u in range(n):
        k = 20 if u < n_est else 6
        for note in rng.choice(n_notes, size=k, replace=False):
            y = MU + i_u[u] + i_n[note] + f_u[u] * f_n[note] + rng.normal(0, 0.2)
            rows.append((int(note), u, float(np.clip(np.round(y * 2) / 2, 0, 1))))
    established = np.arange(n) < n_est
    a = np.array(rows)
    note, rater = a[:, 0].astype(np.int64), a[:, 1].astype(np.int64)
    found = find_unexplained_ratings(
        note, rater, a[:, 2], i_u, f_u, MU, established, n_notes, UnexplainedConfig()
    )
    assert not found.flagged.any()
    worst = int(np.argmin(i_n))
    pool = [(worst, u, 1.0) for u in range(n, n + 12)]
    b = np.array(rows + pool)
    attacked = find_unexplained_ratings(
        b[:, 0].astype(np.int64),
        b[:, 1].astype(np.int64),
        b[:, 2],
        np.r_[i_u, np.zeros(12)],
        np.r_[f_u, np.zeros(12)],
        MU,
        np.r_[established, np.zeros(12, np.bool_)],
        n_notes,
        UnexplainedConfig(),
    )
    assert np.flatnonzero(attacked.targeted).tolist() == [worst]
    assert set(range(n, n + 12)) <= set(attacked.flagged_raters.tolist())


def test_variance_choice_is_checked() -> None:
    with pytest.raises(ConfigError, match="variance"):
        UnexplainedConfig(variance="wald")


def _one_sided_niche_note(extra: list[tuple[float, float]], scaled: bool) -> tuple[bool, float]:
    """300 established raters with small factors (+-0.4, as the model learns them) rate
    notes 1-59; note 0 is a niche note slanted towards camp +: 7 established raters of
    camp - call it NOT HELPFUL, 2 of camp + HELPFUL, then the ``extra`` (factor, verdict)
    ratings of new accounts. Returns (note 0 targeted, its unproven mean residual)."""
    rng = np.random.default_rng(3)
    n_est, n_notes = 300, 60
    f_u = rng.choice([-0.4, 0.4], n_est)
    i_u = rng.normal(0, 0.05, n_est)
    i_n = rng.uniform(-0.1, 0.6, n_notes)
    f_n = rng.uniform(-0.5, 0.5, n_notes)
    rows = []
    for u in range(n_est):
        for n in rng.choice(np.arange(1, n_notes), size=20, replace=False):
            y = MU + i_u[u] + i_n[n] + f_u[u] * f_n[n] + rng.normal(0, 0.2)
            rows.append((int(n), u, float(np.clip(np.round(y * 2) / 2, 0, 1))))
    rows += [(0, int(u), 0.0) for u in np.flatnonzero(f_u < 0)[:7]]
    rows += [(0, int(u), 1.0) for u in np.flatnonzero(f_u > 0)[:2]]
    rows += [(0, n_est + j, v) for j, (_, v) in enumerate(extra)]
    k = len(extra)
    a = np.array(rows)
    found = find_unexplained_ratings(
        a[:, 0].astype(np.int64),
        a[:, 1].astype(np.int64),
        a[:, 2],
        np.r_[i_u, np.zeros(k)],
        np.r_[f_u, [f for f, _ in extra]],
        MU,
        np.r_[np.ones(n_est, np.bool_), np.zeros(k, np.bool_)],
        n_notes,
        UnexplainedConfig(scaled_factor_prior=scaled),
    )
    return bool(found.targeted[0]), float(found.note_shift[0])


def test_a_one_camp_circle_on_its_one_sided_niche_note_is_explained() -> None:
    """Issue 15, round five: in the Expansion views of the bench's community without attack
    a revoked one-camp circle was flagged on its one-sided niche note, which only 9
    established raters had rated. A factor pseudo-rating at factor 1 weighed like 5-10 real
    ratings at the model's factor scale and shrank the note's factor towards 0; at the
    established raters' mean squared factor the refit keeps the slant and the circle's
    HELPFUL verdicts are what the model predicts for its camp. Accounts of the other camp
    calling the note HELPFUL are still caught."""
    circle = [(0.4, 1.0)] * 25
    assert _one_sided_niche_note(circle, scaled=False)[0]
    assert not _one_sided_niche_note(circle, scaled=True)[0]
    targeted, shift = _one_sided_niche_note([(-0.4, 1.0)] * 12, scaled=True)
    assert targeted and shift > 0.5


def test_pooled_statistic_is_against_the_established_raters_own_residual() -> None:
    """Note 0: 3 established and 10 unproven raters all call it helpful; the ridge refit
    shrinks its intercept to 3/4, so every residual is +1/4 (the unproven shift is +1/4)
    but nothing sets the unproven raters apart: ``note_z`` 0. Note 1: the established
    raters call it not helpful and the unproven ones helpful: ``note_z`` far above 0."""
    rows = [(0, u, 1.0) for u in range(13)] + [(1, u, 0.0 if u < 3 else 1.0) for u in range(13)]
    note, rater, value = (np.asarray(c) for c in zip(*rows, strict=True))
    established = np.arange(13) < 3
    zeros = np.zeros(13)
    found = find_unexplained_ratings(
        note, rater, value, zeros, zeros, 0.0, established, 2, UnexplainedConfig()
    )
    np.testing.assert_allclose(found.note_shift[0], 0.25)
    assert found.note_z.shape == (2,)
    assert abs(found.note_z[0]) < 1e-9
    assert found.note_z[1] > 4.0
