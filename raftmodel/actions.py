"""The cluster's actions: the contract every tool enumerates (docs/actions.md).

Names are shared with the TLA+ spec and with the ``action`` recorded in ITF traces.
"""

from __future__ import annotations

from enum import IntEnum
from typing import NamedTuple

from raftmodel.messages import Message, message_key
from raftmodel.types import NodeId, Value


class ActionKind(IntEnum):
    """The kind of an action, named as in the TLA+ spec and ITF's ``action``. An IntEnum
    so that it orders and hashes like an int; it is also each action's type tag, so that
    ``Timeout(1)`` does not equal ``Restart(1)`` (NamedTuple equality ignores the class)."""

    Timeout = 0
    SendAppendEntries = 1
    Receive = 2
    ClientRequest = 3
    Restart = 4
    Drop = 5
    Duplicate = 6


class Timeout(NamedTuple):
    """Server i's election timer fires (§5.2)."""

    i: NodeId
    kind: ActionKind = ActionKind.Timeout


class SendAppendEntries(NamedTuple):
    """Leader i sends AppendEntries (entries or heartbeat) to server j (§5.3).

    ``batch`` is how many entries from nextIndex on it carries: 0 is the whole suffix
    (the paper's leader; a heartbeat when the suffix is empty), k >= 1 the first k entries
    (a bounded batch, as real leaders send; enabled only with ``Bounds.max_batch`` >= k).
    """

    i: NodeId
    j: NodeId
    batch: int = 0
    kind: ActionKind = ActionKind.SendAppendEntries


class Receive(NamedTuple):
    """Message m is delivered to m.dest."""

    m: Message
    kind: ActionKind = ActionKind.Receive


class ClientRequest(NamedTuple):
    """A client submits value v to leader i (§5.3)."""

    i: NodeId
    v: Value
    kind: ActionKind = ActionKind.ClientRequest


class Restart(NamedTuple):
    """Server i crashes and recovers with only its persistent state (Figure 2)."""

    i: NodeId
    kind: ActionKind = ActionKind.Restart


class Drop(NamedTuple):
    """BAG semantics only: one copy of m is lost."""

    m: Message
    kind: ActionKind = ActionKind.Drop


class Duplicate(NamedTuple):
    """BAG semantics only: the network makes one more copy of m."""

    m: Message
    kind: ActionKind = ActionKind.Duplicate


Action = Timeout | SendAppendEntries | Receive | ClientRequest | Restart | Drop | Duplicate
_ORDERED: tuple[type, ...] = (
    Timeout,
    SendAppendEntries,
    Receive,
    ClientRequest,
    Restart,
    Drop,
    Duplicate,
)
#: Action names as used in docs, ITF ``#meta.action`` and the TLA+ spec.
ACTION_TYPES: dict[str, type] = {t.__name__: t for t in _ORDERED}
_ORDER: dict[type, int] = {t: k for k, t in enumerate(_ORDERED)}
#: Action names by kind.
ACTION_NAMES: tuple[str, ...] = tuple(k.name for k in ActionKind)
assert tuple(ACTION_TYPES) == ACTION_NAMES, "ActionKind follows the action types' order"


#: The parameters of each action (its fields without the type tag).
def params(t: type) -> tuple[str, ...]:
    return tuple(f for f in t._fields if f != "kind")  # type: ignore[attr-defined]


def action_name(a: Action) -> str:
    return ACTION_NAMES[a.kind]


def action_key(a: Action) -> tuple[object, ...]:
    """A total order on actions, used wherever actions are listed."""
    if isinstance(a, Receive | Drop | Duplicate):
        return (_ORDER[type(a)], message_key(a.m))
    return (_ORDER[type(a)], *a)


def explicit_params(a: Action) -> dict[str, object]:
    """The parameters of ``a`` that differ from their defaults (the type tag always
    does not): what ITF records and ``describe`` shows, so that an action written before a
    defaulted parameter existed (SendAppendEntries' batch) reads and prints as before."""
    defaults = type(a)._field_defaults
    return {
        k: v
        for k, v in zip(a._fields, a, strict=True)
        if k != "kind" and not (k in defaults and defaults[k] == v)
    }


def describe(a: Action) -> str:
    """One legible line, e.g. ``Receive(RequestVote 1->2 term=1 lastLog=(0,0))``."""
    if isinstance(a, Receive | Drop | Duplicate):
        return f"{action_name(a)}({describe_message(a.m)})"
    args = ", ".join(f"{k}={v}" for k, v in explicit_params(a).items())
    return f"{action_name(a)}({args})"


def describe_message(m: Message) -> str:
    name = type(m).__name__
    fields = ", ".join(
        f"{k}={_show(v)}"
        for k, v in zip(m._fields, m, strict=True)
        if k not in ("source", "dest", "mtype")
    )
    return f"{name} {m.source}->{m.dest} [{fields}]"


def _show(v: object) -> str:
    # Entries as the paper writes them (term, value), not as Python reprs.
    if isinstance(v, tuple):
        return "[" + " ".join(f"t{e.term}={e.value}" for e in v) + "]"
    return str(v)
