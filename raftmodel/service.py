"""A replicated service on the Raft cluster: a key-value store and a lock service with
fencing tokens, the resource the lock guards, and the clients that use them.

Off by default: nothing else in raftmodel imports this module, so a model without a
service is exactly the cluster of ``raftmodel.cluster``. With a service, the state is
``ServiceState``: the cluster, one state machine per server, the clients, the guarded
resource and the client history; ``apply(state, action, config)`` is still one pure step
function over immutable, hashable states, and every Raft rule is the node's
(``node.step`` through ``cluster.apply``) or a ``Rules`` field.

- **State machine** (Figure 2, Rules for All Servers: "if commitIndex > lastApplied:
  increment lastApplied, apply log[lastApplied] to state machine"; §5.3): after every
  step each server applies its newly committed entries in log order. Entries carry an
  operation id (``Entry.value``): a client's program position, so a retried operation
  is the same entry value. A session per client (thesis §6.3) applies each operation
  once: a duplicate entry (the retry of an operation already applied) is skipped and
  the first result kept. A restart loses the state machine (lastApplied is volatile);
  it is rebuilt from the log as commitIndex advances again.
- **KV**: ``read``, ``write``, ``cas`` per key; values are ints, 0 is nil.
- **Lock**: ``acquire`` always grants (the previous holder's lease is taken to have
  expired: the worst case for a stale holder) and the grant's fencing token is
  ``Rules.grant_token`` of the grant entry: (term, index) in Raft.
- **Guarded resource** (outside Raft, as the storage in Kleppmann's fencing example):
  ``fenced`` writes carry the writer's token; ``Rules.fence_ok`` rejects a token lower
  than the highest accepted.
- **Clients** run a fixed program each (bounded operations). A client sends its
  operation to the server it believes leads (``guess``); a server that cannot take it
  refuses and the client tries the next server; after an accepted attempt the client
  waits for the reply or times out (``GiveUp``) and retries elsewhere, at most
  ``max_attempts`` times. An update that some leader appended and that was never
  answered ends as ``info`` (unknown outcome: Jepsen's ``:info``) and the client stops,
  as a crashed Jepsen process does; anything that surely did not happen ends as ``fail``.
- **Reads** take the path of ``Service.reads`` as ``Rules.read_path`` maps it
  (``types.ReadPath``): through the log; ReadIndex (thesis §6.4, paper §8); or
  leader-local. ReadIndex's heartbeat round is ``Confirm(c, j)``: one atomic round trip
  in which server j, still in the leader's term, acknowledges it (an under-approximation
  of the message exchange: every behaviour it allows, the real exchange allows too).

Every client event (invoke, then ok / fail / info) is appended to ``history``, so the
history of any trace is in its last state.
"""

from __future__ import annotations

from collections.abc import Iterator
from enum import IntEnum
from typing import NamedTuple

from raftmodel import cluster, quorum
from raftmodel.actions import Action, ActionKind, ClientRequest, action_key
from raftmodel.actions import describe as describe_raft
from raftmodel.cluster import Bounds, ClusterState, Config
from raftmodel.node import NodeState
from raftmodel.types import LEADER, NO_TOKEN, Index, Log, NodeId, ReadPath, Token

#: nil: the value of a key never written (written values are >= 1).
NIL = 0


class Fn(IntEnum):
    """A client operation: kv reads and writes, lock acquisition, a fenced write."""

    read = 0
    write = 1
    cas = 2
    acquire = 3
    fenced = 4


class Op(NamedTuple):
    """One operation of a client's program. ``key`` for kv operations (1-based);
    ``value``: a write's value, a fenced write's value; ``old`` for cas (its new value
    is ``value``)."""

    f: Fn
    key: int = 0
    value: int = 0
    old: int = NIL


def read(key: int = 1) -> Op:
    return Op(Fn.read, key)


def write(key: int, value: int) -> Op:
    return Op(Fn.write, key, value)


def cas(key: int, old: int, new: int) -> Op:
    return Op(Fn.cas, key, new, old)


def acquire() -> Op:
    return Op(Fn.acquire)


def fenced(value: int) -> Op:
    return Op(Fn.fenced, 0, value)


#: Operations whose effect goes through the log (a read does too on the LOG path).
UPDATES = frozenset({Fn.write, Fn.cas, Fn.acquire})


