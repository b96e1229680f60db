"""The matcher: the set of raftmodel cluster states consistent with an observed trace.

Each candidate is a whole cluster state (the fields the log never shows are whatever the
model's behaviours make them: they are not guessed, every consistent state is kept) with
the path of model steps that reached it. An event advances every candidate by the step
it names, through ``raftmodel.cluster.apply`` (and ``node.step`` where the messages a
step sends are compared with the log): no Raft rule is restated here. A successor
survives when the logged message, value and state fields agree with it; every
invariant and transition property (``checker.raft.invariants``) is checked on it.
Candidates equal after the inert-message view (``raftmodel.inert``: messages no server
can act on again are forgotten, stale requests of one kind and pair become one token, as
the checker's fingerprint does) are merged, which keeps the network, and with it the
cost of an event, bounded by what is still live.

When no candidate explains an event, steps the log does not show are tried first
(``max_hidden`` of them at most, shortest first). ``max_candidates`` bounds memory: over
it the run is inconclusive, never a pass.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any, NamedTuple

from checker.errors import TraceFormatError
from checker.observed.events import (
    ITF_STEP,
    OBSERVATION_KINDS,
    Event,
    Fields,
    MsgPattern,
    Observed,
)
from checker.raft.invariants import Violation, check_state, check_step
from checker.traces import itf
from raftmodel import inert
from raftmodel import network as net
from raftmodel.actions import (
    Action,
    ClientRequest,
    Receive,
    Restart,
    SendAppendEntries,
    Timeout,
    describe,
)
from raftmodel.cluster import (
    Bounds,
    ClusterState,
    Committed,
    Config,
    apply,
    candidate_actions,
    event_of,
    init_state,
    model_rules,
    successors,
)
from raftmodel.messages import (
    AppendEntries,
    AppendEntriesResponse,
    Message,
    RequestVote,
    RequestVoteResponse,
    message_key,
)
from raftmodel.network import Semantics
from raftmodel.node import NodeState, init_node, step
from raftmodel.rules import RAFT, Rules
from raftmodel.types import NIL, Entry, Role
from raftmodel.wellformed import first_problem

Outbox = tuple[tuple[Message, ...], ...]


class Link(NamedTuple):
    """One step of a candidate's path (a linked list back to the start)."""

    parent: Link | None
    action: Action
    event: int  # the index of the event it explains (hidden steps: of the event they precede)
    hidden: bool


class Candidate(NamedTuple):
    state: ClusterState
    #: Per server, the messages its latest step sent (only when the log has send events
    #: that are no step of their own: RequestVote, responses).
    outbox: Outbox
    path: Link | None


class Options(NamedTuple):
    max_hidden: int = 2
    max_candidates: int = 10_000
    rules: Rules = RAFT


class Mismatch(NamedTuple):
    """Why one candidate does not explain the event: the field, expected (the model) and
    observed (the log); ``expected``/``observed`` empty when the step is not enabled."""

    field: str
    expected: str
    observed: str
    closest: Candidate  # the candidate, advanced by the attempted step when it is enabled
    attempted: Action | None


class Result(NamedTuple):
    verdict: str  # "ok", "rejected", "violation", "inconclusive"
    events: int
    matched: int  # events explained
    hidden_events: int  # events that needed hidden steps
    hidden_steps: int
    invariant_checks: int
    max_set: int  # the largest candidate set
    seconds: float
    failed_event: Event | None = None
    mismatches: tuple[Mismatch, ...] = ()
    violation: Violation | None = None
    closest: Candidate | None = None
    why: str = ""


