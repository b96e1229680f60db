"""One verb's outcome as data: the cases it judged and the violations it found.

A *case* is one JUnit testcase (a property, a scenario, a trace, a job); a *finding* is
one violation with the steps that lead to it (a SARIF result with its thread flow). The
command layer fills a ``Record`` while a verb runs; the renderers read it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

from checker.traces.itf import Trace


class Verdict(Enum):
    """A case's outcome. INCONCLUSIVE is never a pass and never a skip: JUnit reports it
    as an error (a budget stopped the run: nobody knows)."""

    PASS = "pass"
    FAIL = "fail"
    INCONCLUSIVE = "inconclusive"
    ERROR = "error"


#: A verb's exit code as a verdict (docs/cli.md: 0 pass, 1 violation, 2 bad input,
#: 3 inconclusive, 4 internal error).
EXIT_VERDICT: dict[int, Verdict] = {
    0: Verdict.PASS,
    1: Verdict.FAIL,
    2: Verdict.ERROR,
    3: Verdict.INCONCLUSIVE,
    4: Verdict.ERROR,
}


def verdict_of(code: int) -> Verdict:
    return EXIT_VERDICT.get(code, Verdict.ERROR)


@dataclass(frozen=True)
class Case:
    name: str
    verdict: Verdict
    message: str = ""


@dataclass(frozen=True)
class Finding:
    """A violated property (or a divergence), with the trace that shows it when there is
    one; ``step`` is the index of the state where it fires (None: the last)."""

    rule: str
    detail: str
    trace: Trace | None = None
    path: Path | None = None
    step: int | None = None


@dataclass
class Record:
    """What one run of one verb judged. ``name`` is the run's label (the command line, or a
    ``ci`` job's name)."""

    verb: str
    name: str
    exit: int = 0
    seconds: float = 0.0
    #: The properties the verb judged (each becomes a case when no explicit cases exist).
    properties: tuple[str, ...] = ()
    cases: list[Case] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    #: ITF traces the run wrote or judged, for ``--html``.
    traces: list[Path] = field(default_factory=list)
    #: The last lines the verb printed (the verdict line is among them).
    tail: list[str] = field(default_factory=list)
    #: Records of sub-runs (``ci``'s jobs).
    children: list[Record] = field(default_factory=list)
    #: The verdict line when the runner knows better than the tail (``ci``: "caught: ...").
    summary: str = ""

    @property
    def verdict(self) -> Verdict:
        return verdict_of(self.exit)

    def message(self) -> str:
        """The run's verdict line: the last line that names one, else the last line."""
        if self.summary:
            return self.summary
        for line in reversed(self.tail):
            if line.split(":", 1)[0].strip().isupper() and ":" in line:
                return line.strip()
        return self.tail[-1].strip() if self.tail else f"exit {self.exit}"

    def testcases(self) -> list[Case]:
        """The cases as JUnit should list them: explicit cases; else one per judged
        property (a finding fails its property; the others share the run's verdict, except
        that a violation elsewhere does not fail them); else one for the whole run."""
        if self.cases:
            return list(self.cases)
        if self.properties and self.verdict in (Verdict.PASS, Verdict.FAIL, Verdict.INCONCLUSIVE):
            failed = {f.rule: f for f in self.findings}
            out = []
            for p in self.properties:
                if p in failed:
                    out.append(Case(p, Verdict.FAIL, failed[p].detail))
                elif self.verdict is Verdict.INCONCLUSIVE:
                    out.append(Case(p, Verdict.INCONCLUSIVE, self.message()))
                else:
                    out.append(Case(p, Verdict.PASS))
            # A violation of something that is not a listed property (a divergence).
            out.extend(
                Case(f.rule, Verdict.FAIL, f.detail)
                for f in self.findings
                if f.rule not in self.properties
            )
            if self.verdict is Verdict.FAIL and not self.findings:
                out.append(Case(self.verb, Verdict.FAIL, self.message()))
            return out
        return [
            Case(self.verb, self.verdict, "" if self.verdict is Verdict.PASS else self.message())
        ]


def to_json(r: Record) -> dict[str, object]:
    """A record as JSON (``raftcheck ci`` reads its jobs' records this way); a finding's
    trace is its ITF file, read back by ``from_json``."""
    return {
        "verb": r.verb,
        "name": r.name,
        "exit": r.exit,
        "seconds": round(r.seconds, 3),
        "properties": list(r.properties),
        "cases": [[c.name, c.verdict.value, c.message] for c in r.cases],
        "findings": [
            {
                "rule": f.rule,
                "detail": f.detail,
                "path": None if f.path is None else str(f.path),
                "step": f.step,
            }
            for f in r.findings
        ],
        "traces": [str(p) for p in r.traces],
        "tail": list(r.tail),
    }


def from_json(obj: dict[str, Any], base: Path | None = None) -> Record:
    """The record ``to_json`` wrote; relative paths are relative to ``base`` (the
    directory the run ran in)."""
    from checker.traces.itf import read_trace

    def where(p: str) -> Path:
        return base / p if base is not None and not Path(p).is_absolute() else Path(p)

    findings = []
    for f in obj["findings"]:
        path = None if f["path"] is None else where(f["path"])
        trace = read_trace(path) if path is not None and path.is_file() else None
        findings.append(Finding(f["rule"], f["detail"], trace, path, f["step"]))
    return Record(
        verb=obj["verb"],
        name=obj["name"],
        exit=int(obj["exit"]),
        seconds=float(obj["seconds"]),
        properties=tuple(obj["properties"]),
        cases=[Case(n, Verdict(v), m) for n, v, m in obj["cases"]],
        findings=findings,
        traces=[where(p) for p in obj["traces"]],
        tail=list(obj["tail"]),
    )


__all__ = [
    "EXIT_VERDICT",
    "Case",
    "Finding",
    "Record",
    "Verdict",
    "from_json",
    "to_json",
    "verdict_of",
]
