"""Symmetry at any size: the refinement path is exact on whole spaces, polynomial, and
sound when its tree is cut; the enumeration path is unchanged for 2-3 servers."""

from __future__ import annotations

import os
import random
import subprocess
import sys
from collections.abc import Iterator
from functools import cache
from itertools import permutations
from pathlib import Path
from typing import Any

import pytest

from checker.engine.search import Options, check, reachable, transitions
from checker.raft import canon
from checker.raft.canon import SymmetricFingerprint, canonical_form, perms, relabel
from checker.raft.model import RaftModel
from checker.raft.presets import PRESETS
from raftmodel import inert, node
from raftmodel.actions import Receive, Timeout
from raftmodel.cluster import Bounds, ClusterState, Config, apply, init_state, successors
from raftmodel.messages import Message, RequestVote, RequestVoteResponse
from raftmodel.network import Semantics
from raftmodel.node import NodeState
from raftmodel.rules import Rules
from raftmodel.script import Script
from raftmodel.types import Role
from tests.support import needs_pure_python

ROOT = Path(__file__).resolve().parents[2]

SPACES = {
    "elections": Config(3, Bounds(max_term=1, max_log=0, max_restarts=0, max_requests=0)),
    "elections-bag": Config(
        3, Bounds(max_term=1, max_log=0, max_restarts=0, max_requests=0), Semantics.BAG
    ),
    "2servers-t2": Config(2, Bounds(max_term=2, max_log=1, max_restarts=1, max_requests=1)),
    "4servers-views": Config(4, Bounds(max_term=1, max_log=0, max_restarts=0, max_requests=0)),
}


@cache
def _states(name: str) -> frozenset[ClusterState]:
    full = reachable(RaftModel(SPACES[name]))
    # 4 servers: 18,161 states but 1,220 views; the views keep the test quick.
    return frozenset(inert.view(s) for s in full) if name == "4servers-views" else frozenset(full)


def _orbits(config: Config, states: frozenset[ClusterState]) -> dict[frozenset[Any], list[Any]]:
    bag = config.semantics is Semantics.BAG
    ps = perms(config.n)
    orbits: dict[frozenset[Any], list[Any]] = {}
    for s in states:
        orbits.setdefault(frozenset(relabel(s, p, bag) for p in ps), []).append(s)
    return orbits


@pytest.mark.parametrize("name", list(SPACES))
@pytest.mark.parametrize("limit", [0, None], ids=["refine-only", "default"])
def test_fingerprints_are_exactly_the_orbits(name: str, limit: int | None) -> None:
    # Exact: one fingerprint per orbit; sound: no fingerprint shared by two orbits.
    config = SPACES[name]
    fp = SymmetricFingerprint(config.semantics is Semantics.BAG, enumeration_limit=limit)
    owners: dict[int, frozenset[Any]] = {}
    orbits = _orbits(config, _states(name))
    for orbit, members in orbits.items():
        values = {fp(s) for s in members}
        assert len(values) == 1, "an orbit got two fingerprints"
        v = values.pop()
        assert owners.setdefault(v, orbit) == orbit, "two orbits share a fingerprint"
    assert fp.inexact == 0
    if limit == 0:
        assert fp.refined == len(_states(name))


@pytest.mark.parametrize("name", ["elections", "elections-bag", "2servers-t2"])
def test_states_of_one_fingerprint_share_their_locality_key(name: str) -> None:
    # The distributed search may route states by ``locality``: every candidate of one
    # fingerprint must meet at one owner, so the key is a function of the fingerprint's
    # class (every relabelling of a state, and its view), with the view and symmetry on.
    config = SPACES[name]
    fp = RaftModel(config).fingerprinter(True, True)
    assert fp.locality is canon.locality  # the view applies to SET networks only
    keys: dict[int, int] = {}
    for s in _states(name):
        for p in perms(config.n):
            r = relabel(s, p, config.semantics is Semantics.BAG)
            for t in (r, inert.view(r)) if fp.view else (r,):
                assert keys.setdefault(fp.fingerprint(t), canon.locality(t)) == canon.locality(t)
    # and it is coarser than the fingerprint, not constant
    assert 1 < len(set(keys.values())) < len(keys)


def test_refinement_is_taken_only_past_the_enumeration_limit() -> None:
    # Every 3-server state enumerates (at most 3! ties): their fingerprints are unchanged.
    fp = SymmetricFingerprint(False)
    for s in _states("elections"):
        fp(s)
    assert fp.refined == 0
    fp4 = SymmetricFingerprint(False)
    for s in _states("4servers-views"):
        fp4(s)
    assert fp4.refined > 0


