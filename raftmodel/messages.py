"""The four Raft RPCs as frozen records, and the local events a driver feeds a node.

Field names follow Figure 2 of the Raft paper; every message also carries its
``source`` and ``dest``. ``candidateId`` and ``leaderId`` are the source and are
exposed as read-only aliases rather than stored twice. Responses carry the
responder's term, as Figure 2 prescribes, so a stale sender learns it is stale.

Messages are NamedTuples: hashing and equality are structural and cheap, which the
model checker depends on. ``KIND`` orders message types for canonical sorting.
"""

from __future__ import annotations

from typing import Final, NamedTuple

from raftmodel.types import Index, Log, NodeId, Term, Value

#: Every message starts with source, dest and term and ends with its type tag
#: (``mtype``). Code on the search's hot path reads them by position: the compiled
#: build reads a position directly, where a field name is looked up on the class.
SOURCE: Final = 0
DEST: Final = 1
TERM: Final = 2
MTYPE: Final = -1
#: The type tags (``mtype``).
REQUEST_VOTE: Final = 0
REQUEST_VOTE_RESPONSE: Final = 1
APPEND_ENTRIES: Final = 2
APPEND_ENTRIES_RESPONSE: Final = 3


class RequestVote(NamedTuple):
    """RequestVote RPC, invoked by candidates to gather votes (§5.2)."""

    source: NodeId
    dest: NodeId
    term: Term
    lastLogIndex: Index
    lastLogTerm: Term
    #: Type tag: NamedTuple equality ignores the class, so the tag keeps a
    #: RequestVote from equalling an AppendEntriesResponse with the same numbers.
    mtype: int = REQUEST_VOTE

    @property
    def candidateId(self) -> NodeId:
        return self.source


class RequestVoteResponse(NamedTuple):
    """Reply to RequestVote: the voter's currentTerm and whether it granted its vote."""

    source: NodeId
    dest: NodeId
    term: Term
    voteGranted: bool
    #: Type tag: NamedTuple equality ignores the class, so the tag keeps a
    #: RequestVote from equalling an AppendEntriesResponse with the same numbers.
    mtype: int = REQUEST_VOTE_RESPONSE


class AppendEntries(NamedTuple):
    """AppendEntries RPC: replication and heartbeat (§5.3)."""

    source: NodeId
    dest: NodeId
    term: Term
    prevLogIndex: Index
    prevLogTerm: Term
    entries: Log
    leaderCommit: Index
    #: Type tag: NamedTuple equality ignores the class, so the tag keeps a
    #: RequestVote from equalling an AppendEntriesResponse with the same numbers.
    mtype: int = APPEND_ENTRIES

    @property
    def leaderId(self) -> NodeId:
        return self.source


class AppendEntriesResponse(NamedTuple):
    """Reply to AppendEntries. ``matchIndex`` is the last index known to match on
    success (prevLogIndex + len(entries)), which lets a leader tolerate reordering.
    ``lastLogIndex`` is the refusing follower's last log index, the hint of §5.3's
    optimisation ("the follower can include ... the first index it stores" for the
    conflicting term; canonical/raft and etcd send the last index), so the leader can
    skip back past the entries the follower lacks. It is 0 unless the model's option
    ``Bounds.refusal_hint`` is on (and on every success): Figure 2's reply has no hint."""

    source: NodeId
    dest: NodeId
    term: Term
    success: bool
    matchIndex: Index
    lastLogIndex: Index = 0
    #: Type tag: NamedTuple equality ignores the class, so the tag keeps a
    #: RequestVote from equalling an AppendEntriesResponse with the same numbers.
    mtype: int = APPEND_ENTRIES_RESPONSE


Message = RequestVote | RequestVoteResponse | AppendEntries | AppendEntriesResponse
MESSAGE_TYPES: tuple[type, ...] = (
    RequestVote,
    RequestVoteResponse,
    AppendEntries,
    AppendEntriesResponse,
)


#: Position of each message type in the canonical order.
KIND: Final[dict[type, int]] = {t: k for k, t in enumerate(MESSAGE_TYPES)}


def message_key(m: Message) -> tuple[object, ...]:
    """A total order over messages of all types, for deterministic enumeration."""
    return (KIND[type(m)], *m)


# Local events: produced by the driver (timers, clients), never sent on the network.


class ElectionTimeout(NamedTuple):
    """The election timer fired (§5.2). Leaders ignore it."""


class SendAppend(NamedTuple):
    """The leader's replication/heartbeat timer for one peer fired (§5.3). ``batch``:
    how many entries from nextIndex on to send, 0 for all of them."""

    to: NodeId
    batch: int = 0


class Propose(NamedTuple):
    """A client asks the node to append ``value`` (§5.3). Only a leader accepts."""

    value: Value


LocalEvent = ElectionTimeout | SendAppend | Propose
Event = Message | LocalEvent
