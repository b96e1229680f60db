"""Record what canonical/raft's fixture does as an observed trace (docs/observed-traces.md),
normalised to the paper where canonical/raft differs from it without being wrong.

After every fixture step (and every client call) the recorder reads the messages the
servers sent and received during it and each server's ``struct raft``, and writes events
in the order they happened: a ``receive`` for each delivered message, a ``send`` for each
AppendEntries a leader sent, a ``timeout`` when a tick made a server a candidate, a
``client_request`` when a leader accepted an entry, and a ``commit``/``state`` event for
a change no logged step explains by itself (a follower's commit after its disk write).
Each event carries the acting server's state after the step.

The normalisations (docs/canonical-raft.md, each tested in tests/checker/test_canonical_raft.py):

1. Bootstrap: every server starts at term 1 with a configuration entry at index 1,
   committed; the header's ``start`` says so, the entry written as ``{"term": 1,
   "value": 0}`` (client values are >= 1). Indexes and terms are canonical/raft's own.
2. Pre-vote (thesis §9.6): a pre-vote candidate is logged as a follower and pre-vote
   messages are not logged; they change no term, vote or log.
3. Leader stickiness (thesis §4.2.3): a follower that has heard from a leader recently
   ignores a RequestVote of a higher term. A received message that changed nothing and
   whose term is not the receiver's term is not logged: for the model it was lost (a
   stale reply, which the paper ignores too, is dropped the same way).
4. Check-quorum step-down (thesis §6.2): a leader that lost contact with a majority
   becomes a follower in the same term; it is logged as ``restart`` (the model's
   crash-recovery keeps term, vote and log and makes the server a follower).
5. Disk latency: a follower stores entries before it advances its commit index, one
   fixture step after the model would; ``commitIndex`` is therefore logged only when it
   changes (``commit`` events), never as a stale value on a receive.
6. nextIndex (§5.3): canonical/raft's leader jumps back with the follower's hint, as the
   model does with ``Bounds.refusal_hint`` (the header says ``refusal_hint: 1``). While a
   leader probes a follower (no successful reply from it yet in its term), both start at
   the leader's last index + 1 and move alike, so a rejected AppendEntries and its
   refusal are logged, the refusal with its hint (``lastLogIndex``). Once the leader has
   heard a success it pipelines: canonical/raft advances nextIndex when it sends, which
   the model does not, so a rejected append and its refusal are then not logged (for the
   model, lost). AppendEntries' prevLogIndex and its batch are never logged: the
   follower's resulting log is, in full.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from checker.impl.canonical import binding as b

#: The value the bootstrap configuration entry stands for (client values are >= 1).
CONFIG_VALUE = 0

Event = dict[str, Any]

_MSG_NAMES = {
    b.REQUEST_VOTE: "RequestVote",
    b.REQUEST_VOTE_RESULT: "RequestVoteResponse",
    b.APPEND_ENTRIES: "AppendEntries",
    b.APPEND_ENTRIES_RESULT: "AppendEntriesResponse",
}


def role(v: b.View) -> str:
    """The paper's role of a server (a pre-vote candidate is still a follower, 2.)."""
    if v.state == b.LEADER:
        return "Leader"
    if v.state == b.CANDIDATE and not v.in_pre_vote:
        return "Candidate"
    return "Follower"


def _is_pre_vote(m: b.Msg) -> bool:
    return (m.type == b.REQUEST_VOTE and bool(m.flag & 1)) or (
        m.type == b.REQUEST_VOTE_RESULT and bool(m.flag & 2)
    )


def _entry(e: b.LogEntry) -> dict[str, int]:
    return {"term": e.term, "value": e.value if e.type == b.COMMAND else CONFIG_VALUE}


