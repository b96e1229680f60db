"""Named model presets: every tool (check, simulate, tlc, crosscheck) takes its bounds from here.

Sizes and times are measured, not written here: bench/presets.py runs ``raftcheck check``
on every preset (symmetry and the inert-message view on) and stores distinct states,
depth and CPU seconds in preset_figures.json next to this module, with the machine and
date; ``figures()`` reads them for ``raftcheck presets``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

from raftmodel.actions import Action
from raftmodel.cluster import Bounds, Config
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
        if self.exhausted:
            return (
                f"{self.distinct:,} states, depth {self.depth}, {self.cpu_seconds:,.0f} s CPU "
                f"({self.build.split(' (')[0]})"
            )
        return (
            f"not exhausted in {self.limit_seconds:,.0f} s CPU: {self.distinct:,} states, "
            f"depth {self.depth}"
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
    )
}
