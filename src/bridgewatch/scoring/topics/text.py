"""Post text, seed labels, tokens and stop words of the topic classifier (extended §4.3).

The unit of topic assignment is the post: the texts of all notes on a post are joined, URLs
are reduced to their long alphabetic runs, and ``_`` and ``/`` become spaces. Seed terms then
label posts, and the classifier's vocabulary excludes every token that contains a seed term.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from re import _constants as sre_constants  # type: ignore[attr-defined,unused-ignore]  # stdlib regex parser
from re import _parser as sre_parse  # type: ignore[attr-defined,unused-ignore]

import numpy as np
from numpy.typing import NDArray

from bridgewatch.scoring.topics.config import TopicConfig

__all__ = [
    "PostTexts",
    "SeedLabels",
    "filter_url_tokens",
    "label_seeds",
    "prepare_post_texts",
    "seed_stop_words",
    "tokenize",
]

_URL = re.compile(r"https?://[^\s)\]]+")
_ALPHA_RUN = re.compile(r"[a-zA-Z]+")
_ASCII = "".join(map(chr, range(128)))


@dataclass(frozen=True)
class PostTexts:
    """Notes grouped by post, with the joined and cleaned post text.

    Parameters
    ----------
    post_ids : array of shape (n_posts,)
        The distinct post ids, sorted ascending (same dtype as the input post ids).
    texts : tuple of str, length n_posts
        Cleaned post text: the post's note texts joined by single spaces in input order,
        URLs filtered, ``_`` and ``/`` replaced by spaces.
    note_post_idx : int32 array of shape (n_notes,)
        Row in ``post_ids`` of each note's post.
    """

    post_ids: NDArray[np.generic]
    texts: tuple[str, ...]
    note_post_idx: NDArray[np.int32]

    @property
    def n_posts(self) -> int:
        """Number of posts."""
        return len(self.texts)


@dataclass(frozen=True)
class SeedLabels:
    """Seed-term labels of posts.

    Parameters
    ----------
    labels : int8 array of shape (n_posts,)
        The topic id when the post's text matches seed terms of exactly one topic, else 0.
    matched : bool array of shape (n_posts, n_classes)
        ``matched[p, t]`` is true when post p matches a seed term of topic t (column 0 unused).
    """

    labels: NDArray[np.int8]
    matched: NDArray[np.bool_]

    @property
    def conflicted(self) -> NDArray[np.bool_]:
        """bool array of shape (n_posts,): the post matches seed terms of several topics."""
        return np.asarray(self.matched.sum(axis=1) > 1)


def filter_url_tokens(text: str, config: TopicConfig) -> str:
    """Replace each URL by its alphabetic runs of at least ``url_min_token_length`` chars.

    URLs matching one of ``config.preserved_url_patterns`` are kept verbatim (§4.3). This stops
    short URL fragments (``sc`` of ``sc_lang``) from matching short seed terms.
    """
    return _url_filter(config)(text)


def _url_filter(config: TopicConfig) -> Callable[[str], str]:
    """:func:`filter_url_tokens` with the preserved patterns compiled once."""
    preserved = [re.compile(p) for p in config.preserved_url_patterns]
    min_len = config.url_min_token_length

    def _replace(match: re.Match[str]) -> str:
        url = match.group(0)
        if any(p.search(url) for p in preserved):
            return url
        return " ".join(t for t in _ALPHA_RUN.findall(url) if len(t) >= min_len)

    def _filter(text: str) -> str:
        if "http" not in text:
            return text  # every URL match starts with http
        return _URL.sub(_replace, text)

    return _filter


def prepare_post_texts(
    post_ids: NDArray[np.generic], note_texts: Sequence[str | None], config: TopicConfig
) -> PostTexts:
    """Group note texts by post and clean them (§4.3, "Unit = post").

    Parameters
    ----------
    post_ids : array of shape (n_notes,)
        Each note's post id (``tweetId``); any sortable dtype.
    note_texts : sequence of str or None, length n_notes
        Each note's text (``summary``); None counts as empty.
    config : TopicConfig

    Returns
    -------
    PostTexts
    """
    post_ids = np.asarray(post_ids)
    if post_ids.ndim != 1 or post_ids.shape[0] != len(note_texts):
        raise ValueError(
            f"post_ids has shape {post_ids.shape} but there are {len(note_texts)} note texts"
        )
    unique_posts, note_post_idx = np.unique(post_ids, return_inverse=True)
    parts: list[list[str]] = [[] for _ in range(unique_posts.shape[0])]
    for note, post in enumerate(note_post_idx.tolist()):
        text = note_texts[note]
        parts[post].append("" if text is None else str(text))
    url_filter = _url_filter(config)
    texts = tuple(url_filter(" ".join(p)).replace("_", " ").replace("/", " ") for p in parts)
    return PostTexts(unique_posts, texts, note_post_idx.astype(np.int32))


def _seed_alternatives(config: TopicConfig) -> list[list[str]]:
    """Per topic, in topic order, the regex alternatives of its seed patterns."""
    out = []
    for topic in config.topics:
        alternatives = []
        for pattern in topic.patterns:
            if r"\." in pattern or pattern.startswith((r"\b", r"\s")):
                alternatives.append(pattern)
            else:
                alternatives.append(rf"(?:\s|^){pattern}")
        out.append(alternatives)
    return out


def _seed_regex(config: TopicConfig) -> re.Pattern[str]:
    """One alternation with a named group per topic, in topic order."""
    groups = [
        f"(?P<{topic.name}>{'|'.join(alternatives)})"
        for topic, alternatives in zip(config.topics, _seed_alternatives(config), strict=True)
    ]
    return re.compile("|".join(groups), re.IGNORECASE)


def _anchor(alternative: str) -> tuple[str, int] | bool | None:
    """Where a match of ``alternative`` can start in a lower-cased ASCII text.

    Returns (literal, lead): every match contains ``literal`` (lower-case ASCII) beginning
    at most ``lead`` characters after the match start (the first top-level run of plain
    characters, and the widest the items before it can be). False when the alternative
    cannot match ASCII text at all; None when no such bound is evident.
    """
    parsed = sre_parse.parse(alternative, re.IGNORECASE)
    items = list(parsed)
    for i, (op, _) in enumerate(items):
        if op is not sre_constants.LITERAL:
            continue
        j = i
        while j < len(items) and items[j][0] is sre_constants.LITERAL:
            j += 1
        run = "".join(chr(arg) for _, arg in items[i:j])
        if not run.isascii():
            # A character that matches no ASCII one: no ASCII text can hold a match.
            return False if not all(_matches_ascii(c) for c in run) else None
        lead = sre_parse.SubPattern(parsed.state, items[:i]).getwidth()[1]
        if lead >= sre_constants.MAXREPEAT:
            return None
        return run.lower(), int(lead)
    return None


def _seed_anchors(config: TopicConfig) -> list[tuple[str, int]] | None:
    """Every alternative's (literal, lead) of :func:`_anchor`, or None when one has none."""
    anchors = []
    for alternatives in _seed_alternatives(config):
        for alternative in alternatives:
            anchor = _anchor(alternative)
            if anchor is None or anchor is True:
                return None
            if anchor is not False:
                anchors.append(anchor)
    return anchors


