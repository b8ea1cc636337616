"""MF scorers with the same view and prescoring configuration run one prescoring."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from bridgewatch.scoring.config import ScoringConfig
from bridgewatch.scoring.inputs import CoreInputs, prepare_core_inputs
from bridgewatch.scoring.prescoring import run_prescoring
from bridgewatch.scoring.scorers import default_roster, select_scorers
from bridgewatch.scoring.scorers.gaussian_fit import gaussian_note_fitter
from bridgewatch.scoring.scorers.run import (
    RosterResult,
    final_roster,
    prescore_roster,
    run_roster,
    scorer_seed,
    screen_roster,
)
from bridgewatch.scoring.scorers.schedule import roster_graph
from bridgewatch.scoring.scorers.scope import scorer_inputs
from bridgewatch.scoring.scorers.sharing import prescoring_config, shared_prescorings
from tests.scoring.community import load_small_community

CONFIG = ScoringConfig(topics=None)
BROAD = (
    "MFCoreScorer",
    "MFCoreWithTopicsScorer",
    "MFExpansionScorer",
    "MFExpansionPlusScorer",
    "MFGroupScorer_13",
    "GaussianScorer",
)


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> CoreInputs:
    dataset = load_small_community(tmp_path_factory.mktemp("community"))
    return prepare_core_inputs(dataset, CONFIG)


def test_broad_scorers_differ_only_in_what_prescoring_never_reads() -> None:
    by_name = {s.name: s for s in default_roster(CONFIG)}
    core = prescoring_config(by_name["MFCoreScorer"].config)
    for name in ("MFCoreWithTopicsScorer", "MFExpansionScorer", "MFExpansionPlusScorer"):
        assert by_name[name].config != by_name["MFCoreScorer"].config
        assert prescoring_config(by_name[name].config) == core, name
    # Group scorers start at random and have other thresholds: never the same prescoring.
    assert prescoring_config(by_name["MFGroupScorer_13"].config) != core


def test_shares_follow_the_views(shared: CoreInputs) -> None:
    roster = select_scorers(default_roster(CONFIG), BROAD)
    shares = shared_prescorings(shared, roster)
    # Without topics Core and CoreWithTopics see the same ratings; this community has
    # Expansion raters, so Expansion sees more, and ExpansionPlus the same as Expansion.
    assert shares == {
        "MFCoreWithTopicsScorer": "MFCoreScorer",
        "MFExpansionPlusScorer": "MFExpansionScorer",
    }
    graph = roster_graph(roster, shares)
    assert graph["final:MFCoreWithTopicsScorer"] == ("prescore:MFCoreScorer",)
    assert graph["final:MFExpansionPlusScorer"] == ("prescore:MFExpansionScorer",)
    assert "score:MFExpansionScorer" not in graph
    # Expansion raters moved into a Core modeling group: Expansion's view is Core's.
    groups = shared.modeling_group.copy()
    expansion = ~np.isin(groups, list(CONFIG.scope.modeling_groups))
    assert expansion.any()
    groups[expansion] = min(CONFIG.scope.modeling_groups)
    narrowed = replace(shared, modeling_group=groups)
    assert shared_prescorings(narrowed, roster) == {
        "MFCoreWithTopicsScorer": "MFCoreScorer",
        "MFExpansionScorer": "MFCoreScorer",
        "MFExpansionPlusScorer": "MFCoreScorer",
    }


def test_a_sharer_s_own_prescoring_would_be_the_lender_s(shared: CoreInputs) -> None:
    """What sharing rests on: prescoring reads neither the capture mask nor the parts of the
    configuration ``prescoring_config`` sets aside; run on ExpansionPlus's own view and
    config from the same random stream, it gives Expansion's prescoring bit for bit."""
    by_name = {s.name: s for s in default_roster(CONFIG)}
    lender, sharer = by_name["MFExpansionScorer"], by_name["MFExpansionPlusScorer"]
    a = run_prescoring(scorer_inputs(shared, lender), lender.config, scorer_seed(4, "x"))
    view = scorer_inputs(shared, sharer)
    assert not np.array_equal(view.captured, scorer_inputs(shared, lender).captured)
    b = run_prescoring(view, sharer.config, scorer_seed(4, "x"))
    for field in ("note_intercepts", "note_factors", "rater_intercepts", "rater_factors"):
        np.testing.assert_array_equal(
            getattr(a.final_round, field), getattr(b.final_round, field), err_msg=field
        )
    np.testing.assert_array_equal(a.diligence.note_intercepts, b.diligence.note_intercepts)
    np.testing.assert_array_equal(
        a.helpfulness.above_helpfulness_threshold, b.helpfulness.above_helpfulness_threshold
    )
    np.testing.assert_array_equal(a.tag_thresholds, b.tag_thresholds)


def _final_arrays(result: RosterResult) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    for name, run in result.runs.items():
        assert run.final is not None, name
        out[f"{name}.intercept"] = run.final.main.intercept
        out[f"{name}.factor"] = run.final.main.factor
        out[f"{name}.status"] = run.final.rules.status
        out[f"{name}.rules"] = run.final.rules.active_rules
        out[f"{name}.captured"] = run.inputs.captured
        assert run.prescoring is not None
        out[f"{name}.raters"] = run.prescoring.final_round.rater_factors
    return out


def test_a_shared_prescoring_gives_each_scorer_its_own_result_bit_for_bit(
    shared: CoreInputs,
) -> None:
    roster = select_scorers(default_roster(CONFIG), BROAD)
    screening = screen_roster(shared, roster)
    prescored = prescore_roster(shared, roster, seed=5, screening=screening)  # no sharing
    alone = final_roster(
        shared, roster, prescored, seed=5, gaussian_fitter=gaussian_note_fitter,
        screening=screening,
    )  # fmt: skip
    together = run_roster(shared, roster, seed=5, gaussian_fitter=gaussian_note_fitter)
    expected, got = _final_arrays(alone), _final_arrays(together)
    assert expected.keys() == got.keys()
    for key, values in expected.items():
        np.testing.assert_array_equal(got[key], values, err_msg=key)
    # ExpansionPlus keeps every note (no capture threshold), Expansion only captured ones.
    plus, exp = together["MFExpansionPlusScorer"], together["MFExpansionScorer"]
    assert plus.inputs.captured.sum() > exp.inputs.captured.sum()
    assert plus.prescoring is exp.prescoring  # one prescoring, held once


def test_core_s_view_reuses_the_cut_ratings_and_others_copy_theirs(shared: CoreInputs) -> None:
    by_name = {s.name: s for s in default_roster(ScoringConfig())}
    gathered = shared.scoped.note_idx  # a column the shared cut holds already
    core = scorer_inputs(shared, by_name["MFCoreScorer"])
    assert core.scoped.note_idx is gathered  # no second copy of Core's ratings
    # (what Core's fits gather from now on stays in its view: ``Ratings.detached``)
    exp = scorer_inputs(shared, by_name["MFExpansionScorer"])
    assert exp.scoped is not shared.scoped
    assert exp.scoped.n_ratings > shared.scoped.n_ratings
    # The reused cut is only taken when it is the one asked for: with a stale mask (the
    # ratings replaced, the mask not cleared) the view is cut afresh.
    stale = replace(shared, scoped=exp.scoped, scoped_correlated=exp.scoped_correlated)
    again = scorer_inputs(stale, by_name["MFCoreScorer"])
    assert again.scoped is not exp.scoped
    np.testing.assert_array_equal(again.scoped.rater_idx, shared.scoped.rater_idx)
