"""The "Needs your help" timeline: notes where this contributor's rating would tell the
scorer the most (an active-learning choice), each with the reasons it was picked.

A note's status comes from its intercept i_n once enough raters from both sides of the
viewpoint axis have rated it (scoring-core.md §6.2). A rating teaches most when

- the note has few ratings from the viewer's side of the axis (sign of f_u): bridging needs
  agreement across sides, so the missing side's view is what the model lacks;
- the note's pseudo-rater intercept bounds [i_min, i_max] straddle a status threshold
  (0.40 for Helpful, -0.05 - 0.8 |f_n| for Not Helpful): one more rating can tip it;
- the note is one rating short of the minimum needed for any status (5);
- the Core model already finds it helpful but holds it at ``NEEDS_YOUR_HELP`` because too
  few raters from the minority side of the axis rated it (the MinMinorityRaters rule).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from bridgewatch.scoring.status.config import StatusRulesConfig

__all__ = ["Candidate", "Suggestion", "rank_needs_help"]


@dataclass(frozen=True)
class Candidate:
    """A note the viewer may rate, with what the scorer knows about it.

    ``ratings_by_side`` counts its raters with factor < 0 and >= 0 (raters without a factor
    are not counted); ``intercept_min``/``max`` are the pseudo-rater bounds, if scored;
    ``core_status`` is the Core model's status from the last full run, if scored.
    """

    note_id: int
    n_ratings: int
    ratings_negative_side: int
    ratings_positive_side: int
    intercept: float | None
    factor: float | None
    intercept_min: float | None
    intercept_max: float | None
    created_at_ms: int
    core_status: str | None = None


@dataclass(frozen=True)
class Suggestion:
    """A note picked for the viewer: its score (higher first) and the reasons, in words."""

    note_id: int
    score: float
    reasons: tuple[str, ...]


def rank_needs_help(
    candidates: list[Candidate],
    *,
    viewer_factor: float | None,
    limit: int,
    config: StatusRulesConfig | None = None,
) -> list[Suggestion]:
    """Order candidate notes by how much the viewer's rating would inform their status.

    Parameters
    ----------
    candidates : notes needing more ratings that the viewer did not write or rate.
    viewer_factor : the viewer's rater factor f_u from the last run; ``None`` if unknown
        (then side balance is judged by the emptier side).
    limit : how many suggestions to return.
    config : status thresholds.

    Returns
    -------
    Up to ``limit`` suggestions, highest score first (ties: newer note first). Every
    suggestion has at least one reason.
    """
    cfg = config if config is not None else StatusRulesConfig()
    out: list[tuple[float, int, Suggestion]] = []
    for c in candidates:
        score = 0.0
        reasons: list[str] = []
        if viewer_factor is None:
            mine = min(c.ratings_negative_side, c.ratings_positive_side)
            side = "one side of the viewpoint axis"
        elif viewer_factor < 0:
            mine = c.ratings_negative_side
            side = "your side of the viewpoint axis"
        else:
            mine = c.ratings_positive_side
            side = "your side of the viewpoint axis"
        other = c.ratings_negative_side + c.ratings_positive_side - mine
        if mine < other or mine < 2:
            score += 2.0 / (1.0 + mine)
            reasons.append(f"Only {mine} rating{'s' if mine != 1 else ''} from {side} so far.")
        lo, hi = c.intercept_min, c.intercept_max
        if lo is not None and hi is not None and c.n_ratings >= cfg.min_ratings_to_get_rating:
            crnh_line = cfg.crnh_intercept + cfg.crnh_factor_multiplier * abs(c.factor or 0.0)
            if lo < cfg.crh_threshold <= hi:
                score += 1.5
                reasons.append(
                    f"Its helpfulness range ({lo:.2f} to {hi:.2f}) straddles the Helpful "
                    f"threshold {cfg.crh_threshold:.2f}."
                )
            if lo <= crnh_line < hi:
                score += 1.0
                reasons.append(
                    f"Its helpfulness range ({lo:.2f} to {hi:.2f}) straddles the Not "
                    f"Helpful threshold {crnh_line:.2f}."
                )
        if c.core_status == "NEEDS_YOUR_HELP":
            score += 2.0
            reasons.append(
                "Raters so far find it helpful, but it needs more raters from the side of the "
                "viewpoint axis that rated it least before it can be shown."
            )
        missing = cfg.min_ratings_to_get_rating - c.n_ratings
        if missing == 1:
            score += 1.5
            reasons.append("One more rating lets the scorer decide a status.")
        elif missing > 1:
            score += 0.5
            reasons.append(f"It needs {missing} more ratings before any status.")
        if not reasons:
            score += 0.1 / (1.0 + math.log1p(c.n_ratings))
            reasons.append("Still needs more ratings.")
        out.append((score, c.created_at_ms, Suggestion(c.note_id, score, tuple(reasons))))
    out.sort(key=lambda t: (-t[0], -t[1], t[2].note_id))
    return [s for _, _, s in out[:limit]]
