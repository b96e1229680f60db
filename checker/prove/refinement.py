"""The tie between raftmodel and the log-level model (``loglevel.py``).

**The mapping** alpha is ``abstraction.alpha`` (its docstring says what it keeps).

**(a) The invariants on mapped states** (``check_states``): every conjunct of the log-level
inductive invariant, properties and lemmas, is evaluated (z3 ``simplify`` on concrete values,
BOUNDED mode) on alpha(s) for every state s of a breadth-first search over
``raftmodel.cluster.successors``. Under correct Raft none fails; a mutant's states fail
some lemma (a test shows it).

**(b) Step-by-step refinement** (``check_refinement``, ``check_walks``, ``check_path``): a
forward simulation. The search explores pairs (raftmodel state s, log-level state a) from
(Init, alpha(Init)); for each raftmodel step s -> s2, ``simulate_step`` picks the abstract
steps (none: a stutter) by these rules, each carried out by the z3 encoding itself
(``Stepper``: guard and effect simplified on values), so that no abstract rule is written
twice:

  a leader's ClientRequest            ClientRequest(i)
  a follower's log changes            UpdateTerms(leader, i) to the leader's term (when
  (AppendEntries accepted)            another server is at it), StepDown(i) if it is still
                                      a primary, RollbackEntries(i, j) (or, when no log
                                      has a higher last term, TruncateToPrimary(i, j)) down to
                                      the common prefix, GetEntries(i, j) per new entry
  the vote that completes a quorum    BecomeLeader(c, Q, t): Q = the servers that granted
  for candidate c in term t is cast   c their vote in t (or a quorum among them)
  the acknowledgement that completes  UpdateTerms(leader, f) for acknowledgers behind the
  a quorum for index k of the         leader's term, then CommitEntry(leader, Q, k)
  leader's own term t is sent
  anything else                       stutter (Timeout, refusals, term adoption, counting
                                      votes and acknowledgements, SendAppendEntries, Restart)

Elections and commits happen when the last vote or acknowledgement is *sent*, not when
it is counted: by then its voters may have moved on, which the atomic abstract actions
cannot express. Under SET semantics every message ever sent stays in the network, so the
votes and acknowledgements sent are read from s2 (no extra history variable). Abstract
terms may lag behind raftmodel's: a Timeout, or a vote, changes no abstract term.

The simulation relation R(s, a), checked after every step (``related``): every log is
equal; every raftmodel leader of term t is an abstract primary at term t; no abstract
term is ahead of raftmodel's; a's committed set contains alpha(s)'s. With the log-level
invariant holding on a (checked too), R carries OnePrimaryPerTerm, LogMatching,
LeaderCompleteness and StateMachineSafety over to raftmodel's leaders, logs and commits.

Four changes to the log-level model (``LogEncoding.term_jumps``; proved like the rest):
BecomeLeader wins any term above the winner's (raftmodel's candidate wins the term it
timed out into, whatever its lagging abstract term), also when the winner is a stale
primary; CommitEntry commits any entry of the leader's term that a quorum holds;
StepDown(i) ends a primary's leadership without a term change; TruncateToPrimary(i, j)
drops i's last entry when a primary j at a term >= i's lacks it and it is of a lower
term than j's (AbstractStaticRaft's RollbackEntries needs a log with a higher last term,
which Figure 8 (d)'s overwrite does not have).
"""

from __future__ import annotations

import itertools
import random
from collections import Counter, deque
from collections.abc import Callable, Sequence
from typing import NamedTuple

import z3

from checker.engine.search import transitions
from checker.prove.abstraction import Abstract, alpha
from checker.prove.induction import ActionInstance, Arg
from checker.prove.loglevel import MUTANTS, LogEncoding, rules_for
from checker.prove.symbolic import Mode
from checker.raft.model import RaftModel
from raftmodel.actions import Action, ClientRequest, Receive, action_name, describe
from raftmodel.cluster import ClusterState, Config, apply, init_state, successors
from raftmodel.messages import AppendEntries, AppendEntriesResponse, RequestVoteResponse
from raftmodel.network import Semantics
from raftmodel.types import Role


