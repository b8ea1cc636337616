"""A status history scored along the way: one later run releases the notes already helpful."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import polars as pl
import pytest

from bridgewatch.errors import ConfigError
from bridgewatch.scoring.config import ScoringConfig
from bridgewatch.scoring.replay import (
    CommunityFrames,
    dataset_from_frames,
    merge_history,
    replay_checkpoints,
)
from bridgewatch.scoring.run import ScoringResult, default_as_of_ms, score, score_core
from bridgewatch.scoring.scorers import default_roster, select_scorers
from bridgewatch.sim import Community, SimConfig, simulate, write_community, write_simulation
from bridgewatch.sim.history import LAST_CHECKPOINT_BEFORE_MS, status_checkpoints

_DAY_MS = 86_400_000
_SEEDED = SimConfig(seed=1, n_notes=200, n_raters=300, n_ratings=8_000, days=21)
_SCORED = replace(_SEEDED, score_status_history=True)


@pytest.fixture(scope="module")
def scored() -> Community:
    return simulate(_SCORED)


def _score_once(community: Community) -> ScoringResult:
    """What one `bridgewatch score` of the written files does (as of the newest data)."""
    frames = CommunityFrames(community.notes, community.ratings, community.user_enrollment)
    dataset = dataset_from_frames(frames, community.note_status_history)
    return score_core(
        dataset, ScoringConfig(topics=None), as_of_ms=default_as_of_ms(dataset), seed=1
    )


def _counts(result: ScoringResult) -> tuple[int, int]:
    notes = result.scored_notes
    helpful = int((notes["finalRatingStatus"] == "CURRENTLY_RATED_HELPFUL").sum())
    held = int(notes["metaScorerActiveRules"].str.contains("NmrDueToMinStableCrhTime").sum())
    return helpful, held


def test_checkpoints_are_weekly_then_two_hours_before_the_newest_data() -> None:
    newest = _SEEDED.end_ms - 1_000
    times = status_checkpoints(_SEEDED, newest)
    start = _SEEDED.start_ms
    assert times == [start + 7 * _DAY_MS, start + 14 * _DAY_MS, newest - LAST_CHECKPOINT_BEFORE_MS]
    assert status_checkpoints(replace(_SEEDED, status_checkpoint_days=10.0), newest)[:2] == [
        start + 10 * _DAY_MS,
        start + 20 * _DAY_MS,
    ]
    with pytest.raises(ConfigError, match="status_checkpoint_days"):
        replace(_SEEDED, status_checkpoint_days=0.0)


def test_one_run_on_a_scored_history_releases_helpful_notes(scored: Community) -> None:
    helpful_seeded, held_seeded = _counts(_score_once(simulate(_SEEDED)))
    # The NEEDS_MORE_RATINGS-only history holds every note that crosses the threshold.
    assert helpful_seeded == 0 and held_seeded > 0
    helpful, held = _counts(_score_once(scored))
    assert helpful > 0 and held < held_seeded


def test_the_history_is_what_the_scorer_wrote_at_the_checkpoints(scored: Community) -> None:
    nsh = scored.note_status_history
    assert nsh["noteId"].to_list() == scored.notes["noteId"].to_list()
    assert (nsh["currentStatus"] == "CURRENTLY_RATED_HELPFUL").sum() > 0
    last = status_checkpoints(_SCORED, int(scored.ratings["createdAtMillis"].max()))[-1]  # type: ignore[arg-type]
    stamped = nsh.filter(pl.col("timestampMillisOfFirstNonNMRStatus").is_not_null())
    assert stamped.height and (stamped["timestampMillisOfFirstNonNMRStatus"] <= last).all()


def test_scored_history_is_deterministic_and_changes_no_other_frame(scored: Community) -> None:
    again = simulate(_SCORED)
    assert again.note_status_history.equals(scored.note_status_history, null_equal=True)
    seeded = simulate(_SEEDED)
    for name in ("notes", "ratings", "user_enrollment", "note_requests", "posts"):
        assert getattr(seeded, name).equals(getattr(scored, name), null_equal=True), name


def test_streamed_write_scores_the_same_history(scored: Community, tmp_path: Path) -> None:
    streamed = write_simulation(_SCORED, tmp_path / "streamed")
    in_memory = write_community(scored, tmp_path / "memory")
    assert streamed.note_status_history.read_bytes() == in_memory.note_status_history.read_bytes()
    assert streamed.ratings[0].read_bytes() == in_memory.ratings[0].read_bytes()


def test_a_replay_runs_the_given_roster_at_every_checkpoint(scored: Community) -> None:
    """Each checkpoint run is `score` with the roster, reading the previous run's history."""
    config = ScoringConfig(topics=None)
    roster = select_scorers(default_roster(config), ["core", "MFExpansionScorer", "gaussian"])
    frames = CommunityFrames(scored.notes, scored.ratings, scored.user_enrollment)
    empty = scored.note_status_history.clear()
    newest = int(scored.ratings["createdAtMillis"].cast(pl.Int64).to_numpy().max())
    checkpoints = status_checkpoints(_SEEDED, newest)
    replay = replay_checkpoints(frames, empty, checkpoints, config, seed=1, scorers=roster)

    history = empty
    deciders: set[str] = set()
    for t in checkpoints:
        run = score(
            dataset_from_frames(frames, history, until_ms=t),
            config,
            as_of_ms=t,
            seed=1,
            scorers=roster,
        )
        history = merge_history(history, run.note_status_history)
        deciders |= set(run.note_status_history["currentDecidedBy"].drop_nulls().to_list())
    assert replay.history.sort("noteId").equals(history.sort("noteId"))
    # The roster's other scorers decide some notes along the way (not only Core).
    assert any(not d.startswith("CoreModel") for d in deciders)
    core_only = replay_checkpoints(frames, empty, checkpoints, config, seed=1)
    assert not core_only.history.sort("noteId").equals(replay.history.sort("noteId"))
