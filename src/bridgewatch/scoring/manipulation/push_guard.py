"""Push windows: where a caught group pushed a note, and when (a bridgewatch defence).

The group passes (coordinated co-rating, thin pools) drop the verdicts of the accounts
they catch on the cells ``(note, level)`` where their group concentrates. They never catch
every account: a thin pool's members with one or two hits on its targets cannot be told
from honest raters one by one, and their verdicts stay. The Gaussian scorers' kernel
aggregation counts every rating at its rater's factor position: a handful of leftover
accounts spread over both camps reads as agreement across the factor axis, and lifts a
pushed note over the Gaussian CRH threshold. An MF fit absorbs more of them (the note
intercept is regularized and each rater brings its own intercept), but not all: on the
whole roster's aged-pool 20% cells, after the Gaussian guard, every promotion beyond the
no-attack baseline was a pushed note with Core's MF intercept at 0.403-0.443 (bar 0.40),
and two of three suppressions a good note whose incorrect filter a few leftover
accounts' tags tipped.

The leftover accounts rated in the same campaign as the caught ones. A *pushed cell* is a
cell with at least ``min_flagged`` flagged ratings; its *push window* is the span of their
creation times, widened on each side by ``range / (k - 1)`` for ``k`` flagged ratings (the
unbiased estimate of a uniform support from ``k`` draws: a leftover rating drawn from the
same campaign falls outside ``[min, max]`` with probability ``2 / (k + 1)``). Every
final note fit, Gaussian and MF (``bridgewatch.scoring.scorers.push_fit``), then requires
its verdict in the push's direction to stand without the pushed verdict's ratings inside
the window: a helpful-pushed note is CRH only if it is also CRH without them, a
not-helpful-pushed note CRNH only if also without them. This part only ever moves a
pushed note towards Needs More Ratings, never past it: an attacker who pushes the
opposite verdict to get honest ratings ignored gains nothing.

The tag-based filters (tag outlier, incorrect) turn a helpful note to Needs More Ratings
or Firm Reject; on a note pushed not helpful they fire only if they also fire without the
in-window NOT_HELPFUL ratings (:func:`guard_filter_figures`), at the note factor of the
fit without them (the incorrect filter counts the raters within 0.3 of the note's
factor, and the leftovers that moved the factor brought honest taggers into that band).
This part works against the push too, but it can let a note keep CRH: an attacker who
runs a NOT_HELPFUL push big enough to be caught, on a note whose own intercept is
already helpful, in the hours its honest raters tag it, has those honest tags left out
of its filters (and loses the pool's establishment for the run). The mirror rule on the
intercept (a not-helpful-pushed note rated as without the in-window NOT_HELPFUL
ratings) is not applied: it would let the same attacker have a bad note's honest
NOT_HELPFUL verdicts ignored by the fit itself.

The Gaussian scorers' CRH pass has a hard cut on the raters' borrowed factors (a note
without kernel mass at an outer point is "insufficient" and scores 0), and an attack moves
those factors even when every attack rating is taken out: the prescoring they come from
was fitted with the attack's accounts in it. On a note pushed not helpful, the CRH -> NYH
filters' auxiliary fits (no high-volume / no correlated raters) therefore fire only if
they also fire with that pass scored without its floor
(``scorers.gaussian_fit.guard_coverage_floor``). Same cost as the tag filters: a caught
NOT_HELPFUL push on a note the main fit rates helpful, whose filter fits lack coverage at
an outer point, keeps those filters from firing on the cut alone (the uncovered points
still pull the pass's score down to their prior).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from bridgewatch.errors import ConfigError

__all__ = [
    "PushGuardConfig",
    "PushWindows",
    "find_push_windows",
    "guard_filter_figures",
    "guard_intercepts",
    "in_push_window",
    "rating_levels",
]

_LEVELS = 3  # not helpful, somewhat helpful, helpful


@dataclass(frozen=True)
class PushGuardConfig:
    """The push guard of the Gaussian note fits (``bridgewatch.scoring.manipulation
    .push_guard``; not in the reference).

    Parameters
    ----------
    min_flagged : a cell is pushed when the run-wide group passes flagged at least this
        many ratings on it (3: the fewest a concentrated cell holds).
    """

    min_flagged: int = 3

    def __post_init__(self) -> None:
        if isinstance(self.min_flagged, bool) or self.min_flagged < 1:
            raise ConfigError("min_flagged", self.min_flagged, "an int >= 1")


@dataclass(frozen=True)
class PushWindows:
    """Pushed cells and their windows, sorted by cell.

    Attributes
    ----------
    cells : int64 array of shape (n_cells,), ``note_idx * 3 + level`` (level 0 not
        helpful, 1 somewhat helpful, 2 helpful), sorted, unique.
    lo_ms, hi_ms : int64 arrays of shape (n_cells,), the window (inclusive), ms.
    n_flagged : int64 array of shape (n_cells,), the flagged ratings that define it.
    """

    cells: NDArray[np.int64]
    lo_ms: NDArray[np.int64]
    hi_ms: NDArray[np.int64]
    n_flagged: NDArray[np.int64]

    @property
    def n_cells(self) -> int:
        """Number of pushed cells."""
        return int(self.cells.shape[0])

    def directions(self, n_notes: int) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
        """(up, down): bool arrays of shape (n_notes,), notes pushed towards helpful
        (helpful or somewhat helpful cells) and towards not helpful."""
        notes, levels = np.divmod(self.cells, _LEVELS)
        up = np.zeros(n_notes, dtype=np.bool_)
        down = np.zeros(n_notes, dtype=np.bool_)
        up[notes[levels > 0]] = True
        down[notes[levels == 0]] = True
        return up, down


def rating_levels(helpful_num: NDArray[np.floating]) -> NDArray[np.int64]:
    """Rating levels 0, 1, 2 of helpfulness values 0, 0.5, 1."""
    out: NDArray[np.int64] = np.clip(
        np.rint(np.asarray(helpful_num, dtype=np.float64) * 2.0), 0, 2
    ).astype(np.int64)
    return out


def find_push_windows(
    note_idx: NDArray[np.integer],
    levels: NDArray[np.integer],
    created_at_ms: NDArray[np.integer],
    flagged: NDArray[np.bool_],
    config: PushGuardConfig,
) -> PushWindows:
    """The pushed cells of the flagged ratings and their windows (module docstring).

    Parameters
    ----------
    note_idx, levels, created_at_ms : int arrays of shape (n_ratings,).
    flagged : bool array of shape (n_ratings,), the ratings the group passes dropped.
    config : PushGuardConfig.

    Returns
    -------
    PushWindows
    """
    n = note_idx.shape[0]
    for name, arr in (("levels", levels), ("created_at_ms", created_at_ms), ("flagged", flagged)):
        if arr.shape != (n,):
            raise ValueError(f"{name} must have shape ({n},), got {arr.shape}")
    cell = note_idx[flagged].astype(np.int64) * _LEVELS + levels[flagged].astype(np.int64)
    times = created_at_ms[flagged].astype(np.int64)
    cells, inverse, counts = np.unique(cell, return_inverse=True, return_counts=True)
    lo = np.full(cells.shape[0], np.iinfo(np.int64).max, dtype=np.int64)
    hi = np.full(cells.shape[0], np.iinfo(np.int64).min, dtype=np.int64)
    np.minimum.at(lo, inverse, times)
    np.maximum.at(hi, inverse, times)
    keep = counts >= config.min_flagged
    cells, lo, hi, counts = cells[keep], lo[keep], hi[keep], counts[keep].astype(np.int64)
    pad = (hi - lo) // np.maximum(counts - 1, 1)
    return PushWindows(cells, lo - pad, hi + pad, counts)


def in_push_window(
    windows: PushWindows,
    note_idx: NDArray[np.integer],
    levels: NDArray[np.integer],
    created_at_ms: NDArray[np.integer],
) -> NDArray[np.bool_]:
    """bool array of shape (n_ratings,): the rating gives a pushed cell's verdict inside
    that cell's window."""
    n = note_idx.shape[0]
    if windows.n_cells == 0 or n == 0:
        return np.zeros(n, dtype=np.bool_)
    cell = note_idx.astype(np.int64) * _LEVELS + levels.astype(np.int64)
    pos = np.minimum(np.searchsorted(windows.cells, cell), windows.n_cells - 1)
    t = created_at_ms.astype(np.int64)
    out: NDArray[np.bool_] = (
        (windows.cells[pos] == cell) & (t >= windows.lo_ms[pos]) & (t <= windows.hi_ms[pos])
    )
    return out


