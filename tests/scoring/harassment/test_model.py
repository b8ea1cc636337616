"""fit_harassment_model: hand-checked cases, skips, properties, and the rater penalty."""

from __future__ import annotations

import numpy as np
import pytest

from bridgewatch.errors import InputError
from bridgewatch.scoring.harassment import (
    HarassmentConfig,
    HarassmentResult,
    fit_harassment_model,
    rater_harassment_penalties,
)
from tests.scoring.harassment.conftest import Toy, make_toy

CFG = HarassmentConfig()


def _fit(toy: Toy, order: np.ndarray | None = None) -> HarassmentResult:
    idx = np.arange(toy.labels.shape[0]) if order is None else order
    return fit_harassment_model(
        toy.note_idx[idx],
        toy.rater_idx[idx],
        toy.labels[idx],
        n_notes=toy.n_notes,
        n_raters=toy.n_raters,
        init_rater_factors=toy.rater_factors,
        init_note_factors=toy.note_factors,
        config=CFG,
    )


def test_note_everyone_tags_as_abuse_gets_the_largest_intercept() -> None:
    # 12 raters x 6 notes, all rated; note 0 is tagged abusive by everyone, note 1 by one rater
    note, rater = (a.ravel().astype(np.int32) for a in np.meshgrid(np.arange(6), np.arange(12)))
    labels = ((note == 0) | ((note == 1) & (rater == 0))).astype(np.float64)
    res = fit_harassment_model(
        note, rater, labels, n_notes=6, n_raters=12,
        init_rater_factors=np.zeros(12), init_note_factors=np.zeros(6), config=CFG,
    )  # fmt: skip
    assert res.converged and res.skip_reason is None
    assert res.note_intercepts[0] > 2.0  # would penalise its helpful raters
    assert res.note_intercepts[0] == np.max(res.note_intercepts)
    assert res.note_intercepts[1] > res.note_intercepts[2]
    # notes 2..5 are exchangeable: identical intercepts
    np.testing.assert_allclose(res.note_intercepts[2:], res.note_intercepts[2], atol=1e-9)
    assert res.pos_weight == pytest.approx((1 - 13 / 72) / (13 / 72))


def test_perfectly_separable_toy_stays_finite() -> None:
    note = np.repeat(np.arange(4, dtype=np.int32), 5)
    rater = np.tile(np.arange(5, dtype=np.int32), 4)
    labels = (note < 2).astype(np.float64)
    res = fit_harassment_model(
        note, rater, labels, n_notes=4, n_raters=5,
        init_rater_factors=None, init_note_factors=None, config=CFG,
        rng=np.random.default_rng(0),
    )  # fmt: skip
    assert np.all(np.isfinite(res.note_intercepts))
    assert res.note_intercepts[:2].min() > res.note_intercepts[2:].max()


@pytest.mark.parametrize(
    ("labels", "reason"), [([0.0] * 3, "positive rate is 0.0"), ([1.0] * 3, "positive rate is 1.0")]
)
def test_degenerate_positive_rate_skips_the_model(labels: list[float], reason: str) -> None:
    idx = np.arange(3, dtype=np.int32)
    res = fit_harassment_model(
        idx, idx, np.array(labels), n_notes=3, n_raters=3,
        init_rater_factors=None, init_note_factors=None, config=CFG,
    )  # fmt: skip
    assert res.skipped and res.skip_reason == reason
    assert np.all(np.isnan(res.note_intercepts))


def test_no_data_skips_the_model() -> None:
    empty = np.zeros(0, dtype=np.int32)
    res = fit_harassment_model(
        empty, empty, np.zeros(0), n_notes=2, n_raters=2,
        init_rater_factors=None, init_note_factors=None, config=CFG,
    )  # fmt: skip
    assert res.skipped and np.isnan(res.positive_rate)


