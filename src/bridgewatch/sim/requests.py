"""Note requests: posts that users asked a note for (the public note-requests export).

One row per requested post (scoring-extended.md §6.1): when the post became eligible for
the in-app requests feed and for the API small / large / xl feeds (-1 = never), and the
source links requestors gave. Eligibility is nested (xl needs more requests than large,
large more than small), so each later feed is a subset reached later.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from bridgewatch.sim.config import SimConfig
from bridgewatch.sim.ids import SNOWFLAKE_EPOCH_MS
from bridgewatch.sim.notes import NotePopulation

__all__ = ["NoteRequests", "draw_note_requests"]

_MINUTE_MS = 60_000
# Share of requested posts that reach each feed, given the previous one (in-app, small,
# large, xl), and the mean extra wait before each, in minutes.
_REACH = (0.7, 0.6, 0.5, 0.4)
_WAIT_MINUTES = (20.0, 30.0, 60.0, 120.0)


@dataclass(frozen=True)
class NoteRequests:
    """Requested posts as parallel arrays.

    Parameters
    ----------
    tweet_ids : int64 array of shape (k,), the requested posts, ascending.
    eligible_at_ms : int64 array of shape (k, 4): when the post became eligible for the
        in-app feed and the API small, large and xl feeds; -1 = never.
    source_links : list of k strings, comma-separated post URLs (may be empty).
    """

    tweet_ids: NDArray[np.int64]
    eligible_at_ms: NDArray[np.int64]
    source_links: list[str]


def draw_note_requests(config: SimConfig, notes: NotePopulation) -> NoteRequests:
    """Requests on a ``note_request_share`` of the posts; draws from ``default_rng([seed, 3])``.

    Returns
    -------
    NoteRequests; times stay before the window end.
    """
    rng = np.random.default_rng([config.seed, 3])
    posts = np.unique(notes.tweet_ids)
    requested = posts[rng.random(posts.size) < config.note_request_share]
    k = requested.size
    post_ms = (requested >> 22) + SNOWFLAKE_EPOCH_MS
    eligible = np.full((k, len(_REACH)), -1, dtype=np.int64)
    reached = np.ones(k, dtype=np.bool_)
    at = post_ms.copy()
    for feed, (reach, wait) in enumerate(zip(_REACH, _WAIT_MINUTES, strict=True)):
        at = at + (rng.exponential(wait, size=k) * _MINUTE_MS).astype(np.int64) + 1
        reached &= (rng.random(k) < reach) & (at < config.end_ms)
        eligible[reached, feed] = at[reached]
    n_links = rng.choice(3, size=k, p=[0.6, 0.3, 0.1])
    link_ids = requested[:, None] + rng.integers(1 << 22, 1 << 40, size=(k, 2))
    links = [
        ",".join(f"https://x.com/i/status/{link_ids[i, j]}" for j in range(n_links[i]))
        for i in range(k)
    ]
    return NoteRequests(tweet_ids=requested, eligible_at_ms=eligible, source_links=links)
