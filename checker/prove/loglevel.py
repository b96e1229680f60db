"""The log-level abstraction of Raft (AbstractStaticRaft-style) as a z3 encoding.

State: currentTerm[i], primary[i] (raftmodel: role = Leader), log[i] (entry terms only;
unbounded length), and the history ``committed``: (index, term, commitTerm) triples,
where commitTerm is the currentTerm of the leader that committed the entry (raftmodel's
``Committed``, without the value).

Kept from raftmodel: terms, who leads, the entry terms of every log, the up-to-date
check (§5.4.1), the commit rule (§5.4.2: a leader commits an entry of its own term once
a quorum holds it), LogMatching's consistency check (§5.3).
Dropped: messages (elections and replication are atomic between two servers), votedFor
(a voter's term moves to the new term at once), candidates, commitIndex,
nextIndex/matchIndex, client values, restarts.

Actions (i, j servers, Q a quorum):
  ClientRequest(i)      primary i appends an entry of its currentTerm
  GetEntries(i, j)      non-primary i copies the entry after its last from j, if its last
                        entry matches j's at that index
  RollbackEntries(i, j) non-primary i drops its last entry when j's last term is higher
                        and i's last entry is not in j's log
  BecomeLeader(i, Q, T) i (Q ∋ i) wins a term T > currentTerm[i]: every voter is in a
                        lower term and not more up-to-date than i; voters step down
  CommitEntry(i, Q, k)  primary i commits its entry k, of its own term, held by Q in i's
                        term
(AbstractStaticRaft has T = currentTerm[i] + 1, k = the last entry, and neither
StepDown nor TruncateToPrimary; ``term_jumps`` False restores that, with a non-primary
i, for ``raftcheck bmc``.)
  UpdateTerms(i, j)     j adopts i's higher term and steps down
  StepDown(i)           primary i stops leading, its term unchanged (raftmodel: a leader
                        that hears of a higher term; the refinement lets abstract terms
                        lag, so the step-down cannot always come with the term)
  TruncateToPrimary(i, j)  non-primary i drops its last entry when primary j, at a term
                        >= i's, lacks it and it is of a term below j's (Figure 8 (d): a
                        leader overwrites a follower's entry of a higher last term than
                        its own; RollbackEntries needs a log with a higher last term)
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import NamedTuple, TypeVar

import z3

from checker.prove.induction import ActionInstance, Conjunct, Step
from checker.prove.symbolic import UNBOUNDED, Int, Mode, SymLog, fresh_name, put, up_to_date
from raftmodel import mutants
from raftmodel.quorum import majority

_T = TypeVar("_T")


class LogRules(NamedTuple):
    """The rules that the log-level model can vary (a mutant changes one)."""

    name: str
    #: quorum size for n servers
    quorum: Callable[[int], int]
    #: candidate (lastTerm, len), voter (lastTerm, len) -> the voter may vote
    log_ok: Callable[[Int, Int, Int, Int], z3.BoolRef]
    #: a voter may vote in the new term when already in it (a second vote)
    vote_twice: bool = False
    #: a leader may commit any entry of its log, of any term, by counting replicas
    commit_any_term: bool = False


RAFT = LogRules("raft", majority, up_to_date)
MUTANTS: dict[str, LogRules] = {
    "double_vote": RAFT._replace(name="double_vote", vote_twice=True),
    "no_log_check": RAFT._replace(name="no_log_check", log_ok=lambda a, b, c, d: z3.BoolVal(True)),
    "length_only_log_check": RAFT._replace(
        name="length_only_log_check", log_ok=lambda ct, cl, vt, vl: cl >= vl
    ),
    "figure8_commit": RAFT._replace(name="figure8_commit", commit_any_term=True),
    # The quorum is plain arithmetic on n: take raftmodel's own rather than restate it.
    "quorum_off_by_one": RAFT._replace(
        name="quorum_off_by_one", quorum=mutants.rules_for("quorum_off_by_one").quorum
    ),
}


def rules_for(name: str | None) -> LogRules:
    if name is None or name == "raft":
        return RAFT
    return MUTANTS[name]


class Committed:
    """The set of committed (index, term, commitTerm) triples."""

    def __init__(self, mode: Mode, rep: z3.ArrayRef | dict[tuple[int, int, int], z3.BoolRef]):
        self.mode = mode
        self.rep = rep

    @staticmethod
    def _keys(mode: Mode) -> list[tuple[int, int, int]]:
        terms = list(mode.terms)
        return [
            (k, t, c) for k in range(1, mode.slots + 1) for t in terms for c in terms if 1 <= t <= c
        ]

    @staticmethod
    def fresh(mode: Mode, name: str) -> Committed:
        if mode.bounded:
            return Committed(mode, {k: z3.Bool(f"{name}{list(k)}") for k in Committed._keys(mode)})
        sort = z3.ArraySort(z3.IntSort(), z3.IntSort(), z3.IntSort(), z3.BoolSort())
        return Committed(mode, z3.Const(name, sort))

    def empty(self) -> z3.BoolRef:
        return self.all(lambda k, t, c: z3.BoolVal(False))

    def all(self, pred: Callable[[Int, Int, Int], z3.BoolRef]) -> z3.BoolRef:
        if isinstance(self.rep, dict):
            return z3.And(
                [
                    z3.Implies(b, pred(z3.IntVal(k), z3.IntVal(t), z3.IntVal(c)))
                    for (k, t, c), b in self.rep.items()
                ]
            )
        k, t, c = (z3.Int(fresh_name(x)) for x in ("ck", "ct", "cc"))
        return z3.ForAll([k, t, c], z3.Implies(z3.Select(self.rep, k, t, c), pred(k, t, c)))

    def add(self, k: Int, t: Int, c: Int) -> Committed:
        if isinstance(self.rep, dict):
            return Committed(
                self.mode,
                {
                    key: z3.Or(b, z3.And(k == key[0], t == key[1], c == key[2]))
                    for key, b in self.rep.items()
                },
            )
        return Committed(self.mode, z3.Store(self.rep, k, t, c, True))

    def eq(self, other: Committed) -> z3.BoolRef:
        if isinstance(self.rep, dict) and isinstance(other.rep, dict):
            return z3.And([b == other.rep[k] for k, b in self.rep.items()])
        assert not isinstance(self.rep, dict) and not isinstance(other.rep, dict)
        return self.rep == other.rep

    def members(self, model: z3.ModelRef) -> list[tuple[int, int, int]]:
        assert isinstance(self.rep, dict), "members are read from bounded models only"
        return [key for key, b in self.rep.items() if z3.is_true(model.eval(b, True))]


class LogState(NamedTuple):
    currentTerm: tuple[Int, ...]
    primary: tuple[z3.BoolRef, ...]
    log: tuple[SymLog, ...]
    committed: Committed


def _inverse(perm: dict[int, int], n: int) -> list[int]:
    """0-based: position perm[i]-1 of the renamed state holds server i's component."""
    inv = {v: k for k, v in perm.items()}
    return [inv[j] - 1 for j in range(1, n + 1)]