class Evaluator:
    """The log-level conjuncts evaluated on concrete abstract states (cached)."""

    def __init__(self, n: int, max_term: int, max_log: int) -> None:
        self.enc = LogEncoding(n, rules_for("raft"), Mode(max_term=max_term, max_log=max_log))
        self._failed: dict[Abstract, tuple[str, ...]] = {}

    def failed(self, a: Abstract) -> tuple[str, ...]:
        """The conjuncts alpha-state ``a`` violates."""
        if a not in self._failed:
            st = self.enc.concrete(a.currentTerm, a.primary, a.logs, sorted(a.committed))
            self._failed[a] = tuple(
                c.name for c in self.enc.conjuncts if not z3.is_true(z3.simplify(c.holds(st)))
            )
        return self._failed[a]


class StateReport(NamedTuple):
    states: int
    abstract_states: int
    #: conjunct -> number of raftmodel states whose alpha violates it
    failures: dict[str, int]
    #: one raftmodel state per violated conjunct (the first found)
    examples: dict[str, Abstract]


def check_states(config: Config, max_states: int, *, stop_at_failure: bool = False) -> StateReport:
    b = config.bounds
    assert b.max_term is not None and b.max_log is not None
    ev = Evaluator(config.n, b.max_term, b.max_log)
    failures: Counter[str] = Counter()
    examples: dict[str, Abstract] = {}
    seen = {init_state(config)}
    for s in [init_state(config)]:
        for c in ev.failed(alpha(s)):
            failures[c] += 1
    for _, _, t in transitions(RaftModel(config), max_states):
        if t in seen:
            continue
        seen.add(t)
        a = alpha(t)
        for c in ev.failed(a):
            failures[c] += 1
            examples.setdefault(c, a)
        if stop_at_failure and failures:
            break
    return StateReport(len(seen), len(ev._failed), dict(failures), examples)


class Stepper:
    """Carries out instances of the log-level model's actions on concrete abstract states
    (the z3 encoding, simplified on values: the abstract model is not written twice)."""

    def __init__(self, n: int, max_term: int, max_log: int, mutant: str = "raft") -> None:
        rules = rules_for(mutant if mutant in MUTANTS else None)
        self.enc = LogEncoding(n, rules, Mode(max_term=max_term, max_log=max_log))
        self.quorum_size = rules.quorum(n)
        self._by_args = {(x.kind, x.args): x for x in self.enc.actions()}
        self._cache: dict[tuple[object, ...], Abstract | None] = {}

    def step(self, a: Abstract, kind: str, args: tuple[Arg, ...], **params: int) -> Abstract | None:
        """The successor of ``a`` under the instance, or None when its guard is false."""
        key = (a, kind, args, tuple(sorted(params.items())))
        if key not in self._cache:
            inst = self._by_args.get((kind, args))
            self._cache[key] = None if inst is None else self._apply(a, inst, params)
        return self._cache[key]

    def _apply(self, a: Abstract, inst: ActionInstance, params: dict[str, int]) -> Abstract | None:
        enc = self.enc
        st = inst.apply(enc.concrete(a.currentTerm, a.primary, a.logs, sorted(a.committed)))
        assert set(st.params) == set(params), (inst.name, set(st.params), set(params))
        subs = [(st.params[k], z3.IntVal(v)) for k, v in params.items()]

        def val(e: z3.ExprRef) -> z3.ExprRef:
            return z3.simplify(z3.substitute(e, *subs) if subs else e)

        if not z3.is_true(val(st.guard)):
            return None
        after = st.after
        logs = []
        for lg in after.log:
            length = val(lg.length).as_long()
            logs.append(tuple(val(lg.at(k)).as_long() for k in range(1, length + 1)))
        rep = after.committed.rep
        assert isinstance(rep, dict)
        return Abstract(
            tuple(val(t).as_long() for t in after.currentTerm),
            tuple(z3.is_true(val(p)) for p in after.primary),
            tuple(logs),
            frozenset(k for k, b in rep.items() if z3.is_true(val(b))),
        )


class Unmapped(Exception):
    """A raftmodel step the simulation cannot match with abstract steps."""


