"""Every public name of bridgewatch.io is importable and listed."""

from __future__ import annotations

import importlib

import pytest

MODULES = [
    "bridgewatch.io",
    "bridgewatch.io.columns",
    "bridgewatch.io.dataset",
    "bridgewatch.io.idmap",
    "bridgewatch.io.read",
    "bridgewatch.io.readers",
    "bridgewatch.io.schema",
    "bridgewatch.io.schemas",
    "bridgewatch.io.write",
    "bridgewatch.io.writers",
]


@pytest.mark.parametrize("name", MODULES)
def test_all_names_exist(name: str) -> None:
    module = importlib.import_module(name)
    exported = module.__all__
    for attr in exported:
        assert hasattr(module, attr), f"{name}.{attr}"


def test_package_reexports_the_entry_points() -> None:
    io = importlib.import_module("bridgewatch.io")
    for attr in ["load_dataset", "read_ratings", "write_scored_notes", "write_tsv", "Dataset"]:
        assert attr in io.__all__
