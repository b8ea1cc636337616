"""Post text cleaning, seed labels, tokens and stop words (scoring-extended.md §4.3)."""

from __future__ import annotations

import numpy as np

from bridgewatch.scoring.topics import (
    TopicConfig,
    TopicSeeds,
    label_seeds,
    prepare_post_texts,
    seed_stop_words,
    tokenize,
)
from bridgewatch.scoring.topics.text import _required_literals, filter_url_tokens

CONFIG = TopicConfig()


def test_url_is_reduced_to_its_long_alphabetic_runs() -> None:
    text = "see https://news.example.org/sc_lang/a/123?x=ukr for more"
    assert filter_url_tokens(text, CONFIG) == "see https news example lang for more"


def test_seed_term_urls_are_kept_verbatim() -> None:
    text = "read https://help.x.com/en/rules now"
    assert filter_url_tokens(text, CONFIG) == text


def test_url_stops_at_closing_bracket() -> None:
    assert filter_url_tokens("(https://a.example.com/xy)", CONFIG) == "(https example)"


def test_notes_are_joined_per_post_in_input_order_and_cleaned() -> None:
    posts = prepare_post_texts(np.array([20, 10, 20]), ["first_note", None, "second/note"], CONFIG)
    assert posts.post_ids.tolist() == [10, 20]
    assert posts.texts == ("", "first note second note")
    assert posts.note_post_idx.tolist() == [1, 0, 1]


def test_single_topic_match_labels_the_post() -> None:
    seeds = label_seeds(["this concerns russia.", "a crypto scam", "nothing here"], CONFIG)
    assert seeds.labels.tolist() == [1, 4, 0]
    assert seeds.conflicted.tolist() == [False, False, False]


def test_two_topics_make_a_conflicted_unlabelled_post() -> None:
    seeds = label_seeds(["Putin and Messi"], CONFIG)
    assert seeds.labels.tolist() == [0]
    assert seeds.conflicted.tolist() == [True]
    assert np.flatnonzero(seeds.matched[0]).tolist() == [1, 3]


def test_seed_patterns_with_their_own_groups_label_their_topic() -> None:
    config = TopicConfig(
        topics=(
            TopicSeeds(1, "Alpha", (r"(al)pha", r"(?P<inner>beta)")),
            TopicSeeds(2, "Gamma", (r"gam((m)a)",)),
        )
    )
    seeds = label_seeds(["alpha", "beta", "gamma", "alpha gamma", "none"], config)
    assert seeds.labels.tolist() == [1, 1, 2, 0, 0]
    assert seeds.matched[:, 1:].tolist() == [
        [True, False], [True, False], [False, True], [True, True], [False, False]
    ]  # fmt: skip


def test_plain_seed_needs_whitespace_or_start_before_it() -> None:
    # "prussia" has no boundary before "russia"; "ukrainian" matches the stem "ukrain".
    seeds = label_seeds(["old prussia", "ukrainian grain", "russia"], CONFIG)
    assert seeds.labels.tolist() == [0, 1, 1]


def test_bounded_seeds_respect_word_boundaries() -> None:
    seeds = label_seeds(
        ["messiah", "messi, again", "hamasville", "(hamas)", "sc, st quota"], CONFIG
    )
    assert seeds.labels.tolist() == [0, 3, 0, 2, 5]


def test_multiword_seed_matches_across_exactly_one_whitespace() -> None:
    texts = ["an undisclosed ad", "an undisclosed  ad", "an undisclosedad", "drop\tship it"]
    assert label_seeds(texts, CONFIG).labels.tolist() == [4, 0, 0, 4]


def test_tokens_are_lowercase_accent_free_words_of_two_or_more_chars() -> None:
    assert tokenize(["Café à la Crème, x y2 help.x.com"], CONFIG) == [
        ["cafe", "la", "creme", "y2", "help.x.com"]
    ]


def test_tokens_containing_any_seed_spelling_are_stop_words() -> None:
    vocabulary = ["russian", "science", "transfer", "spammy", "rumour", "help.x.com", "gcse"]
    # "sc" and "gc" are InDimensionTwo seeds, so the reference also drops "science", "gcse".
    assert seed_stop_words(vocabulary, CONFIG) == frozenset(
        {"russian", "science", "spammy", "help.x.com", "gcse"}
    )


