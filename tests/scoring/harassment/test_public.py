"""Every name in the ``__all__`` of the harassment subpackage and its modules exists."""

from __future__ import annotations

import importlib

import pytest

MODULES = ["bridgewatch.scoring.harassment"] + [
    f"bridgewatch.scoring.harassment.{m}"
    for m in ("adam", "config", "labels", "model", "problem", "reference")
]


@pytest.mark.parametrize("name", MODULES)
def test_public_names_exist(name: str) -> None:
    module = importlib.import_module(name)
    public = module.__all__
    assert public and len(set(public)) == len(public)
    for attr in public:
        assert hasattr(module, attr), f"{name}.{attr}"
