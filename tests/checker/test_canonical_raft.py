"""canonical/raft (Debian's libraft-dev) driven through its fixture, recorded as observed
traces and validated by the matcher (checker.impl.canonical, docs/canonical-raft.md).

Every test that needs the library skips, naming the package, when it is not installed;
the binding is built once per session under the session's temporary directory.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from checker.impl.canonical import binding, build, record, schedule
from checker.observed import events, match
from tests.support import ROOT, run_cli

MISSING = build.missing()
needs_libraft = pytest.mark.skipif(
    MISSING is not None, reason=f"canonical/raft not available: {MISSING}"
)

STORED = ROOT / "traces" / "canonical-raft" / "previous-term-commit.ndjson"


@pytest.fixture(scope="session")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("raftcheck-cache")


def _validate(trace: str, hidden: int = 2) -> match.Result:
    return match.validate(events.read_ndjson([("t.ndjson", trace)]), match.Options(hidden))


def test_missing_library_names_the_package(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(build, "INCLUDE_DIRS", (tmp_path,))
    why = build.missing()
    assert why is not None and "apt-get install libraft-dev" in why
    with pytest.raises(build.LibraftMissing, match="libraft-dev"):
        build.load(tmp_path)


@needs_libraft
def test_binding_builds_and_a_fixture_elects_a_leader(cache: Path) -> None:
    with binding.Fixture(3, cache_dir=cache) as fx:
        before = fx.views()
        # Bootstrap: term 1, the configuration entry at index 1, committed.
        assert [(v.term, v.state, v.commit, v.last_index) for v in before] == [(1, 1, 1, 1)] * 3
        assert fx.can_elect(1) and not fx.can_depose()
        fx.elect(1)
        assert fx.leader_index() == 1
        v = fx.views()
        assert v[1].state == binding.LEADER and v[1].term == 2 and v[0].vote == 2
        assert fx.apply(1, 7) and not fx.apply(0, 8)  # only the leader takes entries
        for _ in range(30):
            fx.step()
        for i in range(3):
            assert fx.log(i)[-1] == binding.LogEntry(2, binding.COMMAND, 7)
        assert fx.views()[1].commit == 2
        # Elect's precondition (no leader, all followers) is checked, not asserted in C.
        with pytest.raises(binding.FixtureMisuse):
            fx.elect(0)


@needs_libraft
def test_same_seed_same_bytes(cache: Path) -> None:
    a = schedule.run_schedule(11, 3, cache_dir=cache)
    b = schedule.run_schedule(11, 3, cache_dir=cache)
    c = schedule.run_schedule(12, 3, cache_dir=cache)
    assert a.trace == b.trace and a.operations == b.operations
    assert a.trace != c.trace
    header = json.loads(a.trace.splitlines()[0])
    assert header["format"] == "raftcheck-observed" and header["servers"] == [1, 2, 3]
    # 1. The bootstrap configuration entry is the start state, value 0.
    assert header["start"]["1"] == {
        "currentTerm": 1,
        "votedFor": None,
        "log": [{"term": 1, "value": record.CONFIG_VALUE}],
        "commitIndex": 1,
    }


@needs_libraft
@pytest.mark.parametrize(("seed", "servers"), [(0, 5), (1, 3), (4, 5), (9, 3)])
def test_seeded_runs_validate(cache: Path, seed: int, servers: int) -> None:
    run = schedule.run_schedule(seed, servers, cache_dir=cache)
    res = _validate(run.trace)
    assert res.verdict == "ok", (res.failed_event, res.mismatches[:1])
    assert res.matched == run.events > 50 and res.invariant_checks > run.events


@needs_libraft
def test_pre_vote_is_normalised_away(cache: Path) -> None:
    """2. With pre-vote on, pre-candidates and their messages are not logged, and the
    trace still validates."""
    with binding.Fixture(3, pre_vote=True, cache_dir=cache) as fx:
        rec = record.Recorder(fx)
        fx.on_step = lambda server, kind: rec.observe(
            "tick" if kind == binding.TICK else "x", server
        )
        for _ in range(120):
            fx.step()
        trace = record.lines(rec.header(), rec.events)
        assert rec.normalised["2. pre-vote message"] > 0
        assert rec.normalised["2. pre-vote candidate logged as follower"] > 0
        assert fx.leader_index() is not None
    assert _validate(trace).verdict == "ok"


@needs_libraft
def test_step_down_is_logged_as_restart(cache: Path) -> None:
    """4. raft_fixture_depose: the leader loses its quorum and steps down in its term."""
    with binding.Fixture(3, cache_dir=cache) as fx:
        rec = record.Recorder(fx)
        kinds = {binding.TICK: "tick", binding.NETWORK: "network", binding.DISK: "disk"}
        fx.on_step = lambda server, kind: rec.observe(kinds[kind], server)
        fx.elect(0)
        assert fx.can_depose()
        fx.depose()
        for _ in range(200):
            fx.step()
        trace = record.lines(rec.header(), rec.events)
    restarts = [e for e in rec.events if e["event"] == "restart"]
    assert restarts and restarts[0]["node"] == 1 and restarts[0]["state"]["currentTerm"] == 2
    assert rec.normalised["4. step-down logged as restart"] == len(restarts)
    assert _validate(trace).verdict == "ok"


@needs_libraft
def test_stored_divergence_trace_is_the_scenario(cache: Path) -> None:
    assert schedule.previous_term_commit(cache_dir=cache).trace == STORED.read_text()


@needs_libraft
def test_previous_term_commit_is_rejected_at_the_commit() -> None:
    """canonical/raft 0.15 commits an entry of an earlier term by counting replicas
    (canonical/raft#220): the validator rejects the trace at that event, naming the
    leader's commitIndex (raftmodel's leader keeps it below the term-2 entry). The new
    leader's probe, refused with the follower's hint, is logged and followed by the
    model's refusal_hint without hidden steps (it needed three, 19 s, before)."""
    lines = STORED.read_text().splitlines()
    res = _validate(STORED.read_text())
    assert res.verdict == "rejected" and res.failed_event is not None
    line = int(res.failed_event.where.rsplit(":", 1)[1])
    event = json.loads(lines[line - 1])
    assert event["node"] == 2 and event["state"]["role"] == "Leader"
    assert event["state"]["currentTerm"] > event["state"]["lastLogTerm"] == 2
    assert event["state"]["commitIndex"] == 2
    assert res.mismatches[0].field == "node 2 commitIndex"
    assert (res.mismatches[0].expected, res.mismatches[0].observed) == ("1", "2")


