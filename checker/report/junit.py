"""JUnit XML, as Jenkins, GitLab and pytest's dashboards read it (tests/schemas/junit-10.xsd).

One ``<testsuite>`` per run (a verb, or each job of ``raftcheck ci``), one ``<testcase>``
per property, scenario or trace it judged. A violation is a ``<failure>``; an inconclusive
run (a budget stopped it) and a run that could not start are an ``<error>``, never a
``<skipped>``: a dashboard must not show a green skip for a search nobody finished.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence

from checker.report.record import Record, Verdict


def _leaves(records: Sequence[Record]) -> list[Record]:
    out: list[Record] = []
    for r in records:
        out.extend(_leaves(r.children) if r.children else [r])
    return out


def render(records: Sequence[Record], name: str = "raftcheck") -> str:
    """The JUnit XML of ``records`` (a ``ci`` record contributes one suite per job)."""
    root = ET.Element("testsuites", name=name)
    totals = [0, 0, 0]
    seconds = 0.0
    for r in _leaves(records):
        cases = r.testcases()
        failures = sum(c.verdict is Verdict.FAIL for c in cases)
        errors = sum(c.verdict in (Verdict.ERROR, Verdict.INCONCLUSIVE) for c in cases)
        suite = ET.SubElement(
            root,
            "testsuite",
            name=r.name,
            tests=str(len(cases)),
            failures=str(failures),
            errors=str(errors),
            skipped="0",
            time=f"{r.seconds:.3f}",
        )
        for c in cases:
            tc = ET.SubElement(
                suite, "testcase", classname=f"raftcheck.{r.verb}", name=c.name, time="0"
            )
            if c.verdict is Verdict.FAIL:
                el = ET.SubElement(tc, "failure", type="violation", message=c.message)
                el.text = _details(r, c.name) or c.message
            elif c.verdict is Verdict.INCONCLUSIVE:
                el = ET.SubElement(tc, "error", type="inconclusive", message=c.message)
                el.text = "inconclusive: a budget or an interrupt stopped the run (not a pass)"
            elif c.verdict is Verdict.ERROR:
                el = ET.SubElement(tc, "error", type=f"exit {r.exit}", message=c.message)
                el.text = c.message
        if r.tail:
            ET.SubElement(suite, "system-out").text = "\n".join(r.tail) + "\n"
        totals[0] += len(cases)
        totals[1] += failures
        totals[2] += errors
        seconds += r.seconds
    root.set("tests", str(totals[0]))
    root.set("failures", str(totals[1]))
    root.set("errors", str(totals[2]))
    root.set("time", f"{seconds:.3f}")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _details(r: Record, case: str) -> str:
    for f in r.findings:
        if f.rule == case:
            where = f" (trace: {f.path}; view: raftcheck view {f.path})" if f.path else ""
            return f"{f.rule}: {f.detail}{where}"
    return ""


__all__ = ["render"]