def config_for(obs: Observed, rules: Rules = RAFT) -> Config:
    """The unbounded model the trace is matched against (any term, log length, number of
    requests and restarts), with the trace's values and batch bound; an ITF trace keeps
    its semantics, variant and other bounds."""
    unbounded: dict[str, Any] = {
        "max_term": None,
        "max_log": None,
        "max_restarts": None,
        "max_requests": None,
        "values": obs.values,
    }
    if obs.max_batch:
        # Bounds.max_batch comes with batched AppendEntries in raftmodel (issue 13, part
        # 1's model change); a model without it cannot explain a batched log.
        if "max_batch" not in Bounds._fields:
            raise TraceFormatError(
                f"{obs.sources[0]}:header", "max_batch: this model has no batched AppendEntries"
            )
        unbounded["max_batch"] = obs.max_batch
    if obs.refusal_hint:
        unbounded["refusal_hint"] = obs.refusal_hint
    if obs.config is not None:
        return obs.config._replace(bounds=obs.config.bounds._replace(**unbounded), prefix=())
    return Config(obs.n, Bounds(**unbounded), Semantics.SET, rules)


def start_state(obs: Observed, config: Config) -> ClusterState:
    """Raftmodel's Init, the ITF trace's start state, or Init with the header's ``start``
    (persistent state, commitIndex; entries up to a commitIndex recorded as committed)."""
    if obs.start is not None:
        return obs.start
    s = init_state(config)
    if not obs.start_fields:
        return s
    nodes = list(s.nodes)
    committed: set[Committed] = set()
    for i, fields in obs.start_fields:
        f = dict(fields)
        log = tuple(Entry(t, v if v is not None else 0) for t, v in f.get("log", ()))
        node = init_node(i, config.n)._replace(
            currentTerm=f.get("currentTerm", 0),
            votedFor=f.get("votedFor", NIL),
            log=log,
            commitIndex=f.get("commitIndex", 0),
        )
        nodes[i - 1] = node
        for k in range(1, min(node.commitIndex, len(log)) + 1):
            committed.add(Committed(k, log[k - 1].term, log[k - 1].value, node.currentTerm))
    s = s._replace(nodes=tuple(nodes), committed=frozenset(committed))
    problem = first_problem(s, config)
    if problem is not None:
        raise TraceFormatError(
            f"{obs.sources[0]}:header",
            f"start: server {problem.node}: {problem.var}: {problem.detail}",
        )
    return s


# --- comparing what the model did with what was logged --------------------------------------

_LOG_NAMES = {"source": "from", "dest": "to"}


def _entries_show(es: Iterable[tuple[int, Any]]) -> str:
    return "[" + " ".join(f"t{t}" + ("" if v is None else f"={v}") for t, v in es) + "]"


def _value_show(key: str, v: Any) -> str:
    if key == "votedFor":
        return "null" if v == NIL else str(v)
    if key == "role":
        return str(Role(v).label)
    if key in ("log", "entries"):
        return _entries_show(v)
    return str(v).lower() if isinstance(v, bool) else str(v)


def _entries_agree(have: tuple[Entry, ...], want: tuple[tuple[int, int | None], ...]) -> bool:
    if len(have) != len(want):
        return False
    return all(
        e.term == t and (v is None or e.value == v) for e, (t, v) in zip(have, want, strict=True)
    )


def node_disagrees(node: NodeState, fields: Fields) -> tuple[str, str, str] | None:
    """The first logged field the node's state disagrees with: (field, expected, observed)."""
    for key, want in fields:
        if key == "appended":
            for index, term, value in want:
                have = node.log[index - 1] if index <= len(node.log) else None
                if have is None or have.term != term or (value is not None and have.value != value):
                    exp = "none" if have is None else f"t{have.term}={have.value}"
                    obs = f"t{term}" + ("" if value is None else f"={value}")
                    return f"log[{index}]", exp, obs
            continue
        have_v: Any
        if key == "lastLogIndex":
            have_v = len(node.log)
        elif key == "lastLogTerm":
            have_v = node.log[-1].term if node.log else 0
        elif key == "log":
            if not _entries_agree(node.log, want):
                return key, _entries_show((e.term, e.value) for e in node.log), _entries_show(want)
            continue
        else:
            have_v = getattr(node, key)
        if have_v != want:
            return key, _value_show(key, have_v), _value_show(key, want)
    return None


