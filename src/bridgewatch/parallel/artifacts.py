"""A run's work directory: what the caller writes once and every worker reads by path.

- ``work_directory(root)`` makes a fresh run directory (under ``root``: a local path, a
  shared filesystem's path or, with fsspec installed, any fsspec URL such as
  ``s3://bucket/runs``; default a local temporary directory) and removes it afterwards.
- ``save_tree``/``load_tree``: a frozen dataclass of numpy arrays (nested dataclasses,
  scalars, None), such as the shared preprocessed inputs, as one ``.npz`` file: the arrays
  by name plus a JSON skeleton of the classes (no pickle: ``allow_pickle=False``). Arrays
  shared by two fields stay shared.
- ``dumps_with_refs``/``loads_with_refs``: pickle a task's result, but write any object
  that is one of a known set (the shared inputs' arrays, a prescoring read from the work
  directory) as a reference by name; the caller resolves the names against its own copy.
  So a result that keeps a view of the shared inputs ships only what the task computed.

Files are written whole or not at all (a temporary name, then a rename; object stores
commit on close), so a task rerun after its worker died reads no half-written file.
"""

from __future__ import annotations

import dataclasses
import importlib
import io
import json
import os
import pickle
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import numpy as np

from bridgewatch.errors import BridgewatchError

__all__ = [
    "WorkDir",
    "array_ids",
    "cached_tree",
    "clear_cached_trees",
    "dumps_with_refs",
    "load_tree",
    "loads_with_refs",
    "object_paths",
    "save_tree",
    "tree_nbytes",
    "work_directory",
]

_SKELETON = "__skeleton__"
_ALLOWED_MODULE = "bridgewatch."


def _is_url(root: str) -> bool:
    return "://" in root and not root.startswith("file://")


class WorkDir:
    """A run directory: a local path, or an fsspec URL.

    Parameters
    ----------
    root : the directory (it exists).
    """

    def __init__(self, root: str) -> None:
        self.root = root.rstrip("/")

    def url(self, name: str) -> str:
        """The path or URL of ``name`` inside the directory."""
        return f"{self.root}/{name}"

    def write_bytes(self, name: str, data: bytes) -> None:
        """Write ``name`` whole: a temporary file renamed into place (or one upload)."""
        write_bytes(self.url(name), data)

    def read_bytes(self, name: str) -> bytes:
        """The bytes of ``name``."""
        return read_bytes(self.url(name))

    def make_dir(self, name: str) -> None:
        """Make the directory ``name`` inside the run directory (writes make none)."""
        if _is_url(self.root):
            fs, path = _fsspec().core.url_to_fs(self.url(name))
            fs.makedirs(path, exist_ok=True)
        else:
            Path(self.url(name).removeprefix("file://")).mkdir(parents=True, exist_ok=True)


def _fsspec() -> Any:
    try:
        import fsspec
    except ImportError as exc:  # pragma: no cover - fsspec comes with the dask extra
        raise BridgewatchError("a work directory URL needs fsspec (pip install fsspec)") from exc
    return fsspec


def write_bytes(url: str, data: bytes) -> None:
    """Write ``data`` to ``url`` (a path or fsspec URL; its directory exists) whole or not
    at all."""
    if _is_url(url):
        with _fsspec().open(url, "wb") as handle:
            handle.write(data)
        return
    path = Path(url.removeprefix("file://"))
    # No directory is made here: a task still running after its run failed must not
    # recreate the run directory that the caller removed.
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_bytes(url: str) -> bytes:
    """The bytes at ``url`` (a path or fsspec URL); a missing file says where to look."""
    try:
        if _is_url(url):
            with _fsspec().open(url, "rb") as handle:
                data: bytes = handle.read()
                return data
        return Path(url.removeprefix("file://")).read_bytes()
    except FileNotFoundError as exc:
        raise BridgewatchError(
            f"cannot read {url}: on a cluster, the work directory must be on a filesystem "
            "(or URL) that every worker sees: pass --work-dir"
        ) from exc


def _remove(path: str | Path) -> None:
    # A task still running after its run failed may be writing into the directory while
    # it is removed: try again until it is gone.
    for _ in range(5):
        shutil.rmtree(path, ignore_errors=True)
        if not os.path.exists(path):
            return
        time.sleep(0.2)


