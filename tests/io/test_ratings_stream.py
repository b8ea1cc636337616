"""The streaming fast path of load_dataset agrees with the general reader, or steps aside."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest

from bridgewatch.errors import InputError
from bridgewatch.io import dataset, readers, writers
from bridgewatch.io.dataset import Dataset, load_dataset
from bridgewatch.io.ratings_stream import stream_ratings
from bridgewatch.model.columns import RATINGS_COLUMNS
from tests.io.conftest import FIXTURES, WriteTsv

_ARRAYS = (
    "note_idx",
    "rater_idx",
    "helpful_num",
    "helpfulness_level",
    "created_at_ms",
    "helpful_tags",
    "not_helpful_tags",
    "population_sampled",
)


def _general(monkeypatch: pytest.MonkeyPatch, **paths: Path | bool) -> Dataset:
    with monkeypatch.context() as patch:
        patch.setattr(dataset, "stream_ratings", lambda *a, **k: None)
        return load_dataset(**paths)  # type: ignore[arg-type]


def _assert_same(fast: Dataset, general: Dataset) -> None:
    assert fast.note_ids.ids.tolist() == general.note_ids.ids.tolist()
    assert fast.participant_ids.ids.tolist() == general.participant_ids.ids.tolist()
    for name in _ARRAYS:
        a, b = getattr(fast.ratings, name), getattr(general.ratings, name)
        assert a.dtype == b.dtype, name
        np.testing.assert_array_equal(a, b, err_msg=name)
    assert fast.skipped == general.skipped


def test_fixture_loads_the_same_on_both_paths(monkeypatch: pytest.MonkeyPatch) -> None:
    base = FIXTURES / "S-full" / "input"
    paths = {
        "notes": base / "notes-00000.tsv",
        "ratings": base / "ratings-00000.tsv",
        "status_history": base / "noteStatusHistory-00000.tsv",
        "enrollment": base / "userEnrollment-00000.tsv",
    }
    assert stream_ratings(paths["ratings"]) is not None
    fast = load_dataset(
        notes=paths["notes"],
        ratings=paths["ratings"],
        status_history=paths["status_history"],
        enrollment=paths["enrollment"],
    )
    _assert_same(fast, _general(monkeypatch, **paths))


def _random_rows(rng: np.random.Generator, n: int, columns: list[str]) -> list[list[str]]:
    levels = ["", "HELPFUL", "SOMEWHAT_HELPFUL", "NOT_HELPFUL"]
    rows = []
    for _ in range(n):
        row = []
        for c in columns:
            if c in ("noteId", "raterParticipantId", "participantId"):
                row.append(f"{c[0]}{rng.integers(0, 6)}")
            elif c == "createdAtMillis":
                row.append(str(rng.integers(0, 3)))
            elif c == "version":
                row.append(["", "1", "2"][rng.integers(0, 3)])
            elif c == "helpfulnessLevel":
                row.append(levels[rng.integers(0, 4)])
            elif c == "ratingSourceBucketed":
                row.append(["", "DEFAULT", "POPULATION_SAMPLED"][rng.integers(0, 3)])
            elif c in ("ratedOnTweetId", "suggestion", "suggestionId"):
                row.append(str(rng.integers(0, 3)))
            else:
                row.append(["", "0", "1"][rng.integers(0, 3)])
        rows.append(row)
    return rows


@pytest.mark.parametrize("seed", range(6))
def test_random_shards_with_duplicates_load_the_same(
    seed: int, write_tsv_text: WriteTsv, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = np.random.default_rng(seed)
    notes = write_tsv_text(
        "notes.tsv",
        ["noteId", "noteAuthorParticipantId", "createdAtMillis", "classification"],
        [["n1", "a", "1", "NOT_MISLEADING"]],
    )
    full = list(RATINGS_COLUMNS)
    legacy = [c for c in full if c not in ("helpfulnessLevel", "ratingSourceBucketed")]
    legacy[legacy.index("raterParticipantId")] = "participantId"
    shards = tmp_path / "ratings"
    shards.mkdir()
    for i, header in enumerate([full, legacy, list(reversed(full))]):
        rows = _random_rows(rng, 60, header)
        rows += [rows[j] for j in rng.integers(0, len(rows), 8)]  # identical duplicates
        text = "\n".join(["\t".join(header), *("\t".join(r) for r in rows)]) + "\n"
        if i == 1:
            with zipfile.ZipFile(shards / f"ratings-{i:05d}.zip", "w") as archive:
                archive.writestr(f"ratings-{i:05d}.tsv", text)
        else:
            (shards / f"ratings-{i:05d}.tsv").write_text(text)
    # Random rows almost surely conflict: compare the errors, then the lenient loads.
    assert stream_ratings(shards, lenient=True) is not None
    with pytest.raises(InputError) as fast_error:
        load_dataset(notes=notes, ratings=shards)
    with pytest.raises(InputError) as general_error:
        _general(monkeypatch, notes=notes, ratings=shards)
    assert str(fast_error.value) == str(general_error.value)
    fast = load_dataset(notes=notes, ratings=shards, lenient=True)
    assert fast.skipped
    _assert_same(fast, _general(monkeypatch, notes=notes, ratings=shards, lenient=True))


def test_identical_duplicates_across_shards_are_dropped(
    write_tsv_text: WriteTsv, monkeypatch: pytest.MonkeyPatch
) -> None:
    header = ["noteId", "raterParticipantId", "createdAtMillis", "helpfulnessLevel", "version"]
    notes = write_tsv_text(
        "notes.tsv",
        ["noteId", "noteAuthorParticipantId", "createdAtMillis", "classification"],
        [["n1", "a", "1", "NOT_MISLEADING"]],
    )
    rows = [["n1", "r1", "5", "HELPFUL", ""], ["n2", "r1", "6", "NOT_HELPFUL", "1"]]
    shards = notes.parent / "shards"
    shards.mkdir()
    for i in range(2):
        (shards / f"ratings-{i:05d}.tsv").write_text(
            "\n".join(["\t".join(header), *("\t".join(r) for r in rows)]) + "\n"
        )
    fast = load_dataset(notes=notes, ratings=shards)
    assert fast.ratings.n_ratings == 2
    _assert_same(fast, _general(monkeypatch, notes=notes, ratings=shards))
    # Empty and filled version differ: a conflict, not a duplicate.
    (shards / "ratings-00001.tsv").write_text(
        "\n".join(["\t".join(header), "n1\tr1\t5\tHELPFUL\t1"]) + "\n"
    )
    with pytest.raises(InputError, match=r"ratings-00001\.tsv line 2 differ"):
        load_dataset(notes=notes, ratings=shards)


@pytest.mark.parametrize(
    ("row", "why"),
    [
        (["n1", "r1", "5", "HELPFUL", "2"], "a flag other than 0/1"),
        (["n1", "r1", "5", "HELPFUL", "-1"], "a negative flag"),
        (["", "r1", "5", "HELPFUL", "1"], "an empty key"),
        (["n1", "r1", "5x", "HELPFUL", "1"], "a malformed number"),
        (["n1", "r1", "5", "MEH", "1"], "an unknown level"),
    ],
)
def test_unusual_rows_leave_the_fast_path(
    row: list[str], why: str, write_tsv_text: WriteTsv
) -> None:
    header = ["noteId", "raterParticipantId", "createdAtMillis", "helpfulnessLevel", "agree"]
    path = write_tsv_text("ratings.tsv", header, [["n0", "r0", "1", "HELPFUL", "1"], row])
    notes = write_tsv_text(
        "notes.tsv",
        ["noteId", "noteAuthorParticipantId", "createdAtMillis", "classification"],
        [["n1", "a", "1", "NOT_MISLEADING"]],
    )
    assert stream_ratings(path) is None, why
    # The general reader keeps an odd but valid flag and skips a bad row.
    loaded = load_dataset(notes=notes, ratings=path, lenient=True)
    assert loaded.ratings.n_ratings == (2 if why.endswith("flag") or "0/1" in why else 1)


def test_parquet_shards_take_the_general_reader(write_tsv_text: WriteTsv, tmp_path: Path) -> None:
    path = write_tsv_text(
        "ratings.tsv",
        ["noteId", "raterParticipantId", "createdAtMillis", "helpfulnessLevel"],
        [["n1", "r1", "1", "HELPFUL"]],
    )
    parquet = tmp_path / "ratings.parquet"
    writers.write_ratings(readers.read_ratings(path), parquet)
    assert stream_ratings(parquet) is None
    assert stream_ratings(path) is not None


def test_header_only_file_loads_empty(
    write_tsv_text: WriteTsv, monkeypatch: pytest.MonkeyPatch
) -> None:
    notes = write_tsv_text(
        "notes.tsv",
        ["noteId", "noteAuthorParticipantId", "createdAtMillis", "classification"],
        [["n1", "a", "1", "NOT_MISLEADING"]],
    )
    path = write_tsv_text(
        "ratings.tsv", ["noteId", "raterParticipantId", "createdAtMillis", "helpfulnessLevel"], []
    )
    fast = load_dataset(notes=notes, ratings=path)
    assert fast.ratings.n_ratings == 0
    _assert_same(fast, _general(monkeypatch, notes=notes, ratings=path))


def test_bom_crlf_and_quoted_ids_load_the_same(
    tmp_path: Path, write_tsv_text: WriteTsv, monkeypatch: pytest.MonkeyPatch
) -> None:
    notes = write_tsv_text(
        "notes.tsv",
        ["noteId", "noteAuthorParticipantId", "createdAtMillis", "classification"],
        [["n1", "a", "1", "NOT_MISLEADING"]],
    )
    path = tmp_path / "ratings.tsv"
    path.write_bytes(
        b"\xef\xbb\xbfnoteId\traterParticipantId\tcreatedAtMillis\thelpfulnessLevel\r\n"
        b'"n1"\tr1\t5\tHELPFUL\r\nn1\t"r""2"\t6\tNOT_HELPFUL\r\nn2\tr1\t7\t'
    )
    assert stream_ratings(path) is not None
    fast = load_dataset(notes=notes, ratings=path)
    assert fast.participant_ids.ids.tolist() == ["a", 'r"2', "r1"]
    assert fast.ratings.n_ratings == 2
    _assert_same(fast, _general(monkeypatch, notes=notes, ratings=path))
