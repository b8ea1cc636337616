"""Run a benchmark script with the defences' capture-share guard off
(``EstablishmentConfig(guard_capture=False)``), everything else as ``defence_config``.

    python benchmarks/results/adv14/noguard_wrapper.py benchmarks/honest_lost_diag.py none 0 3
"""

from __future__ import annotations

import dataclasses
import runpy
import sys

import bridgewatch.analysis.attack as attack
from bridgewatch.scoring.config import ScoringConfig

_defence_config = attack.defence_config


def _without_guard(base: ScoringConfig) -> ScoringConfig:
    cfg = _defence_config(base)
    assert cfg.establishment is not None
    return dataclasses.replace(
        cfg, establishment=dataclasses.replace(cfg.establishment, guard_capture=False)
    )


attack.defence_config = _without_guard  # type: ignore[assignment]
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
