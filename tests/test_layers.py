"""The rooms of ``src/patchwork`` depend on each other one way, with no import cycle.

Read from the source (every ``import``, also those inside functions, except under
``TYPE_CHECKING``), so a lazy import cannot hide a cycle. README's "Layout" section and
docs/decisions/0112 describe the rooms these rules keep apart.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "patchwork"

#: The rooms from the bottom up: a room may import the rooms of the tiers below its own and
#: the package's ``__version__``, never a room of its own tier or above. A room missing here
#: may import anything (the composition roots: the app factory, the CLI, the demo, the
#: legacy import).
TIERS: list[set[str]] = [
    {"patchwork.errors"},
    {"patchwork.config"},
    {"patchwork.db", "patchwork.storage", "patchwork.cache"},
    {"patchwork.archive"},
    {"patchwork.state"},
    {"patchwork.http"},
    {"patchwork.api", "patchwork.web", "patchwork.ops"},  # never each other: they share http
]
ALLOWED: dict[str, set[str]] = {
    room: set().union(*TIERS[:level]) for level, tier in enumerate(TIERS) for room in tier
}
# The reference worker is a client of the HTTP API: it runs on machines with no database.
ALLOWED["patchwork.worker"] = {"patchwork.errors"}

#: Rooms that must not know about Flask (they are called by the CLI and the worker too).
WITHOUT_FLASK = (
    "patchwork.errors",
    "patchwork.config",
    "patchwork.db",
    "patchwork.storage",
    "patchwork.archive",
    "patchwork.worker",
)


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _is_type_checking(node: ast.If) -> bool:
    return "TYPE_CHECKING" in ast.unparse(node.test)


def _imports(tree: ast.AST) -> Iterator[tuple[str, list[str]]]:
    """(module, names) of every import outside ``if TYPE_CHECKING:`` blocks."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and _is_type_checking(node):
            yield from (item for child in node.orelse for item in _imports(child))
            continue
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, []
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module, [alias.name for alias in node.names]
        yield from _imports(node)


def dependencies(name: str) -> set[str]:
    """The Patchwork modules ``name`` imports (a submodule named in ``from`` counts itself)."""
    found: set[str] = set()
    for module, names in _imports(ast.parse(MODULES[name].read_text())):
        if not module.startswith("patchwork"):
            continue
        submodules = {f"{module}.{n}" for n in names} & MODULES.keys()
        if submodules:
            found |= submodules
        if not submodules or len(submodules) < len(names):
            found.add(module)
    return {d for d in found if d in MODULES and d != name}


GRAPH = {name: dependencies(name) for name in MODULES}


def external_imports(name: str) -> set[str]:
    tree = ast.parse(MODULES[name].read_text())
    return {module.split(".")[0] for module, _ in _imports(tree)}


def room_of(name: str) -> str:
    """The longest key of ``ALLOWED`` that ``name`` is in (or the name's top package)."""
    for room in sorted(ALLOWED, key=len, reverse=True):
        if name == room or name.startswith(room + "."):
            return room
    return ".".join(name.split(".")[:2])


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative: the components with more than one module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    components.append(sorted(component))
    return components


def test_the_cycle_finder_finds_a_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert strongly_connected(graph) == [["a", "b", "c"]]
    assert strongly_connected({"a": {"b"}, "b": set()}) == []


def test_the_import_reader_sees_lazy_imports_and_skips_type_checking() -> None:
    tree = ast.parse(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from patchwork.web import pages\n"
        "def f():\n    from patchwork.db import models\n"
    )
    modules = {module for module, _ in _imports(tree)}
    assert "patchwork.db" in modules and "patchwork.web" not in modules


def test_no_import_cycle_anywhere() -> None:
    assert strongly_connected(GRAPH) == []


@pytest.mark.parametrize("room", sorted(ALLOWED))
def test_each_room_imports_only_the_rooms_below_it(room: str) -> None:
    wrong = sorted(
        f"{name} imports {dep}"
        for name, deps in GRAPH.items()
        if room_of(name) == room
        for dep in deps
        if room_of(dep) != room and room_of(dep) not in ALLOWED[room] and dep != "patchwork"
    )
    assert wrong == []


def test_the_domain_rooms_do_not_know_flask() -> None:
    rooms = WITHOUT_FLASK
    with_flask = sorted(
        name
        for name in MODULES
        if room_of(name) in rooms and {"flask", "werkzeug"} & external_imports(name)
    )
    assert with_flask == []
