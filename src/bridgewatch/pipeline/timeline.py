"""Where a micro-batch's time goes: a timeline of the worker's phases.

The worker marks the end of each phase of a micro-batch (waiting for events, locking the
offset, reading the events, applying them, the pass, each table it writes, the commit);
:class:`Timeline` keeps the wall time (``time.perf_counter``) and the thread's CPU time
(``time.thread_time``) of each phase, and :meth:`Timeline.line` formats them as one log
line (``bridgewatch.pipeline.timeline`` logger, DEBUG), which
``benchmarks/lag_timeline.py`` summarizes. Units: ms.
"""

from __future__ import annotations

import logging
import time

__all__ = ["Timeline", "parse_line"]

timeline_log = logging.getLogger("bridgewatch.pipeline.timeline")


class Timeline:
    """Phase durations of one micro-batch (wall and thread CPU, s), in the order marked.

    ``mark(name)`` closes the phase that ran since the previous mark (or since the start)
    and names it; a name marked twice adds up.
    """

    def __init__(self) -> None:
        self.phases: dict[str, tuple[float, float]] = {}
        self.facts: dict[str, float] = {}
        self._wall = time.perf_counter()
        self._cpu = time.thread_time()
        self.started = self._wall

    def mark(self, name: str) -> None:
        """End the current phase as ``name``."""
        wall, cpu = time.perf_counter(), time.thread_time()
        before = self.phases.get(name, (0.0, 0.0))
        self.phases[name] = (before[0] + wall - self._wall, before[1] + cpu - self._cpu)
        self._wall, self._cpu = wall, cpu

    def add(self, name: str, wall_s: float, cpu_s: float = 0.0) -> None:
        """Record a phase measured elsewhere (e.g. the wait before the micro-batch)."""
        before = self.phases.get(name, (0.0, 0.0))
        self.phases[name] = (before[0] + wall_s, before[1] + cpu_s)

    def line(self) -> str:
        """``key=value`` pairs: facts, then ``phase=wall/cpu`` in ms per phase."""
        parts = [f"{k}={v:g}" for k, v in self.facts.items()]
        parts += [f"{k}={w * 1000:.1f}/{c * 1000:.1f}" for k, (w, c) in self.phases.items()]
        return "timeline " + " ".join(parts)


def parse_line(line: str) -> tuple[dict[str, float], dict[str, tuple[float, float]]] | None:
    """The facts and phases (wall ms, CPU ms) of a :meth:`Timeline.line` inside ``line``."""
    at = line.find("timeline ")
    if at < 0:
        return None
    facts: dict[str, float] = {}
    phases: dict[str, tuple[float, float]] = {}
    for part in line[at + len("timeline ") :].split():
        key, _, value = part.partition("=")
        if "/" in value:
            wall, _, cpu = value.partition("/")
            phases[key] = (float(wall), float(cpu))
        elif value:
            facts[key] = float(value)
    return facts, phases