class Service(NamedTuple):
    """The service's bounds: one program per client, the keys, the read path."""

    programs: tuple[tuple[Op, ...], ...]
    keys: int = 1
    reads: ReadPath = ReadPath.READ_INDEX
    #: Attempts per operation (a refused or timed-out attempt counts).
    max_attempts: int = 2
    #: The server each client first believes leads; empty: client c believes server
    #: ((c - 1) mod n) + 1.
    guesses: tuple[int, ...] = ()


class ServiceConfig(NamedTuple):
    raft: Config
    service: Service
    #: Steps (cluster or client actions) taken after ``raft.prefix``, before a search
    #: starts: a scenario's starting point.
    prefix: tuple[AnyAction, ...] = ()

    @property
    def clients(self) -> range:
        return range(1, len(self.service.programs) + 1)


class BadService(ValueError):
    """A service no model can be built from (no clients, a key out of range...)."""


def op_ids(service: Service) -> tuple[tuple[int, int, Op], ...]:
    """Every operation as (client, position in its program, op), in op-id order: the op id
    (the log entry's value) of the k-th is k + 1."""
    return tuple(
        (c, k, op) for c, prog in enumerate(service.programs, 1) for k, op in enumerate(prog)
    )


def make_config(raft: Config, service: Service) -> ServiceConfig:
    """The service on ``raft``: its log values become the operation ids, and its request
    bound the attempts the clients can make (clients are the only proposers)."""
    if not service.programs:
        raise BadService("a service needs at least one client")
    if service.keys < 1:
        raise BadService(f"keys must be at least 1, got {service.keys}")
    if service.max_attempts < 1:
        raise BadService(f"max_attempts must be at least 1, got {service.max_attempts}")
    for c, k, op in op_ids(service):
        if op.f in (Fn.read, Fn.write, Fn.cas) and not 1 <= op.key <= service.keys:
            raise BadService(f"client {c} operation {k + 1}: key {op.key} is not 1..{service.keys}")
    if service.guesses and (
        len(service.guesses) != len(service.programs)
        or not all(1 <= g <= raft.n for g in service.guesses)
    ):
        raise BadService(f"guesses {service.guesses} must name a server 1..{raft.n} per client")
    ids = op_ids(service)
    b = raft.bounds
    bounds = Bounds(
        max_term=b.max_term,
        max_log=b.max_log,
        max_restarts=b.max_restarts,
        max_requests=len(ids) * service.max_attempts,
        values=tuple(range(1, len(ids) + 1)),
        max_copies=b.max_copies,
    )
    return ServiceConfig(raft._replace(bounds=bounds), service)


# --- state -------------------------------------------------------------------------------


class Machine(NamedTuple):
    """One server's replicated state machine (volatile: rebuilt from the log)."""

    lastApplied: Index
    #: The value of each key (index key - 1); NIL if never written.
    kv: tuple[int, ...]
    #: The lock: its holder (a client, 0: free) and the holder's token.
    holder: int
    token: Token
    #: Per client (thesis §6.3): how many of its operations are applied, and the result
    #: of the last one (reads: the value; write: 0; cas: 1 or 0; acquire: token + index).
    sessions: tuple[tuple[int, tuple[int, ...]], ...]


class Client(NamedTuple):
    #: Operations of the program completed or abandoned.
    pc: int
    #: An operation is invoked and not yet completed.
    busy: bool
    #: An attempt was accepted (appended, or a read registered): the client waits.
    waiting: bool
    #: The server the client believes leads.
    guess: NodeId
    attempts: int
    #: Some leader appended the current operation: its outcome is no longer "did not happen".
    proposed: bool
    #: The fencing token of the client's latest grant, and (history) the grant entry's index.
    token: Token
    grant: Index
    #: After an ``info``, the client stops (a crashed Jepsen process).
    stopped: bool


class PendingRead(NamedTuple):
    """A ReadIndex read (thesis §6.4) at ``server``, leader of ``term``: ``index`` is its
    commitIndex when the read arrived, ``acks`` the servers that confirmed since."""

    server: NodeId
    term: int
    index: Index  # type: ignore[assignment]  # shadows tuple.index: the thesis's readIndex
    acks: frozenset[NodeId]


NO_READ = PendingRead(0, 0, 0, frozenset())


class Resource(NamedTuple):
    """The resource the lock guards. ``grant`` is a history variable: the highest grant
    index whose write the resource accepted (for the FencedWrites property only)."""

    highest: Token
    value: int
    grant: Index


