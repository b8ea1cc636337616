"""Rating tags: helpful and not-helpful tag bits consistent with the helpfulness level."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from bridgewatch.model import HelpfulnessLevel

__all__ = ["draw_tags"]

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
