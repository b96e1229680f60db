"""Export the explored state graph of a small model (networkx): GraphML or DOT.

Nodes are states (keyed by their fingerprint, labelled with the model's description),
edges are transitions labelled with the action. Meant for small models: the export
refuses to go past ``limit`` states rather than produce a graph nobody can open.
"""

from __future__ import annotations

from collections import deque
from typing import Any, TypeVar

import networkx as nx

from checker.engine.model import Model
from checker.errors import BadOption

S = TypeVar("S")
A = TypeVar("A")

#: The file suffixes ``render`` knows.
FORMATS = (".graphml", ".dot")


def explore_graph(
    model: Model[S, A], symmetry: bool = True, view: bool = False, limit: int = 5000
) -> Any:
    """The state graph as a networkx MultiDiGraph; raises BadOption past ``limit`` states."""
    fp = model.fingerprinter(symmetry, view).fingerprint
    g = nx.MultiDiGraph()
    ids: dict[int, str] = {}

    def node_id(s_fp: int) -> str:
        return ids.setdefault(s_fp, f"s{len(ids)}")

    q: deque[tuple[S, str, int]] = deque()
    for init in model.init_states():
        root = node_id(fp(init))
        g.add_node(root, label=model.describe_state(init), depth=0)
        q.append((init, root, 0))
    while q:
        s, sid, d = q.popleft()
        for a, t in model.successors(s):
            t_fp = fp(t)
            new = t_fp not in ids
            tid = node_id(t_fp)
            if new:
                if len(ids) > limit:
                    raise BadOption(
                        f"the graph has more than {limit:,} states; use a smaller "
                        "model (e.g. --model elections) for --graph"
                    )
                g.add_node(tid, label=model.describe_state(t), depth=d + 1)
                q.append((t, tid, d + 1))
            g.add_edge(sid, tid, action=model.describe_action(a))
    return g


def _dot(g: Any) -> str:
    def esc(text: str) -> str:
        return text.replace("\\", "\\\\").replace('"', '\\"')

    lines = ["digraph raftcheck {", "  node [shape=box, fontsize=9];"]
    for n, data in g.nodes(data=True):
        lines.append(f'  {n} [label="{n}: {esc(str(data["label"]))}"];')
    for u, v, data in g.edges(data=True):
        lines.append(f'  {u} -> {v} [label="{esc(str(data["action"]))}"];')
    lines.append("}")
    return "\n".join(lines) + "\n"


def render(g: Any, suffix: str) -> str:
    """The graph as text in the format named by a file suffix (``FORMATS``)."""
    if suffix == ".dot":
        return _dot(g)
    if suffix == ".graphml":
        return "\n".join(nx.generate_graphml(g)) + "\n"
    raise BadOption(f"a graph file needs a .graphml or .dot suffix, got {suffix!r}")
