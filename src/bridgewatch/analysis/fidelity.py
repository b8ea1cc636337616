"""Agreement of our scored notes with the reference scorer's (fidelity checks, scripts).

Compares two ``scored_notes`` frames note by note: the confusion matrix of
``finalRatingStatus``, the Jaccard index of the CURRENTLY_RATED_HELPFUL sets, and the Pearson
correlation of ``coreNoteIntercept``, restricted to notes the reference decided on the Core path.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

__all__ = ["CORE_PATH_RULES", "FidelityReport", "compare_scored_notes"]

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


def compare_scored_notes(ours: pl.DataFrame, reference: pl.DataFrame) -> FidelityReport:
    """Compare our ``scored_notes`` with the reference's over the reference's Core-path notes.

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
    ).filter(pl.col("decidedBy").is_in(CORE_PATH_RULES))
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