@needs_libraft
def test_probing_refusal_is_logged_with_its_hint(cache: Path) -> None:
    """6. A leader's probe that the follower rejects, before any success from it, is
    logged with its refusal and the follower's last index; the model's refusal_hint
    follows it. The same trace with the hint changed is rejected at the refusal."""
    run = schedule.run_schedule(8, 3, cache_dir=cache)
    lines = run.trace.splitlines()
    assert json.loads(lines[0])["refusal_hint"] == 1
    refused = [
        k
        for k, line in enumerate(lines)
        if '"type": "AppendEntriesResponse"' in line and '"success": false' in line
    ]
    assert refused and all('"lastLogIndex"' in lines[k] for k in refused)
    assert _validate(run.trace).verdict == "ok"
    k = refused[0]
    event = json.loads(lines[k])
    event["msg"]["lastLogIndex"] += 1
    lines[k] = json.dumps(event)
    res = _validate("\n".join(lines) + "\n")
    assert res.verdict == "rejected" and res.failed_event is not None
    assert res.failed_event.where.endswith(f":{k + 1}")


@needs_libraft
def test_validate_impl_cli(tmp_path: Path) -> None:
    out = tmp_path / "summary.json"
    env = {"RAFTCHECK_CACHE": str(tmp_path / "cache")}
    r = run_cli(
        "validate-impl",
        "canonical-raft",
        "--runs",
        "2",
        "--seed",
        "3",
        "--servers",
        "3",
        "--out",
        str(tmp_path / "found"),
        "--json",
        str(out),
        env=env,
        cwd=tmp_path,
    )
    assert r.returncode in (0, 1), r.stderr
    summary = json.loads(out.read_text())
    assert summary["runs"] == 2 and summary["servers"] == [3]
    assert summary["validated"] + len(summary["divergences"]) == 2
    assert "runs 2: " in r.stdout and "runs 2/2" in r.stderr
    for d in summary["divergences"]:
        assert Path(d["trace"]).is_file()
    bad = run_cli("validate-impl", "canonical-raft", "--servers", "4", env=env, cwd=tmp_path)
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) <= 2
