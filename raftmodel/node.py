"""A Raft server as a pure state machine: ``step(state, event, n) -> (state, messages)``.

Figure 2 of the Raft paper, with no I/O, clock or randomness: timers, clients and the
network belong to whoever drives the node. ``step`` follows etcd's order: first the
term rule that holds for every role (§5.1), then a handler per event type.

Servers are 1..n; ``n`` is passed in rather than stored so that node states stay
small. Volatile leader state (nextIndex, matchIndex) and votesGranted are reset to
canonical values whenever they stop meaning anything, so that two servers that
differ only in stale bookkeeping are the same state.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from raftmodel import log as rlog
from raftmodel import quorum
from raftmodel.messages import (
    AppendEntries,
    AppendEntriesResponse,
    ElectionTimeout,
    Event,
    Message,
    Propose,
    RequestVote,
    RequestVoteResponse,
    SendAppend,
)
from raftmodel.rules import RAFT, Rules
from raftmodel.types import NIL, Entry, Index, Log, NodeId, Role, Term

Messages = tuple[Message, ...]
NO_MESSAGES: Messages = ()


class NodeState(NamedTuple):
    """One server's state. Persistent (survives restart): currentTerm, votedFor, log."""

    id: NodeId
    currentTerm: Term
    votedFor: NodeId
    log: Log
    role: Role
    commitIndex: Index
    #: Candidates and leaders: the servers whose votes were counted this term.
    votesGranted: frozenset[NodeId]
    #: Leaders only, indexed by server id - 1 (Figure 2, "volatile state on leaders").
    nextIndex: tuple[Index, ...]
    matchIndex: tuple[Index, ...]


def init_node(node_id: NodeId, n: int) -> NodeState:
    """A server on first boot: term 0, no vote, empty log, follower (Figure 2)."""
    return NodeState(node_id, 0, NIL, (), Role.FOLLOWER, 0, frozenset(), (1,) * n, (0,) * n)


def step(s: NodeState, event: Event, n: int, rules: Rules = RAFT) -> tuple[NodeState, Messages]:
    """Feed one event to a node; return its new state and the messages it sends."""
    handler = _HANDLERS[type(event)]
    return handler(s, event, n, rules)


def restart(s: NodeState, n: int, rules: Rules = RAFT) -> NodeState:
    """Crash and recover: keep currentTerm, votedFor and the log; lose the rest (Figure 2)."""
    term, voted = rules.persist(s.currentTerm, s.votedFor)
    return _reset(s, n, term, voted, Role.FOLLOWER, commit=0)


def can_time_out(s: NodeState) -> bool:
    """Followers and candidates start elections when their timer fires; leaders do not (§5.2)."""
    return s.role != Role.LEADER


def is_leader(s: NodeState) -> bool:
    return s.role == Role.LEADER


# --- role changes ------------------------------------------------------------------

_NO_VOTES: frozenset[NodeId] = frozenset()


def _reset(
    s: NodeState,
    n: int,
    term: Term,
    voted: NodeId,
    role: Role,
    votes: frozenset[NodeId] = _NO_VOTES,
    commit: Index | None = None,
) -> NodeState:
    """The one place a role change resets volatile candidate and leader state (votes,
    nextIndex, matchIndex: Figure 2 "reinitialized after election"), so that stale
    bookkeeping never tells two otherwise equal states apart."""
    return NodeState(
        s.id,
        term,
        voted,
        s.log,
        role,
        s.commitIndex if commit is None else commit,
        votes,
        (1,) * n,
        (0,) * n,
    )


def _become_follower(s: NodeState, term: Term, n: int) -> NodeState:
    # §5.1: a new term clears the vote; the same term (a candidate meeting the leader) keeps it.
    voted = s.votedFor if term == s.currentTerm else NIL
    return _reset(s, n, term, voted, Role.FOLLOWER)


def _become_leader(s: NodeState, n: int) -> NodeState:
    # Figure 2: nextIndex starts just past the leader's last entry, matchIndex at 0.
    return s._replace(role=Role.LEADER, nextIndex=(len(s.log) + 1,) * n, matchIndex=(0,) * n)


def _advance_commit(s: NodeState, n: int, rules: Rules) -> NodeState:
    # Figure 2, Rules for Servers, Leaders: commit the highest N replicated on a quorum
    # whose entry is of the current term (§5.4.2; the Figure 8 mutant relaxes the term test).
    # Every index up to the quorum's committed index is on a quorum too, so the search
    # for the term test goes down from there.
    match = list(s.matchIndex)
    match[s.id - 1] = len(s.log)
    top = min(quorum.committed_index(match, rules.quorum(n)), len(s.log))
    for index in range(top, s.commitIndex, -1):
        if rules.commit_ok(s.log[index - 1].term, s.currentTerm):
            return s._replace(commitIndex=index)
    return s


# --- local events --------------------------------------------------------------------


