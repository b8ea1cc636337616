"""Run ``bridgewatch score`` with every prescoring ``fit_mf`` call timed (CPU) and,
optionally, its arguments pickled for :mod:`bench_als_replay` (not a test).

Usage: python benchmarks/mf_steps.py [--dump DIR] score --scorers core ...
Prints ``STEP mf<i>: CPU ... s, wall ... s, sweeps ..., load ...`` per call.
"""

from __future__ import annotations

import os
import pickle
import sys
import time
from typing import Any

from bridgewatch import cli
from bridgewatch.scoring import prescoring


def main() -> int:
    argv = sys.argv[1:]
    dump = None
    if argv[:1] == ["--dump"]:
        dump, argv = argv[1], argv[2:]
    inner = prescoring.fit_mf
    count = [0]

    def timed(*args: Any, **kwargs: Any) -> Any:
        i = count[0]
        count[0] += 1
        if dump is not None:
            rng = kwargs.get("rng")
            state = None if rng is None else rng.bit_generator.state
            saved = {k: v for k, v in kwargs.items() if k != "rng"}
            with open(os.path.join(dump, f"mf{i}.pkl"), "wb") as fh:
                pickle.dump((args, saved, state), fh, protocol=5)
        c0, t0 = time.process_time(), time.perf_counter()
        res = inner(*args, **kwargs)
        cpu, wall = time.process_time() - c0, time.perf_counter() - t0
        print(
            f"STEP mf{i}: {args[2].shape[0]} ratings, CPU {cpu:.2f} s, wall {wall:.2f} s, "
            f"sweeps {res.n_iterations}, load {os.getloadavg()[0]:.1f}",
            file=sys.stderr,
            flush=True,
        )
        return res

    prescoring.fit_mf = timed  # type: ignore[attr-defined]
    sys.argv = ["bridgewatch", *argv]
    return int(cli.main() or 0)


if __name__ == "__main__":
    raise SystemExit(main())
