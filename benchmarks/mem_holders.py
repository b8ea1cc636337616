"""Which objects hold the memory of a scoring run: a walk over the result's arrays.

Measurement only. Loads a community, runs ``score`` (the roster of ``--scorers``, serially)
the way ``run_batch`` does (no kept fit ratings or scorer state), then walks the dataset and
the ``ScoringResult`` (dataclass fields, dicts, tuples, polars frames, lazy rating subsets)
and prints the largest holders: path, bytes and bytes per rating. Each numpy buffer is
counted once, at the first path that reaches it (the walk is breadth-first).

    python benchmarks/mem_holders.py --data /work/data/scale1m [--scorers core] [--top 40]
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import sys
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import polars as pl

from bridgewatch.io.dataset import load_dataset
from bridgewatch.scoring.config import ScoringConfig
from bridgewatch.scoring.run import default_as_of_ms, score
from bridgewatch.scoring.scorers.roster import core_scorer
from bridgewatch.scoring.stages import StageClock, current_rss_mib, peak_rss_mib


def _buffer_key(array: np.ndarray) -> int:
    base = array
    while isinstance(base.base, np.ndarray):
        base = base.base
    return id(base)


def holders(roots: dict[str, object], max_depth: int = 8) -> list[tuple[str, int]]:
    """(path, bytes) of every numpy array and polars frame reachable from ``roots``."""
    seen_obj: set[int] = set()
    seen_buf: set[int] = set()
    found: list[tuple[str, int]] = []
    queue: deque[tuple[str, object, int]] = deque((k, v, 0) for k, v in roots.items())
    while queue:
        path, obj, depth = queue.popleft()
        if obj is None or isinstance(obj, (int, float, str, bool, bytes)) or depth > max_depth:
            continue
        if id(obj) in seen_obj:
            continue
        seen_obj.add(id(obj))
        if isinstance(obj, np.ndarray):
            key = _buffer_key(obj)
            if key not in seen_buf:
                seen_buf.add(key)
                found.append((path, int(obj.nbytes)))
            continue
        if isinstance(obj, pl.DataFrame):
            found.append((path, int(obj.estimated_size())))
            continue
        if isinstance(obj, pl.Series):
            found.append((path, int(obj.estimated_size())))
            continue
        if isinstance(obj, dict):
            items = list(obj.items())
        elif isinstance(obj, (list, tuple, set, frozenset)):
            items = list(enumerate(obj))
        elif dataclasses.is_dataclass(obj):
            items = (
                list(vars(obj).items())
                if hasattr(obj, "__dict__")
                else [(f.name, getattr(obj, f.name)) for f in dataclasses.fields(obj)]
            )
        elif hasattr(obj, "__dict__"):
            items = list(vars(obj).items())
        else:
            continue
        for key, value in items:
            queue.append((f"{path}.{key}", value, depth + 1))
    return found


def _owner_name(owner: object, array: object) -> str:
    if isinstance(owner, dict):
        for key, value in owner.items():
            if value is array:
                return f"dict[{key!r}]"
        return "dict"
    if isinstance(owner, (list, tuple)):
        return type(owner).__name__
    return type(owner).__name__


def inventory(min_bytes: int = 8 << 20) -> tuple[int, list[tuple[str, int]]]:
    """Every live numpy buffer (through its containers and the threads' frame locals):
    total bytes and the (owner, bytes) of those of at least ``min_bytes``."""
    seen: set[int] = set()
    total = 0
    big: list[tuple[str, int]] = []

    def visit(owner: str, array: np.ndarray) -> None:
        nonlocal total
        key = _buffer_key(array)
        if key in seen:
            return
        seen.add(key)
        base = array
        while isinstance(base.base, np.ndarray):
            base = base.base
        total += base.nbytes
        if base.nbytes >= min_bytes:
            big.append((f"{owner} {base.dtype}{list(base.shape)}", int(base.nbytes)))

    for frame in sys._current_frames().values():
        f = frame
        while f is not None:
            for key, value in list(f.f_locals.items()):
                if isinstance(value, np.ndarray):
                    visit(f"local {f.f_code.co_name}:{key}", value)
            f = f.f_back
    for obj in gc.get_objects():
        if isinstance(obj, pl.DataFrame):
            size = int(obj.estimated_size())
            total += size
            if size >= min_bytes:
                big.append((f"DataFrame{obj.shape}", size))
            continue
        for ref in gc.get_referents(obj):
            if isinstance(ref, np.ndarray):
                name = _owner_name(obj, ref)
                if isinstance(obj, dict):
                    # a dataclass's or module's __dict__: name its owner too
                    owners = [
                        o for o in gc.get_referrers(obj) if getattr(o, "__dict__", None) is obj
                    ]
                    if owners:
                        name = f"{type(owners[0]).__name__}.{name[5:-1].strip(chr(39))}"
                visit(name, ref)
    return total, big


def _report(label: str, n: int, top: int) -> None:
    total, big = inventory()
    print(
        f"== {label}: RSS {current_rss_mib():.0f} MiB, peak {peak_rss_mib():.0f} MiB, "
        f"live arrays+frames {total / 2**20:.0f} MiB ({total / n:.1f} B/rating)",
        flush=True,
    )
    for name, size in sorted(big, key=lambda x: -x[1])[:top]:
        print(f"   {size / 2**20:9.1f} MiB {size / n:6.2f} B/r  {name}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--scorers", default="all", help="core or all")
    parser.add_argument("--top", type=int, default=40)
    args = parser.parse_args()
    d = args.data
    ratings = d / "ratings" if (d / "ratings").is_dir() else d / "ratings-00000.tsv"
    t0 = time.process_time()
    dataset = load_dataset(
        notes=d / "notes-00000.tsv",
        ratings=ratings,
        status_history=d / "noteStatusHistory-00000.tsv",
        enrollment=d / "userEnrollment-00000.tsv",
    )
    n = dataset.ratings.n_ratings
    print(f"loaded {n} ratings: RSS {current_rss_mib():.0f} MiB, peak {peak_rss_mib():.0f} MiB")
    _report("after load", n, args.top)
    original = StageClock.stage

    @contextmanager
    def stage(self: StageClock, name: str) -> Iterator[None]:
        with original(self, name):
            yield
        _report(f"end of {name}", n, args.top)

    StageClock.stage = stage  # type: ignore[method-assign]
    config = ScoringConfig()
    result = score(
        dataset,
        config,
        as_of_ms=default_as_of_ms(dataset),
        seed=0,
        scorers=(core_scorer(config),) if args.scorers == "core" else None,
        keep_fit_ratings=False,
        keep_scorer_state=False,
    )
    print(
        f"scored: RSS {current_rss_mib():.0f} MiB, peak {peak_rss_mib():.0f} MiB, "
        f"CPU {time.process_time() - t0:.0f} s"
    )
    found = holders({"dataset": dataset, "result": result})
    total = sum(b for _, b in found)
    print(f"reachable arrays/frames: {total / 2**20:.0f} MiB ({total / n:.1f} B/rating)")
    for path, size in sorted(found, key=lambda x: -x[1])[: args.top]:
        print(f"{size / 2**20:10.1f} MiB {size / n:7.2f} B/rating  {path}")


if __name__ == "__main__":
    main()
