"""Safety properties of Raft, named as in the paper (Figure 3), as pure predicates.

State invariants take a ``ClusterState``; transition properties take
``(before, action, after)``. Each predicate returns None when it holds and a short
explanation when it does not, so every tool (model checker, replay, simulation,
Hypothesis) reports a violation the same way. They read state and history variables
only; judging "up-to-date" reuses ``raftmodel.log.is_up_to_date`` of correct Raft.
"""

from __future__ import annotations

from itertools import combinations
from typing import Final

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
    "first_state_violation",
    "first_transition_violation",
]
from raftmodel.actions import Action, Receive, Restart, Timeout
from raftmodel.cluster import ClusterState
from raftmodel.log import is_up_to_date
from raftmodel.messages import RequestVote, RequestVoteResponse
from raftmodel.quorum import majority
from raftmodel.types import LEADER

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
        if node.role != LEADER:
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


def commit_within_log(s: ClusterState) -> str | None:
    for node in s.nodes:
        if node.commitIndex > len(node.log):
            return (
                f"server {node.id}'s commitIndex {node.commitIndex} is past its log "
                f"of {len(node.log)} entries"
            )
    return None


def next_index_above_match(s: ClusterState) -> str | None:
    for node in s.nodes:
        if node.role != LEADER:
            continue
        for j, (nxt, match) in enumerate(zip(node.nextIndex, node.matchIndex, strict=True), 1):
            if j != node.id and nxt <= match:
                return (
                    f"leader {node.id}'s nextIndex for {j} is {nxt}, not above its "
                    f"matchIndex {match}"
                )
    return None


def committed_on_quorum(s: ClusterState) -> str | None:
    need = majority(len(s.nodes))
    for c in sorted(s.committed):
        held = sum(
            1
            for node in s.nodes
            if c.index <= len(node.log)
            and (node.log[c.index - 1].term, node.log[c.index - 1].value) == (c.term, c.value)
        )
        if held < need:
            return (
                f"entry {c.index} (term {c.term}, value {c.value}) was committed but only "
                f"{held} of {len(s.nodes)} logs hold it"
            )
    return None


def match_index_agrees(s: ClusterState) -> str | None:
    # What raftmodel guarantees of matchIndex: a follower still in the leader's term
    # holds the leader's log up to it (it acknowledged that prefix in this term, and
    # within a term only this leader's AppendEntries change its log, without truncating
    # a matching prefix). A follower that moved on to a later term is not constrained.
    for node in s.nodes:
        if node.role != LEADER:
            continue
        for f in s.nodes:
            if f.id == node.id or f.currentTerm != node.currentTerm:
                continue
            k = node.matchIndex[f.id - 1]
            if k > len(f.log) or f.log[:k] != node.log[:k]:
                return (
                    f"leader {node.id} of term {node.currentTerm} has matchIndex {k} for "
                    f"server {f.id}, whose log does not hold its first {k} entries"
                )
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
        "CommitWithinLog",
        "Figure 2 AppendEntries 5",
        "a server's commitIndex never exceeds the length of its log",
        commit_within_log,
    ),
    Invariant(
        "StateMachineSafety",
        "§5.4.3, Figure 3",
        "no two servers apply different entries at the same index",
        state_machine_safety,
    ),
    Invariant(
        "CommittedOnQuorum",
        "§5.4.3, Figure 3",
        "every entry ever committed is held by a majority of the servers' logs",
        committed_on_quorum,
    ),
    Invariant(
        "NextIndexAboveMatch",
        "Figure 2 Rules for Leaders",
        "a leader's nextIndex for each follower is above its matchIndex for it",
        next_index_above_match,
    ),
    Invariant(
        "MatchIndexAgrees",
        "§5.3, Figure 2 Rules for Leaders",
        "a follower in its leader's term holds the leader's log up to the leader's "
        "matchIndex for it",
        match_index_agrees,
    ),
)


# --- transition properties --------------------------------------------------------------

# _NATIVE_ZIP: the properties below pair the servers of the two states of one step (a
# cluster never changes size) with a plain ``zip(s.nodes, t.nodes)``, which mypyc compiles
# to an indexed loop; ``strict=True`` would make it a generic call (these run on every
# transition of a search).


