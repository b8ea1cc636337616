"""Coordinated rating bursts: many same-side, same-verdict ratings on a note within minutes,
by raters who keep turning up in the same bursts on other notes.

A brigade that wants to move a note's status must put many ratings of one verdict on it,
and in a bridging scorer those ratings must come from one viewpoint side (the side the
note's factor does not already explain). To matter it acts fast, while the note is new,
and it reuses its accounts from target to target. Honest raters also rate popular notes
fast, but they do not keep meeting the same co-raters in burst after burst. The detector
looks for exactly that combination (in the spirit of post-selection similarity and
quasi-cliques, scoring-extended.md §3.1-3.2, restricted to timed bursts):

1. **Bursts.** Ratings are grouped by (note, rater side, level), the side being the sign
   of the rater's prescoring factor (0 when it has none). A rating is *in a burst* when a
   window of ``window_minutes`` holding it holds at least ``min_burst_ratings`` ratings of
   its group and at least ``min_burst_share`` of the whole group: a concentration in time,
   not just a popular note, whose steady stream of ratings fills every window. Each group
   with burst ratings is one burst.
2. **Co-burst pairs.** With ``B`` the 0/1 rater x burst matrix, ``C = B B^T`` counts the
   bursts two raters share. A pair is *coordinated* when ``C_ab >= min_shared_bursts`` and
   ``C_ab / max(deg_a, deg_b) >= min_shared_fraction`` (``deg`` = the rater's bursts):
   *both* raters spend most of their bursts together. Two very active honest raters meet
   in many bursts too, but those are a small part of what each of them does.
3. **Quasi-clique.** Candidates are the ``min_partners``-core of the pair graph
   (repeatedly drop raters with fewer than ``min_partners`` coordinated partners left), so
   a chain of chance pairs does not make a group.
4. **Flags.** A burst rating of a candidate is flagged when the candidates' ratings alone
   make a burst of its group (step 1's test on their ratings, against the whole group's
   size). Only such ratings are flagged: the ratings a sleeper account made to build its
   reputation stay, even where a few members happen to meet on a note. The *coordinated*
   raters are the candidates with a flagged rating: a brigade strikes together, so its
   members make bursts on their own. Pairs alone carry no chance model: in a community
   whose members rate its popular notes within the hour (bursts of 30-200 raters), among
   tens of thousands of pairs some members with 3-6 bursts share 3 of the largest by
   chance and form a core, yet never make up a burst by themselves (five honest members
   of a 300-rater modeling-group community in Group 3's view, attack bench seed 4,
   issue #15). Reported as coordinated they would be labelled for the live watch
   (``scoring.incremental``) and counted as flagged.

The scorer gives flagged ratings ``rating_weight`` in the final fits (0 drops them).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from bridgewatch.errors import ConfigError
from bridgewatch.scoring.manipulation.config import BurstConfig

__all__ = ["BurstResult", "find_rating_bursts", "find_rating_bursts_reference", "rater_sides"]

_SECOND_MS = 1_000


@dataclass(frozen=True)
class BurstResult:
    """Bursts, coordinated raters and flagged ratings.

    Attributes
    ----------
    in_burst : bool array of shape (n_ratings,), the rating is in a burst.
    burst_id : int64 array of shape (n_ratings,), dense burst id (group of the rating) for
        burst ratings, -1 otherwise.
    coordinated : bool array of shape (n_raters,), raters in the quasi-clique of co-burst
        pairs with at least one flagged rating (step 4).
    flagged : bool array of shape (n_ratings,), ratings of coordinated raters that make a
        burst on their own (step 4).
    n_bursts : number of bursts.
    n_pairs : number of coordinated pairs (before the core is taken).
    """

    in_burst: NDArray[np.bool_]
    burst_id: NDArray[np.int64]
    coordinated: NDArray[np.bool_]
    flagged: NDArray[np.bool_]
    n_bursts: int
    n_pairs: int


def rater_sides(rater_factors: NDArray[np.floating]) -> NDArray[np.int8]:
    """Viewpoint side of each rater: the sign of its factor, 0 where NaN or zero.

    Parameters
    ----------
    rater_factors : float array of shape (n_raters,), e.g. prescoring factor 1.

    Returns
    -------
    int8 array of shape (n_raters,) in {-1, 0, 1}.
    """
    f = np.asarray(rater_factors, dtype=np.float64)
    out: NDArray[np.int8] = np.sign(np.nan_to_num(f, nan=0.0)).astype(np.int8)
    return out


def _check(
    note_idx: NDArray[np.integer],
    rater_idx: NDArray[np.integer],
    levels: NDArray[np.integer],
    created_at_ms: NDArray[np.integer],
    rater_side: NDArray[np.integer],
) -> int:
    n = note_idx.shape[0]
    for name, arr in (
        ("rater_idx", rater_idx),
        ("levels", levels),
        ("created_at_ms", created_at_ms),
    ):
        if arr.shape != (n,):
            raise ConfigError(name, arr.shape, f"shape ({n},) like note_idx")
    if n and (rater_idx.min() < 0 or rater_idx.max() >= rater_side.shape[0]):
        raise ConfigError("rater_idx", "out of range", f"indexes in [0, {rater_side.shape[0]})")
    if n and (levels.min() < 0 or levels.max() > 2):
        raise ConfigError("levels", "out of range", "0 (not helpful), 1 (somewhat), 2 (helpful)")
    return int(n)


def _group_keys(
    note_idx: NDArray[np.integer],
    rater_idx: NDArray[np.integer],
    levels: NDArray[np.integer],
    rater_side: NDArray[np.integer],
) -> NDArray[np.int64]:
    side = rater_side[rater_idx].astype(np.int64) + 1
    out: NDArray[np.int64] = (note_idx.astype(np.int64) * 3 + levels.astype(np.int64)) * 3 + side
    return out


def _burst_members(
    group: NDArray[np.int64],
    created_at_ms: NDArray[np.integer],
    config: BurstConfig,
    group_size: NDArray[np.int64] | None = None,
) -> NDArray[np.bool_]:
    """Ratings in a window of ``window_minutes`` holding >= ``min_burst_ratings`` of their
    group and >= ``min_burst_share`` of ``group_size`` (each rating's whole group; default
    the ratings given)."""
    n = group.shape[0]
    if n == 0:
        return np.zeros(0, dtype=np.bool_)
    seconds = (created_at_ms.astype(np.int64) - int(created_at_ms.min())) // _SECOND_MS
    window_s = round(config.window_minutes * 60.0)
    span = int(seconds.max()) + window_s + 1
    base = int(group.min())
    top = int(group.max()) - base
    if top + 1 > np.iinfo(np.int64).max // span:
        # The raw keys are too far apart to pack with the time: pack dense ids instead.
        ids = np.unique(group, return_inverse=True)[1].astype(np.int64).ravel()
        if int(ids.max()) + 1 > np.iinfo(np.int64).max // span:
            raise ConfigError("window_minutes", config.window_minutes, "a smaller time span")
    else:
        ids = group - base
    # One sort of (group, time): the composite key never crosses groups because span
    # exceeds any time + window.
    composite = ids * span + seconds
    order = np.argsort(composite, kind="stable")
    keys = composite[order]
    # A window starting at each rating: [t, t + window] within the same group.
    end = np.searchsorted(keys, keys + window_s, side="right")
    if group_size is None:
        # Each rating's group size from the runs of equal groups in sorted order.
        sorted_ids = keys // span
        bounds = np.flatnonzero(np.r_[True, sorted_ids[1:] != sorted_ids[:-1], True])
        runs = np.diff(bounds)
        size_sorted = np.repeat(runs, runs)
    else:
        size_sorted = group_size[order]
    held = end - np.arange(n)
    starts = (held >= config.min_burst_ratings) & (held >= config.min_burst_share * size_sorted)
    first = np.flatnonzero(starts)
    cover = np.bincount(first, minlength=n + 1) - np.bincount(end[first], minlength=n + 1)
    in_sorted = np.cumsum(cover[:n]) > 0
    out = np.zeros(n, dtype=np.bool_)
    out[order] = in_sorted
    return out


def _k_core(pairs: NDArray[np.int64], n_raters: int, k: int) -> NDArray[np.bool_]:
    """Raters left after repeatedly removing those with fewer than ``k`` partners."""
    alive = np.zeros(n_raters, dtype=np.bool_)
    if pairs.shape[0] == 0:
        return alive
    edges = pairs
    while edges.shape[0]:
        degree = np.bincount(edges.ravel(), minlength=n_raters)
        weak = (degree > 0) & (degree < k)
        if not weak.any():
            break
        edges = edges[~(weak[edges[:, 0]] | weak[edges[:, 1]])]
    if edges.shape[0]:
        alive[np.unique(edges.ravel())] = True
    return alive


def _coordinated_pairs(
    rater_idx: NDArray[np.integer], burst_id: NDArray[np.int64], n_raters: int, config: BurstConfig
) -> NDArray[np.int64]:
    """Coordinated rater pairs (a < b) from the burst ratings (step 2), via ``B B^T``."""
    in_burst = burst_id >= 0
    raters = rater_idx[in_burst].astype(np.int64)
    bursts = burst_id[in_burst]
    if raters.size == 0:
        return np.zeros((0, 2), dtype=np.int64)
    # A rater rates a note once, so its bursts are distinct; drop duplicates anyway.
    n_bursts = int(bursts.max()) + 1
    key = np.unique(raters * n_bursts + bursts)
    raters, bursts = key // n_bursts, key % n_bursts
    degree = np.bincount(raters, minlength=n_raters)
    # Only raters with enough bursts can reach min_shared_bursts with anyone.
    eligible = degree[raters] >= config.min_shared_bursts
    raters, bursts = raters[eligible], bursts[eligible]
    if raters.size == 0:
        return np.zeros((0, 2), dtype=np.int64)
    b = sp.csr_matrix(
        (np.ones(raters.size, dtype=np.int32), (raters, bursts)), shape=(n_raters, n_bursts)
    )
    shared = sp.coo_matrix(sp.triu(b @ b.T, k=1))
    a, c, count = shared.row.astype(np.int64), shared.col.astype(np.int64), shared.data
    larger = np.maximum(degree[a], degree[c])
    ok = (count >= config.min_shared_bursts) & (count >= config.min_shared_fraction * larger)
    return np.stack([a[ok], c[ok]], axis=1)


def find_rating_bursts(
    note_idx: NDArray[np.integer],
    rater_idx: NDArray[np.integer],
    levels: NDArray[np.integer],
    created_at_ms: NDArray[np.integer],
    rater_side: NDArray[np.integer],
    config: BurstConfig,
) -> BurstResult:
    """Find coordinated rating bursts (see the module docstring).

    Parameters
    ----------
    note_idx, rater_idx : int arrays of shape (n_ratings,).
    levels : int array of shape (n_ratings,), 0 NOT_HELPFUL, 1 SOMEWHAT_HELPFUL, 2 HELPFUL.
    created_at_ms : int64 array of shape (n_ratings,), rating times in ms.
    rater_side : int array of shape (n_raters,), the viewpoint side in {-1, 0, 1} (see
        ``rater_sides``).
    config : BurstConfig

    Returns
    -------
    BurstResult
    """
    n = _check(note_idx, rater_idx, levels, created_at_ms, rater_side)
    n_raters = int(rater_side.shape[0])
    group = _group_keys(note_idx, rater_idx, levels, rater_side)
    in_burst = _burst_members(group, created_at_ms, config)
    burst_id = np.full(n, -1, dtype=np.int64)
    n_bursts = 0
    if in_burst.any():
        uniq, dense = np.unique(group[in_burst], return_inverse=True)
        burst_id[in_burst] = dense
        n_bursts = int(uniq.shape[0])
    pairs = _coordinated_pairs(rater_idx, burst_id, n_raters, config)
    coordinated = _k_core(pairs, n_raters, config.min_partners)
    flagged = np.zeros(n, dtype=np.bool_)
    mine = np.flatnonzero(in_burst & coordinated[rater_idx])
    if mine.size:
        # The coordinated raters' own ratings must make a burst of their group.
        _, inverse, counts = np.unique(group, return_inverse=True, return_counts=True)
        flagged[mine] = _burst_members(
            group[mine], created_at_ms[mine], config, counts[inverse[mine]].astype(np.int64)
        )
    coordinated = _confirmed(coordinated, rater_idx, flagged)
    return BurstResult(in_burst, burst_id, coordinated, flagged, n_bursts, int(pairs.shape[0]))


def _confirmed(
    core: NDArray[np.bool_], rater_idx: NDArray[np.integer], flagged: NDArray[np.bool_]
) -> NDArray[np.bool_]:
    """The core's raters with a flagged rating (step 4): the coordinated raters."""
    struck = np.zeros(core.shape[0], dtype=np.bool_)
    struck[rater_idx[flagged]] = True
    out: NDArray[np.bool_] = core & struck
    return out


