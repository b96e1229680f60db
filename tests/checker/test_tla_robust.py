"""checker.tla when TLC misbehaves or the run is cut short, and where the spec comes from.

A TLC run is a verdict only when TLC reported how it ended: a fake ``java`` first on
PATH stands for a TLC that did not. Signals to ``raftcheck tlc`` leave no file behind.
The spec modules ship in the package (checker/tla/spec/, equal to spec/). One server
runs without SYMMETRY. A trace's first state must satisfy the invariants under TLC.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from checker.cli import main
from checker.tla import jar
from checker.tla import run as tlc_run
from checker.tla.cfg import cfg_text
from checker.traces import itf
from raftmodel.actions import Restart
from raftmodel.cluster import Bounds, Config, Election, apply
from raftmodel.types import Role

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "traces" / "examples"
GOOD_TRACE = EXAMPLES / "term-29-election.itf.json"

needs_java = pytest.mark.skipif(shutil.which("java") is None, reason="no Java on this machine")


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def _fake_java(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, body: str) -> None:
    """A ``java`` running the shell script ``body``, first on PATH."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    java = bin_dir / "java"
    java.write_text("#!/bin/sh\n" + body)
    java.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")


VERBS = [
    ["tlc", "--model", "elections"],
    ["crosscheck", "--model", "elections"],
    ["validate", "--tlc", str(GOOD_TRACE)],
]


# --- 1. a run that did not report completion is no verdict -------------------------------------


