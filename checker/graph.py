"""Export the explored state graph of a small model (networkx): GraphML or DOT.

Nodes are states (keyed by their fingerprint, labelled legibly), edges are transitions
labelled with the action. Meant for small models: the export refuses to go past
``limit`` states rather than produce a graph nobody can open.
"""

from __future__ import annotations

from collections import deque
from pathlib import Path

import networkx as nx

from checker.canon import state_fingerprint
from checker.errors import BadOption
from checker.itf import write_text_atomic
from checker.report import render_node
from raftmodel.actions import describe
from raftmodel.cluster import Config, init_state, successors


def explore_graph(
    config: Config, symmetry: bool = True, view: bool = False, limit: int = 5000
) -> nx.MultiDiGraph:
    fp, _ = state_fingerprint(config, symmetry, view)
    g = nx.MultiDiGraph()
    init = init_state(config)
    ids: dict[int, str] = {}

    def node_id(s_fp: int) -> str:
        return ids.setdefault(s_fp, f"s{len(ids)}")

    root = node_id(fp(init))
    g.add_node(root, label=" | ".join(render_node(x) for x in init.nodes), depth=0)
    q = deque([(init, root, 0)])
    while q:
        s, sid, d = q.popleft()
        for a, t in successors(s, config):
            t_fp = fp(t)
            new = t_fp not in ids
            tid = node_id(t_fp)
            if new:
                if len(ids) > limit:
                    raise BadOption(
                        f"the graph has more than {limit:,} states; use a smaller "
                        "model (e.g. --model elections) for --graph"
                    )
                g.add_node(tid, label=" | ".join(render_node(x) for x in t.nodes), depth=d + 1)
                q.append((t, tid, d + 1))
            g.add_edge(sid, tid, action=describe(a))
    return g


def _dot(g: nx.MultiDiGraph) -> str:
    def esc(text: str) -> str:
        return text.replace("\\", "\\\\").replace('"', '\\"')

    lines = ["digraph raftcheck {", "  node [shape=box, fontsize=9];"]
    for n, data in g.nodes(data=True):
        lines.append(f'  {n} [label="{n}: {esc(str(data["label"]))}"];')
    for u, v, data in g.edges(data=True):
        lines.append(f'  {u} -> {v} [label="{esc(str(data["action"]))}"];')
    lines.append("}")
    return "\n".join(lines) + "\n"


def write_graph(g: nx.MultiDiGraph, path: str | Path) -> None:
    p = Path(path)
    if p.suffix == ".dot":
        write_text_atomic(p, _dot(g))
    elif p.suffix == ".graphml":
        write_text_atomic(p, "\n".join(nx.generate_graphml(g)) + "\n")
    else:
        raise BadOption(f"--graph needs a .graphml or .dot file name, got {p.name!r}")
