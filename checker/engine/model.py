"""What the engine explores: a model is data the search walks (Stateright's shape).

A model gives its initial states, the labelled successors of a state in a deterministic
order, the properties to check (state invariants and transition properties, each a pure
predicate that returns None when it holds and a one-line explanation when it does not),
the kind of each action (for coverage and swarm testing), and a fingerprinter: the
canonical 64-bit fingerprint the search identifies states by, with the reductions
(symmetry, a view) the model can soundly apply.

The engine knows no protocol: ``checker.raft.model.RaftModel`` is the Raft cluster of
raftmodel as a model, and tests check the same search on toy models (a counter, two-phase
commit). Determinism is part of the contract: the order of initial states and successors
must not depend on hashing, iteration order of sets or the clock, because counterexamples
are rebuilt by re-generating successors and finding the recorded fingerprint.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import Any, Generic, NamedTuple, Protocol, TypeVar

S = TypeVar("S")
A = TypeVar("A")


class Violation(NamedTuple):
    """A property that does not hold, and why (one line)."""

    property: str
    detail: str


class Invariant(NamedTuple, Generic[S]):
    """A state property: ``check(s)`` is None when it holds."""

    name: str
    #: Where the property is stated (e.g. "§5.2, Figure 3"); empty for toy models.
    section: str
    meaning: str
    check: Callable[[S], str | None]


class TransitionProperty(NamedTuple, Generic[S, A]):
    """A property of one step: ``check(before, action, after)`` is None when it holds."""

    name: str
    section: str
    meaning: str
    check: Callable[[S, A, S], str | None]


class Fingerprinter(NamedTuple, Generic[S]):
    """How the search identifies states, and which reductions it applies."""

    #: The canonical 64-bit fingerprint: equal for states the reductions identify.
    fingerprint: Callable[[S], int]
    #: An exact canonical key (no collision risk, more memory): ``--exact``.
    key: Callable[[S], Hashable]
    #: Whether symmetry, and a view, are applied (asked for and sound for the model).
    symmetry: bool
    view: bool
    #: What the reductions assume of the model, checked on every transition like the
    #: model's own transition properties: a violation means the reduction may have merged
    #: inequivalent states, and is reported (with its trace) instead of a verdict.
    assumptions: tuple[TransitionProperty[S, Any], ...] = ()
    #: A coarser key that most steps keep (None: none known), equal for states with
    #: equal fingerprints: the distributed search routes a state to the worker that owns
    #: its key, so that most successors stay where they were made.
    locality: Callable[[S], int] | None = None
    #: A state made of the objects this process already holds where it holds equal ones
    #: (None: the model keeps none). A state that arrives from another process is all new
    #: objects, and the model's caches find parts by identity first.
    shared: Callable[[S], S] | None = None
    #: About how much work expanding a state is, in any unit but at least 1 (None: every
    #: state is 1), a function of the state alone: the distributed search balances its
    #: levels by it.
    work: Callable[[S], int] | None = None


class Properties(Protocol[S, A]):
    """What a model checks (a model is one; so is a bare record of properties)."""

    @property
    def invariants(self) -> Sequence[Invariant[S]]: ...

    @property
    def transition_properties(self) -> Sequence[TransitionProperty[S, A]]: ...


class Model(Properties[S, A], Protocol[S, A]):
    """A finite transition system with properties, as the search needs it."""

    #: Every action kind, in the order coverage is reported.
    @property
    def kinds(self) -> Sequence[str]: ...

    #: The kinds a swarm walk always keeps (without them nothing can happen).
    @property
    def essential_kinds(self) -> frozenset[str]: ...

    def init_states(self) -> Sequence[S]: ...

    def successors(self, s: S) -> Iterable[tuple[A, S]]:
        """Every enabled action with its successor, in a deterministic order."""
        ...

    def kind(self, a: A) -> str: ...

    def fingerprinter(self, symmetry: bool, view: bool) -> Fingerprinter[S]:
        """The reductions asked for, as far as they are sound for this model."""
        ...

    def describe_state(self, s: S) -> str: ...

    def describe_action(self, a: A) -> str: ...


def check_state(model: Properties[S, A], s: S) -> Violation | None:
    """The first state invariant that ``s`` violates, or None."""
    for inv in model.invariants:
        check = inv.check  # a field read; ``inv.check(s)`` compiles to a method lookup
        detail = check(s)
        if detail is not None:
            return Violation(inv.name, detail)
    return None


def check_transition(model: Properties[S, A], s: S, a: A, t: S) -> Violation | None:
    """The first transition property that the step ``s --a--> t`` violates, or None."""
    return first_violation(model.transition_properties, s, a, t)


def first_violation(
    props: Sequence[TransitionProperty[S, A]], s: S, a: A, t: S
) -> Violation | None:
    """The first of ``props`` that the step ``s --a--> t`` violates, or None (the search
    passes the model's properties with its reductions' assumptions)."""
    for prop in props:
        check = prop.check  # a field read; ``prop.check(...)`` compiles to a method lookup
        detail = check(s, a, t)
        if detail is not None:
            return Violation(prop.name, detail)
    return None


def check_step(model: Properties[S, A], s: S, a: A, t: S) -> Violation | None:
    """The step's transition properties, then the state invariants of its target."""
    return check_transition(model, s, a, t) or check_state(model, t)