class Ev(IntEnum):
    invoke = 0
    ok = 1
    fail = 2
    info = 3


class HistoryEvent(NamedTuple):
    """One client event. ``value``: the invocation's argument or the completion's result
    (reads: the value; cas: (old, new); acquire: the token; fenced: (token..., value))."""

    client: int
    ev: Ev
    f: Fn
    key: int
    value: tuple[int, ...]


class ServiceState(NamedTuple):
    cluster: ClusterState
    machines: tuple[Machine, ...]
    clients: tuple[Client, ...]
    reads: tuple[PendingRead, ...]
    resource: Resource
    history: tuple[HistoryEvent, ...]


def _fresh_machine(sc: ServiceConfig) -> Machine:
    return Machine(0, (NIL,) * sc.service.keys, 0, NO_TOKEN, ((0, ()),) * len(sc.service.programs))


def first_guess(sc: ServiceConfig, c: int) -> NodeId:
    g = sc.service.guesses
    return g[c - 1] if g else (c - 1) % sc.raft.n + 1


def init_state(sc: ServiceConfig) -> ServiceState:
    """Every server's state machine empty, every client idle and believing server
    ((c - 1) mod n) + 1 leads (or ``Service.guesses``), the resource untouched; then
    ``raft.prefix`` and ``prefix``."""
    n = sc.raft.n
    raft = sc.raft._replace(prefix=())
    c0 = cluster.init_state(raft)
    clients = tuple(
        Client(0, False, False, first_guess(sc, c), 0, False, NO_TOKEN, 0, False)
        for c in sc.clients
    )
    s = ServiceState(
        c0,
        (_fresh_machine(sc),) * n,
        clients,
        (NO_READ,) * len(clients),
        Resource(NO_TOKEN, NIL, 0),
        (),
    )
    for k, a in enumerate((*sc.raft.prefix, *sc.prefix), start=1):
        nxt = apply(s, a, sc)
        if nxt is None:
            raise cluster.BadConfig(f"prefix step {k}, {describe(a)}, is not enabled")
        s = nxt
    return s


# --- actions -----------------------------------------------------------------------------


class ServiceKind(IntEnum):
    """Client actions; numbered after raftmodel.actions.ActionKind so no client action
    equals a cluster action (NamedTuple equality ignores the class)."""

    Submit = 7
    Confirm = 8
    Reply = 9
    GiveUp = 10


class Submit(NamedTuple):
    """Client c invokes its next operation (if idle) and sends it to the server it
    believes leads; the server takes it or refuses (the client then tries the next)."""

    c: int
    kind: ServiceKind = ServiceKind.Submit


class Confirm(NamedTuple):
    """ReadIndex's heartbeat round (thesis §6.4) for client c's read: server j, still in
    the leader's term, acknowledges the leader."""

    c: int
    j: NodeId
    kind: ServiceKind = ServiceKind.Confirm


class Reply(NamedTuple):
    """Client c receives the answer to its operation."""

    c: int
    kind: ServiceKind = ServiceKind.Reply


class GiveUp(NamedTuple):
    """Client c times out: it retries at the next server, or, out of attempts, ends the
    operation as fail (it surely did not happen) or info (it may have)."""

    c: int
    kind: ServiceKind = ServiceKind.GiveUp


ClientAction = Submit | Confirm | Reply | GiveUp
AnyAction = Action | ClientAction
CLIENT_ACTIONS: tuple[type, ...] = (Submit, Confirm, Reply, GiveUp)
#: Every action kind's name, cluster ones first (coverage, swarm).
KIND_NAMES: tuple[str, ...] = (
    *(k.name for k in ActionKind),
    *(k.name for k in ServiceKind),
)


def is_client_action(a: AnyAction) -> bool:
    return type(a) in CLIENT_ACTIONS


def kind_name(a: AnyAction) -> str:
    return KIND_NAMES[a.kind]


def describe(a: AnyAction) -> str:
    if isinstance(a, Confirm):
        return f"Confirm(c={a.c}, j={a.j})"
    if isinstance(a, Submit | Reply | GiveUp):
        return f"{type(a).__name__}(c={a.c})"
    return describe_raft(a)


def sort_key(a: AnyAction) -> tuple[object, ...]:
    if is_client_action(a):
        return (100 + a.kind, *a[:-1])
    return action_key(a)  # type: ignore[arg-type]


