"""One worker's share of a partitioned BFS: the fingerprints it owns, and the states it
made.

A ``Partition`` is plain Python and knows no Dask (``search`` runs one per worker; tests
may run several in one process). A fingerprint has an owner (its routing key mod N: the
fingerprint, or the model's locality key, as ``checker.distributed.search`` decides),
which alone decides whether it is new. A state stays where it was made. Per level:

- ``expand`` computes the successors of the partition's frontier, checks the transition
  properties, and keeps each successor whose fingerprint it has not claimed before as a
  candidate; to the fingerprint's owner goes only a claim: (fingerprint, rank, index).
- ``decide``, at every owner, takes the claims sent to it and picks, for each fingerprint
  not seen before, the candidate that keeps it; the winners go back to their senders as
  indices.
- ``absorb`` keeps the candidates that won, checks the state invariants on them, and
  makes them the next frontier.

So a state is not sent anywhere, and it is expanded in the process that made it, whose
caches already hold its parts (the network, the servers): on two-terms, two partitions
in one process spend what one does (14.6 to 14.7 CPU s against 14.8 to 15.4), where
sending each state to its owner had cost 10 to 16% more (it was pickled, loaded, re-made
of shared objects, and met cold caches). Before a level, ``gift`` hands the frontier's
surplus over an even share (``moves``, from every partition's frontier load: the model's
estimate of the work of expanding it, ``Fingerprinter.work``) to the partitions with
less, which ``expand`` with their own: those states, pickled, are the only ones that
travel. Batches are pickled bytes (``wire``), so their size is the network volume.

Which state stands for a fingerprint matters when the reductions merge states that
differ (the view forgets inert messages, whose deliveries are still generated): the one
process keeps the first in BFS order, and so does the owner. Every frontier state has a
rank, its place in the level's BFS order: a child's rank is its parent's shifted left by
``RANK_BITS`` plus its position among the parent's successors, which orders children as
the one process meets them (by parent, then by successor). The owner keeps the
least-ranked candidate of each fingerprint, and a partition keeps its frontier in rank
order.

A partition remembers every fingerprint it has claimed (``sent``): by the end of the
level its owner has decided it, so the same fingerprint is never claimed twice by one
partition (most successors are states seen before); the first claimed in a level is the
partition's least-ranked candidate, since the frontier is expanded in rank order. The
properties checked are the model's, with the reductions' assumptions, as the
single-process search checks them.
"""

from __future__ import annotations

import contextlib
import gc
import time
from array import array
from collections.abc import Iterator, Sequence
from typing import Any, Final, NamedTuple

from checker.distributed import wire
from checker.engine.model import Model, Violation, state_checker, transition_checker
from checker.engine.store import FingerprintSet

_new: Final = tuple.__new__

#: (fingerprint, the parent's partition, its index there, rank, state)
Item = tuple[int, int, int, int, Any]
#: A candidate's claim to its fingerprint's owner: (fingerprint, rank, its index among
#: the sender's candidates).
Claim = tuple[int, int, int]
#: A frontier state: (state, its partition, its index there, rank).
Entry = tuple[Any, int, int, int]
#: Bits of a rank per level: a state may have at most 2**RANK_BITS successors.
RANK_BITS: Final = 12
#: A step lets go of the GIL once every this many states plus one (``time.sleep(0)``).
#: Compiled code lets go of it only where it calls interpreted code or a C function that
#: does, and the worker's event loop needs it: to take in the batches its peers send, to
#: answer the scheduler's heartbeats. This bounds the loop's wait whatever the model.
#: Not much more often: each may hand the core to another process (every 256 states cost
#: about 0.3 s of two-terms' 9 on 2 workers).
YIELD_MASK: Final = 4095


class Expanded(NamedTuple):
    """What ``expand`` tells the driver (the batches stay on the worker)."""

    generated: int
    coverage: dict[str, int]
    #: Bytes of the claims sent to other partitions (with the answers, ``Absorbed``, the
    #: network volume of the level).
    sent_bytes: int
    #: Claims in them.
    sent_states: int
    #: A transition property violated: (rank of the step, the parent's partition and
    #: index there, action, state, violation).
    violation: tuple[int, int, int, Any, Any, Violation] | None
    #: The deadline stopped the expansion before the frontier was done.
    cut: bool
    #: States of other partitions' frontiers expanded here (handed over: ``gift``).
    taken: int
    #: CPU seconds of the step (the worker's thread: the load of a shared machine and the
    #: other workers do not count).
    seconds: float


