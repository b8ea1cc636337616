"""Every public name of bridgewatch.analysis.embeddings and its modules imports."""

from __future__ import annotations

import importlib

import pytest

_MODULES = [
    "bridgewatch.analysis.embeddings",
    "bridgewatch.analysis.embeddings.axes",
    "bridgewatch.analysis.embeddings.diversity",
    "bridgewatch.analysis.embeddings.groups",
    "bridgewatch.analysis.embeddings.plots",
    "bridgewatch.analysis.embeddings.polarization",
    "bridgewatch.analysis.embeddings.ratings",
    "bridgewatch.analysis.embeddings.report",
    "bridgewatch.analysis.embeddings.robustness",
    "bridgewatch.analysis.embeddings.run",
    "bridgewatch.analysis.embeddings.similarity",
    "bridgewatch.analysis.embeddings.tables",
]


@pytest.mark.parametrize("name", _MODULES)
def test_every_name_in_all_exists(name: str) -> None:
    module = importlib.import_module(name)
    assert module.__all__, name
    for public in module.__all__:
        assert hasattr(module, public), f"{name}.{public}"
