"""A trace as one self-contained HTML page: a space-time diagram (one lane per server, time
going down, each message an arrow from the step that sent it to the step that delivered
it), each server's role, term, vote, log and commit index at every step with what the step
changed highlighted, the first property violated marked where it fires, and a panel with
the current step's full state; arrow keys step through it.

Everything is inline (CSS, SVG, a little JavaScript, the data as JSON): the page makes no
request, so it can be attached to a CI run and opened anywhere. Its size grows linearly
with the steps drawn, and at most ``max_steps`` steps are drawn (a note says so). The
properties are judged with ``checker.raft.invariants`` (the same predicates every verb
uses), never re-derived here. Deterministic: the same trace gives the same bytes.
"""

from __future__ import annotations

import html
import json
import re
from importlib.resources import files
from pathlib import Path
from typing import Any

from checker.raft.bounds import BOUND_FIELDS, show, shown
from checker.raft.invariants import check_state, check_step
from checker.traces.itf import Trace
from checker.traces.replay import replay
from raftmodel import network as net
from raftmodel.actions import Action, Drop, Duplicate, Receive, Restart, describe, describe_message
from raftmodel.cluster import ClusterState, event_of
from raftmodel.messages import (
    AppendEntries,
    AppendEntriesResponse,
    Message,
    RequestVote,
    RequestVoteResponse,
)
from raftmodel.node import NodeState
from raftmodel.types import NIL

#: The most steps a page draws; a longer trace is cut there, with a note.
MAX_STEPS = 1000

# Layout (px): a step-number column, the lanes, then the action column.
_NUM_W = 44
_LANE_W = 236
_CELL_W = 150
_ROW_H = 40
_TOP = 44
_ACT_W = 420

_ROLE_LETTER = {"Follower": "F", "Candidate": "C", "Leader": "L"}
_FIELDS = ("role", "term", "vote", "log", "commit", "votes", "next", "match")


def page_path(trace_path: Path) -> Path:
    """Where ``--html`` writes the page of a trace: beside it, ``.itf.json`` -> ``.html``."""
    name = trace_path.name
    for suffix in (".itf.json", ".json"):
        if name.endswith(suffix):
            return trace_path.with_name(name[: -len(suffix)] + ".html")
    return trace_path.with_name(name + ".html")


def _node(x: NodeState) -> dict[str, Any]:
    return {
        "role": x.role.label,
        "term": x.currentTerm,
        "vote": None if x.votedFor == NIL else x.votedFor,
        "log": [[e.term, e.value] for e in x.log],
        "commit": x.commitIndex,
        "votes": sorted(x.votesGranted),
        "next": list(x.nextIndex),
        "match": list(x.matchIndex),
    }


def _actor(a: Action | None) -> int | None:
    """The server a step acts on (the lane its dot is drawn in)."""
    if a is None:
        return None
    driven = event_of(a)
    if driven is not None:
        return driven[0]
    if isinstance(a, Restart):
        return a.i
    assert isinstance(a, Drop | Duplicate)
    return a.m.source


def _mkind(m: Message) -> str:
    if isinstance(m, RequestVote):
        return "rv"
    if isinstance(m, RequestVoteResponse):
        return "rvr" + ("" if m.voteGranted else " no")
    if isinstance(m, AppendEntries):
        return "ae"
    assert isinstance(m, AppendEntriesResponse)
    return "aer" + ("" if m.success else " no")


def _short(m: Message) -> str:
    if isinstance(m, RequestVote):
        return f"RV t{m.term}"
    if isinstance(m, RequestVoteResponse):
        return f"{'vote' if m.voteGranted else 'no vote'} t{m.term}"
    if isinstance(m, AppendEntries):
        return f"AE t{m.term} +{len(m.entries)}"
    assert isinstance(m, AppendEntriesResponse)
    return f"{'ok' if m.success else 'no'} t{m.term}"


def _metadata(trace: Trace, source: str) -> list[tuple[str, str]]:
    c = trace.config
    desc = str(trace.meta.get("description", ""))
    preset = str(trace.meta.get("preset", ""))
    if not preset:
        found = re.search(r"--model (\S+)", desc)
        preset = found.group(1) if found else "-"
    bounds = " ".join(
        f"{f.field}={show(getattr(c.bounds, f.field))}"
        for f in BOUND_FIELDS
        if f.field != "max_copies" and shown(f, c.bounds)
    )
    rows = [
        ("trace", source),
        ("description", desc or "-"),
        ("variant", c.rules.name),
        ("preset", preset),
        ("servers", str(c.n)),
        ("network", c.semantics.value),
        ("bounds", f"{bounds} values={','.join(map(str, c.bounds.values))}"),
        ("steps", str(len(trace.steps) - 1)),
        ("starts", "at Init" if trace.from_init else "mid-life (the first state is given)"),
    ]
    conf = trace.meta.get("conformance")
    if isinstance(conf, dict) and isinstance(conf.get("divergence"), dict):
        d = conf["divergence"]
        rows.append(("divergence", json.dumps(d, sort_keys=True)[:400]))
    return rows


