"""The whole roster on small simulated communities: determinism whatever the executor or the
order, and the population and group structures the reference aborts on (multimodel §2.4)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import numpy as np
import polars as pl
import pytest

from bridgewatch.io.dataset import Dataset
from bridgewatch.scoring.config import ScoringConfig
from bridgewatch.scoring.preprocess import CoreScopeConfig
from bridgewatch.scoring.run import ScoringResult, default_as_of_ms, score, score_core
from bridgewatch.scoring.scorers import Family, default_roster, scorer_inputs
from bridgewatch.scoring.scorers.roster import core_scorer
from tests.scoring.community import load_small_community

CONFIG = ScoringConfig(topics=None)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Dataset:
    return load_small_community(tmp_path_factory.mktemp("community"))


def _score(dataset: Dataset, config: ScoringConfig = CONFIG, **kw: object) -> ScoringResult:
    return score(dataset, config, as_of_ms=default_as_of_ms(dataset), seed=7, **kw)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def whole(dataset: Dataset) -> ScoringResult:
    return _score(dataset)


def _same(a: ScoringResult, b: ScoringResult) -> None:
    assert a.scored_notes.equals(b.scored_notes)
    assert a.helpfulness_scores.equals(b.helpfulness_scores)
    assert a.note_status_history.equals(b.note_status_history)


def test_every_family_scores_the_simulated_community(whole: ScoringResult) -> None:
    notes = whole.scored_notes
    for column in (
        "expansionRatingStatus",
        "expansionPlusRatingStatus",
        "coreWithTopicsRatingStatus",
        "gaussianRatingStatus",
        "groupRatingStatus",
    ):
        assert notes[column].is_not_null().sum() > 0, column
    # ExpansionPlus has no capture filter: a row for every note (multimodel §3.3).
    assert notes["expansionPlusRatingStatus"].is_not_null().all()
    assert notes["decidedBy"].is_not_null().all()
    # modelingGroup appears exactly on the group scorers' rows.
    assert (notes["modelingGroup"].is_not_null() == notes["groupRatingStatus"].is_not_null()).all()


def test_the_reputation_scorer_fills_the_coverage_columns(
    dataset: Dataset, whole: ScoringResult
) -> None:
    from bridgewatch.scoring.inputs import prepare_core_inputs

    notes = whole.scored_notes
    status = notes["coverageRatingStatus"]
    has = status.is_not_null()
    assert has.sum() > 0
    assert (notes["coverageNoteIntercept"].is_not_null() == has).all()
    assert (notes["coverageNoteFactor1"].is_not_null() == has).all()
    crh = notes.filter(has)["coverageNoteIntercept"] > 0.28
    expected = crh.replace_strict(
        {True: "CURRENTLY_RATED_HELPFUL", False: "NEEDS_MORE_RATINGS"}, return_dtype=pl.Utf8
    )
    assert (status.filter(has) == expected).all()
    assert notes["coverageNoteInterceptMin"].is_null().all()
    # Rows only for captured notes of its scope (core groups + unassigned, capture 0.5).
    assert whole.roster is not None
    run = whole.roster["ReputationScorer"]
    assert run.reputation is not None and run.prescoring is None and run.final is None
    shared = prepare_core_inputs(dataset, CONFIG)
    view = scorer_inputs(shared, run.spec)
    assert not np.any(run.reputation.rows & ~view.captured)
    reputation = whole.helpfulness_scores["raterHelpfulnessReputation"]
    assert reputation.is_not_null().sum() > 0
    # Only raters of its scope have a reputation.
    ids = whole.helpfulness_scores.filter(reputation.is_not_null())["raterParticipantId"]
    rows = shared.participant_ids.lookup(np.array(ids.to_list()))
    assert np.all(view.in_scope[rows])


def test_executor_and_order_do_not_change_a_bit(dataset: Dataset, whole: ScoringResult) -> None:
    with ThreadPoolExecutor(max_workers=2) as pool:
        _same(whole, _score(dataset, executor=pool))
    _same(whole, _score(dataset, scorers=tuple(reversed(default_roster(CONFIG)))))


def test_dropping_the_fit_ratings_changes_no_table(dataset: Dataset, whole: ScoringResult) -> None:
    slim = _score(dataset, keep_fit_ratings=False)
    _same(whole, slim)
    assert whole.aux_note_info.equals(slim.aux_note_info)
    assert whole.note_explanations.equals(slim.note_explanations)
    assert whole.final.main.ratings.n_ratings > 0
    assert slim.final.main.ratings.n_ratings == 0  # what the batch command keeps
    # nor the columns Core's fits gathered into the shared view (``without_scoped``)
    assert whole.inputs.scoped.n_ratings > 0
    assert slim.inputs.scoped.n_ratings == slim.inputs.scoped_correlated.shape[0] == 0
    assert slim.inputs.post_pss.n_ratings == whole.inputs.post_pss.n_ratings


@pytest.mark.parametrize("roster", ["whole", "core"])
def test_releasing_the_ratings_changes_no_table(
    dataset: Dataset, whole: ScoringResult, roster: str
) -> None:
    """What ``run_batch`` asks for: the ratings go once contributors have read them, and
    every table stays the same, Core path included (its own branch of ``score``)."""
    core = (core_scorer(CONFIG),) if roster == "core" else None
    kept = whole if core is None else _score(dataset, scorers=core, keep_fit_ratings=False)
    released = _score(dataset, scorers=core, keep_fit_ratings=False, release_ratings=True)
    _same(kept, released)
    assert kept.aux_note_info.equals(released.aux_note_info)
    assert kept.note_explanations.equals(released.note_explanations)
    assert kept.inputs.ratings.n_ratings > 0
    assert released.roster is not None
    for view in (released.inputs, *(run.inputs for run in released.roster.runs.values())):
        assert view.ratings.n_ratings == view.post_pss.n_ratings == view.scoped.n_ratings == 0
    assert dataset.ratings.n_ratings > 0  # the caller's own reference is left alone


def test_core_inside_the_roster_is_the_core_path(dataset: Dataset, whole: ScoringResult) -> None:
    alone = score_core(dataset, CONFIG, as_of_ms=default_as_of_ms(dataset), seed=7)
    for column in ("coreNoteIntercept", "coreNoteFactor1", "coreRatingStatus"):
        assert whole.scored_notes[column].equals(alone.scored_notes[column]), column


def _with_groups(dataset: Dataset, groups: pl.Expr) -> Dataset:
    return replace(dataset, enrollment=dataset.enrollment.with_columns(modelingGroup=groups))


@pytest.mark.parametrize(
    "case",
    [
        "everyone in group 1",
        "one rater in group 33",
        "no groups at all",
        "no enrollment",
        "single population",
    ],
)
def test_population_structures_score_without_error(dataset: Dataset, case: str) -> None:
    config = CONFIG
    data = dataset
    if case == "everyone in group 1":
        data = _with_groups(dataset, pl.lit(1.0))
    elif case == "one rater in group 33":
        first = pl.int_range(pl.len()) == 0
        data = _with_groups(dataset, pl.when(first).then(33.0).otherwise(pl.col("modelingGroup")))
    elif case == "no groups at all":
        data = _with_groups(dataset, pl.lit(None, dtype=pl.Float64))
    elif case == "no enrollment":
        data = replace(dataset, enrollment=dataset.enrollment.head(0))
    else:
        config = replace(CONFIG, scope=CoreScopeConfig(single_population=True))
    result = _score(data, config)
    notes = result.scored_notes
    assert notes.height == dataset.status_history.height or notes.height > 0
    assert notes["finalRatingStatus"].is_not_null().all()
    if case == "no groups at all":
        # Every enrolled rater without a group is out of every group-filtered scope.
        assert notes["groupRatingStatus"].is_null().all()
        assert notes["coreRatingStatus"].is_null().all()
    if case == "everyone in group 1":
        assert notes["groupRatingStatus"].is_not_null().sum() > 0
        assert notes["multiGroupRatingStatus"].is_null().all()


def test_a_scorer_view_keeps_only_its_raters_and_notes(dataset: Dataset) -> None:
    from bridgewatch.scoring.inputs import prepare_core_inputs

    shared = prepare_core_inputs(dataset, CONFIG)
    by_name = {s.name: s for s in default_roster(CONFIG)}
    group = scorer_inputs(shared, by_name["MFGroupScorer_3"])
    raters = group.scoped.rater_idx
    assert np.all(shared.modeling_group[raters] == 3)
    post = shared.post_pss
    in_group = shared.modeling_group[post.rater_idx] == 3
    share = np.bincount(post.note_idx, in_group, minlength=shared.n_notes) / np.maximum(
        np.bincount(post.note_idx, minlength=shared.n_notes), 1
    )
    assert np.array_equal(group.captured, share >= 0.8)
    plus = scorer_inputs(shared, by_name["MFExpansionPlusScorer"])
    assert plus.captured.all()  # no capture threshold: every note gets a row
    assert by_name["MFGroupScorer_3"].family is Family.GROUP


def test_the_defences_screen_every_mf_scorer(dataset: Dataset) -> None:
    from bridgewatch.scoring.manipulation import BurstConfig, CoRatingConfig

    defended = replace(CONFIG, co_rating=CoRatingConfig(), bursts=BurstConfig())
    result = _score(dataset, defended)
    assert result.roster is not None
    for name in ("MFCoreScorer", "MFExpansionScorer", "MFGroupScorer_13"):
        run = result.roster[name]
        assert run.screening is not None and run.screening.co_rating is not None, name
        assert run.screening.bursts is not None, name
        assert run.defences is not None and run.defences.bursts is not None, name
    gaussian = result.roster["GaussianScorer"]
    assert gaussian.screening is not None and gaussian.screening.co_rating is not None
    # Issue 15: the Reputation scorer's final phase gets the post-prescoring defences too.
    reputation = result.roster["ReputationScorer"]
    assert reputation.defences is not None and reputation.defences.bursts is not None
    assert reputation.reputation is not None


def test_the_reputation_scorer_is_faithful_with_the_defences_off(
    dataset: Dataset, whole: ScoringResult
) -> None:
    run = whole.roster["ReputationScorer"] if whole.roster is not None else None
    assert run is not None and run.defences is not None
    assert run.defences.bursts is None and run.defences.unexplained is None
    assert run.defences.inputs is run.inputs  # nothing dropped, nothing copied
