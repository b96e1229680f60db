"""Symmetry of server names in the z3 encodings: check one action instance per orbit.

Both encodings name servers only to tell them apart: the initial states, the typing
predicate and every conjunct are unchanged when servers are renamed (a permutation
``perm`` of 1..n applied to every server-indexed component and every server-valued
field, such as votedFor), and renaming the state and an action instance's server
parameters together renames the guard and the successor. Then a CTI of instance ``a``
renamed by ``perm`` is a CTI of ``perm(a)``, so ``Inv /\\ A => Inv'`` needs checking for
one instance per orbit of the permutation group: e.g. for 5 servers the 55 instances of
BecomeLeader(i, Q) fall into 3 orbits (by the size of Q).

``check_symmetry`` verifies that premise with z3 for the transposition (1 2) and the
cycle (1 2 ... n), which generate every permutation; a test runs it on both encodings.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple

import z3

if TYPE_CHECKING:  # induction imports this module
    from checker.prove.induction import ActionInstance, Arg, Encoding


def orbit_key(a: ActionInstance) -> tuple[object, ...]:
    """The same key for two instances iff a server permutation maps one onto the other.

    Servers are relabelled in order of first appearance; a set parameter (at most one,
    after the servers) becomes the relabelled members it shares with them and how many
    others it has.
    """
    relabel: dict[int, int] = {}
    out: list[object] = [a.kind]
    sets = 0
    for x in a.args:
        if isinstance(x, int):
            if sets:
                raise ValueError(f"{a.name}: a server parameter after a set parameter")
            out.append(relabel.setdefault(x, len(relabel) + 1))
        else:
            sets += 1
            if sets > 1:
                raise ValueError(f"{a.name}: more than one set parameter")
            known = frozenset(relabel[m] for m in x if m in relabel)
            out.append((tuple(sorted(known)), sum(1 for m in x if m not in relabel)))
    return tuple(out)


def representatives(actions: Sequence[ActionInstance]) -> list[ActionInstance]:
    """The first instance of each orbit, in the encoding's order."""
    seen: set[tuple[object, ...]] = set()
    out = []
    for a in actions:
        key = orbit_key(a)
        if key not in seen:
            seen.add(key)
            out.append(a)
    return out


def _rename(arg: Arg, perm: dict[int, int]) -> Arg:
    return perm[arg] if isinstance(arg, int) else frozenset(perm[m] for m in arg)


def generators(n: int) -> list[dict[int, int]]:
    """The transposition (1 2) and the cycle (1 2 ... n): together they generate S_n."""
    if n < 2:
        return []
    swap = {i: i for i in range(1, n + 1)} | {1: 2, 2: 1}
    cycle = {i: i % n + 1 for i in range(1, n + 1)}
    return [swap, cycle] if n > 2 else [swap]


class SymmetryResult(NamedTuple):
    #: What failed to commute with a renaming (empty when the check passes).
    failures: tuple[str, ...]
    checks: int


def check_symmetry(enc: Encoding, timeout_ms: int = 60_000) -> SymmetryResult:
    """Check with z3 that ``enc`` is symmetric under the generators of S_n.

    ``enc`` should be BOUNDED (quantifier-free, so every answer is decided). For each
    generator ``perm``: typing, Init and every conjunct hold of s iff they hold of
    perm(s); and for every action instance a, with the same value parameters, a's guard
    holds in s iff perm(a)'s holds in perm(s), and then perm(a's successor) equals
    perm(a)'s successor of perm(s).
    """
    failures: list[str] = []
    checks = 0
    actions = enc.actions()
    by_args = {(a.kind, a.args): a for a in actions}

    def valid(claim: z3.BoolRef, s: object, what: str) -> None:
        nonlocal checks
        checks += 1
        solver = z3.Solver()
        solver.set("timeout", timeout_ms)
        solver.add(enc.well_typed(s), z3.Not(claim))
        r = solver.check()
        if r != z3.unsat:
            failures.append(f"{what}: {'not symmetric' if r == z3.sat else 'z3 unknown'}")

    for perm in generators(enc.n):
        tag = "(" + " ".join(str(perm[i]) for i in range(1, enc.n + 1)) + ")"
        s = enc.fresh_state("sym")
        ps = enc.permute(s, perm)
        valid(enc.well_typed(s) == enc.well_typed(ps), s, f"typing under {tag}")
        valid(enc.init(s) == enc.init(ps), s, f"Init under {tag}")
        for c in enc.conjuncts:
            valid(c.holds(s) == c.holds(ps), s, f"{c.name} under {tag}")
        for a in actions:
            b = by_args.get((a.kind, tuple(_rename(x, perm) for x in a.args)))
            if b is None:
                failures.append(f"{a.name} under {tag}: no renamed instance")
                continue
            sa, sb = a.apply(s), b.apply(ps)
            same_params = [sa.params[k] == sb.params[k] for k in sa.params]
            claim = z3.Implies(
                z3.And(same_params),
                z3.And(
                    sa.guard == sb.guard,
                    z3.Implies(sa.guard, enc.equal(enc.permute(sa.after, perm), sb.after)),
                ),
            )
            valid(claim, s, f"{a.name} -> {b.name} under {tag}")
    return SymmetryResult(tuple(failures), checks)
