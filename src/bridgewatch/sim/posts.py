"""Posts: the text and author of each post the simulated notes are written on.

The public dump has no post text, so without it a reader of a simulated note cannot judge
it. Each post gets a short text from templates chosen to fit its notes: the claim its first
note addresses (the note's first misleading tag: a wrong figure, an altered image, an old
event shown as new, ...), the topic its notes share, and, when a note on it is one-sided,
a closing line from the camp that note argues against. Authors are handles from a pool of
about one per four posts, with a few more prolific than the rest (weights 1 / sqrt(rank)).

Draws from ``default_rng([seed, 4])`` only, so adding posts changed no other file's bytes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from bridgewatch.model import Classification
from bridgewatch.sim.config import SimConfig
from bridgewatch.sim.ids import SNOWFLAKE_EPOCH_MS
from bridgewatch.sim.notes import NotePopulation, lowest_bit

__all__ = ["PostTexts", "draw_posts"]

# What a post on a topic talks about; {0} in a claim template is replaced by one of these.
_TOPIC_SUBJECTS: tuple[tuple[str, ...], ...] = (
    ("the front line near Kyiv", "the war in Ukraine", "the talks in Moscow"),
    ("the Gaza ceasefire", "the aid convoys into Gaza", "the protests in Jerusalem"),
    ("Messi's new contract", "Ronaldo's transfer", "last night's Messi vs Ronaldo match"),
    ("this crypto giveaway", "a new investment app", "a free phone giveaway"),
)
_SUBJECTS: tuple[str, ...] = (
    "the new city budget",
    "the bridge closure downtown",
    "the school lunch programme",
    "the flood warnings upstate",
    "the hospital waiting lists",
    "the fuel price increase",
    "the election turnout",
    "the heatwave",
    "the new vaccine schedule",
    "the airport strike",
)
# Claim templates per misleading tag (notes-*.tsv order misleadingOther .. Satire); {0} is
# the subject, {1} a number.
_CLAIMS: tuple[tuple[str, ...], ...] = (
    (
        "Everything you were told about {0} is wrong.",
        "They are hiding the truth about {0}.",
    ),
    (
        "{1}% of people are affected by {0}, officials admit.",
        "Official numbers: {0} cost {1} million this year alone.",
        "Unemployment tripled because of {0}. {1}% in one month.",
    ),
    (
        "This photo shows what is really going on with {0}.",
        "Unbelievable footage of {0}. Watch before it gets deleted.",
    ),
    (
        "Happening right now: {0}. Scenes like this everywhere today.",
        "Breaking: {0}, just minutes ago.",
    ),
    (
        "So {0} is cancelled and nobody says why.",
        "Funny how nobody mentions who paid for {0}.",
        "Look at what they quietly changed about {0}.",
    ),
    (
        "Sources confirm {0} was planned all along.",
        "Insiders say {0} will be announced tomorrow. You heard it here first.",
    ),
    (
        "BREAKING: {0} renamed after a cat, officials confirm.",
        "Government to tax breathing to pay for {0}.",
    ),
)
# Posts whose first note says they are not misleading.
_NOT_MISLEADING: tuple[str, ...] = (
    "My honest opinion: {0} is the worst idea this year.",
    "Report out today: {0} went over budget by {1}%.",
    "Honestly can't stop thinking about {0}.",
)
_CAMP_LINES: dict[int, tuple[str, ...]] = {
    1: ("Share before they take it down.", "Wake up, people.", "#TruthMatters"),
    -1: ("Read the facts for yourself.", "We deserve better than this.", "#FactsFirst"),
}
_HANDLE_FIRST = (
    "daily", "true", "real", "news", "city", "local", "free", "open", "bright", "north",
    "south", "urban", "quiet", "loud", "plain",
)  # fmt: skip
_HANDLE_SECOND = (
    "watcher", "voice", "observer", "reporter", "citizen", "insider", "patriot", "thinker",
    "reader", "talk", "updates", "eye", "wire", "pulse",
)  # fmt: skip


@dataclass(frozen=True)
class PostTexts:
    """One row per post, ascending by id.

    Parameters
    ----------
    tweet_ids : int64 array of shape (n_posts,), the post ids.
    created_at_ms : int64 array of shape (n_posts,), from the ids' snowflake timestamps.
    author_handles : list of n_posts handles (``@name``).
    texts : list of n_posts post texts (no tabs, newlines or double quotes).
    """

    tweet_ids: NDArray[np.int64]
    created_at_ms: NDArray[np.int64]
    author_handles: list[str]
    texts: list[str]


def _handles(rng: np.random.Generator, n: int) -> list[str]:
    first = rng.integers(0, len(_HANDLE_FIRST), size=n).tolist()
    second = rng.integers(0, len(_HANDLE_SECOND), size=n).tolist()
    number = rng.integers(1, 10_000, size=n).tolist()
    return [
        f"@{_HANDLE_FIRST[a]}_{_HANDLE_SECOND[b]}{c}"
        for a, b, c in zip(first, second, number, strict=True)
    ]


def draw_posts(config: SimConfig, notes: NotePopulation) -> PostTexts:
    """The text and author of every post that has notes.

    Parameters
    ----------
    config : the simulation config (its seed).
    notes : the notes; a post's text follows its earliest note (classification, first
        misleading tag), its notes' topic, and the camp its first one-sided note (if any)
        argues against.

    Returns
    -------
    PostTexts covering ``np.unique(notes.tweet_ids)``.
    """
    rng = np.random.default_rng([config.seed, 4])
    tweet_ids, first = np.unique(notes.tweet_ids, return_index=True)
    n = int(tweet_ids.shape[0])
    post_of_note = np.searchsorted(tweet_ids, notes.tweet_ids)
    # The camp a post speaks for: opposite to the slant of a one-sided note on it (those
    # notes argue against the other camp); 0 when no note on it is one-sided.
    camp = np.zeros(n, dtype=np.int64)
    one_sided = np.flatnonzero(notes.one_sided)[::-1]  # earliest note written last: wins
    camp[post_of_note[one_sided]] = -np.sign(notes.slant[one_sided]).astype(np.int64)
    misleading = (
        notes.classification[first] == Classification.MISINFORMED_OR_POTENTIALLY_MISLEADING
    ).tolist()
    tag = lowest_bit(notes.misleading_tags[first]).tolist()
    topic = notes.topic[first].tolist()
    n_pool = max(4, n // 4)
    pool = _handles(rng, n_pool)
    weights = 1.0 / np.sqrt(np.arange(1, n_pool + 1))
    author = rng.choice(n_pool, size=n, p=weights / weights.sum()).tolist()
    variant = rng.integers(0, 1 << 30, size=n).tolist()
    subject = rng.integers(0, 1 << 30, size=n).tolist()
    number = rng.integers(2, 90, size=n).tolist()
    closing = rng.integers(0, 1 << 30, size=n).tolist()
    camp_l: list[int] = camp.tolist()
    texts: list[str] = []
    for i in range(n):
        subjects = _TOPIC_SUBJECTS[topic[i]] if topic[i] >= 0 else _SUBJECTS
        templates = _CLAIMS[tag[i]] if misleading[i] else _NOT_MISLEADING
        text = templates[variant[i] % len(templates)].format(
            subjects[subject[i] % len(subjects)], number[i]
        )
        text = text[0].upper() + text[1:]
        if camp_l[i]:
            lines = _CAMP_LINES[camp_l[i]]
            text = f"{text} {lines[closing[i] % len(lines)]}"
        texts.append(text)
    return PostTexts(
        tweet_ids=tweet_ids.astype(np.int64),
        created_at_ms=(tweet_ids >> 22) + SNOWFLAKE_EPOCH_MS,
        author_handles=[pool[a] for a in author],
        texts=texts,
    )
