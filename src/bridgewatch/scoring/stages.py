"""Per-stage wall time, CPU time and memory of a scoring run, for the log and benchmarks.

Measurement only: nothing here changes a result. CPU time is the whole process's user +
system time (numba and polars threads included); memory is read from the kernel: the
resident set at the end of the stage and the process's peak resident set so far (the peak
never goes down, so the stage that raised it is the one whose figure jumps).
"""

from __future__ import annotations

import logging
import resource
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

__all__ = ["StageClock", "StageUsage", "current_rss_mib", "peak_rss_mib"]

_STATM = Path("/proc/self/statm")


def peak_rss_mib() -> float:
    """Peak resident set size of this process so far, MiB (``ru_maxrss``)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # ru_maxrss is in KiB on Linux and in bytes on macOS.
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def current_rss_mib() -> float:
    """Resident set size now, MiB (from ``/proc/self/statm``; the peak where unavailable)."""
    try:
        pages = int(_STATM.read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return peak_rss_mib()
    return pages * resource.getpagesize() / (1024 * 1024)


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@dataclass(frozen=True)
class StageUsage:
    """What one stage cost.

    Attributes
    ----------
    wall_s : elapsed seconds.
    cpu_s : user + system CPU seconds of the whole process during the stage.
    rss_mib : resident set size at the end of the stage, MiB.
    peak_rss_mib : the process's peak resident set size at the end of the stage, MiB.
    """

    wall_s: float
    cpu_s: float
    rss_mib: float
    peak_rss_mib: float

    def describe(self) -> str:
        """One log line's worth: ``12.3 s (CPU 20.1 s), RSS 812 MiB, peak 1024 MiB``."""
        return (
            f"{self.wall_s:.3f} s (CPU {self.cpu_s:.3f} s), RSS {self.rss_mib:.0f} MiB, "
            f"peak {self.peak_rss_mib:.0f} MiB"
        )


class StageClock:
    """Measures named stages in order; ``usage[name]`` after each ``with clock.stage(name)``."""

    def __init__(self, logger: logging.Logger) -> None:
        self._log = logger
        self.usage: dict[str, StageUsage] = {}

    @property
    def timings(self) -> dict[str, float]:
        """Wall seconds per stage, in run order."""
        return {name: u.wall_s for name, u in self.usage.items()}

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Time the body; records nothing when it raises."""
        wall, cpu = time.perf_counter(), _cpu_s()
        yield
        self.usage[name] = usage = StageUsage(
            wall_s=time.perf_counter() - wall,
            cpu_s=_cpu_s() - cpu,
            rss_mib=current_rss_mib(),
            peak_rss_mib=peak_rss_mib(),
        )
        self._log.info("stage %s: %s", name, usage.describe())
