"""Every scorer's view of a note, as the note details show it (which scorer decided, why).

One JSON document per note, stored in ``note_scores.scorer_views`` by refits and by the
worker's passes: the meta chain's deciding rule and active rules, each scorer that has a row
for the note (its status, intercept, factor and active rules, and whether its figures are
held at the last refit), and every non-Core ``scored_notes`` column of the note.
"""

from __future__ import annotations

import json
import math
from dataclasses import fields
from typing import Any

import numpy as np
import polars as pl
from numpy.typing import NDArray

from bridgewatch.scoring.config import ScoringConfig
from bridgewatch.scoring.history import status_names
from bridgewatch.scoring.meta import MetaResult
from bridgewatch.scoring.run import topic_names
from bridgewatch.scoring.scorers import RosterResult, scored_note_columns
from bridgewatch.scoring.scorers.columns import FamilyColumns
from bridgewatch.scoring.scorers.spec import Family
from bridgewatch.scoring.status import CORE_RULE_NAMES, labels_from_bitmask

__all__ = ["note_views"]


# Notes described at once (see ``note_views``).
_CHUNK = 2048


def _num(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def note_views(
    runs: RosterResult,
    families: dict[Family, FamilyColumns],
    meta: MetaResult,
    rows: NDArray[np.int64],
    config: ScoringConfig,
    *,
    held: dict[str, str] | None = None,
) -> list[str]:
    """The JSON view of each note at ``rows`` (positions in the run's note index).

    Parameters
    ----------
    runs : the roster's runs (batch or live), note arrays over the run's notes.
    families : ``family_columns`` of the runs (the Reputation scorer's included).
    meta : the meta chain's result.
    rows : int64 positions of the notes to describe.
    config : the run's config (topic names).
    held : scorer name -> why its figures are held at the last refit.

    Returns
    -------
    One JSON string per row.
    """
    if rows.shape[0] == 0:
        return []
    if rows.shape[0] > _CHUNK:
        # The documents of a block of notes are built at once (a dict per note and scorer):
        # after a refit every note is described, so the blocks bound that transient memory.
        return [
            doc
            for start in range(0, rows.shape[0], _CHUNK)
            for doc in note_views(
                runs, families, meta, rows[start : start + _CHUNK], config, held=held
            )
        ]
    held = held or {}
    decided = np.asarray(meta.rule_names)[meta.decided_by[rows]].tolist()
    meta_rules = labels_from_bitmask(meta.active_rules[rows], meta.rule_names)
    per_note: list[list[dict[str, Any]]] = [[] for _ in range(rows.shape[0])]
    for run in runs.runs.values():
        final = run.final
        if final is None:
            continue
        has = final.scored[rows]
        if not has.any():
            continue
        at = rows[has]
        statuses = status_names(final.rules.status[at])
        labels = labels_from_bitmask(final.rules.active_rules[at], CORE_RULE_NAMES)
        intercepts = _values(final.main.intercept[at])  # (NaN -> None per column)
        factors = _values(final.main.factor[at])
        # (Read once per scorer: an enum's ``value`` costs a descriptor call per access.)
        name, family, why = run.spec.name, run.spec.family.value, held.get(run.spec.name)
        for k, pos in enumerate(np.flatnonzero(has).tolist()):
            per_note[pos].append(
                {
                    "scorer": name,
                    "family": family,
                    "status": statuses[k],
                    "intercept": intercepts[k],
                    "factor": factors[k],
                    "activeRules": labels[k] or None,
                    "held": why,
                }
            )
    coverage = families.get(Family.COVERAGE)
    if coverage is not None:
        names = coverage.scorer[rows].tolist()
        statuses = status_names(coverage.status[rows])
        for k, name in enumerate(names):
            if name:
                per_note[k].append(
                    {
                        "scorer": str(name),
                        "family": Family.COVERAGE.value,
                        "status": statuses[k],
                        "intercept": _num(float(coverage.intercept[rows[k]])),
                        "factor": _num(float(coverage.factor[rows[k]])),
                        "activeRules": None,
                        "held": held.get(str(name)),
                    }
                )
    # Only the rows described: the columns of every note would cost a pass more than its fits.
    columns = scored_note_columns(
        {family: _rows(cols, rows) for family, cols in families.items()}, topic_names(config)
    )
    names = list(columns)
    # Column-wise (NaN -> None per column), then one row of values per note.
    by_note = list(zip(*(_values(columns[name]) for name in names), strict=True))
    out = []
    for k in range(rows.shape[0]):
        doc = {
            "decidedBy": decided[k],
            "metaActiveRules": meta_rules[k] or None,
            "scorers": per_note[k],
            "columns": dict(zip(names, by_note[k], strict=True)) if names else {},
        }
        out.append(_ENCODER.encode(doc))
    return out


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        v = value.item()
        return None if isinstance(v, float) and not math.isfinite(v) else v
    raise TypeError(f"not JSON: {type(value)}")


# ``json.dumps(doc, allow_nan=False, default=_plain)``'s encoder, made once: a pass encodes
# ~500 documents of ~6 KB. The documents are trees of fresh dicts and lists (no cycles), so
# the cycle check is skipped: the same text, ~9% faster.
_ENCODER = json.JSONEncoder(allow_nan=False, default=_plain, check_circular=False)


def _rows(columns: FamilyColumns, rows: NDArray[np.int64]) -> FamilyColumns:
    """``columns`` restricted to ``rows``."""
    taken: dict[str, Any] = {
        f.name: (
            [getattr(columns, f.name)[i] for i in rows.tolist()]
            if isinstance(getattr(columns, f.name), list)
            else getattr(columns, f.name)[rows]
        )
        for f in fields(columns)
    }
    return FamilyColumns(**taken)


def _clean(values: list[Any]) -> list[Any]:
    """``values`` with every non-finite float replaced by None (``_num`` of each)."""
    if any(isinstance(v, float) and not math.isfinite(v) for v in values):
        return [_num(v) for v in values]
    return values


def _values(values: pl.Series | list[object] | NDArray[np.generic]) -> list[Any]:
    """A column's values as Python objects, every non-finite float as None (``_clean``),
    with the float test made on the whole column where its type allows."""
    if isinstance(values, pl.Series):
        if values.dtype.is_float():
            if bool((~values.is_finite()).any()):
                return [_num(v) for v in values.to_list()]
            return values.to_list()
        if values.dtype.is_numeric() or values.dtype == pl.String:
            return values.to_list()
        return _clean(values.to_list())
    if isinstance(values, np.ndarray):
        if values.dtype.kind == "f":
            if not bool(np.isfinite(values).all()):
                return [_num(v) for v in values.tolist()]
            return values.tolist()  # type: ignore[no-any-return]
        if values.dtype.kind in "biu":
            return values.tolist()  # type: ignore[no-any-return]
        return _clean(values.tolist())
    return _clean(list(values))
