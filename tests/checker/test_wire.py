"""The partitions' batch format (``checker.distributed.wire``): what travels comes back
equal, of the same classes, and a tuple subclass that is not a plain record keeps
pickle's own way."""

from __future__ import annotations

import pickle
from collections import Counter
from typing import Any, NamedTuple

from checker.distributed import wire
from checker.raft.model import RaftModel
from checker.raft.presets import PRESETS


def _types(x: Any) -> Counter[type]:
    """The classes in ``x``, counted (a frozenset's order may differ once rebuilt)."""
    out: Counter[type] = Counter([type(x)])
    if isinstance(x, (tuple, frozenset)):
        for y in x:
            out.update(_types(y))
    return out


def test_raft_states_come_back_equal_and_of_the_same_classes() -> None:
    model = RaftModel(PRESETS["default"].config())
    states = list(model.init_states())
    for s in states:  # a BFS of the first few hundred states
        if len(states) > 300:
            break
        states.extend(t for _, t in model.successors(s))
    items = [(i, -1, i << 40, s) for i, s in enumerate(states)]
    back = wire.loads(wire.dumps(items))
    assert back == items
    assert [_types(b) for b in back] == [_types(i) for i in items]
    # The records really took the short way: no class's own __new__ is named in the bytes.
    assert b"__new__" in wire.dumps(items) and len(states) > 100


class Point(NamedTuple):
    x: int
    y: int


class Tagged(Point):
    """A record subclass without __slots__: instances carry a dictionary."""


def test_a_record_with_a_dictionary_keeps_its_attributes() -> None:
    t = Tagged(1, 2)
    t.note = "kept"  # type: ignore[attr-defined]
    back = wire.loads(wire.dumps([Point(3, 4), t]))
    assert back == [Point(3, 4), Tagged(1, 2)]
    assert type(back[0]) is Point and type(back[1]) is Tagged
    assert back[1].note == "kept"
    assert pickle.loads(wire.dumps((1, "a", frozenset({2})))) == (1, "a", frozenset({2}))
