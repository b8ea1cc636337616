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

__all__ = [
    "BLOCK_NOTES",
    "RatingArrays",
    "draw_levels",
    "draw_note_rating_counts",
    "draw_tags",
    "iter_organic_blocks",
    "rate_pairs",
]

# Notes per block of organic ratings; each block has its own random stream, so the result
# does not depend on whether blocks are streamed to disk or collected in memory.
BLOCK_NOTES = 16_384
_HOUR_MS = 3_600_000
_MIN_DELAY_MS = 5_000
# Per-tag shares of the 9 helpful / 13 not-helpful tags (TSV order) on HELPFUL and on
# NOT_HELPFUL ratings in the S-core fixture; SOMEWHAT_HELPFUL ratings use scaled shares.
_HELPFUL_TAG_SHARES = np.array([0.057, 0, 0.46, 0, 0.523, 0, 0.457, 0.503, 0.354])
_NOT_HELPFUL_TAG_SHARES = np.array(
    [0.071, 0.238, 0.311, 0, 0.271, 0, 0.101, 0.145, 0, 0.036, 0.121, 0.21, 0.121]
)
_SOMEWHAT_HELPFUL_SCALE = 0.5
_SOMEWHAT_NOT_HELPFUL_SCALE = 0.45
_NH_SOURCES_MISSING = 2  # notHelpfulSourcesMissingOrUnreliable
_NH_ARGUMENTATIVE = 7  # notHelpfulArgumentativeOrBiased
_NH_OPINION = 11  # notHelpfulOpinionSpeculation
_H_GOOD_SOURCES = 4  # helpfulGoodSources


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


