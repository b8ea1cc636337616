"""``positions_in``: the one-scan selection the passes use instead of a mask and a
``flatnonzero`` over every rating."""

from __future__ import annotations

import numpy as np

from bridgewatch.scoring.incremental.compact import positions_in


def test_positions_are_the_flatnonzero_of_the_chosen_rows() -> None:
    rng = np.random.default_rng(11)
    wide = rng.integers(0, 500, 20_000).astype(np.int64)
    for idx in (wide.astype(np.int32), wide):
        rows = np.unique(rng.integers(0, 500, 40))
        chosen = np.full(500, -1, dtype=np.int32)
        chosen[rows] = 0
        mask = np.zeros(500, dtype=np.bool_)
        mask[rows] = True
        got = positions_in(idx, chosen)
        assert got.dtype == np.int64
        np.testing.assert_array_equal(got, np.flatnonzero(mask[idx]))
        # A strided view (a column of a lazy subset) reads the same.
        np.testing.assert_array_equal(
            positions_in(idx[::2], chosen), np.flatnonzero(mask[idx[::2]])
        )
    assert positions_in(np.zeros(0, dtype=np.int32), chosen).shape == (0,)
