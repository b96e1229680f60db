"""``--junit`` and ``--sarif`` (checker/report/): the files validate against the published
schemas shipped in tests/schemas/, a violation's SARIF thread flow points at the raftmodel
handler that ran each step, and an inconclusive run is a JUnit error, never a skip."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from checker.commands import main
from checker.raft.invariants import ALL_NAMES
from checker.report import junit, sarif, source
from checker.report.record import Finding, Record, Verdict, from_json, to_json
from checker.traces import itf
from raftmodel.actions import Receive, Timeout
from raftmodel.messages import RequestVote
from tests.support import EXAMPLES, ROOT

jsonschema = pytest.importorskip("jsonschema", reason="jsonschema is in the test extra")
xmlschema = pytest.importorskip("xmlschema", reason="xmlschema is in the test extra")

SCHEMAS = ROOT / "tests" / "schemas"


@pytest.fixture(scope="module")
def sarif_schema() -> Any:
    return json.loads((SCHEMAS / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def junit_schema() -> Any:
    return xmlschema.XMLSchema(str(SCHEMAS / "junit-10.xsd"))


def _lines(loc: dict[str, Any]) -> tuple[str, int, int]:
    p = loc["physicalLocation"]
    return p["artifactLocation"]["uri"], p["region"]["startLine"], p["region"]["endLine"]


def _source_line(path: str, line: int) -> str:
    return (ROOT / path).read_text(encoding="utf-8").splitlines()[line - 1]


@pytest.fixture(scope="module")
def double_vote(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("dv")
    code = main(
        [
            "check",
            "--mutant",
            "double_vote",
            "--quiet",
            "--out",
            str(d / "dv.itf.json"),
            "--junit",
            str(d / "j.xml"),
            "--sarif",
            str(d / "s.sarif"),
        ]
    )
    assert code == 1
    return d


def test_sarif_of_a_violation_validates_and_walks_through_node_py(
    double_vote: Path, sarif_schema: Any
) -> None:
    log = json.loads((double_vote / "s.sarif").read_text(encoding="utf-8"))
    jsonschema.validate(log, sarif_schema)
    run = log["runs"][0]
    rules = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert rules == list(ALL_NAMES)  # one rule per property, named as in invariants.py
    (result,) = run["results"]
    assert result["ruleId"] == "ElectionSafety"
    assert rules[result["ruleIndex"]] == "ElectionSafety"
    flow = result["codeFlows"][0]["threadFlows"][0]["locations"]
    trace = itf.read_trace(double_vote / "dv.itf.json")
    assert len(flow) == len(trace.steps) - 1
    for k, loc in enumerate(flow, start=1):
        path, start, end = _lines(loc["location"])
        assert path == "raftmodel/node.py" and start <= end
        action = trace.steps[k].action
        want = {
            Timeout: "_on_timeout",
            RequestVote: "_on_request_vote",
        }.get(type(action.m) if isinstance(action, Receive) else type(action))
        head = _source_line(path, start)
        if want is not None:
            assert head.startswith(f"def {want}("), (k, head)
        # Each step's state: every server's variables after the step.
        st = trace.steps[k].state
        for x in st.nodes:
            assert loc["state"][f"S{x.id}.currentTerm"] == {"text": str(x.currentTerm)}
            assert loc["state"][f"S{x.id}.role"] == {"text": x.role.label}
    # The last step elects the second leader: the vote-response handler.
    assert _source_line(*_lines(flow[-1]["location"])[:2]).startswith(
        "def _on_request_vote_response("
    )
    assert result["locations"][0] == {"physicalLocation": flow[-1]["location"]["physicalLocation"]}


def test_junit_of_a_violation_validates(double_vote: Path, junit_schema: Any) -> None:
    junit_schema.validate(str(double_vote / "j.xml"))
    import xml.etree.ElementTree as ET

    root = ET.parse(double_vote / "j.xml").getroot()
    cases = root.findall("./testsuite/testcase")
    assert [c.get("name") for c in cases] == list(ALL_NAMES)
    failed = [c.get("name") for c in cases if c.find("failure") is not None]
    assert failed == ["ElectionSafety"]
    assert root.get("failures") == "1" and root.get("errors") == "0"


def test_inconclusive_is_a_junit_error_never_a_skip(tmp_path: Path, junit_schema: Any) -> None:
    j = tmp_path / "j.xml"
    s = tmp_path / "s.sarif"
    code = main(["check", "--model", "terms", "--max-states", "50", "--junit", str(j)])
    assert code == 3
    junit_schema.validate(str(j))
    text = j.read_text(encoding="utf-8")
    assert "<skipped" not in text
    import xml.etree.ElementTree as ET

    cases = ET.parse(j).getroot().findall("./testsuite/testcase")
    assert len(cases) == len(ALL_NAMES)
    assert all(c.find("error") is not None for c in cases)
    assert all(c.find("error").get("type") == "inconclusive" for c in cases)  # type: ignore[union-attr]
    code = main(["check", "--model", "terms", "--max-states", "50", "--sarif", str(s)])
    assert code == 3
    run = json.loads(s.read_text(encoding="utf-8"))["runs"][0]
    assert run["results"] == []
    assert run["invocations"][0]["executionSuccessful"] is False
    assert run["invocations"][0]["exitCode"] == 3


def test_every_verb_has_the_report_options() -> None:
    from checker.commands import build_parser

    p = build_parser()
    args = p.parse_args(["prove", "--encoding", "election", "--junit", "x.xml", "--sarif", "y"])
    assert (args.junit, args.sarif) == ("x.xml", "y")
    args = p.parse_args(["ci", "--junit", "x.xml"])
    assert args.junit == "x.xml"


def test_a_verb_without_properties_gets_one_case(tmp_path: Path, junit_schema: Any) -> None:
    j = tmp_path / "j.xml"
    code = main(
        [
            "linearizable",
            str(ROOT / "traces" / "histories" / "stale-read.edn"),
            "--object",
            "cas-register",
            "--quiet",
            "--junit",
            str(j),
        ]
    )
    assert code == 1
    junit_schema.validate(str(j))
    import xml.etree.ElementTree as ET

    (case,) = ET.parse(j).getroot().findall("./testsuite/testcase")
    assert case.get("name") == "linearizable" and case.find("failure") is not None


def test_bad_report_path_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a-file").write_text("", encoding="utf-8")
    code = main(["presets", "--junit", str(tmp_path / "a-file" / "j.xml")])
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--junit" in err[0]


def test_replay_divergence_and_violation_in_sarif(tmp_path: Path, sarif_schema: Any) -> None:
    s = tmp_path / "s.sarif"
    assert (
        main(["replay", str(EXAMPLES / "figure8-raft.itf.json"), "--quiet", "--sarif", str(s)]) == 1
    )
    log = json.loads(s.read_text(encoding="utf-8"))
    jsonschema.validate(log, sarif_schema)
    (result,) = log["runs"][0]["results"]
    assert result["ruleId"] == "Divergence"
    flow = result["codeFlows"][0]["threadFlows"][0]["locations"]
    assert len(flow) == 18  # up to the step where the trace leaves the model (manifest: 18)


def test_github_step_summary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n", encoding="utf-8")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    code = main(["replay", str(EXAMPLES / "figure8-bug.itf.json"), "--quiet"])
    assert code == 1
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("earlier step\n### raftcheck\n")  # appended, not overwritten
    assert "**VIOLATION**" in text and "**LeaderCompleteness**" in text


def test_handler_of_a_stale_request_vote_is_the_fencing_code() -> None:
    # The handler that ran, not the one the message type names: a RequestVote from an
    # older term is answered by the fencing code (§5.1).
    trace = itf.read_trace(EXAMPLES / "term-29-election.itf.json")
    st = trace.steps[-1].state
    stale = RequestVote(source=1, dest=2, term=3, lastLogIndex=0, lastLogTerm=0)
    assert source.handler_location(st, Receive(stale), trace.config).function == "apply"
    st = st._replace(network=st.network | {stale})
    loc = source.handler_location(st, Receive(stale), trace.config)
    assert loc.function == "_fence"
    assert _source_line(loc.path, loc.start).startswith("def _fence(")
    fresh = RequestVote(source=1, dest=3, term=30, lastLogIndex=2, lastLogTerm=28)
    st = st._replace(network=st.network | {fresh})
    assert source.handler_location(st, Receive(fresh), trace.config).function == (
        "_on_request_vote"
    )


def test_record_round_trips_through_json(double_vote: Path) -> None:
    trace = itf.read_trace(double_vote / "dv.itf.json")
    rec = Record("check", "raftcheck check", exit=1, properties=ALL_NAMES)
    rec.findings.append(
        Finding("ElectionSafety", "two leaders", trace, double_vote / "dv.itf.json")
    )
    back = from_json(json.loads(json.dumps(to_json(rec))))
    assert back.findings[0].trace == trace
    assert [c.verdict for c in back.testcases()][:1] == [Verdict.FAIL]
    # Same record, same SARIF bytes (no clock in it).
    assert sarif.render([rec], "x") == sarif.render([back], "x")
    assert junit.render([rec]).count("<testcase") == len(ALL_NAMES)