def related(s: ClusterState, a: Abstract) -> str | None:
    """The simulation relation R(s, a); None when it holds, else what fails."""
    for i, x in enumerate(s.nodes):
        if tuple(e.term for e in x.log) != a.logs[i]:
            return f"log of S{i + 1} differs"
        if a.currentTerm[i] > x.currentTerm:
            return f"abstract term of S{i + 1} is ahead of raftmodel's"
        if x.role == Role.LEADER and not (a.primary[i] and a.currentTerm[i] == x.currentTerm):
            return f"S{i + 1} leads term {x.currentTerm} but is not its abstract primary"
    missing = alpha(s).committed - a.committed
    if missing:
        return f"committed {sorted(missing)} in raftmodel, not in the abstract state"
    return None


def _grants(s: ClusterState, c: int, t: int) -> frozenset[int]:
    """Servers that granted c their vote in term t (c's own vote included): under SET
    semantics every response sent is still in the network."""
    return frozenset(
        {c}
        | {
            m.source
            for m in s.network
            if isinstance(m, RequestVoteResponse) and m.dest == c and m.term == t and m.voteGranted
        }
    )


def _acks(s: ClusterState, leader: int, t: int, k: int) -> frozenset[int]:
    """Servers that acknowledged index k to ``leader`` in term t (the leader included)."""
    return frozenset(
        {leader}
        | {
            m.source
            for m in s.network
            if isinstance(m, AppendEntriesResponse)
            and m.dest == leader
            and m.term == t
            and m.success
            and m.matchIndex >= k
        }
    )


def _quorums_within(q: frozenset[int], member: int, size: int) -> list[frozenset[int]]:
    """``q`` itself, then its subsets of ``size`` that contain ``member``."""
    rest = sorted(q - {member})
    subsets = [frozenset({member, *c}) for c in itertools.combinations(rest, size - 1)]
    return [q, *[x for x in subsets if x != q]]


def simulate_step(
    st: Stepper, s: ClusterState, act: Action, s2: ClusterState, a: Abstract
) -> tuple[Abstract, tuple[str, ...]]:
    """The abstract steps matching raftmodel's step s -> s2 from ``a`` (the rules in the
    module docstring); raises ``Unmapped`` when one is not enabled."""
    path: list[str] = []
    n = len(s.nodes)
    servers = range(1, n + 1)

    def do(kind: str, args: tuple[Arg, ...], **params: int) -> bool:
        nonlocal a
        b = st.step(a, kind, args, **params)
        if b is None:
            return False
        a = b
        path.append(kind)
        return True

    def update(j: int, term: int, prefer: int) -> bool:
        """UpdateTerms(x, j) from a server x at abstract ``term``, ``prefer`` first."""
        order = [prefer] + [x for x in servers if x != prefer]
        return any(
            x != j and a.currentTerm[x - 1] == term and do("UpdateTerms", (x, j)) for x in order
        )

    # (1) Logs: a leader's ClientRequest, or a follower taking AppendEntries.
    for v in servers:
        old, new = a.logs[v - 1], tuple(e.term for e in s2.nodes[v - 1].log)
        if old == new:
            continue
        if isinstance(act, ClientRequest) and act.i == v:
            if not do("ClientRequest", (v,)):
                raise Unmapped(f"ClientRequest({v}): S{v} is not the abstract primary")
            continue
        assert isinstance(act, Receive) and isinstance(act.m, AppendEntries), act
        leader, t = act.m.source, act.m.term
        if a.currentTerm[v - 1] < t:
            update(v, t, leader)
        if a.primary[v - 1] and not do("StepDown", (v,)):
            raise Unmapped(f"S{v} takes entries but is a primary that cannot step down")
        keep = 0
        while keep < min(len(old), len(new)) and old[keep] == new[keep]:
            keep += 1
        while len(a.logs[v - 1]) > keep:
            others = [j for j in servers if j != v]
            if not any(do("RollbackEntries", (v, j)) for j in others) and not any(
                do("TruncateToPrimary", (v, j)) for j in [leader, *others] if j != v
            ):
                raise Unmapped(
                    f"S{v} drops an entry no RollbackEntries or TruncateToPrimary allows"
                )
        while len(a.logs[v - 1]) < len(new):
            k = len(a.logs[v - 1])
            ok = any(
                len(a.logs[j - 1]) > k and a.logs[j - 1][k] == new[k] and do("GetEntries", (v, j))
                for j in servers
                if j != v
            )
            if not ok:
                raise Unmapped(f"S{v} takes entry {k + 1} (term {new[k]}) from no log")

    # (2) Elections, when the vote that completes a quorum is cast (not when counted).
    for c in servers:
        x = s2.nodes[c - 1]
        t = x.currentTerm
        if x.role == Role.FOLLOWER or (a.primary[c - 1] and a.currentTerm[c - 1] == t):
            continue
        granted = _grants(s2, c, t)
        if len(granted) < st.quorum_size:
            continue
        if not any(
            do("BecomeLeader", (c, q), newTerm=t)
            for q in _quorums_within(granted, c, st.quorum_size)
        ):
            raise Unmapped(f"S{c} has a quorum of votes in term {t}; BecomeLeader is not enabled")

    # (3) Commits, when the acknowledgement that completes a quorum is sent.
    for leader in servers:
        x = s2.nodes[leader - 1]
        if x.role != Role.LEADER:
            continue
        t = x.currentTerm
        for k, e in enumerate(x.log, start=1):
            if e.term != t or (k, t, t) in a.committed:
                continue
            acked = _acks(s2, leader, t, k)
            if len(acked) < st.quorum_size:
                continue
            for f in acked - {leader}:
                if a.currentTerm[f - 1] < t:
                    update(f, t, leader)
            if not any(
                do("CommitEntry", (leader, q), index=k)
                for q in _quorums_within(acked, leader, st.quorum_size)
            ):
                raise Unmapped(f"S{leader} has a quorum for index {k}; CommitEntry is not enabled")

    return a, tuple(path)


