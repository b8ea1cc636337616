"""Corroboration: the watch's hold on helpful statuses that rest on one suspect set of
raters (not in the reference).

An aged brigade (established accounts of both camps, no shared history yet) can strike a
brand-new note before anyone else rates it: the bridging model explains it perfectly
(raters of both camps calling a note helpful *is* a bridging note), no refit has evidence,
and the watch's other rules (:mod:`bridgewatch.scoring.incremental.watch`, the
recent-deviation test) have nothing to go on. What is left is timing and independence.
For each note that would newly become helpful in a pass, the *suspects* are

* the **opening run**: on a young note (first rating within ``max_age_ms``), the raters
  of its first ratings when at least ``min_opening`` of them gave the same helpful verdict
  before any rating of another verdict (nobody else has had a say yet), and
* the **group**: its helpful raters who gave the same verdict on another note together
  with at least ``min_group`` of them, far beyond chance (``P(X >= g | e) <= group_p``
  for ``X ~ Poisson(e)``, ``e = D w_j / W``: ``D`` those raters' ratings on other notes,
  ``w_j`` the raters of that cell, ``W`` all ratings; the popularity null of the
  co-rating defence): a brigade's later targets, before the refit's defences have seen
  enough of its targets to convict it.

The status is *corroborated* when the note's ratings by everyone else alone would make it
helpful: at least ``min_independent`` of them (by raters the Core model knows) and the
per-note refit on them with the Core scorer's frozen raters
(:func:`~bridgewatch.scoring.incremental.watch.ridge_note_fit`) reaches the helpful
intercept with a bridging factor. Otherwise the note is held: it keeps its previous status
until it is corroborated (the hold is then lifted by the next pass, not by the refit) --
a brigade that waits gains nothing, since only raters outside it can release the note.
After a refit the hold is made again while it still fires (the refit's ``score`` on
partial data has not convicted the group).

Measured on the live attack replay (``benchmarks/results/liveaged12/``): the opening run
is off by default (``min_opening`` None). It held the aged brigade's first target of seed
1 (16 members' helpful ratings before anyone else's), but honest notes open so too (a
good note rated helpful by its first 10-16 raters, over one to seventeen hours): nobody
outside the run has a say until someone disagrees, and then the remaining raters are the
ones who liked it less, so honest notes waited for hours (p95 152 min, max 910 min on
seed 1; max 1225 min on seed 2). The first target of seed 2 has no opening run at all
(honest raters rated it among the members). The information that would separate a first
target from an honest note is not in its ratings. The group rule is on (``group_p``
1e-3): the later targets' helpful raters share the earlier targets' cells.

Pure: arrays in, arrays out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from bridgewatch.errors import ConfigError
from bridgewatch.scoring.manipulation.co_rating import concentrated_cells
from bridgewatch.scoring.manipulation.push_guard import rating_levels

if TYPE_CHECKING:
    from bridgewatch.model import Ratings
    from bridgewatch.scoring.incremental.watch import RaterModel

__all__ = [
    "REASON_PREFIX",
    "CorroborationConfig",
    "Suspects",
    "corroboration_holds",
    "is_corroboration_reason",
    "note_suspects",
]

REASON_PREFIX = "its helpful status rests on "
"""How every corroboration hold's reason starts (the worker lifts these holds itself)."""

_HELPFUL_LEVEL = 2


@dataclass(frozen=True)
class CorroborationConfig:
    """Thresholds of the corroboration hold (see the module docstring).

    Attributes
    ----------
    min_opening : same-verdict helpful ratings a note's rating history must open with,
        before any other verdict, for their raters to be suspects (>= 2); None (default):
        no opening-run suspects, the group test alone (5 holds an aged brigade's first
        target, at a cost to honest notes measured in the module docstring).
    max_age_ms : the opening run counts only on a note whose first rating is at most this
        old at the pass, ms (> 0; 24 hours: a young note).
    group_p : the group test's chance bound (in (0, 1); 1e-3: on the live replay the aged
        brigade's second target reached 4e-4 by the time a refit would show it, 5 to 8 of
        100+ honest notes reached 1e-3 in their first ten hours); None: no group suspects.
    min_group : raters of the note's helpful raters in one other cell for the group test
        (>= 2).
    min_independent : ratings by raters outside the suspects (known to the model) that
        must carry the note on their own for it to be corroborated (>= 1).
    """

    min_opening: int | None = None
    max_age_ms: int = 24 * 3_600_000
    group_p: float | None = 1e-3
    min_group: int = 4
    min_independent: int = 5

    def __post_init__(self) -> None:
        if self.min_opening is not None and self.min_opening < 2:
            raise ConfigError("min_opening", self.min_opening, ">= 2")
        if self.max_age_ms <= 0:
            raise ConfigError("max_age_ms", self.max_age_ms, "> 0")
        if self.group_p is not None and not 0.0 < self.group_p < 1.0:
            raise ConfigError("group_p", self.group_p, "in (0, 1) or None")
        if self.min_group < 2:
            raise ConfigError("min_group", self.min_group, ">= 2")
        if self.min_independent < 1:
            raise ConfigError("min_independent", self.min_independent, ">= 1")


