"""The code's shape, checked from its own source: layers, cycles and module size.

The layers are what let each part run where it runs: the agent on a Pi without Home Assistant,
the engine in the bench and on the agent's side of a test, the client in any asyncio program.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGES = ("custom_components/smartmulti", "pi_agent", "bench", "reporter/smartmulti_reporter")
MAX_LINES = 400
# A longer module says why in its docstring with these words.
LONG_MODULE_MARK = "Over 400 lines"

# package (dotted prefix) -> imports it must never make (dotted prefixes)
FORBIDDEN = {
    "custom_components.smartmulti.balancing": ("homeassistant", "pi_agent", "aiohttp"),
    "custom_components.smartmulti.client": ("homeassistant",),
    "custom_components.smartmulti.hints": ("homeassistant",),
    "pi_agent": ("homeassistant", "custom_components"),
    "smartmulti_reporter": ("homeassistant", "custom_components", "pi_agent"),
}


def _module_name(path: Path) -> str:
    rel = path.relative_to(REPO).with_suffix("")
    parts = list(rel.parts)
    if parts[0] == "reporter":
        parts = parts[1:]
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((REPO / package).rglob("*.py")):
            found[_module_name(path)] = path
    return found


MODULES = _modules()


def _imports(module: str, path: Path) -> Iterator[tuple[str, int]]:
    """Dotted names the module imports, ``TYPE_CHECKING`` blocks included: a cycle hidden from
    the interpreter is still one a reader must hold in their head."""
    is_package = path.name == "__init__.py"
    base = module.split(".") if is_package else module.split(".")[:-1]

    def walk(node: ast.AST) -> Iterator[tuple[str, int]]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import):
                for alias in child.names:
                    yield alias.name, child.lineno
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    anchor = base[: len(base) - (child.level - 1)]
                    target = ".".join([*anchor, *([child.module] if child.module else [])])
                else:
                    target = child.module or ""
                yield target, child.lineno
                for alias in child.names:  # ``from . import x`` imports the module x
                    yield f"{target}.{alias.name}", child.lineno
            yield from walk(child)

    yield from walk(ast.parse(path.read_text(), str(path)))


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {name: set() for name in MODULES}
    for name, path in MODULES.items():
        for target, _line in _imports(name, path):
            if target in MODULES and target != name:
                graph[name].add(target)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def _is_package_init_edge(src: str, dst: str) -> bool:
    """A package's ``__init__`` re-exporting its own submodules is not a cycle of design."""
    return dst.startswith(f"{src}.") or src.startswith(f"{dst}.")


def test_no_import_cycles() -> None:
    graph = {
        name: {t for t in targets if not _is_package_init_edge(name, t)}
        for name, targets in _graph().items()
    }
    assert _cycles(graph) == []


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layers_import_only_what_runs_where_they_run(layer: str) -> None:
    offences = [
        f"{name}:{line} imports {target}"
        for name, path in MODULES.items()
        if name == layer or name.startswith(f"{layer}.")
        for target, line in _imports(name, path)
        if any(target == f or target.startswith(f"{f}.") for f in FORBIDDEN[layer])
    ]
    assert offences == []


def test_long_modules_say_why() -> None:
    unexplained = []
    for name, path in MODULES.items():
        lines = len(path.read_text().splitlines())
        if lines <= MAX_LINES:
            continue
        docstring = ast.get_docstring(ast.parse(path.read_text())) or ""
        if LONG_MODULE_MARK not in docstring:
            unexplained.append(f"{name} ({lines} lines)")
    assert unexplained == []
