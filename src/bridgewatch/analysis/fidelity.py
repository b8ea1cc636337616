"""Agreement of our scored notes with the reference scorer's (fidelity checks, scripts).

Compares two ``scored_notes`` frames note by note: the confusion matrix of
``finalRatingStatus``, the Jaccard index of the CURRENTLY_RATED_HELPFUL sets, and the Pearson
correlation of ``coreNoteIntercept``, restricted to notes the reference decided on the Core path.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
from numpy.typing import NDArray

__all__ = [
    "CORE_PATH_RULES",
    "SCORER_FAMILIES",
    "FidelityReport",
    "agreement_by_decided_by",
    "compare_scored_notes",
    "compare_scorer_columns",
]

# Meta rules of the Core path (scoring-core.md §9.1); other decidedBy values come from scorers
# this project does not implement.
CORE_PATH_RULES: tuple[str, ...] = (
    "MetaInitialNMR",
    "CoreModel",
    "PopulationSampledIntercept",
    "NmrDueToMinStableCrhTime",
    "ScoringDriftGuard",
    "InsufficientExplanation",
)

_CRH = "CURRENTLY_RATED_HELPFUL"


@dataclass(frozen=True)
class FidelityReport:
    """Agreement over the notes whose reference ``decidedBy`` is a Core-path rule.

    Attributes
    ----------
    n_notes : notes compared.
    status_agreement : share of those notes with the same ``finalRatingStatus``.
    crh_jaccard : |ours ∩ ref| / |ours ∪ ref| of the CRH sets (1.0 when both are empty).
    n_crh_ours, n_crh_reference, n_crh_both : sizes of the CRH sets and their intersection.
    intercept_correlation : Pearson r of ``coreNoteIntercept`` where both are finite (NaN if
        fewer than two such notes).
    n_intercepts : notes with both intercepts finite.
    confusion : frame with columns reference, ours, count (one row per pair seen).
    differing : the differing notes: noteId, reference and our status, both intercepts.
    """

    n_notes: int
    status_agreement: float
    crh_jaccard: float
    n_crh_ours: int
    n_crh_reference: int
    n_crh_both: int
    intercept_correlation: float
    n_intercepts: int
    confusion: pl.DataFrame
    differing: pl.DataFrame


def _rule_name(expr: pl.Expr) -> pl.Expr:
    """``CoreModel (v1.1)`` -> ``CoreModel``."""
    return expr.cast(pl.Utf8).str.replace(r"\s*\(v[0-9.]+\)$", "")


def compare_scored_notes(
    ours: pl.DataFrame,
    reference: pl.DataFrame,
    rules: tuple[str, ...] | None = CORE_PATH_RULES,
) -> FidelityReport:
    """Compare our ``scored_notes`` with the reference's over the notes whose reference
    ``decidedBy`` is one of ``rules`` (default the Core path; None: every note).

    Parameters
    ----------
    ours, reference : frames with at least ``noteId``, ``finalRatingStatus`` and
        ``coreNoteIntercept``; ``reference`` also needs ``decidedBy``. ``noteId`` is compared
        as text. Notes of the reference missing from ``ours`` count as disagreements.

    Returns
    -------
    FidelityReport
    """
    ref = reference.select(
        pl.col("noteId").cast(pl.Utf8),
        pl.col("finalRatingStatus").cast(pl.Utf8).alias("reference"),
        pl.col("coreNoteIntercept").cast(pl.Float64).alias("referenceIntercept"),
        _rule_name(pl.col("decidedBy")).alias("decidedBy"),
    )
    if rules is not None:
        ref = ref.filter(pl.col("decidedBy").is_in(rules))
    mine = ours.select(
        pl.col("noteId").cast(pl.Utf8),
        pl.col("finalRatingStatus").cast(pl.Utf8).alias("ours"),
        pl.col("coreNoteIntercept").cast(pl.Float64).alias("ourIntercept"),
    )
    joined = ref.join(mine, on="noteId", how="left").with_columns(
        pl.col("ours").fill_null("MISSING")
    )
    n = joined.height
    same = joined.filter(pl.col("reference") == pl.col("ours")).height
    crh_ref = joined.filter(pl.col("reference") == _CRH).height
    crh_ours = joined.filter(pl.col("ours") == _CRH).height
    crh_both = joined.filter((pl.col("reference") == _CRH) & (pl.col("ours") == _CRH)).height
    union = crh_ref + crh_ours - crh_both
    both = joined.filter(
        pl.col("referenceIntercept").is_not_nan()
        & pl.col("ourIntercept").is_not_nan()
        & pl.col("referenceIntercept").is_not_null()
        & pl.col("ourIntercept").is_not_null()
    )
    if both.height >= 2:
        corr = float(
            np.corrcoef(both["referenceIntercept"].to_numpy(), both["ourIntercept"].to_numpy())[
                0, 1
            ]
        )
    else:
        corr = float("nan")
    confusion = joined.group_by("reference", "ours").len(name="count").sort("reference", "ours")
    differing = joined.filter(pl.col("reference") != pl.col("ours")).sort("noteId")
    return FidelityReport(
        n_notes=n,
        status_agreement=same / n if n else 1.0,
        crh_jaccard=crh_both / union if union else 1.0,
        n_crh_ours=crh_ours,
        n_crh_reference=crh_ref,
        n_crh_both=crh_both,
        intercept_correlation=corr,
        n_intercepts=both.height,
        confusion=confusion,
        differing=differing,
    )


# Column families of the scorers (scoring-multimodel.md §9.1): prefix of each family's
# ``…RatingStatus`` / ``…NoteIntercept`` columns.
SCORER_FAMILIES: tuple[str, ...] = (
    "core",
    "coreWithTopics",
    "expansion",
    "expansionPlus",
    "group",
    "multiGroup",
    "topic",
    "gaussian",
    "gaussianCoreWithTopics",
    "coverage",
)


def _pearson(a: NDArray[np.float64], b: NDArray[np.float64]) -> float:
    ok = np.isfinite(a) & np.isfinite(b)
    if ok.sum() < 2 or np.std(a[ok]) == 0 or np.std(b[ok]) == 0:
        return float("nan")
    return float(np.corrcoef(a[ok], b[ok])[0, 1])


def compare_scorer_columns(ours: pl.DataFrame, reference: pl.DataFrame) -> pl.DataFrame:
    """Each scorer family's own status and intercept against the reference's.

    Returns one row per family of ``SCORER_FAMILIES``: ``family``, ``both`` (notes where both
    have a status), ``reference_only``, ``ours_only``, ``agreement`` (same status among
    ``both``) and ``intercept_r`` (Pearson r of the note intercepts where both are finite).
    """
    rows = []
    for family in SCORER_FAMILIES:
        status, intercept = f"{family}RatingStatus", f"{family}NoteIntercept"
        if status not in reference.columns or status not in ours.columns:
            continue
        ref = reference.select(
            pl.col("noteId").cast(pl.Utf8),
            pl.col(status).cast(pl.Utf8).alias("r"),
            pl.col(intercept).cast(pl.Float64, strict=False).alias("ri"),
        )
        mine = ours.select(
            pl.col("noteId").cast(pl.Utf8),
            pl.col(status).cast(pl.Utf8).alias("o"),
            pl.col(intercept).cast(pl.Float64, strict=False).alias("oi"),
        )
        j = ref.join(mine, on="noteId", how="full", coalesce=True)
        both = j.filter(pl.col("r").is_not_null() & pl.col("o").is_not_null())
        rows.append(
            {
                "family": family,
                "both": both.height,
                "reference_only": j.filter(
                    pl.col("r").is_not_null() & pl.col("o").is_null()
                ).height,
                "ours_only": j.filter(pl.col("r").is_null() & pl.col("o").is_not_null()).height,
                "agreement": (
                    float(np.mean((both["r"] == both["o"]).to_numpy()))
                    if both.height
                    else float("nan")
                ),
                "intercept_r": _pearson(
                    both["ri"].fill_null(np.nan).to_numpy(), both["oi"].fill_null(np.nan).to_numpy()
                ),
            }
        )
    return pl.DataFrame(rows)


def agreement_by_decided_by(ours: pl.DataFrame, reference: pl.DataFrame) -> pl.DataFrame:
    """Final-status agreement per reference ``decidedBy`` rule: ``decidedBy``, ``notes``,
    ``agreement``, and how many of those notes ours decided by the same rule (``same_rule``)."""
    ref = reference.select(
        pl.col("noteId").cast(pl.Utf8),
        pl.col("finalRatingStatus").cast(pl.Utf8).alias("r"),
        _rule_name(pl.col("decidedBy")).alias("decidedBy"),
    )
    mine = ours.select(
        pl.col("noteId").cast(pl.Utf8),
        pl.col("finalRatingStatus").cast(pl.Utf8).alias("o"),
        _rule_name(pl.col("decidedBy")).alias("oursBy"),
    )
    return (
        ref.join(mine, on="noteId", how="left")
        .group_by("decidedBy")
        .agg(
            pl.len().alias("notes"),
            (pl.col("r") == pl.col("o")).mean().alias("agreement"),
            (pl.col("decidedBy") == pl.col("oursBy")).sum().alias("same_rule"),
        )
        .sort("notes", descending=True)
    )
