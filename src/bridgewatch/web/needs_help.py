"""The "Needs your help" timeline: notes where this contributor's rating would tell the
scorer the most (an active-learning choice), each with the reasons it was picked.

A note's status comes from its intercept i_n once enough raters from both sides of the
viewpoint axis have rated it (scoring-core.md §6.2). A rating teaches most when

- the note has few ratings from the viewer's side of the axis (sign of f_u): bridging needs
  agreement across sides, so the missing side's view is what the model lacks;
- the note's pseudo-rater intercept bounds [i_min, i_max] straddle a status threshold
  (0.40 for Helpful, -0.05 - 0.8 |f_n| for Not Helpful): one more rating can tip it;
- the note is short of the minimum needed for any status (5 ratings; necessary, never
  sufficient: the scorer also needs raters it has placed on the axis);
- the Core model already finds it helpful but holds it at ``NEEDS_YOUR_HELP`` because too
  few raters from the minority side of the axis rated it (the MinMinorityRaters rule).

Each reason states the figure it rests on and promises nothing the rules do not: no single
rating is said to decide a status. A viewer the last full run has not placed on the axis
(no factor yet) gets the same notes for general reasons (the sides' counts), not "your side".
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from bridgewatch.scoring.status.config import StatusRulesConfig
from bridgewatch.store.repositories.pages import Candidate

__all__ = ["Candidate", "Suggestion", "rank_needs_help"]


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
        (then side balance is judged by the emptier side, and said in general terms).
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
        neg, pos = c.ratings_negative_side, c.ratings_positive_side
        placed = neg + pos
        if viewer_factor is not None:
            mine = neg if viewer_factor < 0 else pos
            other = placed - mine
            if mine < other or mine < 2:
                score += 2.0 / (1.0 + mine)
                reasons.append(
                    f"{_count(mine, 'rating')} from your side of the viewpoint axis so far, "
                    f"{other} from the other side: it is shown only if both sides find it "
                    "helpful."
                )
        elif placed == 0:
            score += 1.0
            reasons.append(
                "None of its raters has a place on the viewpoint axis yet, so the scorer "
                "cannot tell yet whether people who usually disagree agree on it."
            )
        elif min(neg, pos) < 2 or max(neg, pos) >= 2 * min(neg, pos):
            score += 2.0 / (1.0 + min(neg, pos))
            reasons.append(
                f"More of its ratings come from one side of the viewpoint axis than the other "
                f"({max(neg, pos)} against {min(neg, pos)}): it is shown only if both sides "
                "find it helpful."
            )
        lo, hi, i_n = c.intercept_min, c.intercept_max, c.intercept
        if lo is not None and hi is not None and c.n_ratings >= cfg.min_ratings_to_get_rating:
            current = lo if i_n is None else i_n
            crnh_line = cfg.crnh_intercept + cfg.crnh_factor_multiplier * abs(c.factor or 0.0)
            if lo < cfg.crh_threshold <= hi:
                score += 1.5
                reasons.append(
                    f"Its helpfulness score is {current:.2f}, close to the {cfg.crh_threshold:.2f} "
                    f"needed to be shown: in the scorer's own estimate, helpful ratings from "
                    f"hard-to-please raters could lift it to {hi:.2f}."
                )
            if lo <= crnh_line < hi:
                score += 1.0
                reasons.append(
                    f"Its helpfulness score is {current:.2f}, close to the Not helpful line "
                    f"{crnh_line:.2f}: more ratings show which side of it the note is on."
                )
        if c.core_status == "NEEDS_YOUR_HELP":
            score += 2.0
            reasons.append(
                "Raters so far find it helpful, but it is shown only when, on each side of "
                f"the viewpoint axis, Yes answers outnumber No answers by at least "
                f"{cfg.min_net_helpful}: now by {c.net_negative_side} on one side and "
                f"{c.net_positive_side} on the other."
            )
        missing = cfg.min_ratings_to_get_rating - c.n_ratings
        if missing > 0:
            score += 1.5 if missing == 1 else 0.5
            reasons.append(
                f"It has {_count(c.n_ratings, 'rating')}; the scorer gives no status before "
                f"{cfg.min_ratings_to_get_rating} (and more may be needed)."
            )
        if not reasons:
            score += 0.1 / (1.0 + math.log1p(c.n_ratings))
            reasons.append(
                f"The scorer has not decided on it yet ({_count(c.n_ratings, 'rating')} so far)."
            )
        out.append((score, c.created_at_ms, Suggestion(c.note_id, score, tuple(reasons))))
    out.sort(key=lambda t: (-t[0], -t[1], t[2].note_id))
    return [s for _, _, s in out[:limit]]


def _count(n: int, word: str) -> str:
    return f"{'No' if n == 0 else n} {word}{'' if n == 1 else 's'}"
