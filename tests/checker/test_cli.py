"""The raftcheck command as a user runs it: verbs, exit codes, one-line errors."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from checker import cli
from checker.commands import build_parser
from tests.support import EXAMPLES, ROOT
from tests.support import run_cli as run


def _verbs() -> list[str]:
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return list(sub.choices)


def test_help_on_every_verb() -> None:
    top = run("--help")
    assert top.returncode == 0 and "replay" in top.stdout and "simulate" in top.stdout
    verbs = _verbs()
    assert {"replay", "check", "tlc", "prove", "bmc", "refine", "mutants", "presets"} <= set(verbs)
    for verb in verbs:
        r = run(verb, "--help")
        assert r.returncode == 0, verb
        assert "usage: raftcheck " + verb in r.stdout
        assert verb in top.stdout


def test_version() -> None:
    r = run("--version")
    assert r.returncode == 0 and r.stdout.startswith("raftcheck ")


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["simulate", "--mutant", "nope"], "unknown mutant 'nope'"),
        (["simulate", "--servers", "0"], "must be >= 1"),
        (["simulate", "--max-term", "-1"], "must be >= 0"),
        (["simulate", "--values", "a,b"], "comma-separated integers"),
        (["replay"], "required: TRACE"),
        (["replay", "does-not-exist.json"], "no such file"),
        (["frobnicate"], "invalid choice"),
        (["check", "--model", "figure8", "--max-requests", "1"], "prefix step 8"),
        (["tlc", "--model", "figure8"], "the TLA+ spec starts at Init"),
        (["refine", "--model", "bag"], "set network"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args: list[str], needle: str) -> None:
    r = run(*args)
    assert r.returncode == 2, r
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert needle in lines[0]
    assert "Traceback" not in r.stderr


def test_malformed_trace_is_one_line(tmp_path: Path) -> None:
    obj = json.loads((EXAMPLES / "term-29-election.itf.json").read_text())
    obj["states"][2]["log"]["#map"][0][1] = [{"term": {"#bigint": "x"}, "value": 1}]
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(obj))
    r = run("replay", str(bad))
    assert r.returncode == 2
    assert r.stderr.strip() == (
        "raftcheck replay: error: $.states[2].log[1][0].term: bad #bigint 'x'"
    )


@pytest.mark.parametrize(
    ("trace", "code", "verdict"),
    [
        ("term-29-election", 0, "OK: all 4 steps replay on raft"),
        ("figure8-bug", 1, "VIOLATION: LeaderCompleteness at step 22"),
        ("figure8-raft", 1, "DIVERGES at step 18"),
    ],
)
def test_replay_verdicts(trace: str, code: int, verdict: str) -> None:
    r = run("replay", str(EXAMPLES / f"{trace}.itf.json"))
    assert r.returncode == code, r.stdout + r.stderr
    assert verdict in r.stdout
    assert "S1 " in r.stdout and "step 1:" in r.stdout  # steps are printed legibly


def test_replay_with_other_mutant_and_json(tmp_path: Path) -> None:
    out = tmp_path / "summary.json"
    r = run(
        "replay",
        str(EXAMPLES / "figure8-raft.itf.json"),
        "--mutant",
        "figure8_commit",
        "--quiet",
        "--json",
        str(out),
    )
    assert r.returncode == 1
    summary = json.loads(out.read_text())
    assert summary["violation"]["property"] == "LeaderCompleteness"
    assert summary["conforms"] is True


def test_simulate_clean_run_says_not_exhaustive() -> None:
    r = run("simulate", "--walks", "20", "--depth", "30")
    assert r.returncode == 0, r.stderr
    assert "no violation in 20 walks" in r.stdout
    assert "do not exhaust" in r.stdout


def test_simulate_finds_and_writes_a_replayable_trace(tmp_path: Path) -> None:
    out = tmp_path / "walk.itf.json"
    r = run("simulate", "--mutant", "quorum_off_by_one", "--out", str(out), "--quiet")
    assert r.returncode == 1
    # A quorum of one: an entry is committed on one log of three before two leaders meet.
    assert "VIOLATION: CommittedOnQuorum" in r.stdout
    again = run("replay", str(out), "--quiet")
    assert again.returncode == 1
    assert "VIOLATION: CommittedOnQuorum" in again.stdout


def test_simulate_is_deterministic(tmp_path: Path) -> None:
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    for p in (a, b):
        r = run("simulate", "--mutant", "double_vote", "--seed", "7", "--out", str(p), "--quiet")
        assert r.returncode == 1
    assert a.read_bytes() == b.read_bytes()


def test_time_limit_is_inconclusive() -> None:
    r = run("simulate", "--walks", "100000", "--time-limit", "0.5")
    assert r.returncode == 3
    assert "INCONCLUSIVE" in r.stdout


def test_mutants_listing() -> None:
    r = run("mutants", "--json")
    names = [m["name"] for m in json.loads(r.stdout)["mutants"]]
    assert "figure8_commit" in names and len(names) >= 10
    assert "double_vote" in run("mutants").stdout


def test_main_returns_codes_in_process() -> None:
    assert cli.main(["replay", str(EXAMPLES / "stale-leader-fenced.itf.json"), "--quiet"]) == 0


def test_each_verb_is_registered_by_the_module_the_table_names() -> None:
    """A command line that names its verb imports that verb's module only (``VERBS``):
    the table must name, for every verb, the module that registers it, in the order the
    top-level help lists them."""
    from checker.commands import VERBS, verb_modules

    listed: list[str] = []
    for module in verb_modules():
        sub = argparse.ArgumentParser().add_subparsers()
        module.register(sub)
        for verb in sub.choices:
            assert VERBS[verb] == module.__name__.rsplit(".", 1)[1], verb
            listed.append(verb)
    assert listed == list(VERBS) == _verbs()
    for verb in VERBS:
        assert _verbs_of(verb) == [verb] or VERBS[verb] in ("tla", "prove", "conform", "catalog")
        assert verb in _verbs_of(verb)


def _verbs_of(verb: str) -> list[str]:
    sub = next(a for a in build_parser(verb)._actions if isinstance(a, argparse._SubParsersAction))
    return list(sub.choices)


def test_a_command_imports_its_own_verb_only() -> None:
    """The start of every command: ``raftcheck check`` loads neither the other verbs'
    modules nor the service's, the reports' or importlib.metadata (a third of a compiled
    ``default`` run went to imports before)."""
    probe = (
        "import sys; from checker.commands import main; "
        "code = main(['check', '--max-states', '1']); "
        "print(sorted(m for m in sys.modules if m.startswith(("
        "'checker.commands.', 'checker.service', 'checker.report.', 'importlib.metadata'))))"
    )
    r = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    loaded = r.stdout.strip().splitlines()[-1]
    assert loaded == str(
        ["checker.commands.check", "checker.commands.common", "checker.report.record"]
    )
