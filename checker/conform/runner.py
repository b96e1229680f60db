"""Run conformance scenarios against an implementation behind the adapter protocol.

The runner owns the network, the clock and the schedule: it sends each scenario's
operations one by one, reads the acting node's state and the messages it sent after
each, and compares them with the scenario's expectation (honouring the capabilities the
adapter declared). The first difference ends the scenario with a ``Divergence`` saying
which kind it is, the step, and the expected and observed fields; the prefix up to that
step is written as a trace that reproduces it (it is itself a scenario file).

An adapter that crashes, hangs, prints garbage, answers with missing or extra fields or
exits early fails the scenario it was in (``AdapterFailure``); the runner starts it
afresh for the next scenario, so one bad answer never poisons the rest of the run.
"""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Any, NamedTuple, Protocol

from checker.conform import protocol as proto
from checker.conform.adapter import Adapter, handle
from checker.conform.protocol import Hello, ProtocolError, Reply, View
from checker.conform.shadow import Shadow
from checker.conform.suite import MANIFEST
from checker.errors import BadOption, TraceFormatError
from checker.traces import itf
from raftmodel import quorum
from raftmodel.actions import describe
from raftmodel.messages import RequestVote
from raftmodel.rules import RAFT

#: Seconds an adapter may take to answer one operation (its first answer may take
#: longer: the process has to start).
STEP_TIMEOUT = 5.0
START_TIMEOUT = 20.0


class AdapterFailure(Exception):
    """The adapter broke the protocol or the process: crashed, hung, garbage."""


# --- scenarios -------------------------------------------------------------------------------


class Probe(NamedTuple):
    """An operation the harness never takes (a guard): it must change nothing. The
    adapter may refuse it (a follower redirecting a client's request); the node is then
    observed, and must be unchanged all the same."""

    op: dict[str, Any]
    node: int
    state: View


class Expect(NamedTuple):
    op: dict[str, Any]
    node: int
    state: View
    sent: tuple[dict[str, Any], ...]
    describe: str
    probes: tuple[Probe, ...] = ()


#: The operations a probe may be.
PROBE_OPS = ("timeout", "send_append", "client_request")


def describe_probe(p: Probe) -> str:
    args = ", ".join(f"{k}={v}" for k, v in p.op.items() if k != "op")
    return f"probe {p.op['op']}({args}), which must change nothing"


class Scenario(NamedTuple):
    name: str
    path: Path
    n: int
    init: tuple[View, ...]
    steps: tuple[Expect, ...]
    trace: itf.Trace
    meta: dict[str, Any]


def _load_one(p: Path) -> Scenario:
    return from_trace(itf.read_trace(p), p)


def from_trace(trace: itf.Trace, p: Path) -> Scenario:
    """A scenario from its trace (``p``: where it is, or would be, stored)."""
    meta = trace.meta.get("conformance")
    where = f"{p}: #meta.conformance"
    if not isinstance(meta, dict):
        raise TraceFormatError(str(p), "not a conformance scenario (no #meta.conformance)")
    try:
        if meta.get("protocol") != proto.VERSION:
            raise ProtocolError(f"protocol {meta.get('protocol')!r}, expected {proto.VERSION}")
        n = trace.config.n
        init = tuple(proto.check_view(v, n, f"init[{k}]") for k, v in enumerate(meta["init"]))
        if len(init) != n:
            raise ProtocolError(f"init has {len(init)} nodes, the trace {n}")
        raw = meta["steps"]
        if not isinstance(raw, list) or len(raw) != len(trace.steps) - 1:
            raise ProtocolError("steps must list one entry per action of the trace")
        steps = []
        for k, st in enumerate(raw):
            w = f"steps[{k}]"
            op = st["op"]
            if not isinstance(op, dict) or op.get("op") not in proto.OPS:
                raise ProtocolError(f"{w}.op: not a protocol operation")
            if op["op"] == "deliver":
                proto.check_envelope(op["message"], n, f"{w}.op.message")
            a = trace.steps[k + 1].action
            assert a is not None
            probes = []
            for j, pr in enumerate(st.get("probes", [])):
                pw = f"{w}.probes[{j}]"
                if not isinstance(pr, dict) or pr["op"].get("op") not in PROBE_OPS:
                    raise ProtocolError(f"{pw}.op: a probe is one of {', '.join(PROBE_OPS)}")
                if pr["sent"] != []:
                    raise ProtocolError(f"{pw}.sent: a probe sends nothing")
                probes.append(
                    Probe(
                        pr["op"],
                        int(pr["node"]),
                        proto.check_view(pr["state"], n, f"{pw}.state"),
                    )
                )
            steps.append(
                Expect(
                    op,
                    int(st["node"]),
                    proto.check_view(st["state"], n, f"{w}.state"),
                    tuple(
                        proto.check_envelope(m, n, f"{w}.sent[{j}]")
                        for j, m in enumerate(st["sent"])
                    ),
                    describe(a),
                    tuple(probes),
                )
            )
    except ProtocolError as e:
        raise TraceFormatError(where, str(e)) from None
    except (KeyError, TypeError, ValueError) as e:
        raise TraceFormatError(where, f"malformed ({type(e).__name__}: {e})") from None
    name = str(meta.get("scenario") or p.name.removesuffix(".itf.json"))
    return Scenario(name, p, n, init, tuple(steps), trace, meta)


