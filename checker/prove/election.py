"""The message-passing election of raftmodel as a z3 encoding, with unbounded terms.

State (per server i, servers 1..n as in raftmodel; index i-1 in the tuples):

  currentTerm[i], role[i] (0 Follower, 1 Candidate, 2 Leader), votedFor[i] (0 = null),
  votesGranted[i][k] (k's vote counted by i), lastLogTerm[i], lastLogIndex[i],
  granted[s][d]: the set of terms of granted RequestVoteResponses s -> d in the network.

What is abstracted: a log is only its (lastLogTerm, lastLogIndex), which is all an
election reads (§5.4.1); actions that change a log (AppendEntries, ClientRequest) may
set it freely. RequestVote requests and denied responses are not stored: their receipt
is admitted with arbitrary fields, which can only add behaviours. Messages are a set,
as in raftmodel's SET semantics: delivered again, in any order, or never.

Actions, one per raftmodel action (docs/proofs.md has the table):
  Timeout(i), ReceiveRequestVote(c->v), ReceiveVote(v->c) (a granted response),
  ReceiveDenial(v->c), Restart(i), ClientRequest(i), ReceiveAppendEntries(i),
  ReceiveAppendEntriesResponse(i). SendAppendEntries changes no election variable.

The guards and effects mirror ``raftmodel.node.step``; ``checker.prove.crosscheck``
checks that they produce exactly raftmodel's successors.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple, TypeVar

import z3

from checker.prove.induction import ActionInstance, Conjunct, Step
from checker.prove.symbolic import UNBOUNDED, Int, Mode, TermSet, fresh_name, put, up_to_date
from raftmodel import mutants
from raftmodel.quorum import majority

FOLLOWER, CANDIDATE, LEADER = 0, 1, 2
ROLE_NAMES = ("Follower", "Candidate", "Leader")

_T = TypeVar("_T")


class ElectionRules(NamedTuple):
    """The election-relevant fields of ``raftmodel.rules.Rules``, as z3 formulas."""

    name: str
    quorum: Callable[[int], int]
    #: votedFor, candidate -> may vote
    can_vote: Callable[[Int, Int], z3.BoolRef]
    #: candidate's lastLogTerm, lastLogIndex, voter's lastLogTerm, lastLogIndex
    log_ok: Callable[[Int, Int, Int, Int], z3.BoolRef]
    #: accepts_stale, per message type
    stale_request_vote: bool = False
    stale_vote_response: bool = False
    stale_append: bool = False
    #: persist: (currentTerm, votedFor) -> what survives a restart
    persist: Callable[[Int, Int], tuple[Int, Int]] = lambda t, v: (t, v)
    #: ClientRequest appends at lastLogIndex + 1 (False: anywhere in 1..lastLogIndex+1)
    append_at_end: bool = True


def _vote_once(voted: Int, cand: Int) -> z3.BoolRef:
    return z3.Or(voted == 0, voted == cand)


RAFT = ElectionRules("raft", majority, _vote_once, up_to_date)

#: raftmodel mutants as election rules. Mutants whose rule reads no election variable
#: (commit_ok, consistent, merge) have the election rules of Raft.
MUTANTS: dict[str, ElectionRules] = {
    "double_vote": RAFT._replace(name="double_vote", can_vote=lambda v, c: z3.BoolVal(True)),
    "no_log_check": RAFT._replace(name="no_log_check", log_ok=lambda a, b, c, d: z3.BoolVal(True)),
    "length_only_log_check": RAFT._replace(
        name="length_only_log_check", log_ok=lambda ct, ci, vt, vi: ci >= vi
    ),
    "votedfor_not_persisted": RAFT._replace(
        name="votedfor_not_persisted", persist=lambda t, v: (t, z3.IntVal(0))
    ),
    "term_not_persisted": RAFT._replace(
        name="term_not_persisted", persist=lambda t, v: (z3.IntVal(0), v)
    ),
    "figure8_commit": RAFT._replace(name="figure8_commit"),
    "stale_append_accepted": RAFT._replace(name="stale_append_accepted", stale_append=True),
    # The quorum is plain arithmetic on n: take raftmodel's own rather than restate it.
    "quorum_off_by_one": RAFT._replace(
        name="quorum_off_by_one", quorum=mutants.rules_for("quorum_off_by_one").quorum
    ),
    "stale_vote_counted": RAFT._replace(name="stale_vote_counted", stale_vote_response=True),
    "no_consistency_check": RAFT._replace(name="no_consistency_check"),
    "append_over_uncommitted": RAFT._replace(name="append_over_uncommitted", append_at_end=False),
    "truncate_on_stale_append": RAFT._replace(name="truncate_on_stale_append"),
}


def rules_for(name: str | None) -> ElectionRules:
    if name is None or name == "raft":
        return RAFT
    return MUTANTS[name]


class ElectionState(NamedTuple):
    currentTerm: tuple[Int, ...]
    role: tuple[Int, ...]
    votedFor: tuple[Int, ...]
    votesGranted: tuple[tuple[z3.BoolRef, ...], ...]
    lastLogTerm: tuple[Int, ...]
    lastLogIndex: tuple[Int, ...]
    granted: tuple[tuple[TermSet, ...], ...]


class ElectionEncoding:
    """The election model for ``n`` servers (see the module docstring)."""

    name = "election"

    def __init__(self, n: int, rules: ElectionRules = RAFT, mode: Mode = UNBOUNDED) -> None:
        self.n = n
        self.rules = rules
        self.mode = mode
        self.q = majority(n)
        self._conjuncts = _conjuncts(self)

    def with_mode(self, mode: Mode) -> ElectionEncoding:
        return ElectionEncoding(self.n, self.rules, mode)

    @property
    def conjuncts(self) -> tuple[Conjunct, ...]:
        return self._conjuncts

    @property
    def servers(self) -> range:
        return range(1, self.n + 1)

    # --- states ----------------------------------------------------------------------

    def fresh_state(self, tag: str) -> ElectionState:
        p = fresh_name(tag)
        S = self.servers
        return ElectionState(
            tuple(z3.Int(f"{p}.currentTerm[{i}]") for i in S),
            tuple(z3.Int(f"{p}.role[{i}]") for i in S),
            tuple(z3.Int(f"{p}.votedFor[{i}]") for i in S),
            tuple(tuple(z3.Bool(f"{p}.votesGranted[{i}][{k}]") for k in S) for i in S),
            tuple(z3.Int(f"{p}.lastLogTerm[{i}]") for i in S),
            tuple(z3.Int(f"{p}.lastLogIndex[{i}]") for i in S),
            tuple(tuple(TermSet.fresh(self.mode, f"{p}.granted[{s}][{d}]") for d in S) for s in S),
        )

    def well_typed(self, s: ElectionState) -> z3.BoolRef:
        parts: list[z3.BoolRef] = []
        for i in range(self.n):
            parts += [
                s.currentTerm[i] >= 0,
                s.role[i] >= FOLLOWER,
                s.role[i] <= LEADER,
                s.votedFor[i] >= 0,
                s.votedFor[i] <= self.n,
                s.lastLogTerm[i] >= 0,
                s.lastLogIndex[i] >= 0,
                # an empty log has last term 0, a non-empty one a term >= 1
                (s.lastLogIndex[i] == 0) == (s.lastLogTerm[i] == 0),
            ]
            if self.mode.bounded:
                assert self.mode.max_term is not None
                parts += [
                    s.currentTerm[i] <= self.mode.max_term,
                    s.lastLogTerm[i] <= self.mode.max_term,
                    s.lastLogIndex[i] <= self.mode.max_log,
                ]
        for src in range(self.n):
            parts.append(s.granted[src][src].all(lambda t: z3.BoolVal(False)))
            for d in range(self.n):
                parts.append(s.granted[src][d].all(lambda t: t >= 0))
                if self.mode.bounded:
                    assert self.mode.max_term is not None
                    bound = self.mode.max_term
                    parts.append(s.granted[src][d].all(lambda t, b=bound: t <= b))  # type: ignore[misc]
        return z3.And(parts)

    def init(self, s: ElectionState) -> z3.BoolRef:
        parts: list[z3.BoolRef] = [self.well_typed(s)]
        for i in range(self.n):
            parts += [
                s.currentTerm[i] == 0,
                s.role[i] == FOLLOWER,
                s.votedFor[i] == 0,
                s.lastLogTerm[i] == 0,
                s.lastLogIndex[i] == 0,
            ]
            parts += [z3.Not(b) for b in s.votesGranted[i]]
            parts += [g.all(lambda t: z3.BoolVal(False)) for g in s.granted[i]]
        return z3.And(parts)

    def concrete(
        self,
        currentTerm: Sequence[int],
        role: Sequence[int],
        votedFor: Sequence[int],
        votesGranted: Sequence[Sequence[bool]],
        lastLogTerm: Sequence[int],
        lastLogIndex: Sequence[int],
        granted: Sequence[Sequence[Sequence[int]]],
    ) -> ElectionState:
        """A concrete state as z3 values (for cross-checks)."""
        return ElectionState(
            tuple(z3.IntVal(x) for x in currentTerm),
            tuple(z3.IntVal(x) for x in role),
            tuple(z3.IntVal(x) for x in votedFor),
            tuple(tuple(z3.BoolVal(b) for b in row) for row in votesGranted),
            tuple(z3.IntVal(x) for x in lastLogTerm),
            tuple(z3.IntVal(x) for x in lastLogIndex),
            tuple(tuple(TermSet.of(self.mode, ts) for ts in row) for row in granted),
        )

    def equal(self, a: ElectionState, b: ElectionState) -> z3.BoolRef:
        parts: list[z3.BoolRef] = []
        for i in range(self.n):
            parts += [
                a.currentTerm[i] == b.currentTerm[i],
                a.role[i] == b.role[i],
                a.votedFor[i] == b.votedFor[i],
                a.lastLogTerm[i] == b.lastLogTerm[i],
                a.lastLogIndex[i] == b.lastLogIndex[i],
            ]
            parts += [x == y for x, y in zip(a.votesGranted[i], b.votesGranted[i], strict=True)]
            parts += [x.eq(y) for x, y in zip(a.granted[i], b.granted[i], strict=True)]
        return z3.And(parts)

    def permute(self, s: ElectionState, perm: dict[int, int]) -> ElectionState:
        """Rename server i to perm[i]: positions and votedFor's values (0 is Nil)."""
        inv = {v: k for k, v in perm.items()}
        order = [inv[j] - 1 for j in self.servers]

        def rename(v: Int) -> Int:
            out: Int = v
            for old, new in perm.items():
                out = z3.If(v == old, z3.IntVal(new), out)
            return out

        return ElectionState(
            tuple(s.currentTerm[i] for i in order),
            tuple(s.role[i] for i in order),
            tuple(rename(s.votedFor[i]) for i in order),
            tuple(tuple(s.votesGranted[i][k] for k in order) for i in order),
            tuple(s.lastLogTerm[i] for i in order),
            tuple(s.lastLogIndex[i] for i in order),
            tuple(tuple(s.granted[i][k] for k in order) for i in order),
        )

    def show(self, model: z3.ModelRef, s: ElectionState) -> list[str]:
        def ev(x: z3.ExprRef) -> int:
            return int(model.eval(x, True).as_long())

        max_t = max([ev(t) for t in s.currentTerm] + [0]) + 1
        lines = []
        for i in range(self.n):
            vg = [
                k + 1 for k in range(self.n) if z3.is_true(model.eval(s.votesGranted[i][k], True))
            ]
            voted = ev(s.votedFor[i])
            lines.append(
                f"S{i + 1}: {ROLE_NAMES[ev(s.role[i])]:9} currentTerm={ev(s.currentTerm[i])} "
                f"votedFor={'null' if voted == 0 else f'S{voted}'} "
                f"votesGranted={{{', '.join(f'S{k}' for k in vg)}}} "
                f"lastLog=(term {ev(s.lastLogTerm[i])}, index {ev(s.lastLogIndex[i])})"
            )
        grants = []
        for src in range(self.n):
            for d in range(self.n):
                for t in s.granted[src][d].members(model, range(max_t + 1)):
                    grants.append(f"S{src + 1}->S{d + 1} term {t}")
        lines.append("granted RequestVoteResponses: " + (", ".join(grants) or "none"))
        return lines

    # --- actions ---------------------------------------------------------------------

    def actions(self) -> list[ActionInstance]:
        acts: list[ActionInstance] = []
        S = list(self.servers)
        acts += [ActionInstance(f"Timeout({i})", "Timeout", self._timeout(i), (i,)) for i in S]
        for c in S:
            for v in S:
                if c != v:
                    acts.append(
                        ActionInstance(
                            f"ReceiveRequestVote({c}->{v})",
                            "ReceiveRequestVote",
                            self._request_vote(c, v),
                            (c, v),
                        )
                    )
        for v in S:
            for c in S:
                if c != v:
                    acts.append(
                        ActionInstance(
                            f"ReceiveVote({v}->{c})", "ReceiveVote", self._vote(v, c), (v, c)
                        )
                    )
                    acts.append(
                        ActionInstance(
                            f"ReceiveDenial({v}->{c})", "ReceiveDenial", self._denial(v, c), (v, c)
                        )
                    )
        acts += [ActionInstance(f"Restart({i})", "Restart", self._restart(i), (i,)) for i in S]
        acts += [
            ActionInstance(f"ClientRequest({i})", "ClientRequest", self._client_request(i), (i,))
            for i in S
        ]
        acts += [
            ActionInstance(
                f"ReceiveAppendEntries({i})",
                "ReceiveAppendEntries",
                self._append_entries(i),
                (i,),
            )
            for i in S
        ]
        acts += [
            ActionInstance(
                f"ReceiveAppendEntriesResponse({i})",
                "ReceiveAppendEntriesResponse",
                self._append_response(i),
                (i,),
            )
            for i in S
        ]
        return acts

    def _node(
        self, s: ElectionState, i: int, term: Int, role: Int, voted: Int, vg: Sequence[z3.BoolRef]
    ) -> ElectionState:
        k = i - 1
        return s._replace(
            currentTerm=put(s.currentTerm, k, term),
            role=put(s.role, k, role),
            votedFor=put(s.votedFor, k, voted),
            votesGranted=put(s.votesGranted, k, tuple(vg)),
        )

    def _term_rule(
        self, s: ElectionState, i: int, t: Int
    ) -> tuple[Int, Int, Int, tuple[z3.BoolRef, ...]]:
        """§5.1: a higher term makes the receiver a follower of it, with no vote."""
        k = i - 1
        higher = t > s.currentTerm[k]
        term = z3.If(higher, t, s.currentTerm[k])
        role = z3.If(higher, FOLLOWER, s.role[k])
        voted = z3.If(higher, 0, s.votedFor[k])
        vg = tuple(z3.And(z3.Not(higher), b) for b in s.votesGranted[k])
        return term, role, voted, vg

    def _timeout(self, i: int) -> Callable[[ElectionState], Step]:
        def apply(s: ElectionState) -> Step:
            k = i - 1
            wins = self.rules.quorum(self.n) <= 1
            after = self._node(
                s,
                i,
                s.currentTerm[k] + 1,
                z3.IntVal(LEADER if wins else CANDIDATE),
                z3.IntVal(i),
                [z3.BoolVal(j == i) for j in self.servers],
            )
            return Step(s.role[k] != LEADER, after, {})

        return apply

    def _request_vote(self, c: int, v: int) -> Callable[[ElectionState], Step]:
        def apply(s: ElectionState) -> Step:
            k = v - 1
            t = z3.Int(fresh_name("m.term"))
            lli = z3.Int(fresh_name("m.lastLogIndex"))
            llt = z3.Int(fresh_name("m.lastLogTerm"))
            stale = t < s.currentTerm[k]
            fenced = z3.BoolVal(False) if self.rules.stale_request_vote else stale
            term, role, voted, vg = self._term_rule(s, v, t)
            grant = z3.And(
                z3.Not(fenced),
                self.rules.can_vote(voted, z3.IntVal(c)),
                self.rules.log_ok(llt, lli, s.lastLogTerm[k], s.lastLogIndex[k]),
            )
            after = self._node(s, v, term, role, z3.If(grant, c, voted), vg)
            # The response carries the voter's (updated) term.
            row = put(s.granted[k], c - 1, s.granted[k][c - 1].add(term, grant))
            after = after._replace(granted=put(after.granted, k, row))
            guard = z3.And(t >= 0, lli >= 0, llt >= 0, (lli == 0) == (llt == 0))
            if self.mode.bounded:
                assert self.mode.max_term is not None
                guard = z3.And(guard, t <= self.mode.max_term, llt <= self.mode.max_term)
            return Step(guard, after, {"term": t, "lastLogIndex": lli, "lastLogTerm": llt})

        return apply

    def _response_common(
        self, s: ElectionState, v: int, c: int, t: Int, granted: bool
    ) -> ElectionState:
        k = c - 1
        stale = t < s.currentTerm[k]
        fenced = z3.BoolVal(False) if self.rules.stale_vote_response else stale
        term, role, voted, vg = self._term_rule(s, c, t)
        counts = z3.And(z3.Not(fenced), role == CANDIDATE, z3.BoolVal(granted))
        new_vg = [z3.Or(b, z3.And(counts, j == v)) for j, b in zip(self.servers, vg, strict=True)]
        total = z3.Sum([z3.If(b, 1, 0) for b in new_vg])
        role = z3.If(z3.And(counts, total >= self.rules.quorum(self.n)), LEADER, role)
        vg_out = [z3.If(counts, nb, b) for nb, b in zip(new_vg, vg, strict=True)]
        return self._node(s, c, term, role, voted, vg_out)

    def _vote(self, v: int, c: int) -> Callable[[ElectionState], Step]:
        def apply(s: ElectionState) -> Step:
            t = z3.Int(fresh_name("m.term"))
            after = self._response_common(s, v, c, t, True)
            return Step(s.granted[v - 1][c - 1].has(t), after, {"term": t})

        return apply

    def _denial(self, v: int, c: int) -> Callable[[ElectionState], Step]:
        def apply(s: ElectionState) -> Step:
            t = z3.Int(fresh_name("m.term"))
            after = self._response_common(s, v, c, t, False)
            return Step(self._term_ok(t), after, {"term": t})

        return apply

    def _term_ok(self, t: Int) -> z3.BoolRef:
        if self.mode.bounded:
            assert self.mode.max_term is not None
            return z3.And(t >= 0, t <= self.mode.max_term)
        return t >= 0

    def _restart(self, i: int) -> Callable[[ElectionState], Step]:
        def apply(s: ElectionState) -> Step:
            k = i - 1
            term, voted = self.rules.persist(s.currentTerm[k], s.votedFor[k])
            after = self._node(s, i, term, z3.IntVal(FOLLOWER), voted, [z3.BoolVal(False)] * self.n)
            return Step(z3.BoolVal(True), after, {})

        return apply

    def _client_request(self, i: int) -> Callable[[ElectionState], Step]:
        def apply(s: ElectionState) -> Step:
            k = i - 1
            if self.rules.append_at_end:
                index: Int = s.lastLogIndex[k] + 1
                params: dict[str, z3.ExprRef] = {}
                guard = s.role[k] == LEADER
            else:
                index = z3.Int(fresh_name("newLastLogIndex"))
                params = {"newLastLogIndex": index}
                guard = z3.And(s.role[k] == LEADER, index >= 1, index <= s.lastLogIndex[k] + 1)
            after = s._replace(
                lastLogTerm=put(s.lastLogTerm, k, s.currentTerm[k]),
                lastLogIndex=put(s.lastLogIndex, k, index),
            )
            return Step(guard, after, params)

        return apply

    def _append_entries(self, i: int) -> Callable[[ElectionState], Step]:
        def apply(s: ElectionState) -> Step:
            k = i - 1
            t = z3.Int(fresh_name("m.term"))
            new_t = z3.Int(fresh_name("newLastLogTerm"))
            new_i = z3.Int(fresh_name("newLastLogIndex"))
            cur, role0, voted0 = s.currentTerm[k], s.role[k], s.votedFor[k]
            stale = t < cur
            fenced = z3.BoolVal(False) if self.rules.stale_append else stale
            # The step-down of _on_append_entries: a higher (or, if accepted, a lower)
            # term, or a candidate of the same term; a leader of the same term refuses.
            steps_down = z3.Or(t != cur, role0 == CANDIDATE)
            new_term = z3.If(fenced, cur, t)
            new_role = z3.If(z3.And(z3.Not(fenced), steps_down), FOLLOWER, role0)
            new_voted = z3.If(z3.And(z3.Not(fenced), t != cur), 0, voted0)
            vg = [z3.And(z3.Or(fenced, z3.Not(steps_down)), b) for b in s.votesGranted[k]]
            refused = z3.Or(fenced, z3.And(t == cur, role0 == LEADER))
            after = self._node(s, i, new_term, new_role, new_voted, vg)
            after = after._replace(
                lastLogTerm=put(s.lastLogTerm, k, z3.If(refused, s.lastLogTerm[k], new_t)),
                lastLogIndex=put(s.lastLogIndex, k, z3.If(refused, s.lastLogIndex[k], new_i)),
            )
            guard = z3.And(
                self._term_ok(t), self._term_ok(new_t), new_i >= 0, (new_i == 0) == (new_t == 0)
            )
            if self.mode.bounded:
                guard = z3.And(guard, new_i <= self.mode.max_log)
            return Step(
                guard, after, {"term": t, "newLastLogTerm": new_t, "newLastLogIndex": new_i}
            )

        return apply

    def _append_response(self, i: int) -> Callable[[ElectionState], Step]:
        def apply(s: ElectionState) -> Step:
            t = z3.Int(fresh_name("m.term"))
            term, role, voted, vg = self._term_rule(s, i, t)
            return Step(self._term_ok(t), self._node(s, i, term, role, voted, vg), {"term": t})

        return apply


