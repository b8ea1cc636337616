"""Topic assignment of notes: seed labels expanded by a TF-IDF classifier (extended §4.3).

1. Join the notes of each post and clean the text (``prepare_post_texts``).
2. Label posts by seed terms: one topic -> that label; several -> conflicted; none -> 0.
3. Fit unigram TF-IDF + multinomial logistic regression on the unconflicted posts, with every
   token containing a seed term removed from the vocabulary.
4. Predict every post: the argmax class, except that a seeded post keeps its seed topic
   unless its probability is below the topic's ``min_seed_probability``, and a conflicted
   post takes its most probable matched topic if that probability reaches the minimum.
5. Every note inherits its post's topic.

The classifier is trained once per run (prescoring) and reused: pass it back as
``classifier`` to assign other notes with the same model.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from bridgewatch.errors import BridgewatchError
from bridgewatch.scoring.topics.classifier import SoftmaxModel, fit_softmax_regression
from bridgewatch.scoring.topics.config import TopicConfig
from bridgewatch.scoring.topics.features import (
    TfidfWeights,
    count_tokens,
    fit_idf,
    fit_vocabulary,
    tfidf_transform,
)
from bridgewatch.scoring.topics.text import (
    PostTexts,
    SeedLabels,
    label_seeds,
    prepare_post_texts,
    seed_stop_words,
    tokenize,
)

__all__ = [
    "TOPIC_UNASSIGNED",
    "TopicAssignment",
    "TopicClassifier",
    "TopicClassifierError",
    "assign_topics",
    "balanced_accuracy",
    "train_topic_classifier",
]

logger = logging.getLogger(__name__)

TOPIC_UNASSIGNED = -1
"""Topic code of a note or post that belongs to no topic."""


class TopicClassifierError(BridgewatchError):
    """The topic classifier cannot be trained or is too inaccurate on its seed labels."""


@dataclass(frozen=True)
class TopicClassifier:
    """A trained topic classifier (features and model), reusable across scoring phases.

    Parameters
    ----------
    vocabulary : tuple of str, length n_features
        Sorted feature tokens.
    stop_words : frozenset of str
        Tokens excluded because they contain seed terms.
    idf : TfidfWeights
    model : SoftmaxModel
    n_training_posts : int
        Unconflicted posts the model was fitted on.
    """

    vocabulary: tuple[str, ...]
    stop_words: frozenset[str]
    idf: TfidfWeights
    model: SoftmaxModel
    n_training_posts: int

    def predict_proba(self, texts: Sequence[str], config: TopicConfig) -> NDArray[np.float64]:
        """Topic probabilities of cleaned post texts, shape (n_posts, config.n_classes)."""
        counts = count_tokens(tokenize(texts, config), self.vocabulary)
        return self.model.predict_proba(tfidf_transform(counts, self.idf), config.n_classes)


@dataclass(frozen=True)
class TopicAssignment:
    """Topic of every note and post.

    Parameters
    ----------
    note_topics : int8 array of shape (n_notes,)
        Topic id of each note's post, ``TOPIC_UNASSIGNED`` (-1) if none.
    post_ids : array of shape (n_posts,)
        Distinct post ids, ascending.
    post_topics : int8 array of shape (n_posts,)
        Topic id of each post, -1 if none.
    note_post_idx : int32 array of shape (n_notes,)
        Row in ``post_ids`` of each note.
    seeds : SeedLabels
        Seed labels of the posts (0 = no single seed topic).
    probabilities : float64 array of shape (n_posts, n_classes)
        Classifier probabilities, column t for topic t and column 0 for Unassigned; the
        one-hot seed labels when no classifier could be trained.
    balanced_accuracy : float
        Balanced accuracy of the classifier's argmax on unconflicted seed labels (NaN when no
        classifier was trained).
    classifier : TopicClassifier or None
        The classifier used; None when the seeds give fewer than two training classes.
    """

    note_topics: NDArray[np.int8]
    post_ids: NDArray[np.generic]
    post_topics: NDArray[np.int8]
    note_post_idx: NDArray[np.int32]
    seeds: SeedLabels
    probabilities: NDArray[np.float64]
    balanced_accuracy: float
    classifier: TopicClassifier | None

    @property
    def note_has_topic(self) -> NDArray[np.bool_]:
        """bool array of shape (n_notes,): the note is assigned to some topic."""
        return np.asarray(self.note_topics != TOPIC_UNASSIGNED)


def balanced_accuracy(truth: NDArray[np.integer], predicted: NDArray[np.integer]) -> float:
    """Mean over the classes present in ``truth`` of the share predicted correctly.

    Parameters
    ----------
    truth, predicted : int arrays of shape (n,), n >= 1

    Returns
    -------
    float in [0, 1].
    """
    classes = np.unique(truth)
    recalls = [float(np.mean(predicted[truth == c] == c)) for c in classes]
    return float(np.mean(recalls))


def train_topic_classifier(
    posts: PostTexts, seeds: SeedLabels, config: TopicConfig
) -> TopicClassifier | None:
    """Fit the TF-IDF + logistic regression classifier on unconflicted posts (§4.3).

    Parameters
    ----------
    posts : PostTexts
        All posts; the document-frequency limits depend on their number.
    seeds : SeedLabels
        Seed labels of ``posts``.
    config : TopicConfig

    Returns
    -------
    TopicClassifier, or None when the training labels hold fewer than two classes (nothing
    to learn: no post, or no seed term anywhere).

    Raises
    ------
    TopicClassifierError
        When no vocabulary token survives the stop-word and frequency limits.
    """
    train = ~seeds.conflicted
    labels = seeds.labels[train]
    if np.unique(labels).shape[0] < 2:
        return None
    tokens = tokenize(posts.texts, config)
    all_tokens = sorted({t for post_tokens in tokens for t in post_tokens})
    stop_words = seed_stop_words(all_tokens, config)
    n_posts = posts.n_posts
    min_df = (
        config.small_corpus_min_df
        if n_posts < config.large_corpus_posts
        else config.large_corpus_min_df
    )
    max_df = max(config.max_df_floor, int(config.max_df_fraction * n_posts))
    train_tokens = [t for t, keep in zip(tokens, train.tolist(), strict=True) if keep]
    vocabulary = fit_vocabulary(train_tokens, stop_words=stop_words, min_df=min_df, max_df=max_df)
    if not vocabulary:
        raise TopicClassifierError(
            f"no vocabulary token survives stop words and document frequency {min_df}..{max_df}"
        )
    counts = count_tokens(train_tokens, vocabulary)
    idf = fit_idf(counts)
    model = fit_softmax_regression(
        tfidf_transform(counts, idf),
        labels,
        inverse_regularization=config.inverse_regularization,
        max_iter=config.max_iter,
        tol=config.tol,
    )
    logger.info(
        "topic classifier: %d training posts, %d features, %d stop words, %d iterations",
        int(train.sum()),
        len(vocabulary),
        len(stop_words),
        model.n_iter,
    )
    return TopicClassifier(vocabulary, stop_words, idf, model, int(train.sum()))


def _merge_with_seeds(
    probs: NDArray[np.float64], seeds: SeedLabels, config: TopicConfig
) -> NDArray[np.int8]:
    """Argmax predictions overridden by sufficiently probable seed topics (§4.3)."""
    predictions = probs.argmax(axis=1)
    max_other = np.zeros(config.n_classes, dtype=np.float64)
    for topic in config.topics:
        # The reference compares the other classes' mass with 1 - p_min (0.99 / 0.98).
        max_other[topic.topic_id] = 1.0 - topic.min_seed_probability
        keep = (seeds.labels == topic.topic_id) & (
            1.0 - probs[:, topic.topic_id] <= max_other[topic.topic_id]
        )
        predictions[keep] = topic.topic_id
    conflicted = np.flatnonzero(seeds.conflicted)
    if conflicted.shape[0]:
        masked = np.where(seeds.matched[conflicted], probs[conflicted], -1.0)
        best = masked.argmax(axis=1)
        best_prob = masked[np.arange(conflicted.shape[0]), best]
        take = 1.0 - best_prob <= max_other[best]
        predictions[conflicted[take]] = best[take]
    return np.asarray(predictions, dtype=np.int8)


def assign_topics(
    post_ids: NDArray[np.generic],
    note_texts: Sequence[str | None],
    config: TopicConfig,
    *,
    classifier: TopicClassifier | None = None,
) -> TopicAssignment:
    """Assign each note to a topic, or to none (scoring-extended.md §4.3).

    Parameters
    ----------
    post_ids : array of shape (n_notes,)
        Each note's post id (``tweetId``).
    note_texts : sequence of str or None, length n_notes
        Each note's text (``summary``).
    config : TopicConfig
    classifier : TopicClassifier, optional
        A classifier trained earlier in the run (prescoring). Default: train one on these
        notes.

    Returns
    -------
    TopicAssignment

    Raises
    ------
    TopicClassifierError
        When the classifier's balanced accuracy on the seed labels of unconflicted posts is
        not above ``config.min_balanced_accuracy`` (the reference aborts the run).
    """
    posts = prepare_post_texts(post_ids, note_texts, config)
    seeds = label_seeds(posts.texts, config)
    if classifier is None:
        classifier = train_topic_classifier(posts, seeds, config)
    if classifier is None:
        probs = np.zeros((posts.n_posts, config.n_classes), dtype=np.float64)
        probs[np.arange(posts.n_posts), seeds.labels] = 1.0
        accuracy = float("nan")
    else:
        probs = classifier.predict_proba(posts.texts, config)
        unconflicted = ~seeds.conflicted
        accuracy = balanced_accuracy(seeds.labels[unconflicted], probs[unconflicted].argmax(axis=1))
        if not accuracy > config.min_balanced_accuracy:
            raise TopicClassifierError(
                f"balanced accuracy {accuracy:.3f} on seed labels is not above "
                f"min_balanced_accuracy={config.min_balanced_accuracy}"
            )
    post_classes = _merge_with_seeds(probs, seeds, config)
    post_topics = np.where(post_classes == 0, TOPIC_UNASSIGNED, post_classes).astype(np.int8)
    return TopicAssignment(
        note_topics=post_topics[posts.note_post_idx],
        post_ids=posts.post_ids,
        post_topics=post_topics,
        note_post_idx=posts.note_post_idx,
        seeds=seeds,
        probabilities=probs,
        balanced_accuracy=accuracy,
        classifier=classifier,
    )
