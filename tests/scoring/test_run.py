"""The composed Core scorer on a small simulated community (scoring-core.md §1)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from numpy.typing import NDArray

from bridgewatch.io.dataset import Dataset, load_dataset
from bridgewatch.io.schemas import AUX_NOTE_INFO, HELPFULNESS_SCORES, SCORED_NOTES
from bridgewatch.model import Ratings
from bridgewatch.scoring.config import ScoringConfig
from bridgewatch.scoring.final import fit_final_notes
from bridgewatch.scoring.manipulation import BurstConfig, CoRatingConfig
from bridgewatch.scoring.reputation import TrustConfig
from bridgewatch.scoring.run import STAGES, ScoringResult, default_as_of_ms, score_core
from bridgewatch.scoring.trace_store import load_note_rules, save_core_rules
from bridgewatch.sim import BrigadeConfig, BrigadeGoal, WrittenFiles
from tests.scoring.community import SMALL, load_small_community, write_small_community

CONFIG = ScoringConfig(topics=None)
HOUR_MS = 3_600_000


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Dataset:
    return load_small_community(tmp_path_factory.mktemp("community"))


@pytest.fixture(scope="module")
def first(dataset: Dataset) -> ScoringResult:
    return score_core(dataset, CONFIG, as_of_ms=default_as_of_ms(dataset), seed=1)


@pytest.fixture(scope="module")
def second(dataset: Dataset, first: ScoringResult) -> ScoringResult:
    later = replace(dataset, status_history=first.note_status_history)
    return score_core(later, CONFIG, as_of_ms=first.as_of_ms + 2 * HOUR_MS, seed=1)


def test_same_data_and_seed_give_identical_outputs_and_report_progress(
    dataset: Dataset, first: ScoringResult
) -> None:
    seen: list[tuple[str, int, int]] = []
    again = score_core(
        dataset,
        CONFIG,
        as_of_ms=first.as_of_ms,
        seed=1,
        progress=lambda stage, i, n: seen.append((stage, i, n)),
    )
    assert seen == [(stage, i, len(STAGES)) for i, stage in enumerate(STAGES)]
    for name in ("scored_notes", "aux_note_info", "note_status_history", "helpfulness_scores"):
        assert getattr(again, name).equals(getattr(first, name)), name


def test_tables_have_the_reference_columns_and_a_row_per_note(first: ScoringResult) -> None:
    assert tuple(first.scored_notes.columns) == SCORED_NOTES.names
    assert tuple(first.aux_note_info.columns) == AUX_NOTE_INFO.names
    assert tuple(first.helpfulness_scores.columns) == HELPFULNESS_SCORES.names
    n = first.inputs.n_notes
    assert first.scored_notes.height == n == first.note_status_history.height
    assert first.scored_notes["noteId"].n_unique() == n


def test_final_statuses_are_public_ones_and_core_scored_notes_have_intercepts(
    first: ScoringResult,
) -> None:
    statuses = set(first.scored_notes["finalRatingStatus"].to_list())
    assert statuses <= {
        "NEEDS_MORE_RATINGS",
        "CURRENTLY_RATED_HELPFUL",
        "CURRENTLY_RATED_NOT_HELPFUL",
    }
    core = first.scored_notes.filter(pl.col("coreRatingStatus").is_not_null())
    assert core.height > 200
    with_five = core.filter(pl.col("numRatings") >= 20)
    assert with_five["coreNoteIntercept"].null_count() == 0


def test_every_stage_is_timed_in_order(first: ScoringResult) -> None:
    assert tuple(first.timings) == STAGES


def test_stage_usage_covers_every_stage_with_cpu_and_memory(first: ScoringResult) -> None:
    assert tuple(first.usage) == STAGES
    assert all(u.wall_s == first.timings[name] for name, u in first.usage.items())
    # The kernel's peak and current counters are synced lazily: no order between them.
    assert all(
        u.cpu_s >= 0.0 and u.rss_mib > 0.0 and u.peak_rss_mib > 0 for u in first.usage.values()
    )


def test_a_masked_final_fit_equals_the_fit_on_the_subset(first: ScoringResult) -> None:
    scoped = first.inputs.scoped
    mask = first.inputs.scoped.population_sampled | (scoped.rater_idx % 3 == 0)
    config = CONFIG
    note_ratio = first.prescoring.note_ratio
    masked = fit_final_notes(scoped, first.prescoring, config, note_ratio, mask=mask)
    subset = fit_final_notes(scoped.subset(mask), first.prescoring, config, note_ratio)
    assert masked.ratings.n_ratings == subset.ratings.n_ratings > 0
    for name in ("intercept", "factor", "rater_factor"):
        assert np.array_equal(getattr(masked, name), getattr(subset, name), equal_nan=True)
    everything = np.ones(scoped.n_ratings, dtype=np.bool_)
    assert scoped.subset(everything) is scoped


def test_new_helpful_notes_wait_one_run_then_are_released(
    first: ScoringResult, second: ScoringResult
) -> None:
    core_crh = first.scored_notes.filter(pl.col("coreRatingStatus") == "CURRENTLY_RATED_HELPFUL")
    assert core_crh.height > 0
    assert (first.scored_notes["finalRatingStatus"] == "CURRENTLY_RATED_HELPFUL").sum() == 0
    held = set(core_crh["noteId"].to_list())
    released = second.scored_notes.filter(pl.col("finalRatingStatus") == "CURRENTLY_RATED_HELPFUL")[
        "noteId"
    ].to_list()
    assert released and set(released) <= held | set(
        second.scored_notes.filter(pl.col("coreRatingStatus") == "CURRENTLY_RATED_HELPFUL")[
            "noteId"
        ].to_list()
    )


def test_explanations_agree_with_scored_notes(first: ScoringResult) -> None:
    ex = first.note_explanations
    sn = first.scored_notes
    assert ex["noteId"].to_list() == sn["noteId"].to_list()
    assert ex["decidedBy"].to_list() == sn["decidedBy"].to_list()
    assert ex["finalRatingStatus"].to_list() == sn["finalRatingStatus"].to_list()
    assert ex["coreRatingStatus"].to_list() == sn["coreRatingStatus"].to_list()


def test_stored_rule_figures_render_the_same_trace(first: ScoringResult, tmp_path: Path) -> None:
    path = tmp_path / "rules.npz"
    save_core_rules(first.final.rules, first.inputs.note_ids.ids, path)
    scored = np.flatnonzero(first.final.scored)
    for row in (int(scored[0]), int(scored[-1])):
        note_id = str(first.inputs.note_ids.ids[row])
        loaded = load_note_rules(path, note_id)
        assert loaded is not None
        assert loaded.explain(0) == first.final.rules.explain(row)
    assert load_note_rules(path, "no-such-note") is None


def test_default_now_is_the_newest_timestamp_in_the_data(dataset: Dataset) -> None:
    newest = int(dataset.ratings.created_at_ms.max())
    assert default_as_of_ms(dataset) >= newest
    created = dataset.notes["createdAtMillis"].max()
    assert isinstance(created, int)
    assert default_as_of_ms(dataset) >= created


def test_helpfulness_rows_cover_raters_and_gate_the_final_round(first: ScoringResult) -> None:
    hs = first.helpfulness_scores
    raters = np.unique(first.inputs.ratings.rater_idx)
    assert hs.height >= raters.shape[0]
    above = hs.filter(pl.col("aboveHelpfulnessThreshold"))
    assert above.height > 0
    # Every rater with final-round parameters passed the gate (§4.7).
    in_round = hs.filter(pl.col("coreRaterIntercept").is_not_null())
    assert in_round["aboveHelpfulnessThreshold"].all()


def test_scores_without_enrollment_or_status_history(tmp_path: Path) -> None:
    # The scorer runs without enrollment or history (everyone in scope, all notes new).
    files = write_small_community(tmp_path)
    data = load_dataset(notes=files.notes, ratings=files.ratings[0])
    result = score_core(data, CONFIG, as_of_ms=default_as_of_ms(data), seed=2)
    assert result.scored_notes.height == data.notes.height
    assert result.prescoring.used_stable_initialization is False


def test_trust_is_off_by_default(first: ScoringResult) -> None:
    assert CONFIG.trust is None
    assert first.trust is None


def test_trust_filter_drops_only_untrusted_raters_before_the_final_fits(
    dataset: Dataset, first: ScoringResult
) -> None:
    now = default_as_of_ms(dataset)
    keep_all = score_core(
        dataset, replace(CONFIG, trust=TrustConfig(min_relative_trust=0.0)), as_of_ms=now, seed=1
    )
    assert keep_all.trust is not None and keep_all.trust.trusted.all()
    assert keep_all.scored_notes.equals(first.scored_notes)
    strict = score_core(
        dataset, replace(CONFIG, trust=TrustConfig(min_relative_trust=0.9)), as_of_ms=now, seed=1
    )
    assert strict.trust is not None and strict.trust.result is not None
    dropped = ~strict.trust.trusted
    assert dropped.any()
    fit = strict.final.main.ratings
    assert not dropped[fit.rater_idx].any()
    assert fit.n_ratings < first.final.main.ratings.n_ratings
    # Prescoring does not see the filter.
    np.testing.assert_array_equal(
        strict.prescoring.final_round.rater_intercepts,
        first.prescoring.final_round.rater_intercepts,
    )


def test_trust_weight_mode_weights_the_final_fits(dataset: Dataset, first: ScoringResult) -> None:
    now = default_as_of_ms(dataset)
    weighted = score_core(
        dataset,
        replace(CONFIG, trust=TrustConfig(min_relative_trust=0.9, mode="weight")),
        as_of_ms=now,
        seed=1,
    )
    assert weighted.trust is not None
    w = weighted.trust.weight
    partial = (w > 0) & (w < 1.0)
    assert partial.any()

    # Raters with a weight in (0, 1) keep every rating in the fit (a weight, not a
    # filter); only weight-0 raters leave it. The intercepts move.
    def count(fit: Ratings, raters: NDArray[np.bool_]) -> int:
        return int(raters[fit.rater_idx].sum())

    assert count(weighted.final.main.ratings, partial) == count(first.final.main.ratings, partial)
    assert count(weighted.final.main.ratings, w == 0) == 0
    a, b = weighted.final.main.intercept, first.final.main.intercept
    assert np.nanmax(np.abs(a - b)) > 1e-6
    # With threshold 0 every weight is 1: the fit is the unweighted one exactly.
    ones = score_core(
        dataset,
        replace(CONFIG, trust=TrustConfig(min_relative_trust=0.0, mode="weight")),
        as_of_ms=now,
        seed=1,
    )
    assert ones.scored_notes.equals(first.scored_notes)


def test_bursts_are_off_by_default_and_drop_only_flagged_ratings(
    dataset: Dataset, first: ScoringResult
) -> None:
    assert CONFIG.bursts is None and first.bursts is None
    now = default_as_of_ms(dataset)
    # The organic community has no brigade: nothing is flagged, scores are unchanged.
    defended = score_core(dataset, replace(CONFIG, bursts=BurstConfig()), as_of_ms=now, seed=1)
    assert defended.bursts is not None and not defended.bursts.flagged.any()
    assert defended.scored_notes.equals(first.scored_notes)
    # A loose config flags bursts of two: the flagged ratings leave the final fits only.
    # A loose config flags bursts of two. The pass before prescoring drops its flagged
    # ratings from prescoring and the final fits.
    loose = BurstConfig(min_burst_ratings=2, min_shared_bursts=1, min_partners=1)
    screened = score_core(
        dataset, replace(CONFIG, bursts=replace(loose, split_sides=False)), as_of_ms=now, seed=1
    )
    assert screened.bursts is not None and screened.bursts.flagged.any()
    assert screened.side_bursts is None
    scoped = first.inputs.scoped
    gone = set(
        zip(
            scoped.note_idx[screened.bursts.flagged].tolist(),
            scoped.rater_idx[screened.bursts.flagged].tolist(),
            strict=True,
        )
    )
    fit = screened.final.main.ratings
    kept = set(zip(fit.note_idx.tolist(), fit.rater_idx.tolist(), strict=True))
    assert not gone & kept
    assert fit.n_ratings < first.final.main.ratings.n_ratings
    assert not np.array_equal(
        screened.prescoring.final_round.rater_intercepts,
        first.prescoring.final_round.rater_intercepts,
    )
    # The side-aware pass after prescoring with rating_weight 0.5 keeps its flagged ratings
    # in the final fits at half weight: same ratings as without it, other intercepts.
    halved = score_core(
        dataset, replace(CONFIG, bursts=replace(loose, rating_weight=0.5)), as_of_ms=now, seed=1
    )
    assert halved.side_bursts is not None and halved.side_bursts.flagged.any()
    assert halved.final.main.ratings.n_ratings == fit.n_ratings
    assert np.nanmax(np.abs(halved.final.main.intercept - screened.final.main.intercept)) > 1e-6
    dropped = score_core(dataset, replace(CONFIG, bursts=loose), as_of_ms=now, seed=1)
    assert dropped.final.main.ratings.n_ratings < fit.n_ratings


def test_co_rating_is_off_by_default_and_drops_only_flagged_ratings(
    dataset: Dataset, first: ScoringResult
) -> None:
    assert CONFIG.co_rating is None and first.co_rating is None
    now = default_as_of_ms(dataset)
    # The organic community has no brigade: nothing is flagged, scores are unchanged.
    on = score_core(dataset, replace(CONFIG, co_rating=CoRatingConfig()), as_of_ms=now, seed=1)
    assert on.co_rating is not None and not on.co_rating.flagged.any()
    assert on.scored_notes.equals(first.scored_notes)
    # A loose config flags chance groups: their flagged ratings leave prescoring and the
    # final fits.
    loose = CoRatingConfig(
        min_shared_cells=2, min_lift=1.0, max_pair_p=1.0, min_partners=1, max_cell_p=1.0
    )
    screened = score_core(dataset, replace(CONFIG, co_rating=loose), as_of_ms=now, seed=1)
    assert screened.co_rating is not None and screened.co_rating.flagged.any()
    # One run-wide pass on the shared post-PSS ratings of every rater.
    scoped = first.inputs.post_pss
    flagged = screened.co_rating.flagged
    gone = set(
        zip(scoped.note_idx[flagged].tolist(), scoped.rater_idx[flagged].tolist(), strict=True)
    )
    fit = screened.final.main.ratings
    assert not gone & set(zip(fit.note_idx.tolist(), fit.rater_idx.tolist(), strict=True))
    assert not np.array_equal(
        screened.prescoring.final_round.rater_intercepts,
        first.prescoring.final_round.rater_intercepts,
    )


def test_too_few_ratings_leave_every_note_needing_more(dataset: Dataset) -> None:
    # Only the first 40 ratings: no note reaches 5 ratings, nothing can be fitted.
    keep = np.zeros(dataset.ratings.n_ratings, dtype=np.bool_)
    keep[:40] = True
    tiny = replace(dataset, ratings=dataset.ratings.subset(keep))
    result = score_core(tiny, CONFIG, as_of_ms=default_as_of_ms(dataset), seed=1)
    assert set(result.scored_notes["finalRatingStatus"].to_list()) == {"NEEDS_MORE_RATINGS"}
    assert result.scored_notes["coreNoteIntercept"].null_count() == result.scored_notes.height


def _add_late_rater(notes: Path, ratings: Path) -> tuple[str, str]:
    """Append a rater whose 12 ratings all come 3 days after the note (never valid, §4.4),
    and a note that only this rater rates. Returns (rater id, note id)."""
    rater, note = "F" * 64, "2199999999999999999"
    note_rows = notes.read_text().splitlines()
    first_note = note_rows[1].split("\t")
    lone_note = [note, first_note[1], first_note[2], *first_note[3:]]
    notes.write_text("\n".join([*note_rows, "\t".join(lone_note)]) + "\n")
    rating_rows = ratings.read_text().splitlines()
    body = [row.split("\t") for row in rating_rows[1:]]
    per_note: dict[str, int] = {}
    for row in body:
        per_note[row[0]] = per_note.get(row[0], 0) + 1
    created = {row[0]: int(row[2]) for row in (r.split("\t") for r in note_rows[1:])}
    busiest = sorted(per_note, key=lambda n: (-per_note[n], n))[:12]
    template = body[0]
    added = []
    for note_id in [*busiest, note]:
        row = list(template)
        row[0], row[1] = note_id, rater
        row[2] = str(created.get(note_id, int(first_note[2])) + 72 * HOUR_MS)
        added.append("\t".join(row))
    ratings.write_text("\n".join([*rating_rows, *added]) + "\n")
    return rater, note


def test_round1_params_and_final_round_counts_follow_the_reference_joins(
    tmp_path: Path,
) -> None:
    files = write_small_community(tmp_path)
    rater, note = _add_late_rater(files.notes, files.ratings[0])
    data = load_dataset(
        notes=files.notes,
        ratings=files.ratings[0],
        status_history=files.note_status_history,
        enrollment=files.user_enrollment,
    )
    result = score_core(data, CONFIG, as_of_ms=default_as_of_ms(data), seed=1)
    row = data.participant_ids.lookup(np.array([rater]))[0]
    # The late rater is in MF round 1 but has no valid rating, so no helpfulness row and no
    # final round: the reference's prescoring table (an outer join of the two, §4.11) leaves
    # its round-1 params out.
    assert np.isfinite(result.prescoring.round1.rater_intercepts[row])
    assert not result.prescoring.helpfulness.has_row[row]
    hs = result.helpfulness_scores.filter(pl.col("raterParticipantId") == rater)
    assert hs.height == 1
    assert hs["coreFirstRoundRaterIntercept"].is_null().all()
    assert hs["coreFirstRoundRaterFactor1"].is_null().all()
    prescored = result.helpfulness_scores.filter(
        pl.col("coreFirstRoundRaterIntercept").is_not_null()
    )
    assert prescored.height > 100
    assert (
        prescored["coreRaterIntercept"].is_not_null()
        | prescored["raterAgreeRatio"].is_not_null()
        | prescored["meanNoteScore"].is_not_null()
    ).all()
    # The note only the late rater rated has a Core row but no final-round ratings: the
    # count is empty, not 0 (§5.6).
    scored = result.scored_notes.filter(pl.col("noteId") == note)
    assert scored["coreRatingStatus"].is_not_null().all()
    assert scored["coreNumFinalRoundRatings"].is_null().all()
    assert (result.scored_notes["coreNumFinalRoundRatings"].drop_nulls() > 0).all()


def test_bursts_remove_a_planted_sleeper_brigade_before_prescoring(tmp_path: Path) -> None:
    brigade = BrigadeConfig(
        n_members=30,
        n_targets=5,
        goal=BrigadeGoal.SUPPRESS,
        camp=-1,
        account_age_days=18.0,
        organic_ratings=20,
        dormant_days=8.0,
        cross_camp_share=0.5,
    )
    files = write_small_community(tmp_path, replace(SMALL, brigades=(brigade,)))
    data = load_dataset(notes=files.notes, ratings=files.ratings[0])
    config = replace(CONFIG, bursts=BurstConfig())
    result = score_core(data, config, as_of_ms=default_as_of_ms(data), seed=1)
    assert result.bursts is not None
    scoped = result.inputs.scoped
    flagged = result.bursts.flagged
    members = np.isin(
        np.asarray(scoped.participant_ids.ids, dtype=object)[scoped.rater_idx], _members(files)
    )
    # Every flagged rating is a member's; nearly all 150 attack ratings are flagged.
    assert flagged.any() and members[flagged].all()
    assert flagged.sum() >= 0.9 * 150
    # The honest phase of the sleepers stays in.
    assert (members & ~flagged).sum() > 0


def _members(files: WrittenFiles) -> list[str]:
    truth = pl.read_csv(files.rater_truth, separator="\t", infer_schema_length=0)
    return truth.filter(pl.col("brigadeId") != "-1")["participantId"].to_list()


def _aged_community(
    tmp_path: Path, *, n_members: int, n_notes: int
) -> tuple[WrittenFiles, Dataset]:
    """The small community with a two-camp SUPPRESS brigade of 30 accounts that earned in 120
    days before the attack, and an honest niche circle (``n_members`` raters on ``n_notes``
    notes): its files and the loaded dataset."""
    from bridgewatch.sim.config import CircleConfig

    brigade = BrigadeConfig(
        n_members=30,
        n_targets=10,
        goal=BrigadeGoal.SUPPRESS,
        camp=-1,
        account_age_days=18.0,
        organic_ratings=10,
        dormant_days=8.0,
        cross_camp_share=0.5,
        max_reaction_minutes=360.0,
        earned_in=True,
        enrolled_days=120.0,
    )
    circle = CircleConfig(n_members=n_members, n_notes=n_notes)
    files = write_small_community(tmp_path, replace(SMALL, brigades=(brigade,), circles=(circle,)))
    data = load_dataset(
        notes=files.notes,
        ratings=files.ratings[0],
        status_history=files.note_status_history,
        enrollment=files.user_enrollment,
    )
    return files, data


def test_aged_sleepers_lose_establishment_and_their_unexplained_ratings(tmp_path: Path) -> None:
    """Issue 15: a two-camp brigade of accounts that earned in 120 days ago (past the 90-day
    establishment bar) co-rates its targets; the co-rating pass among established raters
    revokes the members' establishment and the unexplained-ratings test removes their attack
    ratings. Targets with fewer than 3 unrevoked established ratings cannot be tested (two
    here): the group, caught on its other targets, is convicted and loses its verdicts on
    them too. An honest niche circle of established raters keeps every rating."""
    from bridgewatch.analysis.attack_metrics import removed_ratings
    from bridgewatch.scoring.defences import with_defences
    from bridgewatch.scoring.scorers import scorer_inputs

    files, data = _aged_community(tmp_path, n_members=20, n_notes=15)
    plain = score_core(data, with_defences(CONFIG), as_of_ms=default_as_of_ms(data), seed=1)
    truth = pl.read_csv(files.rater_truth, separator="\t", infer_schema_length=0)
    ids = np.asarray(plain.inputs.participant_ids.ids, dtype=np.str_)
    members = np.isin(ids, _members(files))
    circle = np.isin(ids, truth.filter(pl.col("structure").is_not_null())["participantId"])
    assert plain.inputs.established is not None
    assert plain.inputs.established[members].all()  # aged past the bar ...
    assert plain.roster is not None
    view = plain.roster["MFCoreScorer"].inputs
    assert view.established is not None
    assert not view.established[members].any()  # ... and revoked by co-rating
    rater, removed, _ = removed_ratings(plain)
    notes = pl.read_csv(files.note_truth, separator="\t", infer_schema_length=0)
    targets = np.isin(
        np.asarray(plain.inputs.note_ids.ids, dtype=np.str_),
        notes.filter(pl.col("attackTarget").str.to_lowercase() == "true")["noteId"],
    )
    scoped = scorer_inputs(plain.inputs, plain.roster["MFCoreScorer"].spec).scoped
    attack = members[rater] & targets[scoped.note_idx]
    assert removed[attack].all()
    assert not removed[circle[rater]].any() and not removed[~members[rater]].any()
    # Without the conviction the untestable targets keep the brigade's ratings.
    from bridgewatch.scoring.manipulation import UnexplainedConfig

    untested = replace(with_defences(CONFIG), unexplained=UnexplainedConfig(convict_groups=False))
    alone = score_core(data, untested, as_of_ms=default_as_of_ms(data), seed=1)
    rater_alone, removed_alone, _ = removed_ratings(alone)
    np.testing.assert_array_equal(rater_alone, rater)
    assert 0.5 <= removed_alone[attack].mean() < 1.0
    # Below UnexplainedConfig.rerun_min_share the flagged ratings leave the final fits
    # without a second prescoring (which then still counts them).
    once = score_core(
        data,
        replace(with_defences(CONFIG), unexplained=UnexplainedConfig(rerun_min_share=1.0)),
        as_of_ms=default_as_of_ms(data),
        seed=1,
    )
    _, removed_once, _ = removed_ratings(once)
    assert removed_once[attack].all()
    assert once.prescoring.num_ratings[targets].sum() > plain.prescoring.num_ratings[targets].sum()


def test_a_revoked_honest_circle_is_not_convicted_with_an_aged_brigade(tmp_path: Path) -> None:
    """Issue 15: a larger honest circle (30 raters on 25 niche notes) co-rates enough to lose
    its establishment like the aged brigade beside it. The brigade is convicted and loses
    every attack rating; the circle is not: the conviction removes none of its ratings
    beyond what the unexplained-ratings test removes note by note."""
    from bridgewatch.analysis.attack_metrics import removed_ratings
    from bridgewatch.scoring.defences import with_defences
    from bridgewatch.scoring.manipulation import UnexplainedConfig
    from bridgewatch.scoring.scorers import scorer_inputs

    files, data = _aged_community(tmp_path, n_members=30, n_notes=25)
    defended = with_defences(CONFIG)
    runs = [
        score_core(data, config, as_of_ms=default_as_of_ms(data), seed=1)
        for config in (
            defended,
            replace(defended, unexplained=UnexplainedConfig(convict_groups=False)),
        )
    ]
    truth = pl.read_csv(files.rater_truth, separator="\t", infer_schema_length=0)
    ids = np.asarray(runs[0].inputs.participant_ids.ids, dtype=np.str_)
    members = np.isin(ids, _members(files))
    circle = np.isin(ids, truth.filter(pl.col("structure").is_not_null())["participantId"])
    assert runs[0].roster is not None
    view = runs[0].roster["MFCoreScorer"].inputs
    assert view.established is not None and view.revoked_groups is not None
    assert not view.established[circle].any()  # the circle was revoked too ...
    assert runs[0].inputs.established is not None
    was_established = circle & runs[0].inputs.established
    assert was_established.sum() >= 20 and (view.revoked_groups.group[was_established] >= 0).all()
    notes = pl.read_csv(files.note_truth, separator="\t", infer_schema_length=0)
    targets = np.isin(
        np.asarray(runs[0].inputs.note_ids.ids, dtype=np.str_),
        notes.filter(pl.col("attackTarget").str.to_lowercase() == "true")["noteId"],
    )
    scoped = scorer_inputs(runs[0].inputs, runs[0].roster["MFCoreScorer"].spec).scoped
    (rater, convicted, _), (_, alone, _) = (removed_ratings(r) for r in runs)
    attack = members[rater] & targets[scoped.note_idx]
    assert convicted[attack].all() and not alone[attack].all()
    # ... but only the brigade is convicted: the circle loses the same ratings either way.
    np.testing.assert_array_equal(convicted[circle[rater]], alone[circle[rater]])


def test_an_acquitted_honest_circle_regains_its_establishment_and_the_brigade_does_not(
    tmp_path: Path,
) -> None:
    """Issue 15, circles keep their establishment: the honest circle (30 raters on 25 niche
    notes) and the aged brigade beside it both co-rate beyond the null and are revoked for
    the tests. The conviction acquits the circle (its verdicts are the model's) and it gets
    its establishment back once the tests are done: the run counts it established again
    and the live watch counts it proven. The brigade is convicted, loses every attack
    rating and stays revoked. Nothing scored changes: both tests saw the circle revoked."""
    from bridgewatch.analysis.attack_metrics import removed_ratings, revoked_raters
    from bridgewatch.scoring.defences import with_defences
    from bridgewatch.scoring.incremental.roster import roster_refit
    from bridgewatch.scoring.manipulation import UnexplainedConfig
    from bridgewatch.scoring.scorers import CORE_NAME, scorer_inputs

    files, data = _aged_community(tmp_path, n_members=30, n_notes=25)
    defended = with_defences(CONFIG)
    restored, kept = (
        score_core(data, config, as_of_ms=default_as_of_ms(data), seed=1)
        for config in (
            defended,
            replace(defended, unexplained=UnexplainedConfig(restore_acquitted=False)),
        )
    )
    truth = pl.read_csv(files.rater_truth, separator="\t", infer_schema_length=0)
    ids = np.asarray(restored.inputs.participant_ids.ids, dtype=np.str_)
    members = np.isin(ids, _members(files))
    circle = np.isin(ids, truth.filter(pl.col("structure").is_not_null())["participantId"])
    assert restored.inputs.established is not None
    was = restored.inputs.established
    # Without the restoration both are revoked ...
    before = revoked_raters(kept)
    assert before[members].all() and before[circle & was].sum() >= 20
    # ... with it the circle is established again, the brigade is not: but for the few
    # circle members whose ratings the side-aware bursts took (the tests did not judge
    # those ratings).
    after = revoked_raters(restored)
    assert after[members].all()
    assert restored.roster is not None
    run = restored.roster[CORE_NAME]
    assert run.defences is not None and run.defences.bursts is not None
    burst = run.defences.bursts.coordinated
    np.testing.assert_array_equal(after[circle], (before & burst)[circle])
    assert (before & ~after)[circle].sum() >= 20
    assert run.restored is not None
    np.testing.assert_array_equal(run.restored, before & ~after)
    assert not run.restored[members].any()
    # The tests saw the circle revoked: the view keeps what they saw.
    assert run.inputs.established is not None and not run.inputs.established[circle].any()
    # The brigade is caught as before, the circle loses nothing, and nothing scored moves.
    notes = pl.read_csv(files.note_truth, separator="\t", infer_schema_length=0)
    targets = np.isin(
        np.asarray(restored.inputs.note_ids.ids, dtype=np.str_),
        notes.filter(pl.col("attackTarget").str.to_lowercase() == "true")["noteId"],
    )
    scoped = scorer_inputs(restored.inputs, run.spec).scoped
    (rater, removed, _), (rater_kept, removed_kept, _) = (
        removed_ratings(r) for r in (restored, kept)
    )
    np.testing.assert_array_equal(rater, rater_kept)
    np.testing.assert_array_equal(removed, removed_kept)
    assert removed[members[rater] & targets[scoped.note_idx]].all()
    assert not removed[(circle & ~burst)[rater]].any()
    assert restored.scored_notes.equals(kept.scored_notes)
    # The live worker's refit counts the circle proven again, the brigade not.
    refit, refit_kept = roster_refit(restored), roster_refit(kept)
    assert refit.proven is not None and refit_kept.proven is not None
    assert refit.proven[circle & was & ~burst].all()
    assert not refit_kept.proven[circle & was].any()
    assert not refit.proven[members].any()
