"""Per-note explanations: which rule decided a note's status and the figures behind it.

``build_note_explanations`` turns a run's rule traces into a table written beside the output
files; ``render_note_explanation`` turns one row of it back into text for
``bridgewatch explain``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import polars as pl
from numpy.typing import NDArray

from bridgewatch.scoring.history import status_names
from bridgewatch.scoring.meta import MetaResult
from bridgewatch.scoring.outputs import CoreNoteScores
from bridgewatch.scoring.status import CoreRulesResult

__all__ = [
    "EXPLANATION_COLUMNS",
    "build_note_explanations",
    "render_note_explanation",
    "render_scorer_rules",
]

EXPLANATION_COLUMNS: tuple[str, ...] = (
    "noteId",
    "finalRatingStatus",
    "decidedBy",
    "metaScorerActiveRules",
    "coreRatingStatus",
    "coreActiveRules",
    "preStabilizationRatingStatus",
    "unlockedRatingStatus",
    "previousStatus",
    "lockedStatus",
    "timestampMillisOfNmrDueToMinStableCrhTime",
    "coreNoteIntercept",
    "coreNoteFactor1",
    "coreNoteInterceptMax",
    "coreNoteInterceptNoHighVol",
    "coreNoteInterceptNoCorrelated",
    "coreNoteInterceptPopulationSampled",
    "numRatings",
    "asOfMillis",
)


def build_note_explanations(
    *,
    note_ids: NDArray[np.str_],
    rules: CoreRulesResult,
    meta: MetaResult,
    core: CoreNoteScores,
    num_ratings: NDArray[np.int64],
    previous_status: NDArray[np.int8],
    locked_status: NDArray[np.int8],
    as_of_ms: int,
) -> pl.DataFrame:
    """One row per note with the meta decision, the Core decision and their figures.

    The per-rule figures of the Core table are stored separately (``trace_store``).

    Parameters
    ----------
    note_ids : str array of shape (n_notes,)
    rules : the final Core rule outcome.
    meta : MetaResult
    core : CoreNoteScores, the Core intercepts written to ``scored_notes``.
    num_ratings : int64 array of shape (n_notes,), post-PSS ratings per note.
    previous_status, locked_status : int8 arrays of shape (n_notes,), from the input NSH.
    as_of_ms : the run's "now", ms since the epoch.

    Returns
    -------
    polars.DataFrame with ``EXPLANATION_COLUMNS``.
    """
    n = note_ids.shape[0]
    return pl.DataFrame(
        {
            "noteId": note_ids.tolist(),
            "finalRatingStatus": status_names(meta.final_status),
            "decidedBy": meta.decided_by_labels().tolist(),
            "metaScorerActiveRules": meta.active_rules_labels(),
            "coreRatingStatus": status_names(rules.status),
            "coreActiveRules": rules.active_rules_labels(),
            "preStabilizationRatingStatus": status_names(meta.pre_stabilization_status),
            "unlockedRatingStatus": status_names(meta.unlocked_status),
            "previousStatus": status_names(previous_status),
            "lockedStatus": status_names(locked_status),
            "timestampMillisOfNmrDueToMinStableCrhTime": meta.stabilization_ts,
            "coreNoteIntercept": core.intercept,
            "coreNoteFactor1": core.factor,
            "coreNoteInterceptMax": core.intercept_max,
            "coreNoteInterceptNoHighVol": core.intercept_no_high_vol,
            "coreNoteInterceptNoCorrelated": core.intercept_no_correlated,
            "coreNoteInterceptPopulationSampled": core.intercept_population_sampled,
            "numRatings": num_ratings,
            "asOfMillis": np.full(n, as_of_ms, dtype=np.int64),
        },
        schema_overrides={"lockedStatus": pl.String, "unlockedRatingStatus": pl.String},
    ).select(EXPLANATION_COLUMNS)


def _num(value: object) -> str:
    if value is None:
        return "none"
    v = float(value)  # type: ignore[arg-type]
    return "none" if np.isnan(v) else f"{v:.4f}"


def _meta_reason(row: Mapping[str, object]) -> str:
    """Why the deciding meta rule acted, from the figures of the row."""
    decided = str(row["decidedBy"] or "")
    core = row["coreRatingStatus"]
    if decided.startswith("CoreModel"):
        return f"the Core scorer's status {core} was copied (FIRM_REJECT is exported as NMR)"
    if decided.startswith("PopulationSampledIntercept"):
        return (
            f"Core said CRH but the population-sampled intercept "
            f"{_num(row['coreNoteInterceptPopulationSampled'])} is below 0.30 and "
            f"{_num(row['coreNoteIntercept'])} - it >= 0.15"
        )
    if decided.startswith("NmrDueToMinStableCrhTime"):
        ts = row["timestampMillisOfNmrDueToMinStableCrhTime"]
        held = ""
        if ts is not None and float(ts) > 0:  # type: ignore[arg-type]
            minutes = (float(row["asOfMillis"]) - float(ts)) / 60_000.0  # type: ignore[arg-type]
            held = f", in stabilization for {minutes:.0f} min"
        return (
            f"status before stabilization was {row['preStabilizationRatingStatus']}; the "
            f"previous status was {row['previousStatus']}{held}: a new CRH waits 30-60 min"
        )
    if decided.startswith("ScoringDriftGuard"):
        return (
            f"the note is locked at {row['lockedStatus']}; the unlocked status would be "
            f"{row['unlockedRatingStatus']}"
        )
    if decided.startswith("InsufficientExplanation"):
        return "fewer than 2 explanation tags were used by at least 2 raters each"
    if decided.startswith("MetaInitialNMR"):
        return "no scorer gave the note a status (no Core row: no scoped ratings or a topic)"
    name = decided.split(" (")[0]
    return _OTHER_RULES.get(name, _group_or_topic_reason(name))


# What the meta rules of the other scorers do (scoring-multimodel.md §10.3).
_OTHER_RULES: dict[str, str] = {
    "ExpansionPlusModel": "the ExpansionPlus scorer's status was copied (no broader scorer "
    "captured the note)",
    "ExpansionModel": "the Expansion scorer's status was copied (Core and CoreWithTopics did "
    "not capture the note)",
    "CoreWithTopicsModel": "the CoreWithTopics scorer's status was copied (a topic note, "
    "which Core leaves out)",
    "MultiGroupModel01": "the multi-group scorer's status replaced the others' (at least 80% "
    "of the note's ratings come from its groups)",
    "GaussianModel": "the Gaussian scorer filled in a status the MF scorers left open "
    "(NMR or NEEDS_YOUR_HELP)",
    "GaussianCoreWithTopicsModel": "the Gaussian CoreWithTopics scorer filled in a status "
    "the MF scorers left open",
}


def _group_or_topic_reason(name: str) -> str:
    if name.startswith("GroupModel") and name.endswith("NMR"):
        return (
            f"{name}: the note's own modeling group did not find it helpful, so a helpful "
            "label from a broader scorer was demoted to NMR"
        )
    if name.startswith("GroupModel"):
        return (
            f"{name}: the note's modeling group rated it helpful and the broader scorer's "
            "intercept was within the safeguard, so its status was promoted"
        )
    if name.startswith("TopicModel"):
        return (
            f"{name}: the topic scorer was confident the note does not bridge its topic's "
            "viewpoints (low intercept or large factor), so a helpful label was demoted to NMR"
        )
    return "decided by another scorer"


def render_scorer_rules(name: str, rules: CoreRulesResult) -> str:
    """The status, intercept, factor and rule trace of one note (row 0 of ``rules``) under
    one scorer, for ``bridgewatch explain``."""
    status = status_names(rules.status)[0]
    lines = [
        f"{name}: {status}, intercept {_num(rules.inputs.intercept[0])}, factor "
        f"{_num(rules.inputs.factor[0])}"
    ]
    lines.extend(f"  {line}" for line in rules.explain(0))
    return "\n".join(lines)


def render_note_explanation(
    row: Mapping[str, object], core_rules: Sequence[str] | None = None
) -> str:
    """Text for ``bridgewatch explain``: the final status, the deciding rule, the figures.

    Parameters
    ----------
    row : one row of the table of ``build_note_explanations`` (column name -> value).
    core_rules : the note's Core rule trace (``CoreRulesResult.explain``), if it has one.

    Returns
    -------
    str, several lines.
    """
    lines = [
        f"note {row['noteId']}: {row['finalRatingStatus']}",
        f"decided by {row['decidedBy']}: {_meta_reason(row)}",
        f"meta rules that acted: {row['metaScorerActiveRules']}",
        f"Core intercept {_num(row['coreNoteIntercept'])}, factor "
        f"{_num(row['coreNoteFactor1'])}, upper bound {_num(row['coreNoteInterceptMax'])}, "
        f"numRatings {row['numRatings']}",
        f"auxiliary intercepts: no high-volume {_num(row['coreNoteInterceptNoHighVol'])}, "
        f"no correlated {_num(row['coreNoteInterceptNoCorrelated'])}, population-sampled "
        f"{_num(row['coreNoteInterceptPopulationSampled'])}",
    ]
    if core_rules:
        lines.append("Core rules:")
        lines.extend(f"  {line}" for line in core_rules)
    else:
        lines.append("Core rules: the note has no Core row")
    return "\n".join(lines)