def is_corroboration_reason(why: str) -> bool:
    """Whether a hold's reason is the corroboration hold's."""
    return why.startswith(REASON_PREFIX)


@dataclass(frozen=True)
class Suspects:
    """One note's suspect raters: ``opening`` (int rater rows of its opening run) and
    ``group`` (its helpful raters who moved together on another note)."""

    opening: NDArray[np.int64]
    group: NDArray[np.int64]

    @property
    def raters(self) -> NDArray[np.int64]:
        """Every suspect (sorted, unique)."""
        out: NDArray[np.int64] = np.union1d(self.opening, self.group).astype(np.int64)
        return out


def note_suspects(
    ratings: Ratings, note: int, as_of_ms: int, config: CorroborationConfig
) -> Suspects:
    """The suspect raters of note row ``note`` (see the module docstring).

    Parameters
    ----------
    ratings : every current rating (before PSS: the opening run is about who rated first).
    note : the note's row.
    as_of_ms : the pass's "now".
    config : CorroborationConfig.
    """
    return _Pool.of(ratings, np.asarray([note], dtype=np.int64), config).suspects(
        note, as_of_ms, config
    )


@dataclass(frozen=True)
class _Pool:
    """What the suspects of several notes are found on, counted once: every rating's level
    and cell, the raters per cell, the rows of the tested notes, and every rating of their
    helpful raters (the group test's scan)."""

    ratings: Ratings
    levels: NDArray[np.int64]
    cells: NDArray[np.float64]
    note_rows: NDArray[np.int64]
    support_rows: NDArray[np.int64]

    @classmethod
    def of(cls, ratings: Ratings, notes: NDArray[np.int64], config: CorroborationConfig) -> _Pool:
        levels = rating_levels(ratings.helpful_num)
        cell = ratings.note_idx.astype(np.int64) * 3 + levels
        cells = np.bincount(cell, minlength=3 * ratings.n_notes).astype(np.float64)
        look = np.zeros(ratings.n_notes, dtype=np.bool_)
        look[notes] = True
        note_rows = np.flatnonzero(look[ratings.note_idx]).astype(np.int64)
        support_rows = np.zeros(0, dtype=np.int64)
        if config.group_p is not None:
            mark = np.zeros(ratings.n_participants, dtype=np.bool_)
            mark[ratings.rater_idx[note_rows[levels[note_rows] == _HELPFUL_LEVEL]]] = True
            support_rows = np.flatnonzero(mark[ratings.rater_idx]).astype(np.int64)
        return cls(ratings, levels, cells, note_rows, support_rows)

    def suspects(self, note: int, as_of_ms: int, config: CorroborationConfig) -> Suspects:
        ratings, none = self.ratings, np.zeros(0, dtype=np.int64)
        rows = self.note_rows[ratings.note_idx[self.note_rows] == note]
        if rows.shape[0] == 0:
            return Suspects(none, none)
        at = ratings.created_at_ms[rows].astype(np.int64)
        order = np.argsort(at, kind="stable")
        rows, at = rows[order], at[order]
        levels = self.levels[rows]
        opening = none
        if (
            config.min_opening is not None
            and at[0] > as_of_ms - config.max_age_ms
            and levels[0] == _HELPFUL_LEVEL
        ):
            other = np.flatnonzero(levels != _HELPFUL_LEVEL)
            length = int(other[0]) if other.shape[0] else rows.shape[0]
            if length >= config.min_opening:
                opening = np.unique(ratings.rater_idx[rows[:length]]).astype(np.int64)
        group = none
        support = np.unique(ratings.rater_idx[rows[levels == _HELPFUL_LEVEL]]).astype(np.int64)
        if config.group_p is not None and support.shape[0] >= config.min_group:
            pool = self.support_rows
            mine = pool[
                np.isin(ratings.rater_idx[pool], support) & (ratings.note_idx[pool] != note)
            ]
            if mine.shape[0]:
                cell = ratings.note_idx[mine].astype(np.int64) * 3 + self.levels[mine]
                values, g = np.unique(cell, return_counts=True)
                conc = concentrated_cells(
                    g, mine.shape[0], self.cells[values], max(ratings.n_ratings, 1),
                    config.min_group, config.group_p,
                )  # fmt: skip
                if conc.any():
                    hit = np.isin(cell, values[conc])
                    group = np.unique(ratings.rater_idx[mine[hit]]).astype(np.int64)
        return Suspects(opening, group)


