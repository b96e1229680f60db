"""Safety properties of Raft, named as in the paper (Figure 3), as pure predicates.

State invariants take a ``ClusterState``; transition properties take
``(before, action, after)``. Each predicate returns None when it holds and a short
explanation when it does not, so every tool (model checker, replay, simulation,
Hypothesis) reports a violation the same way. They read state and history variables
only; judging "up-to-date" reuses ``raftmodel.log.is_up_to_date`` of correct Raft.
"""

from __future__ import annotations

from itertools import combinations

from checker.engine import model as engine
from checker.engine.model import Invariant, TransitionProperty, Violation

__all__ = [
    "ALL_NAMES",
    "INVARIANTS",
    "PROPERTIES",
    "TRANSITION_PROPERTIES",
    "Violation",
    "check_state",
    "check_step",
    "check_transition",
]
from raftmodel.actions import Action, Receive
from raftmodel.cluster import ClusterState
from raftmodel.log import is_up_to_date
from raftmodel.messages import RequestVote
from raftmodel.types import Role

# --- state invariants -----------------------------------------------------------------


def election_safety(s: ClusterState) -> str | None:
    # Over the history of elections, not only the current roles: two leaders of one term
    # are a violation even if one of them has since stepped down.
    by_term: dict[int, int] = {}
    for e in sorted(s.elections):
        other = by_term.setdefault(e.term, e.leader)
        if other != e.leader:
            return f"servers {other} and {e.leader} were both elected leader in term {e.term}"
    return None


def leader_completeness(s: ClusterState) -> str | None:
    for node in s.nodes:
        if node.role != Role.LEADER:
            continue
        for c in sorted(s.committed):
            if node.currentTerm <= c.commitTerm:
                continue
            have = node.log[c.index - 1] if c.index <= len(node.log) else None
            if have is None or (have.term, have.value) != (c.term, c.value):
                return (
                    f"entry {c.index} (term {c.term}, value {c.value}) committed in term "
                    f"{c.commitTerm} is missing from leader {node.id} of term {node.currentTerm}"
                )
    return None


def log_matching(s: ClusterState) -> str | None:
    for a, b in combinations(s.nodes, 2):
        for k in range(min(len(a.log), len(b.log)), 0, -1):
            if a.log[k - 1].term == b.log[k - 1].term:
                if a.log[:k] != b.log[:k]:
                    return (
                        f"servers {a.id} and {b.id} agree on the term of entry {k} "
                        f"but their logs differ before it"
                    )
                break
    return None


def state_machine_safety(s: ClusterState) -> str | None:
    at: dict[int, tuple[int, int]] = {}
    for c in sorted(s.committed):
        prev = at.setdefault(c.index, (c.term, c.value))
        if prev != (c.term, c.value):
            return (
                f"two different entries committed at index {c.index}: "
                f"(term {prev[0]}, value {prev[1]}) and (term {c.term}, value {c.value})"
            )
    for a, b in combinations(s.nodes, 2):
        k = min(a.commitIndex, b.commitIndex)
        if a.log[:k] != b.log[:k]:
            return f"servers {a.id} and {b.id} disagree within their committed prefix of {k}"
    return None


INVARIANTS: tuple[Invariant[ClusterState], ...] = (
    Invariant(
        "ElectionSafety",
        "§5.2, Figure 3",
        "at most one leader is elected in a given term",
        election_safety,
    ),
    Invariant(
        "LogMatching",
        "§5.3, Figure 3",
        "two logs with an entry of the same index and term are identical up to it",
        log_matching,
    ),
    Invariant(
        "LeaderCompleteness",
        "§5.4, Figure 3",
        "an entry committed in term T is in the log of every leader of a term > T",
        leader_completeness,
    ),
    Invariant(
        "StateMachineSafety",
        "§5.4.3, Figure 3",
        "no two servers apply different entries at the same index",
        state_machine_safety,
    ),
)


# --- transition properties --------------------------------------------------------------


def terms_monotonic(s: ClusterState, _a: Action, t: ClusterState) -> str | None:
    for before, after in zip(s.nodes, t.nodes, strict=True):
        if after.currentTerm < before.currentTerm:
            return (
                f"server {after.id}'s currentTerm went from {before.currentTerm} "
                f"down to {after.currentTerm}"
            )
    return None


def vote_up_to_date(s: ClusterState, a: Action, t: ClusterState) -> str | None:
    if not (isinstance(a, Receive) and isinstance(a.m, RequestVote)):
        return None
    m = a.m
    before, after = s.nodes[m.dest - 1], t.nodes[m.dest - 1]
    granted_now = (
        after.votedFor == m.source
        and after.currentTerm == m.term
        and (before.votedFor != m.source or before.currentTerm != m.term)
    )
    if granted_now and not is_up_to_date(m.lastLogTerm, m.lastLogIndex, before.log):
        return (
            f"server {m.dest} voted for {m.source} in term {m.term} although the candidate's "
            f"log (last term {m.lastLogTerm}, index {m.lastLogIndex}) is behind its own"
        )
    return None


def stale_term_fenced(s: ClusterState, a: Action, t: ClusterState) -> str | None:
    if not isinstance(a, Receive):
        return None
    m = a.m
    before, after = s.nodes[m.dest - 1], t.nodes[m.dest - 1]
    if m.term < before.currentTerm and after != before:
        return (
            f"server {m.dest} in term {before.currentTerm} changed its state on a "
            f"{type(m).__name__} from term {m.term}"
        )
    return None


def leader_append_only(s: ClusterState, _a: Action, t: ClusterState) -> str | None:
    for before, after in zip(s.nodes, t.nodes, strict=True):
        if (
            before.role == after.role == Role.LEADER
            and before.currentTerm == after.currentTerm
            and after.log[: len(before.log)] != before.log
        ):
            return f"leader {after.id} of term {after.currentTerm} removed or changed entries"
    return None


TRANSITION_PROPERTIES: tuple[TransitionProperty[ClusterState, Action], ...] = (
    TransitionProperty(
        "TermsMonotonic",
        "§5.1",
        "a server's currentTerm never decreases, across restarts too",
        terms_monotonic,
    ),
    TransitionProperty(
        "VoteUpToDate",
        "§5.4.1",
        "a vote is granted only to a candidate whose log is at least as up-to-date as the voter's",
        vote_up_to_date,
    ),
    TransitionProperty(
        "StaleTermFenced",
        "§5.1",
        "a message from a term lower than the receiver's never changes the "
        "receiver (no stale AppendEntries accepted, no stale vote counted)",
        stale_term_fenced,
    ),
    TransitionProperty(
        "LeaderAppendOnly",
        "§5.3, Figure 3",
        "a leader never overwrites or deletes entries in its log",
        leader_append_only,
    ),
)


class _RaftProperties:
    invariants = INVARIANTS
    transition_properties = TRANSITION_PROPERTIES


#: The properties alone, for judging single states and steps outside a search.
PROPERTIES = _RaftProperties()
ALL_NAMES: tuple[str, ...] = engine.property_names(PROPERTIES)


def check_state(s: ClusterState) -> Violation | None:
    """The first invariant ``s`` violates, or None."""
    return engine.check_state(PROPERTIES, s)


def check_transition(s: ClusterState, a: Action, t: ClusterState) -> Violation | None:
    """The first transition property the step violates, or None."""
    return engine.check_transition(PROPERTIES, s, a, t)


def check_step(s: ClusterState, a: Action, t: ClusterState) -> Violation | None:
    """Transition properties of the step, then the state invariants of its target."""
    return engine.check_step(PROPERTIES, s, a, t)