# --- the state machine -------------------------------------------------------------------


def _apply_entry(m: Machine, k: Index, log: Log, sc: ServiceConfig) -> Machine:
    """Apply log entry ``k`` (Figure 2: lastApplied advances by one)."""
    entry = log[k - 1]
    ids = _ids(sc)
    if not 1 <= entry.value <= len(ids):  # not a client's operation: nothing to do
        return m._replace(lastApplied=k)
    c, pos, op = ids[entry.value - 1]
    done, _ = m.sessions[c - 1]
    if done > pos:
        # Thesis §6.3: a retried operation already applied is not applied again.
        return m._replace(lastApplied=k)
    kv, holder, token = m.kv, m.holder, m.token
    result: tuple[int, ...]
    if op.f is Fn.read:
        result = (kv[op.key - 1],)
    elif op.f is Fn.write:
        kv = _put(kv, op.key - 1, op.value)
        result = ()
    elif op.f is Fn.cas:
        ok = kv[op.key - 1] == op.old
        if ok:
            kv = _put(kv, op.key - 1, op.value)
        result = (int(ok),)
    else:  # acquire: the lock is granted, with the grant entry's token
        holder, token = c, sc.raft.rules.grant_token(entry.term, k, log)
        result = (*token, k)
    sessions = _put(m.sessions, c - 1, (pos + 1, result))
    return Machine(k, kv, holder, token, sessions)


_IDS: dict[Service, tuple[tuple[int, int, Op], ...]] = {}


def _ids(sc: ServiceConfig) -> tuple[tuple[int, int, Op], ...]:
    ids = _IDS.get(sc.service)
    if ids is None:
        ids = _IDS[sc.service] = op_ids(sc.service)
    return ids


def _put(t: tuple, i: int, v: object) -> tuple:  # type: ignore[type-arg]
    return (*t[:i], v, *t[i + 1 :])


def catch_up(m: Machine, node: NodeState, sc: ServiceConfig) -> Machine:
    """Apply every committed entry past lastApplied, in order (Figure 2). A commitIndex
    below lastApplied means the server restarted (or a variant lowered it): the state
    machine is rebuilt from the log."""
    top = min(node.commitIndex, len(node.log))
    if top < m.lastApplied:
        m = _fresh_machine(sc)
    for k in range(m.lastApplied + 1, top + 1):
        m = _apply_entry(m, k, node.log, sc)
    return m


def _catch_up_all(s: ServiceState, sc: ServiceConfig) -> ServiceState:
    machines = s.machines
    for node, m in zip(s.cluster.nodes, s.machines, strict=True):
        if min(node.commitIndex, len(node.log)) != m.lastApplied:
            machines = _put(machines, node.id - 1, catch_up(m, node, sc))
    return s if machines is s.machines else s._replace(machines=machines)


# --- the step function -------------------------------------------------------------------


def apply(s: ServiceState, a: AnyAction, sc: ServiceConfig) -> ServiceState | None:
    """The successor of ``s`` under ``a``, or None when ``a`` is not enabled."""
    if isinstance(a, Submit):
        return _submit(s, a.c, sc)
    if isinstance(a, Confirm):
        return _confirm(s, a.c, a.j, sc)
    if isinstance(a, Reply):
        return _reply(s, a.c, sc)
    if isinstance(a, GiveUp):
        return _give_up(s, a.c, sc)
    if type(a) is ClientRequest:
        return None  # only clients propose, through Submit
    c = cluster.apply(s.cluster, a, sc.raft)
    if c is None:
        return None
    return _catch_up_all(s._replace(cluster=c), sc)


def _client(s: ServiceState, c: int) -> Client | None:
    return s.clients[c - 1] if 1 <= c <= len(s.clients) else None


def _current(sc: ServiceConfig, c: int, cl: Client) -> tuple[int, Op]:
    """The op id and the operation client c is on."""
    op_id = sum(len(p) for p in sc.service.programs[: c - 1]) + cl.pc + 1
    return op_id, sc.service.programs[c - 1][cl.pc]


def _arg(op: Op, cl: Client) -> tuple[int, ...]:
    if op.f is Fn.write:
        return (op.value,)
    if op.f is Fn.cas:
        return (op.old, op.value)
    if op.f is Fn.fenced:
        return (*cl.token, op.value)
    return ()