def find_rating_bursts_reference(
    note_idx: NDArray[np.integer],
    rater_idx: NDArray[np.integer],
    levels: NDArray[np.integer],
    created_at_ms: NDArray[np.integer],
    rater_side: NDArray[np.integer],
    config: BurstConfig,
) -> BurstResult:
    """Plain-loop version of ``find_rating_bursts`` (small inputs only; used to test it)."""
    n = _check(note_idx, rater_idx, levels, created_at_ms, rater_side)
    n_raters = int(rater_side.shape[0])
    window_ms = round(config.window_minutes * 60.0) * _SECOND_MS
    t0 = int(created_at_ms.min()) if n else 0
    secs = [(int(t) - t0) // _SECOND_MS * _SECOND_MS for t in created_at_ms.tolist()]
    keys = [
        (int(nt), int(lv), int(rater_side[r]))
        for nt, lv, r in zip(note_idx.tolist(), levels.tolist(), rater_idx.tolist(), strict=True)
    ]
    in_burst = np.zeros(n, dtype=np.bool_)
    for i in range(n):
        for j in range(n):  # window [t_j, t_j + w] starting at rating j
            if keys[j] != keys[i] or not secs[j] <= secs[i] <= secs[j] + window_ms:
                continue
            held = sum(
                1
                for m in range(n)
                if keys[m] == keys[j] and secs[j] <= secs[m] <= secs[j] + window_ms
            )
            group_size = sum(1 for m in range(n) if keys[m] == keys[j])
            if held >= config.min_burst_ratings and held >= config.min_burst_share * group_size:
                in_burst[i] = True
                break
    names = sorted({keys[i] for i in range(n) if in_burst[i]})
    burst_id = np.full(n, -1, dtype=np.int64)
    for i in range(n):
        if in_burst[i]:
            burst_id[i] = names.index(keys[i])
    member: dict[int, set[int]] = {}
    for i in range(n):
        if in_burst[i]:
            member.setdefault(int(rater_idx[i]), set()).add(int(burst_id[i]))
    pairs = []
    raters = sorted(member)
    for x, a in enumerate(raters):
        for c in raters[x + 1 :]:
            if min(len(member[a]), len(member[c])) < config.min_shared_bursts:
                continue
            shared = len(member[a] & member[c])
            larger = max(len(member[a]), len(member[c]))
            if shared >= config.min_shared_bursts and shared >= config.min_shared_fraction * larger:
                pairs.append((a, c))
    pair_arr = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    coordinated = _k_core(pair_arr, n_raters, config.min_partners)
    flagged = np.zeros(n, dtype=np.bool_)
    mine = [i for i in range(n) if in_burst[i] and coordinated[rater_idx[i]]]
    for i in mine:
        group_size = sum(1 for m in range(n) if keys[m] == keys[i])
        for j in mine:  # a window of coordinated ratings starting at j
            if keys[j] != keys[i] or not secs[j] <= secs[i] <= secs[j] + window_ms:
                continue
            held = sum(
                1 for m in mine if keys[m] == keys[j] and secs[j] <= secs[m] <= secs[j] + window_ms
            )
            if held >= config.min_burst_ratings and held >= config.min_burst_share * group_size:
                flagged[i] = True
                break
    struck = {int(rater_idx[i]) for i in range(n) if flagged[i]}
    for r in range(n_raters):
        coordinated[r] = coordinated[r] and r in struck
    return BurstResult(in_burst, burst_id, coordinated, flagged, len(names), len(pairs))
