"""Post texts and authors: one per post, fitting the notes, seeded, in posts-00000.tsv."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import polars as pl

from bridgewatch.io import read_table, schemas
from bridgewatch.sim import SimConfig, simulate, write_simulation
from bridgewatch.sim.posts import _CAMP_LINES, _CLAIMS, _TOPIC_SUBJECTS, draw_posts
from bridgewatch.sim.simulate import plan_simulation

_CONFIG = SimConfig(seed=3, n_notes=400, n_raters=300, n_ratings=3_000, one_sided_share=0.3)


def _template(template: str) -> re.Pattern[str]:
    """A template as a pattern matching its filled-in texts (at the start)."""
    body = re.escape(template).replace(r"\{0\}", ".+").replace(r"\{1\}", r"\d+")
    return re.compile(body, re.IGNORECASE)


def test_every_post_with_notes_has_a_text_and_an_author() -> None:
    community = simulate(_CONFIG)
    posts = community.posts
    assert posts.columns == list(schemas.POSTS_COLUMNS)
    assert posts["tweetId"].is_unique().all()
    assert set(posts["tweetId"]) == set(community.notes["tweetId"])
    assert posts["text"].str.len_chars().min() > 20  # type: ignore[operator]
    assert posts["authorHandle"].str.starts_with("@").all()
    assert not posts["text"].str.contains(r'[\t\n"]').any()
    # A handful of accounts post more than once, as on a real platform.
    assert 1 < posts["authorHandle"].n_unique() < posts.height
    # The post's time is its id's snowflake time, and comes before its notes.
    first_note = community.notes.group_by("tweetId").agg(pl.col("createdAtMillis").min())
    joined = posts.join(first_note, on="tweetId", suffix="_note")
    assert (joined["createdAtMillis"] <= joined["createdAtMillis_note"]).all()


def test_texts_fit_the_first_note_topic_and_camp() -> None:
    plan = plan_simulation(_CONFIG)
    notes = plan.notes
    posts = draw_posts(_CONFIG, notes)
    tweet_ids, first = np.unique(notes.tweet_ids, return_index=True)
    assert np.array_equal(tweet_ids, posts.tweet_ids)
    checked_topic = checked_claim = checked_camp = 0
    for i, note in enumerate(first.tolist()):
        text = posts.texts[i]
        topic = int(notes.topic[note])
        if topic >= 0:
            assert any(s in text for s in _TOPIC_SUBJECTS[topic]), text
            checked_topic += 1
        tag = int(notes.misleading_tags[note])
        if tag:
            low = (tag & -tag).bit_length() - 1
            assert any(_template(t).match(text) for t in _CLAIMS[low]), text
            checked_claim += 1
        on_post = np.flatnonzero((notes.tweet_ids == tweet_ids[i]) & notes.one_sided)
        if on_post.size:
            camp = -int(np.sign(notes.slant[on_post[0]]))
            assert any(text.endswith(line) for line in _CAMP_LINES[camp]), text
            checked_camp += 1
    assert checked_topic and checked_claim and checked_camp


def test_posts_are_deterministic_and_leave_the_public_files_alone(tmp_path: Path) -> None:
    a = write_simulation(_CONFIG, tmp_path / "a")
    write_simulation(_CONFIG, tmp_path / "b")
    assert a.posts.read_bytes() == (tmp_path / "b" / "posts-00000.tsv").read_bytes()
    other = SimConfig(**{**_CONFIG.__dict__, "seed": 4})
    assert (
        draw_posts(other, plan_simulation(other).notes).texts
        != draw_posts(_CONFIG, plan_simulation(_CONFIG).notes).texts
    )
    frame = read_table(a.posts, schemas.POSTS).frame
    assert frame.height == simulate(_CONFIG).posts.height