def test_five_servers_count_as_many_orbits_as_the_enumeration(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = PRESETS["elections"].config()._replace(n=5)
    refined = check(RaftModel(config), Options(view=True))
    monkeypatch.setattr(canon, "ENUMERATION_LIMIT", 10**9)
    enumerated = check(RaftModel(config), Options(view=True))
    assert refined.complete and enumerated.complete
    assert (refined.distinct, refined.generated) == (enumerated.distinct, enumerated.generated)
    assert refined.distinct == 396


def _walk(config: Config, rng: random.Random, steps: int) -> Iterator[ClusterState]:
    s = init_state(config)
    for _ in range(steps):
        nxt = list(successors(s, config))
        if not nxt:
            return
        s = rng.choice(nxt)[1]
        yield s


@pytest.mark.parametrize("n", [6, 10])
def test_large_clusters_fingerprint_every_relabelling_alike(n: int) -> None:
    config = Config(n, Bounds(max_term=2, max_log=1, max_restarts=1, max_requests=1))
    rng = random.Random(n)
    fp = SymmetricFingerprint(False)
    servers = list(range(1, n + 1))
    for s in _walk(config, rng, 60):
        want = fp(s)
        c = canonical_form(s)
        for _ in range(3):
            rng.shuffle(servers)
            p = (0, *servers)
            r = relabel(s, p)
            assert fp(r) == want
            assert canonical_form(r) == c
    assert fp.inexact == 0


class _TooMany(Exception):
    pass


def test_ten_identical_followers_cost_no_factorial(monkeypatch: pytest.MonkeyPatch) -> None:
    # Before: candidate_perms enumerated all 10! = 3,628,800 orders of the followers.
    made = 0
    real_nodes = canon._nodes

    def counted_perms(xs: Any) -> Iterator[tuple[int, ...]]:
        nonlocal made
        for p in permutations(xs):
            made += 1
            if made > 1000:
                raise _TooMany
            yield p

    def counted_nodes(s: ClusterState, p: canon.Perm) -> Any:
        nonlocal made
        made += 1
        if made > 1000:
            raise _TooMany
        return real_nodes(s, p)

    needs_pure_python(canon, "_nodes")
    monkeypatch.setattr(canon, "permutations", counted_perms)
    monkeypatch.setattr(canon, "_nodes", counted_nodes)
    config = Config(10, Bounds(max_term=1, max_log=0, max_restarts=0, max_requests=0))
    s = init_state(config)
    fp = canon.symmetric_fingerprint(10, False)
    a = fp(s)
    # A candidate among nine followers, one of which has voted for it.
    t = apply(s, Timeout(3), config)
    assert t is not None
    t = apply(t, Receive(RequestVote(3, 7, 1, 0, 0)), config)
    assert t is not None
    b = fp(t)
    assert a != b
    assert made <= 100


def test_cut_walk_is_still_a_relabelling() -> None:
    # Three candidates refusing each other in a cycle: refinement cannot split them and no
    # swap of two fixes the state (only the rotations do), so the tree branches.
    config = Config(3, Bounds(max_term=1, max_log=0, max_restarts=0, max_requests=0))
    s = init_state(config)
    nodes = tuple(
        x._replace(
            currentTerm=1, votedFor=x.id, role=Role.CANDIDATE, votesGranted=frozenset({x.id})
        )
        for x in s.nodes
    )
    net = frozenset(
        {RequestVoteResponse(2, 1, 1, False), RequestVoteResponse(3, 2, 1, False)}
        | {RequestVoteResponse(1, 3, 1, False)}
    )
    s = s._replace(nodes=nodes, network=net)
    relabellings = {canon._relabelled_hash(relabel(s, p)) for p in perms(3)}
    full = SymmetricFingerprint(False, enumeration_limit=0)
    cut = SymmetricFingerprint(False, enumeration_limit=0, leaf_limit=1)
    for p in permutations(range(1, 4)):
        r = relabel(s, (0, *p))
        assert full(r) == full(s) == SymmetricFingerprint(False)(s)
        assert cut(r) in relabellings
    assert full.inexact == 0 and cut.inexact > 0


@pytest.mark.parametrize("name", list(SPACES))
def test_swap_check_agrees_with_relabelling(name: str) -> None:
    config = SPACES[name]
    bag = config.semantics is Semantics.BAG
    n = config.n
    for s in _states(name):
        for a in range(1, n + 1):
            for b in range(a + 1, n + 1):
                p = list(range(n + 1))
                p[a], p[b] = b, a
                assert canon._swap_fixes(s, a, b, bag) == (relabel(s, tuple(p), bag) == s)


def test_refined_fingerprints_are_stable_across_processes() -> None:
    code = (
        "import random;"
        "from checker.raft.canon import symmetric_fingerprint;"
        "from raftmodel.cluster import Bounds, Config, init_state, successors;"
        "c = Config(7, Bounds(max_term=2, max_log=1, max_restarts=1, max_requests=1)); "
        "s = init_state(c); rng = random.Random(7)\n"
        "for _ in range(40): s = rng.choice(list(successors(s, c)))[1]\n"
        "print(symmetric_fingerprint(7, False)(s))"
    )
    outs = set()
    for seed in ("0", "1", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(ROOT)}
        r = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            env=env,
            cwd=ROOT,
            timeout=120,
        )
        assert r.returncode == 0, r.stderr
        outs.add(r.stdout)
    assert len(outs) == 1


