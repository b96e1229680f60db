"""The engine is generic: the same search checks toy models that know nothing of Raft
(stateright's test_util: a counter and two-phase commit), with pinned counts checked
against a brute-force enumeration written here, independently of the engine."""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable, Iterator, Sequence
from itertools import permutations
from typing import NamedTuple

import pytest

from checker.engine.model import Fingerprinter, Invariant, TransitionProperty, Violation, plain
from checker.engine.search import Options, Strategy, check

# --- a counter ---------------------------------------------------------------------------


class Counter:
    """x counts up and down within 0..top; the invariant claims x never reaches ``bad``."""

    kinds: Sequence[str] = ("Up", "Down")
    essential_kinds = frozenset({"Up"})
    transition_properties: Sequence[TransitionProperty[int, str]] = (
        TransitionProperty(
            "Steps", "", "x moves by one", lambda s, a, t: None if abs(s - t) == 1 else "jump"
        ),
    )

    def __init__(self, top: int, bad: int) -> None:
        self.top = top
        self.invariants: Sequence[Invariant[int]] = (
            Invariant("NeverBad", "", f"x != {bad}", lambda s: f"x = {bad}" if s == bad else None),
        )

    def init_states(self) -> Sequence[int]:
        return (0,)

    def successors(self, s: int) -> Iterator[tuple[str, int]]:
        if s < self.top:
            yield "Up", s + 1
        if s > 0:
            yield "Down", s - 1

    def kind(self, a: str) -> str:
        return a

    def fingerprinter(self, symmetry: bool, view: bool) -> Fingerprinter[int]:
        return plain()

    def describe_state(self, s: int) -> str:
        return str(s)

    def describe_action(self, a: str) -> str:
        return a


def test_counter_counts_and_shortest_counterexample() -> None:
    r = check(Counter(top=9, bad=99))
    assert r.complete and (r.distinct, r.generated, r.depth) == (10, 18, 9)
    assert r.coverage == {"Up": 9, "Down": 9}
    bad = check(Counter(top=9, bad=4))
    assert bad.counterexample is not None
    assert bad.counterexample.states == (0, 1, 2, 3, 4)
    assert bad.counterexample.actions == ("Up",) * 4
    assert bad.counterexample.violation.property == "NeverBad"
    dfs = check(Counter(top=9, bad=4), Options(strategy=Strategy.DFS))
    assert dfs.counterexample is not None and dfs.counterexample.states[-1] == 4


class OneCall(Counter):
    """A counter that answers for its properties in one call each
    (``engine.transition_checker``): its answers, not the records', are what the search
    reports (a model offering them owes a test that both agree)."""

    def first_state_violation(self, s: int) -> Violation | None:
        return Violation("OwnState", "x = 3") if s == 3 else None

    def first_transition_violation(self, s: int, a: str, t: int) -> Violation | None:
        return Violation("OwnStep", "down from 2") if (s, t) == (2, 1) else None


class Assumed(OneCall):
    """A reduction whose assumption fails on the step up from 1."""

    def fingerprinter(self, symmetry: bool, view: bool) -> Fingerprinter[int]:
        up = TransitionProperty[int, str](
            "Assumed", "", "", lambda s, a, t: "up from 1" if (s, t) == (1, 2) else None
        )
        return plain()._replace(assumptions=(up,))


def test_a_model_answering_in_one_call_is_asked_in_one_call() -> None:
    r = check(OneCall(top=9, bad=99))
    assert r.counterexample is not None and r.counterexample.violation.property == "OwnState"
    r = check(OneCall(top=9, bad=99), Options(strategy=Strategy.DFS))
    assert r.counterexample is not None and r.counterexample.violation.property == "OwnState"
    # The reductions' assumptions are checked after the model's own properties.
    r = check(Assumed(top=9, bad=99))
    assert r.counterexample is not None
    assert r.counterexample.violation == Violation("Assumed", "up from 1")
    assert r.counterexample.states == (0, 1, 2)


def test_budgets_are_inconclusive() -> None:
    r = check(Counter(top=1000, bad=-1), Options(max_states=50))
    assert not r.complete and r.stopped is not None and "50" in r.stopped
    r = check(Counter(top=1000, bad=-1), Options(max_depth=5))
    assert not r.complete and r.stopped is not None and "depth bound" in r.stopped


# --- two-phase commit (tlaplus/Examples' TwoPhase.tla) ------------------------------------


class TP(NamedTuple):
    rm: tuple[str, ...]
    tm: str
    prepared: frozenset[int]
    msgs: frozenset[tuple[str, int]]


