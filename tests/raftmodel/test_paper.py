"""One test per claim of the Raft paper (Ongaro & Ousterhout, 2014), after etcd's
raft_paper_test.go: each test sets a node (or a cluster) up, drives it with
``raftmodel.node.step`` or ``raftmodel.script.Script``, and checks the paper's sentence.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from raftmodel import mutants
from raftmodel.cluster import Committed, Config, Election
from raftmodel.messages import (
    AppendEntries,
    AppendEntriesResponse,
    ElectionTimeout,
    Message,
    Propose,
    RequestVote,
    RequestVoteResponse,
    SendAppend,
)
from raftmodel.node import NodeState, init_node, restart, step
from raftmodel.script import Script
from raftmodel.types import NIL, Entry, Log, Role

N = 3


def node(
    i: int = 1,
    term: int = 0,
    role: Role = Role.FOLLOWER,
    *,
    n: int = N,
    log: Log = (),
    voted: int = NIL,
    commit: int = 0,
    votes: frozenset[int] = frozenset(),
    next_index: tuple[int, ...] | None = None,
    match_index: tuple[int, ...] | None = None,
) -> NodeState:
    """A NodeState built directly. Candidates and leaders default to having voted for
    themselves; leaders to Figure 2's fresh nextIndex/matchIndex."""
    if role != Role.FOLLOWER:
        votes = votes or frozenset({i})
        voted = voted or i
    if role == Role.LEADER:
        next_index = next_index or (len(log) + 1,) * n
        match_index = match_index or (0,) * n
    return init_node(i, n)._replace(
        currentTerm=term,
        votedFor=voted,
        log=log,
        role=role,
        commitIndex=commit,
        votesGranted=votes,
        nextIndex=next_index or (1,) * n,
        matchIndex=match_index or (0,) * n,
    )


def L(*terms: int) -> Log:
    """A log with the given terms; the value of entry k is 10 * term + k."""
    return tuple(Entry(t, 10 * t + k) for k, t in enumerate(terms, start=1))


def ae(
    src: int, dst: int, term: int, prev: int, prev_term: int, entries: Log = (), commit: int = 0
) -> AppendEntries:
    return AppendEntries(src, dst, term, prev, prev_term, entries, commit)


def ok(src: int, dst: int, term: int, match: int) -> AppendEntriesResponse:
    return AppendEntriesResponse(src, dst, term, True, match)


def refused(src: int, dst: int, term: int) -> AppendEntriesResponse:
    return AppendEntriesResponse(src, dst, term, False, 0)


def typed(msgs: Iterable[Message]) -> list[tuple[str, Message]]:
    """Messages with their type: NamedTuple equality alone ignores it, e.g.
    RequestVote(1, 2, 2, 0, 0) == AppendEntriesResponse(1, 2, 2, False, 0)."""
    return [(type(m).__name__, m) for m in msgs]


def run(s: NodeState, *events: Any, n: int = N, rules: Any = None) -> NodeState:
    """Feed events in order; return the final state."""
    for e in events:
        s, _ = step(s, e, n) if rules is None else step(s, e, n, rules)
    return s


ROLES = [Role.FOLLOWER, Role.CANDIDATE, Role.LEADER]


# --- §5.1: terms ---------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("kind", ["RequestVote", "RequestVoteResponse", "AE", "AEResponse"])
def test_higher_term_makes_any_role_step_down(role: Role, kind: str) -> None:
    """If a server's current term is smaller than another's, it updates its current term to
    the larger value. If a candidate or leader discovers that its term is out of date, it
    immediately reverts to follower state. A new term clears votedFor.
    Reference: section 5.1"""
    s = node(1, 3, role, log=L(1, 3), voted=2 if role == Role.FOLLOWER else NIL)
    messages: dict[str, Message] = {
        # A stale-log candidate: the vote is refused, so votedFor shows the reset.
        "RequestVote": RequestVote(2, 1, 5, 1, 1),
        "RequestVoteResponse": RequestVoteResponse(2, 1, 5, False),
        "AE": ae(2, 1, 5, 9, 9),  # fails the consistency check: only the term rule acts
        "AEResponse": refused(2, 1, 5),
    }
    msg = messages[kind]
    after, _ = step(s, msg, N)
    assert (after.currentTerm, after.role, after.votedFor) == (5, Role.FOLLOWER, NIL)
    assert after.votesGranted == frozenset()
    assert after.log == s.log


