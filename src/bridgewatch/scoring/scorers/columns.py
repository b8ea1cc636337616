"""The roster's output columns: each scorer's family in ``scored_notes`` and
``helpfulness_scores`` (scoring-multimodel.md §2.7, §9.1, §9.2).

Group, multi-group and topic scorers write the same family; their rows never overlap (each
capture threshold exceeds one half), so coalescing is taking each scorer's rows. Arrays
in, per-note or per-participant arrays out; the table builders of ``scoring.outputs`` take
them as ``extra`` columns.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl
from numpy.typing import NDArray

from bridgewatch.scoring.final import FinalScoringResult
from bridgewatch.scoring.history.table import status_names
from bridgewatch.scoring.scorers.run import RosterResult, ScorerRun
from bridgewatch.scoring.scorers.spec import Family, ScorerKind
from bridgewatch.scoring.status import CORE_RULE_NAMES, label_array

__all__ = [
    "ColumnCache",
    "FamilyColumns",
    "family_columns",
    "helpfulness_columns",
    "scored_note_columns",
    "topic_confidence",
]

_STATUS_NONE = np.int8(-1)


@dataclass
class FamilyColumns:
    """One column family's per-note values, coalesced over the scorers that write it.

    Every array has shape (n_notes,); NaN / -1 / "" / None where no scorer of the family
    has a row for the note. ``scorer`` names the scorer that wrote each row ("" none).
    """

    intercept: NDArray[np.float64]
    factor: NDArray[np.float64]
    status: NDArray[np.int8]
    active_rules: NDArray[np.object_]
    num_final_round_ratings: NDArray[np.float64]
    intercept_no_high_vol: NDArray[np.float64]
    intercept_no_correlated: NDArray[np.float64]
    intercept_min: NDArray[np.float64]
    intercept_max: NDArray[np.float64]
    intercept_population_sampled: NDArray[np.float64]
    group: NDArray[np.float64]
    topic: NDArray[np.int8]
    topic_confident: NDArray[np.bool_]
    scorer: NDArray[np.object_]

    @classmethod
    def empty(cls, n: int) -> FamilyColumns:
        """No rows."""
        nan = np.full(n, np.nan)
        return cls(
            nan,
            nan.copy(),
            np.full(n, _STATUS_NONE, dtype=np.int8),
            np.full(n, None, dtype=object),
            nan.copy(),
            nan.copy(),
            nan.copy(),
            nan.copy(),
            nan.copy(),
            nan.copy(),
            nan.copy(),
            np.full(n, -1, dtype=np.int8),
            np.zeros(n, dtype=np.bool_),
            np.full(n, "", dtype=object),
        )

    @property
    def has_row(self) -> NDArray[np.bool_]:
        """Notes some scorer of the family wrote a row for."""
        return np.asarray(self.status >= 0)


def topic_confidence(run: ScorerRun) -> NDArray[np.bool_]:
    """``topicNoteConfident`` (multimodel §5.4): more than ``min`` ratings, over all
    post-PSS ratings, from raters with a factor in the topic scorer's rater output on each
    side (factor >= 0 vs < 0). Rater output: the main final fit's raters (MF topics) or
    every rater with a prescoring factor (topic 5, Gaussian)."""
    final, pre = run.final, run.prescoring
    n = run.inputs.n_notes
    if final is None or pre is None:
        return np.zeros(n, dtype=np.bool_)
    if run.spec.kind is ScorerKind.GAUSSIAN:
        factor = pre.final_round.rater_factors[:, 0]
    else:
        factor = final.main.rater_factor
    post = run.inputs.post_pss
    f = factor[post.rater_idx]
    known = np.isfinite(f)
    pos = np.bincount(post.note_idx[known & (f >= 0)], minlength=n)
    neg = np.bincount(post.note_idx[known & (f < 0)], minlength=n)
    k = run.spec.topic_confidence_min_per_side
    return (pos > k) & (neg > k) & np.isfinite(final.main.intercept)


def _fill(columns: FamilyColumns, run: ScorerRun, final: FinalScoringResult) -> None:
    # (Positions, not the mask: a boolean index over every note is found again at each of
    # the two dozen reads and writes, ~10x slower than positions on a sparse scorer.)
    rows = np.flatnonzero(final.scored)
    main = final.main
    columns.intercept[rows] = main.intercept[rows]
    columns.factor[rows] = main.factor[rows]
    columns.status[rows] = final.rules.status[rows]
    columns.active_rules[rows] = label_array(final.rules.active_rules[rows], CORE_RULE_NAMES)
    num = final.num_final_round_ratings[rows].astype(np.float64)
    columns.num_final_round_ratings[rows] = np.where(num > 0, num, np.nan)
    columns.intercept_no_high_vol[rows] = final.intercept_no_high_vol[rows]
    columns.intercept_no_correlated[rows] = final.intercept_no_correlated[rows]
    columns.intercept_population_sampled[rows] = final.intercept_population_sampled[rows]
    if final.bounds is not None:
        columns.intercept_min[rows] = final.bounds.intercept_min[rows]
        columns.intercept_max[rows] = final.bounds.intercept_max[rows]
    if run.spec.group is not None:
        columns.group[rows] = float(run.spec.group)
    if run.spec.topic is not None:
        columns.topic[rows] = run.spec.topic
        columns.topic_confident[rows] = topic_confidence(run)[rows]
    columns.scorer[rows] = run.spec.name


def _fill_coverage(columns: FamilyColumns, run: ScorerRun) -> None:
    """The Reputation scorer's rows: intercept, factor and CRH/NMR status (§7)."""
    rep = run.reputation
    assert rep is not None
    rows = rep.rows
    columns.intercept[rows] = rep.final.note_intercepts[rows]
    columns.factor[rows] = rep.final.note_factors[rows]
    columns.status[rows] = rep.status[rows]
    columns.scorer[rows] = run.spec.name


