"""The election encoding against raftmodel: on concrete states, the successors agree.

For a raftmodel ``ClusterState`` (reachable or not) and every action, raftmodel's
successor is projected onto the election variables (``project``) and compared with
what the z3 encoding admits from the projected state, with the action's parameters
pinned to the message's fields:

  exact actions      Timeout, Receive(RequestVote), Receive(RequestVoteResponse),
                     Restart, ClientRequest, Receive(AppendEntriesResponse): z3 admits
                     raftmodel's successor and nothing else; when raftmodel refuses the
                     action (``apply`` returns None), z3's guard is unsatisfiable
  abstract action    Receive(AppendEntries): the encoding lets the log change freely, so
                     only inclusion is checked (z3 admits raftmodel's successor)
  stutter            SendAppendEntries: the projection must not change

A rule changed on one side only shows up as a ``Mismatch``.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Iterable
from typing import NamedTuple

import z3

from checker.prove.election import ElectionEncoding, ElectionState
from checker.prove.induction import ActionInstance, Step
from raftmodel import log as rlog
from raftmodel.actions import (
    Action,
    ClientRequest,
    Receive,
    Restart,
    SendAppendEntries,
    Timeout,
    describe,
)
from raftmodel.cluster import (
    Bounds,
    ClusterState,
    Config,
    apply,
    candidate_actions,
    init_state,
    successors,
)
from raftmodel.messages import (
    AppendEntries,
    AppendEntriesResponse,
    Message,
    RequestVote,
    RequestVoteResponse,
)
from raftmodel.network import Semantics, messages
from raftmodel.node import NodeState
from raftmodel.types import Entry, Role


class Projection(NamedTuple):
    currentTerm: tuple[int, ...]
    role: tuple[int, ...]
    votedFor: tuple[int, ...]
    votesGranted: tuple[tuple[bool, ...], ...]
    lastLogTerm: tuple[int, ...]
    lastLogIndex: tuple[int, ...]
    granted: tuple[tuple[tuple[int, ...], ...], ...]


def project(s: ClusterState, n: int, sem: Semantics = Semantics.SET) -> Projection:
    """The election variables of a raftmodel state."""
    grants: dict[tuple[int, int], set[int]] = {}
    for m in messages(s.network, sem):
        if isinstance(m, RequestVoteResponse) and m.voteGranted:
            grants.setdefault((m.source, m.dest), set()).add(m.term)
    return Projection(
        tuple(x.currentTerm for x in s.nodes),
        tuple(int(x.role) for x in s.nodes),
        tuple(x.votedFor for x in s.nodes),
        tuple(tuple(k in x.votesGranted for k in range(1, n + 1)) for x in s.nodes),
        tuple(rlog.last_term(x.log) for x in s.nodes),
        tuple(len(x.log) for x in s.nodes),
        tuple(
            tuple(tuple(sorted(grants.get((src, d), ()))) for d in range(1, n + 1))
            for src in range(1, n + 1)
        ),
    )


def as_z3(enc: ElectionEncoding, p: Projection) -> ElectionState:
    return enc.concrete(*p)


class Mismatch(NamedTuple):
    action: str
    problem: str
    state: Projection


def _instance(enc: ElectionEncoding, a: Action) -> tuple[str, dict[str, int], str] | None:
    """The encoding's action instance for a raftmodel action, its pinned parameters and
    how to compare ("exact", "includes", "stutter")."""
    if isinstance(a, Timeout):
        return f"Timeout({a.i})", {}, "exact"
    if isinstance(a, Restart):
        return f"Restart({a.i})", {}, "exact"
    if isinstance(a, ClientRequest):
        return f"ClientRequest({a.i})", {}, "exact"
    if isinstance(a, SendAppendEntries):
        return None
    assert isinstance(a, Receive)
    m = a.m
    if isinstance(m, RequestVote):
        pins = {"term": m.term, "lastLogIndex": m.lastLogIndex, "lastLogTerm": m.lastLogTerm}
        return f"ReceiveRequestVote({m.source}->{m.dest})", pins, "exact"
    if isinstance(m, RequestVoteResponse):
        kind = "ReceiveVote" if m.voteGranted else "ReceiveDenial"
        return f"{kind}({m.source}->{m.dest})", {"term": m.term}, "exact"
    if isinstance(m, AppendEntries):
        return f"ReceiveAppendEntries({m.dest})", {"term": m.term}, "includes"
    assert isinstance(m, AppendEntriesResponse)
    return f"ReceiveAppendEntriesResponse({m.dest})", {"term": m.term}, "exact"


def _pinned(step: Step, pins: dict[str, int]) -> z3.BoolRef:
    return z3.And([step.guard, *(step.params[k] == v for k, v in pins.items())])


def _sat(*fs: z3.BoolRef) -> bool:
    s = z3.Solver()
    s.add(*fs)
    r = s.check()
    if r == z3.unknown:  # pragma: no cover - quantifier-free, concrete: never expected
        raise RuntimeError(f"z3 answered unknown on a concrete cross-check: {s.reason_unknown()}")
    return bool(r == z3.sat)


def check_action(
    enc: ElectionEncoding,
    instances: dict[str, ActionInstance],
    s: ClusterState,
    a: Action,
    config: Config,
) -> Mismatch | None:
    n, sem = config.n, config.semantics
    before = project(s, n, sem)
    t = apply(s, a, config)
    after = None if t is None else project(t, n, sem)
    inst = _instance(enc, a)
    if inst is None:  # a stutter for the election variables
        if after is not None and after != before:
            return Mismatch(describe(a), "raftmodel changed election variables", before)
        return None
    name, pins, how = inst
    step = instances[name].apply(as_z3(enc, before))
    enabled = _pinned(step, pins)
    if after is None:
        if _sat(enabled):
            return Mismatch(describe(a), "raftmodel refuses the action, z3 admits it", before)
        return None
    target = as_z3(enc, after)
    same = enc.equal(step.after, target)
    if not _sat(enabled, same):
        return Mismatch(describe(a), f"z3 does not admit raftmodel's successor {after}", before)
    if how == "exact" and _sat(enabled, z3.Not(same)):
        return Mismatch(describe(a), "z3 admits a successor raftmodel does not compute", before)
    return None


def crosscheck(
    enc: ElectionEncoding,
    states: Iterable[ClusterState],
    config: Config,
    *,
    stop_after: int | None = 1,
) -> tuple[int, list[Mismatch]]:
    """Compare every action on every state; returns (actions compared, mismatches).

    Besides raftmodel's candidate actions, Timeout, ClientRequest and Restart are tried
    for every server, so that z3 must refuse what raftmodel refuses.
    """
    instances = {a.name: a for a in enc.actions()}
    compared = 0
    found: list[Mismatch] = []
    for s in states:
        acts: list[Action] = list(candidate_actions(s, config))
        for i in config.servers:
            acts += [Timeout(i), Restart(i), ClientRequest(i, config.bounds.values[0])]
        seen: set[Action] = set()
        for a in acts:
            if a in seen:
                continue
            seen.add(a)
            compared += 1
            mm = check_action(enc, instances, s, a, config)
            if mm is not None:
                found.append(mm)
                if stop_after is not None and len(found) >= stop_after:
                    return compared, found
    return compared, found


#: raftmodel's own guards only: no bound cuts an action off during a cross-check.
UNBOUNDED_BOUNDS = Bounds(
    max_term=None, max_log=None, max_restarts=None, max_requests=None, values=(1,), max_copies=1
)


def reachable(config: Config, limit: int) -> list[ClusterState]:
    """The first ``limit`` states of a breadth-first search over raftmodel (exact states,
    no symmetry), in the deterministic order of ``successors``."""
    init = init_state(config)
    seen = {init}
    order = [init]
    frontier = deque([init])
    while frontier and len(order) < limit:
        s = frontier.popleft()
        for _, t in successors(s, config):
            if t not in seen:
                seen.add(t)
                order.append(t)
                frontier.append(t)
                if len(order) >= limit:
                    break
    return order


def random_states(n: int, count: int, seed: int, max_term: int = 4) -> list[ClusterState]:
    """Random, mostly unreachable states: any roles, votes, votesGranted and logs, and a
    network of arbitrary RequestVote, RequestVoteResponse, AppendEntries and
    AppendEntriesResponse messages."""
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        nodes = []
        for i in range(1, n + 1):
            term = rng.randint(0, max_term)
            log = tuple(
                sorted(Entry(rng.randint(1, max(term, 1)), 1) for _ in range(rng.randint(0, 2)))
            )
            role = Role(rng.randint(0, 2))
            vg = frozenset(k for k in range(1, n + 1) if rng.random() < 0.4)
            nodes.append(
                NodeState(
                    i,
                    term,
                    rng.randint(0, n),
                    log,
                    role,
                    0,
                    vg,
                    (len(log) + 1,) * n,
                    (0,) * n,
                )
            )
        msgs: set[Message] = set()
        for _ in range(rng.randint(1, 6)):
            src, dst = rng.sample(range(1, n + 1), 2)
            t = rng.randint(0, max_term)
            kind = rng.randint(0, 3)
            if kind == 0:
                li = rng.randint(0, 2)
                msgs.add(RequestVote(src, dst, t, li, 0 if li == 0 else rng.randint(1, max_term)))
            elif kind == 1:
                msgs.add(RequestVoteResponse(src, dst, t, rng.random() < 0.6))
            elif kind == 2:
                msgs.add(AppendEntries(src, dst, t, 0, 0, ((Entry(max(t, 1), 1),)), 0))
            else:
                msgs.add(AppendEntriesResponse(src, dst, t, rng.random() < 0.5, 0))
        out.append(ClusterState(tuple(nodes), frozenset(msgs), frozenset(), frozenset(), 0, 0))
    return out
