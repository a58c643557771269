"""The shape of the code (issue 13, STYLE.md): the tools are known only to connectors/, layers
import only downwards, and no import circle exists. Read from the source with ``ast``: every
import counts, also one inside a function (a lazy import still ties two modules), except those
under ``if TYPE_CHECKING:`` (annotations only)."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from raci_sync.connectors import KINDS

SRC = Path(__file__).resolve().parents[1] / "src" / "raci_sync"

# What each part of the package may import (besides itself). The connectors' registry
# (`raci_sync.connectors` and its Kind records) is data every layer may read: it is how config,
# mapping and sync learn the tools; a connector's client, conversions or HTTP layer are not.
REGISTRY = {"raci_sync.connectors", "raci_sync.connectors.kind"} | {
    f"raci_sync.connectors.{name}" for name in KINDS
}
ALLOWED: dict[str, set[str]] = {
    "errors": set(),
    "model": {"errors"},
    "interrupt": set(),
    "i18n": set(),  # the texts for people: every layer that writes for people may use it
    "config": {"i18n", "errors", "model", "registry"},
    "connectors": {"errors", "model", "config", "interrupt", "connectors"},
    "mapping": {"i18n", "errors", "model", "config", "registry"},
    "store": {"errors", "model"},
    "reports": {"i18n", "errors", "model", "config"},
    # chat notifications: what the reports say, posted through the HTTP layer, recorded
    "notify": {"i18n", "errors", "model", "config", "connectors", "reports", "store"},
    "lock": {"errors"},
    "progress": {"errors", "model"},
    "sync": {"i18n", "errors", "model", "config", "connectors", "mapping", "store", "interrupt"},
    "fix": {
        "i18n",
        "errors",
        "model",
        "config",
        "connectors",
        "mapping",
        "store",
        "interrupt",
        "sync",
    },
    "demo": {
        "i18n",
        "errors",
        "model",
        "config",
        "connectors",
        "mapping",
        "store",
        "sync",
        "reports",
        "progress",
    },
    "init": {"errors", "model", "config", "connectors"},  # raci init: ask the tools, draft
    "cli": {"*"},
    "entry": {"interrupt", "cli"},
    "__main__": {"entry"},
    "__init__": set(),
}


def modules() -> Iterator[tuple[str, Path]]:
    for path in sorted(SRC.rglob("*.py")):
        parts = path.relative_to(SRC).with_suffix("").parts
        if parts[-1] == "__init__" and len(parts) > 1:
            parts = parts[:-1]
        yield ".".join(("raci_sync", *parts)), path


def imports(path: Path, *, top_level_only: bool = False) -> set[str]:
    """The raci_sync modules a file imports (relative imports resolved)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = {
        id(stmt)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
        for stmt in ast.walk(node)
    }
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    found: set[str] = set()
    for node in nodes:
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("raci_sync")}
        elif (
            isinstance(node, ast.ImportFrom)
            and node.level == 0
            and (node.module or "").startswith("raci_sync")
        ):
            found.add(str(node.module))
            found |= {f"{node.module}.{a.name}" for a in node.names}
    known = {name for name, _ in modules()}
    return {m for m in found if m in known}


def part(module: str) -> str:
    """The layer of a module: ``raci_sync.reports.email.smtp`` → ``reports``."""
    rest = module.split(".")[1:]
    return rest[0] if rest else "__init__"


def layer_of_import(target: str) -> str:
    return "registry" if target in REGISTRY else part(target)


def test_layers_import_only_downwards() -> None:
    wrong = []
    for module, path in modules():
        mine = part(module)
        allowed = ALLOWED.get(mine)
        assert allowed is not None, f"{module}: add its layer to ALLOWED"
        for target in imports(path):
            theirs = layer_of_import(target)
            if theirs in (mine, "__init__") or "*" in allowed or theirs in allowed:
                continue
            if theirs == "registry" and "connectors" in allowed:
                continue
            wrong.append(f"{module} imports {target} ({mine} → {theirs})")
    assert wrong == []


def circles(graph: dict[str, set[str]]) -> list[str]:
    """Every import circle of a graph (module → modules it imports), as "a → b → a"."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    found: list[str] = []

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                found.append(" → ".join([*trail[trail.index(nxt) :], nxt]))
            elif nxt not in state:
                visit(nxt, [*trail, nxt])
        state[node] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    return found


def test_no_import_circle() -> None:
    """Module-level imports only: a function's lazy import runs after both modules loaded."""
    graph = {module: imports(path, top_level_only=True) - {module} for module, path in modules()}
    assert circles(graph) == []


def test_circles_are_found() -> None:
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == ["a → b → c → a"]
    assert circles({"a": {"b"}, "b": set()}) == []


def test_no_module_outside_connectors_names_a_tool() -> None:
    """A tool's name in code (not in a docstring) outside connectors/ would mean that place must
    change for a fifth tool; they learn the tools from the Kind records instead."""
    names = {k.name for k in KINDS.values()} | {k.title for k in KINDS.values()}
    word = re.compile(r"\b(" + "|".join(re.escape(n) for n in sorted(names)) + r")\b", re.I)
    named = []
    for module, path in modules():
        if part(module) == "connectors":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {
            id(node.body[0].value)
            for node in ast.walk(tree)
            if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
            and node.body
            and isinstance(node.body[0], ast.Expr)
            and isinstance(node.body[0].value, ast.Constant)
        }
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and id(node) not in docstrings
                and word.search(node.value)
            ):
                named.append(f"{module}:{node.lineno}: {node.value[:60]!r}")
    assert named == []


@pytest.mark.parametrize(
    ("source", "found"),
    [
        ("import raci_sync.reports\n", {"raci_sync.reports"}),
        ("def f():\n    from raci_sync.store import Store\n", {"raci_sync.store"}),
        ("if TYPE_CHECKING:\n    from raci_sync.store import Store\n", set()),
    ],
)
def test_the_import_reader_sees_lazy_imports_and_skips_annotations_only(
    tmp_path: Path, source: str, found: set[str]
) -> None:
    path = tmp_path / "m.py"
    path.write_text(source, encoding="utf-8")
    assert imports(path) == found
