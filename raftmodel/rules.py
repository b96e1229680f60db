"""The handful of decisions in which real Raft implementations go wrong, as swappable fields.

``node.step`` consults a ``Rules`` record for each of them; ``RAFT`` is the correct
protocol. A known-bug variant (``raftmodel.mutants``) replaces exactly one field, so
the rest of the node is shared and a mutant differs from Raft in one rule only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from raftmodel import log as rlog
from raftmodel import quorum
from raftmodel.messages import Message
from raftmodel.types import LEADER, NIL, Index, Log, NodeId, ReadPath, Role, Term, Token


class Rules(NamedTuple):
    name: str
    #: Votes needed to win an election or commit an entry, given the cluster size (§5.2).
    quorum: Callable[[int], int]
    #: May a node whose votedFor is ``voted`` vote for ``candidate`` in this term? (§5.2)
    can_vote: Callable[[NodeId, NodeId], bool]
    #: Is the candidate's log (last term, last index) at least as up-to-date as ours? (§5.4.1)
    log_ok: Callable[[Term, Index, Log], bool]
    #: Should a message from a lower term be processed instead of fenced off? (§5.1)
    accepts_stale: Callable[[Message], bool]
    #: May a leader of term ``current`` commit an ``entry_term`` entry by counting? (§5.4.2)
    commit_ok: Callable[[Term, Term], bool]
    #: The AppendEntries consistency check on (log, prevLogIndex, prevLogTerm) (§5.3).
    consistent: Callable[[Log, Index, Term], bool]
    #: How a follower combines its log with AppendEntries' entries after prevLogIndex (§5.3).
    merge: Callable[[Log, Index, Log], Log]
    #: Where a leader appends a client's entry, given (lastLogIndex, commitIndex) (§5.3).
    append_at: Callable[[Index, Index], Index]
    #: What survives a restart of (currentTerm, votedFor); the log always does (Figure 2).
    persist: Callable[[Term, NodeId], tuple[Term, NodeId]]
    #: A follower's new commitIndex on AppendEntries, from (commitIndex, leaderCommit,
    #: index of the last new entry, did the consistency check pass) (Figure 2, step 5).
    follower_commit: Callable[[Index, Index, Index, bool], Index]
    #: A leader's new matchIndex for a follower that accepted, from (matchIndex, the
    #: reply's matchIndex, the leader's lastLogIndex) (Figure 2, Rules for Leaders).
    match_update: Callable[[Index, Index, Index], Index]
    #: A leader's new nextIndex for a follower that refused, from (nextIndex, matchIndex,
    #: the refusal's lastLogIndex hint, or None when refusals carry none: §5.3).
    next_on_refusal: Callable[[Index, Index, Index | None], Index]
    #: Does a message from a higher term make the receiver adopt the term? (§5.1) If
    #: not, the receiver steps down in its own term and drops the message.
    adopts_higher: Callable[[Message], bool]
    #: The votes a candidate holds when it starts an election, from (votesGranted, its id).
    campaign_votes: Callable[[frozenset[NodeId], NodeId], frozenset[NodeId]]
    # --- the service on Raft (raftmodel.service); unused when no service runs ---------
    #: The read path a server takes for the configured one (thesis §6.4).
    read_path: Callable[[ReadPath], ReadPath]
    #: May a server in this role answer a client's read? (thesis §6.4: the leader only)
    serves_reads: Callable[[Role], bool]
    #: The fencing token of a lock grant, from (the grant entry's term, its index, the log).
    grant_token: Callable[[Term, Index, Log], Token]
    #: Does the guarded resource accept a token, given the highest it has accepted?
    fence_ok: Callable[[Token, Token], bool]
    # --- a model option, not a variant --------------------------------------------------
    #: Do refusals carry the follower's last log index, for the leader's next_on_refusal
    #: (§5.3)? Set from ``Bounds.refusal_hint`` by the cluster (``with_refusal_hint``),
    #: so that every variant runs with or without it.
    refusal_hint: bool = False


def _vote_once(voted: NodeId, candidate: NodeId) -> bool:
    return voted in (NIL, candidate)


def _fence(_m: Message) -> bool:
    return False


def _own_term_only(entry_term: Term, current: Term) -> bool:
    return entry_term == current


def _at_end(last_index: Index, _commit: Index) -> Index:
    return last_index


def _persist_all(term: Term, voted: NodeId) -> tuple[Term, NodeId]:
    return term, voted


def _commit_to_last_new(commit: Index, leader_commit: Index, last_new: Index, ok: bool) -> Index:
    # Figure 2, AppendEntries receiver step 5, only once the log check passed: commitIndex
    # = min(leaderCommit, index of last new entry), and never backwards (a stale
    # AppendEntries carries an older leaderCommit).
    if ok and leader_commit > commit:
        return max(commit, min(leader_commit, last_new))
    return commit


def _highest_match(match: Index, replied: Index, _leader_last: Index) -> Index:
    # max(): replies arrive out of order and twice; matchIndex only grows within a term.
    return max(match, replied)


def retry_from(next_index: Index, hint: Index | None) -> Index:
    """Where a leader retries after a refusal, before any floor: Figure 2's decrement,
    or, with the follower's hint (§5.3), just past the follower's last entry when that is
    lower: the entries between are ones the follower does not have (canonical/raft's
    progressMaybeDecrement in probe mode: min(rejected, last_index + 1)). Never above
    nextIndex - 1, so a hint from a longer log (a conflicting suffix, a stale reply) never
    moves nextIndex past the leader's log or forward."""
    if hint is None:
        return next_index - 1
    return min(next_index - 1, hint + 1)


