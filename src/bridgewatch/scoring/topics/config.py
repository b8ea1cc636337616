"""Configuration of the seed-term topic classifier (scoring-extended.md §4.3)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bridgewatch.errors import ConfigError

__all__ = ["TopicConfig", "TopicSeeds", "x_topic_seeds"]


@dataclass(frozen=True)
class TopicSeeds:
    """One topic: its id, name and seed-term regular expressions.

    Parameters
    ----------
    topic_id : int
        Class of the topic, >= 1 (0 is the "Unassigned" class of the classifier).
    name : str
        Name written to ``noteTopic`` (for example ``"UkraineConflict"``).
    patterns : tuple of str
        Seed terms as regular expressions, matched case-insensitively on lower-cased post
        text. A pattern that starts with ``\\b`` or ``\\s`` carries its own boundary, one that
        contains a literal period (``\\.``, a URL) matches anywhere; every other pattern must
        follow whitespace or the start of the text (§4.3).
    min_seed_probability : float
        A post whose seed terms name this topic keeps it unless the classifier gives the topic
        a probability below this (0.01; 0.02 for InDimensionTwo) (§4.3).
    """

    topic_id: int
    name: str
    patterns: tuple[str, ...]
    min_seed_probability: float = 0.01

    def __post_init__(self) -> None:
        if self.topic_id < 1:
            raise ConfigError("topic_id", self.topic_id, "an integer >= 1 (0 is Unassigned)")
        if not self.name or not self.name.isidentifier():
            raise ConfigError("name", self.name, "a non-empty identifier (used as regex group)")
        if not self.patterns:
            raise ConfigError("patterns", self.patterns, "at least one seed pattern")
        for pattern in self.patterns:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ConfigError("patterns", pattern, f"a valid regex ({exc})") from exc
        if not 0.0 <= self.min_seed_probability <= 1.0:
            raise ConfigError("min_seed_probability", self.min_seed_probability, "0 <= p <= 1")


def x_topic_seeds() -> tuple[TopicSeeds, ...]:
    """The reference's five topics and seed terms (scoring-extended.md §4.3 table).

    A platform chooses its own topics; these reproduce the reference's assignment.
    """
    return (
        TopicSeeds(
            1,
            "UkraineConflict",
            ("ukrain", "russia", "kiev", "kyiv", "moscow", "zelensky", "putin"),
        ),
        TopicSeeds(2, "GazaConflict", ("israel", "palestin", "gaza", "jerusalem", r"\bhamas\b")),
        TopicSeeds(3, "MessiRonaldo", (r"messi\b", "ronaldo")),
        TopicSeeds(
            4,
            "Scams",
            (
                "scam",
                r"undisclosed\sad",
                r"terms\sof\sservice",
                r"help\.x\.com",
                r"x\.com/tos",
                r"engagement\sfarm",
                "spam",
                "gambling",
                "apostas",
                "apuestas",
                "dropship",
                r"drop\sship",
                "promotion",
            ),
        ),
        TopicSeeds(
            5,
            "InDimensionTwo",
            (
                r"\bugc\b",
                r"\bgc\b",
                r"\bobc\b",
                r"\bsc\b",
                r"\bsc[,\s]+st\b",
                r"\bst[,\s]+sc\b",
                "आरक्षण",
            ),
            min_seed_probability=0.02,
        ),
    )


@dataclass(frozen=True)
class TopicConfig:
    """Hyperparameters of topic assignment (scoring-extended.md §4.3).

    Parameters
    ----------
    topics : tuple of TopicSeeds
        The topics, with distinct ids and names. Default: the reference's five.
    url_min_token_length : int
        URLs in note text are replaced by their alphabetic runs of at least this many
        characters (4), so that URL fragments cannot match short seed terms.
    preserved_url_patterns : tuple of str
        URLs matching any of these regexes are kept verbatim (they are seed terms).
    small_corpus_min_df : int
        Minimum document frequency (posts) of a vocabulary token when there are fewer than
        ``large_corpus_posts`` posts (1).
    large_corpus_min_df : int
        The same for larger corpora (25).
    large_corpus_posts : int
        Number of posts from which the large-corpus minimum applies (2000).
    max_df_floor : int
        Maximum document frequency is ``max(max_df_floor, int(max_df_fraction * n_posts))``
        posts (1000).
    max_df_fraction : float
        See ``max_df_floor`` (0.25).
    inverse_regularization : float
        ``C`` of the L2-regularised multinomial logistic regression (1.0): the objective is
        the summed log-loss plus ``||W||^2 / (2 C)``, intercepts unpenalised.
    max_iter : int
        L-BFGS iteration cap of the classifier fit (1000).
    tol : float
        L-BFGS projected-gradient tolerance on the summed objective (1e-4).
    min_balanced_accuracy : float
        The run aborts unless the balanced accuracy of the classifier's argmax on the seed
        labels of unconflicted posts is strictly greater than this (0.35).
    """

    topics: tuple[TopicSeeds, ...] = field(default_factory=x_topic_seeds)
    url_min_token_length: int = 4
    preserved_url_patterns: tuple[str, ...] = (r"help\.x\.com", r"x\.com/tos")
    small_corpus_min_df: int = 1
    large_corpus_min_df: int = 25
    large_corpus_posts: int = 2000
    max_df_floor: int = 1000
    max_df_fraction: float = 0.25
    inverse_regularization: float = 1.0
    max_iter: int = 1000
    tol: float = 1e-4
    min_balanced_accuracy: float = 0.35

    def __post_init__(self) -> None:
        if not self.topics:
            raise ConfigError("topics", self.topics, "at least one topic")
        ids = [t.topic_id for t in self.topics]
        if len(set(ids)) != len(ids):
            raise ConfigError("topics", ids, "distinct topic ids")
        names = [t.name for t in self.topics]
        if len(set(names)) != len(names) or "Unassigned" in names:
            raise ConfigError("topics", names, "distinct names other than 'Unassigned'")
        if max(ids) > 127:
            raise ConfigError("topics", max(ids), "topic ids <= 127 (stored as int8)")
        if self.url_min_token_length < 1:
            raise ConfigError("url_min_token_length", self.url_min_token_length, ">= 1")
        for pattern in self.preserved_url_patterns:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ConfigError(
                    "preserved_url_patterns", pattern, f"a valid regex ({exc})"
                ) from exc
        for name in ("small_corpus_min_df", "large_corpus_min_df", "max_df_floor"):
            if getattr(self, name) < 1:
                raise ConfigError(name, getattr(self, name), "an integer >= 1")
        if self.large_corpus_posts < 0:
            raise ConfigError("large_corpus_posts", self.large_corpus_posts, ">= 0")
        if not 0.0 < self.max_df_fraction <= 1.0:
            raise ConfigError("max_df_fraction", self.max_df_fraction, "0 < fraction <= 1")
        if not self.inverse_regularization > 0.0:
            raise ConfigError("inverse_regularization", self.inverse_regularization, "> 0")
        if self.max_iter < 1:
            raise ConfigError("max_iter", self.max_iter, "an integer >= 1")
        if not self.tol > 0.0:
            raise ConfigError("tol", self.tol, "> 0")
        if not 0.0 <= self.min_balanced_accuracy < 1.0:
            raise ConfigError("min_balanced_accuracy", self.min_balanced_accuracy, "in [0, 1)")

    @property
    def n_classes(self) -> int:
        """Number of classifier columns: 0 (Unassigned) up to the largest topic id."""
        return max(t.topic_id for t in self.topics) + 1

    def topic_name(self, topic_id: int) -> str:
        """Name of a topic id; ``"Unassigned"`` for 0 or -1."""
        for topic in self.topics:
            if topic.topic_id == topic_id:
                return topic.name
        if topic_id in (0, -1):
            return "Unassigned"
        raise KeyError(topic_id)

    def topic_id(self, name: str) -> int:
        """Id of a topic name; -1 for ``"Unassigned"`` or an empty string."""
        for topic in self.topics:
            if topic.name == name:
                return topic.topic_id
        if name in ("", "Unassigned"):
            return -1
        raise KeyError(name)
