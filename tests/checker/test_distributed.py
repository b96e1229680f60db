"""The partitioned search on Dask (``checker.distributed``) against one process: the same
distinct and generated counts, depth and coverage on set and bag networks, with and
without symmetry and the view, and a counterexample of the same (shortest) length; budgets
and signals end it inconclusive. One local Dask cluster of two workers serves the module
(its ``--address`` path is the multi-machine one)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest

from checker.engine.search import CheckResult, Options, Progress, check
from checker.raft.model import RaftModel
from checker.raft.presets import PRESETS
from raftmodel import mutants
from raftmodel.cluster import apply
from tests.support import ROOT, run_cli

pytest.importorskip(
    "distributed", reason="needs the 'distributed' extra: pip install -e '.[distributed]'"
)

from checker.distributed import search as dsearch


@pytest.fixture(scope="module")
def address() -> Iterator[str]:
    import logging

    from distributed import LocalCluster

    with LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",
        memory_limit=0,
        silence_logs=logging.ERROR,
    ) as cluster:
        yield cluster.scheduler_address


def _same(one: CheckResult[object, object], many: CheckResult[object, object]) -> None:
    assert (many.distinct, many.generated, many.depth) == (one.distinct, one.generated, one.depth)
    assert many.coverage == one.coverage
    assert many.complete and one.complete
    assert (many.view, many.symmetry) == (one.view, one.symmetry)


@pytest.mark.parametrize(
    ("preset", "symmetry", "view"),
    [
        ("elections", True, True),
        ("bag", True, False),
        ("elections", False, True),
        pytest.param("terms", True, True, marks=pytest.mark.slow),
        # 30,246 states: the view keeps one of several states per fingerprint, and the
        # generated count is one process's only if it is the one BFS meets first (ranks).
        pytest.param("terms", False, True, marks=pytest.mark.slow),
    ],
    ids=["set-symmetry-view", "bag-symmetry", "set-no-symmetry-view", "terms", "terms-no-sym"],
)
def test_the_counts_are_one_process_s(
    address: str, preset: str, symmetry: bool, view: bool
) -> None:
    model = RaftModel(PRESETS[preset].config())
    options = Options(symmetry=symmetry, view=view, workers=2)
    _same(check(model, options._replace(workers=1)), dsearch.check(model, options, None, address))


def test_one_worker_of_the_cluster_counts_as_one_process(address: str) -> None:
    # No batch travels, and each level's steps follow each other on one worker.
    model = RaftModel(PRESETS["terms"].config())
    options = Options(view=True, workers=1)
    _same(check(model, options), dsearch.check(model, options, None, address))


@pytest.mark.parametrize("preset", ["elections", "bag"])
def test_the_counts_do_not_depend_on_the_routing(address: str, preset: str) -> None:
    # Raft's states are routed by the model's locality key unless told otherwise (the
    # tests above); by fingerprint, the counts are the same.
    model = RaftModel(PRESETS[preset].config())
    options = Options(view=True, workers=2)
    one = check(model, options._replace(workers=1))
    _same(one, dsearch.check(model, options, None, address, by_locality=False))
    traffic: list[dsearch.Traffic] = []
    _same(one, dsearch.check(model, options, None, address, traffic.append, by_locality=True))
    assert sum(traffic[0].owned) == one.distinct


@pytest.mark.parametrize(("preset", "by_locality"), [("elections", True), ("bag", False)])
def test_the_counts_do_not_depend_on_who_expands_a_state(
    address: str, preset: str, by_locality: bool, monkeypatch: Any
) -> None:
    # Every level balanced, whatever the routing: states change hands, the counts do not.
    monkeypatch.setattr(dsearch, "BALANCE_LEAST", 1)
    model = RaftModel(PRESETS[preset].config())
    options = Options(view=True, workers=2)
    one = check(model, options._replace(workers=1))
    traffic: list[dsearch.Traffic] = []
    _same(one, dsearch.check(model, options, None, address, traffic.append, by_locality, True))
    assert traffic[0].handed > 0


@pytest.mark.parametrize(
    ("preset", "mutant", "prop"),
    [
        # a state invariant, found as a worker absorbs the states sent to it
        ("elections", "double_vote", "ElectionSafety"),
        # a transition property, found as a worker expands its frontier (after absorbing)
        ("terms", "stale_append_accepted", "TermsMonotonic"),
    ],
)
@pytest.mark.parametrize("least", [dsearch.BALANCE_LEAST, 1], ids=["default", "every-level"])
def test_a_mutant_gets_a_shortest_counterexample_that_replays(
    address: str, preset: str, mutant: str, prop: str, least: int, monkeypatch: Any
) -> None:
    # With every level balanced, the violating state's parent may have been expanded by
    # a partition that does not own it: the chain still runs through its owner.
    monkeypatch.setattr(dsearch, "BALANCE_LEAST", least)
    config = PRESETS[preset].config()._replace(rules=mutants.rules_for(mutant))
    model = RaftModel(config)
    one = check(model, Options(view=True))
    many = dsearch.check(model, Options(view=True, workers=2), None, address)
    assert one.counterexample is not None and many.counterexample is not None
    cex = many.counterexample
    assert len(cex.actions) == len(one.counterexample.actions) == many.depth
    assert cex.violation.property == one.counterexample.violation.property == prop
    s = cex.states[0]
    for a, t in zip(cex.actions, cex.states[1:], strict=True):
        assert apply(s, a, config) == t
        s = t


def test_progress_is_reported_per_level(address: str) -> None:
    seen: list[Progress] = []
    model = RaftModel(PRESETS["terms"].config())
    r = dsearch.check(model, Options(view=True, workers=2), seen.append, address)
    assert [p.depth for p in seen][:-1] == list(range(1, r.depth + 1))
    assert seen[-1].depth == r.depth and seen[-1].queue == 0
    assert (seen[-1].distinct, seen[-1].generated) == (r.distinct, r.generated)


@pytest.mark.parametrize(
    ("preset", "mutant", "limit", "ending"),
    [
        ("elections", None, None, "PASS"),
        ("elections", "double_vote", None, "ElectionSafety"),
        ("terms", "stale_append_accepted", None, "TermsMonotonic"),
        ("two-terms", None, 1.0, "time limit"),
    ],
    ids=["complete", "absorbing", "expanding", "time-limit"],
)
def test_a_run_leaves_nothing_on_the_workers(
    address: str, preset: str, mutant: str | None, limit: float | None, ending: str
) -> None:
    # However the run ends, its actors leave the workers of a cluster that lives on.
    from distributed import Client

    config = PRESETS[preset].config()
    if mutant is not None:
        config = config._replace(rules=mutants.rules_for(mutant))
    options = Options(view=True, workers=2, time_limit=limit)
    r = dsearch.check(RaftModel(config), options, None, address)
    if r.counterexample is not None:
        assert r.counterexample.violation.property == ending
    else:
        assert ending in (r.stopped or "PASS") and r.complete == (limit is None)
    with Client(address) as client:
        for _ in range(50):  # the scheduler tells the workers to let go; not at once
            left = client.run(lambda dask_worker: len(dask_worker.state.actors))
            if set(left.values()) == {0}:
                break
            time.sleep(0.1)
    assert set(left.values()) == {0}


class _Delivered:
    def result(self, timeout: float | None = None) -> None:
        return None


class _Peer:
    """A partition's actor handle in this process: a delivery is put straight in."""

    def __init__(self, actor: dsearch.PartitionActor) -> None:
        self.actor = actor

    def deliver(self, box: int, level: int, sender: int, batch: bytes) -> _Delivered:
        self.actor.put(box, level, sender, batch)
        return _Delivered()


