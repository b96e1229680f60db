"""The shape every state raftmodel can reach has, as a pure check of a given state.

A trace may start mid-life (its first state is not Init), so that state comes from
outside the model. ``problems`` says whether raftmodel could ever be in it: only facts
that hold in EVERY state reachable under correct Raft and under every catalog variant
(``raftmodel.mutants``), so a well-formed state is never refused for the variant it was
recorded on. Safety properties (ElectionSafety and the rest) are not restated here:
breaking them is what the checker reports as a violation, not malformed input.

Each problem names the variable like a path: ``S2.nextIndex[3]`` is server 2's
nextIndex for server 3, ``S1.log[2]`` the second entry (1-based, as in the paper).
"""

from __future__ import annotations

from typing import NamedTuple

from raftmodel.actions import describe_message
from raftmodel.cluster import ClusterState, Config
from raftmodel.messages import AppendEntries, Message, RequestVote
from raftmodel.network import messages
from raftmodel.node import NodeState
from raftmodel.types import NIL, NodeId, Role


class Problem(NamedTuple):
    """One broken fact: server ``node``'s (None: the cluster's) variable ``var`` at
    ``key`` (a server id for nextIndex/matchIndex, a 1-based log index for log)."""

    node: NodeId | None
    var: str
    key: int | None
    detail: str

    @property
    def where(self) -> str:
        head = self.var if self.node is None else f"S{self.node}.{self.var}"
        return head if self.key is None else f"{head}[{self.key}]"

    def __str__(self) -> str:
        return f"{self.where}: {self.detail}"


def problems(state: ClusterState, config: Config) -> list[Problem]:
    """Every well-formedness problem of ``state`` under ``config``, in a fixed order
    (servers ascending, then the network and the history); empty when well-formed."""
    n = config.n
    if len(state.nodes) != n:
        return [Problem(None, "nodes", None, f"{len(state.nodes)} servers (must be {n})")]
    out: list[Problem] = []
    for k, node in enumerate(state.nodes):
        if node.id != k + 1:
            out.append(Problem(None, "nodes", k + 1, f"server id {node.id} (must be {k + 1})"))
    if out:
        return out
    for node in state.nodes:
        out.extend(_node_problems(node, state, config))
    out.extend(_message_problems(state, config))
    out.extend(_history_problems(state, n))
    if state.restarts < 0:
        out.append(Problem(None, "restarts", None, f"{state.restarts} (must be >= 0)"))
    if state.requests < 0:
        out.append(Problem(None, "requests", None, f"{state.requests} (must be >= 0)"))
    return out


def first_problem(state: ClusterState, config: Config) -> Problem | None:
    found = problems(state, config)
    return found[0] if found else None