def trace_data(trace: Trace, max_steps: int = MAX_STEPS) -> dict[str, Any]:
    """The page's data: per step its action, actor, servers and changed fields; the
    message arrows; the first violation. Only the first ``max_steps`` steps."""
    sem = trace.config.semantics
    shown = trace.steps[: max_steps + 1]
    steps: list[dict[str, Any]] = []
    arrows: list[dict[str, Any]] = []
    # message -> (step sent, arrow index of its first, still undelivered, drawing)
    sent: dict[Message, tuple[int, int]] = {}
    violation: dict[str, Any] | None = None
    prev: ClusterState | None = None
    for k, (action, st) in enumerate(shown):
        nodes = [_node(x) for x in st.nodes]
        changed: list[list[str]] = []
        for j, x in enumerate(nodes):
            before = steps[-1]["nodes"][j] if steps else None
            changed.append([f for f in _FIELDS if before is not None and before[f] != x[f]])
        v = check_state(st) if prev is None or action is None else check_step(prev, action, st)
        if v is not None and violation is None:
            violation = {"step": k, "property": v.property, "detail": v.detail}
        if isinstance(action, Receive) and action.m in sent:
            _, idx = sent[action.m]
            if arrows[idx]["to"] is None:
                arrows[idx]["to"] = k
            else:  # delivered again (the set network keeps it): another arrow
                arrows.append({**arrows[idx], "to": k})
        was = set(net.messages(prev.network, sem)) if prev is not None else set()
        for m in net.messages(st.network, sem):
            if m not in was and m not in sent:
                sent[m] = (k, len(arrows))
                arrows.append(
                    {
                        "from": k,
                        "src": m.source,
                        "dst": m.dest,
                        "to": None,
                        "kind": _mkind(m),
                        "label": _short(m),
                        "title": describe_message(m),
                    }
                )
        steps.append(
            {
                "k": k,
                "action": (
                    ("initial state" if trace.from_init else "first state")
                    if action is None
                    else describe(action)
                ),
                "actor": _actor(action),
                "nodes": nodes,
                "changed": changed,
                "elections": sorted([e.term, e.leader] for e in st.elections),
                "committed": sorted([c.index, c.term, c.value, c.commitTerm] for c in st.committed),
                "inflight": len(net.messages(st.network, sem)),
            }
        )
        prev = st
    # Where the trace leaves the model (its recorded variant): replay says, the same check
    # as ``raftcheck replay``; a conformance prefix records its own divergence.
    divergence: dict[str, Any] | None = None
    d = replay(trace).divergence
    if d is not None and d.step < len(shown):
        divergence = {"step": d.step, "detail": d.reason}
    conf = trace.meta.get("conformance")
    if divergence is None and isinstance(conf, dict) and isinstance(conf.get("divergence"), dict):
        dv = conf["divergence"]
        at = dv.get("step")
        if isinstance(at, int) and 0 <= at < len(shown):
            what = f"the implementation diverges here ({dv.get('kind', 'divergence')})"
            divergence = {"step": at, "detail": what}
    return {
        "servers": trace.config.n,
        "steps": steps,
        "divergence": divergence,
        "arrows": arrows,
        "violation": violation,
        "total": len(trace.steps) - 1,
        "drawn": len(shown) - 1,
    }


def _x(server: int) -> float:
    return _NUM_W + (server - 1) * _LANE_W + _LANE_W / 2


def _y(k: int) -> float:
    return _TOP + k * _ROW_H + _ROW_H / 2


def _cell_text(node: dict[str, Any], changed: list[str]) -> tuple[str, str]:
    def part(field: str, text: str) -> str:
        cls = ' class="chg"' if field in changed else ""
        return f"<tspan{cls}>{html.escape(text)}</tspan>"

    vote = "-" if node["vote"] is None else str(node["vote"])
    line1 = " ".join(
        [
            part("role", _ROLE_LETTER.get(node["role"], "?")),
            part("term", f"t{node['term']}"),
            part("vote", f"v{vote}"),
            part("commit", f"c{node['commit']}"),
        ]
    )
    log = " ".join(str(t) for t, _ in node["log"]) or "empty"
    return line1, part("log", f"[{log}]")