def test_required_literals_come_from_top_level_literal_runs() -> None:
    assert _required_literals(r"\bsc[,\s]+st\b") == ["sc", "st"]
    assert _required_literals(r"help\.x\.com") == ["help.x.com"]
    assert _required_literals("a|b") == []  # a top-level alternation has no required run
    assert _required_literals("आरक्षण") == ["आरक्षण"]  # matches no ASCII text
    assert _required_literals("\u212a") == []  # the Kelvin sign matches "k"


def test_prefiltered_seed_labels_equal_the_full_scan() -> None:
    rng = np.random.default_rng(3)
    words = [
        "the", "scam", "ſcam", "\u212aiev", "kiev", "st,sc", "sc", "gc", "Gaza", "messi",
        "messiah", "x.com/tos", "aapostas", "आरक्षण", "school", "drop ship", "hamas.", "",
    ]  # fmt: skip
    texts = [" ".join(rng.choice(words, size=rng.integers(0, 6))) for _ in range(400)]
    config = TopicConfig()
    fast = label_seeds(texts, config)
    full = label_seeds(texts, config, prefilter=False)
    np.testing.assert_array_equal(fast.matched, full.matched)
    assert full.matched[:, 1:].any(axis=0).all()  # every topic occurs


def test_word_only_shortcut_gives_the_tokens_of_the_full_scan() -> None:
    from bridgewatch.scoring.topics.text import _strip_accents, _token_regex

    rng = np.random.default_rng(5)
    words = [
        "Café", "https://help.x.com/en/rules", "x.com/tos", "HELP.X.COM", "a", "it's",
        "naïve", "ok_go", "déjà-vu", "42", "x", "tos", "help",
    ]  # fmt: skip
    texts = [" ".join(rng.choice(words, size=rng.integers(0, 7))) for _ in range(300)]
    regex = _token_regex(CONFIG)
    full = [
        [m.group(0) if m.lastindex is None else m.group(m.lastindex) for m in
         regex.finditer(_strip_accents(t.lower()))]
        for t in texts
    ]  # fmt: skip
    assert tokenize(texts, CONFIG) == full
    assert any("help.x.com" in tokens for tokens in full)


def test_anchored_scan_finds_the_matches_of_the_full_scan() -> None:
    """The scan tries the regex only next to literal occurrences; on texts built to hit
    every edge (text start, punctuation, tabs and newlines, overlapping and repeated
    literals, leads of several characters) it must find exactly the full scan's matches."""
    from bridgewatch.scoring.topics.text import (
        _anchored_matches,
        _seed_anchors,
        _seed_regex,
    )

    custom = TopicConfig(
        topics=(
            TopicSeeds(1, "Lead", (r"(?:foo|ba)rk\w*", r"\bab{1,3}cd", r"x\.y")),
            TopicSeeds(2, "Plain", ("bark", r"\bcdcd\b", "rkr")),
        )
    )
    words = [
        "bark", "barkbark", "fooRK", "abbcd", "abcdcd", "cdcd", "x.y", "xxy", "rkrk", "\tbark",
        "\nfoork", "ba-rk", "sc,st", "st, sc", "ScAm", "drop\tship", "dropship", "kyiv.",
        "gaza", "(gaza)", "hamas", "x.com/tos", "", "e",
    ]  # fmt: skip
    rng = np.random.default_rng(11)
    texts = ["".join(rng.choice(words, size=rng.integers(0, 8))) for _ in range(600)]
    texts += [" ".join(rng.choice(words, size=rng.integers(0, 8))) for _ in range(600)]
    for config in (TopicConfig(), custom):
        anchors = _seed_anchors(config)
        assert anchors is not None
        regex = _seed_regex(config)
        for text in texts:
            lowered = text.lower()
            found = _anchored_matches(regex, lowered, anchors)
            full = list(regex.finditer(lowered))
            assert found is not None
            assert [(m.span(), m.lastgroup) for m in found] == [
                (m.span(), m.lastgroup) for m in full
            ], text
        np.testing.assert_array_equal(
            label_seeds(texts, config).matched, label_seeds(texts, config, prefilter=False).matched
        )
    unbounded = TopicConfig(topics=(TopicSeeds(1, "Any", (r"\w+zz",)),))
    assert _seed_anchors(unbounded) is None  # no bound on the lead: full scans