def terms_monotonic(s: ClusterState, _a: Action, t: ClusterState) -> str | None:
    for before, after in zip(s.nodes, t.nodes):  # noqa: B905 (see _NATIVE_ZIP)
        # A step changes at most one server; the others are the same objects.
        if before is not after and after.currentTerm < before.currentTerm:
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
    for before, after in zip(s.nodes, t.nodes):  # noqa: B905 (see _NATIVE_ZIP)
        if (
            before.log is not after.log
            and before.role == after.role == LEADER
            and before.currentTerm == after.currentTerm
            and after.log[: len(before.log)] != before.log
        ):
            return f"leader {after.id} of term {after.currentTerm} removed or changed entries"
    return None


def commit_index_monotonic(s: ClusterState, a: Action, t: ClusterState) -> str | None:
    # commitIndex is volatile (Figure 2): a restart resets it to 0; nothing else lowers it.
    restarted = a.i if isinstance(a, Restart) else 0
    for before, after in zip(s.nodes, t.nodes):  # noqa: B905 (see _NATIVE_ZIP)
        # A step changes one server; the others are the same objects (checked per step).
        if before is after:
            continue
        if after.id != restarted and after.commitIndex < before.commitIndex:
            return (
                f"server {after.id}'s commitIndex went from {before.commitIndex} down "
                f"to {after.commitIndex}"
            )
    return None


def match_index_monotonic(s: ClusterState, _a: Action, t: ClusterState) -> str | None:
    for before, after in zip(s.nodes, t.nodes):  # noqa: B905 (see _NATIVE_ZIP)
        if before.matchIndex is after.matchIndex or not (
            before.role == after.role == LEADER and before.currentTerm == after.currentTerm
        ):
            continue
        was, now = before.matchIndex, after.matchIndex
        for j in range(1, len(now) + 1):  # indexed: compiled, a loop over ints (_NATIVE_ZIP)
            if now[j - 1] < was[j - 1]:
                return (
                    f"leader {after.id}'s matchIndex for {j} went from {was[j - 1]} down to "
                    f"{now[j - 1]} in term {after.currentTerm}"
                )
    return None


def higher_term_adopted(s: ClusterState, a: Action, t: ClusterState) -> str | None:
    if not isinstance(a, Receive):
        return None
    m = a.m
    before, after = s.nodes[m.dest - 1], t.nodes[m.dest - 1]
    if m.term > before.currentTerm and after.currentTerm != m.term:
        return (
            f"server {m.dest} in term {before.currentTerm} received a {type(m).__name__} "
            f"of term {m.term} and ended the step in term {after.currentTerm}"
        )
    return None


def votes_from_current_term(s: ClusterState, a: Action, t: ClusterState) -> str | None:
    # At the moment a vote is counted, not over the network: under BAG semantics the
    # granting message may be gone once counted. The only ways into votesGranted are the
    # candidate's own vote when it times out and a granted RequestVoteResponse of its
    # current term from the voter, received in this step (§5.2).
    for before, after in zip(s.nodes, t.nodes):  # noqa: B905 (see _NATIVE_ZIP)
        if before.votesGranted is after.votesGranted:
            continue
        kept = before.votesGranted if before.currentTerm == after.currentTerm else frozenset()
        for v in sorted(after.votesGranted - kept):
            if v == after.id and a == Timeout(after.id):
                continue
            if (
                isinstance(a, Receive)
                and isinstance(a.m, RequestVoteResponse)
                and (a.m.source, a.m.dest, a.m.term) == (v, after.id, after.currentTerm)
                and a.m.voteGranted
            ):
                continue
            return (
                f"server {after.id} counts a vote from {v} in term {after.currentTerm} "
                f"that was not granted to it in that term in this step"
            )
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
    TransitionProperty(
        "CommitIndexMonotonic",
        "Figure 2 AppendEntries 5",
        "a server's commitIndex never decreases, except when it restarts (it is volatile)",
        commit_index_monotonic,
    ),
    TransitionProperty(
        "MatchIndexMonotonic",
        "Figure 2 Rules for Leaders",
        "a leader's matchIndex for a follower never decreases within its term",
        match_index_monotonic,
    ),
    TransitionProperty(
        "HigherTermAdopted",
        "§5.1, Figure 2 All Servers",
        "a server that receives a message of a higher term ends the step in that term",
        higher_term_adopted,
    ),
    TransitionProperty(
        "VotesFromCurrentTerm",
        "§5.2",
        "every vote a candidate counts was granted to it in its current term, received "
        "in the step that counts it (or is its own, at its timeout)",
        votes_from_current_term,
    ),
)


