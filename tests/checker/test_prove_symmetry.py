"""One action instance per orbit of server renamings: the encodings are symmetric (z3
checks it), the orbits are the expected ones, and an asymmetric encoding is caught by
the check (the reduced proof alone would miss its CTI)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import pytest

from checker.prove import election, loglevel, symbolic
from checker.prove.encodings import CTI_MODE
from checker.prove.induction import Step, prove
from checker.prove.symmetry import check_symmetry, orbit_key, representatives


@pytest.mark.parametrize("n", [3, 4])
@pytest.mark.parametrize("model", ["election", "log"])
def test_the_encodings_are_symmetric(model: str, n: int) -> None:
    enc = (
        election.ElectionEncoding(n, mode=CTI_MODE["election"])
        if model == "election"
        else loglevel.LogEncoding(n, mode=CTI_MODE["log"])
    )
    res = check_symmetry(enc)
    assert res.failures == ()
    assert res.checks >= 2 * len(enc.actions())


@pytest.mark.parametrize("mutant", sorted(loglevel.MUTANTS))
def test_log_mutant_encodings_are_symmetric(mutant: str) -> None:
    enc = loglevel.LogEncoding(3, loglevel.rules_for(mutant), CTI_MODE["log"])
    assert check_symmetry(enc).failures == ()


@pytest.mark.parametrize("mutant", sorted(election.MUTANTS))
def test_election_mutant_encodings_are_symmetric(mutant: str) -> None:
    enc = election.ElectionEncoding(3, election.rules_for(mutant), CTI_MODE["election"])
    assert check_symmetry(enc).failures == ()


def test_orbits_for_5_servers() -> None:
    reps = representatives(loglevel.LogEncoding(5).actions())
    # BecomeLeader(i, Q) and CommitEntry(i, Q): one orbit per quorum size 3, 4, 5.
    assert Counter(a.kind for a in reps) == {
        "ClientRequest": 1,
        "GetEntries": 1,
        "RollbackEntries": 1,
        "BecomeLeader": 3,
        "CommitEntry": 3,
        "UpdateTerms": 1,
        "StepDown": 1,
        "TruncateToPrimary": 1,
    }
    acts = election.ElectionEncoding(5).actions()
    assert len(acts) == 5 * 5 + 3 * 20
    assert len(representatives(acts)) == 8
    # BecomeLeader instances share a key exactly when their quorums have one size.
    leads = [x for x in loglevel.LogEncoding(5).actions() if x.kind == "BecomeLeader"]
    for a in leads:
        for b in leads:
            sizes = len(a.args[1]), len(b.args[1])  # type: ignore[arg-type]
            assert (orbit_key(a) == orbit_key(b)) == (sizes[0] == sizes[1])


class _Lopsided(loglevel.LogEncoding):
    """Server 3 (not an orbit's representative) appends an entry of a future term."""

    def _client(self, i: int) -> Callable[[loglevel.LogState], Step]:
        if i != 3:
            return super()._client(i)

        def apply(s: loglevel.LogState) -> Step:
            k = i - 1
            new = s.log[k].append(s.currentTerm[k] + 1)
            return Step(s.primary[k], s._replace(log=symbolic.put(s.log, k, new)), {})

        return apply

    def with_mode(self, mode: object) -> _Lopsided:
        return _Lopsided(self.n, self.rules, mode)  # type: ignore[arg-type]


def test_an_asymmetric_encoding_fails_the_check() -> None:
    bad = _Lopsided(3, mode=CTI_MODE["log"])
    failures = check_symmetry(bad).failures
    assert failures and any("ClientRequest" in f for f in failures)
    # Why the check matters: the reduced proof never asks about ClientRequest(3).
    full = prove(_Lopsided(3), CTI_MODE["log"], symmetry=False, stop_at_cti=True)
    assert full.verdict == "cti"
    assert any(c.cti is not None and c.cti.action == "ClientRequest(3)" for c in full.conjuncts)
    assert prove(_Lopsided(3), CTI_MODE["log"], symmetry=True).verdict == "proved"


@pytest.mark.parametrize("drop", ["QuorumAtPrimaryTerm", "PrimaryHasEntriesItCreated"])
def test_reduced_and_full_proofs_agree(drop: str) -> None:
    kw: dict[str, object] = {"drop": [drop], "stop_at_cti": True}
    full = prove(loglevel.LogEncoding(3), CTI_MODE["log"], symmetry=False, **kw)  # type: ignore[arg-type]
    reduced = prove(loglevel.LogEncoding(3), CTI_MODE["log"], **kw)  # type: ignore[arg-type]
    assert full.verdict == reduced.verdict == "cti"