class ColumnCache:
    """Each scorer's object columns (active-rule labels, scorer name) of the last
    :func:`family_columns` call, with the masks they were made from: a worker pass rebuilds
    only the rows whose Core row or rule mask changed (building a column of Python objects
    for every note costs ~1 ms a column and scorer). The columns it hands out are never
    written after (read-only arrays), and each call checks the masks it was given against
    its own record, so an undone pass leaves nothing to undo here."""

    def __init__(self) -> None:
        self._kept: dict[
            str, tuple[NDArray[np.bool_], NDArray[Any], NDArray[np.object_], NDArray[np.object_]]
        ] = {}

    def objects(
        self, name: str, scored: NDArray[np.bool_], bits: NDArray[Any]
    ) -> tuple[NDArray[np.object_], NDArray[np.object_]]:
        """(active-rule labels, scorer names) of a scorer with Core rows ``scored`` and rule
        masks ``bits`` (per note), as :func:`_fill` writes them into empty columns."""
        kept = self._kept.get(name)
        if kept is None or kept[0].shape != scored.shape or kept[1].dtype != bits.dtype:
            rules, names = _objects(name, scored, bits)
        else:
            was, was_bits, rules, names = kept
            moved = was != scored
            changed = moved | (scored & (was_bits != bits))
            if changed.any():
                at = np.flatnonzero(changed)
                on = at[scored[at]]
                rules = rules.copy()
                rules[at] = None
                rules[on] = label_array(bits[on], CORE_RULE_NAMES)
                rules.flags.writeable = False
            if moved.any():
                at = np.flatnonzero(moved)
                names = names.copy()
                names[at] = np.where(scored[at], name, "").astype(object)
                names.flags.writeable = False
        self._kept[name] = (scored.copy(), bits.copy(), rules, names)
        return rules, names


def _objects(
    name: str, scored: NDArray[np.bool_], bits: NDArray[Any]
) -> tuple[NDArray[np.object_], NDArray[np.object_]]:
    rows = np.flatnonzero(scored)
    rules = np.full(scored.shape[0], None, dtype=object)
    rules[rows] = label_array(bits[rows], CORE_RULE_NAMES)
    names = np.full(scored.shape[0], "", dtype=object)
    names[rows] = name
    rules.flags.writeable = False
    names.flags.writeable = False
    return rules, names


