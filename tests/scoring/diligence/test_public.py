"""Every name in the ``__all__`` of the diligence subpackage and its modules exists."""

from __future__ import annotations

import importlib

import pytest

MODULES = ["bridgewatch.scoring.diligence"] + [
    f"bridgewatch.scoring.diligence.{m}" for m in ("config", "kernels", "model", "training")
]


@pytest.mark.parametrize("name", MODULES)
def test_public_names_exist(name: str) -> None:
    module = importlib.import_module(name)
    public = module.__all__
    assert public and len(set(public)) == len(public)
    for attr in public:
        assert hasattr(module, attr), f"{name}.{attr}"
