"""The public surface of bridgewatch.scoring.manipulation is exactly its __all__."""

from __future__ import annotations

import importlib


def test_every_public_name_is_importable_and_documented() -> None:
    module = importlib.import_module("bridgewatch.scoring.manipulation")
    assert module.__all__ == sorted(module.__all__, key=lambda n: (not n.isupper(), n))
    for name in module.__all__:
        obj = getattr(module, name)
        assert obj is not None
        if callable(obj):
            assert obj.__doc__, name
