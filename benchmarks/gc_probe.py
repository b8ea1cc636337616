"""Garbage-collector time inside worker passes, with and without ``gc.freeze`` after the
refit: the passes of ``pass_breakdown.py`` (a simulated community of N ratings, a refit of
the whole roster with the defences, timed passes of 500 rating events), with a ``gc``
callback that sums the CPU of each collection made during a pass, by generation.

    PYTHONPATH=src python benchmarks/gc_probe.py 1000000 [--freeze]
"""

from __future__ import annotations

import gc
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import pass_breakdown as pb
from bridgewatch.pipeline import state as live_state


def main() -> int:
    freeze = "--freeze" in sys.argv
    ratings = next((a for a in sys.argv[1:] if not a.startswith("--")), "1000000")
    stats: dict[str, Any] = {"in": False, "t0": 0.0, "cpu": [0.0] * 3, "n": [0] * 3, "passes": 0}

    def callback(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            stats["t0"] = time.process_time()
        elif stats["in"]:
            stats["cpu"][info["generation"]] += time.process_time() - stats["t0"]
            stats["n"][info["generation"]] += 1

    gc.callbacks.append(callback)
    rescore = live_state.LiveState.rescore

    def timed(self: live_state.LiveState, *args: Any, **kwargs: Any) -> Any:
        if freeze and stats["passes"] == 0:
            gc.collect()
            gc.freeze()
        stats["in"] = True
        try:
            return rescore(self, *args, **kwargs)
        finally:
            stats["in"] = False
            stats["passes"] += 1

    live_state.LiveState.rescore = timed  # type: ignore[method-assign]
    pb.LiveState = live_state.LiveState  # type: ignore[misc]
    sys.argv = [sys.argv[0], ratings, "--passes", "6"]
    pb.main()
    print(
        f"freeze {freeze}: {stats['passes']} passes (warm, publishing, 6 timed); GC CPU s by "
        f"generation {[round(x, 3) for x in stats['cpu']]}, collections {stats['n']}; "
        f"frozen objects {gc.get_freeze_count()}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
