"""raftmodel refines the log-level model: every transition of raftmodel's reachable
states (small presets, exhaustively; larger bounds along random walks) maps to abstract
steps that keep the simulation relation and the log-level invariant; mutants and a
broken mapping fail. The log-level invariant also holds on alpha of reachable states."""

from __future__ import annotations

import pytest

from checker.cli import main
from checker.prove import refinement
from checker.prove.bmc import bmc
from checker.prove.refinement import (
    check_path,
    check_refinement,
    check_states,
    check_walks,
    failures_on,
)
from checker.raft.presets import PRESETS
from checker.traces.stories import _figure8
from raftmodel import mutants
from raftmodel.cluster import Bounds, Config
from raftmodel.script import Script

BOUNDS = Bounds(max_term=2, max_log=1, max_restarts=0, max_requests=1)


@pytest.mark.parametrize("max_states", [1000, pytest.param(60000, marks=pytest.mark.slow)])
def test_log_level_invariant_holds_on_mapped_raftmodel_states(max_states: int) -> None:
    r = check_states(Config(3, BOUNDS), max_states)
    assert r.states >= 1000  # the BFS caps what it expands, not what it checks
    assert r.failures == {}, r.examples


@pytest.mark.parametrize(
    ("mutant", "depth"),
    [("no_log_check", 6), pytest.param("double_vote", 3, marks=pytest.mark.slow)],
)
def test_a_mutants_reachable_states_violate_a_lemma(mutant: str, depth: int) -> None:
    # A raftmodel run of the mutant (found by bmc, replayed on raftmodel by its own tests):
    # its mapped states violate conjuncts of the log-level invariant.
    res = bmc(mutant, depth)
    assert res.trace is not None
    failed = failures_on(res.trace.states, 3, max_term=4, max_log=2)
    assert failed, "the mutant's states all satisfy the log-level invariant"
    expected = {"no_log_check": "LeaderCompleteness", "double_vote": "OnePrimaryPerTerm"}
    assert expected[mutant] in failed


def test_pair_preset_refines_the_log_level_model() -> None:
    r = check_refinement(PRESETS["pair"].config(), 10**6)
    assert r.failure is None and r.complete
    assert (r.states, r.transitions) == (13_774, 152_176)
    # Elections happen when the quorum-completing vote is cast; commits when the
    # quorum-completing acknowledgement is sent.
    assert r.by_action["Receive(RequestVote)"]["BecomeLeader"] > 0
    assert r.by_action["Receive(AppendEntries)"]["GetEntries+CommitEntry"] > 0
    assert set(r.by_action["Timeout"]) == {"stutter"}
    assert set(r.by_action["ClientRequest"]) == {"ClientRequest"}


@pytest.mark.slow
def test_default_preset_refines_the_log_level_model() -> None:
    r = check_refinement(PRESETS["default"].config(), 10**6)
    assert r.failure is None and r.complete
    assert r.states == 348_547


def test_a_budget_makes_the_search_incomplete() -> None:
    r = check_refinement(PRESETS["default"].config(), 500)
    assert r.failure is None and not r.complete and r.pairs == 500


def test_truncation_maps_to_rollback_and_get_entries() -> None:
    # S1 leads term 1 and appends; S2 leads term 2, appends, and overwrites S1's entry.
    cfg = Config(
        3,
        Bounds(max_term=2, max_log=1, max_restarts=0, max_requests=2, values=(1, 2), max_copies=1),
    )
    s = Script(cfg)
    s.timeout(1).vote(1, 2).client(1, 1)
    s.timeout(2).vote(2, 3).client(2, 2)
    s.replicate(2, 1)
    r = check_path(cfg, s.states, s.actions)
    assert r.failure is None and r.complete
    assert (
        "UpdateTerms+RollbackEntries+GetEntries+CommitEntry"
        in r.by_action["Receive(AppendEntries)"]
    )


@pytest.mark.parametrize(
    ("bounds", "walks"),
    [
        (Bounds(max_term=3, max_log=1, max_restarts=1, max_requests=2, values=(1, 2)), 40),
        pytest.param(
            Bounds(max_term=3, max_log=2, max_restarts=1, max_requests=3, values=(1, 2)),
            300,
            marks=pytest.mark.slow,
        ),
        pytest.param(
            Bounds(max_term=4, max_log=2, max_restarts=1, max_requests=4, values=(1, 2)),
            300,
            marks=pytest.mark.slow,
        ),
    ],
)
def test_random_walks_on_larger_bounds_refine(bounds: Bounds, walks: int) -> None:
    r = check_walks(Config(3, bounds), walks, 60, seed=1)
    assert r.failure is None, (r.failure, r.trace)
    assert r.transitions == walks * 60