def load(path: str | os.PathLike[str]) -> list[Scenario]:
    """A suite directory (its manifest's order, else file-name order) or one file."""
    p = Path(path)
    if p.is_file():
        return [_load_one(p)]
    if not p.is_dir():
        raise BadOption(f"suite {str(p)!r}: no such file or directory")
    files: list[Path]
    mp = p / MANIFEST
    if mp.exists():
        try:
            files = [p / str(s["file"]) for s in json.loads(mp.read_text("utf-8"))["scenarios"]]
        except (ValueError, KeyError, TypeError) as e:
            raise TraceFormatError(str(mp), f"malformed manifest ({e})") from None
    else:
        files = sorted(p.glob("*.itf.json"))
    if not files:
        raise BadOption(f"suite {str(p)!r} holds no scenario (*.itf.json)")
    return [_load_one(f) for f in files]


# --- drivers ---------------------------------------------------------------------------------


class Driver(Protocol):
    """One adapter, one request at a time; ``reset`` after a failure."""

    def request(self, req: dict[str, Any]) -> Any: ...

    def reset(self) -> None: ...

    def close(self) -> None: ...


class InProcess:
    """A Python ``Adapter`` in this process; its replies go through the same JSON shapes
    and validation as a subprocess's."""

    def __init__(self, adapter: Adapter) -> None:
        self.adapter = adapter

    def request(self, req: dict[str, Any]) -> Any:
        try:
            return handle(self.adapter, req)
        except Exception as e:
            raise AdapterFailure(f"the adapter raised {type(e).__name__}: {e}") from None

    def reset(self) -> None:
        pass

    def close(self) -> None:
        pass


