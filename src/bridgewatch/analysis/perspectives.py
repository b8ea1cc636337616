"""The "liked by people with different perspectives" rule, shared by `analyze` and the web
app's note page (numpy only, so the web app does not load the analysis stack).

The published pilot (scoring-extended.md §7.10) calls out notes liked across the factor
split, with raters' factors split at 0.15. bridgewatch's reading of it: a note is liked by
people with different perspectives when at least ``min_side_helpful`` raters on each side
(factor below -split, above +split) rated it HELPFUL, and at least ``min_side_share`` of
each side's ratings of it are HELPFUL.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from bridgewatch.errors import ConfigError

__all__ = ["PERSPECTIVE_SPLIT", "PerspectiveRule", "liked_by_different_perspectives"]

# Factor split of the pilot (scoring-extended.md §7.10): |factor| <= 0.15 is neutral.
PERSPECTIVE_SPLIT = 0.15


@dataclass(frozen=True)
class PerspectiveRule:
    """Thresholds of the rule.

    Parameters
    ----------
    split : raters with factor < -split are on the left, > split on the right (§7.10: 0.15).
    min_side_helpful : HELPFUL ratings needed from each side.
    min_side_share : share of each side's ratings that must be HELPFUL, in [0, 1].
    """

    split: float = PERSPECTIVE_SPLIT
    min_side_helpful: int = 2
    min_side_share: float = 0.5

    def __post_init__(self) -> None:
        if not self.split >= 0.0:
            raise ConfigError("split", self.split, "a number >= 0")
        if self.min_side_helpful < 1:
            raise ConfigError("min_side_helpful", self.min_side_helpful, "an integer >= 1")
        if not 0.0 <= self.min_side_share <= 1.0:
            raise ConfigError("min_side_share", self.min_side_share, "a number in [0, 1]")


def liked_by_different_perspectives(
    helpful_left: ArrayLike,
    ratings_left: ArrayLike,
    helpful_right: ArrayLike,
    ratings_right: ArrayLike,
    rule: PerspectiveRule | None = None,
) -> NDArray[np.bool_]:
    """Whether each note meets the rule.

    Parameters
    ----------
    helpful_left, ratings_left, helpful_right, ratings_right : int arrays of one shape (or
        scalars): per note, HELPFUL ratings and all ratings from left and right raters.
    rule : thresholds.

    Returns
    -------
    bool array of that shape.
    """
    r = rule or PerspectiveRule()
    hl, nl = np.asarray(helpful_left), np.asarray(ratings_left)
    hr, nr = np.asarray(helpful_right), np.asarray(ratings_right)
    enough = np.minimum(hl, hr) >= r.min_side_helpful
    shares = (hl >= r.min_side_share * nl) & (hr >= r.min_side_share * nr)
    return np.asarray(enough & shares, dtype=np.bool_)