def _event(c: int, ev: Ev, op: Op, value: tuple[int, ...]) -> HistoryEvent:
    return HistoryEvent(c, ev, op.f, op.key, value)


def _next_server(guess: NodeId, n: int) -> NodeId:
    return guess % n + 1


def _with_client(s: ServiceState, c: int, cl: Client, *events: HistoryEvent) -> ServiceState:
    return s._replace(clients=_put(s.clients, c - 1, cl), history=s.history + events)


def _done(cl: Client) -> Client:
    """The client after its operation completes: the next one, a fresh retry budget."""
    return cl._replace(pc=cl.pc + 1, busy=False, waiting=False, attempts=0, proposed=False)


def _submit(s: ServiceState, c: int, sc: ServiceConfig) -> ServiceState | None:
    cl = _client(s, c)
    if cl is None or cl.stopped or cl.waiting:
        return None
    if cl.busy:
        if cl.attempts >= sc.service.max_attempts:
            return None
        invoked: tuple[HistoryEvent, ...] = ()
    else:
        if cl.pc >= len(sc.service.programs[c - 1]):
            return None
        # The invocation is the first attempt's send: an earlier invocation only widens
        # the operation's interval, which can hide a violation, never create one.
        op = sc.service.programs[c - 1][cl.pc]
        invoked = (_event(c, Ev.invoke, op, _arg(op, cl)),)
        cl = cl._replace(busy=True)
    op_id, op = _current(sc, c, cl)
    rules, n = sc.raft.rules, sc.raft.n
    if op.f is Fn.fenced:
        # The guarded resource, outside Raft: Kleppmann's fencing check.
        r = s.resource
        if cl.token != NO_TOKEN and rules.fence_ok(cl.token, r.highest):
            res = Resource(max(r.highest, cl.token), op.value, max(r.grant, cl.grant))
            ev = _event(c, Ev.ok, op, _arg(op, cl))
            return _with_client(s._replace(resource=res), c, _done(cl), *invoked, ev)
        ev = _event(c, Ev.fail, op, _arg(op, cl))
        return _with_client(s, c, _done(cl), *invoked, ev)
    server = s.cluster.nodes[cl.guess - 1]
    tried = cl._replace(attempts=cl.attempts + 1)
    refused = tried._replace(guess=_next_server(cl.guess, n))
    if op.f is Fn.read:
        if not rules.serves_reads(server.role):
            return _with_client(s, c, refused, *invoked)
        path = rules.read_path(sc.service.reads)
        if server.role != LEADER or path is ReadPath.LEADER_LOCAL:
            # Answered at once from the server's own applied state.
            value = s.machines[cl.guess - 1].kv[op.key - 1]
            return _with_client(s, c, _done(cl), *invoked, _event(c, Ev.ok, op, (value,)))
        if path is ReadPath.READ_INDEX:
            ci = server.commitIndex
            # Thesis §6.4, step 1: a leader that has not committed an entry of its own
            # term may not know the latest commitIndex: it cannot serve the read yet.
            if ci == 0 or ci > len(server.log) or server.log[ci - 1].term != server.currentTerm:
                return _with_client(s, c, refused, *invoked)
            pending = PendingRead(server.id, server.currentTerm, ci, frozenset((server.id,)))
            s = s._replace(reads=_put(s.reads, c - 1, pending))
            return _with_client(s, c, tried._replace(waiting=True), *invoked)
    # Through the log: the leader appends the operation (§5.3).
    if server.role != LEADER:
        return _with_client(s, c, refused, *invoked)
    after = cluster.apply(s.cluster, ClientRequest(server.id, op_id), sc.raft)
    if after is None:
        return None  # the log bound: no room for another entry
    s = _catch_up_all(s._replace(cluster=after), sc)
    return _with_client(s, c, tried._replace(waiting=True, proposed=True), *invoked)


def _confirm(s: ServiceState, c: int, j: NodeId, sc: ServiceConfig) -> ServiceState | None:
    cl = _client(s, c)
    if cl is None or not 1 <= j <= sc.raft.n:
        return None
    r = s.reads[c - 1]
    if r.server == 0 or j in r.acks or _confirmed(r, sc):
        return None
    # Thesis §6.4, step 2: a heartbeat of the leader's term that j accepts: j has not
    # moved to a later term, so no later leader holds j's vote.
    if s.cluster.nodes[j - 1].currentTerm != r.term:
        return None
    return s._replace(reads=_put(s.reads, c - 1, r._replace(acks=r.acks | {j})))


