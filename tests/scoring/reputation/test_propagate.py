"""Trust propagation: hand-checked stationary vectors, convergence, planted brigades."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray

from bridgewatch.errors import ConfigError, ConvergenceWarning
from bridgewatch.scoring.reputation import (
    TrustConfig,
    propagate_trust,
    propagate_trust_reference,
)


def _run(
    raters: list[int],
    items: list[int],
    n_raters: int,
    n_items: int,
    seeds: list[float],
    config: TrustConfig | None = None,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    result = propagate_trust(
        np.array(raters, dtype=np.int64),
        np.array(items, dtype=np.int64),
        n_raters=n_raters,
        n_items=n_items,
        seed_weight=np.array(seeds, dtype=np.float64),
        config=config or TrustConfig(),
    )
    return result.trust, result.relative_trust


def test_two_raters_one_item_hand_checked() -> None:
    # P = [[.5, .5], [.5, .5]]; t = d P^T t + (1 - d) s with d = .5, s = e0:
    # t0 = .25 + .5 = .75, t1 = .25.
    trust, rel = _run([0, 1], [0, 0], 2, 1, [1.0, 0.0], TrustConfig(damping=0.5))
    np.testing.assert_allclose(trust, [0.75, 0.25], atol=1e-12)
    np.testing.assert_allclose(rel, [1.5, 0.5], atol=1e-12)


def test_path_graph_hand_checked() -> None:
    # Raters 0-1 share item 0, raters 1-2 share item 1. P rows: r0 -> (1/2, 1/2, 0),
    # r1 -> (1/4, 1/2, 1/4), r2 -> (0, 1/2, 1/2). With s = e0, d = 1/2 the fixed point
    # solves t = P^T t / 2 + e0 / 2: t = (17, 6, 1) / 24 (check by substitution).
    trust, _ = _run([0, 1, 1, 2], [0, 0, 1, 1], 3, 2, [1.0, 0.0, 0.0], TrustConfig(damping=0.5))
    p = np.array([[0.5, 0.5, 0.0], [0.25, 0.5, 0.25], [0.0, 0.5, 0.5]])
    expected = np.linalg.solve(np.eye(3) - 0.5 * p.T, 0.5 * np.array([1.0, 0.0, 0.0]))
    np.testing.assert_allclose(trust, expected, atol=1e-10)
    np.testing.assert_allclose(expected, [17 / 24, 6 / 24, 1 / 24], atol=1e-12)


def test_dangling_rater_mass_restarts_and_total_is_one() -> None:
    trust, rel = _run([0, 1], [0, 0], 3, 1, [0.0, 0.0, 1.0])
    assert trust.sum() == pytest.approx(1.0)
    # Everything restarts at rater 2, which has no ratings and sends it all back to itself
    # via the restart: t = (0, 0, 1).
    np.testing.assert_allclose(trust, [0.0, 0.0, 1.0], atol=1e-12)
    assert np.isnan(rel[2])


def test_residual_decreases_geometrically() -> None:
    rng = np.random.default_rng(1)
    raters = rng.integers(0, 30, 300)
    items = rng.integers(0, 40, 300)
    seeds = np.zeros(30)
    seeds[:5] = 1.0
    residuals = []
    for k in range(1, 12):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            result = propagate_trust(
                raters,
                items,
                n_raters=30,
                n_items=40,
                seed_weight=seeds,
                config=TrustConfig(damping=0.8, max_iterations=k),
            )
        residuals.append(result.residual)
    ratios = np.array(residuals[1:]) / np.array(residuals[:-1])
    assert np.all(ratios <= 0.8 + 1e-9)


def test_iteration_cap_warns() -> None:
    with pytest.warns(ConvergenceWarning, match="after 2 iterations"):
        trust, _ = _run(
            [0, 1, 1, 2], [0, 0, 1, 1], 3, 2, [1.0, 0.0, 0.0], TrustConfig(max_iterations=2)
        )
    assert trust.sum() == pytest.approx(1.0)


def test_converged_result_reports_tolerance() -> None:
    result = propagate_trust(
        np.array([0, 1, 1, 2]),
        np.array([0, 0, 1, 1]),
        n_raters=3,
        n_items=2,
        seed_weight=np.array([1.0, 0.0, 0.0]),
        config=TrustConfig(tolerance=1e-12),
    )
    assert result.converged
    assert result.residual <= 1e-12
    assert 1 < result.iterations < 200


def _planted_brigade(rng: np.random.Generator) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """60 honest raters rating 100 items at random (6 each), 10 brigade raters rating 5
    shared attack items (all of them) plus 1 random honest item each."""
    honest_r = np.repeat(np.arange(60), 6)
    honest_i = rng.integers(0, 100, honest_r.size)
    brigade = np.arange(60, 70)
    attack_r = np.repeat(brigade, 5)
    attack_i = np.tile(np.arange(100, 105), brigade.size)
    organic_i = rng.integers(0, 100, brigade.size)
    raters = np.concatenate([honest_r, attack_r, brigade])
    items = np.concatenate([honest_i, attack_i, organic_i])
    return raters.astype(np.int64), items.astype(np.int64)


def test_planted_brigade_gets_low_relative_trust() -> None:
    raters, items = _planted_brigade(np.random.default_rng(7))
    seeds = np.zeros(70)
    seeds[:20] = 1.0  # some honest raters agree with bridged outcomes
    result = propagate_trust(
        raters, items, n_raters=70, n_items=105, seed_weight=seeds, config=TrustConfig()
    )
    rel = result.relative_trust
    # Every brigade member sits below every honest rater, seed or not, and below half the
    # trust a volume-proportional share would give it.
    assert np.nanmax(rel[60:]) < min(0.5, np.nanmin(rel[:60]))
    # Less damping (more restarts at the seeds) separates them further.
    strict = propagate_trust(
        raters, items, n_raters=70, n_items=105, seed_weight=seeds, config=TrustConfig(damping=0.5)
    ).relative_trust
    assert np.nanmax(strict[60:]) < np.nanmax(rel[60:])


def test_sparse_matches_dense_reference() -> None:
    raters, items = _planted_brigade(np.random.default_rng(3))
    seeds = np.random.default_rng(4).random(70)
    fast = propagate_trust(
        raters, items, n_raters=70, n_items=105, seed_weight=seeds, config=TrustConfig()
    )
    slow = propagate_trust_reference(
        raters, items, n_raters=70, n_items=105, seed_weight=seeds, config=TrustConfig()
    )
    np.testing.assert_allclose(fast.trust, slow.trust, atol=1e-12)
    assert fast.iterations == slow.iterations


@settings(max_examples=30, deadline=None)
@given(
    edges=st.lists(st.tuples(st.integers(0, 7), st.integers(0, 5)), min_size=1, max_size=40),
    perm_seed=st.integers(0, 2**32 - 1),
)
def test_permutation_equivariant_and_deterministic(
    edges: list[tuple[int, int]], perm_seed: int
) -> None:
    raters = np.array([e[0] for e in edges], dtype=np.int64)
    items = np.array([e[1] for e in edges], dtype=np.int64)
    seeds = np.arange(1, 9, dtype=np.float64)
    config = TrustConfig(tolerance=1e-13, max_iterations=100_000)
    base = propagate_trust(raters, items, n_raters=8, n_items=6, seed_weight=seeds, config=config)
    again = propagate_trust(raters, items, n_raters=8, n_items=6, seed_weight=seeds, config=config)
    np.testing.assert_array_equal(base.trust, again.trust)
    rng = np.random.default_rng(perm_seed)
    rp, ip, order = rng.permutation(8), rng.permutation(6), rng.permutation(raters.size)
    moved = propagate_trust(
        rp[raters][order],
        ip[items][order],
        n_raters=8,
        n_items=6,
        seed_weight=seeds[np.argsort(rp)],
        config=config,
    )
    np.testing.assert_allclose(moved.trust[rp], base.trust, atol=1e-10)
    assert base.trust.sum() == pytest.approx(1.0)


def test_bad_inputs_raise() -> None:
    with pytest.raises(ConfigError):
        _run([0], [0], 1, 1, [0.0])
    with pytest.raises(ConfigError):
        _run([0], [3], 1, 1, [1.0])
    with pytest.raises(ConfigError):
        _run([0, 1], [0], 2, 1, [1.0, 1.0])
    with pytest.raises(ConfigError):
        TrustConfig(damping=1.0)
    with pytest.raises(ConfigError):
        TrustConfig(max_iterations=0)
