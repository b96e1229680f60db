"""Majority arithmetic (Raft §5.2, §5.4): a quorum is any set of more than half the servers.

Kept apart from the node so that one function decides what a majority is; the
"quorum off by one" mutant swaps ``majority`` for a wrong one through ``Rules``.
"""

from __future__ import annotations

from collections.abc import Iterable


def majority(n: int) -> int:
    """The smallest number of servers that is more than half of ``n``."""
    return n // 2 + 1


def is_quorum(voters: Iterable[int], n: int, size: int | None = None) -> bool:
    """True when ``voters`` (distinct ids) reach ``size`` (default: a majority of ``n``)."""
    need = majority(n) if size is None else size
    return len(frozenset(voters)) >= need


def committed_index(match: Iterable[int], quorum: int) -> int:
    """The highest index that at least ``quorum`` servers have matched (etcd's
    ``CommittedIndex``: sort the acknowledged indexes and take the quorum-th largest)."""
    acked = sorted(match, reverse=True)
    if quorum <= 0:
        return acked[0] if acked else 0
    if len(acked) < quorum:
        return 0
    return acked[quorum - 1]
