"""Per-rater propensity to tag notes "incorrect" (§4.10)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = ["IncorrectPropensity", "incorrect_propensity"]

# Bit of notHelpfulIncorrect in the not-helpful tag bitmask (TSV order, §2.1).
_INCORRECT_BIT = 1


@dataclass(frozen=True)
class IncorrectPropensity:
    """Per-rater incorrect-tag counts; int64 arrays of shape (n_raters,).

    Attributes
    ----------
    incorrect_tag_ratings : ``incorrectTagRatingsMadeByRater``, sum of notHelpfulIncorrect.
    total_ratings : ``totalRatingsMadeByRater``, ratings with at least one not-helpful tag.
    """

    incorrect_tag_ratings: NDArray[np.int64]
    total_ratings: NDArray[np.int64]


def incorrect_propensity(
    rater_idx: NDArray[np.int32],
    not_helpful_tags: NDArray[np.uint16],
    n_raters: int,
) -> IncorrectPropensity:
    """Count each rater's ratings with any not-helpful tag, and those tagged incorrect.

    Parameters
    ----------
    rater_idx : int32 array of shape (n_ratings,), the scoped ratings
    not_helpful_tags : uint16 bitmask array of shape (n_ratings,) (TSV tag order)
    n_raters : size of the rater index

    Returns
    -------
    IncorrectPropensity
    """
    tagged = not_helpful_tags != 0
    incorrect = tagged & ((not_helpful_tags >> np.uint16(_INCORRECT_BIT)) & np.uint16(1) == 1)
    return IncorrectPropensity(
        incorrect_tag_ratings=np.bincount(rater_idx[incorrect], minlength=n_raters).astype(
            np.int64
        ),
        total_ratings=np.bincount(rater_idx[tagged], minlength=n_raters).astype(np.int64),
    )
