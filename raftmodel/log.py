"""Pure functions over an immutable log (a tuple of Entry, 1-based indexes).

Numbered invariants of a well-formed log (checked only at gateways, as etcd does):
  1. terms are non-decreasing along the log;
  2. term_at(log, 0) == 0 (the empty prefix matches everything).
"""

from __future__ import annotations

from itertools import pairwise

from raftmodel.types import Entry, Index, Log, Term


def last_index(log: Log) -> Index:
    return len(log)


def last_term(log: Log) -> Term:
    return log[-1].term if log else 0


def term_at(log: Log, index: Index) -> Term | None:
    """The term of the entry at ``index``; 0 for index 0; None if the log is shorter."""
    if index == 0:
        return 0
    if 0 < index <= len(log):
        return log[index - 1].term
    return None


def is_up_to_date(cand_last_term: Term, cand_last_index: Index, log: Log) -> bool:
    """§5.4.1: the candidate's log is at least as up-to-date as ``log``: a later last
    term wins; with equal last terms, the longer (or equal) log wins."""
    mine = last_term(log)
    return cand_last_term > mine or (cand_last_term == mine and cand_last_index >= len(log))


def matches(log: Log, prev_index: Index, prev_term: Term) -> bool:
    """§5.3 consistency check: the log holds an entry at prevLogIndex with prevLogTerm."""
    return term_at(log, prev_index) == prev_term


def merge(log: Log, prev_index: Index, entries: Log) -> Log:
    """Figure 2, AppendEntries receiver steps 3-4: delete a conflicting suffix, then
    append the entries not already present. Entries that already match are kept, and
    so is anything after them: a stale or duplicated AppendEntries never truncates."""
    for offset, entry in enumerate(entries):
        index = prev_index + offset + 1
        if index > len(log):
            return log + entries[offset:]
        if log[index - 1].term != entry.term:
            return log[: index - 1] + entries[offset:]
    return log


def overwrite(log: Log, prev_index: Index, entries: Log) -> Log:
    """The buggy alternative to ``merge``: replace everything after prevLogIndex."""
    return log[:prev_index] + entries


def well_formed(log: Log) -> bool:
    """Invariant 1: terms never decrease along the log."""
    return all(a.term <= b.term for a, b in pairwise(log))


def entry_ids(log: Log) -> tuple[tuple[Index, Term], ...]:
    return tuple((i + 1, e.term) for i, e in enumerate(log))


__all__ = [
    "Entry",
    "entry_ids",
    "is_up_to_date",
    "last_index",
    "last_term",
    "matches",
    "merge",
    "overwrite",
    "term_at",
    "well_formed",
]