class _Never:
    def result(self, timeout: float | None = None) -> None:
        time.sleep(timeout or 0)
        raise TimeoutError


class _Lost:
    def deliver(self, box: int, level: int, sender: int, batch: bytes) -> _Never:
        return _Never()


def test_partition_actors_step_a_level_together_and_a_stopped_step_returns() -> None:
    # In this process, as two workers run them: each step sends its batches to the other
    # and absorbs what the other sent; a step waiting for a peer that never comes (the
    # run ended) returns None once stopped, rather than holding its worker.
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    from checker.distributed.partition import owner

    model = RaftModel(PRESETS["terms"].config())
    fpr = model.fingerprinter(True, True)
    actors = [dsearch.PartitionActor(model, p, 2, True, True, True) for p in range(2)]
    for a in actors:
        a.connect([_Peer(b) for b in actors])
    seeds: list[list[Any]] = [[], []]
    for rank, s in enumerate(model.init_states()):
        seeds[owner(fpr.locality(s), 2)].append((fpr.fingerprint(s), -1, -1, rank, s))
    loads = [a.seed(seeds[p]).load for p, a in enumerate(actors)]
    with ThreadPoolExecutor(2) as pool:
        for level in range(3):
            plan = loads if level else None
            running = [pool.submit(a.step, level, plan, 1, None) for a in actors]
            steps = [f.result() for f in running]
            assert all(st is not None for st in steps)
            loads = [st[1].load for st in steps if st is not None]
        one = check(model, Options(view=True, max_depth=3))
        distinct = sum(st[1].distinct for st in steps if st is not None)
        assert distinct == one.distinct
        alone = pool.submit(actors[0].step, 3, loads, 1, None)
        time.sleep(0.2)
        assert not alone.done()  # waiting for the other partition's batches
        asyncio.run(actors[0].stop())
        assert alone.result(timeout=5) is None
        # A peer whose actor has gone never answers a delivery: stopped, the step returns.
        actors[1].connect([_Lost(), _Lost()])
        lost = pool.submit(actors[1].step, 3, None, 1, None)
        time.sleep(0.2)
        assert not lost.done()
        asyncio.run(actors[1].stop())
        assert lost.result(timeout=5) is None


