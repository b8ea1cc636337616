"""Writing communities: public headers, parseable TSV, identical bytes in memory and streamed."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from bridgewatch.errors import ConfigError
from bridgewatch.io import (
    load_dataset,
    read_note_status_history,
    read_notes,
    read_ratings,
    read_user_enrollment,
    write_ratings,
)
from bridgewatch.io.columns import (
    NOTE_STATUS_HISTORY_COLUMNS,
    NOTES_COLUMNS,
    RATINGS_COLUMNS,
    USER_ENROLLMENT_COLUMNS,
)
from bridgewatch.sim import BrigadeConfig, SimConfig, simulate, write_community, write_simulation
from bridgewatch.sim.arrays import simulate_ratings

_FIXTURE_INPUT = Path("/work/shared/fixtures/S-core/input")
_CONFIG = SimConfig(
    seed=5, n_notes=200, n_raters=300, n_ratings=4_000, brigades=(BrigadeConfig(n_members=4),)
)
_PUBLIC = (
    "notes-00000.tsv",
    "noteStatusHistory-00000.tsv",
    "userEnrollment-00000.tsv",
    "noteRequests-00000.tsv",
)


def _read_tsv(path: Path) -> pl.DataFrame:
    return pl.read_csv(path, separator="\t", quote_char=None, infer_schema_length=0)


def _header(path: Path) -> tuple[str, ...]:
    with path.open() as handle:
        return tuple(handle.readline().rstrip("\n").split("\t"))


def test_written_files_have_the_public_headers_and_parse_back(tmp_path: Path) -> None:
    community = simulate(_CONFIG)
    written = write_community(community, tmp_path)
    assert written.ratings == (tmp_path / "ratings-00000.tsv",)
    assert _header(written.notes) == NOTES_COLUMNS
    assert _header(written.ratings[0]) == RATINGS_COLUMNS
    assert _header(written.note_status_history) == NOTE_STATUS_HISTORY_COLUMNS
    assert _header(written.user_enrollment) == USER_ENROLLMENT_COLUMNS
    notes = _read_tsv(written.notes)
    ratings = _read_tsv(written.ratings[0])
    assert notes.height == community.notes.height and ratings.height == community.ratings.height
    assert written.n_ratings == community.ratings.height
    # Every line has the full column count (no stray tabs in summaries).
    for path in (written.notes, written.ratings[0]):
        widths = {line.count("\t") for line in path.read_text().splitlines()}
        assert len(widths) == 1
    assert not list(tmp_path.rglob("*.tmp"))


@pytest.mark.skipif(not _FIXTURE_INPUT.is_dir(), reason="shared fixtures not available")
def test_headers_match_the_fixture_files(tmp_path: Path) -> None:
    write_community(simulate(_CONFIG), tmp_path)
    for name in ("notes-00000.tsv", "ratings-00000.tsv", "userEnrollment-00000.tsv"):
        assert _header(tmp_path / name) == _header(_FIXTURE_INPUT / name)
    # The fixture's status history uses the older 23-column layout, a prefix of ours.
    fixture_history = _header(_FIXTURE_INPUT / "noteStatusHistory-00000.tsv")
    assert _header(tmp_path / "noteStatusHistory-00000.tsv")[:23] == fixture_history


def test_values_round_trip(tmp_path: Path) -> None:
    community = simulate(_CONFIG)
    written = write_community(community, tmp_path)
    ratings = _read_tsv(written.ratings[0])
    expected = community.ratings.select(pl.all().cast(pl.String))
    assert ratings.equals(expected, null_equal=True)
    truth = pl.read_csv(written.rater_truth, separator="\t")
    assert truth["position"].equals(community.rater_truth["position"])


def test_streamed_and_in_memory_writes_are_identical(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    write_community(simulate(_CONFIG), a, ratings_per_file=1_500)
    written = write_simulation(_CONFIG, b, ratings_per_file=1_500)
    assert len(written.ratings) == 3
    files = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    for rel in files:
        assert (a / rel).read_bytes() == (b / rel).read_bytes(), rel


def test_split_ratings_files_each_have_a_header(tmp_path: Path) -> None:
    written = write_simulation(_CONFIG, tmp_path, ratings_per_file=1_000)
    heights = [_read_tsv(p).height for p in written.ratings]
    assert all(_header(p) == RATINGS_COLUMNS for p in written.ratings)
    assert sum(heights) == written.n_ratings and max(heights) == 1_000


def test_same_seed_writes_the_same_bytes(tmp_path: Path) -> None:
    write_simulation(_CONFIG, tmp_path / "a")
    write_simulation(_CONFIG, tmp_path / "b")
    for name in (
        *_PUBLIC,
        "ratings-00000.tsv",
        "posts-00000.tsv",
        "truth/notes.tsv",
        "truth/raters.tsv",
    ):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_ground_truth_files(tmp_path: Path) -> None:
    written = write_simulation(_CONFIG, tmp_path)
    config = json.loads(written.config.read_text())
    assert config["seed"] == 5 and len(config["brigades"]) == 1
    notes = pl.read_csv(written.note_truth, separator="\t")
    raters = pl.read_csv(written.rater_truth, separator="\t")
    assert notes.columns == [
        "noteId",
        "quality",
        "slant",
        "oneSided",
        "topic",
        "attackTarget",
        "brigadeId",
        "attackGoal",
        "circleId",
    ]
    assert raters["isAdversary"].sum() == 4
    assert set(raters["camp"].unique().to_list()) <= {-1, 1}


def test_bad_ratings_per_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        write_simulation(_CONFIG, tmp_path, ratings_per_file=0)
    with pytest.raises(ConfigError):
        write_simulation(_CONFIG, tmp_path, ratings_format="csv")  # type: ignore[arg-type]


def test_parquet_ratings_stream_into_shards_with_the_simulated_rows(tmp_path: Path) -> None:
    community = simulate(_CONFIG)
    written = write_simulation(
        _CONFIG, tmp_path / "streamed", ratings_per_file=1_500, ratings_format="parquet"
    )
    names = [p.name for p in written.ratings]
    assert names == ["ratings-00000.parquet", "ratings-00001.parquet", "ratings-00002.parquet"]
    assert [pl.read_parquet(p).height for p in written.ratings][:2] == [1_500, 1_500]
    assert not list((tmp_path / "streamed").rglob("*.tmp"))
    shards = read_ratings(tmp_path / "streamed" / "ratings")
    assert shards.equals(community.ratings, null_equal=True)
    # One file in memory and one streamed block by block hold the same rows.
    single = write_community(community, tmp_path / "whole", ratings_format="parquet")
    assert single.ratings == (tmp_path / "whole" / "ratings-00000.parquet",)
    assert read_ratings(single.ratings[0]).equals(community.ratings, null_equal=True)


def test_files_load_with_the_io_readers(tmp_path: Path) -> None:
    community = simulate(_CONFIG)
    written = write_community(community, tmp_path, ratings_per_file=1_500)
    assert read_notes(written.notes).equals(community.notes, null_equal=True)
    assert written.ratings[0] == tmp_path / "ratings" / "ratings-00000.tsv"
    assert read_ratings(written.ratings[0]).height == 1_500
    assert read_ratings(tmp_path / "ratings").equals(community.ratings, null_equal=True)
    history = read_note_status_history(written.note_status_history)
    assert history.equals(community.note_status_history, null_equal=True)
    enrollment = read_user_enrollment(written.user_enrollment)
    assert enrollment.equals(community.user_enrollment, null_equal=True)


def test_load_dataset_gives_the_simulated_ratings_arrays(tmp_path: Path) -> None:
    write_simulation(_CONFIG, tmp_path, ratings_per_file=1_500)
    dataset = load_dataset(
        notes=tmp_path / "notes-00000.tsv",
        ratings=tmp_path / "ratings",
        status_history=tmp_path / "noteStatusHistory-00000.tsv",
        enrollment=tmp_path / "userEnrollment-00000.tsv",
    )
    expected = simulate_ratings(_CONFIG).ratings
    loaded = dataset.ratings
    assert np.array_equal(loaded.note_ids.ids, expected.note_ids.ids)
    assert np.array_equal(loaded.participant_ids.ids, expected.participant_ids.ids)
    order = np.lexsort((loaded.rater_idx, loaded.note_idx))
    want = np.lexsort((expected.rater_idx, expected.note_idx))
    for name in (
        "note_idx",
        "rater_idx",
        "helpful_num",
        "helpfulness_level",
        "created_at_ms",
        "helpful_tags",
        "not_helpful_tags",
        "population_sampled",
    ):
        assert np.array_equal(getattr(loaded, name)[order], getattr(expected, name)[want]), name


def test_streamed_ratings_match_the_io_writer_byte_for_byte(tmp_path: Path) -> None:
    written = write_simulation(_CONFIG, tmp_path / "streamed")
    reference = tmp_path / "io-ratings.tsv"
    write_ratings(simulate(_CONFIG).ratings, reference)
    assert written.ratings[0].read_bytes() == reference.read_bytes()
