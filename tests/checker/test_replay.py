"""Replay of traces that start mid-life: the first state must be one the model could be in,
and a first state that breaks a safety property is a violation at step 0."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from checker import cli
from checker.errors import TraceFormatError
from checker.raft.report import diff_states
from checker.traces import itf
from checker.traces.replay import replay
from raftmodel.cluster import ClusterState, Committed, Election
from raftmodel.network import Semantics
from raftmodel.script import Script
from raftmodel.types import Entry, Role

EXAMPLES = Path(__file__).resolve().parents[2] / "traces" / "examples"


def _term28() -> itf.Trace:
    # S1 leads term 28 (elected with S2's vote); S2 and S3 follow with its two entries.
    return itf.read_trace(EXAMPLES / "term-29-election.itf.json")


def _two_leaders(elections: frozenset[Election]) -> tuple[itf.Trace, ClusterState]:
    t = _term28()
    start = t.states[0]
    s2 = start.nodes[1]._replace(
        role=Role.LEADER, votedFor=2, votesGranted=frozenset({2, 3}), nextIndex=(3, 3, 3)
    )
    start = start._replace(nodes=(start.nodes[0], s2, start.nodes[2]), elections=elections)
    s = Script(t.config, start).restart(3)
    return itf.make_trace(t.config, s.states, s.actions, from_init=False), start


def _cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = cli.main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_two_leaders_of_one_term_without_their_elections_is_bad_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Before: replayed OK, although S2 leads term 28 beside S1 and no history says so.
    trace, _ = _two_leaders(frozenset({Election(28, 1)}))
    with pytest.raises(TraceFormatError) as e:
        replay(trace)
    assert e.value.path == "$.states[0].role[2]"
    assert e.value.problem == "Leader of term 28 but elections lacks (term 28, S2)"
    p = tmp_path / "two.json"
    itf.write_trace(p, trace)
    code, out, err = _cli(["replay", str(p)], capsys)
    assert (code, out) == (2, "")
    assert err == (
        "raftcheck replay: error: $.states[0].role[2]: "
        "Leader of term 28 but elections lacks (term 28, S2)\n"
    )


def test_two_leaders_of_one_term_on_record_violate_election_safety(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    trace, _ = _two_leaders(frozenset({Election(28, 1), Election(28, 2)}))
    result = replay(trace)
    assert result.violation is not None and result.divergence is None
    assert (result.violation[0], result.violation[1].property) == (0, "ElectionSafety")
    p = tmp_path / "two.json"
    itf.write_trace(p, trace)
    code, out, _ = _cli(["replay", "--quiet", str(p)], capsys)
    assert code == 1
    assert "VIOLATION: ElectionSafety at step 0: servers 1 and 2 were both elected" in out


def test_leader_with_next_index_zero_is_refused_before_the_model_asserts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # stale-leader-fenced has S1 (leader of term 28) send AppendEntries to S3 at step 3;
    # with nextIndex[3] = 0 node.py would assert there. Before: an AssertionError traceback.
    t = itf.read_trace(EXAMPLES / "stale-leader-fenced.itf.json")
    s1 = t.states[0].nodes[0]._replace(nextIndex=(3, 3, 0))
    bad0 = t.states[0]._replace(nodes=(s1, *t.states[0].nodes[1:]))
    steps = (t.steps[0]._replace(state=bad0), *t.steps[1:])
    trace = t._replace(steps=steps)
    with pytest.raises(TraceFormatError) as e:
        replay(trace)
    assert str(e.value) == ("$.states[0].nextIndex[1][3]: 0 (must be 1..lastLogIndex+1 = 1..3)")
    p = tmp_path / "next0.json"
    itf.write_trace(p, trace)
    code, _, err = _cli(["replay", str(p)], capsys)
    assert code == 2 and err.count("\n") == 1 and "$.states[0].nextIndex[1][3]" in err


def test_replay_reads_the_trace_from_stdin(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Before: "-" was taken for a file name ("-: no such file").
    text = (EXAMPLES / "term-29-election.itf.json").read_bytes()
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(text)))
    code, out, _ = _cli(["replay", "--quiet", "-"], capsys)
    assert code == 0 and out.startswith("OK: all 4 steps replay on raft"), out
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(text[:100])))
    code, out, err = _cli(["replay", "-"], capsys)
    assert (code, out) == (2, "")
    assert err.startswith("raftcheck replay: error: <stdin>: not JSON") and err.count("\n") == 1


def test_extremes_give_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 50_000 + "]" * 50_000)
    code, _, err = _cli(["replay", str(deep)], capsys)
    assert code == 2 and err == f"raftcheck replay: error: {deep}: nested too deeply to read " + (
        "(an ITF trace is shallow)\n"
    )
    text = (EXAMPLES / "term-29-election.itf.json").read_text()
    huge = tmp_path / "huge.json"
    huge.write_text(text.replace('"restarts":{"#bigint":"0"}', f'"restarts":{"7" * 4400}', 1))
    code, _, err = _cli(["replay", str(huge)], capsys)
    assert code == 2 and err == (
        "raftcheck replay: error: $.states[0].restarts: integer of 4400 digits is too long\n"
    )


def test_diffs_print_values_as_the_rest_of_the_output_does() -> None:
    t = _term28()
    a = t.states[0]
    s1 = a.nodes[0]
    b = a._replace(
        nodes=(
            s1._replace(
                log=(Entry(27, 1), Entry(29, 3)),
                role=Role.FOLLOWER,
                votedFor=0,
                votesGranted=frozenset(),
                nextIndex=(1, 1, 1),
            ),
            *a.nodes[1:],
        ),
        elections=a.elections | {Election(29, 2)},
        committed=frozenset({Committed(1, 27, 1, 27)}),
    )
    lines = diff_states(a, b, Semantics.SET)
    assert lines == [
        "S1.votedFor: trace S1, model none",
        "S1.log: trace [1:t27=1 2:t28=2], model [1:t27=1 2:t29=3]",
        "S1.role: trace Leader, model Follower",
        "S1.votesGranted: trace {S1, S2}, model {}",
        "S1.nextIndex: trace [3, 3, 3], model [1, 1, 1]",
        "elections: trace {t28:S1}, model {t28:S1, t29:S2}",
        "committed: trace {index 1 term 27 value 1 committed in term 27, "
        "index 2 term 28 value 2 committed in term 28}, "
        "model {index 1 term 27 value 1 committed in term 27}",
    ]
    assert not any("Entry(" in x or "Election(" in x or "Committed(" in x for x in lines)
