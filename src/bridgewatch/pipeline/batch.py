"""Batch scoring of public data dumps: load the files, score, write the outputs.

The four reference output files (``scored_notes.tsv``, ``aux_note_info.tsv``,
``note_status_history.tsv``, ``helpfulness_scores.tsv``), ``note_explanations.parquet`` and
``core_rules.npz`` (what ``bridgewatch explain`` reads) are
first written into a staging directory inside the output directory and then renamed into
place, so a failed run leaves no partial set of outputs behind.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import numpy as np
import polars as pl
from numpy.typing import NDArray

from bridgewatch.io import (
    write_aux_note_info,
    write_helpfulness_scores,
    write_note_status_history,
    write_parquet,
    write_scored_notes,
)
from bridgewatch.io.dataset import load_dataset
from bridgewatch.scoring._threads import kernel_threads
from bridgewatch.scoring.config import ScoringConfig
from bridgewatch.scoring.inputs import note_topics
from bridgewatch.scoring.run import ProgressCallback, ScoringResult, default_as_of_ms, score
from bridgewatch.scoring.scorers import CORE_NAME, ScorerSpec
from bridgewatch.scoring.stages import StageClock, StageUsage
from bridgewatch.scoring.trace_store import save_core_rules

__all__ = [
    "CORE_RULES_FILE",
    "EXPLANATIONS_FILE",
    "OUTPUT_FILES",
    "BatchRun",
    "run_batch",
    "write_outputs",
]

_log = logging.getLogger(__name__)

# The reference's output file names (scoring-core.md §11), in writing order.
OUTPUT_FILES: tuple[str, ...] = (
    "scored_notes.tsv",
    "aux_note_info.tsv",
    "note_status_history.tsv",
    "helpfulness_scores.tsv",
)
# The per-note decisions and Core rule figures read by ``bridgewatch explain``.
EXPLANATIONS_FILE = "note_explanations.parquet"
CORE_RULES_FILE = "core_rules.npz"
# The rule figures of every other scorer, one file per scorer (its own notes only).
SCORER_RULES_DIR = "scorer_rules"

_WRITERS: dict[str, Callable[[pl.DataFrame, Path], None]] = {
    "scored_notes.tsv": write_scored_notes,
    "aux_note_info.tsv": write_aux_note_info,
    "note_status_history.tsv": write_note_status_history,
    "helpfulness_scores.tsv": write_helpfulness_scores,
    EXPLANATIONS_FILE: write_parquet,
}


@dataclass(frozen=True)
class BatchRun:
    """One batch run.

    Attributes
    ----------
    result : the scorer's result.
    files : the written files, in ``OUTPUT_FILES`` order, then the two explanation files.
    timings : wall seconds per step: ``load``, every scoring stage, ``write``.
    usage : wall time, CPU time and memory per step, in the same order.
    """

    result: ScoringResult
    files: tuple[Path, ...]
    timings: dict[str, float]
    usage: dict[str, StageUsage] = field(default_factory=dict)


def write_outputs(result: ScoringResult, outdir: str | Path) -> tuple[Path, ...]:
    """Write the four output files and the explanation files into ``outdir`` (created if
    needed).

    All files are written into a staging directory inside ``outdir`` first and renamed into
    place only when every one was written.
    """
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    frames = {
        "scored_notes.tsv": result.scored_notes,
        "aux_note_info.tsv": result.aux_note_info,
        "note_status_history.tsv": result.note_status_history,
        "helpfulness_scores.tsv": result.helpfulness_scores,
        EXPLANATIONS_FILE: result.note_explanations,
    }
    staging = Path(tempfile.mkdtemp(prefix=".bridgewatch-", dir=out))
    try:
        note_ids = result.inputs.note_ids.ids
        jobs: list[Callable[[], None]] = [
            partial(_WRITERS[name], frame, staging / name) for name, frame in frames.items()
        ]
        jobs.append(
            partial(save_core_rules, result.final.rules, note_ids, staging / CORE_RULES_FILE)
        )
        if result.roster is not None:
            for run in result.roster.final_runs():
                if run.final is None or run.spec.name == CORE_NAME:
                    continue
                path = staging / SCORER_RULES_DIR / f"{run.spec.name}.npz"
                if run.rule_file is not None:  # a run kept for the outputs only
                    jobs.append(partial(_write_bytes, run.rule_file, path))
                    continue
                jobs.append(
                    partial(
                        save_core_rules,
                        run.final.rules,
                        note_ids,
                        path,
                        rows=np.flatnonzero(run.final.scored),
                    )
                )
        _run_all(jobs)
        extra = []
        if (staging / SCORER_RULES_DIR).is_dir():
            extra.append(SCORER_RULES_DIR)
        written = []
        for name in (*frames, CORE_RULES_FILE, *extra):
            if (out / name).is_dir():
                shutil.rmtree(out / name)
            (staging / name).replace(out / name)
            written.append(out / name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return tuple(written)


def _write_bytes(data: bytes, path: Path) -> None:
    """Write a file whose bytes were made earlier (a finished scorer's rules file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def _run_all(jobs: list[Callable[[], None]]) -> None:
    """Run the file writers, on every core the kernels may use (each writes its own file;
    polars and numpy release the GIL while they format and compress); the
    first error is raised once all have stopped."""
    workers = min(kernel_threads(), len(jobs))
    if workers < 2:
        for job in jobs:
            job()
        return
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(job) for job in jobs]
    for future in futures:
        future.result()


