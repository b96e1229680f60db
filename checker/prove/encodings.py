"""The proof encodings by name, and the small bounded mode each one's CTIs are shown in."""

from __future__ import annotations

from checker.errors import BadOption
from checker.prove import election, loglevel
from checker.prove.induction import Encoding
from checker.prove.symbolic import Mode
from raftmodel import mutants

#: The encodings ``prove`` knows: raftmodel's message-passing election, and the
#: log-level abstraction (atomic elections) that raftmodel refines.
NAMES = ("election", "log")

#: The BOUNDED mode used for CTIs and vacuity: small, so that models are readable.
CTI_MODE = {"election": Mode(max_term=3, max_log=2), "log": Mode(max_term=2, max_log=2)}


def encoding(name: str, n: int, mutant: str) -> Encoding:
    """The encoding ``name`` for ``n`` servers with the variant ``mutant``'s rules; raises
    BadOption for a variant the encoding cannot express."""
    if mutant != "raft" and mutant not in mutants.BY_NAME:
        raise BadOption(f"unknown mutant {mutant!r}; known: {', '.join(mutants.NAMES)}")
    if name == "election":
        return election.ElectionEncoding(n, election.rules_for(mutant))
    if mutant != "raft" and mutant not in loglevel.MUTANTS:
        raise BadOption(
            f"mutant {mutant!r} changes a rule the log-level model does not have; "
            f"expressible there: {', '.join(loglevel.MUTANTS)}"
        )
    return loglevel.LogEncoding(n, loglevel.rules_for(mutant))
