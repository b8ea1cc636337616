"""The import graph follows the layers of CONTRIBUTING.md ("Architecture").

Every module under ``src/bridgewatch`` is parsed (``ast``; nothing is imported) and each
``import``/``from ... import`` of a ``bridgewatch`` module, at any depth (functions and
``TYPE_CHECKING`` blocks included), becomes an edge from the importing package to the imported
one. A package may import only packages of a lower layer; packages of one layer do not import
each other. The few edges that break the rule today are listed in ``KNOWN_EXCEPTIONS``, each
with its reason; an entry that is no longer needed fails the test, so the list only shrinks.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "bridgewatch"

# Lowest first. "" is the package root (``bridgewatch/__init__.py``, ``errors.py``,
# ``_allocator.py``); ``asgi`` is the top-level ``bridgewatch/asgi.py`` entry point.
LAYERS: tuple[frozenset[str], ...] = (
    frozenset({""}),
    frozenset({"model", "parallel"}),
    frozenset({"io", "scoring"}),
    frozenset({"sim"}),
    frozenset({"analysis"}),
    frozenset({"store"}),
    frozenset({"usecases"}),
    frozenset({"service", "pipeline", "web"}),
    frozenset({"cli", "asgi"}),
)
RANK = {package: rank for rank, layer in enumerate(LAYERS) for package in layer}

# (importing module, imported package): edges that break the rule today, with the reason.
KNOWN_EXCEPTIONS: frozenset[tuple[str, str]] = frozenset(
    # The column names and the Dataset container are in ``model`` now; two scoring modules
    # still use io's table schemas: ``outputs`` builds the output tables in the published
    # column order (``io.schemas``), and ``replay`` turns frames into a Dataset with io's
    # reader (``ratings_from_frame``). Moving them means the scorer returns arrays and the
    # edges build the tables, a change of ``ScoringResult`` for every caller (issue #14).
    {(f"scoring/{m}", "io") for m in ("outputs.py", "replay.py")}
    # The web app shares the HTTP plumbing of the API: the request schemas its forms are
    # validated with and their conversion to rows (``service.schemas``, ``service.convert``),
    # the settings and the Db/Now dependencies (``service.deps``). The product rules it calls
    # (rating, writing, profile, sign-up, sessions, throttling) are in ``usecases``.
    | {("web/routes.py", "service")}
)


def _package_of(relative: Path) -> str:
    """The top-level package a module under ``src/bridgewatch`` belongs to ("" for the root)."""
    if len(relative.parts) == 1:
        return "asgi" if relative.name == "asgi.py" else ""
    return relative.parts[0]


def imported_packages(source: str, module: tuple[str, ...], is_package: bool) -> Iterator[str]:
    """The top-level bridgewatch packages a module's source imports ("" for the root).

    Parameters
    ----------
    source : the module's Python source.
    module : its dotted name as parts, ``("bridgewatch", "web", "routes")``.
    is_package : whether the module is a package's ``__init__``.
    """
    base = list(module if is_package else module[:-1])
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = base[: len(base) - (node.level - 1)]
                name = ".".join([*anchor, *([node.module] if node.module else [])])
            else:
                name = node.module or ""
            if name == "bridgewatch":
                # ``from bridgewatch import x``: x is a package, or a name of the root.
                names = [
                    f"bridgewatch.{a.name}"
                    if (SRC / a.name).is_dir() or a.name == "asgi"
                    else "bridgewatch"
                    for a in node.names
                ]
            else:
                names = [name]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] != "bridgewatch":
                continue
            if len(parts) == 1 or ((SRC / f"{parts[1]}.py").is_file() and parts[1] != "asgi"):
                yield ""
            else:
                yield parts[1]


def package_edges() -> dict[tuple[str, str], set[str]]:
    """(importing package, imported package) -> the importing modules, for every module."""
    edges: dict[tuple[str, str], set[str]] = defaultdict(set)
    for path in sorted(SRC.rglob("*.py")):
        relative = path.relative_to(SRC)
        is_package = relative.name == "__init__.py"
        parts = relative.with_suffix("").parts
        module = ("bridgewatch", *(parts[:-1] if is_package else parts))
        importer = _package_of(relative)
        for target in imported_packages(path.read_text(), module, is_package):
            if target != importer:
                edges[(importer, target)].add(relative.as_posix())
    return edges


def _violations(edges: dict[tuple[str, str], set[str]]) -> set[tuple[str, str]]:
    return {
        (module, target)
        for (importer, target), modules in edges.items()
        for module in modules
        if RANK[target] >= RANK[importer]
    }


def test_every_package_has_a_layer() -> None:
    packages = {_package_of(p.relative_to(SRC)) for p in SRC.rglob("*.py")}
    assert packages - RANK.keys() == set()


def test_packages_import_only_lower_layers() -> None:
    violations = _violations(package_edges())
    assert sorted(violations - KNOWN_EXCEPTIONS) == []


def test_known_exceptions_are_all_still_needed() -> None:
    """Fixing an exception must also remove it from the list."""
    assert sorted(KNOWN_EXCEPTIONS - _violations(package_edges())) == []


def test_no_import_cycle_between_packages() -> None:
    """Not even through the known exceptions."""
    graph: dict[str, set[str]] = defaultdict(set)
    for importer, target in package_edges():
        graph[importer].add(target)

    def reaches(start: str, goal: str) -> bool:
        seen, todo = set(), [start]
        while todo:
            node = todo.pop()
            if node == goal:
                return True
            if node not in seen:
                seen.add(node)
                todo.extend(graph.get(node, ()))
        return False

    cycles = sorted((a, b) for a, targets in graph.items() for b in targets if reaches(b, a))
    assert cycles == []


@pytest.mark.parametrize(
    ("source", "module", "is_package", "expected"),
    [
        (
            "from bridgewatch.service.db import x",
            ("bridgewatch", "web", "routes"),
            False,
            {"service"},
        ),
        ("import bridgewatch.io.columns as c", ("bridgewatch", "scoring", "x"), False, {"io"}),
        ("from ..store import tables", ("bridgewatch", "service", "app"), False, {"store"}),
        ("from . import deps", ("bridgewatch", "service", "api"), True, {"service"}),
        ("from bridgewatch import ALGORITHM", ("bridgewatch", "web", "routes"), False, {""}),
        ("from bridgewatch import io", ("bridgewatch", "cli", "x"), False, {"io"}),
        ("from bridgewatch.errors import E", ("bridgewatch", "io", "x"), False, {""}),
        (
            "def f():\n    from bridgewatch.web import install_web\n",
            ("bridgewatch", "service", "app"),
            False,
            {"web"},
        ),
        ("import numpy\nfrom sqlalchemy import select", ("bridgewatch", "io", "x"), False, set()),
    ],
)
def test_imports_are_read_from_the_source(
    source: str, module: tuple[str, ...], is_package: bool, expected: set[str]
) -> None:
    assert set(imported_packages(source, module, is_package)) == expected


def test_a_service_module_importing_the_web_app_is_a_violation() -> None:
    edges = {("service", "web"): {"service/app.py"}, ("web", "store"): {"web/x.py"}}
    assert _violations(edges) == {("service/app.py", "web")}
