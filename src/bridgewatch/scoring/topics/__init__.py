"""Topic assignment of notes: seed terms expanded by a TF-IDF classifier (extended §4.3).

Public surface::

    from bridgewatch.scoring.topics import TopicConfig, assign_topics

    assignment = assign_topics(post_ids, note_texts, TopicConfig())
    assignment.note_topics      # int8 (n_notes,), topic id or -1
"""

from bridgewatch.scoring.topics.assign import (
    TOPIC_UNASSIGNED,
    TopicAssignment,
    TopicClassifier,
    TopicClassifierError,
    assign_topics,
    balanced_accuracy,
    train_topic_classifier,
)
from bridgewatch.scoring.topics.classifier import SoftmaxModel, fit_softmax_regression
from bridgewatch.scoring.topics.confidence import topic_note_confidence
from bridgewatch.scoring.topics.config import TopicConfig, TopicSeeds, x_topic_seeds
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
    "PostTexts",
    "SeedLabels",
    "SoftmaxModel",
    "TopicAssignment",
    "TopicClassifier",
    "TopicClassifierError",
    "TopicConfig",
    "TopicSeeds",
    "assign_topics",
    "balanced_accuracy",
    "fit_softmax_regression",
    "label_seeds",
    "prepare_post_texts",
    "seed_stop_words",
    "tokenize",
    "topic_note_confidence",
    "train_topic_classifier",
    "x_topic_seeds",
]
