"""SARIF 2.1.0 (the format GitHub code scanning reads): one rule per property of
``checker.raft.invariants`` (plus one per other kind of finding a verb reports), one
result per violation, and the violating run as a thread flow: each step a location at the
raftmodel source lines of the handler that ran (``source.handler_location``), with the
servers' state after the step in the location's ``state``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from checker.raft.invariants import INVARIANTS, TRANSITION_PROPERTIES
from checker.report.record import Finding, Record, Verdict
from checker.report.source import Location, handler_location
from checker.traces.itf import Trace
from raftmodel.actions import describe
from raftmodel.cluster import ClusterState
from raftmodel.types import NIL

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"

#: Findings that are not properties of the model (a trace leaving it, a conformance
#: divergence, a TLC mismatch): each its own rule, described here.
OTHER_RULES: dict[str, str] = {
    "Divergence": "the trace (or the implementation) takes a step the model does not allow",
}


def _rules(records: Sequence[Record]) -> list[dict[str, Any]]:
    props: list[tuple[str, str, str]] = [(p.name, p.section, p.meaning) for p in INVARIANTS]
    props += [(p.name, p.section, p.meaning) for p in TRANSITION_PROPERTIES]
    rules: list[dict[str, Any]] = [
        {
            "id": name,
            "name": name,
            "shortDescription": {"text": meaning},
            "fullDescription": {"text": f"{meaning} (Raft paper {section})"},
            "defaultConfiguration": {"level": "error"},
        }
        for name, section, meaning in props
    ]
    known = {r["id"] for r in rules}
    for rec in _all(records):
        for f in rec.findings:
            if f.rule not in known:
                known.add(f.rule)
                text = OTHER_RULES.get(f.rule, f"{f.rule} (reported by raftcheck {rec.verb})")
                rules.append({"id": f.rule, "name": f.rule, "shortDescription": {"text": text}})
        if rec.verdict is Verdict.FAIL and not rec.findings and rec.verb not in known:
            known.add(rec.verb)
            rules.append(
                {
                    "id": rec.verb,
                    "name": rec.verb,
                    "shortDescription": {"text": f"raftcheck {rec.verb} reports a failure"},
                }
            )
    return rules


def _all(records: Sequence[Record]) -> list[Record]:
    out: list[Record] = []
    for r in records:
        out.extend(_all(r.children) if r.children else [r])
    return out


def _physical(loc: Location) -> dict[str, Any]:
    return {
        "physicalLocation": {
            "artifactLocation": {"uri": loc.path, "uriBaseId": "%SRCROOT%"},
            "region": {"startLine": loc.start, "endLine": loc.end},
        }
    }


def _state(s: ClusterState) -> dict[str, dict[str, str]]:
    """Each server's variables after the step, as SARIF's ``state`` (name -> text)."""
    out: dict[str, dict[str, str]] = {}
    for x in s.nodes:
        p = f"S{x.id}"
        out[f"{p}.role"] = {"text": x.role.label}
        out[f"{p}.currentTerm"] = {"text": str(x.currentTerm)}
        out[f"{p}.votedFor"] = {"text": "-" if x.votedFor == NIL else str(x.votedFor)}
        out[f"{p}.log"] = {"text": "[" + ", ".join(f"{e.term}:{e.value}" for e in x.log) + "]"}
        out[f"{p}.commitIndex"] = {"text": str(x.commitIndex)}
    out["messagesInFlight"] = {"text": str(len(s.network))}
    return out


def _thread_flow(trace: Trace, upto: int) -> dict[str, Any]:
    locations = []
    for k in range(1, upto + 1):
        action = trace.steps[k].action
        if action is None:
            continue
        before = trace.steps[k - 1].state
        loc = handler_location(before, action, trace.config)
        entry = _physical(loc)
        entry["message"] = {"text": f"step {k}: {describe(action)} ({loc.function})"}
        locations.append(
            {
                "location": entry,
                "state": _state(trace.steps[k].state),
                "executionOrder": k,
                "importance": "important" if k == upto else "essential",
            }
        )
    return {"locations": locations}


def _result(f: Finding, rule_index: dict[str, int], verb: str) -> dict[str, Any]:
    text = f"{f.rule}: {f.detail}"
    res: dict[str, Any] = {
        "ruleId": f.rule,
        "ruleIndex": rule_index[f.rule],
        "level": "error",
        "message": {"text": text},
    }
    locs: list[dict[str, Any]] = []
    if f.trace is not None and len(f.trace.steps) > 1:
        last = (
            len(f.trace.steps) - 1
            if f.step is None
            else max(1, min(f.step, len(f.trace.steps) - 1))
        )
        flow = _thread_flow(f.trace, last)
        if flow["locations"]:
            res["codeFlows"] = [
                {
                    "message": {"text": f"{last} steps to {f.rule} (raftcheck {verb})"},
                    "threadFlows": [flow],
                }
            ]
            # The result's own location: the handler of the step where it fires.
            locs.append({"physicalLocation": flow["locations"][-1]["location"]["physicalLocation"]})
    if f.path is not None:
        locs.append({"physicalLocation": {"artifactLocation": {"uri": f.path.as_posix()}}})
    if locs:
        res["locations"] = locs
    return res


def render(records: Sequence[Record], version: str) -> str:
    """The SARIF log of ``records`` (one run; ``ci`` jobs are its invocations)."""
    rules = _rules(records)
    index = {r["id"]: k for k, r in enumerate(rules)}
    results: list[dict[str, Any]] = []
    invocations: list[dict[str, Any]] = []
    for rec in _all(records):
        for f in rec.findings:
            results.append(_result(f, index, rec.verb))
        if rec.verdict is Verdict.FAIL and not rec.findings:
            results.append(
                {
                    "ruleId": rec.verb,
                    "ruleIndex": index[rec.verb],
                    "level": "error",
                    "message": {"text": rec.message()},
                }
            )
        invocations.append(
            {
                "commandLine": rec.name,
                "exitCode": rec.exit,
                "executionSuccessful": rec.exit in (0, 1),
                **(
                    {
                        "toolExecutionNotifications": [
                            {
                                "level": "warning" if rec.exit == 3 else "error",
                                "message": {"text": rec.message()},
                            }
                        ]
                    }
                    if rec.exit not in (0, 1)
                    else {}
                ),
            }
        )
    log = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "raftcheck",
                        "version": version,
                        "rules": rules,
                    }
                },
                "invocations": invocations,
                "results": results,
            }
        ],
    }
    return json.dumps(log, indent=2, sort_keys=False) + "\n"


__all__ = ["SCHEMA", "render"]
