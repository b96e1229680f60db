"""Presets: correct Raft on the presets that reach two terms, diverging logs and five
servers (under a state budget, so the default run stays small), and scripted starts that
are built only when their preset is used."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import deque
from collections.abc import Callable
from pathlib import Path
from subprocess import CompletedProcess

import pytest

from checker.engine.search import Options, check
from checker.raft.model import RaftModel
from checker.raft.presets import PRESETS, Preset, figures
from raftmodel import mutants
from raftmodel.actions import Action
from raftmodel.cluster import ClusterState, init_state, successors
from raftmodel.types import Role

ROOT = Path(__file__).resolve().parents[2]

#: preset: distinct states to explore (symmetry and view on). Each takes a few seconds.
BUDGETS = {
    "two-terms": 2_000,  # two terms, logs of 1: a new leader over an old entry
    "divergent-logs": 2_000,  # Figure 8 (a): logs that differ at index 1, three terms
    "five": 1_000,  # five servers, two terms
    "batched": 2_000,  # batches of 1 or 2 entries, logs of 2
}


@pytest.mark.parametrize("name", sorted(BUDGETS))
def test_correct_raft_keeps_every_property_within_the_budget(name: str) -> None:
    r = check(RaftModel(PRESETS[name].config()), Options(view=True, max_states=BUDGETS[name]))
    assert r.counterexample is None, r.counterexample and r.counterexample.violation
    assert r.distinct >= BUDGETS[name] or r.complete


def _bfs(name: str, limit: int) -> list[ClusterState]:
    config = PRESETS[name].config()
    s0 = init_state(config)
    out, q, visited = [s0], deque([s0]), {s0}
    while q and len(visited) < limit:
        for _, t in successors(q.popleft(), config):
            if t not in visited:
                visited.add(t)
                q.append(t)
                out.append(t)
    return out


def test_the_budgets_reach_what_the_presets_are_for() -> None:
    # Not vacuous: within the budget a leader of term 2 holds an entry; divergent-logs
    # starts with logs that differ at index 1; five has five servers.
    two = _bfs("two-terms", BUDGETS["two-terms"])
    assert any(n.role == Role.LEADER and n.currentTerm == 2 and n.log for s in two for n in s.nodes)
    start = _bfs("divergent-logs", 1)[0]
    assert start.nodes[0].log[0] != start.nodes[1].log[0]
    assert len(_bfs("five", 1)[0].nodes) == 5


def test_votes_kept_across_terms_needs_five_servers() -> None:
    m = mutants.get("votes_kept_across_terms")
    for name in ("elections",):
        r = check(RaftModel(PRESETS[name].config()._replace(rules=m.rules)), Options(view=True))
        assert r.complete and r.counterexample is None, name
    r = check(RaftModel(PRESETS["five"].config()._replace(rules=m.rules)), Options(view=True))
    assert r.counterexample is not None
    assert (r.counterexample.violation.property, len(r.counterexample.actions)) == (
        m.caught_by,
        m.shortest,
    )


def test_a_broken_start_breaks_only_its_preset() -> None:
    def broken() -> tuple[Action, ...]:
        raise ValueError("the script no longer runs")

    p = Preset("x", 3, PRESETS["figure8"].bounds, PRESETS["figure8"].semantics, "", broken)
    assert not p.from_init
    with pytest.raises(ValueError, match="no longer runs"):
        p.config()
    assert PRESETS["elections"].config().prefix == ()


def test_importing_the_presets_runs_no_script() -> None:
    code = (
        "import checker.raft.presets as p;"
        "print(p.figure8_start.cache_info().misses);"
        "p.PRESETS['figure8'].config();"
        "print(p.figure8_start.cache_info().misses)"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    r = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT, timeout=60
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["0", "1"]


@pytest.mark.slow
@pytest.mark.parametrize("name", ["terms", "default"])
def test_votes_kept_across_terms_passes_three_server_presets(name: str) -> None:
    m = mutants.get("votes_kept_across_terms")
    r = check(RaftModel(PRESETS[name].config()._replace(rules=m.rules)), Options(view=True))
    assert r.complete and r.counterexample is None


def test_every_preset_has_measured_figures() -> None:
    # bench/presets.py --write measures them; a preset added without running it fails here.
    measured, meta = figures()
    assert sorted(measured) == sorted(PRESETS), "run: python bench/presets.py NEW --write"
    assert {"machine", "date", "measured_by"} <= set(meta)


#: Presets cheap enough to measure again in the default run (well under a second each).
CHEAP = ("elections", "bag", "pair")


@pytest.mark.parametrize("name", CHEAP)
def test_recorded_figures_match_a_fresh_check(name: str) -> None:
    # The figures `raftcheck presets` prints must be the model's, not a stale copy.
    fig = figures()[0][name]
    r = check(RaftModel(PRESETS[name].config()), Options(symmetry=True, view=True))
    assert r.complete and fig.exhausted
    assert (r.distinct, r.generated, r.depth) == (fig.distinct, fig.generated, fig.depth)


def test_presets_prints_each_size(cli: Callable[..., CompletedProcess[str]]) -> None:
    out = cli("presets").stdout
    measured, _ = figures()
    for name, fig in measured.items():
        assert f"{fig.distinct:,}" in out, name
    assert "measured by bench/presets.py" in out
