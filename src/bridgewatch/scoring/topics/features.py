"""Unigram counts and TF-IDF features of post texts (scoring-extended.md §4.3).

Counts are a CSR matrix of posts x vocabulary tokens; the vocabulary is sorted so that the
features (and every float sum over them) come out in one fixed order.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

__all__ = ["TfidfWeights", "count_tokens", "fit_idf", "fit_vocabulary", "tfidf_transform"]


def fit_vocabulary(
    token_lists: Sequence[Sequence[str]],
    *,
    stop_words: frozenset[str],
    min_df: int,
    max_df: int,
) -> tuple[str, ...]:
    """Sorted vocabulary of tokens with ``min_df <= document frequency <= max_df``.

    Parameters
    ----------
    token_lists : sequence of token sequences, one per training document (post)
    stop_words : frozenset of str
        Tokens never admitted.
    min_df, max_df : int
        Bounds on the number of documents containing a token (inclusive).

    Returns
    -------
    tuple of str, sorted ascending.
    """
    doc_freq = Counter(chain.from_iterable(map(set, token_lists)))
    return tuple(
        sorted(t for t, df in doc_freq.items() if min_df <= df <= max_df and t not in stop_words)
    )


def count_tokens(token_lists: Sequence[Sequence[str]], vocabulary: Sequence[str]) -> sp.csr_matrix:
    """Token counts of each document over ``vocabulary``; unknown tokens are ignored.

    Parameters
    ----------
    token_lists : sequence of token sequences, length n_docs
    vocabulary : sequence of str, length n_features

    Returns
    -------
    float64 CSR matrix of shape (n_docs, n_features), sorted indices, no duplicates.
    """
    column = {token: j for j, token in enumerate(vocabulary)}
    indptr = np.zeros(len(token_lists) + 1, dtype=np.int64)
    cols: list[int] = []
    for i, tokens in enumerate(token_lists):
        known = [column[t] for t in tokens if t in column]
        cols.extend(known)
        indptr[i + 1] = len(cols)
    indices = np.asarray(cols, dtype=np.int64)
    data = np.ones(indices.shape[0], dtype=np.float64)
    counts = sp.csr_matrix(
        (data, indices, indptr), shape=(len(token_lists), len(vocabulary)), dtype=np.float64
    )
    counts.sum_duplicates()
    counts.sort_indices()
    return counts


@dataclass(frozen=True)
class TfidfWeights:
    """Smoothed inverse document frequencies.

    Parameters
    ----------
    idf : float64 array of shape (n_features,)
        ``ln((1 + n_docs) / (1 + df)) + 1`` over the training documents.
    """

    idf: NDArray[np.float64]


def fit_idf(counts: sp.csr_matrix) -> TfidfWeights:
    """Smoothed IDF of the training count matrix (shape (n_docs, n_features))."""
    n_docs = counts.shape[0]
    doc_freq = np.bincount(counts.indices, minlength=counts.shape[1]).astype(np.float64)
    idf = np.log((1.0 + n_docs) / (1.0 + doc_freq)) + 1.0
    return TfidfWeights(idf)


def tfidf_transform(counts: sp.csr_matrix, weights: TfidfWeights) -> sp.csr_matrix:
    """Counts times IDF, each row scaled to unit Euclidean norm (all-zero rows stay zero).

    Parameters
    ----------
    counts : float64 CSR matrix of shape (n_docs, n_features)
    weights : TfidfWeights

    Returns
    -------
    float64 CSR matrix of shape (n_docs, n_features).
    """
    scaled = counts.copy()
    scaled.data = scaled.data * weights.idf[scaled.indices]
    row_sq = np.asarray(scaled.multiply(scaled).sum(axis=1)).ravel()
    norms = np.sqrt(row_sq)
    norms[norms == 0.0] = 1.0
    row_of_entry = np.repeat(np.arange(scaled.shape[0]), np.diff(scaled.indptr))
    scaled.data = scaled.data / norms[row_of_entry]
    return scaled
