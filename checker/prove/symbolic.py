"""Symbolic sets of terms and symbolic logs, in two modes that share every formula.

UNBOUNDED (the proofs): a set of terms is a z3 array Int -> Bool and a log is an array
Int -> Int with a length, so terms and log lengths have no bound; "for every member"
is a quantifier. With quantifiers z3 is complete only for ``unsat``: a proof is
trusted, a ``sat`` answer is not read as a counterexample.

BOUNDED (readable counterexamples, vacuity checks, cross-checks): terms are limited to
0..max_term and logs to max_log entries, every set is one Boolean per possible term
and every log one integer per slot, and "for every member" is a finite conjunction.
The formulas are quantifier-free, so ``sat`` comes with a model we can print.

Encodings are written once against ``TermSet`` and ``SymLog``; the mode only decides
how those are represented.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import NamedTuple, TypeAlias, TypeVar

import z3

_fresh = itertools.count()


Int: TypeAlias = z3.ArithRef
_T = TypeVar("_T")


def put(t: tuple[_T, ...], i: int, v: _T) -> tuple[_T, ...]:
    """``t`` with position ``i`` replaced by ``v`` (a state's per-server component)."""
    return (*t[:i], v, *t[i + 1 :])


def up_to_date(c_term: Int, c_index: Int, v_term: Int, v_index: Int) -> z3.BoolRef:
    """§5.4.1 in z3: the candidate's (last term, last index) is at least as up-to-date as
    the voter's (raftmodel.log.is_up_to_date; tests/checker/test_prove.py compares the
    two on every pair of small values)."""
    return z3.Or(c_term > v_term, z3.And(c_term == v_term, c_index >= v_index))


def fresh_name(base: str) -> str:
    """A z3 constant name that is unique in this process (used for skolems and params)."""
    return f"{base}!{next(_fresh)}"


class Mode(NamedTuple):
    """UNBOUNDED when ``max_term`` is None; otherwise the bounds of BOUNDED mode."""

    max_term: int | None = None
    max_log: int = 0

    @property
    def bounded(self) -> bool:
        return self.max_term is not None

    @property
    def terms(self) -> range:
        """BOUNDED only: every term a set may hold (one more than max_term: a Timeout
        from max_term lands there)."""
        assert self.max_term is not None
        return range(self.max_term + 2)

    @property
    def slots(self) -> int:
        """BOUNDED only: log slots (one more than max_log: an append from max_log)."""
        return self.max_log + 1

    def describe(self) -> str:
        if not self.bounded:
            return "unbounded terms and log lengths (z3 arrays and quantifiers)"
        return f"bounded: terms <= {self.max_term}, logs <= {self.max_log} entries"


UNBOUNDED = Mode()

Pred = Callable[[z3.ArithRef], z3.BoolRef]


class TermSet:
    """A finite set of terms (e.g. the terms of granted RequestVote responses s -> d)."""

    def __init__(self, mode: Mode, rep: z3.ArrayRef | tuple[z3.BoolRef, ...]) -> None:
        self.mode = mode
        self.rep = rep

    @staticmethod
    def fresh(mode: Mode, name: str) -> TermSet:
        if mode.bounded:
            return TermSet(mode, tuple(z3.Bool(f"{name}[{t}]") for t in mode.terms))
        return TermSet(mode, z3.Array(name, z3.IntSort(), z3.BoolSort()))

    @staticmethod
    def of(mode: Mode, members: Sequence[int]) -> TermSet:
        """A concrete set."""
        if mode.bounded:
            return TermSet(mode, tuple(z3.BoolVal(t in members) for t in mode.terms))
        arr: z3.ArrayRef = z3.K(z3.IntSort(), z3.BoolVal(False))
        for t in sorted(set(members)):
            arr = z3.Store(arr, t, True)
        return TermSet(mode, arr)

    def has(self, t: z3.ArithRef | int) -> z3.BoolRef:
        if isinstance(self.rep, tuple):
            return z3.Or(
                [z3.And(t == k, b) for k, b in zip(self.mode.terms, self.rep, strict=True)]
            )
        return z3.Select(self.rep, t)

    def add(self, t: z3.ArithRef, when: z3.BoolRef) -> TermSet:
        """This set with ``t`` added when ``when`` holds."""
        if isinstance(self.rep, tuple):
            return TermSet(
                self.mode,
                tuple(
                    z3.Or(b, z3.And(when, t == k))
                    for k, b in zip(self.mode.terms, self.rep, strict=True)
                ),
            )
        return TermSet(self.mode, z3.If(when, z3.Store(self.rep, t, True), self.rep))

    def all(self, pred: Pred) -> z3.BoolRef:
        """Every member satisfies ``pred``."""
        if isinstance(self.rep, tuple):
            return z3.And(
                [
                    z3.Implies(b, pred(z3.IntVal(k)))
                    for k, b in zip(self.mode.terms, self.rep, strict=True)
                ]
            )
        t = z3.Int(fresh_name("t"))
        return z3.ForAll([t], z3.Implies(z3.Select(self.rep, t), pred(t)))

    def eq(self, other: TermSet) -> z3.BoolRef:
        if isinstance(self.rep, tuple) and isinstance(other.rep, tuple):
            return z3.And([a == b for a, b in zip(self.rep, other.rep, strict=True)])
        return self.rep == other.rep

    def members(self, model: z3.ModelRef, candidates: Sequence[int]) -> list[int]:
        """The members among ``candidates`` in a model (all members in BOUNDED mode)."""
        terms = list(self.mode.terms) if isinstance(self.rep, tuple) else list(candidates)
        return [t for t in terms if z3.is_true(model.eval(self.has(z3.IntVal(t)), True))]


class SymLog:
    """A log of entry terms (values are dropped), 1-based, with a symbolic length."""

    def __init__(
        self, mode: Mode, length: z3.ArithRef, rep: z3.ArrayRef | tuple[z3.ArithRef, ...]
    ) -> None:
        self.mode = mode
        self.length = length
        self.rep = rep

    @staticmethod
    def fresh(mode: Mode, name: str) -> SymLog:
        length = z3.Int(f"len({name})")
        if mode.bounded:
            slots = tuple(z3.Int(f"{name}[{k}]") for k in range(1, mode.slots + 1))
            return SymLog(mode, length, slots)
        return SymLog(mode, length, z3.Array(name, z3.IntSort(), z3.IntSort()))

    @staticmethod
    def of(mode: Mode, terms: Sequence[int]) -> SymLog:
        if mode.bounded:
            pad = [*terms, *[0] * (mode.slots - len(terms))]
            return SymLog(mode, z3.IntVal(len(terms)), tuple(z3.IntVal(t) for t in pad))
        arr: z3.ArrayRef = z3.K(z3.IntSort(), z3.IntVal(0))
        for k, t in enumerate(terms, start=1):
            arr = z3.Store(arr, k, t)
        return SymLog(mode, z3.IntVal(len(terms)), arr)

    def at(self, k: z3.ArithRef | int) -> z3.ArithRef:
        """The term at index k (meaningful for 1 <= k <= length)."""
        if isinstance(self.rep, tuple):
            out: z3.ArithRef = self.rep[-1]
            for idx in range(len(self.rep) - 1, 0, -1):
                out = z3.If(k == idx, self.rep[idx - 1], out)
            return out
        return z3.Select(self.rep, k)

    def term_at(self, k: z3.ArithRef | int) -> z3.ArithRef:
        """Raft's ``term_at``: 0 at index 0."""
        return z3.If(k == 0, z3.IntVal(0), self.at(k))

    def last_term(self) -> z3.ArithRef:
        return self.term_at(self.length)

    def all(self, pred: Pred, upto: z3.ArithRef | None = None) -> z3.BoolRef:
        """Every index k with 1 <= k <= length (and k <= upto) satisfies ``pred(k)``."""
        if isinstance(self.rep, tuple):
            return z3.And(
                [
                    z3.Implies(self._within(k, upto), pred(z3.IntVal(k)))
                    for k in range(1, len(self.rep) + 1)
                ]
            )
        k = z3.Int(fresh_name("k"))
        return z3.ForAll([k], z3.Implies(z3.And(k >= 1, self._within(k, upto)), pred(k)))

    def _within(self, k: z3.ArithRef | int, upto: z3.ArithRef | None) -> z3.BoolRef:
        if upto is None:
            return k <= self.length
        return z3.And(k <= self.length, k <= upto)

    def some(self, pred: Pred) -> z3.BoolRef:
        """Some index k with 1 <= k <= length satisfies ``pred(k)``."""
        if isinstance(self.rep, tuple):
            return z3.Or(
                [z3.And(k <= self.length, pred(z3.IntVal(k))) for k in range(1, len(self.rep) + 1)]
            )
        k = z3.Int(fresh_name("k"))
        return z3.Exists([k], z3.And(k >= 1, k <= self.length, pred(k)))

    def append(self, t: z3.ArithRef) -> SymLog:
        n = self.length + 1
        if isinstance(self.rep, tuple):
            slots = tuple(z3.If(n == k, t, old) for k, old in enumerate(self.rep, start=1))
            return SymLog(self.mode, n, slots)
        return SymLog(self.mode, n, z3.Store(self.rep, n, t))

    def truncate(self, n: z3.ArithRef) -> SymLog:
        return SymLog(self.mode, n, self.rep)

    def ite(self, cond: z3.BoolRef, other: SymLog) -> SymLog:
        """This log when ``cond`` holds, else ``other``."""
        length = z3.If(cond, self.length, other.length)
        if isinstance(self.rep, tuple) and isinstance(other.rep, tuple):
            slots = tuple(z3.If(cond, a, b) for a, b in zip(self.rep, other.rep, strict=True))
            return SymLog(self.mode, length, slots)
        return SymLog(self.mode, length, z3.If(cond, self.rep, other.rep))

    def well_typed(self) -> z3.BoolRef:
        """0 <= length (<= max_log in BOUNDED mode); entry terms >= 1 (a term-0 entry
        cannot exist: only a leader creates entries, and no one leads term 0)."""
        parts = [self.length >= 0]
        if self.mode.bounded:
            parts.append(self.length <= self.mode.max_log)
            assert self.mode.max_term is not None
            parts.append(
                self.all(lambda k: z3.And(self.at(k) >= 1, self.at(k) <= self.mode.max_term))
            )
        else:
            parts.append(self.all(lambda k: self.at(k) >= 1))
        return z3.And(parts)

    def terms(self, model: z3.ModelRef) -> list[int]:
        n = model.eval(self.length, True).as_long()
        return [model.eval(self.at(k), True).as_long() for k in range(1, n + 1)]
