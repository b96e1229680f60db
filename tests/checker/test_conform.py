"""The runner against in-process adapters: correct Raft passes, every known-bug variant
is killed, a divergence says what, where and which fields, its prefix reproduces it, and
the capabilities tolerate exactly what they name."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from checker.conform import protocol as proto
from checker.conform import runner, suite
from checker.conform.adapter import ReferenceAdapter, handle
from checker.conform.protocol import Hello, ProtocolError, Reply, View
from raftmodel import mutants
from tests.support import ROOT, run_cli

SUITE = runner.load(ROOT / "traces" / "conformance")


def _run(
    adapter: Any, scenarios: Sequence[runner.Scenario] = SUITE, out: Path | None = None
) -> runner.Run:
    return runner.run(runner.InProcess(adapter), scenarios, out)


def test_correct_raft_passes_every_scenario() -> None:
    r = _run(ReferenceAdapter())
    assert [x.name for x in r.results if not x.ok] == []
    assert len(r.results) == len(SUITE) > 50
    assert r.implementation == "raftmodel (raft)"


#: The variants in protocol v1's scope (a service variant is not: suite.static_scope).
IN_SCOPE = [m.name for m in mutants.CATALOG if suite.static_scope(m) is None]


@pytest.mark.parametrize("name", IN_SCOPE)
def test_every_variant_is_killed(name: str) -> None:
    r = _run(ReferenceAdapter(mutants.get(name).rules))
    failed = [x for x in r.results if not x.ok]
    assert failed, f"{name} survives the suite"
    # Its own regression scenario kills it too.
    assert f"regress-{name}" in {x.name for x in failed}
    for x in failed:
        assert x.divergence is not None
        assert x.divergence.kind in ("wrong state", "missing message", "unexpected message")


def test_a_divergence_says_what_where_and_its_prefix_reproduces_it(tmp_path: Path) -> None:
    sc = [s for s in SUITE if s.name == "regress-double_vote"]
    r = _run(ReferenceAdapter(mutants.get("double_vote").rules), sc, tmp_path)
    (res,) = r.results
    d = res.divergence
    assert d is not None
    # Candidate 2 voted for itself in term 1, then grants 1's request as well.
    assert (d.kind, d.step, d.node) == ("wrong state", 3, 2)
    assert d.fields == (("votedFor", 2, 1),)
    assert "RequestVote 1->2" in d.action
    assert d.summary() == (
        "wrong state at step 3 (Receive(RequestVote 1->2 [term=1, lastLogIndex=0, "
        "lastLogTerm=0])) S2: votedFor expected 2 got 1; missing RequestVoteResponse 2->1 "
        "[term=1, voteGranted=false]; unexpected RequestVoteResponse 2->1 [term=1, "
        "voteGranted=true]"
    )
    assert res.reproducer is not None and res.reproducer.exists()
    prefix = runner.load(res.reproducer)
    assert len(prefix[0].steps) == 3
    assert prefix[0].meta["divergence"]["fields"] == [
        {"field": "votedFor", "expected": 2, "observed": 1}
    ]
    again = _run(ReferenceAdapter(mutants.get("double_vote").rules), prefix).results[0]
    assert again.divergence is not None and again.divergence[:3] == d[:3]
    assert _run(ReferenceAdapter(), prefix).results[0].ok


class _Wrapped(ReferenceAdapter):
    """The reference adapter with one difference of a real implementation."""

    def __init__(self, capabilities: Sequence[str] = ()) -> None:
        super().__init__()
        self.caps = frozenset(capabilities)

    def init(self, nodes: Sequence[int]) -> Hello:
        super().init(nodes)
        return Hello(self.caps, "wrapped")

    def adjust(self, r: Reply) -> Reply:
        return r

    def _step(self, i: int, a: Any) -> Reply:
        return self.adjust(super()._step(i, a))


class _SilentRefusals(_Wrapped):
    """Answers a refused RequestVote of its own term with silence (a stale term's request
    is still refused aloud: that reply fences the stale candidate)."""

    request_term = -1

    def deliver(self, message: dict[str, Any]) -> Reply:
        self.request_term = message["body"]["term"]
        return super().deliver(message)

    def adjust(self, r: Reply) -> Reply:
        def silent(m: dict[str, Any]) -> bool:
            b = m["body"]
            return (
                b["type"] == "RequestVoteResponse"
                and not b["voteGranted"]
                and b["term"] == self.request_term
            )

        return r._replace(sent=tuple(m for m in r.sent if not silent(m)))


class _LateCommit(_Wrapped):
    """Reports commitIndex 0 and sends leaderCommit 0: commits learned (much) later."""

    def adjust(self, r: Reply) -> Reply:
        if r.state is None:
            return r
        sent = tuple(
            {**m, "body": {**m["body"], "leaderCommit": 0}}
            if m["body"]["type"] == "AppendEntries"
            else m
            for m in r.sent
        )
        return Reply(r.state._replace(commitIndex=0), sent)

    def observe(self, node: int) -> Reply:
        return self.adjust(super().observe(node))

    def restart(self, node: int) -> Reply:
        return self.adjust(super().restart(node))


def test_silent_vote_refusals_are_tolerated_only_when_declared() -> None:
    declared = _run(_SilentRefusals(["silent_vote_refusal"]))
    assert [x.name for x in declared.results if not x.ok] == []
    assert sum(x.skipped for x in declared.results) > 0  # refusals never sent, never delivered
    undeclared = [x for x in _run(_SilentRefusals()).results if not x.ok]
    assert undeclared
    assert {x.divergence.kind for x in undeclared if x.divergence} == {"missing message"}


def test_silence_does_not_excuse_a_missing_fence() -> None:
    class SilentAlways(_SilentRefusals):
        def deliver(self, message: dict[str, Any]) -> Reply:
            r = super().deliver(message)
            keep = tuple(m for m in r.sent if m["body"].get("voteGranted") is not False)
            return r._replace(sent=keep)

    failed = [x for x in _run(SilentAlways(["silent_vote_refusal"])).results if not x.ok]
    assert failed
    for x in failed:
        assert x.divergence is not None and x.divergence.kind == "missing message"
        (m,) = x.divergence.missing
        assert m["body"]["type"] == "RequestVoteResponse" and not m["body"]["voteGranted"]


def test_commit_learned_later_tolerates_a_lag_never_a_lead() -> None:
    assert [x.name for x in _run(_LateCommit(["commit_learned_later"])).results if not x.ok] == []
    assert _run(_LateCommit()).failed > 0

    class Ahead(_Wrapped):
        def adjust(self, r: Reply) -> Reply:
            if r.state is None:
                return r
            return r._replace(state=r.state._replace(commitIndex=len(r.state.log)))

    failed = [x for x in _run(Ahead(["commit_learned_later"])).results if not x.ok]
    assert failed and all(
        x.divergence and x.divergence.fields[0][0] == "commitIndex" for x in failed
    )


def test_figure8_commit_is_killed_even_when_commits_may_be_late() -> None:
    class Late(_Wrapped):
        def __init__(self) -> None:
            super().__init__(["commit_learned_later"])
            self.rules = mutants.get("figure8_commit").rules

    r = _run(Late())
    assert "regress-figure8_commit" in {x.name for x in r.results if not x.ok}


def test_an_unknown_capability_is_refused_at_init() -> None:
    (res,) = _run(_Wrapped(["telepathy"]), SUITE[:1]).results
    assert res.divergence is not None and res.divergence.kind == "adapter failure"
    assert "unknown capability 'telepathy'" in res.divergence.detail


@pytest.mark.parametrize(
    ("reply", "needle"),
    [
        ({"in_reply_to": 1, "ok": True, "sent": []}, "missing field 'state'"),
        ({"in_reply_to": 1, "ok": True, "state": {}, "sent": [], "x": 1}, "unexpected field 'x'"),
        ("hello", "expected an object"),
        ({"in_reply_to": 1, "ok": "yes", "state": {}, "sent": []}, "reply.ok"),
    ],
)
def test_replies_are_validated_field_by_field(reply: Any, needle: str) -> None:
    with pytest.raises(ProtocolError, match=needle):
        proto.parse_reply(reply, 3)


def test_states_and_messages_are_validated() -> None:
    good = {"currentTerm": 1, "role": "Leader", "votedFor": None, "log": [[1, 7]], "commitIndex": 0}
    assert proto.check_view(good, 3) == View(1, "Leader", None, ((1, 7),), 0)
    for bad, needle in [
        ({**good, "role": "King"}, "role"),
        ({**good, "votedFor": 4}, "not in 1..3"),
        ({**good, "log": [[1]]}, r"log\[0\]"),
        ({**good, "currentTerm": -1}, "currentTerm"),
        ({k: v for k, v in good.items() if k != "commitIndex"}, "missing field 'commitIndex'"),
    ]:
        with pytest.raises(ProtocolError, match=needle):
            proto.check_view(bad, 3)
    env = {
        "src": 1,
        "dest": 2,
        "body": {
            "type": "RequestVote",
            "term": 1,
            "candidateId": 2,
            "lastLogIndex": 0,
            "lastLogTerm": 0,
        },
    }
    with pytest.raises(ProtocolError, match="candidateId: 2 is not the sender 1"):
        proto.check_envelope(env, 3, "m")


def test_the_reference_adapter_answers_json_lines() -> None:
    a = ReferenceAdapter()
    hello = handle(a, {"id": 1, "op": "init", "protocol": 1, "nodes": [1, 2, 3]})
    assert hello == {
        "in_reply_to": 1,
        "ok": True,
        "protocol": 1,
        "capabilities": [],
        "implementation": "raftmodel (raft)",
    }
    r = handle(a, {"id": 2, "op": "timeout", "node": 1})
    assert r["state"] == {
        "currentTerm": 1,
        "role": "Candidate",
        "votedFor": 1,
        "log": [],
        "commitIndex": 0,
    }
    assert r["sent"][0] == {
        "src": 1,
        "dest": 2,
        "body": {
            "type": "RequestVote",
            "term": 1,
            "candidateId": 1,
            "lastLogIndex": 0,
            "lastLogTerm": 0,
        },
    }
    assert handle(a, {"id": 3, "op": "observe", "node": 9})["ok"] is False
    assert handle(a, {"id": 4, "op": "fly"})["ok"] is False


def test_cli_conform_against_the_reference_adapter_as_a_subprocess(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    r = run_cli(
        "conform",
        "--json",
        str(out),
        "--quiet",
        "--adapter",
        sys.executable,
        "-m",
        "checker.cli",
        "adapter",
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith(f"PASS: {len(SUITE)} of {len(SUITE)} scenarios pass")
    data = json.loads(out.read_text())
    assert data["failed"] == 0 and data["scenarios"] == len(SUITE)


def test_cli_conform_against_a_variant_fails_with_exit_1(tmp_path: Path) -> None:
    r = run_cli(
        "conform",
        "--scenario",
        "regress-term_not_persisted",
        "--out",
        str(tmp_path),
        "--adapter",
        sys.executable,
        "-m",
        "checker.cli",
        "adapter",
        "--mutant",
        "term_not_persisted",
    )
    assert r.returncode == 1, r.stderr
    assert (
        "FAIL regress-term_not_persisted: wrong state at step 2 (Restart(i=1)) S1: "
        "currentTerm expected 1 got 0" in r.stdout
    )
    assert (tmp_path / "regress-term_not_persisted.divergence.itf.json").exists()
    assert "FAIL: 0 of 1 scenarios pass" in r.stdout


def test_cli_mutation_score_with_an_adapter_subprocess_per_variant(tmp_path: Path) -> None:
    out = tmp_path / "score.json"
    r = run_cli("conform", "--mutation-score", "--quiet", "--json", str(out))
    assert r.returncode == 0, r.stdout + r.stderr
    n = len(IN_SCOPE)
    assert f"PASS: mutation score {n}/{n} (100%), correct Raft passes" in r.stdout
    data = json.loads(out.read_text())
    assert data["killed"] == n and data["total"] == n and data["raft_failed"] == 0
    assert all(data["variants"][v] > 0 for v in IN_SCOPE)
    assert set(data["out_of_scope"]) == set(mutants.NAMES) - set(IN_SCOPE)


def test_a_variant_outside_the_protocols_scope_is_named_with_its_reason(tmp_path: Path) -> None:
    # A suite whose manifest says a variant is outside protocol v1's scope (as the build
    # says of a variant whose counterexample needs an action the protocol has no
    # operation for): the score names it with the reason, and does not count it.
    import shutil

    suite_dir = tmp_path / "suite"
    shutil.copytree(ROOT / "traces" / "conformance", suite_dir)
    mp = suite_dir / "manifest.json"
    manifest = json.loads(mp.read_text())
    keep = ["probe-guards"]
    manifest["scenarios"] = [s for s in manifest["scenarios"] if s["name"] in keep]
    why = "its counterexample needs ClientRead (step 3), which protocol v1 has no operation for"
    for reg in manifest["regressions"]:
        if reg["mutant"] == "double_vote":
            reg["out_of_scope"] = why
    mp.write_text(json.dumps(manifest))
    r = run_cli("conform", "--mutation-score", "--in-process", "--suite", str(suite_dir))
    assert f"double_vote: outside protocol v1's scope: {why}" in r.stdout
    assert "not counted: double_vote" in r.stdout
    # Most other variants survive a suite of one probe scenario: a FAIL, not hidden; the
    # one out of scope is not in the count.
    assert r.returncode == 1
    assert f"/{len(IN_SCOPE) - 1} (" in r.stdout and "SURVIVED" in r.stdout


def test_a_service_variant_is_outside_the_protocols_scope_by_what_it_is() -> None:
    # The catalog's service flag (raftmodel.service's variants: reads, fencing tokens):
    # no search, no scenario, the reason said.
    m = mutants.get("double_vote")
    service = m._replace(service=True)
    assert suite.static_scope(m) is None
    sc, reg = suite.regression(service)
    assert sc is None and reg.out_of_scope is not None
    assert "observes Raft's nodes, not client replies" in reg.out_of_scope


def test_probes_catch_a_leader_that_starts_an_election_on_its_timer() -> None:
    class EagerLeader(_Wrapped):
        def timeout(self, node: int) -> Reply:
            n = self.nodes[node]
            if n.role.label == "Leader":  # forgets that leaders do not time out
                self.nodes[node] = n._replace(role=type(n.role)(0))
            return super().timeout(node)

    probe = [s for s in SUITE if s.name == "probe-guards"]
    (res,) = _run(EagerLeader(), probe).results
    d = res.divergence
    assert d is not None
    assert (d.kind, d.step, d.node) == ("wrong state", 3, 1)
    assert d.action == "probe timeout(node=1), which must change nothing"
    assert ("currentTerm", 1, 2) in d.fields


def test_a_probe_may_be_refused_if_it_changes_nothing() -> None:
    class Redirects(_Wrapped):
        def client_request(self, node: int, value: int) -> Reply:
            if self.nodes[node].role.label != "Leader":
                raise ProtocolError("not the leader; try S1")
            return super().client_request(node, value)

    probe = [s for s in SUITE if s.name == "probe-guards"]
    assert _run(Redirects(), probe).results[0].ok

    class RefusesButSteps(_Wrapped):
        def timeout(self, node: int) -> Reply:
            n = self.nodes[node]
            if n.role.label == "Leader":  # refuses, yet bumps its term
                self.nodes[node] = n._replace(currentTerm=n.currentTerm + 1)
                raise ProtocolError("leaders have no election timer")
            return super().timeout(node)

    (res,) = _run(RefusesButSteps(), probe).results
    d = res.divergence
    assert d is not None and (d.kind, d.step, d.node) == ("wrong state", 3, 1)
    assert d.fields == (("currentTerm", 1, 2),)
