"""numba kernels of the ratings fast path: model columns from 0/1 flags, repeated pairs.

Pure functions, arrays in / arrays out. :func:`derive_columns` computes in one pass what
:func:`~bridgewatch.io.ratings_stream.rating_value_exprs` computes column by column, plus an
exact packing of every flag for duplicate detection. :func:`repeated_pairs` finds the rows
whose (rater, note) pair occurs more than once, exactly, in O(n) time.
"""

from __future__ import annotations

import numba
import numpy as np
from numpy.typing import NDArray

__all__ = ["FLAG_NULL", "LEVEL_NULL", "derive_columns", "repeated_pairs"]

# Flag value standing for an empty field in the ``flags`` matrix of derive_columns.
FLAG_NULL = 2
# Level / rating-source code standing for an empty field.
LEVEL_NULL = 3


@numba.njit(cache=True, nogil=True)
def derive_columns(
    flags: NDArray[np.int8],
    level: NDArray[np.int8],
    source: NDArray[np.int8],
    version_null: NDArray[np.bool_],
    n_helpful_tags: int,
    n_not_helpful_tags: int,
) -> tuple[
    NDArray[np.float32],
    NDArray[np.int8],
    NDArray[np.uint16],
    NDArray[np.uint16],
    NDArray[np.bool_],
    NDArray[np.uint64],
    int,
    int,
]:  # pragma: no cover
    """The model's columns of n ratings (scoring-core.md §2.2).

    Parameters
    ----------
    flags : int8 (n, 4 + h + k): columns ``helpful``, ``notHelpful``, ``agree``,
        ``disagree``, the h helpful tags, the k not-helpful tags; 0, 1, or ``FLAG_NULL``.
    level : int8 (n,), ``helpfulnessLevel`` code 0..2 or ``LEVEL_NULL``.
    source : int8 (n,), ``ratingSourceBucketed`` code 0..1 or ``LEVEL_NULL``.
    version_null : bool (n,), ``version`` is empty.
    n_helpful_tags, n_not_helpful_tags : h and k (h, k <= 16, 4 + h + k <= 26).

    Returns
    -------
    helpful_num : float32 (n,), level / 2, else 0.0 if notHelpful is 1, else 1.0 if
        helpful is 1, else NaN (no value).
    helpfulness_level : int8 (n,), the level code, -1 if empty.
    helpful_tags, not_helpful_tags : uint16 (n,), bit i set where tag i is 1.
    population_sampled : bool (n,), source code 1.
    content : uint64 (n,), all of the inputs packed exactly (2 bits per flag, level, source,
        one bit for version_null): equal if and only if the rows' inputs are equal.
    n_null : number of ``FLAG_NULL`` entries in ``flags``.
    n_bad : number of entries of ``flags`` outside {0, 1, FLAG_NULL}, plus level or source
        codes out of range.
    """
    n, m = flags.shape
    helpful_num = np.empty(n, dtype=np.float32)
    level_out = np.empty(n, dtype=np.int8)
    helpful_tags = np.zeros(n, dtype=np.uint16)
    not_helpful_tags = np.zeros(n, dtype=np.uint16)
    sampled = np.empty(n, dtype=np.bool_)
    content = np.empty(n, dtype=np.uint64)
    n_null = 0
    n_bad = 0
    first_not_helpful = 4 + n_helpful_tags
    for i in range(n):
        packed = np.uint64(0)
        for j in range(m):
            v = flags[i, j]
            if v == FLAG_NULL:
                n_null += 1
            elif v != 0 and v != 1:
                n_bad += 1
            # null -> 0, 0 -> 1, 1 -> 2
            packed |= np.uint64((v + 1) % 3 & 3) << np.uint64(2 * j)
            if v == 1 and j >= 4:
                if j < first_not_helpful:
                    helpful_tags[i] |= np.uint16(1 << (j - 4))
                else:
                    not_helpful_tags[i] |= np.uint16(1 << (j - first_not_helpful))
        lv = level[i]
        sv = source[i]
        if lv < 0 or lv > LEVEL_NULL or sv < 0 or sv > LEVEL_NULL:
            n_bad += 1
        packed |= np.uint64(lv & 3) << np.uint64(52)
        packed |= np.uint64(sv & 3) << np.uint64(54)
        if version_null[i]:
            packed |= np.uint64(1) << np.uint64(56)
        content[i] = packed
        if lv != LEVEL_NULL:
            helpful_num[i] = np.float32(lv) * np.float32(0.5)
            level_out[i] = lv
        else:
            level_out[i] = -1
            if flags[i, 1] == 1:
                helpful_num[i] = np.float32(0.0)
            elif flags[i, 0] == 1:
                helpful_num[i] = np.float32(1.0)
            else:
                helpful_num[i] = np.float32(np.nan)
        sampled[i] = sv == 1
    return (
        helpful_num,
        level_out,
        helpful_tags,
        not_helpful_tags,
        sampled,
        content,
        n_null,
        n_bad,
    )


@numba.njit(cache=True, nogil=True)
def repeated_pairs(
    rater: NDArray[np.int32], note: NDArray[np.int32], n_raters: int, n_notes: int
) -> NDArray[np.bool_]:  # pragma: no cover
    """Rows whose (rater, note) pair occurs more than once.

    Parameters
    ----------
    rater, note : int32 (n,), codes in [0, n_raters) and [0, n_notes).

    Returns
    -------
    bool (n,), true on every occurrence of a repeated pair.

    Rows are bucketed by rater (counting sort); within a rater's rows a per-note stamp finds
    the repeats, so the random accesses stay within an ``n_notes`` array.
    """
    n = rater.size
    start = np.zeros(n_raters + 1, dtype=np.int64)
    for i in range(n):
        start[rater[i] + 1] += 1
    for r in range(n_raters):
        start[r + 1] += start[r]
    fill = start[:-1].copy()
    order = np.empty(n, dtype=np.int64)
    for i in range(n):
        r = rater[i]
        order[fill[r]] = i
        fill[r] += 1
    stamp = np.full(n_notes, -1, dtype=np.int64)
    first = np.empty(n_notes, dtype=np.int64)
    out = np.zeros(n, dtype=np.bool_)
    for r in range(n_raters):
        for j in range(start[r], start[r + 1]):
            i = order[j]
            k = note[i]
            if stamp[k] == r:
                out[i] = True
                out[first[k]] = True
            else:
                stamp[k] = r
                first[k] = i
    return out