def state_disagrees(
    s: ClusterState, state: tuple[tuple[int, Fields], ...]
) -> tuple[str, str, str] | None:
    for i, fields in state:
        d = node_disagrees(s.nodes[i - 1], fields)
        if d is not None:
            return f"node {i} {d[0]}", d[1], d[2]
    return None


def msg_disagrees(m: Message, pat: MsgPattern) -> tuple[str, str, str] | None:
    if type(m) is not pat.type:
        return "msg.type", type(m).__name__, pat.type.__name__
    for key, want in pat.fields:
        have = getattr(m, key)
        if key == "entries":
            if not _entries_agree(have, want):
                return (
                    "msg.entries",
                    _entries_show((e.term, e.value) for e in have),
                    _entries_show(want),
                )
        elif have != want:
            name = _LOG_NAMES.get(key, key)
            return f"msg.{name}", _value_show(key, have), _value_show(key, want)
    return None


def _distinct(network: frozenset[Any], sem: Semantics) -> Iterable[Message]:
    return network if sem is Semantics.SET else (m for m, _ in network)


def _is_token(m: Message) -> bool:
    return m.term == 0  # real messages carry a term >= 1 (raftmodel.inert.stale_token)


def _token_matches(m: Message, pat: MsgPattern, dest: NodeState) -> bool:
    """A stale-request token stands for every request of its kind and pair that the
    destination can only fence: it matches a logged message of that kind and pair whose
    logged term (if any) makes it stale there. Its other fields were forgotten."""
    if type(m) is not pat.type:
        return False
    f = dict(pat.fields)
    if f.get("source", m.source) != m.source:
        return False
    term = f.get("term")
    if term is None:
        return True
    if term < dest.currentTerm:
        return True
    return type(m) is RequestVote and term == dest.currentTerm and dest.votedFor != NIL


def _compact(s: ClusterState) -> ClusterState:
    """Forget elections of terms every server has left. ElectionSafety compares elections
    of one term, and a new one of term T needs a server whose currentTerm is T: under the
    rules the inert view needs (terms never fall, restarts keep them: ``inert.applies``,
    and TermsMonotonic checks it on every step) none of these can ever be contradicted.
    Without this the history grows with the number of terms, and with it the cost of
    every invariant check: the validator would not be linear in the trace."""
    low = min(x.currentTerm for x in s.nodes)
    if not s.elections or min(e.term for e in s.elections) >= low:
        return s
    return s._replace(elections=frozenset(e for e in s.elections if e.term >= low))


def _ambiguous_token(s: ClusterState, a: Action) -> bool:
    """Is ``a`` the delivery of a RequestVote token from the candidate its receiver voted
    for in its term? The token then stands for stale requests (fenced: a refusal) or for
    the candidate's own request delivered again (which may be granted again): the view
    does not say which, and neither changes the receiver, only the reply differs."""
    if not (isinstance(a, Receive) and type(a.m) is RequestVote and _is_token(a.m)):
        return False
    return s.nodes[a.m.dest - 1].votedFor == a.m.source


def _may_be_forgotten(pat: MsgPattern, dest: NodeState) -> bool:
    """Could the logged message be one the inert view forgot at ``dest`` (a response that
    can never change it again, ``raftmodel.inert.live_form``)? Its delivery then changes
    nothing: the event is explained with no step. The unknown fields are tried with the
    values that make it forgettable (``live_form`` decides, on a concrete message)."""
    if pat.type not in (RequestVoteResponse, AppendEntriesResponse):
        return False
    f = dict(pat.fields)
    source = f.get("source")
    if source is None or source == dest.id or f.get("dest", dest.id) != dest.id:
        return False
    terms = (
        [f["term"]]
        if "term" in f
        else [t for t in (dest.currentTerm, dest.currentTerm - 1) if t >= 1]
    )
    for term in terms:
        if pat.type is RequestVoteResponse:
            grants = [f["voteGranted"]] if "voteGranted" in f else [False, True]
            ms: list[Message] = [RequestVoteResponse(source, dest.id, term, g) for g in grants]
        else:
            ms = [
                AppendEntriesResponse(
                    source, dest.id, term, f.get("success", False), f.get("matchIndex", 0)
                )
            ]
        if any(inert.live_form(m, dest) is None for m in ms):
            return True
    return False


