"""The numba kernels agree with their plain-numpy twins."""

from __future__ import annotations

import numpy as np
import pytest

from bridgewatch.scoring.mf import _numba, _reference


@pytest.mark.parametrize("dtype", [np.int32, np.int64])
def test_counting_sort_matches_a_stable_argsort(dtype: type) -> None:
    rng = np.random.default_rng(0)
    keys: np.ndarray = rng.integers(0, 50, 2000).astype(dtype)
    other = rng.integers(0, 99, 2000).astype(np.int32)
    vals = rng.random(2000).astype(np.float32)
    indptr = _numba.row_pointers(keys, 53)
    order = np.argsort(keys, kind="stable")
    np.testing.assert_array_equal(
        indptr, np.concatenate(([0], np.cumsum(np.bincount(keys, minlength=53))))
    )
    np.testing.assert_array_equal(_numba.scatter_by_key(keys, indptr, other), other[order])
    np.testing.assert_array_equal(_numba.scatter_by_key(keys, indptr, vals), vals[order])


@pytest.mark.parametrize("k", [1, 2, 4])
@pytest.mark.parametrize("weighted", [False, True])
def test_row_solves_and_error_sums_match_numpy(k: int, weighted: bool) -> None:
    rng = np.random.default_rng(k)
    n_rows, n_other, n = 30, 40, 600
    rows = rng.integers(0, n_rows - 2, n)  # the last two rows stay empty
    other = rng.integers(0, n_other, n)
    values = rng.choice([0.0, 0.5, 1.0], n)
    weights = rng.uniform(0.1, 3.0, n) if weighted else None
    o_int, o_fac = rng.normal(size=n_other), rng.normal(size=(n_other, k))
    indptr = _numba.row_pointers(rows, n_rows)
    g_other = _numba.scatter_by_key(rows, indptr, other)
    g_vals = _numba.scatter_by_key(rows, indptr, values)
    g_w = _numba.scatter_by_key(rows, indptr, weights) if weighted else np.ones(1)
    r_int, r_fac = np.full(n_rows, 7.0), np.full((n_rows, k), 7.0)
    s_sse, s_se = np.full(n_rows, 7.0), np.full(n_rows, 7.0)
    _numba.solve_rows(
        indptr,
        g_other,
        g_vals,
        g_w,
        weighted,
        o_int,
        o_fac,
        0.2,
        1.5,
        0.7,
        r_int,
        r_fac,
        s_sse,
        s_se,
    )
    gram = _reference.row_gram(rows, other, values, weights, o_int, o_fac, 0.2, n_rows)
    ok = gram.counts > 0
    ref_int, ref_fac = _reference.solve_gram(gram.gram[ok], gram.rhs[ok], 1.5, 0.7)
    np.testing.assert_allclose(r_int[ok], ref_int, rtol=0, atol=1e-12)
    np.testing.assert_allclose(r_fac[ok], ref_fac, rtol=0, atol=1e-12)
    assert np.all(r_int[~ok] == 7.0)  # empty rows keep their parameters
    sse, se = np.empty(n_rows), np.empty(n_rows)
    _numba.row_error_sums(
        indptr, g_other, g_vals, g_w, weighted, r_int, r_fac, o_int, o_fac, 0.2, sse, se
    )
    ref = _reference.error_sums(rows, other, values, weights, r_int, r_fac, o_int, o_fac, 0.2)
    assert float(np.sum(sse)) == pytest.approx(ref[0], rel=1e-12)
    assert float(np.sum(se)) == pytest.approx(ref[1], rel=1e-12, abs=1e-12)
    # The solve's own error sums are those at the new values, row by row.
    np.testing.assert_allclose(s_sse, sse, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(s_se, se, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("k", [1, 3])
def test_row_gram_matches_numpy(k: int) -> None:
    rng = np.random.default_rng(10 + k)
    rows, other = rng.integers(0, 20, 400), rng.integers(0, 30, 400)
    values = rng.choice([0.0, 0.5, 1.0], 400).astype(np.float32)
    o_int, o_fac = rng.normal(size=30), rng.normal(size=(30, k))
    indptr = _numba.row_pointers(rows, 22)
    gram, rhs = np.empty((22, k + 1, k + 1)), np.empty((22, k + 1))
    _numba.row_gram(
        indptr,
        _numba.scatter_by_key(rows, indptr, other),
        _numba.scatter_by_key(rows, indptr, values),
        o_int,
        o_fac,
        0.1,
        gram,
        rhs,
    )
    ref = _reference.row_gram(rows, other, values, None, o_int, o_fac, 0.1, 22)
    np.testing.assert_allclose(gram, ref.gram, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(rhs, ref.rhs, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("k", [1, 2])
def test_row_ranges_cover_the_rows_like_one_call(k: int) -> None:
    """solve_range on two ranges and error_sums_range equal the whole-table kernels."""
    rng = np.random.default_rng(20 + k)
    rows, other = rng.integers(0, 25, 500), rng.integers(0, 35, 500)
    values = rng.choice([0.0, 0.5, 1.0], 500)
    o_int, o_fac = rng.normal(size=35), rng.normal(size=(35, k))
    indptr = _numba.row_pointers(rows, 25)
    g_other = _numba.scatter_by_key(rows, indptr, other)
    g_vals = _numba.scatter_by_key(rows, indptr, values)
    whole = [np.zeros(25), np.zeros((25, k)), np.zeros(25), np.zeros(25)]
    _numba.solve_rows(
        indptr, g_other, g_vals, np.ones(1), False, o_int, o_fac, 0.1, 1.0, 0.5, *whole
    )
    split = [np.zeros(25), np.zeros((25, k)), np.zeros(25), np.zeros(25)]
    s_int, s_fac, s_sse, s_se = split
    packed = _numba.pack_other(o_int, o_fac)
    for lo, hi in ((0, 11), (11, 25)):
        _numba.solve_range(
            indptr, g_other, g_vals, np.ones(1), False, packed, 0.1, 1.0, 0.5,
            s_int, s_fac, s_sse, s_se, lo, hi,
        )  # fmt: skip
    for a, b in zip(whole, split, strict=True):
        assert np.array_equal(a, b)
    sse, se = np.empty(25), np.empty(25)
    _numba.error_sums_range(
        indptr, g_other, g_vals, np.ones(1), False, split[0], split[1], packed, 0.1, sse, se, 0, 25
    )
    np.testing.assert_allclose(sse, split[2], rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("k", [1, 2])
@pytest.mark.parametrize("diamond", [False, True])
def test_solves_without_sums_give_the_same_rows(k: int, diamond: bool) -> None:
    """with_sums=False writes the same parameters bit for bit and zero sums."""
    if diamond and k != 1:
        pytest.skip("the diamond kernel is one-factor only")
    rng = np.random.default_rng(40 + k)
    rows, other = rng.integers(0, 25, 500), rng.integers(0, 35, 500)
    values = rng.choice([0.0, 0.5, 1.0], 500)
    packed = _numba.pack_other(rng.normal(size=35), rng.normal(size=(35, k)))
    indptr = _numba.row_pointers(rows, 27)  # rows 25 and 26 are empty
    g_other = _numba.scatter_by_key(rows, indptr, other)
    g_vals = _numba.scatter_by_key(rows, indptr, values)
    outs = []
    for with_sums in (True, False):
        out = [np.zeros(27), np.zeros((27, k)), np.full(27, 9.0), np.full(27, 9.0)]
        if diamond:
            _numba.solve_range_diamond(
                indptr, g_other, g_vals, np.ones(1), False, packed, 0.1, 1.0, 0.5, 0.7,
                out[0], out[1], out[2], out[3], 0, 27, with_sums,
            )  # fmt: skip
        else:
            _numba.solve_range(
                indptr, g_other, g_vals, np.ones(1), False, packed, 0.1, 1.0, 0.5,
                out[0], out[1], out[2], out[3], 0, 27, with_sums,
            )  # fmt: skip
        outs.append(out)
    (i1, f1, sse1, _), (i2, f2, sse2, se2) = outs
    assert i1.tobytes() == i2.tobytes() and f1.tobytes() == f2.tobytes()
    assert np.all(sse1[:25] > 0) and np.all(sse2 == 0.0) and np.all(se2 == 0.0)
