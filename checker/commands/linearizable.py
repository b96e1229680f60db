"""``raftcheck linearizable HISTORY``: is a client history linearizable for an object?"""

from __future__ import annotations

import argparse
from typing import Any

from checker.commands import common
from checker.commands.common import Exit
from checker.errors import BadOption
from checker.linearizability import formats, history, picture
from checker.linearizability.edn import show
from checker.linearizability.models import MODELS, Model
from checker.linearizability.search import Budget, PartResult, Result, Verdict, check

#: How many operations of the longest prefix the report names (the last ones).
PREFIX_SHOWN = 5


def _describe(model: Model, op: history.Op) -> str:
    lines = f"lines {op.call_line}-{op.ret_line}" if op.ret_line else f"line {op.call_line}"
    if not op.call_line:
        lines = f"events {op.call}-{op.ret}" if op.ret is not None else f"event {op.call}"
    return (
        f"#{op.id} p{show(op.process)} {model.describe_operation(op.f, op.arg, op.out)} ({lines})"
    )


def _part_name(part: PartResult) -> str:
    return "the history" if part.key is None else f"key {show(part.key)}"


def _report_violation(model: Model, h: history.History, part: PartResult, quiet: bool) -> None:
    assert part.blocked is not None
    blocked = h.ops[part.blocked]
    print(
        f"{_part_name(part)} ({len(part.ops)} operations) is not linearizable: the longest "
        f"linearizable prefix has {len(part.prefix)} operations"
    )
    if part.prefix:
        tail = part.prefix[-PREFIX_SHOWN:]
        more = f" (the last {len(tail)})" if len(part.prefix) > len(tail) else ""
        print(f"  prefix{more}: " + ", ".join(_describe(model, h.ops[i]) for i in tail))
    print(f"  state after it: {part.state}")
    print(f"  cannot be placed: {_describe(model, blocked)}")
    if not quiet:
        for line in picture.render(picture.build(model, h, part)):
            print("  " + line)


def _summary(model: Model, h: history.History, res: Result, source: str) -> dict[str, Any]:
    parts = []
    for p in res.parts:
        d: dict[str, Any] = {
            "key": None if p.key is None else show(p.key),
            "verdict": p.verdict.name,
            "operations": len(p.ops),
            "cache": p.cache,
            "steps": p.steps,
        }
        if p.verdict is not Verdict.OK:
            d["prefix"] = list(p.prefix)
            d["state"] = p.state
        if p.verdict is Verdict.VIOLATION:
            assert p.blocked is not None
            d["blocked"] = {
                "op": p.blocked,
                "process": show(h.ops[p.blocked].process),
                "operation": model.describe_operation(
                    h.ops[p.blocked].f, h.ops[p.blocked].arg, h.ops[p.blocked].out
                ),
                "call_line": h.ops[p.blocked].call_line,
                "ret_line": h.ops[p.blocked].ret_line,
            }
            d["picture"] = picture.build(model, h, p).as_dict()
        if p.reason:
            d["reason"] = p.reason
        parts.append(d)
    return {
        "history": source,
        "object": model.name,
        "verdict": res.verdict.name,
        "operations": len(h.ops),
        "unknown_outcome": sum(1 for op in h.ops if op.ret is None),
        "failed": h.failed,
        "parts": parts,
        "parts_not_searched": res.skipped,
        "reason": res.reason,
        "seconds": round(res.seconds, 3),
        "exit": int(_code(res)),
    }


def _code(res: Result) -> Exit:
    return {
        Verdict.OK: Exit.OK,
        Verdict.VIOLATION: Exit.VIOLATION,
        Verdict.UNKNOWN: Exit.INCONCLUSIVE,
    }[res.verdict]


def cmd_linearizable(args: argparse.Namespace) -> int:
    common.check_outputs(args, "json")
    if args.object is not None and args.object not in MODELS:
        raise BadOption(f"unknown object {args.object!r}; known: {', '.join(MODELS)}")
    text, source = formats.read_text(args.history)
    name = args.object
    if name is None:
        name = "kv" if formats.keyed(text, args.format, source) else "register"
    model = MODELS[name]
    events = formats.read(text, args.format, source)
    h = history.build(events, model.validate, source)
    unknown = sum(1 for op in h.ops if op.ret is None)
    print(
        f"{source}: {len(h.ops)} operations of {len(h.processes)} processes "
        f"({unknown} with unknown outcome, {h.failed} failed and left out), object "
        f"{model.name}"
    )
    res = check(model, h, Budget(args.time_limit, args.max_cache))
    cache = max((p.cache for p in res.parts), default=0)
    figures = (
        f"{len(res.parts)} of {len(res.parts) + res.skipped} parts searched, "
        f"largest cache {cache:,} configurations, {res.seconds:.2f}s"
    )
    code = _code(res)
    if res.verdict is Verdict.VIOLATION:
        for part in res.violations:
            _report_violation(model, h, part, args.quiet)
        bad = res.violations
        names = ", ".join(_part_name(p) for p in bad[:5]) + (" ..." if len(bad) > 5 else "")
        print(
            f"VIOLATION: not linearizable as a {model.name}: {len(bad)} part(s) ({names}); "
            f"{figures}"
        )
    elif res.verdict is Verdict.UNKNOWN:
        print(f"UNKNOWN: {res.reason} (inconclusive, not a pass); {figures}")
    else:
        print(f"OK: linearizable as a {model.name}; {figures}")
    if args.json:
        common.write_json(args.json, _summary(model, h, res, source))
    return code


def register(sub: Any) -> None:
    r = sub.add_parser(
        "linearizable",
        help="is a client history (Jepsen EDN, jepsen.util log, JSON lines) linearizable?",
        description="Search for a linearization of a client history (Wing & Gong with "
        "Lowe's cache, per key for kv, as Porcupine does). Operations with unknown outcome "
        "(:info, or never completed) may take effect at any time after their invocation, or "
        "never. Exit 0 linearizable, 1 not (the longest linearizable prefix, the operation "
        "that cannot be placed and a picture of the overlapping operations are printed), "
        "2 a malformed or ill-formed history (one line naming its line), 3 a budget ran out "
        "(unknown, never a pass). docs/linearizability.md describes the formats.",
    )
    r.add_argument("history", metavar="HISTORY", help="the history file ('-': stdin)")
    r.add_argument(
        "--object",
        default=None,
        metavar="OBJECT",
        help=f"the object's sequential specification: {', '.join(MODELS)} (default: kv for "
        'a keyed history, JSON lines with "key" or an ITF trace\'s client events; '
        "register otherwise)",
    )
    r.add_argument(
        "--format",
        choices=formats.FORMATS,
        default="auto",
        help="the history format (default: from the first line)",
    )
    r.add_argument(
        "--time-limit",
        type=common.seconds,
        default=None,
        metavar="SECONDS",
        help="stop with UNKNOWN (exit 3) after this long",
    )
    r.add_argument(
        "--max-cache",
        type=common.positive,
        default=None,
        metavar="N",
        help="stop with UNKNOWN (exit 3) when one part's cache holds more than N "
        "configurations (the memory budget)",
    )
    r.add_argument("--quiet", action="store_true", help="no picture of a violation")
    r.add_argument("--json", metavar="FILE", help="write a JSON summary ('-': stdout, alone)")
    r.set_defaults(func=cmd_linearizable)