class Subprocess:
    """An adapter program, started without a shell, spoken to in JSON lines. Its stderr
    goes to a temporary file whose tail is quoted when it fails."""

    def __init__(self, argv: Sequence[str], step_timeout: float = STEP_TIMEOUT) -> None:
        if not argv:
            raise BadOption("--adapter needs a command")
        self.argv = list(argv)
        self.step_timeout = step_timeout
        self.proc: subprocess.Popen[bytes] | None = None
        self.err: IO[bytes] | None = None
        self.buf = b""
        self.fresh = True

    def _start(self) -> subprocess.Popen[bytes]:
        # Closed in _stop: the file outlives this call (the adapter writes to it).
        self.err = tempfile.TemporaryFile()  # noqa: SIM115
        try:
            # A session of its own, so that a hung adapter and its children can be ended
            # by the process group this runner created.
            self.proc = subprocess.Popen(
                self.argv,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=self.err,
                start_new_session=True,
            )
        except OSError as e:
            raise BadOption(f"cannot start the adapter {self.argv[0]!r}: {e.strerror}") from None
        self.buf = b""
        self.fresh = True
        return self.proc

    def _stderr_tail(self) -> str:
        if self.err is None:
            return ""
        try:
            self.err.seek(0, os.SEEK_END)
            size = self.err.tell()
            self.err.seek(max(0, size - 400))
            tail = self.err.read().decode("utf-8", "replace").strip().splitlines()
        except OSError:
            return ""
        return f" (stderr: {tail[-1][:160]})" if tail else ""

    def _dead(self, proc: subprocess.Popen[bytes]) -> AdapterFailure:
        try:
            code = proc.wait(timeout=1.0)
        except subprocess.TimeoutExpired:
            # Alive but deaf or mute: it closed its end of a pipe (reset() ends it).
            return AdapterFailure(f"the adapter closed its stdin or stdout{self._stderr_tail()}")
        how = f"killed by signal {-code}" if code < 0 else f"exit code {code}"
        return AdapterFailure(f"the adapter exited ({how}){self._stderr_tail()}")

    def request(self, req: dict[str, Any]) -> Any:
        proc = self.proc if self.proc is not None and self.proc.poll() is None else None
        if proc is None:
            if self.proc is not None:
                raise self._dead(self.proc)
            proc = self._start()
        assert proc.stdin is not None and proc.stdout is not None
        try:
            proc.stdin.write(json.dumps(req, separators=(",", ":")).encode() + b"\n")
            proc.stdin.flush()
        except (BrokenPipeError, ConnectionResetError):
            raise self._dead(proc) from None
        limit = max(self.step_timeout, START_TIMEOUT) if self.fresh else self.step_timeout
        line = self._readline(proc, limit)
        self.fresh = False
        try:
            return json.loads(line)
        except (json.JSONDecodeError, UnicodeDecodeError):
            text = line.decode("utf-8", "replace").strip()
            clip = text if len(text) <= 80 else text[:77] + "..."
            raise AdapterFailure(
                f"the adapter wrote a line that is not JSON on stdout: {clip!r} "
                "(logs belong on stderr)"
            ) from None

    def _readline(self, proc: subprocess.Popen[bytes], limit: float) -> bytes:
        assert proc.stdout is not None
        fd = proc.stdout.fileno()
        deadline = time.monotonic() + limit
        with selectors.DefaultSelector() as sel:
            sel.register(fd, selectors.EVENT_READ)
            while b"\n" not in self.buf:
                left = deadline - time.monotonic()
                if left <= 0 or not sel.select(left):
                    raise AdapterFailure(f"the adapter did not answer within {limit:g}s")
                chunk = os.read(fd, 65536)
                if not chunk:
                    raise self._dead(proc)
                self.buf += chunk
                if len(self.buf) > 16 * 1024 * 1024:
                    raise AdapterFailure("the adapter wrote more than 16 MiB without a newline")
        line, _, self.buf = self.buf.partition(b"\n")
        return line

    def _stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is not None:
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            for f in (proc.stdin, proc.stdout):
                if f is not None:
                    with contextlib.suppress(OSError):
                        f.close()
        if self.err is not None:
            self.err.close()
            self.err = None

    def reset(self) -> None:
        self._stop()

    def close(self) -> None:
        proc = self.proc
        if proc is not None and proc.poll() is None and proc.stdin is not None:
            # End of input asks the adapter to leave; it gets a moment before the kill.
            with contextlib.suppress(OSError):
                proc.stdin.close()
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=2)
        self._stop()


# --- comparison ------------------------------------------------------------------------------


class Divergence(NamedTuple):
    step: int
    #: "wrong state", "missing message", "unexpected message", "refused", "adapter failure"
    kind: str
    action: str
    node: int | None
    #: (field, expected, observed), as JSON values.
    fields: tuple[tuple[str, Any, Any], ...]
    missing: tuple[dict[str, Any], ...]
    unexpected: tuple[dict[str, Any], ...]
    detail: str = ""

    def summary(self) -> str:
        where = "at init" if self.step == 0 else f"at step {self.step} ({self.action})"
        node = "" if self.node is None else f" S{self.node}"
        parts = [f"{f} expected {_j(e)} got {_j(o)}" for f, e, o in self.fields]
        if parts:
            parts = [", ".join(parts)]
        parts += [f"missing {_msg(m)}" for m in self.missing]
        parts += [f"unexpected {_msg(m)}" for m in self.unexpected]
        what = "; ".join(parts) or self.detail
        return f"{self.kind} {where}{node}: {what}"


def _j(v: Any) -> str:
    return json.dumps(v, separators=(",", ":"))


def _msg(env: dict[str, Any]) -> str:
    b = env["body"]
    rest = ", ".join(f"{k}={_j(v)}" for k, v in b.items() if k != "type")
    return f"{b['type']} {env['src']}->{env['dest']} [{rest}]"


class Tolerance(NamedTuple):
    silent_refusals: bool
    commit_later: bool
    batching: bool = False
    empty_heartbeats: bool = False

    @staticmethod
    def of(capabilities: frozenset[str]) -> Tolerance:
        return Tolerance(
            "silent_vote_refusal" in capabilities,
            "commit_learned_later" in capabilities,
            "batching" in capabilities,
            "empty_heartbeats" in capabilities,
        )