@pytest.mark.parametrize("role", ROLES)
def test_stale_requests_are_refused_with_the_receivers_term(role: Role) -> None:
    """If a server receives a request with a stale term number, it rejects the request
    (terms act as fencing tokens); the reply carries the receiver's current term so that
    the stale sender updates itself. The receiver is left unchanged.
    Reference: section 5.1"""
    s = node(1, 4, role, log=L(1, 2))
    after, out = step(s, ae(2, 1, 3, 2, 2, L(1, 2, 3)[2:], 3), N)
    assert after == s
    assert typed(out) == typed([refused(1, 2, 4)])
    after, out = step(s, RequestVote(3, 1, 3, 9, 3), N)
    assert after == s
    assert typed(out) == typed([RequestVoteResponse(1, 3, 4, False)])


@pytest.mark.parametrize("role", ROLES)
def test_stale_responses_are_ignored(role: Role) -> None:
    """Responses from an earlier term change nothing (a stale vote is not counted, a stale
    acknowledgement does not advance matchIndex).
    Reference: section 5.1"""
    s = node(1, 4, role, log=L(4), n=5)
    for m in (RequestVoteResponse(2, 1, 3, True), ok(2, 1, 3, 1), refused(2, 1, 3)):
        assert step(s, m, 5) == (s, ())


def test_leader_of_term_28_is_fenced_after_term_29_leader_is_elected() -> None:
    """A deposed leader keeps sending AppendEntries for term 28 after a leader of term 29
    was elected; the follower of term 29 refuses them, the old leader learns term 29 from
    the reply and steps down without having changed anyone's log (lecture notes example).
    Reference: section 5.1"""
    old = node(1, 28, Role.LEADER, log=L(27, 28))
    follower = node(2, 29, log=L(27), voted=3)
    old, out = step(old, Propose(7), N)  # the old leader still accepts a client request
    old, out = step(old, SendAppend(2), N)
    (request,) = out
    assert isinstance(request, AppendEntries) and request.term == 28
    after, out = step(follower, request, N)
    assert after == follower
    assert typed(out) == typed([refused(2, 1, 29)])
    deposed, out = step(old, out[0], N)
    assert (deposed.role, deposed.currentTerm, deposed.votedFor) == (Role.FOLLOWER, 29, NIL)
    assert out == ()
    assert deposed.commitIndex == 0  # the term-28 entries were never committed
    assert step(deposed, Propose(8), N) == (deposed, ())


# --- §5.2: leader election -------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.FOLLOWER, Role.CANDIDATE])
def test_timeout_starts_an_election(role: Role) -> None:
    """To begin an election, a follower increments its current term and transitions to
    candidate state. It then votes for itself and issues RequestVote RPCs in parallel to
    each of the other servers, carrying its last log index and term. A candidate whose
    election times out starts a new election the same way.
    Reference: section 5.2"""
    s = node(2, 3, role, n=5, log=L(1, 3), votes=frozenset({2, 4}))
    after, out = step(s, ElectionTimeout(), 5)
    assert (after.role, after.currentTerm, after.votedFor) == (Role.CANDIDATE, 4, 2)
    assert after.votesGranted == frozenset({2})
    assert after.log == s.log
    assert typed(out) == typed([RequestVote(2, j, 4, 2, 3) for j in (1, 3, 4, 5)])


def test_leader_ignores_election_timeout() -> None:
    """Leaders send heartbeats instead of starting elections; only followers and candidates
    time out.
    Reference: section 5.2"""
    s = node(1, 2, Role.LEADER, log=L(2))
    assert step(s, ElectionTimeout(), N) == (s, ())


def test_candidate_wins_with_two_of_three_votes() -> None:
    """A candidate wins an election if it receives votes from a majority of the servers in
    the full cluster: with three servers, its own vote and one other (lecture notes).
    Reference: section 5.2"""
    s = Script(Config(n=3)).timeout(1)
    assert s.state.nodes[0].role == Role.CANDIDATE  # one vote of three is not enough
    s.vote(1, 2)
    leader = s.state.nodes[0]
    assert (leader.role, leader.currentTerm, leader.votesGranted) == (
        Role.LEADER,
        1,
        frozenset({1, 2}),
    )
    assert s.state.elections == frozenset({Election(1, 1)})


def test_refused_and_duplicate_votes_do_not_elect() -> None:
    """A candidate counts one vote per server and only granted votes: with five servers it
    needs three distinct voters.
    Reference: section 5.2"""
    c = node(1, 1, Role.CANDIDATE, n=5)
    granted = RequestVoteResponse(2, 1, 1, True)
    c = run(c, granted, granted, RequestVoteResponse(3, 1, 1, False), n=5)
    assert (c.role, c.votesGranted) == (Role.CANDIDATE, frozenset({1, 2}))
    c = run(c, RequestVoteResponse(4, 1, 1, True), n=5)
    assert c.role == Role.LEADER