@contextmanager
def work_directory(root: str | os.PathLike[str] | None = None) -> Iterator[WorkDir]:
    """A fresh run directory under ``root`` (default: a local temporary directory), removed
    with everything in it when the block ends."""
    if root is None:
        path = tempfile.mkdtemp(prefix="bridgewatch-run-")
        try:
            yield WorkDir(path)
        finally:
            _remove(path)
        return
    base = os.fspath(root)
    name = f"bridgewatch-run-{uuid.uuid4().hex[:12]}"
    if _is_url(base):
        fs, fs_path = _fsspec().core.url_to_fs(base)
        fs.makedirs(f"{fs_path.rstrip('/')}/{name}", exist_ok=True)
        try:
            yield WorkDir(f"{base.rstrip('/')}/{name}")
        finally:
            fs.rm(f"{fs_path.rstrip('/')}/{name}", recursive=True)
        return
    local = Path(base.removeprefix("file://")) / name
    local.mkdir(parents=True)
    try:
        yield WorkDir(str(local))
    finally:
        _remove(local)


# -- dataclass trees as npz ------------------------------------------------------------


def _encode(
    value: object, arrays: dict[str, np.ndarray], seen: dict[int, dict[str, Any]]
) -> dict[str, Any]:
    if value is None or isinstance(value, (bool, int, float, str)):
        return {"v": value}
    known = seen.get(id(value))
    if known is not None:
        return known
    node: dict[str, Any]
    if isinstance(value, np.ndarray):
        if value.dtype.hasobject:
            raise BridgewatchError(f"cannot save an object array (dtype {value.dtype})")
        node = {"a": f"a{len(arrays)}"}
        arrays[node["a"]] = value
    elif isinstance(value, np.generic):
        return {"v": value.item()}
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        cls = type(value)
        if not cls.__module__.startswith(_ALLOWED_MODULE):
            raise BridgewatchError(f"cannot save a {cls.__module__}.{cls.__qualname__}")
        node = {"ref": f"o{len(seen)}", "cls": f"{cls.__module__}:{cls.__qualname__}"}
        seen[id(value)] = {"ref": node["ref"]}
        node["f"] = {
            f.name: _encode(getattr(value, f.name), arrays, seen)
            for f in dataclasses.fields(value)
            if f.init
        }
        return node
    else:
        raise BridgewatchError(f"cannot save a value of type {type(value).__name__}")
    seen[id(value)] = node
    return node


def _decode(
    node: Mapping[str, Any], arrays: Mapping[str, np.ndarray], built: dict[str, Any]
) -> Any:
    if "v" in node:
        return node["v"]
    if "a" in node:
        return arrays[node["a"]]
    ref = node["ref"]
    if "cls" not in node:
        return built[ref]
    module_name, _, qualname = node["cls"].partition(":")
    if not module_name.startswith(_ALLOWED_MODULE):
        raise BridgewatchError(f"refusing to build {node['cls']}")
    cls: Any = importlib.import_module(module_name)
    for part in qualname.split("."):
        cls = getattr(cls, part)
    fields = {name: _decode(child, arrays, built) for name, child in node["f"].items()}
    built[ref] = cls(**fields)
    return built[ref]


def save_tree(tree: object, url: str) -> int:
    """Write the dataclass tree ``tree`` to ``url`` as one npz file; returns its bytes.

    Raises
    ------
    BridgewatchError : a value that is not a bridgewatch dataclass, a numeric or string
        array, a scalar or None.
    """
    arrays: dict[str, np.ndarray] = {}
    skeleton = _encode(tree, arrays, {})
    buffer = io.BytesIO()
    payload: dict[str, Any] = {_SKELETON: np.array(json.dumps(skeleton)), **arrays}
    np.savez(buffer, **payload)
    data = buffer.getvalue()
    write_bytes(url, data)
    return len(data)


def load_tree(url: str) -> Any:
    """The tree ``save_tree`` wrote to ``url``."""
    handle: IO[bytes] = io.BytesIO(read_bytes(url))
    with np.load(handle, allow_pickle=False) as npz:
        arrays = {name: npz[name] for name in npz.files}
    skeleton = json.loads(str(arrays.pop(_SKELETON)))
    return _decode(skeleton, arrays, {})


_CACHE: dict[str, Any] = {}
_CACHE_LOCK = threading.Lock()


