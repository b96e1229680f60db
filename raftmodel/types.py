"""Scalar types shared by every raftmodel module.

Servers are numbered 1..N, so 0 never names a server and serves as the paper's
``null`` for votedFor (``NIL``). Log indexes are 1-based, as in the paper; index 0
is the empty prefix, whose term is 0.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Final, NamedTuple

NodeId = int
Term = int
Index = int
Value = int

#: votedFor when the node has not voted in its current term (Figure 2: "null").
NIL: Final[NodeId] = 0


class Role(IntEnum):
    """A server's role (Raft §5.1). IntEnum so states hash and sort like ints."""

    FOLLOWER = 0
    CANDIDATE = 1
    LEADER = 2

    @property
    def label(self) -> str:
        return self.name.capitalize()


#: The roles as constants, for the code every step runs: reading ``Role.LEADER`` looks
#: the member up on the enum class each time (about 0.1 microseconds on Python 3.11,
#: compiled or not); a module constant is loaded at once (the compiled build keeps it in
#: a C static).
FOLLOWER: Final = Role.FOLLOWER
CANDIDATE: Final = Role.CANDIDATE
LEADER: Final = Role.LEADER


class ReadPath(IntEnum):
    """How the service (raftmodel.service) answers a client's read.

    LOG: the read is a log entry like a write, answered when applied (Raft §8).
    READ_INDEX: the leader notes its commitIndex, confirms with a heartbeat round that a
    quorum still follows it, and answers once it has applied that far (Raft thesis §6.4).
    LEADER_LOCAL: the leader answers from its own applied state at once: no confirmation,
    so a deposed leader that has not heard of its successor answers stale reads (unsafe).
    """

    LOG = 0
    READ_INDEX = 1
    LEADER_LOCAL = 2

    @property
    def label(self) -> str:
        return self.name.lower().replace("_", "-")


#: A lock grant's fencing token: compared as a tuple (raftmodel.service).
Token = tuple[int, int]
NO_TOKEN: Token = (0, 0)


class Entry(NamedTuple):
    """One log entry: the term in which a leader created it and the client's value.

    Invariant: entries of one log have non-decreasing terms (§5.3).
    """

    term: Term
    value: Value


Log = tuple[Entry, ...]
