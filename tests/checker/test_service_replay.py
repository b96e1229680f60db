"""``raftcheck replay`` on service traces (checker.service.replay): the traces check and
simulate write on the service presets replay step by step, with their client events, every
service property and the linearizability checker's verdict on the client history."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from checker.commands import main
from checker.raft.presets import PRESETS
from checker.service import itf as service_itf
from raftmodel import service as sv
from raftmodel.actions import Receive, SendAppendEntries
from raftmodel.messages import AppendEntries, AppendEntriesResponse
from raftmodel.network import Semantics
from raftmodel.network import messages as net_messages


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def _checked(capsys: pytest.CaptureFixture[str], tmp: Path, preset: str, mutant: str) -> Path:
    out = tmp / f"{mutant}.itf.json"
    code, _, _ = _cli(capsys, "check", "--model", preset, "--mutant", mutant, "--quiet",
                      "--out", str(out))  # fmt: skip
    assert code == 1 and out.is_file()
    return out


def test_replay_shows_a_stale_read_and_the_history_verdict(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    trace = _checked(capsys, tmp_path, "service-stale", "stale_leader_read")
    code, out, _ = _cli(capsys, "replay", str(trace))
    assert code == 1, out
    assert "step 0: start" in out and "client 2 invoke write key 1 [1]" in out
    assert "step 5: Submit(c=1)" in out and "client 1 ok read key 1 [0]" in out
    assert "VIOLATION: Linearizable at step 5" in out
    assert "history check: the client history (2 operations) is not linearizable" in out
    # On correct Raft the same trace leaves the model where the stale leader answers.
    code, out, _ = _cli(capsys, "replay", str(trace), "--mutant", "raft", "--quiet")
    assert code == 1
    assert "DIVERGES at step 5: after Submit(c=1) the model's state differs" in out
    assert 'clients.#map[0][1].attempts.#bigint: trace "0", model "1"' in out


def test_replay_judges_fenced_writes(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    trace = _checked(capsys, tmp_path, "service-lock", "token_per_leader")
    code, out, _ = _cli(capsys, "replay", str(trace), "--quiet", "--json", str(tmp_path / "s.json"))
    assert code == 1 and "VIOLATION: FencedWrites at step 10" in out
    summary = json.loads((tmp_path / "s.json").read_text())
    assert summary["violation"]["property"] == "FencedWrites"
    assert summary["linearizable"] == "OK" and summary["conforms"]
    # Its client events are lock events: linearizable says where they are judged.
    code, _, err = _cli(capsys, "linearizable", str(trace), "--object", "kv")
    assert code == 2 and "judged by the FencedWrites property" in err


def _correct_run() -> tuple[sv.ServiceConfig, list[sv.ServiceState], list[sv.AnyAction]]:
    """On the service preset: client 1's write, committed and answered; client 2's read
    at S2, refused, then at S1 through ReadIndex."""
    p = PRESETS["service"]
    sc = p.service_config(p.config())
    states = [sv.init_state(sc)]
    actions: list[sv.AnyAction] = []

    def do(a: sv.AnyAction) -> None:
        t = sv.apply(states[-1], a, sc)
        assert t is not None, sv.describe(a)
        states.append(t)
        actions.append(a)

    def sent(kind: type) -> Receive:
        ms = net_messages(states[-1].cluster.network, Semantics.SET)
        return Receive([m for m in ms if type(m) is kind][-1])

    do(sv.Submit(1))
    do(SendAppendEntries(1, 2))
    do(sent(AppendEntries))
    do(sent(AppendEntriesResponse))
    for a in (sv.Reply(1), sv.Submit(2), sv.Submit(2), sv.Confirm(2, 2), sv.Reply(2)):
        do(a)
    return sc, states, actions


def test_a_correct_run_replays_and_its_history_is_linearizable(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    sc, states, actions = _correct_run()
    path = tmp_path / "ok.itf.json"
    service_itf.write_trace(str(path), sc, states, actions, {"description": "a test run"})
    code, out, _ = _cli(capsys, "replay", str(path))
    assert code == 0, out
    assert "step 9: Reply(c=2)" in out and "client 2 ok read key 1 [1]" in out
    assert "client history: 2 key-value operations, linearizable" in out
    assert "OK: all 9 steps replay on raft" in out and "FencedWrites" in out


def test_replay_refuses_a_service_trace_it_cannot_rebuild(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    sc, states, actions = _correct_run()
    obj = service_itf.encode_trace(sc, states, actions, {})
    del obj["#meta"]["config"]["service"]["start"]
    old = tmp_path / "old.itf.json"
    old.write_text(json.dumps(obj))
    code, _, err = _cli(capsys, "replay", str(old))
    assert code == 2
    assert err.count("\n") == 1 and "$.#meta.config.service.start: missing" in err
    obj = service_itf.encode_trace(sc, states, actions, {})
    obj["#meta"]["config"]["service"]["programs"][0][0]["f"] = "delete"
    bad = tmp_path / "bad.itf.json"
    bad.write_text(json.dumps(obj))
    code, _, err = _cli(capsys, "replay", str(bad))
    assert code == 2 and "programs[0][0].f: unknown operation 'delete'" in err