def test_new_leader_initialises_next_and_match_index() -> None:
    """When a leader first comes to power, it initializes all nextIndex values to the index
    just after the last one in its log, and matchIndex to 0.
    Reference: Figure 2"""
    c = node(1, 3, Role.CANDIDATE, log=L(1, 2))
    leader = run(c, RequestVoteResponse(3, 1, 3, True))
    assert leader.role == Role.LEADER
    assert (leader.nextIndex, leader.matchIndex) == ((3, 3, 3), (0, 0, 0))


def test_one_vote_per_term() -> None:
    """Each server will vote for at most one candidate in a given term, on a first-come-
    first-served basis; a repeated request from the same candidate gets the same answer.
    Reference: section 5.2"""
    s = node(1, 1)
    s, out = step(s, RequestVote(2, 1, 1, 0, 0), N)
    assert s.votedFor == 2
    assert typed(out) == typed([RequestVoteResponse(1, 2, 1, True)])
    s2, out = step(s, RequestVote(3, 1, 1, 0, 0), N)
    assert s2 == s
    assert typed(out) == typed([RequestVoteResponse(1, 3, 1, False)])
    s3, out = step(s, RequestVote(2, 1, 1, 0, 0), N)
    assert s3 == s
    assert typed(out) == typed([RequestVoteResponse(1, 2, 1, True)])
    # A new term is a new vote.
    s4, out = step(s, RequestVote(3, 1, 2, 0, 0), N)
    assert (s4.currentTerm, s4.votedFor) == (2, 3)
    assert typed(out) == typed([RequestVoteResponse(1, 3, 2, True)])


@pytest.mark.parametrize("role", [Role.CANDIDATE, Role.LEADER])
def test_candidates_and_leaders_refuse_votes_in_their_own_term(role: Role) -> None:
    """A candidate has voted for itself, so it refuses another candidate of the same term.
    Reference: section 5.2"""
    s = node(1, 2, role)
    after, out = step(s, RequestVote(2, 1, 2, 5, 2), N)
    assert after == s
    assert typed(out) == typed([RequestVoteResponse(1, 2, 2, False)])


@pytest.mark.parametrize(
    ("last_term", "last_index", "granted"),
    [(1, 5, False), (2, 1, False), (2, 2, True), (2, 3, True), (3, 1, True)],
)
def test_vote_refused_to_a_candidate_with_a_stale_log(
    last_term: int, last_index: int, granted: bool
) -> None:
    """The voter denies its vote if its own log is more up-to-date than that of the
    candidate: a later last term wins; with the same last term, the longer log wins.
    Reference: section 5.4.1"""
    voter = node(2, 2, log=L(1, 2))
    after, out = step(voter, RequestVote(3, 2, 3, last_index, last_term), N)
    assert typed(out) == typed([RequestVoteResponse(2, 3, 3, granted)])
    assert after.currentTerm == 3  # the term is adopted either way
    assert after.votedFor == (3 if granted else NIL)


def test_candidate_steps_down_on_append_entries_of_its_own_term() -> None:
    """While waiting for votes, a candidate may receive an AppendEntries RPC from another
    server claiming to be leader. If the leader's term is at least as large as the
    candidate's current term, the candidate recognizes the leader and returns to follower
    state (keeping its vote for itself in this term).
    Reference: section 5.2"""
    c = node(1, 2, Role.CANDIDATE, log=L(1))
    after, out = step(c, ae(2, 1, 2, 1, 1, L(1, 2)[1:]), N)
    assert (after.role, after.currentTerm, after.votedFor) == (Role.FOLLOWER, 2, 1)
    assert after.log == L(1, 2)
    assert typed(out) == typed([ok(1, 2, 2, 2)])


def test_single_server_cluster_elects_itself_and_commits_alone() -> None:
    """A majority of one server is that server: it wins on its own vote and commits each
    entry as soon as it is in its own log.
    Reference: section 5.2"""
    s = Script(Config(n=1)).timeout(1)
    only = s.state.nodes[0]
    assert (only.role, only.currentTerm) == (Role.LEADER, 1)
    assert s.state.network == frozenset()  # nobody to ask
    s.client(1, 1)
    assert s.state.nodes[0].commitIndex == 1
    assert s.state.committed == frozenset({Committed(1, 1, 1, 1)})


