"""Each known-bug variant, driven through its shortest story, violates the property the
catalog says it is designed to break (``Mutant.story``); the same story is impossible on
correct Raft."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from checker.raft.invariants import INVARIANTS, TRANSITION_PROPERTIES
from raftmodel import mutants
from raftmodel.cluster import Bounds, Config, apply
from raftmodel.rules import RAFT, Rules
from raftmodel.script import Script, ScriptError

#: The protocol variants: the service's have their stories in test_service.py.
PROTOCOL_NAMES = tuple(m.name for m in mutants.PROTOCOL)

BOUNDS = Bounds(max_term=4, max_log=3, max_restarts=1, max_requests=3, values=(1, 2))


def double_vote(s: Script) -> None:
    s.timeout(1).timeout(2)
    s.deliver("RequestVote", 1, 3).deliver("RequestVote", 2, 3)
    s.deliver("RequestVoteResponse", 3, 1).deliver("RequestVoteResponse", 3, 2)


def no_log_check(s: Script) -> None:
    s.timeout(1).vote(1, 2).client(1, 1).replicate(1, 2)
    s.timeout(3).timeout(3).vote(3, 2, term=2)


def length_only_log_check(s: Script) -> None:
    s.timeout(3).vote(3, 1).client(3, 1)
    s.timeout(1).vote(1, 2).client(1, 2).replicate(1, 2)
    s.deliver("RequestVote", 1, 3, term=2)
    s.timeout(3).vote(3, 2, term=3)


def votedfor_not_persisted(s: Script) -> None:
    s.timeout(1).deliver("RequestVote", 1, 2).restart(2)
    s.timeout(3).deliver("RequestVote", 3, 2)
    s.deliver("RequestVoteResponse", 2, 1).deliver("RequestVoteResponse", 2, 3)


def term_not_persisted(s: Script) -> None:
    s.timeout(1).restart(1)


def figure8_commit(s: Script) -> None:
    s.timeout(1).vote(1, 2).client(1, 1)
    s.timeout(2).vote(2, 3).client(2, 2)
    s.deliver("RequestVote", 2, 1, term=2)
    s.timeout(1).vote(1, 3, term=3)
    s.replicate(1, 3).replicate(1, 3)
    s.deliver("RequestVote", 1, 2, term=3)
    s.timeout(2).vote(2, 3, term=4)


def stale_append_accepted(s: Script) -> None:
    s.timeout(1).vote(1, 2).send_append(1, 3)
    s.timeout(3).timeout(3).deliver("AppendEntries", 1, 3, term=1)


def quorum_off_by_one(s: Script) -> None:
    s.timeout(1).timeout(2)


def stale_vote_counted(s: Script) -> None:
    s.timeout(1).deliver("RequestVote", 1, 2)
    s.timeout(1).deliver("RequestVoteResponse", 2, 1, term=1)


def no_consistency_check(s: Script) -> None:
    # S2 leads term 2 with [a(t1)] and appends b, c of term 2; its AppendEntries with
    # prevLogIndex 1 lands on empty S3, which skips the check and stores b, c at 1, 2.
    s.timeout(1).vote(1, 2).client(1, 1).replicate(1, 2)
    s.timeout(2).vote(2, 1, term=2).client(2, 2).client(2, 1)
    s.send_append(2, 3).deliver("AppendEntries", 2, 3, term=2)


def append_over_uncommitted(s: Script) -> None:
    s.timeout(1).vote(1, 2).client(1, 1).client(1, 2)


def truncate_on_stale_append(s: Script) -> None:
    s.timeout(1).vote(1, 2).client(1, 1).send_append(1, 2).client(1, 2).replicate(1, 2)
    s.deliver("AppendEntries", 1, 2, prevLogIndex=0, entries=s.state.nodes[0].log[:1])
    s.timeout(2).vote(2, 3, term=2)


def commit_decreases(s: Script) -> None:
    # S2 learns commitIndex 1, then S1's first heartbeat (leaderCommit 0) arrives late.
    s.timeout(1).vote(1, 2).send_append(1, 2).client(1, 1).replicate(1, 2).replicate(1, 2)
    s.deliver("AppendEntries", 1, 2, prevLogIndex=0, entries=())


def commit_before_check(s: Script) -> None:
    # S2 leads term 2 knowing commitIndex 1; empty S3 refuses prevLogIndex 1 but commits.
    s.timeout(1).vote(1, 2).client(1, 1).replicate(1, 2).replicate(1, 2)
    s.timeout(2).vote(2, 1, term=2).send_append(2, 3)
    s.deliver("AppendEntries", 2, 3, term=2)


def match_from_reply(s: Script) -> None:
    # The reply to S1's first heartbeat (matchIndex 0) arrives after the one for entry 1.
    s.timeout(1).vote(1, 2).send_append(1, 2).deliver("AppendEntries", 1, 2)
    s.client(1, 1).replicate(1, 2)
    s.deliver("AppendEntriesResponse", 2, 1, matchIndex=0)


def next_below_match(s: Script) -> None:
    # S2 leads term 2 with entry 1; S3's refusal of prevLogIndex 1 is delivered twice,
    # the second time after S3 acknowledged entry 1.
    s.timeout(1).vote(1, 2).client(1, 1).send_append(1, 2).deliver("AppendEntries", 1, 2)
    s.timeout(2).vote(2, 1, term=2).send_append(2, 3).deliver("AppendEntries", 2, 3, term=2)
    s.deliver("AppendEntriesResponse", 3, 2, success=False).replicate(2, 3)
    s.deliver("AppendEntriesResponse", 3, 2, success=False)


def match_from_own_log(s: Script) -> None:
    # The reply to an empty heartbeat makes S1 believe S2 holds the entry appended since.
    s.timeout(1).vote(1, 2).send_append(1, 2).deliver("AppendEntries", 1, 2).client(1, 1)
    s.deliver("AppendEntriesResponse", 2, 1)


def higher_term_not_adopted(s: Script) -> None:
    # S2 (term 2) refuses S1's term-1 RequestVote with its term; S1 steps down in term 1.
    s.timeout(1).timeout(2).timeout(2).deliver("RequestVote", 1, 2)
    s.deliver("RequestVoteResponse", 2, 1, term=2)


def votes_kept_across_terms(s: Script) -> None:
    # Five servers: S2's vote is not a quorum, and S1 carries it into term 2.
    s.timeout(1).vote(1, 2).timeout(1)


def commit_past_last_new(s: Script) -> None:
    # S1 commits [a, b] with S2 (one batch of 2), then sends empty S3 a batch of 1 with
    # leaderCommit 2: S3's last new entry is 1, but it takes commitIndex 2.
    s.timeout(1).vote(1, 2).client(1, 1).client(1, 2).replicate(1, 2, batch=2)
    s.send_append(1, 3, batch=1).deliver("AppendEntries", 1, 3)


def truncate_after_batch(s: Script) -> None:
    # S1's batch of 1 for S2 arrives after the batch of 2 that committed [a, b] with S2:
    # S2 drops b although it agrees with S1's; only S1 holds the committed entry 2.
    s.timeout(1).vote(1, 2).client(1, 1).client(1, 2).send_append(1, 2, batch=1)
    s.replicate(1, 2, batch=2).deliver("AppendEntries", 1, 2, entries=s.state.nodes[0].log[:1])


#: Mutants that need more servers than 3 (docs/mutants.md says why).
SERVERS = {"votes_kept_across_terms": 5}
#: Mutants whose story needs batched AppendEntries (Bounds.max_batch; preset batched).
BATCH = {"commit_past_last_new": 2, "truncate_after_batch": 2}


def _config(name: str, rules: Rules) -> Config:
    bounds = BOUNDS._replace(max_batch=BATCH.get(name, 0))
    return Config(SERVERS.get(name, 3), bounds, rules=rules)


STORIES: dict[str, Callable[[Script], None]] = {
    f.__name__: f
    for f in (
        double_vote,
        no_log_check,
        length_only_log_check,
        votedfor_not_persisted,
        term_not_persisted,
        figure8_commit,
        stale_append_accepted,
        quorum_off_by_one,
        stale_vote_counted,
        no_consistency_check,
        append_over_uncommitted,
        truncate_on_stale_append,
        commit_decreases,
        commit_before_check,
        match_from_reply,
        next_below_match,
        match_from_own_log,
        higher_term_not_adopted,
        votes_kept_across_terms,
        commit_past_last_new,
        truncate_after_batch,
    )
}

_STATE = {p.name: p.check for p in INVARIANTS}
_TRANSITION = {p.name: p.check for p in TRANSITION_PROPERTIES}


def _fires(prop: str, s: Script) -> str | None:
    """The property's verdict on the story's last state (or last transition)."""
    if prop in _STATE:
        return _STATE[prop](s.state)
    return _TRANSITION[prop](s.states[-2], s.actions[-1], s.state)


def test_every_mutant_has_a_story() -> None:
    assert set(STORIES) == set(PROTOCOL_NAMES)


@pytest.mark.parametrize("name", PROTOCOL_NAMES)
def test_mutant_violates_its_property(name: str) -> None:
    m = mutants.get(name)
    s = Script(_config(name, m.rules))
    STORIES[name](s)
    detail = _fires(m.story, s)
    assert detail is not None, f"{name}: {m.story} did not fire"
    # Nothing fired earlier: the story is a shortest-style counterexample, not a detour.
    for k in range(1, len(s.states) - 1):
        earlier = Script(_config(name, m.rules))
        earlier.states, earlier.actions = s.states[: k + 1], s.actions[:k]
        assert _fires(m.story, earlier) is None, f"{name}: fired early at step {k}"


@pytest.mark.parametrize("name", PROTOCOL_NAMES)
def test_story_is_impossible_on_correct_raft(name: str) -> None:
    m = mutants.get(name)
    s = Script(_config(name, m.rules))
    STORIES[name](s)
    # Replaying the same actions on correct Raft: either some action is disabled, or some
    # state differs from the mutant's, and the property never fires.
    raft = _config(name, RAFT)
    state = s.states[0]
    diverged = False
    for a, expected in zip(s.actions, s.states[1:], strict=True):
        nxt = apply(state, a, raft)
        if nxt is None or nxt != expected:
            diverged = True
            break
        state = nxt
    assert diverged, f"{name}: the story is also a behaviour of correct Raft"


def test_unknown_mutant_names_the_known_ones() -> None:
    with pytest.raises(mutants.UnknownMutant, match="known: double_vote"):
        mutants.get("nope")
    with pytest.raises(ScriptError):
        Script(Config(3, BOUNDS)).timeout(1).client(2)


def test_docs_show_the_catalog() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "mutants.md").read_text()
    assert mutants.markdown_table() in doc, "regenerate docs/mutants.md's table"


def test_every_property_is_exercised_by_some_mutant() -> None:
    named = {p for m in mutants.PROTOCOL for p in (m.caught_by, m.story, *m.hunted_by)}
    assert named == set(_STATE) | set(_TRANSITION)


def test_a_late_refusal_leaves_next_index_above_match_on_correct_raft() -> None:
    # The next_below_match story on correct Raft: the refusal delivered again after the
    # follower acknowledged entry 1 used to take nextIndex down to matchIndex (Figure 2
    # "decrement nextIndex" without a floor); it now stays at matchIndex + 1.
    s = Script(Config(3, BOUNDS, rules=RAFT))
    next_below_match(s)
    leader = s.state.nodes[1]
    assert (leader.nextIndex[2], leader.matchIndex[2]) == (2, 1)
    assert _STATE["NextIndexAboveMatch"](s.state) is None
