"""Named model presets: every tool (check, simulate, tlc, crosscheck) takes its bounds from here.

Sizes are distinct states as `raftcheck check` counts them (3 servers, set network,
symmetry and the inert-message view on); see docs/checker.md and bench/ for figures.
"""

from __future__ import annotations

from typing import NamedTuple

from raftmodel.cluster import Bounds, Config
from raftmodel.network import Semantics


class Preset(NamedTuple):
    name: str
    servers: int
    bounds: Bounds
    semantics: Semantics
    about: str

    def config(self) -> Config:
        return Config(self.servers, self.bounds, self.semantics)


PRESETS: dict[str, Preset] = {
    p.name: p
    for p in (
        Preset(
            "elections",
            3,
            Bounds(1, 0, 0, 0, (1,)),
            Semantics.SET,
            "elections only: term 1, empty logs (34 states)",
        ),
        Preset(
            "default",
            3,
            Bounds(1, 1, 1, 1, (1,)),
            Semantics.SET,
            "a contested election, a committed entry and a restart, in term 1 (7,971 states)",
        ),
        Preset(
            "bag",
            3,
            Bounds(1, 0, 0, 0, (1,), max_copies=1),
            Semantics.BAG,
            "elections in term 1 over a lossy multiset network (Drop; Ongaro's raft.tla "
            "network): 5,578 states without reductions",
        ),
        Preset(
            "pair",
            2,
            Bounds(2, 1, 1, 1, (1,)),
            Semantics.SET,
            "two servers (a quorum is both), two terms, logs of 1, a request, a restart: "
            "14,370 states without reductions",
        ),
        Preset(
            "replication",
            3,
            Bounds(1, 2, 0, 2, (1, 2)),
            Semantics.SET,
            "term 1, two client requests with distinct values, logs of 2: replication, commit",
        ),
        Preset(
            "terms",
            3,
            Bounds(2, 0, 0, 0, (1,)),
            Semantics.SET,
            "two terms with empty logs: elections across terms, fencing (5,054 states)",
        ),
        Preset(
            "two-terms",
            3,
            Bounds(2, 1, 0, 1, (1,)),
            Semantics.SET,
            "two terms, logs of 1, one request, no restart: the largest preset that "
            "finishes within 10 minutes here (238,757 states)",
        ),
        Preset(
            "three-terms",
            3,
            Bounds(3, 1, 0, 2, (1,)),
            Semantics.SET,
            "three terms, logs of 1, two requests: the log up-to-date check across terms; "
            "for bug hunting (correct Raft does not finish in 10 minutes here)",
        ),
        Preset(
            "deep",
            3,
            Bounds(2, 1, 1, 1, (1,)),
            Semantics.SET,
            "two terms, logs of 1, a request and a restart: does not finish within 10 "
            "minutes here (over 408,000 states at depth 17 after 600 s)",
        ),
    )
}
