"""The line and branch coverage of raftmodel/node.py that replaying scenarios on
raftmodel reaches (coverage.py's API, measured in this process).

raftmodel.node was imported (its module-level lines run) long before a measurement
starts, so the replay uses a fresh copy of the module loaded from the same file under
coverage: coverage counts by file and line, and the copy runs the same code.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any, NamedTuple

import coverage

from checker.conform import runner
from checker.conform.adapter import ReferenceAdapter
from checker.conform.outcomes import acting_node, event_of
from checker.traces import itf
from raftmodel import mutants
from raftmodel import node as node_module
from raftmodel.actions import Action, ClientRequest, Restart, SendAppendEntries, Timeout
from raftmodel.cluster import Config, unremembered
from raftmodel.rules import Rules

#: Why a branch of node.py is never taken by a suite replayed through the harness, by the
#: function it is in and a piece of its condition (a branch not listed: "no reason known").
WHY_NOT: tuple[tuple[str, str, str], ...] = (
    ("_on_timeout", "not can_time_out(s)", "cluster.apply never times out a leader (its guard)"),
    (
        "_on_send_append",
        "s.role != LEADER",
        "cluster.apply lets only a leader send, to another server (its guard)",
    ),
    ("_on_propose", "s.role != LEADER", "cluster.apply sends requests to leaders only"),
    (
        "_on_propose",
        "len(log) <= len(s.log)",
        "only a variant overwrites its own log on a request (rules.append_at)",
    ),
    (
        "_on_message",
        "m.dest != s.id",
        "the harness, and protocol v1's deliver, route a message to its dest: no adapter "
        "is handed one for another server",
    ),
    (
        "_on_append_entries",
        "m.term < s.currentTerm",
        "only a variant processes a lower term (rules.accepts_stale)",
    ),
    (
        "_on_append_entries",
        "s.role == LEADER",
        "two leaders in one term: ElectionSafety rules it out on correct Raft, and a "
        "variant that elects two fails its regression before one hears the other",
    ),
    (
        "_on_message",
        "not rules.adopts_higher(m)",
        "only a variant keeps its term on a higher one (rules.adopts_higher)",
    ),
    (
        "_on_append_entries",
        "commit != s.commitIndex",
        "only a variant commits on a refused AppendEntries (rules.follower_commit)",
    ),
)


def _functions(source: str) -> list[tuple[int, int, str]]:
    tree = ast.parse(source)
    return [
        (f.lineno, f.end_lineno or f.lineno, f.name)
        for f in ast.walk(tree)
        if isinstance(f, ast.FunctionDef)
    ]


def why_not(source: str, line: int) -> str:
    """Why the branch at ``line`` of node.py's ``source`` is not taken, if known."""
    text = source.splitlines()[line - 1] if 0 < line <= len(source.splitlines()) else ""
    inside = [name for a, z, name in _functions(source) if a <= line <= z]
    for func, cond, why in WHY_NOT:
        if func in inside and cond in text:
            return why
    return "no reason known: a gap in the suite"


class NodeCoverage(NamedTuple):
    lines: int
    lines_covered: int
    branches: int
    branches_covered: int
    #: Lines never run, with their source text.
    missing_lines: tuple[tuple[int, str], ...]
    #: Branches never taken: (from line, to line (negative: the function's exit), source,
    #: why it is not taken).
    missing_branches: tuple[tuple[int, int, str, str], ...]


#: node.py's source (``node_module.__file__`` is the extension when mypyc compiled it).
NODE_SOURCE = str(Path(node_module.__file__).resolve().parent / "node.py")


def compiled() -> str | None:
    """Why coverage of node.py cannot be measured in this process (None: it can): coverage
    counts Python lines, and a variant's run goes through the imported node module."""
    if str(node_module.__file__).endswith(".py"):
        return None
    return (
        "raftmodel.node runs compiled by mypyc, which coverage cannot see (measure it on a "
        "pure-Python install: RAFTCHECK_PURE=1 pip install -e .)"
    )