@pytest.mark.parametrize("depth", [0, 1, 4, 9])
def test_a_depth_bound_stops_it_where_one_process_stops(address: str, depth: int) -> None:
    # The bound cuts the expansion, not the absorption, of the level it stops at (the
    # workers absorb one level and expand the next in one step).
    model = RaftModel(PRESETS["terms"].config())
    options = Options(view=True, workers=2, max_depth=depth)
    one = check(model, options._replace(workers=1))
    many = dsearch.check(model, options, None, address)
    assert (many.distinct, many.generated, many.depth) == (one.distinct, one.generated, one.depth)
    assert many.coverage == one.coverage and many.stopped == one.stopped
    assert one.stopped is not None and "depth bound" in one.stopped


@pytest.mark.parametrize("budget", [200, 2_000])
def test_a_state_budget_stops_it_inconclusive(address: str, budget: int) -> None:
    model = RaftModel(PRESETS["terms"].config())
    r = dsearch.check(model, Options(view=True, workers=2, max_states=budget), None, address)
    assert not r.complete and r.stopped is not None and "state budget" in r.stopped
    assert r.distinct >= budget
    # It stops after absorbing the level that reached the budget, before expanding it:
    # one process bounded at that depth has the same counts.
    one = check(model, Options(view=True, max_depth=r.depth))
    assert (r.distinct, r.generated, r.coverage) == (one.distinct, one.generated, one.coverage)


def test_the_cli_on_an_existing_cluster(address: str) -> None:
    r = run_cli(
        "check", "--model", "elections", "--engine", "distributed", "--address", address,
        "--json", "-",
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    summary = json.loads(r.stdout)
    assert (summary["distinct"], summary["engine"], summary["workers"]) == (34, "distributed", 0)
    assert "every worker of the Dask cluster at" in r.stderr


def test_bad_combinations_are_one_line_and_exit_2() -> None:
    r = run_cli("check", "--model", "elections", "--address", "tcp://127.0.0.1:8786")
    assert r.returncode == 2 and "needs --engine distributed" in r.stderr
    r = run_cli("check", "--engine", "distributed", "--strategy", "dfs")
    assert r.returncode == 2 and "not with --strategy dfs" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def _started(*args: str) -> subprocess.Popen[str]:
    """``raftcheck check *args`` started in the background, its output captured."""
    return subprocess.Popen(
        [sys.executable, "-m", "checker.cli", "check", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def test_a_worker_lost_mid_run_ends_it_inconclusive() -> None:
    # A worker killed (the kernel's OOM killer, an operator) takes its partition with it:
    # the run ends with the statistics so far and exit 3, one line, no traceback.
    import psutil

    p = _started("--model", "deep", "--engine", "distributed", "--workers", "2")
    deadline = time.monotonic() + 60
    workers: list[Any] = []
    while len(workers) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
        kids = psutil.Process(p.pid).children(recursive=True)
        workers = [k for k in kids if "spawn_main" in " ".join(k.cmdline())]
    time.sleep(3)  # into the levels
    workers[0].kill()
    out, err = p.communicate(timeout=120)
    assert p.returncode == 3, err
    assert "INCONCLUSIVE" in out and "a Dask worker was lost" in out and "PASS" not in out
    assert "Traceback" not in err


def test_sigterm_ends_it_with_the_statistics_so_far(address: str) -> None:
    p = _started("--model", "two-terms", "--engine", "distributed", "--address", address)
    time.sleep(4)
    p.send_signal(signal.SIGTERM)
    out, err = p.communicate(timeout=120)
    assert p.returncode == 3, err
    assert "INCONCLUSIVE: interrupted" in out and "PASS" not in out


def test_a_parent_chain_that_loops_is_an_error_not_a_hang() -> None:
    # A partition that recorded a parent wrong could point a state back at itself; the
    # rebuild of a counterexample follows at most the violating state's depth of links.
    class Link:
        def __init__(self, value: object) -> None:
            self.value = value

        def result(self, timeout: float | None = None) -> object:
            return self.value

    class Loop:
        def link(self, j: int) -> Link:
            return Link((7, 0, j))  # state j's parent: itself

    model = RaftModel(PRESETS["elections"].config())
    driver = dsearch._Driver([Loop()], model, Options(view=True), None, None)
    with pytest.raises(RuntimeError, match="longer than the state's depth, 3"):
        driver._rebuild(0, 5, 3)


def test_a_model_without_a_locality_key_is_routed_by_fingerprint(address: str) -> None:
    from tests.checker.test_engine import Counter

    raft = RaftModel(PRESETS["elections"].config())
    assert dsearch.routing(raft, Options(view=True)).endswith("locality key, levels balanced")
    model = Counter(top=300, bad=999)
    assert dsearch.routing(model, Options()) == "states routed by fingerprint"
    traffic: list[dsearch.Traffic] = []
    many = dsearch.check(model, Options(workers=2), None, address, traffic.append)
    _same(check(model, Options()), many)
    assert traffic[0].handed == 0 and 0 < sum(traffic[0].owned) == many.distinct