def _confirmed(r: PendingRead, sc: ServiceConfig) -> bool:
    return quorum.is_quorum(r.acks, sc.raft.n, sc.raft.rules.quorum(sc.raft.n))


def _reply(s: ServiceState, c: int, sc: ServiceConfig) -> ServiceState | None:
    cl = _client(s, c)
    if cl is None or not cl.waiting:
        return None
    _, op = _current(sc, c, cl)
    r = s.reads[c - 1]
    if r.server:
        # Thesis §6.4, steps 3-4: confirmed by a quorum, and applied up to readIndex.
        m = s.machines[r.server - 1]
        if not _confirmed(r, sc) or m.lastApplied < r.index:
            return None
        s = s._replace(reads=_put(s.reads, c - 1, NO_READ))
        return _with_client(s, c, _done(cl), _event(c, Ev.ok, op, (m.kv[op.key - 1],)))
    done, result = s.machines[cl.guess - 1].sessions[c - 1]
    if done != cl.pc + 1:
        return None  # the server it asked has not applied the operation
    if op.f is Fn.cas and result == (0,):
        return _with_client(s, c, _done(cl), _event(c, Ev.fail, op, _arg(op, cl)))
    if op.f is Fn.acquire:
        token, grant = (result[0], result[1]), result[2]
        after = _done(cl)._replace(token=token, grant=grant)
        return _with_client(s, c, after, _event(c, Ev.ok, op, token))
    if op.f is Fn.read:
        return _with_client(s, c, _done(cl), _event(c, Ev.ok, op, result))
    return _with_client(s, c, _done(cl), _event(c, Ev.ok, op, _arg(op, cl)))


def _give_up(s: ServiceState, c: int, sc: ServiceConfig) -> ServiceState | None:
    cl = _client(s, c)
    if cl is None or not cl.busy:
        return None
    last = cl.attempts >= sc.service.max_attempts
    if not (cl.waiting or last):
        return None
    s = s._replace(reads=_put(s.reads, c - 1, NO_READ)) if s.reads[c - 1].server else s
    if not last:
        # Retry elsewhere: the client now believes the next server leads.
        retry = cl._replace(waiting=False, guess=_next_server(cl.guess, sc.raft.n))
        return _with_client(s, c, retry)
    _, op = _current(sc, c, cl)
    if cl.proposed and op.f in UPDATES:
        # It may take effect any time, or never: unknown outcome; the client stops.
        after = cl._replace(busy=False, waiting=False, stopped=True)
        return _with_client(s, c, after, _event(c, Ev.info, op, _arg(op, cl)))
    return _with_client(s, c, _done(cl), _event(c, Ev.fail, op, _arg(op, cl)))


def candidate_actions(s: ServiceState, sc: ServiceConfig) -> list[AnyAction]:
    """The cluster's actions (but its ClientRequest: clients propose), then the clients'."""
    acts: list[AnyAction] = [
        a for a in cluster.candidate_actions(s.cluster, sc.raft) if type(a) is not ClientRequest
    ]
    for c in sc.clients:
        acts.append(Submit(c))
        if s.reads[c - 1].server:
            acts.extend(Confirm(c, j) for j in sc.raft.servers)
        acts.append(Reply(c))
        acts.append(GiveUp(c))
    return acts


def successors(s: ServiceState, sc: ServiceConfig) -> Iterator[tuple[AnyAction, ServiceState]]:
    """Every enabled action and its successor, in a deterministic order."""
    for a in candidate_actions(s, sc):
        nxt = apply(s, a, sc)
        if nxt is not None:
            yield a, nxt


def leaders(s: ServiceState) -> list[NodeState]:
    return [x for x in s.cluster.nodes if x.role == LEADER]


__all__ = [
    "NIL",
    "Client",
    "ClientAction",
    "Confirm",
    "Ev",
    "Fn",
    "GiveUp",
    "HistoryEvent",
    "Machine",
    "Op",
    "PendingRead",
    "Reply",
    "Resource",
    "Service",
    "ServiceConfig",
    "ServiceState",
    "Submit",
    "acquire",
    "apply",
    "cas",
    "catch_up",
    "describe",
    "fenced",
    "first_guess",
    "init_state",
    "make_config",
    "read",
    "successors",
    "write",
]
