"""A simulated community straight to the columnar ``bridgewatch.model.Ratings``, with its
ground truth aligned to the model's row indexes: for kernel tests that skip the files."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from bridgewatch.model import HelpfulnessLevel, IdIndex, Ratings
from bridgewatch.sim.config import SimConfig
from bridgewatch.sim.ratings import RatingArrays
from bridgewatch.sim.simulate import iter_rating_blocks, plan_simulation

__all__ = ["LabelledRatings", "simulate_ratings"]

# helpfulNum by HelpfulnessLevel code (scoring-core.md §2.2).
_HELPFUL_NUM = np.zeros(len(HelpfulnessLevel), dtype=np.float32)
_HELPFUL_NUM[HelpfulnessLevel.SOMEWHAT_HELPFUL] = 0.5
_HELPFUL_NUM[HelpfulnessLevel.HELPFUL] = 1.0


@dataclass(frozen=True)
class LabelledRatings:
    """Ratings in the model's layout plus the truth behind them.

    Parameters
    ----------
    ratings : the ratings; ``note_ids`` are decimal note ids, ``participant_ids`` every
        participant (raters, authors, brigade members), both sorted as ``IdIndex`` requires.
    note_quality : float64 array of shape (n_notes,), true helpfulness per ``note_idx``.
    note_slant : float64 array of shape (n_notes,), per ``note_idx``.
    note_author_idx : int32 array of shape (n_notes,), author's row in ``participant_ids``.
    attack_target : bool array of shape (n_notes,).
    rater_position : float64 array of shape (n_participants,), per participant row.
    rater_camp : int8 array of shape (n_participants,), +1 or -1.
    is_adversary : bool array of shape (n_participants,).
    """

    ratings: Ratings
    note_quality: NDArray[np.float64]
    note_slant: NDArray[np.float64]
    note_author_idx: NDArray[np.int32]
    attack_target: NDArray[np.bool_]
    rater_position: NDArray[np.float64]
    rater_camp: NDArray[np.int8]
    is_adversary: NDArray[np.bool_]


def simulate_ratings(config: SimConfig) -> LabelledRatings:
    """Simulate ``config`` and return the ratings as ``bridgewatch.model.Ratings``.

    The ratings are the same as those ``simulate(config)`` writes, in the same order.
    """
    plan = plan_simulation(config)
    arrays = RatingArrays.concat(list(iter_rating_blocks(plan)))
    note_ids = IdIndex.from_values(plan.notes.ids.astype(np.str_))
    participant_ids = IdIndex.from_values(plan.raters.ids)
    note_row = note_ids.lookup(plan.notes.ids.astype(np.str_))
    participant_row = participant_ids.lookup(plan.raters.ids)
    note_order = np.argsort(note_row)
    participant_order = np.argsort(participant_row)
    ratings = Ratings(
        note_idx=note_row[arrays.note_idx],
        rater_idx=participant_row[arrays.rater_idx],
        helpful_num=_HELPFUL_NUM[arrays.level],
        helpfulness_level=arrays.level,
        created_at_ms=arrays.created_at_ms,
        helpful_tags=arrays.helpful_tags,
        not_helpful_tags=arrays.not_helpful_tags,
        population_sampled=arrays.population_sampled,
        note_ids=note_ids,
        participant_ids=participant_ids,
    )
    return LabelledRatings(
        ratings=ratings,
        note_quality=plan.notes.quality[note_order],
        note_slant=plan.notes.slant[note_order],
        note_author_idx=participant_row[plan.notes.author_idx][note_order],
        attack_target=(plan.adversaries.target_brigade >= 0)[note_order],
        rater_position=plan.raters.positions[participant_order],
        rater_camp=plan.raters.camps[participant_order],
        is_adversary=plan.raters.is_adversary[participant_order],
    )
