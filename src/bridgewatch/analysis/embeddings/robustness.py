"""Does a result survive another seed, or losing the most active raters? And how
concentrated is the rating?

The counterfactuals re-score the data with ``bridgewatch.scoring.run.score_core`` (the Core
scorer alone: the columns compared here are Core's, and a Core run costs a fraction of the
whole roster's) and compare each run with the first: rater and note factors after aligning
their signs (an MF factor's sign is arbitrary), note intercepts, and final statuses.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import polars as pl
from numpy.typing import NDArray

from bridgewatch.analysis.embeddings.ratings import RatingMatrix
from bridgewatch.errors import ConfigError
from bridgewatch.io import Dataset
from bridgewatch.parallel import SerialExecutor, Task, executor_scope, in_process, run_graph
from bridgewatch.scoring._threads import limit_kernel_threads
from bridgewatch.scoring.config import ScoringConfig
from bridgewatch.scoring.run import ScoringResult, score_core

__all__ = [
    "drop_top_raters",
    "rating_concentration",
    "seed_stability",
    "without_raters",
]


def rating_concentration(
    matrix: RatingMatrix, top_shares: Sequence[float] = (0.001, 0.01, 0.1)
) -> pl.DataFrame:
    """Share of all ratings made by the most active raters, and the Gini coefficient.

    Parameters
    ----------
    matrix : the ratings.
    top_shares : shares of raters (most active first) to report, each in (0, 1].

    Returns
    -------
    ``measure`` and ``value``: ``topRatersShare@p`` (share of ratings made by the top p of
    raters who rated) per p, and ``gini`` of ratings per rater (0 equal, 1 one rater).
    """
    counts = matrix.ratings_per_rater()
    counts = np.sort(counts[counts > 0])[::-1].astype(np.float64)
    total = counts.sum()
    rows: list[tuple[str, float]] = []
    for p in top_shares:
        if not 0.0 < p <= 1.0:
            raise ConfigError("top_shares", p, "shares in (0, 1]")
        k = max(1, int(np.ceil(p * counts.shape[0])))
        rows.append((f"topRatersShare@{p:g}", float(counts[:k].sum() / total) if total else 0.0))
    n = counts.shape[0]
    ascending = counts[::-1]
    gini = float((2.0 * np.arange(1, n + 1) - n - 1) @ ascending / (n * total)) if total else 0.0
    rows.append(("gini", gini))
    return pl.DataFrame(rows, schema={"measure": pl.String, "value": pl.Float64}, orient="row")


def without_raters(dataset: Dataset, drop: NDArray[np.bool_]) -> Dataset:
    """``dataset`` without the ratings of the participants where ``drop`` (bool, shape
    (n_participants,), aligned with ``dataset.participant_ids``) is set."""
    r = dataset.ratings
    keep = ~drop[r.rater_idx]
    ratings = replace(
        r,
        note_idx=r.note_idx[keep],
        rater_idx=r.rater_idx[keep],
        helpful_num=r.helpful_num[keep],
        helpfulness_level=r.helpfulness_level[keep],
        created_at_ms=r.created_at_ms[keep],
        helpful_tags=r.helpful_tags[keep],
        not_helpful_tags=r.not_helpful_tags[keep],
        population_sampled=r.population_sampled[keep],
    )
    return replace(dataset, ratings=ratings)


@dataclass(frozen=True)
class _Core:
    rater_ids: NDArray[np.str_]
    rater_factor: NDArray[np.float64]
    note_ids: NDArray[np.str_]
    note_factor: NDArray[np.float64]
    note_intercept: NDArray[np.float64]
    status: NDArray[np.str_]


def _core(result: ScoringResult) -> _Core:
    h = result.helpfulness_scores.sort("raterParticipantId")
    s = result.scored_notes.sort("noteId")
    return _Core(
        rater_ids=h["raterParticipantId"].cast(pl.String).to_numpy().astype(np.str_),
        rater_factor=h["coreRaterFactor1"].cast(pl.Float64).fill_null(np.nan).to_numpy(),
        note_ids=s["noteId"].cast(pl.String).to_numpy().astype(np.str_),
        note_factor=s["coreNoteFactor1"].cast(pl.Float64).fill_null(np.nan).to_numpy(),
        note_intercept=s["coreNoteIntercept"].cast(pl.Float64).fill_null(np.nan).to_numpy(),
        status=s["finalRatingStatus"].cast(pl.String).fill_null("").to_numpy().astype(np.str_),
    )


def _aligned(
    ids_a: NDArray[np.str_], a: NDArray[np.float64], ids_b: NDArray[np.str_], b: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    _common, ia, ib = np.intersect1d(ids_a, ids_b, assume_unique=True, return_indices=True)
    x, y = a[ia], b[ib]
    ok = np.isfinite(x) & np.isfinite(y)
    return x[ok], y[ok]


def _corr(x: NDArray[np.float64], y: NDArray[np.float64]) -> float:
    if x.shape[0] < 3 or x.std() == 0 or y.std() == 0:
        return float("nan")
    return float(np.corrcoef(x, y)[0, 1])


def _compare(base: _Core, other: _Core, label: str) -> dict[str, object]:
    rf = _aligned(base.rater_ids, base.rater_factor, other.rater_ids, other.rater_factor)
    nf = _aligned(base.note_ids, base.note_factor, other.note_ids, other.note_factor)
    ni = _aligned(base.note_ids, base.note_intercept, other.note_ids, other.note_intercept)
    # Align signs: a factor and its negation are the same fit.
    sign = 1.0 if _corr(*nf) >= 0 or np.isnan(_corr(*nf)) else -1.0
    _c, ia, ib = np.intersect1d(
        base.note_ids, other.note_ids, assume_unique=True, return_indices=True
    )
    same = base.status[ia] == other.status[ib]
    crh_a = base.status[ia] == "CURRENTLY_RATED_HELPFUL"
    crh_b = other.status[ib] == "CURRENTLY_RATED_HELPFUL"
    return {
        "run": label,
        "raterFactorCorr": _corr(rf[0], sign * rf[1]),
        "noteFactorCorr": _corr(nf[0], sign * nf[1]),
        "noteInterceptCorr": _corr(*ni),
        "statusAgreement": float(same.mean()) if same.size else float("nan"),
        "crhLost": int((crh_a & ~crh_b).sum()),
        "crhGained": int((~crh_a & crh_b).sum()),
        "signFlipped": sign < 0,
    }


_SCHEMA = {
    "run": pl.String,
    "raterFactorCorr": pl.Float64,
    "noteFactorCorr": pl.Float64,
    "noteInterceptCorr": pl.Float64,
    "statusAgreement": pl.Float64,
    "crhLost": pl.Int64,
    "crhGained": pl.Int64,
    "signFlipped": pl.Boolean,
}


def _top_raters(dataset: Dataset, share: float) -> tuple[NDArray[np.bool_], int, int]:
    """The most active ``share`` of raters (ties by participant row): the drop mask per
    participant, how many raters and how many ratings."""
    counts = np.bincount(dataset.ratings.rater_idx, minlength=len(dataset.participant_ids))
    raters = np.flatnonzero(counts > 0)
    k = max(1, int(np.ceil(share * raters.shape[0])))
    order = np.lexsort((raters, -counts[raters]))
    drop = np.zeros(counts.shape[0], dtype=bool)
    drop[raters[order[:k]]] = True
    return drop, k, int(counts[drop].sum())


DatasetSource = Dataset | Callable[[], Dataset]
"""A dataset in memory, or a picklable callable that loads it (for example
``functools.partial(load_dataset, notes=..., ratings=...)``): what a re-score task reads."""


def _rescore(
    source: DatasetSource, config: ScoringConfig, as_of_ms: int, seed: int, drop_share: float | None
) -> _Core:
    """One re-score (a task): the dataset, without its top raters when ``drop_share``."""
    dataset = source if isinstance(source, Dataset) else source()
    if drop_share is not None:
        dataset = without_raters(dataset, _top_raters(dataset, drop_share)[0])
    return _core(score_core(dataset, config, as_of_ms=as_of_ms, seed=seed))


def _rescore_one_thread(*args: Any) -> _Core:
    with limit_kernel_threads(1):
        return _rescore(*args)


def _rescores(
    dataset: Dataset,
    config: ScoringConfig,
    as_of_ms: int,
    runs: dict[str, tuple[int, float | None]],
    executor: Executor | str | None,
    load: Callable[[], Dataset] | None,
) -> dict[str, _Core]:
    """Each re-score of ``runs`` (label -> seed, drop share), one task each on
    ``executor`` (default serially). Tasks in other processes load the dataset with
    ``load``; tasks in this process share ``dataset``."""
    with executor_scope(executor) as pool:
        if pool is None or isinstance(pool, SerialExecutor):
            return {k: _rescore(dataset, config, as_of_ms, *run) for k, run in runs.items()}
        if in_process(pool):
            source: DatasetSource = dataset
        elif load is not None:
            source = load
        else:
            raise ConfigError(
                "load", None, "a picklable loader of the dataset for tasks in other processes"
            )
        tasks = {
            k: Task(_rescore_one_thread, (source, config, as_of_ms, *run))
            for k, run in runs.items()
        }
        results: dict[str, _Core] = run_graph(pool, tasks)
        return results


def seed_stability(
    dataset: Dataset,
    config: ScoringConfig,
    seeds: Sequence[int],
    *,
    as_of_ms: int,
    executor: Executor | str | None = None,
    load: Callable[[], Dataset] | None = None,
) -> pl.DataFrame:
    """Re-score with each seed (``score_core``) and compare every run with the first.

    One re-score per seed, each a task on ``executor`` (an Executor or a spec such as
    ``processes:2``; default serially); tasks in other processes load the dataset with
    ``load`` (a picklable callable, e.g. ``functools.partial(load_dataset, ...)``).

    Returns
    -------
    One row per seed after the first: ``run`` (``seed=N``), correlations of rater factors,
    note factors (signs aligned on the note factors) and note intercepts with the first
    run's, ``statusAgreement`` (share of notes with the same final status), ``crhLost`` and
    ``crhGained`` (notes leaving or entering CURRENTLY_RATED_HELPFUL), ``signFlipped``.
    """
    if len(seeds) < 2:
        raise ConfigError("seeds", list(seeds), "at least two seeds")
    done = _rescores(
        dataset,
        config,
        as_of_ms,
        {f"run {i}: seed={s}": (s, None) for i, s in enumerate(seeds)},
        executor,
        load,
    )
    runs = list(done.values())
    rows = [_compare(runs[0], run, f"seed={s}") for s, run in zip(seeds[1:], runs[1:], strict=True)]
    return pl.DataFrame(rows, schema=_SCHEMA)


def drop_top_raters(
    dataset: Dataset,
    config: ScoringConfig,
    *,
    share: float = 0.01,
    seed: int = 1,
    as_of_ms: int,
    executor: Executor | str | None = None,
    load: Callable[[], Dataset] | None = None,
) -> pl.DataFrame:
    """Re-score without the ratings of the most active ``share`` of raters and compare.

    Both runs use ``score_core`` with the same seed; ties in activity are broken by
    participant row, so the result is deterministic. The two runs are tasks on
    ``executor`` (see ``seed_stability``; the counterfactual task drops the raters itself).

    Returns
    -------
    One row with the columns of :func:`seed_stability` (``run`` = ``dropTop=share``) plus
    ``droppedRaters`` and ``droppedRatings``.
    """
    if not 0.0 < share < 1.0:
        raise ConfigError("share", share, "a number in (0, 1)")
    _drop, k, dropped_ratings = _top_raters(dataset, share)
    runs = {"base": (seed, None), "dropped": (seed, share)}
    done = _rescores(dataset, config, as_of_ms, runs, executor, load)
    row = _compare(done["base"], done["dropped"], f"dropTop={share:g}")
    frame = pl.DataFrame([row], schema=_SCHEMA)
    return frame.with_columns(
        pl.lit(k, dtype=pl.Int64).alias("droppedRaters"),
        pl.lit(dropped_ratings, dtype=pl.Int64).alias("droppedRatings"),
    )
