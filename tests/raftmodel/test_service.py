"""The service on raftmodel (raftmodel.service): its state machine, clients and read paths,
the service variants caught by ``check`` on the service presets and by a Hypothesis
stateful machine at scale (3 and 5 servers, many operations), and correct Raft passing
both. Every history the machine produces is also written as JSON lines and read back by
``checker.linearizability``, the one checker of every history.

``ServiceMachine`` drives ``raftmodel.service.apply`` only: macro rules (an election, a
replication round, a client's operation) are sequences of the model's own actions, and
after each primitive step every property of ``checker.service.model`` is checked (the
cluster's Raft properties, Linearizable, FencedWrites).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from functools import cache
from pathlib import Path
from typing import ClassVar

import pytest
from hypothesis import Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    rule,
    run_state_machine_as_test,
)

from checker.commands import main
from checker.engine.model import Violation, check_step
from checker.engine.search import Options, check
from checker.linearizability import formats
from checker.linearizability.history import build
from checker.linearizability.models import KV
from checker.linearizability.search import Verdict
from checker.linearizability.search import check as lin_check
from checker.raft.presets import PRESETS
from checker.service.history import check_kv, jsonl
from checker.service.model import ServiceModel
from raftmodel import mutants
from raftmodel import network as net
from raftmodel import service as sv
from raftmodel.actions import Receive, Restart, SendAppendEntries, Timeout
from raftmodel.cluster import Bounds, Config
from raftmodel.messages import AppendEntries, Message, RequestVote
from raftmodel.rules import RAFT, Rules
from raftmodel.types import ReadPath, Role

# --- the state machine and the clients, step by step -------------------------------------------


def _preset(name: str, rules: Rules = RAFT) -> sv.ServiceConfig:
    p = PRESETS[name]
    return p.service_config(p.config()._replace(rules=rules))


def _do(s: sv.ServiceState, sc: sv.ServiceConfig, *acts: sv.AnyAction) -> sv.ServiceState:
    for a in acts:
        nxt = sv.apply(s, a, sc)
        assert nxt is not None, f"{sv.describe(a)} is not enabled"
        s = nxt
    return s


def _msg(s: sv.ServiceState, kind: type, src: int, dst: int) -> Message:
    found = [
        m
        for m in net.messages(s.cluster.network, Semantics_SET)
        if type(m) is kind and m.source == src and m.dest == dst
    ]
    return found[-1]


Semantics_SET = Config().semantics


def _replicate(s: sv.ServiceState, sc: sv.ServiceConfig, i: int, j: int) -> sv.ServiceState:
    """SendAppendEntries(i, j), its delivery and the reply's (§5.3)."""
    s = _do(s, sc, SendAppendEntries(i, j))
    ae = max(
        (m for m in net.messages(s.cluster.network, Semantics_SET) if isinstance(m, AppendEntries)),
        key=lambda m: (m.source == i and m.dest == j, len(m.entries), m.leaderCommit),
    )
    s = _do(s, sc, Receive(ae))
    reply = next(
        m
        for m in net.messages(s.cluster.network, Semantics_SET)
        if type(m).__name__ == "AppendEntriesResponse"
        and m.source == j
        and m.dest == i
        and m.matchIndex == ae.prevLogIndex + len(ae.entries)
    )
    return _do(s, sc, Receive(reply))


def test_committed_entries_are_applied_in_order_and_answered() -> None:
    """Figure 2, Rules for All Servers: lastApplied follows commitIndex; the client's
    reply comes from the server it asked once that server applied its operation."""
    sc = _preset("service")
    s = sv.init_state(sc)
    s = _do(s, sc, sv.Submit(1))
    assert s.clients[0].waiting and sv.apply(s, sv.Reply(1), sc) is None
    s = _replicate(s, sc, 1, 2)
    assert [m.lastApplied for m in s.machines] == [1, 0]  # S2 learns the commit later
    assert s.machines[0].kv == (1,)
    s = _do(s, sc, sv.Reply(1))
    assert [(e.ev, e.f) for e in s.history] == [
        (sv.Ev.invoke, sv.Fn.write),
        (sv.Ev.ok, sv.Fn.write),
    ]