def _single(
    run: ScorerRun, final: FinalScoringResult, cache: ColumnCache | None = None
) -> FamilyColumns:
    """The columns of a family with this one scorer: :func:`_fill` into empty columns, as
    whole-column selects (a worker pass builds every family: scattering every scored row of
    each array cost more than the selects); the object columns from ``cache`` when given."""
    scored = final.scored
    main = final.main
    nan = np.nan
    spec = run.spec

    def floats(values: NDArray[np.floating]) -> NDArray[np.float64]:
        return np.where(scored, values, nan).astype(np.float64, copy=False)

    status = np.where(scored, final.rules.status, _STATUS_NONE).astype(np.int8, copy=False)
    if cache is not None:
        rules, scorer = cache.objects(spec.name, scored, final.rules.active_rules)
    else:
        rules, scorer = _objects(spec.name, scored, final.rules.active_rules)
    rows = np.flatnonzero(scored)
    num = final.num_final_round_ratings.astype(np.float64)
    bounds = final.bounds
    empty = np.full(scored.shape[0], nan)
    topic = np.full(scored.shape[0], -1, dtype=np.int8)
    confident = np.zeros(scored.shape[0], dtype=np.bool_)
    if spec.topic is not None:
        topic[rows] = spec.topic
        confident = scored & topic_confidence(run)
    return FamilyColumns(
        intercept=floats(main.intercept),
        factor=floats(main.factor),
        status=status,
        active_rules=rules,
        num_final_round_ratings=np.where(scored & (num > 0), num, nan),
        intercept_no_high_vol=floats(final.intercept_no_high_vol),
        intercept_no_correlated=floats(final.intercept_no_correlated),
        intercept_min=empty.copy() if bounds is None else floats(bounds.intercept_min),
        intercept_max=empty.copy() if bounds is None else floats(bounds.intercept_max),
        intercept_population_sampled=floats(final.intercept_population_sampled),
        group=empty if spec.group is None else np.where(scored, float(spec.group), nan),
        topic=topic,
        topic_confident=confident,
        scorer=scorer,
    )


def family_columns(
    result: RosterResult, n_notes: int, cache: ColumnCache | None = None
) -> dict[Family, FamilyColumns]:
    """Every family's coalesced per-note columns (families without a scorer: no rows);
    ``cache``: a :class:`ColumnCache` kept across calls (a worker's passes)."""
    runs: dict[Family, list[ScorerRun]] = {}
    for run in result.final_runs():
        runs.setdefault(run.spec.family, []).append(run)
    reputation = list(result.reputation_runs())
    coverage = {run.spec.family for run in reputation}
    out = {}
    for family in Family:
        mine = runs.get(family, [])
        if len(mine) == 1 and family not in coverage:
            final = mine[0].final
            assert final is not None
            if final.scored.shape == (n_notes,):
                out[family] = _single(mine[0], final, cache)
                continue
        out[family] = FamilyColumns.empty(n_notes)
        for run in mine:
            assert run.final is not None
            _fill(out[family], run, run.final)
    for run in reputation:
        _fill_coverage(out[run.spec.family], run)
    return out


def _names(codes: NDArray[np.int8]) -> list[str | None]:
    return status_names(codes)