def _key(env: dict[str, Any], tol: Tolerance, entries: bool = True) -> str:
    """A message's text for matching: a refused AppendEntries' matchIndex is not compared
    (implementations send hints of their own there), nor leaderCommit when commits may be
    learned later (it is checked separately), nor (``entries=False``) an AppendEntries'
    entries (a shorter batch is checked separately)."""
    b = dict(env["body"])
    if b["type"] == "AppendEntriesResponse" and not b["success"]:
        b.pop("matchIndex")
    if b["type"] == "AppendEntries":
        if tol.commit_later:
            b.pop("leaderCommit")
        if not entries:
            b.pop("entries")
    return proto.canonical({"src": env["src"], "dest": env["dest"], "body": b})


def _shorter_batch(e: dict[str, Any], o: dict[str, Any], tol: Tolerance) -> bool:
    """``o`` is ``e`` with fewer entries, a prefix of ``e``'s, as the declared capability
    allows: batching a shorter non-empty batch, empty_heartbeats none at all (Figure 2:
    entries "may send more than one for efficiency"; §5.3: the leader retries until the
    follower has them all, so a shorter batch is only later)."""
    ee, oe = e["body"]["entries"], o["body"]["entries"]
    if not len(oe) < len(ee) or oe != ee[: len(oe)]:
        return False
    return (tol.batching and len(oe) > 0) or (tol.empty_heartbeats and len(oe) == 0)


def _matches(e: dict[str, Any], o: dict[str, Any], tol: Tolerance) -> bool:
    aes = e["body"]["type"] == o["body"]["type"] == "AppendEntries"
    if aes and tol.commit_later and o["body"]["leaderCommit"] > e["body"]["leaderCommit"]:
        return False
    if _key(o, tol) == _key(e, tol):
        return True
    return (
        aes
        and (tol.batching or tol.empty_heartbeats)
        and _key(o, tol, entries=False) == _key(e, tol, entries=False)
        and _shorter_batch(e, o, tol)
    )


def compare_state(
    expected: View, observed: View, tol: Tolerance, floor: int
) -> list[tuple[str, Any, Any]]:
    out = []
    e, o = proto.view_json(expected), proto.view_json(observed)
    for f in proto.STATE_FIELDS:
        if f == "commitIndex" and tol.commit_later:
            # Learned later: never ahead of the model, never behind what it showed before.
            if not floor <= o[f] <= e[f]:
                out.append((f, e[f] if o[f] > e[f] else f"{floor}..{e[f]}", o[f]))
        elif e[f] != o[f]:
            out.append((f, e[f], o[f]))
    return out


def match_messages(
    expected: Sequence[dict[str, Any]],
    observed: Sequence[dict[str, Any]],
    tol: Tolerance,
    request_term: int | None,
) -> tuple[
    list[tuple[dict[str, Any], dict[str, Any]]],
    list[dict[str, Any]],
    list[dict[str, Any]],
    list[dict[str, Any]],
]:
    """Match sent messages as a multiset (order is free): (pairs, omitted-but-tolerated,
    missing, unexpected). An exact match is preferred to a tolerated one."""
    left = list(observed)
    pairs, omitted, missing = [], [], []
    for e in expected:
        ke = _key(e, tol)
        hit = next(
            (k for k, o in enumerate(left) if _key(o, tol) == ke and _matches(e, o, tol)), None
        )
        if hit is None:
            hit = next((k for k, o in enumerate(left) if _matches(e, o, tol)), None)
        if hit is not None:
            pairs.append((e, left.pop(hit)))
            continue
        b = e["body"]
        if (
            tol.silent_refusals
            and b["type"] == "RequestVoteResponse"
            and not b["voteGranted"]
            and b["term"] == request_term
        ):
            omitted.append(e)
        else:
            missing.append(e)
    return pairs, omitted, missing, left


# --- running ---------------------------------------------------------------------------------


class Result(NamedTuple):
    name: str
    steps: int
    #: Steps whose reply matched (skipped ones included).
    passed: int
    skipped: int
    divergence: Divergence | None
    reproducer: Path | None = None
    #: Why the steps left were skipped (an allowed different path), if they were.
    note: str = ""

    @property
    def ok(self) -> bool:
        return self.divergence is None


