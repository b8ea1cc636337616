"""Plain-language explanations of a note's status for the note page: why it is shown (or
not yet), what decided it, and human labels for the scorer's rule and enrollment names.

Everything here reads the stored scorer output (``note_scores``, the rule table of
scoring-core.md §6.2 and the meta rules of §9) and the current rating counts by side of the
viewpoint axis; nothing is recomputed, and each sentence names the figure it rests on.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from bridgewatch.model import EnrollmentState
from bridgewatch.scoring.status.config import StatusRulesConfig
from bridgewatch.store.rows import NoteScoresRow

__all__ = [
    "ENROLLMENT_LABELS",
    "SideCounts",
    "StatusExplanation",
    "enrollment_label",
    "explain_note",
    "rule_list",
    "rule_meanings",
    "scorer_label",
    "split_rules",
]

_CRH = "CURRENTLY_RATED_HELPFUL"
_CRNH = "CURRENTLY_RATED_NOT_HELPFUL"

ENROLLMENT_LABELS: dict[str, str] = {
    EnrollmentState.earnedIn.name: "Can write notes",
    EnrollmentState.atRisk.name: "Can write notes (at risk: recent notes were rated not helpful)",
    EnrollmentState.earnedOutNoAcknowledge.name: "Writing ability lost",
    EnrollmentState.earnedOutAcknowledged.name: "Earning writing ability back by rating",
    EnrollmentState.newUser.name: "New contributor: rating to earn writing ability",
    EnrollmentState.removed.name: "Removed for rule violations",
    EnrollmentState.apiTestUser.name: "AI note writer (testing)",
    EnrollmentState.apiEarnedIn.name: "AI note writer",
    EnrollmentState.apiEarnedOut.name: "AI note writer (writing ability lost)",
}


def enrollment_label(name: str) -> str:
    """A human label for an enrollment state name (``earnedIn`` -> "Can write notes")."""
    return ENROLLMENT_LABELS.get(str(name), str(name))


_cfg = StatusRulesConfig()
# Rule name (without version) -> what it does, in words (scoring-core.md §6.2 and §9).
_RULE_MEANINGS: dict[str, str] = {
    "InitialNMR": "every note starts as Needs more ratings",
    "GeneralCRH": f"Helpful: helpfulness score at least {_cfg.crh_threshold:.2f}",
    "GeneralCRNH": "Not helpful: helpfulness score at or below the Not helpful line",
    "UcbCRNH": f"Not helpful: even its upper bound stays below {_cfg.crnh_ucb_threshold:.2f}",
    "RatioCRNH": "Not helpful: raters on both sides mostly said it is not helpful",
    "NmCRNH": "Not helpful: a note saying the post is fine, with a score below "
    f"{_cfg.nm_crnh_threshold:.2f}",
    "GeneralCRHInertia": "stays Helpful while its score is within "
    f"{_cfg.crh_inertia_delta:.2f} of the threshold",
    "TagFilter": "held back: many raters gave the same not-helpful reason",
    "FilterIncorrect": "held back: raters near its viewpoint said it is incorrect",
    "FilterLowDiligence": "held back: its helpful ratings look careless",
    "FilterLargeFactor": "held back: its ratings split along the viewpoint axis",
    "RejectLowIntercept": f"held back: helpfulness score below {_cfg.firm_reject_threshold:.2f}",
    "MinMinorityRaters": "waits: too few helpful ratings from one side of the viewpoint axis",
    "RaterBalance": "waits: helpful ratings too unbalanced between the sides",
    "NoHighVolIntercept": "waits: helpful only because of a few very active raters",
    "NoCorrelatedIntercept": "waits: helpful only because of raters who rate alike",
    "MetaInitialNMR": "every note starts as Needs more ratings",
    "CoreModel": "the Core model's status is used",
    "NmrDueToMinStableCrhTime": "stabilization delay: a new status must hold for a while first",
    "PopulationSampledIntercept": "held: the score falls on a random sample of raters",
    "ScoringDriftGuard": "held: the status moved too far since the last run",
    "InsufficientExplanation": "held: too few raters said why",
}
_SCORERS: dict[str, str] = {
    "CoreModel": "the Core model",
    "CoreWithTopicsModel": "the Core model with topics",
    "ExpansionModel": "the Expansion model",
    "ExpansionPlusModel": "the Expansion Plus model",
    "MultiGroupModel01": "the multi-group model",
    "GaussianModel": "the Gaussian model",
    "GaussianCoreWithTopicsModel": "the Gaussian model with topics",
    "NmrDueToMinStableCrhTime": "the stabilization delay",
    "PopulationSampledIntercept": "the population-sample check",
    "ScoringDriftGuard": "the drift guard",
    "InsufficientExplanation": "the explanation check",
    "MetaInitialNMR": "the starting status",
}
_VERSION = re.compile(r"\s*\(v[0-9.]+\)$")


def split_rules(text: str | None) -> list[str]:
    """``"A (v1.0),B (v1.1)"`` -> ``["A (v1.0)", "B (v1.1)"]`` (empty for ``None``)."""
    return [part.strip() for part in (text or "").split(",") if part.strip()]


def rule_list(text: str | None) -> str:
    """The scorer's comma-joined rule list, readable: ``"A (v1.0), B (v1.1)"`` (or "-")."""
    return ", ".join(split_rules(text)) or "-"