class Absorbed(NamedTuple):
    new: int
    distinct: int
    frontier: int
    #: The frontier's work (the model's estimate per state, ``Fingerprinter.work``; else
    #: its states): what the levels are balanced by.
    load: int
    #: A state invariant violated by a new state: (its rank, its index here, violation).
    violation: tuple[int, int, Violation] | None
    seconds: float
    #: Bytes of this partition's answers to the others' claims (``decide``) and of the
    #: states it handed over (``gift``).
    sent_bytes: int


@contextlib.contextmanager
def _no_gc() -> Iterator[None]:
    # As in checker.engine.search: states hold no cycles, and the collector would traverse
    # the frontier again and again. Only for the step: the worker's own machinery runs
    # with it on. What the step allocated is frozen (moved out of the collector's
    # generations; reference counting still frees it): re-enabled, the collector would
    # otherwise traverse those millions of objects, a third of a worker's CPU time.
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if collecting:
            gc.enable()


def moves(counts: list[int], least: int) -> list[list[int]]:
    """How much of its frontier's work partition ``p`` hands to ``q`` to expand
    (``[p][q]``) so that each partition expands about an even share of a level whose
    frontiers hold ``counts`` of work (``Absorbed.load``): the largest surplus to the
    largest shortfall first (ties by index), and no hand-over of less than ``least``
    (each costs a delivery and its pickling). A function of the counts alone: every
    partition computes the same plan."""
    n = len(counts)
    total = sum(counts)
    # Surplus (positive) or shortfall (negative) against the even share.
    off = [c - (total // n + (p < total % n)) for p, c in enumerate(counts)]
    over = sorted(((d, p) for p, d in enumerate(off) if d > 0), key=lambda x: (-x[0], x[1]))
    under = sorted(((-d, p) for p, d in enumerate(off) if d < 0), key=lambda x: (-x[0], x[1]))
    plan = [[0] * n for _ in range(n)]
    i = j = 0
    while i < len(over) and j < len(under):
        (s, p), (d, q) = over[i], under[j]
        k = min(s, d)
        if k >= least:
            plan[p][q] = k
        over[i], under[j] = (s - k, p), (d - k, q)
        i += s == k
        j += d == k
    return plan


def owner(key: int, count: int) -> int:
    """The partition that owns a routing key: a state's fingerprint, or its locality key
    (Python's modulo is never negative)."""
    return key % count


class Partition:
    """Partition ``index`` of ``count`` of ``model``'s state space."""

    def __init__(
        self,
        model: Model[Any, Any],
        index: int,
        count: int,
        symmetry: bool,
        view: bool,
        by_locality: bool = False,
    ) -> None:
        """``by_locality``: route each successor by the model's locality key (its
        fingerprinter's ``locality``), not by its fingerprint (``route``)."""
        self.model = model
        self.index = index
        self.count = count
        fpr = model.fingerprinter(symmetry, view)
        self.fp = fpr.fingerprint
        self.transition_violation = transition_checker(model, fpr.assumptions)
        self.state_violation = state_checker(model)
        self.route = fpr.locality if by_locality else None
        self.own = fpr.shared
        self.work = fpr.work
        #: The frontier's work (``Absorbed.load``).
        self.load = 0
        self.seen = FingerprintSet()
        self.sent = FingerprintSet()
        # Per state of this partition: its fingerprint and its parent (partition, index).
        self.fps = array("q")
        self.parent_part = array("i")
        self.parent_index = array("q")
        #: In rank order.
        self.frontier: list[Entry] = []
        #: The frontier states handed to other partitions this level (``gift``).
        self.gifts: list[bytes] | None = None
        #: CPU seconds handing states over since the last expansion.
        self.spent = 0.0
        self.outbox: list[bytes] = [b""] * count
        #: The parts of the states kept, each value once (``_shared``).
        self.parts: dict[Any, Any] = {}
        #: This level's candidates, in rank order: the successors whose fingerprints this
        #: partition had not claimed before (``sent``). They stay here; only their claims
        #: travel, and the winners come back as indices into this list.
        self.candidates: list[Item] = []
        #: This partition's claims on its own fingerprints, and its own winners there.
        self.local: list[Claim] = []
        self.won: list[int] = []
        self.bytes_out = 0

    def seed(self, items: list[Item]) -> Absorbed:
        """The initial states whose fingerprints this partition owns (parent -1, ranked
        in init order, each fingerprint once): it keeps them too."""
        with _no_gc():
            for k, _, _, _, _ in items:
                self.seen.add(k)
                self.sent.add(k)
            return self._keep(items, time.thread_time())

    def gift(self, q: int, counts: list[int], least: int) -> bytes:
        """The frontier states this partition hands to partition ``q`` to expand this
        level (``moves`` of every partition's frontier ``counts``, its ``load``), pickled:
        the last ones in rank order, split among the takers in index order at the first
        call. A taker gets whole states: the first whose work reaches its share is its
        last."""
        with _no_gc():
            start = time.thread_time()
            if self.gifts is None:
                if counts[self.index] != self.load:
                    raise RuntimeError("a frontier's load does not match the partition's")
                give = moves(counts, least)[self.index]
                frontier, work = self.frontier, self.work
                cut = len(frontier)
                pieces: list[list[Entry]] = []
                for r in range(self.count - 1, -1, -1):
                    end, due = cut, give[r]
                    while due > 0 and cut > 0:
                        cut -= 1
                        due -= 1 if work is None else work(frontier[cut][0])
                    pieces.append(frontier[cut:end])
                pieces.reverse()
                del frontier[cut:]
                self.gifts = [wire.dumps(piece) if piece else b"" for piece in pieces]
                self.bytes_out += sum(len(g) for g in self.gifts)
            batch, self.gifts[q] = self.gifts[q], b""
            self.spent += time.thread_time() - start
            return batch

    def expand(self, deadline: float | None, gifts: Sequence[bytes] = ()) -> Expanded:
        """Expand the frontier, with the states other partitions handed over (``gift``)
        merged into it in rank order."""
        with _no_gc():
            start = time.thread_time()
            given = [e for b in gifts if b for e in wire.loads(b)]
            if given:
                shared = self._shared
                self.frontier.extend([(shared(t), p, i, r) for t, p, i, r in given])
                self.frontier.sort(key=lambda e: e[3])
            return self._expand(deadline, start, len(given))

    def _expand(self, deadline: float | None, start: float, taken: int = 0) -> Expanded:
        model, fp, transition_violation, sent, count, me = (
            self.model,
            self.fp,
            self.transition_violation,
            self.sent,
            self.count,
            self.index,
        )
        successors, kind = model.successors, model.kind
        route = self.route
        out: list[list[Claim]] = [[] for _ in range(count)]
        candidates: list[Item] = []
        generated = 0
        coverage: dict[str, int] = {}  # not a Counter: see checker.engine.search
        violation = None
        cut = False
        for n, (s, part, i, rank) in enumerate(self.frontier):
            if not n & YIELD_MASK:
                time.sleep(0)  # the GIL, for the worker's event loop: ``YIELD_MASK``
            if deadline is not None and not n & 31 and time.time() >= deadline:
                cut = True
                break
            base = rank << RANK_BITS
            c = 0
            for c, (a, t) in enumerate(successors(s)):
                generated += 1
                kd = kind(a)
                coverage[kd] = coverage.get(kd, 0) + 1
                v = transition_violation(s, a, t)
                if v is not None:
                    violation = (base + c, part, i, a, t, v)
                    break
                k = fp(t)
                if sent.add(k):
                    out[owner(k if route is None else route(t), count)].append(
                        (k, base + c, len(candidates))
                    )
                    candidates.append((k, part, i, base + c, t))
            if c >> RANK_BITS:
                raise RuntimeError(f"a state with more than {1 << RANK_BITS} successors")
            if violation is not None:
                break
        self.frontier = []
        self.load = 0
        self.gifts = None
        self.candidates = candidates
        self.local = out[me]
        sent_bytes = sent_states = 0
        for q in range(count):
            if q == me:
                continue
            self.outbox[q] = wire.dumps(out[q])
            sent_bytes += len(self.outbox[q])
            sent_states += len(out[q])
        return Expanded(
            generated,
            coverage,
            sent_bytes,
            sent_states,
            violation,
            cut,
            taken,
            time.thread_time() - start + self._spent(),
        )

    def _spent(self) -> float:
        spent, self.spent = self.spent, 0.0
        return spent

    def take_outbox(self, q: int) -> bytes:
        """The batch for partition ``q`` (handed over once)."""
        batch, self.outbox[q] = self.outbox[q], b""
        return batch

    def decide(self, batches: list[tuple[int, bytes]]) -> None:
        """As the owner of the fingerprints claimed in ``batches`` (from every other
        partition, as (sender, bytes); this one's own claims are kept locally): the
        candidate that keeps each fingerprint not seen before, the least-ranked, which is
        the one the single process keeps. The winners go back to their senders
        (``take_outbox``), as the indices of their candidates."""
        with _no_gc():
            start = time.thread_time()
            claims = [(q, wire.loads(b) if b else []) for q, b in batches]
            claims.append((self.index, self.local))
            claims.sort(key=lambda c: c[0])
            self.local = []
            seen, count = self.seen, self.count
            wins: list[list[int]] = [[] for _ in range(count)]
            # Each list is in rank order (a partition expands its frontier in rank order,
            # and claims in the order it meets its candidates), so a merge meets the
            # claims in the level's BFS order: the first of each fingerprint not seen
            # before is the least-ranked. Ranks are distinct: no ties to break.
            lists = [items for _, items in claims]
            senders = [q for q, _ in claims]
            ends = [len(items) for items in lists]
            at = [0] * len(lists)
            while True:
                li = -1
                least = 0
                for x in range(len(lists)):
                    i = at[x]
                    if i < ends[x]:
                        r: int = lists[x][i][1]
                        if li < 0 or r < least:
                            li, least = x, r
                if li < 0:
                    break
                k, _, index = lists[li][at[li]]
                at[li] += 1
                if seen.add(k):
                    wins[senders[li]].append(index)
            self.won = wins[self.index]
            for q in range(count):
                if q != self.index:
                    self.outbox[q] = wire.dumps(wins[q])
                    self.bytes_out += len(self.outbox[q])
            self.spent += time.thread_time() - start

    def absorb(self, batches: list[tuple[int, bytes]]) -> Absorbed:
        """Keep this partition's candidates that won their fingerprints: ``batches`` are
        the other owners' answers to its claims (``decide``), as (sender, bytes). They
        make the next frontier, in rank order."""
        with _no_gc():
            start = time.thread_time()
            won = [i for _, b in batches if b for i in wire.loads(b)]
            won.extend(self.won)
            self.won = []
            # A candidate's index is its place in rank order (``_expand``).
            won.sort()
            candidates, self.candidates = self.candidates, []
            absorbed = self._keep([candidates[i] for i in won], start)
            sent, self.bytes_out = self.bytes_out, 0
            return absorbed._replace(sent_bytes=sent)

    def _keep(self, items: list[Item], start: float) -> Absorbed:
        """The states of ``items``, in rank order, each new: this partition's from now."""
        fps, me = self.fps, self.index
        state_violation, work = self.state_violation, self.work
        pp, pi = self.parent_part, self.parent_index
        frontier: list[Entry] = []
        load = 0
        violation = None
        for k, part, parent, rank, t in items:
            j = len(fps)
            if not j & YIELD_MASK:
                time.sleep(0)
            fps.append(k)
            pp.append(part)
            pi.append(parent)
            v = state_violation(t)
            if v is not None:
                violation = (rank, j, v)
                break
            frontier.append((t, me, j, rank))
            load += 1 if work is None else work(t)
        self.frontier, self.load = frontier, load
        return Absorbed(
            len(frontier),
            len(fps),
            len(frontier),
            load,
            violation,
            time.thread_time() - start + self._spent(),
            0,
        )

    def _shared(self, t: Any) -> Any:
        """``t`` made of the objects this partition already holds where it has equal ones:
        its tuple and frozenset fields replaced by the first equal value met here. A
        state another partition handed over (``gift``: the only states that travel)
        arrives as new objects (unpickled), and the model's
        caches find a state's parts by identity first, then by equality (a deep
        comparison): the one process's states share their parts, and so should a
        partition's, whichever partition generated them. On two-terms, two partitions in
        one process spent 47% more CPU than one before this. The model's own (its
        fingerprinter's ``shared``) go first: the Raft model's node steps are remembered
        by the identity of the node (``raftmodel.memo``)."""
        if self.own is not None:
            t = self.own(t)
        if not isinstance(t, tuple) or type(t).__dictoffset__:
            return t
        table = self.parts
        if len(table) > 500_000:
            table.clear()
        fields: list[Any] = []
        changed = False
        for f in t:
            if isinstance(f, (tuple, frozenset)):
                known = table.get(f)
                if known is None:
                    table[f] = f
                elif known is not f:
                    f = known
                    changed = True
            fields.append(f)
        return _new(type(t), fields) if changed else t

    def has_successors(self) -> bool:
        """At the depth bound: whether any state of the frontier has a successor."""
        successors = self.model.successors
        return any(any(True for _ in successors(s)) for s, _, _, _ in self.frontier)

    def link(self, j: int) -> tuple[int, int, int]:
        """State ``j``'s fingerprint and its parent (partition, index; -1 for a root)."""
        return self.fps[j], self.parent_part[j], self.parent_index[j]