# --- every property in one call -----------------------------------------------------------
#
# The engine calls a property through its record, a generic call: in the compiled build
# that costs about what a short property does (two-terms spent 15% of its CPU on the
# transition properties, a third of it in the calls). The functions below call each
# property directly, in the order of the tuples above, and return what the engine's loop
# over them would; RaftModel offers them to the engine (``engine.transition_checker``).
# _FUSED_* name the functions in the order they are called, checked against the tuples
# when this module loads; tests/checker/test_invariants.py checks that both agree on
# every step of the bug catalog's counterexamples.

_FUSED_STATE: Final = (
    election_safety,
    log_matching,
    leader_completeness,
    commit_within_log,
    state_machine_safety,
    committed_on_quorum,
    next_index_above_match,
    match_index_agrees,
)
_FUSED_TRANSITION: Final = (
    terms_monotonic,
    vote_up_to_date,
    stale_term_fenced,
    leader_append_only,
    commit_index_monotonic,
    match_index_monotonic,
    higher_term_adopted,
    votes_from_current_term,
)
if [p.check for p in INVARIANTS] != list(_FUSED_STATE) or [
    p.check for p in TRANSITION_PROPERTIES
] != list(_FUSED_TRANSITION):
    raise ImportError("first_state_violation/first_transition_violation out of date")


def _state(k: int, detail: str) -> Violation:
    return Violation(INVARIANTS[k].name, detail)


def _transition(k: int, detail: str) -> Violation:
    return Violation(TRANSITION_PROPERTIES[k].name, detail)


def first_state_violation(s: ClusterState) -> Violation | None:
    """``engine.check_state`` over INVARIANTS, in one call (see above)."""
    if (d := election_safety(s)) is not None:
        return _state(0, d)
    if (d := log_matching(s)) is not None:
        return _state(1, d)
    if (d := leader_completeness(s)) is not None:
        return _state(2, d)
    if (d := commit_within_log(s)) is not None:
        return _state(3, d)
    if (d := state_machine_safety(s)) is not None:
        return _state(4, d)
    if (d := committed_on_quorum(s)) is not None:
        return _state(5, d)
    if (d := next_index_above_match(s)) is not None:
        return _state(6, d)
    if (d := match_index_agrees(s)) is not None:
        return _state(7, d)
    return None


def first_transition_violation(s: ClusterState, a: Action, t: ClusterState) -> Violation | None:
    """``engine.first_violation`` over TRANSITION_PROPERTIES, in one call (see above)."""
    if (d := terms_monotonic(s, a, t)) is not None:
        return _transition(0, d)
    if (d := vote_up_to_date(s, a, t)) is not None:
        return _transition(1, d)
    if (d := stale_term_fenced(s, a, t)) is not None:
        return _transition(2, d)
    if (d := leader_append_only(s, a, t)) is not None:
        return _transition(3, d)
    if (d := commit_index_monotonic(s, a, t)) is not None:
        return _transition(4, d)
    if (d := match_index_monotonic(s, a, t)) is not None:
        return _transition(5, d)
    if (d := higher_term_adopted(s, a, t)) is not None:
        return _transition(6, d)
    if (d := votes_from_current_term(s, a, t)) is not None:
        return _transition(7, d)
    return None


class _RaftProperties:
    invariants = INVARIANTS
    transition_properties = TRANSITION_PROPERTIES


#: The properties alone, for judging single states and steps outside a search.
PROPERTIES = _RaftProperties()
ALL_NAMES: tuple[str, ...] = engine.property_names(PROPERTIES)


def check_state(s: ClusterState) -> Violation | None:
    """The first invariant ``s`` violates, or None."""
    return first_state_violation(s)


def check_transition(s: ClusterState, a: Action, t: ClusterState) -> Violation | None:
    """The first transition property the step violates, or None."""
    return first_transition_violation(s, a, t)


def check_step(s: ClusterState, a: Action, t: ClusterState) -> Violation | None:
    """Transition properties of the step, then the state invariants of its target."""
    v = first_transition_violation(s, a, t)
    return v if v is not None else first_state_violation(t)