class RefinementReport(NamedTuple):
    #: (raftmodel state, abstract state) pairs explored, and raftmodel states among them.
    pairs: int
    states: int
    transitions: int
    #: raftmodel action name -> abstract path ("stutter", "UpdateTerms+GetEntries", ...) -> count
    by_action: dict[str, dict[str, int]]
    #: True when every reachable pair was explored (BFS not cut by ``max_states``).
    complete: bool
    #: The first failure: why, and the raftmodel actions from Init that lead to it.
    failure: str | None = None
    trace: tuple[str, ...] = ()


class _Failure(Exception):
    pass


class _Simulation:
    """One raftmodel step at a time: abstract steps, the relation, the invariant."""

    def __init__(self, config: Config, mutant: str) -> None:
        b = config.bounds
        if b.max_term is None or b.max_log is None:
            raise ValueError("the refinement check needs bounded terms and logs")
        if config.semantics is not Semantics.SET:
            raise ValueError(
                "the refinement check reads votes and acknowledgements from a SET network"
            )
        self.config = config
        self.stepper = Stepper(config.n, b.max_term, b.max_log, mutant)
        self.ev = Evaluator(config.n, b.max_term, b.max_log)
        self.by: dict[str, Counter[str]] = {}
        self.transitions = 0

    def advance(self, s: ClusterState, act: Action, s2: ClusterState, a: Abstract) -> Abstract:
        self.transitions += 1
        label = describe(act)
        try:
            a2, path = simulate_step(self.stepper, s, act, s2, a)
        except Unmapped as e:
            raise _Failure(f"{label}: {e}") from None
        why = related(s2, a2)
        if why is None and self.ev.failed(a2):
            why = f"the abstract state violates {', '.join(self.ev.failed(a2))}"
        if why is not None:
            raise _Failure(f"{label}: {why}")
        kind = f"Receive({type(act.m).__name__})" if isinstance(act, Receive) else action_name(act)
        self.by.setdefault(kind, Counter())[("+".join(path) or "stutter")] += 1
        return a2

    def report(
        self,
        pairs: int,
        states: int,
        complete: bool,
        failure: str | None = None,
        trace: tuple[str, ...] = (),
    ) -> RefinementReport:
        by = {k: dict(sorted(v.items())) for k, v in sorted(self.by.items())}
        return RefinementReport(pairs, states, self.transitions, by, complete, failure, trace)


