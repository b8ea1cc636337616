"""derive_columns and repeated_pairs against plain polars / numpy references."""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from bridgewatch.io import schemas
from bridgewatch.io.rating_kernels import FLAG_NULL, LEVEL_NULL, derive_columns, repeated_pairs
from bridgewatch.io.ratings_stream import rating_value_exprs
from bridgewatch.model.columns import HELPFUL_TAGS, NOT_HELPFUL_TAGS

_FLAGS = ("helpful", "notHelpful", "agree", "disagree", *HELPFUL_TAGS, *NOT_HELPFUL_TAGS)


def _random_frame(rng: np.random.Generator, n: int) -> pl.DataFrame:
    def flag() -> pl.Series:
        values = rng.integers(0, 2, n).astype(np.int8)
        return pl.Series(values).scatter(np.flatnonzero(rng.random(n) < 0.3), None)

    levels = schemas.HELPFULNESS_LEVEL_DTYPE.categories.to_list()
    sources = schemas.RATING_SOURCE_DTYPE.categories.to_list()
    level = [None if rng.random() < 0.4 else levels[rng.integers(0, 3)] for _ in range(n)]
    source = [None if rng.random() < 0.3 else sources[rng.integers(0, 2)] for _ in range(n)]
    return pl.DataFrame(
        {
            **{f: flag() for f in _FLAGS},
            "helpfulnessLevel": pl.Series(level, dtype=schemas.HELPFULNESS_LEVEL_DTYPE),
            "ratingSourceBucketed": pl.Series(source, dtype=schemas.RATING_SOURCE_DTYPE),
            "version": pl.Series([None if rng.random() < 0.5 else 1 for _ in range(n)]),
        }
    )


def _derive(frame: pl.DataFrame) -> Any:
    flags = frame.select(pl.col(_FLAGS).fill_null(FLAG_NULL)).to_numpy()
    physical = frame.select(
        pl.col("helpfulnessLevel", "ratingSourceBucketed")
        .to_physical()
        .cast(pl.Int8)
        .fill_null(LEVEL_NULL)
    )
    return derive_columns(
        flags,
        physical["helpfulnessLevel"].to_numpy(),
        physical["ratingSourceBucketed"].to_numpy(),
        frame["version"].is_null().to_numpy(),
        len(HELPFUL_TAGS),
        len(NOT_HELPFUL_TAGS),
    )


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(0, 300))
def test_derive_columns_matches_the_polars_expressions(seed: int, n: int) -> None:
    frame = _random_frame(np.random.default_rng(seed), n)
    helpful_num, level, helpful_tags, not_helpful_tags, sampled, content, n_null, n_bad = _derive(
        frame
    )
    expected = frame.select(rating_value_exprs())
    np.testing.assert_array_equal(helpful_num, expected["helpful_num"].to_numpy())
    assert np.array_equal(level, expected["helpfulness_level"].to_numpy())
    assert np.array_equal(helpful_tags, expected["helpful_tags"].to_numpy())
    assert np.array_equal(not_helpful_tags, expected["not_helpful_tags"].to_numpy())
    assert np.array_equal(sampled, expected["population_sampled"].to_numpy())
    assert n_null == sum(frame[f].null_count() for f in _FLAGS)
    assert n_bad == 0
    # The packed content is equal exactly when the rows are.
    same_row = frame.select(pl.struct(pl.all()).rank("dense")).to_series().to_numpy()
    for i in range(min(n, 40)):
        assert np.array_equal(content == content[i], same_row == same_row[i])


def test_derive_columns_by_hand_and_counts_bad_flags() -> None:
    row = dict.fromkeys(_FLAGS, 0) | {"helpful": 1, "helpfulClear": 1, "notHelpfulOther": 1}
    frame = pl.DataFrame(
        [row, row | {"notHelpful": 1, "agree": 7}],
        schema=dict.fromkeys(_FLAGS, pl.Int8),
    ).with_columns(
        helpfulnessLevel=pl.Series([None, "HELPFUL"], dtype=schemas.HELPFULNESS_LEVEL_DTYPE),
        ratingSourceBucketed=pl.Series(
            ["POPULATION_SAMPLED", None], dtype=schemas.RATING_SOURCE_DTYPE
        ),
        version=pl.Series([1, 1]),
    )
    helpful_num, level, helpful_tags, not_helpful_tags, sampled, _, n_null, n_bad = _derive(frame)
    assert helpful_num.tolist() == [1.0, 1.0]
    assert level.tolist() == [-1, 2]
    assert helpful_tags.tolist() == [1 << HELPFUL_TAGS.index("helpfulClear")] * 2
    assert not_helpful_tags.tolist() == [1 << NOT_HELPFUL_TAGS.index("notHelpfulOther")] * 2
    assert sampled.tolist() == [True, False]
    assert (n_null, n_bad) == (0, 1)


@settings(max_examples=40, deadline=None)
@given(
    pairs=st.lists(st.tuples(st.integers(0, 6), st.integers(0, 4)), max_size=120),
)
def test_repeated_pairs_matches_numpy(pairs: list[tuple[int, int]]) -> None:
    rater = np.array([p[0] for p in pairs], dtype=np.int32)
    note = np.array([p[1] for p in pairs], dtype=np.int32)
    key = rater.astype(np.int64) * 5 + note
    _, inverse, counts = np.unique(key, return_inverse=True, return_counts=True)
    expected = counts[inverse] > 1
    assert np.array_equal(repeated_pairs(rater, note, 7, 5), expected)