def _on_timeout(s: NodeState, _e: Event, n: int, rules: Rules) -> tuple[NodeState, Messages]:
    if not can_time_out(s):
        return s, NO_MESSAGES
    # §5.2: increment currentTerm, vote for self, request votes from every other server.
    term = s.currentTerm + 1
    s = _reset(s, n, term, s.id, Role.CANDIDATE, votes=rules.campaign_votes(s.votesGranted, s.id))
    if quorum.is_quorum(s.votesGranted, n, rules.quorum(n)):  # a cluster of one elects itself
        return _become_leader(s, n), NO_MESSAGES
    last_index, last_term = len(s.log), rlog.last_term(s.log)
    msgs = tuple(
        RequestVote(s.id, j, term, last_index, last_term) for j in range(1, n + 1) if j != s.id
    )
    return s, msgs


def _on_send_append(s: NodeState, e: Event, n: int, rules: Rules) -> tuple[NodeState, Messages]:
    assert isinstance(e, SendAppend)
    to = e.to
    if s.role != Role.LEADER or to == s.id or not 1 <= to <= n:
        return s, NO_MESSAGES
    # §5.3: send the entries from nextIndex on (none: a heartbeat), with the entry before
    # it: all of them (batch 0, Figure 2's "log entries to store"), or the first ``batch``
    # (Figure 2: "may send more than one for efficiency": any prefix is a valid request).
    prev = s.nextIndex[to - 1] - 1
    prev_term = rlog.term_at(s.log, prev)
    assert prev_term is not None, "nextIndex never exceeds lastLogIndex + 1"
    entries = s.log[prev:] if e.batch == 0 else s.log[prev : prev + e.batch]
    msg = AppendEntries(s.id, to, s.currentTerm, prev, prev_term, entries, s.commitIndex)
    return s, (msg,)


def _on_propose(s: NodeState, e: Event, n: int, rules: Rules) -> tuple[NodeState, Messages]:
    assert isinstance(e, Propose)
    if s.role != Role.LEADER:
        return s, NO_MESSAGES
    # §5.3: the leader appends the command to its own log as a new entry.
    at = rules.append_at(len(s.log), s.commitIndex)
    log = (*s.log[:at], Entry(s.currentTerm, e.value))
    if len(log) <= len(s.log):
        # Only a variant (append_over_uncommitted) overwrites its own log. Its nextIndex
        # must still name an entry it has (prevLogIndex = nextIndex - 1, §5.3), so it is
        # pulled back to the new end; matchIndex keeps the stale claim: that is the bug.
        s = s._replace(nextIndex=tuple(min(x, len(log) + 1) for x in s.nextIndex))
    s = s._replace(log=log)
    return _advance_commit(s, n, rules), NO_MESSAGES


# --- messages ------------------------------------------------------------------------


def _on_message(s: NodeState, e: Event, n: int, rules: Rules) -> tuple[NodeState, Messages]:
    m: Message = e  # type: ignore[assignment]
    if m.dest != s.id:
        return s, NO_MESSAGES
    # Figure 2, All Servers: a higher term makes the receiver adopt it and step down (§5.1).
    if m.term > s.currentTerm:
        if not rules.adopts_higher(m):
            # Only in a variant: step down, but in the old term, and drop the message.
            return _become_follower(s, s.currentTerm, n), NO_MESSAGES
        s = _become_follower(s, m.term, n)
    elif m.term < s.currentTerm and not rules.accepts_stale(m):
        return _fence(s, m)
    return _MESSAGE_HANDLERS[type(m)](s, m, n, rules)


def _fence(s: NodeState, m: Message) -> tuple[NodeState, Messages]:
    # §5.1: terms are fencing tokens. Requests from a stale term are refused with our term,
    # so the stale sender steps down; stale responses are ignored.
    if isinstance(m, RequestVote):
        return s, (RequestVoteResponse(s.id, m.source, s.currentTerm, False),)
    if isinstance(m, AppendEntries):
        return s, (AppendEntriesResponse(s.id, m.source, s.currentTerm, False, 0),)
    return s, NO_MESSAGES


def _on_request_vote(s: NodeState, m: Message, n: int, rules: Rules) -> tuple[NodeState, Messages]:
    assert isinstance(m, RequestVote)
    # Figure 2, RequestVote receiver: grant if votedFor is null or candidateId, and the
    # candidate's log is at least as up-to-date as the receiver's (§5.2, §5.4.1).
    grant = rules.can_vote(s.votedFor, m.source) and rules.log_ok(
        m.lastLogTerm, m.lastLogIndex, s.log
    )
    if grant:
        s = s._replace(votedFor=m.source)
    return s, (RequestVoteResponse(s.id, m.source, s.currentTerm, grant),)


