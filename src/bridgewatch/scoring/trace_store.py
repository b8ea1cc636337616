"""Store the Core rule table's per-note figures so one note's trace can be rendered later.

``bridgewatch score`` saves the figures of every note as flat arrays (``.npz``, no pickle);
``bridgewatch explain`` loads them, rebuilds a one-note ``CoreRulesResult`` and renders it
with the same ``explain`` the scorer uses. Rendering every note's text during scoring would
cost a Python loop over all notes; this keeps the scorer vectorised.
"""

from __future__ import annotations

import dataclasses
import io
import json
import zipfile
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
from numpy.typing import NDArray

from bridgewatch.errors import InputError
from bridgewatch.scoring.status import (
    CoreRuleInputs,
    CoreRulesResult,
    IncorrectAggregates,
    SignAggregates,
    StatusRulesConfig,
    TagAggregates,
)

__all__ = [
    "load_note_rules",
    "rule_arrays",
    "rule_arrays_file",
    "save_core_rules",
    "write_rule_arrays",
]

_NESTED: dict[str, type[Any]] = {
    "signs": SignAggregates,
    "tags": TagAggregates,
    "incorrect": IncorrectAggregates,
}
# Arrays that are not one value per note.
_WHOLE = frozenset({"inputs.tag_thresholds", "inputs.tags.distance_scale", "final_round"})


def _flatten(obj: object, prefix: str, out: dict[str, NDArray[Any]]) -> None:
    for f in dataclasses.fields(obj):  # type: ignore[arg-type]
        value = getattr(obj, f.name)
        name = f"{prefix}{f.name}"
        if value is None or f.name == "config":
            continue
        if dataclasses.is_dataclass(value):
            _flatten(value, f"{name}.", out)
        else:
            out[name] = np.asarray(value)


def save_core_rules(
    result: CoreRulesResult,
    note_ids: NDArray[np.str_],
    path: Path,
    rows: NDArray[np.int64] | None = None,
) -> None:
    """Write ``result`` (one row per note of ``note_ids``) to ``path`` (an ``.npz`` file).

    ``rows`` (int array) keeps only those notes (a scorer's own rows); default every note.
    """
    write_rule_arrays(rule_arrays(result, note_ids.shape[0], rows), note_ids, path)


def rule_arrays(
    result: CoreRulesResult, n_notes: int, rows: NDArray[np.int64] | None = None
) -> dict[str, NDArray[Any]]:
    """The arrays ``save_core_rules`` writes, without the note ids: only ``rows`` of each
    per-note array (every note when None), as fresh copies, plus ``rows`` itself.

    A caller that keeps these instead of ``result`` holds a scorer's own rows only (a group
    scorer's few thousand notes, not 2M rows of 30 figures).
    """
    arrays: dict[str, NDArray[Any]] = {}
    _flatten(result, "", arrays)
    conflicts = np.zeros(n_notes, dtype=np.bool_)
    conflicts[arrays.pop("inertia_conflicts")] = True
    arrays["inertia_conflict"] = conflicts
    if rows is not None:
        arrays = {k: v if k in _WHOLE else v[rows] for k, v in arrays.items()}
    arrays[_ROWS] = np.arange(n_notes, dtype=np.int64) if rows is None else np.asarray(rows)
    arrays["config"] = np.asarray(json.dumps(dataclasses.asdict(result.config)))
    return arrays


def write_rule_arrays(
    arrays: dict[str, NDArray[Any]], note_ids: NDArray[np.str_], path: Path
) -> None:
    """Write ``rule_arrays`` output as the ``.npz`` file of ``save_core_rules``; ``note_ids``
    is the whole note index (the file holds the ids of the arrays' rows)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as handle:
        _write_rule_zip(arrays, note_ids, handle)


def rule_arrays_file(arrays: dict[str, NDArray[Any]], note_ids: NDArray[np.str_]) -> bytes:
    """The bytes ``write_rule_arrays`` writes: a finished scorer's rules file kept in memory
    compressed (at 2M notes its figures are ~0.9 GB of arrays, the file a fraction)."""
    buffer = io.BytesIO()
    _write_rule_zip(arrays, note_ids, buffer)
    return buffer.getvalue()


def _write_rule_zip(
    arrays: dict[str, NDArray[Any]], note_ids: NDArray[np.str_], handle: BinaryIO
) -> None:
    out = {k: v for k, v in arrays.items() if k not in (_ROWS, "config")}
    out["note_ids"] = np.asarray(note_ids, dtype=np.str_)[arrays[_ROWS]]
    out["config"] = arrays["config"]
    # The layout of ``np.savez_compressed`` (one ``.npy`` member per array, so ``np.load``
    # reads it), with the fastest deflate level: the default level took 3x the CPU time (3 s
    # at 200k notes, most of the write stage) for a file only 8% smaller. Members carry
    # ZipInfo's fixed date, so the same arrays give the same bytes.
    with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for name, array in out.items():
            with zf.open(f"{name}.npy", "w", force_zip64=True) as member:
                np.lib.format.write_array(member, np.asanyarray(array), allow_pickle=False)


_ROWS = "_rows"


def _build(cls: type[Any], prefix: str, data: dict[str, NDArray[Any]], row: int) -> Any:
    values: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        name = f"{prefix}{f.name}"
        if f.name in _NESTED and prefix == "inputs.":
            if any(key.startswith(name + ".") for key in data):
                values[f.name] = _build(_NESTED[f.name], name + ".", data, row)
            continue
        if name not in data:
            continue
        array = data[name]
        values[f.name] = array if name in _WHOLE else array[row : row + 1]
    if cls is TagAggregates:
        values["distance_scale"] = float(values["distance_scale"])
    return cls(**values)


def load_note_rules(path: Path, note_id: str) -> CoreRulesResult | None:
    """The one-note ``CoreRulesResult`` of ``note_id`` from a file of ``save_core_rules``.

    Returns None when the note is not in the file.
    """
    if not path.is_file():
        raise InputError("no Core rule figures here; run `bridgewatch score` first", path=path)
    with np.load(path, allow_pickle=False) as npz:
        data = {key: npz[key] for key in npz.files}
    rows = np.flatnonzero(data.pop("note_ids") == note_id)
    if rows.size == 0:
        return None
    row = int(rows[0])
    config = StatusRulesConfig(**json.loads(str(data.pop("config"))))
    conflict = bool(data.pop("inertia_conflict")[row])
    inputs = _build(CoreRuleInputs, "inputs.", data, row)
    top = {k: v for k, v in data.items() if not k.startswith("inputs.")}
    return CoreRulesResult(
        status=top["status"][row : row + 1],
        active_rules=top["active_rules"][row : row + 1],
        decided_by=top["decided_by"][row : row + 1],
        filter_tags=top["filter_tags"][row : row + 1],
        crnh_bound=top["crnh_bound"][row : row + 1],
        inertia_conflicts=np.array([0] if conflict else [], dtype=np.int64),
        final_round=bool(top["final_round"]),
        inputs=inputs,
        config=config,
    )
