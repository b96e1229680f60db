"""Build the conformance suite: scenarios from the explored state graph of a few small
models, chosen to cover every outcome class and every abstract per-node edge, plus the
shortest counterexample of every known-bug variant as a regression scenario.

Exploration is a BFS with the checker's fingerprints (symmetry and the view): every
state kept is a concrete state reached from its parent by a concrete action, so the BFS
tree's paths are real action sequences, and so is a tree path followed by any
transition out of its last state. For each coverage goal the first transition in BFS
order that shows it gives a shortest path; a greedy set cover picks few of those paths.

A scenario is an ITF trace from Init (raftmodel's states on correct Raft, one per step)
whose ``#meta.conformance`` holds, per step, the protocol operation and what the acting
node must show after it: its state and the messages it sent (docs/conformance.md).
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from checker.conform import extend, outcomes
from checker.conform import protocol as proto
from checker.engine.search import Options, check
from checker.errors import BadOption
from checker.files import write_text_atomic
from checker.raft.model import RaftModel
from checker.raft.presets import PRESETS, figure8_start
from checker.traces import itf
from raftmodel import mutants
from raftmodel.actions import Action, ClientRequest, Receive, Restart, SendAppendEntries, Timeout
from raftmodel.cluster import Bounds, ClusterState, Config, apply, init_state, successors
from raftmodel.network import Semantics
from raftmodel.node import step
from raftmodel.rules import RAFT
from raftmodel.script import Script

#: Where ``raftcheck suite build`` writes and ``raftcheck conform`` reads by default.
DEFAULT_DIR = Path("traces/conformance")
MANIFEST = "manifest.json"
#: What the runner compares after each step (the acting node) and at init and at the end
#: (every node).
COMPARED_EACH_STEP = (*proto.STATE_FIELDS, "sent")
COMPARED_ALL_NODES = proto.STATE_FIELDS


class Source(NamedTuple):
    """A small model whose whole graph is explored for coverage."""

    name: str
    #: The preset the model is (derived from).
    preset: str
    config: Config
    about: str


SOURCES: tuple[Source, ...] = (
    Source(
        "default",
        "default",
        PRESETS["default"].config(),
        "3 servers, term 1: a contested election, a committed entry and a restart",
    ),
    Source(
        "pair",
        "pair",
        PRESETS["pair"].config(),
        "2 servers, two terms: step-down, stale terms, a log that is not up to date",
    ),
    Source(
        "figure8",
        "figure8",
        Config(
            3,
            Bounds(max_term=2, max_log=1, max_restarts=0, max_requests=2, values=(1,)),
            Semantics.SET,
            prefix=figure8_start(),
        ),
        "the paper's Figure 8 (a) with its bounds cut to term 2: conflicting logs, "
        "truncation, a refused AppendEntries, commit by counting",
    ),
    Source(
        "four",
        "elections",
        Config(
            4,
            Bounds(max_term=1, max_log=0, max_restarts=0, max_requests=0, values=(1,)),
            Semantics.SET,
        ),
        "4 servers, term 1: a vote counted short of a majority (3 of 4 needed)",
    ),
    Source(
        "solo",
        "default",
        Config(
            1,
            Bounds(max_term=1, max_log=1, max_restarts=0, max_requests=1, values=(1,)),
            Semantics.SET,
        ),
        "a cluster of one: elected alone, committed alone",
    ),
)


#: Where ``check`` finds each variant (tests/checker/test_search.py FAST_MUTANTS), for a
#: catalog whose Mutant does not carry its preset yet.
def mutant_preset(m: mutants.Mutant) -> str:
    """The preset where ``raftcheck check`` finds the variant (the catalog says)."""
    return m.preset


# --- protocol operations of harness actions ---------------------------------------------------


def operation(a: Action) -> dict[str, Any]:
    """The protocol request (without its id) that performs harness action ``a``."""
    if isinstance(a, Timeout):
        return {"op": "timeout", "node": a.i}
    if isinstance(a, SendAppendEntries):
        op: dict[str, Any] = {"op": "send_append", "node": a.i, "to": a.j}
        # A bounded batch (raftmodel's Bounds.max_batch): the runner delivers only the
        # first ``batch`` entries of what the leader sends (docs/conformance.md).
        batch = getattr(a, "batch", 0)
        if batch:
            op["batch"] = batch
        return op
    if isinstance(a, Receive):
        return {"op": "deliver", "message": proto.envelope(a.m)}
    if isinstance(a, ClientRequest):
        return {"op": "client_request", "node": a.i, "value": a.v}
    if isinstance(a, Restart):
        return {"op": "restart", "node": a.i}
    raise BadOption(f"{a!r} is the network's own action; the conformance suite has none")


def probe_action(op: dict[str, Any]) -> Action:
    """The node event of a probe operation, as the harness action that would feed it (a
    probe is an operation the harness never takes: its guard is off)."""
    if op["op"] == "timeout":
        return Timeout(op["node"])
    if op["op"] == "send_append":
        return SendAppendEntries(op["node"], op["to"])
    if op["op"] == "client_request":
        return ClientRequest(op["node"], op["value"])
    raise ValueError(f"not a probe operation: {op['op']!r}")


# --- exploration and cover --------------------------------------------------------------------


class Candidate(NamedTuple):
    source: Source
    #: From Init (the source's prefix included).
    actions: tuple[Action, ...]
    goals: frozenset[str]


def _goals(s: ClusterState, a: Action, t: ClusterState, config: Config) -> frozenset[str]:
    names = outcomes.classify(s, a, t, outcomes.sent_by(s, a, config))
    edge = outcomes.abstract_edge(s, a, t)
    found = {f"outcome {x}" for x in names}
    if edge is not None:
        found.add(f"edge {edge}")
    return frozenset(found)


def explore(src: Source) -> tuple[dict[str, Candidate], int]:
    """For every goal the source shows, a shortest path from Init that ends with it; and
    the number of states explored."""
    config = src.config
    fp = RaftModel(config).fingerprinter(True, True).fingerprint
    root = init_state(config)
    states = [root]
    parent = [-1]
    via: list[Action | None] = [None]
    cum: list[frozenset[str]] = [frozenset()]
    index = {fp(root): 0}
    best: dict[str, Candidate] = {}
    q = deque([0])

    def path(k: int) -> tuple[Action, ...]:
        out: list[Action] = []
        while k > 0:
            a = via[k]
            assert a is not None
            out.append(a)
            k = parent[k]
        return (*config.prefix, *reversed(out))

    while q:
        k = q.popleft()
        s = states[k]
        for a, t in successors(s, config):
            g = _goals(s, a, t, config)
            new_goals = [x for x in g if x not in best]
            if new_goals:
                p = Candidate(src, (*path(k), a), cum[k] | g)
                for x in new_goals:
                    best[x] = p
            f = fp(t)
            if f not in index:
                index[f] = len(states)
                states.append(t)
                parent.append(k)
                via.append(a)
                cum.append(cum[k] | g)
                q.append(len(states) - 1)
    return best, len(states)


def cover(candidates: Sequence[Candidate]) -> list[Candidate]:
    """Greedy set cover: repeatedly the path that covers most goals not yet covered
    (ties: the shorter, then the earlier)."""
    uncovered = set().union(*(p.goals for p in candidates)) if candidates else set()
    chosen: list[Candidate] = []
    pool = list(candidates)
    while uncovered:
        k = max(
            range(len(pool)),
            key=lambda j: (len(pool[j].goals & uncovered), -len(pool[j].actions), -j),
        )
        p = pool.pop(k)
        chosen.append(p)
        uncovered -= p.goals
    return chosen


# --- scenarios -------------------------------------------------------------------------------


class Scenario(NamedTuple):
    name: str
    trace: itf.Trace


def play(config: Config, actions: Sequence[Action]) -> tuple[list[ClusterState], int]:
    """Take ``actions`` from Init on ``config`` (no prefix); returns the states and how
    many actions were enabled (the play stops at the first that is not)."""
    states = [init_state(config._replace(prefix=()))]
    for a in actions:
        t = apply(states[-1], a, config)
        if t is None:
            break
        states.append(t)
    return states, len(states) - 1


def _probe(a: Action, t: ClusterState, config: Config) -> dict[str, Any]:
    i = outcomes.acting_node(a)
    assert i is not None
    node = t.nodes[i - 1]
    after, sent = step(node, outcomes.event_of(a), config.n, config.rules)
    if after != node or sent:
        raise ValueError(f"probe {a!r} changes the node: it is not a probe")
    return {
        "op": operation(a),
        "node": i,
        "state": proto.view_json(proto.view_of(node)),
        "sent": [],
    }


def make_scenario(
    name: str,
    config: Config,
    actions: Sequence[Action],
    preset: str,
    extra: dict[str, Any],
    probes: Mapping[int, Sequence[Action]] | None = None,
) -> Scenario:
    """The scenario of ``actions`` from Init on ``config`` (correct Raft), every action
    enabled; ``probes[k]``: operations after step k that must change nothing."""
    config = config._replace(prefix=(), rules=RAFT)
    states, k = play(config, actions)
    if k != len(actions):
        raise ValueError(f"{name}: action {k + 1} is not enabled on correct Raft")
    steps = []
    for k, (s, a, t) in enumerate(zip(states, actions, states[1:], strict=False), start=1):
        i = outcomes.acting_node(a)
        assert i is not None
        st: dict[str, Any] = {
            "op": operation(a),
            "node": i,
            "state": proto.view_json(proto.view_of(t.nodes[i - 1])),
            "sent": [proto.envelope(m) for m in outcomes.sent_by(s, a, config)],
        }
        if probes and probes.get(k):
            st["probes"] = [_probe(p, t, config) for p in probes[k]]
        steps.append(st)
    conformance = {
        "protocol": proto.VERSION,
        "scenario": name,
        "preset": preset,
        "servers": config.n,
        "nodes": list(config.servers),
        "compared": {
            "each step, the acting node": list(COMPARED_EACH_STEP),
            "at init and at the end, every node": list(COMPARED_ALL_NODES),
        },
        **extra,
        "init": [proto.view_json(proto.view_of(x)) for x in states[0].nodes],
        "steps": steps,
    }
    trace = itf.make_trace(config, states, list(actions), meta={"conformance": conformance})
    return Scenario(name, trace)


def probe_scenario() -> Scenario:
    """Operations the harness never takes but an implementation must shrug off (its
    guards): a leader's election timer, a follower or a candidate asked to send
    AppendEntries or to take a client's request. Three servers: S1 is elected with S2's
    vote, then S3 times out (a candidate)."""
    config = PRESETS["default"].config()
    sc = Script(config)
    sc.timeout(1).deliver("RequestVote", 1, 2).deliver("RequestVoteResponse", 2, 1).timeout(3)
    probes = {
        3: (Timeout(1), SendAppendEntries(2, 1), ClientRequest(2, 1)),
        4: (SendAppendEntries(3, 1), ClientRequest(3, 1)),
    }
    extra = {"probe": "operations the harness never takes; each must change nothing"}
    return make_scenario("probe-guards", config, sc.actions, "default", extra, probes)


def batch_scenario() -> Scenario:
    """AppendEntries carrying two entries at once, which the explored sources never send
    (their logs hold one entry, or a leader sends each entry as it comes): what a
    capability that shortens batches (batching, empty_heartbeats) changes. Three servers
    (the replication preset): S1 is elected with S2's vote, takes two requests, and
    replicates both to S2 (committed), then to S3."""
    config = PRESETS["replication"].config()
    sc = Script(config)
    sc.timeout(1).vote(1, 2).client(1, 1).client(1, 2).replicate(1, 2).replicate(1, 3)
    extra = {"batch": "AppendEntries with two entries: a leader's whole suffix at once"}
    return make_scenario("batch-two-entries", config, sc.actions, "replication", extra)


def node_run(
    trace: itf.Trace,
) -> tuple[Config, list[Action], dict[int, list[Action]]]:
    """A scenario's actions and its probes (after step k), for replaying node by node."""
    actions = [s.action for s in trace.steps[1:] if s.action is not None]
    steps = trace.meta["conformance"]["steps"]
    probes = {
        k: [probe_action(p["op"]) for p in st["probes"]]
        for k, st in enumerate(steps, start=1)
        if st.get("probes")
    }
    return trace.config, actions, probes


