"""Which raftmodel function a step ran, and where its source is: SARIF's thread flows
point each step at those lines (a RequestVote delivered points at node.py's RequestVote
handler).

The step is re-run through ``raftmodel.cluster.apply`` under ``sys.setprofile`` so the
answer is what ran, not a table kept beside the node (a stale RequestVote is answered by
the fencing code, not by the vote handler); ``inspect`` then gives the lines.
"""

from __future__ import annotations

import inspect
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import CodeType, FrameType
from typing import Any

import raftmodel
from raftmodel import cluster, node
from raftmodel.actions import Action
from raftmodel.cluster import ClusterState, Config

#: The repository root (raftmodel's parent): locations are relative to it.
ROOT = Path(raftmodel.__file__).resolve().parent.parent
_RAFTMODEL = str(Path(raftmodel.__file__).resolve().parent)
_NODE = str(Path(node.__file__).resolve())


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

    old = sys.getprofile()
    sys.setprofile(profile)
    try:
        after = cluster.apply(before, action, config)
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
    return _location(code if code is not None else cluster.apply.__code__)


__all__ = ["ROOT", "Location", "handler_location"]
