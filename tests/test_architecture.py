"""The layers of README's table, enforced: no import cycle between packages (or between
modules at run time), each package imports only what its docstring allows, and argparse
appears nowhere below ``checker.commands``.

The import graph is read with ``ast`` from the source (no module is imported), so a lazy
import inside a function counts like any other; imports under ``if TYPE_CHECKING:`` are
left out of the run-time module graph (they never execute) but not of the package graph.
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

from tests.support import ROOT

#: What each package may import (besides the standard library and third-party packages).
ALLOWED: dict[str, set[str]] = {
    "raftmodel": set(),
    "checker.errors": set(),
    # Which build runs (compiled or pure): it reads module files, imports none of raftcheck.
    "checker.build": set(),
    "checker.files": {"checker.errors"},
    "checker.engine": {"checker.errors", "checker.files"},
    "checker.raft": {"raftmodel", "checker.engine", "checker.errors", "checker.files"},
    "checker.traces": {
        "raftmodel",
        "checker.raft",
        "checker.engine",
        "checker.errors",
        "checker.files",
    },
    "checker.tla": {
        "raftmodel",
        "checker.traces",
        "checker.raft",
        "checker.engine",
        "checker.errors",
        "checker.files",
    },
    # Observed traces: raftmodel's steps and invariants, ITF for the closest path.
    "checker.observed": {
        "raftmodel",
        "checker.traces",
        "checker.raft",
        "checker.engine",
        "checker.errors",
        "checker.files",
    },
    # Histories come from anywhere (Jepsen, other services): no Raft, no other checker.
    "checker.linearizability": {"checker.errors", "checker.files"},
    # The service on raftmodel: its histories go to the one linearizability checker.
    "checker.service": {
        "raftmodel",
        "checker.linearizability",
        "checker.traces",
        "checker.raft",
        "checker.engine",
        "checker.errors",
        "checker.files",
    },
    "checker.prove": {
        "raftmodel",
        "checker.traces",
        "checker.raft",
        "checker.engine",
        "checker.errors",
        "checker.files",
    },
    # The partitioned search explores any Model, like the engine it extends.
    "checker.distributed": {"checker.engine", "checker.errors", "checker.files"},
    "checker.conform": {
        "raftmodel",
        "checker.traces",
        "checker.raft",
        "checker.engine",
        "checker.errors",
        "checker.files",
    },
    # Reports of any verb's outcome (JUnit, SARIF, the HTML viewer): reads traces and
    # properties, re-runs steps through raftmodel to find the handler's source lines.
    "checker.report": {
        "raftmodel",
        "checker.traces",
        "checker.raft",
        "checker.engine",
        "checker.errors",
        "checker.files",
    },
    # Drivers of real implementations: their traces go to the matcher, never to raftmodel.
    "checker.impl": {"checker.observed", "checker.errors", "checker.files"},
}
#: The command layer may import everything; only the entry point imports it.
TOP = {"checker.commands", "checker.cli", "checker"}


def _modules() -> dict[str, Path]:
    out = {}
    for top in ("raftmodel", "checker"):
        for p in sorted((ROOT / top).rglob("*.py")):
            parts = p.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            out[name] = p
    return out


def _package(module: str) -> str:
    parts = module.split(".")
    if parts[0] == "raftmodel":
        return "raftmodel"
    return ".".join(parts[:2])


def _imports(path: Path, module: str, runtime_only: bool, mods: set[str]) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip: set[int] = set()
    if runtime_only:
        for node in ast.walk(tree):
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                skip.update(id(n) for n in ast.walk(node))
    found = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                pkg = module.split(".")
                base = ".".join(pkg[: len(pkg) - node.level + 1] + ([base] if base else []))
            for a in node.names:
                # ``from raftmodel import log`` imports the module raftmodel.log, and
                # raftmodel/__init__ only if a name comes from it.
                sub = f"{base}.{a.name}"
                found.add(sub if sub in mods else base)
    return {m for m in found if m.split(".")[0] in ("raftmodel", "checker")}


def _graph(runtime_only: bool, packages: bool) -> nx.DiGraph:
    mods = _modules()
    g = nx.DiGraph()
    for name, path in mods.items():
        src = _package(name) if packages else name
        g.add_node(src)
        for imp in _imports(path, name, runtime_only, set(mods)):
            # ``from checker.engine import search`` names a module; keep known modules.
            while imp not in mods and "." in imp:
                imp = imp.rsplit(".", 1)[0]
            dst = _package(imp) if packages else imp
            if dst != src and imp in mods:
                g.add_edge(src, dst)
    return g


def test_no_package_level_import_cycle() -> None:
    g = _graph(runtime_only=False, packages=True)
    assert list(nx.simple_cycles(g)) == []


def test_no_module_level_import_cycle_at_run_time() -> None:
    g = _graph(runtime_only=True, packages=False)
    # A package's __init__ importing its own modules is not a cycle worth reporting.
    cycles = [c for c in nx.simple_cycles(g) if not any(m in TOP for m in c)]
    assert cycles == []


def test_each_package_imports_only_what_its_layer_allows() -> None:
    g = _graph(runtime_only=False, packages=True)
    wrong = []
    for src, dst in g.edges:
        if src in TOP:
            continue
        allowed = ALLOWED.get(src)
        assert allowed is not None, f"{src} is a new package: add it to ALLOWED (and docs)"
        if dst not in allowed:
            wrong.append(f"{src} -> {dst}")
    assert wrong == []


def test_only_the_commands_layer_parses_arguments() -> None:
    offenders = [
        name
        for name, path in _modules().items()
        if not (name.startswith("checker.commands") or name == "checker.cli")
        and "argparse" in {a for a in _stdlib_imports(path)}
    ]
    assert offenders == []


def _stdlib_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module.split(".")[0])
    return out


def test_the_entry_point_is_a_few_lines() -> None:
    text = (ROOT / "checker" / "cli.py").read_text()
    assert len([ln for ln in text.splitlines() if ln.strip()]) <= 8


def test_bounds_are_built_with_keywords() -> None:
    # Bounds has six fields of which four are ints: positional arguments are how a bound
    # silently lands in the wrong place (checker/raft/bounds.py is the table of them).
    offenders = []
    for top in ("raftmodel", "checker", "tests", "bench"):
        for p in sorted((ROOT / top).rglob("*.py")):
            for node in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Name)
                    and node.func.id == "Bounds"
                    and node.args
                ):
                    offenders.append(f"{p.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []
