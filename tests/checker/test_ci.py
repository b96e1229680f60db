"""``raftcheck ci``: the job list, the summary table, the worst verdict, the combined JUnit
(a testsuite per job) and SARIF, and the repository's own job list."""

from __future__ import annotations

import json
import re
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from checker.commands import build_parser, main
from checker.commands.ci import _load
from tests.support import EXAMPLES, ROOT


@pytest.fixture(autouse=True)
def _this_checkout(monkeypatch: pytest.MonkeyPatch) -> None:
    # The jobs are subprocesses (python -m checker.cli): they import this checkout.
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)


def _config(tmp_path: Path, jobs: str) -> Path:
    p = tmp_path / "raftcheck.toml"
    p.write_text(jobs, encoding="utf-8")
    return p


T29 = str(EXAMPLES / "term-29-election.itf.json")
F8 = str(EXAMPLES / "figure8-bug.itf.json")


def test_ci_runs_jobs_prints_a_table_and_exits_with_the_worst(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    cfg = _config(
        tmp_path,
        f"""
[[jobs]]
name = "figure 8 caught"
run = ["replay", "{F8}", "--quiet"]
expect = "violation"

[[jobs]]
name = "term-29 is no bug"
run = ["replay", "{T29}", "--quiet"]
expect = "violation"

[[jobs]]
name = "typo"
run = ["check", "--modle", "default"]
""",
    )
    j, s = tmp_path / "ci.xml", tmp_path / "ci.sarif"
    code = main(["ci", "--config", str(cfg), "--junit", str(j), "--sarif", str(s)])
    out = capsys.readouterr().out
    # An error (a job that could not run) outranks a violation; an expected violation
    # that did not happen is one.
    assert code == 2
    table = out[out.index("job  ") :]
    assert re.search(r"figure 8 caught\s+pass\s+1\s+violation", table)
    assert "caught: VIOLATION: LeaderCompleteness" in table
    assert "NOT caught: OK" in table
    assert re.search(r"typo\s+ERROR\s+2", table)
    assert "ERROR: 3 of 3 jobs ran: 1 pass, 1 violation, 0 inconclusive, 1 error" in out
    suites = ET.parse(j).getroot().findall("testsuite")
    assert [x.get("name") for x in suites] == ["figure 8 caught", "term-29 is no bug", "typo"]
    assert [(x.get("failures"), x.get("errors")) for x in suites] == [
        ("0", "0"),
        ("1", "0"),
        ("0", "1"),
    ]
    # An expected violation is not a code-scanning alert.
    run = json.loads(s.read_text(encoding="utf-8"))["runs"][0]
    assert [r["ruleId"] for r in run["results"]] == ["replay"]
    assert len(run["invocations"]) == 3
    # Under GitHub Actions: one summary, written by ci (not by its jobs), a row per job.
    rows = [r for r in summary.read_text(encoding="utf-8").splitlines() if r.startswith("| `")]
    assert [r.split("`")[1] for r in rows] == ["figure 8 caught", "term-29 is no bug", "typo"]
    assert "caught: VIOLATION: LeaderCompleteness" in rows[0]


@pytest.mark.slow
def test_ci_timeouts_are_inconclusive(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = _config(
        tmp_path,
        """
[[jobs]]
name = "long search"
run = ["check", "--model", "three-terms", "--quiet"]
timeout = 3

""",
    )
    assert main(["ci", "--config", str(cfg)]) == 3
    out = capsys.readouterr().out
    assert re.search(r"long search\s+INCONCLUSIVE\s+3", out)
    assert "timeout 3s" in out


def test_the_worst_verdict_order() -> None:
    from checker.commands.ci import EXPECT, Job, _verdict, _worst

    bug = Job("bug", ("check",), EXPECT["violation"], None)
    ok = Job("ok", ("check",), EXPECT["pass"], None)
    assert [_verdict(bug, c) for c in (0, 1, 2, 3, 4)] == [1, 0, 2, 3, 4]
    assert [_verdict(ok, c) for c in (0, 1, 2, 3, 4)] == [0, 1, 2, 3, 4]
    assert _worst([0, 3, 1, 0]) == 1
    assert _worst([0, 3, 0]) == 3
    assert _worst([1, 2, 3]) == 2
    assert _worst([1, 4, 2]) == 4
    assert _worst([]) == 0


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("", "no jobs"),
        ('[[jobs]]\nname = "x"\n', "'run' must be a list"),
        ('[[jobs]]\nname = "x"\nrun = ["check"]\nbudget = 3\n', "unknown key(s) budget"),
        ('[[jobs]]\nname = "x"\nrun = ["check"]\nexpect = "fail"\n', "'expect' is one of"),
        ('[[jobs]]\nname = "x"\nrun = ["ci"]\n', "cannot run ci"),
        ("jobs = [", "not valid TOML"),
    ],
)
def test_bad_job_lists_are_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, complaint: str
) -> None:
    cfg = _config(tmp_path, text)
    assert main(["ci", "--config", str(cfg)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and complaint in err[0]


def test_this_repositorys_job_list_parses() -> None:
    path, jobs = _load(ROOT / "pyproject.toml")
    assert path.name == "pyproject.toml" and len(jobs) >= 5
    doc = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert len(doc["tool"]["raftcheck"]["jobs"]) == len(jobs)
    parser = build_parser()
    for job in jobs:
        args = parser.parse_args(list(job.argv))  # every job is a valid command line
        assert args.verb == job.argv[0]
    assert {j.argv[0] for j in jobs} >= {"check", "replay", "tlc", "crosscheck", "prove"}