# --- the matcher -----------------------------------------------------------------------------


class Matcher:
    def __init__(self, obs: Observed, options: Options | None = None) -> None:
        self.obs = obs
        self.options = options = options if options is not None else Options()
        self.config = config_for(obs, options.rules)
        self.view = inert.applies(self.config)
        #: Only a log with send events that are no step of their own needs the outboxes.
        self.track_outbox = any(
            e.kind == "send" and e.msg is not None and e.msg.type is not AppendEntries
            for e in obs.events
        )
        self.checks = 0
        self.violation: tuple[Violation, Candidate] | None = None

    # One model step, with the invariants and the view.
    def advance(self, c: Candidate, a: Action, k: int, hidden: bool) -> Candidate | None:
        s = c.state
        t = apply(s, a, self.config)
        if t is None:
            return None
        outbox = c.outbox
        if self.track_outbox:
            driven = event_of(a)
            if driven is not None:
                who, ev = driven
                _, sent = step(s.nodes[who - 1], ev, self.config.n, model_rules(self.config))
                if _ambiguous_token(s, a):
                    # The token may stand for the candidate's own request delivered again,
                    # which the voter may grant again: either reply may be logged.
                    sent = (
                        *sent,
                        *(
                            r._replace(voteGranted=True)
                            for r in sent
                            if isinstance(r, RequestVoteResponse)
                        ),
                    )
                outbox = (*outbox[: who - 1], sent, *outbox[who:])
        self.checks += 1
        v = check_step(s, a, t)
        nxt = Candidate(t, outbox, Link(c.path, a, k, hidden))
        if v is not None:
            if self.violation is None:
                self.violation = (v, nxt)
            return None
        if self.view:
            nxt = nxt._replace(state=_compact(inert.view(t)))
        return nxt

    def _sent(self, c: Candidate, a: Action) -> tuple[Message, ...]:
        driven = event_of(a)
        assert driven is not None
        who, ev = driven
        return step(c.state.nodes[who - 1], ev, self.config.n, model_rules(self.config))[1]

    def attempts(self, c: Candidate, e: Event) -> Iterator[Action | None]:
        """The model steps that may stand for the event (None: no step, the state as is)."""
        i = e.node
        kind = e.kind
        if kind in ("timeout", "become_candidate"):
            yield Timeout(i)
        elif kind == "restart":
            yield Restart(i)
        elif kind == "client_request":
            for v in (e.value,) if e.value is not None else self.config.bounds.values:
                yield ClientRequest(i, v)
        elif kind == "send":
            assert e.msg is not None
            if e.msg.type is AppendEntries:
                # The harness's own SendAppendEntries actions of this leader (to that
                # follower): whatever parameters the model gives the action, they are
                # the model's to enumerate (apply judges them).
                to = dict(e.msg.fields).get("dest")
                for a in candidate_actions(c.state, self.config):
                    if isinstance(a, SendAppendEntries) and a.i == i and to in (None, a.j):
                        yield a
            else:
                yield None
        elif kind == "receive":
            assert e.msg is not None
            dest = c.state.nodes[i - 1]
            pat = e.msg
            found = [
                m
                for m in _distinct(c.state.network, self.config.semantics)
                if m.dest == i
                and type(m) is pat.type
                and (
                    _token_matches(m, pat, dest) if _is_token(m) else msg_disagrees(m, pat) is None
                )
            ]
            # Sorted only when there is a choice (the network is large, the matches few).
            for m in sorted(found, key=message_key) if len(found) > 1 else found:
                yield Receive(m)
            if self.view and _may_be_forgotten(e.msg, dest):
                yield None
        elif kind in OBSERVATION_KINDS:
            yield None
        elif kind == ITF_STEP:
            if e.action is None:
                yield from (a for a, _ in successors(c.state, self.config))
            else:
                yield self._itf_action(c, e.action)
        else:  # the initial state's observation ("state" with no node) is handled above
            raise AssertionError(kind)

    def _itf_action(self, c: Candidate, a: Action) -> Action | None:
        # A stale request the view turned into its token is delivered as the token; a
        # message it forgot changes nothing when delivered (raftmodel.inert): no step.
        if isinstance(a, Receive) and self.view and a.m not in c.state.network:
            live = inert.live_form(a.m, c.state.nodes[a.m.dest - 1])
            return None if live is None else Receive(live)
        return a

    def explains(
        self, c: Candidate, e: Event, a: Action | None, t: Candidate
    ) -> tuple[str, str, str] | None:
        """Why the successor ``t`` (of ``c`` by ``a``) does not explain the event, or None."""
        if e.kind == "send" and e.msg is not None:
            if a is not None:  # AppendEntries: the message the step sent
                sent = self._sent(c, a)
                if not sent:
                    return "msg", "nothing sent", "AppendEntries"
                d = msg_disagrees(sent[0], e.msg)
                if d is not None:
                    return d
            else:
                box = t.outbox[e.node - 1] if self.track_outbox else ()
                if not any(msg_disagrees(m, e.msg) is None for m in box):
                    best = min(
                        (msg_disagrees(m, e.msg) for m in box),
                        key=lambda d: (d is None, d),
                        default=None,
                    )
                    if best is not None:
                        return best
                    return (
                        "msg",
                        f"no message sent by node {e.node}'s latest step",
                        e.msg.type.__name__,
                    )
        return state_disagrees(t.state, e.state)

    def step_event(
        self, cands: Iterable[Candidate], e: Event, k: int, hidden: bool = False
    ) -> dict[Any, Candidate]:
        out: dict[Any, Candidate] = {}
        for c in cands:
            for a in self.attempts(c, e):
                if a is None:
                    t: Candidate | None = c
                else:
                    t = self.advance(c, a, k, hidden)
                if t is None or self.explains(c, e, a, t) is not None:
                    continue
                if hidden:  # the event's own step after hidden ones: mark the event's step
                    assert t.path is not None
                    t = t._replace(path=t.path._replace(hidden=False))
                key = (t.state, t.outbox)
                if key not in out:
                    out[key] = t
        return out

    def hidden_frontier(self, cands: Iterable[Candidate], k: int) -> dict[Any, Candidate]:
        out: dict[Any, Candidate] = {}
        for c in cands:
            for a, _ in successors(c.state, self.config):
                if _ambiguous_token(c.state, a):
                    # It changes no server (only an unverifiable reply): never hidden.
                    continue
                t = self.advance(c, a, k, True)
                if t is None:
                    continue
                key = (t.state, t.outbox)
                if key not in out:
                    out[key] = t
                    if len(out) > self.options.max_candidates:
                        return out
        return out

    def diagnose(
        self, cands: list[Candidate], e: Event, k: int, limit: int = 3
    ) -> tuple[Mismatch, ...]:
        """For up to ``limit`` candidates, the field that disagrees (the attempt that
        disagrees least: its first field)."""
        out: list[Mismatch] = []
        for c in cands[:limit]:
            best: Mismatch | None = None
            tried = False
            for a in self.attempts(c, e):
                tried = True
                if a is None:
                    t: Candidate | None = c
                else:
                    t = self.advance(c, a, k, False)
                if t is None:
                    if best is None and a is not None:
                        best = Mismatch("step", "", f"{describe(a)} is not enabled", c, None)
                    continue
                d = self.explains(c, e, a, t)
                if d is not None and (best is None or best.field == "step"):
                    best = Mismatch(d[0], d[1], d[2], t, a)
            if not tried:
                best = self._not_offered(c, e)
            if best is not None:
                out.append(best)
        return tuple(out)

    def _not_offered(self, c: Candidate, e: Event) -> Mismatch:
        if e.kind == "receive" and e.msg is not None:
            # The nearest message of that kind to that node, field by field.
            near = [
                m
                for m in net.messages(c.state.network, self.config.semantics)
                if type(m) is e.msg.type and m.dest == e.node and not _is_token(m)
            ]
            diffs = [d for d in (msg_disagrees(m, e.msg) for m in near) if d is not None]
            if diffs:
                f, exp, obs = min(diffs, key=lambda d: (d[0] != "msg.from", d))
                return Mismatch(f, exp + " (the nearest message sent)", obs, c, None)
            pat = ", ".join(f"{_LOG_NAMES.get(x, x)}={_value_show(x, v)}" for x, v in e.msg.fields)
            return Mismatch(
                "msg", "", f"no {e.msg.type.__name__} with {pat} was sent to node {e.node}", c, None
            )
        return Mismatch("step", "", f"no step of the model stands for {e.kind}", c, None)

    def run(self, progress: Callable[[int, int, int], None] | None = None) -> Result:
        t0 = time.monotonic()
        obs = self.obs
        n = self.config.n
        s0 = start_state(obs, self.config)
        self.checks += 1
        v0 = check_state(s0)
        empty: Outbox = ((),) * n if self.track_outbox else ()
        first = Candidate(_compact(inert.view(s0)) if self.view else s0, empty, None)
        cands: dict[Any, Candidate] = {(first.state, first.outbox): first}
        hidden_events = hidden_steps = 0
        max_set = 1
        events = obs.events
        total = len(events)

        def finish(verdict: str, matched: int, **kw: Any) -> Result:
            return Result(
                verdict,
                total,
                matched,
                hidden_events,
                hidden_steps,
                self.checks,
                max_set,
                time.monotonic() - t0,
                **kw,
            )

        if v0 is not None:
            return finish("violation", 0, violation=v0, closest=first, why="the start state")
        for k, e in enumerate(events):
            if progress is not None and k % 1000 == 0:
                progress(k, total, len(cands))
            if e.unknown is not None:
                field, why = e.unknown
                mm = Mismatch(field, "", why, next(iter(cands.values())), None)
                return finish("rejected", k, failed_event=e, mismatches=(mm,), closest=mm.closest)
            if e.kind == "state" and e.node == 0:  # ITF: the initial state's observation
                new = {
                    key: c for key, c in cands.items() if state_disagrees(c.state, e.state) is None
                }
            else:
                self.violation = None
                new = self.step_event(cands.values(), e, k)
            frontier = list(cands.values())
            used = 0
            initial = e.kind == "state" and e.node == 0
            while not new and not initial and used < self.options.max_hidden:
                used += 1
                nxt = self.hidden_frontier(frontier, k)
                if len(nxt) > self.options.max_candidates:
                    return finish(
                        "inconclusive",
                        k,
                        failed_event=e,
                        why=f"more than {self.options.max_candidates:,} candidate states "
                        f"while trying {used} hidden step{'s' if used > 1 else ''} "
                        f"before {e.where}",
                    )
                frontier = list(nxt.values())
                new = self.step_event(frontier, e, k, hidden=True)
            if not new:
                if self.violation is not None:
                    v, bad = self.violation
                    return finish("violation", k, failed_event=e, violation=v, closest=bad)
                mms = self.diagnose(list(cands.values()), e, k)
                closest = mms[0].closest if mms else next(iter(cands.values()))
                return finish("rejected", k, failed_event=e, mismatches=mms, closest=closest)
            if used:
                hidden_events += 1
                hidden_steps += used
            if len(new) > self.options.max_candidates:
                return finish(
                    "inconclusive",
                    k + 1,
                    failed_event=e,
                    why=f"more than {self.options.max_candidates:,} candidate states "
                    f"after {e.where}",
                )
            cands = new
            max_set = max(max_set, len(cands))
        if progress is not None:
            progress(total, total, len(cands))
        return finish("ok", total, closest=next(iter(cands.values())))