class Regression(NamedTuple):
    mutant: str
    preset: str
    property: str | None
    counterexample: int
    kept: int
    note: str
    #: Steps added after the kept prefix to reach the first step where the variant differs
    #: from Raft in what the protocol observes (``extend``); 0 when the prefix shows it.
    extended: int = 0
    #: Servers of the scenario (the preset's, or more when only a wider cluster shows the
    #: difference).
    servers: int = 0
    #: Why the variant is outside protocol v1's scope (no scenario), or None.
    out_of_scope: str | None = None


#: The action types protocol v1 has an operation for (``operation``).
PROTOCOL_ACTIONS = (Timeout, SendAppendEntries, Receive, ClientRequest, Restart)

#: Servers added to the cluster when the preset's cannot show a variant's difference (a
#: matchIndex lowered in a cluster of 3 never changes a commit: one follower's
#: acknowledgement is a quorum there; in 5 a stale matchIndex withholds one).
WIDER_BY = 2


def static_scope(m: mutants.Mutant) -> str | None:
    """Why a variant is outside protocol v1's scope by what it is, before any search: a
    service variant (the catalog's ``service`` flag, where it has one) breaks what the
    replicated state machine answers its clients, and the protocol observes Raft's nodes,
    not client replies."""
    if getattr(m, "service", False):
        return (
            "a service variant: its bug is in what the state machine answers clients "
            f"(reads, fencing tokens), and protocol v{proto.VERSION} observes Raft's nodes, "
            "not client replies"
        )
    return None


