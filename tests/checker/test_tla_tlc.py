"""TLC on spec/Raft.tla, through the raftcheck verbs: tlc, crosscheck, validate.

Each test starts TLC (a JVM: a few seconds each), so the default run keeps to the
smallest preset (elections); the larger presets are the slow tier.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from checker.cli import main
from checker.engine.search import Options, check
from checker.raft.model import RaftModel
from checker.raft.presets import PRESETS
from checker.tla import jar
from checker.tla.jar import SPEC_DIR
from checker.traces import itf
from checker.traces.replay import replay
from raftmodel import mutants
from raftmodel.actions import Action, Receive, SendAppendEntries, Timeout
from raftmodel.cluster import apply, init_state
from raftmodel.messages import RequestVote, RequestVoteResponse
from raftmodel.types import Role

pytestmark = pytest.mark.skipif(shutil.which("java") is None, reason="no Java on this machine")

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "traces" / "examples"


def _python_distinct(preset: str, symmetry: bool) -> int:
    opts: dict[str, Any] = {"symmetry": symmetry, "exact": True}
    if "view" in Options._fields:  # the inert-message view would merge states TLC keeps
        opts["view"] = False
    return check(RaftModel(PRESETS[preset].config()), Options(**opts)).distinct


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_tlc_passes_with_the_python_checkers_count(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    js = tmp_path / "s.json"
    code, out, _ = _run(["tlc", "--model", "elections", "--json", str(js)], capsys)
    assert code == 0, out
    assert "PASS" in out
    summary = json.loads(js.read_text())
    assert summary["distinct"] == _python_distinct("elections", symmetry=True) == 121
    assert summary["depth"] == 11


def test_a_tlc_counterexample_replays_on_raftmodel(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_file = tmp_path / "cex.itf.json"
    argv = ["tlc", "--model", "elections", "--mutant", "double_vote", "--out", str(out_file)]
    code, out, _ = _run([*argv, "--quiet"], capsys)
    assert code == 1, out
    assert "VIOLATION: ElectionSafety (invariant) after 6 steps" in out
    trace = itf.read_trace(out_file)
    assert trace.config.rules.name == "double_vote"
    result = replay(trace)
    assert result.divergence is None
    assert result.violation is not None and result.violation[1].property == "ElectionSafety"
    code, out, _ = _run(["replay", str(out_file), "--quiet"], capsys)
    assert code == 1 and "VIOLATION: ElectionSafety at step 6" in out


@pytest.mark.parametrize(
    ("preset", "states"), [("elections", 677), ("bag", 5_578), ("pair", 13_774)]
)
def test_crosscheck_passes_on_small_presets(
    preset: str, states: int, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _run(["crosscheck", "--model", preset], capsys)
    assert code == 0, out
    assert f"PASS: TLC and raftmodel reach the same {states:,} states" in out


def test_crosscheck_passes_with_batched_append_entries(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # MaxBatch 1: every AppendEntries carries one entry (or none), never the whole suffix
    # of 2; a different space from MaxBatch 0's 555 states, and TLC's equals raftmodel's.
    bounds = ["--max-term", "1", "--max-log", "2", "--max-restarts", "0", "--max-requests", "2"]
    code, out, _ = _run(["crosscheck", "--model", "pair", *bounds, "--max-batch", "1"], capsys)
    assert code == 0, out
    assert "PASS: TLC and raftmodel reach the same 267 states" in out


def test_crosscheck_passes_with_the_refusal_hint(capsys: pytest.CaptureFixture[str]) -> None:
    # RefusalHint = 1 in the cfg: refusals carry the follower's last index (§5.3) in
    # TLC's states as in raftmodel's; one term, so the jump never differs from Figure 2's
    # step here (the slow test below has a space where it does).
    bounds = ["--max-term", "1", "--max-log", "2", "--max-restarts", "0", "--max-requests", "2"]
    code, out, _ = _run(["crosscheck", "--model", "pair", *bounds, "--refusal-hint", "1"], capsys)
    assert code == 0, out
    assert "PASS: TLC and raftmodel reach the same 555 states" in out


@pytest.mark.slow
def test_crosscheck_passes_where_the_refusal_hint_changes_the_space(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Two terms and a restart: a re-elected leader probes a follower two entries behind
    # and jumps; 157,670 states with the hint, 168,590 with Figure 2's backoff (~3 min).
    bounds = ["--max-log", "2", "--max-restarts", "1", "--max-requests", "2"]
    code, out, _ = _run(["crosscheck", "--model", "pair", *bounds, "--refusal-hint", "1"], capsys)
    assert code == 0, out
    assert "PASS: TLC and raftmodel reach the same 157,670 states" in out


def test_crosscheck_fails_when_spec_and_model_disagree(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The spec with a one-rule variant (quorum n // 2) against correct raftmodel."""
    trace_file = tmp_path / "only.itf.json"
    argv = ["crosscheck", "--model", "elections", "--spec-variant", "quorum_off_by_one"]
    code, out, _ = _run([*argv, "--out", str(trace_file)], capsys)
    assert code == 1, out
    assert "MISMATCH:" in out
    assert "TLC:       1,000 distinct states" in out
    assert "raftmodel: 677 distinct states" in out
    # raftmodel's side: a shortest state TLC does not reach, with its trace written.
    assert "raftmodel only, at depth 1 (shortest)" in out
    trace = itf.read_trace(trace_file)
    assert len(trace.steps) == 2 and replay(trace).divergence is None
    # TLC's side: its own shortest trace, the last step having no raftmodel counterpart.
    assert "TLC only, at depth 1 (shortest)" in out
    assert "step 1: Timeout (no raftmodel action leads here)" in out