class TwoPhase:
    """TwoPhase.tla: resource managers 0..n-1, a transaction manager, a message set that
    only grows. ``eager`` is the bug: the TM commits before every RM has prepared."""

    kinds: Sequence[str] = (
        "TMRcvPrepared",
        "TMCommit",
        "TMAbort",
        "RMPrepare",
        "RMChooseToAbort",
        "RMRcvCommitMsg",
        "RMRcvAbortMsg",
    )
    essential_kinds = frozenset({"RMPrepare"})
    transition_properties: Sequence[TransitionProperty[TP, tuple[str, int]]] = ()
    invariants: Sequence[Invariant[TP]] = (
        Invariant(
            "TCConsistent",
            "",
            "no RM has committed while another has aborted",
            lambda s: (
                "committed and aborted RMs" if "committed" in s.rm and "aborted" in s.rm else None
            ),
        ),
    )

    def __init__(self, n: int, eager: bool = False) -> None:
        self.n = n
        self.eager = eager

    def init_states(self) -> Sequence[TP]:
        return (TP(("working",) * self.n, "init", frozenset(), frozenset()),)

    def successors(self, s: TP) -> Iterator[tuple[tuple[str, int], TP]]:
        def rm(i: int, v: str) -> tuple[str, ...]:
            return (*s.rm[:i], v, *s.rm[i + 1 :])

        for i in range(self.n):
            if s.tm == "init" and ("Prepared", i) in s.msgs and i not in s.prepared:
                yield ("TMRcvPrepared", i), s._replace(prepared=s.prepared | {i})
        if s.tm == "init" and (self.eager or len(s.prepared) == self.n):
            yield ("TMCommit", -1), s._replace(tm="committed", msgs=s.msgs | {("Commit", -1)})
        if s.tm == "init":
            yield ("TMAbort", -1), s._replace(tm="aborted", msgs=s.msgs | {("Abort", -1)})
        for i in range(self.n):
            if s.rm[i] == "working":
                yield (
                    ("RMPrepare", i),
                    s._replace(rm=rm(i, "prepared"), msgs=s.msgs | {("Prepared", i)}),
                )
                yield ("RMChooseToAbort", i), s._replace(rm=rm(i, "aborted"))
            if ("Commit", -1) in s.msgs and s.rm[i] != "committed":
                yield ("RMRcvCommitMsg", i), s._replace(rm=rm(i, "committed"))
            if ("Abort", -1) in s.msgs and s.rm[i] != "aborted":
                yield ("RMRcvAbortMsg", i), s._replace(rm=rm(i, "aborted"))

    def kind(self, a: tuple[str, int]) -> str:
        return a[0]

    def _relabel(self, s: TP, p: tuple[int, ...]) -> TP:
        rm = [""] * self.n
        for i, v in enumerate(s.rm):
            rm[p[i]] = v
        msgs = frozenset((m, p[i] if i >= 0 else i) for m, i in s.msgs)
        return TP(tuple(rm), s.tm, frozenset(p[i] for i in s.prepared), msgs)

    def fingerprinter(self, symmetry: bool, view: bool) -> Fingerprinter[TP]:
        if not symmetry:
            return plain()
        ps = list(permutations(range(self.n)))

        def key(s: TP) -> Hashable:
            return frozenset(self._relabel(s, p) for p in ps)

        return Fingerprinter(lambda s: min(hash(self._relabel(s, p)) for p in ps), key, True, False)

    def describe_state(self, s: TP) -> str:
        return repr(s)

    def describe_action(self, a: tuple[str, int]) -> str:
        return f"{a[0]}({a[1]})"


def _brute_force(m: TwoPhase) -> set[TP]:
    """Every reachable state, by a plain BFS written without the engine."""
    (init,) = m.init_states()
    seen = {init}
    q = deque([init])
    while q:
        s = q.popleft()
        for _, t in m.successors(s):
            if t not in seen:
                seen.add(t)
                q.append(t)
    return seen


@pytest.mark.parametrize("n", [2, 3])
def test_two_phase_commit_counts_equal_brute_force(n: int) -> None:
    m = TwoPhase(n)
    states = _brute_force(m)
    orbits = {frozenset(m._relabel(s, p) for p in permutations(range(n))) for s in states}
    plain_r = check(m, Options(symmetry=False))
    sym = check(m, Options(symmetry=True))
    exact = check(m, Options(symmetry=True, exact=True))
    dfs = check(m, Options(symmetry=False, strategy=Strategy.DFS))
    assert plain_r.complete and sym.complete and exact.complete and dfs.complete
    assert plain_r.distinct == dfs.distinct == len(states)
    assert sym.distinct == exact.distinct == len(orbits)


def test_two_phase_commit_pinned_counts_and_workers() -> None:
    # Pinned (stateright's paxos test): TwoPhase with 3 RMs has 288 distinct states, as
    # TLC counts them for tlaplus/Examples' TwoPhase.cfg.
    m = TwoPhase(3)
    r = check(m, Options(symmetry=False))
    assert (r.distinct, r.generated, r.depth) == (288, 761, 10)
    two = check(m, Options(symmetry=False, workers=2))
    assert (two.distinct, two.generated, two.depth) == (r.distinct, r.generated, r.depth)


def test_two_phase_commit_bug_shortest_counterexample() -> None:
    r = check(TwoPhase(3, eager=True))
    assert r.counterexample is not None
    cex = r.counterexample
    assert cex.violation.property == "TCConsistent"
    assert len(cex.actions) == 3
    swarm = check(
        TwoPhase(3, eager=True), Options(strategy=Strategy.SWARM, walks=200, walk_depth=20)
    )
    assert swarm.counterexample is not None and not swarm.complete
    clean = check(TwoPhase(3), Options(strategy=Strategy.SWARM, walks=50, walk_depth=20))
    assert clean.counterexample is None and clean.stopped is not None and not clean.complete
