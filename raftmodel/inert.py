"""Inert messages: the ones that can never again change the cluster, and a view that forgets them.

Under SET semantics the network is every message ever sent, so two clusters whose servers
agree can still differ in old messages that no server will ever act on. ``view(s)``
replaces each message by what it can still do, given its destination's state:

* a response from a term its destination has left is ignored forever (§5.1: stale
  responses are dropped and currentTerm never decreases): forgotten;
* a vote refusal (granted = false) never changes a candidate, and a refusal from a later
  term is one of the responses above once the term is adopted: forgotten when its term
  is at most the destination's currentTerm (a higher term still makes it step down);
* a vote grant in the destination's currentTerm when the destination is no longer a
  candidate of that term, or has already counted it: a server becomes candidate only by
  starting a new term (§5.2), so nothing will count it again: forgotten;
* a request (RequestVote, AppendEntries) from a term its destination has left can only
  be fenced, and the fence reply (§5.1) depends on the destination's term alone, not on
  the request: every stale request of one kind from i to j is the same, shown as a
  term-0 token (no real request has term 0);
* a RequestVote in the voter's currentTerm after the voter has voted (votedFor is not
  null) is answered as before, or refused with a reply forgotten by the second rule: it
  is the stale token too (votedFor persists until the term changes, Figure 2).

Two states with the same view have the same futures (up to the view), so a search may
keep one state per view, as TLC does with a VIEW. ``tests/raftmodel/test_inert.py``
checks this against the full state space: the views of every state reachable without
the reduction are exactly the states reached with it, and every known-bug verdict agrees.

The argument relies on three Raft rules. A variant that breaks one of them (a stale
message accepted, currentTerm or votedFor lost in a restart, a second vote in a term)
gets no reduction: ``applies(config)`` says when the view is sound. Under BAG semantics
the copy bound reads the whole network, so inert messages still matter there: no view.
"""

from __future__ import annotations

from raftmodel.cluster import ClusterState, Config
from raftmodel.messages import (
    AppendEntries,
    AppendEntriesResponse,
    Message,
    RequestVote,
    RequestVoteResponse,
)
from raftmodel.network import Semantics
from raftmodel.node import NodeState
from raftmodel.rules import RAFT
from raftmodel.types import NIL, Role


def applies(config: Config) -> bool:
    """Is ``view`` sound for this config? Needs SET and Raft's fencing, persistence and one vote."""
    r = config.rules
    return (
        config.semantics is Semantics.SET
        and r.accepts_stale is RAFT.accepts_stale
        and r.persist is RAFT.persist
        and r.can_vote is RAFT.can_vote
    )


def stale_token(m: Message) -> Message:
    """The representative of every request of m's kind from m.source to m.dest that can
    only be fenced."""
    if type(m) is RequestVote:
        return RequestVote(m.source, m.dest, 0, 0, 0)
    return AppendEntries(m.source, m.dest, 0, 0, 0, (), 0)


def live_form(m: Message, dest: NodeState) -> Message | None:
    """What m can still do at ``dest``: None if nothing ever, else m or its stale token."""
    t = type(m)
    term = dest.currentTerm
    if t is RequestVote:
        if m.term < term or (m.term == term and dest.votedFor != NIL):
            return stale_token(m)
        return m
    if t is AppendEntries:
        return stale_token(m) if m.term < term else m
    if m.term < term:
        return None
    if t is RequestVoteResponse:
        assert isinstance(m, RequestVoteResponse)
        if m.term > term:
            return m  # still makes the destination step down (§5.1)
        if not m.voteGranted or dest.role != Role.CANDIDATE or m.source in dest.votesGranted:
            return None
        return m
    assert t is AppendEntriesResponse
    return m


def view(s: ClusterState) -> ClusterState:
    """``s`` with every message replaced by its live form (only when ``applies``)."""
    nodes = s.nodes
    kept = set()
    changed = False
    for m in s.network:
        f = live_form(m, nodes[m.dest - 1])
        if f is not m:
            changed = True
            if f is None:
                continue
        kept.add(f)
    if not changed:
        return s
    return s._replace(network=frozenset(kept))
