"""Run a command and sample its resident set (the process and its children) over time.

Measurement only. ``tracemalloc`` is too slow at 10M+ ratings, so this polls
``/proc/<pid>/status`` (VmRSS) of the command's process tree every ``--every`` seconds and
writes ``epoch_s<TAB>rss_mib`` rows; the command's own log lines carry wall-clock times, so
``--log`` (a ``bridgewatch -v`` log) is annotated with the largest RSS seen since the
previous log line, which places the peak in a stage or scorer task.

    python benchmarks/rss_timeline.py --out T.tsv --log-out A.log -- bridgewatch -v score ...
"""

from __future__ import annotations

import argparse
import datetime as dt
import subprocess
import sys
import time
from pathlib import Path


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def _rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_rss_mib(pid: int) -> float:
    """Resident set of ``pid`` and all its descendants, MiB."""
    total, stack = 0, [pid]
    while stack:
        p = stack.pop()
        total += _rss_kib(p)
        stack.extend(_children(p))
    return total / 1024


def annotate(log_path: Path, samples: list[tuple[float, float]]) -> list[str]:
    """Each log line prefixed with the largest RSS (MiB) sampled since the previous line."""
    out, i = [], 0
    for line in log_path.read_text().splitlines():
        try:
            when = dt.datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S,%f").timestamp()
        except ValueError:
            out.append(f"{'':>8}  {line}")
            continue
        peak = 0.0
        while i < len(samples) and samples[i][0] <= when:
            peak = max(peak, samples[i][1])
            i += 1
        out.append(f"{peak:8.0f}  {line}")
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="TSV of epoch_s, rss_mib")
    parser.add_argument("--every", type=float, default=0.5, help="seconds between samples")
    parser.add_argument("--stderr", type=Path, help="write the command's stderr here")
    parser.add_argument("--log-out", type=Path, help="the stderr log annotated with RSS")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    err = args.stderr or (args.log_out.with_suffix(".stderr") if args.log_out else None)
    handle = open(err, "w") if err else None
    proc = subprocess.Popen(command, stderr=handle)
    samples: list[tuple[float, float]] = []
    while proc.poll() is None:
        samples.append((time.time(), tree_rss_mib(proc.pid)))
        time.sleep(args.every)
    if handle:
        handle.close()
    with args.out.open("w") as f:
        f.write("epoch_s\trss_mib\n")
        for when, rss in samples:
            f.write(f"{when:.2f}\t{rss:.1f}\n")
    peak = max((r for _, r in samples), default=0.0)
    print(f"sampled peak {peak:.0f} MiB over {len(samples)} samples", file=sys.stderr)
    if args.log_out and err:
        args.log_out.write_text("\n".join(annotate(err, samples)) + "\n")
    return proc.returncode


if __name__ == "__main__":
    raise SystemExit(main())
