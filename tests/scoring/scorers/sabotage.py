"""Make one scorer's prescoring raise in a worker process (tests of failure handling).

``sabotage(name)`` runs in each worker (a process pool's initializer, ``Client.run``) and
replaces ``scorers.run._prescore`` there; ``restore`` puts it back.
"""

from __future__ import annotations

from typing import Any

from bridgewatch.scoring.scorers import run as roster_run

_ORIGINAL = roster_run._prescore


def sabotage(name: str) -> None:
    def broken(shared: Any, spec: Any, seed: Any) -> Any:
        if spec.name == name:
            raise RuntimeError(f"sabotaged {name}")
        return _ORIGINAL(shared, spec, seed)

    roster_run._prescore = broken


def restore() -> None:
    roster_run._prescore = _ORIGINAL