def _out_of_scope(actions: Sequence[Action]) -> str | None:
    for k, a in enumerate(actions, start=1):
        if not isinstance(a, PROTOCOL_ACTIONS):
            return (
                f"its counterexample needs {type(a).__name__} (step {k}), which protocol "
                f"v{proto.VERSION} has no operation for"
            )
    return None


#: Seconds the search on a wider cluster may take (a preset's own search has no limit).
WIDER_TIME_LIMIT = 120.0


def _counterexample(
    config: Config, time_limit: float | None = None
) -> tuple[tuple[Action, ...], str] | str:
    opts = Options(symmetry=True, view=True, time_limit=time_limit)
    r = check(RaftModel(config), opts)
    if r.counterexample is None and r.stopped and r.stopped.startswith("interrupted"):
        # Ctrl-C or SIGTERM: the build stops (exit 3), it never writes a suite without
        # this variant's regression.
        raise KeyboardInterrupt
    if r.counterexample is None:
        return r.stopped or "no counterexample in the preset"
    return (*config.prefix, *r.counterexample.actions), r.counterexample.violation.property


def regression(m: mutants.Mutant) -> tuple[Scenario | None, Regression]:
    """The shortest counterexample of ``m`` (BFS, symmetry and view on, as ``raftcheck
    check`` finds it) as a scenario of correct Raft: the actions from Init up to the first
    one correct Raft does not enable (the mutant's behaviour left the correct one before
    that point, so the prefix still tells them apart). When the variant differs from Raft
    there only in state the protocol does not observe (a leader's matchIndex, a
    candidate's votesGranted), the scenario goes on to the first step where it shows
    (``extend.extend``), on a wider cluster if the preset's cannot show it."""
    preset = mutant_preset(m)
    scope = static_scope(m)
    if scope is not None:
        return None, Regression(m.name, preset, None, 0, 0, "no search", out_of_scope=scope)
    config = PRESETS[preset].config()._replace(rules=m.rules)
    found = _counterexample(config)
    if isinstance(found, str):
        return None, Regression(m.name, preset, None, 0, 0, found, servers=config.n)
    actions, prop = found
    raft = config._replace(rules=RAFT, prefix=())
    _, kept = play(raft, actions)
    if kept == len(actions):
        note = "every action is enabled on correct Raft"
    else:
        note = f"cut before step {kept + 1}, which correct Raft does not enable"
    scope = _out_of_scope(actions[:kept])
    if scope is not None:
        reg = Regression(m.name, preset, prop, len(actions), kept, note, 0, config.n, scope)
        return None, reg
    total = len(actions)
    actions = actions[:kept]
    added = 0
    if extend.first_difference(raft, m.rules, actions) is None:
        ext = extend.extend(raft, m.rules, actions)
        if ext is None:
            # Only a wider cluster shows it: the variant's counterexample there, extended.
            wide = config._replace(
                n=config.n + WIDER_BY, bounds=config.bounds._replace(max_restarts=0), prefix=()
            )
            again = (
                _counterexample(wide, WIDER_TIME_LIMIT)
                if not config.prefix
                else "a preset with a prefix"
            )
            if not isinstance(again, str):
                wraft = wide._replace(rules=RAFT)
                _, wkept = play(wraft, again[0])
                ext = extend.extend(wraft, m.rules, again[0][:wkept])
                if ext is not None:
                    total = len(again[0])
                    actions, prop = again[0][:wkept], again[1]
                    raft = wraft
        if ext is None:
            note += (
                "; no step found where it differs from Raft in what the protocol observes "
                "(it survives)"
            )
        else:
            raft = raft._replace(bounds=ext.bounds)
            actions = (*actions, *ext.actions)
            added = len(ext.actions)
            wider = f" on {raft.n} servers" if raft.n != config.n else ""
            note += (
                f"; extended by {added} step{'s' if added > 1 else ''}{wider} to the first "
                f"step the protocol observes differing ({ext.difference.what})"
            )
    extra = {
        "regression": {
            "mutant": m.name,
            "breaks": m.breaks,
            "property": prop,
            "counterexampleSteps": total,
            "keptSteps": len(actions) - added,
            "note": note,
        }
    }
    if added:
        extra["regression"]["extendedSteps"] = added
    sc = make_scenario(f"regress-{m.name}", raft, actions, preset, extra)
    reg = Regression(m.name, preset, prop, total, len(actions) - added, note, added, raft.n)
    return sc, reg


