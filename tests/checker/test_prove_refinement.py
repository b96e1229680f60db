"""The log-level model against raftmodel: every conjunct of its inductive invariant holds on
the mapped states of raftmodel's reachable states (and fails on a mutant's), and the
transition mapping is classified (stutter / abstract action / unmapped)."""

from __future__ import annotations

import pytest

from checker.prove.bmc import bmc
from checker.prove.refinement import check_states, check_transitions, failures_on
from raftmodel.cluster import Bounds, Config

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


def test_transition_mapping_is_classified() -> None:
    r = check_transitions(Config(3, BOUNDS), 150)
    kinds = {k for v in r.by_action.values() for k in v}
    assert "stutter" in kinds and "unmapped" in kinds
    # SendAppendEntries changes no abstract variable; ClientRequest is the abstract one.
    assert set(r.by_action["SendAppendEntries"]) == {"stutter"}
    assert set(r.by_action["ClientRequest"]) == {"ClientRequest"}
    # Timeout never maps to BecomeLeader (no candidates in the log-level model).
    assert "BecomeLeader" not in r.by_action["Timeout"]
    assert "unmapped" in r.by_action["Timeout"]