def _anchored_matches(
    regex: re.Pattern[str], lowered: str, anchors: list[tuple[str, int]]
) -> list[re.Match[str]] | None:
    """``list(regex.finditer(lowered))``, trying the regex only where a match can start.

    Every match starts at most ``lead`` characters before an occurrence of its alternative's
    literal, so the scan's first match from a position is the first success of
    ``regex.match`` (same alternation order, same look-behind context) at those candidate
    starts. None when a match is empty (the scan's rule differs there; the caller scans).
    """
    starts: set[int] = set()
    for literal, lead in anchors:
        at = lowered.find(literal)
        while at >= 0:
            starts.update(range(max(at - lead, 0), at + 1))
            at = lowered.find(literal, at + 1)
    matches = []
    pos = 0
    for start in sorted(starts):
        if start < pos:
            continue
        match = regex.match(lowered, start)
        if match is None:
            continue
        if match.end() == start:
            return None
        matches.append(match)
        pos = match.end()
    return matches


def _matches_ascii(char: str) -> bool:
    """Whether ``char`` matches some ASCII character case-insensitively (K, the Kelvin sign)."""
    return re.search(re.escape(char), _ASCII, re.IGNORECASE) is not None


def _required_literals(pattern: str) -> list[str]:
    """Strings that every match of ``pattern`` in a lower-cased ASCII text contains.

    Built from the runs of plain literal characters at the top level of the parsed pattern
    (groups, classes and repeats interrupt runs; nothing inside them is used). An ASCII run
    gives its lower-case form; a non-ASCII run with a character that matches no ASCII
    character gives itself (such a pattern cannot match ASCII text, and no ASCII text contains
    the run). Longest first; empty when there is none.
    """
    runs: list[str] = []
    current: list[str] = []
    for op, arg in sre_parse.parse(pattern):
        if op is sre_constants.LITERAL:
            current.append(chr(arg))
            continue
        runs.append("".join(current))
        current = []
    runs.append("".join(current))
    usable = [
        run.lower() if run.isascii() else run
        for run in runs
        if run and (run.isascii() or not all(_matches_ascii(c) for c in run))
    ]
    return sorted(usable, key=len, reverse=True)


