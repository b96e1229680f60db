"""The classic Raft stories as scripted traces (traces/examples/), built with
raftmodel.script so each is a genuine behaviour of the model it names.

``write_all(dir)`` regenerates every file deterministically; tests check that the files
on disk are byte-identical to a fresh regeneration and that each replays with the
outcome recorded in traces/examples/manifest.json.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

from checker.files import write_text_atomic
from checker.traces import itf
from raftmodel import mutants
from raftmodel.cluster import Bounds, ClusterState, Committed, Config, Election, init_state
from raftmodel.node import NodeState
from raftmodel.script import Script
from raftmodel.types import Entry, Role


class Story(NamedTuple):
    name: str
    description: str
    mutant: str
    #: "pass", "violation:<Property>@<step>" or "diverge@<step>", for the replay verdict.
    expect: str
    build: Callable[[], Script]


UNBOUNDED = Bounds(
    max_term=None,
    max_log=None,
    max_restarts=None,
    max_requests=None,
    values=(1, 2, 3),
    max_copies=1,
)


def _term28_cluster() -> tuple[Config, ClusterState]:
    """Mid-life: S1 has led term 28; all three servers hold its two committed entries."""
    n = 3
    log = (Entry(27, 1), Entry(28, 2))

    def node(i: int, role: Role) -> NodeState:
        if role is Role.LEADER:
            return NodeState(i, 28, 1, log, role, 2, frozenset({1, 2}), (3, 3, 3), (0, 2, 2))
        return NodeState(i, 28, 1 if i == 2 else 0, log, role, 2, frozenset(), (1,) * n, (0,) * n)

    nodes = (node(1, Role.LEADER), node(2, Role.FOLLOWER), node(3, Role.FOLLOWER))
    committed = frozenset({Committed(1, 27, 1, 27), Committed(2, 28, 2, 28)})
    state = ClusterState(nodes, frozenset(), frozenset({Election(28, 1)}), committed, 0, 2)
    return Config(n, UNBOUNDED), state


def term_29_election() -> Script:
    # The lecture notes' example: the leader of term 28 fails (it restarts), a follower
    # proposes term 29 and wins with 2 of 3 votes.
    config, start = _term28_cluster()
    s = Script(config, start)
    s.restart(1)
    s.timeout(2)
    s.vote(2, 3)
    return s


def stale_leader_fenced() -> Script:
    # Terms as fencing tokens: S1, leader of term 28, is cut off while S2 wins term 29;
    # S1's AppendEntries of term 28 is refused by S3, and S1 steps down on the reply.
    config, start = _term28_cluster()
    s = Script(config, start)
    s.timeout(2)
    s.vote(2, 3)
    s.send_append(1, 3)
    s.deliver("AppendEntries", 1, 3, term=28)
    s.deliver("AppendEntriesResponse", 3, 1, term=29)
    return s


def out_of_date_candidate_refused() -> Script:
    # §5.4.1: S1 (term 1) commits an entry with S2; S3 never saw it, times out, and is
    # refused by both, because their logs are more up-to-date than its own.
    config = Config(
        3, Bounds(max_term=3, max_log=2, max_restarts=0, max_requests=2, values=(1,), max_copies=1)
    )
    s = Script(config)
    s.timeout(1).vote(1, 2).client(1, 1).replicate(1, 2)
    s.timeout(3)
    s.deliver("RequestVote", 3, 2).deliver("RequestVote", 3, 1)
    s.deliver("RequestVoteResponse", 2, 3).deliver("RequestVoteResponse", 1, 3)
    return s


def _figure8(mutant: str) -> Script:
    # The paper's Figure 8 with 3 servers: S1 leads term 1 and appends an entry; S2 leads
    # term 2 and appends a different one; S1 leads term 3 and, with the bug, commits its
    # term-1 entry by counting replicas on S1 and S3; S2 then wins term 4 with S3's vote
    # and lacks the committed entry.
    config = Config(
        3,
        Bounds(max_term=4, max_log=1, max_restarts=0, max_requests=2, values=(1, 2), max_copies=1),
        rules=mutants.rules_for("figure8_commit"),
    )
    s = Script(config)
    s.timeout(1).vote(1, 2).client(1, 1)
    s.timeout(2).vote(2, 3).client(2, 2)
    s.deliver("RequestVote", 2, 1, term=2)
    s.timeout(1).vote(1, 3, term=3)
    s.replicate(1, 3)  # fails the consistency check: nextIndex backs off
    s.replicate(1, 3)  # S3 takes the term-1 entry; the buggy leader commits it
    s.deliver("RequestVote", 1, 2, term=3)
    s.timeout(2).vote(2, 3, term=4)
    return s


STORIES: tuple[Story, ...] = (
    Story(
        "term-29-election",
        "the leader of term 28 fails; S2 proposes term 29 and wins with 2 of 3 votes",
        "raft",
        "pass",
        term_29_election,
    ),
    Story(
        "stale-leader-fenced",
        "S1, leader of term 28, is fenced off by term 29: its "
        "AppendEntries is refused and it steps down",
        "raft",
        "pass",
        stale_leader_fenced,
    ),
    Story(
        "out-of-date-candidate",
        "a candidate whose log is behind is refused by both voters (§5.4.1)",
        "raft",
        "pass",
        out_of_date_candidate_refused,
    ),
    Story(
        "figure8-bug",
        "Figure 8 on the buggy variant: an entry of term 1 committed by "
        "counting in term 3 is missing from the leader of term 4",
        "figure8_commit",
        "violation:LeaderCompleteness@22",
        lambda: _figure8("figure8_commit"),
    ),
    Story(
        "figure8-raft",
        "the same steps on correct Raft: the fatal commit cannot happen, "
        "so replay reports the step where the trace leaves the model",
        "raft",
        "diverge@18",
        lambda: _figure8("raft"),
    ),
)


def build(story: Story) -> itf.Trace:
    s = story.build()
    from_init = s.states[0] == init_state(s.config)
    return itf.make_trace(
        s.config._replace(rules=mutants.rules_for(story.mutant)),
        s.states,
        s.actions,
        from_init=from_init,
        meta={"description": story.description},
    )


def write_all(out: str | Path) -> list[Path]:
    out = Path(out)
    paths = []
    manifest: dict[str, Any] = {"traces": []}
    for story in STORIES:
        trace = build(story)
        path = out / f"{story.name}.itf.json"
        itf.write_trace(path, trace)
        paths.append(path)
        manifest["traces"].append(
            {
                "file": path.name,
                "description": story.description,
                "mutant": story.mutant,
                "expect": story.expect,
                "steps": len(trace.steps) - 1,
            }
        )
    write_text_atomic(out / "manifest.json", json.dumps(manifest, indent=2) + "\n")
    return paths


if __name__ == "__main__":
    import sys

    for p in write_all(sys.argv[1] if len(sys.argv) > 1 else "traces/examples"):
        print(p)
