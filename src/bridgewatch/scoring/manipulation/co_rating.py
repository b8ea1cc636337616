"""Coordinated co-rating: raters who give the same verdict on the same notes far more often
than their activity and the notes' popularity predict (timing-free; a bridgewatch defence).

The burst detector (``burst.py``) needs a brigade to strike within its window; a brigade
that spreads its ratings over hours escapes it. What such a brigade cannot hide is that
its members keep giving *the same verdict on the same notes*: every member rates every
target the same way. The detector tests exactly that, against a null model in which each
rater picks (note, verdict) cells in proportion to their popularity:

1. **Cells.** A rating is a cell ``j = (note, level)``. ``X`` is the 0/1 rater x cell
   matrix, ``d_a`` rater ``a``'s number of ratings, ``w_j`` cell ``j``'s number of raters
   and ``W = sum_j w_j`` the number of ratings. Cells with more than ``max_cell_raters``
   raters are left out of the pair count (they carry little evidence and cost ``w_j^2``
   pairs; the brigade's targets stay below it unless the brigade is that large).
2. **Pairs.** ``C = X X^T`` counts the cells two raters share. Under the null (a
   Chung-Lu / configuration model stratified by community: raters fall in blocks, e.g.
   modeling groups, and a rater of block ``A`` picks cell ``j`` with probability
   ``d_a w_j^A / W_A``, ``w_j^A`` being the raters of block ``A`` on ``j`` and ``W_A``
   the block's ratings) the expected count is ``E_ab = d_a d_b S_AB`` with ``S_AB =
   sum_j w_j^A w_j^B / (W_A W_B)``: prolific raters, popular notes and a community's own
   notes are expected to meet often. Without blocks ``S = sum_j w_j^2 / W^2`` (the
   popularity-only null). A pair is *coordinated* when ``C_ab >= min_shared_cells``,
   ``C_ab >= min_lift * E_ab`` and the Poisson upper tail ``P(X >= C_ab | E_ab)`` is at
   most ``max_pair_p`` and ``pair_alpha / n_tested`` (Bonferroni over the pairs that share
   a cell: a community of millions of pairs produces no chance pairs by sheer number).
   With an ``established`` mask only pairs with an unproven rater are tested (and only
   the unproven raters' rows of ``X`` are multiplied), and a pair of two unproven raters
   needs only ``min_shared_unproven`` shared cells: new accounts have few ratings, and a
   pool that puts a fresh subset of its members on each target leaves each pair only 3-4
   shared targets, far beyond the null for accounts of 5-10 ratings.
3. **Core.** Coordinated raters are the ``min_partners``-core of the pair graph, and the
   groups its connected components: a chain of chance pairs does not make a group.
4. **Flags.** For a group ``G`` (``D_G = sum_{a in G} d_a``) and a cell ``j`` rated by
   ``g_j`` of its members and ``o_j`` other raters, the null expects ``e_j = D_G o_j /
   (W - D_G)`` members. The members' ratings on cell ``j`` are flagged when ``g_j >=
   max(min_cell_members, min_cell_share * |G|)`` (``min_cell_share_unproven`` with an
   ``established`` mask: a pool's targets each hold only a 10-20% subset of it),
   ``g_j >= min_lift * e_j`` and
   ``P(X >= g_j | e_j) <= max_cell_p``: the cells where the group's shared verdicts
   concentrate. A member's other (honest) ratings stay, and so do an established
   member's (``CoRatingConfig.flag_established`` False); a group of mostly established
   members (unproven share below ``min_unproven_share``) loses nothing: a circle of
   established raters who rate the same niche notes alike, with a few newcomers among
   them, is a community, not a brigade.
5. **Attach** (``attach_max_p``). Pair tests weigh every shared cell alike: in a small,
   dense community camouflage ratings on popular notes raise two accounts' expected
   overlap (two aged accounts of 48 ratings expect 4-5 shared cells), so 8 shared targets
   miss ``min_lift`` and some members of a caught brigade stay out of its group. The
   group's concentrated cells ``C_g`` are rare evidence (few raters outside the group give
   that verdict on those notes): an ungrouped rater ``a`` (unproven, with an
   ``established`` mask) who rated ``k_ag >= min_shared_cells`` of them, ``k_ag >=
   min_lift e_ag`` with ``e_ag = d_a sum_{j in C_g} o_j / (W - D_G)`` (``o_j`` the cell's
   raters outside the group), and a Poisson tail at most ``attach_max_p`` over the
   number of (rater, group) combinations with ``k_ag >= 1`` joins the group (the one with
   the smallest tail), and step 4 runs again on the grown groups.

The scorer drops flagged ratings before prescoring (``bridgewatch.scoring.defences``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy.sparse.csgraph import connected_components

from bridgewatch.errors import ConfigError
from bridgewatch.scoring.manipulation.burst import _k_core
from bridgewatch.scoring.manipulation.config import CoRatingConfig


def _poisson_sf(
    k: NDArray[np.integer] | NDArray[np.floating] | int | float, mu: NDArray[np.floating] | float
) -> NDArray[np.float64]:
    """``P(X > k)`` for ``X ~ Poisson(mu)`` (``scipy.stats.poisson.sf``) by
    ``scipy.special.pdtrc``: the same values without importing scipy.stats, which cost
    up to 2.7 s of CPU per run on a loaded machine; 1 for ``k < 0``."""
    from scipy.special import pdtrc

    kk = np.asarray(k, dtype=np.float64)
    return np.asarray(np.where(kk < 0, 1.0, pdtrc(np.maximum(kk, 0.0), mu)), dtype=np.float64)


def concentrated_cells(
    hits: NDArray[np.integer] | NDArray[np.floating],
    group_ratings: int,
    cell_raters: NDArray[np.floating],
    total: int,
    min_hits: int,
    max_p: float,
) -> NDArray[np.bool_]:
    """Cells where a set of raters concentrates far beyond the popularity null.

    ``hits`` (n_cells,): the set's ratings in each cell; ``group_ratings``: all the set's
    ratings (the draws); ``cell_raters`` (n_cells,): every rater's ratings in each cell;
    ``total``: all ratings. Expected hits ``e = group_ratings * cell_raters / total``; a
    cell is concentrated when ``hits >= min_hits`` and ``P(X >= hits | e) <= max_p`` for
    ``X ~ Poisson(e)``. Returns bool (n_cells,). (The live watch's group-cell test and the
    corroboration hold's group rule.)
    """
    expected = group_ratings * cell_raters / total
    out: NDArray[np.bool_] = (hits >= min_hits) & (_poisson_sf(hits - 1, expected) <= max_p)
    return out


__all__ = ["CoRatingResult", "find_co_rating_groups", "find_co_rating_groups_reference"]


@dataclass(frozen=True)
class CoRatingResult:
    """Coordinated co-rating groups and their flagged ratings.

    Attributes
    ----------
    group : int64 array of shape (n_raters,), the rater's group id (0..n_groups-1) or -1
        (not grouped, an established member exempt from flags, or a member of a group of
        mostly established raters: nothing of theirs is flagged).
    flagged : bool array of shape (n_ratings,), ratings of group members on the group's
        concentrated cells (step 4).
    n_pairs : number of coordinated pairs (before the core is taken).
    n_groups : number of groups.
    n_attached : raters who joined a group through its concentrated cells (step 5), not
        their pairs.
    """

    group: NDArray[np.int64]
    flagged: NDArray[np.bool_]
    n_pairs: int
    n_groups: int
    n_attached: int = 0


def _check(
    note_idx: NDArray[np.integer], rater_idx: NDArray[np.integer], levels: NDArray[np.integer]
) -> int:
    n = note_idx.shape[0]
    for name, arr in (("rater_idx", rater_idx), ("levels", levels)):
        if arr.shape != (n,):
            raise ConfigError(name, arr.shape, f"shape ({n},) like note_idx")
    if n and (note_idx.min() < 0 or rater_idx.min() < 0):
        raise ConfigError("note_idx", "negative", "indexes >= 0")
    if n and (levels.min() < 0 or levels.max() > 2):
        raise ConfigError("levels", "out of range", "0 (not helpful), 1 (somewhat), 2 (helpful)")
    return int(n)


_PAIR_CHUNK_ROWS = 2048
_CELL_CHUNK_ROWS = 256


def _shared_pairs(
    x: sp.csr_matrix,
    rows: NDArray[np.int64],
    exempt: NDArray[np.bool_] | None,
    min_shared: int,
    chunk_rows: int = _PAIR_CHUNK_ROWS,
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64], int]:
    """Cells shared by each pair of raters (step 2), a block of ``rows`` at a time.

    Returns ``(a, b, count, n_tested)``: the pairs ``a < b`` sharing at least
    ``min_shared`` cells (no other pair can be coordinated) in lexicographic order, their
    counts, and the number of pairs sharing any cell (the Bonferroni family). Pairs are
    ``rows`` against every rater; without ``exempt`` each pair once (``a < b``), with it
    a pair of two unproven raters once and a pair with an established rater from its
    unproven side. Only a block's products are alive at a time, so the memory is bounded
    by the pairs that pass, not by the millions that share a cell or two.
    """
    x = sp.csr_matrix(x)
    parts: list[tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]] = []
    n_tested = 0
    for start in range(0, rows.shape[0], chunk_rows):
        block = rows[start : start + chunk_rows]
        # Every rater against the block, as X[lo:] X[block]^T: the block's small transpose
        # is the only conversion (X[block] X^T would convert all of X^T for each block).
        # Without exempt raters a pair is kept once, a < b, so raters before the block's
        # first are not multiplied at all.
        first = int(block[0]) if exempt is None else 0
        prod = sp.coo_matrix(x[first:] @ x[block].T)
        a = block[prod.col]
        b = prod.row.astype(np.int64) + first
        keep = a < b if exempt is None else exempt[b] | (a < b)
        n_tested += int(keep.sum())
        keep &= prod.data >= min_shared
        lo, hi = np.minimum(a[keep], b[keep]), np.maximum(a[keep], b[keep])
        parts.append((lo, hi, prod.data[keep].astype(np.int64)))
        del prod, a, b, keep
    if not parts:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty.copy(), empty.copy(), 0
    a_all = np.concatenate([p[0] for p in parts])
    b_all = np.concatenate([p[1] for p in parts])
    c_all = np.concatenate([p[2] for p in parts])
    order = np.lexsort((b_all, a_all))
    return a_all[order], b_all[order], c_all[order], n_tested


def _pair_threshold(n_tested: int, config: CoRatingConfig) -> float:
    """The Poisson tail a coordinated pair must reach (``max_pair_p``, Bonferroni-bounded)."""
    if config.pair_alpha is None:
        return config.max_pair_p
    return min(config.max_pair_p, config.pair_alpha / max(n_tested, 1))


def _pair_tests(
    count: NDArray[np.int64],
    expected: NDArray[np.float64],
    need: NDArray[np.int64] | int,
    config: CoRatingConfig,
    threshold: float,
) -> NDArray[np.bool_]:
    ok = (count >= need) & (count >= config.min_lift * expected)
    if ok.any():
        tail = _poisson_sf(count[ok] - 1, expected[ok])
        ok[np.flatnonzero(ok)] = tail <= threshold
    return ok


def _blocks(block: NDArray[np.integer] | None, n_raters: int) -> tuple[NDArray[np.int64], int]:
    """Dense block ids 0..K-1 per rater (one block without ``block``)."""
    if block is None:
        return np.zeros(n_raters, dtype=np.int64), 1
    if block.shape != (n_raters,):
        raise ConfigError("block", block.shape, f"shape ({n_raters},)")
    _, dense = np.unique(block, return_inverse=True)
    out = dense.astype(np.int64).ravel()
    return out, int(out.max()) + 1 if out.size else 1


def _block_similarity(
    cells: NDArray[np.int64], blk: NDArray[np.int64], n_blocks: int, n_cells: int
) -> NDArray[np.float64]:
    """``S_AB = sum_j w_j^A w_j^B / (W_A W_B)``, (n_blocks, n_blocks); ``blk`` per rating."""
    m = sp.csr_matrix(
        (np.ones(cells.shape[0], dtype=np.float64), (blk, cells)), shape=(n_blocks, n_cells)
    )
    totals = np.asarray(m.sum(axis=1)).ravel()
    inner = np.asarray((m @ m.T).todense(), dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        sim = inner / np.outer(totals, totals)
    out: NDArray[np.float64] = np.nan_to_num(sim, nan=0.0, posinf=0.0)
    return out


class CellTestConfig(Protocol):
    """The thresholds of a group's concentrated-cell test (co-rating's and thin pools')."""

    @property
    def min_cell_members(self) -> int: ...
    @property
    def min_lift(self) -> float: ...
    @property
    def max_cell_p(self) -> float: ...


def _cell_tests(
    members: NDArray[np.int64],
    others: NDArray[np.int64],
    group_ratings: float,
    total: float,
    group_size: int,
    config: CellTestConfig,
    share: float,
) -> NDArray[np.bool_]:
    """A group's concentrated cells, (n_cells,): ``members`` of the group on a cell, at least
    ``max(min_cell_members, share * group_size)`` and ``min_lift`` times the expectation from
    the cell's ``others`` (the group's ``group_ratings`` of ``total`` ratings), with a Poisson
    tail at most ``max_cell_p``."""
    rest = max(total - group_ratings, 1.0)
    expected = group_ratings * others.astype(np.float64) / rest
    need = max(float(config.min_cell_members), share * group_size)
    ok = (members >= need) & (members >= config.min_lift * expected)
    if ok.any():
        tail = _poisson_sf(members[ok] - 1, expected[ok])
        ok[np.flatnonzero(ok)] = tail <= config.max_cell_p
    return ok


def _groups(
    pairs: NDArray[np.int64], n_raters: int, min_partners: int
) -> tuple[NDArray[np.int64], int]:
    core = _k_core(pairs, n_raters, min_partners)
    group = np.full(n_raters, -1, dtype=np.int64)
    if not core.any():
        return group, 0
    kept = pairs[core[pairs[:, 0]] & core[pairs[:, 1]]]
    graph = sp.coo_matrix(
        (np.ones(kept.shape[0], dtype=np.int8), (kept[:, 0], kept[:, 1])),
        shape=(n_raters, n_raters),
    )
    _, labels = connected_components(graph, directed=False)
    _, dense = np.unique(labels[core], return_inverse=True)
    group[core] = dense
    return group, int(dense.max()) + 1


def _flag(
    cells: NDArray[np.int64],
    rater_idx: NDArray[np.int64],
    group: NDArray[np.int64],
    n_groups: int,
    config: CoRatingConfig,
    exempt: NDArray[np.bool_] | None = None,
) -> NDArray[np.bool_]:
    n = cells.shape[0]
    flagged = np.zeros(n, dtype=np.bool_)
    if n_groups == 0:
        return flagged
    n_cells = int(cells.max()) + 1
    w = np.bincount(cells, minlength=n_cells)
    d = np.bincount(rater_idx, minlength=group.shape[0])
    sizes = np.bincount(group[group >= 0], minlength=n_groups)
    g_of = group[rater_idx]
    for g in range(n_groups):
        if exempt is not None:
            in_group = group == g
            unproven = float((in_group & ~exempt).sum()) / max(float(in_group.sum()), 1.0)
            if unproven < config.min_unproven_share:
                group[in_group] = -1  # a community: dissolved, nothing flagged
                continue
        mine = g_of == g
        members = np.bincount(cells[mine], minlength=n_cells)
        concentrated = _cell_tests(
            members,
            w - members,
            float(d[group == g].sum()),
            float(n),
            int(sizes[g]),
            config,
            config.min_cell_share if exempt is None else config.min_cell_share_unproven,
        )
        flagged |= mine & concentrated[cells]
    if exempt is not None:
        flagged &= ~exempt[rater_idx]
    return flagged


def _attach(
    cells: NDArray[np.int64],
    raters: NDArray[np.int64],
    group: NDArray[np.int64],
    flagged: NDArray[np.bool_],
    n_groups: int,
    d: NDArray[np.float64],
    config: CoRatingConfig,
    exempt: NDArray[np.bool_] | None,
) -> NDArray[np.int64]:
    """Step 5: ungrouped raters whose own ratings hit a group's concentrated cells far
    beyond the null join the group (a copy of ``group`` is returned).

    ``C_g`` is group ``g``'s concentrated cells (its members' ``flagged`` ratings), ``k_ag``
    the cells of ``C_g`` rater ``a`` rated and ``e_ag = d_a sum_{j in C_g} o_j / (W - D_G)``
    its null expectation, ``o_j`` the cell's raters outside the group. A rater joins when
    ``k_ag >= min_shared_cells``, ``k_ag >= min_lift e_ag`` and the Poisson tail is at most
    ``attach_max_p / n_tested`` (Bonferroni over the (rater, group) combinations with
    ``k_ag >= 1``); with several groups, the one with the smallest tail. Pair tests weigh
    every shared cell alike, so camouflage on popular notes raises a pair's expectation
    above what a brigade's few targets can pass; the group's concentrated cells are rare
    with its verdict outside the group, and a member who rated all of them stands out.
    """
    assert config.attach_max_p is not None
    out = group.copy()
    n_cells = int(cells.max()) + 1
    mem = flagged & (group[raters] >= 0)
    if not mem.any():
        return out
    gc = np.unique(group[raters[mem]] * n_cells + cells[mem])
    g_of, c_of = gc // n_cells, gc % n_cells
    conc = sp.csr_matrix(
        (np.ones(gc.size, dtype=np.float64), (c_of, g_of)), shape=(n_cells, n_groups)
    )
    w = np.bincount(cells, minlength=n_cells).astype(np.float64)
    grouped = group[raters] >= 0
    keys, counts = np.unique(group[raters[grouped]] * n_cells + cells[grouped], return_counts=True)
    others = w[c_of] - counts[np.searchsorted(keys, gc)]
    other_sum = np.bincount(g_of, weights=others, minlength=n_groups)
    d_group = np.bincount(group[group >= 0], weights=d[group >= 0], minlength=n_groups)
    rest = np.maximum(float(cells.shape[0]) - d_group, 1.0)
    cand = (group < 0) & (d >= config.min_shared_cells)
    if exempt is not None:
        cand &= ~exempt
    use = cand[raters]
    x = sp.csr_matrix(
        (np.ones(int(use.sum()), dtype=np.float64), (raters[use], cells[use])),
        shape=(group.shape[0], n_cells),
    )
    k = sp.coo_matrix(x @ conc)
    a, g, hits = k.row.astype(np.int64), k.col.astype(np.int64), k.data
    n_tested = int(a.size)
    expected = d[a] * other_sum[g] / rest[g]
    ok = (hits >= config.min_shared_cells) & (hits >= config.min_lift * expected)
    if not ok.any():
        return out
    a, g, hits, expected = a[ok], g[ok], hits[ok], expected[ok]
    tail = _poisson_sf(hits - 1, expected)
    ok = tail <= config.attach_max_p / max(n_tested, 1)
    a, g, tail = a[ok], g[ok], tail[ok]
    order = np.lexsort((g, tail, a))  # per rater, the smallest tail first
    a, g = a[order], g[order]
    first = np.ones(a.size, dtype=np.bool_)
    first[1:] = a[1:] != a[:-1]
    out[a[first]] = g[first]
    return out


def _cell_pair_expectations(
    cells: NDArray[np.int64],
    raters: NDArray[np.int64],
    blk: NDArray[np.int64],
    n_blocks: int,
    n_cells: int,
    d: NDArray[np.float64],
    j: NDArray[np.int64],
    k: NDArray[np.int64],
) -> NDArray[np.float64]:
    """``E_jk = sum_A w_j^A w_k^A sum_{a in A} d_a^2 / W_A^2``: the raters two cells share
    under the stratified null (a rater of block ``A`` picks cell ``j`` with probability
    ``d_a w_j^A / W_A``)."""
    per_block = np.zeros((n_cells, n_blocks), dtype=np.float64)
    np.add.at(per_block, (cells, blk[raters]), 1.0)
    totals = per_block.sum(axis=0)
    present = d > 0
    squares = np.bincount(blk[present], weights=d[present] ** 2, minlength=n_blocks)
    with np.errstate(divide="ignore", invalid="ignore"):
        q = np.nan_to_num(squares / totals**2, nan=0.0, posinf=0.0)
    out = np.empty(j.shape[0], dtype=np.float64)
    step = 1 << 16  # pairs at a time: a dense community has millions of cell pairs
    for start in range(0, j.shape[0], step):
        jj, kk = j[start : start + step], k[start : start + step]
        out[start : start + step] = np.einsum("pa,pa->p", per_block[jj] * q, per_block[kk])
    return out


def _cell_groups(
    cells: NDArray[np.int64],
    raters: NDArray[np.int64],
    n_raters: int,
    blk: NDArray[np.int64],
    n_blocks: int,
    config: CoRatingConfig,
) -> NDArray[np.int64]:
    """Step 3b: groups seeded from coordinated cells (``CoRatingConfig.cell_pair_p``).

    Two cells ``j, k`` are coordinated when the raters they share, ``M_jk = (X^T X)_jk``,
    are at least ``min_partners + 1``, ``min_lift E_jk`` (``_cell_pair_expectations``) and
    their Poisson tail is at most ``cell_pair_p`` over the cell pairs sharing a rater.
    The components of the ``min_cell_partners``-core of those pairs are candidate target
    sets ``Q``. A rater who rated ``k_aQ >= max(min_cell_members, min_cell_hits_share
    |Q|)`` of them is a candidate ``R_Q``; the null leaves the candidates out of the
    cells' counts (``o_j = w_j - |R_Q on j|``, ``e_aQ = d_a sum_{j in Q} o_j / (W -
    D_R)``: a brigade's targets are popular only because the brigade rated them), and a
    candidate with ``k_aQ >= min_lift e_aQ`` and a tail at most ``cell_pair_p`` over the
    (rater, component) combinations with ``k_aQ >= 1`` joins (the component with the
    smallest tail). Components with fewer than ``min_partners + 1`` members form no
    group. Returns each rater's component group (dense ids) or -1.
    """
    assert config.cell_pair_p is not None
    out = np.full(n_raters, -1, dtype=np.int64)
    if cells.size == 0:
        return out
    n_cells = int(cells.max()) + 1
    floor = config.min_partners + 1
    w = np.bincount(cells, minlength=n_cells).astype(np.float64)
    d = np.bincount(raters, minlength=n_raters).astype(np.float64)
    eligible = (w >= floor) & (w <= config.max_cell_raters)
    use = eligible[cells]
    xt = sp.csr_matrix(
        (np.ones(int(use.sum()), dtype=np.int32), (cells[use], raters[use])),
        shape=(n_cells, n_raters),
    )
    # Cells meet far more densely than raters (most pairs of a small community's cells
    # share a rater): smaller blocks keep each block's product small.
    j, k, shared, n_tested = _shared_pairs(
        xt, np.flatnonzero(eligible), None, floor, _CELL_CHUNK_ROWS
    )
    if j.size == 0:
        return out
    expected = _cell_pair_expectations(cells, raters, blk, n_blocks, n_cells, d, j, k)
    ok = shared >= config.min_lift * expected
    if ok.any():
        tail = _poisson_sf(shared[ok] - 1, expected[ok])
        ok[np.flatnonzero(ok)] = tail <= config.cell_pair_p / max(n_tested, 1)
    component, n_components = _groups(
        np.stack([j[ok], k[ok]], axis=1), n_cells, config.min_cell_partners
    )
    if n_components == 0:
        return out
    in_q = component >= 0
    q_cells = sp.csr_matrix(
        (np.ones(int(in_q.sum()), dtype=np.float64), (np.flatnonzero(in_q), component[in_q])),
        shape=(n_cells, n_components),
    )
    x = sp.csr_matrix(
        (np.ones(cells.size, dtype=np.float64), (raters, cells)), shape=(n_raters, n_cells)
    )
    hits = sp.coo_matrix(x @ q_cells)
    a, q, h = hits.row.astype(np.int64), hits.col.astype(np.int64), hits.data
    n_rater_tests = int(a.size)
    size = np.bincount(component[in_q], minlength=n_components).astype(np.float64)
    cand = h >= np.maximum(float(config.min_cell_members), config.min_cell_hits_share * size[q])
    a, q, h = a[cand], q[cand], h[cand]
    if a.size == 0:
        return out
    # Leave the candidates out: their ratings on the component's cells and their totals.
    mine = (component[cells] >= 0) & np.isin(raters, a)
    cand_key = np.unique(a * n_components + q)
    on_q = np.zeros(cells.size, dtype=np.bool_)
    on_q[mine] = np.isin(raters[mine] * n_components + component[cells[mine]], cand_key)
    inside = np.bincount(component[cells[on_q]], minlength=n_components).astype(np.float64)
    outside = np.bincount(component[in_q], weights=w[in_q], minlength=n_components) - inside
    d_cand = np.bincount(q, weights=d[a], minlength=n_components)
    rest = np.maximum(float(cells.size) - d_cand, 1.0)
    expected_hits = d[a] * outside[q] / rest[q]
    ok = h >= config.min_lift * expected_hits
    if not ok.any():
        return out
    a, q, h, expected_hits = a[ok], q[ok], h[ok], expected_hits[ok]
    tail = _poisson_sf(h - 1, expected_hits)
    ok = tail <= config.cell_pair_p / max(n_rater_tests, 1)
    a, q, tail = a[ok], q[ok], tail[ok]
    order = np.lexsort((q, tail, a))
    a, q = a[order], q[order]
    first = np.ones(a.size, dtype=np.bool_)
    first[1:] = a[1:] != a[:-1]
    a, q = a[first], q[first]
    members = np.bincount(q, minlength=n_components)
    keep = members[q] >= floor
    if not keep.any():
        return out
    _, dense = np.unique(q[keep], return_inverse=True)
    out[a[keep]] = dense.ravel()
    return out


def _merge_cell_groups(
    group: NDArray[np.int64], n_groups: int, seeded: NDArray[np.int64]
) -> tuple[NDArray[np.int64], int]:
    """Join step 3b's groups to the pair groups: a rater in a pair group keeps it; the
    other members of a seeded group join the pair group most of its grouped members are
    in, or form a new group when none is."""
    out = group.copy()
    for s in range(int(seeded.max()) + 1 if seeded.size else 0):
        members = np.flatnonzero(seeded == s)
        known = out[members]
        new = members[known < 0]
        if new.size == 0:
            continue
        if (known >= 0).any():
            out[new] = int(np.bincount(known[known >= 0]).argmax())
        else:
            out[new] = n_groups
            n_groups += 1
    return out, n_groups


def _check_masks(
    established: NDArray[np.bool_] | None, n_raters: int, config: CoRatingConfig
) -> NDArray[np.bool_] | None:
    """The raters exempt from flags (established ones unless ``flag_established``)."""
    if established is None:
        return None
    if established.shape != (n_raters,):
        raise ConfigError("established", established.shape, f"shape ({n_raters},)")
    return None if config.flag_established else established.astype(np.bool_)


def find_co_rating_groups(
    note_idx: NDArray[np.integer],
    rater_idx: NDArray[np.integer],
    levels: NDArray[np.integer],
    n_raters: int,
    config: CoRatingConfig,
    *,
    block: NDArray[np.integer] | None = None,
    established: NDArray[np.bool_] | None = None,
) -> CoRatingResult:
    """Find coordinated co-rating groups (see the module docstring).

    Parameters
    ----------
    note_idx, rater_idx : int arrays of shape (n_ratings,); a rater rates a note once.
    levels : int array of shape (n_ratings,), 0 NOT_HELPFUL, 1 SOMEWHAT_HELPFUL, 2 HELPFUL.
    n_raters : number of raters (``rater_idx < n_raters``).
    config : CoRatingConfig
    block : int array of shape (n_raters,), each rater's community for the null (e.g. its
        modeling group, -1 for none); None: one block (popularity-only null).
    established : bool array of shape (n_raters,), established raters
        (``bridgewatch.scoring.reputation.established_raters``); None: every rater is
        tested and can be flagged.

    Returns
    -------
    CoRatingResult
    """
    n = _check(note_idx, rater_idx, levels)
    if n and int(rater_idx.max()) >= n_raters:
        raise ConfigError("rater_idx", "out of range", f"indexes in [0, {n_raters})")
    blk, n_blocks = _blocks(block, n_raters)
    exempt = _check_masks(established, n_raters, config)
    raters = rater_idx.astype(np.int64)
    cells = note_idx.astype(np.int64) * 3 + levels.astype(np.int64)
    empty = CoRatingResult(np.full(n_raters, -1, dtype=np.int64), np.zeros(n, dtype=np.bool_), 0, 0)
    if n == 0:
        return empty
    n_cells = int(cells.max()) + 1
    w = np.bincount(cells, minlength=n_cells).astype(np.float64)
    d = np.bincount(raters, minlength=n_raters).astype(np.float64)
    sim = _block_similarity(cells, blk[raters], n_blocks, n_cells)
    # Pair counting: raters with enough ratings, cells not too popular. Two unproven
    # raters need only min_shared_unproven shared cells (and that many ratings each).
    thin = config.min_shared_cells if exempt is None else config.min_shared_unproven
    eligible = d >= config.min_shared_cells
    if exempt is not None:
        eligible |= ~exempt & (d >= thin)
    use = eligible[raters] & (w[cells] <= config.max_cell_raters)
    x = sp.csr_matrix(
        (np.ones(int(use.sum()), dtype=np.int32), (raters[use], cells[use])),
        shape=(n_raters, n_cells),
    )
    rows = np.flatnonzero(eligible)
    if exempt is not None:
        # Only pairs with an unproven rater: its rows against every rater.
        rows = rows[~exempt[rows]]
    a, b, count, n_tested = _shared_pairs(x, rows, exempt, min(thin, config.min_shared_cells))
    need: NDArray[np.int64] | int = config.min_shared_cells
    if exempt is not None:
        need = np.where(exempt[a] | exempt[b], config.min_shared_cells, thin)
    threshold = _pair_threshold(n_tested, config)
    ok = _pair_tests(count, d[a] * d[b] * sim[blk[a], blk[b]], need, config, threshold)
    pairs = np.stack([a[ok], b[ok]], axis=1)
    group, n_groups = _groups(pairs, n_raters, config.min_partners)
    if config.cell_pair_p is not None and exempt is None:
        seeded = _cell_groups(cells, raters, n_raters, blk, n_blocks, config)
        group, n_groups = _merge_cell_groups(group, n_groups, seeded)
    flagged = _flag(cells, raters, group, n_groups, config, exempt)
    n_attached = 0
    if config.attach_max_p is not None and n_groups:
        grown = _attach(cells, raters, group, flagged, n_groups, d, config, exempt)
        n_attached = int((grown != group).sum())
        if n_attached:
            group = grown
            flagged = _flag(cells, raters, group, n_groups, config, exempt)
    if exempt is not None:
        group[exempt] = -1
    return CoRatingResult(group, flagged, int(pairs.shape[0]), n_groups, n_attached)


def find_co_rating_groups_reference(
    note_idx: NDArray[np.integer],
    rater_idx: NDArray[np.integer],
    levels: NDArray[np.integer],
    n_raters: int,
    config: CoRatingConfig,
    *,
    block: NDArray[np.integer] | None = None,
    established: NDArray[np.bool_] | None = None,
) -> CoRatingResult:
    """Plain-loop version of ``find_co_rating_groups`` (small inputs only; used to test it)."""
    n = _check(note_idx, rater_idx, levels)
    blk = [0] * n_raters if block is None else [int(v) for v in block.tolist()]
    exempt = [False] * n_raters
    if established is not None and not config.flag_established:
        exempt = [bool(v) for v in established.tolist()]
    cells = [int(t) * 3 + int(lv) for t, lv in zip(note_idx.tolist(), levels.tolist(), strict=True)]
    raters = [int(r) for r in rater_idx.tolist()]
    w: dict[int, int] = {}
    d = [0] * n_raters
    rated: list[set[int]] = [set() for _ in range(n_raters)]
    for c, r in zip(cells, raters, strict=True):
        w[c] = w.get(c, 0) + 1
        d[r] += 1
    masked = established is not None and not config.flag_established
    thin = config.min_shared_unproven if masked else config.min_shared_cells
    for c, r in zip(cells, raters, strict=True):
        enough = d[r] >= config.min_shared_cells or (not exempt[r] and d[r] >= thin)
        if enough and w[c] <= config.max_cell_raters:
            rated[r].add(c)
    # Block cell counts w_j^A and block totals W_A for the stratified null.
    wb: dict[tuple[int, int], int] = {}
    tot: dict[int, int] = {}
    for c, r in zip(cells, raters, strict=True):
        wb[(blk[r], c)] = wb.get((blk[r], c), 0) + 1
        tot[blk[r]] = tot.get(blk[r], 0) + 1

    def sim(p: int, q: int) -> float:
        inner = sum(v * wb.get((q, c), 0) for (bp, c), v in wb.items() if bp == p)
        return inner / float(tot[p] * tot[q])

    tested = []
    for a in range(n_raters):
        for b in range(a + 1, n_raters):
            c_ab = len(rated[a] & rated[b])
            if c_ab > 0 and not (exempt[a] and exempt[b]):
                tested.append((a, b, c_ab))
    threshold = _pair_threshold(len(tested), config)
    pairs = []
    for a, b, c_ab in tested:
        expected = d[a] * d[b] * sim(blk[a], blk[b])
        need_pair = config.min_shared_cells if exempt[a] or exempt[b] else thin
        if (
            c_ab >= need_pair
            and c_ab >= config.min_lift * expected
            and float(_poisson_sf(c_ab - 1, expected)) <= threshold
        ):
            pairs.append((a, b))
    pair_arr = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    # Core and components (as in the vectorized version, on the plain pair list).
    core = _k_core(pair_arr, n_raters, config.min_partners)
    group = np.full(n_raters, -1, dtype=np.int64)
    n_groups = 0
    for start in range(n_raters):
        if not core[start] or group[start] >= 0:
            continue
        stack = [start]
        group[start] = n_groups
        while stack:
            u = stack.pop()
            for p, q in pairs:
                v = q if p == u else p if q == u else -1
                if v >= 0 and core[v] and group[v] < 0:
                    group[v] = n_groups
                    stack.append(v)
        n_groups += 1
    if config.cell_pair_p is not None and established is None and n:
        # Step 3b is tested on its own (tests/.../test_co_rating.py); here it is reused.
        blk_arr, n_blk = _blocks(block, n_raters)
        seeded = _cell_groups(
            np.asarray(cells, dtype=np.int64),
            np.asarray(raters, dtype=np.int64),
            n_raters,
            blk_arr,
            n_blk,
            config,
        )
        group, n_groups = _merge_cell_groups(group, n_groups, seeded)

    def flag_all() -> NDArray[np.bool_]:
        flagged = np.zeros(n, dtype=np.bool_)
        for g in range(n_groups):
            members = [r for r in range(n_raters) if group[r] == g]
            if established is not None and not config.flag_established:
                unproven = sum(1 for r in members if not exempt[r]) / max(len(members), 1)
                if unproven < config.min_unproven_share:
                    for r in members:
                        group[r] = -1
                    continue
            group_ratings = float(sum(d[r] for r in members))
            rest = max(n - group_ratings, 1.0)
            cell_share = config.min_cell_share_unproven if masked else config.min_cell_share
            need = max(float(config.min_cell_members), cell_share * len(members))
            for i in range(n):
                if group[raters[i]] != g or exempt[raters[i]]:
                    continue
                inside = sum(1 for k in range(n) if cells[k] == cells[i] and group[raters[k]] == g)
                expected = group_ratings * (w[cells[i]] - inside) / rest
                flagged[i] = (
                    inside >= need
                    and inside >= config.min_lift * expected
                    and float(_poisson_sf(inside - 1, expected)) <= config.max_cell_p
                )
        return flagged

    flagged = flag_all()
    n_attached = 0
    if config.attach_max_p is not None and n_groups:
        grown = _attach_reference(cells, raters, list(group.tolist()), flagged, d, config, exempt)
        n_attached = sum(1 for u, v in zip(grown, group.tolist(), strict=True) if u != v)
        if n_attached:
            group = np.asarray(grown, dtype=np.int64)
            flagged = flag_all()
    for r in range(n_raters):
        if exempt[r]:
            group[r] = -1
    return CoRatingResult(group, flagged, len(pairs), n_groups, n_attached)


def _attach_reference(
    cells: list[int],
    raters: list[int],
    group: list[int],
    flagged: NDArray[np.bool_],
    d: list[int],
    config: CoRatingConfig,
    exempt: list[bool],
) -> list[int]:
    """Plain-loop step 5 (``_attach``)."""
    assert config.attach_max_p is not None
    n = len(cells)
    conc: dict[int, set[int]] = {}
    for i in range(n):
        if flagged[i] and group[raters[i]] >= 0:
            conc.setdefault(group[raters[i]], set()).add(cells[i])
    mine: list[set[int]] = [set() for _ in group]
    for c, r in zip(cells, raters, strict=True):
        mine[r].add(c)
    tests = []
    for g, cs in sorted(conc.items()):
        d_group = sum(d[r] for r in range(len(group)) if group[r] == g)
        others = sum(1 for c, r in zip(cells, raters, strict=True) if c in cs and group[r] != g)
        rest = max(float(n - d_group), 1.0)
        for a in range(len(group)):
            if group[a] >= 0 or exempt[a] or d[a] < config.min_shared_cells:
                continue
            hits = len(mine[a] & cs)
            if hits:
                tests.append((a, g, hits, d[a] * others / rest))
    out = list(group)
    best: dict[int, tuple[float, int]] = {}
    for a, g, hits, expected in tests:
        if hits < config.min_shared_cells or hits < config.min_lift * expected:
            continue
        tail = float(_poisson_sf(hits - 1, expected))
        bound = config.attach_max_p / max(len(tests), 1)
        if tail <= bound and (a not in best or (tail, g) < best[a]):
            best[a] = (tail, g)
    for a, (_, g) in best.items():
        out[a] = g
    return out
