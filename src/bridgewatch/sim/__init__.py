"""Synthetic communities and adversaries, in the public Community Notes format.

``simulate(SimConfig(...))`` draws a community in memory; ``write_community`` writes it;
``write_simulation`` streams a large one straight to disk; ``simulate_ratings`` gives the
ratings as ``bridgewatch.model.Ratings`` with aligned truth, and ``bridgewatch.sim.strategies``
has hypothesis strategies for property tests. Ground truth (note quality and
slant, rater positions and camps, brigades and their targets) comes with every community.
"""

from bridgewatch.sim.arrays import LabelledRatings, simulate_ratings
from bridgewatch.sim.config import BrigadeConfig, BrigadeGoal, SimConfig
from bridgewatch.sim.simulate import Community, plan_simulation, simulate
from bridgewatch.sim.write import WrittenFiles, write_community, write_simulation

__all__ = [
    "BrigadeConfig",
    "BrigadeGoal",
    "Community",
    "LabelledRatings",
    "SimConfig",
    "WrittenFiles",
    "plan_simulation",
    "simulate",
    "simulate_ratings",
    "write_community",
    "write_simulation",
]
