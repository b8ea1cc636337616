"""No window between refits: the coordination watch that holds status changes (not in the
reference).

The defences decide at refits, over the whole rating graph. Between refits a brigade could
push a note to helpful (or off it) within minutes, or over hours, so every pass looks at
each note for the signals the defences use, weighed by the raters' proven record (the
refit's *established* raters, ``bridgewatch.scoring.reputation.established_raters``, after
the co-rating defence revoked its groups' members):

* a coordinated run (:func:`suspicious_notes`): at least ``min_burst`` same-verdict ratings
  within ``window_ms`` (hours: a brigade spread over an afternoon is still one run), at
  least ``min_suspect`` of them from raters the last refit flagged, or who keep meeting
  another rater of the run: the same verdict together on at least ``min_meetings`` other
  notes, over all their ratings and whatever their viewpoint (a brigade split across
  camps rates the same targets alike although its members' factors differ). Honest
  raters with a proven record meet on good notes too, so an established rater is a
  suspect only when the refit flagged it (or from ``min_meetings_established``). Two
  tests weigh meetings against chance (the co-rating defence's popularity null):
  ``meeting_p`` (default on, where the community is large enough to tell) discounts the
  pairs that prolific raters form by chance, ``group_cell_p`` (opt-in) makes a suspect
  of any rater of the run (established too) who gave another note the same verdict as
  enough of the run's raters, far beyond chance;
* unproven support (:func:`unproven_support`): a note that would newly become helpful
  although a refit of its established raters' ratings alone (the Core scorer's frozen
  raters, :func:`established_fit`) would not make it helpful, and at least
  ``min_unproven_lift`` lower than the same refit on all its ratings: its helpful status
  rests on raters without a proven record, and those raters struck together (their
  helpful ratings on the note form a run: ``min_burst`` within ``window_ms`` or
  ``min_long_run`` within ``long_window_ms``, at any time). Such a note waits for a
  refit that knows better: the refit's defences test exactly those raters (co-rating,
  unexplained ratings); the hold is made again after a refit while the note still rests
  on them, and ends once established raters carry it or the raters earn their record.
  Newcomers who find a note helpful one by one, over hours, as honest raters do, are not
  a run: their note is not held (``WatchConfig.unproven_run``).

A note found so is held: the pass keeps its previous status instead of letting it newly
become CURRENTLY_RATED_HELPFUL or lose that status, until the next refit decides
(:func:`apply_holds`). Other status changes go through.

Pure: arrays in, arrays out; the caller keeps the held notes between passes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields

import numpy as np
from numba import njit
from numpy.typing import NDArray

from bridgewatch.errors import ConfigError
from bridgewatch.model import Ratings
from bridgewatch.model.enums import NoteStatus
from bridgewatch.scoring.history import StatusHistory
from bridgewatch.scoring.incremental.compact import positions_in
from bridgewatch.scoring.incremental.corroboration import CorroborationConfig
from bridgewatch.scoring.incremental.deviation import DeviationConfig
from bridgewatch.scoring.incremental.inputs import extends
from bridgewatch.scoring.manipulation.co_rating import _poisson_sf, concentrated_cells
from bridgewatch.scoring.manipulation.push_guard import rating_levels
from bridgewatch.scoring.mf import MFConfig
from bridgewatch.scoring.prescoring import PrescoringResult
from bridgewatch.scoring.status import StatusRulesConfig

__all__ = [
    "PopularityCache",
    "RaterModel",
    "WatchConfig",
    "apply_holds",
    "crosses_helpful",
    "established_fit",
    "newly_helpful",
    "rater_model",
    "sticky_proven",
    "suspicious_notes",
    "unproven_support",
]

_CRH = int(NoteStatus.CURRENTLY_RATED_HELPFUL)
_VERDICTS = ("not helpful", "somewhat helpful", "helpful")


@dataclass(frozen=True)
class WatchConfig:
    """The coordination watch's thresholds.

    Attributes
    ----------
    window_ms : how far back a note's "recent" ratings go for a burst, ms (> 0; 30 minutes).
    min_burst : same-verdict recent ratings on one note that make a burst (>= 2).
    min_suspect : raters of the burst that must be flagged or keep meeting (>= 2).
    long_window_ms : the same for a slow run, ms (>= window_ms; 6 hours, as the attack
        bench's slow brigades); ``min_long_run`` ratings (>= min_burst) of which
        ``min_long_suspect`` (in [min_suspect, min_long_run]) suspects make one.
    min_meetings : notes (other than this one) two raters gave the same verdict on for
        them to "keep meeting" (>= 1).
    min_meetings_established : the same for a rater the refit counted as established
        (>= min_meetings), or None (default): an established rater is a suspect only when
        the refit flagged it. Proven raters meet on good notes as a matter of course (on
        the live attack replay, counting them from 6 meetings more than doubled the honest
        notes held).
    meeting_p : with a value in (0, 1), two raters keep meeting only if they also share
        more cells than chance makes likely: ``P(X >= C | E) <= meeting_p`` for ``X ~
        Poisson(E)``, ``E = d_a d_b sum_j w_j^2 / W^2`` (the popularity null of the co-rating
        defence: ``d`` a rater's ratings on other notes, ``w_j`` the raters of cell ``j``,
        ``W`` all ratings), unless the test has no power for the pair: when two raters of
        its lesser activity ``m = min(d_a, d_b)`` sharing all ``m`` cells are within chance
        (``Poisson(m^2 sum_j w_j^2 / W^2)``), the count decides alone.
        That is what sizes it to the community: in a small one a brigade's few accounts are
        most of the ratings of its cells, so the null "expects" its meetings (a brigade of
        six sharing four notes in a community of 48 ratings), and only the count can tell;
        with many raters the test discounts the chance meetings of prolific honest raters
        (on the live attack replay it halves the honest notes held, and holds every
        brigade as before). 1e-3 (default); None: ``min_meetings`` alone.
    group_cell_p : with a value in (0, 1), a rater of a run (established or not) is also
        a suspect when it gave the same verdict on another note as at least ``min_suspect``
        of the run's raters, far beyond chance: ``P(X >= g | e) <= group_cell_p`` for ``g``
        run raters in that cell, ``X ~ Poisson(e)``, ``e = D w_j / W`` (``D`` the run
        raters' ratings on other notes): the same set of accounts moved together before
        (an aged brigade's earlier targets). None (default): off.
    max_unproven_share : without a rater model, the share (by helpfulness weight) of a
        note's helpful ratings from unproven raters at or above which a note that would newly
        become helpful waits (in (0, 1]).
    min_unproven_lift : with a rater model, how much higher (rating units, >= 0) the
        note's intercept refit on all its ratings must be than on its established raters'
        alone for the unproven raters to be what carries it (the established-only fit has
        fewer ratings, so it is shrunk more: a small gap is the penalty, not the raters).
    hold_unproven : hold notes that would newly become helpful on unproven raters' ratings
        (``unproven_support``; the worker re-makes the hold after each refit while it holds).
        False leaves the burst and slow-run rules alone.
    unproven_run : the unproven-support hold needs the unproven raters' helpful ratings on
        the note to form a run (``min_burst`` of them within ``window_ms``, or
        ``min_long_run`` within ``long_window_ms``): a brigade strikes together, honest
        newcomers come one by one. On the live attack replay, without it, the few honest
        notes carried by newcomers waited for hours (p95 up to 498 minutes: the hold had
        no end point while they rested on newcomers).
    unproven_meeting : with ``unproven_run``, a note without a run is held too when at
        least ``min_suspect`` of its unproven helpful raters keep meeting (``min_meetings``)
        or were flagged: a slow brigade's first raters. On the live attack replay the run
        alone let one slow-brigade target be shown (and cut the sleeper kind's honest p95
        from 498 to 38 minutes); with this rule no target is shown but honest newcomers
        who share three verdicts by chance keep their notes waiting as before.
    deviation : the recent-deviation test (:mod:`bridgewatch.scoring.incremental.deviation`):
        a note whose helpful status would change because its recent ratings deviate that
        way from what the Core scorer's frozen raters predict from its earlier ratings,
        beyond chance, is held (established accounts pushing a note that already has
        raters, before any pair or group test can see them; a new note is not tested).
        None: off.
    corroboration : the corroboration hold
        (:mod:`bridgewatch.scoring.incremental.corroboration`): a note that would newly
        become helpful on the ratings of raters who moved together on another note far
        beyond chance (or, opt-in, who opened it before anyone else rated it) is held until
        its other raters alone make it helpful (an aged brigade's later targets). None: off.
    """

    window_ms: int = 30 * 60_000
    min_burst: int = 5
    min_suspect: int = 4
    long_window_ms: int = 6 * 3_600_000
    min_long_run: int = 10
    min_long_suspect: int = 10
    min_meetings: int = 3
    min_meetings_established: int | None = None
    meeting_p: float | None = 1e-3
    group_cell_p: float | None = None
    max_unproven_share: float = 0.5
    min_unproven_lift: float = 0.15
    hold_unproven: bool = True
    unproven_run: bool = True
    unproven_meeting: bool = True
    deviation: DeviationConfig | None = field(default_factory=DeviationConfig)
    corroboration: CorroborationConfig | None = field(default_factory=CorroborationConfig)

    def __post_init__(self) -> None:
        if self.window_ms <= 0:
            raise ConfigError("window_ms", self.window_ms, "> 0")
        if self.min_burst < 2:
            raise ConfigError("min_burst", self.min_burst, ">= 2")
        if not 2 <= self.min_suspect <= self.min_burst:
            raise ConfigError("min_suspect", self.min_suspect, "in [2, min_burst]")
        if self.long_window_ms < self.window_ms:
            raise ConfigError("long_window_ms", self.long_window_ms, ">= window_ms")
        if self.min_long_run < self.min_burst:
            raise ConfigError("min_long_run", self.min_long_run, ">= min_burst")
        if not self.min_suspect <= self.min_long_suspect <= self.min_long_run:
            raise ConfigError(
                "min_long_suspect", self.min_long_suspect, "in [min_suspect, min_long_run]"
            )
        if self.min_meetings < 1:
            raise ConfigError("min_meetings", self.min_meetings, ">= 1")
        if (
            self.min_meetings_established is not None
            and self.min_meetings_established < self.min_meetings
        ):
            raise ConfigError(
                "min_meetings_established", self.min_meetings_established, ">= min_meetings"
            )
        if self.meeting_p is not None and not 0.0 < self.meeting_p < 1.0:
            raise ConfigError("meeting_p", self.meeting_p, "in (0, 1) or None")
        if self.group_cell_p is not None and not 0.0 < self.group_cell_p < 1.0:
            raise ConfigError("group_cell_p", self.group_cell_p, "in (0, 1) or None")
        if not 0.0 < self.max_unproven_share <= 1.0:
            raise ConfigError("max_unproven_share", self.max_unproven_share, "in (0, 1]")
        if self.min_unproven_lift < 0.0:
            raise ConfigError("min_unproven_lift", self.min_unproven_lift, ">= 0")


def _span(ms: int) -> str:
    minutes = ms // 60_000
    if minutes % 60 == 0 and minutes >= 120:
        return f"{minutes // 60} hours"
    return f"{minutes} minutes"


def _checked_raters(name: str, values: NDArray[np.bool_] | None, ratings: Ratings) -> None:
    if values is not None and values.shape != (ratings.n_participants,):
        raise ConfigError(name, values.shape, f"shape ({ratings.n_participants},)")


def suspicious_notes(
    ratings: Ratings,
    notes: NDArray[np.int64],
    flagged_raters: NDArray[np.bool_],
    as_of_ms: int,
    config: WatchConfig,
    established: NDArray[np.bool_] | None = None,
    popularity: PopularityCache | None = None,
) -> dict[int, str]:
    """The notes of ``notes`` whose recent ratings look coordinated, with the reason.

    Parameters
    ----------
    ratings : every current rating (post-PSS) on the pass's note index.
    notes : int64 note rows to look at (those with new ratings in this pass).
    flagged_raters : bool array of shape (n_participants,), raters in a group the last
        refit flagged (co-rating groups, coordinated burst raters).
    as_of_ms : the pass's "now".
    config : WatchConfig.
    established : bool array of shape (n_participants,), raters the last refit counted as
        established (their meetings count from ``min_meetings_established``); None: every
        rater counts from ``min_meetings``.
    popularity : the cell popularity of an earlier pass's ratings, updated here when
        ``ratings`` only add ratings after those (None: counted over every rating).

    Returns
    -------
    dict note row -> reason (a sentence for the note page).
    """
    _checked_raters("flagged_raters", flagged_raters, ratings)
    _checked_raters("established", established, ratings)
    out: dict[int, str] = {}
    if notes.shape[0] == 0 or ratings.n_ratings == 0:
        return out
    look = np.full(ratings.n_notes, -1, dtype=np.int32)
    look[notes] = 0
    mine = positions_in(ratings.note_idx, look)
    null: list[_Popularity] = []
    count = _Popularity.count if popularity is None else popularity.get
    for window, min_run, min_suspect in (
        (config.window_ms, config.min_burst, config.min_suspect),
        (config.long_window_ms, config.min_long_run, config.min_long_suspect),
    ):
        recent = mine[ratings.created_at_ms[mine] > as_of_ms - window]
        found = _runs(
            ratings,
            recent,
            flagged_raters,
            established,
            config,
            window,
            min_run,
            min_suspect,
            null,
            count,
        )
        for note, reason in found.items():
            out.setdefault(note, reason)
    return out


def _runs(
    ratings: Ratings,
    cand: NDArray[np.int64],
    flagged_raters: NDArray[np.bool_],
    established: NDArray[np.bool_] | None,
    config: WatchConfig,
    window_ms: int,
    min_run: int,
    min_suspect: int,
    null: list[_Popularity],
    count: Callable[[Ratings], _Popularity] | None = None,
) -> dict[int, str]:
    """The notes whose same-verdict runs among the ``cand`` rows look coordinated
    (``null``: the cell popularity of ``meeting_p`` and ``group_cell_p``, counted once on
    first use)."""
    out: dict[int, str] = {}
    if cand.shape[0] < min_run:
        return out
    key = ratings.note_idx[cand].astype(np.int64) * 3 + rating_levels(ratings.helpful_num[cand])
    uniq, inverse, counts = np.unique(key, return_inverse=True, return_counts=True)
    bursts = np.flatnonzero(counts >= min_run)
    if bursts.shape[0] == 0:
        return out
    window = _span(window_ms)
    mark = np.zeros(ratings.n_participants, dtype=np.bool_)
    # Every rating of the bursts' raters, found in one scan: each burst's meetings are
    # then counted on these rows alone instead of on every rating.
    theirs = np.full(ratings.n_participants, -1, dtype=np.int32)
    theirs[ratings.rater_idx[cand[np.isin(inverse, bursts)]]] = 0
    pool = positions_in(ratings.rater_idx, theirs)
    for b in bursts.tolist():
        rows = cand[inverse == b]
        raters = np.unique(ratings.rater_idx[rows])
        note = int(uniq[b] // 3)
        verdict = _VERDICTS[int(uniq[b] % 3)]
        flagged = flagged_raters[raters]
        if int(flagged.sum()) >= min_suspect:
            out[note] = (
                f"{raters.shape[0]} '{verdict}' ratings within {window}, "
                f"{int(flagged.sum())} of them from raters the last refit found coordinated"
            )
            continue
        if (config.meeting_p is not None or config.group_cell_p is not None) and not null:
            null.append(_Popularity.count(ratings) if count is None else count(ratings))
        meeting = _keep_meeting(
            ratings, raters, note, established, config, mark, null[0] if null else None, pool
        )
        suspects = int((meeting | flagged).sum())
        if suspects >= min_suspect:
            out[note] = (
                f"{raters.shape[0]} '{verdict}' ratings within {window}, {suspects} of them "
                "from raters who keep giving the same verdicts together on other notes"
            )
    return out


def _keep_meeting(
    ratings: Ratings,
    raters: NDArray[np.int32],
    note: int,
    established: NDArray[np.bool_] | None,
    config: WatchConfig,
    mark: NDArray[np.bool_],
    null: _Popularity | None = None,
    pool: NDArray[np.int64] | None = None,
) -> NDArray[np.bool_]:
    """Per rater of ``raters`` (sorted): whether it gave the same verdict as another of
    them on enough notes other than ``note`` (``mark`` is an all-False scratch array), and
    with ``null`` more often than chance makes likely (``meeting_p``); or, with
    ``group_cell_p``, shared a cell with enough of them far beyond chance. ``pool``
    (ascending rating rows holding every rating of ``raters``) narrows the search; None:
    every rating."""
    mark[raters] = True
    if pool is None:
        mine = np.flatnonzero(mark[ratings.rater_idx] & (ratings.note_idx != note))
    else:
        mine = pool[mark[ratings.rater_idx[pool]] & (ratings.note_idx[pool] != note)]
    mark[raters] = False
    if not mine.shape[0]:
        return np.zeros(raters.shape[0], dtype=np.bool_)
    r_pos = np.searchsorted(raters, ratings.rater_idx[mine])
    # Cells (note, verdict) of the run's raters' other ratings.
    cells = ratings.note_idx[mine].astype(np.int64) * 3 + rating_levels(ratings.helpful_num[mine])
    c_val, c_pos = np.unique(cells, return_inverse=True)
    # Cells shared by each pair of raters (``m @ m.T`` of the 0/1 rater x cell matrix, a
    # rater rating a note once: one cell per note), diagonal zero; float64 like the product.
    meet = _meetings(r_pos.astype(np.int64), c_pos.astype(np.int64), raters.shape[0])
    need = np.full(raters.shape[0], config.min_meetings, dtype=np.int64)
    if established is not None:
        proven = config.min_meetings_established
        need[established[raters]] = np.iinfo(np.int64).max if proven is None else proven
    enough = meet >= need[:, None]
    if null is not None and config.meeting_p is not None and enough.any():
        d = np.bincount(r_pos, minlength=raters.shape[0]).astype(np.float64)
        expected = np.outer(d, d) * null.share
        a, b = np.nonzero(enough)
        chance = _poisson_sf(meet[a, b] - 1, expected[a, b]) > config.meeting_p
        # A test that could not reject anything has no say: where even two raters of the
        # pair's lesser activity m = min(d_a, d_b) sharing all m cells are within chance
        # (expectation m^2 S) -- a small community, in which a handful of accounts make up
        # most of the ratings and every meeting is "expected" -- the count decides alone.
        # (m^2 S, not d_a d_b S: a prolific rater's chance meetings with a light one are
        # what the test is for.)
        least = np.minimum(d[a], d[b])
        chance &= _poisson_sf(least - 1, least * least * null.share) <= config.meeting_p
        enough[a[chance], b[chance]] = False
    out: NDArray[np.bool_] = np.any(enough, axis=1)
    if null is not None and config.group_cell_p is not None and null.total > 0:
        g = np.bincount(c_pos, minlength=c_val.shape[0]).astype(np.float64)  # ratings per cell
        conc = concentrated_cells(
            g, mine.shape[0], null.cells[c_val], null.total, config.min_suspect,
            config.group_cell_p,
        )  # fmt: skip
        if conc.any():
            out[r_pos[conc[c_pos]]] = True  # a rating in a concentrated cell
    return out


@njit(cache=True)
def _meetings(r_pos: NDArray[np.int64], c_pos: NDArray[np.int64], n: int) -> NDArray[np.float64]:
    """float64 (n, n): ``meet[a, b]`` = cells rated by both raters a and b (a != b), 0 on
    the diagonal; ``r_pos``/``c_pos``: each rating's rater and cell (no rater twice in a
    cell)."""
    meet = np.zeros((n, n))
    order = np.argsort(c_pos, kind="mergesort")
    k = 0
    while k < order.shape[0]:
        end = k
        while end < order.shape[0] and c_pos[order[end]] == c_pos[order[k]]:
            end += 1
        for i in range(k, end):
            a = r_pos[order[i]]
            for j in range(i + 1, end):
                b = r_pos[order[j]]
                if a != b:
                    meet[a, b] += 1.0
                    meet[b, a] += 1.0
        k = end
    return meet


@dataclass(frozen=True)
class _Popularity:
    """Every rating's cells (note, verdict): ``cells`` the raters per cell, ``total`` the
    ratings, ``share`` ``sum_j w_j^2 / W^2`` (the chance that two given ratings of two
    raters fall in the same cell: the popularity null)."""

    cells: NDArray[np.float64]
    total: int
    share: float

    @classmethod
    def count(cls, ratings: Ratings) -> _Popularity:
        # (One scan of every rating, no temporaries: ``bincount`` of ``note * 3 + level``.)
        w = _cell_counts(ratings.note_idx, ratings.helpful_num, ratings.n_notes)
        total = ratings.n_ratings
        share = float(np.dot(w, w)) / float(total) ** 2 if total else 0.0
        return cls(w, total, share)


class PopularityCache:
    """The cell popularity of the last ratings it was asked for, updated for the ratings
    added after them (``ratings`` whose columns extend those:
    :func:`~bridgewatch.scoring.incremental.inputs.extends`) instead of a scan of every
    rating; the counts are integers in float64, so the sums are exact and the result equals
    :meth:`_Popularity.count`. It holds no state a failed pass could leave wrong: ratings
    that do not extend the last ones are counted anew."""

    def __init__(self) -> None:
        self._last: tuple[Ratings, _Popularity] | None = None

    def get(self, ratings: Ratings) -> _Popularity:
        last = self._last
        if last is not None and extends(last[0], ratings):
            start = last[0].n_ratings
            if start == ratings.n_ratings:
                return last[1]
            w = last[1].cells + _cell_counts(
                ratings.note_idx[start:], ratings.helpful_num[start:], ratings.n_notes
            )
            total = ratings.n_ratings
            found = _Popularity(w, total, float(np.dot(w, w)) / float(total) ** 2)
        else:
            found = _Popularity.count(ratings)
        self._last = (ratings, found)
        return found


@njit(cache=True)
def _cell_counts(
    note_idx: NDArray[np.int32], helpful_num: NDArray[np.float32], n_notes: int
) -> NDArray[np.float64]:
    """Ratings per cell (note, level), float64 of shape (3 n_notes,): ``np.bincount(
    note_idx * 3 + rating_levels(helpful_num), minlength=3 n_notes)`` in one pass."""
    out = np.zeros(3 * n_notes)
    for k in range(note_idx.shape[0]):
        level = min(max(np.rint(np.float64(helpful_num[k]) * 2.0), 0.0), 2.0)
        out[np.int64(note_idx[k]) * 3 + np.int64(level)] += 1.0
    return out


@dataclass(frozen=True)
class RaterModel:
    """The frozen rater side of ``ŷ = μ + i_u + i_n + f_u·f_n`` (the Core scorer's final
    round at the refit) and the per-note penalties, for the established-only refit.

    Attributes
    ----------
    rater_intercepts, rater_factors : float64 arrays of shape (n_participants,), NaN for
        raters outside the fit (their ratings are left out).
    global_intercept : μ.
    intercept_penalty, factor_penalty : ridge penalties on one note's i_n and f_n, in
        ratings (the mean-normalised λ times the fit's ratings per note).
    crh_threshold : intercept at or above which the note counts as helpful (§6.2).
    max_factor : |f_n| below which it does (§6.2).
    """

    rater_intercepts: NDArray[np.float64]
    rater_factors: NDArray[np.float64]
    global_intercept: float
    intercept_penalty: float
    factor_penalty: float
    crh_threshold: float = 0.40
    max_factor: float = 0.5

    def __post_init__(self) -> None:
        if self.rater_factors.shape != self.rater_intercepts.shape:
            raise ConfigError("rater_factors", self.rater_factors.shape, "rater_intercepts' shape")
        if self.intercept_penalty < 0 or self.factor_penalty < 0:
            raise ConfigError(
                "penalties", (self.intercept_penalty, self.factor_penalty), ">= 0 each"
            )


def rater_model(
    prescoring: PrescoringResult, mf: MFConfig, status: StatusRulesConfig
) -> RaterModel | None:
    """The Core scorer's frozen raters from its refit prescoring (None: no final round)."""
    params = prescoring.final_round
    if params.rater_factors.ndim != 2 or params.rater_factors.shape[1] < 1:
        return None
    per_note = prescoring.final_round_num_ratings / max(prescoring.final_round_num_notes, 1)
    return RaterModel(
        rater_intercepts=np.asarray(params.rater_intercepts, dtype=np.float64),
        rater_factors=np.asarray(params.rater_factors[:, 0], dtype=np.float64),
        global_intercept=float(params.global_intercept),
        intercept_penalty=mf.note_intercept_lambda * per_note,
        factor_penalty=mf.note_factor_lambda * per_note,
        crh_threshold=status.crh_threshold,
        max_factor=status.large_factor_threshold,
    )


def established_fit(
    ratings: Ratings, rows: NDArray[np.int64], model: RaterModel
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Per note, (i_n, f_n) refit on the ``rows`` of ``ratings`` with the raters frozen.

    Each note's two parameters solve the 2x2 ridge normal equations of its own ratings
    (vectorized over notes); a note without rows gets (0, 0), the penalties' optimum.
    """
    rater = ratings.rater_idx[rows]
    keep = np.isfinite(model.rater_intercepts[rater]) & np.isfinite(model.rater_factors[rater])
    rows, rater = rows[keep], rater[keep]
    y = (
        ratings.helpful_num[rows].astype(np.float64)
        - model.global_intercept
        - model.rater_intercepts[rater]
    )
    return ridge_note_fit(
        ratings.note_idx[rows],
        model.rater_factors[rater],
        y,
        ratings.n_notes,
        model.intercept_penalty,
        model.factor_penalty,
    )


def ridge_note_fit(
    note: NDArray[np.integer],
    fu: NDArray[np.float64],
    y: NDArray[np.float64],
    n_notes: int,
    intercept_penalty: float,
    factor_penalty: float,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Per note, (i_n, f_n) minimising ``sum (y - i_n - f_n fu)^2 + intercept_penalty i_n^2
    + factor_penalty f_n^2`` over its rows: the 2x2 normal equations, vectorized.

    ``note`` (int, shape (m,)), ``fu`` (the rows' frozen rater factors) and ``y`` (the
    rows' targets less the frozen terms), float64 of shape (m,); returns two float64
    arrays of shape (n_notes,), (0, 0) where the system is singular (no rows, no penalty).
    """
    a = np.bincount(note, minlength=n_notes) + intercept_penalty
    b = np.bincount(note, weights=fu, minlength=n_notes)
    d = np.bincount(note, weights=fu * fu, minlength=n_notes) + factor_penalty
    s_y = np.bincount(note, weights=y, minlength=n_notes)
    s_fy = np.bincount(note, weights=fu * y, minlength=n_notes)
    det = a * d - b * b
    safe = np.where(det > 0, det, 1.0)
    intercept = np.where(det > 0, (d * s_y - b * s_fy) / safe, 0.0)
    factor = np.where(det > 0, (a * s_fy - b * s_y) / safe, 0.0)
    return intercept, factor


def unproven_support(
    ratings: Ratings,
    notes: NDArray[np.int64],
    established: NDArray[np.bool_],
    config: WatchConfig,
    model: RaterModel | None = None,
    flagged_raters: NDArray[np.bool_] | None = None,
) -> dict[int, str]:
    """The notes of ``notes`` that are helpful only on unproven raters' ratings.

    With ``model``, a note is so when the refit of its established raters' ratings alone
    (:func:`established_fit`) would not make it helpful (intercept below the threshold or
    a one-sided factor) and the same refit on all its ratings lies at least
    ``min_unproven_lift`` higher; without, when at least ``max_unproven_share`` of its helpful
    ratings (by weight) are unproven. Either way at least ``min_suspect`` of its helpful
    ratings must come from unproven raters, and (``unproven_run``) those raters rated it
    in a run or (``unproven_meeting``) at least ``min_suspect`` of them are suspects (keep
    meeting, or flagged).

    Parameters
    ----------
    ratings : every current rating (post-PSS) on the pass's note index.
    notes : int64 note rows to look at (those that would newly become helpful).
    established : bool array of shape (n_participants,), raters the last refit counted as
        established (after the co-rating defence revoked its groups' members).
    config : WatchConfig.
    model : the Core scorer's frozen raters (None: the share rule).
    flagged_raters : bool array of shape (n_participants,), raters the last refit flagged
        (None: none).

    Returns
    -------
    dict note row -> reason (a sentence for the note page).
    """
    _checked_raters("flagged_raters", flagged_raters, ratings)
    _checked_raters("established", established, ratings)
    if model is not None and model.rater_intercepts.shape != (ratings.n_participants,):
        raise ConfigError(
            "model", model.rater_intercepts.shape, f"shape ({ratings.n_participants},)"
        )
    out: dict[int, str] = {}
    if notes.shape[0] == 0 or ratings.n_ratings == 0:
        return out
    look = np.zeros(ratings.n_notes, dtype=np.bool_)
    look[notes] = True
    mine = np.flatnonzero(look[ratings.note_idx])
    proven = established[ratings.rater_idx[mine]]
    helpful = ratings.helpful_num[mine] > 0
    weight = ratings.helpful_num[mine].astype(np.float64)
    note = ratings.note_idx[mine]
    n = ratings.n_notes
    n_unproven = np.bincount(note[helpful & ~proven], minlength=n)
    n_helpful = np.bincount(note[helpful], minlength=n)
    if model is None:
        total = np.bincount(note, weights=weight, minlength=n)
        by_unproven = np.bincount(note[~proven], weights=weight[~proven], minlength=n)
        with np.errstate(invalid="ignore", divide="ignore"):
            carried = by_unproven / total >= config.max_unproven_share
        why = "the next refit's defences test them"
    else:
        intercept, factor = established_fit(ratings, mine[proven], model)
        everyone, _ = established_fit(ratings, mine, model)
        carried = ((intercept < model.crh_threshold) | (np.abs(factor) >= model.max_factor)) & (
            everyone - intercept >= config.min_unproven_lift
        )
        why = "its established raters alone do not find it helpful; the refit's defences test them"
    hit = look & carried & (n_unproven >= config.min_suspect)
    struck = ""
    if config.unproven_run and hit.any():
        rows = mine[helpful & ~proven]
        rows = rows[hit[ratings.note_idx[rows]]]
        run = _has_run(ratings, rows, config.window_ms, config.min_burst) | _has_run(
            ratings, rows, config.long_window_ms, config.min_long_run
        )
        # A slow brigade's first raters are no run yet, but they keep meeting (or the
        # refit flagged them).
        mark = np.zeros(ratings.n_participants, dtype=np.bool_)
        slow = hit & ~run if config.unproven_meeting else np.zeros_like(hit)
        for k in np.flatnonzero(slow).tolist():
            raters = np.unique(ratings.rater_idx[rows[ratings.note_idx[rows] == k]])
            suspects = _keep_meeting(ratings, raters, k, None, config, mark)
            if flagged_raters is not None:
                suspects |= flagged_raters[raters]
            run[k] = int(suspects.sum()) >= config.min_suspect
        hit &= run
        struck = ", who rated it together or keep meeting"
    for k in np.flatnonzero(hit).tolist():
        out[k] = (
            f"{int(n_unproven[k])} of its {int(n_helpful[k])} helpful ratings come from raters "
            f"without a proven record{struck}, and {why}"
        )
    return out


def _has_run(
    ratings: Ratings, rows: NDArray[np.int64], window_ms: int, min_run: int
) -> NDArray[np.bool_]:
    """Per note: whether at least ``min_run`` of the ``rows`` on it fall within some
    ``window_ms`` (bool of shape (n_notes,))."""
    out = np.zeros(ratings.n_notes, dtype=np.bool_)
    if rows.shape[0] < min_run:
        return out
    at = ratings.created_at_ms[rows].astype(np.int64)
    at = at - at.min()
    stride = int(at.max()) + window_ms + 1  # keeps each note's times apart
    key = np.sort(ratings.note_idx[rows].astype(np.int64) * stride + at)
    # Ratings in (t - window, t] of the same note, for each rating at t.
    count = np.arange(key.shape[0]) - np.searchsorted(key, key - window_ms, side="right") + 1
    out[(key[count >= min_run] // stride)] = True
    return out


def sticky_proven(
    participant_ids: NDArray[np.str_],
    proven: NDArray[np.bool_],
    established: NDArray[np.bool_],
    known: NDArray[np.str_],
) -> tuple[NDArray[np.bool_], NDArray[np.str_]]:
    """The watch's proven record at a refit: the raters it counts as established (after
    revocation), and the raters an earlier refit of this worker did, unless this one
    revoked them.

    Before the platform kept the establishment clock's start apart from the state
    (``model.columns.ENROLLED_SINCE_COLUMN``), every state change the worker wrote
    restarted it: on the live attack replay the worker's last refits counted 395-414 of
    620 raters proven against 483 in a batch run, and this record kept the lost ones. The
    refits now count what the batch counts; the record still keeps a rater a later refit
    would no longer count (only a revocation, co-rating among established raters, takes it
    away). (``known`` lives in the ``LiveState``, and ``Worker.refit`` builds a new state
    for each refit it runs, so in the worker the record only spans refits it adopted from
    another worker: that is why it had no measured effect on the replay.)

    Parameters
    ----------
    participant_ids : str array of shape (n_participants,), the refit's participants.
    proven : bool array of shape (n_participants,), established after revocation.
    established : bool array of shape (n_participants,), established before revocation.
    known : sorted str array, participants proven at earlier refits.

    Returns
    -------
    (mask, known): the proven record per participant, and ``known`` with this refit's.
    """
    n = participant_ids.shape[0]
    for name, arr in (("proven", proven), ("established", established)):
        if arr.shape != (n,):
            raise ConfigError(name, arr.shape, f"shape ({n},) like participant_ids")
    revoked = established & ~proven
    before = np.isin(participant_ids, known) if known.shape[0] else np.zeros(n, dtype=np.bool_)
    mask: NDArray[np.bool_] = proven | (before & ~revoked)
    return mask, np.union1d(known, participant_ids[proven]).astype(np.str_)


def newly_helpful(old: NDArray[np.int8], new: NDArray[np.int8]) -> NDArray[np.bool_]:
    """Whether a status change newly makes a note helpful (per note)."""
    out: NDArray[np.bool_] = (old != _CRH) & (new == _CRH)
    return out


def crosses_helpful(old: NDArray[np.int8], new: NDArray[np.int8]) -> NDArray[np.bool_]:
    """Whether a status change newly makes a note helpful or takes that away (per note)."""
    out: NDArray[np.bool_] = (old == _CRH) != (new == _CRH)
    return out


def apply_holds(
    old: StatusHistory, new: StatusHistory, held: NDArray[np.bool_]
) -> tuple[StatusHistory, NDArray[np.bool_]]:
    """``new`` with the held notes' crossing changes undone (their ``old`` row kept).

    Parameters
    ----------
    old, new : the pass's input and output status history (same notes, same order).
    held : bool array of shape (n_notes,), notes under a hold.

    Returns
    -------
    (history, stopped): the history to publish, and the notes whose change was stopped.
    """
    stopped = held & crosses_helpful(old.current_status, new.current_status)
    if not stopped.any():
        return new, stopped
    columns = {}
    for f in fields(StatusHistory):
        values = getattr(new, f.name).copy()
        values[stopped] = getattr(old, f.name)[stopped]
        columns[f.name] = values
    return new.with_columns(**columns), stopped
