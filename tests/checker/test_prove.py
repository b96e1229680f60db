"""z3 proofs: both inductive invariants hold for 3 servers, each dropped conjunct gives a
CTI, the invariants are not vacuous, mutants give CTIs, and the election encoding is the
same protocol as raftmodel (successor equality, failing when one side changes)."""

from __future__ import annotations

import pytest

from checker.cli import main
from checker.prove import election, loglevel
from checker.prove.crosscheck import UNBOUNDED_BOUNDS, crosscheck, random_states, reachable
from checker.prove.encodings import CTI_MODE
from checker.prove.induction import prove, vacuity
from raftmodel import mutants
from raftmodel.cluster import Bounds, Config

ELECTION_CONJUNCTS = [c.name for c in election.ElectionEncoding(3).conjuncts]
LOG_CONJUNCTS = [c.name for c in loglevel.LogEncoding(3).conjuncts]


# The default run proves ElectionSafety through the CLI (test_cli_prove_election checks every
# conjunct's PROVED line and exit 0); this API-level duplicate is in the slow tier.
@pytest.mark.slow
def test_election_safety_is_inductive_for_3_servers() -> None:
    election_proof = prove(election.ElectionEncoding(3), CTI_MODE["election"])
    assert election_proof.verdict == "proved"
    assert [c.name for c in election_proof.conjuncts] == ELECTION_CONJUNCTS
    assert all(c.verdict == "proved" for c in election_proof.conjuncts)


def test_election_invariant_is_not_vacuous() -> None:
    v = vacuity(election.ElectionEncoding(3, mode=CTI_MODE["election"]), symmetry=False)
    assert v.disabled == () and v.unknown == ()
    assert v.instances == 33


# One dropped conjunct in the default run (the cheapest); the others in the slow tier.
@pytest.mark.parametrize(
    "conjunct",
    [
        c if c == "VotesDisjoint" else pytest.param(c, marks=pytest.mark.slow)
        for c in ELECTION_CONJUNCTS[1:]
    ],
)
def test_dropping_an_election_conjunct_gives_a_cti(conjunct: str) -> None:
    res = prove(
        election.ElectionEncoding(3), CTI_MODE["election"], drop=[conjunct], stop_at_cti=True
    )
    assert res.verdict == "cti"
    ctis = [c.cti for c in res.conjuncts if c.cti is not None]
    assert ctis and all(c.before and c.after for c in ctis if c.action != "Init")


def test_log_properties_are_inductive_for_3_servers() -> None:
    res = prove(loglevel.LogEncoding(3), CTI_MODE["log"])
    assert res.verdict == "proved", [(c.name, c.verdict, c.reason) for c in res.conjuncts]


@pytest.mark.slow
def test_log_invariant_is_not_vacuous() -> None:
    v = vacuity(loglevel.LogEncoding(3, mode=CTI_MODE["log"]))
    assert v.disabled == () and v.unknown == ()


# One dropped lemma in the default run (the cheapest, about 1 s); the others in the slow tier.
@pytest.mark.parametrize(
    "conjunct",
    [
        pytest.param("TermsGrowMonotonically", marks=pytest.mark.slow),
        "QuorumAtPrimaryTerm",
        pytest.param("CommittedOnQuorum", marks=pytest.mark.slow),
        pytest.param("LogsLaterThanCommittedHaveCommitted", marks=pytest.mark.slow),
        pytest.param("PrimaryHasEntriesItCreated", marks=pytest.mark.slow),
    ],
)
def test_dropping_a_log_lemma_gives_a_cti(conjunct: str) -> None:
    res = prove(loglevel.LogEncoding(3), CTI_MODE["log"], drop=[conjunct], stop_at_cti=True)
    assert res.verdict == "cti"


@pytest.mark.slow
def test_dropping_the_tractability_lemma_leaves_the_proof_unknown_not_proved() -> None:
    """LogsEqualToCommittedHaveCommitted is not needed for induction within terms <= 4 and
    logs <= 4 (no CTI there: measured, 402 s), but without it z3 answers unknown on
    BecomeLeader for LeaderCompleteness. The verdict must say unknown, never proved."""
    drop = ["LogsEqualToCommittedHaveCommitted"]
    res = prove(loglevel.LogEncoding(3), CTI_MODE["log"], drop=drop, stop_at_cti=True)
    assert res.verdict == "unknown"
    unknown = [c for c in res.conjuncts if c.verdict == "unknown"]
    assert [c.name for c in unknown] == ["LeaderCompleteness"]


