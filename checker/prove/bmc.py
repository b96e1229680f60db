"""Bounded model checking (``raftcheck bmc``): shallow symbolic bug finding, replayed on raftmodel.

Two stages:

1. **Abstract BMC** (z3, BOUNDED mode, quantifier-free). The log-level model of
   ``loglevel.py`` is unrolled K steps from Init, and z3 is asked, depth by depth (0, 1,
   ..., K: the first answer is a shortest path), for a state that violates one of the
   four safety properties (OnePrimaryPerTerm, LogMatching, LeaderCompleteness,
   StateMachineSafety). The unrolled relation is the log-level model with guards made
   *stronger* so that every abstract step can be carried out by raftmodel (it admits
   fewer behaviours, never more):

     ClientRequest(i)     as in loglevel
     BecomeLeader(i, Q)   as in loglevel
     Replicate(i, j)      GetEntries, restricted: j is primary, i is not, both in j's term,
                          i's log a proper prefix of j's; i's log becomes j's (raftmodel's
                          AppendEntries sends every entry from nextIndex)
     CommitEntry(i, Q)    as in loglevel for i's *last* entry (raftmodel commits the highest
                          index it can), and each voter's log holds all of i's log
     UpdateTerms(i, j)    restricted to a primary i (whose RequestVote of its term is in
                          the network: it timed out to that term)

   RollbackEntries is left out (no shallow bug needs it). Terms and logs are bounded
   (``--max-term``, ``--max-log``): "no counterexample" is bounded twice over.

   By default one query asks for a violation anywhere along K steps (with a Stutter
   action, cut at the first violating state): much faster than asking depth by depth
   (``--shortest``; figure8_commit at depth 10: about 60 s against 400 s).

2. **Concretization.** Each abstract step is carried out on raftmodel by a fixed macro of
   raftmodel actions (``_Concretizer``), e.g. BecomeLeader(i, Q) = Timeout(i), then
   Receive(RequestVote i->v) for v in Q, then Receive(RequestVoteResponse v->i) until i
   leads. After each macro the concrete state must map onto the abstract one (terms,
   role = Leader as primary, entry terms; committed triples included in raftmodel's), or
   the path is rejected and z3 is asked for another. The concrete run stops at its first
   violated property (``checker.raft.invariants``); it is written as an ITF trace and replayed
   with ``checker.traces.replay`` before it is reported.

Exit codes: 1 a bug trace was found (and replays), 3 none up to depth K (bounded: not a
proof), 2 bad input.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import NamedTuple

import z3

from checker.prove import loglevel
from checker.prove.abstraction import Abstract, alpha
from checker.prove.induction import Step
from checker.prove.loglevel import (
    LogEncoding,
    LogRules,
    LogState,
    member_quorums,
    server_pairs,
)
from checker.prove.symbolic import Mode, SymLog
from checker.raft.invariants import Violation, check_state, check_step
from checker.traces.itf import Trace, make_trace
from checker.traces.replay import replay
from raftmodel import mutants
from raftmodel.actions import (
    Action,
    ClientRequest,
    Receive,
    SendAppendEntries,
    Timeout,
    describe,
)
from raftmodel.cluster import (
    Bounds,
    ClusterState,
    Config,
    apply,
    event_of,
    init_state,
    model_rules,
)
from raftmodel.messages import (
    AppendEntriesResponse,
    Message,
    RequestVote,
    RequestVoteResponse,
    message_key,
)
from raftmodel.network import messages
from raftmodel.node import step as node_step
from raftmodel.types import Role

#: The mutants whose bugs the abstract model can express (those of loglevel.MUTANTS).
SUPPORTED: tuple[str, ...] = ("raft", *loglevel.MUTANTS)
#: The abstract properties asked for, and raftmodel's name for each.
PROPERTIES: dict[str, str] = {
    "OnePrimaryPerTerm": "ElectionSafety",
    "LogMatching": "LogMatching",
    "LeaderCompleteness": "LeaderCompleteness",
    "StateMachineSafety": "StateMachineSafety",
}
VALUE = 1


class AbstractAction(NamedTuple):
    kind: str
    i: int
    j: int = 0
    quorum: tuple[int, ...] = ()

    def __str__(self) -> str:
        if self.kind in ("BecomeLeader", "CommitEntry"):
            return f"{self.kind}({self.i}, {{{', '.join(map(str, self.quorum))}}})"
        if self.j:
            return f"{self.kind}({self.i}, {self.j})"
        return f"{self.kind}({self.i})"


class AbstractPath(NamedTuple):
    states: tuple[Abstract, ...]
    actions: tuple[AbstractAction, ...]
    #: The abstract properties the last state violates.
    violated: tuple[str, ...]
    #: The K choices z3 made, stutters included (what a retry blocks).
    raw: tuple[AbstractAction, ...] = ()


class BmcResult(NamedTuple):
    mutant: str
    depth: int
    #: "bug" (a raftmodel trace was found), "none" (none up to depth), "unknown".
    verdict: str
    seconds: float
    abstract: AbstractPath | None = None
    trace: Trace | None = None
    #: The first property the trace violates (what ``raftcheck replay`` reports).
    violation: tuple[int, Violation] | None = None
    #: The state invariant violated by the trace's last state (the abstract target).
    state_violation: tuple[int, Violation] | None = None
    #: Abstract paths found but not carried out on raftmodel, and why.
    rejected: tuple[str, ...] = ()


class BmcEncoding(LogEncoding):
    """The log-level model with the concretizable guards above (BOUNDED mode only)."""

    #: A new leader's term is currentTerm + 1, and only a non-primary runs.
    term_jumps = False

    def __init__(self, n: int, rules: LogRules, mode: Mode) -> None:
        assert mode.bounded, "BMC is quantifier-free: give a BOUNDED mode"
        super().__init__(n, rules, mode)
        self.stutter = False

    def instances(self) -> list[tuple[AbstractAction, Callable[[LogState], Step]]]:
        S = list(self.servers)
        size = self.rules.quorum(self.n)
        out: list[tuple[AbstractAction, Callable[[LogState], Step]]] = []
        out += [(AbstractAction("ClientRequest", i), self._client(i)) for i in S]
        out += [
            (AbstractAction("BecomeLeader", i, quorum=q), self._become_leader(i, q))
            for i, q in member_quorums(self.n, size)
        ]
        out += [
            (AbstractAction("Replicate", i, j), self._replicate(i, j))
            for i, j in server_pairs(self.n)
        ]
        out += [
            (AbstractAction("CommitEntry", i, quorum=q), self._commit_last(i, q))
            for i, q in member_quorums(self.n, size)
        ]
        out += [
            (AbstractAction("UpdateTerms", i, j), self._update_from_primary(i, j))
            for i, j in server_pairs(self.n)
        ]
        if self.stutter:
            out.append((AbstractAction("Stutter", 0), lambda s: Step(z3.BoolVal(True), s, {})))
        return out

    @staticmethod
    def _prefix(a: SymLog, b: SymLog) -> z3.BoolRef:
        """``a`` is a prefix of ``b``."""
        return z3.And(a.length <= b.length, a.all(lambda k: a.at(k) == b.at(k)))

    def _replicate(self, i: int, j: int) -> Callable[[LogState], Step]:
        def apply_(s: LogState) -> Step:
            li, lj = s.log[i - 1], s.log[j - 1]
            guard = z3.And(
                s.primary[j - 1],
                z3.Not(s.primary[i - 1]),
                s.currentTerm[i - 1] == s.currentTerm[j - 1],
                li.length < lj.length,
                self._prefix(li, lj),
            )
            logs = (*s.log[: i - 1], lj, *s.log[i:])
            return Step(guard, s._replace(log=logs), {})

        return apply_

    def _commit_last(self, i: int, q: tuple[int, ...]) -> Callable[[LogState], Step]:
        def apply_(s: LogState) -> Step:
            k = i - 1
            li, term = s.log[k], s.currentTerm[k]
            ind, entry = li.length, li.at(li.length)
            parts = [s.primary[k], ind > 0]
            if not self.rules.commit_any_term:
                parts.append(entry == term)
            for v in q:
                parts += [self._prefix(li, s.log[v - 1]), s.currentTerm[v - 1] == term]
            after = s._replace(committed=s.committed.add(ind, entry, term))
            return Step(z3.And(parts), after, {})

        return apply_

    def _update_from_primary(self, i: int, j: int) -> Callable[[LogState], Step]:
        base = self._update(i, j)

        def apply_(s: LogState) -> Step:
            st = base(s)
            return Step(z3.And(s.primary[i - 1], st.guard), st.after, st.params)

        return apply_

    def equal(self, a: LogState, b: LogState) -> z3.BoolRef:
        parts: list[z3.BoolRef] = []
        for i in range(self.n):
            la, lb = a.log[i], b.log[i]
            assert isinstance(la.rep, tuple) and isinstance(lb.rep, tuple)
            parts += [a.currentTerm[i] == b.currentTerm[i], a.primary[i] == b.primary[i]]
            parts += [la.length == lb.length]
            parts += [x == y for x, y in zip(la.rep, lb.rep, strict=True)]
        ca, cb = a.committed.rep, b.committed.rep
        assert isinstance(ca, dict) and isinstance(cb, dict)
        parts += [ca[key] == cb[key] for key in ca]
        return z3.And(parts)

    def read(self, model: z3.ModelRef, s: LogState) -> Abstract:
        def ev(x: z3.ExprRef) -> int:
            return int(model.eval(x, True).as_long())

        return Abstract(
            tuple(ev(t) for t in s.currentTerm),
            tuple(z3.is_true(model.eval(p, True)) for p in s.primary),
            tuple(tuple(lg.terms(model)) for lg in s.log),
            frozenset(s.committed.members(model)),
        )


def abstract_bmc(
    enc: BmcEncoding,
    depth: int,
    *,
    blocked: Sequence[tuple[AbstractAction, ...]] = (),
    timeout_ms: int | None = None,
    on_depth: Callable[[int, str, float], None] | None = None,
    shortest: bool = True,
) -> AbstractPath | str:
    """A shortest abstract path (<= depth steps) to a property violation, or "none" /
    "unknown". Paths in ``blocked`` (action sequences) are excluded."""
    props = [c for c in enc.conjuncts if c.name in PROPERTIES]
    enc.stutter = not shortest
    insts = enc.instances()
    solver = z3.Solver()
    if timeout_ms is not None:
        solver.set("timeout", timeout_ms)
    states = [enc.fresh_state("s0")]
    solver.add(enc.init(states[0]))
    # choice[k][a]: the k-th step is instance a (exactly one per step).
    choice: list[list[z3.BoolRef]] = []
    for k in range(depth + 1):
        if not shortest and k < depth:
            pass  # one query, at depth K: skip the shallower ones
        else:
            solver.push()
            if shortest:
                solver.add(z3.Not(z3.And([p.holds(states[k]) for p in props])))
            else:
                solver.add(z3.Or([z3.Not(p.holds(st)) for st in states for p in props]))
            for path in blocked:
                if len(path) == k:
                    solver.add(
                        z3.Not(
                            z3.And(
                                [
                                    choice[m][[a for a, _ in insts].index(act)]
                                    for m, act in enumerate(path)
                                ]
                            )
                        )
                    )
            t0 = time.monotonic()
            r = solver.check()
            if on_depth is not None:
                on_depth(k, str(r), time.monotonic() - t0)
            if r == z3.sat:
                model = solver.model()
                acts: list[AbstractAction] = []
                for m in range(k):
                    picked = [
                        a
                        for (a, _), b in zip(insts, choice[m], strict=True)
                        if z3.is_true(model.eval(b, True))
                    ]
                    acts.append(picked[0])
                abs_states = tuple(enc.read(model, s) for s in states)
                raw = tuple(acts)
                if not shortest:
                    # Cut at the first violating state and drop the stutters.
                    first = next(
                        m
                        for m, st in enumerate(states)
                        if not all(z3.is_true(model.eval(p.holds(st), True)) for p in props)
                    )
                    keep = [m for m in range(first) if acts[m].kind != "Stutter"]
                    acts = [acts[m] for m in keep]
                    abs_states = (abs_states[0], *(abs_states[m + 1] for m in keep))
                    k = first
                last = states[k]
                violated = tuple(
                    p.name for p in props if not z3.is_true(model.eval(p.holds(last), True))
                )
                return AbstractPath(abs_states, tuple(acts), violated, raw)
            solver.pop()
            if r == z3.unknown:
                return "unknown"
        if k == depth:
            break
        cur = states[k]
        nxt = enc.fresh_state(f"s{k + 1}")
        bs = [z3.Bool(f"step{k + 1}={a}") for a, _ in insts]
        alts = []
        for b, (_, inst) in zip(bs, insts, strict=True):
            st = inst(cur)
            alts.append(b == z3.And(st.guard, enc.equal(nxt, st.after)))
        solver.add(enc.well_typed(nxt), *alts)
        solver.add(z3.PbEq([(b, 1) for b in bs], 1))
        if k == 0:
            # Symmetry: servers are interchangeable in Init, so some shortest path has
            # server 1 act first (only a BecomeLeader is enabled in Init).
            solver.add(z3.Or([b for b, (a, _) in zip(bs, insts, strict=True) if a.i == 1]))
        choice.append(bs)
        states.append(nxt)
    return "none"


# --- concretization ----------------------------------------------------------------------


class ConcretizeError(Exception):
    """An abstract step raftmodel could not carry out (or that maps elsewhere)."""


class _Concretizer:
    def __init__(self, config: Config) -> None:
        self.config = config
        self.states: list[ClusterState] = [init_state(config)]
        self.actions: list[Action] = []
        #: The first violated state invariant (the run stops there).
        self.violation: tuple[int, Violation] | None = None
        #: The first violated property of any kind (what replay reports).
        self.first: tuple[int, Violation] | None = None

    @property
    def s(self) -> ClusterState:
        return self.states[-1]

    def do(self, a: Action) -> None:
        if self.violation is not None:
            return
        nxt = apply(self.s, a, self.config)
        if nxt is None:
            raise ConcretizeError(f"{describe(a)} is not enabled in raftmodel")
        # Transition properties (e.g. VoteUpToDate) may fail first; the run goes on to a
        # violated state invariant, the abstract path's target.
        step_v = check_step(self.s, a, nxt)
        self.actions.append(a)
        self.states.append(nxt)
        if step_v is not None and self.first is None:
            self.first = (len(self.actions), step_v)
        v = check_state(nxt)
        if v is not None:
            self.violation = (len(self.actions), v)

    def find(self, pred: Callable[[Message], bool]) -> Message | None:
        ms = sorted(
            (m for m in messages(self.s.network, self.config.semantics) if pred(m)),
            key=message_key,
        )
        return ms[0] if ms else None

    def sent(self, a: Action) -> Message:
        """The message action ``a`` sends (raftmodel's own step)."""
        driven = event_of(a)
        assert driven is not None, a
        node, event = driven
        _, out = node_step(self.s.nodes[node - 1], event, self.config.n, model_rules(self.config))
        if len(out) != 1:
            raise ConcretizeError(f"S{node} sends {len(out)} messages, expected one")
        return out[0]

    def append_round(self, leader: int, to: int) -> AppendEntriesResponse:
        """SendAppendEntries(leader, to) and its receipt; a refusal is delivered back
        (nextIndex decrements) and the round repeated. Returns the success response,
        left in the network."""
        for _ in range(len(self.s.nodes[leader - 1].log) + 2):
            ae = self.sent(SendAppendEntries(leader, to))
            self.do(SendAppendEntries(leader, to))
            resp = self.sent(Receive(ae))
            self.do(Receive(ae))
            assert isinstance(resp, AppendEntriesResponse)
            if resp.success or self.violation is not None:
                return resp
            self.do(Receive(resp))
        raise ConcretizeError(f"S{to} never accepted S{leader}'s AppendEntries")

    def run(self, a: AbstractAction) -> None:
        n = self.config.n
        if a.kind == "ClientRequest":
            self.do(ClientRequest(a.i, VALUE))
        elif a.kind == "BecomeLeader":
            self.do(Timeout(a.i))
            term = self.s.nodes[a.i - 1].currentTerm
            voters = [v for v in a.quorum if v != a.i]
            for v in voters:
                m = self.find(
                    lambda m, v=v: (
                        isinstance(m, RequestVote)  # type: ignore[misc]
                        and (m.source, m.dest, m.term) == (a.i, v, term)
                    )
                )
                if m is None:
                    raise ConcretizeError(f"no RequestVote {a.i}->{v} of term {term}")
                self.do(Receive(m))
            for v in voters:
                if self.s.nodes[a.i - 1].role == Role.LEADER or self.violation is not None:
                    break
                r = RequestVoteResponse(v, a.i, term, True)
                self.do(Receive(r))
            if self.violation is None and self.s.nodes[a.i - 1].role != Role.LEADER and n > 0:
                raise ConcretizeError(f"S{a.i} did not win term {term}")
        elif a.kind == "Replicate":
            resp = self.append_round(a.j, a.i)
            del resp  # left in the network: counted only by a CommitEntry
        elif a.kind == "CommitEntry":
            for v in (v for v in a.quorum if v != a.i):
                resp = self.append_round(a.i, v)
                if self.violation is None:
                    self.do(Receive(resp))
        elif a.kind == "UpdateTerms":
            term = self.s.nodes[a.i - 1].currentTerm
            m = self.find(
                lambda m: (
                    isinstance(m, RequestVote) and (m.source, m.dest, m.term) == (a.i, a.j, term)
                )
            )
            if m is None:
                raise ConcretizeError(f"no RequestVote {a.i}->{a.j} of term {term} to carry it")
            self.do(Receive(m))
        else:
            raise ConcretizeError(f"no macro for {a.kind}")


def _maps_onto(concrete: Abstract, abstract: Abstract) -> str | None:
    for field in ("currentTerm", "primary", "logs"):
        if getattr(concrete, field) != getattr(abstract, field):
            mine, theirs = getattr(concrete, field), getattr(abstract, field)
            return f"{field}: raftmodel {mine}, abstract {theirs}"
    if not abstract.committed <= concrete.committed:
        mine_c, theirs_c = sorted(concrete.committed), sorted(abstract.committed)
        return f"committed: abstract {theirs_c} not within raftmodel's {mine_c}"
    return None


def concretize(path: AbstractPath, config: Config) -> _Concretizer:
    c = _Concretizer(config)
    v0 = check_state(c.s)
    if v0 is not None:
        c.violation = (0, v0)
    for k, (a, target) in enumerate(zip(path.actions, path.states[1:], strict=True), start=1):
        c.run(a)
        if c.violation is not None:
            return c
        why = _maps_onto(alpha(c.s), target)
        if why is not None:
            raise ConcretizeError(f"after abstract step {k} ({a}) the states differ: {why}")
    raise ConcretizeError(
        f"raftmodel carried out the whole abstract path ({', '.join(path.violated)} violated "
        "there) but violates no property"
    )


def _tight(config: Config, states: Sequence[ClusterState], requests: int) -> Config:
    b = Bounds(
        max_term=max(x.currentTerm for s in states for x in s.nodes),
        max_log=max(len(x.log) for s in states for x in s.nodes),
        max_restarts=0,
        max_requests=requests,
        values=(VALUE,),
    )
    return config._replace(bounds=b)


def bmc(
    mutant: str,
    depth: int,
    n: int = 3,
    *,
    max_term: int = 4,
    max_log: int = 1,
    attempts: int = 5,
    shortest: bool = False,
    timeout_ms: int | None = None,
    on_depth: Callable[[int, str, float], None] | None = None,
) -> BmcResult:
    """Search for a bug of ``mutant`` within ``depth`` abstract steps; see the module doc."""
    start = time.monotonic()
    enc = BmcEncoding(n, loglevel.rules_for(mutant), Mode(max_term=max_term, max_log=max_log))
    # raftmodel's bounds while carrying out a path: never the reason an action is refused.
    rules = mutants.rules_for(mutant)
    loose = Config(
        n,
        Bounds(
            max_term=max_term + 1,
            max_log=max_log + 1,
            max_restarts=0,
            max_requests=depth + 1,
            values=(VALUE,),
        ),
        rules=rules,
    )
    blocked: list[tuple[AbstractAction, ...]] = []
    rejected: list[str] = []
    for _ in range(attempts):
        found = abstract_bmc(
            enc, depth, blocked=blocked, timeout_ms=timeout_ms, on_depth=on_depth, shortest=shortest
        )
        if isinstance(found, str):
            return BmcResult(
                mutant, depth, found, time.monotonic() - start, rejected=tuple(rejected)
            )
        try:
            c = concretize(found, loose)
        except ConcretizeError as e:
            rejected.append(f"{' ; '.join(map(str, found.actions))}: {e}")
            blocked.append(found.raw)
            continue
        requests = sum(1 for a in c.actions if isinstance(a, ClientRequest))
        config = _tight(loose, c.states, requests)
        trace = make_trace(
            config,
            c.states,
            c.actions,
            meta={
                "description": f"raftcheck bmc: {mutant}, abstract path "
                + " ; ".join(map(str, found.actions)),
            },
        )
        rep = replay(trace, rules)
        if not rep.conforms or rep.violation is None or c.violation is None:
            rejected.append(f"{' ; '.join(map(str, found.actions))}: the trace does not replay")
            blocked.append(found.raw)
            continue
        return BmcResult(
            mutant,
            depth,
            "bug",
            time.monotonic() - start,
            found,
            trace,
            rep.violation,
            c.violation,
            tuple(rejected),
        )
    return BmcResult(mutant, depth, "unknown", time.monotonic() - start, rejected=tuple(rejected))