def _choose_raters(
    counts: NDArray[np.int64],
    authors: NDArray[np.int32],
    weights: NDArray[np.float64],
    rng: np.random.Generator,
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Distinct raters per note, drawn with probability proportional to ``weights``.

    Each note takes the first distinct eligible raters of a stream of draws with
    replacement (successive sampling, i.e. weighted sampling without replacement); notes
    still short after a few rounds fall back to an exact draw without replacement. The
    author and zero-weight raters are never chosen.

    Returns
    -------
    (note positions within ``counts``, rater indexes), both int64 of the same length
    ``counts.sum()``, sorted by note then rater.
    """
    n_raters = weights.shape[0]
    cumulative = np.cumsum(weights)
    total = cumulative[-1]
    keys_done = np.empty(0, np.int64)
    remaining = counts.copy()
    for round_ in range(3):
        short = np.flatnonzero(remaining > 0)
        if short.size == 0:
            break
        draws = np.ceil(remaining[short] * (1.25 + round_)).astype(np.int64) + 2
        notes = np.repeat(short, draws)
        raters = np.searchsorted(cumulative, rng.random(notes.shape[0]) * total, side="right")
        raters = np.minimum(raters, n_raters - 1)
        keys = notes * n_raters + raters
        first = _first_occurrences(keys) & (raters != authors[notes])
        if keys_done.size:
            first &= ~np.isin(keys, keys_done)
        # Rank of each first occurrence within its note's stream (1-based).
        seen = np.cumsum(first)
        group_start = np.repeat(np.cumsum(draws) - draws, draws)
        rank = seen - (seen[group_start] - first[group_start])
        accepted = first & (rank <= remaining[notes])
        keys_done = np.sort(np.concatenate([keys_done, keys[accepted]]))
        remaining -= np.bincount(notes[accepted], minlength=counts.shape[0])
    extra = [
        _exact_draw(int(i), int(remaining[i]), authors[i], weights, keys_done, rng)
        for i in np.flatnonzero(remaining > 0)
    ]
    keys_done = np.sort(np.concatenate([keys_done, *extra]))
    return keys_done // n_raters, keys_done % n_raters


def _first_occurrences(values: NDArray[np.int64]) -> NDArray[np.bool_]:
    """True where a value appears for the first time, scanning in order."""
    first = np.zeros(values.size, dtype=np.bool_)
    if values.size == 0:
        return first
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    new = np.empty(values.size, dtype=np.bool_)
    new[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=new[1:])
    first[order] = new
    return first


def _exact_draw(
    note: int,
    k: int,
    author: np.int32,
    weights: NDArray[np.float64],
    keys_done: NDArray[np.int64],
    rng: np.random.Generator,
) -> NDArray[np.int64]:
    n_raters = weights.shape[0]
    w = weights.copy()
    w[author] = 0.0
    taken = keys_done[(keys_done // n_raters) == note] % n_raters
    w[taken] = 0.0
    k = min(k, int(np.count_nonzero(w)))
    chosen = rng.choice(n_raters, size=k, replace=False, p=w / w.sum()) if k else np.empty(0)
    keys: NDArray[np.int64] = note * n_raters + np.asarray(chosen, dtype=np.int64)
    return keys


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


def _bits(on: NDArray[np.bool_]) -> NDArray[np.uint16]:
    """Rows of up to 16 booleans as uint16 bit masks (column k -> bit k)."""
    packed = np.packbits(on, axis=1, bitorder="little")
    if packed.shape[1] == 1:
        packed = np.concatenate([packed, np.zeros_like(packed)], axis=1)
    bits: NDArray[np.uint16] = np.ascontiguousarray(packed).view("<u2").ravel().astype(np.uint16)
    return bits


def _tag_share_tables() -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    """Per-tag shares for each (level, opposed, has_sources) combination.

    Row ``level * 4 + opposed * 2 + has_sources`` of each table holds the helpful
    (shape (12, 9)) and not-helpful (shape (12, 13)) tag shares.
    """
    helpful = np.zeros((12, _HELPFUL_TAG_SHARES.size))
    not_helpful = np.zeros((12, _NOT_HELPFUL_TAG_SHARES.size))
    h_scale = {
        HelpfulnessLevel.HELPFUL: 1.0,
        HelpfulnessLevel.SOMEWHAT_HELPFUL: _SOMEWHAT_HELPFUL_SCALE,
    }
    nh_scale = {
        HelpfulnessLevel.NOT_HELPFUL: 1.0,
        HelpfulnessLevel.SOMEWHAT_HELPFUL: _SOMEWHAT_NOT_HELPFUL_SCALE,
    }
    for level in HelpfulnessLevel:
        for opposed in (0, 1):
            for has_sources in (0, 1):
                row = int(level) * 4 + opposed * 2 + has_sources
                h = _HELPFUL_TAG_SHARES * h_scale.get(level, 0.0)
                nh = _NOT_HELPFUL_TAG_SHARES * nh_scale.get(level, 0.0)
                if opposed:
                    nh[_NH_ARGUMENTATIVE] *= 3.0
                    nh[_NH_OPINION] *= 2.5
                if not has_sources:
                    h[_H_GOOD_SOURCES] *= 0.3
                    nh[_NH_SOURCES_MISSING] *= 1.8
                helpful[row] = h
                not_helpful[row] = np.minimum(nh, 0.9)
    return helpful.astype(np.float32), not_helpful.astype(np.float32)


_HELPFUL_TABLE, _NOT_HELPFUL_TABLE = _tag_share_tables()


def _draw_tag_matrix(
    rng: np.random.Generator,
    table: NDArray[np.float32],
    combo: NDArray[np.intp],
    at_least_one: NDArray[np.bool_],
) -> NDArray[np.bool_]:
    """Bernoulli tags with shares ``table[combo]`` (m, k); rows in ``at_least_one`` get >= 1.

    Only rows and columns with a nonzero share draw random numbers.
    """
    on = np.zeros((combo.shape[0], table.shape[1]), dtype=np.bool_)
    live_cols = np.flatnonzero(table.max(axis=0) > 0)
    rows = np.flatnonzero(table.sum(axis=1)[combo] > 0)
    if rows.size == 0 or live_cols.size == 0:
        return on
    shares = table[np.ix_(combo[rows], live_cols)] if rows.size else table[:0, live_cols]
    drawn = rng.random(shares.shape, dtype=np.float32) < shares
    missing = np.flatnonzero(at_least_one[rows] & ~drawn.any(axis=1))
    if missing.size:
        cumulative = np.cumsum(shares[missing], axis=1)
        u = rng.random(missing.size, dtype=np.float32) * cumulative[:, -1]
        cols = (cumulative <= u[:, None]).sum(axis=1)
        drawn[missing, np.minimum(cols, live_cols.size - 1)] = True
    on[np.ix_(rows, live_cols)] = drawn
    return on


def draw_tags(
    level: NDArray[np.int8],
    opposed: NDArray[np.bool_],
    has_sources: NDArray[np.bool_],
    rng: np.random.Generator,
) -> tuple[NDArray[np.uint16], NDArray[np.uint16]]:
    """Helpful and not-helpful tags consistent with the level.

    HELPFUL ratings get >= 1 helpful tag and no not-helpful tag; NOT_HELPFUL the reverse;
    SOMEWHAT_HELPFUL may carry either kind or none. Raters on the opposite side of a slanted
    note favour "argumentative" and "opinion" tags; notes without a source draw "sources
    missing" more and "good sources" less. Shares are those of the S-core fixture.

    Parameters
    ----------
    level : int8 array of shape (m,), ``HelpfulnessLevel`` codes.
    opposed : bool array of shape (m,), the rater disagrees with the note's slant.
    has_sources : bool array of shape (m,), the note links a source.
    rng : the generator to draw from.

    Returns
    -------
    (helpful_tags, not_helpful_tags): uint16 arrays of shape (m,), bit k = tag k in TSV order.
    """
    combo = level.astype(np.intp) * 4 + opposed.astype(np.intp) * 2 + has_sources.astype(np.intp)
    h_on = _draw_tag_matrix(rng, _HELPFUL_TABLE, combo, level == HelpfulnessLevel.HELPFUL)
    nh_on = _draw_tag_matrix(rng, _NOT_HELPFUL_TABLE, combo, level == HelpfulnessLevel.NOT_HELPFUL)
    return _bits(h_on), _bits(nh_on)


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
        local, rater_idx = _choose_raters(
            counts[start:stop], notes.author_idx[start:stop], weights, rng
        )
        block = rate_pairs(config, raters, notes, local + start, rater_idx, rng)
        yield block.sorted_by_note_time()