def quorums(n: int, size: int, member: int) -> list[tuple[int, ...]]:
    """Every set of at least ``size`` servers (1..n) that contains ``member``."""
    out = []
    for k in range(max(size, 1), n + 1):
        out += [q for q in itertools.combinations(range(1, n + 1), k) if member in q]
    return out


def server_pairs(n: int) -> list[tuple[int, int]]:
    """Every (i, j) of distinct servers 1..n, in order."""
    return [(i, j) for i in range(1, n + 1) for j in range(1, n + 1) if i != j]


def member_quorums(n: int, size: int) -> list[tuple[int, tuple[int, ...]]]:
    """Every (i, Q) with Q a set of at least ``size`` servers containing i, in order."""
    return [(i, q) for i in range(1, n + 1) for q in quorums(n, size, i)]


class LogEncoding:
    name = "log"
    #: BecomeLeader(i, Q) wins any term above currentTerm[i], primary or not
    #: (AbstractStaticRaft: currentTerm[i] + 1, and here a non-primary i), and
    #: CommitEntry(i, Q) commits any entry of i's term that Q holds (not only the last),
    #: and StepDown(i) exists. As raftmodel does them; the refinement (refinement.py)
    #: needs them.
    term_jumps = True

    def __init__(self, n: int, rules: LogRules = RAFT, mode: Mode = UNBOUNDED) -> None:
        self.n = n
        self.rules = rules
        self.mode = mode
        self.q = majority(n)
        self._conjuncts = _conjuncts(self)

    def with_mode(self, mode: Mode) -> LogEncoding:
        return LogEncoding(self.n, self.rules, mode)

    @property
    def conjuncts(self) -> tuple[Conjunct, ...]:
        return self._conjuncts

    @property
    def servers(self) -> range:
        return range(1, self.n + 1)

    def fresh_state(self, tag: str) -> LogState:
        p = fresh_name(tag)
        S = self.servers
        return LogState(
            tuple(z3.Int(f"{p}.currentTerm[{i}]") for i in S),
            tuple(z3.Bool(f"{p}.primary[{i}]") for i in S),
            tuple(SymLog.fresh(self.mode, f"{p}.log[{i}]") for i in S),
            Committed.fresh(self.mode, f"{p}.committed"),
        )

    def well_typed(self, s: LogState) -> z3.BoolRef:
        parts: list[z3.BoolRef] = []
        for i in range(self.n):
            parts += [s.currentTerm[i] >= 0, s.log[i].well_typed()]
            if self.mode.bounded:
                assert self.mode.max_term is not None
                parts.append(s.currentTerm[i] <= self.mode.max_term)
        parts.append(s.committed.all(lambda k, t, c: z3.And(k >= 1, t >= 1, c >= t)))
        return z3.And(parts)

    def init(self, s: LogState) -> z3.BoolRef:
        parts: list[z3.BoolRef] = [self.well_typed(s), s.committed.empty()]
        for i in range(self.n):
            parts += [s.currentTerm[i] == 0, z3.Not(s.primary[i]), s.log[i].length == 0]
        return z3.And(parts)

    def concrete(
        self,
        currentTerm: Sequence[int],
        primary: Sequence[bool],
        logs: Sequence[Sequence[int]],
        committed: Sequence[tuple[int, int, int]],
    ) -> LogState:
        c = Committed.fresh(self.mode, fresh_name("committed"))
        # A concrete committed set: start from the empty set and add each triple.
        if isinstance(c.rep, dict):
            c = Committed(self.mode, {k: z3.BoolVal(k in set(committed)) for k in c.rep})
        else:
            a, b, d = z3.Ints("a b d")
            members = [z3.And(a == k, b == t, d == cc) for k, t, cc in committed]
            rep = z3.Lambda([a, b, d], z3.Or(members) if members else z3.BoolVal(False))
            c = Committed(self.mode, rep)
        return LogState(
            tuple(z3.IntVal(t) for t in currentTerm),
            tuple(z3.BoolVal(p) for p in primary),
            tuple(SymLog.of(self.mode, lg) for lg in logs),
            c,
        )

    def permute(self, s: LogState, perm: dict[int, int]) -> LogState:
        """Rename server i to perm[i] (``committed`` names no server)."""
        order = _inverse(perm, self.n)
        return LogState(
            tuple(s.currentTerm[i] for i in order),
            tuple(s.primary[i] for i in order),
            tuple(s.log[i] for i in order),
            s.committed,
        )

    def equal(self, a: LogState, b: LogState) -> z3.BoolRef:
        parts: list[z3.BoolRef] = []
        for i in range(self.n):
            la, lb = a.log[i], b.log[i]
            parts += [
                a.currentTerm[i] == b.currentTerm[i],
                a.primary[i] == b.primary[i],
                la.length == lb.length,
                la.all(lambda k, la=la, lb=lb: la.at(k) == lb.at(k)),  # type: ignore[misc]
            ]
        parts.append(a.committed.eq(b.committed))
        return z3.And(parts)

    def show(self, model: z3.ModelRef, s: LogState) -> list[str]:
        lines = []
        for i in range(self.n):
            role = "Primary" if z3.is_true(model.eval(s.primary[i], True)) else "Secondary"
            term = model.eval(s.currentTerm[i], True)
            lines.append(f"S{i + 1}: {role:9} currentTerm={term} log={s.log[i].terms(model)}")
        com = s.committed.members(model)
        lines.append(
            "committed (index, term, commitTerm): "
            + (", ".join(f"({k}, {t}, {c})" for k, t, c in sorted(com)) or "none")
        )
        return lines

    # --- actions ----------------------------------------------------------------------

    def actions(self) -> list[ActionInstance]:
        pairs = server_pairs(self.n)
        led = member_quorums(self.n, self.rules.quorum(self.n))

        def by_pair(
            kind: str, make: Callable[[int, int], Callable[[LogState], Step]]
        ) -> list[ActionInstance]:
            return [ActionInstance(f"{kind}({i}, {j})", kind, make(i, j), (i, j)) for i, j in pairs]

        def by_quorum(
            kind: str, make: Callable[[int, tuple[int, ...]], Callable[[LogState], Step]]
        ) -> list[ActionInstance]:
            return [
                ActionInstance(f"{kind}({i}, {set(q)})", kind, make(i, q), (i, frozenset(q)))
                for i, q in led
            ]

        acts = [
            ActionInstance(f"ClientRequest({i})", "ClientRequest", self._client(i), (i,))
            for i in self.servers
        ]
        acts += by_pair("GetEntries", self._get) + by_pair("RollbackEntries", self._rollback)
        acts += by_quorum("BecomeLeader", self._become_leader)
        acts += by_quorum("CommitEntry", self._commit)
        acts += by_pair("UpdateTerms", self._update)
        if self.term_jumps:
            acts += [
                ActionInstance(f"StepDown({i})", "StepDown", self._step_down(i), (i,))
                for i in self.servers
            ]
            acts += by_pair("TruncateToPrimary", self._truncate_to_primary)
        return acts

    def _truncate_to_primary(self, i: int, j: int) -> Callable[[LogState], Step]:
        # §5.3: a leader overwrites a follower's conflicting entries, even of a higher
        # term than the leader's own last (Figure 8 (d)); the entry dropped is of a term
        # below the primary's, and not in its log at that index.
        def apply(s: LogState) -> Step:
            li, lj = s.log[i - 1], s.log[j - 1]
            guard = z3.And(
                z3.Not(s.primary[i - 1]),
                s.primary[j - 1],
                s.currentTerm[i - 1] <= s.currentTerm[j - 1],
                li.length > 0,
                li.last_term() < s.currentTerm[j - 1],
                z3.Or(li.length > lj.length, li.last_term() != lj.at(li.length)),
            )
            new = li.truncate(li.length - 1)
            return Step(guard, s._replace(log=put(s.log, i - 1, new)), {})

        return apply

    def _step_down(self, i: int) -> Callable[[LogState], Step]:
        def apply(s: LogState) -> Step:
            after = s._replace(primary=put(s.primary, i - 1, z3.BoolVal(False)))
            return Step(s.primary[i - 1], after, {})

        return apply

    def _client(self, i: int) -> Callable[[LogState], Step]:
        def apply(s: LogState) -> Step:
            k = i - 1
            after = s._replace(log=put(s.log, k, s.log[k].append(s.currentTerm[k])))
            return Step(s.primary[k], after, {})

        return apply

    def _get(self, i: int, j: int) -> Callable[[LogState], Step]:
        def apply(s: LogState) -> Step:
            li, lj = s.log[i - 1], s.log[j - 1]
            guard = z3.And(
                z3.Not(s.primary[i - 1]),
                lj.length > li.length,
                z3.Or(li.length == 0, lj.at(li.length) == li.at(li.length)),
            )
            new = li.append(lj.at(li.length + 1))
            return Step(guard, s._replace(log=put(s.log, i - 1, new)), {})

        return apply

    def _rollback(self, i: int, j: int) -> Callable[[LogState], Step]:
        def apply(s: LogState) -> Step:
            li, lj = s.log[i - 1], s.log[j - 1]
            guard = z3.And(
                z3.Not(s.primary[i - 1]),
                li.length > 0,
                li.last_term() < lj.last_term(),
                z3.Or(li.length > lj.length, li.last_term() != lj.at(li.length)),
            )
            new = li.truncate(li.length - 1)
            return Step(guard, s._replace(log=put(s.log, i - 1, new)), {})

        return apply

    def _become_leader(self, i: int, q: tuple[int, ...]) -> Callable[[LogState], Step]:
        def apply(s: LogState) -> Step:
            k = i - 1
            li = s.log[k]
            params: dict[str, z3.ExprRef] = {}
            if self.term_jumps:
                # Any higher term, and a primary may win a later one: raftmodel's
                # candidate wins the term it timed out into, and the refinement
                # (refinement.py) lets abstract terms lag behind raftmodel's.
                new_term = z3.Int(fresh_name("newTerm"))
                params["newTerm"] = new_term
                parts = [new_term > s.currentTerm[k]]
                if self.mode.bounded:
                    assert self.mode.max_term is not None
                    parts.append(new_term <= self.mode.max_term)
            else:
                new_term = s.currentTerm[k] + 1
                parts = [z3.Not(s.primary[k])]
            for v in q:
                lv = s.log[v - 1]
                term_ok = (
                    s.currentTerm[v - 1] <= new_term
                    if self.rules.vote_twice
                    else s.currentTerm[v - 1] < new_term
                )
                parts += [
                    term_ok,
                    self.rules.log_ok(li.last_term(), li.length, lv.last_term(), lv.length),
                ]
            terms = tuple(new_term if v in q else s.currentTerm[v - 1] for v in self.servers)
            prim = tuple(z3.BoolVal(v == i) if v in q else s.primary[v - 1] for v in self.servers)
            return Step(z3.And(parts), s._replace(currentTerm=terms, primary=prim), params)

        return apply

    def _commit(self, i: int, q: tuple[int, ...]) -> Callable[[LogState], Step]:
        def apply(s: LogState) -> Step:
            k = i - 1
            li, term = s.log[k], s.currentTerm[k]
            params: dict[str, z3.ExprRef] = {}
            if self.rules.commit_any_term:
                ind = z3.Int(fresh_name("index"))
                params["index"] = ind
                entry = li.at(ind)
                parts = [ind >= 1, ind <= li.length]
            elif self.term_jumps:
                # §5.4.2 as raftmodel does it: any entry of the leader's own term that a
                # quorum holds, not only the last one.
                ind = z3.Int(fresh_name("index"))
                params["index"] = ind
                entry = term
                parts = [ind >= 1, ind <= li.length, li.at(ind) == term]
            else:
                ind, entry = li.length, term
                parts = [ind > 0, li.at(ind) == term]
            parts.append(s.primary[k])
            for v in q:
                lv = s.log[v - 1]
                parts += [lv.length >= ind, lv.at(ind) == entry, s.currentTerm[v - 1] == term]
            after = s._replace(committed=s.committed.add(ind, entry, term))
            return Step(z3.And(parts), after, params)

        return apply

    def _update(self, i: int, j: int) -> Callable[[LogState], Step]:
        def apply(s: LogState) -> Step:
            guard = s.currentTerm[i - 1] > s.currentTerm[j - 1]
            after = s._replace(
                currentTerm=put(s.currentTerm, j - 1, s.currentTerm[i - 1]),
                primary=put(s.primary, j - 1, z3.BoolVal(False)),
            )
            return Step(guard, after, {})

        return apply


