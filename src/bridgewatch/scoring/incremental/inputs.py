"""The scorer's inputs of an incremental pass, without redoing the note-level preprocessing.

``prepare_core_inputs`` (scoring stage 0) mixes note-level work (merging the notes file with
the status history, note facts, topics, enrollment and scope) with rating-level work
(high-volume raters, the misleading/deleted filter, PSS, the Core scope of each rating,
capture). Between two note events only the ratings change, so a :class:`NoteContext` keeps
the note-level half (``prepare_core_inputs`` on the notes with no ratings, built by the
caller, which owns the data) and :func:`live_inputs` redoes the rating-level half with the
same kernels on the ratings of the pass. The PSS groups (post-selection clusters and
quasi-cliques, extended §3.1-3.2) need the whole rating graph: the last refit's are kept.
``tests/scoring/incremental/test_inputs.py`` checks the result equals ``prepare_core_inputs``
on the same data and groups.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from bridgewatch.model import IdIndex, Ratings
from bridgewatch.model.ratings import RATING_COLUMNS
from bridgewatch.scoring.config import ScoringConfig
from bridgewatch.scoring.history import StatusHistory
from bridgewatch.scoring.inputs import CoreInputs
from bridgewatch.scoring.preprocess import (
    apply_pss,
    capture_mask,
    filter_misleading_or_deleted,
    flag_high_volume_raters,
)
from bridgewatch.scoring.preprocess.high_volume import counts_after

__all__ = [
    "InputsTrail",
    "NoteContext",
    "RecentPerNote",
    "empty_ratings",
    "extends",
    "follow_inputs",
    "live_inputs",
]


def empty_ratings(note_ids: IdIndex, participant_ids: IdIndex) -> Ratings:
    """No ratings, on the given indexes."""
    return Ratings(
        note_idx=np.zeros(0, dtype=np.int32),
        rater_idx=np.zeros(0, dtype=np.int32),
        helpful_num=np.zeros(0, dtype=np.float32),
        helpfulness_level=np.zeros(0, dtype=np.int8),
        created_at_ms=np.zeros(0, dtype=np.int64),
        helpful_tags=np.zeros(0, dtype=np.uint16),
        not_helpful_tags=np.zeros(0, dtype=np.uint16),
        population_sampled=np.zeros(0, dtype=np.bool_),
        note_ids=note_ids,
        participant_ids=participant_ids,
    )


@dataclass(frozen=True)
class NoteContext:
    """The note-level half of ``CoreInputs`` for one set of notes and one participant index.

    Attributes
    ----------
    base : ``prepare_core_inputs`` of the notes, status history and enrollment with no
        ratings; ``base.note_ids`` are the notes of the pass (sorted).
    in_input_nsh : bool array of shape (n_notes,), the note had a row in the input history.
    n_notes_in_table : rows of the notes table (PSS needs it).
    """

    base: CoreInputs
    in_input_nsh: NDArray[np.bool_]
    n_notes_in_table: int

    def accepts(self, history: StatusHistory, participant_ids: IdIndex) -> bool:
        """Whether ``history`` (the input NSH of the pass) has exactly this context's notes."""
        return self.base.participant_ids is participant_ids and np.array_equal(
            history.note_id, self.base.note_ids.ids
        )


def _subset(ratings: Ratings, mask: NDArray[np.bool_]) -> Ratings:
    """``ratings.subset(mask)``, without the copy when every rating is kept."""
    return ratings if bool(mask.all()) else ratings.subset(mask)


