from __future__ import annotations

from typing import Any

from bridgewatch.store.rows import NoteScoresRow
from bridgewatch.web.explain import (
    SideCounts,
    enrollment_label,
    explain_note,
    rule_list,
    rule_meanings,
    scorer_label,
)
from bridgewatch.web.forms import MISLEADING_CHOICES, NOT_MISLEADING_CHOICES

NONE = SideCounts()


def _scoring(**kw: Any) -> NoteScoresRow:
    base: dict[str, Any] = {
        "note_id": 1,
        "scored_at_ms": 1,
        "final_rating_status": "NEEDS_MORE_RATINGS",
        "decided_by": "CoreModel (v1.1)",
        "first_tag": None,
        "second_tag": None,
        "core_note_intercept": 0.2,
        "core_note_factor1": 0.1,
        "core_note_intercept_min": None,
        "core_note_intercept_max": None,
        "core_rating_status": "NEEDS_MORE_RATINGS",
        "core_active_rules": "InitialNMR (v1.0)",
        "meta_scorer_active_rules": "MetaInitialNMR (v1.0),CoreModel (v1.1)",
        "active_filter_tags": None,
        "num_ratings": None,
        "core_num_final_round_ratings": None,
    }
    return NoteScoresRow(**{**base, **kw})


def test_labels_are_human() -> None:
    assert enrollment_label("earnedIn") == "Can write notes"
    assert enrollment_label("newUser").startswith("New contributor")
    assert rule_list("InitialNMR (v1.0),RatioCRNH (v1.0)") == "InitialNMR (v1.0), RatioCRNH (v1.0)"
    assert rule_list(None) == "-"
    assert rule_meanings("GeneralCRH (v1.0)") == [
        ("GeneralCRH (v1.0)", "Helpful: helpfulness score at least 0.40")
    ]
    assert scorer_label("CoreModel (v1.1)") == "the Core model"
    assert scorer_label("GroupModel07 (v1.1)") == "a group model"


def test_other_is_the_last_reason_and_values_stay_public() -> None:
    assert MISLEADING_CHOICES[-1] == ("Other", "Other reason")
    assert NOT_MISLEADING_CHOICES[-1] == ("Other", "Other reason")
    assert MISLEADING_CHOICES[0][0] == "FactualError"
    assert {v for v, _ in MISLEADING_CHOICES} == {
        "Other",
        "FactualError",
        "ManipulatedMedia",
        "OutdatedInformation",
        "MissingImportantContext",
        "UnverifiedClaimAsFact",
        "Satire",
    }


def test_helpful_note_says_why_with_the_sides_counts() -> None:
    e = explain_note(
        status="CURRENTLY_RATED_HELPFUL",
        decided_by="CoreModel (v1.1)",
        scoring=_scoring(core_note_intercept=0.51, core_rating_status="CURRENTLY_RATED_HELPFUL"),
        num_ratings=20,
        negative=SideCounts(7, 2, 0),
        positive=SideCounts(6, 0, 1),
        unplaced=SideCounts(1, 0, 0),
    )
    assert e.headline.startswith("Shown because people who usually disagree")
    assert "answered 7 Yes, 2 Somewhat, 0 No" in e.details[0]
    assert "answered 6 Yes, 0 Somewhat, 1 No" in e.details[0]
    assert "1 more rating came from raters" in e.details[0]
    assert "0.51" in e.details[1] and "0.40" in e.details[1]


def test_minority_raters_hold_is_said_plainly_not_as_core_model() -> None:
    e = explain_note(
        status="NEEDS_MORE_RATINGS",
        decided_by="NmrDueToMinStableCrhTime (v1.0)",
        scoring=_scoring(
            core_note_intercept=0.44,
            core_rating_status="NEEDS_YOUR_HELP",
            core_active_rules="InitialNMR (v1.0),GeneralCRH (v1.0),MinMinorityRaters (v1.0)",
            meta_scorer_active_rules="MetaInitialNMR (v1.0),CoreModel (v1.1),"
            "NmrDueToMinStableCrhTime (v1.0)",
        ),
        num_ratings=7,
        negative=SideCounts(3, 0, 0),
        positive=SideCounts(3, 0, 1),
        unplaced=NONE,
    )
    assert e.headline == "Needs more ratings: not enough ratings from people who usually disagree."
    assert "CoreModel" not in e.decided
    assert any("by 3 on one side and 2 on the other" in d for d in e.details)
    assert any("stabilization" in d for d in e.details)


def test_undecided_note_says_the_scorer_has_not_decided() -> None:
    few = explain_note(
        status="NEEDS_MORE_RATINGS",
        decided_by="CoreModel (v1.1)",
        scoring=_scoring(core_note_intercept=None),
        num_ratings=2,
        negative=NONE,
        positive=NONE,
        unplaced=SideCounts(2, 0, 0),
    )
    assert "the scorer has not reached a decision" in few.decided
    assert "It has 2 ratings; it needs at least 5" in few.headline
    between = explain_note(
        status="NEEDS_MORE_RATINGS",
        decided_by="CoreModel (v1.1)",
        scoring=_scoring(core_note_intercept=0.37, core_note_factor1=0.5),
        num_ratings=20,
        negative=NONE,
        positive=NONE,
        unplaced=NONE,
    )
    assert "the scorer has not reached a decision" in between.decided
    assert "between the Not helpful line (-0.45" in between.details[1]


def test_firm_reject_names_the_filters() -> None:
    e = explain_note(
        status="NEEDS_MORE_RATINGS",
        decided_by="CoreModel (v1.1)",
        scoring=_scoring(
            core_note_intercept=0.1,
            core_rating_status="FIRM_REJECT",
            core_active_rules="InitialNMR (v1.0),TagFilter (v1.0),RejectLowIntercept (v1.0)",
            active_filter_tags="notHelpfulIncorrect",
        ),
        num_ratings=30,
        negative=NONE,
        positive=NONE,
        unplaced=NONE,
        tag_labels={"notHelpfulIncorrect": "Incorrect information"},
    )
    assert "(Incorrect information)" in e.headline
    assert "0.10 is below 0.30" in e.headline


def test_not_helpful_by_ratio_rule() -> None:
    e = explain_note(
        status="CURRENTLY_RATED_NOT_HELPFUL",
        decided_by="CoreModel (v1.1)",
        scoring=_scoring(
            core_note_intercept=-0.1,
            core_rating_status="CURRENTLY_RATED_NOT_HELPFUL",
            core_active_rules="InitialNMR (v1.0),RatioCRNH (v1.0)",
        ),
        num_ratings=20,
        negative=SideCounts(1, 0, 3),
        positive=SideCounts(0, 2, 8),
        unplaced=NONE,
    )
    assert e.headline.startswith("Not shown: people from both sides")
    assert "mostly said it is not helpful" in e.decided
