"""Posts and notes: timing, authorship, true quality and slant, tags, text."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from bridgewatch.model import Classification
from bridgewatch.sim.config import SimConfig
from bridgewatch.sim.ids import snowflake_ids
from bridgewatch.sim.population import RaterPopulation
from bridgewatch.sim.text import TOPICS, draw_summaries

__all__ = ["NotePopulation", "draw_notes", "lowest_bit"]

_HOUR_MS = 3_600_000
# Notes follow their post after an exponential wait with this mean.
_NOTE_AFTER_POST_MEAN_MS = 3 * _HOUR_MS
# Per-tag shares among misleading notes (notes-*.tsv column order misleadingOther..Satire)
# and among not-misleading ones (notMisleadingOther..PersonalOpinion), from the S-core fixture.
_MISLEADING_TAG_SHARES = np.array([0.085, 0.45, 0.084, 0.127, 0.666, 0.32, 0.036])
_NOT_MISLEADING_TAG_SHARES = np.array([0.065, 0.85, 0.13, 0.17, 0.28])


@dataclass(frozen=True)
class NotePopulation:
    """Notes as parallel arrays, sorted by creation time; row i is ``note_idx`` i.

    Parameters
    ----------
    ids : int64 array of shape (n,), snowflake note ids (increasing with time).
    tweet_ids : int64 array of shape (n,), the post each note is on.
    created_at_ms : int64 array of shape (n,), nondecreasing.
    author_idx : int32 array of shape (n,), ``rater_idx`` of the author.
    quality : float64 array of shape (n,), true helpfulness (intercept of the latent score).
    slant : float64 array of shape (n,), signed slant on the viewpoint axis.
    one_sided : bool array of shape (n,), slanted towards the author's camp on purpose.
    classification : int8 array of shape (n,), ``Classification`` codes.
    misleading_tags : uint8 array of shape (n,), bit k = k-th misleading tag column.
    not_misleading_tags : uint8 array of shape (n,), bit k = k-th not-misleading tag column.
    trustworthy_sources : bool array of shape (n,).
    is_media : bool array of shape (n,).
    topic : int8 array of shape (n,), index into ``TOPICS`` or -1.
    summaries : list of n strings.
    """

    ids: NDArray[np.int64]
    tweet_ids: NDArray[np.int64]
    created_at_ms: NDArray[np.int64]
    author_idx: NDArray[np.int32]
    quality: NDArray[np.float64]
    slant: NDArray[np.float64]
    one_sided: NDArray[np.bool_]
    classification: NDArray[np.int8]
    misleading_tags: NDArray[np.uint8]
    not_misleading_tags: NDArray[np.uint8]
    trustworthy_sources: NDArray[np.bool_]
    is_media: NDArray[np.bool_]
    topic: NDArray[np.int8]
    summaries: list[str]

    @property
    def n(self) -> int:
        """Number of notes."""
        return int(self.ids.shape[0])


def _draw_tag_bits(
    rng: np.random.Generator, shares: NDArray[np.float64], n: int
) -> NDArray[np.uint8]:
    """Independent tags with the given shares, with at least one tag per row."""
    k = shares.shape[0]
    on = rng.random((n, k)) < shares
    none = ~on.any(axis=1)
    forced = rng.choice(k, size=n, p=shares / shares.sum())
    on[np.flatnonzero(none), forced[none]] = True
    bits: NDArray[np.uint8] = (on.astype(np.uint8) << np.arange(k, dtype=np.uint8)).sum(
        axis=1, dtype=np.uint8
    )
    return bits


def _draw_posts(config: SimConfig, rng: np.random.Generator) -> NDArray[np.int64]:
    """The post (0..n_posts-1, in time order) of each of ``n_notes`` notes, grouped."""
    weights = np.asarray(config.notes_per_post_weights, dtype=np.float64)
    per_post = rng.choice(3, size=config.n_notes, p=weights / weights.sum()) + 1
    ends = np.cumsum(per_post)
    n_posts = int(np.searchsorted(ends, config.n_notes)) + 1
    per_post = per_post[:n_posts]
    per_post[-1] -= int(ends[n_posts - 1]) - config.n_notes
    return np.repeat(np.arange(n_posts, dtype=np.int64), per_post)


def draw_notes(
    config: SimConfig, raters: RaterPopulation, rng: np.random.Generator
) -> NotePopulation:
    """Posts with 1-3 notes each, spread uniformly over the window.

    Authors are organic raters drawn with weights sqrt(activity). Quality is
    N(quality_mean, quality_sd); one-sided notes lean towards their author's camp with
    slant = camp * (|N(0, slant_sd)| + slant_sd / 2), others have slant N(0, slant_sd / 10).

    Parameters
    ----------
    config : the simulation config.
    raters : the organic participants (authors are drawn from them).
    rng : the generator to draw from.

    Returns
    -------
    NotePopulation with ``config.n_notes`` rows sorted by creation time.
    """
    n = config.n_notes
    post_of_note = _draw_posts(config, rng)
    n_posts = int(post_of_note[-1]) + 1
    span = config.end_ms - config.start_ms
    post_ms = np.sort(config.start_ms + rng.integers(0, span, size=n_posts, dtype=np.int64))
    tweet_ids = snowflake_ids(post_ms)
    base = post_ms[post_of_note]
    wait = rng.exponential(_NOTE_AFTER_POST_MEAN_MS, size=n).astype(np.int64) + 1_000
    late = base + wait >= config.end_ms
    wait[late] = (rng.random(int(late.sum())) * (config.end_ms - base[late])).astype(np.int64)
    order = np.argsort(base + wait, kind="stable")
    created = (base + wait)[order]
    post_of_note = post_of_note[order]

    author_weights = np.sqrt(raters.activity) * ~raters.is_adversary
    author_idx = rng.choice(raters.n, size=n, p=author_weights / author_weights.sum()).astype(
        np.int32
    )
    quality = rng.normal(config.quality_mean, config.quality_sd, size=n)
    one_sided = rng.random(n) < config.one_sided_share
    magnitude = np.abs(rng.normal(0.0, config.slant_sd, size=n)) + config.slant_sd / 2
    slant = np.where(
        one_sided,
        raters.camps[author_idx] * magnitude,
        rng.normal(0.0, config.slant_sd / 10, size=n),
    )
    not_misleading = rng.random(n) < config.not_misleading_share
    classification = np.where(
        not_misleading,
        Classification.NOT_MISLEADING,
        Classification.MISINFORMED_OR_POTENTIALLY_MISLEADING,
    ).astype(np.int8)
    m_tags = np.where(not_misleading, 0, _draw_tag_bits(rng, _MISLEADING_TAG_SHARES, n))
    nm_tags = np.where(not_misleading, _draw_tag_bits(rng, _NOT_MISLEADING_TAG_SHARES, n), 0)
    first_tag = lowest_bit(m_tags.astype(np.uint8))
    post_topic = np.where(
        rng.random(n_posts) < config.topic_share, rng.integers(0, len(TOPICS), size=n_posts), -1
    ).astype(np.int8)
    topic = post_topic[post_of_note]
    trustworthy = rng.random(n) < config.trustworthy_sources_share
    summaries = draw_summaries(
        rng,
        misleading=~not_misleading,
        first_tag=first_tag,
        one_sided=one_sided,
        topic=topic,
        has_source=trustworthy,
    )
    return NotePopulation(
        ids=snowflake_ids(created),
        tweet_ids=tweet_ids[post_of_note],
        created_at_ms=created,
        author_idx=author_idx,
        quality=quality,
        slant=slant,
        one_sided=one_sided,
        classification=classification,
        misleading_tags=m_tags.astype(np.uint8),
        not_misleading_tags=nm_tags.astype(np.uint8),
        trustworthy_sources=trustworthy,
        is_media=rng.random(n) < config.media_share,
        topic=topic,
        summaries=summaries,
    )


def lowest_bit(bits: NDArray[np.uint8]) -> NDArray[np.int64]:
    """Index of the lowest set bit (0 where no bit is set)."""
    unpacked = np.unpackbits(bits[:, None], axis=1, bitorder="little")
    lowest: NDArray[np.int64] = np.argmax(unpacked, axis=1).astype(np.int64)
    return lowest
