"""The worker side of ``--workers N``: expand a chunk of one BFS level in another process.

The search stays level-synchronous and the main process stays the only judge of what is
new, so the counts, the parents and the counterexample are those of one worker: chunks
are contiguous slices of the level, merged back in order, and within a chunk states and
successors keep their canonical order. Each worker remembers the fingerprints it has
sent before (all of them are in the main process's visited set by the time it sends the
next chunk) and does not send those states again, which keeps most of the traffic off
the pipe. A worker computes successors, fingerprints and every property, which is where
the time goes.

Workers are forked, so the model reaches them by inheritance (nothing is pickled but
states). Signals: Ctrl-C reaches the whole process group and only the main process acts
on it (it ends the search with the statistics so far and stops the pool); SIGTERM ends a
worker at once and quietly (the main process, told too, reports and stops the pool).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import multiprocessing.process
import signal
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from multiprocessing.connection import Connection
from typing import Any, NamedTuple

from checker.engine.model import Model, Violation, state_checker, transition_checker
from checker.engine.store import FingerprintSet


class Found(NamedTuple):
    """A successor that may be new: its parent's index, fingerprint, state, and the
    violation it (or the transition to it) shows, if any."""

    parent: int
    fp: int
    state: Any
    action: Any
    violation: Violation | None


class ChunkResult(NamedTuple):
    found: list[Found]
    generated: int
    coverage: Counter[str]
    #: Whether any state of the chunk had a successor (for the depth bound).
    had_successors: bool


_model: Model[Any, Any] | None = None
_fp: Callable[[Any], int] | None = None
_transition_violation: Callable[[Any, Any, Any], Violation | None] | None = None
_state_violation: Callable[[Any], Violation | None] | None = None
_sent = FingerprintSet()


class Pool:
    """``n`` forked workers, each with a pipe of its own: nothing is shared between them
    (``multiprocessing.Pool``'s shared task queue has a lock that a worker stopped at the
    wrong moment keeps forever; seen under load as a hang at a budget's stop or Ctrl-C).
    ``imap(func, chunks)`` yields the results in chunk order; at most two chunks wait per
    worker, so neither side blocks on a full pipe. Leaving the ``with`` block kills the
    workers, whatever state they are in (their state is disposable)."""

    def __init__(self, model: Model[Any, Any], n: int, symmetry: bool, view: bool) -> None:
        ctx = multiprocessing.get_context("fork")
        self._conns: list[Connection] = []
        self._procs: list[multiprocessing.process.BaseProcess] = []
        for _ in range(n):
            mine, theirs = ctx.Pipe()
            proc = ctx.Process(target=_serve, args=(theirs, model, symmetry, view), daemon=True)
            proc.start()
            theirs.close()
            self._conns.append(mine)
            self._procs.append(proc)

    def __enter__(self) -> Pool:
        return self

    def __exit__(self, *_exc: object) -> None:
        for proc in self._procs:
            with contextlib.suppress(OSError, ValueError):
                proc.kill()
        for proc in self._procs:
            proc.join()
        for conn in self._conns:
            conn.close()

    def imap(
        self, func: Callable[[list[Any]], ChunkResult], chunks: Sequence[list[Any]]
    ) -> Iterator[ChunkResult]:
        n = len(self._conns)
        sent = 0
        for k in range(len(chunks)):
            while sent < len(chunks) and sent < k + 2 * n:
                self._conns[sent % n].send((func.__name__, chunks[sent]))
                sent += 1
            try:
                result: ChunkResult = self._conns[k % n].recv()
            except EOFError:
                raise RuntimeError(f"worker {k % n} died (out of memory?)") from None
            yield result


def _serve(conn: Connection, model: Model[Any, Any], symmetry: bool, view: bool) -> None:
    init_worker(model, symmetry, view)
    jobs = {"expand": expand, "probe": probe}
    while True:
        try:
            name, chunk = conn.recv()
        except EOFError:
            return
        conn.send(jobs[name](chunk))


def init_worker(model: Model[Any, Any], symmetry: bool, view: bool) -> None:
    global _model, _fp, _sent, _transition_violation, _state_violation
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # The kernel's default for SIGTERM: the worker ends at once, with no Python code run
    # (no traceback), whatever handler it inherited from the process that forked it.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _model = model
    fpr = model.fingerprinter(symmetry, view)
    _fp = fpr.fingerprint
    _transition_violation = transition_checker(model, fpr.assumptions)
    _state_violation = state_checker(model)
    _sent = FingerprintSet()


def expand(chunk: list[tuple[Any, int]]) -> ChunkResult:
    assert _model is not None and _fp is not None
    assert _transition_violation is not None and _state_violation is not None
    model, fp, sent = _model, _fp, _sent
    transition_violation, state_violation = _transition_violation, _state_violation
    found: list[Found] = []
    generated = 0
    coverage: Counter[str] = Counter()
    for s, i in chunk:
        for a, t in model.successors(s):
            generated += 1
            coverage[model.kind(a)] += 1
            v = transition_violation(s, a, t)
            k = fp(t)
            if v is None and not sent.add(k):
                continue
            if v is None:
                v = state_violation(t)
            found.append(Found(i, k, t, a, v))
            if v is not None:
                # Later successors cannot matter: the main process stops at the first.
                return ChunkResult(found, generated, coverage, True)
    return ChunkResult(found, generated, coverage, generated > 0)


def probe(chunk: list[tuple[Any, int]]) -> ChunkResult:
    """At the depth bound: only whether any state of the chunk has a successor."""
    assert _model is not None
    model = _model
    has = any(any(True for _ in model.successors(s)) for s, _ in chunk)
    return ChunkResult([], 0, Counter(), has)
