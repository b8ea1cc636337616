"""The numba Adam round of the reputation MF against a numpy Adam on the numpy gradient,
and that gradient against finite differences."""

from __future__ import annotations

import itertools
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from numpy.typing import NDArray

from bridgewatch.scoring.reputation_mf.kernels import (
    GROUPS,
    AdamSettings,
    ReputationParams,
    adam_round,
    loss_and_grad_reference,
    rater_chunks,
    tiled_order,
)

B1, B2, EPS, LR = 0.9, 0.999, 1e-8, 0.2


def _toy(seed: int = 0) -> tuple[NDArray[np.int32], NDArray[np.int32], NDArray[np.float64]]:
    rng = np.random.default_rng(seed)
    pairs = np.sort(rng.choice(12 * 9, size=70, replace=False))  # rater-major order
    rater_c = (pairs // 12).astype(np.int32)
    note_c = (pairs % 12).astype(np.int32)
    y = rng.choice([0.0, 0.5, 1.0], size=70)
    return note_c, rater_c, y


def _params(seed: int = 1) -> ReputationParams:
    rng = np.random.default_rng(seed)
    return ReputationParams(
        rng.standard_normal(12),
        rng.standard_normal(12),
        rng.standard_normal(9),
        rng.standard_normal(9),
        1.0 + 0.1 * rng.standard_normal(9),
        np.array([0.1]),
    )


def _copy(p: ReputationParams) -> ReputationParams:
    return ReputationParams(*(getattr(p, g).copy() for g in GROUPS))


REG = np.array([0.01 / 12, 0.005 / 12, 0.01 / 9, 0.01 / 9, 0.01 / 9, 0.0])


def test_reference_gradient_matches_finite_differences() -> None:
    note_c, rater_c, y = _toy()
    w = np.asarray(np.random.default_rng(2).uniform(0.2, 1.5, y.shape[0]), dtype=np.float64)
    p = _params()
    _, grads = loss_and_grad_reference(note_c, rater_c, y, w, p, REG)
    h = 1e-6
    for name in GROUPS:
        values = getattr(p, name)
        for i in range(values.shape[0]):
            old = values[i]
            values[i] = old + h
            up, _ = loss_and_grad_reference(note_c, rater_c, y, w, p, REG)
            values[i] = old - h
            down, _ = loss_and_grad_reference(note_c, rater_c, y, w, p, REG)
            values[i] = old
            assert grads[name][i] == pytest.approx((up - down) / (2 * h), abs=1e-7), name


def _numpy_round(
    note_c: NDArray[np.int32],
    rater_c: NDArray[np.int32],
    y: NDArray[np.float64],
    w: NDArray[np.float64],
    p: ReputationParams,
    trainable: tuple[str, ...],
    epochs: int,
) -> None:
    m = {g: np.zeros_like(getattr(p, g)) for g in trainable}
    v = {g: np.zeros_like(getattr(p, g)) for g in trainable}
    for step in range(1, epochs + 1):
        _, grads = loss_and_grad_reference(note_c, rater_c, y, w, p, REG)
        for g in trainable:
            m[g] = B1 * m[g] + (1 - B1) * grads[g]
            v[g] = B2 * v[g] + (1 - B2) * grads[g] ** 2
            denom = np.sqrt(v[g]) / np.sqrt(1 - B2**step) + EPS
            getattr(p, g)[:] -= LR / (1 - B1**step) * m[g] / denom


@pytest.mark.parametrize(
    "trainable",
    [
        (
            "note_factors",
            "note_intercepts",
            "rater_factors",
            "rater_intercepts",
            "global_intercept",
        ),
        ("note_factors", "rater_factors", "rater_intercepts", "rater_reputations"),
        ("note_intercepts",),
    ],
)
def test_numba_round_equals_numpy_adam(trainable: tuple[str, ...]) -> None:
    note_c, rater_c, y = _toy()
    w = np.asarray(np.random.default_rng(3).uniform(0.2, 1.5, y.shape[0]), dtype=np.float64)
    fast, slow = _params(), _params()
    flags = np.array([g in trainable for g in GROUPS], dtype=np.bool_)
    adam = AdamSettings(LR, B1, B2, EPS, max_epochs=24, period=1000, convergence=0.0)
    steps, _, converged = adam_round(note_c, rater_c, y, w, fast, flags, 2.0 * REG, REG, adam)
    assert steps == 25 and not converged
    _numpy_round(note_c, rater_c, y, w, slow, trainable, 25)
    for g in GROUPS:
        np.testing.assert_allclose(getattr(fast, g), getattr(slow, g), atol=1e-10, err_msg=g)
    before = _params()
    for g in GROUPS:
        moved = not np.array_equal(getattr(fast, g), getattr(before, g))
        assert moved == (g in trainable), g


def test_round_lowers_the_loss_and_stops_on_convergence() -> None:
    note_c, rater_c, y = _toy()
    w = np.ones(y.shape[0])
    p = _params()
    start, _ = loss_and_grad_reference(note_c, rater_c, y, w, p, REG)
    flags = np.ones(6, dtype=np.bool_)
    adam = AdamSettings(LR, B1, B2, EPS, max_epochs=300, period=10, convergence=1e-3)
    steps, loss, converged = adam_round(note_c, rater_c, y, w, p, flags, 2.0 * REG, REG, adam)
    end, _ = loss_and_grad_reference(note_c, rater_c, y, w, p, REG)
    assert end < 0.2 * start
    assert converged and steps < 301 and steps % 10 == 0
    assert loss == pytest.approx(end, rel=0.05)


def _random_params(n_notes: int, n_raters: int, seed: int) -> ReputationParams:
    g = np.random.default_rng(seed)
    return ReputationParams(
        g.standard_normal(n_notes), g.standard_normal(n_notes), g.standard_normal(n_raters),
        g.standard_normal(n_raters), np.ones(n_raters), np.zeros(1),
    )  # fmt: skip


def test_chunks_never_split_a_rater_and_threads_change_no_bit() -> None:
    rng = np.random.default_rng(4)
    drawn = np.sort(rng.integers(0, 300, 5000))
    rater_c = np.unique(drawn, return_inverse=True)[1].astype(np.int32)  # compact, sorted
    note_c = rng.integers(0, 200, 5000).astype(np.int32)
    y = rng.choice([0.0, 0.5, 1.0], 5000)
    w = np.ones(5000)
    chunks = rater_chunks(rater_c, 3)
    assert chunks[0][0] == 0 and chunks[-1][1] == 5000
    for (_, hi), (lo, _) in itertools.pairwise(chunks):
        assert hi == lo and (lo in (0, 5000) or rater_c[lo] != rater_c[lo - 1])
    n_raters = int(rater_c.max()) + 1
    reg = np.array([0.01 / 200, 0.005 / 200, 0.01 / n_raters, 0.01 / n_raters, 0.0, 0.0])
    adam = AdamSettings(LR, B1, B2, EPS, max_epochs=40, period=10, convergence=0.0)
    flags = np.array([True, True, True, True, True, True])
    serial, threaded = _random_params(200, n_raters, 5), _random_params(200, n_raters, 5)
    adam_round(note_c, rater_c, y, w, serial, flags, 2.0 * reg, reg, adam)
    with ThreadPoolExecutor(max_workers=2) as pool:
        adam_round(note_c, rater_c, y, w, threaded, flags, 2.0 * reg, reg, adam, pool)
    for g in GROUPS:
        np.testing.assert_array_equal(getattr(serial, g), getattr(threaded, g), err_msg=g)


@pytest.mark.parametrize("tile_raters", [1, 7, 64, 10_000])
def test_the_tiled_order_keeps_each_rater_in_its_chunk_and_changes_only_rounding(
    tile_raters: int,
) -> None:
    rng = np.random.default_rng(6)
    pairs = np.unique(rng.integers(0, 300 * 200, 6000))  # (rater, note)-sorted, no repeats
    rater_c = np.unique(pairs // 200, return_inverse=True)[1].astype(np.int32)
    note_c = (pairs % 200).astype(np.int32)
    m, n_raters = pairs.shape[0], int(rater_c.max()) + 1
    y = rng.choice([0.0, 0.5, 1.0], m)
    w = np.asarray(rng.uniform(0.2, 1.5, m), dtype=np.float64)
    order, chunks = tiled_order(note_c, rater_c, tile_raters)
    assert np.array_equal(np.sort(order), np.arange(m))  # a permutation
    tiled_note, tiled_rater = note_c[order], rater_c[order]
    plain = rater_chunks(rater_c)
    assert [(lo, hi) for lo, hi, _, _ in chunks] == plain
    for lo, hi, u0, u1 in chunks:
        if hi > lo:  # the chunk holds exactly its raters' ratings
            assert tiled_rater[lo:hi].min() == u0 and tiled_rater[lo:hi].max() == u1 - 1
            assert np.array_equal(np.sort(tiled_rater[lo:hi]), rater_c[lo:hi])
    # Inside a tile the notes ascend: at most one descent per tile boundary.
    descents = int((np.diff(tiled_note.astype(np.int64)) < 0).sum())
    assert descents <= -(-n_raters // tile_raters) + len(chunks)

    reg = np.array([0.01 / 200, 0.005 / 200, 0.01 / n_raters, 0.01 / n_raters, 0.0, 0.0])
    adam = AdamSettings(LR, B1, B2, EPS, max_epochs=40, period=10, convergence=0.0)
    flags = np.ones(6, dtype=np.bool_)
    a, b = _random_params(200, n_raters, 7), _random_params(200, n_raters, 7)
    adam_round(note_c, rater_c, y, w, a, flags, 2.0 * reg, reg, adam)
    adam_round(
        tiled_note, tiled_rater, y[order], w[order], b, flags, 2.0 * reg, reg, adam,
        chunks=chunks,
    )  # fmt: skip
    for g in GROUPS:
        np.testing.assert_allclose(getattr(a, g), getattr(b, g), rtol=0, atol=1e-9, err_msg=g)
