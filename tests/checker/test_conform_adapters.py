"""A misbehaving implementation fails the scenario it misbehaves in, with one clear
line, and the run goes on: each adapter here is raftmodel's reference adapter in a tiny
script that misbehaves on client requests only (so some scenarios pass, some fail)."""

from __future__ import annotations

import shutil
import sys
import textwrap
import time
from pathlib import Path

import pytest

from checker.conform import runner
from tests.support import ROOT, run_cli

SUITE = runner.load(ROOT / "traces" / "conformance")
#: A scenario with a client request and one without (the adapters misbehave on requests).
WITH = next(s.name for s in SUITE if any(e.op["op"] == "client_request" for e in s.steps))
WITHOUT = next(s.name for s in SUITE if all(e.op["op"] != "client_request" for e in s.steps))

TEMPLATE = """\
import json, os, sys, time
sys.path.insert(0, {root!r})
from checker.conform.adapter import ReferenceAdapter, handle
adapter = ReferenceAdapter()
for line in sys.stdin:
    req = json.loads(line)
    rep = handle(adapter, req)
    if req.get("op") == "client_request":
{misbehave}
    print(json.dumps(rep), flush=True)
"""

MISBEHAVIOURS = {
    "crash": ("os._exit(7)", "the adapter exited (exit code 7)"),
    "crash-with-log": (
        "sys.stderr.write('panic: index out of range\\n'); sys.stderr.flush(); os._exit(2)",
        "(stderr: panic: index out of range)",
    ),
    "exit-early": ("sys.exit(0)", "the adapter exited (exit code 0)"),
    "hang": ("time.sleep(120)", "did not answer within 1s"),
    "close-stdout": ("os.close(1); time.sleep(120)", "the adapter closed its stdin or stdout"),
    "garbage": ("rep = None; print('}}{{not json', flush=True); continue", "not JSON"),
    "log-on-stdout": (
        "print('handling a client request', flush=True)",
        "'handling a client request' (logs belong on stderr)",
    ),
    "missing-field": ("del rep['state']['commitIndex']", "missing field 'commitIndex'"),
    "extra-field": ("rep['state']['leaderId'] = 1", "unexpected field 'leaderId'"),
    "bad-message": (
        "rep['sent'] = [{'src': 1, 'dest': 2, 'body': {'type': 'Ping'}}]",
        "unknown message type",
    ),
    "wrong-reply-id": ("rep['in_reply_to'] = -1", "in_reply_to: expected"),
}


def _script(tmp_path: Path, misbehave: str) -> Path:
    p = tmp_path / "adapter.py"
    body = textwrap.indent(misbehave, " " * 8)
    p.write_text(TEMPLATE.format(root=str(ROOT), misbehave=body))
    return p


@pytest.mark.parametrize("kind", sorted(MISBEHAVIOURS))
def test_a_misbehaving_adapter_fails_that_scenario_and_the_run_goes_on(
    kind: str, tmp_path: Path
) -> None:
    code, needle = MISBEHAVIOURS[kind]
    script = _script(tmp_path, code)
    started = time.monotonic()
    r = run_cli(
        "conform",
        "--scenario",
        WITH,
        "--scenario",
        WITHOUT,
        "--scenario",
        WITH + "",
        "--step-timeout",
        "1",
        "--out",
        str(tmp_path / "out"),
        "--adapter",
        sys.executable,
        str(script),
        timeout=60,
    )
    assert time.monotonic() - started < 30
    assert r.returncode == 1, r.stdout + r.stderr
    assert "Traceback" not in r.stdout + r.stderr
    fail_lines = [ln for ln in r.stdout.splitlines() if ln.startswith("FAIL ")]
    assert len(fail_lines) == 1, r.stdout
    assert fail_lines[0].startswith(f"FAIL {WITH}: adapter failure at step ")
    assert needle in fail_lines[0], fail_lines[0]
    # The scenario after it ran on a fresh adapter and passed.
    assert "FAIL: 1 of 2 scenarios pass" in r.stdout


def test_the_adapter_is_started_without_a_shell(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    script = tmp_path / "echo args.py"
    script.write_text(
        "import json, sys\n"
        f"open({str(tmp_path / 'argv.json')!r}, 'w').write(json.dumps(sys.argv[1:]))\n"
    )
    weird = f"$(touch {marker}); `touch {marker}` | > {marker}"
    r = run_cli(
        "conform",
        "--scenario",
        WITHOUT,
        "--out",
        str(tmp_path / "o"),
        "--adapter",
        sys.executable,
        str(script),
        weird,
    )
    assert r.returncode == 1
    assert not marker.exists()
    import json

    assert json.loads((tmp_path / "argv.json").read_text()) == [weird]
    assert "the adapter exited (exit code 0)" in r.stdout


def test_an_adapter_that_cannot_start_is_bad_input() -> None:
    r = run_cli("conform", "--adapter", "/nonexistent/adapter", "--x")
    assert r.returncode == 2
    assert r.stderr.strip().splitlines() == [
        "raftcheck conform: error: cannot start the adapter '/nonexistent/adapter': "
        "No such file or directory"
    ]


def test_a_bad_suite_is_bad_input(tmp_path: Path) -> None:
    (tmp_path / "x.itf.json").write_text("{}")
    r = run_cli("conform", "--suite", str(tmp_path), "--adapter", sys.executable)
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1
    assert "x.itf.json" in r.stderr or "$" in r.stderr


def _doc_example() -> str:
    text = (ROOT / "docs" / "conformance.md").read_text(encoding="utf-8")
    start = text.index("```javascript\n") + len("```javascript\n")
    return text[start : text.index("```\n", start)]


@pytest.mark.skipif(shutil.which("node") is None, reason="node (JavaScript) is not installed")
def test_the_worked_example_in_javascript_passes_and_a_bug_in_it_is_caught(tmp_path: Path) -> None:
    js = _doc_example()
    good = tmp_path / "raft-adapter.js"
    good.write_text(js)
    r = run_cli("conform", "--quiet", "--out", str(tmp_path / "o"), "--adapter", "node", str(good))
    assert r.returncode == 0, r.stdout + r.stderr
    assert f"PASS: {len(SUITE)} of {len(SUITE)} scenarios pass" in r.stdout
    assert "implementation raft.js; capabilities silent_vote_refusal" in r.stdout
    cut = "          this.entries.length = i - 1;\n"
    assert js.count(cut) == 1
    bad = tmp_path / "bug.js"
    bad.write_text(js.replace(cut, ""))
    r = run_cli("conform", "--out", str(tmp_path / "o"), "--adapter", "node", str(bad))
    assert r.returncode == 1
    assert "FAIL figure8-01: wrong state at step 11 (Receive(AppendEntries 2->1" in r.stdout
    assert "S1: log expected [[2,1]] got [[1,1]]" in r.stdout


def test_a_time_limit_stops_the_run_inconclusive(tmp_path: Path) -> None:
    r = run_cli(
        "conform",
        "--time-limit",
        "0.001",
        "--quiet",
        "--out",
        str(tmp_path),
        "--adapter",
        sys.executable,
        "-m",
        "checker.cli",
        "adapter",
    )
    assert r.returncode == 3, r.stdout + r.stderr
    assert r.stdout.startswith("INCONCLUSIVE: 1 of 1 scenarios pass")
    assert "stopped: time limit of 0.001s reached" in r.stdout


def test_suite_build_refuses_an_output_that_is_a_file(tmp_path: Path) -> None:
    f = tmp_path / "file"
    f.write_text("x")
    r = run_cli("suite", "build", "--out", str(f))
    assert r.returncode == 2
    assert r.stderr.strip() == f"raftcheck suite: error: --out {str(f)!r} is not a directory"