def run_batch(
    *,
    notes: str | Path,
    ratings: str | Path,
    outdir: str | Path,
    status_history: str | Path | None = None,
    enrollment: str | Path | None = None,
    as_of_ms: int | None = None,
    seed: int | None = None,
    config: ScoringConfig | None = None,
    progress: ProgressCallback | None = None,
    scorers: Sequence[ScorerSpec] | None = None,
    executor: Executor | str | None = None,
    work_dir: str | None = None,
    lenient: bool = False,
    memory_budget: float | None = None,
) -> BatchRun:
    """Load the public files, run the scorers and write their outputs.

    Parameters
    ----------
    notes, ratings, status_history, enrollment : input files (ratings may be a directory).
    outdir : directory of the outputs.
    as_of_ms : "now" in ms since the epoch; default the newest timestamp in the data.
    seed : random seed of the scorer (None: fresh entropy).
    config : ScoringConfig, default ``ScoringConfig()``.
    progress : called as ``progress(stage, index, n_stages)`` when a scoring stage starts.
    scorers : the roster (``bridgewatch.scoring.scorers``); default every scorer of the
        reference's default run.
    executor : where the independent scorer tasks run (default: serially): an Executor
        or a spec (``bridgewatch.parallel``).
    work_dir : where tasks in other processes read the shared inputs (``score``).
    lenient : skip bad input rows (logged with file and line) instead of failing.
    memory_budget : bytes the scorer tasks may use at once (``score``); None: 85% of the
        memory available when the roster starts.

    Returns
    -------
    BatchRun
    """
    clock = StageClock(_log)
    config = config or ScoringConfig()
    with clock.stage("load"), ThreadPoolExecutor(max_workers=1) as side:
        # Topic assignment reads only the notes: it runs while the ratings load (at 2M
        # notes ~2 minutes of mostly Python text work beside the mostly native loading).
        pending: list[Future[NDArray[np.int8]]] = []
        dataset = load_dataset(
            notes=notes,
            ratings=ratings,
            status_history=status_history,
            enrollment=enrollment,
            lenient=lenient,
            on_notes=lambda frame: pending.append(side.submit(note_topics, frame, config)),
        )
        topics = pending[0].result() if pending else None
    now = default_as_of_ms(dataset) if as_of_ms is None else as_of_ms
    # Handed over (no reference kept here): ``score`` lets the frames go once preprocessed
    # and the ratings once contributor scoring has read them (``release_ratings``).
    handed = [dataset]
    del dataset
    result = score(
        handed.pop(),
        config,
        as_of_ms=now,
        seed=seed,
        scorers=scorers,
        executor=executor,
        work_dir=work_dir,
        progress=progress,
        # only the output files read the result
        keep_fit_ratings=False,
        keep_scorer_state=False,
        topics=topics,
        release_ratings=True,
        memory_budget=memory_budget,
    )
    with clock.stage("write"):
        files = write_outputs(result, outdir)
    usage = {"load": clock.usage["load"], **result.usage, "write": clock.usage["write"]}
    return BatchRun(
        result=result,
        files=files,
        timings={name: u.wall_s for name, u in usage.items()},
        usage=usage,
    )
