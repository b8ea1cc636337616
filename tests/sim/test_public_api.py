"""Every public name of bridgewatch.sim and its modules imports."""

from __future__ import annotations

import importlib

import pytest

_MODULES = [
    "bridgewatch.sim",
    "bridgewatch.sim.adversary",
    "bridgewatch.sim.arrays",
    "bridgewatch.sim.config",
    "bridgewatch.sim.frames",
    "bridgewatch.sim.ids",
    "bridgewatch.sim.notes",
    "bridgewatch.sim.population",
    "bridgewatch.sim.ratings",
    "bridgewatch.sim.requests",
    "bridgewatch.sim.sampling",
    "bridgewatch.sim.simulate",
    "bridgewatch.sim.strategies",
    "bridgewatch.sim.tags",
    "bridgewatch.sim.text",
    "bridgewatch.sim.write",
]


@pytest.mark.parametrize("name", _MODULES)
def test_every_name_in_all_exists(name: str) -> None:
    module = importlib.import_module(name)
    assert module.__all__, name
    for public in module.__all__:
        assert hasattr(module, public), f"{name}.{public}"