def test_a_retried_operation_is_applied_once() -> None:
    """Thesis §6.3: a retry is the same operation; the session applies it once."""
    raft = Config(2, Bounds(max_term=1, max_log=3, max_restarts=0, max_requests=0))
    sc = sv.make_config(
        raft._replace(prefix=PRESETS["service"].prefix),
        sv.Service(((sv.cas(1, sv.NIL, 5),),), max_attempts=2, guesses=(1,)),
    )
    s = _do(sv.init_state(sc), sc, sv.Submit(1), sv.GiveUp(1))  # times out, tries S2
    s = _do(s, sc, sv.Submit(1))  # S2 refuses: not the leader; the next guess is S1
    assert s.clients[0].guess == 1 and s.clients[0].attempts == 2
    sc = sc._replace(service=sc.service._replace(max_attempts=3))
    s = _do(s, sc, sv.Submit(1))  # the same cas, appended a second time
    assert [e.value for e in s.cluster.nodes[0].log] == [1, 1]
    s = _replicate(s, sc, 1, 2)
    assert s.machines[0].lastApplied == 2 and s.machines[0].kv == (5,)
    assert s.machines[0].sessions[0] == (1, (1,))  # applied once, the cas succeeded
    s = _do(s, sc, sv.Reply(1))
    assert s.history[-1].ev is sv.Ev.ok


def test_a_restart_rebuilds_the_state_machine_from_the_log() -> None:
    sc = _preset("service")
    sc = sc._replace(raft=sc.raft._replace(bounds=sc.raft.bounds._replace(max_restarts=1)))
    s = _replicate(_do(sv.init_state(sc), sc, sv.Submit(1)), sc, 1, 2)
    s = _do(s, sc, Restart(1))
    assert s.machines[0].lastApplied == 0 and s.machines[0].kv == (sv.NIL,)


def test_read_index_waits_for_a_commit_of_its_term_and_a_quorum() -> None:
    """Thesis §6.4: no read before the leader committed an entry of its term; then the
    read is answered only once a quorum confirmed the leader (S1 plus S2 here)."""
    sc = _preset("service")._replace()
    sc = sc._replace(service=sc.service._replace(guesses=(1, 1)))
    s = sv.init_state(sc)
    refused = _do(s, sc, sv.Submit(2))
    assert not refused.clients[1].waiting and refused.clients[1].guess == 2
    s = _do(_replicate(_do(s, sc, sv.Submit(1)), sc, 1, 2), sc, sv.Reply(1), sv.Submit(2))
    assert s.reads[1].index == 1 and s.reads[1].acks == {1}
    assert sv.apply(s, sv.Reply(2), sc) is None
    s = _do(s, sc, sv.Confirm(2, 2), sv.Reply(2))
    assert s.history[-1] == sv.HistoryEvent(2, sv.Ev.ok, sv.Fn.read, 1, (1,))


def test_a_server_of_a_later_term_does_not_confirm() -> None:
    sc = _preset("service-stale")
    s = _do(sv.init_state(sc), sc, sv.Submit(1))  # S1 never committed in term 1: refused
    assert not s.clients[0].waiting and s.history[-1].ev is sv.Ev.invoke
    assert all(sv.apply(s, sv.Confirm(1, j), sc) is None for j in (2, 3))


# --- check on the service presets: every variant caught, correct Raft passes --------------------

#: (preset, distinct states, depth) of correct Raft's exhaustive search, view on, no
#: symmetry. service-stale (141,426 states, about a minute of CPU in pure Python) is the slow
#: tier's.
CORRECT = {"service": (1281, 15), "service-lock": (1402, 17)}
SLOW_CORRECT = {"service-stale": (141426, 22)}


def _passes(preset: str, expected: tuple[int, int]) -> None:
    res = check(ServiceModel(_preset(preset)), Options(symmetry=False, view=True))
    assert res.counterexample is None and res.stopped is None
    assert (res.distinct, res.depth) == expected
    # Not vacuous: clients complete operations in the space explored, and on the kv
    # presets ReadIndex reads are confirmed by a quorum and answered.
    assert res.coverage["Reply"] > 0
    assert res.coverage["Confirm"] > 0 or preset == "service-lock"


