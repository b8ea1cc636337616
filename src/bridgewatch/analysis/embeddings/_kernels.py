"""One-pass numba kernels over the ratings of a :class:`RatingMatrix`.

At 150M ratings every numpy temporary of one value per rating (a label, a key, a weight) is
0.6-1.2 GB and costs a pass of its own; these kernels read the rating columns once and
write only per-note or per-rater arrays, so the analysis stays within a few GB above the
ratings themselves. Each loop visits the ratings in their stored order, so a sum here adds
the same terms in the same order as ``np.bincount`` with weights did, and gives the same
bits.

A time window ``[lo_ms, hi_ms)`` restricts a pass to the ratings created in it (a calendar
month of the polarization series) without copying them out.
"""

from __future__ import annotations

import numba
import numpy as np
from numpy.typing import NDArray

__all__ = [
    "active_raters",
    "corating_candidates",
    "crossfit_counts",
    "factor_normal_equations",
    "gather_rows",
    "helpful_share_counts",
    "kept_per_rater",
    "label_value_counts",
    "note_helpful_moments",
    "note_vote_sums",
    "rater_axis_normal_equations",
    "rater_note_factor_moments",
    "rater_residual_sums",
]


@numba.njit(cache=True, nogil=True)
def label_value_counts(
    rater_idx: NDArray[np.int32],
    note_idx: NDArray[np.int32],
    votes: NDArray[np.int8],
    rater_labels: NDArray[np.int8],
    n_notes: int,
    n_labels: int,
) -> NDArray[np.int64]:  # pragma: no cover - compiled
    """``counts[n, g, v]``: ratings of note n by raters of label g with vote v - 1 (label
    -1 left out; int8 labels, so the per-rater lookup stays in cache). int64 array of shape
    (n_notes, n_labels, 3)."""
    out = np.zeros((n_notes, n_labels, 3), dtype=np.int64)
    for i in range(rater_idx.shape[0]):
        g = rater_labels[rater_idx[i]]
        if g >= 0:
            out[note_idx[i], g, votes[i] + 1] += 1
    return out


@numba.njit(cache=True, nogil=True)
def crossfit_counts(
    rater_idx: NDArray[np.int32],
    note_idx: NDArray[np.int32],
    votes: NDArray[np.int8],
    created_at_ms: NDArray[np.int64],
    sides: NDArray[np.int8],
    note_half: NDArray[np.int8],
    edges_ms: NDArray[np.int64],
) -> NDArray[np.int64]:  # pragma: no cover - compiled
    """Like :func:`label_value_counts` with two labels, each rating judged with the side
    ``sides[note_half[note], rater]``, per time window: the ratings created in
    ``[edges_ms[w], edges_ms[w + 1])`` count in window w (others in none). int64 array of
    shape (n_windows, n_notes, 2, 3)."""
    n_windows = edges_ms.shape[0] - 1
    out = np.zeros((n_windows, note_half.shape[0], 2, 3), dtype=np.int64)
    lo = edges_ms[0]
    hi = edges_ms[n_windows]
    for i in range(rater_idx.shape[0]):
        t = created_at_ms[i]
        if t < lo or t >= hi:
            continue
        n = note_idx[i]
        g = sides[note_half[n], rater_idx[i]]
        if g < 0:
            continue
        w = np.searchsorted(edges_ms, t, side="right") - 1
        out[w, n, g, votes[i] + 1] += 1
    return out


@numba.njit(cache=True, nogil=True)
def active_raters(
    rater_idx: NDArray[np.int32],
    created_at_ms: NDArray[np.int64],
    n_raters: int,
    lo_ms: int,
    hi_ms: int,
) -> NDArray[np.bool_]:  # pragma: no cover - compiled
    """bool array of shape (n_raters,): the raters with a rating in ``[lo_ms, hi_ms)``."""
    out = np.zeros(n_raters, dtype=np.bool_)
    for i in range(rater_idx.shape[0]):
        t = created_at_ms[i]
        if lo_ms <= t < hi_ms:
            out[rater_idx[i]] = True
    return out