def _node_problems(s: NodeState, state: ClusterState, config: Config) -> list[Problem]:
    n, i = config.n, s.id
    out: list[Problem] = []

    def bad(var: str, key: int | None, detail: str) -> None:
        out.append(Problem(i, var, key, detail))

    if s.currentTerm < 0:
        bad("currentTerm", None, f"{s.currentTerm} (must be >= 0)")
    if s.votedFor != NIL and not 1 <= s.votedFor <= n:
        bad("votedFor", None, f"{s.votedFor} (must be none or a server in 1..{n})")
    for k, e in enumerate(s.log, start=1):
        # Entries are created by leaders (§5.3), whose term is at least 1.
        if e.term < 1:
            bad("log", k, f"term {e.term} (must be >= 1: leaders create entries)")
        # Neither "terms never decrease" (§5.3) nor "term <= currentTerm": they hold on
        # Raft, but a variant that forgets or lowers the term (term_not_persisted,
        # stale_append_accepted) keeps entries of later terms, and the latter can then
        # lead a lower term and append below them (tests/raftmodel/test_wellformed.py).
    # Not "commitIndex <= lastLogIndex": truncate_on_stale_append cuts below it.
    if s.commitIndex < 0:
        bad("commitIndex", None, f"{s.commitIndex} (must be >= 0)")
    outside = sorted(v for v in s.votesGranted if not 1 <= v <= n)
    if outside:
        bad("votesGranted", None, f"server {outside[0]} is not in 1..{n}")
    quorum = config.rules.quorum(n)
    if s.role in (Role.CANDIDATE, Role.LEADER):
        # §5.2: a candidate votes for itself and counts its own vote. (Its votedFor may
        # have moved on since: double_vote grants a rival's request in the same term.)
        if i not in s.votesGranted:
            bad("votesGranted", None, f"{_ids(s.votesGranted)} lacks its own vote")
        if s.role is Role.CANDIDATE and len(s.votesGranted) >= quorum:
            bad(
                "votesGranted",
                None,
                f"{_ids(s.votesGranted)} is a quorum ({quorum} of {n}): the candidate "
                "would already lead",
            )
        if s.role is Role.LEADER and len(s.votesGranted) < quorum:
            bad(
                "votesGranted",
                None,
                f"{_ids(s.votesGranted)} is not a quorum ({quorum} of {n}) (§5.2)",
            )
    elif s.votesGranted:
        bad(
            "votesGranted",
            None,
            f"{_ids(s.votesGranted)} (only candidates and leaders count votes)",
        )
    if len(s.nextIndex) != n:
        bad("nextIndex", None, f"{len(s.nextIndex)} entries (must be {n})")
        return out
    if len(s.matchIndex) != n:
        bad("matchIndex", None, f"{len(s.matchIndex)} entries (must be {n})")
        return out
    if s.role is not Role.LEADER:
        # The node resets volatile leader state canonically when it stops leading.
        role = s.role.label.lower()
        for j in range(1, n + 1):
            if s.nextIndex[j - 1] != 1:
                bad(
                    "nextIndex",
                    j,
                    f"{s.nextIndex[j - 1]} (must be 1: a {role} keeps no leader state)",
                )
            if s.matchIndex[j - 1] != 0:
                bad(
                    "matchIndex",
                    j,
                    f"{s.matchIndex[j - 1]} (must be 0: a {role} keeps no leader state)",
                )
        return out
    last = len(s.log)
    if s.currentTerm < 1:
        bad("currentTerm", None, f"{s.currentTerm} (a leader's term is >= 1)")
    if (s.currentTerm, i) not in {(e.term, e.leader) for e in state.elections}:
        bad(
            "role",
            None,
            f"Leader of term {s.currentTerm} but elections lacks (term {s.currentTerm}, S{i})",
        )
    for j in range(1, n + 1):
        nxt, match = s.nextIndex[j - 1], s.matchIndex[j - 1]
        # Figure 2: nextIndex is where the next AppendEntries starts, so the entry before
        # it (prevLogIndex = nextIndex - 1) must exist: node.py asserts it when sending.
        # Even append_over_uncommitted, whose leader overwrites its own log, pulls
        # nextIndex back to the new end (node._on_propose).
        if not 1 <= nxt <= last + 1:
            bad("nextIndex", j, f"{nxt} (must be 1..lastLogIndex+1 = 1..{last + 1})")
        # Not "matchIndex <= lastLogIndex" (append_over_uncommitted's leader keeps a stale
        # matchIndex past its shrunk log) nor "matchIndex < nextIndex" (next_below_match
        # breaks it; NextIndexAboveMatch reports it as a violation).
        if match < 0:
            bad("matchIndex", j, f"{match} (must be >= 0)")
    return out


def _message_problems(state: ClusterState, config: Config) -> list[Problem]:
    return [
        Problem(None, "messages", None, f"{describe_message(m)}: {detail}")
        for m in messages(state.network, config.semantics)
        for detail in _message_details(m, config.n)
    ]


def _message_details(m: Message, n: int) -> list[str]:
    out: list[str] = []
    if not (1 <= m.source <= n and 1 <= m.dest <= n):
        out.append(f"source and dest must be servers in 1..{n}")
    elif m.source == m.dest:
        out.append("a server never sends to itself")
    if m.term < 1:
        out.append("term must be >= 1")
    if isinstance(m, RequestVote) and (m.lastLogIndex == 0) != (m.lastLogTerm == 0):
        out.append("lastLogTerm is 0 exactly when lastLogIndex is 0")
    if isinstance(m, AppendEntries):
        if (m.prevLogIndex == 0) != (m.prevLogTerm == 0):
            out.append("prevLogTerm is 0 exactly when prevLogIndex is 0")
        if any(e.term < 1 for e in m.entries):
            out.append("entry terms must be >= 1")
    return out


def _history_problems(state: ClusterState, n: int) -> list[Problem]:
    out: list[Problem] = []
    for e in sorted(state.elections):
        if e.term < 1 or not 1 <= e.leader <= n:
            out.append(
                Problem(
                    None,
                    "elections",
                    None,
                    f"(term {e.term}, S{e.leader}): a leader of a term >= 1 in 1..{n}",
                )
            )
    for c in sorted(state.committed):
        # Not "commitTerm >= term": a server whose term regressed (stale_append_accepted)
        # commits entries of later terms.
        if c.index < 1 or c.term < 1 or c.commitTerm < 1:
            out.append(
                Problem(
                    None,
                    "committed",
                    None,
                    f"index {c.index} term {c.term} committed in term {c.commitTerm}: "
                    "index, term and commit term are >= 1",
                )
            )
    return out


def _ids(ids: frozenset[NodeId]) -> str:
    return "{" + ", ".join(f"S{v}" for v in sorted(ids)) + "}"
