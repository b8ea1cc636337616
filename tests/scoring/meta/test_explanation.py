"""Explanation tags, tie-breaks and InsufficientExplanation (scoring-core.md §9.5)."""

from __future__ import annotations

import numpy as np

from bridgewatch.model import NoteStatus
from bridgewatch.model.columns import HELPFUL_TAGS, NOT_HELPFUL_TAGS
from bridgewatch.scoring.meta import (
    ALL_TAGS,
    HELPFUL_TIE_BREAK,
    NOT_HELPFUL_TIE_BREAK,
    MetaConfig,
    explanation_tags,
)

NMR = NoteStatus.NEEDS_MORE_RATINGS
CRH = NoteStatus.CURRENTLY_RATED_HELPFUL
CRNH = NoteStatus.CURRENTLY_RATED_NOT_HELPFUL


def helpful(**counts: int) -> list[int]:
    return [counts.get(t.removeprefix("helpful"), 0) for t in HELPFUL_TAGS]


def not_helpful(**counts: int) -> list[int]:
    return [counts.get(t.removeprefix("notHelpful"), 0) for t in NOT_HELPFUL_TAGS]


def run(status: list[int], h: list[list[int]], nh: list[list[int]]) -> list[tuple[str, str]]:
    result = explanation_tags(np.array(status, np.int8), np.array(h), np.array(nh), MetaConfig())
    return [
        (ALL_TAGS[a] if a >= 0 else "", ALL_TAGS[b] if b >= 0 else "")
        for a, b in zip(result.first_tag.tolist(), result.second_tag.tolist(), strict=True)
    ]


def test_highest_counts_win_and_crnh_uses_not_helpful_tags() -> None:
    tags = run(
        [CRH, CRNH],
        [helpful(Other=9, Clear=3, Informative=2), helpful(Clear=9, Informative=9)],
        [not_helpful(Other=9), not_helpful(Incorrect=2, Outdated=5, Other=3)],
    )
    assert tags == [
        ("helpfulOther", "helpfulClear"),
        ("notHelpfulOutdated", "notHelpfulOther"),
    ]


def test_helpful_ties_follow_the_code_order_not_the_docs() -> None:
    # Informative beats Clear beats ImportantContext ...; Other loses every tie.
    tags = run(
        [CRH, CRH, CRH],
        [
            helpful(Other=4, UnbiasedLanguage=4, Informative=4, Clear=4),
            helpful(Other=3, UnbiasedLanguage=3, UniqueContext=3),
            helpful(AddressesClaim=2, ImportantContext=2, GoodSources=2),
        ],
        [not_helpful()] * 3,
    )
    assert tags == [
        ("helpfulInformative", "helpfulClear"),
        ("helpfulUniqueContext", "helpfulUnbiasedLanguage"),
        ("helpfulImportantContext", "helpfulAddressesClaim"),
    ]


def test_not_helpful_ties_follow_the_code_order() -> None:
    tags = run(
        [CRNH, CRNH, CRNH],
        [helpful()] * 3,
        [
            not_helpful(Other=2, SpamHarassmentOrAbuse=2, Outdated=2),
            not_helpful(
                OpinionSpeculationOrBias=3, OpinionSpeculation=3, SourcesMissingOrUnreliable=3
            ),
            not_helpful(IrrelevantSources=2, Other=2, HardToUnderstand=2),
        ],
    )
    assert tags == [
        ("notHelpfulOutdated", "notHelpfulSpamHarassmentOrAbuse"),
        ("notHelpfulOpinionSpeculationOrBias", "notHelpfulOpinionSpeculation"),
        ("notHelpfulHardToUnderstand", "notHelpfulIrrelevantSources"),
    ]


def test_tie_break_orders_cover_every_tag_once() -> None:
    assert sorted(HELPFUL_TIE_BREAK) == sorted(HELPFUL_TAGS)
    assert sorted(NOT_HELPFUL_TIE_BREAK) == sorted(NOT_HELPFUL_TAGS)


def test_fewer_than_two_qualifying_tags_is_insufficient() -> None:
    result = explanation_tags(
        np.array([CRH, CRH, CRNH, NMR], np.int8),
        np.array(
            [
                helpful(Clear=5, Other=1),
                helpful(Clear=2, Other=2),
                helpful(Clear=9, Other=9),
                helpful(Clear=9, Other=9),
            ]
        ),
        np.array([not_helpful()] * 4),
        MetaConfig(),
    )
    assert result.insufficient.tolist() == [True, False, True, False]
    assert result.first_tag.tolist() == [-1, ALL_TAGS.index("helpfulClear"), -1, -1]
    assert result.second_tag.tolist() == [-1, ALL_TAGS.index("helpfulOther"), -1, -1]