def test_validate_accepts_a_genuine_trace_and_rejects_a_tampered_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The Figure 8 story (22 steps) is a behavior of the spec's figure8_commit variant;
    with one state altered (a follower's commitIndex at step 5) it is not, from step 5."""
    genuine = EXAMPLES / "figure8-bug.itf.json"
    code, out, _ = _run(["validate", "--tlc", str(genuine)], capsys)
    assert code == 0, out
    assert "OK: TLC matched all 22 steps" in out

    trace = itf.read_trace(genuine)
    steps = list(trace.steps)
    s5 = steps[5].state
    steps[5] = steps[5]._replace(
        state=s5._replace(nodes=(*s5.nodes[:2], s5.nodes[2]._replace(commitIndex=1)))
    )
    bad = tmp_path / "bad.itf.json"
    itf.write_trace(bad, trace._replace(steps=tuple(steps)))
    code, out, _ = _run(["validate", "--tlc", str(bad), "--json", str(tmp_path / "v.json")], capsys)
    assert code == 1, out
    assert "REJECTED: TLC cannot match step 5" in out
    assert json.loads((tmp_path / "v.json").read_text())["first_unmatched_step"] == 5


def test_validate_checks_the_named_actions_unless_told_not_to(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A trace whose last step is labelled Timeout(3) but leaves the state as it was.
    Replay diverges there, and so does TLC when each step must be the action the trace
    names; from the states alone the step is a leader resending an identical heartbeat
    (under the set network a step to the same state)."""
    config = PRESETS["elections"].config()
    rv = RequestVote(1, 2, 1, 0, 0)
    actions: list[Action] = [
        Timeout(1),
        Receive(rv),
        Receive(RequestVoteResponse(2, 1, 1, True)),
        SendAppendEntries(1, 2),
    ]
    states = [init_state(config)]
    for a in actions:
        nxt = apply(states[-1], a, config)
        assert nxt is not None, a
        states.append(nxt)
    assert states[-1].nodes[0].role == Role.LEADER
    states.append(states[-1])
    actions.append(Timeout(3))
    path = tmp_path / "mislabelled.itf.json"
    itf.write_trace(path, itf.make_trace(config, states, actions))
    assert replay(itf.read_trace(path)).divergence is not None
    code, out, _ = _run(["validate", "--tlc", str(path)], capsys)
    assert code == 1 and "cannot match step 5" in out, out
    code, out, _ = _run(["validate", "--tlc", "--states-only", str(path)], capsys)
    assert code == 0, out


@pytest.mark.slow
def test_validate_rejects_figure8_on_raft_where_replay_diverges(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """On correct Raft the Figure 8 story is rejected at the step where replay on
    raftmodel diverges (18)."""
    code, out, _ = _run(["validate", "--tlc", str(EXAMPLES / "figure8-raft.itf.json")], capsys)
    assert code == 1 and "cannot match step 18" in out


def test_no_java_is_one_line_and_exit_2(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    for argv in (
        ["tlc", "--model", "elections"],
        ["crosscheck", "--model", "elections"],
        ["validate", "--tlc", str(EXAMPLES / "term-29-election.itf.json")],
    ):
        code, out, err = _run(argv, capsys)
        assert code == 2
        assert out == ""
        assert err.splitlines() == [
            f"raftcheck {argv[0]}: error: Java not found: install a JRE 11+ "
            "(e.g. apt install default-jre-headless)"
        ]


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (("Quorum ==", "Quorum = ="), "the spec does not parse: Was expecting"),
        (("ELSE voted \\in {Nil, cand}", "ELSE votd \\in {Nil, cand}"), "Unknown operator"),
    ],
    ids=["syntax", "semantics"],
)
def test_a_broken_spec_is_one_line_and_exit_2(
    edit: tuple[str, str],
    message: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    text = (SPEC_DIR / "Raft.tla").read_text()
    assert edit[0] in text
    (tmp_path / "Raft.tla").write_text(text.replace(edit[0], edit[1], 1))
    shutil.copyfile(SPEC_DIR / "MCRaft.tla", tmp_path / "MCRaft.tla")
    monkeypatch.setattr(jar, "SPEC_DIR", tmp_path)
    code, out, err = _run(["tlc", "--model", "elections"], capsys)
    assert code == 2
    assert out == ""
    assert len(err.splitlines()) == 1 and message in err, err


def test_unknown_preset_is_bad_input(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(["tlc", "--model", "nope"], capsys)
    assert code == 2 and "unknown model preset 'nope'" in err


# --- slow tier: the larger presets ------------------------------------------------------------


@pytest.mark.slow
def test_tlc_count_matches_on_the_default_preset(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    js = tmp_path / "s.json"
    code, out, _ = _run(["tlc", "--model", "default", "--json", str(js)], capsys)
    assert code == 0, out
    summary = json.loads(js.read_text())
    assert summary["distinct"] == _python_distinct("default", symmetry=True) == 58_129
    assert (summary["generated"], summary["depth"]) == (910_226, 24)


#: mutant: (preset, property, shortest counterexample): the Python checker's pinned
#: figures, one table for both checkers; TLC's BFS must find the same. Presets that start
#: after Init (a prefix) are not the spec's: TLC runs the others.
TLC_MUTANTS = {
    m.name: (m.preset, m.caught_by, m.shortest)
    for m in mutants.PROTOCOL
    if not PRESETS[m.preset].prefix
}


@pytest.mark.slow
@pytest.mark.parametrize("mutant", sorted(TLC_MUTANTS))
def test_tlc_finds_each_mutant_with_the_shortest_trace_that_replays(
    mutant: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    preset, prop, length = TLC_MUTANTS[mutant]
    out_file = tmp_path / "cex.itf.json"
    argv = ["tlc", "--model", preset, "--mutant", mutant, "--out", str(out_file), "--quiet"]
    code, out, _ = _run(argv, capsys)
    assert code == 1, out
    assert f"VIOLATION: {prop} " in out and f"after {length} steps" in out, out
    result = replay(itf.read_trace(out_file))
    assert result.divergence is None
    assert result.violation is not None and result.violation[1].property == prop
    assert result.violation[0] == length


#: Cross-checks that pass (minutes each): the default preset (348,547 states), the
#: bag network, and two terms with logs and a restart on two servers, for correct Raft
#: and every variant whose space stays small there.
CROSSCHECKS = {
    "default": ["--model", "default"],
    "elections-bag": ["--model", "elections", "--semantics", "bag"],
    "deep-2-servers": ["--model", "deep", "--servers", "2"],
    **{
        f"deep-2-servers-{m}": ["--model", "deep", "--servers", "2", "--mutant", m]
        for m in (
            "no_log_check",
            "length_only_log_check",
            "votedfor_not_persisted",
            "figure8_commit",
            "quorum_off_by_one",
            "stale_vote_counted",
            "no_consistency_check",
            "append_over_uncommitted",
            "truncate_on_stale_append",
        )
    },
    # Batches of one entry on two servers, two terms, logs of 2 (17,987 states for
    # correct Raft; the variants' spaces differ, truncate_after_batch's is 25,283).
    **{
        f"pair-batched-{m}": [
            *("--model", "pair", "--max-log", "2", "--max-restarts", "0"),
            *("--max-requests", "2", "--max-batch", "1", "--mutant", m),
        ]
        for m in ("raft", "commit_past_last_new", "truncate_after_batch")
    },
}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(CROSSCHECKS))
def test_crosscheck_passes(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(["crosscheck", *CROSSCHECKS[name]], capsys)
    assert code == 0, out


@pytest.mark.slow
@pytest.mark.parametrize(
    "path",
    sorted((ROOT / "traces" / "simulate").glob("*.itf.json")) + sorted(EXAMPLES.glob("*.itf.json")),
    ids=lambda p: p.name,
)
def test_every_stored_trace_is_judged_as_replay_judges_it(
    path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    conforms = replay(itf.read_trace(path)).divergence is None
    code, out, _ = _run(["validate", "--tlc", str(path)], capsys)
    assert code == (0 if conforms else 1), out