def corroboration_holds(
    ratings: Ratings,
    post_pss: Ratings,
    notes: NDArray[np.int64],
    model: RaterModel,
    as_of_ms: int,
    config: CorroborationConfig,
) -> dict[int, str]:
    """The notes of ``notes`` whose helpful status is not corroborated without their
    suspects, with the reason for the note page.

    Parameters
    ----------
    ratings : every current rating before PSS (suspects are found on these).
    post_pss : the post-PSS ratings the Core scorer fits (the corroborating refit's), on
        the same note and participant index.
    notes : int64 note rows to test (those that would newly become helpful).
    model : the Core scorer's frozen raters at the last refit.
    as_of_ms : the pass's "now".
    config : CorroborationConfig.

    Returns
    -------
    dict note row -> reason (starts with ``REASON_PREFIX``).
    """
    from bridgewatch.scoring.incremental.watch import ridge_note_fit  # (watch imports us)

    out: dict[int, str] = {}
    if notes.shape[0] == 0 or ratings.n_ratings == 0:
        return out
    if model.rater_intercepts.shape != (post_pss.n_participants,):
        raise ConfigError(
            "model", model.rater_intercepts.shape, f"shape ({post_pss.n_participants},)"
        )
    notes = np.unique(notes)
    pool = _Pool.of(ratings, notes, config)
    look = np.zeros(post_pss.n_notes, dtype=np.bool_)
    look[notes] = True
    fit_rows = np.flatnonzero(look[post_pss.note_idx])
    for k in notes.tolist():
        suspects = pool.suspects(int(k), as_of_ms, config)
        raters = suspects.raters
        if raters.shape[0] == 0:
            continue
        rows = fit_rows[post_pss.note_idx[fit_rows] == k]
        rater = post_pss.rater_idx[rows]
        keep = (
            ~np.isin(rater, raters)
            & np.isfinite(model.rater_intercepts[rater])
            & np.isfinite(model.rater_factors[rater])
        )
        rows, rater = rows[keep], rater[keep]
        n_independent = int(rows.shape[0])
        if n_independent >= config.min_independent:
            y = (
                post_pss.helpful_num[rows].astype(np.float64)
                - model.global_intercept
                - model.rater_intercepts[rater]
            )
            intercept, factor = ridge_note_fit(
                np.zeros(n_independent, dtype=np.int64),
                model.rater_factors[rater],
                y,
                1,
                model.intercept_penalty,
                model.factor_penalty,
            )
            if intercept[0] >= model.crh_threshold and abs(factor[0]) < model.max_factor:
                continue
        out[int(k)] = _reason(suspects, n_independent, config)
    return out


def _reason(suspects: Suspects, n_independent: int, config: CorroborationConfig) -> str:
    parts = []
    if suspects.opening.shape[0]:
        parts.append(
            f"{suspects.opening.shape[0]} raters who opened it with helpful ratings before "
            "anyone else rated it"
        )
    if suspects.group.shape[0]:
        parts.append(
            f"{suspects.group.shape[0]} raters who gave the same verdict together on another "
            "note far more often than chance"
        )
    others = (
        "it has no ratings from anyone else yet"
        if n_independent == 0
        else f"its {n_independent} ratings from everyone else do not make it helpful on their own"
        if n_independent >= config.min_independent
        else f"it has only {n_independent} ratings from anyone else"
    )
    return (
        f"{REASON_PREFIX}{' and '.join(parts)}; {others}. It waits until raters outside them "
        "corroborate it (or a refit's defences set them aside)"
    )