def state_checker(model: Properties[S, A]) -> Callable[[S], Violation | None]:
    """``check_state`` on ``model`` as one function of a state: the model's own
    ``first_state_violation`` when it has one (see ``transition_checker``)."""
    fused: Callable[[S], Violation | None] | None = getattr(model, "first_state_violation", None)
    if fused is not None:
        return fused

    def check(s: S) -> Violation | None:
        return check_state(model, s)

    return check


def transition_checker(
    model: Properties[S, A], extra: Sequence[TransitionProperty[S, A]] = ()
) -> Callable[[S, A, S], Violation | None]:
    """The model's transition properties, then ``extra`` (the reductions' assumptions), as
    one function of a step: the first violated, or None.

    A model may answer for its properties in one call, with a method
    ``first_transition_violation(s, a, t)`` (and ``first_state_violation(s)`` for its
    invariants) that returns what ``first_violation`` over its properties would. Called
    through a sequence of records, each property is a generic call, which in a compiled
    build costs as much as a short property itself (arguments packed, parsed, the
    answer boxed): a compiled model's own function calls each property natively. The
    sequence still names the properties, for reports and coverage; a model that offers
    the method owes a test that both agree (the Raft model's: tests/checker)."""
    fused: Callable[[S, A, S], Violation | None] | None = getattr(
        model, "first_transition_violation", None
    )
    if fused is None:
        props = (*model.transition_properties, *extra)

        def check(s: S, a: A, t: S) -> Violation | None:
            return first_violation(props, s, a, t)

        return check
    if not extra:
        return fused
    assumptions = tuple(extra)
    own = fused

    def both(s: S, a: A, t: S) -> Violation | None:
        v = own(s, a, t)
        return v if v is not None else first_violation(assumptions, s, a, t)

    return both


def property_names(model: Properties[S, A]) -> tuple[str, ...]:
    """Every property the model checks: invariants first, then transition properties."""
    return tuple(p.name for p in model.invariants) + tuple(
        p.name for p in model.transition_properties
    )


def plain(fingerprint: Callable[[S], int] = hash) -> Fingerprinter[S]:
    """No reductions: states are themselves (for models without symmetry or a view)."""

    def key(s: S) -> Hashable:
        return s

    return Fingerprinter(fingerprint, key, False, False)


__all__ = [
    "Fingerprinter",
    "Invariant",
    "Model",
    "Properties",
    "TransitionProperty",
    "Violation",
    "check_state",
    "check_step",
    "check_transition",
    "first_violation",
    "plain",
    "property_names",
    "state_checker",
    "transition_checker",
]