@pytest.mark.parametrize(
    ("model", "mutant", "conjunct"),
    [
        pytest.param("election", "double_vote", "VoterVotedForCandidate", marks=pytest.mark.slow),
        ("election", "quorum_off_by_one", "LeaderHasQuorum"),
        pytest.param("log", "figure8_commit", "EntriesCommittedInOwnTerm", marks=pytest.mark.slow),
    ],
)
def test_a_mutant_gives_a_cti(model: str, mutant: str, conjunct: str) -> None:
    enc = (
        election.ElectionEncoding(3, election.rules_for(mutant))
        if model == "election"
        else loglevel.LogEncoding(3, loglevel.rules_for(mutant))
    )
    res = prove(enc, CTI_MODE[model], stop_at_cti=True)
    assert res.verdict == "cti"
    assert conjunct in [c.name for c in res.conjuncts if c.verdict == "cti"]


# --- the tie to raftmodel --------------------------------------------------------------

BFS_BOUNDS = Bounds(max_term=2, max_log=1, max_restarts=1, max_requests=1)


def _states(mutant: str, reachable_count: int = 80, random_count: int = 40) -> list:  # type: ignore[type-arg]
    rules = mutants.rules_for(mutant)
    return reachable(Config(3, BFS_BOUNDS, rules=rules), reachable_count) + random_states(
        3, random_count, seed=11
    )


def test_election_encoding_has_raftmodels_successors() -> None:
    compared, found = crosscheck(
        election.ElectionEncoding(3), _states("raft"), Config(3, UNBOUNDED_BOUNDS)
    )
    assert found == []
    assert compared > 1000


@pytest.mark.parametrize(
    "mutant",
    ["double_vote", pytest.param("no_log_check", marks=pytest.mark.slow), "stale_vote_counted"],
)
def test_a_rule_changed_in_raftmodel_only_is_a_mismatch(mutant: str) -> None:
    config = Config(3, UNBOUNDED_BOUNDS, rules=mutants.rules_for(mutant))
    _, found = crosscheck(election.ElectionEncoding(3), _states(mutant), config)
    assert found, f"raftmodel's {mutant} went unnoticed"


def test_a_guard_changed_in_the_encoding_only_is_a_mismatch() -> None:
    changed = election.RAFT._replace(
        name="changed", can_vote=election.MUTANTS["double_vote"].can_vote
    )
    _, found = crosscheck(
        election.ElectionEncoding(3, changed), _states("raft"), Config(3, UNBOUNDED_BOUNDS)
    )
    assert found and "RequestVote" in found[0].action


@pytest.mark.parametrize(
    "mutant",
    [
        "double_vote",
        pytest.param("votedfor_not_persisted", marks=pytest.mark.slow),
        pytest.param("quorum_off_by_one", marks=pytest.mark.slow),
    ],
)
def test_mutant_encodings_match_raftmodels_mutants(mutant: str) -> None:
    config = Config(3, UNBOUNDED_BOUNDS, rules=mutants.rules_for(mutant))
    _, found = crosscheck(
        election.ElectionEncoding(3, election.rules_for(mutant)), _states(mutant, 30, 15), config
    )
    assert found == []


# --- CLI ---------------------------------------------------------------------------------


def test_cli_prove_election(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["prove", "--encoding", "election", "--no-vacuity"]) == 0
    out = capsys.readouterr().out
    for name in ELECTION_CONJUNCTS:
        assert f"PROVED   {name}  (" in out
    assert "PROVED: election model" in out


def test_cli_drop_prints_a_cti_and_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["prove", "--encoding", "election", "--drop", "VotesDisjoint", "--no-vacuity"])
    out = capsys.readouterr().out
    assert code == 1
    assert "CTI: " in out and "before (satisfies every kept conjunct)" in out


@pytest.mark.parametrize(
    "argv",
    [
        ["prove", "--drop", "Nope", "--encoding", "election"],
        ["prove", "--mutant", "nope"],
        ["prove", "--encoding", "log", "--mutant", "stale_vote_counted"],
    ],
)
def test_cli_bad_input_exits_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    assert "error:" in capsys.readouterr().err


@pytest.mark.parametrize("n", [5, pytest.param(7, marks=pytest.mark.slow)])
def test_proofs_for_more_servers(n: int) -> None:
    assert prove(election.ElectionEncoding(n), CTI_MODE["election"]).verdict == "proved"
    assert prove(loglevel.LogEncoding(n), CTI_MODE["log"]).verdict == "proved"


def test_the_z3_up_to_date_rule_is_raftmodels() -> None:
    """The encodings' §5.4.1 comparison (``symbolic.up_to_date``) against
    ``raftmodel.log.is_up_to_date`` on every small case: a drift fails here."""
    import z3

    from checker.prove.symbolic import up_to_date
    from raftmodel.log import is_up_to_date
    from raftmodel.types import Entry

    for vt in range(3):
        for vi in range(3):
            if (vt == 0) != (vi == 0):
                continue  # an empty log has last term 0; a non-empty one a term >= 1
            voter = tuple(Entry(vt, 1) for _ in range(vi))
            for ct in range(3):
                for ci in range(3):
                    z = z3.simplify(up_to_date(*(z3.IntVal(x) for x in (ct, ci, vt, vi))))
                    assert z3.is_true(z) == is_up_to_date(ct, ci, voter), (ct, ci, vt, vi)
