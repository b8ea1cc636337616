"""Topic assignment: seeds, classifier expansion and the merge rule (extended §4.3)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from bridgewatch.scoring.topics import (
    TOPIC_UNASSIGNED,
    TopicClassifierError,
    TopicConfig,
    assign_topics,
    balanced_accuracy,
)

CONFIG = TopicConfig()

# Six Messi/Ronaldo posts about a transfer rumour, four Russia/Ukraine posts about grain
# exports, four weather posts, two unseeded posts that use a topic's words, and one post
# whose seed terms name two topics.
TEXTS = [
    "Messi transfer rumour denied",
    "Ronaldo transfer rumour false",
    "Messi transfer rumour old",
    "Ronaldo transfer rumour",
    "Messi transfer rumour",
    "Russia grain exports data",
    "Kyiv grain exports figures",
    "Putin grain exports claim",
    "Russia grain exports",
    "weather report was wrong",
    "weather forecast report",
    "the weather report misquoted",
    "transfer rumour",
    "grain exports",
    "Putin and Messi transfer rumour",
    "the weather report again",
]
POSTS = np.arange(len(TEXTS), dtype=np.int64) * 10


def test_classifier_extends_seed_topics_to_posts_without_seed_terms() -> None:
    result = assign_topics(POSTS, TEXTS, CONFIG)
    assert result.seeds.labels.tolist() == [3] * 5 + [1] * 4 + [0] * 7
    assert result.seeds.conflicted.tolist() == [False] * 14 + [True, False]
    assert result.note_topics.tolist() == [3] * 5 + [1] * 4 + [-1, -1, -1, 3, 1, 3, -1]
    np.testing.assert_allclose(result.probabilities.sum(axis=1), 1.0, rtol=1e-12)
    # Class 0 recall 4/6 (the two unseeded topic posts), classes 1 and 3 recall 1.
    assert result.balanced_accuracy == pytest.approx((4 / 6 + 1 + 1) / 3)


def test_every_note_on_a_post_inherits_the_post_topic() -> None:
    posts = np.concatenate([POSTS, [POSTS[9], POSTS[0]]])
    texts = [*TEXTS, "a second note", "another note"]
    result = assign_topics(posts, texts, CONFIG)
    assert result.note_topics[-2:].tolist() == [TOPIC_UNASSIGNED, 3]
    assert result.note_topics[result.note_post_idx == result.note_post_idx[0]].tolist() == [3, 3]


def test_seeded_post_keeps_its_topic_while_probability_reaches_the_minimum() -> None:
    texts = [*TEXTS, "Russia weather report"]
    posts = np.arange(len(texts)) * 10
    result = assign_topics(posts, texts, CONFIG)
    p_seed = result.probabilities[-1, 1]
    assert result.probabilities[-1].argmax() == 0 and p_seed >= 0.01
    assert result.note_topics[-1] == 1
    strict_topics = tuple(
        dataclasses.replace(t, min_seed_probability=p_seed + 0.01) if t.topic_id == 1 else t
        for t in CONFIG.topics
    )
    strict = assign_topics(posts, texts, dataclasses.replace(CONFIG, topics=strict_topics))
    assert strict.note_topics[-1] == TOPIC_UNASSIGNED


def test_conflicted_post_takes_its_likeliest_topic_only_above_the_minimum() -> None:
    result = assign_topics(POSTS, TEXTS, CONFIG)
    assert result.probabilities[14, 3] > result.probabilities[14, 1]
    strict_topics = tuple(dataclasses.replace(t, min_seed_probability=0.99) for t in CONFIG.topics)
    strict = assign_topics(POSTS, TEXTS, dataclasses.replace(CONFIG, topics=strict_topics))
    # Below the minimum the plain argmax stands, which is also topic 3 here ...
    assert strict.note_topics[14] == result.probabilities[14].argmax() == 3
    # ... while seeded posts whose argmax is their seed keep it either way.
    assert strict.note_topics[:9].tolist() == result.note_topics[:9].tolist()


def test_without_any_seed_match_no_note_gets_a_topic() -> None:
    result = assign_topics(np.array([1, 2, 2]), ["weather", "report", None], CONFIG)
    assert result.classifier is None
    assert np.isnan(result.balanced_accuracy)
    assert result.note_topics.tolist() == [-1, -1, -1]


def test_no_notes_gives_an_empty_assignment() -> None:
    result = assign_topics(np.array([], dtype=np.int64), [], CONFIG)
    assert result.note_topics.shape == (0,) and result.post_topics.shape == (0,)


def test_run_aborts_when_the_classifier_misses_its_seed_labels() -> None:
    with pytest.raises(TopicClassifierError, match="balanced accuracy"):
        assign_topics(POSTS, TEXTS, dataclasses.replace(CONFIG, min_balanced_accuracy=0.95))


def test_trained_classifier_can_be_reused_on_other_notes() -> None:
    first = assign_topics(POSTS, TEXTS, CONFIG)
    again = assign_topics(POSTS[:14], TEXTS[:14], CONFIG, classifier=first.classifier)
    np.testing.assert_array_equal(again.probabilities, first.probabilities[:14])
    assert again.note_topics.tolist() == first.note_topics[:14].tolist()


@pytest.mark.parametrize("seed", range(5))
def test_permuting_notes_permutes_topics_bit_for_bit(seed: int) -> None:
    posts = np.concatenate([POSTS, POSTS[:4]])
    texts = [*TEXTS, "more", "text", "on posts", "here"]
    base = assign_topics(posts, texts, CONFIG)
    order = np.random.default_rng(seed).permutation(len(texts))
    permuted = assign_topics(posts[order], [texts[i] for i in order], CONFIG)
    np.testing.assert_array_equal(permuted.note_topics, base.note_topics[order])
    np.testing.assert_array_equal(permuted.probabilities, base.probabilities)


def test_balanced_accuracy_averages_recall_over_true_classes() -> None:
    truth = np.array([0, 0, 0, 0, 1, 1])
    predicted = np.array([0, 0, 0, 1, 1, 2])
    assert balanced_accuracy(truth, predicted) == pytest.approx((3 / 4 + 1 / 2) / 2)