@numba.njit(cache=True, nogil=True)
def note_vote_sums(
    rater_idx: NDArray[np.int32],
    note_idx: NDArray[np.int32],
    votes: NDArray[np.int8],
    keep: NDArray[np.bool_],
    raters: NDArray[np.bool_],
    n_notes: int,
) -> tuple[
    NDArray[np.float64], NDArray[np.int64], NDArray[np.float64], NDArray[np.int64]
]:  # pragma: no cover - compiled
    """Sum of votes and number of ratings per note (arrays of shape (n_notes,)), in one pass
    over the ratings where ``keep``: first by the raters where ``raters`` (bool, shape
    (n_raters,)) only, then by every rater."""
    sub_total = np.zeros(n_notes)
    sub_count = np.zeros(n_notes, dtype=np.int64)
    total = np.zeros(n_notes)
    count = np.zeros(n_notes, dtype=np.int64)
    for i in range(note_idx.shape[0]):
        if keep[i]:
            n = note_idx[i]
            v = np.float64(votes[i])
            total[n] += v
            count[n] += 1
            if raters[rater_idx[i]]:
                sub_total[n] += v
                sub_count[n] += 1
    return sub_total, sub_count, total, count


@numba.njit(cache=True, nogil=True)
def kept_per_rater(
    rater_idx: NDArray[np.int32], keep: NDArray[np.bool_], n_raters: int
) -> NDArray[np.int64]:  # pragma: no cover - compiled
    """int64 array of shape (n_raters,): ratings of each rater where ``keep``."""
    count = np.zeros(n_raters, dtype=np.int64)
    for i in range(rater_idx.shape[0]):
        if keep[i]:
            count[rater_idx[i]] += 1
    return count


@numba.njit(cache=True, nogil=True)
def rater_residual_sums(
    rater_idx: NDArray[np.int32],
    note_idx: NDArray[np.int32],
    votes: NDArray[np.int8],
    keep: NDArray[np.bool_],
    note_means: NDArray[np.float64],
    n_raters: int,
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:  # pragma: no cover - compiled
    """Sum of (vote - its note's mean) and number of ratings per rater where ``keep``."""
    total = np.zeros(n_raters)
    count = np.zeros(n_raters, dtype=np.int64)
    for i in range(rater_idx.shape[0]):
        if keep[i]:
            r = rater_idx[i]
            total[r] += np.float64(votes[i]) - note_means[note_idx[i]]
            count[r] += 1
    return total, count


@numba.njit(cache=True, nogil=True)
def gather_rows(
    rater_idx: NDArray[np.int32],
    note_idx: NDArray[np.int32],
    votes: NDArray[np.int8],
    keep: NDArray[np.bool_],
    row_of_rater: NDArray[np.int64],
    note_means: NDArray[np.float64],
    rater_means: NDArray[np.float64],
    rater_n: NDArray[np.float64],
    note_n: NDArray[np.float64],
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]]:  # pragma: no cover
    """COO triplets of the double-centred, degree-scaled votes of the raters with a row.

    For each kept rating of rater r with ``row_of_rater[r] >= 0``: row ``row_of_rater[r]``,
    column the note n, value ``(vote - note_means[n] - rater_means[r]) / sqrt(rater_n[r] *
    note_n[n])`` (ones for no scaling), in rating order.
    """
    m = 0
    for i in range(rater_idx.shape[0]):
        if keep[i] and row_of_rater[rater_idx[i]] >= 0:
            m += 1
    rows = np.empty(m, dtype=np.int64)
    cols = np.empty(m, dtype=np.int64)
    vals = np.empty(m)
    j = 0
    for i in range(rater_idx.shape[0]):
        if not keep[i]:
            continue
        r = rater_idx[i]
        row = row_of_rater[r]
        if row < 0:
            continue
        n = note_idx[i]
        rows[j] = row
        cols[j] = n
        vals[j] = (np.float64(votes[i]) - note_means[n] - rater_means[r]) / np.sqrt(
            rater_n[r] * note_n[n]
        )
        j += 1
    return rows, cols, vals


