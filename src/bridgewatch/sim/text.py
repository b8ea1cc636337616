"""Note summaries: a claim sentence, supporting sentences, an optional slant or topic sentence
and an optional source URL, in the style of the fixtures' notes.

Topic sentences carry the seed terms of the reference's topic classifier
(scoring-extended.md §4.3); no other sentence contains any seed term.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["MISLEADING_PREDICATES", "TOPICS", "TOPIC_TERMS", "draw_summaries"]

TOPICS: tuple[str, ...] = ("UkraineConflict", "GazaConflict", "MessiRonaldo", "Scams")
# Phrases per topic, each containing a seed term of that topic.
TOPIC_TERMS: tuple[tuple[str, ...], ...] = (
    ("the war in Ukraine", "Kyiv", "Russia", "Zelensky", "Putin", "Moscow"),
    ("the Gaza conflict", "Israel", "Hamas", "Jerusalem", "Palestinian officials"),
    ("Messi", "Ronaldo", "the Messi transfer rumour"),
    ("a crypto scam", "an undisclosed ad", "spam links", "gambling promotion", "a giveaway scam"),
)
_SUBJECTS = (
    "The claim in this post",
    "The video",
    "The screenshot",
    "The statement",
    "The headline",
    "The quoted figure",
    "The chart",
    "This image",
)
# One predicate per misleading tag, in NOTES_COLUMNS order (misleadingOther ... Satire).
MISLEADING_PREDICATES: tuple[str, ...] = (
    "is misleading in ways the post does not show",
    "misstates the official numbers",
    "has been digitally altered",
    "is from an earlier event",
    "omits important context",
    "presents an unverified claim as fact",
    "is satire and was not meant literally",
)
_NOT_MISLEADING = (
    "This post is accurate and does not need a note",
    "The post is a personal opinion and not a factual claim",
    "The post reports the figures correctly",
)
_SUPPORT = (
    "The full interview gives the missing context",
    "The agency's own release contradicts the post",
    "Independent fact checkers reviewed the footage",
    "Officials published corrected data the following day",
    "Archived versions of the page show the earlier date",
    "The study's authors clarified their conclusions",
    "The original report shows a different figure",
)
# One-sided notes argue against the other camp instead of the post.
_SLANT = (
    "Do not trust anything this crowd says",
    "This is exactly what their camp always does",
    "Once again the other side is lying to you",
    "The usual suspects are spreading this again",
    "Anyone paying attention knows who is behind this",
    "Typical propaganda from these people",
)
_DOMAINS = (
    "https://example.org/a/",
    "https://archive.example.org/a/",
    "https://data.example.gov/a/",
    "https://news.example.net/a/",
    "https://example.com/a/",
)


def draw_summaries(
    rng: np.random.Generator,
    *,
    misleading: NDArray[np.bool_],
    first_tag: NDArray[np.int64],
    one_sided: NDArray[np.bool_],
    topic: NDArray[np.int8],
    has_source: NDArray[np.bool_],
) -> list[str]:
    """One summary per note.

    Parameters
    ----------
    rng : the generator to draw from.
    misleading : bool array of shape (n,), the note says the post is misleading.
    first_tag : int64 array of shape (n,), index of the note's first misleading tag (0..6),
        which picks the claim sentence of a misleading note.
    one_sided : bool array of shape (n,), add a sentence aimed at the other camp.
    topic : int8 array of shape (n,), index into ``TOPICS`` or -1 for none.
    has_source : bool array of shape (n,), end with a URL.

    Returns
    -------
    list of n strings without tabs, newlines or double quotes.
    """
    n = int(misleading.shape[0])
    subject: list[int] = rng.integers(0, len(_SUBJECTS), size=n).tolist()
    not_misleading: list[int] = rng.integers(0, len(_NOT_MISLEADING), size=n).tolist()
    n_support: list[int] = rng.integers(0, 3, size=n).tolist()
    support: list[list[int]] = rng.integers(0, len(_SUPPORT), size=(n, 2)).tolist()
    slant: list[int] = rng.integers(0, len(_SLANT), size=n).tolist()
    term: list[int] = rng.integers(0, 1 << 30, size=n).tolist()
    domain: list[int] = rng.integers(0, len(_DOMAINS), size=n).tolist()
    url_num: list[int] = rng.integers(10_000_000, 100_000_000, size=n).tolist()
    misleading_l: list[bool] = misleading.tolist()
    first_tag_l: list[int] = first_tag.tolist()
    one_sided_l: list[bool] = one_sided.tolist()
    topic_l: list[int] = topic.tolist()
    has_source_l: list[bool] = has_source.tolist()
    out: list[str] = []
    for i in range(n):
        if misleading_l[i]:
            parts = [f"{_SUBJECTS[subject[i]]} {MISLEADING_PREDICATES[first_tag_l[i]]}."]
        else:
            parts = [f"{_NOT_MISLEADING[not_misleading[i]]}."]
        if one_sided_l[i]:
            parts.append(f"{_SLANT[slant[i]]}.")
        if topic_l[i] >= 0:
            terms = TOPIC_TERMS[topic_l[i]]
            parts.append(f"This concerns {terms[term[i] % len(terms)]}.")
        parts.extend(f"{_SUPPORT[s]}." for s in dict.fromkeys(support[i][: n_support[i]]))
        if has_source_l[i]:
            parts.append(f"{_DOMAINS[domain[i]]}{url_num[i]}")
        out.append(" ".join(parts))
    return out
