"""Human-readable rule trace of one note: each Core rule's figures against its thresholds."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from bridgewatch.model import NoteStatus
from bridgewatch.model.columns import NOT_HELPFUL_TAGS

if TYPE_CHECKING:
    from bridgewatch.scoring.status.rules import CoreRulesResult

__all__ = ["explain_core_rules"]


def _f(x: object) -> str:
    v = float(x)  # type: ignore[arg-type]
    return "NaN" if np.isnan(v) else f"{v:.4f}"


def _status(code: int) -> str:
    return "none" if code < 0 else NoteStatus(code).name


def explain_core_rules(result: CoreRulesResult, note: int) -> list[str]:
    """One line per rule of §6.2 for ``note``: fired or not, with the figures it compared.

    Parameters
    ----------
    result : CoreRulesResult
    note : int
        Row index of the note.

    Returns
    -------
    list of str
        The first line states the final Core status and the rule that decided it.
    """
    from bridgewatch.scoring.status.rules import CORE_RULE_NAMES

    inp, cfg = result.inputs, result.config
    if not inp.scored[note]:
        return ["not scored (no row: no scoped ratings or below the capture share)"]
    fired = int(result.active_rules[note])
    decided = int(result.decided_by[note])
    i_n, f_n = float(inp.intercept[note]), float(inp.factor[note])
    num = int(inp.num_ratings[note])
    lines = [
        f"status {_status(int(result.status[note]))}, decided by {CORE_RULE_NAMES[decided]}",
    ]
    figures: dict[int, str] = {
        0: "every note starts NMR",
        1: f"numRatings={num} (min {cfg.min_ratings_to_get_rating}), "
        f"i_n={_f(i_n)} >= {cfg.crh_threshold}, classification={int(inp.classification[note])}",
        2: f"numRatings={num}, i_n={_f(i_n)} <= bound {_f(result.crnh_bound[note])}",
        3: "i_n_max="
        + (_f(inp.intercept_max[note]) if inp.intercept_max is not None else "NaN")
        + f" < {cfg.crnh_ucb_threshold}",
        5: f"NOT_MISLEADING and i_n={_f(i_n)} < {cfg.nm_crnh_threshold}",
        11: f"i_n={_f(i_n)} < {cfg.firm_reject_threshold}",
        10: f"|f_n|={_f(abs(f_n))} > {cfg.large_factor_threshold}",
    }
    if result.final_round:
        s = inp.signs
        if s is not None:
            figures[4] = (
                f"minSignCount={int(s.min_sign_count[note])} (min {cfg.ratio_crnh_min_sign_count}),"
                f" negMean={_f(s.neg_mean_helpful[note])}, posMean={_f(s.pos_mean_helpful[note])}"
                f" (max {cfg.ratio_crnh_max_side_mean}, avg max {cfg.ratio_crnh_max_average_mean})"
            )
            net = (
                f"net helpful neg={int(s.net_neg[note])} pos={int(s.net_pos[note])} "
                f"-> netMin={int(s.net_min_helpful[note])}, "
                f"ratio={_f(s.net_min_helpful_ratio[note])}"
            )
            figures[12] = f"{net} (min {cfg.min_net_helpful})"
            figures[13] = (
                f"{net} (balance range [{cfg.min_net_helpful}, {cfg.net_helpful_balance_upper}),"
                f" min ratio {cfg.min_net_helpful_ratio})"
            )
        prev = inp.previous_status
        figures[6] = (
            f"i_n={_f(i_n)} >= {cfg.crh_threshold - cfg.crh_inertia_delta:.2f}, previous "
            f"status {_status(int(prev[note])) if prev is not None else 'none'}"
        )
        if note in set(result.inertia_conflicts.tolist()):
            figures[6] += " (skipped: i_n above the CRH threshold, reference would abort)"
        if inp.tags is not None and inp.tag_thresholds is not None:
            parts = [
                f"{NOT_HELPFUL_TAGS[k]} {_f(inp.tags.adjusted[note, k])}/"
                f"{_f(inp.tags.adjusted_ratio[note, k])} vs {_f(inp.tag_thresholds[k])}"
                for k in range(len(NOT_HELPFUL_TAGS))
                if (int(result.filter_tags[note]) >> k) & 1
            ]
            figures[7] = "triggered by " + ", ".join(parts) if parts else "no tag over threshold"
        if inp.incorrect is not None:
            inc = inp.incorrect
            figures[8] = (
                f"incorrect={_f(inc.incorrect[note])} (min {cfg.incorrect_min_tags}), "
                f"voters={_f(inc.num_voters[note])} (min {cfg.incorrect_min_voters}), "
                f"tf-idf={_f(inc.tf_idf[note])} (min {cfg.incorrect_min_tf_idf})"
            )
        if inp.low_diligence_intercept is not None:
            figures[9] = (
                f"lowDiligenceIntercept={_f(inp.low_diligence_intercept[note])} "
                f"> {cfg.low_diligence_threshold}"
            )
        if inp.intercept_no_high_vol is not None:
            figures[14] = (
                f"i_n(NoHighVol)={_f(inp.intercept_no_high_vol[note])} "
                f"< {cfg.no_high_vol_threshold}"
            )
        if inp.intercept_no_correlated is not None:
            figures[15] = (
                f"i_n(NoCorrelated)={_f(inp.intercept_no_correlated[note])} "
                f"< {cfg.no_correlated_threshold}"
            )
    # Rules this scorer's list does not have (multimodel §2.6): no RejectLowIntercept without
    # a firm-reject threshold, no net-helpful minimums for topic and Gaussian scorers.
    if not cfg.firm_reject:
        figures.pop(11, None)
        for k in (7, 8, 9, 10):
            if k in figures:
                figures[k] += " (sets NMR: no firm reject in this scorer)"
    if not cfg.net_helpful_rules:
        figures.pop(12, None)
        figures.pop(13, None)
    for k, name in enumerate(CORE_RULE_NAMES):
        if k not in figures:
            continue
        mark = "fired" if (fired >> k) & 1 else "-"
        lines.append(f"{mark:>5}  {name}: {figures[k]}")
    return lines