class Run(NamedTuple):
    results: tuple[Result, ...]
    implementation: str
    capabilities: frozenset[str]
    elapsed: float
    #: Operations sent to the adapter (init and observations included).
    operations: int
    stopped: str | None = None

    @property
    def failed(self) -> int:
        return sum(1 for r in self.results if not r.ok)


class _Session:
    def __init__(self, driver: Driver) -> None:
        self.driver = driver
        self.ops = 0
        self.hello = Hello(frozenset(), "")

    def call(self, req: dict[str, Any], n: int) -> Reply:
        self.ops += 1
        obj = self.driver.request({"id": self.ops, **req})
        try:
            if isinstance(obj, dict) and obj.get("in_reply_to") != self.ops:
                raise ProtocolError(
                    f"reply.in_reply_to: expected {self.ops}, got {_j(obj.get('in_reply_to'))}"
                )
            return proto.parse_reply(obj, n)
        except ProtocolError as e:
            raise AdapterFailure(f"bad reply to {req['op']}: {e}") from None

    def init(self, sc: Scenario) -> Hello:
        self.ops += 1
        obj = self.driver.request(
            {
                "id": self.ops,
                "op": "init",
                "protocol": proto.VERSION,
                "nodes": list(range(1, sc.n + 1)),
                "size": sc.n,
            }
        )
        try:
            if isinstance(obj, dict) and obj.get("in_reply_to") != self.ops:
                raise ProtocolError(
                    f"init reply.in_reply_to: expected {self.ops}, got {_j(obj.get('in_reply_to'))}"
                )
            return proto.parse_hello(obj)
        except ProtocolError as e:
            raise AdapterFailure(str(e)) from None


class _NotApplicable(Exception):
    """The implementation took an allowed different path on which the rest of the
    scenario does not apply (a node the scenario times out is already leader there, a
    pre-vote round that correctly fails): the steps left are skipped."""


def _cut(env: dict[str, Any], batch: int) -> dict[str, Any]:
    """An AppendEntries with its first ``batch`` entries only (other messages as sent)."""
    b = env["body"]
    if b["type"] != "AppendEntries" or len(b["entries"]) <= batch:
        return env
    return {**env, "body": {**b, "entries": b["entries"][:batch]}}


def _slot(env: dict[str, Any]) -> tuple[int, str]:
    # One step sends at most one message of a type to a server: the slot names it.
    return env["dest"], env["body"]["type"]


def _renamed(env: dict[str, Any], typ: str) -> dict[str, Any]:
    return {**env, "body": {**env["body"], "type": typ}}