def live_inputs(
    context: NoteContext,
    ratings: Ratings,
    history: StatusHistory,
    config: ScoringConfig,
    *,
    rater_cluster: NDArray[np.int64] | None = None,
    rater_quasi_clique: NDArray[np.int64] | None = None,
    established: NDArray[np.bool_] | None = None,
) -> CoreInputs:
    """``prepare_core_inputs`` of the context's notes with ``ratings``, as of ``history``.

    Parameters
    ----------
    context : the note-level half; ``context.accepts(history, ...)`` must hold.
    ratings : the ratings with a value, on ``context.base.note_ids`` and its participants.
    history : the input status history (its rows are the context's notes, same order).
    config : ScoringConfig.
    rater_cluster, rater_quasi_clique : int64 arrays of shape (n_participants,), the PSS
        groups of the last refit (``CoreInputs.rater_cluster``...); None: none.
    established : bool per participant, the last refit's established raters
        (``CoreInputs.established``, the capture-share guard); None: none.

    Returns
    -------
    CoreInputs
    """
    base = context.base
    n_part = base.n_participants
    high_volume = flag_high_volume_raters(
        ratings.rater_idx, ratings.created_at_ms, ratings.note_idx, n_part, config.preprocess
    )
    info = base.note_info
    kept = _subset(
        ratings,
        filter_misleading_or_deleted(
            ratings.note_idx, info, context.in_input_nsh, config.preprocess
        ),
    )
    pss = apply_pss(
        kept.note_idx,
        kept.rater_idx,
        kept.created_at_ms,
        info.author_idx,
        context.n_notes_in_table,
        config.preprocess,
        rater_cluster=rater_cluster,
        rater_quasi_clique=rater_quasi_clique,
    )
    post_pss = _subset(kept, pss.keep)
    correlated = pss.correlated_rater[pss.keep]
    rating_in_scope = base.in_scope[post_pss.rater_idx]
    scoped_mask = rating_in_scope & (base.note_topic[post_pss.note_idx] < 0)
    captured = capture_mask(post_pss.note_idx, rating_in_scope, base.n_notes, config.scope)
    return replace(
        base,
        ratings=kept,
        post_pss=post_pss,
        correlated=correlated,
        scoped=_subset(post_pss, scoped_mask),
        scoped_correlated=correlated[scoped_mask],
        high_volume=high_volume,
        captured=captured,
        history=history,
        rater_cluster=rater_cluster,
        rater_quasi_clique=rater_quasi_clique,
        established=established,
    )


# ---- the rating-level half, followed from pass to pass ---------------------------------------
#
# Between two passes of the worker the ratings usually only grow: the pass's ratings are the
# previous pass's with the micro-batch's new ratings after them (``pipeline.gather.LiveRows``
# hands out views of buffers it only ever writes after their last handed-out entry). Every
# rating-level step of ``live_inputs`` then has an exact update from the new ratings alone:
#
# - the misleading/deleted filter and the Core scope of a rating are per note and per rater;
# - PSS keeps the earliest rating of each (note, cluster): a new rating is kept when its
#   (note, cluster) had none (and its time is the earliest of the new ones there), and a new
#   rating earlier than the kept one of its (note, cluster) would drop that one (the update
#   then gives up and the pass takes the full path);
# - the capture share is two counts per note;
# - the high-volume flag counts each rater's ratings after a cutoff that follows the newest
#   rating: with the ratings just after the cutoff kept in time order (``_Window``), moving
#   the cutoff or adding ratings changes the counts of the ratings between the two cutoffs
#   and of the new ratings alone (the quantile over the active raters is then taken as the
#   batch takes it, O(participants)).
#
# The kept, post-PSS and scoped ratings are written into buffers with spare room (views of
# their first entries, as ``LiveRows`` does), so no step touches the earlier ratings.
# ``tests/scoring/incremental/test_live_inputs_trail.py`` checks a chain of passes equals
# ``live_inputs`` at every step.