def cached_tree(url: str) -> Any:
    """``load_tree(url)``, loaded once per worker process (the last URL only: a worker
    runs one run's tasks at a time, and a tree can weigh gigabytes)."""
    with _CACHE_LOCK:
        if url not in _CACHE:
            _CACHE.clear()
            _CACHE[url] = load_tree(url)
        return _CACHE[url]


def clear_cached_trees() -> None:
    """Drop the tree ``cached_tree`` keeps (a worker that outlives the run calls it)."""
    with _CACHE_LOCK:
        _CACHE.clear()


def array_ids(tree: object) -> set[int]:
    """The ids of every array ``tree`` holds and of their base arrays (``tree_nbytes``'s
    ``exclude``: arrays shared with another tree are not counted twice)."""
    ids: set[int] = set()
    _walk(tree, ids, set())
    return ids


def tree_nbytes(tree: object, exclude: set[int] | None = None) -> int:
    """Bytes of the arrays (and ``bytes`` values) a tree of dataclasses, dicts, lists and
    tuples holds, each buffer once: a view counts as its base array, whole. Arrays whose
    id (or whose base's id) is in ``exclude`` count 0.

    Parameters
    ----------
    tree : the object to measure (a scorer run, say).
    exclude : ids of arrays held elsewhere already (``array_ids`` of the shared inputs).
    """
    ids: set[int] = set(exclude or ())
    return _walk(tree, ids, set())


def _walk(value: object, arrays: set[int], visited: set[int]) -> int:
    if value is None or isinstance(value, (bool, int, float, str, np.generic)):
        return 0
    if id(value) in visited:
        return 0
    visited.add(id(value))
    if isinstance(value, np.ndarray):
        base = value
        while isinstance(base.base, np.ndarray):
            base = base.base
        if id(base) in arrays or id(value) in arrays:
            return 0
        arrays.add(id(base))
        return int(base.nbytes)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return len(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        children: Iterable[object] = (getattr(value, f.name) for f in dataclasses.fields(value))
    elif isinstance(value, Mapping):
        children = value.values()
    elif isinstance(value, (list, tuple, set, frozenset)):
        children = value
    else:
        return 0
    return sum(_walk(child, arrays, visited) for child in children)


# -- results with references -----------------------------------------------------------


def object_paths(root: object, prefix: str) -> dict[str, object]:
    """Every array and dataclass reachable from ``root`` through dataclass fields, by
    path (``prefix.field.field``); an object reachable twice keeps its first path."""
    paths: dict[str, object] = {}
    seen: set[int] = set()

    def walk(value: object, path: str) -> None:
        if id(value) in seen:
            return
        if isinstance(value, np.ndarray):
            seen.add(id(value))
            paths[path] = value
        elif dataclasses.is_dataclass(value) and not isinstance(value, type):
            seen.add(id(value))
            paths[path] = value
            for f in dataclasses.fields(value):
                walk(getattr(value, f.name), f"{path}.{f.name}")

    walk(root, prefix)
    return paths


_SCALARS = (str, bytes, int, float, bool, type(None))


class _RefPickler(pickle.Pickler):
    def __init__(self, file: IO[bytes], refs: Mapping[int, str]) -> None:
        super().__init__(file, protocol=5)
        self._refs = refs

    def persistent_id(self, obj: Any) -> str | None:
        if isinstance(obj, _SCALARS):
            return None
        return self._refs.get(id(obj))


class _RefUnpickler(pickle.Unpickler):
    def __init__(self, file: IO[bytes], resolve: Mapping[str, object]) -> None:
        super().__init__(file)
        self._resolve = resolve

    def persistent_load(self, pid: Any) -> object:
        try:
            return self._resolve[pid]
        except KeyError:
            raise BridgewatchError(f"a result refers to {pid!r}, which is unknown here") from None


def dumps_with_refs(value: object, refs: Mapping[str, object]) -> bytes:
    """Pickle ``value``, writing each object of ``refs`` (by identity) as its name."""
    by_id = {id(obj): name for name, obj in refs.items()}
    buffer = io.BytesIO()
    _RefPickler(buffer, by_id).dump(value)
    return buffer.getvalue()


def loads_with_refs(data: bytes, refs: Mapping[str, object]) -> Any:
    """Unpickle what ``dumps_with_refs`` wrote, each name resolved through ``refs``."""
    return _RefUnpickler(io.BytesIO(data), refs).load()