def _pre_vote_round(
    session: _Session,
    sc: Scenario,
    shadow: Shadow,
    tol: Tolerance,
    op: dict[str, Any],
    r: Reply,
    k: int,
    floor: dict[int, int],
) -> Result | Reply:
    """The implementation answered a timeout with PreVote messages (Ongaro's thesis
    §9.6): the runner delivers them, checks each voter's answer against what raftmodel's
    node would do with the RequestVote of the next term (``Shadow.would_vote``) and that
    nothing else changes, then delivers the answers to the candidate. Returns the reply
    that starts the real election (compared by the caller with the scenario's timeout),
    a failed Result, or raises ``_NotApplicable`` when a majority correctly refuses."""
    i = op["node"]
    before = shadow.view(i)
    what = f"pre-vote round of timeout(node={i})"
    assert r.state is not None
    diff = compare_state(before, r.state, tol, floor[i])
    if diff:
        return _fail(sc, k, "wrong state", what, i, diff, (), ())
    saved = shadow.nodes[i]
    _, requests = shadow.step(op)
    shadow.nodes[i] = saved
    want = [_renamed(proto.envelope(m), "PreVote") for m in requests]
    _, _, missing, unexpected = match_messages(want, r.sent, tol, None)
    if missing or unexpected:
        return _fail(
            sc,
            k,
            "missing message" if missing else "unexpected message",
            what,
            i,
            (),
            missing,
            unexpected,
        )
    granted = {i}
    answers = []
    for m in sorted(r.sent, key=lambda x: x["dest"]):
        j = m["dest"]
        step = f"{what}: deliver PreVote {i}->{j}"
        rr = session.call({"op": "deliver", "message": m}, sc.n)
        if rr.error is not None or rr.state is None:
            return _fail(sc, k, "refused", step, j, (), (), (), f"the adapter refused: {rr.error}")
        # A PreVote changes nothing at the voter (§9.6: no term adopted, no vote cast).
        diff = compare_state(shadow.view(j), rr.state, tol, floor[j])
        if diff:
            return _fail(sc, k, "wrong state", step, j, diff, (), ())
        b = m["body"]
        rv = RequestVote(i, j, b["term"], b["lastLogIndex"], b["lastLogTerm"])
        grant = shadow.would_vote(rv)
        answer = [x for x in rr.sent if _slot(x) == (i, "PreVoteResponse") and x["src"] == j]
        expected = {
            "src": j,
            "dest": i,
            "body": {"type": "PreVoteResponse", "term": b["term"], "voteGranted": grant},
        }
        if len(answer) != 1 or len(rr.sent) != 1 or answer[0]["body"]["voteGranted"] != grant:
            return _fail(
                sc,
                k,
                "missing message" if not answer else "unexpected message",
                step,
                j,
                (),
                [expected],
                list(rr.sent),
            )
        answers.append(answer[0])
    for x in answers:
        step = f"{what}: deliver PreVoteResponse {x['src']}->{i}"
        rr = session.call({"op": "deliver", "message": x}, sc.n)
        if rr.error is not None or rr.state is None:
            return _fail(sc, k, "refused", step, i, (), (), (), f"the adapter refused: {rr.error}")
        if x["body"]["voteGranted"]:
            granted.add(x["src"])
        if rr.sent or rr.state != before:
            if not quorum.is_quorum(frozenset(granted), sc.n, RAFT.quorum(sc.n)):
                return _fail(
                    sc,
                    k,
                    "unexpected message" if rr.sent else "wrong state",
                    step,
                    i,
                    compare_state(before, rr.state, tol, floor[i]),
                    (),
                    list(rr.sent),
                    "the election started before a majority of pre-votes",
                )
            return rr
    if quorum.is_quorum(frozenset(granted), sc.n, RAFT.quorum(sc.n)):
        return _fail(
            sc,
            k,
            "missing message",
            what,
            i,
            (),
            [proto.envelope(m) for m in requests],
            (),
            "a majority granted the pre-vote, yet no election started",
        )
    raise _NotApplicable(
        f"step {k}: the pre-vote round fails (a majority refuses), so the election the "
        "scenario starts does not happen"
    )


