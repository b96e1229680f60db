"""The worker side of ``--workers N``: expand a chunk of one BFS level in another process.

The search stays level-synchronous and the main process stays the only judge of what is
new, so the counts, the parents and the counterexample are those of one worker: chunks
are contiguous slices of the level, merged back in order, and within a chunk states and
successors keep their canonical order. Each worker remembers the fingerprints it has
sent before (all of them are in the main process's visited set by the time it sends the
next chunk) and does not send those states again, which keeps most of the traffic off
the pipe. A worker computes successors, fingerprints and every property, which is where
the time goes.
"""

from __future__ import annotations

import signal
from collections import Counter
from collections.abc import Callable
from typing import NamedTuple

from checker.canon import state_fingerprint
from checker.invariants import Violation, check_state, check_transition
from checker.store import FingerprintSet
from raftmodel.actions import Action, action_name
from raftmodel.cluster import ClusterState, Config, successors


class Found(NamedTuple):
    """A successor that may be new: its parent's index, fingerprint, state, and the
    violation it (or the transition to it) shows, if any."""

    parent: int
    fp: int
    state: ClusterState
    action: Action
    violation: Violation | None


class ChunkResult(NamedTuple):
    found: list[Found]
    generated: int
    coverage: Counter[str]
    #: Whether any state of the chunk had a successor (for the depth bound).
    had_successors: bool


_config: Config | None = None
_fp: Callable[[ClusterState], int] | None = None
_sent = FingerprintSet()


def init_worker(config: Config, symmetry: bool, view: bool) -> None:
    global _config, _fp, _sent
    # Ctrl-C reaches the whole process group; the main process alone handles it (it
    # ends the search with the statistics so far and stops the pool).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _config = config
    _fp, _ = state_fingerprint(config, symmetry, view)
    _sent = FingerprintSet()


def expand(chunk: list[tuple[ClusterState, int]]) -> ChunkResult:
    assert _config is not None and _fp is not None
    config, fp, sent = _config, _fp, _sent
    found: list[Found] = []
    generated = 0
    coverage: Counter[str] = Counter()
    for s, i in chunk:
        for a, t in successors(s, config):
            generated += 1
            coverage[action_name(a)] += 1
            v = check_transition(s, a, t)
            k = fp(t)
            if v is None and not sent.add(k):
                continue
            if v is None:
                v = check_state(t)
            found.append(Found(i, k, t, a, v))
            if v is not None:
                # Later successors cannot matter: the main process stops at the first.
                return ChunkResult(found, generated, coverage, True)
    return ChunkResult(found, generated, coverage, generated > 0)


def probe(chunk: list[tuple[ClusterState, int]]) -> ChunkResult:
    """At the depth bound: only whether any state of the chunk has a successor."""
    assert _config is not None
    config = _config
    has = any(any(True for _ in successors(s, config)) for s, _ in chunk)
    return ChunkResult([], 0, Counter(), has)
