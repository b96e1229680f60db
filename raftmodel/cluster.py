"""The cluster harness: N nodes, a network, history variables, and the action list.

This is the imperative shell's pure core: ``successors(state, config)`` enumerates
every enabled action with its successor, in a deterministic order. Bounds are action
guards here (never inside the node), written once and mirrored by the TLA+ spec:

  Timeout(i)             role != Leader and currentTerm < max_term
  SendAppendEntries(i,j,b) i is leader, j != i; b = 0 when max_batch = 0 (the whole
                         suffix from nextIndex), else b in 1..min(max_batch, suffix
                         length), or b = 0 when the suffix is empty (a heartbeat)
  Receive(m)             m in the network (and 1 <= m.dest <= n)
  ClientRequest(i,v)     i is leader, requests < max_requests, len(log) < max_log, v in values
  Restart(i)             restarts < max_restarts
  Drop(m), Duplicate(m)  BAG only; Duplicate needs copies(m) < max_copies
  (refusal_hint = 1)     a refusal carries the follower's last log index and the leader's
                         nextIndex may jump with it (§5.3; a model option, not a guard)
  (BAG) any action whose successor holds more than max_copies copies of a message is disabled

History variables (for invariants only; no node reads them): ``elections``, every
(term, leader) ever elected; ``committed``, every entry ever committed with the term
of the server that first committed it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Final, NamedTuple

from raftmodel import network as net
from raftmodel.actions import (
    Action,
    ClientRequest,
    Drop,
    Duplicate,
    Receive,
    Restart,
    SendAppendEntries,
    Timeout,
    action_key,
    describe,
)
from raftmodel.memo import Steps
from raftmodel.messages import ElectionTimeout, Event, Message, Propose, SendAppend
from raftmodel.network import Network, Semantics
from raftmodel.node import (
    NodeState,
    can_time_out,
    init_node,
    is_leader,
    restart,
)
from raftmodel.rules import RAFT, Rules, with_refusal_hint
from raftmodel.types import LEADER, Index, NodeId, Term, Value


class Bounds(NamedTuple):
    """Action guards that make the space finite. ``None`` means unbounded (simulation)."""

    max_term: int | None = 2
    max_log: int | None = 1
    max_restarts: int | None = 1
    max_requests: int | None = 1
    values: tuple[Value, ...] = (1,)
    max_copies: int = 1
    #: The most entries one AppendEntries carries: 0 sends the whole suffix from nextIndex
    #: (one SendAppendEntries per follower); k >= 1 makes each batch size 1..k its own
    #: action, as real leaders batch (canonical/raft, etcd, PySyncObj).
    max_batch: int = 0
    #: 1: a refused AppendEntries carries the follower's last log index and the leader
    #: moves nextIndex with it (§5.3's optimisation, as canonical/raft and etcd do;
    #: raftmodel.rules.retry_from); 0: Figure 2's one-entry decrement. A model option
    #: rather than a bound, kept here so presets, the CLI, ITF and TLC carry it like
    #: max_batch.
    refusal_hint: int = 0


class Config(NamedTuple):
    n: int = 3
    bounds: Bounds = Bounds()
    semantics: Semantics = Semantics.SET
    rules: Rules = RAFT
    #: Actions taken from Init before a search starts: a scenario's starting point (the
    #: paper's Figure 8 (a), say). Empty: the search starts at Init.
    prefix: tuple[Action, ...] = ()

    @property
    def servers(self) -> range:
        return range(1, self.n + 1)


class Election(NamedTuple):
    term: Term
    leader: NodeId


class Committed(NamedTuple):
    """An entry (index, term, value) and the currentTerm of the server that committed it."""

    index: Index  # type: ignore[assignment]  # shadows tuple.index on purpose: the paper's name
    term: Term
    value: Value
    commitTerm: Term


class ClusterState(NamedTuple):
    nodes: tuple[NodeState, ...]
    network: Network
    elections: frozenset[Election]
    committed: frozenset[Committed]
    restarts: int
    requests: int


_tuple_new: Final = tuple.__new__


def _cluster(
    nodes: tuple[NodeState, ...],
    network: Network,
    elections: frozenset[Election],
    committed: frozenset[Committed],
    restarts: int,
    requests: int,
) -> ClusterState:
    """``ClusterState(...)`` built in C: a NamedTuple's constructor and ``_replace`` are
    generated Python functions, which stay interpreted in the compiled build, and every
    transition builds a cluster state (the same value)."""
    return _tuple_new(ClusterState, (nodes, network, elections, committed, restarts, requests))


class BadConfig(ValueError):
    """A configuration no cluster can be built from (e.g. zero servers, a negative bound)."""


def validate(config: Config) -> None:
    if config.n < 1:
        raise BadConfig(f"servers must be at least 1, got {config.n}")
    b = config.bounds
    for name in ("max_term", "max_log", "max_restarts", "max_requests"):
        v = getattr(b, name)
        if v is not None and v < 0:
            raise BadConfig(f"{name} must be >= 0, got {v}")
    if not b.values:
        raise BadConfig("values must not be empty")
    if len(set(b.values)) != len(b.values):
        raise BadConfig(f"values must be distinct, got {b.values}")
    if b.max_copies < 1:
        raise BadConfig(f"max_copies must be >= 1, got {b.max_copies}")
    if b.max_batch < 0:
        raise BadConfig(f"max_batch must be >= 0, got {b.max_batch}")
    if b.refusal_hint not in (0, 1):
        raise BadConfig(f"refusal_hint must be 0 or 1, got {b.refusal_hint}")


def init_state(config: Config) -> ClusterState:
    """Init, or the state ``config.prefix`` reaches from it (its actions count against
    the bounds like any others)."""
    validate(config)
    nodes = tuple(init_node(i, config.n) for i in config.servers)
    s = ClusterState(nodes, net.EMPTY, frozenset(), frozenset(), 0, 0)
    for k, a in enumerate(config.prefix, start=1):
        nxt = apply(s, a, config)
        if nxt is None:
            raise BadConfig(f"prefix step {k}, {describe(a)}, is not enabled")
        s = nxt
    return s


def _under(value: int, bound: int | None) -> bool:
    return bound is None or value < bound


def _record(
    before: NodeState,
    after: NodeState,
    elections: frozenset[Election],
    committed: frozenset[Committed],
) -> tuple[frozenset[Election], frozenset[Committed]]:
    # History: a node that turns leader (or leads a new term) is an election; indexes
    # that pass commitIndex are commits, recorded once per entry with the first commit term.
    if after.role == LEADER and (before.role != LEADER or before.currentTerm != after.currentTerm):
        elections = elections | {Election(after.currentTerm, after.id)}
    if after.commitIndex > before.commitIndex:
        known = {(c.index, c.term, c.value) for c in committed}
        new = [
            Committed(k, after.log[k - 1].term, after.log[k - 1].value, after.currentTerm)
            # Only entries that exist: a variant can push commitIndex past the log's end
            # (CommitWithinLog reports it).
            for k in range(before.commitIndex + 1, min(after.commitIndex, len(after.log)) + 1)
            if (k, after.log[k - 1].term, after.log[k - 1].value) not in known
        ]
        if new:
            committed = committed | frozenset(new)
    return elections, committed


def _with_node(
    s: ClusterState,
    before: NodeState,
    after: NodeState,
    sent: tuple[Message, ...],
    network: Network,
    config: Config,
    requests: int,
) -> ClusterState | None:
    nodes = s.nodes
    if after is not before:
        nodes = _STEPS.replace(nodes, after)
    network = net.send(network, sent, config.semantics)
    if (
        config.semantics is Semantics.BAG
        and net.max_copies(network, config.semantics) > config.bounds.max_copies
    ):
        return None
    elections, committed = _record(before, after, s.elections, s.committed)
    return _cluster(nodes, network, elections, committed, s.restarts, requests)


def event_of(a: Action) -> tuple[NodeId, Event] | None:
    """The server an action drives and the event it feeds that server's ``node.step``,
    or None for actions no node sees (Restart, Drop, Duplicate). The one translation of
    harness actions into node events (docs/actions.md)."""
    if isinstance(a, Receive):
        return a.m.dest, a.m
    if isinstance(a, Timeout):
        return a.i, _TIMEOUT
    if isinstance(a, SendAppendEntries):
        key = (a.j, a.batch)
        send = _SENDS.get(key)
        if send is None:
            send = _SENDS[key] = SendAppend(a.j, a.batch)
        return a.i, send
    if isinstance(a, ClientRequest):
        propose = _PROPOSALS.get(a.v)
        if propose is None:
            propose = _PROPOSALS[a.v] = Propose(a.v)
        return a.i, propose
    return None


# The local events are kept, one object per value: ``Steps`` finds a step it has taken
# by the identity of its event. Few values: a peer and a batch size, a client's value.
_TIMEOUT: Final = ElectionTimeout()
_SENDS: Final[dict[tuple[NodeId, int], SendAppend]] = {}
_PROPOSALS: Final[dict[Value, Propose]] = {}
#: Every node step of the harness (``raftmodel.memo``).
_STEPS: Final = Steps()


def _enabled(s: ClusterState, a: Action, config: Config) -> bool:
    """The harness guard of an action that drives a node (module docstring)."""
    n, b = config.n, config.bounds
    if isinstance(a, Receive):
        m = a.m
        return net.count(s.network, m, config.semantics) > 0 and 1 <= m.dest <= n
    if isinstance(a, Timeout):
        if not 1 <= a.i <= n:
            return False
        node = s.nodes[a.i - 1]
        return can_time_out(node) and _under(node.currentTerm, b.max_term)
    if isinstance(a, SendAppendEntries):
        if not (1 <= a.i <= n and 1 <= a.j <= n and a.i != a.j and is_leader(s.nodes[a.i - 1])):
            return False
        return a.batch in _batches(s.nodes[a.i - 1], a.j, b.max_batch)
    if isinstance(a, ClientRequest):
        if not 1 <= a.i <= n or a.v not in b.values:
            return False
        node = s.nodes[a.i - 1]
        return (
            is_leader(node)
            and _under(s.requests, b.max_requests)
            and _under(len(node.log), b.max_log)
        )
    raise TypeError(f"not an action: {a!r}")


def _batches(leader: NodeState, j: NodeId, max_batch: int) -> range:
    """The batch sizes leader may send j (SendAppendEntries' ``batch``; module docstring)."""
    if max_batch == 0:
        return _WHOLE
    # The entries the leader has for j from its nextIndex on (§5.3).
    pending = len(leader.log) - leader.nextIndex[j - 1] + 1
    k = max(0, min(max_batch, pending))
    return range(1, k + 1) if k else _WHOLE


_WHOLE: Final = range(0, 1)


def model_rules(config: Config) -> Rules:
    """The rules every node steps under: ``config.rules``, with the refusal hint when
    ``Bounds.refusal_hint`` is on (whoever calls ``node.step`` for a config uses these)."""
    if config.bounds.refusal_hint:
        return _hinted(config.rules)
    return config.rules


@lru_cache(maxsize=64)
def _hinted(rules: Rules) -> Rules:
    return with_refusal_hint(rules)


def apply(s: ClusterState, a: Action, config: Config) -> ClusterState | None:
    """The successor of ``s`` under ``a``, or None when ``a`` is not enabled in ``s``."""
    rules, n, b, sem = model_rules(config), config.n, config.bounds, config.semantics
    driven = event_of(a)
    if driven is not None:
        if not _enabled(s, a, config):
            return None
        who, event = driven
        before = s.nodes[who - 1]
        after, sent = _STEPS.step(before, event, n, rules)
        network = net.consume(s.network, a.m, sem) if isinstance(a, Receive) else s.network
        requests = s.requests + 1 if type(a) is ClientRequest else s.requests
        return _with_node(s, before, after, sent, network, config, requests)
    if isinstance(a, Restart):
        if not (1 <= a.i <= n and _under(s.restarts, b.max_restarts)):
            return None
        after = _STEPS.node(restart(s.nodes[a.i - 1], n, rules))
        nodes = _STEPS.replace(s.nodes, after)
        return _cluster(nodes, s.network, s.elections, s.committed, s.restarts + 1, s.requests)
    if isinstance(a, Drop):
        if sem is not Semantics.BAG or net.count(s.network, a.m, sem) == 0:
            return None
        network = net.consume(s.network, a.m, sem)
        return _cluster(s.nodes, network, s.elections, s.committed, s.restarts, s.requests)
    if isinstance(a, Duplicate):
        if sem is not Semantics.BAG:
            return None
        c = net.count(s.network, a.m, sem)
        if c == 0 or c >= b.max_copies:
            return None
        network = net.send(s.network, (a.m,), sem)
        return _cluster(s.nodes, network, s.elections, s.committed, s.restarts, s.requests)
    raise TypeError(f"not an action: {a!r}")


def candidate_actions(s: ClusterState, config: Config) -> list[Action]:
    """Every action worth trying in ``s``, in canonical order (``apply`` has the last word)."""
    n, sem = config.n, config.semantics
    acts: list[Action] = []
    for node in s.nodes:
        if can_time_out(node):
            acts.append(_timeout(node.id))
    mb = config.bounds.max_batch
    for node in s.nodes:
        if is_leader(node):
            i = node.id
            for j in range(1, n + 1):
                if j != i:
                    for k in _batches(node, j, mb):
                        acts.append(_send(i, j, k))
    receives = _receives(s.network, sem)
    acts.extend(receives)
    for node in s.nodes:
        if is_leader(node):
            acts.extend(_requests(node.id, config.bounds.values))
    acts.extend(_restarts(n))
    if sem is Semantics.BAG:
        acts.extend(Drop(r.m) for r in receives)
        acts.extend(Duplicate(r.m) for r in receives)
    return acts


# The actions of every state are built anew: a NamedTuple's constructor is a generated
# Python function (interpreted even in the compiled build), so the fixed ones are kept
# (few: a server, a peer and a batch size, a client's values).
_TIMEOUTS: Final[dict[NodeId, Timeout]] = {}
_RESTARTS: Final[dict[int, tuple[Restart, ...]]] = {}
_SEND_ACTIONS: Final[dict[tuple[NodeId, NodeId, int], SendAppendEntries]] = {}
_REQUESTS: Final[dict[tuple[NodeId, tuple[Value, ...]], tuple[ClientRequest, ...]]] = {}


def _send(i: NodeId, j: NodeId, batch: int) -> SendAppendEntries:
    key = (i, j, batch)
    a = _SEND_ACTIONS.get(key)
    if a is None:
        a = _SEND_ACTIONS[key] = SendAppendEntries(i, j, batch)
    return a


def _requests(i: NodeId, values: tuple[Value, ...]) -> tuple[ClientRequest, ...]:
    key = (i, values)
    acts = _REQUESTS.get(key)
    if acts is None:
        acts = _REQUESTS[key] = tuple(ClientRequest(i, v) for v in sorted(values))
    return acts


def _timeout(i: NodeId) -> Timeout:
    a = _TIMEOUTS.get(i)
    if a is None:
        a = _TIMEOUTS[i] = Timeout(i)
    return a


def _restarts(n: int) -> tuple[Restart, ...]:
    acts = _RESTARTS.get(n)
    if acts is None:
        acts = _RESTARTS[n] = tuple(Restart(i) for i in range(1, n + 1))
    return acts


#: ``Receive`` of each message of a network, in canonical order, per network: many states
#: share a network (a frozenset caches its hash, so the lookup is cheap), and sorting it
#: and building the actions was a fifth of enumerating a state's actions. The same values
#: either way.
_RECEIVES: Final[dict[Network, tuple[Receive, ...]]] = {}
#: The actions ``_RECEIVES`` holds, and their bound: by actions, not networks, since a
#: large model's network holds hundreds of messages (100,000 networks of a 5-server
#: simulation held 10 million actions, about 1 GB). Two-terms and deep hold 1.2 to 1.5
#: million (about 100 MB) when they end.
_HELD: Final = [0]
_HOLD: Final = 2_000_000


def _receives(network: Network, sem: Semantics) -> tuple[Receive, ...]:
    known = _RECEIVES.get(network)
    if known is None:
        if _HELD[0] >= _HOLD:
            _RECEIVES.clear()
            _HELD[0] = 0
        # A network's elements tell its semantics (messages, or (message, copies) pairs),
        # so the network alone is the key.
        known = _RECEIVES[network] = tuple(Receive(m) for m in net.messages(network, sem))
        _HELD[0] += len(known)
    return known


def shared(s: ClusterState, sem: Semantics) -> ClusterState:
    """``s`` with the servers and messages the harness holds (``raftmodel.memo``): a state
    unpickled in another process steps from the memo's tables like one made here. The
    same value."""
    nodes = _STEPS.servers(s.nodes)
    network = _STEPS.network(s.network, sem)
    if nodes is s.nodes and network is s.network:
        return s
    return _cluster(nodes, network, s.elections, s.committed, s.restarts, s.requests)


@contextmanager
def unremembered() -> Iterator[None]:
    """Inside, every node step runs its handler (``raftmodel.memo`` is bypassed): for
    whoever watches the handlers run (the SARIF report's profiler, node.py's coverage) or
    patches them (tests). The same values either way."""
    _STEPS.off += 1
    try:
        yield
    finally:
        _STEPS.off -= 1


def forget() -> None:
    """Empty the node-step memo (its tables refill as steps are taken)."""
    _STEPS.clear()


def successors(s: ClusterState, config: Config) -> Iterator[tuple[Action, ClusterState]]:
    """Every enabled action and its successor, in canonical order."""
    for a in candidate_actions(s, config):
        nxt = apply(s, a, config)
        if nxt is not None:
            yield a, nxt


def enabled_actions(s: ClusterState, config: Config) -> list[Action]:
    return [a for a, _ in successors(s, config)]


def leaders(s: ClusterState) -> list[NodeState]:
    return [node for node in s.nodes if node.role == LEADER]


__all__ = [
    "Bounds",
    "ClusterState",
    "Committed",
    "Config",
    "Election",
    "action_key",
    "apply",
    "candidate_actions",
    "enabled_actions",
    "event_of",
    "forget",
    "init_state",
    "model_rules",
    "shared",
    "successors",
    "unremembered",
]
