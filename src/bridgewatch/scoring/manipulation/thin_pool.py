"""Thin pools: a large set of accounts that spreads a fresh random subset of itself over each
target, so that no pair of accounts shares more than a target or two (a bridgewatch defence).

Coordinated co-rating (``co_rating.py``) tests *pairs of raters*: a pool of ``P`` accounts
putting a fresh share ``s`` of itself on each of ``T`` targets leaves a pair ``T s^2``
shared targets (1.35 for 60 targets at 15%), never beyond chance, and camouflage ratings on
popular notes raise every pair's expectation further. The pool still writes a dense block
into the rater x cell matrix: ``P s`` of its accounts on each target, ``P T s`` ratings on
``T`` cells. This test looks at the block from the targets' side, where it is thick:

1. **Cells.** A rating is a cell ``j = (note, level)``; ``w_j`` its raters, ``d_a`` a
   rater's ratings, ``W`` the ratings. Only cells with ``min_cell_raters <= w_j <=
   max_cell_raters`` and raters with at most ``max_rater_cells`` such cells enter steps 2-3
   (camouflage on popular notes and very active raters make chance co-occurrences, not
   pools); ``x_a`` and ``W'`` are the rater's and everyone's ratings there.
2. **Cell pairs.** ``K_jk`` counts the raters who rated both cells ``j`` and ``k``. A pool
   puts ``P s^2`` of its accounts on each pair of its targets (7.4 for 330 accounts at
   15%). Under a configuration null stratified by community (raters in blocks ``A``, e.g.
   modeling groups; a rater of ``A`` picks cell ``j`` with probability ``x_a w_j^A /
   W'_A``) the expectation is ``E_jk = sum_A q_A w_j^A w_k^A`` with ``q_A = sum_{a in A}
   x_a (x_a - 1) / W'_A^2``. The pair is an *edge* when ``K_jk >= min_shared_raters``,
   ``K_jk >= edge_min_lift E_jk`` and the Poisson tail ``P(X >= K_jk | E_jk) <= max_edge_p``
   (no Bonferroni: single edges are weak evidence, the next step is the group test).
3. **Core.** Candidate target sets are the connected components of the
   ``min_partner_cells``-core of the edge graph with at least ``min_cells`` cells: a cell
   with that many beyond-chance partners that are themselves so connected is a block, not
   a coincidence (chance edges at ``max_edge_p`` are sparse and do not form a core).
4. **Members.** For a candidate set ``S`` a rater's hits ``k_aS`` (its cells in ``S``)
   are tested against ``e_aS = d_a sum_{j in S} o_j / (W - D_G)``, ``o_j`` the cell's
   raters outside the group ``G`` and ``D_G`` the group's ratings (first round: ``G``
   empty; a second round with the first round's members): a member has ``k_aS >=
   min_member_cells``, ``k_aS >= min_lift e_aS`` and a Poisson tail at most
   ``member_alpha`` over the raters tested. A large pool fills ``o_j`` with its own
   unfound accounts, so a set whose members so far give its verdict (``min_unanimity``)
   then takes in the raters whose hits pass a Poisson test against the set's rate among
   the raters with fewer than ``min_member_cells`` hits, none of them members
   (``pooled_fdr``, Benjamini-Hochberg). Groups smaller than ``min_group_size`` are
   dropped.
5. **Flags.** The group's *concentrated* cells hold ``g_j >= max(min_cell_members,
   min_cell_share |G|)`` members, ``g_j >= min_lift e_j`` with ``e_j = D_G o_j / (W -
   D_G)`` and a Poisson tail at most ``max_cell_p``. With an ``established`` mask the
   unproven members' ratings on them are flagged when the group is at least
   ``min_unproven_share`` unproven, and the established members of thin pools are reported
   (``ThinPoolResult.revoked``; thick and split groups are left to co-rating's own
   revocation pass; a thick group's cell is flagged only when its members there are
   ``min_unproven_share`` unproven too, ``per_cell_unproven``): the defences revoke
   their establishment for the run, so the unexplained-ratings test and group
   conviction judge their verdicts as they judge new accounts' (an honest circle or
   topic community rates as the model predicts and keeps its ratings).

The scorer drops flagged ratings before prescoring (``bridgewatch.scoring.defences``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy.sparse.csgraph import connected_components

from bridgewatch.errors import ConfigError
from bridgewatch.scoring.manipulation.burst import _k_core
from bridgewatch.scoring.manipulation.co_rating import _cell_tests, _poisson_sf

__all__ = ["ThinPoolConfig", "ThinPoolResult", "find_thin_pools"]

_LEVELS = 3
_CHUNK_WORK = 4_000_000  # cell-pair products per block of cells (bounds the memory)


@dataclass(frozen=True)
class ThinPoolConfig:
    """Thin pools (``bridgewatch.scoring.manipulation.thin_pool``; not in the reference).

    Parameters
    ----------
    min_cell_raters : cells with fewer raters are left out of the cell pairs (5).
    max_cell_raters : ... and cells with more (1000): popular cells, where camouflage sits,
        meet everywhere by chance.
    max_rater_cells : raters with more cells in that range are left out of the cell pairs
        (300): very active raters make ``x^2`` chance pairs each.
    min_shared_raters : an edge's cells share at least this many raters (3) ...
    edge_min_lift : ... at least this many times the null's expectation (2.0: the pool's own
        accounts inflate ``q_A``, and a pool of a fifth of a community lifts its cell
        pairs only 2-4 times; the tail carries the evidence) ...
    max_edge_p : ... with a Poisson tail at most this (1e-2, per pair: the core is the
        group test).
    min_partner_cells : candidate target sets are the core of the edge graph in which every
        cell has at least this many edges (8).
    min_edge_triangles : ... keeping only the core's edges that close at least this many
        triangles in it (3), so one chance edge does not merge two blocks ...
    min_cells : ... components of at least this many cells (10).
    min_member_cells : a member rated at least this many of the set's cells (3) ...
    min_lift : ... at least this many times the null's expectation (members and
        concentrated cells; 4.0) ...
    member_alpha : ... with a Poisson tail at most this divided by the raters tested (those
        with ``min_member_cells`` hits; 1e-3, Bonferroni; in the first round at most
        this, to seed the background).
    member_rounds : at most this many rounds of the member test (10; it stops when a
        round adds nobody): the first counts everyone in the cells' background, each later
        one the raters outside the group found so far (members are added, never dropped).
    min_group_size : groups with fewer members are dropped (10).
    min_cell_members, min_cell_share, max_cell_p : a concentrated cell holds at least
        ``max(min_cell_members, min_cell_share |G|)`` members (3, 0.05) with a Poisson
        tail at most ``max_cell_p`` (1e-6).
    min_unproven_share : with an ``established`` mask, unproven members' ratings are flagged
        only in groups at least this share unproven (0.5) ...
    min_unanimity : ... and its members give the concentrated verdict in at least this
        share of their ratings on those notes (0.9): a pool says one thing on every
        target, an honest community (a modeling group's interest, a topic) splits on its
        notes by their quality and its members' viewpoints, and stays thick-group rules.
    expand_rounds : after the members are found, at most this many times (4; it stops
        when stable): their group's concentrated cells (step 5) become its set and the
        members are tested again on them (the core misses targets whose honest raters
        share the pool's verdict; the members' count on them does not).
    max_thin_coverage : ... unless the group is *thin*: its members rated on average at
        most this share of the notes of its concentrated cells (0.3). Then every member's ratings on
        them are flagged, established or not. Low pairwise overlap with a block beyond the
        null is the pool's signature: it is what the spreading buys against pair tests,
        and an honest circle or community whose members rate the same notes is thick.
    pooled_fdr : a thin pool then takes in the raters outside every group whose hits on
        its concentrated cells pass a Poisson test against a background the pool does not
        inflate (the rate of those cells among the ratings of raters with fewer than
        ``min_member_cells`` hits), at this false discovery rate (1e-3, Benjamini-Hochberg
        over the raters tested): a pool of a fifth of a community fills the member test's
        background with its own unfound accounts, and with thousands of accounts at 3-5
        hits each a family-wise bound keeps only the few with the most.
    pooled_low_cells, pooled_low_share : ... and, for each hit count ``k`` from
        ``pooled_low_cells`` (2) to ``min_member_cells - 1``, all the raters outside every
        group with ``k`` hits that gave the set's verdict on every note of it they rated,
        when the same Poisson background expects at most ``pooled_low_share`` (0.4) as
        many raters with ``k`` hits by chance (summed over every rater outside the
        groups). One rater with 2 hits is never beyond chance (a tail of ~1e-3 at 40
        ratings), but a pool's accounts that drew 2 of its targets are many more than
        chance gives where the verdict is rare on those notes (SUPPRESS pools of the
        aged-pool bench on good notes: 2.5-4 times chance, e.g. 54 such raters where chance
        expects 11), and their leftover verdicts decide borderline targets; a circle's or
        a PROMOTE pool's low-hit raters are about as many as chance gives (0.65-1.7 of it
        on the same benches), and stay. Only sets whose members so far rated on average
        at most ``max_thin_coverage`` of its notes take them in (a circle's rate most of
        theirs). ``pooled_low_cells`` at ``min_member_cells`` turns this off.
    per_cell_unproven : a thick group's unproven members lose their ratings on a
        concentrated cell only when the group's members on that cell are at least
        ``min_unproven_share`` unproven too (True). The cell-pair core can join two blocks
        into one set (issue #15, session 17: an embedded SUPPRESS brigade of 250 new
        accounts whose camouflage fell on a niche circle's notes formed one set with the
        circle's 52 cells, seed 8, 5%); the group, mostly unproven through the brigade,
        then took 63 ratings of the circle's 8 newcomers on the circle's own notes,
        although on those cells the group is the circle, mostly established (22 of 30),
        which alone is left to co-rating's revocation. A group judged mostly unproven
        as a whole is judged so on each of its cells. False: the group's share alone.
    pooled_low_conditioned : the low-hit intake's chance count is taken under the same
        conditions as the raters it is compared with (True): those raters gave no other
        verdict on the set's notes, so the null multiplies each rater's Poisson
        probability of ``k`` hits by its probability of no rating of another verdict there
        (``exp(-d_a o)``, ``o`` that verdict's share of the background ratings), and both
        rates are taken in the rater's block (its modeling group, as the cell-pair null).
        Unconditioned, an active honest rater counts towards the chance of ``k`` hits
        although it would almost surely have rated one of the set's notes otherwise: on
        good notes pushed NOT HELPFUL (HELPFUL common there) chance was overstated about
        fourfold (aged-pool 10% seed 4: 27 raters with 2 hits, 14 by that chance, 4 by
        this one, 6 of them honest by the simulation's truth), the pool's 2-hit accounts
        stayed, and their leftover verdicts took good notes from Core's CRH. Only NOT
        HELPFUL sets are conditioned: on a helpful set the other verdicts on its notes
        include a suppression pool's own unfound accounts, a population apart from the
        set's honest raters, and the conditioned chance of a thick honest HELPFUL block
        fell below the bar (a planted case: 740 honest raters grouped); a helpful push's
        leftover verdicts are guarded by the fits anyway (``push_guard``: a helpful
        status must stand without them), a NOT HELPFUL push's are not. False: the plain
        degree null of round ten.
    """

    min_cell_raters: int = 5
    max_cell_raters: int = 1000
    max_rater_cells: int = 300
    min_shared_raters: int = 3
    edge_min_lift: float = 2.0
    max_edge_p: float = 1e-2
    min_partner_cells: int = 8
    min_edge_triangles: int = 3
    min_cells: int = 10
    min_member_cells: int = 3
    min_lift: float = 4.0
    member_alpha: float = 1e-3
    member_rounds: int = 10
    min_group_size: int = 10
    min_cell_members: int = 3
    min_cell_share: float = 0.05
    max_cell_p: float = 1e-6
    min_unproven_share: float = 0.5
    max_thin_coverage: float = 0.3
    min_unanimity: float = 0.9
    expand_rounds: int = 4
    pooled_fdr: float = 1e-3
    pooled_low_cells: int = 2
    pooled_low_share: float = 0.4
    pooled_low_conditioned: bool = True
    per_cell_unproven: bool = True

    def __post_init__(self) -> None:
        for name in (
            "min_cell_raters",
            "max_cell_raters",
            "max_rater_cells",
            "min_shared_raters",
            "min_partner_cells",
            "min_edge_triangles",
            "min_cells",
            "min_member_cells",
            "member_rounds",
            "min_group_size",
            "min_cell_members",
            "pooled_low_cells",
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError(name, value, "an int >= 1")
        if self.max_cell_raters < self.min_cell_raters:
            raise ConfigError("max_cell_raters", self.max_cell_raters, ">= min_cell_raters")
        for name in ("edge_min_lift", "min_lift"):
            if not getattr(self, name) >= 1.0:
                raise ConfigError(name, getattr(self, name), ">= 1")
        for name in ("max_edge_p", "member_alpha", "max_cell_p", "pooled_fdr"):
            if not 0.0 < getattr(self, name) <= 1.0:
                raise ConfigError(name, getattr(self, name), "in (0, 1]")
        if isinstance(self.expand_rounds, bool) or self.expand_rounds < 0:
            raise ConfigError("expand_rounds", self.expand_rounds, "an int >= 0")
        for name in (
            "min_cell_share",
            "min_unproven_share",
            "max_thin_coverage",
            "min_unanimity",
            "pooled_low_share",
        ):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ConfigError(name, getattr(self, name), "in [0, 1]")


@dataclass(frozen=True)
class ThinPoolResult:
    """Thin pools and their flagged ratings.

    Attributes
    ----------
    group : int64 array of shape (n_raters,), the rater's pool (0..n_groups-1) or -1.
    concentrated : bool array of shape (n_ratings,), members' ratings (established or not)
        on their pool's concentrated cells.
    flagged : bool array of shape (n_ratings,), the ``concentrated`` ratings of every
        member of a thin pool (``coverage <= max_thin_coverage``) and of the unproven
        members of other groups at least ``min_unproven_share`` unproven, as a whole and
        on the cell (``per_cell_unproven``) (every member's
        without an ``established`` mask).
    revoked : bool array of shape (n_raters,), established members of thin pools (all
        False without an ``established`` mask).
    n_edges : cell pairs beyond the null (step 2).
    n_groups : number of pools.
    unanimity : float64 array of shape (n_groups,), the share of the members' ratings on
        those notes that give the concentrated verdict.
    coverage : float64 array of shape (n_groups,), the members' mean share of the notes of
        their pool's concentrated cells (a pool spreading a fresh 15% over each target:
        ~0.15; a niche circle whose members rate most of its notes: ~0.8).
    """

    group: NDArray[np.int64]
    concentrated: NDArray[np.bool_]
    flagged: NDArray[np.bool_]
    revoked: NDArray[np.bool_]
    n_edges: int
    n_groups: int
    coverage: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0, dtype=np.float64))
    unanimity: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0, dtype=np.float64))


def _check(
    note_idx: NDArray[np.integer],
    rater_idx: NDArray[np.integer],
    levels: NDArray[np.integer],
    n_raters: int,
    block: NDArray[np.integer] | None,
    established: NDArray[np.bool_] | None,
) -> int:
    n = note_idx.shape[0]
    for name, arr in (("rater_idx", rater_idx), ("levels", levels)):
        if arr.shape != (n,):
            raise ConfigError(name, arr.shape, f"shape ({n},) like note_idx")
    if n and (note_idx.min() < 0 or rater_idx.min() < 0 or int(rater_idx.max()) >= n_raters):
        raise ConfigError("rater_idx", "out of range", f"indexes in [0, {n_raters})")
    if n and (levels.min() < 0 or levels.max() > 2):
        raise ConfigError("levels", "out of range", "0 (not helpful), 1 (somewhat), 2 (helpful)")
    for name, mask in (("block", block), ("established", established)):
        if mask is not None and mask.shape != (n_raters,):
            raise ConfigError(name, mask.shape, f"shape ({n_raters},)")
    return int(n)


def _cell_edges(
    cells: NDArray[np.int64],
    raters: NDArray[np.int64],
    blk: NDArray[np.int64],
    n_cells: int,
    n_raters: int,
    config: ThinPoolConfig,
) -> NDArray[np.int64]:
    """Steps 1-2: the cell pairs beyond the null, int64 array of shape (n_edges, 2), j < k."""
    w = np.bincount(cells, minlength=n_cells)
    use = (w[cells] >= config.min_cell_raters) & (w[cells] <= config.max_cell_raters)
    x_deg = np.bincount(raters[use], minlength=n_raters)
    use &= x_deg[raters] <= config.max_rater_cells
    if not use.any():
        return np.zeros((0, 2), dtype=np.int64)
    r, c = raters[use], cells[use]
    x_deg = np.bincount(r, minlength=n_raters).astype(np.float64)
    n_blocks = int(blk.max()) + 1 if blk.size else 1
    rb = blk[r]
    # q_A = sum_{a in A} x_a (x_a - 1) / W'_A^2, and w_j^A per cell and block.
    totals = np.bincount(rb, minlength=n_blocks).astype(np.float64)
    pairs_a = np.bincount(blk, weights=x_deg * (x_deg - 1.0), minlength=n_blocks)
    with np.errstate(divide="ignore", invalid="ignore"):
        q = np.where(totals > 0, pairs_a / np.maximum(totals, 1.0) ** 2, 0.0)
    wa = sp.csr_matrix(
        (np.ones(c.size, dtype=np.float64), (c, rb)), shape=(n_cells, n_blocks)
    ).toarray()
    x = sp.csr_matrix((np.ones(c.size, dtype=np.float32), (r, c)), shape=(n_raters, n_cells))
    xt = sp.csr_matrix(x.T)
    # Work per cell row of X^T X: the ratings of its raters.
    work = np.asarray(xt @ x_deg).ravel()
    live = np.flatnonzero(np.bincount(c, minlength=n_cells) > 0)
    cum = np.cumsum(work[live])
    cuts = np.searchsorted(cum, np.arange(_CHUNK_WORK, cum[-1], _CHUNK_WORK), side="right")
    stops = np.unique(np.concatenate([[0], cuts, [live.size]]).astype(np.int64))
    parts: list[NDArray[np.int64]] = []
    for start, stop in zip(stops[:-1].tolist(), stops[1:].tolist(), strict=True):
        rows = live[start:stop]
        prod = sp.coo_matrix(xt[rows] @ x)
        j = rows[prod.row]
        k = prod.col.astype(np.int64)
        keep = (j < k) & (prod.data >= config.min_shared_raters)
        j, k, count = j[keep], k[keep], prod.data[keep].astype(np.float64)
        expected = np.einsum("ij,ij->i", wa[j] * q, wa[k])
        ok = count >= config.edge_min_lift * expected
        if ok.any():
            tail = _poisson_sf(count[ok] - 1.0, expected[ok])
            ok[np.flatnonzero(ok)] = tail <= config.max_edge_p
        parts.append(np.stack([j[ok], k[ok]], axis=1))
    if not parts:
        return np.zeros((0, 2), dtype=np.int64)
    return np.concatenate(parts).astype(np.int64)


def _cell_edges_reference(
    cells: NDArray[np.int64],
    raters: NDArray[np.int64],
    blk: NDArray[np.int64],
    n_cells: int,
    n_raters: int,
    config: ThinPoolConfig,
) -> NDArray[np.int64]:
    """Plain-loop version of ``_cell_edges`` (small inputs only; used to test it)."""
    w = [0] * n_cells
    for c in cells.tolist():
        w[c] += 1
    kept = [
        (int(c), int(r))
        for c, r in zip(cells.tolist(), raters.tolist(), strict=True)
        if config.min_cell_raters <= w[c] <= config.max_cell_raters
    ]
    deg = [0] * n_raters
    for _, r in kept:
        deg[r] += 1
    kept = [(c, r) for c, r in kept if deg[r] <= config.max_rater_cells]
    x = [0] * n_raters
    by_rater: list[list[int]] = [[] for _ in range(n_raters)]
    for c, r in kept:
        x[r] += 1
        by_rater[r].append(c)
    blocks = int(blk.max()) + 1 if blk.size else 1
    total = [0.0] * blocks
    pairs = [0.0] * blocks
    wa: dict[tuple[int, int], int] = {}
    for c, r in kept:
        b = int(blk[r])
        total[b] += 1.0
        wa[(c, b)] = wa.get((c, b), 0) + 1
    for r in range(n_raters):
        pairs[int(blk[r])] += x[r] * (x[r] - 1.0)
    q = [pairs[b] / total[b] ** 2 if total[b] > 0 else 0.0 for b in range(blocks)]
    shared: dict[tuple[int, int], int] = {}
    for r in range(n_raters):
        mine = sorted(by_rater[r])
        for i, j in enumerate(mine):
            for k in mine[i + 1 :]:
                shared[(j, k)] = shared.get((j, k), 0) + 1
    out = []
    for (j, k), count in sorted(shared.items()):
        expected = sum(q[b] * wa.get((j, b), 0) * wa.get((k, b), 0) for b in range(blocks))
        if (
            count >= config.min_shared_raters
            and count >= config.edge_min_lift * expected
            and float(_poisson_sf(count - 1, expected)) <= config.max_edge_p
        ):
            out.append((j, k))
    return np.asarray(out, dtype=np.int64).reshape(-1, 2)


def _cell_sets(edges: NDArray[np.int64], n_cells: int, config: ThinPoolConfig) -> NDArray[np.int64]:
    """Step 3: int64 array of shape (n_cells,), each cell's candidate set or -1."""
    out = np.full(n_cells, -1, dtype=np.int64)
    if edges.shape[0] == 0:
        return out
    core = _k_core(edges, n_cells, config.min_partner_cells)
    if not core.any():
        return out
    kept = edges[core[edges[:, 0]] & core[edges[:, 1]]]
    # Triangle support: an edge inside a block closes triangles with the block's other
    # cells; a chance edge between two blocks closes none and would merge them.
    adj = sp.csr_matrix(
        (np.ones(kept.shape[0], dtype=np.float64), (kept[:, 0], kept[:, 1])),
        shape=(n_cells, n_cells),
    )
    adj = adj + adj.T
    support = np.asarray((adj @ adj)[kept[:, 0], kept[:, 1]]).ravel()
    kept = kept[support >= config.min_edge_triangles]
    core = _k_core(kept, n_cells, config.min_partner_cells)
    if not core.any():
        return out
    kept = kept[core[kept[:, 0]] & core[kept[:, 1]]]
    graph = sp.coo_matrix(
        (np.ones(kept.shape[0], dtype=np.int8), (kept[:, 0], kept[:, 1])), shape=(n_cells, n_cells)
    )
    _, labels = connected_components(graph, directed=False)
    labels = labels.astype(np.int64)
    sizes = np.bincount(labels[core], minlength=int(labels.max()) + 1)
    big = core & (sizes[labels] >= config.min_cells)
    if not big.any():
        return out
    _, dense = np.unique(labels[big], return_inverse=True)
    out[big] = dense.ravel()
    return out


def _members(
    cells: NDArray[np.int64],
    raters: NDArray[np.int64],
    cell_set: NDArray[np.int64],
    n_raters: int,
    config: ThinPoolConfig,
    block: NDArray[np.int64] | None = None,
) -> NDArray[np.int64]:
    """Step 4: int64 array of shape (n_raters,), each rater's pool (by candidate set) or -1
    (``block``: each rater's community, for the low-hit intake's null)."""
    n_sets = int(cell_set.max()) + 1
    if n_sets <= 0:  # an expansion whose groups kept no concentrated cell
        return np.full(n_raters, -1, dtype=np.int64)
    n = cells.shape[0]
    d = np.bincount(raters, minlength=n_raters).astype(np.float64)
    w = np.bincount(cells, minlength=cell_set.shape[0]).astype(np.float64)
    in_set = cell_set[cells] >= 0
    s_of = cell_set[cells[in_set]]
    group = np.full(n_raters, -1, dtype=np.int64)
    # Round 1 counts every rater of a cell as background (the pool inflates its own null:
    # a conservative test) and tests each rater alone (no Bonferroni); later rounds take
    # the members found so far out of the background and add the raters that pass the
    # family-wise bound. Members stay members: with the pool's 50 accounts out of a
    # target's background the honest 20 remain, and a member with 7 hits would fall below
    # the bound of a later round that the first round's background made conservative.
    for round_ in range(config.member_rounds):
        g_of = group[raters[in_set]]
        mine = g_of == s_of
        inside = np.bincount(cells[in_set][mine], minlength=w.size)
        at = cell_set >= 0
        others = np.bincount(cell_set[at], weights=(w - inside)[at], minlength=n_sets)
        d_group = np.bincount(group[group >= 0], weights=d[group >= 0], minlength=n_sets)
        rest = np.maximum(float(n) - d_group, 1.0)
        keys, hits = np.unique(raters[in_set] * n_sets + s_of, return_counts=True)
        a, s = keys // n_sets, keys % n_sets
        expected = d[a] * others[s] / rest[s]
        ok = (hits >= config.min_member_cells) & (hits >= config.min_lift * expected)
        bound = config.member_alpha
        if ok.any():
            tail = _poisson_sf(hits[ok] - 1, expected[ok])
            ok[np.flatnonzero(ok)] = tail <= bound
        a, s, h = a[ok], s[ok], hits[ok]
        order = np.lexsort((-h, a))  # a rater in two sets: the one it hits most
        a, s = a[order], s[order]
        first = np.ones(a.size, dtype=np.bool_)
        first[1:] = a[1:] != a[:-1]
        found = np.full(n_raters, -1, dtype=np.int64)
        found[a[first]] = s[first]
        grown = np.where(group >= 0, group, found)
        if round_ > 0 and np.array_equal(grown, group):
            break
        group = grown
    group = _pooled_members(cells, raters, cell_set, group, config, block)
    sizes = np.bincount(group[group >= 0], minlength=n_sets)
    group[(group >= 0) & (sizes[np.maximum(group, 0)] < config.min_group_size)] = -1
    if not (group >= 0).any():
        return group
    _, dense = np.unique(group[group >= 0], return_inverse=True)
    group[group >= 0] = dense.ravel()
    return group


def _pooled_members(
    cells: NDArray[np.int64],
    raters: NDArray[np.int64],
    cell_set: NDArray[np.int64],
    group: NDArray[np.int64],
    config: ThinPoolConfig,
    block: NDArray[np.int64] | None = None,
) -> NDArray[np.int64]:
    """Members found on their whole set (see ``pooled_fdr``), (n_raters,): for each set
    whose members so far give its verdict in at least ``min_unanimity`` of their ratings
    on its notes (a pool; a circle splits), the raters outside every group whose hits pass
    a Poisson test against the set's rate among raters with too few hits to be members,
    Benjamini-Hochberg over the raters tested."""
    out = group.copy()
    d = np.bincount(raters, minlength=group.shape[0]).astype(np.float64)
    notes = cells // _LEVELS
    for g in np.unique(group[group >= 0]).tolist():
        cell_in = cell_set == g
        in_set = cell_in[cells]
        on_notes = np.isin(notes, np.flatnonzero(cell_in) // _LEVELS)
        mine = group[raters] == g
        if in_set[mine].sum() < config.min_unanimity * max(int(on_notes[mine].sum()), 1):
            continue
        hits = np.bincount(raters[in_set], minlength=group.shape[0])
        back = ((hits < config.min_member_cells) & (out < 0))[raters]
        rate = float(in_set[back].sum()) / max(float(back.sum()), 1.0)
        on_set = np.bincount(raters[on_notes], minlength=d.size)
        n_notes = max(np.unique(np.flatnonzero(cell_in) // _LEVELS).size, 1)
        if on_set[group == g].mean() <= config.max_thin_coverage * n_notes:
            # Thin so far (a circle's members rate most of its notes): its low-hit raters.
            # Conditioned only on a NOT HELPFUL set (module docstring, pooled_low_conditioned).
            not_helpful = not (cell_in & (np.arange(cell_in.size) % _LEVELS > 0)).any()
            if config.pooled_low_conditioned and not_helpful:
                low_rate, other = _low_hit_rates(raters, in_set, on_notes, back, block, d.size)
            else:
                low_rate, other = np.full(d.size, rate), np.zeros(d.size)
            _low_hit_members(out, g, hits, d, low_rate, other, on_set, config)
        tested = np.flatnonzero((out < 0) & (hits >= config.min_member_cells))
        if tested.size == 0:
            continue
        h, e = hits[tested].astype(np.float64), d[tested] * rate
        p = np.where(h >= config.min_lift * e, _poisson_sf(h - 1.0, e), 1.0)
        # Benjamini-Hochberg: the largest rank whose p-value is within rank / m * fdr.
        ranked = np.sort(p)
        within = np.flatnonzero(
            ranked <= np.arange(1, ranked.size + 1) / ranked.size * config.pooled_fdr
        )
        if within.size:
            out[tested[p <= ranked[within[-1]]]] = g
    return out


def _low_hit_rates(
    raters: NDArray[np.int64],
    in_set: NDArray[np.bool_],
    on_notes: NDArray[np.bool_],
    back: NDArray[np.bool_],
    block: NDArray[np.int64] | None,
    n_raters: int,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """(rate, other): float64 arrays of shape (n_raters,), the share of the background
    ratings (``back``) that fall on the set's cells and on its notes with another verdict,
    among the background ratings of each rater's block (one block when ``block`` is None;
    a block without background ratings takes the overall shares)."""
    blk = np.zeros(n_raters, dtype=np.int64) if block is None else block
    n_blocks = int(blk.max()) + 1 if blk.size else 1
    of = blk[raters]
    total = np.bincount(of[back], minlength=n_blocks).astype(np.float64)
    hit = np.bincount(of[back & in_set], minlength=n_blocks).astype(np.float64)
    other = np.bincount(of[back & on_notes & ~in_set], minlength=n_blocks).astype(np.float64)
    all_back = max(float(total.sum()), 1.0)
    empty = total <= 0.0
    with np.errstate(invalid="ignore", divide="ignore"):
        rate_b = np.where(empty, hit.sum() / all_back, hit / total)
        other_b = np.where(empty, other.sum() / all_back, other / total)
    return rate_b[blk], other_b[blk]


def _low_hit_members(
    out: NDArray[np.int64],
    g: int,
    hits: NDArray[np.int64],
    degree: NDArray[np.float64],
    rate: NDArray[np.float64],
    other: NDArray[np.float64],
    on_set: NDArray[np.int64],
    config: ThinPoolConfig,
) -> None:
    """Set ``out`` to ``g`` (in place) for the raters outside every group with ``k`` hits
    on set ``g`` (``pooled_low_cells <= k < min_member_cells``) and no other rating on its
    notes, for each ``k`` where they are at least ``1 / pooled_low_share`` times as many as
    the Poisson background expects among the raters outside every group: ``k`` hits at
    ``degree * rate`` and none at ``degree * other`` (see
    ``ThinPoolConfig.pooled_low_cells``, ``pooled_low_conditioned``).

    Parameters
    ----------
    out : int64 array of shape (n_raters,), each rater's group or -1.
    hits : int array of shape (n_raters,), ratings on the set's cells.
    degree : float64 array of shape (n_raters,), each rater's ratings.
    rate : float64 array of shape (n_raters,), the set's cells' share of the ratings of the
        raters with too few hits (in the rater's block).
    other : float64 array of shape (n_raters,), ... the share on the set's notes with
        another verdict (zeros: the count is not conditioned on it).
    on_set : int array of shape (n_raters,), ratings on the set's notes (any verdict).
    """
    outside = out < 0
    expected_hits = degree[outside] * rate[outside]
    expected_other = degree[outside] * other[outside]
    for k in range(config.pooled_low_cells, config.min_member_cells):
        found = np.flatnonzero(outside & (hits == k) & (on_set == k))
        if found.size == 0:
            continue
        chance = float(
            (np.exp(-expected_hits - expected_other) * expected_hits**k).sum()
        ) / math.factorial(k)
        if chance <= config.pooled_low_share * found.size:
            out[found] = g


def _expanded_sets(
    cells: NDArray[np.int64],
    raters: NDArray[np.int64],
    group: NDArray[np.int64],
    concentrated: NDArray[np.bool_],
    cell_set: NDArray[np.int64],
) -> NDArray[np.int64]:
    """Each cell's group by its concentrated cells, (n_cells,) (-1: none); a cell
    concentrated for two groups goes to the first of its ratings' groups."""
    out = np.full(cell_set.shape[0], -1, dtype=np.int64)
    g = group[raters[concentrated]]
    out[cells[concentrated][::-1]] = g[::-1]
    return out


def _concentrated(
    cells: NDArray[np.int64],
    raters: NDArray[np.int64],
    group: NDArray[np.int64],
    n_cells: int,
    config: ThinPoolConfig,
) -> NDArray[np.bool_]:
    """Step 5: members' ratings on their pool's concentrated cells, (n_ratings,)."""
    n = cells.shape[0]
    out = np.zeros(n, dtype=np.bool_)
    n_groups = int(group.max()) + 1 if group.size else 0
    if n_groups <= 0:
        return out
    w = np.bincount(cells, minlength=n_cells)
    d = np.bincount(raters, minlength=group.shape[0]).astype(np.float64)
    g_of = group[raters]
    sizes = np.bincount(group[group >= 0], minlength=n_groups)
    for g in range(n_groups):
        mine = g_of == g
        members = np.bincount(cells[mine], minlength=n_cells)
        d_group = float(d[group == g].sum())
        ok = _cell_tests(
            members, w - members, d_group, float(n), int(sizes[g]), config, config.min_cell_share
        )
        out |= mine & ok[cells]
    return out


def _unanimity(
    cells: NDArray[np.int64],
    raters: NDArray[np.int64],
    group: NDArray[np.int64],
    concentrated: NDArray[np.bool_],
    n_groups: int,
) -> NDArray[np.float64]:
    """Per group, the share of its members' ratings on the notes of its concentrated cells
    that give the note's most common concentrated verdict, (n_groups,): a pool says one
    thing on every target (1.0); an honest community's members split on its notes by
    their quality and their viewpoints."""
    if n_groups == 0:
        return np.zeros(0, dtype=np.float64)
    n_cells = int(cells.max()) + 1
    g_of = group[raters]
    # Member ratings per (group, cell) on concentrated cells; per (group, note) the most.
    gc, per_cell = np.unique(g_of[concentrated] * n_cells + cells[concentrated], return_counts=True)
    gn = (gc // n_cells) * (n_cells // _LEVELS + 1) + (gc % n_cells) // _LEVELS
    notes_keys, inv = np.unique(gn, return_inverse=True)
    agree_note = np.zeros(notes_keys.size, dtype=np.float64)
    np.maximum.at(agree_note, inv.ravel(), per_cell.astype(np.float64))
    member = g_of >= 0
    keys = g_of[member] * (n_cells // _LEVELS + 1) + cells[member] // _LEVELS
    pos = np.minimum(np.searchsorted(notes_keys, keys), notes_keys.size - 1)
    hit = notes_keys[pos] == keys
    total = np.bincount(g_of[member][hit], minlength=n_groups).astype(np.float64)
    agree = np.bincount(
        notes_keys // (n_cells // _LEVELS + 1), weights=agree_note, minlength=n_groups
    )
    out: NDArray[np.float64] = agree / np.maximum(total, 1.0)
    return out


def _coverage(
    cells: NDArray[np.int64],
    raters: NDArray[np.int64],
    group: NDArray[np.int64],
    concentrated: NDArray[np.bool_],
    n_groups: int,
) -> NDArray[np.float64]:
    """Per group, the members' mean share of the notes of its concentrated cells,
    (n_groups,) (notes, not cells: a circle's verdicts split over a note's cells)."""
    if n_groups == 0:
        return np.zeros(0, dtype=np.float64)
    g = group[raters[concentrated]]
    notes = cells[concentrated] // _LEVELS
    n_notes = int(cells.max()) // _LEVELS + 1 if cells.size else 1
    per_group = np.bincount(np.unique(g * n_notes + notes) // n_notes, minlength=n_groups)
    hits = np.bincount(
        np.unique(raters[concentrated] * n_notes + notes) // n_notes, minlength=group.shape[0]
    )
    member = group >= 0
    sizes = np.bincount(group[member], minlength=n_groups)
    total = np.bincount(group[member], weights=hits[member], minlength=n_groups)
    out: NDArray[np.float64] = total / (np.maximum(sizes, 1) * np.maximum(per_group, 1))
    return out


def _unproven_cells(
    cells: NDArray[np.int64],
    raters: NDArray[np.int64],
    g_of: NDArray[np.int64],
    concentrated: NDArray[np.bool_],
    established: NDArray[np.bool_],
    config: ThinPoolConfig,
) -> NDArray[np.bool_]:
    """Per rating (n_ratings,): a concentrated rating whose (group, cell) holds at least
    ``min_unproven_share`` unproven members (``ThinPoolConfig.per_cell_unproven``)."""
    out = np.zeros(cells.shape[0], dtype=np.bool_)
    on = concentrated & (g_of >= 0)
    if not on.any():
        return out
    n_cells = int(cells.max()) + 1
    keys, inv = np.unique(g_of[on] * n_cells + cells[on], return_inverse=True)
    inv = inv.ravel()
    total = np.bincount(inv, minlength=keys.size).astype(np.float64)
    unproven = np.bincount(
        inv, weights=(~established[raters[on]]).astype(np.float64), minlength=keys.size
    )
    out[on] = (unproven >= config.min_unproven_share * total)[inv]
    return out


def find_thin_pools(
    note_idx: NDArray[np.integer],
    rater_idx: NDArray[np.integer],
    levels: NDArray[np.integer],
    n_raters: int,
    config: ThinPoolConfig,
    *,
    block: NDArray[np.integer] | None = None,
    established: NDArray[np.bool_] | None = None,
) -> ThinPoolResult:
    """Find thin pools (see the module docstring).

    Parameters
    ----------
    note_idx, rater_idx : int arrays of shape (n_ratings,); a rater rates a note once.
    levels : int array of shape (n_ratings,), 0 NOT_HELPFUL, 1 SOMEWHAT_HELPFUL, 2 HELPFUL.
    n_raters : number of raters (``rater_idx < n_raters``).
    config : ThinPoolConfig
    block : int array of shape (n_raters,), each rater's community for the null (e.g. its
        modeling group); None: one block.
    established : bool array of shape (n_raters,), established raters; None: every member's
        ratings can be flagged and none is revoked.

    Returns
    -------
    ThinPoolResult
    """
    n = _check(note_idx, rater_idx, levels, n_raters, block, established)
    none = np.zeros(n, dtype=np.bool_)
    empty = ThinPoolResult(
        np.full(n_raters, -1, dtype=np.int64), none, none.copy(), np.zeros(n_raters, np.bool_), 0, 0
    )
    if n == 0:
        return empty
    raters = rater_idx.astype(np.int64)
    cells = note_idx.astype(np.int64) * _LEVELS + levels.astype(np.int64)
    n_cells = int(cells.max()) + 1
    if block is None:
        blk = np.zeros(n_raters, dtype=np.int64)
    else:
        _, inv = np.unique(block, return_inverse=True)
        blk = inv.astype(np.int64).ravel()
    edges = _cell_edges(cells, raters, blk, n_cells, n_raters, config)
    cell_set = _cell_sets(edges, n_cells, config)
    if not (cell_set >= 0).any():
        return ThinPoolResult(empty.group, none, none.copy(), empty.revoked, int(edges.shape[0]), 0)
    group = _members(cells, raters, cell_set, n_raters, config, blk)
    concentrated = _concentrated(cells, raters, group, n_cells, config)
    for _ in range(config.expand_rounds if (group >= 0).any() else 0):
        # The core holds the targets whose cell pairs stand out; the group's concentrated
        # cells hold all of them (a target with many honest raters of the same verdict
        # misses the core but not the member count). Members are re-tested on those.
        grown = _expanded_sets(cells, raters, group, concentrated, cell_set)
        regroup = _members(cells, raters, grown, n_raters, config, blk)
        if np.array_equal(regroup, group):
            break
        group = regroup
        concentrated = _concentrated(cells, raters, group, n_cells, config)
    n_groups = int(group.max()) + 1 if (group >= 0).any() else 0
    coverage = _coverage(cells, raters, group, concentrated, n_groups)
    unanimity = _unanimity(cells, raters, group, concentrated, n_groups)
    thin = (coverage <= config.max_thin_coverage) & (unanimity >= config.min_unanimity)
    flagged = concentrated.copy()
    revoked = np.zeros(n_raters, dtype=np.bool_)
    if established is not None:
        est = established.astype(np.bool_)
        # Only thin pools' established members are revoked: a thick or split group (an
        # honest modeling-group community merged with a circle) is co-rating's to judge,
        # and revoking it here cost an honest community its establishment (whole roster,
        # embedded 20%: 262 honest raters revoked, 70 honest ratings removed in a group
        # scorer; benchmarks/results/session10/verify.md).
        revoked = est & (group >= 0)
        revoked[revoked] = thin[group[revoked]]
        sizes = np.bincount(group[group >= 0], minlength=n_groups).astype(np.float64)
        unproven = np.bincount(group[(group >= 0) & ~est], minlength=n_groups)
        flag_group = unproven >= config.min_unproven_share * np.maximum(sizes, 1.0)
        g_of = group[raters]
        # Thin pools lose every member's concentrated verdicts; thick groups (circles)
        # only their unproven members', and only when mostly unproven.
        flagged &= g_of >= 0
        thick = flag_group[g_of[flagged]] & ~est[raters[flagged]]
        if config.per_cell_unproven:
            thick &= _unproven_cells(cells, raters, g_of, concentrated, est, config)[flagged]
        flagged[flagged] = thin[g_of[flagged]] | thick
    return ThinPoolResult(
        group, concentrated, flagged, revoked, int(edges.shape[0]), n_groups, coverage, unanimity
    )
