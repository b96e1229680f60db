"""Observed-trace validation (checker.observed, ``raftcheck validate``): model runs as an
implementation would log them validate; corrupted logs are rejected at the right event
with the right field; malformed files are one line and exit 2."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from checker.commands import main
from checker.engine.simulate import simulate
from checker.observed import events, match, project
from checker.raft.model import RaftModel
from checker.traces import itf
from raftmodel import mutants
from raftmodel.cluster import Bounds, Config
from tests.support import EXAMPLES

MANIFEST = json.loads((EXAMPLES / "manifest.json").read_text())["traces"]


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def _validate(text: str | list[str], **kw: Any) -> match.Result:
    texts = [text] if isinstance(text, str) else text
    obs = events.read_ndjson([(f"f{k}.ndjson", t) for k, t in enumerate(texts)])
    return match.validate(obs, match.Options(**kw))


def _run_events(
    seed: int, steps: int, level: project.Level = project.FULL
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    config, states, actions = project.random_run(seed, steps)
    return project.project(config, states, actions, level)


# --- every example and simulated run, as an implementation would log it, validates ----------


def _expect(entry: dict[str, Any]) -> tuple[str, str | None, int | None]:
    exp = entry["expect"]
    if exp == "pass":
        return "ok", None, None
    kind, at = exp.split("@")
    if kind.startswith("violation:"):
        return "violation", kind.split(":")[1], int(at)
    return "rejected", None, int(at)


@pytest.mark.parametrize("entry", MANIFEST, ids=lambda e: e["file"].split(".")[0])
@pytest.mark.parametrize("mode", ["whole", "partial", "unlabelled"])
def test_every_example_validates_as_its_manifest_says(
    entry: dict[str, Any], mode: str, tmp_path: Path
) -> None:
    path = EXAMPLES / entry["file"]
    if mode != "whole":
        # What an implementation logs: no network, no history, no leader bookkeeping;
        # partial: server 2's vote and server 3's log missing from every state after the
        # first; unlabelled: no state names its action.
        obj = json.loads(path.read_text())
        for k, st in enumerate(obj["states"]):
            for var in (
                "messages",
                "elections",
                "committed",
                "votesGranted",
                "nextIndex",
                "matchIndex",
                "restarts",
                "requests",
            ):
                st.pop(var)
            if k and mode == "partial":
                st["votedFor"]["#map"] = [
                    p for p in st["votedFor"]["#map"] if p[0]["#bigint"] != "2"
                ]
                st["log"]["#map"] = [p for p in st["log"]["#map"] if p[0]["#bigint"] != "3"]
            if k and mode == "unlabelled":  # no action: any one step of the model
                st.pop("#meta")
        obj["vars"] = [v for v in obj["vars"] if v in obj["states"][1]]
        path = tmp_path / entry["file"]
        if (
            json.loads((EXAMPLES / entry["file"]).read_text())["states"][0]["#meta"]["action"]
            == "start"
        ):
            # A start state is taken whole (the story begins mid-life).
            obj["states"][0] = json.loads((EXAMPLES / entry["file"]).read_text())["states"][0]
        path.write_text(json.dumps(obj))
    obs = events.read([str(path)])
    # Unlabelled states are snapshots after every step: nothing happens unseen between them.
    hidden = 0 if mode == "unlabelled" else 2
    res = match.validate(
        obs, match.Options(max_hidden=hidden, rules=mutants.rules_for(entry["mutant"]))
    )
    verdict, prop, at = _expect(entry)
    assert res.verdict == verdict, (res.verdict, res.mismatches)
    if at is not None:
        assert res.failed_event is not None and res.failed_event.where.endswith(f"$.states[{at}]")
    if prop is not None:
        assert res.violation is not None and res.violation.property == prop


@pytest.mark.parametrize("level", [project.FULL, project.SPARSE], ids=["full", "sparse"])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_seeded_runs_projected_to_logged_fields_validate(seed: int, level: project.Level) -> None:
    header, evs = _run_events(seed, 250, level)
    res = _validate(project.dumps(header, evs))
    assert res.verdict == "ok", (res.failed_event, res.mismatches)
    assert res.matched == len(evs) and res.invariant_checks >= 250


@pytest.mark.parametrize("clock", ["time", "vector"])
def test_per_server_logs_merge_by_timestamp_and_by_vector_clock(clock: str) -> None:
    header, evs = _run_events(4, 250)
    header["clock"] = clock
    if clock == "vector":  # timestamps would give the order away: only the clocks remain
        evs = [{k: v for k, v in e.items() if k != "time"} for e in evs]
    files = project.split(header, evs)
    assert len(files) == 3
    res = _validate(files)
    assert res.verdict == "ok", (res.failed_event, res.mismatches)
    assert res.events == len(evs)


def test_a_simulate_walk_on_a_variant_is_matched_and_its_violation_reported() -> None:
    config = Config(
        3,
        Bounds(max_term=3, max_log=2, max_restarts=1, max_requests=2, values=(1, 2)),
        rules=mutants.rules_for("double_vote"),
    )
    hit = simulate(RaftModel(config), seed=0, walks=200, depth=40).violation
    assert hit is not None
    header, evs = project.project(config, hit.states, hit.actions)
    res = _validate(project.dumps(header, evs), rules=config.rules)
    assert res.verdict == "violation" and res.violation is not None
    assert res.violation.property == hit.violation.property


def test_figure8_logged_by_an_implementation_is_rejected_where_it_leaves_raft() -> None:
    trace = itf.read_trace(EXAMPLES / "figure8-bug.itf.json")
    header, evs = project.project(trace.config, trace.states, [s.action for s in trace.steps[1:]])  # type: ignore[misc]
    text = project.dumps(header, evs)
    bug = _validate(text, rules=trace.config.rules)
    assert bug.verdict == "violation" and bug.violation is not None
    assert bug.violation.property == "LeaderCompleteness"
    raft = _validate(text)
    assert raft.verdict == "rejected" and raft.failed_event is not None
    # Step 18 (S1 counts S3's acknowledgement in term 3) commits entry 1 only on the variant.
    assert raft.mismatches[0].field == "node 1 commitIndex"
    assert (raft.mismatches[0].expected, raft.mismatches[0].observed) == ("0", "1")


# --- hidden steps ------------------------------------------------------------------------


def test_unlogged_deliveries_are_hidden_steps_under_the_printed_bound() -> None:
    header, evs = _run_events(5, 250)
    # The implementation does not log the vote responses its candidates receive: the
    # become_leader event that follows is explained by one hidden delivery.
    kept = [
        e
        for e in evs
        if not (e["event"] == "receive" and e["msg"]["type"] == "RequestVoteResponse")
    ]
    assert len(kept) < len(evs)
    text = project.dumps(header, kept)
    res = _validate(text)
    assert res.verdict == "ok", (res.failed_event, res.mismatches)
    assert res.hidden_events >= 1
    none = _validate(text, max_hidden=0)
    assert none.verdict == "rejected"
    assert none.failed_event is not None and none.failed_event.kind == "become_leader"


def test_the_candidate_bound_is_inconclusive_never_a_pass(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    header, evs = _run_events(1, 250, project.SPARSE)
    p = tmp_path / "sparse.ndjson"
    p.write_text(project.dumps(header, evs))
    code, out, _ = _run(["validate", str(p), "--max-candidates", "1"], capsys)
    assert code == 3, out
    assert "INCONCLUSIVE: more than 1 candidate states" in out


# --- corrupted logs: rejected at the right event, with the right field ---------------------


def _corrupt_and_validate(
    evs: list[dict[str, Any]],
    header: dict[str, Any],
    k: int,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> tuple[match.Result, str]:
    text = project.dumps(header, evs)
    res = _validate(text)
    assert res.verdict == "rejected", res.verdict
    assert res.failed_event is not None and res.failed_event.where == f"f0.ndjson:{k + 2}"
    p = tmp_path / "bad.ndjson"
    p.write_text(text)
    out_trace = tmp_path / "closest.itf.json"
    code, out, err = _run(["validate", str(p), "--out", str(out_trace)], capsys)
    assert code == 1, out + err
    assert f"REJECTED: event {k + 1}, {p}:{k + 2}" in out
    # The model's closest path replays step by step.
    code, rout, _ = _run(["replay", str(out_trace)], capsys)
    assert code == 0 and "OK: all" in rout, rout
    return res, out


@pytest.fixture(scope="module")
def good() -> tuple[dict[str, Any], list[dict[str, Any]]]:
    header, evs = _run_events(7, 400)
    assert _validate(project.dumps(header, evs)).verdict == "ok"
    return header, evs


def _state_events(evs: list[dict[str, Any]]) -> list[tuple[int, dict[str, Any]]]:
    return [(k, e) for k, e in enumerate(evs) if "currentTerm" in e.get("state", {})]


def test_a_term_going_backwards_is_rejected(
    good: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    header, evs = good
    evs = [dict(e) for e in evs]
    k, e = next((k, e) for k, e in _state_events(evs) if e["state"]["currentTerm"] >= 2)
    term = e["state"]["currentTerm"]
    evs[k] = {**e, "state": {**e["state"], "currentTerm": term - 1}}
    res, out = _corrupt_and_validate(evs, header, k, tmp_path, capsys)
    mm = res.mismatches[0]
    assert mm.field == f"node {e['node']} currentTerm"
    assert (mm.expected, mm.observed) == (str(term), str(term - 1))
    assert f"currentTerm: expected {term}, observed {term - 1}" in out


def test_two_leaders_in_one_term_are_rejected(
    good: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    header, evs = good
    k, e = next((k, e) for k, e in enumerate(evs) if e["event"] == "become_leader")
    leader = e["node"]
    term = next(
        x["state"]["currentTerm"]
        for x in reversed(evs[:k])
        if x["node"] == leader and "state" in x and "currentTerm" in x["state"]
    )
    other = 1 if leader != 1 else 2
    fake = {
        "node": other,
        "event": "become_leader",
        "time": e["time"],
        "state": {"currentTerm": term, "role": "Leader"},
    }
    evs = [*evs[: k + 1], fake, *evs[k + 1 :]]
    res, _ = _corrupt_and_validate(evs, header, k + 1, tmp_path, capsys)
    assert res.mismatches and all(m.field.startswith(f"node {other} ") for m in res.mismatches)
    assert any(m.field == f"node {other} role" and m.observed == "Leader" for m in res.mismatches)


def test_an_entry_changed_after_commit_is_rejected(
    good: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    header, evs = good
    k, e = next((k, e) for k, e in enumerate(evs) if e["event"] == "commit")
    node, index = e["node"], e["state"]["commitIndex"]
    # The node's next event claims a different value at a committed index.
    j = next(j for j in range(k + 1, len(evs)) if evs[j]["node"] == node and "state" in evs[j])
    value = next(
        x["value"]
        for x in (m for ev in evs[:k] if "msg" in ev for m in ev["msg"].get("entries", []))
    )
    evs = [dict(x) for x in evs]
    evs[j] = {
        **evs[j],
        "state": {**evs[j]["state"], "appended": [{"index": index, "term": 99, "value": value}]},
    }
    res, _ = _corrupt_and_validate(evs, header, j, tmp_path, capsys)
    mm = res.mismatches[0]
    assert mm.field == f"node {node} log[{index}]" and mm.observed == f"t99={value}"


def test_a_vote_changed_within_a_term_is_rejected(
    good: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    header, evs = good
    pairs = _state_events(evs)
    found = None
    last: dict[int, dict[str, Any]] = {}
    for k, e in pairs:
        prev = last.get(e["node"])
        st = e["state"]
        if (
            prev is not None
            and prev["currentTerm"] == st["currentTerm"]
            and prev["votedFor"] is not None
            and st["votedFor"] == prev["votedFor"]
        ):
            found = (k, e)
            break
        last[e["node"]] = st
    assert found is not None
    k, e = found
    voted = e["state"]["votedFor"]
    other = next(i for i in (1, 2, 3) if i != voted)
    evs = [dict(x) for x in evs]
    evs[k] = {**e, "state": {**e["state"], "votedFor": other}}
    res, _ = _corrupt_and_validate(evs, header, k, tmp_path, capsys)
    mm = res.mismatches[0]
    assert mm.field == f"node {e['node']} votedFor"
    assert (mm.expected, mm.observed) == (str(voted), str(other))


def test_an_event_of_a_server_not_in_the_cluster_is_rejected(
    good: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    header, evs = good
    k = 10
    evs = [*evs[:k], {"node": 7, "event": "timeout", "time": evs[k]["time"]}, *evs[k:]]
    res, out = _corrupt_and_validate(evs, header, k, tmp_path, capsys)
    assert res.mismatches[0].field == "node"
    assert "node: server 7 is not in the cluster" in out


# --- malformed files: one line, exit 2 ----------------------------------------------------

HEADER = '{"format": "raftcheck-observed", "version": 1, "servers": [1, 2, 3], "clock": "time"}'


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("", ":1: empty file"),
        ('{"format": "other"}\n', ":1: the first line must be the header"),
        (
            HEADER.replace('"version": 1', '"version": 9') + "\n",
            ":1: format version 9 is not known",
        ),
        (
            HEADER
            + '\n{"node": 1, "event": "timeout", "time": 1}\n{"node": 1, "event": "timeout"\n',
            ":3: not JSON",
        ),
        (HEADER + '\n{"node": 1, "event": "explode", "time": 1}\n', ":2: event: 'explode'"),
        (HEADER + '\n{"node": 1, "event": "timeout"}\n', ":2: time: expected a number"),
        (
            HEADER
            + '\n{"node": 1, "event": "timeout", "time": 5}'
            + '\n{"node": 1, "event": "timeout", "time": 4}\n',
            ":3: time: 4 is before",
        ),
        (
            HEADER + '\n{"node": 1, "event": "receive", "time": 1}\n',
            ":2: msg: a receive event names its message",
        ),
        (
            HEADER + '\n{"node": 1, "event": "timeout", "time": 1, "state": {"term": 3}}\n',
            ":2: state.term: unknown field",
        ),
        (
            HEADER + '\n{"node": 1, "event": "receive", "time": 1, "msg": {"type": "Vote"}}\n',
            ":2: msg.type",
        ),
        (
            HEADER.replace('"time"}', '"vector"}')
            + '\n{"node": 1, "event": "timeout", "vc": {"1": 1, "2": 1}}\n',
            ":2: vc: no order",
        ),
    ],
)
def test_malformed_input_is_one_line_with_the_line_number_and_exit_2(
    text: str, needle: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    p = tmp_path / "bad.ndjson"
    p.write_text(text)
    code, out, err = _run(["validate", str(p)], capsys)
    assert code == 2, out + err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0], err


def test_tlc_options_and_ours_do_not_mix(capsys: pytest.CaptureFixture[str]) -> None:
    trace = str(EXAMPLES / "term-29-election.itf.json")
    code, _, err = _run(["validate", "--tlc", trace, "--max-candidates", "5"], capsys)
    assert code == 2 and "for our engine, not --tlc" in err
    code, _, err = _run(["validate", trace, "--states-only"], capsys)
    assert code == 2 and "--states-only is for --tlc" in err


def test_the_report_is_deterministic(
    good: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    header, evs = good
    p = tmp_path / "run.ndjson"
    p.write_text(project.dumps(header, evs))
    js = tmp_path / "a.json"
    code, out, _ = _run(["validate", str(p), "--json", str(js)], capsys)
    assert code == 0 and out.startswith(f"validate: {p}: {len(evs):,} events of 3 servers")
    summary = json.loads(js.read_text())
    assert summary["verdict"] == "ok" and summary["matched"] == len(evs)
    assert summary["max_hidden_steps"] == 2


def _start_log(voter_log: list[dict[str, int]]) -> str:
    """Servers that start mid-life (a bootstrap entry, as canonical/raft writes one): S1
    times out with an empty log and asks S2, whose log is ``voter_log``, for its vote."""
    header = json.loads(HEADER)
    header["clock"] = "order"
    header["start"] = {
        "1": {"currentTerm": 1},
        "2": {"currentTerm": 1, "log": voter_log},
        "3": {"currentTerm": 1},
    }
    lines = [
        header,
        {"node": 1, "event": "timeout", "state": {"currentTerm": 2, "role": "Candidate"}},
        {
            "node": 2,
            "event": "receive",
            "msg": {"type": "RequestVote", "from": 1, "term": 2, "lastLogIndex": 0},
            "state": {"currentTerm": 2, "votedFor": 1},
        },
    ]
    return "\n".join(json.dumps(x) for x in lines) + "\n"


def test_a_log_may_start_mid_life_and_the_start_state_is_judged_by_raft() -> None:
    assert _validate(_start_log([])).verdict == "ok"
    # §5.4.1: a voter whose log is more up-to-date than the candidate's refuses its vote.
    res = _validate(_start_log([{"term": 1, "value": 0}]))
    assert res.verdict == "rejected" and res.failed_event is not None
    assert res.failed_event.where == "f0.ndjson:3"
    mm = res.mismatches[0]
    assert (mm.field, mm.expected, mm.observed) == ("node 2 votedFor", "null", "1")


def test_per_server_files_on_the_command_line(
    good: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    header, evs = good
    paths = []
    for i, text in enumerate(project.split({**header, "clock": "vector"}, evs), start=1):
        paths.append(tmp_path / f"n{i}.ndjson")
        paths[-1].write_text(text)
    code, out, _ = _run(["validate", *map(str, paths)], capsys)
    assert code == 0, out
    assert f"{len(evs):,} events of 3 servers (clock vector)" in out


def test_a_response_the_node_did_not_send_is_rejected(
    good: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    header, evs = good
    k, e = next(
        (k, e)
        for k, e in enumerate(evs)
        if e["event"] == "send" and e["msg"]["type"] == "RequestVoteResponse"
    )
    evs = [dict(x) for x in evs]
    granted = e["msg"]["voteGranted"]
    evs[k] = {**e, "msg": {**e["msg"], "voteGranted": not granted}}
    res, _ = _corrupt_and_validate(evs, header, k, tmp_path, capsys)
    mm = res.mismatches[0]
    assert mm.field == "msg.voteGranted"
    assert (mm.expected, mm.observed) == (str(granted).lower(), str(not granted).lower())


def test_a_step_logged_as_two_events_is_explained_by_a_hidden_delivery(good: Any) -> None:
    """An implementation that logs "adopt the higher term" before the receive that caused
    it: the first event is the receive's step, found as a hidden step; the logged receive
    is then the same message delivered again (the set network), which changes nothing."""
    header, evs = good
    term = {1: 0, 2: 0, 3: 0}
    out: list[dict[str, Any]] = []
    split = 0
    for e in evs:
        st = e.get("state", {})
        if e["event"] == "receive" and st.get("currentTerm", 0) > term[e["node"]]:
            out.append(
                {
                    "node": e["node"],
                    "event": "become_follower",
                    "time": e["time"],
                    "state": {"currentTerm": st["currentTerm"], "role": "Follower"},
                }
            )
            split += 1
        if "currentTerm" in st:
            term[e["node"]] = st["currentTerm"]
        out.append(e)
    assert split >= 3
    res = _validate(project.dumps(header, out))
    assert res.verdict == "ok", (res.failed_event, res.mismatches)
    assert res.hidden_events == split


def test_the_closest_path_of_a_long_trace_replays_from_mid_life(good: Any) -> None:
    # (From Init: the corrupted-log tests above replay it.)
    window = 20
    from checker.traces.replay import replay

    header, evs = good
    obs = events.read_ndjson([("run.ndjson", project.dumps(header, evs))])
    res = match.validate(obs)
    assert res.closest is not None
    trace = match.closest_trace(obs, res.closest, match.Options(), "test", window=window)
    assert not trace.from_init
    assert len(trace.steps) - 1 == min(window, len(match.path_actions(res.closest)))
    # Tokens of the view became real stale requests: the mid-life start reads back as ITF.
    again = itf.read_trace_text(
        itf.dumps(itf.encode_trace(trace.config, trace.steps, from_init=trace.from_init)), "t"
    )
    r = replay(again)
    assert r.conforms and r.violation is None, r.divergence


def test_a_batching_implementation_names_its_batch_bound(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if "max_batch" not in Bounds._fields:  # before raftmodel batches AppendEntries
        header = {**json.loads(HEADER), "max_batch": 2}
        p = tmp_path / "batched.ndjson"
        p.write_text(json.dumps(header) + "\n")
        code, _, err = _run(["validate", str(p)], capsys)
        assert code == 2 and "max_batch: this model has no batched AppendEntries" in err
        return
    config, states, actions = project.random_run(3, 600, max_batch=2)
    header, evs = project.project(config, states, actions)
    assert header["max_batch"] == 2
    res = _validate(project.dumps(header, evs))
    assert res.verdict == "ok", (res.failed_event, res.mismatches)
    # Without the bound the model's leader sends the whole suffix: a shorter batch differs.
    del header["max_batch"]
    res = _validate(project.dumps(header, evs))
    assert res.verdict == "rejected" and res.mismatches[0].field == "msg.entries"


def test_an_implementation_that_jumps_with_the_hint_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # refusal_hint in the header: the model's refusals carry the follower's last index
    # (§5.3) and its leader jumps with it, so a projected hinted run validates; without
    # the key the model's refusal names no index and the logged one differs.
    config, states, actions = project.random_run(5, 600, refusal_hint=1)
    header, evs = project.project(config, states, actions)
    assert header["refusal_hint"] == 1
    assert any(
        e.get("msg", {}).get("lastLogIndex", 0) > 0 for e in evs if "success" in e.get("msg", {})
    )
    res = _validate(project.dumps(header, evs))
    assert res.verdict == "ok", (res.failed_event, res.mismatches)
    del header["refusal_hint"]
    res = _validate(project.dumps(header, evs))
    assert res.verdict == "rejected" and res.mismatches[0].field == "msg.lastLogIndex"
    p = tmp_path / "bad.ndjson"
    p.write_text(json.dumps({**json.loads(HEADER), "refusal_hint": 2}) + "\n")
    code, _, err = _run(["validate", str(p)], capsys)
    assert code == 2 and "refusal_hint: 2; expected 0 or 1" in err