@pytest.mark.parametrize("preset", sorted(CORRECT))
def test_correct_raft_passes_the_service_presets(preset: str) -> None:
    _passes(preset, CORRECT[preset])


@pytest.mark.slow
@pytest.mark.parametrize("preset", sorted(SLOW_CORRECT))
def test_correct_raft_passes_the_stale_leader_preset(preset: str) -> None:
    """Exhaustive since client 2's write starts appended (presets.stale_write_start)."""
    _passes(preset, SLOW_CORRECT[preset])


@pytest.mark.parametrize("mutant", mutants.SERVICE, ids=lambda m: m.name)
def test_check_catches_every_service_variant(mutant: mutants.Mutant) -> None:
    res = check(
        ServiceModel(_preset(mutant.preset, mutant.rules)), Options(symmetry=False, view=True)
    )
    cex = res.counterexample
    assert cex is not None
    assert (cex.violation.property, len(cex.actions)) == (mutant.caught_by, mutant.shortest)
    # The same steps on correct Raft stop short of the violation: it is the variant's doing.
    sc = _preset(mutant.preset)
    s = sv.init_state(sc)
    model = ServiceModel(sc)
    for a in cex.actions:
        t = sv.apply(s, a, sc)
        if t is None:
            break
        assert check_step(model, s, a, t) is None
        s = t


@pytest.mark.slow
def test_leader_local_reads_are_caught_on_the_stale_leader_preset() -> None:
    """The unsafe path needs no variant: with ``reads=leader-local`` correct Raft fails."""
    sc = _preset("service-stale")
    sc = sc._replace(service=sc.service._replace(reads=ReadPath.LEADER_LOCAL))
    res = check(ServiceModel(sc), Options(symmetry=False, view=True))
    assert res.counterexample is not None
    assert res.counterexample.violation.property == "Linearizable"


def test_service_variants_change_nothing_without_a_service() -> None:
    """Off by default: a service variant's cluster is correct Raft's, state for state."""
    for m in mutants.SERVICE:
        a = check_counts(Config(rules=m.rules))
        assert a == check_counts(Config()), m.name


@cache
def check_counts(config: Config) -> tuple[int, int]:
    from checker.raft.model import RaftModel

    res = check(RaftModel(config._replace(bounds=PRESETS["elections"].bounds)), Options())
    return res.distinct, res.generated


# --- the Hypothesis machine at scale -------------------------------------------------------------


class PropertyViolated(AssertionError):
    def __init__(self, actions: Sequence[sv.AnyAction], violation: Violation) -> None:
        self.actions = tuple(actions)
        self.violation = violation
        last = sv.describe(actions[-1]) if actions else "init"
        super().__init__(
            f"{violation.property} violated at step {len(actions)} ({last}): {violation.detail}"
        )