def _fresh(path: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location("raftcheck_nodecov_node", path)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _replay(
    node: Any, config: Config, actions: Sequence[Action], probes: Mapping[int, Sequence[Action]]
) -> None:
    n, rules = config.n, config.rules
    nodes = [node.init_node(i, n) for i in config.servers]
    for k, a in enumerate(actions, start=1):
        i = acting_node(a)
        if i is None:
            continue
        # The harness's guards, asked of the node as cluster.apply asks them.
        if isinstance(a, Timeout) and not node.can_time_out(nodes[i - 1]):
            raise ValueError(f"{a!r}: a leader does not time out")
        if isinstance(a, SendAppendEntries | ClientRequest) and not node.is_leader(nodes[i - 1]):
            raise ValueError(f"{a!r}: only a leader sends AppendEntries or takes requests")
        if isinstance(a, Restart):
            nodes[i - 1] = node.restart(nodes[i - 1], n, rules)
        else:
            nodes[i - 1], _ = node.step(nodes[i - 1], event_of(a), n, rules)
        for p in probes.get(k, ()):
            j = acting_node(p)
            assert j is not None
            after, sent = node.step(nodes[j - 1], event_of(p), n, rules)
            if after != nodes[j - 1] or sent:
                raise ValueError(f"probe {p!r} changed the node")


Run = tuple[Config, Sequence[Action], Mapping[int, Sequence[Action]]]


def variant_runs(traces: Sequence[itf.Trace]) -> list[tuple[Rules, runner.Scenario]]:
    """Each regression scenario with its variant's rules (``measure``'s ``variants``)."""
    out = []
    for t in traces:
        reg = t.meta["conformance"].get("regression")
        if reg is not None and reg["mutant"] in mutants.BY_NAME:
            sc = runner.from_trace(t, Path(f"regress-{reg['mutant']}.itf.json"))
            out.append((mutants.get(reg["mutant"]).rules, sc))
    return out


def measure(
    runs: Sequence[Run], variants: Sequence[tuple[Rules, runner.Scenario]] = ()
) -> NodeCoverage:
    """Replay each action sequence from Init node by node (the node events the harness
    feeds, and the probes after step k), under coverage restricted to raftmodel/node.py.
    ``variants``: scenarios also run, by the runner, against the reference adapter under a
    known-bug variant's rules, as the mutation score runs each regression (up to its
    first divergence): the code only a variant takes."""
    path = NODE_SOURCE
    why = compiled()
    if why is not None:
        raise RuntimeError(why)
    cov = coverage.Coverage(data_file=None, branch=True, include=[path])
    cov.start()
    # Node steps taken before are remembered (raftmodel.memo): here every handler must run.
    with unremembered():
        try:
            node = _fresh(path)
            for config, actions, probes in runs:
                _replay(node, config, actions, probes)
            for rules, sc in variants:
                # The module imported long ago runs here: coverage counts by file and
                # line, and its function bodies are the same lines as the fresh copy's.
                runner.run(runner.InProcess(ReferenceAdapter(rules)), [sc])
        finally:
            cov.stop()
    with tempfile.TemporaryDirectory() as d:
        out = Path(d) / "cov.json"
        cov.json_report(outfile=str(out), include=[path])
        data = json.loads(out.read_text(encoding="utf-8"))
    f = next(iter(data["files"].values()))
    summary = f["summary"]
    source = Path(path).read_text(encoding="utf-8")
    src = source.splitlines()

    def text(line: int) -> str:
        return src[line - 1].strip() if 0 < line <= len(src) else "(exit)"

    return NodeCoverage(
        summary["num_statements"],
        summary["covered_lines"],
        summary["num_branches"],
        summary["covered_branches"],
        tuple((ln, text(ln)) for ln in f["missing_lines"]),
        tuple((a, b, text(a), why_not(source, a)) for a, b in f.get("missing_branches", [])),
    )
