"""Compose the simulator: participants, notes, organic ratings and adversaries.

``plan_simulation`` draws everything except the ratings (small: O(notes + raters));
``iter_rating_frames`` then produces the ratings one block of notes at a time, so even the
full-scale shape (2M notes, 150M ratings) never needs all ratings in memory at once.
``simulate`` collects everything into one ``Community``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, replace

import numpy as np
import polars as pl
from numpy.typing import NDArray

from bridgewatch.sim.adversary import AdversaryPlan, draw_adversaries
from bridgewatch.sim.config import SimConfig
from bridgewatch.sim.frames import (
    IdColumns,
    enrollment_frame,
    note_requests_frame,
    note_status_history_frame,
    note_truth_frame,
    notes_frame,
    posts_frame,
    rater_truth_frame,
    ratings_frame,
)
from bridgewatch.sim.history import scored_status_history
from bridgewatch.sim.honest import HonestPlan, draw_structures
from bridgewatch.sim.notes import NotePopulation, draw_notes
from bridgewatch.sim.population import RaterPopulation, draw_raters
from bridgewatch.sim.posts import draw_posts
from bridgewatch.sim.ratings import (
    BLOCK_NOTES,
    RatingArrays,
    draw_note_rating_counts,
    iter_organic_blocks,
)
from bridgewatch.sim.requests import draw_note_requests

__all__ = [
    "Community",
    "SimulationPlan",
    "SmallFrames",
    "iter_rating_blocks",
    "iter_rating_frames",
    "plan_simulation",
    "public_small_frames",
    "simulate",
    "with_scored_history",
]

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SimulationPlan:
    """Everything but the organic ratings, which ``iter_rating_blocks`` draws from this.

    Parameters
    ----------
    config : the configuration.
    raters : every participant (organic, then brigade members).
    notes : every note, in time order.
    counts : int64 array of shape (n_notes,), organic ratings per note.
    adversaries : the brigades' members, ratings and targets.
    ids : the external ids as String series.
    honest : the honest structures' members, ratings and circle notes.
    """

    config: SimConfig
    raters: RaterPopulation
    notes: NotePopulation
    counts: NDArray[np.int64]
    adversaries: AdversaryPlan
    ids: IdColumns
    honest: HonestPlan


@dataclass(frozen=True)
class Community:
    """A synthetic community in the public format plus its ground truth.

    Parameters
    ----------
    config : the configuration it was drawn from.
    notes : ``notes-*.tsv`` frame (``NOTES_COLUMNS``).
    ratings : ``ratings-*.tsv`` frame (``RATINGS_COLUMNS``), sorted by note then time.
    note_status_history : ``noteStatusHistory-*.tsv`` frame, empty, seeded, or scored along
        the way (``SimConfig.score_status_history``).
    user_enrollment : ``userEnrollment-*.tsv`` frame, one row per participant.
    note_requests : ``noteRequests-*.tsv`` frame, one row per requested post.
    posts : ``posts-*.tsv`` frame (``io.schemas.POSTS``), text and author of each post
        (not a public file: the public dump has no post text).
    note_truth : per note: quality, slant, oneSided, topic, attackTarget, brigadeId,
        attackGoal, circleId.
    rater_truth : per participant: position, camp, leniency, activity, isAdversary,
        brigadeId, joinedAtMillis, modelingGroup, structure, structureId.
    """

    config: SimConfig
    notes: pl.DataFrame
    ratings: pl.DataFrame
    note_status_history: pl.DataFrame
    user_enrollment: pl.DataFrame
    note_requests: pl.DataFrame
    posts: pl.DataFrame
    note_truth: pl.DataFrame
    rater_truth: pl.DataFrame


def plan_simulation(config: SimConfig) -> SimulationPlan:
    """Draw participants, notes, rating counts and adversaries (not the organic ratings).

    Uses ``default_rng([seed, 0])``; organic rating blocks, honest structures and brigades
    have their own streams. Participants: organic raters, then structure members, then
    brigade members.
    """
    rng = np.random.default_rng([config.seed, 0])
    organic = draw_raters(config, rng)
    notes = draw_notes(config, organic, rng)
    counts = draw_note_rating_counts(config, notes.n, organic.n - 1, rng)
    honest = draw_structures(config, organic, notes, counts)
    adversaries = draw_adversaries(
        config, honest.raters, notes, counts, reserved=honest.circle_of_note >= 0
    )
    return SimulationPlan(
        config=config,
        raters=adversaries.raters,
        notes=notes,
        counts=counts,
        adversaries=adversaries,
        ids=IdColumns.of(notes, adversaries.raters),
        honest=honest,
    )


def iter_rating_blocks(plan: SimulationPlan) -> Iterator[RatingArrays]:
    """All ratings (organic, honest structures' and adversarial), one block of notes at a time.

    Yields
    ------
    RatingArrays per block, sorted by (note_idx, created_at_ms); blocks cover consecutive
    note ranges, so the concatenation is sorted too.
    """
    adversarial = RatingArrays.concat([plan.honest.ratings, plan.adversaries.ratings])
    block_of = adversarial.note_idx // BLOCK_NOTES
    for b, organic in enumerate(
        iter_organic_blocks(plan.config, plan.raters, plan.notes, plan.counts)
    ):
        extra = adversarial.take(np.flatnonzero(block_of == b))
        yield RatingArrays.concat([organic, extra]).sorted_by_note_time()


def iter_rating_frames(plan: SimulationPlan) -> Iterator[pl.DataFrame]:
    """``iter_rating_blocks`` as frames in the public ratings layout."""
    for block in iter_rating_blocks(plan):
        yield ratings_frame(block, plan.ids)


def simulate(config: SimConfig) -> Community:
    """Draw a whole synthetic community in memory.

    Same config (seed included) gives identical frames. The model: raters in two camps on a
    viewpoint axis with lognormal activity; posts with 1-3 notes of true quality and slant;
    ratings from the latent score quality + leniency + position * slant + noise
    (``bridgewatch.sim.ratings``); optional brigades (``bridgewatch.sim.adversary``).

    Returns
    -------
    Community with the four public frames and the ground truth.
    """
    plan = plan_simulation(config)
    ratings = pl.concat(list(iter_rating_frames(plan)), how="vertical", rechunk=True)
    _log.info(
        "simulated %d notes, %d participants, %d ratings",
        plan.notes.n,
        plan.raters.n,
        ratings.height,
    )
    small = with_scored_history(public_small_frames(plan), plan.config, ratings)
    return Community(
        config=config,
        notes=small.notes,
        ratings=ratings,
        note_status_history=small.note_status_history,
        user_enrollment=small.user_enrollment,
        note_requests=small.note_requests,
        posts=small.posts,
        note_truth=small.note_truth,
        rater_truth=small.rater_truth,
    )


@dataclass(frozen=True)
class SmallFrames:
    """Every frame of a community except the ratings (see ``Community``)."""

    notes: pl.DataFrame
    note_status_history: pl.DataFrame
    user_enrollment: pl.DataFrame
    note_requests: pl.DataFrame
    posts: pl.DataFrame
    note_truth: pl.DataFrame
    rater_truth: pl.DataFrame


def with_scored_history(
    small: SmallFrames, config: SimConfig, ratings: pl.DataFrame
) -> SmallFrames:
    """``small`` with its status history scored along the way when
    ``config.score_status_history`` (``bridgewatch.sim.history``); else ``small``."""
    if not config.score_status_history:
        return small
    history = scored_status_history(
        config,
        notes=small.notes,
        ratings=ratings,
        enrollment=small.user_enrollment,
        history=small.note_status_history,
    )
    return replace(small, note_status_history=history)


def public_small_frames(plan: SimulationPlan) -> SmallFrames:
    """The notes, status history, enrollment, requests, posts and ground-truth frames."""
    return SmallFrames(
        notes=notes_frame(plan.notes, plan.ids),
        note_status_history=note_status_history_frame(
            plan.notes, plan.ids, seeded=plan.config.seed_status_history
        ),
        user_enrollment=enrollment_frame(plan.raters),
        note_requests=note_requests_frame(draw_note_requests(plan.config, plan.notes)),
        posts=posts_frame(draw_posts(plan.config, plan.notes)),
        note_truth=note_truth_frame(
            plan.config,
            plan.notes,
            plan.ids,
            plan.adversaries.target_brigade,
            plan.honest.circle_of_note,
        ),
        rater_truth=rater_truth_frame(plan.raters, plan.ids),
    )
