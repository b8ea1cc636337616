"""Every name in the ``__all__`` of the status, meta, history, outputs and gaussian modules
exists."""

from __future__ import annotations

import importlib

import pytest

MODULES = [
    "bridgewatch.scoring.status",
    "bridgewatch.scoring.status.aggregates",
    "bridgewatch.scoring.status.config",
    "bridgewatch.scoring.status.explain",
    "bridgewatch.scoring.status.rules",
    "bridgewatch.scoring.status.tag_filter",
    "bridgewatch.scoring.meta",
    "bridgewatch.scoring.meta.config",
    "bridgewatch.scoring.meta.explain",
    "bridgewatch.scoring.meta.explanation",
    "bridgewatch.scoring.meta.rules",
    "bridgewatch.scoring.meta.stabilization",
    "bridgewatch.scoring.history",
    "bridgewatch.scoring.history.table",
    "bridgewatch.scoring.history.update",
    "bridgewatch.scoring.outputs",
    "bridgewatch.scoring.gaussian",
    "bridgewatch.scoring.gaussian.aggregate",
    "bridgewatch.scoring.gaussian.config",
    "bridgewatch.scoring.gaussian.fit",
]


@pytest.mark.parametrize("name", MODULES)
def test_public_names_exist(name: str) -> None:
    module = importlib.import_module(name)
    public = module.__all__
    assert public and len(set(public)) == len(public)
    for attr in public:
        assert hasattr(module, attr), f"{name}.{attr}"
