"""The lean ratings reader against ``load_dataset`` and on bad files."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from bridgewatch.analysis.embeddings import RatingMatrix, rating_matrix
from bridgewatch.analysis.embeddings.load import read_rating_matrix
from bridgewatch.errors import InputError
from bridgewatch.io import load_dataset
from bridgewatch.sim import SimConfig, simulate, write_community


def _rows(m: RatingMatrix) -> set[tuple[str, str, int, int]]:
    return set(
        zip(
            m.rater_ids[m.rater_idx].tolist(),
            m.note_ids[m.note_idx].tolist(),
            m.votes.tolist(),
            m.created_at_ms.tolist(),
            strict=True,
        )
    )


@pytest.mark.parametrize("fmt", ["tsv", "parquet"])
def test_reads_the_ratings_load_dataset_reads(tmp_path: Path, fmt: str) -> None:
    community = simulate(SimConfig(seed=3, n_notes=300, n_raters=600, n_ratings=9000))
    written = write_community(
        community,
        tmp_path,
        ratings_per_file=4000,
        ratings_format=fmt,  # type: ignore[arg-type]
    )
    shards = written.ratings[0].parent
    want = rating_matrix(load_dataset(notes=written.notes, ratings=shards).ratings)
    got = read_rating_matrix(shards)
    assert got.n_ratings == want.n_ratings == 9000
    assert _rows(got) == _rows(want)


def _write(path: Path, level: str, note: str = "1") -> Path:
    pl.DataFrame(
        {
            "noteId": [note, "2"],
            "raterParticipantId": ["A", "B"],
            "createdAtMillis": ["1000", "2000"],
            "helpfulnessLevel": [level, "HELPFUL"],
        }
    ).write_csv(path, separator="\t")
    return path


def test_legacy_and_missing_values(tmp_path: Path) -> None:
    path = tmp_path / "ratings.tsv"
    pl.DataFrame(
        {
            "noteId": ["1", "1", "2"],
            "raterParticipantId": ["A", "B", "A"],
            "createdAtMillis": ["1000", "2000", "3000"],
            "helpful": ["1", "0", "0"],
            "notHelpful": ["0", "1", "0"],
            "helpfulnessLevel": ["", "", "SOMEWHAT_HELPFUL"],
        }
    ).write_csv(path, separator="\t")
    m = read_rating_matrix(path)
    assert _rows(m) == {("A", "1", 1, 1000), ("B", "1", -1, 2000), ("A", "2", 0, 3000)}


def test_unknown_level_names_the_file_line_and_field(tmp_path: Path) -> None:
    path = _write(tmp_path / "ratings.tsv", "VERY_HELPFUL")
    with pytest.raises(InputError, match="helpfulnessLevel") as info:
        read_rating_matrix(path)
    assert info.value.line == 2


def test_empty_id_and_missing_column_are_input_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="noteId"):
        read_rating_matrix(_write(tmp_path / "a.tsv", "HELPFUL", note=""))
    path = tmp_path / "b.tsv"
    pl.DataFrame({"noteId": ["1"], "raterParticipantId": ["A"]}).write_csv(path, separator="\t")
    with pytest.raises(InputError, match="createdAtMillis"):
        read_rating_matrix(path)


def test_batches_count_lines_across_batches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bridgewatch.analysis.embeddings import load

    monkeypatch.setattr(load, "_BATCH_ROWS", 1)
    good = _write(tmp_path / "good.tsv", "NOT_HELPFUL")
    assert _rows(read_rating_matrix(good)) == {("A", "1", -1, 1000), ("B", "2", 1, 2000)}
    path = tmp_path / "ratings.tsv"
    pl.DataFrame(
        {
            "noteId": ["1", "2"],
            "raterParticipantId": ["A", "B"],
            "createdAtMillis": ["1000", "2000"],
            "helpfulnessLevel": ["HELPFUL", "MAYBE"],
        }
    ).write_csv(path, separator="\t")
    with pytest.raises(InputError, match="helpfulnessLevel") as info:
        read_rating_matrix(path)
    assert info.value.line == 3
