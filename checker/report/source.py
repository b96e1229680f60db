"""Which raftmodel function a step ran, and where its source is: SARIF's thread flows
point each step at those lines (a RequestVote delivered points at node.py's RequestVote
handler).

The step is re-run through ``raftmodel.cluster.apply`` under ``sys.setprofile`` so the
answer is what ran, not a table kept beside the node (a stale RequestVote is answered by
the fencing code, not by the vote handler); ``inspect`` then gives the lines.

When raftmodel runs compiled by mypyc, its functions are C code that a profiler does not
see and that has no source lines; the step then runs on a twin of raftmodel loaded from
its ``.py`` sources (the same files the extensions were built from), with the state and
the action carried over by pickling.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import inspect
import pickle
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from importlib.machinery import ModuleSpec
from pathlib import Path
from types import CodeType, FrameType, ModuleType
from typing import Any

import raftmodel
from raftmodel import cluster
from raftmodel.actions import Action
from raftmodel.cluster import ClusterState, Config

#: The repository root (raftmodel's parent): locations are relative to it.
ROOT = Path(raftmodel.__file__).resolve().parent.parent
_RAFTMODEL = str(Path(raftmodel.__file__).resolve().parent)
# The source, also when node runs as an extension (its __file__ is then the .so).
_NODE = str(Path(_RAFTMODEL) / "node.py")


def _raftmodel_modules() -> dict[str, ModuleType]:
    return {k: m for k, m in sys.modules.items() if k == "raftmodel" or k.startswith("raftmodel.")}


class _SourceFinder(importlib.abc.MetaPathFinder):
    """Finds raftmodel's modules as their .py files, never as compiled extensions."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if fullname != "raftmodel" and not fullname.startswith("raftmodel."):
            return None
        base = Path(_RAFTMODEL)
        parts = fullname.split(".")[1:]
        if not parts:
            return importlib.util.spec_from_file_location(
                fullname, base / "__init__.py", submodule_search_locations=[str(base)]
            )
        return importlib.util.spec_from_file_location(
            fullname, base.joinpath(*parts[:-1], parts[-1] + ".py")
        )


@contextmanager
def _modules(these: dict[str, ModuleType]) -> Iterator[None]:
    """``sys.modules`` holds ``these`` as raftmodel for the duration (pickle resolves
    classes and functions through it)."""
    real = _raftmodel_modules()
    for k in real:
        del sys.modules[k]
    sys.modules.update(these)
    try:
        yield
    finally:
        for k in these:
            sys.modules.pop(k, None)
        sys.modules.update(real)


@cache
def _source_twin() -> dict[str, ModuleType]:
    """raftmodel loaded again from its sources, beside the running (compiled) one."""
    finder = _SourceFinder()
    loaded: dict[str, ModuleType] = {}
    with _modules({}):
        sys.meta_path.insert(0, finder)
        try:
            importlib.import_module("raftmodel.cluster")
        finally:
            sys.meta_path.remove(finder)
        loaded = _raftmodel_modules()
    return loaded


def _compiled() -> bool:
    return not hasattr(cluster.apply, "__code__")


@dataclass(frozen=True)
class Location:
    """A function's source: a path relative to the repository root, 1-based lines."""

    path: str
    start: int
    end: int
    function: str


@cache
def _location(code: CodeType) -> Location:
    lines, start = inspect.getsourcelines(code)
    path = Path(code.co_filename).resolve()
    try:
        rel = path.relative_to(ROOT).as_posix()
    except ValueError:
        rel = path.as_posix()
    return Location(rel, start, start + len(lines) - 1, code.co_name)


def _calls(before: ClusterState, action: Action, config: Config) -> list[CodeType] | None:
    """The raftmodel functions entered while ``action`` is applied to ``before``, in
    order; None when the action is not enabled there."""
    seen: list[CodeType] = []

    def profile(frame: FrameType, event: str, _arg: Any) -> None:
        if event == "call" and frame.f_code.co_filename.startswith(_RAFTMODEL):
            seen.append(frame.f_code)

    harness: Any = cluster
    if _compiled():
        twin = _source_twin()
        carried = pickle.dumps((before, action, config))
        with _modules(twin):
            before, action, config = pickle.loads(carried)
        harness = twin["raftmodel.cluster"]
    old = sys.getprofile()
    # A step the search took is remembered (raftmodel.memo): its handler must run again.
    with harness.unremembered():
        sys.setprofile(profile)
        try:
            after = harness.apply(before, action, config)
        finally:
            sys.setprofile(old)
    return None if after is None else seen


def _pick(calls: list[CodeType]) -> CodeType | None:
    """The most specific handler: node.py's last message or event handler (``_on_*``, or
    the fencing of a stale term), else a node.py function the harness called (restart),
    else the first other raftmodel function below ``cluster.apply`` (the network's)."""
    in_node = [c for c in calls if str(Path(c.co_filename).resolve()) == _NODE]
    handlers = [c for c in in_node if c.co_name.startswith("_on_") or c.co_name == "_fence"]
    if handlers:
        return handlers[-1]
    public = [c for c in in_node if not c.co_name.startswith("_")]
    if public:
        return public[0]
    rest = [c for c in calls if c.co_name not in ("apply", "_enabled", "event_of")]
    return rest[0] if rest else None


def handler_location(before: ClusterState, action: Action, config: Config) -> Location:
    """Where the code that handled ``action`` in ``before`` is (``cluster.apply`` itself
    when the step is not enabled there: a trace that leaves the model)."""
    calls = _calls(before, action, config)
    code = None if calls is None else _pick(calls)
    if code is None:
        apply = _source_twin()["raftmodel.cluster"].apply if _compiled() else cluster.apply
        code = apply.__code__
    return _location(code)


__all__ = ["ROOT", "Location", "handler_location"]
