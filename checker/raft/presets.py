"""Named model presets: every tool (check, simulate, tlc, crosscheck) takes its bounds from here.

Sizes and times are measured, not written here: bench/presets.py runs ``raftcheck check``
on every preset (symmetry and the inert-message view on) and stores distinct states,
depth and CPU seconds in preset_figures.json next to this module, with the machine and
date; ``figures()`` reads them for ``raftcheck presets``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache, partial
from pathlib import Path
from typing import Any, NamedTuple

from raftmodel import network as net
from raftmodel import service as sv
from raftmodel.actions import Action, Receive, SendAppendEntries
from raftmodel.cluster import Bounds, Config
from raftmodel.messages import AppendEntries, AppendEntriesResponse, Message
from raftmodel.network import Semantics
from raftmodel.script import Script


class Preset(NamedTuple):
    name: str
    servers: int
    bounds: Bounds
    semantics: Semantics
    about: str
    #: Builds the raftmodel actions from Init to the state the search starts from
    #: (Config.prefix); None: the search starts at Init. Called only when the preset is
    #: used, so a model change that breaks a scripted start breaks those presets alone,
    #: not every command at import.
    start: Callable[[], tuple[Action, ...]] | None = None
    #: The ``service`` flavour: a key-value and lock service on this cluster, its clients
    #: and their programs (raftmodel.service); None: the cluster alone.
    service: sv.Service | None = None
    #: Client and cluster steps after ``start`` to the state the search starts from.
    service_start: Callable[[], tuple[sv.AnyAction, ...]] | None = None

    def service_config(self, config: Config) -> sv.ServiceConfig:
        """The service of this preset on ``config`` (this preset's cluster, with the
        command line's overrides and variant)."""
        assert self.service is not None, f"{self.name} has no service"
        sc = sv.make_config(config, self.service)
        return sc._replace(prefix=() if self.service_start is None else self.service_start())

    @property
    def prefix(self) -> tuple[Action, ...]:
        return () if self.start is None else self.start()

    @property
    def from_init(self) -> bool:
        """Does the search start at Init (no scripted prefix; no builder is run)?"""
        return self.start is None

    def config(self) -> Config:
        return Config(self.servers, self.bounds, self.semantics, prefix=self.prefix)


#: Written by bench/presets.py --write; shipped as package data.
FIGURES_FILE = Path(__file__).with_name("preset_figures.json")


class Figures(NamedTuple):
    """One preset's measured size: the states ``check`` reached, and whether it exhausted
    the space within ``limit_seconds``."""

    distinct: int
    generated: int
    depth: int
    exhausted: bool
    cpu_seconds: float
    limit_seconds: float
    #: ``checker.build.describe()`` of the run: pure Python or compiled by mypyc.
    build: str = "pure Python"

    def show(self) -> str:
        cpu = f"{self.cpu_seconds:,.1f}" if self.cpu_seconds < 10 else f"{self.cpu_seconds:,.0f}"
        build = self.build.split(" (")[0]
        if self.exhausted:
            return f"{self.distinct:,} states, depth {self.depth}, {cpu} s CPU ({build})"
        return (
            f"not exhausted in {self.limit_seconds:,.0f} s CPU: {self.distinct:,} states, "
            f"depth {self.depth} ({build})"
        )


def figures() -> tuple[dict[str, Figures], dict[str, Any]]:
    """The measured figures by preset name, and the measurement's metadata (machine,
    date). Empty when bench/presets.py has not written the file."""
    try:
        doc = json.loads(FIGURES_FILE.read_text())
    except FileNotFoundError:
        return {}, {}
    rows = {
        name: Figures(**{f: row[f] for f in Figures._fields if f in row})
        for name, row in doc["presets"].items()
    }
    meta = {k: v for k, v in doc.items() if k != "presets"}
    return rows, meta


@cache
def figure8_start() -> tuple[Action, ...]:
    """The paper's Figure 8 (a) with 3 servers, from Init: S1 leads term 1 and appends an
    entry no one else gets; S2 leads term 2 with S3's vote and appends another; S1 hears
    of term 2. No entry is committed; S1 and S2 hold different entries at index 1."""
    s = Script(
        Config(3, Bounds(max_term=2, max_log=1, max_restarts=0, max_requests=2, values=(1,)))
    )
    s.timeout(1).vote(1, 2).client(1, 1)
    s.timeout(2).vote(2, 3).client(2, 1)
    s.deliver("RequestVote", 2, 1, term=2)
    return tuple(s.actions)


@cache
def leader_start(n: int) -> tuple[Action, ...]:
    """S1 leads term 1 with S2's vote (a service's clients need a leader first)."""
    s = Script(Config(n, Bounds(max_term=1, max_log=0, max_restarts=0, max_requests=0)))
    s.timeout(1).vote(1, 2)
    return tuple(s.actions)


@cache
def two_leaders_start() -> tuple[Action, ...]:
    """S1 leads term 1 with S2's vote; S2 then leads term 2 with S3's vote, and S1 has not
    heard of it: a stale leader, as after a partition (3 servers)."""
    s = Script(Config(3, Bounds(max_term=2, max_log=0, max_restarts=0, max_requests=0)))
    s.timeout(1).vote(1, 2)
    s.timeout(2).vote(2, 3)
    return tuple(s.actions)


@cache
def stale_write_start() -> tuple[sv.AnyAction, ...]:
    """After ``two_leaders_start``: client 2 sends its write to S2, the leader of term 2,
    which appends it. Its commit, its answer and client 1's read at S1 are the search's:
    without this step the leaders' empty heartbeats before the write multiply the space
    past exhaustive reach (452,623 states at depth 17 after 25 minutes)."""
    return (sv.Submit(2),)


#: The lock preset's clients: each acquires the lock, then writes to the resource.
LOCK_SERVICE = sv.Service(
    ((sv.acquire(), sv.fenced(1)), (sv.acquire(), sv.fenced(2))),
    max_attempts=1,
    guesses=(1, 2),
)


@cache
def lock_granted_start() -> tuple[sv.AnyAction, ...]:
    """After ``leader_start(2)``: client 1's acquire is appended by S1, replicated to S2,
    committed and answered (its grant is entry 1 of term 1)."""
    config = PRESETS["service-lock"]
    sc = sv.make_config(config.config(), LOCK_SERVICE)
    s = sv.init_state(sc)
    acts: list[sv.AnyAction] = [sv.Submit(1), SendAppendEntries(1, 2)]
    for a in acts:
        s = _step(s, a, sc)
    ae = next(m for m in _messages(s) if isinstance(m, AppendEntries) and m.entries)
    s = _step(s, Receive(ae), sc)
    aer = next(m for m in _messages(s) if isinstance(m, AppendEntriesResponse) and m.success)
    s = _step(s, Receive(aer), sc)
    _step(s, sv.Reply(1), sc)
    return (*acts, Receive(ae), Receive(aer), sv.Reply(1))


def _messages(s: sv.ServiceState) -> list[Message]:
    return net.messages(s.cluster.network, Semantics.SET)


def _step(s: sv.ServiceState, a: sv.AnyAction, sc: sv.ServiceConfig) -> sv.ServiceState:
    nxt = sv.apply(s, a, sc)
    if nxt is None:
        raise ValueError(f"the scripted start's {sv.describe(a)} is not enabled")
    return nxt


PRESETS: dict[str, Preset] = {
    p.name: p
    for p in (
        Preset(
            "elections",
            3,
            Bounds(max_term=1, max_log=0, max_restarts=0, max_requests=0, values=(1,)),
            Semantics.SET,
            "elections only: term 1, empty logs",
        ),
        Preset(
            "default",
            3,
            Bounds(max_term=1, max_log=1, max_restarts=1, max_requests=1, values=(1,)),
            Semantics.SET,
            "a contested election, a committed entry and a restart, in term 1",
        ),
        Preset(
            "bag",
            3,
            Bounds(
                max_term=1, max_log=0, max_restarts=0, max_requests=0, values=(1,), max_copies=1
            ),
            Semantics.BAG,
            "elections in term 1 over a lossy multiset network (Drop; Ongaro's raft.tla "
            "network): 5,578 states without reductions",
        ),
        Preset(
            "pair",
            2,
            Bounds(max_term=2, max_log=1, max_restarts=1, max_requests=1, values=(1,)),
            Semantics.SET,
            "two servers (a quorum is both), two terms, logs of 1, a request, a restart: "
            "13,774 states without reductions",
        ),
        Preset(
            "replication",
            3,
            Bounds(max_term=1, max_log=2, max_restarts=0, max_requests=2, values=(1, 2)),
            Semantics.SET,
            "term 1, two client requests with distinct values, logs of 2: replication, commit",
        ),
        Preset(
            "terms",
            3,
            Bounds(max_term=2, max_log=0, max_restarts=0, max_requests=0, values=(1,)),
            Semantics.SET,
            "two terms with empty logs: elections across terms, fencing",
        ),
        Preset(
            "five",
            5,
            Bounds(max_term=2, max_log=0, max_restarts=0, max_requests=0, values=(1,)),
            Semantics.SET,
            "five servers, elections over two terms, empty logs: bugs that need a candidate "
            "holding a vote it has not won with (a quorum of 3), e.g. votes_kept_across_terms",
        ),
        Preset(
            "two-terms",
            3,
            Bounds(max_term=2, max_log=1, max_restarts=0, max_requests=1, values=(1,)),
            Semantics.SET,
            "two terms, logs of 1, one request, no restart",
        ),
        Preset(
            "three-terms",
            3,
            Bounds(max_term=3, max_log=1, max_restarts=0, max_requests=2, values=(1,)),
            Semantics.SET,
            "three terms, logs of 1, two requests: the log up-to-date check across terms; "
            "for bug hunting (correct Raft is not exhausted here)",
        ),
        Preset(
            "figure8",
            3,
            Bounds(max_term=4, max_log=1, max_restarts=0, max_requests=2, values=(1,)),
            Semantics.SET,
            "the paper's Figure 8 with 3 servers: starts at its (a), where S1 holds an "
            "uncommitted entry of term 1 and S2 leads term 2 with one of term 2 (9 raftmodel "
            "steps from Init); four terms, no more requests. For bug hunting: correct Raft "
            "is not exhausted here",
            figure8_start,
        ),
        Preset(
            "divergent-logs",
            3,
            Bounds(max_term=3, max_log=2, max_restarts=0, max_requests=3, values=(1,)),
            Semantics.SET,
            "Figure 8 (a)'s start, three terms, logs of 2, one more request: a new leader's "
            "AppendEntries reaches a follower whose log differs below prevLogIndex. For bug "
            "hunting, like figure8",
            figure8_start,
        ),
        Preset(
            "batched",
            3,
            Bounds(max_term=1, max_log=2, max_restarts=0, max_requests=2, values=(1,), max_batch=2),
            Semantics.SET,
            "term 1, logs of 2, two requests, and AppendEntries of any 1 or 2 entries from "
            "nextIndex (max_batch 2), as real leaders batch: a follower's last new entry can "
            "be below leaderCommit. For bug hunting (commit_past_last_new, "
            "truncate_after_batch)",
        ),
        Preset(
            "deep",
            3,
            Bounds(max_term=2, max_log=1, max_restarts=1, max_requests=1, values=(1,)),
            Semantics.SET,
            "two terms, logs of 1, a request and a restart: the largest preset correct Raft "
            "exhausts (the aim, 3 terms and logs of 2, is out of reach)",
        ),
        Preset(
            "service",
            2,
            Bounds(max_term=1, max_log=1, max_restarts=0, max_requests=0, values=(1,)),
            Semantics.SET,
            "service: a key-value store on 2 servers, S1 leading term 1; client 1 writes "
            "key 1, client 2 (who first asks S2) reads it; ReadIndex reads",
            partial(leader_start, 2),
            sv.Service(((sv.write(1, 1),), (sv.read(1),))),
        ),
        Preset(
            "service-stale",
            3,
            Bounds(max_term=2, max_log=1, max_restarts=0, max_requests=0, values=(1,)),
            Semantics.SET,
            "service: 3 servers, S1 still leading term 1 while S2 leads term 2 (a stale "
            "leader); client 2's write of key 1 is appended at S2, client 1 reads key 1 at "
            "S1 and, refused, at S2; ReadIndex reads",
            two_leaders_start,
            sv.Service(((sv.read(1),), (sv.write(1, 1),)), max_attempts=2),
            stale_write_start,
        ),
        Preset(
            "service-lock",
            2,
            Bounds(max_term=2, max_log=2, max_restarts=0, max_requests=0, values=(1,)),
            Semantics.SET,
            "service: a lock with fencing tokens on 2 servers and the resource it guards; "
            "client 1 holds a grant of term 1 and client 2 (who asks S2) acquires next, "
            "then both write to the resource",
            partial(leader_start, 2),
            LOCK_SERVICE,
            lock_granted_start,
        ),
    )
}
