"""``raftcheck linearizable`` as a user runs it: exit codes 0/1/2/3, the picture, --json."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from checker.linearizability import formats, generate
from checker.linearizability.history import Event
from tests.support import ROOT
from tests.support import run_cli as run


def _write(path: Path, events: list[Event], fmt: str = "edn") -> str:
    path.write_text("\n".join(formats.WRITERS[fmt](e) for e in events) + "\n")
    return str(path)


@pytest.fixture(scope="module")
def histories(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    d = tmp_path_factory.mktemp("histories")
    ok = generate.simulate(1, 200, clients=4, info_rate=0.05)
    bad, _ = generate.inject(ok, 2)
    kv = generate.simulate(2, 300, clients=4, keys=3, cas=True)
    kv_bad, _ = generate.inject(kv, 1)
    return {
        "ok": _write(d / "ok.edn", ok),
        "bad": _write(d / "bad.edn", bad),
        "bad_log": _write(d / "bad.log", bad, "log"),
        "kv_bad": _write(d / "kv.jsonl", kv_bad, "json"),
    }


@pytest.mark.parametrize(
    ("name", "obj", "code", "needle"),
    [
        ("stale-read.edn", "cas-register", 1, "cannot be placed: #4 p3 read → 1 (lines 10-11)"),
        ("kv.jsonl", "kv", 0, "OK: linearizable as a kv; 2 of 2 parts searched"),
    ],
)
def test_the_example_histories(name: str, obj: str, code: int, needle: str) -> None:
    r = run("linearizable", str(ROOT / "traces" / "histories" / name), "--object", obj)
    assert r.returncode == code, r.stdout + r.stderr
    assert needle in r.stdout


def test_a_linearizable_history_exits_0(histories: dict[str, str]) -> None:
    r = run("linearizable", histories["ok"])
    assert r.returncode == 0, r.stderr
    assert "OK: linearizable as a register" in r.stdout
    assert "200 operations" in r.stdout


def test_a_violation_exits_1_with_prefix_blocked_operation_and_picture(
    histories: dict[str, str],
) -> None:
    r = run("linearizable", histories["bad"])
    assert r.returncode == 1, r.stderr
    out = r.stdout
    assert "is not linearizable: the longest linearizable prefix has" in out
    assert "cannot be placed: #" in out and "read → -1" in out
    assert "CANNOT BE PLACED" in out and "=]" in out  # the blocked bar
    assert "VIOLATION: not linearizable as a register" in out.splitlines()[-1]
    # The log of the same history says the same, byte for byte after the first line.
    log = run("linearizable", histories["bad_log"])
    assert log.returncode == 1
    assert log.stdout.splitlines()[1:-1] == out.splitlines()[1:-1]
    quiet = run("linearizable", histories["bad"], "--quiet")
    assert "CANNOT BE PLACED" not in quiet.stdout and "cannot be placed" in quiet.stdout


def test_kv_names_the_key_and_json_carries_the_picture(histories: dict[str, str]) -> None:
    r = run("linearizable", histories["kv_bad"], "--object", "kv", "--json", "-")
    assert r.returncode == 1, r.stderr
    summary = json.loads(r.stdout)
    assert summary["verdict"] == "VIOLATION" and summary["exit"] == 1
    (bad,) = [p for p in summary["parts"] if p["verdict"] == "VIOLATION"]
    assert bad["blocked"]["operation"].endswith("read → -1")
    assert {b["role"] for b in bad["picture"]["bars"]} >= {"blocked", "linearized"}
    assert "VIOLATION" in r.stderr


def test_the_same_history_prints_the_same_bytes(histories: dict[str, str]) -> None:
    a = run("linearizable", histories["bad"])
    b = run("linearizable", histories["bad"])
    # All but the verdict line, which ends with the wall time.
    assert a.stdout.splitlines()[:-1] == b.stdout.splitlines()[:-1]
    assert len(a.stdout.splitlines()) > 10


def test_a_budget_exits_3_never_0(histories: dict[str, str]) -> None:
    r = run("linearizable", histories["ok"], "--max-cache", "5")
    assert r.returncode == 3, r.stdout + r.stderr
    assert "UNKNOWN: cache budget of 5 configurations reached" in r.stdout


@pytest.mark.parametrize(
    ("text", "args", "needle"),
    [
        ("{:process 0, :type :invoke, :f :write, :value 1}\n{:process 0 :type :ok", [], ":2:"),
        ("{:process 0, :type :ok, :f :write, :value 1}\n", [], "completes nothing"),
        ("{:process 0, :type :invoke, :f :write, :value 1}\n", ["--object", "nope"], "nope"),
        ("{:process 0, :type :invoke, :f :write, :value 1}\n", ["--time-limit", "0"], "positive"),
        ("", [], "empty"),
        ("{:process 0, :type :invoke, :f :write, :value 1}\n", ["--json", "/"], "directory"),
        ("{:process 0, :type :invoke, :f :cas, :value 1}\n", ["--object", "cas-register"], ":1:"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    tmp_path: Path, text: str, args: list[str], needle: str
) -> None:
    h = tmp_path / "h.edn"
    h.write_text(text)
    r = run("linearizable", str(h), *args)
    assert r.returncode == 2, r.stdout + r.stderr
    assert needle in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert "Traceback" not in r.stderr


def test_stdin() -> None:
    text = "\n".join(formats.to_json(e) for e in generate.simulate(3, 50, clients=3, keys=2))
    r = subprocess.run(
        [sys.executable, "-m", "checker.cli", "linearizable", "-", "--object", "kv"],
        input=text,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("<stdin>: 50 operations")
