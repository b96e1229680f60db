"""A service state's client history as the linearizability checker reads it.

``raftmodel.service`` records every client event (``HistoryEvent``); the key-value
operations become ``checker.linearizability`` events for its ``kv`` object (values
``[key value]``, nil as None, a cas as ``[key [old new]]``), with the client as the
process. Lock and fenced-write events are judged by the FencedWrites property instead:
the checker's ``lock`` object has no leases, and the service's locks expire.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from checker.linearizability import formats
from checker.linearizability.history import Event, Kind, build
from checker.linearizability.models import KV
from checker.linearizability.search import Budget, Result, Verdict, check
from raftmodel.service import NIL, Ev, Fn, HistoryEvent

KV_FNS = frozenset({Fn.read, Fn.write, Fn.cas})
_KIND = {Ev.invoke: Kind.INVOKE, Ev.ok: Kind.OK, Ev.fail: Kind.FAIL, Ev.info: Kind.INFO}


def _v(x: int) -> int | None:
    return None if x == NIL else x


def kv_value(e: HistoryEvent) -> Any:
    """The ``[key value]`` of a kv event."""
    if e.f is Fn.cas:
        old, new = e.value
        return (e.key, (_v(old), new))
    return (e.key, _v(e.value[0]) if e.value else None)


def kv_events(history: Iterable[HistoryEvent]) -> list[Event]:
    return [Event(e.client, _KIND[e.ev], e.f.name, kv_value(e)) for e in history if e.f in KV_FNS]


def lock_events(history: Iterable[HistoryEvent]) -> list[Event]:
    """Lock and fenced-write events (acquire's value: its token; fenced: [token value])."""
    out = []
    for e in history:
        if e.f is Fn.acquire:
            out.append(Event(e.client, _KIND[e.ev], "acquire", tuple(e.value) or None))
        elif e.f is Fn.fenced:
            out.append(Event(e.client, _KIND[e.ev], "fenced", (tuple(e.value[:2]), e.value[2])))
    return out


def check_kv(history: Sequence[HistoryEvent], seconds: float | None = 10.0) -> Result:
    """The kv part of ``history`` checked by ``checker.linearizability``."""
    h = build(kv_events(history), KV.validate, "history")
    return check(KV, h, Budget(seconds=seconds))


_CACHE: dict[tuple[HistoryEvent, ...], str | None] = {}


def linearizable(history: tuple[HistoryEvent, ...]) -> str | None:
    """None when the kv history is linearizable; else one line naming the operation that
    cannot be placed. Memoised: many states share a history."""
    kv = tuple(e for e in history if e.f in KV_FNS)
    if not any(e.ev is Ev.ok and e.f is not Fn.write for e in kv):
        return None  # only writes completed: any order of them is a linearization
    hit = _CACHE.get(kv, _CACHE)
    if hit is not _CACHE:
        return hit  # type: ignore[return-value]
    if len(_CACHE) > 200_000:
        _CACHE.clear()
    res = check_kv(kv)
    detail: str | None = None
    if res.verdict is Verdict.VIOLATION:
        part = res.violations[0]
        h = build(kv_events(kv), KV.validate)
        op = h.ops[part.blocked] if part.blocked is not None else None
        what = (
            f"client {op.process}'s {KV.describe_operation(op.f, op.arg, op.out)}"
            if op is not None
            else "an operation"
        )
        detail = (
            f"the client history ({len(h.ops)} operations) is not linearizable: {what} "
            f"cannot be placed after {len(part.prefix)} operations (state: {part.state})"
        )
    elif res.verdict is Verdict.UNKNOWN:
        detail = f"the linearizability check of the client history ran out of budget: {res.reason}"
    _CACHE[kv] = detail
    return detail


def jsonl(history: Iterable[HistoryEvent]) -> str:
    """The kv history as raftcheck's JSON lines (docs/linearizability.md)."""
    return "".join(formats.to_json(e, keyed=True) + "\n" for e in kv_events(history))
