"""The bounded model checker: exact symmetry, pinned counts, budgets, determinism."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
from pathlib import Path

import pytest

from checker.engine.search import Options, Strategy, check, reachable
from checker.raft.canon import perms, relabel
from checker.raft.model import RaftModel
from checker.raft.presets import PRESETS
from checker.traces import itf
from checker.traces.replay import replay
from raftmodel import inert, mutants
from raftmodel.cluster import Bounds, ClusterState, Config, init_state
from raftmodel.network import Semantics
from raftmodel.types import Role
from tests.support import ROOT, run_cli


def _full_space(config: Config) -> set[ClusterState]:
    return reachable(RaftModel(config))


def _orbits(config: Config, states: set[ClusterState]) -> int:
    bag = config.semantics is Semantics.BAG
    ps = perms(config.n)
    # Two states are in one orbit iff their sets of relabellings are equal.
    return len({frozenset(relabel(s, p, bag) for p in ps) for s in states})


SMALL = [
    Config(3, Bounds(max_term=1, max_log=0, max_restarts=0, max_requests=0)),
    Config(3, Bounds(max_term=1, max_log=0, max_restarts=0, max_requests=0), Semantics.BAG),
    Config(2, Bounds(max_term=2, max_log=1, max_restarts=1, max_requests=1)),
]


@pytest.mark.parametrize("config", SMALL, ids=["elections", "elections-bag", "2servers-t2"])
def test_symmetry_count_equals_number_of_orbits(config: Config) -> None:
    full = _full_space(config)
    plain = check(RaftModel(config), Options(symmetry=False, view=False))
    reduced = check(RaftModel(config), Options(symmetry=True, view=False))
    exact = check(RaftModel(config), Options(symmetry=True, exact=True, view=False))
    assert plain.complete and reduced.complete and exact.complete
    assert plain.distinct == len(full)
    assert reduced.distinct == exact.distinct == _orbits(config, full)
    assert reduced.distinct < plain.distinct


@pytest.mark.parametrize("config", SMALL, ids=["elections", "elections-bag", "2servers-t2"])
def test_symmetry_and_view_together_count_orbits_of_views(config: Config) -> None:
    full = _full_space(config)
    views = {inert.view(s) for s in full} if inert.applies(config) else full
    plain = check(RaftModel(config), Options(symmetry=False, view=True))
    reduced = check(RaftModel(config), Options(symmetry=True, view=True))
    exact = check(RaftModel(config), Options(symmetry=True, exact=True, view=True))
    assert plain.view == reduced.view == exact.view == inert.applies(config)
    assert plain.distinct == len(views)
    assert reduced.distinct == exact.distinct == _orbits(config, views)


def test_pinned_state_counts() -> None:
    # Regression oracle (stateright's paxos test, tlaplus/Examples' manifest): any change
    # to the model's rules or the harness shows up here.
    config = PRESETS["elections"].config()
    assert check(RaftModel(config), Options(symmetry=False, view=False)).distinct == 677
    r = check(RaftModel(config), Options(symmetry=True, view=False))
    assert (r.distinct, r.generated, r.depth) == (121, 1126, 11)
    assert check(RaftModel(config), Options(symmetry=False, view=True)).distinct == 185
    r = check(RaftModel(config), Options(symmetry=True, view=True))
    assert (r.distinct, r.generated, r.depth) == (34, 253, 8)


#: mutant: (preset, property, shortest counterexample length), from the catalog.
FAST_MUTANTS = {m.name: (m.preset, m.caught_by, m.shortest) for m in mutants.PROTOCOL}

#: Variants found within seconds (figure8_commit: about a minute) only with symmetry and
#: the view both on; the slow tier checks that the other combinations agree.
VIEW_ONLY_FAST = {
    "length_only_log_check",
    "figure8_commit",
    "commit_before_check",
    "next_below_match",
}


#: Searches too long for the default run's 10 minutes (figure8_commit: 80 s on a quiet
#: 2-core machine); the slow tier runs them. The Figure 8 story trace, BMC and TLC still
#: show figure8_commit in the default run.
SLOW_SEARCH = {"figure8_commit"}


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(n, marks=pytest.mark.slow) if n in SLOW_SEARCH else n
        for n in sorted(FAST_MUTANTS)
    ],
)
def test_mutant_found_with_shortest_trace_that_replays(name: str, tmp_path: Path) -> None:
    preset, prop, length = FAST_MUTANTS[name]
    config = PRESETS[preset].config()._replace(rules=mutants.rules_for(name))
    combos = ((True, True), (False, True), (True, False))
    if name in VIEW_ONLY_FAST:
        combos = ((True, True),)
    for sym, view in combos:
        r = check(RaftModel(config), Options(symmetry=sym, view=view))
        assert r.counterexample is not None
        cex = r.counterexample
        assert (cex.violation.property, len(cex.actions)) == (prop, length)
    path = tmp_path / "cex.json"
    itf.write_trace(path, itf.make_trace(config, cex.states, cex.actions))
    result = replay(itf.read_trace(path))
    assert result.divergence is None and result.violation is not None
    assert result.violation[1].property == prop


def test_figure8_presets_start_at_the_papers_figure_8_a() -> None:
    # S1 holds an uncommitted entry of term 1; S2 leads term 2 with one of term 2; S3 is
    # empty; both requests of the figure8 preset are spent.
    for name in ("figure8", "divergent-logs"):
        s = init_state(PRESETS[name].config())
        assert [(x.currentTerm, x.role, [e.term for e in x.log]) for x in s.nodes] == [
            (2, Role.FOLLOWER, [1]),
            (2, Role.LEADER, [2]),
            (2, Role.FOLLOWER, []),
        ]
        assert s.requests == 2 and not s.committed
        assert len(PRESETS[name].prefix) == 9


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(VIEW_ONLY_FAST))
def test_slow_mutants_agree_without_a_reduction(name: str) -> None:
    preset, prop, length = FAST_MUTANTS[name]
    config = PRESETS[preset].config()._replace(rules=mutants.rules_for(name))
    combos = ((False, True), (True, False))
    if name == "figure8_commit":
        # Symmetry off passes in about a minute; the view off had not finished after 10
        # minutes here. Symmetry off is the requirement.
        combos = ((False, True),)
    for sym, view in combos:
        r = check(RaftModel(config), Options(symmetry=sym, view=view))
        assert r.counterexample is not None
        assert (r.counterexample.violation.property, len(r.counterexample.actions)) == (
            prop,
            length,
        )


def test_budgets_stop_early_and_say_so() -> None:
    config = PRESETS["default"].config()
    r = check(RaftModel(config), Options(max_states=500))
    assert r.stopped is not None and "state budget" in r.stopped and not r.complete
    r = check(RaftModel(config), Options(time_limit=0.2))
    assert r.stopped is not None and "time limit" in r.stopped
    r = check(RaftModel(PRESETS["elections"].config()), Options(max_depth=3))
    assert r.stopped is not None and "depth bound" in r.stopped


def test_dfs_explores_the_same_space() -> None:
    config = PRESETS["elections"].config()
    assert check(RaftModel(config), Options(strategy=Strategy.DFS, view=True)).distinct == 34
    assert check(RaftModel(config), Options(strategy=Strategy.DFS)).distinct == 121


def test_fingerprints_are_stable_across_processes() -> None:
    code = (
        "from checker.engine.search import check, Options;"
        "from checker.raft.model import RaftModel;"
        "from checker.raft.presets import PRESETS;"
        "r = check(RaftModel(PRESETS['elections'].config()._replace(n=3)), Options());"
        "print(r.distinct, r.generated);"
        "from checker.raft.canon import symmetric_fingerprint;"
        "from raftmodel.cluster import init_state;"
        "c = PRESETS['elections'].config();"
        "print(symmetric_fingerprint(3, False)(init_state(c)))"
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


_cli = run_cli


def test_cli_check_exit_codes(tmp_path: Path) -> None:
    ok = _cli("check", "--model", "elections", "--stats")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "PASS: the bounded space is exhausted" in ok.stdout
    assert "max_term=1" in ok.stdout and "never fired: ClientRequest" in ok.stdout
    out = tmp_path / "cex.json"
    bad = _cli("check", "--model", "elections", "--mutant", "double_vote", "--out", str(out))
    assert bad.returncode == 1 and "VIOLATION: ElectionSafety after 6 steps" in bad.stdout
    again = _cli("replay", str(out), "--quiet")
    assert again.returncode == 1 and "VIOLATION: ElectionSafety" in again.stdout
    cut = _cli("check", "--model", "default", "--max-states", "300")
    assert cut.returncode == 3 and "INCONCLUSIVE" in cut.stdout and "PASS" not in cut.stdout
    wrong = _cli("check", "--model", "nope")
    assert wrong.returncode == 2 and wrong.stderr.count("\n") == 1
    unb = _cli("check", "--max-term", "none")
    assert unb.returncode == 2 and "every bound" in unb.stderr


def test_graph_export_matches_the_search(tmp_path: Path) -> None:
    import networkx as nx

    from checker.engine.graph import explore_graph, render

    model = RaftModel(PRESETS["elections"].config())
    g = explore_graph(model, symmetry=True)
    r = check(model, Options(symmetry=True))
    assert (g.number_of_nodes(), g.number_of_edges()) == (r.distinct, r.generated)
    (tmp_path / "g.graphml").write_text(render(g, ".graphml"))
    back = nx.read_graphml(tmp_path / "g.graphml")
    assert back.number_of_nodes() == r.distinct
    assert render(g, ".dot").count(" -> ") == r.generated
    assert {d["action"].split("(")[0] for _, _, d in g.edges(data=True)} == {
        "Timeout",
        "SendAppendEntries",
        "Receive",
    }


WORKER_CONFIGS = [
    (
        Config(3, Bounds(max_term=1, max_log=0, max_restarts=0, max_requests=0)),
        Options(symmetry=False),
    ),
    (
        Config(3, Bounds(max_term=1, max_log=0, max_restarts=0, max_requests=0), Semantics.BAG),
        Options(),
    ),
    (Config(2, Bounds(max_term=2, max_log=1, max_restarts=1, max_requests=1)), Options(view=True)),
    (PRESETS["default"].config(), Options(view=True)),
]


@pytest.mark.parametrize(
    ("config", "options"), WORKER_CONFIGS, ids=["elections", "bag", "2servers", "default"]
)
def test_workers_give_the_same_counts(config: Config, options: Options) -> None:
    one = check(RaftModel(config), options)
    two = check(RaftModel(config), options._replace(workers=2))
    assert one.complete and two.complete
    assert (two.distinct, two.generated, two.depth, two.coverage) == (
        one.distinct,
        one.generated,
        one.depth,
        one.coverage,
    )


@pytest.mark.parametrize("name", ["double_vote", "no_log_check", "stale_vote_counted"])
def test_workers_find_the_same_counterexample(name: str) -> None:
    preset = FAST_MUTANTS[name][0]
    config = PRESETS[preset].config()._replace(rules=mutants.rules_for(name))
    one = check(RaftModel(config), Options(view=True))
    three = check(RaftModel(config), Options(view=True, workers=3))
    assert one.counterexample is not None and three.counterexample is not None
    assert three.counterexample.actions == one.counterexample.actions
    assert three.counterexample.violation == one.counterexample.violation


def test_workers_respect_budgets() -> None:
    config = PRESETS["default"].config()
    r = check(RaftModel(config), Options(workers=2, max_states=500))
    assert r.stopped is not None and "state budget" in r.stopped
    r = check(RaftModel(PRESETS["elections"].config()), Options(workers=2, max_depth=3))
    assert r.stopped is not None and "depth bound" in r.stopped
    assert r.depth == 3


def test_cli_workers_swarm_and_bad_combinations(tmp_path: Path) -> None:
    one = _cli("check", "--model", "elections")
    two = _cli("check", "--model", "elections", "--workers", "2")
    assert one.returncode == two.returncode == 0
    stats = [line for line in one.stdout.splitlines() if line.startswith("stats:")]
    assert (
        stats
        and stats[0].split(",")[:3]
        == next(line for line in two.stdout.splitlines() if line.startswith("stats:")).split(",")[
            :3
        ]
    )
    bad = _cli("check", "--workers", "2", "--strategy", "dfs")
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "--workers" in bad.stderr
    bad = _cli("check", "--workers", "2", "--exact")
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "--exact" in bad.stderr
    clean = _cli("check", "--model", "elections", "--strategy", "swarm", "--walks", "50")
    assert clean.returncode == 3 and "INCONCLUSIVE" in clean.stdout and "PASS" not in clean.stdout
    out = tmp_path / "swarm.json"
    args = ["check", "--model", "elections", "--strategy", "swarm", "--mutant", "double_vote"]
    hit = _cli(*args, "--out", str(out), "--quiet")
    assert hit.returncode == 1 and "VIOLATION: ElectionSafety" in hit.stdout, hit.stdout
    first = out.read_bytes()
    assert _cli(*args, "--out", str(out), "--quiet").stdout == hit.stdout
    assert out.read_bytes() == first
    again = _cli("replay", str(out), "--quiet")
    assert again.returncode == 1 and "VIOLATION: ElectionSafety" in again.stdout


def test_a_search_leaves_its_objects_out_of_the_youngest_generation() -> None:
    # The search runs with the collector off. Re-enabled with everything the search made
    # in the youngest generation, its next pass would traverse all of it (0.7 s after
    # 120,000 states of two-terms); the search moves them to the oldest without one.
    gc.unfreeze()  # a partition test in this process may have frozen its objects
    gc.collect()
    result = check(RaftModel(PRESETS["default"].config()), Options(symmetry=True, view=True))
    assert result.distinct == 7_971 and gc.isenabled()
    young = len(gc.get_objects(generation=0))
    assert young < 1_000, young  # 14,437 before the search moved them
