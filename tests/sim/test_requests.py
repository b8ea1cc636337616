"""Note requests."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bridgewatch.io import read_note_requests
from bridgewatch.sim import SimConfig, simulate, write_community
from bridgewatch.sim.notes import draw_notes
from bridgewatch.sim.population import draw_raters
from bridgewatch.sim.requests import draw_note_requests


def test_requests_are_on_posts_and_feed_eligibility_is_nested() -> None:
    config = SimConfig(n_notes=3_000, n_raters=500, n_ratings=0, note_request_share=0.5)
    rng = np.random.default_rng(0)
    notes = draw_notes(config, draw_raters(config, rng), rng)
    requests = draw_note_requests(config, notes)
    posts = np.unique(notes.tweet_ids)
    assert np.isin(requests.tweet_ids, posts).all()
    assert 0.4 < requests.tweet_ids.size / posts.size < 0.6
    eligible = requests.eligible_at_ms
    reached = eligible >= 0
    # A later feed is reached only after the previous one, and later in time.
    assert (reached[:, 1:] <= reached[:, :-1]).all()
    both = reached[:, 1:] & reached[:, :-1]
    assert (eligible[:, 1:][both] > eligible[:, :-1][both]).all()
    assert (eligible[reached] < config.end_ms).all()
    assert all(
        link == "" or link.startswith("https://x.com/i/status/") for link in requests.source_links
    )


def test_no_requests_when_the_share_is_zero() -> None:
    community = simulate(SimConfig(n_notes=50, n_raters=40, n_ratings=200, note_request_share=0.0))
    assert community.note_requests.height == 0


def test_requests_file_loads_with_the_io_reader(tmp_path: Path) -> None:
    community = simulate(SimConfig(n_notes=200, n_raters=100, n_ratings=1_000))
    written = write_community(community, tmp_path)
    loaded = read_note_requests(written.note_requests)
    assert loaded.height > 0
    assert loaded.equals(community.note_requests, null_equal=True)