class Built(NamedTuple):
    scenarios: tuple[Scenario, ...]
    #: Goal -> the scenarios that cover it.
    goals: dict[str, list[str]]
    states: dict[str, int]
    regressions: tuple[Regression, ...]


def build(
    mutant_names: Sequence[str] | None = None,
    progress: Callable[[str], None] | None = None,
) -> Built:
    """Every scenario: the coverage ones and the regressions of ``mutant_names`` (all of
    the catalog by default)."""
    say = progress or (lambda _m: None)
    candidates: list[Candidate] = []
    sizes: dict[str, int] = {}
    for src in SOURCES:
        say(f"exploring {src.name}")
        best, sizes[src.name] = explore(src)
        seen: set[tuple[Action, ...]] = set()
        for goal in sorted(best):
            p = best[goal]
            if p.actions not in seen:
                seen.add(p.actions)
                candidates.append(p)
    chosen = cover(candidates)
    counts: dict[str, int] = {}
    scenarios = []
    goals: dict[str, list[str]] = {}
    for p in chosen:
        counts[p.source.name] = counts.get(p.source.name, 0) + 1
        name = f"{p.source.name}-{counts[p.source.name]:02d}"
        extra = {"covers": sorted(p.goals)}
        scenarios.append(make_scenario(name, p.source.config, p.actions, p.source.preset, extra))
        for g in p.goals:
            goals.setdefault(g, []).append(name)
    scenarios.append(probe_scenario())
    scenarios.append(batch_scenario())
    regs = []
    names = mutants.NAMES if mutant_names is None else tuple(mutant_names)
    for name in names:
        say(f"shortest counterexample of {name}")
        sc, reg = regression(mutants.get(name))
        regs.append(reg)
        if sc is not None:
            scenarios.append(sc)
    return Built(tuple(scenarios), goals, sizes, tuple(regs))


