"""The reputation MF's prescoring and final fits on planted data (multimodel §7)."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pytest
from numpy.typing import NDArray

from bridgewatch.errors import ConfigError, InputError
from bridgewatch.scoring.reputation_mf import (
    ReputationMFConfig,
    ReputationState,
    fit_reputation_final,
    fit_reputation_prescoring,
    rating_weights,
)

CFG = ReputationMFConfig()


@dataclass(frozen=True)
class Planted:
    note_idx: NDArray[np.int32]
    rater_idx: NDArray[np.int32]
    y: NDArray[np.float64]
    helpfulness: NDArray[np.float64]
    n_notes: int
    n_raters: int


def _planted(seed: int = 0) -> Planted:
    """Two rater camps; each note has a camp-independent helpfulness h_n and a slant s_n:
    P(helpful) = clip(0.5 + h_n + s_n·camp_u, 0, 1). Index 0 of notes and raters is unused."""
    rng = np.random.default_rng(seed)
    n_notes, n_raters = 61, 121
    h = rng.uniform(-0.4, 0.4, n_notes)
    s = rng.uniform(-0.3, 0.3, n_notes)
    camp = np.where(np.arange(n_raters) % 2 == 0, 1.0, -1.0)
    rows = [(n, u) for n in range(1, n_notes) for u in range(1, n_raters) if rng.random() < 0.3]
    note_idx = np.array([r[0] for r in rows], dtype=np.int32)
    rater_idx = np.array([r[1] for r in rows], dtype=np.int32)
    p = np.clip(0.5 + h[note_idx] + s[note_idx] * camp[rater_idx], 0.0, 1.0)
    y = np.where(rng.random(p.shape[0]) < p, 1.0, 0.0)
    y[rng.random(p.shape[0]) < 0.1] = 0.5
    return Planted(note_idx, rater_idx, y, h, n_notes, n_raters)


def _prescore(d: Planted, seed: int = 5, init: bool = False) -> ReputationState:
    rng = np.random.default_rng(seed)
    note_init = rater_init = None
    if init:
        note_init = np.full(d.n_notes, np.nan)
        note_init[1:4] = [0.5, -0.5, 0.2]
        rater_init = np.full(d.n_raters, np.nan)
        rater_init[1:5] = [0.3, -0.3, 0.3, -0.3]
    return fit_reputation_prescoring(
        d.note_idx,
        d.rater_idx,
        d.y,
        n_notes=d.n_notes,
        n_raters=d.n_raters,
        init_note_factors=note_init,
        init_rater_factors=rater_init,
        config=CFG,
        rng=rng,
    )


def test_final_intercepts_recover_the_planted_helpfulness() -> None:
    d = _planted()
    state = _prescore(d)
    final = fit_reputation_final(
        d.note_idx, d.rater_idx, d.y, n_notes=d.n_notes, n_raters=d.n_raters, state=state,
        config=CFG,
    )  # fmt: skip
    assert np.isnan(final.note_intercepts[0]) and np.isnan(final.rater_reputations[0])
    b = final.note_intercepts[1:]
    assert np.corrcoef(b, d.helpfulness[1:])[0, 1] > 0.9
    assert np.array_equal(final.crh[1:], b > CFG.crh_threshold)
    # ρ_u is frozen in final scoring: every rater keeps the prescoring reputation.
    np.testing.assert_array_equal(final.rater_reputations[1:], state.rater_reputations[1:])
    assert np.all(np.isfinite(state.rater_reputations[1:]))
    assert len(state.rounds) == 3 and len(final.rounds) == 2


def test_same_seed_same_bits_whatever_the_row_order() -> None:
    d = _planted()
    a = _prescore(d)
    order = np.random.default_rng(9).permutation(d.y.shape[0])
    shuffled = Planted(
        d.note_idx[order], d.rater_idx[order], d.y[order], d.helpfulness, d.n_notes, d.n_raters
    )
    b = _prescore(shuffled)
    for name in ("note_intercepts", "note_factors", "rater_reputations", "rater_intercepts"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
    c = _prescore(d, seed=6)
    assert not np.array_equal(a.note_intercepts, c.note_intercepts)


def test_stable_factors_seed_the_factors_and_missing_ones_start_at_zero() -> None:
    d = _planted()
    one = fit_reputation_prescoring(
        d.note_idx, d.rater_idx, d.y, n_notes=d.n_notes, n_raters=d.n_raters,
        init_note_factors=np.zeros(d.n_notes), init_rater_factors=np.zeros(d.n_raters),
        config=ReputationMFConfig(max_epochs=0), rng=np.random.default_rng(0),
    )  # fmt: skip
    # One step of Adam from f = 0 everywhere: the factor gradients are all zero, so the
    # factors stay 0 (the saddle the reference's missing-row default also starts from).
    assert np.all(one.note_factors[1:] == 0.0) and np.all(one.rater_factors[1:] == 0.0)
    seeded = _prescore(d, init=True)
    assert np.any(seeded.note_factors[4:] != 0.0)


def test_a_rater_missing_from_prescoring_gets_reputation_zero() -> None:
    d = _planted()
    state = _prescore(d)
    extra_rater = d.n_raters  # a new rater index beyond the prescoring data
    note_idx = np.concatenate([d.note_idx, np.arange(1, 11, dtype=np.int32)])
    rater_idx = np.concatenate([d.rater_idx, np.full(10, extra_rater, dtype=np.int32)])
    y = np.concatenate([d.y, np.ones(10)])
    grown = replace(
        state,
        rater_intercepts=np.append(state.rater_intercepts, np.nan),
        rater_factors=np.append(state.rater_factors, np.nan),
        rater_reputations=np.append(state.rater_reputations, np.nan),
        rater_intercepts_round2=np.append(state.rater_intercepts_round2, np.nan),
    )
    final = fit_reputation_final(
        note_idx, rater_idx, y, n_notes=d.n_notes, n_raters=d.n_raters + 1, state=grown,
        config=CFG,
    )  # fmt: skip
    assert final.rater_reputations[extra_rater] == 0.0


def test_rating_weights_follow_the_reference_order() -> None:
    y = np.array([1.0, 0.0, 0.5, 1.0])
    note_c = np.array([0, 0, 1, 1], dtype=np.int32)
    rater_c = np.array([0, 1, 1, 0], dtype=np.int32)
    rep = np.array([2.0, -1.0])
    w = rating_weights(
        y, note_c, rater_c, pos_weight=0.2, n_notes=2, n_raters=2, config=CFG,
        reputations=rep, note_norm_exponent=-0.5,
    )  # fmt: skip
    raw = np.array([0.2 * 2.0, 0.0, 0.0, 0.2 * 2.0])  # negative reputation clips to 0
    totals = np.array([0.4, 0.4]) + CFG.norm_epsilon
    np.testing.assert_allclose(w, raw * totals[note_c] ** -0.5)
    w1 = rating_weights(
        y, note_c, rater_c, pos_weight=0.2, n_notes=2, n_raters=2, config=CFG,
        rater_norm_exponent=-0.5,
    )  # fmt: skip
    base = np.array([0.2, 1.0, 1.0, 0.2])
    rater_totals = np.array([0.4, 2.0]) + CFG.norm_epsilon
    np.testing.assert_allclose(w1, base * rater_totals[rater_c] ** -0.5)


def test_bad_inputs_name_the_field() -> None:
    d = _planted()
    with pytest.raises(InputError, match="note_idx"):
        fit_reputation_prescoring(
            d.note_idx, d.rater_idx, d.y, n_notes=10, n_raters=d.n_raters,
            init_note_factors=None, init_rater_factors=None, config=CFG,
            rng=np.random.default_rng(0),
        )  # fmt: skip
    with pytest.raises(InputError, match="init_note_factors"):
        fit_reputation_prescoring(
            d.note_idx, d.rater_idx, d.y, n_notes=d.n_notes, n_raters=d.n_raters,
            init_note_factors=np.zeros(3), init_rater_factors=None, config=CFG,
            rng=np.random.default_rng(0),
        )  # fmt: skip
    with pytest.raises(ConfigError, match="learning_rate"):
        ReputationMFConfig(learning_rate=0.0)