def _seed_literals(config: TopicConfig) -> tuple[str, ...] | None:
    """One required literal per seed pattern, or None when a pattern has none.

    A pattern with several candidates takes one that another pattern already requires (the
    test then costs nothing more), else its longest.
    """
    candidates = [_required_literals(p) for t in config.topics for p in t.patterns]
    if any(not c for c in candidates):
        return None
    chosen = {c[0] for c in candidates if len(c) == 1}
    for c in candidates:
        if len(c) > 1 and not chosen.intersection(c):
            chosen.add(c[0])
    return tuple(sorted(chosen))


def label_seeds(texts: Sequence[str], config: TopicConfig, *, prefilter: bool = True) -> SeedLabels:
    """Label posts by their seed terms (§4.3).

    Matches are the non-overlapping matches of one alternation over all topics on the
    lower-cased text, as the reference scans them. A post matching exactly one topic is
    labelled with it; several topics make it conflicted (label 0); none leaves label 0.

    Parameters
    ----------
    texts : sequence of str, length n_posts
        Cleaned post texts (``PostTexts.texts``).
    config : TopicConfig
    prefilter : bool
        Skip the regex scan of ASCII texts that contain none of the patterns' required
        literals, and in the others try the regex only where a match can start (next to an
        occurrence of a literal; same matches, several times faster); False scans every
        text in full.

    Returns
    -------
    SeedLabels
    """
    regex = _seed_regex(config)
    id_of = {t.name: t.topic_id for t in config.topics}
    literals = _seed_literals(config) if prefilter else None
    anchors = _seed_anchors(config) if prefilter else None
    # A plain alternation of literals: the regex engine skips ahead on its first characters.
    candidate = None if literals is None else re.compile("|".join(map(re.escape, literals)))
    matched = np.zeros((len(texts), config.n_classes), dtype=np.bool_)
    for row, text in enumerate(texts):
        lowered = text.lower()
        ascii_text = lowered.isascii()
        # Exact shortcut: an ASCII text (matched case-insensitively only by ASCII literals)
        # that contains no pattern's required literal cannot match; the scan is the slow part.
        if candidate is not None and ascii_text and candidate.search(lowered) is None:
            continue
        found = (
            _anchored_matches(regex, lowered, anchors)
            if anchors is not None and ascii_text
            else None
        )
        for match in regex.finditer(lowered) if found is None else found:
            # The topic groups are the outermost groups of one alternation: exactly one takes
            # part in a match and, closing last, it is ``lastgroup``.
            matched[row, id_of[str(match.lastgroup)]] = True
    n_matched = matched.sum(axis=1)
    labels = np.where(n_matched == 1, matched.argmax(axis=1), 0).astype(np.int8)
    return SeedLabels(labels, matched)