@pytest.mark.parametrize("argv", VERBS, ids=lambda a: a[0])
def test_a_java_that_exits_0_without_checking_is_no_pass(
    argv: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _fake_java(tmp_path, monkeypatch, 'echo "hello from a fake java"\nexit 0\n')
    code, out, err = _run(argv, capsys)
    assert (code, out) == (2, ""), out
    assert err.splitlines() == [
        f"raftcheck {argv[0]}: error: TLC exited 0 without reporting completion: "
        "last line 'hello from a fake java'"
    ]


#: A TLC that says it completed but not what it counted, then exits 0.
HALF_DONE = """\
echo "Starting... (2026-01-01 00:00:00)"
echo "Computing initial states..."
echo "Model checking completed. No error has been found."
echo "Finished in 00s at (2026-01-01 00:00:00)"
exit 0
"""


@pytest.mark.parametrize("argv", VERBS, ids=lambda a: a[0])
def test_a_run_without_its_counts_is_no_verdict(
    argv: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _fake_java(tmp_path, monkeypatch, HALF_DONE)
    code, out, err = _run(argv, capsys)
    assert code == 2, out
    assert not any(w in out for w in ("PASS", "OK", "REJECTED", "MISMATCH")), out
    assert "TLC exited 0 without reporting completion: last line 'Finished in" in err
    assert len(err.splitlines()) == 1


def test_an_empty_state_dump_is_no_agreement(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A complete-looking run that found and dumped nothing: not a crosscheck verdict."""
    body = HALF_DONE.replace(
        'echo "Finished in',
        'echo "0 states generated, 0 distinct states found, 0 states left on queue."\n'
        ': > states.dump\necho "Finished in',
    )
    _fake_java(tmp_path, monkeypatch, body)
    code, out, err = _run(["crosscheck", "--model", "elections"], capsys)
    assert code == 2 and "PASS" not in out and "MISMATCH" not in out, out
    assert err.splitlines() == [
        "raftcheck crosscheck: error: TLC's state dump is empty (TLC reported 0 distinct states)"
    ]


@pytest.mark.parametrize("argv", VERBS, ids=lambda a: a[0])
def test_a_tlc_killed_by_a_signal_is_inconclusive(
    argv: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _fake_java(tmp_path, monkeypatch, 'echo "Computing initial states..."\nkill -KILL $$\n')
    code, out, err = _run(argv, capsys)
    assert code == 3, out
    assert not any(w in out for w in ("PASS", "OK", "REJECTED", "MISMATCH")), out
    assert len(err.splitlines()) == 1 and "inconclusive" in err, err


def test_settled_reads_a_violation_of_the_initial_state() -> None:
    """TLC lists a state violating an invariant at Init without a header or counts."""
    lines = [
        "Computing initial states...",
        "Error: Invariant Unmatched is violated by the initial state:",
        "/\\ pos = 1",
        "/\\ restarts = 0",
        "",
        "Finished in 00s at (2026-01-01 00:00:00)",
    ]
    res = tlc_run.settled(tlc_run.parse_output(12, lines, 0.0))
    assert res.violation == "Unmatched"
    assert [r.vars for r in res.trace] == [{"pos": "1", "restarts": "0"}]
    with pytest.raises(jar.TLCError, match="exited 12 without reporting completion"):
        tlc_run.settled(tlc_run.parse_output(12, lines[:-1], 0.0))


# --- 2. signals leave nothing behind ---------------------------------------------------------


@needs_java
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_stops_tlc_and_leaves_no_file(sig: signal.Signals, tmp_path: Path) -> None:
    """The child's TMPDIR is private, and so is its JVM's default temporary directory
    (JAVA_TOOL_OPTIONS, as on a machine where java.io.tmpdir is TMPDIR): TLC's workdir
    and the standard modules TLC extracts (Naturals.tla, TLC.tla, ...) must be gone."""
    private = tmp_path / "tmp"
    private.mkdir()
    env = {
        **os.environ,
        "TMPDIR": str(private),
        "JAVA_TOOL_OPTIONS": f"-Djava.io.tmpdir={private}",
        "PYTHONPATH": str(ROOT),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "checker.cli", "tlc", "--model", "terms"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # A suite started with `&` passes SIGINT on ignored, and Python then installs no
        # KeyboardInterrupt: the child would never see this test's Ctrl-C.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        assert proc.stdout is not None
        # The header is printed when TLC starts computing initial states: parsed, with its
        # standard modules extracted. The terms preset takes TLC minutes from there.
        for line in proc.stdout:
            if line.startswith("tlc: model terms"):
                break
        else:
            pytest.fail(f"TLC did not start: {proc.wait()} {proc.stderr and proc.stderr.read()}")
        assert list(private.iterdir()), "the run's directory should exist while TLC runs"
        proc.send_signal(sig)
        code = proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    err = proc.stderr.read() if proc.stderr else ""
    assert code == 3, err
    assert "raftcheck tlc: interrupted (inconclusive)" in err
    assert sorted(p.name for p in private.rglob("*")) == []


# --- 3. one server -------------------------------------------------------------------------


def test_one_server_has_no_symmetry_clause() -> None:
    config = Config(3, Bounds(max_term=1, max_log=0, max_restarts=0, max_requests=0, values=(1,)))
    cfg = cfg_text(config._replace(n=1))
    assert "SYMMETRY" not in cfg and "Server = {s1}" in cfg
    assert "SYMMETRY Perms" in cfg_text(config._replace(n=2))


@needs_java
def test_tlc_runs_one_server(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """One server elects itself: Init and the leader of term 1, as raftmodel says."""
    js = tmp_path / "s.json"
    code, out, err = _run(
        ["tlc", "--model", "elections", "--servers", "1", "--json", str(js)], capsys
    )
    assert code == 0, out + err
    assert "PASS" in out
    assert json.loads(js.read_text())["distinct"] == 2
    code, out, _ = _run(["check", "--model", "elections", "--servers", "1"], capsys)
    assert code == 0 and "stats: 2 distinct states" in out


# --- 4. the spec ships in the package ------------------------------------------------------------


@pytest.mark.parametrize("name", ["Raft.tla", "MCRaft.tla"])
def test_the_packaged_spec_is_the_repositorys(name: str) -> None:
    packaged = jar.packaged_spec_file(name)
    assert packaged.read_text() == (jar.SPEC_DIR / name).read_text(), (
        f"{packaged} differs from spec/{name}: run "
        "python -c 'from checker.tla.jar import sync_packaged_spec as s; print(s())'"
    )


def test_sync_packaged_spec_rewrites_a_drifted_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(jar, "PACKAGED_SPEC", str(tmp_path / "spec"))
    assert jar.sync_packaged_spec() == ["Raft.tla", "MCRaft.tla"]
    (tmp_path / "spec" / "Raft.tla").write_text("---- MODULE Raft ----\n====\n")
    assert jar.sync_packaged_spec() == ["Raft.tla"]
    assert jar.sync_packaged_spec() == []
    for name in jar.SPEC_MODULES:
        assert (tmp_path / "spec" / name).read_bytes() == (jar.SPEC_DIR / name).read_bytes()


def test_the_packaged_spec_is_package_data() -> None:
    """pyproject ships checker/tla/spec/*.tla in the wheel (pip install . has no spec/)."""
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = data["tool"]["setuptools"]["package-data"]["checker.tla"]
    shipped = {p.name for pat in patterns for p in (ROOT / "checker" / "tla").glob(pat)}
    assert set(jar.SPEC_MODULES) <= shipped


def test_without_the_repository_the_packaged_spec_is_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(jar, "SPEC_DIR", tmp_path / "no-spec")
    for name in jar.SPEC_MODULES:
        assert jar.spec_file(name) == jar.packaged_spec_file(name)
    monkeypatch.setattr(jar, "PACKAGED_SPEC", "nowhere")
    with pytest.raises(jar.TLCError, match=r"spec file not found: .*no-spec/Raft\.tla"):
        jar.spec_file("Raft.tla")


@needs_java
def test_tlc_runs_from_an_installed_layout(tmp_path: Path) -> None:
    """The packages alone, as a wheel installs them (no spec/ beside them), run TLC."""
    site = tmp_path / "site"
    for pkg in ("checker", "raftmodel"):
        shutil.copytree(ROOT / pkg, site / pkg, ignore=shutil.ignore_patterns("__pycache__"))
    assert not (site / "spec").exists()
    proc = subprocess.run(
        [sys.executable, "-m", "checker.cli", "tlc", "--model", "elections"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(site)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "stats: 121 distinct states" in proc.stdout


# --- 6. validate checks the first state ---------------------------------------------------------


def _two_leaders_trace(path: Path) -> None:
    """term-29-election's first state with S2 a second leader of term 28 (elections
    {(28, 1), (28, 2)}), then S1 restarts as in the story."""
    good = itf.read_trace(GOOD_TRACE)
    s0 = good.steps[0].state
    n2 = s0.nodes[1]._replace(
        role=Role.LEADER, votedFor=2, votesGranted=frozenset({2, 3}), nextIndex=(3, 3, 3)
    )
    s0 = s0._replace(
        nodes=(s0.nodes[0], n2, s0.nodes[2]),
        elections=frozenset({Election(28, 1), Election(28, 2)}),
    )
    s1 = apply(s0, Restart(1), good.config)
    assert s1 is not None
    itf.write_trace(path, itf.make_trace(good.config, [s0, s1], [Restart(1)], from_init=False))


@needs_java
def test_validate_rejects_a_first_state_with_two_leaders_of_one_term(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "two-leaders.itf.json"
    _two_leaders_trace(path)
    assert itf.read_trace(path).steps[0].action is None
    js = tmp_path / "v.json"
    code, out, err = _run(["validate", "--tlc", str(path), "--json", str(js)], capsys)
    assert code == 1, out + err
    assert "REJECTED: TLC cannot match the first state: it breaks ElectionSafety" in out
    summary = json.loads(js.read_text())
    assert summary["first_unmatched_step"] == 0
    assert summary["broken_invariant"] == "ElectionSafety"


@needs_java
def test_validate_still_accepts_a_good_trace_that_starts_mid_run(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = _run(["validate", "--tlc", str(GOOD_TRACE)], capsys)
    assert code == 0, out
    assert "OK: TLC matched all 4 steps" in out