class Recorder:
    """Turns fixture steps into observed-trace events (``events``, in order)."""

    def __init__(self, fx: b.Fixture) -> None:
        self.fx = fx
        self.events: list[Event] = []
        #: How often each normalisation applied (the numbers of the module docstring).
        self.normalised: Counter[str] = Counter()
        self._views = fx.views()
        self._logs = [fx.log(i) for i in range(fx.n)]
        self._roles = [role(v) for v in self._views]
        #: Whether the model's commitIndex of a server is known to equal canonical/raft's
        #: (5.): not after a step-down logged as a restart, until the next change.
        self._commit_known = [True] * fx.n
        #: (leader id, follower id, term) for which the leader has received a successful
        #: AppendEntries reply: it pipelines from then on (6.).
        self._acked: set[tuple[int, int, int]] = set()
        #: The servers' state before any event (the header's ``start``, 1.).
        self._start = {
            str(i + 1): {
                "currentTerm": v.term,
                "votedFor": v.vote or None,
                "log": [_entry(e) for e in self._logs[i]],
                "commitIndex": v.commit,
            }
            for i, v in enumerate(self._views)
        }
        fx.messages()  # the bootstrap sends nothing; start clean regardless

    def header(self, *, seed: int | None = None, description: str = "") -> Event:
        h: Event = {
            "format": "raftcheck-observed",
            "version": 1,
            "servers": list(range(1, self.fx.n + 1)),
            "clock": "order",
            "implementation": "canonical/raft 0.15 (Debian libraft2), raft/fixture.h",
            "start": self._start,
            # 6. canonical/raft's leader moves nextIndex with the follower's hint (§5.3;
            # progressMaybeDecrement): the model runs with Bounds.refusal_hint on.
            "refusal_hint": 1,
        }
        if seed is not None:
            h["seed"] = seed
        if description:
            h["description"] = description
        return h

    # --- observation ------------------------------------------------------------------

    def _state(self, i: int, v: b.View, *, commit: bool) -> dict[str, Any]:
        s: dict[str, Any] = {
            "currentTerm": v.term,
            "votedFor": v.vote or None,
            "role": role(v),
            "lastLogIndex": v.last_index,
            "lastLogTerm": v.last_term,
        }
        if commit:
            s["commitIndex"] = v.commit
        if v.log_hash != self._views[i].log_hash:
            new = self.fx.log(i)
            old = self._logs[i]
            k = 0
            while k < min(len(old), len(new)) and old[k] == new[k]:
                k += 1
            if k < len(new):
                s["appended"] = [{"index": x + 1, **_entry(new[x])} for x in range(k, len(new))]
            self._logs[i] = new
        return s

    def _emit(
        self, i: int, event: str, views: tuple[b.View, ...], *, lagging: bool = False, **extra: Any
    ) -> None:
        """Log ``event`` at server ``i`` with its state; ``lagging``: its commitIndex may
        still move when the entries it just received are stored (5.), so it is logged
        only if it changed."""
        v = views[i]
        ev: Event = {"node": i + 1, "event": event, "time": self.fx.time}
        ev.update(extra)
        if v.commit != self._views[i].commit and event != "restart":
            self._commit_known[i] = True
        if event == "restart":
            self._commit_known[i] = False
        changed = v.commit != self._views[i].commit
        lagging = lagging or role(v) == "Leader"  # 5. a leader's commit lags the model's
        ev["state"] = self._state(i, v, commit=changed or (self._commit_known[i] and not lagging))
        self.events.append(ev)
        self._commit(i, v)

    def _commit(self, i: int, v: b.View) -> None:
        views = list(self._views)
        views[i] = v
        self._views = tuple(views)
        self._roles[i] = role(v)

    def _changed(self, i: int, v: b.View) -> bool:
        o = self._views[i]
        return (o.term, o.vote, role(o), o.commit, o.log_hash) != (
            v.term,
            v.vote,
            role(v),
            v.commit,
            v.log_hash,
        )

    def observe(self, cause: str, server: int, *, value: int | None = None) -> None:
        """Record what happened in the last fixture step (``cause`` tick, network, disk)
        or client call (``client``, at ``server`` with ``value``)."""
        msgs = self.fx.messages()
        views = self.fx.views()
        done: set[int] = set()
        self.normalised["2. pre-vote candidate logged as follower"] += sum(
            v.in_pre_vote for v in views
        )
        if cause == "client" and value is not None:
            self._emit(server, "client_request", views, value=value)
            done.add(server)
        elif cause == "tick" and self._changed(server, views[server]):
            self._tick(server, views)
            done.add(server)
        for k, m in enumerate(msgs):
            self._message(m, msgs[k + 1 :], views, done)
        for i in range(self.fx.n):
            if i not in done and self._changed(i, views[i]):
                self._other(i, views)

    def _tick(self, i: int, views: tuple[b.View, ...]) -> None:
        old, new = self._views[i], views[i]
        if role(new) == "Candidate" and new.term == old.term + 1:
            self._emit(i, "timeout", views)
        else:
            self._other(i, views)

    def _other(self, i: int, views: tuple[b.View, ...]) -> None:
        old, new = self._views[i], views[i]
        if role(old) == "Leader" and role(new) == "Follower" and new.term == old.term:
            self.normalised["4. step-down logged as restart"] += 1
            self._emit(i, "restart", views)  # 4. check-quorum step-down
        elif (old.term, old.vote, role(old), old.log_hash) == (
            new.term,
            new.vote,
            role(new),
            new.log_hash,
        ):
            self._emit(i, "commit", views)
        else:
            self._emit(i, "state", views)

    def _message(
        self, m: b.Msg, later: list[b.Msg], views: tuple[b.View, ...], done: set[int]
    ) -> None:
        if m.type not in _MSG_NAMES:
            return
        if _is_pre_vote(m):
            self.normalised["2. pre-vote message"] += 1
            return
        if m.sent:
            if m.type == b.APPEND_ENTRIES:
                sent = {"type": "AppendEntries", "to": m.peer, "term": m.term}
                self.events.append(
                    {"node": m.server + 1, "event": "send", "time": self.fx.time, "msg": sent}
                )
            return
        i = m.server
        v = views[i]
        if m.type == b.APPEND_ENTRIES_RESULT and m.a == 0:
            self._acked.add((i + 1, m.peer, m.term))
        if not self._changed(i, v) and (
            m.term != v.term
            or (m.type == b.REQUEST_VOTE_RESULT and role(v) != "Candidate")
            or (m.type == b.APPEND_ENTRIES_RESULT and role(v) != "Leader")
        ):
            self.normalised["3. ignored or stale message"] += 1
            return  # ignored (leader stickiness), stale or late: lost, for the model
        if not self._changed(i, v) and _rejected(m, later) and not self._probing(m):
            self.normalised["6. rejected pipelined append or its reply"] += 1
            return  # 6. a rejected pipelined AppendEntries (its optimistic nextIndex), its reply
        msg: dict[str, Any] = {"type": _MSG_NAMES[m.type], "from": m.peer, "term": m.term}
        if m.type == b.REQUEST_VOTE:
            msg["lastLogIndex"] = m.a
            msg["lastLogTerm"] = m.b
        elif m.type == b.REQUEST_VOTE_RESULT:
            msg["voteGranted"] = bool(m.flag & 1)
        elif m.type == b.APPEND_ENTRIES_RESULT and m.term == self._views[i].term:
            # A reply of a higher term only carries the term; canonical/raft's success bit
            # and hint mean nothing then. On success, its hint is the follower's last
            # stored index, the model's matchIndex when it is within the leader's log.
            msg["success"] = m.a == 0
            if m.a == 0 and m.b <= v.last_index:
                msg["matchIndex"] = m.b
            elif m.a != 0:
                msg["lastLogIndex"] = m.b  # 6. the refusal's hint: the follower's last index
        # 5. A follower's commit moves after its disk write; a leader's only when its
        # last stored entry reaches a quorum (not every index, as Figure 2's rule).
        lagging = (m.type == b.APPEND_ENTRIES and m.d > 0) or m.type == b.APPEND_ENTRIES_RESULT
        self._emit(i, "receive", views, msg=msg, lagging=lagging)
        done.add(i)

    def _probing(self, m: b.Msg) -> bool:
        """Is the received ``m`` an AppendEntries or a reply between a leader and a
        follower from which the leader has had no success in ``m``'s term (6.)?"""
        # Server ids as in the trace: ``peer`` is one already, ``server`` an index.
        if m.type == b.APPEND_ENTRIES:
            return (m.peer, m.server + 1, m.term) not in self._acked
        return (m.server + 1, m.peer, m.term) not in self._acked


def _rejected(m: b.Msg, later: list[b.Msg]) -> bool:
    """``m`` is an AppendEntries its receiver rejected (its reply, sent in the same step,
    says so) or a rejection reply."""
    if m.type == b.APPEND_ENTRIES_RESULT:
        return m.a != 0
    if m.type == b.APPEND_ENTRIES:
        return any(
            r.sent and r.server == m.server and r.type == b.APPEND_ENTRIES_RESULT and r.a != 0
            for r in later
        )
    return False


def lines(header: Event, events: Iterable[Event]) -> str:
    """The trace as NDJSON text (keys in a fixed order: same run, same bytes)."""
    import json

    out = [json.dumps(header, separators=(", ", ": "))]
    out.extend(json.dumps(e, separators=(", ", ": ")) for e in events)
    return "\n".join(out) + "\n"
