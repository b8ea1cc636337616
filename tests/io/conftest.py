"""Factories for tiny public-format files."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

FIXTURES = Path("/work/shared/fixtures")

WriteTsv = Callable[[str, Sequence[str], Sequence[Sequence[str]]], Path]


@pytest.fixture
def write_tsv_text(tmp_path: Path) -> WriteTsv:
    """Write a TSV with the given header and rows (all text) under tmp_path."""

    def make(name: str, header: Sequence[str], rows: Sequence[Sequence[str]]) -> Path:
        path = tmp_path / name
        lines = ["\t".join(header), *("\t".join(r) for r in rows)]
        path.write_text("\n".join(lines) + "\n")
        return path

    return make
