"""Rating concentration by hand, and the counterfactual re-scores on a small community."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from bridgewatch.analysis.embeddings import (
    drop_top_raters,
    rating_concentration,
    seed_stability,
    without_raters,
)
from bridgewatch.errors import ConfigError
from bridgewatch.io import load_dataset
from bridgewatch.scoring.config import ScoringConfig
from bridgewatch.scoring.run import default_as_of_ms
from tests.analysis.embeddings.factories import matrix_of
from tests.scoring.community import write_small_community


def test_rating_concentration_by_hand() -> None:
    # Ratings per rater: 6, 1, 1, 1, 1 (rater 5 rated nothing and does not count).
    votes = [(0, n, 1) for n in range(6)] + [(r, 0, 1) for r in range(1, 5)]
    got = dict(rating_concentration(matrix_of(votes, 6, 6), top_shares=(0.2, 1.0)).iter_rows())
    assert got["topRatersShare@0.2"] == pytest.approx(0.6)
    assert got["topRatersShare@1"] == pytest.approx(1.0)
    # Gini of (1, 1, 1, 1, 6): sum_i (2i - n - 1) x_i / (n sum x) = 20 / 50.
    assert got["gini"] == pytest.approx(0.4)
    with pytest.raises(ConfigError, match="top_shares"):
        rating_concentration(matrix_of(votes, 6, 6), top_shares=(0.0,))


def test_counterfactual_rescores_compare_with_the_first_run(tmp_path: Path) -> None:
    written = write_small_community(tmp_path)
    dataset = load_dataset(notes=written.notes, ratings=written.ratings[0])
    config = replace(ScoringConfig(), topics=None)
    as_of = default_as_of_ms(dataset)
    same = seed_stability(dataset, config, [1, 1], as_of_ms=as_of)
    assert same["statusAgreement"][0] == 1.0
    assert same["noteInterceptCorr"][0] == pytest.approx(1.0)
    dropped = drop_top_raters(dataset, config, share=0.05, as_of_ms=as_of)
    row = dropped.row(0, named=True)
    assert row["droppedRaters"] >= 1
    assert 0 < row["droppedRatings"] < dataset.ratings.n_ratings
    assert row["noteInterceptCorr"] < 1.0
    assert 0.0 <= row["statusAgreement"] <= 1.0


def test_without_raters_keeps_everyone_elses_ratings(tmp_path: Path) -> None:
    written = write_small_community(tmp_path)
    dataset = load_dataset(notes=written.notes, ratings=written.ratings[0])
    drop = np.zeros(len(dataset.participant_ids), dtype=bool)
    drop[dataset.ratings.rater_idx[0]] = True
    smaller = without_raters(dataset, drop)
    assert not drop[smaller.ratings.rater_idx].any()
    assert smaller.ratings.n_ratings == int((~drop[dataset.ratings.rater_idx]).sum())
