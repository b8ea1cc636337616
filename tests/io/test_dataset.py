"""Tests of load_dataset and the columnar ratings model."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest

from bridgewatch.errors import InputError
from bridgewatch.io import dataset as dataset_module
from bridgewatch.io import read as read_module
from bridgewatch.io import readers, schemas, writers
from bridgewatch.io.dataset import load_dataset, ratings_from_frame
from bridgewatch.io.idmap import hash_ids, rows_in_index, sorted_union
from bridgewatch.model import IdIndex, Ratings
from bridgewatch.model.columns import HELPFUL_TAGS, NOT_HELPFUL_TAGS
from tests.io.conftest import FIXTURES, WriteTsv

NOTES_HEADER = ["noteId", "noteAuthorParticipantId", "createdAtMillis", "classification"]
RATINGS_HEADER = [
    "noteId",
    "raterParticipantId",
    "createdAtMillis",
    "helpful",
    "notHelpful",
    "helpfulnessLevel",
    "helpfulClear",
    "helpfulUnbiasedLanguage",
    "notHelpfulOther",
    "notHelpfulNoteNotNeeded",
    "ratingSourceBucketed",
]


def _tiny(write_tsv_text: WriteTsv) -> dict[str, Path]:
    notes = write_tsv_text(
        "notes.tsv",
        NOTES_HEADER,
        [["n2", "author", "1", "NOT_MISLEADING"], ["n1", "r1", "2", "NOT_MISLEADING"]],
    )
    ratings = write_tsv_text(
        "ratings.tsv",
        RATINGS_HEADER,
        [
            # legacy helpful=1 -> 1.0; the level column is empty
            ["n1", "r2", "10", "1", "0", "", "1", "0", "0", "0", "DEFAULT"],
            # legacy notHelpful wins over helpful -> 0.0
            ["n1", "r3", "11", "1", "1", "", "0", "0", "0", "0", ""],
            # helpfulnessLevel wins over the legacy columns -> 0.5
            ["n2", "r2", "12", "0", "1", "SOMEWHAT_HELPFUL", "0", "1", "1", "1",
             "POPULATION_SAMPLED"],
            # no value at all -> dropped
            ["n2", "r3", "13", "0", "0", "", "0", "0", "0", "0", "DEFAULT"],
            ["n3", "r1", "14", "", "", "NOT_HELPFUL", "", "", "", "1", "DEFAULT"],
            # identical duplicate of the first row -> dropped
            ["n1", "r2", "10", "1", "0", "", "1", "0", "0", "0", "DEFAULT"],
        ],
    )  # fmt: skip
    nsh = write_tsv_text(
        "nsh.tsv",
        ["noteId", "noteAuthorParticipantId", "createdAtMillis"],
        [["n0", "gone", "0"]],
    )
    enrollment = write_tsv_text(
        "ue.tsv", ["participantId", "enrollmentState"], [["e1", "newUser"], ["r1", "earnedIn"]]
    )
    return {"notes": notes, "ratings": ratings, "status_history": nsh, "enrollment": enrollment}


def test_tiny_dataset_by_hand(write_tsv_text: WriteTsv) -> None:
    paths = _tiny(write_tsv_text)
    ds = load_dataset(
        notes=paths["notes"],
        ratings=paths["ratings"],
        status_history=paths["status_history"],
        enrollment=paths["enrollment"],
    )
    r = ds.ratings
    assert ds.note_ids.ids.tolist() == ["n0", "n1", "n2", "n3"]
    assert ds.participant_ids.ids.tolist() == ["author", "e1", "gone", "r1", "r2", "r3"]
    assert r.n_ratings == 4
    assert r.note_ids is ds.note_ids and r.participant_ids is ds.participant_ids
    assert r.note_idx.dtype == np.int32 and r.rater_idx.dtype == np.int32
    assert r.note_ids.to_ids(r.note_idx).tolist() == ["n1", "n1", "n2", "n3"]
    assert r.participant_ids.to_ids(r.rater_idx).tolist() == ["r2", "r3", "r2", "r1"]
    assert r.helpful_num.dtype == np.float32
    assert r.helpful_num.tolist() == [1.0, 0.0, 0.5, 0.0]
    assert r.helpfulness_level.tolist() == [-1, -1, 1, 0]
    assert r.created_at_ms.tolist() == [10, 11, 12, 14]
    clear, unbiased = (
        HELPFUL_TAGS.index("helpfulClear"),
        HELPFUL_TAGS.index("helpfulUnbiasedLanguage"),
    )
    other, not_needed = (
        NOT_HELPFUL_TAGS.index("notHelpfulOther"),
        NOT_HELPFUL_TAGS.index("notHelpfulNoteNotNeeded"),
    )
    assert r.helpful_tags.tolist() == [1 << clear, 0, 1 << unbiased, 0]
    assert r.not_helpful_tags.tolist() == [0, 0, (1 << other) | (1 << not_needed), 1 << not_needed]
    assert r.population_sampled.tolist() == [False, False, True, False]
    assert ds.status_history.height == 1 and ds.enrollment.height == 2


def test_optional_inputs_default_to_empty_frames(write_tsv_text: WriteTsv) -> None:
    paths = _tiny(write_tsv_text)
    ds = load_dataset(notes=paths["notes"], ratings=paths["ratings"])
    assert ds.status_history.schema == schemas.NOTE_STATUS_HISTORY.polars_schema
    assert ds.enrollment.height == 0
    assert "n0" not in ds.note_ids.ids.tolist()


def test_conflicting_ratings_fail_the_load(write_tsv_text: WriteTsv) -> None:
    paths = _tiny(write_tsv_text)
    path = write_tsv_text(
        "r2.tsv",
        ["noteId", "raterParticipantId", "createdAtMillis", "helpfulnessLevel"],
        [["n1", "a", "1", "HELPFUL"], ["n1", "a", "1", "NOT_HELPFUL"]],
    )
    with pytest.raises(InputError) as err:
        load_dataset(notes=paths["notes"], ratings=path)
    assert "line 2 and line 3" in str(err.value)


def test_lenient_load_reports_skipped_rows(write_tsv_text: WriteTsv) -> None:
    paths = _tiny(write_tsv_text)
    path = write_tsv_text(
        "r2.tsv",
        ["noteId", "raterParticipantId", "createdAtMillis", "helpfulnessLevel"],
        [["n1", "a", "1", "HELPFUL"], ["n1", "b", "x", "HELPFUL"], ["n1", "c", "1", "MEH"]],
    )
    ds = load_dataset(notes=paths["notes"], ratings=path, lenient=True)
    assert ds.ratings.n_ratings == 1
    assert [(s.line, s.field) for s in ds.skipped] == [
        (3, "createdAtMillis"),
        (4, "helpfulnessLevel"),
    ]


@pytest.mark.parametrize("community", ["S-core", "S-full"])
def test_fixture_datasets_load(community: str) -> None:
    base = FIXTURES / community / "input"
    ds = load_dataset(
        notes=base / "notes-00000.tsv",
        ratings=base / "ratings-00000.tsv",
        status_history=base / "noteStatusHistory-00000.tsv",
        enrollment=base / "userEnrollment-00000.tsv",
    )
    frame = readers.read_ratings(base / "ratings-00000.tsv")
    assert ds.ratings.n_ratings == frame.height == 100_000
    assert len(ds.note_ids) == 2000
    assert ds.ratings.population_sampled.mean() == pytest.approx(0.05, abs=0.01)
    # The arrays agree with the typed frame row by row.
    expected_notes = frame["noteId"].to_numpy().astype(np.str_)
    assert np.array_equal(ds.note_ids.to_ids(ds.ratings.note_idx), expected_notes)
    level = frame["helpfulnessLevel"].to_physical().to_numpy()
    assert np.array_equal(ds.ratings.helpful_num, (level * 0.5).astype(np.float32))
    same = ratings_from_frame(frame, ds.note_ids, ds.participant_ids)
    assert np.array_equal(same.rater_idx, ds.ratings.rater_idx)
    assert np.array_equal(same.not_helpful_tags, ds.ratings.not_helpful_tags)


def test_rows_in_index_matches_id_index_lookup() -> None:
    rng = np.random.default_rng(0)
    pool = np.array([f"id{v:05d}" for v in range(300)])
    column = pl.Series("c", [*pool[rng.integers(0, 300, 5000)].tolist(), None])
    hashed = hash_ids(column)
    assert hashed.distinct.height == column.drop_nulls().n_unique()
    ids = sorted_union(column, pl.Series(["zz-extra"]))
    index = IdIndex(np.asarray(ids.to_list(), dtype=np.str_))
    rows = rows_in_index(hashed, ids)
    assert rows[-1] == -1
    assert np.array_equal(rows[:-1], index.lookup(np.asarray(column.to_list()[:-1], dtype=np.str_)))


def test_ratings_from_frame_rejects_unknown_ids() -> None:
    frame = pl.DataFrame(
        {
            "noteId": ["n1"],
            "raterParticipantId": ["r1"],
            "createdAtMillis": [1],
            "helpful": pl.Series([1], dtype=pl.Int8),
            "notHelpful": pl.Series([0], dtype=pl.Int8),
            "helpfulnessLevel": pl.Series([None], dtype=schemas.HELPFULNESS_LEVEL_DTYPE),
            "ratingSourceBucketed": pl.Series([None], dtype=schemas.RATING_SOURCE_DTYPE),
            **{t: pl.Series([0], dtype=pl.Int8) for t in HELPFUL_TAGS + NOT_HELPFUL_TAGS},
        }
    )
    index = IdIndex(np.array(["n1"], dtype=np.str_))
    with pytest.raises(InputError, match="missing from the id index"):
        ratings_from_frame(frame, index, IdIndex(np.array(["other"], dtype=np.str_)))
    ok = ratings_from_frame(frame, index, IdIndex(np.array(["r1"], dtype=np.str_)))
    assert ok.helpful_num.tolist() == [1.0]


def test_ratings_as_downloaded_zip_shards(write_tsv_text: WriteTsv, tmp_path: Path) -> None:
    paths = _tiny(write_tsv_text)
    text = paths["ratings"].read_text().splitlines()
    shards = tmp_path / "ratings"
    shards.mkdir()
    for i, rows in enumerate([text[1:3], text[3:]]):
        with zipfile.ZipFile(shards / f"ratings-0000{i}.zip", "w") as archive:
            archive.writestr(f"ratings-0000{i}.tsv", "\n".join([text[0], *rows]) + "\n")
    from_zips = load_dataset(notes=paths["notes"], ratings=shards)
    from_tsv = load_dataset(notes=paths["notes"], ratings=paths["ratings"])
    assert np.array_equal(from_zips.ratings.rater_idx, from_tsv.ratings.rater_idx)
    assert np.array_equal(from_zips.ratings.helpful_num, from_tsv.ratings.helpful_num)


def test_hash_collision_falls_back_to_exact_ids(
    write_tsv_text: WriteTsv, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = _tiny(write_tsv_text)
    normal = load_dataset(notes=paths["notes"], ratings=paths["ratings"])
    # The hashing reader is the general path, taken when the streaming one steps aside.
    monkeypatch.setattr(dataset_module, "stream_ratings", lambda *a, **k: None)
    merge = read_module._merge_distinct

    def colliding(parts: list[pl.DataFrame]) -> pl.DataFrame:
        return merge(parts).with_columns(collision=pl.lit(True))

    monkeypatch.setattr(read_module, "_merge_distinct", colliding)
    exact = load_dataset(notes=paths["notes"], ratings=paths["ratings"])
    assert np.array_equal(exact.ratings.rater_idx, normal.ratings.rater_idx)
    assert np.array_equal(exact.ratings.note_idx, normal.ratings.note_idx)
    assert exact.participant_ids.ids.tolist() == normal.participant_ids.ids.tolist()


def test_conflict_message_shows_the_ids(write_tsv_text: WriteTsv) -> None:
    paths = _tiny(write_tsv_text)
    path = write_tsv_text(
        "r3.tsv",
        ["noteId", "raterParticipantId", "createdAtMillis", "helpfulnessLevel"],
        [["n9", "rater-x", "1", "HELPFUL"], ["n9", "rater-x", "2", "HELPFUL"]],
    )
    with pytest.raises(InputError, match="rater rater-x on note n9"):
        load_dataset(notes=paths["notes"], ratings=path)


def test_parquet_ratings_load_like_tsv(write_tsv_text: WriteTsv, tmp_path: Path) -> None:
    paths = _tiny(write_tsv_text)
    parquet = tmp_path / "ratings.parquet"
    writers.write_ratings(readers.read_ratings(paths["ratings"]), parquet)
    from_parquet = load_dataset(notes=paths["notes"], ratings=parquet)
    from_tsv = load_dataset(notes=paths["notes"], ratings=paths["ratings"])
    assert np.array_equal(from_parquet.ratings.note_idx, from_tsv.ratings.note_idx)
    assert np.array_equal(from_parquet.ratings.helpful_tags, from_tsv.ratings.helpful_tags)


def _shards(tmp_path: Path, header: str, parts: list[list[str]], parquet: bool = False) -> Path:
    """A directory of ratings shards (Parquet ones take the general reader)."""
    shards = tmp_path / "shards"
    shards.mkdir()
    for i, rows in enumerate(parts):
        tsv = shards / f"ratings-0000{i}.tsv"
        tsv.write_text("\n".join([header, *rows]) + "\n")
        if parquet:
            writers.write_ratings(readers.read_ratings(tsv), tsv.with_suffix(".parquet"))
            tsv.unlink()
    return shards


def test_shards_are_reduced_one_at_a_time_with_the_whole_table_result(
    write_tsv_text: WriteTsv, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = _tiny(write_tsv_text)
    text = paths["ratings"].read_text().splitlines()[:-1]  # without the duplicate row
    whole = tmp_path / "whole.tsv"
    whole.write_text("\n".join(text) + "\n")
    shards = _shards(tmp_path, text[0], [text[1:3], text[3:]], parquet=True)
    streamed: list[bool] = []
    reduce = dataset_module._load_sharded_ratings

    def spy(*args: Any) -> Ratings | None:
        result = reduce(*args)
        streamed.append(result is not None)
        return result

    monkeypatch.setattr(dataset_module, "_load_sharded_ratings", spy)
    from_shards, from_whole = (
        load_dataset(
            notes=paths["notes"],
            ratings=ratings,
            status_history=paths["status_history"],
            enrollment=paths["enrollment"],
        )
        for ratings in (shards, whole)
    )
    assert streamed == [True]
    for name in ("note_idx", "rater_idx", "helpful_num", "helpfulness_level", "created_at_ms"):
        assert np.array_equal(getattr(from_shards.ratings, name), getattr(from_whole.ratings, name))
    for name in ("helpful_tags", "not_helpful_tags", "population_sampled"):
        assert np.array_equal(getattr(from_shards.ratings, name), getattr(from_whole.ratings, name))
    assert from_shards.note_ids.ids.tolist() == from_whole.note_ids.ids.tolist()
    assert from_shards.participant_ids.ids.tolist() == from_whole.participant_ids.ids.tolist()


def test_a_pair_repeated_across_shards_is_checked_on_the_whole_table(tmp_path: Path) -> None:
    header = "\t".join(["noteId", "raterParticipantId", "createdAtMillis", "helpfulnessLevel"])
    notes = tmp_path / "notes.tsv"
    notes.write_text("\t".join(NOTES_HEADER) + "\nn9\ta\t1\tNOT_MISLEADING\n")
    same = "n9\trater-x\t1\tHELPFUL"
    shards = _shards(tmp_path, header, [[same], [same, "n9\trater-y\t1\tHELPFUL"]], parquet=True)
    loaded = load_dataset(notes=notes, ratings=shards)
    assert loaded.ratings.n_ratings == 2  # the identical duplicate is dropped
    conflict = tmp_path / "conflict.tsv"
    conflict.write_text(header + "\nn9\trater-x\t5\tNOT_HELPFUL\n")
    writers.write_ratings(readers.read_ratings(conflict), shards / "ratings-00002.parquet")
    with pytest.raises(InputError, match=r"ratings-00002\.parquet line 1 differ"):
        load_dataset(notes=notes, ratings=shards)


def test_rows_in_index_probes_past_keys_that_share_low_bits() -> None:
    """Keys equal in their low bits land on one slot and are found by probing; keys of ids
    missing from the index, and keys not in the distinct table, give -1."""
    from bridgewatch.io.idmap import HashedIds

    keys = np.array([0, 1 << 40, 2 << 40, 3, 2 << 40, 7, 0], dtype=np.uint64)
    distinct = pl.DataFrame(
        {"key": pl.Series([0, 1 << 40, 2 << 40, 3], dtype=pl.UInt64), "id": ["a", "b", "c", "x"]}
    )
    rows = rows_in_index(HashedIds(pl.Series(keys), distinct), pl.Series(["a", "b", "c", "d"]))
    assert rows.dtype == np.int32
    assert rows.tolist() == [0, 1, 2, -1, 2, -1, 0]


def _clean_parquet(write_tsv_text: WriteTsv, tmp_path: Path) -> tuple[dict[str, Path], Path]:
    """The tiny dataset and its ratings (without the identical duplicate) as one Parquet."""
    paths = _tiny(write_tsv_text)
    text = paths["ratings"].read_text().splitlines()[:-1]
    clean = tmp_path / "clean.tsv"
    clean.write_text("\n".join(text) + "\n")
    parquet = tmp_path / "ratings.parquet"
    writers.write_ratings(readers.read_ratings(clean), parquet)
    return {**paths, "ratings": clean}, parquet


def _load(paths: dict[str, Path], ratings: Path) -> Ratings:
    return load_dataset(
        notes=paths["notes"],
        ratings=ratings,
        status_history=paths["status_history"],
        enrollment=paths["enrollment"],
    ).ratings


def _same_ratings(a: Ratings, b: Ratings) -> None:
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
        left, right = getattr(a, name), getattr(b, name)
        assert left.dtype == right.dtype and np.array_equal(left, right), name
    assert a.note_ids.ids.tolist() == b.note_ids.ids.tolist()
    assert a.participant_ids.ids.tolist() == b.participant_ids.ids.tolist()


@pytest.mark.parametrize("piece_rows", [2, 1 << 21])
def test_one_parquet_file_is_reduced_like_shards(
    write_tsv_text: WriteTsv, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, piece_rows: int
) -> None:
    """A single Parquet file takes the shard path (26 bytes per rating kept, not every
    parsed column; read ``piece_rows`` rows at a time) and loads like its TSV (which takes
    the streaming path)."""
    monkeypatch.setattr(dataset_module, "_PIECE_ROWS", piece_rows)
    paths, parquet = _clean_parquet(write_tsv_text, tmp_path)
    streamed: list[bool] = []
    reduce = dataset_module._load_sharded_ratings

    def spy(*args: Any) -> Ratings | None:
        result = reduce(*args)
        streamed.append(result is not None)
        return result

    monkeypatch.setattr(dataset_module, "_load_sharded_ratings", spy)
    from_parquet = _load(paths, parquet)
    assert streamed == [True]
    _same_ratings(from_parquet, _load(paths, paths["ratings"]))


def test_an_id_hash_collision_in_the_shards_reads_the_whole_table(
    write_tsv_text: WriteTsv, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bridgewatch.io.shard_ids import ShardIdCodes

    paths, parquet = _clean_parquet(write_tsv_text, tmp_path)
    expected = _load(paths, parquet)

    def weak(column: pl.Series) -> tuple[Any, Any]:  # every id one key
        return np.zeros(column.len(), np.uint64), column.hash(seed=1).to_numpy()

    monkeypatch.setattr(ShardIdCodes, "hashes", staticmethod(weak))
    _same_ratings(_load(paths, parquet), expected)


@pytest.mark.parametrize("piece_rows", [1, 1 << 21])
def test_a_bad_row_of_a_parquet_file_is_named_or_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, piece_rows: int
) -> None:
    """An empty rater id in a Parquet ratings file: the error names the file, line and
    field (the line in the whole file when it is read in pieces); lenient loading skips
    the row and keeps the others."""
    monkeypatch.setattr(dataset_module, "_PIECE_ROWS", piece_rows)
    header = "\t".join(["noteId", "raterParticipantId", "createdAtMillis", "helpfulnessLevel"])
    notes = tmp_path / "notes.tsv"
    notes.write_text("\t".join(NOTES_HEADER) + "\nn9\ta\t1\tNOT_MISLEADING\n")
    rows = ["n9\trater-x\t1\tHELPFUL", "n9\trater-y\t2\tHELPFUL", "n9\trater-z\t3\tHELPFUL"]
    shards = _shards(tmp_path, header, [["n8\trater-x\t1\tHELPFUL"], rows], parquet=True)
    second = shards / "ratings-00001.parquet"
    pl.read_parquet(second).with_columns(
        pl.when(pl.int_range(pl.len()) == 1)
        .then(None)
        .otherwise(pl.col("raterParticipantId"))
        .alias("raterParticipantId")
    ).write_parquet(second)
    with pytest.raises(InputError) as caught:
        load_dataset(notes=notes, ratings=shards)
    assert "ratings-00001.parquet" in str(caught.value)
    assert (caught.value.line, caught.value.field) == (2, "raterParticipantId")
    loaded = load_dataset(notes=notes, ratings=shards, lenient=True)
    assert [(s.line, s.field) for s in loaded.skipped] == [(2, "raterParticipantId")]
    assert loaded.ratings.n_ratings == 3