# --- §5.3: log replication ---------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.FOLLOWER, Role.CANDIDATE])
def test_only_the_leader_accepts_client_requests_and_replicates(role: Role) -> None:
    """The leader accepts log entries from clients and replicates them; other servers do
    neither (in raftmodel they ignore Propose and SendAppend).
    Reference: section 5.1"""
    s = node(1, 2, role, log=L(1))
    assert step(s, Propose(5), N) == (s, ())
    assert step(s, SendAppend(2), N) == (s, ())


def test_leader_appends_client_value_with_its_term() -> None:
    """The leader appends the command to its log as a new entry, stamped with its current
    term, and never overwrites or deletes its own entries (Leader Append-Only).
    Reference: section 5.3"""
    s = node(1, 3, Role.LEADER, log=L(1, 2))
    after, out = step(s, Propose(9), N)
    assert after.log == (*s.log, Entry(3, 9))
    assert out == ()


@pytest.mark.parametrize(("next_index", "entries"), [(1, L(1, 2, 2)), (3, L(1, 2, 2)[2:]), (4, ())])
def test_leader_sends_entries_from_next_index(next_index: int, entries: Log) -> None:
    """The leader sends a follower the entries starting at nextIndex, with the index and
    term of the entry preceding them and its commitIndex; none is a heartbeat.
    Reference: section 5.3"""
    s = node(1, 2, Role.LEADER, log=L(1, 2, 2), commit=2, next_index=(4, 4, next_index))
    _, out = step(s, SendAppend(3), N)
    prev = next_index - 1
    assert typed(out) == typed([ae(1, 3, 2, prev, [0, 1, 2, 2][prev], entries, 2)])


@pytest.mark.parametrize(
    ("prev", "prev_term"),
    [(3, 3), (4, 2), (1, 2)],
    ids=["term-mismatch", "beyond-end", "older-mismatch"],
)
def test_consistency_check_rejects_a_mismatch(prev: int, prev_term: int) -> None:
    """If the follower does not find an entry in its log with the same index and term as
    prevLogIndex/prevLogTerm, it refuses the new entries and leaves its log alone.
    Reference: section 5.3"""
    f = node(2, 3, log=L(1, 1, 2))
    after, out = step(f, ae(1, 2, 3, prev, prev_term, L(3)), N)
    assert after == f
    assert typed(out) == typed([refused(2, 1, 3)])


def test_conflicting_entries_are_truncated() -> None:
    """If an existing entry conflicts with a new one (same index but different terms),
    the follower deletes the existing entry and all that follow it, then appends.
    Reference: section 5.3"""
    f = node(2, 3, log=L(1, 1, 2, 2))
    new = (Entry(3, 99),)
    after, out = step(f, ae(1, 2, 3, 2, 1, new), N)
    assert after.log == (*L(1, 1), *new)
    assert typed(out) == typed([ok(2, 1, 3, 3)])


def test_stale_append_entries_never_truncates() -> None:
    """A reordered or duplicated AppendEntries whose entries are already present changes
    nothing: only a conflict deletes entries ("if an existing entry conflicts").
    Reference: section 5.3"""
    f = node(2, 2, log=L(1, 2, 2))
    for m in (ae(1, 2, 2, 0, 0, L(1)), ae(1, 2, 2, 1, 1), ae(1, 2, 2, 1, 1, L(1, 2)[1:])):
        after, out = step(f, m, N)
        assert after.log == f.log
        assert typed(out) == typed([ok(2, 1, 2, m.prevLogIndex + len(m.entries))])


@pytest.mark.parametrize(
    ("commit", "prev", "entries", "leader_commit", "expected"),
    [
        (0, 1, L(1, 1)[1:], 5, 2),  # min(leaderCommit, last new entry)
        (0, 0, (), 5, 0),  # a heartbeat vouches for nothing past prevLogIndex
        (0, 2, (), 1, 1),  # min(leaderCommit, ...) = leaderCommit
        (2, 1, (), 5, 2),  # never backwards: min(5, 1) < 2
        (2, 3, (), 1, 2),  # never backwards: leaderCommit < commitIndex
    ],
)
def test_follower_commit_index(
    commit: int, prev: int, entries: Log, leader_commit: int, expected: int
) -> None:
    """If leaderCommit > commitIndex, set commitIndex = min(leaderCommit, index of last new
    entry); commitIndex never decreases.
    Reference: Figure 2"""
    f = node(2, 1, log=L(1, 1, 1), commit=commit)
    after, _ = step(f, ae(1, 2, 1, prev, 1 if prev else 0, entries, leader_commit), N)
    assert after.commitIndex == expected