def _back_off_above_match(next_index: Index, match: Index, hint: Index | None) -> Index:
    # Figure 2: decrement nextIndex (or jump to the hint, §5.3) and retry, but never to
    # matchIndex or below: a stale refusal (from an AppendEntries sent before a later one
    # succeeded, or a hint from before the follower caught up) cannot undo what the
    # follower acknowledged (etcd's Progress.MaybeDecrTo keeps Next > Match too).
    return max(retry_from(next_index, hint), match + 1)


def _always(_m: Message) -> bool:
    return True


def _self_vote(_votes: frozenset[NodeId], me: NodeId) -> frozenset[NodeId]:
    # §5.2: a new election starts with the candidate's own vote only.
    return frozenset((me,))


def _configured(path: ReadPath) -> ReadPath:
    return path


def _leader_reads(role: Role) -> bool:
    # Thesis §6.4: only a leader can serve a linearizable read (after confirming it leads).
    return role == LEADER


def _term_and_index(term: Term, index: Index, _log: Log) -> Token:
    # The grant entry's (term, index): committed entries have strictly increasing indexes
    # and non-decreasing terms along the one committed log (§5.3, Log Matching), so tokens
    # grow with the grant order, across leaders too.
    return (term, index)


def _not_lower(token: Token, highest: Token) -> bool:
    # Kleppmann's fencing: refuse a token lower than the highest accepted.
    return token >= highest


def with_refusal_hint(rules: Rules) -> Rules:
    """``rules`` with refusals carrying the follower's last log index (§5.3)."""
    return rules._replace(refusal_hint=True)


RAFT = Rules(
    name="raft",
    quorum=quorum.majority,
    can_vote=_vote_once,
    log_ok=rlog.is_up_to_date,
    accepts_stale=_fence,
    commit_ok=_own_term_only,
    consistent=rlog.matches,
    merge=rlog.merge,
    append_at=_at_end,
    persist=_persist_all,
    follower_commit=_commit_to_last_new,
    match_update=_highest_match,
    next_on_refusal=_back_off_above_match,
    adopts_higher=_always,
    campaign_votes=_self_vote,
    read_path=_configured,
    serves_reads=_leader_reads,
    grant_token=_term_and_index,
    fence_ok=_not_lower,
)