def run_scenario(session: _Session, sc: Scenario) -> tuple[Result, Hello | None]:
    hello: Hello | None = None
    k = 0
    skipped = 0
    exp: Expect | None = None
    try:
        hello = session.init(sc)
        caps = hello.capabilities
        tol = Tolerance.of(caps)
        # Capabilities that change the path: expectations come from raftmodel's nodes fed
        # what the implementation did (shadow.py), not from the scenario's states.
        shadow = Shadow(sc.n, "noop_on_election" in caps) if caps & proto.PATH_CHANGING else None
        floor = dict.fromkeys(range(1, sc.n + 1), 0)
        for i in range(1, sc.n + 1):
            r = session.call({"op": "observe", "node": i}, sc.n)
            if r.error is not None or r.state is None:
                return _fail(
                    sc, 0, "refused", "init", i, (), (), (), f"observe refused: {r.error}"
                ), hello
            diff = compare_state(sc.init[i - 1], r.state, tol, 0)
            if diff:
                return _fail(sc, 0, "wrong state", "init", i, diff, (), ()), hello
        #: The scenario's messages refused silently (never sent, never delivered).
        omitted: set[str] = set()
        #: The implementation's own copy of each of the scenario's messages (it is what
        #: the runner delivers: under commit_learned_later it may carry a lower
        #: leaderCommit, under batching fewer entries, under noop_on_election a shifted
        #: index).
        own: dict[str, dict[str, Any]] = {}
        note = ""
        for k, exp in enumerate(sc.steps, start=1):
            op = exp.op
            request_term = None
            if op["op"] == "deliver":
                key = proto.canonical(op["message"])
                if key in omitted:
                    # A refusal the implementation was allowed not to send: delivering it
                    # changes nothing on correct Raft (its term is the candidate's own
                    # or older), so the step is skipped.
                    skipped += 1
                    continue
                if shadow is not None and key not in own:
                    raise _NotApplicable(f"step {k}: its message was not sent on this path")
                op = {**op, "message": own.get(key, op["message"])}
                if op["message"]["body"]["type"] == "RequestVote":
                    request_term = op["message"]["body"]["term"]
            if shadow is not None and not shadow.applicable(op):
                raise _NotApplicable(f"step {k}: the harness would not take {op['op']} here")
            batch = op.get("batch")
            if batch is not None:
                # The adapter is asked for an ordinary send_append (the protocol has no
                # batch size); its AppendEntries is cut to the scenario's first ``batch``
                # entries, as if it had sent that batch: sending changes no leader state.
                op = {key: v for key, v in op.items() if key != "batch"}
            r = session.call(op, sc.n)
            if batch is not None:
                r = r._replace(sent=tuple(_cut(m, batch) for m in r.sent))
            if r.error is not None or r.state is None:
                return _fail(
                    sc,
                    k,
                    "refused",
                    exp.describe,
                    exp.node,
                    (),
                    (),
                    (),
                    f"the adapter refused: {r.error}",
                ), hello
            if (
                shadow is not None
                and op["op"] == "timeout"
                and "pre_vote" in caps
                and r.sent
                and all(m["body"]["type"] == "PreVote" for m in r.sent)
            ):
                got = _pre_vote_round(session, sc, shadow, tol, op, r, k, floor)
                if isinstance(got, Result):
                    return got, hello
                r = got
            assert r.state is not None
            if shadow is not None:
                message = proto.message_of(op["message"]) if op["op"] == "deliver" else None
                after, sent = shadow.step(op, message)
                want_state = proto.view_of(after)
                want_sent = tuple(proto.envelope(m) for m in sent)
                if batch is not None:
                    want_sent = tuple(_cut(m, batch) for m in want_sent)
            else:
                want_state, want_sent = exp.state, exp.sent
            diff = compare_state(want_state, r.state, tol, floor[exp.node])
            pairs, omit, missing, unexpected = match_messages(want_sent, r.sent, tol, request_term)
            if diff or missing or unexpected:
                kind = (
                    "wrong state"
                    if diff
                    else "missing message"
                    if missing
                    else "unexpected message"
                )
                return _fail(sc, k, kind, exp.describe, exp.node, diff, missing, unexpected), hello
            floor[exp.node] = 0 if op["op"] == "restart" else r.state.commitIndex
            observed = {_slot(e): o for e, o in pairs}
            silent = {_slot(e) for e in omit}
            for e in exp.sent:
                if _slot(e) in observed:
                    own[proto.canonical(e)] = observed[_slot(e)]
                elif _slot(e) in silent:
                    omitted.add(proto.canonical(e))
            for pr in exp.probes:
                what = describe_probe(pr)
                if shadow is not None and shadow.applicable(pr.op):
                    continue  # not a probe on this path: the harness would take it
                r = session.call(pr.op, sc.n)
                if r.error is not None or r.state is None:
                    r = session.call({"op": "observe", "node": pr.node}, sc.n)
                    if r.error is not None or r.state is None:
                        detail = f"observe refused: {r.error}"
                        return _fail(sc, k, "refused", what, pr.node, (), (), (), detail), hello
                want_probe = pr.state if shadow is None else shadow.view(pr.node)
                diff = compare_state(want_probe, r.state, tol, floor[pr.node])
                if diff or r.sent:
                    kind = "wrong state" if diff else "unexpected message"
                    return _fail(sc, k, kind, what, pr.node, diff, (), r.sent), hello
        k = len(sc.steps) + 1
    except _NotApplicable as e:
        note = str(e)
        skipped += len(sc.steps) - k + 1
        k = len(sc.steps) + 1
    except AdapterFailure as e:
        return _adapter_failure(sc, k, exp, e), hello
    try:
        for i in range(1, sc.n + 1):
            r = session.call({"op": "observe", "node": i}, sc.n)
            if r.error is not None or r.state is None:
                return _fail(
                    sc,
                    len(sc.steps),
                    "refused",
                    "the end",
                    i,
                    (),
                    (),
                    (),
                    f"observe refused: {r.error}",
                ), hello
            want = (
                shadow.view(i)
                if shadow is not None
                else proto.view_of(sc.trace.steps[len(sc.steps)].state.nodes[i - 1])
            )
            diff = compare_state(want, r.state, tol, floor[i])
            if diff:
                return _fail(
                    sc, len(sc.steps), "wrong state", "observed at the end", i, diff, (), ()
                ), hello
    except AdapterFailure as e:
        return _adapter_failure(sc, k, exp, e), hello
    return Result(sc.name, len(sc.steps), len(sc.steps), skipped, None, note=note), hello