def test_batched_append_entries_refine_the_log_level_model() -> None:
    # A batch of fewer entries than the leader's suffix is GetEntries for each entry it
    # adds: exhaustively on two servers with logs of 2 sent one entry at a time, and along
    # walks on the batched preset (3 servers, batches of 1 or 2).
    small = Config(2, Bounds(max_term=1, max_log=2, max_restarts=0, max_requests=2, max_batch=1))
    r = check_refinement(small, 10**6)
    assert r.failure is None and r.complete
    assert r.states == 267  # raftcheck crosscheck finds the same 267 with TLC
    assert r.by_action["Receive(AppendEntries)"]["GetEntries+CommitEntry"] > 0
    w = check_walks(PRESETS["batched"].config(), 10, 40, seed=3)
    assert w.failure is None, (w.failure, w.trace)


def test_walks_are_deterministic() -> None:
    cfg = Config(3, Bounds(max_term=3, max_log=1, max_restarts=1, max_requests=2, values=(1, 2)))
    assert check_walks(cfg, 5, 40, seed=7) == check_walks(cfg, 5, 40, seed=7)


@pytest.mark.parametrize(
    ("preset", "mutant", "why"),
    [
        ("elections", "double_vote", "BecomeLeader is not enabled"),
        ("elections", "quorum_off_by_one", "QuorumAtPrimaryTerm"),
        ("two-terms", "no_log_check", "LeaderCompleteness"),
    ],
)
def test_mutants_are_not_refinements(preset: str, mutant: str, why: str) -> None:
    config = PRESETS[preset].config()._replace(rules=mutants.rules_for(mutant))
    r = check_refinement(config, 200_000, mutant)
    assert r.failure is not None and why in r.failure, r.failure
    assert r.trace


def test_the_figure8_commit_is_not_a_refinement() -> None:
    # An entry of term 1 committed by counting in term 3: no abstract step commits it.
    s = _figure8("figure8_commit")
    r = check_path(s.config, s.states, s.actions, "figure8_commit")
    assert r.failure is not None and "not in the abstract state" in r.failure
    assert len(r.trace) == 18


def test_a_broken_mapping_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    # Counting elections when the vote is received (not when the quorum-completing vote
    # is cast) cannot be matched: the relation then misses a leader.
    monkeypatch.setattr(refinement, "_grants", lambda s, c, t: frozenset({c}))
    r = check_refinement(PRESETS["elections"].config(), 10_000)
    assert r.failure is not None and "not its abstract primary" in r.failure


def test_cli_refine(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["refine", "--model", "pair"]) == 0
    out = capsys.readouterr().out
    assert "REFINES: every transition maps to abstract steps; 13,774 raftmodel states" in out
    assert main(["refine", "--model", "default", "--max-states", "300"]) == 3
    assert "INCONCLUSIVE" in capsys.readouterr().out
    assert main(["refine", "--model", "elections", "--mutant", "double_vote"]) == 1
    out = capsys.readouterr().out
    assert "NOT A REFINEMENT" in out and "1. Timeout(i=1)" in out
    assert main(["refine", "--model", "bag"]) == 2
    assert "set network" in capsys.readouterr().err
    r = main(["refine", "--model", "terms", "--walks", "3", "--walk-depth", "10"])
    assert r == 3 and "random walks (not exhaustive)" in capsys.readouterr().out


def _figure8_script() -> Script:
    """A script from Init through the figure8 preset's prefix (Figure 8 (a))."""
    config = PRESETS["figure8"].config()
    s = Script(config._replace(prefix=()))
    for a in config.prefix:
        s.do(a)
    return s


def test_a_stale_append_to_a_stale_primary_maps_to_step_down() -> None:
    # S1 (abstract primary of term 1) takes S2's term-2 AppendEntries after S2 won term 4:
    # no server is at abstract term 2 any more, so S1 steps down without a term change.
    s = _figure8_script()
    s.timeout(3).send_append(2, 1).deliver("RequestVote", 3, 2, term=3)
    s.timeout(2).deliver("RequestVote", 2, 3, term=4).deliver("AppendEntries", 2, 1, term=2)
    r = check_path(s.config, s.states, s.actions)
    assert r.failure is None, r.failure
    assert "StepDown+RollbackEntries+GetEntries" in r.by_action["Receive(AppendEntries)"]


def test_figure8_d_overwrite_maps_to_truncate_to_primary() -> None:
    # S1 leads term 3 with its term-1 entry and overwrites S2's term-2 entry (Figure 8 (d)):
    # no log has a last term above S2's, so RollbackEntries is not enabled.
    s = _figure8_script()
    s.timeout(1).vote(1, 3, term=3).replicate(1, 2).replicate(1, 2)
    r = check_path(s.config, s.states, s.actions)
    assert r.failure is None, r.failure
    kinds = r.by_action["Receive(AppendEntries)"]
    assert any("TruncateToPrimary" in k for k in kinds), kinds
