"""canonical/raft's in-memory cluster fixture (raft/fixture.h), from Python.

``Fixture(n)`` grows n servers, bootstraps them with one configuration of n voters and
starts them; every method is one fixture call. ``views()`` reads each server's
``struct raft`` (term, vote, state, commit index, the log's last index and term and a
hash of the log) in one C call; ``log(i)`` reads the entries themselves. ``on_step`` is
called after every ``raft_fixture_step``, including the steps that ``elect`` and
``depose`` take inside the library (through ``raft_fixture_hook``).

The fixture asserts its own preconditions (``elect`` needs no leader and every server a
follower; ``depose`` needs a stable leader); a failed C assert aborts the process, so
``can_elect`` and ``can_depose`` check them first and the methods refuse with
``FixtureMisuse`` instead. Servers are 0-based here, as in the fixture; their raft ids
are i + 1.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

from checker.impl.canonical import build

FOLLOWER, CANDIDATE, LEADER = 1, 2, 3
COMMAND, BARRIER, CHANGE = 1, 2, 3
#: Fixture step event types (raft_fixture_event.type).
TICK, NETWORK, DISK = 1, 2, 3
#: The fixture's default election timeout (ms); a randomized timeout lies in [1x, 2x].
ELECTION_TIMEOUT = 1000


class FixtureMisuse(RuntimeError):
    """A fixture call whose precondition does not hold (the C library would abort)."""


class View(NamedTuple):
    """One server's struct raft, as read after a step."""

    term: int
    vote: int
    state: int
    in_pre_vote: bool
    commit: int
    last_index: int
    last_term: int
    log_hash: int
    alive: bool


class Msg(NamedTuple):
    """A message a server sent (``sent``) or received, with its fields as numbers:
    RequestVote a=lastLogIndex b=lastLogTerm flag=pre_vote|disrupt<<1; RequestVoteResult
    flag=granted|pre_vote<<1; AppendEntries a=prevLogIndex b=prevLogTerm c=leaderCommit
    d=len(entries); AppendEntriesResult a=rejected b=lastLogIndex."""

    sent: bool
    server: int
    type: int
    peer: int
    term: int
    a: int
    b: int
    c: int
    d: int
    flag: int


#: raft_message types (raft.h).
APPEND_ENTRIES, APPEND_ENTRIES_RESULT, REQUEST_VOTE, REQUEST_VOTE_RESULT = 1, 2, 3, 4


class LogEntry(NamedTuple):
    term: int
    type: int
    value: int


_MAX_MSGS = 4096

StepHook = Callable[[int, int], None]

#: Fixtures alive in this process, by the address of their struct (the C hook's key).
_FIXTURES: dict[int, Fixture] = {}
_HOOKED: set[int] = set()


def _install_hook(mod: Any) -> None:
    if id(mod) in _HOOKED:
        return

    @mod.ffi.def_extern()  # type: ignore[untyped-decorator]
    def rc_hook(f: Any, event: Any) -> None:
        fx = _FIXTURES.get(int(mod.ffi.cast("uintptr_t", f)))
        if fx is not None:
            fx._stepped(int(event.server_index), int(event.type))

    _HOOKED.add(id(mod))


