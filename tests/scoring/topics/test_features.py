"""Unigram counts and TF-IDF (scoring-extended.md §4.3)."""

from __future__ import annotations

import numpy as np

from bridgewatch.scoring.topics.features import (
    count_tokens,
    fit_idf,
    fit_vocabulary,
    tfidf_transform,
)

DOCS = [["a", "b", "a"], ["b", "c"], ["b", "stop"]]


def test_vocabulary_is_sorted_and_bounded_by_document_frequency() -> None:
    vocab = fit_vocabulary(DOCS, stop_words=frozenset({"stop"}), min_df=1, max_df=2)
    # "b" is in 3 documents (> max_df); "stop" is a stop word.
    assert vocab == ("a", "c")
    assert fit_vocabulary(DOCS, stop_words=frozenset(), min_df=2, max_df=3) == ("b",)


def test_counts_ignore_unknown_tokens() -> None:
    counts = count_tokens(DOCS, ("a", "b"))
    assert counts.toarray().tolist() == [[2.0, 1.0], [0.0, 1.0], [0.0, 1.0]]


def test_idf_is_smoothed_log_ratio_plus_one() -> None:
    counts = count_tokens(DOCS, ("a", "b", "c"))
    idf = fit_idf(counts).idf
    # n = 3 documents; df(a) = 1, df(b) = 3, df(c) = 1.
    expected = [np.log(4 / 2) + 1, np.log(4 / 4) + 1, np.log(4 / 2) + 1]
    np.testing.assert_allclose(idf, expected, rtol=1e-15)


def test_tfidf_rows_have_unit_norm_and_empty_rows_stay_zero() -> None:
    docs = [*DOCS, []]
    counts = count_tokens(docs, ("a", "b", "c"))
    weights = fit_idf(counts)
    features = tfidf_transform(counts, weights).toarray()
    np.testing.assert_allclose(np.linalg.norm(features[:3], axis=1), 1.0, rtol=1e-12)
    assert features[3].tolist() == [0.0, 0.0, 0.0]
    # Row 0: counts (2, 1, 0) times idf, normalised.
    raw = np.array([2 * weights.idf[0], weights.idf[1], 0.0])
    np.testing.assert_allclose(features[0], raw / np.linalg.norm(raw), rtol=1e-12)
