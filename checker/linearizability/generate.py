"""Seeded histories of a linearizable register or key-value store, for tests and the bench.

Clients run concurrently against one atomic object: an operation is invoked, takes
effect at one instant later (its linearization point), and completes later still, each
step scheduled at random. Some operations crash (``:info``): they take effect or not, and
the client continues under a new process id, as in Jepsen. The result is linearizable by
construction; ``inject`` changes one completed read to return a value that was never
written, which makes it not linearizable.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from checker.linearizability.history import Event, Kind


@dataclass
class _Client:
    process: int
    f: str = ""
    key: int = 0
    arg: Any = None
    applied: bool = False
    result: Any = None
    crash: bool = False


def simulate(
    seed: int,
    ops: int,
    clients: int = 5,
    keys: int = 0,
    info_rate: float = 0.0,
    cas: bool = False,
    values: int = 5,
) -> list[Event]:
    """``ops`` operations by ``clients`` concurrent clients on a register (``keys=0``) or
    on ``keys`` keys of a kv store (values ``[key value]``), reads and writes (and cas)."""
    rng = random.Random(seed)
    state: dict[int, Any] = {}
    idle = [_Client(p) for p in range(clients)]
    busy: list[_Client] = []
    events: list[Event] = []
    invoked = 0
    fs = ("read", "write", "cas") if cas else ("read", "write")

    def wrap(key: int, v: Any) -> Any:
        return (key, v) if keys else v

    while invoked < ops or busy:
        # Invoke with an idle client, or advance a busy one, at random.
        if idle and invoked < ops and (not busy or rng.random() < len(idle) / clients):
            c = idle.pop(rng.randrange(len(idle)))
            c.f = rng.choice(fs)
            c.key = rng.randrange(keys) if keys else 0
            c.arg = (
                None
                if c.f == "read"
                else rng.randrange(values)
                if c.f == "write"
                else (rng.randrange(values), rng.randrange(values))
            )
            c.applied = False
            c.crash = rng.random() < info_rate
            invoked += 1
            events.append(Event(c.process, Kind.INVOKE, c.f, wrap(c.key, c.arg)))
            busy.append(c)
            continue
        c = busy[rng.randrange(len(busy))]
        if not c.applied and not (c.crash and rng.random() < 0.5):
            cur = state.get(c.key)
            if c.f == "read":
                c.result = cur
            elif c.f == "write":
                state[c.key] = c.arg
                c.result = c.arg
            else:
                c.result = cur == c.arg[0]
                if c.result:
                    state[c.key] = c.arg[1]
            c.applied = True
            if not c.crash:
                continue
        busy.remove(c)
        if c.crash:
            events.append(Event(c.process, Kind.INFO, c.f, wrap(c.key, c.arg)))
            c.process += clients  # Jepsen gives a crashed client a new process
        elif c.f == "cas" and not c.result:
            events.append(Event(c.process, Kind.FAIL, c.f, wrap(c.key, c.arg)))
        else:
            out = c.result if c.f == "read" else c.arg
            events.append(Event(c.process, Kind.OK, c.f, wrap(c.key, out)))
        idle.append(c)
    return events


def inject(events: list[Event], seed: int) -> tuple[list[Event], int]:
    """A copy of ``events`` where one completed read (in the second half, chosen by
    ``seed``) returns -1, a value no client writes; returns the events and that index."""
    rng = random.Random(seed)
    reads = [
        k
        for k, e in enumerate(events)
        if e.kind is Kind.OK and e.f == "read" and k >= len(events) // 2
    ]
    if not reads:
        raise ValueError("no completed read to corrupt")
    k = rng.choice(reads)
    e = events[k]
    value = (e.value[0], -1) if isinstance(e.value, tuple) else -1
    out = list(events)
    out[k] = Event(e.process, e.kind, e.f, value, e.line)
    return out, k