class Fixture:
    """A started cluster of ``n`` voters (1 <= n <= 8). Close it (or use ``with``)."""

    def __init__(self, n: int, *, pre_vote: bool = False, cache_dir: Path | None = None) -> None:
        mod = build.load(cache_dir)
        _install_hook(mod)
        self.ffi: Any = mod.ffi
        self.lib: Any = mod.lib
        if not 1 <= n <= int(self.lib.RAFT_FIXTURE_MAX_SERVERS):
            raise ValueError(f"a fixture has 1..{self.lib.RAFT_FIXTURE_MAX_SERVERS} servers")
        self.n = n
        self.on_step: StepHook | None = None
        self._error: BaseException | None = None
        self._f = self.ffi.new("struct raft_fixture *")
        if _FIXTURES:
            raise RuntimeError("one canonical/raft fixture per process at a time")
        self._views = self.ffi.new("struct rc_view[]", n)
        self._msgs = self.ffi.new("struct rc_msg[]", _MAX_MSGS)
        self._closed = False
        self._check(self.lib.raft_fixture_initialize(self._f), "raft_fixture_initialize")
        for _ in range(n):
            self._check(self.lib.rc_grow(self._f), "raft_fixture_grow")
        if pre_vote:
            for i in range(n):
                self.lib.raft_set_pre_vote(self.lib.raft_fixture_get(self._f, i), True)
        self._check(self.lib.rc_bootstrap_start(self._f, n), "raft_fixture_bootstrap/start")
        self._key = int(self.ffi.cast("uintptr_t", self._f))
        _FIXTURES[self._key] = self
        self.lib.raft_fixture_hook(self._f, self.lib.rc_hook)
        #: Which pairs the driver disconnected (the fixture keeps this private).
        self._cut: set[tuple[int, int]] = set()

    def _check(self, rv: int, what: str) -> None:
        if rv != 0:
            msg = self.ffi.string(self.lib.raft_strerror(rv)).decode()
            raise RuntimeError(f"{what}: {msg} ({rv})")

    def _stepped(self, server: int, kind: int) -> None:
        if self.on_step is None or self._error is not None:
            return
        try:
            self.on_step(server, kind)
        except BaseException as e:  # re-raised once the C call returns
            self._error = e

    def _reraise(self) -> None:
        if self._error is not None:
            e, self._error = self._error, None
            raise e

    # --- reading ------------------------------------------------------------------------

    @property
    def time(self) -> int:
        return int(self._f.time)

    def leader_index(self) -> int | None:
        """The fixture's stable leader (acknowledged by a majority), or None."""
        i = int(self.lib.raft_fixture_leader_index(self._f))
        return None if i >= self.n else i

    def views(self) -> tuple[View, ...]:
        self.lib.rc_views(self._f, self._views)
        return tuple(
            View(
                int(v.term),
                int(v.vote),
                int(v.state),
                bool(v.in_pre_vote),
                int(v.commit),
                int(v.last_index),
                int(v.last_term),
                int(v.log_hash),
                bool(v.alive),
            )
            for v in self._views
        )

    def log(self, i: int) -> tuple[LogEntry, ...]:
        size = 64
        while True:
            terms = self.ffi.new("unsigned long long[]", size)
            types = self.ffi.new("int[]", size)
            values = self.ffi.new("unsigned long long[]", size)
            n = int(self.lib.rc_log(self._f, i, terms, types, values, size))
            if n == 0xFFFFFFFF:
                raise RuntimeError(f"server {i + 1} took a snapshot (threshold is disabled)")
            if n <= size:
                return tuple(
                    LogEntry(int(terms[k]), int(types[k]), int(values[k])) for k in range(n)
                )
            size = n

    def messages(self) -> list[Msg]:
        """The messages sent and received since the last call, in order."""
        n = int(self.lib.rc_drain(self._msgs, _MAX_MSGS))
        if n == 0xFFFFFFFF:
            raise RuntimeError("more messages in one step than the recorder holds")
        return [
            Msg(
                m.kind == 2,
                int(m.server),
                int(m.type),
                int(m.peer),
                int(m.term),
                int(m.a),
                int(m.b),
                int(m.c),
                int(m.d),
                int(m.flag),
            )
            for m in self._msgs[0:n]
        ]

    def connected(self, i: int, j: int) -> bool:
        return (min(i, j), max(i, j)) not in self._cut

    def alive(self, i: int) -> bool:
        return bool(self.lib.raft_fixture_alive(self._f, i))

    # --- driving ------------------------------------------------------------------------

    def step(self) -> tuple[int, int]:
        """One fixture step; returns (server index, event type)."""
        ev = self.lib.raft_fixture_step(self._f)
        self._reraise()
        return int(ev.server_index), int(ev.type)

    def can_elect(self, i: int) -> bool:
        """raft_fixture_elect's asserts hold and its election cannot be lost: no stable
        leader, every server a follower, ``i`` alive, and ``i`` connected to a majority
        (itself included) of alive servers whose logs are no more up to date (§5.4.1)."""
        if self.leader_index() is not None:
            return False
        views = self.views()
        if any(v.state != FOLLOWER for v in views) or not views[i].alive:
            return False
        mine = (views[i].last_term, views[i].last_index)
        voters = [
            j
            for j in range(self.n)
            if j == i
            or (
                views[j].alive
                and self.connected(i, j)
                and (views[j].last_term, views[j].last_index) <= mine
            )
        ]
        # Every alive server connected to i must end up acknowledging it (stability),
        # which it does once it hears a higher term's AppendEntries; a majority must vote.
        return 2 * len(voters) > self.n

    def elect(self, i: int) -> None:
        if not self.can_elect(i):
            raise FixtureMisuse(f"cannot elect server {i + 1} now")
        self.lib.raft_fixture_elect(self._f, i)
        self._reraise()

    def can_depose(self) -> bool:
        """raft_fixture_depose's asserts hold: a stable leader, and every other server
        (dead ones included) a follower. The fixture writes the follower's timer field of
        every other server, which for a leader or candidate is another member of a union
        (Debian builds without asserts: the write corrupts that server, then it crashes)."""
        leader = self.leader_index()
        if leader is None:
            return False
        views = self.views()
        return views[leader].state == LEADER and all(
            v.state == FOLLOWER for j, v in enumerate(views) if j != leader
        )

    def depose(self) -> None:
        if not self.can_depose():
            raise FixtureMisuse("no stable leader to depose")
        self.lib.raft_fixture_depose(self._f)
        self._reraise()

    def disconnect(self, i: int, j: int) -> None:
        self.lib.raft_fixture_disconnect(self._f, i, j)
        self._cut.add((min(i, j), max(i, j)))

    def reconnect(self, i: int, j: int) -> None:
        self.lib.raft_fixture_reconnect(self._f, i, j)
        self._cut.discard((min(i, j), max(i, j)))

    def kill(self, i: int) -> None:
        self.lib.raft_fixture_kill(self._f, i)

    def revive(self, i: int) -> None:
        self.lib.raft_fixture_revive(self._f, i)

    def set_randomized_election_timeout(self, i: int, msecs: int) -> None:
        self.lib.raft_fixture_set_randomized_election_timeout(self._f, i, msecs)

    def apply(self, i: int, value: int) -> bool:
        """A client entry (raft_apply) at server ``i``; False if it refused (not leader)."""
        return int(self.lib.rc_apply(self._f, i, value)) == 0

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            _FIXTURES.pop(self._key, None)
            self.lib.rc_close(self._f)

    def __enter__(self) -> Fixture:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