def _bare(name: str) -> str:
    return _VERSION.sub("", name.strip())


def rule_meanings(text: str | None) -> list[tuple[str, str]]:
    """(rule, what it does) per rule of the list, in order; unknown rules as "-"."""
    return [(r, _RULE_MEANINGS.get(_bare(r), "-")) for r in split_rules(text)]


def scorer_label(name: str | None) -> str:
    """``"CoreModel (v1.1)"`` -> "the Core model"; group and topic models by family."""
    if not name:
        return "no scorer yet"
    bare = _bare(name)
    if bare in _SCORERS:
        return _SCORERS[bare]
    if bare.startswith("GroupModel"):
        return "a group model"
    if bare.startswith("TopicModel"):
        return "a topic model"
    return bare


@dataclass(frozen=True)
class SideCounts:
    """Ratings of one note from one side of the viewpoint axis, by answer (counts)."""

    helpful: int = 0
    somewhat: int = 0
    not_helpful: int = 0

    @property
    def total(self) -> int:
        return self.helpful + self.somewhat + self.not_helpful

    @property
    def net(self) -> int:
        """Helpful minus not helpful (Somewhat ignored), as the balance rules count."""
        return self.helpful - self.not_helpful

    @classmethod
    def from_levels(cls, levels: Mapping[str, int]) -> SideCounts:
        return cls(
            levels.get("HELPFUL", 0),
            levels.get("SOMEWHAT_HELPFUL", 0),
            levels.get("NOT_HELPFUL", 0),
        )


@dataclass(frozen=True)
class StatusExplanation:
    """What the note page says before the technical figures.

    ``headline``: one plain sentence on why the note is (not yet) shown; ``details``: the
    figures behind it, each a sentence; ``decided``: what decided the status, in words.
    """

    headline: str
    details: tuple[str, ...]
    decided: str


def _n(x: float) -> str:
    """Two decimals without a negative zero (-0.001 -> "0.00")."""
    text = f"{x:.2f}"
    return "0.00" if text == "-0.00" else text


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _side_sentence(negative: SideCounts, positive: SideCounts, unplaced: SideCounts) -> str:
    def one(s: SideCounts) -> str:
        return f"{s.helpful} Yes, {s.somewhat} Somewhat, {s.not_helpful} No"

    text = (
        f"Raters on one side of the viewpoint axis answered {one(negative)}; raters on the "
        f"other side answered {one(positive)}."
    )
    if unplaced.total:
        text += (
            f" {_plural(unplaced.total, 'more rating')} came from raters the last full "
            "scoring run has not placed on the axis yet."
        )
    return text


