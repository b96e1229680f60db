"""The conformance suite: built deterministically (the committed files are what a build
writes, byte for byte), self-consistent (each step's expectation is raftmodel's), and
covering every outcome class correct Raft can show, with a regression per variant."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from checker.conform import extend, nodecov, outcomes, runner, suite
from checker.conform import protocol as proto
from checker.traces.replay import replay
from raftmodel import mutants
from raftmodel.actions import Receive
from raftmodel.cluster import Bounds, Config
from raftmodel.network import Semantics
from raftmodel.rules import RAFT
from raftmodel.script import Script
from tests.support import ROOT, run_cli

COMMITTED = ROOT / "traces" / "conformance"
#: Regressions that take a minute each to build (length_only_log_check and figure8_commit:
#: check's search; match_from_reply: its difference shows only on 5 servers, found after
#: the 3-server searches give up): the slow tier. Every other catalog variant, new ones
#: included, is built in the default run.
SLOW = ("length_only_log_check", "figure8_commit", "match_from_reply")
FAST = [m for m in mutants.NAMES if m not in SLOW]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[suite.Built, Path]:
    out = tmp_path_factory.mktemp("suite")
    b = suite.build(FAST)
    suite.write(b, out)
    return b, out


def test_a_build_writes_the_committed_files_byte_for_byte(built: tuple[suite.Built, Path]) -> None:
    # The committed files were written by another process: the same bytes here show that
    # a build depends on nothing but the code (fingerprints are hash() of ints and tuples,
    # the same in every process; tests/checker/test_search.py checks PYTHONHASHSEED).
    b, out = built
    names = [suite.file_name(sc.name) for sc in b.scenarios]
    assert len(names) == len(set(names)) > 40
    for name in names:
        assert (out / name).read_bytes() == (COMMITTED / name).read_bytes(), name
    # The slow regressions are in the committed suite too, and nothing else.
    listed = {s["file"] for s in json.loads((COMMITTED / suite.MANIFEST).read_text())["scenarios"]}
    slow = {suite.file_name(f"regress-{m}") for m in SLOW}
    assert listed == set(names) | slow
    assert {p.name for p in COMMITTED.glob("*.itf.json")} == listed


@pytest.mark.slow
def test_the_full_build_is_the_committed_suite_and_prints_its_coverage(tmp_path: Path) -> None:
    r = run_cli("suite", "build", "--quiet", "--out", str(tmp_path), timeout=1200)
    assert r.returncode == 0, r.stderr
    for p in sorted(COMMITTED.iterdir()):
        assert (tmp_path / p.name).read_bytes() == p.read_bytes(), p.name
    assert "outcome classes: 36 of 37 covered" in r.stdout
    assert "left out: append/rejected-by-leader" in r.stdout
    n = len(mutants.NAMES)
    k = sum(1 for m in mutants.CATALOG if suite.static_scope(m) is None)
    assert f"regressions: {k} of {n} variants" in r.stdout
    assert "raftmodel/node.py replayed under the suite: lines " in r.stdout
    assert "probes: 5 operations the harness never takes" in r.stdout
    assert r.stdout.count("branch not taken: ") == 2
    assert r.stdout.count("branch taken only by a variant: ") == 4


def test_each_step_expects_what_raftmodel_does() -> None:
    for sc in runner.load(COMMITTED):
        assert replay(sc.trace).divergence is None, sc.name
        config = sc.trace.config
        assert sc.init == tuple(proto.view_of(x) for x in sc.trace.states[0].nodes)
        for k, exp in enumerate(sc.steps):
            before, after = sc.trace.states[k], sc.trace.states[k + 1]
            a = sc.trace.steps[k + 1].action
            assert a is not None
            assert exp.op == suite.operation(a)
            assert exp.node == outcomes.acting_node(a)
            assert exp.state == proto.view_of(after.nodes[exp.node - 1])
            sent = [proto.envelope(m) for m in outcomes.sent_by(before, a, config)]
            assert list(exp.sent) == sent
            # The trace's own network agrees: what was sent is in it afterwards.
            assert all(m in after.network for m in outcomes.sent_by(before, a, config))


def test_meta_says_what_is_compared_and_where_it_comes_from() -> None:
    sc = runner.load(COMMITTED / "regress-double_vote.itf.json")[0]
    meta = sc.meta
    assert meta["servers"] == 3 and meta["preset"] == "elections"
    assert meta["compared"]["each step, the acting node"] == [
        "currentTerm",
        "role",
        "votedFor",
        "log",
        "commitIndex",
        "sent",
    ]
    assert meta["regression"]["property"] == "ElectionSafety"
    assert sc.trace.config.rules.name == "raft"


def test_every_outcome_correct_raft_can_show_is_covered() -> None:
    manifest = json.loads((COMMITTED / suite.MANIFEST).read_text())
    covered = {g.removeprefix("outcome ") for g in manifest["goals"] if g.startswith("outcome ")}
    for o in outcomes.OUTCOMES:
        assert (o.name in covered) == (not o.unreachable), o.name
    assert sum(1 for g in manifest["goals"] if g.startswith("edge ")) > 50


def test_a_scenario_shows_the_goals_it_claims() -> None:
    # Re-derive every claimed goal from the scenario's own states.
    for sc in runner.load(COMMITTED):
        claimed = set(sc.meta.get("covers", ()))
        if not claimed:
            continue
        shown: set[str] = set()
        states = sc.trace.states
        for k in range(1, len(states)):
            a = sc.trace.steps[k].action
            assert a is not None
            names = outcomes.classify(
                states[k - 1], a, states[k], outcomes.sent_by(states[k - 1], a, sc.trace.config)
            )
            shown |= {f"outcome {x}" for x in names}
            edge = outcomes.abstract_edge(states[k - 1], a, states[k])
            if edge:
                shown.add(f"edge {edge}")
        assert claimed <= shown, (sc.name, claimed - shown)


def test_every_variant_has_a_regression_naming_its_property() -> None:
    regs = {
        r["mutant"]: r for r in json.loads((COMMITTED / suite.MANIFEST).read_text())["regressions"]
    }
    assert set(regs) == set(mutants.NAMES)
    for name, r in regs.items():
        if r.get("out_of_scope"):
            assert suite.static_scope(mutants.get(name)) == r["out_of_scope"], name
            continue
        assert r["property"], name
        assert 0 < r["kept"] <= r["counterexample"], name
    # double_vote's second grant is refused on correct Raft, so the grant's delivery to
    # the candidate is not enabled: the scenario ends before it.
    assert regs["double_vote"]["kept"] < regs["double_vote"]["counterexample"]


def _classes(script: Script) -> list[list[str]]:
    out = []
    for k, a in enumerate(script.actions):
        s, t = script.states[k], script.states[k + 1]
        out.append(outcomes.classify(s, a, t, outcomes.sent_by(s, a, script.config)))
    return out


def test_classification_by_observation() -> None:
    s = Script(
        Config(3, Bounds(max_term=2, max_log=1, max_restarts=1, max_requests=1, values=(1,)))
    )
    s.timeout(1).deliver("RequestVote", 1, 2)  # granted
    s.timeout(3).deliver("RequestVote", 3, 2)  # 2 voted for 1 in term 1
    s.deliver("RequestVoteResponse", 2, 1)  # 1 elected (2 of 3)
    s.client(1).send_append(1, 3).deliver("AppendEntries", 1, 3)  # candidate 3 steps down
    s.timeout(2).deliver("RequestVote", 2, 1)  # 1 steps down; 2's log is behind
    s.restart(1)
    got = _classes(s)
    assert got == [
        ["timeout/election-started"],
        ["term/follower-adopts-higher", "vote/granted"],
        ["timeout/election-started"],
        ["vote/refused-already-voted"],
        ["vote-reply/elected"],
        ["client/appended"],
        ["send/entries"],
        ["append/candidate-steps-down", "append/entries-appended"],
        ["timeout/election-started"],
        ["step-down/leader-higher-term", "vote/refused-log-not-up-to-date"],
        ["restart/follower-state-kept"],
    ]
    assert isinstance(s.actions[1], Receive)
    edge = outcomes.abstract_edge(s.states[9], s.actions[9], s.states[10])
    assert edge == "Leader/term-behind/log-ahead --Receive--> Follower/term-highest/log-ahead"


def test_node_coverage_of_the_suite_and_why_the_rest_is_not_taken() -> None:
    if nodecov.compiled() is not None:
        pytest.skip(f"{nodecov.compiled()} (run by .ci/pure, the pure-Python pass of .ci/run)")
    scenarios = runner.load(COMMITTED)
    runs = [suite.node_run(s.trace) for s in scenarios]
    cov = nodecov.measure(runs)
    assert cov.branches_covered == cov.branches - 6 and cov.branches >= 40
    # Every branch left: a message for another server (the protocol routes by dest) or a
    # variant's, each with its reason.
    whys = [b[3] for b in cov.missing_branches]
    assert all("no reason known" not in w for w in whys), cov.missing_branches
    assert sum("harness" in w for w in whys) == 1
    # Without the probes, the harness's guards are not exercised.
    no_probes = nodecov.measure([(c, a, {}) for c, a, _ in runs])
    assert no_probes.branches_covered == cov.branches_covered - 3
    # Fewer scenarios, less coverage: the measure is not a constant.
    assert nodecov.measure(runs[:3]).branches_covered < cov.branches_covered
    # Each regression run against its variant (as the mutation score runs it) takes the
    # branches only a variant takes; two are left, each unreachable through the protocol.
    with_variants = nodecov.measure(runs, nodecov.variant_runs([s.trace for s in scenarios]))
    assert with_variants.branches_covered == cov.branches - 2
    left = [b[2] for b in with_variants.missing_branches]
    assert left == ["if m.dest != s.id:", "elif s.role == LEADER:"]


def test_a_regression_goes_on_to_where_the_protocol_sees_the_variant() -> None:
    # votes_kept_across_terms: its counterexample ends when a candidate holds a vote of
    # an earlier term (votesGranted is not observed); two more steps and it leads with
    # too few votes, which the protocol sees (its role).
    m = mutants.get("votes_kept_across_terms")
    sc, reg = suite.regression(m)
    assert sc is not None and reg.extended == 2 and reg.out_of_scope is None
    assert "role 'Candidate' on Raft, 'Leader' on the variant" in reg.note
    actions = [s.action for s in sc.trace.steps[1:]]
    config = sc.trace.config
    assert extend.first_difference(config, m.rules, actions[:-1]) is None
    assert extend.first_difference(config, m.rules, actions) == extend.Difference(
        len(actions), "role 'Candidate' on Raft, 'Leader' on the variant"
    )
    # Correct Raft never differs from itself.
    assert extend.first_difference(config, RAFT, actions) is None
    assert extend.extend(config, RAFT, actions[:4], max_states=300) is None


def test_a_counterexample_the_protocol_cannot_express_is_out_of_scope() -> None:
    m = Script(Config(3, Bounds(max_copies=2), Semantics.BAG)).timeout(1)
    m.drop("RequestVote", 1, 2)
    why = suite._out_of_scope(m.actions)
    assert why == "its counterexample needs Drop (step 2), which protocol v1 has no operation for"
    assert suite._out_of_scope(m.actions[:1]) is None