def check_refinement(
    config: Config,
    max_states: int,
    mutant: str = "raft",
    on_progress: Callable[[int, int, int], None] | None = None,
) -> RefinementReport:
    """Breadth-first search over (raftmodel state, abstract state) pairs from Init: every
    raftmodel transition must match abstract steps (``simulate_step``) that keep the
    relation (``related``) and reach abstract states satisfying the log-level invariant.
    Stops at the first failure, or after ``max_states`` pairs (then not complete)."""
    sim = _Simulation(config, mutant)
    start = _start(sim, config)
    Pair = tuple[ClusterState, Abstract]
    parent: dict[Pair, tuple[Pair, str] | None] = {start: None}
    queue = deque([start])

    def states() -> int:
        return len({s for s, _ in parent})

    def trace_to(pair: Pair, last: str) -> tuple[str, ...]:
        out = [last]
        p = parent[pair]
        while p is not None:
            out.append(p[1])
            p = parent[p[0]]
        return (*(describe(x) for x in config.prefix), *reversed(out))

    while queue:
        pair = queue.popleft()
        s, a = pair
        if on_progress is not None:
            on_progress(len(parent), sim.transitions, len(queue))
        for act, s2 in successors(s, config):
            try:
                a2 = sim.advance(s, act, s2, a)
            except _Failure as e:
                return sim.report(
                    len(parent), states(), False, str(e), trace_to(pair, describe(act))
                )
            nxt = (s2, a2)
            if nxt not in parent:
                if len(parent) >= max_states:
                    return sim.report(len(parent), states(), False)
                parent[nxt] = (pair, describe(act))
                queue.append(nxt)
    return sim.report(len(parent), states(), True)


def _start(sim: _Simulation, config: Config) -> tuple[ClusterState, Abstract]:
    """Init and alpha(Init), then ``config.prefix`` simulated like any other steps."""
    s = init_state(config._replace(prefix=()))
    a = alpha(s)
    for act in config.prefix:
        s2 = apply(s, act, config)
        assert s2 is not None, "init_state checks that the prefix is enabled"
        try:
            a = sim.advance(s, act, s2, a)
        except _Failure as e:
            raise ValueError(f"the preset's prefix is not simulated: {e}") from None
        s = s2
    return s, a


def check_walks(
    config: Config, walks: int, depth: int, seed: int, mutant: str = "raft"
) -> RefinementReport:
    """The same check along seeded random walks from Init (for bounds too large to
    explore); deterministic for a seed. Never complete."""
    sim = _Simulation(config, mutant)
    rng = random.Random(seed)
    seen: set[ClusterState] = set()
    steps = 0
    for _ in range(walks):
        s, a = _start(sim, config)
        done: list[str] = []
        for _ in range(depth):
            succ = list(successors(s, config))
            if not succ:
                break
            act, s2 = succ[rng.randrange(len(succ))]
            done.append(describe(act))
            try:
                a = sim.advance(s, act, s2, a)
            except _Failure as e:
                return sim.report(steps, len(seen), False, str(e), tuple(done))
            s = s2
            seen.add(s)
            steps += 1
    return sim.report(steps, len(seen), False)


def check_path(
    config: Config, states: Sequence[ClusterState], actions: Sequence[Action], mutant: str = "raft"
) -> RefinementReport:
    """The same check along one raftmodel path (e.g. a counterexample or a story)."""
    sim = _Simulation(config, mutant)
    a = alpha(states[0])
    for k, (act, s, s2) in enumerate(zip(actions, states, states[1:], strict=False)):
        try:
            a = sim.advance(s, act, s2, a)
        except _Failure as e:
            return sim.report(k, k, False, str(e), tuple(describe(x) for x in actions[: k + 1]))
    return sim.report(len(actions), len(actions), True)


def failures_on(states: list[ClusterState], n: int, max_term: int, max_log: int) -> dict[str, int]:
    """How many of ``states`` (e.g. a counterexample's) violate each conjunct under alpha."""
    ev = Evaluator(n, max_term, max_log)
    out: Counter[str] = Counter()
    for s in states:
        for c in ev.failed(alpha(s)):
            out[c] += 1
    return dict(out)
