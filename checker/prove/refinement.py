"""The tie between raftmodel and the log-level model (``loglevel.py``).

**The mapping** alpha from a raftmodel ``ClusterState`` to a log-level state:

  currentTerm[i]  = node i's currentTerm
  primary[i]      = node i's role is Leader
  log[i]          = the terms of node i's entries (values dropped)
  committed       = the (index, term, commitTerm) of raftmodel's ``committed`` history that
                    were committed *directly*: for each commit term c, the highest index
                    committed in c, and every entry whose term is c. Entries committed
                    *indirectly* (an older-term entry below a directly committed one,
                    Figure 2's "and all preceding entries") are left out: the log-level
                    model commits one entry at a time, and LogMatching carries them.
                    Under correct Raft this is exactly {(k, t, c) : t = c}.

**(a) The invariants on mapped states** (``check_states``): every conjunct of the log-level
inductive invariant, properties and lemmas, is evaluated (z3 ``simplify`` on concrete values,
BOUNDED mode) on alpha(s) for every state s of a breadth-first search over
``raftmodel.cluster.successors``. Under correct Raft none fails; a mutant's states fail
some lemma (a test shows it).

**(b) Transitions** (``check_transitions``): each explored raftmodel transition s -> s' is
classified as a *stutter* (alpha(s') = alpha(s)), an *abstract action* (some instance A of the
log-level model with guard(alpha(s)) and A(alpha(s)) = alpha(s')), or *unmapped*. Unmapped
transitions exist and are expected (docs/proofs.md lists them): Timeout raises a term
with no quorum behind it (the log-level model has no candidates), a vote grant moves a
voter to the candidate's term before the election is won, the last counted vote elects
a leader whose voters may have moved on, an AppendEntries can copy several entries or
truncate and append at once, and a commit counts acknowledgements from followers that
may since be in a later term. A step-by-step refinement needs history (vote-time logs,
acknowledgement terms) that the log-level state does not have.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import NamedTuple

import z3

from checker.prove.loglevel import LogEncoding, rules_for
from checker.prove.symbolic import Mode
from checker.search import transitions
from raftmodel.actions import Action, action_name
from raftmodel.cluster import ClusterState, Config, init_state
from raftmodel.types import Role


class Abstract(NamedTuple):
    currentTerm: tuple[int, ...]
    primary: tuple[bool, ...]
    logs: tuple[tuple[int, ...], ...]
    committed: frozenset[tuple[int, int, int]]


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


def bfs(config: Config, max_states: int) -> Iterator[tuple[ClusterState, Action, ClusterState]]:
    """Transitions of a breadth-first search from Init (at most ``max_states`` states)."""
    return transitions(config, max_states)


class Evaluator:
    """The log-level conjuncts evaluated on concrete abstract states (cached)."""

    def __init__(self, n: int, max_term: int, max_log: int, mutant: str = "raft") -> None:
        self.enc = LogEncoding(n, rules_for("raft"), Mode(max_term=max_term, max_log=max_log))
        # The abstract model's rules for the transition check: the mutant's when the
        # log-level model can express it.
        self.rules_enc = LogEncoding(
            n, rules_for(mutant if mutant != "raft" else None), self.enc.mode
        )
        self._failed: dict[Abstract, tuple[str, ...]] = {}
        self._step: dict[tuple[Abstract, Abstract], str | None] = {}

    def failed(self, a: Abstract) -> tuple[str, ...]:
        """The conjuncts alpha-state ``a`` violates."""
        if a not in self._failed:
            st = self.enc.concrete(a.currentTerm, a.primary, a.logs, sorted(a.committed))
            self._failed[a] = tuple(
                c.name for c in self.enc.conjuncts if not z3.is_true(z3.simplify(c.holds(st)))
            )
        return self._failed[a]

    def abstract_action(self, a: Abstract, b: Abstract) -> str | None:
        """The name of an abstract action instance taking ``a`` to ``b``, or None."""
        key = (a, b)
        if key not in self._step:
            enc = self.rules_enc
            sa = enc.concrete(a.currentTerm, a.primary, a.logs, sorted(a.committed))
            sb = enc.concrete(b.currentTerm, b.primary, b.logs, sorted(b.committed))
            found = None
            for inst in enc.actions():
                st = inst.apply(sa)
                solver = z3.Solver()
                solver.add(st.guard, _equal(enc, st.after, sb))
                if solver.check() == z3.sat:
                    found = inst.name
                    break
            self._step[key] = found
        return self._step[key]


def _equal(enc: LogEncoding, x: object, y: object) -> z3.BoolRef:
    from checker.prove.loglevel import LogState

    assert isinstance(x, LogState) and isinstance(y, LogState)
    parts: list[z3.BoolRef] = []
    for i in range(enc.n):
        lx, ly = x.log[i], y.log[i]
        parts += [x.currentTerm[i] == y.currentTerm[i], x.primary[i] == y.primary[i]]
        parts.append(lx.length == ly.length)
        parts.append(lx.all(lambda k, lx=lx, ly=ly: lx.at(k) == ly.at(k)))  # type: ignore[misc]
    cx, cy = x.committed.rep, y.committed.rep
    assert isinstance(cx, dict) and isinstance(cy, dict)
    parts += [cx[k] == cy[k] for k in cx]
    return z3.And(parts)


class StateReport(NamedTuple):
    states: int
    abstract_states: int
    #: conjunct -> number of raftmodel states whose alpha violates it
    failures: dict[str, int]
    #: one raftmodel state per violated conjunct (the first found)
    examples: dict[str, Abstract]


def check_states(config: Config, max_states: int, *, stop_at_failure: bool = False) -> StateReport:
    b = config.bounds
    assert b.max_term is not None and b.max_log is not None
    ev = Evaluator(config.n, b.max_term, b.max_log)
    failures: Counter[str] = Counter()
    examples: dict[str, Abstract] = {}
    seen = {init_state(config)}
    for s in [init_state(config)]:
        for c in ev.failed(alpha(s)):
            failures[c] += 1
    for _, _, t in bfs(config, max_states):
        if t in seen:
            continue
        seen.add(t)
        a = alpha(t)
        for c in ev.failed(a):
            failures[c] += 1
            examples.setdefault(c, a)
        if stop_at_failure and failures:
            break
    return StateReport(len(seen), len(ev._failed), dict(failures), examples)


class TransitionReport(NamedTuple):
    transitions: int
    #: raftmodel action name -> Counter of "stutter" / abstract action kind / "unmapped"
    by_action: dict[str, dict[str, int]]


def check_transitions(config: Config, max_states: int, mutant: str = "raft") -> TransitionReport:
    b = config.bounds
    assert b.max_term is not None and b.max_log is not None
    ev = Evaluator(config.n, b.max_term, b.max_log, mutant)
    by: dict[str, Counter[str]] = {}
    count = 0
    for s, act, t in bfs(config, max_states):
        count += 1
        a, b2 = alpha(s), alpha(t)
        if a == b2:
            kind = "stutter"
        else:
            name = ev.abstract_action(a, b2)
            kind = "unmapped" if name is None else name.split("(")[0]
        by.setdefault(action_name(act), Counter())[kind] += 1
    return TransitionReport(count, {k: dict(v) for k, v in sorted(by.items())})


def failures_on(states: list[ClusterState], n: int, max_term: int, max_log: int) -> dict[str, int]:
    """How many of ``states`` (e.g. a counterexample's) violate each conjunct under alpha."""
    ev = Evaluator(n, max_term, max_log)
    out: Counter[str] = Counter()
    for s in states:
        for c in ev.failed(alpha(s)):
            out[c] += 1
    return dict(out)
