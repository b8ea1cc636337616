"""Topic configuration checks (scoring-extended.md §4.3)."""

from __future__ import annotations

import dataclasses

import pytest

from bridgewatch.errors import ConfigError
from bridgewatch.scoring.topics import TopicConfig, TopicSeeds


def test_default_config_has_the_reference_topics() -> None:
    config = TopicConfig()
    assert [t.name for t in config.topics] == [
        "UkraineConflict",
        "GazaConflict",
        "MessiRonaldo",
        "Scams",
        "InDimensionTwo",
    ]
    assert config.n_classes == 6
    assert config.topic_name(4) == "Scams" and config.topic_id("Scams") == 4
    assert config.topic_name(-1) == "Unassigned" and config.topic_id("") == -1
    assert [t.min_seed_probability for t in config.topics] == [0.01] * 4 + [0.02]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"topic_id": 0}, "topic_id"),
        ({"name": "not an identifier"}, "name"),
        ({"patterns": ()}, "patterns"),
        ({"patterns": ("(unclosed",)}, "patterns"),
        ({"min_seed_probability": 1.5}, "min_seed_probability"),
    ],
)
def test_bad_topic_seeds_name_the_field(kwargs: dict[str, object], field: str) -> None:
    base: dict[str, object] = {"topic_id": 1, "name": "T", "patterns": ("t",)}
    with pytest.raises(ConfigError) as info:
        TopicSeeds(**{**base, **kwargs})  # type: ignore[arg-type]
    assert info.value.field == field


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("topics", ()),
        ("topics", (TopicSeeds(1, "A", ("a",)), TopicSeeds(1, "B", ("b",)))),
        ("topics", (TopicSeeds(1, "A", ("a",)), TopicSeeds(2, "A", ("b",)))),
        ("url_min_token_length", 0),
        ("preserved_url_patterns", ("[",)),
        ("small_corpus_min_df", 0),
        ("max_df_fraction", 0.0),
        ("inverse_regularization", 0.0),
        ("max_iter", 0),
        ("tol", 0.0),
        ("min_balanced_accuracy", 1.0),
    ],
)
def test_bad_topic_config_names_the_field(field: str, value: object) -> None:
    with pytest.raises(ConfigError) as info:
        dataclasses.replace(TopicConfig(), **{field: value})  # type: ignore[arg-type]
    assert info.value.field == field