def _conjuncts(e: ElectionEncoding) -> tuple[Conjunct, ...]:
    n, q = e.n, e.q
    pairs = [(i, j) for i in range(n) for j in range(n) if i != j]

    def elected(s: ElectionState, i: int) -> z3.BoolRef:
        return z3.Or(s.role[i] == CANDIDATE, s.role[i] == LEADER)

    def election_safety(s: ElectionState) -> z3.BoolRef:
        return z3.And(
            [
                z3.Implies(
                    z3.And(s.role[i] == LEADER, s.role[j] == LEADER),
                    s.currentTerm[i] != s.currentTerm[j],
                )
                for i, j in pairs
            ]
        )

    def votes_disjoint(s: ElectionState) -> z3.BoolRef:
        return z3.And(
            [
                z3.Implies(
                    z3.And(elected(s, i), elected(s, j), s.currentTerm[i] == s.currentTerm[j]),
                    z3.Not(
                        z3.Or(
                            [z3.And(s.votesGranted[i][k], s.votesGranted[j][k]) for k in range(n)]
                        )
                    ),
                )
                for i, j in pairs
            ]
        )

    def leader_has_quorum(s: ElectionState) -> z3.BoolRef:
        return z3.And(
            [
                z3.Implies(
                    s.role[i] == LEADER, z3.Sum([z3.If(b, 1, 0) for b in s.votesGranted[i]]) >= q
                )
                for i in range(n)
            ]
        )

    def voter_term(s: ElectionState) -> z3.BoolRef:
        return z3.And(
            [
                z3.Implies(
                    z3.And(elected(s, i), s.votesGranted[i][k]),
                    s.currentTerm[k] >= s.currentTerm[i],
                )
                for i in range(n)
                for k in range(n)
            ]
        )

    def voter_voted_for(s: ElectionState) -> z3.BoolRef:
        return z3.And(
            [
                z3.Implies(
                    z3.And(
                        elected(s, i), s.votesGranted[i][k], s.currentTerm[k] == s.currentTerm[i]
                    ),
                    s.votedFor[k] == i + 1,
                )
                for i in range(n)
                for k in range(n)
            ]
        )

    def no_grant_elsewhere(s: ElectionState) -> z3.BoolRef:
        return z3.And(
            [
                z3.Implies(
                    z3.And(elected(s, i), s.votesGranted[i][k]),
                    z3.Not(s.granted[k][d].has(s.currentTerm[i])),
                )
                for i in range(n)
                for k in range(n)
                for d in range(n)
                if d != i
            ]
        )

    def grants_unique(s: ElectionState) -> z3.BoolRef:
        return z3.And(
            [
                s.granted[src][d1].all(lambda t, src=src, d2=d2: z3.Not(s.granted[src][d2].has(t)))  # type: ignore[misc]
                for src in range(n)
                for d1 in range(n)
                for d2 in range(n)
                if d1 < d2
            ]
        )

    def grant_term_le_sender(s: ElectionState) -> z3.BoolRef:
        return z3.And(
            [
                s.granted[src][d].all(lambda t, src=src: t <= s.currentTerm[src])  # type: ignore[misc]
                for src in range(n)
                for d in range(n)
            ]
        )

    def grant_matches_voted_for(s: ElectionState) -> z3.BoolRef:
        return z3.And(
            [
                z3.Implies(s.granted[src][d].has(s.currentTerm[src]), s.votedFor[src] == d + 1)
                for src in range(n)
                for d in range(n)
            ]
        )

    return (
        Conjunct(
            "ElectionSafety",
            "at most one leader per term (§5.2, Figure 3)",
            "∀ i≠j: role[i]=Leader ∧ role[j]=Leader ⇒ currentTerm[i] ≠ currentTerm[j]",
            election_safety,
        ),
        Conjunct(
            "VotesDisjoint",
            "candidates or leaders of the same term have disjoint votesGranted",
            "∀ i≠j: role[i],role[j]∈{Candidate,Leader} ∧ currentTerm[i]=currentTerm[j] "
            "⇒ votesGranted[i] ∩ votesGranted[j] = {}",
            votes_disjoint,
        ),
        Conjunct(
            "LeaderHasQuorum",
            "a leader's votesGranted is a quorum",
            f"∀ i: role[i]=Leader ⇒ |votesGranted[i]| ≥ {q}",
            leader_has_quorum,
        ),
        Conjunct(
            "VoterTermAtLeastCandidate",
            "a counted voter's currentTerm is at least the candidate's",
            "∀ i,k: role[i]∈{Candidate,Leader} ∧ k∈votesGranted[i] "
            "⇒ currentTerm[k] ≥ currentTerm[i]",
            voter_term,
        ),
        Conjunct(
            "VoterVotedForCandidate",
            "a counted voter still in the candidate's term has votedFor = the candidate",
            "∀ i,k: role[i]∈{Candidate,Leader} ∧ k∈votesGranted[i] ∧ currentTerm[k]=currentTerm[i] "
            "⇒ votedFor[k]=i",
            voter_voted_for,
        ),
        Conjunct(
            "NoGrantElsewhere",
            "a counted voter granted no one else a vote in the candidate's term",
            "∀ i,k,d≠i: role[i]∈{Candidate,Leader} ∧ k∈votesGranted[i] "
            "⇒ RequestVoteResponse(k→d, currentTerm[i], granted) ∉ network",
            no_grant_elsewhere,
        ),
        Conjunct(
            "GrantsUnique",
            "granted responses with the same term and source have the same destination",
            "∀ s,d1,d2,t: RVR(s→d1,t,granted) ∈ network ∧ RVR(s→d2,t,granted) ∈ network ⇒ d1=d2",
            grants_unique,
        ),
        Conjunct(
            "GrantTermAtMostSender",
            "a granted response's term is at most its sender's currentTerm",
            "∀ s,d,t: RVR(s→d,t,granted) ∈ network ⇒ t ≤ currentTerm[s]",
            grant_term_le_sender,
        ),
        Conjunct(
            "GrantMatchesVotedFor",
            "a granted response in its sender's current term goes to the sender's votedFor",
            "∀ s,d: RVR(s→d,currentTerm[s],granted) ∈ network ⇒ votedFor[s]=d",
            grant_matches_voted_for,
        ),
    )