@numba.njit(cache=True, nogil=True)
def rater_axis_normal_equations(
    rater_idx: NDArray[np.int32],
    note_idx: NDArray[np.int32],
    votes: NDArray[np.int8],
    keep: NDArray[np.bool_],
    note_means: NDArray[np.float64],
    loadings: NDArray[np.float64],
    n_raters: int,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:  # pragma: no cover - compiled
    """Per rater and axis, the normal equations of a fit of the kept votes minus their
    note's mean (y) on an intercept and that axis's note loading l: ``gram[r, j]`` =
    [[sum 1, sum l], [sum l, sum l^2]] and ``rhs[r, j]`` = [sum y, sum l y] over the rater's
    kept ratings. ``note_means`` and ``loadings`` (n_notes, n_axes) are indexed by note.
    Shapes (n_raters, n_axes, 2, 2) and (n_raters, n_axes, 2)."""
    d = loadings.shape[1]
    gram = np.zeros((n_raters, d, 2, 2))
    rhs = np.zeros((n_raters, d, 2))
    for i in range(rater_idx.shape[0]):
        if not keep[i]:
            continue
        r = rater_idx[i]
        c = note_idx[i]
        y = np.float64(votes[i]) - note_means[c]
        for j in range(d):
            load = loadings[c, j]
            gram[r, j, 0, 0] += 1.0
            gram[r, j, 0, 1] += load
            gram[r, j, 1, 1] += load * load
            rhs[r, j, 0] += y
            rhs[r, j, 1] += load * y
    for r in range(n_raters):
        for j in range(d):
            gram[r, j, 1, 0] = gram[r, j, 0, 1]
    return gram, rhs


@numba.njit(cache=True, nogil=True)
def note_helpful_moments(
    rater_idx: NDArray[np.int32],
    note_idx: NDArray[np.int32],
    votes: NDArray[np.int8],
    rater_factors: NDArray[np.float64],
    n_notes: int,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:  # pragma: no cover
    """Per note, over its HELPFUL votes by raters with a finite factor: count, sum and sum
    of squares of those raters' factors."""
    n = np.zeros(n_notes)
    s1 = np.zeros(n_notes)
    s2 = np.zeros(n_notes)
    for i in range(rater_idx.shape[0]):
        if votes[i] != 1:
            continue
        f = rater_factors[rater_idx[i]]
        if not np.isfinite(f):
            continue
        c = note_idx[i]
        n[c] += 1.0
        s1[c] += f
        s2[c] += f * f
    return n, s1, s2


@numba.njit(cache=True, nogil=True)
def rater_note_factor_moments(
    rater_idx: NDArray[np.int32],
    note_idx: NDArray[np.int32],
    rater_factors: NDArray[np.float64],
    note_factors: NDArray[np.float64],
    n_raters: int,
) -> tuple[
    NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]
]:  # pragma: no cover - compiled
    """Per rater, over the rated notes with a finite factor: count, sum and sum of squares
    of the note factors, and how many have a sign opposite to the rater's factor."""
    n = np.zeros(n_raters)
    s1 = np.zeros(n_raters)
    s2 = np.zeros(n_raters)
    other = np.zeros(n_raters)
    for i in range(rater_idx.shape[0]):
        x = note_factors[note_idx[i]]
        if not np.isfinite(x):
            continue
        r = rater_idx[i]
        n[r] += 1.0
        s1[r] += x
        s2[r] += x * x
        if np.sign(x) * np.sign(rater_factors[r]) < 0:
            other[r] += 1.0
    return n, s1, s2, other


@numba.njit(cache=True, nogil=True)
def helpful_share_counts(
    rater_idx: NDArray[np.int32],
    note_idx: NDArray[np.int32],
    votes: NDArray[np.int8],
    rater_buckets: NDArray[np.int64],
    note_buckets: NDArray[np.int64],
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:  # pragma: no cover - compiled
    """Ratings and HELPFUL votes per (rater bucket x 3 + note bucket) cell (buckets 0..2;
    -1 left out). Two int64 arrays of shape (9,)."""
    n = np.zeros(9, dtype=np.int64)
    h = np.zeros(9, dtype=np.int64)
    for i in range(rater_idx.shape[0]):
        a = rater_buckets[rater_idx[i]]
        b = note_buckets[note_idx[i]]
        if a < 0 or b < 0:
            continue
        k = a * 3 + b
        n[k] += 1
        if votes[i] == 1:
            h[k] += 1
    return n, h


@numba.njit(cache=True, nogil=True)
def corating_candidates(
    rater_idx: NDArray[np.int32],
    note_idx: NDArray[np.int32],
    votes: NDArray[np.int8],
    queries: NDArray[np.int64],
    n_raters: int,
    n_notes: int,
    min_common: int,
) -> tuple[
    NDArray[np.int64], NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]
]:  # pragma: no cover - compiled
    """Every rater who shares at least ``min_common`` rated notes with a query rater.

    Two passes gather the query raters' own ratings and the ratings of the notes they
    rated (never the whole note-major index); then, per query, co-raters are counted in a
    dense scratch array that is reset through the list of raters it touched.

    Returns
    -------
    ``query`` (position in ``queries``), ``other`` (rater row), ``common`` (notes both
    rated) and ``agree`` (of those, with the same vote); int64 arrays in query order.
    """
    n_q = queries.shape[0]
    q_of = np.full(n_raters, -1, dtype=np.int64)
    for j in range(n_q):
        q_of[queries[j]] = j
    # The queries' ratings, grouped by query.
    q_ptr = np.zeros(n_q + 1, dtype=np.int64)
    for i in range(rater_idx.shape[0]):
        j = q_of[rater_idx[i]]
        if j >= 0:
            q_ptr[j + 1] += 1
    for j in range(n_q):
        q_ptr[j + 1] += q_ptr[j]
    q_note = np.empty(q_ptr[n_q], dtype=np.int64)
    q_vote = np.empty(q_ptr[n_q], dtype=np.int8)
    fill = q_ptr[:-1].copy()
    marked = np.zeros(n_notes, dtype=np.bool_)
    for i in range(rater_idx.shape[0]):
        j = q_of[rater_idx[i]]
        if j >= 0:
            q_note[fill[j]] = note_idx[i]
            q_vote[fill[j]] = votes[i]
            fill[j] += 1
            marked[note_idx[i]] = True
    # The ratings of the notes the queries rated, grouped by note.
    n_ptr = np.zeros(n_notes + 1, dtype=np.int64)
    for i in range(note_idx.shape[0]):
        if marked[note_idx[i]]:
            n_ptr[note_idx[i] + 1] += 1
    for n in range(n_notes):
        n_ptr[n + 1] += n_ptr[n]
    n_rater = np.empty(n_ptr[n_notes], dtype=np.int32)
    n_vote = np.empty(n_ptr[n_notes], dtype=np.int8)
    at = n_ptr[:-1].copy()
    for i in range(note_idx.shape[0]):
        n = note_idx[i]
        if marked[n]:
            n_rater[at[n]] = rater_idx[i]
            n_vote[at[n]] = votes[i]
            at[n] += 1
    common = np.zeros(n_raters, dtype=np.int64)
    agree = np.zeros(n_raters, dtype=np.int64)
    touched = np.empty(n_raters, dtype=np.int64)
    size = 1024
    out_q = np.empty(size, dtype=np.int64)
    out_o = np.empty(size, dtype=np.int64)
    out_c = np.empty(size, dtype=np.int64)
    out_a = np.empty(size, dtype=np.int64)
    m = 0
    for j in range(n_q):
        n_touched = 0
        for k in range(q_ptr[j], q_ptr[j + 1]):
            n = q_note[k]
            vq = q_vote[k]
            for p in range(n_ptr[n], n_ptr[n + 1]):
                o = n_rater[p]
                if common[o] == 0:
                    touched[n_touched] = o
                    n_touched += 1
                common[o] += 1
                if n_vote[p] == vq:
                    agree[o] += 1
        for t in range(n_touched):
            o = touched[t]
            if common[o] >= min_common and o != queries[j]:
                if m == size:
                    size *= 2
                    out_q = np.resize(out_q, size)
                    out_o = np.resize(out_o, size)
                    out_c = np.resize(out_c, size)
                    out_a = np.resize(out_a, size)
                out_q[m] = j
                out_o[m] = o
                out_c[m] = common[o]
                out_a[m] = agree[o]
                m += 1
            common[o] = 0
            agree[o] = 0
    return out_q[:m], out_o[:m], out_c[:m], out_a[:m]


@numba.njit(cache=True, nogil=True)
def factor_normal_equations(
    out_idx: NDArray[np.int32],
    in_idx: NDArray[np.int32],
    votes: NDArray[np.int8],
    keep: NDArray[np.bool_],
    out_means: NDArray[np.float64],
    in_means: NDArray[np.float64],
    in_factors: NDArray[np.float64],
    n_out: int,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:  # pragma: no cover - compiled
    """Normal equations of one half step of alternating least squares over the kept ratings.

    Each rating links an output row ``o = out_idx[i]`` (a rater, or a note) to an input row
    ``j = in_idx[i]`` (a note, or a rater) whose factors ``f = in_factors[j]`` (shape
    (n_in, d)) are fixed; with ``y = vote - out_means[o] - in_means[j]``, ``gram[o]`` sums
    ``f f^T`` and ``rhs[o]`` sums ``y f``. Shapes (n_out, d, d) and (n_out, d). Ratings whose
    input factors are all 0 add nothing.
    """
    d = in_factors.shape[1]
    gram = np.zeros((n_out, d, d))
    rhs = np.zeros((n_out, d))
    for i in range(out_idx.shape[0]):
        if not keep[i]:
            continue
        o = out_idx[i]
        j = in_idx[i]
        y = np.float64(votes[i]) - out_means[o] - in_means[j]
        for a in range(d):
            fa = in_factors[j, a]
            if fa == 0.0:
                continue
            rhs[o, a] += y * fa
            for b in range(d):
                gram[o, a, b] += fa * in_factors[j, b]
    return gram, rhs
