"""The objects a history can be checked against: each a small record of pure functions,
as in Porcupine's ``model.go`` (``Init``, ``Step``, ``Partition``, ``DescribeOperation``,
``DescribeState``).

``step(state, input, output) -> (ok, new_state)`` is the sequential specification: can the
operation ``input`` return ``output`` in ``state``, and what state follows. ``input`` is
``(f, arg, process)``; ``output`` is ``history.UNKNOWN`` when the outcome is unknown
(``:info``), in which case ``step`` says whether the operation *could* take effect and
how. States must be hashable and compare by value: the search keys its cache on them.

docs/linearizability.md states each object's specification in words.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from checker.linearizability.edn import show
from checker.linearizability.history import UNKNOWN, Op

#: ``(f, arg, process)``: what a step sees of an operation's invocation.
Input = tuple[str, Any, Any]
Step = Callable[[Any, Input, Any], tuple[bool, Any]]


@dataclass(frozen=True)
class Model:
    """One object's sequential specification (see the module docstring)."""

    name: str
    about: str
    init: Callable[[], Any]
    step: Step
    #: (f, arg, out) -> a problem with the operation, or None: refuses operations this
    #: object does not have (a ``cas`` on a plain register) with their line.
    validate: Callable[[str, Any, Any], str | None]
    describe_operation: Callable[[str, Any, Any], str]
    describe_state: Callable[[Any], str]
    #: Splits the operations into independent parts, each checked on its own
    #: (linearizability is compositional: Herlihy & Wing 1990, Theorem 1). None: one part.
    partition: Callable[[Sequence[Op]], list[tuple[Any, list[Op]]]] | None = None
    #: Operations that never change the state and accept any unknown output: one with an
    #: unknown outcome constrains nothing, so the search leaves it out (as Knossos does
    #: with crashed reads) instead of trying it at every place.
    read_only: frozenset[str] = frozenset()
    #: Whether ``step`` reads the process (a lock's holder): if not, two operations with
    #: the same ``f`` and argument are interchangeable whoever made them.
    uses_process: bool = False


def _out(out: Any) -> str:
    return "?" if out is UNKNOWN else show(out)


# --- register: read and write ------------------------------------------------------------


def _register_step(state: Any, inp: Input, out: Any) -> tuple[bool, Any]:
    f = inp[0]
    if f == "read":
        return (out is UNKNOWN or out == state), state
    return True, inp[1]


def _cas_step(state: Any, inp: Input, out: Any) -> tuple[bool, Any]:
    f = inp[0]
    if f == "read":
        return (out is UNKNOWN or out == state), state
    if f == "write":
        return True, inp[1]
    # cas [old new]: a completed (:ok) cas succeeded; a failed one is left out by the
    # reader (Jepsen's :fail), and one of unknown outcome either succeeded or never happened.
    old, new = inp[1]
    if state == old:
        return True, new
    return False, state


def _validate_register(fs: tuple[str, ...]) -> Callable[[str, Any, Any], str | None]:
    def validate(f: str, arg: Any, out: Any) -> str | None:
        if f not in fs:
            return (
                f"a {'/'.join(fs)} object has no operation {f!r} (--object chooses the "
                "object: register, cas-register, kv, lock)"
            )
        if f == "cas" and not (isinstance(arg, tuple) and len(arg) == 2):
            return f"cas takes [old new], not {show(arg)}"
        if isinstance(arg, dict) or isinstance(out, dict):
            return "values may not be maps"
        return None

    return validate


def _describe_register(f: str, arg: Any, out: Any) -> str:
    if f == "read":
        return f"read → {_out(out)}"
    if f == "cas":
        return f"cas {show(arg[0])}→{show(arg[1])}"
    return f"{f} {show(arg)}"


REGISTER = Model(
    name="register",
    about="one register: read, write; starts as nil",
    init=lambda: None,
    step=_register_step,
    validate=_validate_register(("read", "write")),
    describe_operation=_describe_register,
    describe_state=show,
    read_only=frozenset({"read"}),
)

CAS_REGISTER = Model(
    name="cas-register",
    about="one register: read, write, cas [old new]; starts as nil",
    init=lambda: None,
    step=_cas_step,
    validate=_validate_register(("read", "write", "cas")),
    describe_operation=_describe_register,
    describe_state=show,
    read_only=frozenset({"read"}),
)


# --- kv: a cas-register per key ------------------------------------------------------------


def _kv_step(state: Any, inp: Input, out: Any) -> tuple[bool, Any]:
    # Each part holds one key (``_kv_partition``): the key is dropped and the rest is a
    # cas-register, as Jepsen's independent checker does.
    return _cas_step(state, (inp[0], inp[1][1], inp[2]), out if out is UNKNOWN else out[1])