def _adapter_failure(sc: Scenario, k: int, exp: Expect | None, e: AdapterFailure) -> Result:
    step = min(k, len(sc.steps))
    if k == 0:
        action, node = "init", None
    elif k > len(sc.steps) or exp is None:
        action, node = "observed at the end", None
    else:
        action, node = exp.describe, exp.node
    return _fail(sc, step, "adapter failure", action, node, (), (), (), str(e))


def _fail(
    sc: Scenario,
    step: int,
    kind: str,
    action: str,
    node: int | None,
    fields: Sequence[tuple[str, Any, Any]],
    missing: Sequence[dict[str, Any]],
    unexpected: Sequence[dict[str, Any]],
    detail: str = "",
) -> Result:
    d = Divergence(
        step, kind, action, node, tuple(fields), tuple(missing), tuple(unexpected), detail
    )
    return Result(sc.name, len(sc.steps), max(step - 1, 0), 0, d)


def reproducer(sc: Scenario, d: Divergence) -> dict[str, Any]:
    """The scenario's prefix up to the diverging step, with the divergence in its meta."""
    meta = dict(sc.meta)
    meta["steps"] = list(meta["steps"])[: d.step]
    meta["scenario"] = f"{sc.name}-prefix"
    meta["divergence"] = divergence_json(d)
    return meta


def write_reproducer(sc: Scenario, d: Divergence, out: Path) -> Path:
    states = sc.trace.states[: d.step + 1]
    actions = [s.action for s in sc.trace.steps[1 : d.step + 1]]
    trace = itf.make_trace(
        sc.trace.config,
        states,
        [a for a in actions if a is not None],
        meta={"conformance": reproducer(sc, d)},
    )
    p = out / f"{sc.name}.divergence.itf.json"
    itf.write_trace(p, trace)
    return p


def run(
    driver: Driver,
    scenarios: Sequence[Scenario],
    out: Path | None = None,
    on_result: Callable[[Result], None] | None = None,
    time_limit: float | None = None,
    keep_open: bool = False,
) -> Run:
    """Every scenario in order; a failure of the adapter resets it for the next one. The
    driver is closed at the end unless ``keep_open``."""
    session = _Session(driver)
    start = time.monotonic()
    results: list[Result] = []
    name, caps = "", frozenset[str]()
    stopped = None
    try:
        for sc in scenarios:
            if time_limit is not None and time.monotonic() - start >= time_limit:
                stopped = f"time limit of {time_limit:g}s reached"
                break
            res, hello = run_scenario(session, sc)
            if hello is not None:
                name, caps = hello.implementation, hello.capabilities
            if res.divergence is not None:
                if res.divergence.kind == "adapter failure":
                    driver.reset()
                if out is not None:
                    res = res._replace(reproducer=write_reproducer(sc, res.divergence, out))
            results.append(res)
            if on_result is not None:
                on_result(res)
    except KeyboardInterrupt:
        stopped = "interrupted (Ctrl-C or SIGTERM)"
    finally:
        if not keep_open:
            driver.close()
    return Run(tuple(results), name, caps, time.monotonic() - start, session.ops, stopped)


def as_json(r: Run) -> dict[str, Any]:
    return {
        "implementation": r.implementation,
        "capabilities": sorted(r.capabilities),
        "scenarios": len(r.results),
        "failed": r.failed,
        "operations": r.operations,
        "stopped": r.stopped,
        "results": [
            {
                "scenario": x.name,
                "steps": x.steps,
                "passed": x.passed,
                "skipped": x.skipped,
                "note": x.note,
                "ok": x.ok,
                "divergence": None
                if x.divergence is None
                else {
                    "summary": x.divergence.summary(),
                    **divergence_json(x.divergence),
                },
                "reproducer": None if x.reproducer is None else str(x.reproducer),
            }
            for x in r.results
        ],
    }


def divergence_json(d: Divergence) -> dict[str, Any]:
    return {
        "kind": d.kind,
        "step": d.step,
        "action": d.action,
        "node": d.node,
        "fields": [{"field": f, "expected": e, "observed": o} for f, e, o in d.fields],
        "missing": list(d.missing),
        "unexpected": list(d.unexpected),
        "detail": d.detail,
    }
