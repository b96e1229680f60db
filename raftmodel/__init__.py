"""raftmodel: the reference Raft implementation of raftcheck.

A pure, deterministic Raft node (``step(state, event, n) -> (state, messages)``, the
Raft paper's Figure 2) and the cluster harness that every raftcheck tool enumerates:
actions, bounds as guards, two network semantics, history variables for invariants,
and a catalog of known-bug variants.
"""

from raftmodel.actions import (
    Action,
    ActionKind,
    ClientRequest,
    Drop,
    Duplicate,
    Receive,
    Restart,
    SendAppendEntries,
    Timeout,
    action_key,
    action_name,
    describe,
)
from raftmodel.cluster import (
    Bounds,
    ClusterState,
    Committed,
    Config,
    Election,
    apply,
    enabled_actions,
    init_state,
    successors,
)
from raftmodel.messages import (
    AppendEntries,
    AppendEntriesResponse,
    ElectionTimeout,
    Message,
    Propose,
    RequestVote,
    RequestVoteResponse,
    SendAppend,
)
from raftmodel.network import Semantics
from raftmodel.node import NodeState, init_node, restart, step
from raftmodel.rules import RAFT, Rules
from raftmodel.types import NIL, Entry, Role

__all__ = [
    "NIL",
    "RAFT",
    "Action",
    "ActionKind",
    "AppendEntries",
    "AppendEntriesResponse",
    "Bounds",
    "ClientRequest",
    "ClusterState",
    "Committed",
    "Config",
    "Drop",
    "Duplicate",
    "Election",
    "ElectionTimeout",
    "Entry",
    "Message",
    "NodeState",
    "Propose",
    "Receive",
    "RequestVote",
    "RequestVoteResponse",
    "Restart",
    "Role",
    "Rules",
    "Semantics",
    "SendAppend",
    "SendAppendEntries",
    "Timeout",
    "action_key",
    "action_name",
    "apply",
    "describe",
    "enabled_actions",
    "init_node",
    "init_state",
    "restart",
    "step",
    "successors",
]
