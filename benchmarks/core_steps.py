"""Run ``bridgewatch`` with the CPU time of each Core prescoring step printed.

Wraps the fits that ``scoring.prescoring`` calls (MF rounds, the harassment model, the
low-diligence model) so that each prints ``STEP name: CPU s, wall s, load`` when it returns;
everything else is the ordinary command line. CPU is ``time.process_time`` (all threads):

    PYTHONPATH=src python benchmarks/core_steps.py -v score --scorers core --notes ... \\
        --outdir OUT
"""

from __future__ import annotations

import functools
import os
import sys
import time
from collections.abc import Callable
from typing import Any

from bridgewatch import cli
from bridgewatch.scoring import prescoring


def _timed(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        c0, t0 = time.process_time(), time.perf_counter()
        out = fn(*args, **kwargs)
        cpu, wall = time.process_time() - c0, time.perf_counter() - t0
        print(
            f"STEP {name}: CPU {cpu:.2f} s, wall {wall:.2f} s, load {os.getloadavg()[0]:.1f}",
            file=sys.stderr,
            flush=True,
        )
        return out

    return wrapper


def main() -> int:
    for attr, name in (
        ("fit_mf", "mf"),
        ("fit_harassment_model", "harassment"),
        ("fit_low_diligence_prescoring", "diligence"),
    ):
        setattr(prescoring, attr, _timed(name, getattr(prescoring, attr)))
    return cli.main(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
