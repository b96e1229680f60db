"""Seeded random schedules over canonical/raft's fixture, recorded as observed traces.

A run is a fixture of 3 or 5 servers and a sequence of operations drawn from
``random.Random(seed)``: fixture steps (in bursts), elections of a chosen server
(``raft_fixture_elect``), depositions (``raft_fixture_depose``), disconnections and
reconnections of a pair, kills and revivals, new randomized election timeouts, and client
entries at the current leader (``raft_apply``). Every fixture step, including those the
library takes inside ``elect`` and ``depose``, is observed by ``record.Recorder``. The
same seed gives the same operations, the same fixture steps and the same trace bytes:
the fixture's clock is simulated and nothing reads the wall clock.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import NamedTuple

from checker.impl.canonical import binding as b
from checker.impl.canonical import record

#: Client values cycle through these (a small set keeps the model's hidden steps few).
VALUES = (1, 2, 3)


class Run(NamedTuple):
    seed: int
    servers: int
    #: The operations, as text (``elect 2``, ``steps 14``, ...), for the report.
    operations: tuple[str, ...]
    fixture_steps: int
    trace: str  # NDJSON
    events: int


def derive_seed(seed: int, run: int) -> int:
    """The seed of run ``run`` of a campaign started with ``seed`` (stable, no hash())."""
    return (seed * 1_000_003 + run * 7919) % (2**31)


def run_schedule(
    seed: int,
    servers: int,
    *,
    operations: int = 40,
    pre_vote: bool = False,
    cache_dir: Path | None = None,
) -> Run:
    """Drive a fresh fixture through ``operations`` random operations; return its trace."""
    rng = random.Random(seed)
    ops: list[str] = []
    steps = 0
    with b.Fixture(servers, pre_vote=pre_vote, cache_dir=cache_dir) as fx:
        rec = record.Recorder(fx)
        kinds = {b.TICK: "tick", b.NETWORK: "network", b.DISK: "disk"}

        def stepped(server: int, kind: int) -> None:
            nonlocal steps
            steps += 1
            rec.observe(kinds.get(kind, "other"), server)

        fx.on_step = stepped
        n = servers
        value = 0
        for _ in range(operations):
            r = rng.random()
            if r < 0.45:
                k = rng.randint(1, 40)
                for _ in range(k):
                    fx.step()
                ops.append(f"steps {k}")
            elif r < 0.65:
                leaders = [i for i, v in enumerate(fx.views()) if v.state == b.LEADER and v.alive]
                if leaders:
                    i = rng.choice(leaders)
                    v = VALUES[value % len(VALUES)]
                    value += 1
                    if fx.apply(i, v):
                        rec.observe("client", i, value=v)
                        ops.append(f"apply {i + 1} {v}")
            elif r < 0.72:
                i = rng.randrange(n)
                if fx.can_elect(i):
                    fx.elect(i)
                    ops.append(f"elect {i + 1}")
            elif r < 0.76:
                if fx.can_depose():
                    fx.depose()
                    ops.append("depose")
            elif r < 0.84:
                i, j = rng.sample(range(n), 2)
                if fx.connected(i, j):
                    fx.disconnect(i, j)
                    ops.append(f"disconnect {i + 1} {j + 1}")
                else:
                    fx.reconnect(i, j)
                    ops.append(f"reconnect {i + 1} {j + 1}")
            elif r < 0.90:
                i = rng.randrange(n)
                dead = sum(not fx.alive(j) for j in range(n))
                if fx.alive(i) and 2 * (dead + 1) < n:
                    fx.kill(i)
                    ops.append(f"kill {i + 1}")
                elif not fx.alive(i):
                    fx.revive(i)
                    ops.append(f"revive {i + 1}")
            else:
                i = rng.randrange(n)
                ms = rng.randint(b.ELECTION_TIMEOUT, 2 * b.ELECTION_TIMEOUT)
                fx.set_randomized_election_timeout(i, ms)
                ops.append(f"timeout {i + 1} {ms}")
        header = rec.header(seed=seed, description="; ".join(ops))
        trace = record.lines(header, rec.events)
        return Run(seed, servers, tuple(ops), steps, trace, len(rec.events))


def previous_term_commit(cache_dir: Path | None = None) -> Run:
    """A fixed scenario (no randomness) in which canonical/raft 0.15 commits an entry of
    an earlier term by counting replicas, which Figure 2 forbids (§5.4.2, Figure 8):

    5 servers. Server 1 is elected (term 2) and appends a client entry while it reaches
    only server 2, so the entry (index 2, term 2) is on 2 of 5 servers, uncommitted.
    Server 1 is cut off and steps down. Server 2 (whose log is the most up to date) is
    elected at term 3 by servers 3-5, replicates index 2 to them and, on the first
    acknowledgement that makes a majority, sets its commitIndex to 2: an entry of term 2,
    while no entry of term 3 is in its log. raftmodel's leader waits for an entry of its
    own term; the validator rejects the trace at that event (docs/canonical-raft.md).
    """
    ops: list[str] = []
    steps = 0
    with b.Fixture(5, cache_dir=cache_dir) as fx:
        rec = record.Recorder(fx)
        kinds = {b.TICK: "tick", b.NETWORK: "network", b.DISK: "disk"}

        def stepped(server: int, kind: int) -> None:
            nonlocal steps
            steps += 1
            rec.observe(kinds.get(kind, "other"), server)

        fx.on_step = stepped
        fx.elect(0)
        ops.append("elect 1")
        for j in (2, 3, 4):
            fx.disconnect(0, j)
            ops.append(f"disconnect 1 {j + 1}")
        if not fx.apply(0, 1):
            raise RuntimeError("server 1 refused the client entry")
        rec.observe("client", 0, value=1)
        ops.append("apply 1 1")
        for _ in range(60):  # server 2 stores index 2; the leader cannot commit it
            fx.step()
        fx.disconnect(0, 1)
        ops.append("disconnect 1 2")
        while fx.views()[0].state == b.LEADER:  # check-quorum step-down (thesis §6.2)
            fx.step()
        ops.append("steps until server 1 steps down")
        fx.elect(1)
        ops.append("elect 2")
        for _ in range(40):
            fx.step()
        ops.append("steps 40")
        header = rec.header(description="; ".join(ops))
        trace = record.lines(header, rec.events)
        return Run(-1, 5, tuple(ops), steps, trace, len(rec.events))
