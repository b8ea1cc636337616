"""Where Core prescoring's memory goes: the peak resident set above the start of each step.

Measurement only. Loads a community, preprocesses it, and runs Core's prescoring (or, with
``--final``, final scoring too) with the steps of ``bridgewatch.scoring.prescoring`` (and
``final``) wrapped: a thread samples the resident set every 20 ms, and each step reports
its peak above the resident set when it started, per scoped rating (nested steps count in
their callers too).

    python benchmarks/prescoring_memory.py --data /work/data/scale1m
"""

from __future__ import annotations

import argparse
import functools
import threading
import time
from pathlib import Path
from typing import Any

from bridgewatch.io.dataset import load_dataset
from bridgewatch.scoring import final as final_module
from bridgewatch.scoring import prescoring as pre_module
from bridgewatch.scoring.config import ScoringConfig
from bridgewatch.scoring.inputs import prepare_core_inputs
from bridgewatch.scoring.prescoring import run_prescoring
from bridgewatch.scoring.scorers.roster import core_scorer
from bridgewatch.scoring.scorers.run import scorer_seed
from bridgewatch.scoring.scorers.scope import scorer_inputs
from bridgewatch.scoring.stages import current_rss_mib

_STEPS = (
    "filter_ratings_for_training",
    "fit_mf",
    "ratings_before_note_status",
    "classify_valid_ratings",
    "compute_helpfulness_scores",
    "label_harassment_ratings",
    "fit_harassment_model",
    "rater_harassment_penalties",
    "fit_low_diligence_prescoring",
    "low_diligence_targets",
    "incorrect_propensity",
    "compute_tag_aggregates",
    "tag_filter_thresholds",
    "_fit_round1",
    "_helpfulness",
    "_fit_harassment",
    "_finish",
)


class Sampler:
    """The largest resident set (MiB) seen since ``mark``, sampled in a thread."""

    def __init__(self, every: float = 0.02) -> None:
        self.peak = 0.0
        self.every = every
        self._stop = False
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop:
            self.peak = max(self.peak, current_rss_mib())
            time.sleep(self.every)

    def mark(self) -> float:
        now = current_rss_mib()
        self.peak = now
        return now


def _wrap(module: Any, name: str, sampler: Sampler, n: int, depth: list[int]) -> None:
    fn = getattr(module, name, None)
    if fn is None or not callable(fn):
        return

    @functools.wraps(fn)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        outer_peak = sampler.peak
        start = current_rss_mib()
        sampler.peak = start
        t0 = time.process_time()
        depth[0] += 1
        try:
            return fn(*args, **kwargs)
        finally:
            depth[0] -= 1
            peak = max(sampler.peak, current_rss_mib())
            end = current_rss_mib()
            rise = peak - start
            print(
                f"{'  ' * depth[0]}{module.__name__.split('.')[-1]}.{name}: start {start:.0f} "
                f"MiB, peak +{rise:.0f} MiB ({rise * 2**20 / max(n, 1):.1f} B/scoped rating), "
                f"end {end - start:+.0f} MiB, CPU {time.process_time() - t0:.1f} s",
                flush=True,
            )
            sampler.peak = max(outer_peak, peak)

    setattr(module, name, wrapped)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--final", action="store_true", help="final scoring too")
    args = parser.parse_args()
    d = args.data
    ratings = d / "ratings" if (d / "ratings").is_dir() else d / "ratings-00000.tsv"
    dataset = load_dataset(
        notes=d / "notes-00000.tsv",
        ratings=ratings,
        status_history=d / "noteStatusHistory-00000.tsv",
        enrollment=d / "userEnrollment-00000.tsv",
    )
    config = ScoringConfig()
    inputs = prepare_core_inputs(dataset, config)
    spec = core_scorer(config)
    view = scorer_inputs(inputs, spec)
    n = view.scoped.n_ratings
    sampler = Sampler()
    depth = [0]
    for name in _STEPS:
        _wrap(pre_module, name, sampler, n, depth)
    print(f"{n} scoped ratings of {inputs.post_pss.n_ratings}; RSS {sampler.mark():.0f} MiB")
    pre = run_prescoring(view, spec.config, scorer_seed(0, spec.name))
    print(f"after prescoring: RSS {current_rss_mib():.0f} MiB", flush=True)
    if args.final:
        for name in ("fit_mf", "run_final_scoring"):
            _wrap(final_module, name, sampler, n, depth)
        final_module.run_final_scoring(view, pre, spec.config, None)
        print(f"after final scoring: RSS {current_rss_mib():.0f} MiB", flush=True)


if __name__ == "__main__":
    main()
