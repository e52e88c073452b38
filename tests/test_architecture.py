"""The layer rules and the absence of import cycles, checked on the source itself.

Layers, from the bottom: ``domain`` ← ``store`` ← ``services`` ← {``server``, ``cli``,
``workers``, ``wiring``}; ``server`` starts the ``workers``' runner. ``mcp`` (the MCP
server definition) imports none of them: ``server`` and ``cli`` give it its prompts.
Plugins see ``plugins.api`` (and the domain), never ORM rows or sessions. The client SDK imports
nothing of the server side but the pure template engine. Every import counts, including
those inside functions: an import moved into a function to dodge a cycle is still a cycle.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src"
PACKAGE = "promptyard"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path, module: str) -> Iterator[str]:
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                base = base[: len(base) - node.level + (1 if is_package else 0)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            yield target
            for alias in node.names:  # `from pkg import module`
                yield f"{target}.{alias.name}"


def _graph() -> dict[str, set[str]]:
    modules = {_module_name(p): p for p in SRC.joinpath(PACKAGE).rglob("*.py")}
    graph: dict[str, set[str]] = defaultdict(set)
    for name, path in modules.items():
        graph[name]
        for target in _imports(path, name):
            if target in modules and target != name:
                graph[name].add(target)
    return graph


GRAPH = _graph()


def _layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


# layer -> layers it must never import
FORBIDDEN = {
    "domain": {
        "store",
        "services",
        "server",
        "cli",
        "client",
        "plugins",
        "workers",
        "wiring",
        "config",
        "mcp",
    },
    "store": {"services", "server", "cli", "client", "plugins", "workers", "wiring", "mcp"},
    "services": {"server", "cli", "client", "workers", "wiring", "mcp"},
    "server": {"cli", "client"},
    "workers": {"server", "cli", "client", "wiring", "mcp"},
    "client": {
        "store",
        "services",
        "server",
        "cli",
        "plugins",
        "workers",
        "wiring",
        "config",
        "mcp",
    },
    # the MCP server definition, over a prompt source that server/ and cli/ implement
    "mcp": {
        "store",
        "services",
        "server",
        "cli",
        "client",
        "plugins",
        "workers",
        "wiring",
        "config",
    },
}


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layers_import_only_downwards(layer: str) -> None:
    wrong = sorted(
        f"{source} -> {target}"
        for source, targets in GRAPH.items()
        if _layer(source) == layer
        for target in targets
        if _layer(target) in FORBIDDEN[layer]
    )
    assert not wrong, f"{layer} imports a layer above it or beside it: {wrong}"


def test_the_client_uses_only_the_pure_template_engine_of_the_domain() -> None:
    allowed = ("promptyard.domain.templating", "promptyard.domain.templates")
    wrong = sorted(
        f"{source} -> {target}"
        for source, targets in GRAPH.items()
        if _layer(source) == "client"
        for target in targets
        if _layer(target) == "domain"
        and not target.startswith(allowed)
        and target != "promptyard.domain"
    )
    assert not wrong, wrong


def test_services_see_plugins_only_through_the_plugin_api() -> None:
    wrong = sorted(
        f"{source} -> {target}"
        for source, targets in GRAPH.items()
        if _layer(source) == "services"
        for target in targets
        if _layer(target) == "plugins"
        and target not in ("promptyard.plugins", "promptyard.plugins.api")
    )
    assert not wrong, wrong


def test_plugins_see_no_orm_rows_sessions_or_services() -> None:
    wrong = sorted(
        f"{source} -> {target}"
        for source, targets in GRAPH.items()
        if _layer(source) == "plugins"
        for target in targets
        if _layer(target) in {"store", "services", "server", "cli"}
    )
    assert not wrong, wrong


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
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


def test_no_module_imports_itself_through_others() -> None:
    cycles = _cycles(GRAPH)
    assert not cycles, f"import cycles: {cycles}"


def test_no_two_capabilities_import_each_other() -> None:
    capability_graph: dict[str, set[str]] = defaultdict(set)
    for source, targets in GRAPH.items():
        parts = source.split(".")
        if len(parts) < 4 or parts[1] != "services":
            continue
        for target in targets:
            tparts = target.split(".")
            if len(tparts) >= 4 and tparts[1] == "services" and tparts[2] != parts[2]:
                capability_graph[parts[2]].add(tparts[2])
    cycles = _cycles(capability_graph)
    assert not cycles, f"capabilities importing each other: {cycles}"