def _svg(data: dict[str, Any]) -> str:
    n = data["servers"]
    steps = data["steps"]
    width = _NUM_W + n * _LANE_W + _ACT_W
    height = _TOP + len(steps) * _ROW_H + 16
    out = [
        f'<svg id="diagram" xmlns="http://www.w3.org/2000/svg" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
        'aria-label="space-time diagram: one lane per server, time going down">',
        "<defs>",
    ]
    for kind in ("rv", "rvr", "ae", "aer"):
        out.append(
            f'<marker id="head-{kind}" viewBox="0 0 10 10" refX="9" refY="5" '
            'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
            f'<path d="M0,0 L10,5 L0,10 z" class="head {kind}"/></marker>'
        )
    out.append("</defs>")
    out.append(f'<rect id="cursor" x="0" y="{_TOP}" width="{width}" height="{_ROW_H}" rx="4"/>')
    for k in range(len(steps)):
        y = _TOP + k * _ROW_H
        out.append(
            f'<rect class="row" data-step="{k}" x="0" y="{y}" width="{width}" height="{_ROW_H}"/>'
        )
    for s in range(1, n + 1):
        x = _x(s)
        out.append(
            f'<g class="lane" data-server="{s}"><text class="lane-title" x="{x}" y="24">'
            f"S{s}</text>"
            f'<line x1="{x}" y1="{_TOP - 8}" x2="{x}" y2="{height - 8}"/></g>'
        )
    ax = _NUM_W + n * _LANE_W + 10
    out.append(f'<text class="col-title" x="{ax}" y="24">step</text>')
    v = data["violation"]
    for st in steps:
        k = st["k"]
        y = _TOP + k * _ROW_H
        out.append(f'<g class="step" data-step="{k}">')
        out.append(f'<text class="num" x="{_NUM_W - 8}" y="{y + 24}">{k}</text>')
        for j, node in enumerate(st["nodes"]):
            ch = st["changed"][j]
            x = _x(j + 1) - _CELL_W / 2
            cls = f"cell {node['role'].lower()}" + (" changed" if ch else "")
            l1, l2 = _cell_text(node, ch)
            out.append(
                f'<g class="{cls}" data-server="{j + 1}">'
                f'<rect x="{x}" y="{y + 3}" width="{_CELL_W}" height="{_ROW_H - 6}" rx="5"/>'
                f'<text x="{x + 6}" y="{y + 16}">{l1}</text>'
                f'<text x="{x + 6}" y="{y + 31}">{l2}</text></g>'
            )
        if st["actor"] is not None:
            out.append(
                f'<circle class="act" cx="{_x(st["actor"]) - _CELL_W / 2 - 7}" '
                f'cy="{y + _ROW_H / 2}" r="5"/>'
            )
        label = st["action"]
        if len(label) > 60:
            label = label[:57] + "..."
        ty = y + 24
        dv = data["divergence"]
        if v is not None and v["step"] == k:
            ty = y + 33
            out.append(
                f'<text class="violation-label" x="{ax}" y="{y + 14}">&#x2716; '
                f"{html.escape(v['property'])} violated</text>"
            )
        elif dv is not None and dv["step"] == k:
            ty = y + 33
            out.append(
                f'<text class="divergence-label" x="{ax}" y="{y + 14}">&#x21AF; '
                "leaves the model here</text>"
            )
        out.append(f'<text class="action" x="{ax}" y="{ty}">{html.escape(label)}</text>')
        out.append("</g>")
    for a in data["arrows"]:
        x1 = _x(a["src"])
        x2 = _x(a["dst"])
        sign = 1 if x2 > x1 else -1
        x1 += sign * _CELL_W / 2
        y1 = _y(a["from"]) + 6
        kind = a["kind"].split()[0]
        cls = f"arrow {a['kind']}"
        title = f"<title>{html.escape(a['title'])}</title>"
        if a["to"] is None:
            # Never delivered in the trace: a short dashed stub towards its destination,
            # unlabelled (its tooltip says what it is) so it does not crowd the delivered ones.
            x2 = x1 + sign * 34
            y2 = y1 + 14
            cls += " pending"
        else:
            x2 -= sign * _CELL_W / 2
            y2 = _y(a["to"]) - 4
        to = "" if a["to"] is None else a["to"]
        label = (
            ""
            if a["to"] is None
            else f'<text x="{(x1 + x2) / 2:.0f}" y="{(y1 + y2) / 2 - 3:.0f}">'
            f"{html.escape(a['label'])}</text>"
        )
        out.append(
            f'<g class="{cls}" data-from="{a["from"]}" data-to="{to}"'
            f' data-src="{a["src"]}" data-dst="{a["dst"]}">{title}'
            f'<line x1="{x1:.0f}" y1="{y1:.0f}" x2="{x2:.0f}" y2="{y2:.0f}" '
            f'marker-end="url(#head-{kind})"/>{label}</g>'
        )
    dv = data["divergence"]
    if dv is not None:
        y = _TOP + dv["step"] * _ROW_H
        out.append(
            f'<g id="divergence" class="divergence-marker" data-step="{dv["step"]}">'
            f"<title>{html.escape(dv['detail'])}</title>"
            f'<rect x="3" y="{y + 3}" width="{width - 6}" height="{_ROW_H - 6}" rx="4"/>'
            "</g>"
        )
    if v is not None:
        y = _TOP + v["step"] * _ROW_H
        out.append(
            f'<g id="violation" class="violation-marker" data-step="{v["step"]}">'
            f"<title>{html.escape(v['property'] + ': ' + v['detail'])}</title>"
            f'<rect x="1" y="{y + 1}" width="{width - 2}" height="{_ROW_H - 2}" rx="4"/>'
            "</g>"
        )
    out.append("</svg>")
    return "\n".join(out)


