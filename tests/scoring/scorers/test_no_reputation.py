"""Prescoring and final scoring of a scorer without reputation (the topic scorers,
scoring-multimodel.md §5.2, §2.7) on a small simulated community."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from bridgewatch.scoring.final import FinalScoringResult, run_final_scoring
from bridgewatch.scoring.inputs import CoreInputs, prepare_core_inputs
from bridgewatch.scoring.prescoring import PrescoringResult, run_prescoring
from bridgewatch.scoring.scorers import default_roster, scorer_inputs
from tests.scoring.community import load_small_community

# A topic scorer's config (no reputation, random round-1 start); topic assignment off.
TOPIC = next(s for s in default_roster() if s.name == "MFTopicScorer_Scams")
CONFIG = replace(TOPIC.config, topics=None)


@pytest.fixture(scope="module")
def scored(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[CoreInputs, PrescoringResult, FinalScoringResult]:
    dataset = load_small_community(tmp_path_factory.mktemp("community"))
    shared = prepare_core_inputs(dataset, CONFIG)
    # Every rater and every note in scope, as for a topic scorer (no group filter).
    view = scorer_inputs(shared, replace(TOPIC, config=CONFIG, topic=None))
    pre = run_prescoring(view, CONFIG, np.random.default_rng(3))
    return view, pre, run_final_scoring(view, pre, CONFIG)


def test_the_rater_output_is_round_1s_raters(
    scored: tuple[CoreInputs, PrescoringResult, FinalScoringResult],
) -> None:
    _, pre, _ = scored
    fitted = np.isfinite(pre.round1.rater_intercepts)
    # Authors and raters of too few notes have valid ratings but no round-1 parameters: the
    # reference's rater table (round 1's rater ids) has no row for them.
    assert (pre.helpfulness_unpenalised.has_row & ~fitted).any()
    np.testing.assert_array_equal(pre.helpfulness.has_row, fitted)
    np.testing.assert_array_equal(pre.helpfulness.above_helpfulness_threshold, fitted)
    assert pre.final_round is pre.round1


def test_num_final_round_ratings_counts_only_round_1_raters(
    scored: tuple[CoreInputs, PrescoringResult, FinalScoringResult],
) -> None:
    view, pre, final = scored
    scoped = view.scoped
    fitted = np.isfinite(pre.round1.rater_intercepts)
    expected = np.bincount(scoped.note_idx[fitted[scoped.rater_idx]], minlength=view.n_notes)
    np.testing.assert_array_equal(final.num_final_round_ratings, expected)
    everyone = np.bincount(scoped.note_idx, minlength=view.n_notes)
    assert (final.num_final_round_ratings < everyone).any()
