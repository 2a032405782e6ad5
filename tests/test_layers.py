"""The package layout is the architecture: each folder of ``symce/`` is a layer and imports go one way.

This test reads every import of the package with ``ast`` — at module level *and* inside functions, since a
deferred import is still a dependency — and fails on an import from a layer the importer may not use, on
an import of the package face (``symce/__init__``) from inside, and on any import cycle between modules.
The same table is drawn in docs/design.md.
"""

from __future__ import annotations

import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1] / "symce"

#: layer → the layers its modules may import (its own included). ``symce.errors`` belongs to core.
ALLOWED = {
    "core": {"core"},
    "engine": {"core", "engine"},
    "families": {"core", "engine", "families"},
    "numeric": {"core", "engine", "numeric"},
    "learning": {"core", "engine", "families", "numeric", "learning"},
    "printing": {"core", "engine", "families", "numeric", "learning", "printing"},
    "app": {"core", "engine", "families", "numeric", "learning", "printing", "app"},
    "face": {"core", "engine", "families", "numeric", "learning", "printing", "app"},
}


def _modules() -> dict[str, tuple[pathlib.Path, bool]]:
    out = {}
    for p in ROOT.rglob("*.py"):
        parts = list(p.relative_to(ROOT.parent).with_suffix("").parts)
        is_pkg = parts[-1] == "__init__"
        out[".".join(parts[:-1] if is_pkg else parts)] = (p, is_pkg)
    return out


MODULES = _modules()


def layer(module: str) -> str:
    parts = module.split(".")
    if module == "symce" or module == "symce.__main__":
        return "face" if module == "symce" else "app"
    if parts[1] == "errors":
        return "core"
    return parts[1]


def _targets(module: str, is_pkg: bool, node) -> list[str]:
    if isinstance(node, ast.Import):
        names = [a.name for a in node.names]
    else:
        base = module.split(".")
        if not is_pkg:
            base = base[:-1]
        if node.level:
            base = base[: len(base) - (node.level - 1)]
            tgt = ".".join(base + ([node.module] if node.module else []))
        else:
            tgt = node.module or ""
        names = [f"{tgt}.{a.name}" if f"{tgt}.{a.name}" in MODULES else tgt for a in node.names]
    out = []
    for t in names:
        if t.split(".")[0] != "symce":
            continue
        while t not in MODULES and "." in t:
            t = t.rsplit(".", 1)[0]
        out.append(t)
    return out


def _graph() -> dict[str, set[str]]:
    g: dict[str, set[str]] = {m: set() for m in MODULES}
    for m, (p, is_pkg) in MODULES.items():
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                g[m].update(t for t in _targets(m, is_pkg, node) if t != m)
    return g


GRAPH = _graph()


def test_every_module_is_in_a_known_layer():
    unknown = sorted(m for m in MODULES if layer(m) not in ALLOWED)
    assert not unknown, f"modules outside the layers of docs/design.md: {unknown}"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_go_down_only(module):
    src = layer(module)
    bad = sorted(t for t in GRAPH[module]
                 if (t == "symce" and module != "symce") or layer(t) not in ALLOWED[src])
    assert not bad, f"{module} (layer {src}) imports {bad}; {src} may import only {sorted(ALLOWED[src])}"


def test_no_import_cycles():
    # Tarjan's strongly connected components: any component of more than one module is a cycle
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    cycles: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in GRAPH[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                cycles.append(sorted(comp))

    for v in sorted(GRAPH):
        if v not in index:
            visit(v)
    assert not cycles, f"import cycles: {cycles}"


def test_the_checker_sees_a_violation(tmp_path):
    # the checker itself can fail: an engine module importing printing is reported
    node = ast.parse("from symce.printing.printer import latex").body[0]
    (t,) = _targets("symce.engine.derivation", False, node)
    assert t == "symce.printing.printer" and layer(t) not in ALLOWED["engine"]