def _on_request_vote_response(
    s: NodeState, m: Message, n: int, rules: Rules
) -> tuple[NodeState, Messages]:
    assert isinstance(m, RequestVoteResponse)
    if s.role != Role.CANDIDATE or not m.voteGranted:
        return s, NO_MESSAGES
    # §5.2: a candidate that holds votes from a majority becomes leader.
    votes = s.votesGranted | {m.source}
    s = s._replace(votesGranted=votes)
    if quorum.is_quorum(votes, n, rules.quorum(n)):
        s = _become_leader(s, n)
    return s, NO_MESSAGES


def _on_append_entries(
    s: NodeState, m: Message, n: int, rules: Rules
) -> tuple[NodeState, Messages]:
    assert isinstance(m, AppendEntries)
    if m.term < s.currentTerm:
        # Only reachable when rules.accepts_stale lets a stale leader through: the
        # receiver adopts the lower term (the "term regresses" bug).
        s = _become_follower(s, m.term, n)
    elif s.role == Role.CANDIDATE:
        # §5.2: a candidate that hears from the leader of its own term steps down.
        s = _become_follower(s, m.term, n)
    elif s.role == Role.LEADER:
        # Two leaders in one term: impossible in Raft, reachable in buggy variants. Refuse.
        return s, (AppendEntriesResponse(s.id, m.source, s.currentTerm, False, 0),)
    # Figure 2, AppendEntries receiver step 2: the consistency check (§5.3).
    if not rules.consistent(s.log, m.prevLogIndex, m.prevLogTerm):
        commit = rules.follower_commit(
            s.commitIndex, m.leaderCommit, m.prevLogIndex + len(m.entries), False
        )
        if commit != s.commitIndex:
            s = s._replace(commitIndex=commit)
        # §5.3's optimisation, under the model option: the refusal names the follower's
        # last log index, so the leader can skip the entries the follower lacks.
        hint = len(s.log) if rules.refusal_hint else 0
        return s, (AppendEntriesResponse(s.id, m.source, s.currentTerm, False, 0, hint),)
    # Steps 3-4: truncate a conflicting suffix and append what is new.
    log = rules.merge(s.log, m.prevLogIndex, m.entries)
    # The index of the last new entry; never past the log's end, which only a variant that
    # skips the consistency check could otherwise claim (its entries land lower).
    last_new = min(m.prevLogIndex + len(m.entries), len(log))
    # Step 5: commitIndex = min(leaderCommit, index of last new entry); never backwards.
    commit = rules.follower_commit(s.commitIndex, m.leaderCommit, last_new, True)
    s = s._replace(log=log, commitIndex=commit)
    return s, (AppendEntriesResponse(s.id, m.source, s.currentTerm, True, last_new),)


def _on_append_entries_response(
    s: NodeState, m: Message, n: int, rules: Rules
) -> tuple[NodeState, Messages]:
    assert isinstance(m, AppendEntriesResponse)
    if s.role != Role.LEADER:
        return s, NO_MESSAGES
    j = m.source - 1
    if m.success:
        # Figure 2, Leaders: update nextIndex and matchIndex for the follower. max() keeps
        # nextIndex monotone when responses arrive out of order or twice.
        match = rules.match_update(s.matchIndex[j], m.matchIndex, len(s.log))
        nxt = max(s.nextIndex[j], m.matchIndex + 1)
        s = s._replace(matchIndex=_put(s.matchIndex, j, match), nextIndex=_put(s.nextIndex, j, nxt))
        return _advance_commit(s, n, rules), NO_MESSAGES
    # Figure 2, Leaders: on a consistency-check failure, decrement nextIndex and retry
    # (with the model option, jump using the follower's hint: §5.3).
    hint = m.lastLogIndex if rules.refusal_hint else None
    nxt = rules.next_on_refusal(s.nextIndex[j], s.matchIndex[j], hint)
    return s._replace(nextIndex=_put(s.nextIndex, j, nxt)), NO_MESSAGES


def _put(t: tuple[int, ...], i: int, v: int) -> tuple[int, ...]:
    return (*t[:i], v, *t[i + 1 :])


_Handler = Callable[[NodeState, Event, int, Rules], tuple[NodeState, Messages]]
_MsgHandler = Callable[[NodeState, Message, int, Rules], tuple[NodeState, Messages]]

# Dispatch by exact type: cheaper than a chain of isinstance in the checker's hot path.
_MESSAGE_HANDLERS: dict[type, _MsgHandler] = {
    RequestVote: _on_request_vote,
    RequestVoteResponse: _on_request_vote_response,
    AppendEntries: _on_append_entries,
    AppendEntriesResponse: _on_append_entries_response,
}
_HANDLERS: dict[type, _Handler] = {
    ElectionTimeout: _on_timeout,
    SendAppend: _on_send_append,
    Propose: _on_propose,
    RequestVote: _on_message,
    RequestVoteResponse: _on_message,
    AppendEntries: _on_message,
    AppendEntriesResponse: _on_message,
}
