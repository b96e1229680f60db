"""Inductive invariant checking with z3: Init => Inv, and Inv /\\ A => Inv' per action instance.

An ``Encoding`` describes a protocol symbolically: fresh states, a typing predicate,
the initial states, the action instances (each a guard and the successor state as
expressions over the predecessor) and the conjuncts of the candidate invariant.

``prove`` asks one query per (action instance, conjunct) with a fresh solver (faster
than push/pop here). Only ``unsat`` is trusted: a ``sat`` or ``unknown`` in the
UNBOUNDED mode (quantifiers) is re-asked in the BOUNDED mode, whose models are real
states, to produce a counterexample to induction (CTI); if the bounded query finds
none, the verdict is inconclusive. ``vacuity`` checks, in the BOUNDED mode, that every
action instance is enabled in some state that satisfies the invariant.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple, Protocol, TypeAlias

import z3

from checker.prove.symbolic import Mode
from checker.prove.symmetry import representatives


class Conjunct(NamedTuple):
    name: str
    #: The conjunct in words.
    words: str
    #: The conjunct as a formula, in TLA+-like notation.
    formula: str
    holds: Callable[[Any], z3.BoolRef]


class Step(NamedTuple):
    """An action instance applied to a symbolic state."""

    guard: z3.BoolRef
    after: Any
    #: The action's free parameters (message fields, new log, ...), shown in a CTI.
    params: dict[str, z3.ExprRef]


#: A server parameter of an action instance: a server, or a set of servers (a quorum).
Arg: TypeAlias = int | frozenset[int]


class ActionInstance(NamedTuple):
    #: e.g. ``Timeout(1)``.
    name: str
    #: e.g. ``Timeout``: the action, without its parameters.
    kind: str
    apply: Callable[[Any], Step]
    #: The server parameters, e.g. ``(1,)`` or ``(1, frozenset({1, 2}))``; the action
    #: uses them only as names (symmetry, see ``representatives``).
    args: tuple[Arg, ...] = ()


class Encoding(Protocol):
    name: str
    n: int
    mode: Mode

    @property
    def conjuncts(self) -> tuple[Conjunct, ...]: ...

    def fresh_state(self, tag: str) -> Any: ...

    def well_typed(self, s: Any) -> z3.BoolRef: ...

    def init(self, s: Any) -> z3.BoolRef: ...

    def actions(self) -> list[ActionInstance]: ...

    def show(self, model: z3.ModelRef, s: Any) -> list[str]: ...

    def with_mode(self, mode: Mode) -> Encoding: ...

    def permute(self, s: Any, perm: dict[int, int]) -> Any: ...

    def equal(self, a: Any, b: Any) -> z3.BoolRef: ...


class Cti(NamedTuple):
    """A counterexample to induction: a state satisfying the invariant, an action, and
    a successor that violates ``conjunct``."""

    conjunct: str
    action: str
    params: tuple[tuple[str, str], ...]
    before: tuple[str, ...]
    after: tuple[str, ...]
    mode: str


class ConjunctResult(NamedTuple):
    name: str
    #: "proved", "cti" or "unknown".
    verdict: str
    seconds: float
    queries: int
    cti: Cti | None
    #: Why the verdict is unknown (z3's reason, or "no bounded CTI").
    reason: str = ""


class ProofResult(NamedTuple):
    encoding: str
    n: int
    conjuncts: tuple[ConjunctResult, ...]
    seconds: float
    #: The number of action instances asked about (one per orbit with symmetry) and
    #: the number of queries asked.
    instances: int
    queries: int

    @property
    def verdict(self) -> str:
        verdicts = {c.verdict for c in self.conjuncts}
        if "cti" in verdicts:
            return "cti"
        if "unknown" in verdicts:
            return "unknown"
        return "proved"


def _solver(timeout_ms: int | None) -> z3.Solver:
    s = z3.Solver()
    if timeout_ms is not None:
        s.set("timeout", timeout_ms)
    return s


def _show_params(model: z3.ModelRef, params: dict[str, z3.ExprRef]) -> tuple[tuple[str, str], ...]:
    return tuple((k, str(model.eval(v, True))) for k, v in params.items())


def _answer(r: z3.CheckSatResult) -> str:
    return "unsat" if r == z3.unsat else ("sat" if r == z3.sat else "unknown")


class _Query(NamedTuple):
    """An action instance applied to a fresh state, with the invariant as hypotheses."""

    state: Any
    step: Step
    hypotheses: tuple[z3.BoolRef, ...]


def _query(enc: Encoding, conjuncts: Sequence[Conjunct], action: ActionInstance) -> _Query:
    s = enc.fresh_state("s")
    step = action.apply(s)
    return _Query(s, step, (enc.well_typed(s), *(c.holds(s) for c in conjuncts), step.guard))


def _ask(q: _Query, target: Conjunct, timeout_ms: int | None) -> tuple[str, z3.Solver]:
    solver = _solver(timeout_ms)
    solver.add(*q.hypotheses)
    solver.add(z3.Not(target.holds(q.step.after)))
    return _answer(solver.check()), solver


def find_cti(
    enc: Encoding,
    conjuncts: Sequence[Conjunct],
    target: Conjunct,
    action: ActionInstance,
    timeout_ms: int | None = None,
) -> tuple[str, Cti | None]:
    """Ask whether Inv /\\ action => target' fails; ``enc`` decides the mode.

    Returns z3's answer ("unsat", "sat", "unknown") and, for a ``sat`` answer in the
    BOUNDED mode, the CTI (an UNBOUNDED ``sat`` is not turned into a CTI).
    """
    q = _query(enc, conjuncts, action)
    answer, solver = _ask(q, target, timeout_ms)
    if answer == "sat" and enc.mode.bounded:
        m = solver.model()
        cti = Cti(
            target.name,
            action.name,
            _show_params(m, q.step.params),
            tuple(enc.show(m, q.state)),
            tuple(enc.show(m, q.step.after)),
            enc.mode.describe(),
        )
        return "sat", cti
    return answer, None


def check_init(enc: Encoding, target: Conjunct, timeout_ms: int | None = None) -> str:
    s = enc.fresh_state("init")
    solver = _solver(timeout_ms)
    solver.add(enc.init(s), z3.Not(target.holds(s)))
    return _answer(solver.check())


def prove(
    enc: Encoding,
    bounded: Mode,
    *,
    drop: Sequence[str] = (),
    timeout_ms: int | None = 120_000,
    quick_ms: int = 2_000,
    stop_at_cti: bool = False,
    symmetry: bool = True,
    on_result: Callable[[ConjunctResult], None] | None = None,
) -> ProofResult:
    """Check that the conjuncts of ``enc`` (minus ``drop``) form an inductive invariant.

    ``enc`` is normally UNBOUNDED. Each query first gets ``quick_ms``; a query that is
    not ``unsat`` by then is asked in the ``bounded`` mode, where a ``sat`` is a real
    CTI; if the bounded mode has none, the unbounded query gets ``timeout_ms``.
    With ``stop_at_cti`` the search ends at the first CTI (conjuncts not reached are
    reported as proved only if every action was checked for them). With ``symmetry``
    only one action instance per orbit of server renamings is asked (sound because the
    encodings are symmetric: ``checker.prove.symmetry``).
    """
    start = time.perf_counter()
    kept = [c for c in enc.conjuncts if c.name not in drop]
    small = enc.with_mode(bounded)
    small_kept = [c for c in small.conjuncts if c.name not in drop]
    small_actions = {a.name: a for a in small.actions()}
    actions = _instances(enc, symmetry)
    seconds = dict.fromkeys((c.name for c in kept), 0.0)
    queries = dict.fromkeys((c.name for c in kept), 0)
    outcome: dict[str, tuple[str, Cti | None, str]] = {}

    for idx, c in enumerate(kept):
        t0 = time.perf_counter()
        queries[c.name] += 1
        answer = check_init(enc, c, timeout_ms)
        if answer != "unsat":
            if check_init(small, small_kept[idx], timeout_ms) == "sat":
                outcome[c.name] = ("cti", Cti(c.name, "Init", (), (), (), bounded.describe()), "")
            else:
                outcome[c.name] = ("unknown", None, f"Init => {c.name}: z3 answered {answer}")
        seconds[c.name] += time.perf_counter() - t0

    for a in actions:
        open_ = [(idx, c) for idx, c in enumerate(kept) if c.name not in outcome]
        if not open_ or (stop_at_cti and any(v[0] == "cti" for v in outcome.values())):
            break
        q = _query(enc, kept, a)
        if len(open_) > 1:
            # One query for every open conjunct at once: unsat means the action preserves
            # each of them; otherwise ask them one by one below, as before.
            t0 = time.perf_counter()
            solver = _solver(quick_ms * len(open_))
            solver.add(*q.hypotheses)
            solver.add(z3.Or([z3.Not(c.holds(q.step.after)) for _, c in open_]))
            together = _answer(solver.check())
            share = (time.perf_counter() - t0) / len(open_)
            for _, c in open_:
                seconds[c.name] += share
                if together == "unsat":
                    queries[c.name] += 1
            if together == "unsat":
                continue
        for idx, c in open_:
            t0 = time.perf_counter()
            queries[c.name] += 1
            answer, _ = _ask(q, c, quick_ms)
            if answer != "unsat":
                queries[c.name] += 1
                small_answer, cti = find_cti(
                    small, small_kept, small_kept[idx], small_actions[a.name], timeout_ms
                )
                if cti is not None:
                    outcome[c.name] = ("cti", cti, "")
                else:
                    queries[c.name] += 1
                    answer, _ = _ask(q, c, timeout_ms)
                    if answer != "unsat":
                        outcome[c.name] = (
                            "unknown",
                            None,
                            f"{a.name}: z3 answered {answer} with quantifiers, and the "
                            f"bounded mode ({bounded.describe()}) answered {small_answer}",
                        )
            seconds[c.name] += time.perf_counter() - t0

    results: list[ConjunctResult] = []
    checked_all = queries_done(queries, kept, len(actions))
    for c in kept:
        default = ("proved", None, "") if checked_all[c.name] else ("unknown", None, "not checked")
        verdict, cti, reason = outcome.get(c.name, default)
        res = ConjunctResult(c.name, verdict, seconds[c.name], queries[c.name], cti, reason)
        results.append(res)
        if on_result is not None:
            on_result(res)
    return ProofResult(
        enc.name,
        enc.n,
        tuple(results),
        time.perf_counter() - start,
        len(actions),
        sum(queries.values()),
    )


def _instances(enc: Encoding, symmetry: bool) -> list[ActionInstance]:
    actions = enc.actions()
    return representatives(actions) if symmetry else actions


def queries_done(
    queries: dict[str, int], kept: Sequence[Conjunct], actions: int
) -> dict[str, bool]:
    """Whether each conjunct was asked about Init and every action instance."""
    return {c.name: queries[c.name] >= actions + 1 for c in kept}


class VacuityResult(NamedTuple):
    #: Action instances that no invariant state enables (empty when the check passes).
    disabled: tuple[str, ...]
    unknown: tuple[str, ...]
    instances: int
    seconds: float


def vacuity(
    enc: Encoding,
    *,
    drop: Sequence[str] = (),
    timeout_ms: int | None = 60_000,
    symmetry: bool = True,
) -> VacuityResult:
    """Every action instance is enabled in some state satisfying the invariant (``enc``
    must be BOUNDED: a model is then a real state). With ``symmetry``, one instance per
    orbit (an instance is enabled somewhere iff its renamings are)."""
    assert enc.mode.bounded, "vacuity needs the bounded mode (quantifier-free models)"
    start = time.perf_counter()
    kept = [c for c in enc.conjuncts if c.name not in drop]
    disabled, unknown = [], []
    actions = _instances(enc, symmetry)
    for a in actions:
        s = enc.fresh_state("v")
        step = a.apply(s)
        solver = _solver(timeout_ms)
        solver.add(enc.well_typed(s), *(c.holds(s) for c in kept), step.guard)
        r = solver.check()
        if r == z3.unsat:
            disabled.append(a.name)
        elif r != z3.sat:
            unknown.append(a.name)
    return VacuityResult(tuple(disabled), tuple(unknown), len(actions), time.perf_counter() - start)
