"""Fingerprints and server-id symmetry.

A fingerprint is ``hash(state)``: raftcheck states are built only from ints, bools,
tuples and frozensets (no str, whose hash is salted per process), so CPython's hash is
the same in every process and run: 64 bits, computed in C. ``tests/checker`` checks this
across PYTHONHASHSEED values.

Symmetry: servers are interchangeable, so a state and any relabelling of its server ids
are equivalent. Relabelling must rename every place a server is named: node order and
ids, votedFor, votesGranted, nextIndex/matchIndex positions, message source and dest,
and the elections history. The canonical fingerprint of a state is the least
fingerprint over a set of its relabellings that every member of its orbit shares, so it
is the same for the whole orbit (exact, up to hash collisions), and it is always the
fingerprint of a relabelling, so symmetric states alone share it (sound).

Enumerating relabellings costs n! per state (10 identical followers: 3,628,800), so
only states with at most ``ENUMERATION_LIMIT`` candidate orders (every 2- and 3-server
state) enumerate them; larger ones are canonicalised by colour refinement with
individualisation, polynomial in n per state (``SymmetricFingerprint``). That is exact
too unless one state's pruned search tree needs more than ``LEAF_LIMIT`` leaves; then
it is sound but may keep two symmetric states apart (``SymmetricFingerprint.inexact``
counts those states). ``tests/checker/test_canon.py`` checks both paths against the
orbits of whole state spaces (2, 3 and 4 servers).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable
from itertools import permutations
from math import factorial
from typing import Any, Final

from raftmodel import inert
from raftmodel.actions import Action, describe
from raftmodel.cluster import ClusterState, Config, Election
from raftmodel.messages import (
    Message,
)
from raftmodel.network import Semantics
from raftmodel.node import NodeState
from raftmodel.types import LEADER, NIL

_tuple_new: Final = tuple.__new__

Perm = tuple[int, ...]  # perm[i] = new id of server i; perm[0] == 0 keeps NIL fixed


def perms(n: int) -> list[Perm]:
    """Every relabelling of servers 1..n, identity first."""
    return [(0, *p) for p in permutations(range(1, n + 1))]


def _message(m: Message, p: Perm) -> Message:
    # tuple.__new__ builds the NamedTuple in C, skipping its Python-level __new__: the
    # hot path of every relabelling (the same value as type(m)(source, dest, ...)).
    return _tuple_new(type(m), (p[m[0]], p[m[1]], *m[2:]))


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


def locality(s: ClusterState) -> int:
    """A key most steps keep: the servers' signatures as a multiset. The same for every
    relabelling of a state and for its view (which keeps the servers), so states of one
    fingerprint share it; changed only by a step that changes a server's term, role, log,
    commit index or vote (79% of the new states two-terms makes share their parent's).
    Adding the election terms and the counters split two-terms' levels more evenly but
    made deep on 2 workers slower (99.5 s against 88.4 s: a restart then moves a state)."""
    return hash(tuple(sorted([_signature(x) for x in s.nodes])))


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


def tie_count(s: ClusterState) -> int:
    """How many relabellings ``candidate_perms(s)`` would enumerate: the product of the
    factorials of the signature ties (orbit-invariant, computed without enumerating)."""
    count = 1
    for k in Counter(_signature(x) for x in s.nodes).values():
        count *= factorial(k)
    return count


# --- colour refinement with individualisation (large clusters) ---------------------------
#
# Servers are the vertices of a coloured graph: a vertex's colour starts as its signature
# and the terms it was elected in; the edges are every place a server names another
# (votedFor, votesGranted, a leader's nextIndex/matchIndex, each message from its source
# to its destination, labelled by the message without its ids). Colour refinement (1-WL)
# gives each server the hash of its colour and the multisets of (edge label, neighbour
# colour) of its out- and in-edges, until no class splits. Every step is a function of the
# state up to relabelling (equivariant), so servers of one orbit get the same colours and
# the order of classes is the same in every member of an orbit.
#
# When ties remain, one server of the first tied class is individualised (given a colour
# of its own) and the refinement runs again, on each server of the class in turn (the
# search tree of nauty and Traces); each leaf is a relabelling (the servers ordered by
# colour) and the fingerprint is the least over the leaves. Two prunings keep the tree
# small without losing exactness:
#
# * a tied class whose every transposition (first, x) leaves the state unchanged is
#   interchangeable as a whole (those transpositions generate its full symmetric group,
#   which then lies in the state's automorphism group): every order of it gives the same
#   leaves up to an automorphism, so one order is taken (identical followers);
# * a branch whose first leaf equals an earlier leaf (the same relabelled state and the
#   same colours) is the image of an explored branch under an automorphism (the leaf
#   colours encode the whole path, since each colour hashes the previous one): its leaves
#   are the same, so it is skipped.
#
# Every leaf is a relabelling of the state, so the least over ANY set of leaves is sound:
# two states get one fingerprint only if symmetric (up to hash collisions). Exactness (one
# fingerprint per orbit) needs the whole pruned tree; past ``leaf_limit`` leaves the walk
# stops with the least so far, which keeps symmetric states apart at worst.

_INDIVIDUAL = -1  # marks the colour of an individualised server (hash((colour, -1)))
_VOTED, _GRANTED, _LEADS, _MESSAGE = 1, 2, 3, 4

_Edges = list[list[tuple[int, int]]]  # per server: (label, other server)
_Key = tuple[tuple[int, ...], ClusterState]


def _graph(s: ClusterState, bag: bool) -> tuple[list[int], _Edges, _Edges]:
    n = len(s.nodes)
    colours = [0] * (n + 1)
    out: _Edges = [[] for _ in range(n + 1)]
    inc: _Edges = [[] for _ in range(n + 1)]

    def edge(i: int, j: int, label: int) -> None:
        out[i].append((label, j))
        inc[j].append((label, i))

    for x in s.nodes:
        i = x.id
        if x.votedFor != NIL:
            edge(i, x.votedFor, _VOTED)
        for v in x.votesGranted:
            edge(i, v, _GRANTED)
        if x.role == LEADER:  # nextIndex/matchIndex are canonical constants otherwise
            for j in range(1, n + 1):
                edge(i, j, hash((_LEADS, x.nextIndex[j - 1], x.matchIndex[j - 1])))
    for item in s.network:
        m, copies = item if bag else (item, 1)
        edge(m.source, m.dest, hash((_MESSAGE, copies, m[2:])))
    won: dict[int, list[int]] = {}
    for e in s.elections:
        won.setdefault(e.leader, []).append(e.term)
    for x in s.nodes:
        colours[x.id] = hash((_signature(x), tuple(sorted(won.get(x.id, ())))))
    return colours, out, inc


def _swap_fixes(s: ClusterState, a: int, b: int, bag: bool) -> bool:
    """Does swapping servers a and b leave ``s`` unchanged? ``relabel(s, (a b)) == s``,
    without building the relabelled state: only what names a or b can change."""

    def t(i: int) -> int:
        return b if i == a else a if i == b else i

    def same(x: NodeState, y: NodeState) -> bool:  # t(x) == y, ids aside
        if (x.currentTerm, x.role, x.log, x.commitIndex) != (
            y.currentTerm,
            y.role,
            y.log,
            y.commitIndex,
        ):
            return False
        if t(x.votedFor) != y.votedFor or len(x.votesGranted) != len(y.votesGranted):
            return False
        if any(t(v) not in y.votesGranted for v in x.votesGranted):
            return False
        xn, xm, yn, ym = x.nextIndex, x.matchIndex, y.nextIndex, y.matchIndex
        return all(
            xn[t(j) - 1] == yn[j - 1] and xm[t(j) - 1] == ym[j - 1] for j in range(1, len(xn) + 1)
        )

    def fixed(x: NodeState) -> bool:  # t(x) == x for a server other than a and b
        g, n, m = x.votesGranted, x.nextIndex, x.matchIndex
        return (
            x.votedFor != a
            and x.votedFor != b
            and (a in g) == (b in g)
            and n[a - 1] == n[b - 1]
            and m[a - 1] == m[b - 1]
        )

    nodes = s.nodes
    if not same(nodes[a - 1], nodes[b - 1]):  # then t(b) == a too: t is an involution
        return False
    if not all(fixed(x) for x in nodes if x.id != a and x.id != b):
        return False
    if any(
        e.leader in (a, b) and Election(e.term, t(e.leader)) not in s.elections for e in s.elections
    ):
        return False
    p = list(range(len(nodes) + 1))
    p[a], p[b] = b, a
    perm = tuple(p)
    for item in s.network:
        m = item[0] if bag else item
        if m.source in (a, b) or m.dest in (a, b):
            moved = (_message(m, perm), item[1]) if bag else _message(m, perm)
            if moved not in s.network:
                return False
    return True


class _Tree:
    """The individualisation-refinement walk over one state (see the comment above)."""

    def __init__(self, s: ClusterState, bag: bool, leaf_limit: int) -> None:
        self.s, self.bag, self.limit = s, bag, leaf_limit
        self.n = len(s.nodes)
        colours, self.out, self.inc = _graph(s, bag)
        self.leaves = 0
        self.cut = False
        self.best: tuple[int, ClusterState] | None = None
        self.seen: set[_Key] = set()
        self._walk(colours, first_only=False)

    def _refine(self, colours: list[int]) -> list[int]:
        n, out, inc = self.n, self.out, self.inc
        classes = len(set(colours[1:]))
        while True:
            new = [0] * (n + 1)
            for i in range(1, n + 1):
                new[i] = hash(
                    (
                        colours[i],
                        tuple(sorted([(lab, colours[j]) for lab, j in out[i]])),
                        tuple(sorted([(lab, colours[j]) for lab, j in inc[i]])),
                    )
                )
            k = len(set(new[1:]))
            if k == classes:
                return colours
            colours, classes = new, k

    def _first_tie(self, colours: list[int]) -> list[int] | None:
        cells: dict[int, list[int]] = {}
        for i in range(1, self.n + 1):
            cells.setdefault(colours[i], []).append(i)
        ties = [c for c, members in cells.items() if len(members) > 1]
        return cells[min(ties)] if ties else None

    def _interchangeable(self, cell: list[int]) -> bool:
        first = cell[0]
        return all(_swap_fixes(self.s, first, x, self.bag) for x in cell[1:])

    def _leaf(self, colours: list[int]) -> _Key:
        order = sorted(range(1, self.n + 1), key=colours.__getitem__)
        p = [0] * (self.n + 1)
        for new, old in enumerate(order, start=1):
            p[old] = new
        r = relabel(self.s, tuple(p), self.bag)
        h = _relabelled_hash(r)
        if self.best is None or h < self.best[0]:
            self.best = (h, r)
        self.leaves += 1
        return (tuple(sorted(colours[1:])), r)

    def _walk(self, colours: list[int], first_only: bool) -> _Key | None:
        """Explore the subtree below ``colours``; return its first leaf's key."""
        colours = self._refine(colours)
        cell = self._first_tie(colours)
        if cell is None:
            key = self._leaf(colours)
            self.seen.add(key)
            return key
        c = colours[cell[0]]
        if self._interchangeable(cell):
            colours = colours[:]
            for k, x in enumerate(cell):
                colours[x] = hash((c, _INDIVIDUAL, k))
            return self._walk(colours, first_only)
        first: _Key | None = None
        for k, x in enumerate(cell):
            if k > 0 and self.leaves >= self.limit:
                self.cut = True  # a branch left unexplored: sound, maybe not exact
                break
            branch = colours[:]
            branch[x] = hash((c, _INDIVIDUAL))
            if k == 0:
                first = self._walk(branch, first_only)
                if first_only:
                    return first
                continue
            if self._probe(branch) is None:
                continue
            self._walk(branch, first_only=False)
        return first

    def _probe(self, branch: list[int]) -> _Key | None:
        # The branch's first leaf: None when an earlier leaf equals it (prune the branch).
        seen = self.seen
        self.seen = set()
        key = self._walk(branch, first_only=True)
        probe_seen, self.seen = self.seen, seen
        assert key is not None
        if key in seen:
            return None
        seen |= probe_seen
        return key


def _nodes(s: ClusterState, p: Perm) -> tuple[NodeState, ...]:
    n = len(s.nodes)
    inv = [0] * (n + 1)
    for old in range(1, n + 1):
        inv[p[old]] = old
    order = [inv[j] - 1 for j in range(1, n + 1)]
    out = []
    for new in range(1, n + 1):
        x = s.nodes[inv[new] - 1]
        g = x.votesGranted
        out.append(
            _tuple_new(
                NodeState,
                (
                    new,
                    x.currentTerm,
                    p[x.votedFor],
                    x.log,
                    x.role,
                    x.commitIndex,
                    frozenset([p[v] for v in g]) if g else g,
                    tuple([x.nextIndex[k] for k in order]),
                    tuple([x.matchIndex[k] for k in order]),
                ),
            ),
        )
    return tuple(out)


#: Relabellings the tie enumeration may try on one state; a state with more ties is
#: canonicalised by refinement instead. Every 2- and 3-server state has at most 3! = 6,
#: so those never leave the enumeration (their fingerprints are as before refinement).
#: Measured on ``elections`` with 4-6 servers, refinement beats enumerating 24 or 120
#: relabellings (6 servers: 2.1 s at 6, 3.3 s at 24, 4.5 s at 120).
ENUMERATION_LIMIT = 6
#: Leaves of the refinement tree explored on one state before the walk settles for the
#: least so far (sound, maybe not exact; ``SymmetricFingerprint.inexact`` counts them).
LEAF_LIMIT = 720


def _relabelled_hash(r: ClusterState) -> int:
    # The same formula as the enumeration's, part by part, so both paths agree on a state.
    return hash(
        (hash(r.nodes), hash(r.network), hash(r.elections), (r.committed, r.restarts, r.requests))
    )


def canonical_form(
    s: ClusterState, bag: bool = False, leaf_limit: int = LEAF_LIMIT
) -> ClusterState:
    """The relabelling of ``s`` with the least fingerprint found by refinement: one
    representative per orbit whenever the walk was not cut (see ``SymmetricFingerprint``),
    always a relabelling of ``s``. For keying states whole (exact mode) at any size."""
    best = _Tree(s, bag, leaf_limit).best
    assert best is not None
    return best[1]


#: Networks kept with their node tuples before ``SymmetricFingerprint`` forgets them all
#: (and relabelled networks' hashes: two thirds as many). Measured on the whole of
#: two-terms and deep, compiled: 100,000 against 300,000 halves the peak memory (485 MB
#: against 900 on two-terms, 724 against 1,177 on deep) at the same CPU (two-terms 3%
#: less, deep within 1%); 30,000 to 60,000 cost 2 to 4% more CPU on two-terms.
NETWORKS_KEPT: Final = 100_000


class _Network:
    """``SymmetricFingerprint``'s entry for one network seen with one node tuple: the
    network it fingerprints (the view's, or itself), that network's relabelled hashes
    (an entry of ``_net_cache``), and the last fingerprint computed with them, with the
    rest of the state it was computed for. A state is reached from many parents (about
    18 transitions per distinct state on two-terms), and its servers and network, met
    again, nearly always come with the same elections and counters: the fingerprint is
    then one comparison away, without the relabellings."""

    __slots__ = ("committed", "elections", "fp", "nets", "requests", "restarts", "seen")

    def __init__(self, seen: frozenset[Any], nets: dict[int, int]) -> None:
        self.seen = seen
        self.nets = nets
        self.elections: frozenset[Election] | None = None
        self.committed: frozenset[Any] | None = None
        self.restarts = -1
        self.requests = -1
        self.fp = 0


#: ``SymmetricFingerprint``'s cache entry for one node tuple (see its ``__init__``).
_NodeEntry = tuple[list[tuple[int, Perm, int]] | None, dict[frozenset[Any], _Network]]


class SymmetricFingerprint:
    """The fingerprint of a state up to server relabelling, at a cost polynomial in n.

    Two paths, chosen by ``tie_count`` (the same for every member of an orbit, so every
    member takes the same one):

    * up to ``enumeration_limit`` ties: the least fingerprint over ``candidate_perms``
      (servers sorted by signature, every order within ties). Exact. This is the only
      path 2- and 3-server states take, so their fingerprints and counts are unchanged.
    * beyond it: colour refinement with individualisation (the comment above ``_graph``),
      at most ``leaf_limit`` leaves, each a refinement (O(n) rounds over the O(n^2 +
      messages) edges) and a relabelling. Exact whenever the pruned tree has at most
      ``leaf_limit`` leaves, which is every state whose remaining ties are whole groups of
      interchangeable servers (identical followers) or are broken by individualising one
      server; otherwise sound but maybe not exact (counted in ``inexact``).

    Either way the fingerprint is the hash of a relabelling of the state, so two states
    share one only if they are symmetric (up to 64-bit hash collisions).

    The enumeration's fingerprint of a relabelled state r is the hash of (hash(r.nodes),
    hash(r.network), hash(r.elections), r's other fields): a function of r alone, so the
    minimum is still orbit-invariant. States share their parts with many others (a few
    thousand node tuples stand behind hundreds of thousands of states), so the candidate
    relabellings with the relabelled nodes' hash are cached per node tuple, and the
    relabelled network and elections hashes per (part, relabelling).
    """

    def __init__(
        self,
        bag: bool,
        enumeration_limit: int | None = None,
        leaf_limit: int | None = None,
        view: Callable[[ClusterState], frozenset[Any]] | None = None,
    ) -> None:
        """``view``: the network of the state to fingerprint instead of ``s`` (the
        inert-message view's ``view_network``, a function of the network and the servers
        only: cached with the servers)."""
        self.bag = bag
        self.enumeration_limit = (
            ENUMERATION_LIMIT if enumeration_limit is None else enumeration_limit
        )
        self.leaf_limit = LEAF_LIMIT if leaf_limit is None else leaf_limit
        self.view = view
        #: States canonicalised by refinement, and those whose walk was cut.
        self.refined = 0
        self.inexact = 0
        # Per node tuple: its candidate relabellings as (relabelling number, relabelling,
        # hash of the relabelled nodes), or None for refinement; and each network seen
        # with it (``_Network``). A tuple of nodes
        # does not cache its hash, and hashing it is most of a lookup, so everything keyed
        # by the nodes is found with one lookup.
        self._node_cache: dict[tuple[NodeState, ...], _NodeEntry] = {}
        # The same entries by the identity of the node tuple: a step that changes no
        # server keeps its state's tuple (more than half of the steps on ``default``), and
        # a hit here hashes one int instead of every server. The tuple is kept with its
        # entry, so its id is not reused while it is here.
        self._by_id: dict[int, tuple[tuple[NodeState, ...], _NodeEntry]] = {}
        self._views = 0
        # Per network (and elections): the relabelled part's hash per relabelling number.
        # A frozenset caches its hash, and an int hashes to itself: no tuple is built.
        self._net_cache: dict[frozenset[Any], dict[int, int]] = {}
        self._elect_cache: dict[frozenset[Election], dict[int, int]] = {}
        self._perm_ids: dict[Perm, int] = {}
        self._state_cache: dict[ClusterState, int] = {}

    def _node_entry(self, s: ClusterState) -> _NodeEntry:
        cache = self._node_cache
        if len(cache) > 200_000:
            cache.clear()
            self._by_id.clear()
            self._views = 0
        part = None
        if tie_count(s) <= self.enumeration_limit:
            ids = self._perm_ids
            part = []
            for p in candidate_perms(s):
                pid = ids.get(p)
                if pid is None:
                    pid = ids[p] = len(ids)
                part.append((pid, p, hash(_nodes(s, p))))
        entry: _NodeEntry = (part, {})
        cache[s.nodes] = entry
        return entry

    def _net_hashes(self, net: frozenset[Any]) -> dict[int, int]:
        """The relabelled network's hash per relabelling number, filled as needed."""
        nets = self._net_cache.get(net)
        if nets is None:
            if len(self._net_cache) > NETWORKS_KEPT * 2 // 3:
                self._net_cache.clear()
            nets = self._net_cache[net] = {}
        return nets

    def _net_hash(self, net: frozenset[Any], p: Perm) -> int:
        if self.bag:
            return hash(frozenset((_message(m, p), c) for m, c in net))
        return hash(frozenset(_message(m, p) for m in net))

    def __call__(self, s: ClusterState) -> int:
        nodes = s.nodes
        known = self._by_id.get(id(nodes))
        if known is not None and known[0] is nodes:
            entry = known[1]
        else:
            found = self._node_cache.get(nodes)
            entry = self._node_entry(s) if found is None else found
            if len(self._by_id) > 100_000:
                self._by_id.clear()
            self._by_id[id(nodes)] = (nodes, entry)
        part, views = entry
        net = s.network
        # The network's entry found with one lookup (comparing two equal networks that
        # are not the same object costs a lookup per message).
        seen_net = views.get(net)
        if seen_net is None:
            if self._views >= NETWORKS_KEPT:  # states are large: keep the entries bounded
                for _, known_views in self._node_cache.values():
                    known_views.clear()
                self._views = 0
            # The view of a network is a function of the network and the servers only.
            seen = net if self.view is None else self.view(s)
            seen_net = views[net] = _Network(seen, self._net_hashes(seen))
            self._views += 1
        net = seen_net.seen
        if part is None:
            if net is not s.network:
                # tuple.__new__, as in _message: NamedTuple's _replace runs in Python.
                s = _tuple_new(ClusterState, (nodes, net, *s[2:]))
            # A state is reached from many parents; the walk costs far more than a lookup.
            h = self._state_cache.get(s)
            if h is None:
                if len(self._state_cache) > 50_000:  # states are large: keep the cache small
                    self._state_cache.clear()
                tree = _Tree(s, self.bag, self.leaf_limit)
                self.refined += 1
                self.inexact += tree.cut
                assert tree.best is not None
                h = self._state_cache[s] = tree.best[0]
            return h
        elections, committed, restarts, requests = s.elections, s.committed, s.restarts, s.requests
        if (
            seen_net.restarts == restarts
            and seen_net.requests == requests
            and seen_net.elections == elections
            and seen_net.committed == committed
        ):
            return seen_net.fp
        els = self._elect_cache.get(elections)
        if els is None:
            if len(self._elect_cache) > 50_000:
                self._elect_cache.clear()
            els = self._elect_cache[elections] = {}
        nets = seen_net.nets
        best: int | None = None
        rest = (committed, restarts, requests)
        for pid, p, nh in part:
            neth = nets.get(pid)
            if neth is None:
                neth = nets[pid] = self._net_hash(net, p)
            elh = els.get(pid)
            if elh is None:
                elh = els[pid] = hash(frozenset(Election(e.term, p[e.leader]) for e in elections))
            h = hash((nh, neth, elh, rest))
            if best is None or h < best:
                best = h
        assert best is not None
        seen_net.elections, seen_net.committed = elections, committed
        seen_net.restarts, seen_net.requests, seen_net.fp = restarts, requests, best
        return best


def symmetric_fingerprint(n: int, bag: bool) -> Callable[[ClusterState], int]:
    """A function giving each state's fingerprint up to relabelling (``SymmetricFingerprint``)."""
    return SymmetricFingerprint(bag)


def view_guard(config: Config) -> Callable[[ClusterState, Action, ClusterState], str | None]:
    """A transition property for a search that identifies states by their view: the
    rules the view relies on (``raftmodel.inert.Guard``), on each transition and on the
    state it reaches, before that state is discarded as seen. An answer (not None) means
    the view may have merged inequivalent states: its verdict must not stand."""
    guard = inert.Guard(config)

    def check(s: ClusterState, a: Action, t: ClusterState) -> str | None:
        why = guard.transition(s, a, t)
        if why is not None:
            return why
        found = guard.state(t, s)
        if found is None:
            return None
        deliver, why = found
        return f"{why} (on {describe(deliver)} from the state reached)"

    return check


def state_fingerprint(
    config: Config, symmetry: bool = True, view: bool = True
) -> tuple[Callable[[ClusterState], int], bool]:
    """The fingerprint the search identifies states by, and whether the inert-message view
    (``raftmodel.inert``) is part of it: only when asked for and sound for ``config``."""
    applied = view and inert.applies(config)
    if symmetry:
        bag = config.semantics is Semantics.BAG
        return SymmetricFingerprint(bag, view=inert.view_network if applied else None), applied
    base = fingerprint
    if not applied:
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
        # tuple.__new__, as in _message: NamedTuple's _replace runs in Python, even compiled.
        return base(_tuple_new(ClusterState, (s.nodes, net, *s[2:])))

    return fp, True


KeyFunction = Callable[[ClusterState], Hashable]


def exact_key(config: Config, symmetry: bool, view: bool) -> KeyFunction:
    """Exact keys on whole states: the state itself (or its view), or with symmetry its
    orbit (the set of all its relabellings, up to 3 servers; the refined canonical form
    beyond), which two states share iff symmetric."""
    forget = inert.view if view else None
    if not symmetry:
        return (lambda s: s) if forget is None else forget
    bag = config.semantics is Semantics.BAG
    if config.n > 3:
        # n! relabellings per state is out of reach: the refined canonical form, a whole
        # relabelled state (a 64-bit hash decides only between relabellings of one state).
        def form(s: ClusterState) -> Hashable:
            return canonical_form(s if forget is None else forget(s), bag)

        return form
    ps = perms(config.n)

    def k(s: ClusterState) -> Hashable:
        v = s if forget is None else forget(s)
        return frozenset(relabel(v, p, bag) for p in ps)

    return k
