"""Synthetic communities and adversaries, in the public Community Notes format.

``simulate(SimConfig(...))`` draws a community in memory; ``write_community`` writes it;
``write_simulation`` streams a large one straight to disk. Ground truth (note quality and
slant, rater positions and camps, brigades and their targets) comes with every community.
"""

from bridgewatch.sim.config import BrigadeConfig, BrigadeGoal, SimConfig
from bridgewatch.sim.simulate import Community, plan_simulation, simulate
from bridgewatch.sim.write import WrittenFiles, write_community, write_simulation

__all__ = [
    "BrigadeConfig",
    "BrigadeGoal",
    "Community",
    "SimConfig",
    "WrittenFiles",
    "plan_simulation",
    "simulate",
    "write_community",
    "write_simulation",
]
