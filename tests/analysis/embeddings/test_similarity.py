"""Agreement counts and neighbours against brute force over every rater pair."""

from __future__ import annotations

import itertools

import numpy as np
import polars as pl
import pytest

from bridgewatch.analysis.embeddings import (
    corating_neighbours,
    embedding_neighbours,
    group_agreement,
    note_value_counts,
    perspective_buckets,
    rater_sides,
    side_similarity,
)
from bridgewatch.analysis.embeddings.ratings import RatingMatrix
from bridgewatch.errors import ConfigError
from tests.analysis.embeddings.factories import random_matrix, two_camps


def _votes(m: RatingMatrix) -> dict[tuple[int, int], int]:
    return {
        (int(r), int(n)): int(v) for r, n, v in zip(m.rater_idx, m.note_idx, m.votes, strict=True)
    }


@pytest.mark.parametrize("seed", range(5))
def test_group_agreement_counts_every_co_rating_pair_once(seed: int) -> None:
    m = random_matrix(seed)
    labels = np.random.default_rng(seed).integers(-1, 3, size=m.n_raters)
    pc = group_agreement(note_value_counts(m, labels, 3))
    votes = _votes(m)
    agreeing = np.zeros((3, 3))
    pairs = np.zeros((3, 3))
    for a, b in itertools.combinations(range(m.n_raters), 2):
        if labels[a] < 0 or labels[b] < 0:
            continue
        for n in range(m.n_notes):
            if (a, n) in votes and (b, n) in votes:
                ga, gb = labels[a], labels[b]
                same = votes[a, n] == votes[b, n]
                pairs[ga, gb] += 1
                agreeing[ga, gb] += same
                if ga != gb:
                    pairs[gb, ga] += 1
                    agreeing[gb, ga] += same
    np.testing.assert_allclose(pc.pairs, pairs)
    np.testing.assert_allclose(pc.agreeing, agreeing)


@pytest.mark.parametrize("seed", range(3))
def test_corating_neighbours_match_brute_force(seed: int) -> None:
    m = random_matrix(seed, n_raters=15, n_notes=12, p=0.6)
    votes = _votes(m)
    queries = np.array([0, 3, 7])
    got = corating_neighbours(m, queries, k=4, min_common=2)
    for q in queries:
        cands = []
        for o in range(m.n_raters):
            common = [n for n in range(m.n_notes) if (q, n) in votes and (o, n) in votes]
            if o == q or len(common) < 2:
                continue
            share = sum(votes[q, n] == votes[o, n] for n in common) / len(common)
            cands.append((-share, -len(common), o))
        want = [f"r{o}" for _s, _c, o in sorted(cands)[:4]]
        rows = got.filter(pl.col("raterParticipantId") == f"r{q}").sort("rank")
        assert rows["neighbour"].to_list() == want
        assert rows["rank"].to_list() == list(range(1, len(want) + 1))


def test_embedding_neighbours_exclude_self_and_come_nearest_first() -> None:
    frame = pl.DataFrame(
        {
            "raterParticipantId": ["a", "b", "c", "d"],
            "intercept": [0.0, 0.0, 0.0, 5.0],
            "factor": [0.0, 1.0, 3.0, 0.0],
        }
    )
    got = embedding_neighbours(frame, k=2)
    a = got.filter(pl.col("raterParticipantId") == "a").sort("rank")
    assert a["neighbour"].to_list() == ["b", "c"]
    assert a["distance"].to_list() == [1.0, 3.0]
    assert not (got["raterParticipantId"] == got["neighbour"]).any()
    with pytest.raises(ConfigError, match="k"):
        embedding_neighbours(frame, k=0)


def test_sides_and_buckets_split_on_the_factor() -> None:
    f = np.array([-1.0, -0.1, 0.0, 0.1, 0.5, np.nan])
    assert rater_sides(f).tolist() == [0, 0, -1, 1, 1, -1]
    assert perspective_buckets(f).tolist() == [0, 1, 1, 1, 2, -1]


def test_side_similarity_on_two_camps_by_hand() -> None:
    # 30 raters a camp, 40 notes all rated by all: on the 20 odd notes the camps vote
    # +1 / -1; on the 20 even notes everyone votes +1 except where (rater + note) % 5 == 0.
    m, camps = two_camps()
    got = side_similarity(m, camps)
    assert got.select("sideA", "sideB").rows() == [
        ("left", "left"),
        ("left", "right"),
        ("right", "right"),
    ]
    within = 40 * (30 * 29 // 2)
    assert got["pairs"].to_list() == [within, 40 * 30 * 30, within]
    # Across the camps the odd notes never agree; within, they always do.
    votes = m.csr().toarray()
    even = votes[:, 0::2]
    agree_even = [
        sum(
            int(np.sum(even[a] == even[b]))
            for a in range(60)
            for b in range(a + 1, 60)
            if (camps[a], camps[b]) == pair or (camps[b], camps[a]) == pair
        )
        for pair in ((0, 0), (0, 1), (1, 1))
    ]
    odd_within = 20 * (30 * 29 // 2)
    want = [agree_even[0] + odd_within, agree_even[1], agree_even[2] + odd_within]
    assert got["agreeingPairs"].to_list() == want
    rates = got["agreementRate"].to_list()
    assert rates[1] < 0.5 < min(rates[0], rates[2])