def programs(clients: int, ops: int) -> tuple[tuple[sv.Op, ...], ...]:
    """Kv clients, mostly on key 1 (distinct written values, so a read says whose write
    it saw; a read after every update, so a stale one shows), and two lock clients that
    acquire and write to the guarded resource. A cas expects the client's own write two
    operations earlier: it succeeds unless another client wrote in between."""
    progs: list[tuple[sv.Op, ...]] = []
    for c in range(1, clients + 1):
        prog: list[sv.Op] = []
        for k in range(ops):
            v = 10 * c + k + 1
            pick = (
                sv.write(1, v),
                sv.read(1),
                sv.cas(1, v - 2, v),
                sv.read(1),
                sv.write(2, v),
                sv.read(2),
            )
            prog.append(pick[(k + c - 1) % len(pick)])  # staggered: a round mixes ops
        progs.append(tuple(prog))
    for _ in range(2):
        progs.append(tuple(op for k in range(ops // 2) for op in (sv.acquire(), sv.fenced(k + 1))))
    return tuple(progs)


class ServiceMachine(RuleBasedStateMachine):
    sc: ClassVar[sv.ServiceConfig]

    def __init__(self) -> None:
        super().__init__()
        self.model = ServiceModel(self.sc)
        self.state = self.model.init_states()[0]
        self.actions: list[sv.AnyAction] = []
        self.n = self.sc.raft.n
        self.clients = len(self.sc.service.programs)
        #: A partition: these servers hear only each other (the macros and ``deliver``
        #: choose which messages arrive; the model itself is never told).
        self.cut: frozenset[int] = frozenset()

    def _linked(self, a: int, b: int) -> bool:
        return (a in self.cut) == (b in self.cut)

    def _do(self, a: sv.AnyAction) -> bool:
        t = sv.apply(self.state, a, self.sc)
        if t is None:
            return False
        v = check_step(self.model, self.state, a, t)
        self.actions.append(a)
        self.state = t
        if v is not None:
            raise PropertyViolated(self.actions, v)
        return True

    def _inbox(self, kind: type, src: int, dst: int) -> list[Message]:
        return [
            m
            for m in net.messages(self.state.cluster.network, self.sc.raft.semantics)
            if type(m) is kind and m.source == src and m.dest == dst
        ]

    @initialize()
    def first_leader(self) -> None:
        """S1 leads term 1 with every vote: clients have a leader from the start."""
        self._elect(1, range(2, self.n + 1))

    @rule(data=st.data())
    def elect(self, data: st.DataObject) -> None:
        """Timeout(i), then i's RequestVote to some voters and their replies back (§5.2):
        the voters left out are partitioned from i for this election."""
        i = data.draw(st.integers(1, self.n), label="candidate")
        others = [v for v in range(1, self.n + 1) if v != i]
        voters = data.draw(st.sets(st.sampled_from(others), min_size=1), label="voters")
        self._elect(i, sorted(voters))

    def _elect(self, i: int, voters: Sequence[int]) -> None:
        if not self._do(Timeout(i)):
            return
        term = self.state.cluster.nodes[i - 1].currentTerm
        for v in (v for v in voters if self._linked(i, v)):
            rv = [m for m in self._inbox(RequestVote, i, v) if m.term == term]
            if rv and self._do(Receive(rv[0])):
                for r in self._inbox(type(_vote_reply()), v, i):
                    if r.term == term:
                        self._do(Receive(r))

    @rule(data=st.data())
    def replicate(self, data: st.DataObject) -> None:
        """A leader's AppendEntries to some followers, delivered, and their replies (§5.3)."""
        leaders = [x.id for x in self.state.cluster.nodes if x.role == Role.LEADER]
        if not leaders:
            return
        i = data.draw(st.sampled_from(leaders), label="leader")
        others = [j for j in range(1, self.n + 1) if j != i]
        self._replicate(i, sorted(data.draw(st.sets(st.sampled_from(others), min_size=1))))

    def _replicate(self, i: int, followers: Sequence[int]) -> None:
        for j in (j for j in followers if self._linked(i, j)):
            before = set(self._inbox(AppendEntries, i, j))
            if not self._do(SendAppendEntries(i, j)):
                continue
            new = [m for m in self._inbox(AppendEntries, i, j) if m not in before] or sorted(
                before, key=lambda m: (len(m.entries), m.leaderCommit)
            )[-1:]
            if new and self._do(Receive(new[0])):
                for r in self._inbox(type(_append_reply()), j, i):
                    if r.term == new[0].term:
                        self._do(Receive(r))

    @rule(data=st.data())
    def deliver(self, data: st.DataObject) -> None:
        """Any message ever sent, late or again (the network reorders and duplicates)."""
        msgs = [
            m
            for m in net.messages(self.state.cluster.network, self.sc.raft.semantics)
            if self._linked(m.source, m.dest)
        ]
        if msgs:
            self._do(Receive(data.draw(st.sampled_from(msgs), label="message")))

    @rule(data=st.data())
    def handover(self, data: st.DataObject) -> None:
        """A leader brings every server up to date, is cut off from them, and another
        server is elected by the rest: the old leader still believes it leads (the
        partition a stale read or a stale lock holder needs)."""
        leaders = [x.id for x in self.state.cluster.nodes if x.role == Role.LEADER]
        if not leaders:
            return
        old = data.draw(st.sampled_from(leaders), label="old leader")
        others = [j for j in range(1, self.n + 1) if j != old]
        self.cut = frozenset()
        self._replicate(old, others)
        self._replicate(old, others)  # the second round carries the new commitIndex
        self.cut = frozenset((old,))
        new = data.draw(st.sampled_from(others), label="new leader")
        self._elect(new, [v for v in others if v != new])

    @rule()
    def heal(self) -> None:
        self.cut = frozenset()

    @rule(k=st.integers(1, 5), data=st.data())
    def operation(self, k: int, data: st.DataObject) -> None:
        """Client k's operation end to end if it can: sent (a refusal sends it on to the
        next server, as a client follows redirects, within its attempts), replicated by
        its leader to some followers (a quorum commits it), answered."""
        if k > self.clients:
            return
        followers = data.draw(st.sets(st.integers(1, self.n), min_size=1), label="followers")
        self._operation(k, followers)

    def _operation(self, k: int, followers: Collection[int], retry: bool = False) -> None:
        """Submit, on to the next server after a refusal; the leader replicates to
        ``followers``; the answer. With ``retry``, an attempt left unanswered times out
        (GiveUp) and the client tries the next server, within its attempts."""
        for _ in range(self.sc.service.max_attempts + 1):
            if not self._do(sv.Submit(k)):
                if retry:
                    self._do(sv.GiveUp(k))  # out of attempts, refused: fail
                return
            cl = self.state.clients[k - 1]
            if not cl.busy:
                return  # answered at once (a fenced write, a read served locally)
            if not cl.waiting:
                continue  # refused: the client asks the next server
            node = self.state.cluster.nodes[cl.guess - 1]
            if node.role == Role.LEADER:
                self._replicate(node.id, sorted(j for j in followers if j != node.id))
            self.answer(k)
            if not retry or not self.state.clients[k - 1].busy:
                return
            self._do(sv.GiveUp(k))

    @rule(data=st.data())
    def clients_round(self, data: st.DataObject) -> None:
        """A busy period of the workload: every client, in a drawn order, runs its next
        operation end to end (every reachable follower replicated to). One rule makes as
        many operations as five, so histories are dense enough for their operations to
        race a leader change (a stale read needs a write completed at the new leader
        before a read at the old one)."""
        order = data.draw(st.permutations(range(1, self.clients + 1)), label="clients")
        for k in order:
            self._operation(k, range(1, self.n + 1), retry=True)

    def _lock_clients(self) -> list[int]:
        return [
            c
            for c, prog in enumerate(self.sc.service.programs, 1)
            if any(op.f is sv.Fn.acquire for op in prog)
        ]

    def _next_op(self, k: int) -> sv.Fn | None:
        cl = self.state.clients[k - 1]
        prog = self.sc.service.programs[k - 1]
        return None if cl.stopped or cl.pc >= len(prog) else prog[cl.pc].f

    def _run_to_write(self, k: int, write: bool) -> None:
        """Client k's operations end to end (every follower reached) until its next one is
        a fenced write; with ``write``, that write too."""
        everyone = frozenset(range(1, self.n + 1))
        for _ in range(4):
            f = self._next_op(k)
            if f is None:
                return
            if f is sv.Fn.fenced:
                if write:
                    self._operation(k, everyone, retry=True)
                return
            before = self.state.clients[k - 1]
            self._operation(k, everyone, retry=True)
            if self.state.clients[k - 1] == before:
                return  # stuck (no leader it can reach): leave it to other rules

    @rule(data=st.data())
    def lock_race(self, data: st.DataObject) -> None:
        """Kleppmann's fencing scenario: lock holder a pauses before its write (a GC
        pause, a lease that expires); meanwhile (perhaps across a leader change) client b
        acquires the lock and writes; then a wakes and writes with the token it holds.
        The resource must refuse a's write: the scenario fencing tokens exist for, and
        five moves in a given order that uniform rule choice almost never makes."""
        locks = self._lock_clients()
        if len(locks) < 2:
            return
        a, b = data.draw(st.permutations(locks), label="holder, rival")[:2]
        self._run_to_write(a, write=False)
        if data.draw(st.booleans(), label="leader change"):
            self.handover(data)
        self._run_to_write(b, write=False)
        self._run_to_write(b, write=True)
        self._run_to_write(a, write=True)

    @rule(k=st.integers(1, 5))
    def submit(self, k: int) -> None:
        """Client k sends (or resends) its operation to the server it believes leads."""
        if k <= self.clients:
            self._do(sv.Submit(k))

    @rule(k=st.integers(1, 5))
    def answer(self, k: int) -> None:
        """Client k's answer: ReadIndex's confirmations first if its read waits on them."""
        if k <= self.clients:
            for j in range(1, self.n + 1):
                self._do(sv.Confirm(k, j))
            self._do(sv.Reply(k))

    @rule(k=st.integers(1, 5))
    def give_up(self, k: int) -> None:
        if k <= self.clients:
            self._do(sv.GiveUp(k))

    @rule(i=st.integers(1, 5))
    def restart(self, i: int) -> None:
        if i <= self.n:
            self._do(Restart(i))

    def teardown(self) -> None:
        # The history this run produced, as JSON lines, read back and judged by the same
        # checker as any outside history: the same verdict as the Linearizable property.
        text = jsonl(self.state.history)
        if not text:
            return
        h = build(formats.read(text, "json", "run"), KV.validate, "run")
        assert lin_check(KV, h).verdict is check_kv(self.state.history).verdict


def _vote_reply() -> Message:
    from raftmodel.messages import RequestVoteResponse

    return RequestVoteResponse(0, 0, 0, False)


def _append_reply() -> Message:
    from raftmodel.messages import AppendEntriesResponse

    return AppendEntriesResponse(0, 0, 0, False, 0)


def machine_for(n: int, rules: Rules, reads: ReadPath, ops: int) -> type[ServiceMachine]:
    raft = Config(n, Bounds(max_term=None, max_log=None, max_restarts=2), rules=rules)
    sc = sv.make_config(raft, sv.Service(programs(3, ops), keys=2, reads=reads, max_attempts=3))
    return type(f"Machine_{n}_{rules.name}_{reads.label}", (ServiceMachine,), {"sc": sc})


def run(n: int, rules: Rules = RAFT, reads: ReadPath = ReadPath.READ_INDEX, **kw: object) -> None:
    ops = int(kw.pop("ops", 8))  # type: ignore[call-overload]
    run_state_machine_as_test(machine_for(n, rules, reads, ops), settings=settings(**kw))  # type: ignore[arg-type]


@pytest.mark.parametrize("n", [3, 5])
def test_correct_raft_keeps_every_service_property(n: int) -> None:
    run(n, max_examples=30, stateful_step_count=40)


@pytest.mark.parametrize("reads", [ReadPath.LOG, ReadPath.READ_INDEX])
@pytest.mark.slow
def test_correct_raft_soak(reads: ReadPath) -> None:
    for n in (3, 5):
        run(n, reads=reads, max_examples=60, stateful_step_count=60, ops=12)


def _hunt(rules: Rules, n: int, **kw: object) -> PropertyViolated:
    with pytest.raises(PropertyViolated) as info:
        run(n, rules, ReadPath.READ_INDEX, report_multiple_bugs=False, **kw)
    return info.value


#: Every service variant, at 3 and 5 servers. The machine's ``clients_round`` (a busy
#: period: every client's next operation) and ``lock_race`` (a paused lock holder) are what
#: make a stale read and token_per_leader's five ordered moves likely: with one client
#: operation per rule, token_per_leader was not found in 2,000 runs.
HUNTS = [(m.name, n) for m in mutants.SERVICE for n in (3, 5)]


@pytest.mark.parametrize(("name", "n"), HUNTS)
def test_hypothesis_finds_every_service_variant(name: str, n: int) -> None:
    """The default run's hunt: derandomized, no shrinking (the slow tier shrinks), about
    a second each; every variant is found within 200 runs of 30 steps."""
    mutant = mutants.get(name)
    found = _hunt(
        mutant.rules, n, max_examples=200, stateful_step_count=30, phases=(Phase.generate,)
    )
    assert found.violation.property == mutant.caught_by, str(found)


@pytest.mark.slow
@pytest.mark.parametrize(("name", "n"), HUNTS)
def test_hypothesis_finds_and_shrinks_every_service_variant(name: str, n: int) -> None:
    mutant = mutants.get(name)
    found = _hunt(mutant.rules, n, max_examples=1000, stateful_step_count=30)
    assert found.violation.property == mutant.caught_by, str(found)
    assert len(found.actions) <= 200, len(found.actions)  # macro rules: 27 to 155 seen


# --- histories: simulate, check and the ITF reader, judged by the one checker -------------------


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """raftcheck in this process (the verbs' own runner: exit code, one-line errors)."""
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_check_writes_a_trace_and_history_the_checker_reads(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out = tmp_path / "fr.itf.json"
    code, stdout, _ = _cli(
        capsys, "check", "--model", "service", "--mutant", "follower_read", "--quiet",
        "--out", str(out),
    )  # fmt: skip
    assert code == 1 and "VIOLATION: Linearizable after 6 steps" in stdout
    for path in (out, tmp_path / "fr.history.jsonl"):
        code, stdout, _ = _cli(capsys, "linearizable", str(path), "--object", "kv", "--quiet")
        assert code == 1, stdout
        assert "cannot be placed: #1 p2 key 1: read → nil" in stdout
        # Both files say they are keyed: without --object they are judged as the kv store.
        code, stdout, _ = _cli(capsys, "linearizable", str(path))
        assert code == 1 and "not linearizable as a kv" in stdout, stdout


def test_simulate_writes_a_history_the_checker_passes(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    hist = tmp_path / "h.jsonl"
    code, stdout, _ = _cli(
        capsys, "simulate", "--service", "service", "--walks", "20", "--depth", "30",
        "--history", str(hist),
    )  # fmt: skip
    assert code == 0, stdout
    assert "the last walk's client history written to" in stdout
    ops = [json.loads(x) for x in hist.read_text().splitlines()]
    assert ops and all(op["process"] in (1, 2) and "key" in op for op in ops)
    code, stdout, _ = _cli(capsys, "linearizable", str(hist))
    assert code == 0 and "object kv" in stdout, stdout


def test_reads_choose_the_read_path(capsys: pytest.CaptureFixture[str]) -> None:
    code, stdout, _ = _cli(capsys, "check", "--model", "service", "--reads", "log", "--quiet")
    assert code == 0 and "reads=log" in stdout and "321 distinct states" in stdout
    code, _, err = _cli(capsys, "check", "--model", "elections", "--reads", "log")
    assert code == 2 and "elections has no service" in err


def test_simulate_refuses_history_without_a_service(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _, err = _cli(capsys, "simulate", "--history", str(tmp_path / "h.jsonl"))
    assert code == 2 and "need --service PRESET" in err
    code, _, err = _cli(capsys, "simulate", "--service", "default")
    assert code == 2 and "unknown service preset 'default'" in err


def test_the_itf_reader_refuses_bad_traces_with_their_place(tmp_path: Path) -> None:
    bad = tmp_path / "bad.itf.json"
    bad.write_text(
        '{\n "#meta": {},\n "states": [{"history": [{"process": 1, "type": "ok"}]}]\n}\n'
    )
    with pytest.raises(Exception, match=r"history event 1: the event has no 'f'"):
        formats.read(bad.read_text(), "auto", str(bad))
    cluster = (
        Path(__file__).resolve().parents[2] / "traces" / "examples" / "term-29-election.itf.json"
    )
    with pytest.raises(Exception, match="no 'history' variable"):
        formats.read(cluster.read_text(), "auto", "t")


def test_a_violating_history_is_found_by_the_checker_and_the_property_alike() -> None:
    sc = _preset("service", mutants.get("follower_read").rules)
    res = check(ServiceModel(sc), Options(symmetry=False, view=True))
    assert res.counterexample is not None
    history = res.counterexample.states[-1].history
    assert check_kv(history).verdict is Verdict.VIOLATION
