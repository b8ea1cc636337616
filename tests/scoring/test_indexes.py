"""Index helpers of the compiled kernels: unsigned views and the counting-sort order."""

from __future__ import annotations

import numpy as np
import pytest

from bridgewatch.scoring._indexes import stable_order, unsigned


def test_stable_order_is_numpy_stable_argsort_and_lexsort() -> None:
    rng = np.random.default_rng(3)
    for n_keys in (1, 3, 1000):
        keys = rng.integers(0, n_keys, 5000).astype(np.int32)
        other = rng.integers(0, 7, 5000).astype(np.int32)
        assert np.array_equal(stable_order(keys), np.argsort(keys, kind="stable"))
        by_key = stable_order(keys)
        assert np.array_equal(by_key[stable_order(other[by_key])], np.lexsort((keys, other)))
    assert stable_order(np.zeros(0, dtype=np.int32)).shape == (0,)
    with pytest.raises(ValueError, match="keys must lie"):
        stable_order(np.array([0, 5]), 3)


def test_unsigned_views_share_memory_and_values() -> None:
    idx = np.array([0, 3, 7], dtype=np.int32)
    view = unsigned(idx)
    assert view.dtype == np.uint32
    assert np.shares_memory(view, idx)
    assert view.tolist() == [0, 3, 7]
    assert unsigned(np.arange(2, dtype=np.int64)).dtype == np.uint64