# --- files ------------------------------------------------------------------------------------


def file_name(name: str) -> str:
    return f"{name}.itf.json"


def manifest(b: Built) -> dict[str, Any]:
    return {
        "protocol": proto.VERSION,
        "scenarios": [
            {
                "name": sc.name,
                "file": file_name(sc.name),
                "steps": len(sc.trace.steps) - 1,
            }
            for sc in b.scenarios
        ],
        "sources": {
            s.name: {"preset": s.preset, "about": s.about, "states": b.states.get(s.name, 0)}
            for s in SOURCES
        },
        "goals": {g: b.goals[g] for g in sorted(b.goals)},
        "regressions": [r._asdict() for r in b.regressions],
    }


def write(b: Built, out: Path) -> list[Path]:
    """Write every scenario and the manifest; files of an older build that this one no
    longer has (listed in the old manifest) are removed."""
    old = out / MANIFEST
    stale: set[str] = set()
    if old.exists():
        try:
            stale = {s["file"] for s in json.loads(old.read_text(encoding="utf-8"))["scenarios"]}
        except (ValueError, KeyError, TypeError):
            stale = set()
    written = []
    for sc in b.scenarios:
        p = out / file_name(sc.name)
        itf.write_trace(p, sc.trace)
        written.append(p)
        stale.discard(p.name)
    for name in sorted(stale):
        (out / Path(name).name).unlink(missing_ok=True)
    mp = out / MANIFEST
    write_text_atomic(mp, json.dumps(manifest(b), indent=1, sort_keys=True) + "\n")
    written.append(mp)
    return written