def scored_note_columns(
    families: dict[Family, FamilyColumns], topic_names: dict[int, str]
) -> dict[str, pl.Series | list[object] | NDArray[np.generic]]:
    """``scored_notes`` columns of every family but Core's (multimodel §9.1).

    Parameters
    ----------
    families : ``family_columns`` output.
    topic_names : topic id -> name written to ``noteTopic``.
    """
    out: dict[str, pl.Series | list[object] | NDArray[np.generic]] = {}

    def floats(name: str, values: NDArray[np.float64]) -> None:
        out[name] = pl.Series(name, values, pl.Float64, nan_to_null=True)

    for family, cols in families.items():
        if family is Family.CORE:
            continue
        p = family.value
        floats(f"{p}NoteIntercept", cols.intercept)
        floats(f"{p}NoteFactor1", cols.factor)
        out[f"{p}RatingStatus"] = pl.Series(f"{p}RatingStatus", _names(cols.status), pl.Utf8)
        if family is Family.COVERAGE:
            continue  # its Min/Max are always empty; it has no rules or auxiliary fits
        out[f"{p}ActiveRules"] = pl.Series(f"{p}ActiveRules", cols.active_rules.tolist(), pl.Utf8)
        floats(f"{p}NumFinalRoundRatings", cols.num_final_round_ratings)
        floats(f"{p}NoteInterceptNoHighVol", cols.intercept_no_high_vol)
        floats(f"{p}NoteInterceptNoCorrelated", cols.intercept_no_correlated)
        if family is Family.CORE_WITH_TOPICS:
            floats(f"{p}NoteInterceptMin", cols.intercept_min)
            floats(f"{p}NoteInterceptMax", cols.intercept_max)
        if family in (Family.GAUSSIAN, Family.GAUSSIAN_CORE_WITH_TOPICS):
            floats(f"{p}NoteInterceptPopulationSampled", cols.intercept_population_sampled)
        if family is Family.GROUP:
            floats("modelingGroup", cols.group)
        if family is Family.MULTI_GROUP:
            floats("modelingMultiGroup", cols.group)
        if family is Family.TOPIC:
            has = cols.has_row
            out["noteTopic"] = pl.Series(
                "noteTopic",
                [
                    topic_names.get(int(t)) if h else None
                    for t, h in zip(cols.topic, has, strict=True)
                ],
                pl.Utf8,
            )
            out["topicNoteConfident"] = pl.Series(
                "topicNoteConfident",
                [bool(c) if h else None for c, h in zip(cols.topic_confident, has, strict=True)],
                pl.Boolean,
            )
    return out


def helpfulness_columns(
    result: RosterResult, modeling_group: NDArray[np.int64], n_participants: int
) -> dict[str, NDArray[np.float64]]:
    """Multi-model rater columns of ``helpfulness_scores`` (multimodel §9.2), per
    participant: each broad scorer's prescoring final-round rater params; the group params of
    the rater's enrolled group, ``modelingGroup`` (the enrolled group, for raters in that group
    model's prescoring output: none for groups without a model, such as 0) when a group scorer
    ran, ``modelingMultiGroup`` = 1 for raters in the multi-group scorer's prescoring output,
    and ``raterHelpfulnessReputation`` = the Reputation scorer's prescoring ρ_u. NaN where
    none."""
    nan = np.full(n_participants, np.nan)
    out: dict[str, NDArray[np.float64]] = {}
    broad = {
        Family.EXPANSION: "expansion",
        Family.EXPANSION_PLUS: "expansionPlus",
        Family.CORE_WITH_TOPICS: "coreWithTopics",
        Family.MULTI_GROUP: "multiGroup",
    }
    group_i, group_f, group_id = nan.copy(), nan.copy(), nan.copy()
    multi = nan.copy()
    any_group = False
    for run in result.runs.values():
        pre = run.prescoring
        if pre is None or run.spec.kind is not ScorerKind.MF:
            continue
        fam = run.spec.family
        intercept = pre.final_round.rater_intercepts
        factor = pre.final_round.rater_factors[:, 0]
        in_output = pre.helpfulness.has_row | np.isfinite(intercept)
        if fam in broad:
            out[f"{broad[fam]}RaterIntercept"] = intercept.copy()
            out[f"{broad[fam]}RaterFactor1"] = factor.copy()
        if fam is Family.MULTI_GROUP:
            members = in_output & run.inputs.in_scope
            multi[members] = 1.0
        if fam is Family.GROUP and run.spec.group is not None:
            any_group = True
            members = in_output & (modeling_group == run.spec.group)
            group_i[members] = intercept[members]
            group_f[members] = factor[members]
            group_id[members] = float(run.spec.group)
    for run in result.reputation_runs():
        assert run.reputation is not None
        state = run.reputation.prescoring.state
        out["raterHelpfulnessReputation"] = state.rater_reputations.copy()
    out["groupRaterIntercept"] = group_i
    out["groupRaterFactor1"] = group_f
    out["modelingMultiGroup"] = multi
    if any_group:  # else (the Core path) the caller writes the enrolled group
        out["modelingGroup"] = group_id
    return out
