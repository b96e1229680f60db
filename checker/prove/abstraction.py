"""The log-level abstract state, and alpha: the one mapping from a raftmodel cluster state
to it (used by the refinement check, ``refinement.py``, and by BMC's concretization,
``bmc.py``).

  currentTerm[i]  = node i's currentTerm
  primary[i]      = node i's role is Leader
  logs[i]         = the terms of node i's entries (values dropped)
  committed       = the (index, term, commitTerm) of raftmodel's ``committed`` history that
                    were committed *directly*: for each commit term c, the highest index
                    committed in c, and every entry whose term is c. Entries committed
                    *indirectly* (an older-term entry below a directly committed one,
                    Figure 2's "and all preceding entries") are left out: the log-level
                    model commits one entry at a time, and LogMatching carries them.
                    Under correct Raft this is exactly {(k, t, c) : t = c}.
"""

from __future__ import annotations

from typing import NamedTuple

from raftmodel.cluster import ClusterState
from raftmodel.types import Role


class Abstract(NamedTuple):
    """A concrete state of the log-level model (``loglevel.py``)."""

    currentTerm: tuple[int, ...]
    primary: tuple[bool, ...]
    logs: tuple[tuple[int, ...], ...]
    committed: frozenset[tuple[int, int, int]]

    def show(self) -> str:
        nodes = " ".join(
            f"S{i + 1}:{'P' if p else '-'}t{t}{list(lg)}"
            for i, (t, p, lg) in enumerate(
                zip(self.currentTerm, self.primary, self.logs, strict=True)
            )
        )
        com = ", ".join(f"({k},{t},{c})" for k, t, c in sorted(self.committed))
        return f"{nodes} committed={{{com}}}"


def alpha(s: ClusterState) -> Abstract:
    """The mapping of the module docstring."""
    top: dict[int, int] = {}
    for c in s.committed:
        top[c.commitTerm] = max(top.get(c.commitTerm, 0), c.index)
    committed = frozenset(
        (c.index, c.term, c.commitTerm)
        for c in s.committed
        if c.term == c.commitTerm or c.index == top[c.commitTerm]
    )
    return Abstract(
        tuple(x.currentTerm for x in s.nodes),
        tuple(x.role == Role.LEADER for x in s.nodes),
        tuple(tuple(e.term for e in x.log) for x in s.nodes),
        committed,
    )
