"""A history: client events (invocations and completions) turned into operations with a
call time and a return time, checked for being well formed.

The event stream is what every format reader produces (``formats``) and what other
sources can produce too (the client events of an ITF trace, later): an ``Event`` per
invocation or completion, in real-time order, with the line it came from. ``build``
pairs them per process as Jepsen does:

- ``invoke`` starts an operation of that process; a process with a pending invocation
  may not invoke again (Jepsen gives a crashed process a new id instead);
- ``ok`` completes it: it took effect exactly once, between its invocation and its
  completion;
- ``fail`` completes it: it did not take effect (the operation is left out);
- ``info`` completes it with an unknown outcome: it may take effect at any time after its
  invocation, or never (its return is at +infinity and the search may leave it out).
  An invocation still pending at the end of the history is treated the same way.

Time is the event's position in the stream: the checker needs only the order of calls
and returns.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any, NamedTuple

from checker.errors import RaftcheckError
from checker.linearizability.edn import show


class BadHistory(RaftcheckError, ValueError):
    """A history that cannot be read or is not well formed: one line naming the place."""

    def __init__(self, where: str, problem: str) -> None:
        super().__init__(f"{where}: {problem}" if where else problem)
        self.where = where
        self.problem = problem


class Kind(Enum):
    INVOKE = "invoke"
    OK = "ok"
    FAIL = "fail"
    INFO = "info"


class _Unknown:
    """The output of an operation whose outcome is unknown (``:info``, or still pending)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "?"


#: The output of an operation with unknown outcome: a model's step must accept any.
UNKNOWN: Any = _Unknown()


class Event(NamedTuple):
    """One invocation or completion (a NamedTuple: a reader makes one per line).
    ``process`` is an int or a name; ``f`` the operation's name (``write``); ``value`` its
    argument (invoke) or result (completion); ``line`` where it was read (0 when it was
    not read from a file)."""

    process: Any
    kind: Kind
    f: str
    value: Any
    line: int = 0


@dataclass(frozen=True, slots=True)
class Op:
    """One operation. ``call`` and ``ret`` are positions in the event stream; ``ret`` is
    None for an unknown outcome (+infinity). ``arg`` is the invocation's value, ``out``
    the completion's (``UNKNOWN`` when the outcome is unknown)."""

    id: int
    process: Any
    f: str
    arg: Any
    out: Any
    call: int
    ret: int | None
    call_line: int
    ret_line: int

    @property
    def info(self) -> bool:
        return self.ret is None


@dataclass(frozen=True, slots=True)
class History:
    """The operations that may have taken effect (ok and info), in invocation order, with
    counts of what was left out."""

    ops: tuple[Op, ...]
    events: int
    failed: int
    pending: int
    source: str = ""

    @property
    def processes(self) -> list[Any]:
        return _ordered({op.process: None for op in self.ops})


def _ordered(d: dict[Any, None]) -> list[Any]:
    # Processes in a stable order: numbers first by value, then names by text.
    return sorted(d, key=lambda p: (not isinstance(p, int), p if isinstance(p, int) else str(p)))


#: Checks one operation against the object it is meant for: (f, arg, out) -> a problem
#: or None. The model supplies it, so ``build`` refuses a ``:cas`` on a plain register.
Validator = Callable[[str, Any, Any], "str | None"]


def build(events: Iterable[Event], validate: Validator | None = None, source: str = "") -> History:
    """Pair invocations and completions per process; raise BadHistory (with the line) on
    a history that is not well formed or an operation ``validate`` refuses."""
    pending: dict[Any, tuple[int, Event]] = {}
    ops: list[tuple[int, Event, Event | None, int | None]] = []
    failed = 0
    n = 0
    for t, ev in enumerate(events):
        n = t + 1
        where = _where(source, ev.line)
        if ev.kind is Kind.INVOKE:
            if ev.process in pending:
                _, first = pending[ev.process]
                raise BadHistory(
                    where,
                    f"process {show(ev.process)} invokes {ev.f} while its {first.f}"
                    f"{_at(first.line)} is still pending (one operation at a time "
                    "per process)",
                )
            pending[ev.process] = (t, ev)
            continue
        if ev.process not in pending:
            raise BadHistory(
                where,
                f":{ev.kind.value} {ev.f} of process {show(ev.process)} completes nothing "
                "(no pending invocation)",
            )
        call, inv = pending.pop(ev.process)
        if ev.f != inv.f:
            raise BadHistory(
                where,
                f":{ev.kind.value} {ev.f} of process {show(ev.process)} completes a "
                f"{inv.f}{_at(inv.line)}",
            )
        if ev.kind is Kind.FAIL:
            failed += 1
            continue
        if ev.kind is Kind.OK:
            ops.append((call, inv, ev, t))
        else:
            ops.append((call, inv, ev, None))
    for call, inv in pending.values():
        ops.append((call, inv, None, None))
    ops.sort(key=lambda o: o[0])
    out = []
    for i, (call, inv, done, ret) in enumerate(ops):
        value = done.value if done is not None and ret is not None else UNKNOWN
        if validate is not None:
            # The invocation alone first, so a bad argument is blamed on its own line.
            problem = validate(inv.f, inv.value, UNKNOWN)
            if problem is not None:
                raise BadHistory(_where(source, inv.line), problem)
            if done is not None and ret is not None:
                problem = validate(inv.f, inv.value, value)
                if problem is not None:
                    raise BadHistory(_where(source, done.line), problem)
        out.append(
            Op(
                id=i,
                process=inv.process,
                f=inv.f,
                arg=inv.value,
                out=value,
                call=call,
                ret=ret,
                call_line=inv.line,
                ret_line=done.line if done is not None else 0,
            )
        )
    return History(tuple(out), n, failed, len(pending), source)


def _where(source: str, line: int) -> str:
    if not line:
        return source
    return f"{source}:{line}" if source else f"line {line}"


def _at(line: int) -> str:
    return f" (invoked at line {line})" if line else ""


def subset(history: History, ids: Sequence[int]) -> tuple[Op, ...]:
    return tuple(history.ops[i] for i in ids)
