"""Memory each finished scorer keeps in a whole-roster result, with and without
``keep_scorer_state`` (what ``run_batch`` uses: ``scorers.run.for_outputs``).

Counts the bytes of the numpy arrays reachable from each scorer's run that the shared
preprocessed inputs do not already hold (each array once), and checks that both runs give
the same tables.

    python benchmarks/scorer_state.py --data DIR   # a `bridgewatch simulate` directory
"""

from __future__ import annotations

import argparse
import dataclasses
from collections import Counter
from pathlib import Path

import numpy as np

from bridgewatch.io.dataset import load_dataset
from bridgewatch.scoring.config import ScoringConfig
from bridgewatch.scoring.run import ScoringResult, default_as_of_ms, score

_TABLES = ("scored_notes", "aux_note_info", "note_status_history", "helpfulness_scores")


def _arrays(obj: object, seen: set[int], out: list[np.ndarray]) -> None:
    if id(obj) in seen:
        return
    seen.add(id(obj))
    if isinstance(obj, np.ndarray):
        out.append(obj)
    elif dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        for f in dataclasses.fields(obj):
            _arrays(getattr(obj, f.name, None), seen, out)
    elif isinstance(obj, (list, tuple)):
        for value in obj:
            _arrays(value, seen, out)
    elif isinstance(obj, dict):
        for value in obj.values():
            _arrays(value, seen, out)


def _base(a: np.ndarray) -> int:
    while isinstance(a.base, np.ndarray):
        a = a.base
    return id(a)


def retained(result: ScoringResult) -> Counter[str]:
    """Bytes per scorer run not shared with ``result.inputs``."""
    shared: list[np.ndarray] = []
    _arrays(result.inputs, set(), shared)
    shared_ids = {_base(a) for a in shared}
    out: Counter[str] = Counter()
    assert result.roster is not None
    for name, run in result.roster.runs.items():
        arrays: list[np.ndarray] = []
        _arrays(run, set(), arrays)
        out[name] = sum(a.nbytes for a in arrays if _base(a) not in shared_ids)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    d = args.data
    ratings = d / "ratings" if (d / "ratings").is_dir() else d / "ratings-00000.tsv"
    dataset = load_dataset(
        notes=d / "notes-00000.tsv",
        ratings=ratings,
        status_history=d / "noteStatusHistory-00000.tsv",
        enrollment=d / "userEnrollment-00000.tsv",
    )
    now = default_as_of_ms(dataset)
    runs = {
        keep: score(dataset, ScoringConfig(), as_of_ms=now, seed=args.seed, keep_scorer_state=keep)
        for keep in (True, False)
    }
    same = all(getattr(runs[True], t).equals(getattr(runs[False], t)) for t in _TABLES)
    sizes = {keep: retained(result) for keep, result in runs.items()}
    print(f"{dataset.ratings.n_ratings} ratings; tables identical: {same}")
    print(f"{'scorer':<40} {'all state MB':>12} {'for outputs MB':>15}")
    for name in sizes[True]:
        print(f"{name:<40} {sizes[True][name] / 1e6:12.1f} {sizes[False][name] / 1e6:15.1f}")
    print(
        f"{'total':<40} {sum(sizes[True].values()) / 1e6:12.1f} "
        f"{sum(sizes[False].values()) / 1e6:15.1f}"
    )


if __name__ == "__main__":
    main()
