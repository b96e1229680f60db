"""Do spec/Raft.tla and raftmodel reach the same states? Compared as sets.

Both sides explore a configuration without symmetry: TLC dumps its state space
(``-dump``), raftmodel is searched breadth-first here (the checker's own ``successors``,
with parent pointers, and no invariant, so a mutant's whole space is explored too).
Every TLC state is mapped to a ``ClusterState`` (``checker.tla.state``), which is the
canonical form: NamedTuples and frozensets compare structurally. Equal sets pass.
Otherwise the shallowest state found on one side only is shown with a trace that
reaches it: raftmodel's from its BFS tree; TLC's by a second TLC run whose invariant
is "not this state", which makes TLC print its own shortest trace there.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import NamedTuple

from checker.engine.search import transitions
from checker.raft.model import RaftModel
from checker.tla import run as tlc
from checker.tla.cfg import cfg_text
from checker.tla.dump import RawState, read_dump
from checker.tla.jar import TLCError
from checker.tla.state import to_cluster, to_tla
from raftmodel.actions import Action
from raftmodel.cluster import ClusterState, Config, init_state


class Space(NamedTuple):
    """raftmodel's reachable states in BFS order, with a BFS tree."""

    states: list[ClusterState]
    where: dict[ClusterState, int]
    parent: list[int]
    via: list[Action | None]
    depth: list[int]
    generated: int
    elapsed: float

    def path(self, i: int) -> tuple[list[ClusterState], list[Action]]:
        chain = []
        while i != -1:
            chain.append(i)
            i = self.parent[i]
        chain.reverse()
        acts = [self.via[k] for k in chain[1:]]
        return [self.states[k] for k in chain], [a for a in acts if a is not None]


def explore(config: Config) -> Space:
    """Every state raftmodel reaches from the initial state (no invariants checked), with
    the BFS tree of ``checker.engine.search.transitions``."""
    start = time.monotonic()
    init = init_state(config)
    states = [init]
    where = {init: 0}
    parent = [-1]
    via: list[Action | None] = [None]
    depth = [0]
    generated = 0
    for s, a, t in transitions(RaftModel(config)):
        generated += 1
        if t in where:
            continue
        i = where[s]
        where[t] = len(states)
        states.append(t)
        parent.append(i)
        via.append(a)
        depth.append(depth[i] + 1)
    return Space(states, where, parent, via, depth, generated, time.monotonic() - start)


class TLCSpace(NamedTuple):
    states: list[ClusterState]
    result: tlc.TLCResult


def tlc_space(
    config: Config,
    *,
    variant: str | None = None,
    on_line: Callable[[str], None] | None = None,
) -> TLCSpace:
    """TLC's reachable states (dump order), mapped to raftmodel states.

    ``variant`` runs the spec with another Variant constant than ``config.rules`` (the
    mapping still uses ``config``): how a test makes the two sides disagree.
    """
    with tlc.workdir() as d:
        text = cfg_text(config, variant=variant, symmetry=False, invariants=(), properties=())
        (d / "MC.cfg").write_text(text, encoding="utf-8")
        res = tlc.settled(tlc.run(d, "MCRaft.tla", "MC.cfg", dump="states", on_line=on_line))
        if res.violation is not None:  # no invariant is checked: TLC misread the cfg
            raise tlc.failure(res, "TLC")
        dump = d / "states.dump"
        if not dump.is_file():
            raise TLCError("TLC wrote no state dump")
        states = [to_cluster(v, config) for v in read_dump(dump)]
    # settled() saw the counts; every run has an initial state, so an empty dump (or a
    # short one) is a run that did not do what it said, never an agreement.
    if not states:
        raise TLCError(f"TLC's state dump is empty (TLC reported {res.distinct} distinct states)")
    if len(states) != res.distinct:
        raise TLCError(f"TLC found {res.distinct} states but dumped {len(states)}")
    return TLCSpace(states, res)


def tlc_path_to(
    config: Config, target: ClusterState, *, variant: str | None = None
) -> tuple[RawState, ...]:
    """TLC's shortest trace to ``target``: a run whose invariant is ``~(vars = target)``."""
    vals = to_tla(target, config.semantics, symmetric=False)
    conj = "\n".join(f"    /\\ {k} = {v}" for k, v in vals.items())
    module = (
        "---- MODULE MCFind ----\nEXTENDS MCRaft\n"
        f"AtTarget ==\n{conj}\nNotTarget == ~AtTarget\n====\n"
    )
    with tlc.workdir() as d:
        (d / "MCFind.tla").write_text(module, encoding="utf-8")
        text = cfg_text(
            config, variant=variant, symmetry=False, invariants=("NotTarget",), properties=()
        )
        (d / "MCFind.cfg").write_text(text, encoding="utf-8")
        res = tlc.settled(tlc.run(d, "MCFind.tla", "MCFind.cfg"), "TLC")
    if res.violation is None:
        raise TLCError("TLC could not find a trace to the state: its run does not reach it")
    if res.violation != "NotTarget":
        raise tlc.failure(res, "TLC could not find a trace to the state")
    return res.trace


class Verdict(NamedTuple):
    tlc_distinct: int
    tlc_generated: int | None
    tlc_seconds: float
    model_distinct: int
    model_generated: int
    model_seconds: float
    #: States reached by one side only, each in its side's discovery (BFS) order.
    tlc_only: list[ClusterState]
    model_only: list[ClusterState]

    @property
    def equal(self) -> bool:
        return not self.tlc_only and not self.model_only


def compare(tlc_states: TLCSpace, model: Space) -> Verdict:
    tset = set(tlc_states.states)
    mset = model.where.keys()
    tlc_only = [s for s in tlc_states.states if s not in mset]
    model_only = [s for s in model.states if s not in tset]
    r = tlc_states.result
    return Verdict(
        len(tset),
        r.generated,
        r.elapsed,
        len(model.states),
        model.generated,
        model.elapsed,
        tlc_only,
        model_only,
    )
