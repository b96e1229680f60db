"""A small picture of a violation: the operations around the one that cannot be placed,
one row per process, each operation a bar over a compressed time axis.

``build`` makes the data (a ``Picture``: columns and bars, JSON-ready with ``as_dict``),
``render`` draws it as text for a terminal; an HTML viewer can draw the same data. The
time axis is compressed: only the calls and returns of the operations shown get a
column, in order, so the picture shows which operations overlap, not how long they took.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from checker.linearizability.edn import show
from checker.linearizability.history import History, Op
from checker.linearizability.models import Model
from checker.linearizability.search import PartResult

#: How many operations a picture shows at most (the blocked one and its neighbours).
MAX_OPS = 12


@dataclass(frozen=True)
class Bar:
    """One operation: ``start``/``end`` are column numbers (``end`` None: unknown outcome,
    open to the right); ``role`` is ``linearized`` (in the longest prefix, ``order`` its
    place), ``blocked`` (the one that cannot be placed) or ``other``."""

    op: int
    process: str
    lane: int
    start: int
    end: int | None
    label: str
    role: str
    order: int | None
    call_line: int
    ret_line: int


@dataclass(frozen=True)
class Picture:
    """``columns[k]`` is the event position column k stands for; ``rows`` lists the
    processes (a process whose operations overlap, after an unknown outcome, gets more
    lanes)."""

    columns: tuple[int, ...]
    rows: tuple[tuple[str, int], ...]
    bars: tuple[Bar, ...]
    state: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "columns": list(self.columns),
            "rows": [{"process": p, "lanes": n} for p, n in self.rows],
            "bars": [asdict(b) for b in self.bars],
            "state": self.state,
        }


def _overlaps(a: Op, lo: int, hi: float) -> bool:
    end = float("inf") if a.ret is None else a.ret
    return a.call <= hi and end >= lo


def build(model: Model, history: History, part: PartResult, max_ops: int = MAX_OPS) -> Picture:
    """The picture of a violating part: the blocked operation, the operations concurrent
    with it, and the last operations of the longest prefix (they made the state)."""
    assert part.blocked is not None
    ops = history.ops
    blocked = ops[part.blocked]
    hi = float("inf") if blocked.ret is None else blocked.ret
    order = {op_id: k for k, op_id in enumerate(part.prefix)}
    chosen = {blocked.id}
    # The last three of the prefix explain the state the blocked operation met.
    chosen.update(part.prefix[-3:])
    # Reads of unknown outcome are left out of the search (models.Model.read_only).
    near = [
        i
        for i in part.ops
        if _overlaps(ops[i], blocked.call, hi)
        and not (ops[i].ret is None and ops[i].f in model.read_only)
    ]
    near.sort(key=lambda i: abs(ops[i].call - blocked.call))
    for i in near:
        if len(chosen) >= max_ops:
            break
        chosen.add(i)
    shown = sorted(chosen, key=lambda i: (ops[i].call, i))
    times = sorted(
        {ops[i].call for i in shown} | {r for i in shown if (r := ops[i].ret) is not None}
    )
    col = {t: k for k, t in enumerate(times)}
    lanes: dict[str, list[list[tuple[int, float]]]] = {}
    bars = []
    for i in shown:
        op = ops[i]
        proc = show(op.process)
        start = col[op.call]
        end = None if op.ret is None else col[op.ret]
        span = (start, float("inf") if end is None else end)
        rows = lanes.setdefault(proc, [])
        lane = next(
            (k for k, used in enumerate(rows) if all(span[0] > e or span[1] < s for s, e in used)),
            len(rows),
        )
        if lane == len(rows):
            rows.append([])
        rows[lane].append(span)
        role = "blocked" if i == blocked.id else "linearized" if i in order else "other"
        bars.append(
            Bar(
                op=i,
                process=proc,
                lane=lane,
                start=start,
                end=end,
                label=model.describe_operation(op.f, op.arg, op.out),
                role=role,
                order=order.get(i),
                call_line=op.call_line,
                ret_line=op.ret_line,
            )
        )
    procs = sorted(
        lanes,
        key=lambda p: (not p.lstrip("-").isdigit(), int(p) if p.lstrip("-").isdigit() else 0, p),
    )
    return Picture(tuple(times), tuple((p, len(lanes[p])) for p in procs), tuple(bars), part.state)


def _text(b: Bar) -> str:
    return f"[#{b.op} {b.label}"


def render(pic: Picture) -> list[str]:
    """The picture as text: a row per process lane, then a legend per operation. Columns
    keep their order but not their spacing: each is placed just far enough to the right
    for every bar that ends there to show its label."""
    x = [0] * (len(pic.columns) + 1)
    for k in range(1, len(pic.columns)):
        need = [x[b.start] + len(_text(b)) + 3 for b in pic.bars if b.end == k]
        x[k] = max([x[k - 1] + 2, *need])
    open_need = [x[b.start] + len(_text(b)) + 4 for b in pic.bars if b.end is None]
    width = max([x[len(pic.columns) - 1] + 2 if pic.columns else 2, *open_need])
    name_w = max((len(f"p{p}") for p, _ in pic.rows), default=2) + 1
    lines = []
    for proc, nlanes in pic.rows:
        for lane in range(nlanes):
            cells = [" "] * (width + 1)
            for b in pic.bars:
                if b.process != proc or b.lane != lane:
                    continue
                x0 = x[b.start]
                x1 = width if b.end is None else x[b.end]
                fill = "=" if b.role == "blocked" else "-"
                body = _text(b)
                text = body + fill * (x1 - x0 - len(body)) + (">" if b.end is None else "]")
                for k, ch in enumerate(text):
                    cells[x0 + k] = ch
            name = f"p{proc}" if lane == 0 else ""
            lines.append(f"{name:>{name_w}} |{''.join(cells).rstrip()}")
    lines.append(
        f"{'':>{name_w}}  (time runs left to right; only calls and returns shown get a column)"
    )
    for b in sorted(pic.bars, key=lambda b: b.op):
        where = f"lines {b.call_line}-{b.ret_line}" if b.ret_line else f"line {b.call_line}"
        if b.role == "blocked":
            what = "CANNOT BE PLACED"
        elif b.order is not None:
            what = f"position {b.order + 1} in the prefix"
        else:
            what = "not in the prefix"
        end = " (unknown outcome)" if b.end is None else ""
        lines.append(f"  #{b.op} p{b.process} {b.label}{end}: {what} ({where})")
    return lines
