"""What every verb shares (checker/commands/common.py), as a user meets it: a closed
stdout, ``--json -``, SIGTERM, unwritable outputs, refused options, internal errors."""

from __future__ import annotations

import gc
import importlib
import json
import os
import signal
import subprocess
import sys
import time
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support import EXAMPLES, ROOT

Cli = Callable[..., subprocess.CompletedProcess[str]]


def test_a_closed_stdout_keeps_the_verdicts_exit_code() -> None:
    # ``raftcheck check --mutant double_vote --quiet | head -1``: head exits after one
    # line; the violation must still exit 1.
    cmd = (
        f"{sys.executable} -m checker.cli check --model elections --mutant double_vote "
        '--quiet --out /dev/null | head -1; echo "status=${PIPESTATUS[0]}"'
    )
    r = subprocess.run(
        ["bash", "-c", cmd],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=300,
    )
    assert r.stdout.strip().splitlines()[-1] == "status=1", r.stdout + r.stderr
    assert "Traceback" not in r.stderr and "BrokenPipe" not in r.stderr


def test_json_dash_is_alone_on_stdout(cli: Cli) -> None:
    r = cli("check", "--model", "elections", "--json", "-")
    assert r.returncode == 0
    summary = json.loads(r.stdout)
    assert summary["distinct"] == 34 and summary["exit"] == 0
    assert "PASS" in r.stderr
    r = cli("replay", str(EXAMPLES / "figure8-bug.itf.json"), "--json", "-")
    assert r.returncode == 1 and json.loads(r.stdout)["violation"]["step"] == 22


@pytest.mark.parametrize("workers", ["1", "2"])
@pytest.mark.parametrize("how", ["ctrl-c", "sigterm"])
def test_an_interrupt_ends_check_with_the_statistics_so_far(how: str, workers: str) -> None:
    p = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "checker.cli",
            "check",
            "--model",
            "two-terms",
            "--workers",
            workers,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        start_new_session=True,
        # A job started with `&` inherits SIGINT ignored, and Python then installs no
        # KeyboardInterrupt handler: give the child the default a terminal would.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    time.sleep(4)
    if how == "ctrl-c":
        os.killpg(p.pid, signal.SIGINT)  # as a terminal's Ctrl-C: the whole process group
    else:
        p.send_signal(signal.SIGTERM)  # to raftcheck alone, as a CI timeout does
    out, err = p.communicate(timeout=120)
    assert p.returncode == 3, out + err
    assert "INCONCLUSIVE: interrupted (Ctrl-C or SIGTERM)" in out and "stats: " in out
    assert "Traceback" not in err and "BrokenPipe" not in err, err


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["check", "--model", "elections", "--out", "/proc/x.json"], "--out '/proc/x.json'"),
        (["check", "--model", "elections", "--json", "{tmp}"], "is a directory"),
        (["check", "--model", "elections", "--graph", "/proc/g.dot"], "--graph"),
        (["simulate", "--out", "{tmp}"], "is a directory"),
        (["replay", str(EXAMPLES / "term-29-election.itf.json"), "--json", "{tmp}"], "directory"),
        (["check", "--time-limit", "-1"], "positive number of seconds"),
        (["check", "--time-limit", "0"], "positive number of seconds"),
        (["check", "--time-limit", "nan"], "positive number of seconds"),
        (["prove", "--timeout", "nan"], "positive number of seconds"),
        (["bmc", "--mutant", "figure8_commit", "--depth", "3", "--timeout", "nan"], "seconds"),
        (["check", "--servers", "100000"], "at most 64 servers"),
        (["check", "--seed", "3"], "--seed does nothing with --strategy bfs"),
        (["check", "--strategy", "swarm", "--max-states", "9"], "--max-states does nothing"),
        (["check", "--strategy", "swarm", "--stats"], "--stats does nothing"),
        (["check", "--max-copies", "2"], "--max-copies bounds the bag network"),
        (["simulate", "--max-copies", "2"], "--max-copies bounds the bag network"),
        (["check", "--workers", "1000"], "at most 64 workers"),
        (["tlc", "--model", "elections", "--out", "/proc/x.json"], "--out '/proc/x.json'"),
        (["tlc", "--model", "elections", "--keep", "/etc/hostname"], "not a directory"),
        (["crosscheck", "--model", "elections", "--json", "{tmp}"], "is a directory"),
        (["bmc", "--mutant", "figure8_commit", "--depth", "3", "--out", "{tmp}"], "directory"),
    ],
)
def test_refused_before_any_work(cli: Cli, tmp_path: Path, args: list[str], needle: str) -> None:
    r = cli(*(a.replace("{tmp}", str(tmp_path)) for a in args))
    assert r.returncode == 2, r.stdout + r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0], r.stderr
    assert "PASS" not in r.stdout and "VIOLATION" not in r.stdout


def test_an_output_under_a_missing_directory_is_created(cli: Cli, tmp_path: Path) -> None:
    out = tmp_path / "a" / "b" / "cex.json"
    r = cli(
        "check", "--model", "elections", "--mutant", "double_vote", "--quiet", "--out", str(out)
    )
    assert r.returncode == 1 and out.is_file()


def test_files_follow_the_umask(tmp_path: Path) -> None:
    out = tmp_path / "cex.json"
    r = subprocess.run(
        [
            "bash",
            "-c",
            f"umask 022 && {sys.executable} -m checker.cli check --model elections "
            f"--mutant double_vote --quiet --out {out}",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=300,
    )
    assert r.returncode == 1, r.stderr
    assert out.stat().st_mode & 0o777 == 0o644


def test_an_internal_error_is_one_line_and_exit_4(monkeypatch: pytest.MonkeyPatch) -> None:
    from checker.commands import common

    def broken(_args: object) -> int:
        raise KeyError("a bug")

    code = common.run("check", broken, __import__("argparse").Namespace())
    assert code == common.Exit.INTERNAL == 4


@pytest.mark.parametrize(
    "args",
    [["mutants"], ["presets"], ["prove", "--encoding", "election", "--no-vacuity"]],
)
def test_an_ascii_terminal_gets_escapes_not_a_traceback(cli: Cli, args: list[str]) -> None:
    r = cli(*args, env={"PYTHONIOENCODING": "ascii"})
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr


def test_the_console_script_returns_the_verbs_exit_code_and_freezes_the_heap(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # pyproject's [project.scripts] entry: main's exit code, then the heap frozen so that
    # the interpreter's last collections skip the search's caches on the way out.
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    module, name = scripts["raftcheck"].split(":")
    entry = getattr(importlib.import_module(module), name)
    out = tmp_path / "trace.itf.json"
    argv = ["raftcheck", "check", "--model", "elections", "--mutant", "double_vote"]
    monkeypatch.setattr(sys, "argv", [*argv, "--quiet", "--out", str(out)])
    gc.unfreeze()
    try:
        assert entry() == 1 and out.exists()
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