def _room(n: int) -> int:
    return n + max(n // 8, 4096)


class _Tape:
    """Columns with spare room: the first ``size`` entries of each are set and are never
    written again (views of them stay valid); entries are only appended after ``size``."""

    def __init__(self, columns: dict[str, NDArray[Any]]) -> None:
        m = next(iter(columns.values())).shape[0] if columns else 0
        self.buffers: dict[str, NDArray[Any]] = {}
        for name, values in columns.items():
            buffer = np.empty(_room(m), dtype=values.dtype)
            buffer[:m] = values
            self.buffers[name] = buffer
        self.size = m

    def view(self, name: str, m: int) -> NDArray[Any]:
        return self.buffers[name][:m]

    def extended(self, at: int, tail: dict[str, NDArray[Any]]) -> _Tape:
        """The tape with ``tail`` written after its first ``at`` entries: this tape when
        nothing was written after ``at`` yet and the tail fits, else a new one (a pass that
        was undone may have appended after ``at``: its entries may be in use no more, but
        the earlier views are never overwritten)."""
        k = next(iter(tail.values())).shape[0] if tail else 0
        capacity = next(iter(self.buffers.values())).shape[0] if self.buffers else 0
        if self.size == at and at + k <= capacity:
            for name, values in tail.items():
                self.buffers[name][at : at + k] = values
            self.size = at + k
            return self
        return _Tape(
            {
                name: np.concatenate([self.buffers[name][:at], values])
                for name, values in tail.items()
            }
        )


def _columns(ratings: Ratings) -> dict[str, NDArray[Any]]:
    return {name: getattr(ratings, name) for name in RATING_COLUMNS}


def _tail(ratings: Ratings, start: int, mask: NDArray[np.bool_] | None = None) -> dict[str, Any]:
    if mask is None:
        return {name: getattr(ratings, name)[start:] for name in RATING_COLUMNS}
    return {name: getattr(ratings, name)[start:][mask] for name in RATING_COLUMNS}


def _on_tape(tape: _Tape, m: int, like: Ratings) -> Ratings:
    return Ratings(
        **{name: tape.view(name, m) for name in RATING_COLUMNS},
        note_ids=like.note_ids,
        participant_ids=like.participant_ids,
    )


def extends(before: Ratings, now: Ratings) -> bool:
    """Whether ``now``'s columns are ``before``'s buffers with entries after them (the same
    memory, at least as long): ``before`` is then a prefix of ``now``.

    That holds for the buffers this module and ``pipeline.gather.LiveRows`` hand out: they
    write only after the entries they handed out, and a change of anything earlier (an undo,
    a killed row, a regather) gives new buffers."""
    if now.n_ratings < before.n_ratings or "_lazy_source" in now.__dict__:
        return False
    if now.note_ids is not before.note_ids or now.participant_ids is not before.participant_ids:
        return False
    for name in RATING_COLUMNS:
        a, b = before.__dict__.get(name), now.__dict__.get(name)
        if a is None or b is None or a.base is None or a.base is not b.base:
            return False
        if a.ctypes.data != b.ctypes.data:
            return False
    return True


# How far past its cutoff a high-volume window keeps its ratings in time order: the cutoff
# follows the newest rating, and once it moves past that horizon the window is counted anew
# (a scan of the ratings, about once per horizon of event time).
_HORIZON_MS = 6 * 3_600_000


@dataclass(frozen=True)
class _Window:
    """The ratings per rater (or per note) created after ``cutoff``, and the ratings
    created in ``(cutoff, limit]`` in time order with their rater (note): the next
    cutoffs' leavers."""

    cutoff: int
    counts: NDArray[np.int64]
    limit: int
    times: NDArray[np.int64]
    keys: NDArray[np.int32]
    by_note: bool = False


def _keys(ratings: Ratings, by_note: bool) -> tuple[NDArray[np.int32], int]:
    if by_note:
        return ratings.note_idx, ratings.n_notes
    return ratings.rater_idx, ratings.n_participants


def _window(ratings: Ratings, cutoff: int, by_note: bool = False) -> _Window:
    t = ratings.created_at_ms
    keys, n = _keys(ratings, by_note)
    counts = counts_after(keys, t, np.asarray([cutoff], dtype=np.int64), n)[0]
    limit = cutoff + _HORIZON_MS
    near = np.flatnonzero((t > cutoff) & (t <= limit))
    order = near[np.argsort(t[near], kind="stable")]
    return _Window(cutoff, counts, limit, t[order], keys[order], by_note)


def _window_updated(window: _Window, ratings: Ratings, start: int, cutoff: int) -> _Window:
    """``window`` (of ``ratings``' first ``start`` entries) at ``cutoff`` with the ratings
    after them."""
    if cutoff < window.cutoff or cutoff > window.limit:
        return _window(ratings, cutoff, window.by_note)
    tail_t = ratings.created_at_ms[start:]
    tail_k = _keys(ratings, window.by_note)[0][start:]
    gone = int(np.searchsorted(window.times, cutoff, side="right"))
    fresh = tail_t > cutoff
    if not gone and not fresh.any():
        return replace(window, cutoff=cutoff)
    counts = window.counts.copy()
    if gone:
        np.subtract.at(counts, window.keys[:gone], 1)
    np.add.at(counts, tail_k[fresh], 1)
    times, keys = window.times[gone:], window.keys[gone:]
    join = np.flatnonzero(fresh & (tail_t <= window.limit))
    if join.shape[0]:
        order = join[np.argsort(tail_t[join], kind="stable")]
        at = np.searchsorted(times, tail_t[order], side="right")
        times = np.insert(times, at, tail_t[order])
        keys = np.insert(keys, at, tail_k[order])
    return _Window(cutoff, counts, window.limit, times, keys, window.by_note)


class RecentPerNote:
    """Per note, the ratings created after a cutoff (``counts_after(note_idx, ...)``, the
    emerging-writer window of extended §2.7), updated for the ratings added since the
    last ratings it counted (``extends``) and the cutoff's move, instead of a scan of every
    rating; ratings that do not extend the last ones are counted anew (nothing to undo)."""

    def __init__(self) -> None:
        self._last: tuple[Ratings, _Window] | None = None

    def get(self, ratings: Ratings, cutoff: int) -> NDArray[np.int64]:
        """int64 (n_notes,): ``ratings`` per note created strictly after ``cutoff``."""
        last = self._last
        if last is not None and extends(last[0], ratings):
            window = _window_updated(last[1], ratings, last[0].n_ratings, cutoff)
        else:
            window = _window(ratings, cutoff, by_note=True)
        self._last = (ratings, window)
        return window.counts


@dataclass(frozen=True)
class _Recent:
    """The high-volume flag's state: each window's counts, the newest rating's time and the
    notes with a rating (the safeguard's distinct notes)."""

    newest: int
    windows: tuple[_Window, ...]
    seen: NDArray[np.bool_]
    distinct: int

    @property
    def counts(self) -> NDArray[np.int64]:
        """int64 (windows, n_participants), as ``counts_after`` gives them."""
        return np.stack([w.counts for w in self.windows])

    @property
    def cutoffs(self) -> NDArray[np.int64]:
        return np.asarray([w.cutoff for w in self.windows], dtype=np.int64)


def _recent(ratings: Ratings, config: ScoringConfig) -> _Recent:
    t = ratings.created_at_ms
    newest = int(t.max()) if t.shape[0] else 0
    windows = tuple(_window(ratings, newest - w) for w in config.preprocess.high_volume_windows_ms)
    seen = np.zeros(ratings.n_notes, dtype=np.bool_)
    seen[ratings.note_idx] = True
    return _Recent(newest, windows, seen, int(seen.sum()))


def _recent_updated(state: _Recent, ratings: Ratings, start: int, config: ScoringConfig) -> _Recent:
    """``state`` (of ``ratings``' first ``start`` entries) with the ratings after them."""
    tail_t = ratings.created_at_ms[start:]
    if tail_t.shape[0] == 0:
        return state
    newest = max(state.newest, int(tail_t.max()))
    windows = tuple(
        _window_updated(window, ratings, start, newest - w)
        for window, w in zip(state.windows, config.preprocess.high_volume_windows_ms, strict=True)
    )
    notes = ratings.note_idx[start:]
    seen, distinct = state.seen, state.distinct
    if not bool(seen[notes].all()):
        seen = seen.copy()
        seen[notes] = True
        distinct = int(seen.sum())
    return _Recent(newest, windows, seen, distinct)


def _high_volume(
    state: _Recent, n_ratings: int, n_part: int, config: ScoringConfig
) -> NDArray[np.bool_]:
    """``flag_high_volume_raters`` from the kept counts (the same steps on the same counts)."""
    flags = np.zeros(n_part, dtype=np.bool_)
    if n_ratings == 0 or state.distinct < config.preprocess.min_notes_for_safeguards:
        return flags
    for counts in (w.counts for w in state.windows):
        active = counts > 0
        if not active.any():
            continue
        threshold = np.quantile(
            counts[active].astype(np.float64), config.preprocess.high_volume_quantile
        )
        flags |= counts > threshold
    return flags


@dataclass(frozen=True)
class _Firsts:
    """PSS's earliest time per (note, cluster) over the kept ratings of clustered raters:
    ascending keys ``note * width + cluster`` and each key's earliest time."""

    keys: NDArray[np.int64]
    times: NDArray[np.int64]
    width: int


def _firsts(kept: Ratings, rater_cluster: NDArray[np.int64]) -> _Firsts:
    width = int(rater_cluster.max()) + 1 if rater_cluster.shape[0] else 1
    cluster = rater_cluster[kept.rater_idx]
    at = np.flatnonzero(cluster >= 0)
    keys = kept.note_idx[at].astype(np.int64) * width + cluster[at]
    times = kept.created_at_ms[at]
    if keys.shape[0] == 0:
        return _Firsts(keys, times, width)
    order = np.argsort(keys)
    keys = keys[order]
    starts = np.flatnonzero(np.concatenate([[True], keys[1:] != keys[:-1]]))
    return _Firsts(keys[starts], np.minimum.reduceat(times[order], starts), width)


@dataclass(frozen=True)
class _Follow:
    """The incremental state of a pass's rating-level inputs (see above)."""

    keep_note: NDArray[np.bool_]
    recent: _Recent
    kept: _Tape | None  # None: the kept ratings are the pass's ratings
    post: _Tape  # the post-PSS ratings and "correlated"
    scoped: _Tape  # the scoped ratings and "correlated"
    firsts: _Firsts | None  # None: PSS keeps every rating
    total: NDArray[np.int64]  # post-PSS ratings per note
    hits: NDArray[np.int64]  # ... of in-scope raters


@dataclass(frozen=True)
class InputsTrail:
    """What :func:`follow_inputs` keeps of a pass for the next one: the pass's arguments
    (the same objects the next pass must be given to update rather than redo), its
    ratings and inputs, and (built on the first update) the incremental state."""

    context: NoteContext
    config: ScoringConfig
    rater_cluster: NDArray[np.int64] | None
    rater_quasi_clique: NDArray[np.int64] | None
    ratings: Ratings
    inputs: CoreInputs
    follow: _Follow | None = None
    # Passes in a row (this one included) whose ratings extended the previous pass's.
    streak: int = 0

    @property
    def keep_note(self) -> NDArray[np.bool_]:
        """Per note: its ratings pass the misleading/deleted filter."""
        if self.follow is not None:
            return self.follow.keep_note
        return _keep_note(self.context, self.config)


def _keep_note(context: NoteContext, config: ScoringConfig) -> NDArray[np.bool_]:
    """Per note: its ratings pass the misleading/deleted filter (it is per note)."""
    n = context.base.n_notes
    return filter_misleading_or_deleted(
        np.arange(n, dtype=np.int32),
        context.base.note_info,
        context.in_input_nsh,
        config.preprocess,
    )


def _start(trail: InputsTrail) -> _Follow:
    """The incremental state of a pass the full path made (its arrays taken as they are)."""
    inputs, config, context = trail.inputs, trail.config, trail.context
    kept = inputs.ratings
    post = inputs.post_pss
    post_cols = _columns(post)
    post_cols["correlated"] = inputs.correlated
    scoped_cols = _columns(inputs.scoped)
    scoped_cols["correlated"] = inputs.scoped_correlated
    cluster = trail.rater_cluster
    pss_on = (
        cluster is not None
        and context.n_notes_in_table >= config.preprocess.min_notes_for_safeguards
    )
    in_scope = context.base.in_scope[post.rater_idx]
    total = np.bincount(post.note_idx, minlength=inputs.n_notes).astype(np.int64)
    hits = np.bincount(post.note_idx[in_scope], minlength=inputs.n_notes).astype(np.int64)
    return _Follow(
        keep_note=_keep_note(context, config),
        recent=_recent(trail.ratings, config),
        kept=None if kept is trail.ratings else _Tape(_columns(kept)),
        post=_Tape(post_cols),
        scoped=_Tape(scoped_cols),
        firsts=_firsts(kept, cluster) if pss_on and cluster is not None else None,
        total=total,
        hits=hits,
    )


def _pss_tail(
    follow: _Follow,
    tail: dict[str, Any],
    author_idx: NDArray[np.int32],
    rater_cluster: NDArray[np.int64] | None,
) -> tuple[NDArray[np.bool_], _Firsts | None] | None:
    """PSS's keep flags of the new kept ratings (``tail``), and the updated earliest times;
    None when a new rating would drop an earlier kept one (the full path then)."""
    k = tail["note_idx"].shape[0]
    keep = np.ones(k, dtype=np.bool_)
    firsts = follow.firsts
    if firsts is None or rater_cluster is None or k == 0:
        return keep, firsts
    cluster = rater_cluster[tail["rater_idx"]]
    at = np.flatnonzero(cluster >= 0)
    if at.shape[0] == 0:
        return keep, firsts
    notes = tail["note_idx"][at].astype(np.int64)
    keys = notes * firsts.width + cluster[at]
    times = tail["created_at_ms"][at]
    pos = np.searchsorted(firsts.keys, keys)
    inside = pos < firsts.keys.shape[0]
    found = np.zeros(at.shape[0], dtype=np.bool_)
    found[inside] = firsts.keys[pos[inside]] == keys[inside]
    if bool((times[found] < firsts.times[pos[found]]).any()):
        return None
    # Not the first of an old (note, cluster): dropped. New ones: the earliest of each
    # (ties: the first in order) is kept.
    drop = found.copy()
    new = np.flatnonzero(~found)
    new_keys = firsts.keys
    new_times = firsts.times
    if new.shape[0]:
        order = new[np.lexsort((times[new], keys[new]))]
        first = np.ones(order.shape[0], dtype=np.bool_)
        first[1:] = keys[order[1:]] != keys[order[:-1]]
        drop[order[~first]] = True
        lead = order[first]
        where = np.searchsorted(firsts.keys, keys[lead])
        new_keys = np.insert(firsts.keys, where, keys[lead])
        new_times = np.insert(firsts.times, where, times[lead])
    author = author_idx[notes]
    author_cluster = np.where(author >= 0, rater_cluster[np.maximum(author, 0)], -1)
    drop |= (author_cluster >= 0) & (author_cluster == cluster[at])
    keep[at[drop]] = False
    return keep, _Firsts(new_keys, new_times, firsts.width)


def _updated(
    trail: InputsTrail,
    ratings: Ratings,
    history: StatusHistory,
    established: NDArray[np.bool_] | None,
) -> tuple[CoreInputs, _Follow] | None:
    """The pass's inputs from the previous pass's (``ratings`` extends its ratings), or None
    when the update does not apply (the full path then)."""
    follow = trail.follow if trail.follow is not None else _start(trail)
    before = trail.inputs
    base = trail.context.base
    start = trail.ratings.n_ratings
    m = ratings.n_ratings
    raw_tail = _tail(ratings, start)
    keep_tail = follow.keep_note[raw_tail["note_idx"]]
    if follow.kept is None and bool(keep_tail.all()):
        kept_tape = None
        kept = ratings
        tail = raw_tail
    else:
        tail = {name: values[keep_tail] for name, values in raw_tail.items()}
        n_kept = before.ratings.n_ratings
        old = follow.kept if follow.kept is not None else _Tape(_columns(before.ratings))
        kept_tape = old.extended(n_kept, tail)
        kept = _on_tape(kept_tape, n_kept + tail["note_idx"].shape[0], ratings)
    pss = _pss_tail(follow, tail, base.note_info.author_idx, trail.rater_cluster)
    if pss is None:
        return None
    keep_pss, firsts = pss
    quasi = trail.rater_quasi_clique
    post_tail = {name: values[keep_pss] for name, values in tail.items()}
    if quasi is None:
        post_tail["correlated"] = np.zeros(post_tail["note_idx"].shape[0], dtype=np.bool_)
    else:
        post_tail["correlated"] = quasi[post_tail["rater_idx"]] >= 1
    n_post = before.post_pss.n_ratings
    post_tape = follow.post.extended(n_post, post_tail)
    m_post = n_post + post_tail["note_idx"].shape[0]
    post = _on_tape(post_tape, m_post, ratings)
    in_scope = base.in_scope[post_tail["rater_idx"]]
    scoped_tail_mask = in_scope & (base.note_topic[post_tail["note_idx"]] < 0)
    scoped_tail = {name: values[scoped_tail_mask] for name, values in post_tail.items()}
    n_scoped = before.scoped.n_ratings
    scoped_tape = follow.scoped.extended(n_scoped, scoped_tail)
    m_scoped = n_scoped + scoped_tail["note_idx"].shape[0]
    total, hits = follow.total, follow.hits
    if post_tail["note_idx"].shape[0]:
        total = total + np.bincount(post_tail["note_idx"], minlength=base.n_notes)
        hits = hits + np.bincount(post_tail["note_idx"][in_scope], minlength=base.n_notes)
    share = trail.config.scope.min_capture_share
    if share is None:
        captured = np.ones(base.n_notes, dtype=np.bool_)
    else:
        with np.errstate(invalid="ignore", divide="ignore"):
            captured = (total > 0) & (hits.astype(np.float64) / total >= share)
    recent = _recent_updated(follow.recent, ratings, start, trail.config)
    inputs = replace(
        base,
        ratings=kept,
        post_pss=post,
        correlated=post_tape.view("correlated", m_post),
        scoped=_on_tape(scoped_tape, m_scoped, ratings),
        scoped_correlated=scoped_tape.view("correlated", m_scoped),
        high_volume=_high_volume(recent, m, base.n_participants, trail.config),
        captured=captured,
        history=history,
        rater_cluster=trail.rater_cluster,
        rater_quasi_clique=trail.rater_quasi_clique,
        established=established,
    )
    return inputs, _Follow(
        follow.keep_note, recent, kept_tape, post_tape, scoped_tape, firsts, total, hits
    )


def follow_inputs(
    trail: InputsTrail | None,
    context: NoteContext,
    ratings: Ratings,
    history: StatusHistory,
    config: ScoringConfig,
    *,
    rater_cluster: NDArray[np.int64] | None = None,
    rater_quasi_clique: NDArray[np.int64] | None = None,
    established: NDArray[np.bool_] | None = None,
) -> tuple[CoreInputs, InputsTrail]:
    """:func:`live_inputs`, updated from the previous pass's ``trail`` when this pass's
    ratings only add ratings after that pass's (and the context, config and groups are the
    same objects); the result is the same. Returns the inputs and this pass's trail.

    The trail's buffers are only ever appended to, so a trail kept by an earlier state (a
    pass that was undone) stays valid."""
    if (
        trail is not None
        and trail.context is context
        and trail.config is config
        and trail.rater_cluster is rater_cluster
        and trail.rater_quasi_clique is rater_quasi_clique
        and trail.ratings.n_ratings > 0
        and extends(trail.ratings, ratings)
    ):
        streak = trail.streak + 1
        # The update's state is built from a full pass's inputs (~2 full passes' work):
        # only once the ratings have extended the last ones twice in a row, so that a
        # stream of note events (each one a full pass) does not pay it every other pass.
        if trail.follow is not None or streak >= _STREAK:
            done = _updated(trail, ratings, history, established)
            if done is not None:
                inputs, follow = done
                return inputs, InputsTrail(
                    context, config, rater_cluster, rater_quasi_clique, ratings, inputs,
                    follow, streak,
                )  # fmt: skip
    else:
        streak = 0
    inputs = live_inputs(
        context,
        ratings,
        history,
        config,
        rater_cluster=rater_cluster,
        rater_quasi_clique=rater_quasi_clique,
        established=established,
    )
    return inputs, InputsTrail(
        context, config, rater_cluster, rater_quasi_clique, ratings, inputs, None, streak
    )


_STREAK = 2
