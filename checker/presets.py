"""Named model presets: every tool (check, simulate, later tlc) takes its bounds from here.

Sizes are measured with symmetry on (3 servers, set network); see bench/ for figures.
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
            "elections only: term 1, empty logs (121 states with symmetry)",
        ),
        Preset(
            "default",
            3,
            Bounds(1, 1, 1, 1, (1,)),
            Semantics.SET,
            "a contested election, a committed entry and a restart, in term 1 "
            "(58,129 states with symmetry)",
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
            "two terms with empty logs: elections across terms, fencing",
        ),
        Preset(
            "deep",
            3,
            Bounds(2, 1, 1, 1, (1,)),
            Semantics.SET,
            "two terms, logs of 1, a restart: the largest tier; may exceed 10 minutes",
        ),
    )
}
