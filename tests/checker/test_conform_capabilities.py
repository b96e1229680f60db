"""The path-changing capabilities (noop_on_election, empty_heartbeats, batching,
pre_vote): a correct node that behaves that way passes with the capability declared and
fails without it, and the tolerance stops exactly where the capability ends."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from checker.conform import protocol as proto
from checker.conform import runner
from checker.conform.adapter import ReferenceAdapter
from checker.conform.protocol import Hello, Reply
from raftmodel.messages import Propose, RequestVote
from raftmodel.node import can_time_out, step
from raftmodel.quorum import is_quorum
from raftmodel.rules import RAFT
from raftmodel.types import Role
from tests.support import ROOT

SUITE = runner.load(ROOT / "traces" / "conformance")


def _run(adapter: Any, scenarios: Sequence[runner.Scenario] = SUITE) -> runner.Run:
    return runner.run(runner.InProcess(adapter), scenarios)


def _failed(r: runner.Run) -> list[runner.Result]:
    return [x for x in r.results if not x.ok]


class _Declares(ReferenceAdapter):
    """raftmodel behind the protocol, declaring ``caps``."""

    def __init__(self, caps: Sequence[str] = ()) -> None:
        super().__init__()
        self.caps = frozenset(caps)

    def init(self, nodes: Sequence[int]) -> Hello:
        super().init(nodes)
        return Hello(self.caps, "capabilities test")


def test_declaring_a_path_changing_capability_changes_nothing_for_raft_itself() -> None:
    # The shadow the runner keeps under these capabilities gives the scenario's own
    # expectations when the implementation takes the scenario's path. (noop_on_election
    # is not a permission but a behaviour: declared, the no-op is expected.)
    r = _run(_Declares(sorted(proto.PATH_CHANGING - {"noop_on_election"})))
    assert _failed(r) == [] and sum(x.skipped for x in r.results) == 0


class _Noop(_Declares):
    """Appends a no-op entry ([term, 0]) when it becomes leader, as most implementations
    do (the paper §8, the thesis §6.4)."""

    def _step(self, i: int, a: Any) -> Reply:
        before = self.nodes[i]
        r = super()._step(i, a)
        after = self.nodes[i]
        if after.role == Role.LEADER and (
            before.role != Role.LEADER or before.currentTerm != after.currentTerm
        ):
            self.nodes[i], more = step(after, Propose(proto.NOOP_VALUE), self.n, self.rules)
            sent = (*r.sent, *(proto.envelope(m) for m in more))
            return Reply(proto.view_of(self.nodes[i]), sent)
        return r


def test_noop_on_election_passes_declared_and_fails_undeclared() -> None:
    declared = _run(_Noop(["noop_on_election"]))
    assert _failed(declared) == []
    # The no-op reaches followers' logs: a scenario expects it there.
    assert sum(x.steps - x.skipped for x in declared.results) > 0.9 * sum(
        x.steps for x in declared.results
    )
    undeclared = _failed(_run(_Noop()))
    assert undeclared
    d = undeclared[0].divergence
    assert d is not None and d.fields[0][0] == "log"

    # A no-op of the wrong term is not a no-op.
    class OldTerm(_Noop):
        def _step(self, i: int, a: Any) -> Reply:
            r = super()._step(i, a)
            n = self.nodes[i]
            if n.log and n.log[-1].value == proto.NOOP_VALUE and n.log[-1].term == n.currentTerm:
                self.nodes[i] = n._replace(log=(*n.log[:-1], n.log[-1]._replace(term=0)))
                return r._replace(state=proto.view_of(self.nodes[i]))
            return r

    assert _failed(_run(OldTerm(["noop_on_election"])))


class _Batches(_Declares):
    """Sends at most ``size`` entries per AppendEntries (0: an empty heartbeat to a
    follower it has never sent to since its election)."""

    def __init__(self, caps: Sequence[str] = (), size: int = 1) -> None:
        super().__init__(caps)
        self.size = size
        self.greeted: set[tuple[int, int, int]] = set()

    def send_append(self, node: int, to: int) -> Reply:
        r = super().send_append(node, to)
        term = self.nodes[node].currentTerm
        if self.size == 0:
            if (node, to, term) in self.greeted:
                return r
            self.greeted.add((node, to, term))
        return r._replace(
            sent=tuple(
                {**m, "body": {**m["body"], "entries": m["body"]["entries"][: self.size]}}
                for m in r.sent
            )
        )


def test_batching_accepts_a_shorter_batch_only_when_declared() -> None:
    declared = _run(_Batches(["batching"]))
    assert _failed(declared) == []
    undeclared = _failed(_run(_Batches()))
    assert undeclared
    assert {x.divergence.kind for x in undeclared if x.divergence} == {"missing message"}
    # Batching is not empty heartbeats: an empty AppendEntries to a follower behind fails.
    failed = _failed(_run(_Batches(["batching"], size=0)))
    assert failed and all(x.divergence and x.divergence.kind == "missing message" for x in failed)


def test_empty_heartbeats_are_tolerated_only_when_declared() -> None:
    assert _failed(_run(_Batches(["empty_heartbeats"], size=0))) == []
    assert _failed(_run(_Batches([], size=0)))
    # ... and only empty ones: a batch of 1 needs batching.
    assert _failed(_run(_Batches(["empty_heartbeats"], size=1)))


def test_a_batch_that_is_not_a_prefix_fails_even_when_declared() -> None:
    class Reversed(_Declares):
        def send_append(self, node: int, to: int) -> Reply:
            r = super().send_append(node, to)
            return r._replace(
                sent=tuple(
                    {**m, "body": {**m["body"], "entries": m["body"]["entries"][::-1][:1]}}
                    for m in r.sent
                )
            )

    failed = _failed(_run(Reversed(["batching"])))
    assert failed


class _PreVote(_Declares):
    """Runs a PreVote round before an election (Ongaro's thesis §9.6): a timeout sends
    PreVote for the next term and changes nothing; a voter answers whether it would grant
    that RequestVote (asked of a copy); a majority of grants starts the real election."""

    def __init__(self, caps: Sequence[str] = (), grant_all: bool = False) -> None:
        super().__init__(caps)
        self.grant_all = grant_all
        self.granted: dict[int, set[int]] = {}

    def timeout(self, node: int) -> Reply:
        s = self.nodes[node]
        if self.n == 1 or not can_time_out(s):
            return super().timeout(node)
        self.granted[node] = {node}
        last = s.log[-1].term if s.log else 0
        sent = tuple(
            {
                "src": node,
                "dest": j,
                "body": {
                    "type": "PreVote",
                    "term": s.currentTerm + 1,
                    "candidateId": node,
                    "lastLogIndex": len(s.log),
                    "lastLogTerm": last,
                },
            }
            for j in self.nodes
            if j != node
        )
        return Reply(proto.view_of(s), sent)

    def deliver(self, message: dict[str, Any]) -> Reply:
        b = message["body"]
        src, dest = message["src"], message["dest"]
        if b["type"] == "PreVote":
            rv = RequestVote(src, dest, b["term"], b["lastLogIndex"], b["lastLogTerm"])
            _, sent = step(self.nodes[dest], rv, self.n, self.rules)
            grant = self.grant_all or bool(getattr(sent[0], "voteGranted", False))
            body = {"type": "PreVoteResponse", "term": b["term"], "voteGranted": grant}
            return Reply(self.view(dest), ({"src": dest, "dest": src, "body": body},))
        if b["type"] == "PreVoteResponse":
            votes = self.granted.setdefault(dest, {dest})
            if b["voteGranted"]:
                votes.add(src)
            if is_quorum(frozenset(votes), self.n, RAFT.quorum(self.n)) and can_time_out(
                self.nodes[dest]
            ):
                self.granted[dest] = set()
                return super().timeout(dest)
            return Reply(self.view(dest), ())
        return super().deliver(message)

    def view(self, i: int) -> proto.View:
        return proto.view_of(self.nodes[i])


def test_pre_vote_rounds_are_run_and_checked_when_declared() -> None:
    declared = _run(_PreVote(["pre_vote"]))
    assert _failed(declared) == [], [x.divergence for x in _failed(declared)]
    # Where a majority correctly refuses the pre-vote (a candidate whose log is behind),
    # the election the scenario starts does not happen: the rest is skipped, and said.
    stopped = [x for x in declared.results if x.note]
    assert stopped and all("pre-vote round fails" in x.note for x in stopped)
    assert len(stopped) < len(declared.results) // 2
    undeclared = _failed(_run(_PreVote()))
    assert undeclared and all(
        x.divergence and any(m["body"]["type"] == "PreVote" for m in x.divergence.unexpected)
        for x in undeclared
    )
    # A voter that grants every pre-vote is caught.
    eager = _failed(_run(_PreVote(["pre_vote"], grant_all=True)))
    assert eager and all(x.divergence and "PreVote" in x.divergence.action for x in eager)


def test_a_scenario_batch_cuts_what_the_leader_sent() -> None:
    # A regression whose bug needs a shorter batch (raftmodel's Bounds.max_batch) asks for
    # an ordinary send_append and delivers the first `batch` entries of it.
    (sc,) = [s for s in SUITE if s.name == "batch-two-entries"]
    k = next(k for k, e in enumerate(sc.steps) if e.op["op"] == "send_append")
    send = sc.steps[k]
    (m,) = send.sent
    assert len(m["body"]["entries"]) == 2
    one = {**m, "body": {**m["body"], "entries": m["body"]["entries"][:1]}}
    cut = sc._replace(steps=(*sc.steps[:k], send._replace(op={**send.op, "batch": 1}, sent=(one,))))
    assert _failed(_run(_Declares(), [cut])) == []
    # The cut is the scenario's, not a tolerance: expecting the whole batch still fails.
    whole = sc._replace(steps=(*sc.steps[:k], send._replace(sent=(one,))))
    assert _failed(_run(_Declares(), [whole]))