def explain_note(
    *,
    status: str,
    decided_by: str | None,
    scoring: NoteScoresRow | None,
    num_ratings: int,
    negative: SideCounts,
    positive: SideCounts,
    unplaced: SideCounts,
    config: StatusRulesConfig | None = None,
    tag_labels: Mapping[str, str] | None = None,
) -> StatusExplanation:
    """Why the note has its published status, in words, from the stored scorer output.

    Parameters
    ----------
    status : the published status (note status history).
    decided_by : the published ``decidedBy`` (the last rule or scorer that set it).
    scoring : the note's ``note_scores`` row (Core figures and rule lists), if scored.
    num_ratings : all ratings of the note now.
    negative, positive : current ratings from raters with factor < 0 / >= 0 (last full run).
    unplaced : current ratings from raters without a factor yet.
    config : the status thresholds.
    tag_labels : rating-tag column -> label (for the tags that triggered the tag filter).
    """
    cfg = config if config is not None else StatusRulesConfig()
    sides = _side_sentence(negative, positive, unplaced)
    sc = scoring
    intercept = None if sc is None else sc.core_note_intercept
    factor = None if sc is None else sc.core_note_factor1
    core = None if sc is None else sc.core_rating_status
    core_rules = [_bare(r) for r in split_rules(None if sc is None else sc.core_active_rules)]
    meta_rules = [
        _bare(r) for r in split_rules(None if sc is None else sc.meta_scorer_active_rules)
    ]
    by = scorer_label(decided_by or (None if sc is None else sc.decided_by))
    score = (
        None
        if intercept is None
        else f"Its helpfulness score (the part of its ratings that viewpoint does not explain) "
        f"is {_n(intercept)}; a note is shown from {cfg.crh_threshold:.2f}."
    )
    held = "NmrDueToMinStableCrhTime" in meta_rules or _bare(decided_by or "") == (
        "NmrDueToMinStableCrhTime"
    )

    if status == _CRH:
        return StatusExplanation(
            "Shown because people who usually disagree with each other rated it helpful.",
            tuple(x for x in (sides, score) if x),
            f"Rated helpful: {by} found a helpfulness score of at least "
            f"{cfg.crh_threshold:.2f} across viewpoints.",
        )
    if status == _CRNH:
        if "RatioCRNH" in core_rules:
            why = "raters on both sides of the viewpoint axis mostly said it is not helpful"
        elif "UcbCRNH" in core_rules:
            why = (
                f"even its upper bound (if raters at both ends of the axis added a helpful "
                f"rating) stays below {cfg.crnh_ucb_threshold:.2f}"
            )
        elif "NmCRNH" in core_rules:
            why = (
                f"it says the post is not misleading, and its score is below "
                f"{cfg.nm_crnh_threshold:.2f}"
            )
        else:
            line = cfg.crnh_intercept + cfg.crnh_factor_multiplier * abs(factor or 0.0)
            why = f"its helpfulness score is at or below the Not helpful line ({_n(line)})"
        return StatusExplanation(
            "Not shown: people from both sides of the viewpoint axis rated it not helpful.",
            tuple(x for x in (sides, score) if x),
            f"Rated not helpful by {by}: {why}.",
        )

    # Needs more ratings: say which of the reasons applies.
    if sc is None or num_ratings < cfg.min_ratings_to_get_rating or intercept is None:
        missing = max(0, cfg.min_ratings_to_get_rating - num_ratings)
        headline = (
            f"Needs more ratings: the scorer has not reached a decision. It has "
            f"{_plural(num_ratings, 'rating')}; it needs at least "
            f"{cfg.min_ratings_to_get_rating}, from raters the scorer can place on the "
            "viewpoint axis, before it can decide."
            if missing
            else "Needs more ratings: the scorer has not reached a decision (the last full "
            "scoring run did not place this note on the viewpoint axis yet)."
        )
        return StatusExplanation(
            headline, (sides,), "Not decided yet: the scorer has not reached a decision."
        )
    if core == "NEEDS_YOUR_HELP":
        if "NoHighVolIntercept" in core_rules:
            why = "its helpfulness rests on a few very active raters"
        elif "NoCorrelatedIntercept" in core_rules:
            why = "its helpfulness rests on raters who rate alike"
        else:
            why = "not enough ratings from people who usually disagree"
        details = [sides]
        if score:
            details.append(score)
        details.append(
            f"A note is shown only when, on each side, Yes answers outnumber No answers by at "
            f"least {cfg.min_net_helpful}; now by {negative.net} on one side and "
            f"{positive.net} on the other (current counts; the scorer counted at its last run)."
        )
        if held:
            details.append(
                "It is also in the stabilization period: a status must hold for a while "
                "before the note is shown."
            )
        return StatusExplanation(
            f"Needs more ratings: {why}.",
            tuple(details),
            f"Needs more ratings: {why} (decided by {by}).",
        )
    if core == "FIRM_REJECT":
        reasons = []
        if "TagFilter" in core_rules:
            labels = tag_labels or {}
            tags = ", ".join(labels.get(t, t) for t in split_rules(sc.active_filter_tags))
            reasons.append(f"many raters gave the same not-helpful reason ({tags})")
        if "FilterIncorrect" in core_rules:
            reasons.append("raters near its viewpoint said it contains incorrect information")
        if "FilterLowDiligence" in core_rules:
            reasons.append("its helpful ratings look careless (the low-diligence model)")
        if "FilterLargeFactor" in core_rules:
            reasons.append(
                f"its ratings split along the viewpoint axis (factor {_n(factor)}, more than "
                f"{cfg.large_factor_threshold:.2f} from 0)"
                if factor is not None
                else "its ratings split along the viewpoint axis"
            )
        if "RejectLowIntercept" in core_rules:
            reasons.append(
                f"its helpfulness score {_n(intercept)} is below {cfg.firm_reject_threshold:.2f}"
            )
        why = "; ".join(reasons) or "a filter rule held it back"
        return StatusExplanation(
            "Needs more ratings: not shown for now, because " + why + ".",
            tuple(x for x in (sides, score) if x),
            f"Needs more ratings: {by} held it back ({why}).",
        )
    if core == _CRH and held:
        return StatusExplanation(
            "Rated helpful, waiting out the stabilization delay before it is shown.",
            tuple(x for x in (sides, score) if x),
            "Needs more ratings for now: the stabilization delay holds a new Helpful status "
            "for a while before it is shown.",
        )
    if core == _CRH:
        return StatusExplanation(
            f"Rated helpful by the Core model, but held back by {by}.",
            tuple(x for x in (sides, score) if x),
            f"Needs more ratings: held by {by}.",
        )
    line = cfg.crnh_intercept + cfg.crnh_factor_multiplier * abs(factor or 0.0)
    return StatusExplanation(
        "Needs more ratings: the scorer has not reached a decision.",
        (
            sides,
            f"Its helpfulness score {_n(intercept)} lies between the Not helpful line "
            f"({_n(line)} for its viewpoint factor) and the Helpful threshold "
            f"{cfg.crh_threshold:.2f}.",
        ),
        "Not decided yet: the scorer has not reached a decision (its score is between the "
        "thresholds).",
    )