_validate_cas = _validate_register(("read", "write", "cas"))


def _validate_kv(f: str, arg: Any, out: Any) -> str | None:
    if not (isinstance(arg, tuple) and len(arg) == 2):
        return f"a kv operation's value is [key value], not {show(arg)}"
    if isinstance(arg[0], dict):
        return "a key may not be a map"
    if out is not UNKNOWN:
        if not (isinstance(out, tuple) and len(out) == 2):
            return f"a kv completion's value is [key value], not {show(out)}"
        if out[0] != arg[0]:
            return f"the completion names key {show(out[0])}, the invocation {show(arg[0])}"
    return _validate_cas(f, arg[1], out if out is UNKNOWN else out[1])


def _kv_partition(ops: Sequence[Op]) -> list[tuple[Any, list[Op]]]:
    parts: dict[Any, list[Op]] = {}
    for op in ops:
        parts.setdefault(op.arg[0], []).append(op)
    return list(parts.items())


def _describe_kv(f: str, arg: Any, out: Any) -> str:
    return f"key {show(arg[0])}: " + _describe_register(
        f, arg[1], out if out is UNKNOWN else out[1]
    )


KV = Model(
    name="kv",
    about="a map of cas-registers (read, write, cas [old new] per key), each starting as "
    "nil; values are [key value]; checked key by key",
    init=lambda: None,
    step=_kv_step,
    validate=_validate_kv,
    describe_operation=_describe_kv,
    describe_state=show,
    partition=_kv_partition,
    read_only=frozenset({"read"}),
)


# --- lock with fencing tokens --------------------------------------------------------------
#
# State: (holder, last_token, highest_accepted, value). The lock service hands out tokens
# that strictly increase; the resource it guards accepts a write only with a token at least
# the highest it has accepted (Kleppmann's fencing token; in Raft the leader's term plays
# this role). docs/linearizability.md states the specification.


def _lock_step(state: Any, inp: Input, out: Any) -> tuple[bool, Any]:
    holder, last, highest, value = state
    f, arg, process = inp
    if f == "acquire":
        if holder is not None:
            return False, state
        if out is UNKNOWN:
            # It may have taken the lock with a token we never saw: later tokens are only
            # required to exceed the last one we know (never a false alarm).
            return True, (process, last, highest, value)
        if last is not None and out <= last:
            return False, state
        return True, (process, out, highest, value)
    if f == "release":
        if holder != process:
            return False, state
        return True, (None, last, highest, value)
    if f == "write":
        token, new = arg
        if highest is not None and token < highest:
            return False, state
        return True, (holder, last, token, new)
    return (out is UNKNOWN or out == value), state


def _validate_lock(f: str, arg: Any, out: Any) -> str | None:
    if f not in ("acquire", "release", "write", "read"):
        return f"a lock has no operation {f!r} (acquire, release, write, read)"
    if (
        f == "acquire"
        and out is not UNKNOWN
        and (isinstance(out, bool) or not isinstance(out, int))
    ):
        return f"a completed acquire returns its integer token, not {show(out)}"
    if f == "write" and not (
        isinstance(arg, tuple)
        and len(arg) == 2
        and isinstance(arg[0], int)
        and not isinstance(arg[0], bool)
    ):
        return f"a write to the guarded resource takes [token value], not {show(arg)}"
    if isinstance(arg, dict) or isinstance(out, dict):
        return "values may not be maps"
    return None


def _describe_lock(f: str, arg: Any, out: Any) -> str:
    if f == "acquire":
        return f"acquire → {_out(out)}"
    if f == "write":
        return f"write {show(arg[1])} with token {show(arg[0])}"
    if f == "read":
        return f"read → {_out(out)}"
    return f


def _describe_lock_state(state: Any) -> str:
    holder, last, highest, value = state
    held = "free" if holder is None else f"held by {show(holder)}"
    return (
        f"lock {held}, last token {show(last)}; resource: highest token {show(highest)}, "
        f"value {show(value)}"
    )


LOCK = Model(
    name="lock",
    about="a lock with fencing tokens (acquire → token, release) and the resource it "
    "guards (write [token value] accepted only with a token >= the highest accepted, read)",
    init=lambda: (None, None, None, None),
    step=_lock_step,
    validate=_validate_lock,
    describe_operation=_describe_lock,
    describe_state=_describe_lock_state,
    read_only=frozenset({"read"}),
    uses_process=True,
)

#: The objects by the name ``--object`` takes.
MODELS: dict[str, Model] = {m.name: m for m in (REGISTER, CAS_REGISTER, KV, LOCK)}
