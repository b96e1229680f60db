"""The service on raftmodel as a ``Model`` for the engine (docs/architecture.md, "The
Model protocol"): BFS, DFS, workers, swarm walks and budgets come with it.

Its properties: every Raft property of ``checker.raft.invariants`` on the cluster
underneath (the service must not change Raft), then

- **Linearizable** (Herlihy & Wing 1990): the client history of the state, its kv
  operations, is linearizable, as ``checker.linearizability`` judges any history. Every
  state carries its whole history, so the check of a state is the check of every
  history that reaches it; histories are memoised.
- **FencedWrites** (Kleppmann's fencing tokens): the guarded resource never accepts a
  write from a grant older (a lower index in the one committed log) than a grant whose
  write it already accepted. It reads the grant's log position, not its token, so a
  token that does not grow with the grant order is caught.

Symmetry is never applied: the clients' programs and beliefs name servers. The cluster's
inert-message view (``raftmodel.inert``) is applied to the cluster part when it is sound
for the config: the service reads the servers' states, never the messages.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator, Sequence

from checker.engine.model import Fingerprinter, Invariant, TransitionProperty
from checker.raft import canon
from checker.raft.invariants import INVARIANTS as RAFT_INVARIANTS
from checker.raft.invariants import TRANSITION_PROPERTIES as RAFT_TRANSITIONS
from checker.raft.report import render_node
from checker.service.history import linearizable
from raftmodel import inert
from raftmodel import service as sv
from raftmodel.actions import Action, ActionKind, ClientRequest
from raftmodel.cluster import ClusterState


def _lift_invariant(inv: Invariant[ClusterState]) -> Invariant[sv.ServiceState]:
    check = inv.check

    def lifted(s: sv.ServiceState) -> str | None:
        return check(s.cluster)

    return Invariant(inv.name, inv.section, inv.meaning, lifted)


def raft_action(s: sv.ServiceState, a: sv.AnyAction, t: sv.ServiceState) -> Action | None:
    """The cluster action a service step amounts to: itself, a client's Submit that a
    leader appended (a ClientRequest), or None when the cluster did not move."""
    if not sv.is_client_action(a):
        return a  # type: ignore[return-value]
    if t.cluster is s.cluster:
        return None
    for before, after in zip(s.cluster.nodes, t.cluster.nodes, strict=True):
        if after.log != before.log:
            return ClientRequest(after.id, after.log[-1].value)
    return None


def _lift_transition(
    p: TransitionProperty[ClusterState, Action],
) -> TransitionProperty[sv.ServiceState, sv.AnyAction]:
    check = p.check

    def lifted(s: sv.ServiceState, a: sv.AnyAction, t: sv.ServiceState) -> str | None:
        ra = raft_action(s, a, t)
        return None if ra is None else check(s.cluster, ra, t.cluster)

    return TransitionProperty(p.name, p.section, p.meaning, lifted)


def fenced_writes(s: sv.ServiceState, a: sv.AnyAction, t: sv.ServiceState) -> str | None:
    if not isinstance(a, sv.Submit) or t.resource is s.resource:
        return None
    cl = s.clients[a.c - 1]
    if cl.grant < s.resource.grant:
        return (
            f"the resource accepted client {a.c}'s write with token {cl.token} from the grant "
            f"at index {cl.grant}, after a write from the later grant at index "
            f"{s.resource.grant} (highest token then {s.resource.highest})"
        )
    return None


LINEARIZABLE: Invariant[sv.ServiceState] = Invariant(
    "Linearizable",
    "Herlihy & Wing 1990; Raft §8",
    "the clients' key-value history is linearizable",
    lambda s: linearizable(s.history),
)
FENCED_WRITES: TransitionProperty[sv.ServiceState, sv.AnyAction] = TransitionProperty(
    "FencedWrites",
    "Kleppmann, fencing tokens",
    "the guarded resource never accepts a write from an older grant after a newer one's",
    fenced_writes,
)

INVARIANTS: tuple[Invariant[sv.ServiceState], ...] = (
    *(_lift_invariant(i) for i in RAFT_INVARIANTS),
    LINEARIZABLE,
)
TRANSITION_PROPERTIES: tuple[TransitionProperty[sv.ServiceState, sv.AnyAction], ...] = (
    *(_lift_transition(p) for p in RAFT_TRANSITIONS),
    FENCED_WRITES,
)
ALL_NAMES: tuple[str, ...] = tuple(p.name for p in INVARIANTS) + tuple(
    p.name for p in TRANSITION_PROPERTIES
)


class ServiceModel:
    """The service of ``config`` (raftmodel.service) with every property above."""

    invariants = INVARIANTS
    transition_properties = TRANSITION_PROPERTIES
    kinds: Sequence[str] = sv.KIND_NAMES
    essential_kinds = frozenset(
        {ActionKind.Receive.name, sv.ServiceKind.Submit.name, sv.ServiceKind.Reply.name}
    )

    def __init__(self, config: sv.ServiceConfig) -> None:
        self.config = config
        self._init = sv.init_state(config)

    def init_states(self) -> Sequence[sv.ServiceState]:
        return (self._init,)

    def successors(self, s: sv.ServiceState) -> Iterator[tuple[sv.AnyAction, sv.ServiceState]]:
        return sv.successors(s, self.config)

    def kind(self, a: sv.AnyAction) -> str:
        return sv.kind_name(a)

    def fingerprinter(self, symmetry: bool, view: bool) -> Fingerprinter[sv.ServiceState]:
        raft = self.config.raft
        applied = view and inert.applies(raft)
        cluster_fp, _ = canon.state_fingerprint(raft, False, applied)
        forget = inert.view if applied else None

        def fp(s: sv.ServiceState) -> int:
            return hash((cluster_fp(s.cluster), s[1:]))

        def key(s: sv.ServiceState) -> Hashable:
            return s if forget is None else s._replace(cluster=forget(s.cluster))

        return Fingerprinter(fp, key, False, applied)

    def describe_state(self, s: sv.ServiceState) -> str:
        return " | ".join(render_node(x) for x in s.cluster.nodes)

    def describe_action(self, a: sv.AnyAction) -> str:
        return sv.describe(a)