def test_notes_outside_the_fit_are_nan() -> None:
    toy = make_toy(1)
    keep = toy.note_idx != 3
    res = fit_harassment_model(
        toy.note_idx[keep], toy.rater_idx[keep], toy.labels[keep],
        n_notes=toy.n_notes, n_raters=toy.n_raters,
        init_rater_factors=toy.rater_factors, init_note_factors=toy.note_factors, config=CFG,
    )  # fmt: skip
    assert np.isnan(res.note_intercepts[3]) and np.isnan(res.note_factors[3])
    assert np.isfinite(np.delete(res.note_intercepts, 3)).all()


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_abusive_notes_rank_high_and_outputs_are_finite(seed: int) -> None:
    toy = make_toy(seed)
    res = _fit(toy)
    assert res.converged
    for arr in (res.note_intercepts, res.note_factors, res.rater_intercepts, res.rater_factors):
        assert np.isfinite(arr).all()
    assert res.note_intercepts[toy.abusive].mean() > res.note_intercepts[~toy.abusive].mean() + 0.3


@pytest.mark.parametrize("seed", [0, 5])
def test_sign_identification_leaves_most_raters_negative(seed: int) -> None:
    res = _fit(make_toy(seed))
    nonzero = res.rater_factors[res.rater_factors != 0]
    assert np.mean(nonzero < 0) >= 0.5


def test_same_input_gives_bit_identical_results() -> None:
    toy = make_toy(7)
    a, b = _fit(toy), _fit(toy)
    assert a.note_intercepts.tobytes() == b.note_intercepts.tobytes()
    assert a.rater_factors.tobytes() == b.rater_factors.tobytes()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_shuffling_rating_rows_changes_nothing(seed: int) -> None:
    toy = make_toy(11)
    order = np.random.default_rng(seed).permutation(toy.labels.shape[0])
    a, b = _fit(toy), _fit(toy, order)
    assert a.note_intercepts.tobytes() == b.note_intercepts.tobytes()
    assert a.rater_intercepts.tobytes() == b.rater_intercepts.tobytes()


def test_relabelling_notes_permutes_the_results() -> None:
    toy = make_toy(4)
    perm = np.random.default_rng(0).permutation(toy.n_notes)  # old note k -> new perm[k]
    inv_factors = np.empty_like(toy.note_factors)
    inv_factors[perm] = toy.note_factors
    relabelled = fit_harassment_model(
        perm[toy.note_idx].astype(np.int32), toy.rater_idx, toy.labels,
        n_notes=toy.n_notes, n_raters=toy.n_raters,
        init_rater_factors=toy.rater_factors, init_note_factors=inv_factors, config=CFG,
    )  # fmt: skip
    base = _fit(toy)
    np.testing.assert_allclose(relabelled.note_intercepts[perm], base.note_intercepts, atol=1e-7)
    np.testing.assert_allclose(relabelled.rater_factors, base.rater_factors, atol=1e-7)


def test_bad_inputs_raise_input_error() -> None:
    idx = np.array([0, 1], dtype=np.int32)
    with pytest.raises(InputError, match="note_idx"):
        fit_harassment_model(
            idx, idx, np.array([0.0, 1.0]), n_notes=1, n_raters=2,
            init_rater_factors=None, init_note_factors=None, config=CFG,
        )  # fmt: skip
    with pytest.raises(InputError, match="labels"):
        fit_harassment_model(
            idx, idx, np.array([0.0, 0.5]), n_notes=2, n_raters=2,
            init_rater_factors=None, init_note_factors=None, config=CFG,
        )  # fmt: skip
    with pytest.raises(InputError, match="init_note_factors"):
        fit_harassment_model(
            idx, idx, np.array([0.0, 1.0]), n_notes=2, n_raters=2,
            init_rater_factors=np.zeros(2), init_note_factors=None, config=CFG,
        )  # fmt: skip


def test_penalty_is_five_times_the_intercept_per_helpful_rating() -> None:
    note = np.array([0, 0, 1, 1, 2], dtype=np.int32)
    rater = np.array([0, 1, 0, 1, 1], dtype=np.int32)
    helpful = np.array([1.0, 0.5, 1.0, 1.0, 1.0])
    intercepts = np.array([3.0, 1.99, np.nan])
    pen = rater_harassment_penalties(note, rater, helpful, intercepts, n_raters=3, config=CFG)
    # rater 0: helpful on note 0 (h = 3) -> 15; rater 1: somewhat on note 0 -> 0; h < 2 and NaN -> 0
    assert pen.tolist() == [15.0, 0.0, 0.0]
