"""The figures of `bridgewatch analyze`'s report for the live community, for the
transparency page: rendered server-side (inline PNG) from the live Core scores and ratings,
and kept until the scores or the ratings change.

The analysis (scikit-learn, matplotlib) is imported on first use, so the web app starts
without it.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from sqlalchemy.orm import Session

from bridgewatch.errors import BridgewatchError
from bridgewatch.store.repositories.community import (
    CommunityVersion,
    community_version,
    live_analysis_inputs,
)

__all__ = ["CommunityFigure", "CommunityFigures", "community_figures"]

_log = logging.getLogger(__name__)

# Bootstrap replicates of the polarization intervals on the page (the CLI's default is 200).
_PAGE_BOOTSTRAP = 50


@dataclass(frozen=True)
class CommunityFigure:
    """One figure: ``title``, ``caption`` and the PNG as base64 text."""

    key: str
    title: str
    caption: str
    png_base64: str


@dataclass(frozen=True)
class CommunityFigures:
    """The figures, what they were computed from, or why there are none.

    Parameters
    ----------
    figures : in the report's order; empty when ``missing`` says why.
    n_ratings, n_raters : ratings and scored raters analysed.
    missing : None, or a sentence for the page when there is nothing to show.
    """

    figures: tuple[CommunityFigure, ...]
    n_ratings: int
    n_raters: int
    missing: str | None = None


_lock = threading.Lock()
_cache: dict[str, tuple[CommunityVersion, CommunityFigures]] = {}


def _compute(session: Session) -> CommunityFigures:
    inputs = live_analysis_inputs(session)
    n_ratings = inputs.ratings.height
    scored = inputs.helpfulness_scores.filter(
        inputs.helpfulness_scores["coreRaterFactor1"].is_not_null()
    )
    if scored.height == 0 or n_ratings == 0:
        return CommunityFigures((), n_ratings, scored.height, "No full scoring run yet.")
    from bridgewatch.analysis.embeddings import (
        AnalysisConfig,
        PolarizationConfig,
        ScoreTables,
        analyze,
    )
    from bridgewatch.analysis.embeddings.load import rating_matrix_from_frame
    from bridgewatch.analysis.embeddings.report import report_figures

    try:
        analysis = analyze(
            ScoreTables(inputs.scored_notes, inputs.helpfulness_scores),
            rating_matrix_from_frame(inputs.ratings),
            AnalysisConfig(
                corating_queries=0, polarization=PolarizationConfig(n_boot=_PAGE_BOOTSTRAP)
            ),
        )
    except BridgewatchError as exc:
        _log.warning("no community analysis: %s", exc)
        return CommunityFigures((), n_ratings, scored.height, "Too little data to analyse yet.")
    figures = tuple(
        CommunityFigure(f.key, f.title, f.caption, f.png_base64) for f in report_figures(analysis)
    )
    return CommunityFigures(figures, n_ratings, scored.height)


def community_figures(session: Session) -> CommunityFigures:
    """The report's figures for the live community (cached per database until its scores or
    ratings change; one computation at a time)."""
    key = str(session.get_bind().engine.url)
    version = community_version(session)
    with _lock:
        hit = _cache.get(key)
        if hit is not None and hit[0] == version:
            return hit[1]
        figures = _compute(session)
        _cache[key] = (version, figures)
        _log.info("community analysis: %d figures for %s", len(figures.figures), version)
        return figures