def _strip_accents(text: str) -> str:
    if text.isascii():
        return text  # ASCII is unchanged by NFKD and has no combining marks
    normalized = unicodedata.normalize("NFKD", text)
    if normalized.isascii():
        # No combining marks outside ASCII's complement: skip the per-character scan.
        return normalized
    return "".join(ch for ch in normalized if not unicodedata.combining(ch))


def _url_seed_terms(config: TopicConfig) -> list[str]:
    return [p for t in config.topics for p in t.patterns if r"\." in p]


def _token_regex(config: TopicConfig) -> re.Pattern[str]:
    seed_urls = "".join(rf"(?:https?://)?({term})(?:/[^\s]+)?|" for term in _url_seed_terms(config))
    return re.compile(rf"(?i){seed_urls}\b\w\w+\b")


def tokenize(texts: Sequence[str], config: TopicConfig) -> list[list[str]]:
    """Tokens of each text: lower-cased, accent-stripped words of >= 2 word characters.

    Seed terms that contain a literal period (``help.x.com``) are kept whole as tokens, with
    any ``http(s)://`` prefix and trailing path dropped (§4.3 "custom tokenizer").

    Parameters
    ----------
    texts : sequence of str
    config : TopicConfig

    Returns
    -------
    list of list of str, one token list per text, in text order.
    """
    regex = _token_regex(config)
    words = re.compile(r"\b\w\w+\b")
    # Literals every seed-URL match contains; None when one is not evident (no shortcut).
    url_literals: list[str] | None = []
    for term in _url_seed_terms(config):
        found = _required_literals(term)
        if not found or url_literals is None:
            url_literals = None
            continue
        url_literals.append(found[0])
    out: list[list[str]] = []
    for text in texts:
        lowered = _strip_accents(text.lower())
        if (
            url_literals is not None
            and lowered.isascii()
            and not any(lit in lowered for lit in url_literals)
        ):
            # No seed-URL alternative can match, so the scan finds exactly the words
            out.append(words.findall(lowered))
            continue
        tokens = []
        for match in regex.finditer(lowered):
            # At most one seed-URL group can match; lastindex names it (None for a word).
            group = match.lastindex
            tokens.append(match.group(0) if group is None else match.group(group))
        out.append(tokens)
    return out


def _blocked_substrings(config: TopicConfig) -> set[str]:
    """Seed terms as literal strings, the way the reference strips their regex syntax.

    Two spellings per term: ``\\s``/``\\b`` removed, and every escaped character turned into
    a period. Both are kept, quirks included (``\\bgc\\b`` blocks every token containing gc).
    """
    blocked: set[str] = set()
    for topic in config.topics:
        for pattern in topic.patterns:
            term = pattern.strip()
            blocked.add(re.sub(r"\\[sb]", "", term))
            blocked.add(re.sub(r"\\.", ".", term))
    return blocked


def seed_stop_words(vocabulary: Sequence[str], config: TopicConfig) -> frozenset[str]:
    """Vocabulary tokens that contain a seed term; the classifier never sees them (§4.3).

    Parameters
    ----------
    vocabulary : sequence of str
        Distinct tokens of all posts (training and conflicted).
    config : TopicConfig

    Returns
    -------
    frozenset of str
    """
    blocked = _blocked_substrings(config)
    return frozenset(v for v in vocabulary if any(b in v for b in blocked))