def _asset(name: str) -> str:
    return (files("checker.report") / "assets" / name).read_text(encoding="utf-8")


def render(trace: Trace, *, source: str = "", max_steps: int = MAX_STEPS) -> str:
    """The page of ``trace`` (``source`` names it in the title)."""
    data = trace_data(trace, max_steps)
    meta = _metadata(trace, source or "-")
    rows = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in meta)
    notes = ""
    if data["drawn"] < data["total"]:
        notes += (
            f'<p class="note" id="cap-note">This trace has {data["total"]} steps; the page '
            f"draws the first {data['drawn']} (the cap keeps pages small: raftcheck view "
            f"--max-steps N draws more; raftcheck replay prints them all).</p>"
        )
    v = data["violation"]
    if v is not None:
        notes += (
            f'<p class="banner" id="violation-banner">&#x2716; <b>{html.escape(v["property"])}'
            f"</b> is violated at step {v['step']}: {html.escape(v['detail'])} "
            "(press <kbd>v</kbd> to go there)</p>"
        )
    dv = data["divergence"]
    if dv is not None:
        notes += (
            f'<p class="note" id="divergence-banner">&#x21AF; At step {dv["step"]} the trace '
            f"leaves the model (variant {html.escape(trace.config.rules.name)}): "
            f"{html.escape(dv['detail'])}</p>"
        )
    if v is None and data["drawn"] == data["total"]:
        notes += (
            '<p class="help">No property of checker.raft.invariants is violated in this trace.</p>'
        )
    js = _asset("view.js").replace("__ROW_H__", str(_ROW_H)).replace("__TOP__", str(_TOP))
    payload = json.dumps(data, sort_keys=True, separators=(",", ":")).replace("</", "<\\/")
    title = f"raftcheck trace: {source}" if source else "raftcheck trace"
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">\n'
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n"
        f"<title>{html.escape(title)}</title>\n<style>{_asset('view.css')}</style></head>\n"
        '<body data-step="0">\n<header>'
        f"<h1>{html.escape(title)}</h1>"
        f'<table class="meta" id="metadata">{rows}</table>{notes}'
        '<p class="help">Keys: <kbd>&darr;</kbd>/<kbd>j</kbd> next step, <kbd>&uarr;</kbd>/'
        "<kbd>k</kbd> previous, <kbd>Home</kbd>/<kbd>End</kbd>, <kbd>v</kbd> the violation; "
        "click a row. Cells: role (F/C/L), term, vote, commit index, log terms; "
        "orange = changed by this step; arrows run from send to delivery "
        "(blue RequestVote, purple its reply, green AppendEntries, teal its reply; "
        "dotted = refused, dashed stub = never delivered).</p></header>\n"
        f'<main><div id="scroll">{_svg(data)}</div><aside id="panel"></aside></main>\n'
        f'<script type="application/json" id="trace-data">{payload}</script>\n'
        f"<script>{js}</script>\n"
        "</body></html>\n"
    )


#: ``render`` under the name the command layer uses for ``--html``.
render_trace = render

__all__ = ["MAX_STEPS", "page_path", "render", "render_trace", "trace_data"]
