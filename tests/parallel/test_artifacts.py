"""The run's work directory: dataclass trees as npz, results with references by name."""

from __future__ import annotations

import dataclasses
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from bridgewatch.errors import BridgewatchError
from bridgewatch.model import IdIndex, Ratings
from bridgewatch.parallel import ExecutorSpec
from bridgewatch.parallel.artifacts import (
    array_ids,
    dumps_with_refs,
    load_tree,
    loads_with_refs,
    object_paths,
    save_tree,
    tree_nbytes,
    work_directory,
)


def _ratings() -> Ratings:
    ids = IdIndex(np.array(["a", "bb", "ccc"]))
    helpful = np.array([1.5, np.nan, -0.0], dtype=np.float32)
    return Ratings(
        note_idx=np.array([0, 1, 2], dtype=np.int32),
        rater_idx=np.array([2, 1, 0], dtype=np.int32),
        helpful_num=helpful,
        helpfulness_level=np.array([2, 0, 1], dtype=np.int8),
        created_at_ms=np.array([10, 20, 30], dtype=np.int64),
        helpful_tags=np.zeros(3, dtype=np.uint16),
        not_helpful_tags=np.zeros(3, dtype=np.uint16),
        population_sampled=np.array([True, False, True]),
        note_ids=ids,
        participant_ids=ids,
    )


def test_a_tree_comes_back_bit_for_bit_with_its_aliases(tmp_path: Path) -> None:
    tree = _ratings()
    save_tree(tree, str(tmp_path / "t.npz"))
    back = load_tree(str(tmp_path / "t.npz"))
    assert type(back) is Ratings
    for name in ("note_idx", "helpful_num", "created_at_ms", "population_sampled"):
        a, b = getattr(back, name), getattr(tree, name)
        assert a.dtype == b.dtype
        assert a.tobytes() == b.tobytes()  # NaN and -0.0 too
    assert back.note_ids is back.participant_ids  # one IdIndex, as written
    np.testing.assert_array_equal(back.note_ids.ids, ["a", "bb", "ccc"])
    spec = ExecutorSpec("dask", None, scheduler_file="/x.json")
    save_tree(spec, str(tmp_path / "s.npz"))
    assert load_tree(str(tmp_path / "s.npz")) == spec


def test_only_arrays_of_numbers_and_strings_are_written(tmp_path: Path) -> None:
    bad = replace(_ratings(), helpful_num=np.array([object()] * 3, dtype=object))
    with pytest.raises(BridgewatchError, match="object array"):
        save_tree(bad, str(tmp_path / "t.npz"))


def test_a_result_ships_only_what_is_not_a_reference() -> None:
    tree = _ratings()
    refs = object_paths(tree, "shared")
    assert refs["shared.note_ids"] is tree.note_ids
    assert refs["shared.helpful_num"] is tree.helpful_num
    new = np.arange(1000, dtype=np.float32)
    result = {"view": replace(tree, helpful_num=new), "ids": tree.participant_ids}
    data = dumps_with_refs(result, refs)
    assert len(data) < len(dumps_with_refs(result, {}))
    other = _ratings()  # the caller's own copy, equal but not the same objects
    back = loads_with_refs(data, object_paths(other, "shared"))
    assert back["ids"] is other.note_ids
    assert back["view"].rater_idx is other.rater_idx
    np.testing.assert_array_equal(back["view"].helpful_num, new)
    with pytest.raises(BridgewatchError, match="unknown here"):
        loads_with_refs(data, {})


def test_a_work_directory_is_removed_afterwards(tmp_path: Path) -> None:
    with work_directory(tmp_path) as work:
        with pytest.raises(FileNotFoundError):  # writes make no directory
            work.write_bytes("prescored/a.pkl", b"abc")
        work.make_dir("prescored")
        work.write_bytes("prescored/a.pkl", b"abc")
        assert work.read_bytes("prescored/a.pkl") == b"abc"
        root = Path(work.root)
        assert root.parent == tmp_path
    assert not root.exists()
    with work_directory() as temp:
        assert Path(temp.root).is_dir()
    assert not Path(temp.root).exists()


def test_a_missing_input_says_the_work_directory_must_be_shared(tmp_path: Path) -> None:
    with work_directory(tmp_path) as work, pytest.raises(BridgewatchError, match="--work-dir"):
        work.read_bytes("shared_inputs.npz")


def test_a_work_directory_can_be_an_fsspec_url() -> None:
    pytest.importorskip("fsspec")
    with work_directory("memory://bw-test") as work:
        assert work.root.startswith("memory://bw-test/bridgewatch-run-")
        save_tree(_ratings(), work.url("shared.npz"))
        assert load_tree(work.url("shared.npz")).n_ratings == 3


@dataclasses.dataclass(frozen=True)
class _Leaf:
    values: np.ndarray
    blob: bytes


def test_tree_nbytes_counts_each_buffer_once_and_leaves_out_the_shared_ones() -> None:
    shared = np.zeros(1000)  # 8,000 bytes
    own = np.ones(100, dtype=np.int32)  # 400 bytes
    tree = {
        "a": _Leaf(own, b"x" * 50),
        "b": [own[:10], shared[5:], (own,)],  # a view counts as its whole base, once
        "c": _Leaf(shared, b""),
    }
    assert tree_nbytes(tree) == 400 + 50 + 8000
    assert tree_nbytes(tree, array_ids({"inputs": shared})) == 400 + 50
    assert tree_nbytes(None) == 0
    assert tree_nbytes(shared[::2]) == 8000