def _conjuncts(e: LogEncoding) -> tuple[Conjunct, ...]:
    n, q = e.n, e.q
    S = range(n)

    def count(preds: Sequence[z3.BoolRef]) -> z3.ArithRef:
        return z3.Sum([z3.If(p, 1, 0) for p in preds])

    def in_log(s: LogState, v: int, k: Int, t: Int) -> z3.BoolRef:
        lg = s.log[v]
        return z3.And(k >= 1, k <= lg.length, lg.at(k) == t)

    def one_primary(s: LogState) -> z3.BoolRef:
        return z3.And(
            [
                z3.Implies(z3.And(s.primary[a], s.primary[b]), s.currentTerm[a] != s.currentTerm[b])
                for a in S
                for b in S
                if a < b
            ]
        )

    def log_matching(s: LogState) -> z3.BoolRef:
        parts = []
        for a in S:
            for b in S:
                if a < b:
                    la, lb = s.log[a], s.log[b]
                    parts.append(
                        la.all(
                            lambda k, la=la, lb=lb: z3.Implies(  # type: ignore[misc]
                                z3.And(k <= lb.length, la.at(k) == lb.at(k)),
                                la.all(lambda j, la=la, lb=lb: la.at(j) == lb.at(j), upto=k),
                            )
                        )
                    )
        return z3.And(parts)

    def leader_completeness(s: LogState) -> z3.BoolRef:
        return z3.And(
            [
                z3.Implies(
                    s.primary[v],
                    s.committed.all(
                        lambda k, t, c, v=v: z3.Implies(c < s.currentTerm[v], in_log(s, v, k, t))  # type: ignore[misc]
                    ),
                )
                for v in S
            ]
        )

    def state_machine_safety(s: LogState) -> z3.BoolRef:
        return s.committed.all(
            lambda k, t, c: s.committed.all(lambda k2, t2, c2: z3.Implies(k == k2, t == t2))
        )

    def terms_monotonic(s: LogState) -> z3.BoolRef:
        return z3.And(
            [
                s.log[v].all(
                    lambda k, v=v: s.log[v].all(  # type: ignore[misc]
                        lambda j, v=v, k=k: s.log[v].at(j) <= s.log[v].at(k),  # type: ignore[misc]
                        upto=k,
                    )
                )
                for v in S
            ]
        )

    def primary_term_ge(s: LogState) -> z3.BoolRef:
        return z3.And(
            [
                z3.Implies(
                    s.primary[v],
                    s.log[v].all(lambda k, v=v: s.log[v].at(k) <= s.currentTerm[v]),  # type: ignore[misc]
                )
                for v in S
            ]
        )

    def quorum_at_term(s: LogState) -> z3.BoolRef:
        return z3.And(
            [
                z3.Implies(
                    s.primary[v], count([s.currentTerm[w] >= s.currentTerm[v] for w in S]) >= q
                )
                for v in S
            ]
        )

    def committed_on_quorum(s: LogState) -> z3.BoolRef:
        return s.committed.all(lambda k, t, c: count([in_log(s, w, k, t) for w in S]) >= q)

    def own_term(s: LogState) -> z3.BoolRef:
        return s.committed.all(lambda k, t, c: c == t)

    def entry_safe_at_term(s: LogState) -> z3.BoolRef:
        return z3.And(
            [
                s.log[v].all(
                    lambda k, v=v: count([s.currentTerm[w] >= s.log[v].at(k) for w in S]) >= q  # type: ignore[misc]
                )
                for v in S
            ]
        )

    def later_have_committed(s: LogState) -> z3.BoolRef:
        # endive's form quantifies over two committed entries c, d (d.commitTerm <= c's);
        # taking c = d gives this equivalent form with one quantifier.
        return z3.And(
            [
                s.committed.all(
                    lambda k, t, c, v=v: z3.Implies(s.log[v].last_term() > c, in_log(s, v, k, t))  # type: ignore[misc]
                )
                for v in S
            ]
        )

    def equal_have_committed(s: LogState) -> z3.BoolRef:
        return z3.And(
            [
                s.committed.all(
                    lambda k, t, c, v=v: z3.Implies(  # type: ignore[misc]
                        z3.And(s.log[v].last_term() == c, s.log[v].length >= k),
                        in_log(s, v, k, t),
                    )
                )
                for v in S
            ]
        )

    def primary_has_own(s: LogState) -> z3.BoolRef:
        return z3.And(
            [
                z3.Implies(
                    s.primary[p],
                    s.log[w].all(
                        lambda k, p=p, w=w: z3.Implies(  # type: ignore[misc]
                            s.log[w].at(k) == s.currentTerm[p], in_log(s, p, k, s.currentTerm[p])
                        )
                    ),
                )
                for p in S
                for w in S
                if w != p
            ]
        )

    def uniform_in_term(s: LogState) -> z3.BoolRef:
        parts = []
        for a in S:
            for b in S:
                if a == b:
                    continue
                la, lb = s.log[a], s.log[b]
                parts.append(
                    la.all(
                        lambda k, la=la, lb=lb: z3.Implies(  # type: ignore[misc]
                            z3.Or(k == 1, la.at(k - 1) != la.at(k)),
                            lb.all(lambda j, la=la, k=k: la.at(k) != lb.at(j), upto=k - 1),
                        )
                    )
                )
        return z3.And(parts)

    return (
        Conjunct(
            "OnePrimaryPerTerm",
            "at most one primary per term (ElectionSafety, §5.2)",
            "∀ s≠t: primary[s] ∧ primary[t] ⇒ currentTerm[s] ≠ currentTerm[t]",
            one_primary,
        ),
        Conjunct(
            "LogMatching",
            "logs that agree on an index's term agree on every entry up to it (§5.3)",
            "∀ s,t,k ≤ len(s),len(t): log[s][k]=log[t][k] ⇒ ∀ j ≤ k: log[s][j]=log[t][j]",
            log_matching,
        ),
        Conjunct(
            "LeaderCompleteness",
            "a primary holds every entry committed in an earlier term (§5.4)",
            "∀ s,(k,t,c)∈committed: primary[s] ∧ c < currentTerm[s] ⇒ log[s][k]=t",
            leader_completeness,
        ),
        Conjunct(
            "StateMachineSafety",
            "no two different entries are committed at one index (§5.4.3)",
            "∀ (k,t,c),(k2,t2,c2)∈committed: k=k2 ⇒ t=t2",
            state_machine_safety,
        ),
        Conjunct(
            "TermsGrowMonotonically",
            "entry terms never decrease along a log",
            "∀ s,j ≤ k ≤ len(s): log[s][j] ≤ log[s][k]",
            terms_monotonic,
        ),
        Conjunct(
            "PrimaryTermGeLogTerms",
            "a primary's currentTerm is at least every term in its log",
            "∀ s,k ≤ len(s): primary[s] ⇒ log[s][k] ≤ currentTerm[s]",
            primary_term_ge,
        ),
        Conjunct(
            "QuorumAtPrimaryTerm",
            "a quorum is at a primary's term or later",
            f"∀ s: primary[s] ⇒ |{{w : currentTerm[w] ≥ currentTerm[s]}}| ≥ {q}",
            quorum_at_term,
        ),
        Conjunct(
            "CommittedOnQuorum",
            "every committed entry is in the logs of a quorum",
            f"∀ (k,t,c)∈committed: |{{w : log[w][k]=t}}| ≥ {q}",
            committed_on_quorum,
        ),
        Conjunct(
            "EntriesCommittedInOwnTerm",
            "an entry is committed only in its own term (§5.4.2)",
            "∀ (k,t,c)∈committed: c = t",
            own_term,
        ),
        Conjunct(
            "LogEntryImpliesSafeAtTerm",
            "an entry of term T implies a quorum at term T or later",
            f"∀ s,k ≤ len(s): |{{w : currentTerm[w] ≥ log[s][k]}}| ≥ {q}",
            entry_safe_at_term,
        ),
        Conjunct(
            "LogsLaterThanCommittedHaveCommitted",
            "a log whose last term exceeds a commit term holds every entry committed by then",
            "∀ s,(k,t,c)∈committed: LastTerm(log[s]) > c ⇒ log[s][k]=t",
            later_have_committed,
        ),
        Conjunct(
            "LogsEqualToCommittedHaveCommitted",
            "a log whose last term equals a commit term holds that entry if it is long enough",
            "∀ s,(k,t,c)∈committed: LastTerm(log[s]) = c ∧ len(s) ≥ k ⇒ log[s][k]=t",
            equal_have_committed,
        ),
        Conjunct(
            "PrimaryHasEntriesItCreated",
            "entries of a primary's term anywhere are in the primary's log",
            "∀ p≠w,k ≤ len(w): primary[p] ∧ log[w][k]=currentTerm[p] ⇒ log[p][k]=currentTerm[p]",
            primary_has_own,
        ),
        Conjunct(
            "UniformLogEntriesInTerm",
            "the first entry of a term in one log has no entry of that term before it elsewhere",
            "∀ s≠t,k ≤ len(s): (k=1 or log[s][k-1]≠log[s][k]) ⇒ ∀ j<k: log[t][j] ≠ log[s][k]",
            uniform_in_term,
        ),
    )
