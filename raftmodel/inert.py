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

``applies`` only recognises the known-bug variants by their ``Rules`` fields; a bug
written into ``node.py`` itself leaves it True. ``Guard`` checks the rules on what the
node actually does, independently of ``Rules``, so a search that calls it cannot prune
silently with an unsound view. Each rule the view relies on, and what checks it:

=========================================  ==========================  ===================
rule                                       checker.raft.invariants     Guard
=========================================  ==========================  ===================
currentTerm never decreases (restart too)  TermsMonotonic              ``transition``
a lower-term message changes nothing       StaleTermFenced             ``transition``
the fence reply depends on the term only   (none)                      ``transition``
votedFor kept within a term (restart too)  (none; ElectionSafety only  ``transition``
and one vote per term                      when it makes two leaders)
candidate only by starting a new term      (none)                      ``transition``
a message the view forgets or tokenises    (none)                      ``transition`` (on
does nothing but the fence reply                                       delivery), ``state``
                                                                       (before pruning)
=========================================  ==========================  ===================

Residual gap: the view keeps one state per view and never expands the others, so a
message present only in a state it merged away is checked (by ``state``) against its
destination as it was then, not against the destinations that destination later
becomes. The rules above make "inert now" imply "inert forever" (terms only grow, a vote
holds for the term, a candidate needs a new term), and ``transition`` checks them on
every transition the search takes; a node bug that acts on a forgotten message only from
a later destination state reached solely along merged-away paths would be missed. The
exactness test in ``tests/raftmodel/test_inert.py`` (views of the full space versus the
reduced space) is the complete check, on small configs.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from raftmodel.actions import Action, Receive, Restart
from raftmodel.cluster import ClusterState, Config, model_rules
from raftmodel.messages import (
    APPEND_ENTRIES,
    APPEND_ENTRIES_RESPONSE,
    DEST,
    MTYPE,
    REQUEST_VOTE,
    REQUEST_VOTE_RESPONSE,
    SOURCE,
    TERM,
    AppendEntries,
    AppendEntriesResponse,
    Message,
    RequestVote,
    RequestVoteResponse,
    message_key,
)
from raftmodel.network import Network, Semantics
from raftmodel.node import NodeState, step
from raftmodel.rules import RAFT
from raftmodel.types import CANDIDATE, NIL


def applies(config: Config) -> bool:
    """Is ``view`` sound for this config? Needs SET and Raft's fencing, persistence and one vote."""
    r = config.rules
    return (
        config.semantics is Semantics.SET
        and r.accepts_stale is RAFT.accepts_stale
        and r.persist is RAFT.persist
        and r.can_vote is RAFT.can_vote
    )


#: The tokens made so far, by source, dest and type tag: the view makes one for most
#: stale requests of every state, and building a NamedTuple is the costly part.
_TOKENS: Final[dict[int, Message]] = {}


def stale_token(m: Message) -> Message:
    """The representative of every request of m's kind from m.source to m.dest that can
    only be fenced."""
    kind = m[MTYPE]
    key = (m[SOURCE] << 20 | m[DEST]) << 2 | kind  # an int: hashed and compared at once
    token = _TOKENS.get(key)
    if token is None:
        if kind == REQUEST_VOTE:
            token = RequestVote(m[SOURCE], m[DEST], 0, 0, 0)
        else:
            token = AppendEntries(m[SOURCE], m[DEST], 0, 0, 0, (), 0)
        if len(_TOKENS) < 1_000_000:  # bounded by n^2 kinds of pair; a guard, not a policy
            _TOKENS[key] = token
    return token


def live_form(m: Message, dest: NodeState) -> Message | None:
    """What m can still do at ``dest``: None if nothing ever, else m or its stale token."""
    # The tag and the term by position (raftmodel.messages.MTYPE): once per message of
    # every new state the search views.
    kind: int = m[MTYPE]
    mterm: int = m[TERM]
    term: int = dest.currentTerm
    if kind == REQUEST_VOTE:
        if mterm < term or (mterm == term and dest.votedFor != NIL):
            return stale_token(m)
        return m
    if kind == APPEND_ENTRIES:
        return stale_token(m) if mterm < term else m
    if mterm < term:
        return None
    if kind == REQUEST_VOTE_RESPONSE:
        assert isinstance(m, RequestVoteResponse)
        if mterm > term:
            return m  # still makes the destination step down (§5.1)
        if not m.voteGranted or dest.role != CANDIDATE or m.source in dest.votesGranted:
            return None
        return m
    assert kind == APPEND_ENTRIES_RESPONSE
    return m


def view(s: ClusterState) -> ClusterState:
    """``s`` with every message replaced by its live form (only when ``applies``)."""
    network = view_network(s)
    if network is s.network:
        return s
    # tuple.__new__ builds the NamedTuple in C (its _replace is interpreted, even compiled).
    return _tuple_new(ClusterState, (s.nodes, network, *s[2:]))


