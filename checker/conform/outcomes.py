"""What a transition did, read off (before, action, after): the outcome classes a
conformance suite must cover, and an abstract graph per node.

Nothing here decides what Raft should do: every class is an observation of what
raftmodel did (a reply's flag and term, a log that grew or lost a suffix, a commitIndex
that moved, a role that changed). The messages a step sent are the difference of the
network (under the set network a re-sent message is already there; ``sent`` says so
when the caller knows better).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from raftmodel import cluster
from raftmodel.actions import (
    Action,
    ClientRequest,
    Receive,
    Restart,
    SendAppendEntries,
    Timeout,
    action_name,
)
from raftmodel.cluster import ClusterState, Config
from raftmodel.messages import (
    AppendEntries,
    AppendEntriesResponse,
    Event,
    Message,
    RequestVote,
    RequestVoteResponse,
)
from raftmodel.node import NodeState, step
from raftmodel.types import NIL, Log, Role


class Outcome(NamedTuple):
    name: str
    about: str
    #: Why correct Raft never shows it through the harness, or "" when it can.
    unreachable: str = ""


#: Every outcome class, in report order.
OUTCOMES: tuple[Outcome, ...] = (
    Outcome("timeout/election-started", "a follower times out and becomes a candidate (§5.2)"),
    Outcome("timeout/election-restarted", "a candidate times out and starts a new term (§5.2)"),
    Outcome("timeout/elected-alone", "a cluster of one elects itself at once"),
    Outcome("vote/granted", "RequestVote: the vote is granted (§5.2)"),
    Outcome("vote/refused-stale-term", "RequestVote from a lower term is fenced (§5.1)"),
    Outcome("vote/refused-already-voted", "RequestVote refused: voted for another (§5.2)"),
    Outcome(
        "vote/refused-log-not-up-to-date", "RequestVote refused: candidate log behind (§5.4.1)"
    ),
    Outcome("vote-reply/counted", "a candidate counts a granted vote, no majority yet"),
    Outcome("vote-reply/elected", "a candidate wins a majority and leads (§5.2)"),
    Outcome("vote-reply/refusal-noted", "a candidate receives a refusal of its own term"),
    Outcome("vote-reply/late", "a vote reaches a server that is no longer a candidate"),
    Outcome("vote-reply/stale-ignored", "a vote reply from a lower term is ignored (§5.1)"),
    Outcome("append/heartbeat-accepted", "AppendEntries without entries accepted (§5.3)"),
    Outcome("append/entries-appended", "AppendEntries appends new entries (§5.3)"),
    Outcome("append/entries-already-present", "AppendEntries whose entries are all present"),
    Outcome("append/conflict-truncated", "a conflicting suffix is deleted (Figure 2, AE 3)"),
    Outcome("append/rejected-log-mismatch", "the consistency check fails (Figure 2, AE 2)"),
    Outcome("append/rejected-stale-term", "AppendEntries from a lower term is fenced (§5.1)"),
    Outcome("append/candidate-steps-down", "a candidate hears its term's leader (§5.2)"),
    Outcome("append/follower-commit-advanced", "a follower learns a higher leaderCommit (AE 5)"),
    Outcome(
        "append/rejected-by-leader",
        "a leader receives AppendEntries of its own term",
        "two leaders in one term: ElectionSafety forbids it",
    ),
    Outcome("append-reply/match-advanced", "a leader's matchIndex for the follower grows"),
    Outcome("append-reply/leader-commit-advanced", "a leader commits by counting (§5.3, §5.4.2)"),
    Outcome("append-reply/next-decremented", "a refused leader decrements nextIndex (§5.3)"),
    Outcome("append-reply/already-known", "a success reply that teaches the leader nothing"),
    Outcome("append-reply/late", "a reply reaches a server that is no longer leader"),
    Outcome("append-reply/stale-ignored", "an AppendEntries reply from a lower term is ignored"),
    Outcome("send/heartbeat", "a leader sends AppendEntries without entries"),
    Outcome("send/entries", "a leader sends AppendEntries with entries"),
    Outcome("client/appended", "a leader appends a client's value (§5.3)"),
    Outcome("client/committed-alone", "a leader of a cluster of one commits at once"),
    Outcome("step-down/candidate-higher-term", "a candidate sees a higher term (§5.1)"),
    Outcome("step-down/leader-higher-term", "a leader sees a higher term (§5.1)"),
    Outcome("term/follower-adopts-higher", "a follower adopts a higher term (§5.1)"),
    Outcome("restart/follower-state-kept", "a follower restarts, persistent state kept"),
    Outcome("restart/candidate-state-kept", "a candidate restarts, persistent state kept"),
    Outcome("restart/leader-state-kept", "a leader restarts, persistent state kept"),
)
NAMES = frozenset(o.name for o in OUTCOMES)


def _is_prefix(a: Log, b: Log) -> bool:
    return len(a) <= len(b) and b[: len(a)] == a


def acting_node(a: Action) -> int | None:
    """The server whose event the action is (None for the network's own actions)."""
    if isinstance(a, Receive):
        return a.m.dest
    if isinstance(a, Timeout | SendAppendEntries | ClientRequest | Restart):
        return a.i
    return None


def event_of(a: Action) -> Event:
    """The node event a harness action feeds (raftmodel.cluster.event_of's)."""
    found = cluster.event_of(a)
    if found is None:
        raise ValueError(f"no node event for {a!r}")
    return found[1]


def sent_by(s: ClusterState, a: Action, config: Config) -> tuple[Message, ...]:
    """The messages the acting node sends when ``a`` is taken in ``s`` (a restart and the
    network's own actions send none). Under the set network a message sent again is
    already in the network, so the network's difference would miss it."""
    i = acting_node(a)
    if i is None or isinstance(a, Restart):
        return ()
    return step(s.nodes[i - 1], event_of(a), config.n, config.rules)[1]


def _term_changes(b: NodeState, x: NodeState) -> list[str]:
    if x.currentTerm <= b.currentTerm:
        return []
    if b.role == Role.CANDIDATE:
        return ["step-down/candidate-higher-term"]
    if b.role == Role.LEADER:
        return ["step-down/leader-higher-term"]
    return ["term/follower-adopts-higher"]


def _reply(sent: Iterable[Message], typ: type) -> Message | None:
    for m in sent:
        if isinstance(m, typ):
            return m
    return None


def classify(s: ClusterState, a: Action, t: ClusterState, sent: tuple[Message, ...]) -> list[str]:
    """The outcome classes of one transition (``sent``: the messages the step sent)."""
    i = acting_node(a)
    if i is None:
        return []
    b, x = s.nodes[i - 1], t.nodes[i - 1]
    out: list[str] = []
    if isinstance(a, Timeout):
        if x.role == Role.LEADER:
            out.append("timeout/elected-alone")
        elif b.role == Role.CANDIDATE:
            out.append("timeout/election-restarted")
        else:
            out.append("timeout/election-started")
        return out
    if isinstance(a, SendAppendEntries):
        ae = _reply(sent, AppendEntries)
        if isinstance(ae, AppendEntries):
            out.append("send/entries" if ae.entries else "send/heartbeat")
        return out
    if isinstance(a, ClientRequest):
        if x.log != b.log:
            out.append("client/appended")
        if x.commitIndex > b.commitIndex:
            out.append("client/committed-alone")
        return out
    if isinstance(a, Restart):
        kept = (x.currentTerm, x.votedFor, x.log) == (b.currentTerm, b.votedFor, b.log)
        if kept:
            out.append(f"restart/{b.role.name.lower()}-state-kept")
        return out
    assert isinstance(a, Receive)
    m = a.m
    out.extend(_term_changes(b, x))
    if isinstance(m, RequestVote):
        r = _reply(sent, RequestVoteResponse)
        if isinstance(r, RequestVoteResponse):
            if r.voteGranted:
                out.append("vote/granted")
            elif r.term > m.term:
                out.append("vote/refused-stale-term")
            elif x.votedFor not in (NIL, m.source):
                out.append("vote/refused-already-voted")
            else:
                out.append("vote/refused-log-not-up-to-date")
    elif isinstance(m, RequestVoteResponse):
        if m.term < b.currentTerm:
            out.append("vote-reply/stale-ignored")
        elif b.role != Role.CANDIDATE or x.currentTerm != b.currentTerm:
            out.append("vote-reply/late")
        elif x.role == Role.LEADER:
            out.append("vote-reply/elected")
        elif x.votesGranted != b.votesGranted:
            out.append("vote-reply/counted")
        else:
            out.append("vote-reply/refusal-noted")
    elif isinstance(m, AppendEntries):
        r = _reply(sent, AppendEntriesResponse)
        if b.role == Role.CANDIDATE and x.role == Role.FOLLOWER and m.term == b.currentTerm:
            out.append("append/candidate-steps-down")
        if isinstance(r, AppendEntriesResponse):
            if r.success:
                if not _is_prefix(b.log, x.log):
                    out.append("append/conflict-truncated")
                elif len(x.log) > len(b.log):
                    out.append("append/entries-appended")
                elif m.entries:
                    out.append("append/entries-already-present")
                else:
                    out.append("append/heartbeat-accepted")
                if x.commitIndex > b.commitIndex:
                    out.append("append/follower-commit-advanced")
            elif r.term > m.term:
                out.append("append/rejected-stale-term")
            elif b.role == Role.LEADER:
                out.append("append/rejected-by-leader")
            else:
                out.append("append/rejected-log-mismatch")
    elif isinstance(m, AppendEntriesResponse):
        if m.term < b.currentTerm:
            out.append("append-reply/stale-ignored")
        elif b.role != Role.LEADER or x.currentTerm != b.currentTerm:
            out.append("append-reply/late")
        elif not m.success:
            out.append("append-reply/next-decremented")
        else:
            j = m.source - 1
            if x.matchIndex[j] > b.matchIndex[j]:
                out.append("append-reply/match-advanced")
            else:
                out.append("append-reply/already-known")
            if x.commitIndex > b.commitIndex:
                out.append("append-reply/leader-commit-advanced")
    return out


# --- the abstract graph per node -------------------------------------------------------------


def _log_relation(node: NodeState, s: ClusterState) -> str:
    others = [o.log for o in s.nodes if o.id != node.id]
    if all(o == node.log for o in others):
        return "log-same"
    if any(not _is_prefix(o, node.log) and not _is_prefix(node.log, o) for o in others):
        return "log-conflicting"
    if any(len(o) > len(node.log) for o in others):
        return "log-behind"
    return "log-ahead"


def abstract(node: NodeState, s: ClusterState) -> str:
    """role x term relation (highest term in the cluster or behind it) x log relation
    (same as every other, a prefix of a longer one, ahead of all, or conflicting)."""
    top = max(o.currentTerm for o in s.nodes)
    term = "term-highest" if node.currentTerm == top else "term-behind"
    return f"{node.role.label}/{term}/{_log_relation(node, s)}"


def abstract_edge(s: ClusterState, a: Action, t: ClusterState) -> str | None:
    """The acting node's abstract edge, named ``from --Kind--> to``."""
    i = acting_node(a)
    if i is None:
        return None
    before = abstract(s.nodes[i - 1], s)
    after = abstract(t.nodes[i - 1], t)
    return f"{before} --{action_name(a)}--> {after}"