def test_leader_commits_a_current_term_entry_on_a_majority() -> None:
    """A log entry is committed once the leader that created it has replicated it on a
    majority of the servers; the next AppendEntries tells the followers.
    Reference: section 5.3"""
    s = Script(Config(n=3)).timeout(1).vote(1, 2).client(1, 1)
    assert s.state.nodes[0].commitIndex == 0
    s.replicate(1, 2)
    assert s.state.nodes[0].commitIndex == 1
    assert s.state.nodes[1].commitIndex == 0
    assert s.state.committed == frozenset({Committed(1, 1, 1, 1)})
    s.replicate(1, 2)
    assert s.state.nodes[1].commitIndex == 1


def test_old_term_entry_is_committed_only_through_a_current_term_entry() -> None:
    """Raft never commits log entries from previous terms by counting replicas; only
    entries from the leader's current term are, and then every preceding entry is
    committed indirectly (Figure 8). The figure8_commit mutant counts them.
    Reference: section 5.4.2"""
    leader = node(1, 3, Role.LEADER, log=L(1))
    on_majority = ok(2, 1, 3, 1)
    s = run(leader, on_majority)
    assert (s.matchIndex[1], s.commitIndex) == (1, 0)
    mutant = run(leader, on_majority, rules=mutants.get("figure8_commit").rules)
    assert mutant.commitIndex == 1
    s = run(s, Propose(5))
    assert s.commitIndex == 0
    s = run(s, ok(2, 1, 3, 2))
    assert s.commitIndex == 2


def test_next_index_decrements_on_failure() -> None:
    """After a rejection, the leader decrements nextIndex and retries; nextIndex never goes
    below 1.
    Reference: section 5.3"""
    s = node(1, 2, Role.LEADER, log=L(1, 2))
    assert s.nextIndex[2] == 3
    s = run(s, refused(3, 1, 2))
    assert s.nextIndex == (3, 3, 2)
    s = run(s, refused(3, 1, 2), refused(3, 1, 2))
    assert s.nextIndex == (3, 3, 1)
    _, out = step(s, SendAppend(3), N)
    assert typed(out) == typed([ae(1, 3, 2, 0, 0, L(1, 2))])


@given(st.lists(st.integers(0, 4), min_size=1, max_size=8))
def test_match_and_next_index_are_monotone_under_reordered_acks(acks: list[int]) -> None:
    """Successful AppendEntries replies may arrive out of order or twice; the leader's
    matchIndex only grows (to the largest acknowledged index) and nextIndex follows it.
    Reference: section 5.3"""
    s = node(1, 2, Role.LEADER, log=L(1, 2, 2, 2))
    for k in acks:
        before = s
        s = run(s, ok(2, 1, 2, k))
        assert s.matchIndex[1] >= before.matchIndex[1]
        assert s.nextIndex[1] >= before.nextIndex[1]
    assert s.matchIndex == (0, max(acks), 0)
    assert s.nextIndex == (5, 5, 5)


def test_duplicate_ack_does_not_move_commit() -> None:
    """Counting is over distinct servers: the same follower acknowledging twice is one
    replica, so a five-server leader does not commit on it.
    Reference: section 5.3"""
    s = node(1, 1, Role.LEADER, n=5, log=L(1))
    s = run(s, ok(2, 1, 1, 1), ok(2, 1, 1, 1), n=5)
    assert s.commitIndex == 0
    s = run(s, ok(4, 1, 1, 1), n=5)
    assert s.commitIndex == 1


# --- Figure 2: persistent state ------------------------------------------------------------


def test_restart_keeps_persistent_state_only() -> None:
    """currentTerm, votedFor and log[] are updated on stable storage before responding to
    RPCs; everything else (role, commitIndex, votes, nextIndex[], matchIndex[]) is volatile
    and reinitialised after a crash.
    Reference: Figure 2"""
    s = node(
        1,
        4,
        Role.LEADER,
        log=L(1, 4),
        voted=1,
        commit=2,
        votes=frozenset({1, 3}),
        next_index=(3, 3, 2),
        match_index=(2, 2, 1),
    )
    after = restart(s, N)
    assert (after.id, after.currentTerm, after.votedFor, after.log) == (1, 4, 1, s.log)
    assert after == init_node(1, N)._replace(currentTerm=4, votedFor=1, log=s.log)
    _, out = step(after, RequestVote(2, 1, 4, 9, 9), N)
    assert typed(out) == typed([RequestVoteResponse(1, 2, 4, False)])
