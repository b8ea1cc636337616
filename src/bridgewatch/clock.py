"""Time, once: every "now" in bridgewatch is an ``int`` of milliseconds since the Unix epoch.

Components that need the time take a ``clock`` (a callable returning ms, injected by tests)
and call its value ``now_ms``; :func:`now_ms` is the wall clock they default to.
"""

from __future__ import annotations

import time
from collections.abc import Callable

__all__ = ["Clock", "now_ms"]

Clock = Callable[[], int]


def now_ms() -> int:
    """The wall clock: ms since the Unix epoch."""
    return time.time_ns() // 1_000_000