def guard_intercepts(
    intercept: NDArray[np.float64],
    without: NDArray[np.float64],
    up: NDArray[np.bool_],
    down: NDArray[np.bool_],
) -> NDArray[np.float64]:
    """Note intercepts whose push-direction part stands without the pushed ratings.

    Parameters
    ----------
    intercept : float64 array of shape (n_notes,), the fit on every rating.
    without : float64 array of shape (n_notes,), the fit without the pushed verdicts inside
        their windows (NaN where too few ratings are left: counts as 0).
    up, down : bool arrays of shape (n_notes,), ``PushWindows.directions``.

    Returns
    -------
    float64 array of shape (n_notes,): on an up-pushed note with a positive intercept, the
    lesser of it and ``max(without, 0)``; on a down-pushed note with a negative intercept,
    the greater of it and ``min(without, 0)``; elsewhere ``intercept``. Never moves a note
    past 0.
    """
    alone = np.nan_to_num(without, nan=0.0)
    out = intercept.copy()
    with np.errstate(invalid="ignore"):
        rise = up & (intercept > 0)
        fall = down & (intercept < 0)
    out[rise] = np.minimum(intercept[rise], np.maximum(alone[rise], 0.0))
    out[fall] = np.maximum(intercept[fall], np.minimum(alone[fall], 0.0))
    return out


def guard_filter_figures(
    figures: NDArray[np.float64], without: NDArray[np.float64], down: NDArray[np.bool_]
) -> NDArray[np.float64]:
    """A status filter's figures on not-helpful-pushed notes, as low as they are without
    the pushed ratings.

    The tag-based filters (tag outlier, incorrect) fire on a note when each of their
    figures reaches its bar; on a note pushed towards not helpful, a few leftover accounts'
    tags can tip them. With each figure the lesser of the two, a filter fires on such a
    note only if it fires both on every rating and without the pushed verdicts inside
    their windows.

    Parameters
    ----------
    figures : float64 array of shape (n_notes,) or (n_notes, k), on every rating.
    without : same shape, without the pushed ratings (NaN where a note has none left: the
        filter cannot fire, NaN compares false).
    down : bool array of shape (n_notes,), notes pushed towards not helpful
        (``PushWindows.directions``).

    Returns
    -------
    float64 array of ``figures``' shape: ``minimum(figures, without)`` on ``down`` rows
    (NaN if either is NaN), ``figures`` elsewhere.
    """
    if figures.shape != without.shape or figures.shape[:1] != down.shape:
        raise ValueError(
            f"figures {figures.shape}, without {without.shape}, down {down.shape} do not match"
        )
    out = figures.copy()
    out[down] = np.minimum(figures[down], without[down])
    return out
