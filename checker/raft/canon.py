"""Fingerprints and server-id symmetry.

A fingerprint is ``hash(state)``: raftcheck states are built only from ints, bools,
tuples and frozensets (no str, whose hash is salted per process), so CPython's hash is
the same in every process and run: 64 bits, computed in C. ``tests/checker`` checks this
across PYTHONHASHSEED values.

Symmetry: servers are interchangeable, so a state and any relabelling of its server ids
are equivalent. Relabelling must rename every place a server is named: node order and
ids, votedFor, votesGranted, nextIndex/matchIndex positions, message source and dest,
and the elections history. The canonical fingerprint of a state is the least
fingerprint over all relabellings, which is the same for every member of an orbit
(exact, up to hash collisions).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from itertools import permutations
from typing import Any

from raftmodel import inert
from raftmodel.cluster import ClusterState, Config, Election
from raftmodel.messages import (
    AppendEntries,
    AppendEntriesResponse,
    Message,
    RequestVote,
    RequestVoteResponse,
)
from raftmodel.network import Semantics
from raftmodel.node import NodeState
from raftmodel.types import NIL

Perm = tuple[int, ...]  # perm[i] = new id of server i; perm[0] == 0 keeps NIL fixed


def perms(n: int) -> list[Perm]:
    """Every relabelling of servers 1..n, identity first."""
    return [(0, *p) for p in permutations(range(1, n + 1))]


def _message(m: Message, p: Perm) -> Message:
    if type(m) is AppendEntries:
        return AppendEntries(p[m.source], p[m.dest], *m[2:])
    if type(m) is RequestVote:
        return RequestVote(p[m.source], p[m.dest], *m[2:])
    if type(m) is RequestVoteResponse:
        return RequestVoteResponse(p[m.source], p[m.dest], *m[2:])
    assert type(m) is AppendEntriesResponse
    return AppendEntriesResponse(p[m.source], p[m.dest], *m[2:])


def relabel(s: ClusterState, p: Perm, bag: bool = False) -> ClusterState:
    nodes = _nodes(s, p)
    network: frozenset[Any]
    if bag:
        network = frozenset((_message(m, p), c) for m, c in s.network)
    else:
        network = frozenset(_message(m, p) for m in s.network)
    elections = frozenset(Election(e.term, p[e.leader]) for e in s.elections)
    return ClusterState(nodes, network, elections, s.committed, s.restarts, s.requests)


def fingerprint(s: ClusterState) -> int:
    return hash(s)


def _signature(x: NodeState) -> int:
    # Everything about a node that does not name a server: invariant under relabelling.
    return hash(
        (
            x.currentTerm,
            x.role,
            x.log,
            x.commitIndex,
            x.votedFor == x.id,
            x.votedFor == NIL,
            len(x.votesGranted),
        )
    )


def candidate_perms(s: ClusterState) -> list[Perm]:
    """The relabellings that sort servers by signature (all orders within ties).

    Taking the least fingerprint over these, instead of over all n! relabellings, is
    still exact: relabelling a state relabels its candidate set along with it, so every
    member of an orbit yields the same set of candidate states.
    """
    n = len(s.nodes)
    sigs = sorted((_signature(x), x.id) for x in s.nodes)
    groups: list[list[int]] = []
    last: int | None = None
    for sig, i in sigs:
        if sig != last:
            groups.append([])
            last = sig
        groups[-1].append(i)
    result: list[list[int]] = [[0] * (n + 1)]
    pos = 1
    for g in groups:
        nxt = []
        for partial in result:
            for order in permutations(g):
                q = partial[:]
                for k, old in enumerate(order):
                    q[old] = pos + k
                nxt.append(q)
        result = nxt
        pos += len(g)
    return [tuple(q) for q in result]


def _nodes(s: ClusterState, p: Perm) -> tuple[NodeState, ...]:
    n = len(s.nodes)
    inv = [0] * (n + 1)
    for old in range(1, n + 1):
        inv[p[old]] = old
    out = []
    for new in range(1, n + 1):
        x = s.nodes[inv[new] - 1]
        out.append(
            NodeState(
                new,
                x.currentTerm,
                p[x.votedFor],
                x.log,
                x.role,
                x.commitIndex,
                frozenset(p[v] for v in x.votesGranted),
                tuple(x.nextIndex[inv[j] - 1] for j in range(1, n + 1)),
                tuple(x.matchIndex[inv[j] - 1] for j in range(1, n + 1)),
            )
        )
    return tuple(out)


def symmetric_fingerprint(n: int, bag: bool) -> Callable[[ClusterState], int]:
    """A function giving the least fingerprint over the candidate relabellings.

    The fingerprint of a relabelled state r is the hash of (hash(r.nodes), hash(r.network),
    hash(r.elections), r's other fields): a function of r alone, so the minimum is still
    orbit-invariant. States share their parts with many others (a few thousand node tuples
    stand behind hundreds of thousands of states), so the candidate relabellings with the
    relabelled nodes' hash are cached per node tuple, and the relabelled network and
    elections hashes per (part, relabelling).
    """
    node_cache: dict[tuple[NodeState, ...], list[tuple[Perm, int]]] = {}
    net_cache: dict[tuple[frozenset[Any], Perm], int] = {}
    elect_cache: dict[tuple[frozenset[Election], Perm], int] = {}

    def node_part(s: ClusterState) -> list[tuple[Perm, int]]:
        r = node_cache.get(s.nodes)
        if r is None:
            if len(node_cache) > 200_000:
                node_cache.clear()
            r = [(p, hash(_nodes(s, p))) for p in candidate_perms(s)]
            node_cache[s.nodes] = r
        return r

    def net_hash(net: frozenset[Any], p: Perm) -> int:
        k = (net, p)
        h = net_cache.get(k)
        if h is None:
            if len(net_cache) > 500_000:
                net_cache.clear()
            if bag:
                h = hash(frozenset((_message(m, p), c) for m, c in net))
            else:
                h = hash(frozenset(_message(m, p) for m in net))
            net_cache[k] = h
        return h

    def elections_hash(es: frozenset[Election], p: Perm) -> int:
        k = (es, p)
        h = elect_cache.get(k)
        if h is None:
            if len(elect_cache) > 100_000:
                elect_cache.clear()
            h = hash(frozenset(Election(e.term, p[e.leader]) for e in es))
            elect_cache[k] = h
        return h

    def fp(s: ClusterState) -> int:
        best: int | None = None
        rest = (s.committed, s.restarts, s.requests)
        for p, nh in node_part(s):
            h = hash((nh, net_hash(s.network, p), elections_hash(s.elections, p), rest))
            if best is None or h < best:
                best = h
        assert best is not None
        return best

    return fp


def state_fingerprint(
    config: Config, symmetry: bool = True, view: bool = True
) -> tuple[Callable[[ClusterState], int], bool]:
    """The fingerprint the search identifies states by, and whether the inert-message view
    (``raftmodel.inert``) is part of it: only when asked for and sound for ``config``."""
    base = (
        symmetric_fingerprint(config.n, config.semantics is Semantics.BAG)
        if symmetry
        else fingerprint
    )
    if not (view and inert.applies(config)):
        return base, False
    forget = inert.view
    # The view of a network depends on the network and the servers only; both are shared
    # by many states (a frozenset caches its own hash).
    views: dict[tuple[frozenset[Any], tuple[NodeState, ...]], frozenset[Any]] = {}

    def fp(s: ClusterState) -> int:
        k = (s.network, s.nodes)
        net = views.get(k)
        if net is None:
            if len(views) > 300_000:
                views.clear()
            net = forget(s).network
            views[k] = net
        return base(s._replace(network=net))

    return fp, True


KeyFunction = Callable[[ClusterState], Hashable]


def exact_key(config: Config, symmetry: bool, view: bool) -> KeyFunction:
    """Exact keys on whole states: the state itself (or its view), or with symmetry its
    orbit (the set of all its relabellings), which two states share iff symmetric."""
    forget = inert.view if view else None
    if not symmetry:
        return (lambda s: s) if forget is None else forget
    ps = perms(config.n)
    bag = config.semantics is Semantics.BAG

    def k(s: ClusterState) -> Hashable:
        v = s if forget is None else forget(s)
        return frozenset(relabel(v, p, bag) for p in ps)

    return k
