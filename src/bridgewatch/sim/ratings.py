"""Organic ratings: who rates which note, the bridging-style latent score, tags and timing.

The latent score of rater r on note n is

    z = quality[n] + leniency[r] + position[r] * slant[n] + eps,  eps ~ N(0, noise_sd**2)

so a one-sided note (large |slant|) is liked by one camp and disliked by the other, while a
good neutral note is liked by both: the structure the bridging model of scoring-core.md §3
is built to find. z > band/2 is HELPFUL, z < -band/2 NOT_HELPFUL, otherwise SOMEWHAT_HELPFUL.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from bridgewatch.model import HelpfulnessLevel
from bridgewatch.sim.config import SimConfig
from bridgewatch.sim.notes import NotePopulation
from bridgewatch.sim.population import RaterPopulation
from bridgewatch.sim.sampling import choose_raters
from bridgewatch.sim.tags import draw_tags

__all__ = [
    "BLOCK_NOTES",
    "RatingArrays",
    "draw_levels",
    "draw_note_rating_counts",
    "iter_organic_blocks",
    "rate_pairs",
]

# Notes per block of organic ratings; each block has its own random stream, so the result
# does not depend on whether blocks are streamed to disk or collected in memory.
BLOCK_NOTES = 16_384
_HOUR_MS = 3_600_000
_MIN_DELAY_MS = 5_000


@dataclass(frozen=True)
class RatingArrays:
    """Ratings as parallel arrays (indexes into the simulated raters and notes).

    Parameters
    ----------
    note_idx : int32 array of shape (m,).
    rater_idx : int32 array of shape (m,).
    created_at_ms : int64 array of shape (m,).
    level : int8 array of shape (m,), ``HelpfulnessLevel`` codes.
    helpful_tags : uint16 array of shape (m,), bit k = ``HELPFUL_TAGS[k]``.
    not_helpful_tags : uint16 array of shape (m,), bit k = ``NOT_HELPFUL_TAGS[k]``.
    population_sampled : bool array of shape (m,).
    """

    note_idx: NDArray[np.int32]
    rater_idx: NDArray[np.int32]
    created_at_ms: NDArray[np.int64]
    level: NDArray[np.int8]
    helpful_tags: NDArray[np.uint16]
    not_helpful_tags: NDArray[np.uint16]
    population_sampled: NDArray[np.bool_]

    @property
    def n(self) -> int:
        """Number of ratings."""
        return int(self.note_idx.shape[0])

    def take(self, rows: NDArray[np.intp] | NDArray[np.bool_]) -> RatingArrays:
        """The given rows (index array or mask), in that order."""
        return RatingArrays(**{k: getattr(self, k)[rows] for k in _FIELDS})

    @staticmethod
    def concat(parts: list[RatingArrays]) -> RatingArrays:
        """All parts one after another."""
        if not parts:
            return RatingArrays.empty()
        return RatingArrays(**{k: np.concatenate([getattr(p, k) for p in parts]) for k in _FIELDS})

    @staticmethod
    def empty() -> RatingArrays:
        """No ratings."""
        return RatingArrays(
            note_idx=np.empty(0, np.int32),
            rater_idx=np.empty(0, np.int32),
            created_at_ms=np.empty(0, np.int64),
            level=np.empty(0, np.int8),
            helpful_tags=np.empty(0, np.uint16),
            not_helpful_tags=np.empty(0, np.uint16),
            population_sampled=np.empty(0, np.bool_),
        )

    def sorted_by_note_time(self) -> RatingArrays:
        """Rows ordered by (note_idx, created_at_ms); ties keep their current order.

        Uses one int64 key, note_idx << 41 | created_at_ms: note_idx < 2**22 and
        created_at_ms < 2**41 (both enforced by ``SimConfig``), so the key stays positive.
        """
        key = (self.note_idx.astype(np.int64) << 41) | self.created_at_ms
        return self.take(np.argsort(key, kind="stable"))


_FIELDS = tuple(RatingArrays.__dataclass_fields__)


def draw_note_rating_counts(
    config: SimConfig, n_notes: int, n_eligible: int, rng: np.random.Generator
) -> NDArray[np.int64]:
    """Organic ratings per note: a multinomial split of ``n_ratings`` with lognormal weights.

    Parameters
    ----------
    config : gives ``n_ratings`` and ``note_ratings_sigma``.
    n_notes : number of notes.
    n_eligible : number of raters who can rate a note (organic raters minus its author);
        counts are capped there, so the total can fall short of ``n_ratings``.
    rng : the generator to draw from.

    Returns
    -------
    int64 array of shape (n_notes,).
    """
    weights = rng.lognormal(0.0, config.note_ratings_sigma, size=n_notes)
    counts = rng.multinomial(config.n_ratings, weights / weights.sum())
    return np.minimum(counts, max(n_eligible, 0)).astype(np.int64)


def draw_levels(latent: NDArray[np.float64], somewhat_band: float) -> NDArray[np.int8]:
    """Helpfulness levels from latent scores: above +band/2 HELPFUL, below -band/2 NOT_HELPFUL.

    Parameters
    ----------
    latent : float64 array of shape (m,), the latent scores z (noise included).
    somewhat_band : width of the SOMEWHAT_HELPFUL band around 0.

    Returns
    -------
    int8 array of shape (m,), ``HelpfulnessLevel`` codes.
    """
    half = somewhat_band / 2
    level = np.full(latent.shape[0], HelpfulnessLevel.SOMEWHAT_HELPFUL, dtype=np.int8)
    level[latent > half] = HelpfulnessLevel.HELPFUL
    level[latent < -half] = HelpfulnessLevel.NOT_HELPFUL
    return level


def _draw_times(
    config: SimConfig, note_ms: NDArray[np.int64], rng: np.random.Generator
) -> NDArray[np.int64]:
    """Rating times: note time plus a lognormal delay, kept inside the window."""
    median_ms = config.rating_delay_median_hours * _HOUR_MS
    delay = rng.lognormal(np.log(median_ms), config.rating_delay_sigma, size=note_ms.shape[0])
    created = note_ms + np.maximum(delay, _MIN_DELAY_MS).astype(np.int64)
    late = created >= config.end_ms
    room = config.end_ms - 1 - note_ms[late]
    created[late] = note_ms[late] + (rng.random(int(late.sum())) * room).astype(np.int64)
    result: NDArray[np.int64] = created
    return result


def rate_pairs(
    config: SimConfig,
    raters: RaterPopulation,
    notes: NotePopulation,
    note_idx: NDArray[np.int64],
    rater_idx: NDArray[np.int64],
    rng: np.random.Generator,
) -> RatingArrays:
    """Ratings of the given (note, rater) pairs under the latent model, with tags and times.

    Parameters
    ----------
    config : the simulation config.
    raters, notes : the populations the indexes point into.
    note_idx, rater_idx : int64 arrays of shape (m,), distinct pairs, no self-ratings.
    rng : the generator to draw from.

    Returns
    -------
    RatingArrays of m rows in the given order. Times are at least ``joined_at_ms`` of the
    rater only if the caller picked notes created after it.
    """
    fit = raters.positions[rater_idx] * notes.slant[note_idx]
    latent = (
        notes.quality[note_idx]
        + raters.leniency[rater_idx]
        + fit
        + rng.normal(0.0, config.noise_sd, size=note_idx.shape[0])
    )
    level = draw_levels(latent, config.somewhat_band)
    opposed = (fit < -0.5) & notes.one_sided[note_idx]
    helpful_tags, not_helpful_tags = draw_tags(
        level, opposed, notes.trustworthy_sources[note_idx], rng
    )
    return RatingArrays(
        note_idx=note_idx.astype(np.int32),
        rater_idx=rater_idx.astype(np.int32),
        created_at_ms=_draw_times(config, notes.created_at_ms[note_idx], rng),
        level=level,
        helpful_tags=helpful_tags,
        not_helpful_tags=not_helpful_tags,
        population_sampled=np.asarray(
            rng.random(note_idx.shape[0]) < config.population_sampled_share, dtype=np.bool_
        ),
    )


def iter_organic_blocks(
    config: SimConfig,
    raters: RaterPopulation,
    notes: NotePopulation,
    counts: NDArray[np.int64],
) -> Iterator[RatingArrays]:
    """Organic ratings, one block of ``BLOCK_NOTES`` notes at a time, each block sorted.

    Block b draws from its own generator ``default_rng([seed, 1, b])``, so the ratings are
    the same whether consumed block by block or all at once.

    Parameters
    ----------
    config : the simulation config.
    raters, notes : the populations; raters with zero activity never rate here.
    counts : int64 array of shape (n_notes,), ratings per note.

    Yields
    ------
    RatingArrays sorted by (note_idx, created_at_ms).
    """
    weights = raters.activity * ~raters.is_adversary
    for b, start in enumerate(range(0, notes.n, BLOCK_NOTES)):
        stop = min(start + BLOCK_NOTES, notes.n)
        rng = np.random.default_rng([config.seed, 1, b])
        local, rater_idx = choose_raters(
            counts[start:stop], notes.author_idx[start:stop], weights, rng
        )
        block = rate_pairs(config, raters, notes, local + start, rater_idx, rng)
        yield block.sorted_by_note_time()