def _count_refusals_as_votes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Patch a bug into node.py itself (not into Rules): a candidate counts refusals."""
    real = node._on_request_vote_response

    def counts_refusals(
        s: NodeState, m: Message, n: int, rules: Rules
    ) -> tuple[NodeState, tuple[Message, ...]]:
        if isinstance(m, RequestVoteResponse):
            m = m._replace(voteGranted=True)
        return real(s, m, n, rules)

    monkeypatch.setitem(node._MESSAGE_HANDLERS, RequestVoteResponse, counts_refusals)


def _first_guard_report(config: Config) -> str | None:
    check_view = canon.view_guard(config)
    for s, a, t in transitions(RaftModel(config)):
        why = check_view(s, a, t)
        if why is not None:
            return why
    return None


def test_view_guard_is_quiet_on_raft_and_reports_a_node_bug(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = SPACES["elections"]
    assert _first_guard_report(config) is None
    # A bug in node.py, not in Rules: inert.applies still says the view is sound.
    _count_refusals_as_votes(monkeypatch)
    assert inert.applies(config)
    why = _first_guard_report(config)
    assert why is not None and "the view forgets the RequestVoteResponse" in why


@pytest.mark.parametrize("preset", ["elections", "default", "terms", "pair"])
def test_the_views_assumptions_hold_on_the_presets(preset: str) -> None:
    # What `check --check-view` does, on the node as shipped: a change to node.py that
    # breaks a rule the view relies on fails here (CI), whatever config.rules says.
    from checker.raft.presets import PRESETS

    config = PRESETS[preset].config()
    checked = check(RaftModel(config, check_view=True), Options(view=True))
    plain = check(RaftModel(config), Options(view=True))
    assert checked.complete and checked.view, checked.counterexample
    assert (checked.distinct, checked.generated) == (plain.distinct, plain.generated)


def test_check_view_reports_a_node_bug_as_a_violation(monkeypatch: pytest.MonkeyPatch) -> None:
    config = SPACES["elections"]
    _count_refusals_as_votes(monkeypatch)
    r = check(RaftModel(config, check_view=True), Options(view=True))
    assert r.counterexample is not None
    assert r.counterexample.violation.property in ("InertViewSound", "ElectionSafety")


@pytest.mark.parametrize("view", [True, False])
def test_a_remembered_fingerprint_is_for_the_whole_state(view: bool) -> None:
    # SymmetricFingerprint remembers, per node tuple and network, the last fingerprint
    # with the elections, committed entries and counters it was computed for: a state
    # that differs in one of those alone must get its own.
    config = PRESETS["deep"].config()
    # S1 leads term 1, commits a request on S2, and sends S3 a heartbeat.
    script = Script(config).timeout(1).vote(1, 2).client(1).replicate(1, 2)
    s = script.send_append(1, 3).state
    assert s.elections and s.committed and s.network
    variants = [
        s._replace(elections=frozenset()),
        s._replace(committed=frozenset()),
        s._replace(restarts=s.restarts + 1),
        s._replace(requests=s.requests + 1),
    ]
    shared, _ = canon.state_fingerprint(config, True, view)

    def fresh(x: ClusterState) -> int:
        return canon.state_fingerprint(config, True, view)[0](x)

    for t in variants:
        assert fresh(t) != fresh(s)
        equal_network = t._replace(network=frozenset(list(s.network)))
        for x in (s, t, s, t, equal_network, s):
            assert shared(x) == fresh(x)
