"""Compare contributor scoring and enrollment with the reference's helpfulness_scores.tsv.

Usage: .venv/bin/python benchmarks/enrollment_fidelity.py [FIXTURES_DIR]

For each fixture and run, feeds ``update_enrollment`` the input ratings and enrollment, and
the reference's own final statuses (scored_notes.tsv) and updated status history
(note_status_history.tsv) of that run, then prints per column how many participants agree
with the reference's helpfulness_scores.tsv (nulls compared as nulls), and the time and CPU
time of contributor scoring alone.
"""

from __future__ import annotations

import platform
import sys
import time
from pathlib import Path

from bridgewatch.analysis.enrollment_fidelity import (
    REFERENCE_RUN_NOW_MS,
    enrollment_agreement,
    load_reference_contributor_case,
)


def compare(fixture: Path, run: str) -> None:
    case = load_reference_contributor_case(fixture, run)
    start, cpu = time.perf_counter(), time.process_time()
    result = case.score()
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    print(
        f"== {fixture.name} {run}: {case.reference.height} reference rows, "
        f"{int(result.is_listed.sum())} ours, {len(case.participant_ids)} participants, "
        f"{case.ratings.n_ratings} ratings ({elapsed:.3f} s wall, {cpu:.3f} s CPU)"
    )
    for column, agree, rows in enrollment_agreement(result, case).iter_rows():
        print(f"   {column:<36} {agree:5d} / {rows}")


def main() -> int:
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("/work/shared/fixtures")
    print(f"python {platform.python_version()} on {platform.machine()}")
    for fixture in sorted(p for p in root.iterdir() if (p / "input").is_dir()):
        for run in REFERENCE_RUN_NOW_MS:
            compare(fixture, run)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
