"""The network between servers, under two semantics.

SET (default): the messages ever sent, never removed. Any message can be delivered
any number of times, in any order, or never: loss, duplication and reordering in one
rule, as in tlaplus/Examples' TwoPhase and most Raft model-checking specs.

BAG: a multiset of messages in flight, stored as a frozenset of (message, copies)
pairs. Delivery consumes one copy; Drop and Duplicate are explicit actions (the
network of Ongaro's raft.tla). ``max_copies`` bounds how many copies of one message
may be in flight, which keeps the space finite.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import Enum
from typing import Any

from raftmodel.messages import Message, message_key

#: SET: frozenset[Message]. BAG: frozenset[tuple[Message, int]] with counts >= 1.
Network = frozenset[Any]


class Semantics(Enum):
    SET = "set"
    BAG = "bag"


EMPTY: Network = frozenset()


def messages(net: Network, sem: Semantics) -> list[Message]:
    """The distinct messages that can be delivered, in canonical order."""
    if sem is Semantics.SET:
        return sorted(net, key=message_key)
    return sorted((m for m, _ in net), key=message_key)


def count(net: Network, m: Message, sem: Semantics) -> int:
    if sem is Semantics.SET:
        return 1 if m in net else 0
    counts: dict[Message, int] = dict(net)
    return counts.get(m, 0)


def as_counts(net: Network, sem: Semantics) -> dict[Message, int]:
    if sem is Semantics.SET:
        return dict.fromkeys(net, 1)
    return dict(net)


def _from_counts(counts: dict[Message, int]) -> Network:
    return frozenset((m, c) for m, c in counts.items() if c > 0)


def send(net: Network, msgs: Iterable[Message], sem: Semantics) -> Network:
    msgs = tuple(msgs)
    if not msgs:
        return net
    if sem is Semantics.SET:
        for m in msgs:
            if m not in net:
                return net.union(msgs)
        # Every message was sent before (a redelivery answered as the first time): the
        # same set, not a copy of it.
        return net
    counts = dict(net)
    for m in msgs:
        counts[m] = counts.get(m, 0) + 1
    return _from_counts(counts)


def consume(net: Network, m: Message, sem: Semantics) -> Network:
    """Delivery: under SET the message stays; under BAG one copy is removed."""
    if sem is Semantics.SET:
        return net
    counts = dict(net)
    counts[m] = counts.get(m, 0) - 1
    return _from_counts(counts)


def max_copies(net: Network, sem: Semantics) -> int:
    if sem is Semantics.SET or not net:
        return 1 if net else 0
    return max(int(c) for _, c in net)