def validate(
    obs: Observed,
    options: Options | None = None,
    progress: Callable[[int, int, int], None] | None = None,
) -> Result:
    return Matcher(obs, options).run(progress)


# --- the closest path as a replayable trace --------------------------------------------------


def path_actions(c: Candidate) -> list[Action]:
    out: list[Action] = []
    link = c.path
    while link is not None:
        out.append(link.action)
        link = link.parent
    out.reverse()
    return out


#: A long trace's closest path is written from this many steps before its end (an ITF
#: state holds the whole network: a path of every step of a long trace would not fit).
WINDOW = 200


def _concrete(m: Message, s: ClusterState) -> Message:
    """A real request standing for a stale-request token in ``s``: of its kind and pair,
    with a term its destination has left (or, for a vote request, the term it voted in)
    and no later than its sender's, so that it is fenced exactly as the token is."""
    if not _is_token(m):
        return m
    dest, src = s.nodes[m.dest - 1], s.nodes[m.source - 1]
    term = max(1, min(src.currentTerm, dest.currentTerm - 1))
    if type(m) is RequestVote:
        return RequestVote(m.source, m.dest, term, 0, 0)
    return AppendEntries(m.source, m.dest, term, 0, 0, (), 0)


def closest_trace(
    obs: Observed, c: Candidate, options: Options, description: str, window: int = WINDOW
) -> itf.Trace:
    """The candidate's path as a trace ``raftcheck replay`` agrees with state for state:
    re-executed on raftmodel without the view (every message kept), from the start state,
    or for a path longer than ``window`` from the state the matcher had ``window`` steps
    before its end (a mid-life start, its stale-request tokens written as real stale
    requests). A delivery of a token becomes the delivery of a real request it stands for."""
    config = config_for(obs, options.rules)
    view = inert.applies(config)
    s = start_state(obs, config)
    acts = path_actions(c)
    from_init = obs.start is None and not obs.start_fields
    cut = max(0, len(acts) - window)
    if cut:
        for a in acts[:cut]:
            t = apply(s, a, config)
            assert t is not None, f"the path's step {describe(a)} is enabled"
            s = _compact(inert.view(t)) if view else t
        if view:
            s = s._replace(network=frozenset(_concrete(m, s) for m in s.network))
        from_init = False
    states = [s]
    actions: list[Action] = []
    for a in acts[cut:]:
        if isinstance(a, Receive) and _is_token(a.m):
            dest = s.nodes[a.m.dest - 1]
            real = next(
                (
                    m
                    for m in net.messages(s.network, config.semantics)
                    if type(m) is type(a.m)
                    and m.source == a.m.source
                    and m.dest == a.m.dest
                    and inert.live_form(m, dest) == a.m
                ),
                None,
            )
            assert real is not None, f"a real request stands for {describe(a)}"
            a = Receive(real)
        t = apply(s, a, config)
        assert t is not None, f"the path's step {describe(a)} is enabled"
        actions.append(a)
        states.append(t)
        s = t
    return itf.make_trace(
        config, states, actions, from_init=from_init, meta={"description": description}
    )


__all__ = [
    "Candidate",
    "Matcher",
    "Mismatch",
    "Options",
    "Result",
    "closest_trace",
    "config_for",
    "path_actions",
    "validate",
]
