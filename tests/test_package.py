"""Import-time settings of the package."""

from __future__ import annotations

import os
import subprocess
import sys

_PRINT = "import bridgewatch, os; print(os.environ['_RJEM_MALLOC_CONF'])"


def _conf(env: dict[str, str]) -> str:
    out = subprocess.run(
        [sys.executable, "-c", _PRINT], env=env, capture_output=True, text=True, check=True
    )
    return out.stdout.strip()


def test_polars_allocator_returns_freed_pages_unless_the_user_configured_it() -> None:
    env = {k: v for k, v in os.environ.items() if k != "_RJEM_MALLOC_CONF"}
    assert "dirty_decay_ms:500" in _conf(env).split(",")
    assert _conf({**env, "_RJEM_MALLOC_CONF": "narenas:2"}) == "narenas:2"


def test_free_heap_pages_are_returned_on_glibc() -> None:
    from bridgewatch._allocator import release_free_heap

    assert release_free_heap() is (os.uname().sysname == "Linux")
