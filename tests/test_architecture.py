"""The import graph of ``supervisor/`` keeps the architecture's shape: packages depend downward only,
reach each other through their ``__init__``, and the protocol and routing stay free of I/O."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

SUPERVISOR = Path(__file__).resolve().parents[1] / "supervisor"

#: top to bottom; a package may import packages of lower layers only (never its own layer's)
LAYERS: tuple[frozenset[str], ...] = (
    frozenset({"__main__"}),  # python -m supervisor
    frozenset({"cli"}),  # the motia command
    frozenset(
        {"http", "codegen"}
    ),  # the ASGI front and the quart app; types.d.ts and OpenAPI from a registry
    frozenset({"core"}),  # the runtime: wires everything below together
    frozenset({"realtime", "runners", "reload", "config", "queue", "state", "tracing"}),
    frozenset({"streams", "discovery", "cron", "routing", "protocol", "logs", "settings"}),
    frozenset({"storage", "scaffold"}),  # scaffold: motia create's templates, needs nothing else
    # lazy: a package's names imported on first use; eager: tasks whose first step runs at once (both
    # import nothing of ours, for packages of every layer)
    frozenset({"lazy", "eager"}),
)
#: packages that must stay free of I/O machinery (tested byte-in/byte-out, shared by transports)
PURE = {"protocol": {"asyncio", "socket", "subprocess", "threading"}, "routing": {"asyncio"}}


@dataclass(frozen=True)
class Import:
    source: Path
    line: int
    importer: str  # the package (or top-level module) doing the import
    target: str  # the full module name imported from


def package_of(path: Path) -> str:
    relative = path.relative_to(SUPERVISOR)
    return relative.parts[0].removesuffix(".py")


def imports() -> Iterator[Import]:
    for path in sorted(SUPERVISOR.rglob("*.py")):
        if "_generated" in path.parts:
            continue
        importer = package_of(path)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                yield Import(path, node.lineno, importer, node.module)
                for alias in node.names:
                    yield Import(path, node.lineno, importer, f"{node.module}.{alias.name}")
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    yield Import(path, node.lineno, importer, alias.name)


def layer_of(package: str) -> int:
    for index, layer in enumerate(LAYERS):
        if package in layer:
            return index
    raise AssertionError(f"supervisor/{package} is in no layer of {__name__}.LAYERS: add it where it belongs")


def where(found: Import) -> str:
    return f"{found.source.relative_to(SUPERVISOR.parent)}:{found.line} imports {found.target}"


def test_every_package_has_a_layer() -> None:
    for path in SUPERVISOR.iterdir():
        if path.name != "__init__.py" and (path.suffix == ".py" or (path / "__init__.py").exists()):
            layer_of(path.name.removesuffix(".py"))


def test_packages_import_only_packages_below_them() -> None:
    back_edges = []
    for found in imports():
        parts = found.target.split(".")
        if parts[0] != "supervisor" or len(parts) < 2 or parts[1] == found.importer:
            continue
        if layer_of(parts[1]) <= layer_of(found.importer):
            back_edges.append(f"{where(found)}: {found.importer} may not depend on {parts[1]}")
    assert back_edges == []


def test_no_module_imports_another_packages_private_module() -> None:
    private = []
    for found in imports():
        parts = found.target.split(".")
        if parts[0] != "supervisor" or len(parts) < 3 or parts[1] == found.importer:
            continue
        if any(part.startswith("_") and not part.startswith("__") for part in parts[2:]):
            private.append(where(found))
    assert private == []


@pytest.mark.parametrize("package", sorted(PURE))
def test_pure_packages_do_no_io(package: str) -> None:
    forbidden = PURE[package]
    found = [where(i) for i in imports() if i.importer == package and i.target.split(".")[0] in forbidden]
    assert found == []
