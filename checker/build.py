"""Which build of the hot modules runs: compiled by mypyc, or pure Python.

``setup.py`` compiles the modules of ``COMPILED`` with mypyc when a C compiler is present
(``RAFTCHECK_PURE=1`` skips it); an editable install leaves each extension next to its
source, and Python imports the extension first. The same source runs either way, so
counts, verdicts and traces are the same; only the speed differs.

An extension older than its source is stale: it runs the code of the last build, not the
code on disk. ``describe`` says so, and ``stale`` lists them, so that an edit without a
rebuild is not silently ignored. This module imports nothing of raftcheck: ``setup.py``
reads ``COMPILED`` from it before anything is built.
"""

from __future__ import annotations

import importlib
import os
import sys
from importlib.machinery import EXTENSION_SUFFIXES

#: The search's hot path: raftmodel (every successor is ``node.step``), the engine's
#: search and fingerprint table, the distributed search's partition (its workers' loop),
#: and the Raft model's fingerprint and properties.
#: (raftmodel's ``__init__`` only re-exports: an editable install imports a package's
#: ``__init__`` from its source, so it stays Python.)
COMPILED: tuple[str, ...] = (
    "raftmodel.actions",
    "raftmodel.cluster",
    "raftmodel.inert",
    "raftmodel.log",
    "raftmodel.memo",
    "raftmodel.messages",
    "raftmodel.mutants",
    "raftmodel.network",
    "raftmodel.node",
    "raftmodel.quorum",
    "raftmodel.rules",
    "raftmodel.service",
    "raftmodel.types",
    "checker.distributed.partition",
    "checker.engine.model",
    "checker.engine.search",
    "checker.engine.store",
    "checker.raft.canon",
    "checker.raft.invariants",
    "checker.raft.model",
)


def source_path(module: str) -> str:
    """The source file of ``module``, relative to the repository root."""
    return module.replace(".", "/") + ".py"


def _file(module: str) -> str:
    return str(getattr(importlib.import_module(module), "__file__", "") or "")


def compiled() -> list[str]:
    """The modules of ``COMPILED`` that run as C extensions."""
    return [m for m in COMPILED if _file(m).endswith(tuple(EXTENSION_SUFFIXES))]


def _group_library() -> str | None:
    """The shared library of the compiled modules (mypyc builds a group of modules as one
    library, ``<hash>__mypyc``, and one small extension per module that loads it), if
    one is loaded."""
    for name, module in list(sys.modules.items()):
        if name.endswith("__mypyc"):
            return str(getattr(module, "__file__", "") or "") or None
    return None


def _built(ext: str, group: str | None) -> float:
    """When the code of a compiled module was built: its code lives in the group's
    library, which every build that changes a module rewrites, while the module's own
    small extension is rewritten only when its interface changes."""
    when = os.path.getmtime(ext)
    if group is not None and os.path.exists(group):
        when = max(when, os.path.getmtime(group))
    return when


def stale() -> list[str]:
    """Compiled modules whose source file changed after their code was built."""
    out = []
    done = compiled()  # imports them, and so the library
    group = _group_library()
    for m in done:
        ext = _file(m)
        src = os.path.join(os.path.dirname(ext), m.rsplit(".", 1)[-1] + ".py")
        if os.path.exists(src) and os.path.getmtime(src) > _built(ext, group):
            out.append(m)
    return out


def describe() -> str:
    """One line for the ``check`` header: which build runs."""
    done = compiled()
    if not done:
        return "pure Python"
    what = f"compiled by mypyc ({len(done)} of {len(COMPILED)} hot modules)"
    old = stale()
    if old:
        what += (
            f"; STALE: {', '.join(old)} changed since the build, which still runs the old "
            "code (rebuild: pip install -e .)"
        )
    return what


__all__ = ["COMPILED", "compiled", "describe", "source_path", "stale"]
