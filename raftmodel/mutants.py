"""Known-bug variants: each replaces one field of ``Rules`` the way real implementations
have got Raft wrong. Select one anywhere a model is chosen with ``--mutant NAME``.

Every entry names the rule it breaks, the paper section, and the property expected to
catch it; tests/raftmodel/test_mutants.py shows each one violating that property.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from raftmodel import log as rlog
from raftmodel.messages import AppendEntries, Message, RequestVoteResponse
from raftmodel.rules import RAFT, Rules
from raftmodel.types import NIL, Index, Log, NodeId, Term


class Mutant(NamedTuple):
    name: str
    rules: Rules
    #: The rule that is broken, in words.
    breaks: str
    #: Where the paper states the rule.
    section: str
    #: The invariant or transition property (checker.raft.invariants) expected to catch it.
    caught_by: str


class UnknownMutant(ValueError):
    """A mutant name that is not in the catalog."""


def _any_vote(_voted: NodeId, _candidate: NodeId) -> bool:
    return True


def _no_log_check(_t: Term, _i: Index, _log: Log) -> bool:
    return True


def _length_only(_t: Term, cand_last_index: Index, log: Log) -> bool:
    return cand_last_index >= len(log)


def _forget_vote(term: Term, _voted: NodeId) -> tuple[Term, NodeId]:
    return term, NIL


def _forget_term(_term: Term, voted: NodeId) -> tuple[Term, NodeId]:
    return 0, voted


def _commit_any_term(_entry_term: Term, _current: Term) -> bool:
    return True


def _accept_stale_append(m: Message) -> bool:
    return isinstance(m, AppendEntries)


def _count_stale_votes(m: Message) -> bool:
    return isinstance(m, RequestVoteResponse)


def _no_consistency_check(_log: Log, _prev_index: Index, _prev_term: Term) -> bool:
    return True


def _append_after_commit(_last_index: Index, commit: Index) -> Index:
    return commit


def _half(n: int) -> int:
    return n // 2


def _m(name: str, breaks: str, section: str, caught_by: str, **field: Any) -> Mutant:
    return Mutant(name, RAFT._replace(name=name, **field), breaks, section, caught_by)


CATALOG: tuple[Mutant, ...] = (
    _m(
        "double_vote",
        "a server votes for more than one candidate in a term",
        "§5.2, Figure 2 RequestVote 2",
        "ElectionSafety",
        can_vote=_any_vote,
    ),
    _m(
        "no_log_check",
        "votes are granted without the log up-to-date check",
        "§5.4.1",
        "LeaderCompleteness",
        log_ok=_no_log_check,
    ),
    _m(
        "length_only_log_check",
        "up-to-date compares log length only, ignoring the last term",
        "§5.4.1",
        "LeaderCompleteness",
        log_ok=_length_only,
    ),
    _m(
        "votedfor_not_persisted",
        "votedFor is lost on restart",
        "Figure 2 persistent state",
        "ElectionSafety",
        persist=_forget_vote,
    ),
    _m(
        "term_not_persisted",
        "currentTerm is lost on restart (reset to 0)",
        "Figure 2 persistent state",
        "TermsMonotonic",
        persist=_forget_term,
    ),
    _m(
        "figure8_commit",
        "a leader commits an entry of an earlier term by counting replicas",
        "§5.4.2, Figure 8",
        "LeaderCompleteness",
        commit_ok=_commit_any_term,
    ),
    _m(
        "stale_append_accepted",
        "AppendEntries from a lower term is accepted (the term regresses)",
        "§5.1, Figure 2 AppendEntries 1",
        "TermsMonotonic",
        accepts_stale=_accept_stale_append,
    ),
    _m(
        "quorum_off_by_one",
        "a quorum is n // 2 servers instead of n // 2 + 1",
        "§5.2",
        "ElectionSafety",
        quorum=_half,
    ),
    _m(
        "stale_vote_counted",
        "a candidate counts a granted vote from an earlier term",
        "§5.2, Figure 2 All Servers",
        "StaleTermFenced",
        accepts_stale=_count_stale_votes,
    ),
    _m(
        "no_consistency_check",
        "a follower appends entries without the prevLogIndex/prevLogTerm check",
        "§5.3, Figure 2 AppendEntries 2",
        "LogMatching",
        consistent=_no_consistency_check,
    ),
    _m(
        "append_over_uncommitted",
        "a leader appends a client entry after commitIndex, overwriting uncommitted entries",
        "§5.3, Figure 2 Rules for Leaders",
        "LeaderAppendOnly",
        append_at=_append_after_commit,
    ),
    _m(
        "truncate_on_stale_append",
        "a stale AppendEntries truncates entries that already match",
        "§5.3, Figure 2 AppendEntries 3",
        "LeaderCompleteness",
        merge=rlog.overwrite,
    ),
)

BY_NAME: dict[str, Mutant] = {m.name: m for m in CATALOG}
NAMES: tuple[str, ...] = tuple(BY_NAME)


def get(name: str) -> Mutant:
    try:
        return BY_NAME[name]
    except KeyError:
        raise UnknownMutant(f"unknown mutant {name!r}; known: {', '.join(NAMES)}") from None


def rules_for(name: str | None) -> Rules:
    """The rules of mutant ``name``, or correct Raft for None / "raft"."""
    if name is None or name == RAFT.name:
        return RAFT
    return get(name).rules