def view_network(s: ClusterState) -> Network:
    """The network of ``view(s)``: ``s.network`` itself when no message changes."""
    nodes = s.nodes
    network = s.network
    seen: list[Message] = []
    changed = False
    for m in network:
        dest: int = m[DEST]  # typed: the compiled build subtracts on machine ints
        f = live_form(m, nodes[dest - 1])
        if f is None:
            changed = True
        else:
            seen.append(f)
            changed = changed or f is not m
    if not changed:
        return network
    # Nearly every new state's view changes (two-terms: all but 5 of 324,695), and most
    # of its messages go (8.5 of 13.6 on average): one new set of what is left hashes
    # fewer messages than copying the network, removing the changed ones and adding
    # their tokens (two-terms 5% less CPU compiled).
    return frozenset(seen)


_tuple_new: Final = tuple.__new__


def fence_reply(m: Message, dest: NodeState) -> Message | None:
    """What ``dest`` sends for a message it fences (§5.1): a refusal carrying its term
    for a request, nothing for a response. The stale token stands for every such request
    because this reply reads nothing of the request but its kind, source and dest."""
    if type(m) is RequestVote:
        return RequestVoteResponse(dest.id, m.source, dest.currentTerm, False)
    if type(m) is AppendEntries:
        return AppendEntriesResponse(dest.id, m.source, dest.currentTerm, False, 0)
    return None


def _node_rules(before: NodeState, after: NodeState, restarted: bool) -> str | None:
    who = f"server {after.id}"
    if after.currentTerm < before.currentTerm:
        return f"{who}'s currentTerm went from {before.currentTerm} down to {after.currentTerm}"
    if (
        before.votedFor != NIL
        and after.currentTerm == before.currentTerm
        and after.votedFor != before.votedFor
    ):
        how = "in a restart" if restarted else "within the term"
        return (
            f"{who} changed its vote in term {after.currentTerm} from {before.votedFor} "
            f"to {after.votedFor or 'none'} {how}"
        )
    if (
        after.role == CANDIDATE
        and before.role != CANDIDATE
        and after.currentTerm <= before.currentTerm
    ):
        return f"{who} became a candidate without starting a new term ({after.currentTerm})"
    return None


def _delivery(
    m: Message, before: NodeState, after: NodeState, sent: frozenset[Message]
) -> str | None:
    """The view's claim about m at ``before``, against what delivering it did."""
    live = live_form(m, before)
    if live is m:
        return None
    what = f"{type(m).__name__} {tuple(m)} at server {m.dest} (term {before.currentTerm})"
    if after != before:
        return f"the view forgets the {what}, but delivering it changed the server"
    # A request in the voter's term after it voted may be answered again as before: its
    # earlier answer is already in the (SET) network, so only new messages count.
    allowed = fence_reply(m, before) if live is not None else None
    extra = sorted((tuple(x) for x in sent if x != allowed), key=repr)
    if extra:
        return f"the view forgets the {what}, but delivering it sent {extra[0]}"
    return None


class Guard:
    """Checks, on what raftmodel actually does, the Raft rules that make ``view`` sound
    (the table in the module docstring). For a search that identifies states by their
    view: call ``transition`` on every transition it takes and ``state`` on every state
    it generates (before discarding it as seen); a non-None answer means the view may
    have merged states that are not equivalent, so its verdict must not stand.
    Independent of ``config.rules``' identity: it runs ``node.step`` with them."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self._checked: dict[tuple[Message, NodeState], str | None] = {}

    def transition(self, before: ClusterState, action: Action, after: ClusterState) -> str | None:
        restarted = isinstance(action, Restart)
        for b, a in zip(before.nodes, after.nodes, strict=True):
            if a is not b:
                broken = _node_rules(b, a, restarted)
                if broken is not None:
                    return broken
        if isinstance(action, Receive) and self.config.semantics is Semantics.SET:
            m = action.m
            sent = after.network - before.network
            return _delivery(m, before.nodes[m.dest - 1], after.nodes[m.dest - 1], sent)
        return None

    def state(
        self, s: ClusterState, parent: ClusterState | None = None
    ) -> tuple[Receive, str] | None:
        """Deliver each message ``view(s)`` forgets or tokenises to its destination (one
        step of the node, not an action of the search) and check the view's claim. The
        answer names the delivery, which is enabled in ``s``, so it extends s's trace.

        With ``parent``, the state s was generated from while the search expanded
        ``parent``: the messages s shares with it, at a server the step left alone, are
        delivered from ``parent`` by the search itself (and ``transition`` checks those),
        so only the rest is stepped here."""
        if self.config.semantics is not Semantics.SET:
            return None
        msgs: Iterable[Message] = s.network
        if parent is not None:
            changed = {x.id for x, y in zip(s.nodes, parent.nodes, strict=True) if x is not y}
            fresh = s.network - parent.network
            msgs = (
                fresh if not changed else [m for m in s.network if m.dest in changed or m in fresh]
            )
        n, rules = self.config.n, model_rules(self.config)
        found = None
        for m in msgs:
            if not 1 <= m.dest <= n:
                continue
            dest = s.nodes[m.dest - 1]
            if live_form(m, dest) is m:
                continue
            key = (m, dest)
            if key in self._checked:
                broken = self._checked[key]
            else:
                if len(self._checked) > 500_000:
                    self._checked.clear()
                after, sent = step(dest, m, n, rules)
                new = frozenset(x for x in sent if x not in s.network)
                broken = self._checked[key] = _delivery(m, dest, after, new)
            # The first in canonical order, so that the report is the same in every run.
            if broken is not None and (found is None or message_key(m) < message_key(found[0].m)):
                found = (Receive(m), broken)
        return found
