"""Known-bug variants: each replaces one field of ``Rules`` the way real implementations
have got Raft wrong. Select one anywhere a model is chosen with ``--mutant NAME``.

Every entry names the rule it breaks, the paper section, and its test data: the preset
on which ``raftcheck check`` finds it, the property that check reports and the length of
the shortest counterexample (tests/checker/test_search.py pins them), the property its
scripted story in tests/raftmodel/test_mutants.py is designed to break, and the
properties the Hypothesis hunt (tests/raftmodel/test_stateful.py) may report.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from raftmodel import log as rlog
from raftmodel.messages import AppendEntries, Message, RequestVote, RequestVoteResponse
from raftmodel.rules import RAFT, Rules, retry_from
from raftmodel.types import NIL, Index, Log, NodeId, ReadPath, Role, Term, Token


class Mutant(NamedTuple):
    name: str
    rules: Rules
    #: The rule that is broken, in words.
    breaks: str
    #: Where the paper states the rule.
    section: str
    #: The property (checker.raft.invariants) `raftcheck check --model PRESET` reports: the
    #: first to fail on a shortest counterexample.
    caught_by: str
    #: The preset (checker.raft.presets) on which check finds it.
    preset: str
    #: The length of check's shortest counterexample there (symmetry and view on).
    shortest: int
    #: The property the mutant is designed to break: its scripted story ends on it.
    story: str
    #: Every property the Hypothesis hunt may report first (the first is the usual one).
    hunted_by: tuple[str, ...]
    #: A variant of the service on Raft (raftmodel.service): it changes nothing in a
    #: cluster without a service, so only the service's checks (checker.service, its
    #: presets, tests/raftmodel/test_service_stateful.py) can catch it.
    service: bool = False


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


def _commit_to_leader_commit(
    commit: Index, leader_commit: Index, last_new: Index, ok: bool
) -> Index:
    # PySyncObj's follower: commitIndex = min(leaderCommit, last index), also when smaller.
    return min(leader_commit, last_new) if ok else commit


def _commit_before_check(commit: Index, leader_commit: Index, last_new: Index, _ok: bool) -> Index:
    # leaderCommit applied before the consistency check, to the index the request claims.
    if leader_commit > commit:
        return max(commit, min(leader_commit, last_new))
    return commit


def _commit_to_leader_commit_unclamped(
    commit: Index, leader_commit: Index, _last_new: Index, ok: bool
) -> Index:
    # leaderCommit taken whole: without the min with the last new entry, which a leader
    # that sends its whole suffix never makes bite, but a batch shorter than it does.
    return leader_commit if ok and leader_commit > commit else commit


def _truncate_after_batch(log: Log, prev_index: Index, entries: Log) -> Log:
    # A non-empty batch is taken as the end of the leader's log: whatever the follower
    # holds past it goes, even entries that agree with the leader's (a heartbeat is left
    # alone, unlike overwrite).
    return rlog.overwrite(log, prev_index, entries) if entries else log


def _match_from_reply(_match: Index, replied: Index, _leader_last: Index) -> Index:
    return replied


def _match_from_own_log(_match: Index, _replied: Index, leader_last: Index) -> Index:
    return leader_last


def _back_off_to_one(next_index: Index, _match: Index, hint: Index | None) -> Index:
    return max(retry_from(next_index, hint), 1)


def _requests_only(m: Message) -> bool:
    return isinstance(m, (AppendEntries, RequestVote))


def _keep_votes(votes: frozenset[NodeId], me: NodeId) -> frozenset[NodeId]:
    return votes | {me}


def _no_read_index(path: ReadPath) -> ReadPath:
    # The leader answers from its own state without confirming that it still leads.
    return ReadPath.LEADER_LOCAL if path is ReadPath.READ_INDEX else path


def _any_role_reads(_role: Role) -> bool:
    return True


def _unchecked(_token: Token, _highest: Token) -> bool:
    return True


def _count_in_term(term: Term, index: Index, log: Log) -> Token:
    # The grant's position among its leader's entries: a counter each leader starts afresh.
    first = next(k for k in range(1, index + 1) if log[k - 1].term == term)
    return (0, index - first + 1)


def _m(
    name: str,
    breaks: str,
    section: str,
    found: tuple[str, str, int],
    story: str | None = None,
    hunted_by: tuple[str, ...] | None = None,
    service: bool = False,
    **field: Any,
) -> Mutant:
    preset, caught_by, shortest = found
    return Mutant(
        name,
        RAFT._replace(name=name, **field),
        breaks,
        section,
        caught_by,
        preset,
        shortest,
        caught_by if story is None else story,
        (caught_by,) if hunted_by is None else hunted_by,
        service,
    )


CATALOG: tuple[Mutant, ...] = (
    _m(
        "double_vote",
        "a server votes for more than one candidate in a term",
        "§5.2, Figure 2 RequestVote 2",
        ("elections", "ElectionSafety", 6),
        can_vote=_any_vote,
    ),
    _m(
        "no_log_check",
        "votes are granted without the log up-to-date check",
        "§5.4.1",
        ("default", "VoteUpToDate", 7),
        story="LeaderCompleteness",
        log_ok=_no_log_check,
    ),
    _m(
        "length_only_log_check",
        "up-to-date compares log length only, ignoring the last term",
        "§5.4.1",
        ("three-terms", "VoteUpToDate", 11),
        story="LeaderCompleteness",
        log_ok=_length_only,
    ),
    _m(
        "votedfor_not_persisted",
        "votedFor is lost on restart",
        "Figure 2 persistent state",
        ("default", "ElectionSafety", 7),
        persist=_forget_vote,
    ),
    _m(
        "term_not_persisted",
        "currentTerm is lost on restart (reset to 0)",
        "Figure 2 persistent state",
        ("default", "TermsMonotonic", 2),
        persist=_forget_term,
    ),
    _m(
        "figure8_commit",
        "a leader commits an entry of an earlier term by counting replicas",
        "§5.4.2, Figure 8",
        ("figure8", "LeaderCompleteness", 13),
        commit_ok=_commit_any_term,
    ),
    _m(
        "stale_append_accepted",
        "AppendEntries from a lower term is accepted (the term regresses)",
        "§5.1, Figure 2 AppendEntries 1",
        ("terms", "TermsMonotonic", 6),
        accepts_stale=_accept_stale_append,
    ),
    _m(
        "quorum_off_by_one",
        "a quorum is n // 2 servers instead of n // 2 + 1",
        "§5.2",
        ("elections", "ElectionSafety", 2),
        quorum=_half,
    ),
    _m(
        "stale_vote_counted",
        "a candidate counts a granted vote from an earlier term",
        "§5.2, Figure 2 All Servers",
        ("terms", "StaleTermFenced", 4),
        accepts_stale=_count_stale_votes,
    ),
    _m(
        "no_consistency_check",
        "a follower appends entries without the prevLogIndex/prevLogTerm check",
        "§5.3, Figure 2 AppendEntries 2",
        ("divergent-logs", "MatchIndexAgrees", 6),
        story="LogMatching",
        hunted_by=("StateMachineSafety", "LogMatching", "MatchIndexAgrees", "CommittedOnQuorum"),
        consistent=_no_consistency_check,
    ),
    _m(
        "append_over_uncommitted",
        "a leader appends a client entry after commitIndex, overwriting uncommitted entries",
        "§5.3, Figure 2 Rules for Leaders",
        ("replication", "LeaderAppendOnly", 5),
        append_at=_append_after_commit,
    ),
    _m(
        "truncate_on_stale_append",
        "a stale AppendEntries truncates entries that already match",
        "§5.3, Figure 2 AppendEntries 3",
        ("default", "CommittedOnQuorum", 9),
        story="LeaderCompleteness",
        hunted_by=(
            "CommittedOnQuorum",
            "StateMachineSafety",
            "LeaderCompleteness",
            "MatchIndexAgrees",
        ),
        merge=rlog.overwrite,
    ),
    _m(
        "commit_decreases",
        "a follower sets commitIndex to leaderCommit even when it is smaller (PySyncObj)",
        "Figure 2 AppendEntries 5",
        ("default", "CommitIndexMonotonic", 10),
        follower_commit=_commit_to_leader_commit,
    ),
    _m(
        "commit_before_check",
        "a follower applies leaderCommit before the consistency check, also on a refusal",
        "Figure 2 AppendEntries 2, 5",
        ("divergent-logs", "CommitWithinLog", 10),
        hunted_by=("CommitWithinLog", "StateMachineSafety"),
        follower_commit=_commit_before_check,
    ),
    _m(
        "commit_past_last_new",
        "a follower sets commitIndex to leaderCommit without the min with its last new entry",
        "Figure 2 AppendEntries 5",
        ("batched", "CommitWithinLog", 10),
        follower_commit=_commit_to_leader_commit_unclamped,
    ),
    _m(
        "truncate_after_batch",
        "a follower deletes its entries past a shorter batch even when they agree with the "
        "leader's",
        "§5.3, Figure 2 AppendEntries 3",
        ("batched", "CommittedOnQuorum", 10),
        merge=_truncate_after_batch,
    ),
    _m(
        "match_from_reply",
        "a leader sets matchIndex from each reply, without max(): a late reply lowers it",
        "Figure 2 Rules for Leaders",
        ("default", "MatchIndexMonotonic", 10),
        match_update=_match_from_reply,
    ),
    _m(
        "next_below_match",
        "a refusal decrements nextIndex down to 1, below what the follower acknowledged",
        "Figure 2 Rules for Leaders",
        ("divergent-logs", "NextIndexAboveMatch", 10),
        next_on_refusal=_back_off_to_one,
    ),
    _m(
        "match_from_own_log",
        "a leader sets matchIndex to its own last index on a success, not the reply's",
        "§5.3, Figure 2 Rules for Leaders",
        ("default", "CommittedOnQuorum", 7),
        story="MatchIndexAgrees",
        hunted_by=("CommittedOnQuorum", "MatchIndexAgrees"),
        match_update=_match_from_own_log,
    ),
    _m(
        "higher_term_not_adopted",
        "a response of a higher term makes the receiver step down but keep its own term",
        "§5.1, Figure 2 All Servers",
        ("terms", "HigherTermAdopted", 5),
        adopts_higher=_requests_only,
    ),
    _m(
        "votes_kept_across_terms",
        "a candidate that starts a new election keeps the votes of its earlier term",
        "§5.2",
        ("five", "VotesFromCurrentTerm", 4),
        campaign_votes=_keep_votes,
    ),
    # --- the service on Raft (raftmodel.service) ---------------------------------------
    _m(
        "stale_leader_read",
        "a leader answers ReadIndex reads from its own state without confirming that a "
        "quorum still follows it (a deposed leader after a partition)",
        "thesis §6.4, §8",
        ("service-stale", "Linearizable", 5),
        service=True,
        read_path=_no_read_index,
    ),
    _m(
        "follower_read",
        "a follower answers reads from its own applied state",
        "thesis §6.4, §8",
        ("service", "Linearizable", 6),
        service=True,
        serves_reads=_any_role_reads,
    ),
    _m(
        "unfenced_write",
        "the guarded resource accepts a lock holder's write without checking its token",
        "Kleppmann, fencing tokens",
        ("service-lock", "FencedWrites", 10),
        service=True,
        fence_ok=_unchecked,
    ),
    _m(
        "token_per_leader",
        "a lock grant's token counts the grants of its leader's term, a counter every "
        "new leader starts afresh: not monotone across leaders",
        "§5.1, Kleppmann, fencing tokens",
        ("service-lock", "FencedWrites", 10),
        service=True,
        grant_token=_count_in_term,
    ),
)

#: The variants of the Raft protocol itself (what a cluster without a service can show).
PROTOCOL: tuple[Mutant, ...] = tuple(m for m in CATALOG if not m.service)
#: The variants of the service on Raft.
SERVICE: tuple[Mutant, ...] = tuple(m for m in CATALOG if m.service)

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


def markdown_table() -> str:
    """The catalog as the table docs/mutants.md shows (a test keeps the two equal)."""
    rows = [
        "| mutant | rule broken | paper | preset | `check` reports | shortest | story | hunt |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for m in CATALOG:
        rows.append(
            f"| `{m.name}` | {m.breaks} | {m.section} | `{m.preset}` | {m.caught_by} | "
            f"{m.shortest} | {m.story} | {', '.join(m.hunted_by)} |"
        )
    return "\n".join(rows) + "\n"
