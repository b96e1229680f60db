"""ITF trace I/O: byte-for-byte round trips, and one clear error naming the first bad field."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from checker.errors import TraceFormatError
from checker.traces import itf, stories
from raftmodel import Duplicate, mutants
from raftmodel.cluster import Bounds, Config
from raftmodel.network import Semantics
from raftmodel.script import Script

EXAMPLES = Path(__file__).resolve().parents[2] / "traces" / "examples"


def _bag_trace() -> itf.Trace:
    cfg = Config(
        3,
        Bounds(max_term=2, max_log=1, max_restarts=1, max_requests=1, values=(1,), max_copies=2),
        Semantics.BAG,
    )
    s = Script(cfg).timeout(1).vote(1, 2).client(1, 1).send_append(1, 3)
    s.do(Duplicate(s.find("AppendEntries", 1, 3)))
    s.drop("AppendEntries", 1, 3).restart(2)
    return itf.make_trace(cfg, s.states, s.actions)


@pytest.mark.parametrize("story", stories.STORIES, ids=lambda st: st.name)
def test_round_trip_is_byte_identical(story: stories.Story, tmp_path: Path) -> None:
    first = tmp_path / "a.json"
    itf.write_trace(first, stories.build(story))
    again = itf.read_trace(first)
    second = tmp_path / "b.json"
    itf.write_trace(second, again)
    assert first.read_bytes() == second.read_bytes()
    assert again.states == stories.build(story).states


def test_bag_semantics_round_trip(tmp_path: Path) -> None:
    t = _bag_trace()
    p = tmp_path / "bag.json"
    itf.write_trace(p, t)
    back = itf.read_trace(p)
    assert back.states == t.states
    assert [s.action for s in back.steps] == [s.action for s in t.steps]
    assert back.config == t.config
    q = tmp_path / "bag2.json"
    itf.write_trace(q, back)
    assert p.read_bytes() == q.read_bytes()


def test_batched_trace_round_trip(tmp_path: Path) -> None:
    # maxBatch and each SendAppendEntries' batch are written and read back; at their
    # defaults (0: the whole suffix) both are left out, so unbatched traces are unchanged.
    cfg = Config(3, Bounds(max_term=1, max_log=2, max_restarts=0, max_requests=2, max_batch=2))
    s = Script(cfg).timeout(1).vote(1, 2).client(1, 1).client(1, 1).replicate(1, 2, batch=1)
    s.replicate(1, 2, batch=1).replicate(1, 2)  # the second entry, then a heartbeat
    t = itf.make_trace(cfg, s.states, s.actions)
    p = tmp_path / "batched.json"
    itf.write_trace(p, t)
    obj = json.loads(p.read_text())
    assert obj["#meta"]["config"]["bounds"]["maxBatch"] == {"#bigint": "2"}
    sends = [st["#meta"] for st in obj["states"] if st["#meta"]["action"] == "SendAppendEntries"]
    assert [m["params"].get("batch") for m in sends] == [{"#bigint": "1"}] * 2 + [None]
    back = itf.read_trace(p)
    assert back.config == cfg
    assert [st.action for st in back.steps] == [st.action for st in t.steps]
    q = tmp_path / "again.json"
    itf.write_trace(q, back)
    assert p.read_bytes() == q.read_bytes()


def test_unbatched_traces_carry_no_batch_fields(tmp_path: Path) -> None:
    p = tmp_path / "t.json"
    itf.write_trace(p, _bag_trace())
    text = p.read_text()
    assert "maxBatch" not in text and '"batch"' not in text
    assert itf.read_trace(p).config.bounds.max_batch == 0


def test_refusal_hint_round_trip(tmp_path: Path) -> None:
    # refusalHint and a refusal's lastLogIndex are written when set and read back; off
    # (and on a success) both are left out, so traces without the hint are unchanged.
    cfg = Config(2, Bounds(max_term=2, max_log=2, max_restarts=1, max_requests=2, refusal_hint=1))
    s = Script(cfg).timeout(1).vote(1, 2).client(1, 1).replicate(1, 2).client(1, 1)
    s.restart(1).timeout(1).vote(1, 2, term=2).send_append(1, 2)
    s.deliver("AppendEntries", 1, 2, term=2)
    t = itf.make_trace(cfg, s.states, s.actions)
    p = tmp_path / "hint.json"
    itf.write_trace(p, t)
    obj = json.loads(p.read_text())
    assert obj["#meta"]["config"]["bounds"]["refusalHint"] == {"#bigint": "1"}
    replies = [
        m["value"]
        for st in obj["states"]
        for m in st["messages"]["#set"]
        if m["tag"] == "AppendEntriesResponse"
    ]
    assert {(r["success"], "lastLogIndex" in r) for r in replies} == {(True, False), (False, True)}
    back = itf.read_trace(p)
    assert back.config == cfg and list(back.states) == list(t.states)
    refusals = [m for m in back.states[-1].network if m.mtype == 3 and not m.success]
    assert [m.lastLogIndex for m in refusals] == [1]
    q = tmp_path / "again.json"
    itf.write_trace(q, back)
    assert p.read_bytes() == q.read_bytes()
    off = tmp_path / "off.json"
    itf.write_trace(off, _bag_trace())
    assert "refusalHint" not in off.read_text()


def test_no_null_and_explicit_no_vote(tmp_path: Path) -> None:
    p = tmp_path / "t.json"
    itf.write_trace(p, stories.build(stories.STORIES[2]))
    text = p.read_text()
    assert "null" not in text
    state0 = json.loads(text)["states"][0]
    assert state0["votedFor"]["#map"][0][1] == {"tag": "None", "value": {"#tup": []}}
    assert state0["#meta"] == {"index": 0, "action": "init", "params": {}}


def _mutate(tmp_path: Path, edit: object) -> Path:
    obj = json.loads((EXAMPLES / "term-29-election.itf.json").read_text())
    edit(obj)  # type: ignore[operator]
    p = tmp_path / "bad.json"
    p.write_text(json.dumps(obj))
    return p


@pytest.mark.parametrize(
    ("edit", "path"),
    [
        (
            lambda o: o["states"][2]["currentTerm"]["#map"][1].__setitem__(1, "x"),
            "$.states[2].currentTerm[2]",
        ),
        (lambda o: o["states"][1].pop("log"), "$.states[1].log"),
        (lambda o: o["states"][3]["role"]["#map"][0].__setitem__(1, "King"), "$.states[3].role[1]"),
        (
            lambda o: o["states"][2]["#meta"].__setitem__("action", "Teleport"),
            "$.states[2].#meta.action",
        ),
        (lambda o: o["#meta"]["config"].__setitem__("mutant", "nope"), "$.#meta.config.mutant"),
        (
            lambda o: o["states"][1]["votedFor"]["#map"][0].__setitem__(1, None),
            "$.states[1].votedFor[1]",
        ),
        (
            lambda o: o["states"][0]["messages"].__setitem__("#set", [{"tag": "Gossip"}]),
            "$.states[0].messages.#set[0].tag",
        ),
        (lambda o: o.__setitem__("states", []), "$.states"),
        (
            lambda o: o["states"][2]["#meta"]["params"].__setitem__("i", {"#bigint": "9"}),
            "$.states[2].#meta.params.i",
        ),
    ],
)
def test_malformed_trace_names_first_bad_field(tmp_path: Path, edit: object, path: str) -> None:
    p = _mutate(tmp_path, edit)
    with pytest.raises(TraceFormatError) as e:
        itf.read_trace(p)
    assert e.value.path == path, str(e.value)


def test_truncated_and_missing_files(tmp_path: Path) -> None:
    text = (EXAMPLES / "term-29-election.itf.json").read_text()
    p = tmp_path / "cut.json"
    p.write_text(text[: len(text) // 2])
    with pytest.raises(TraceFormatError, match="not JSON"):
        itf.read_trace(p)
    with pytest.raises(TraceFormatError, match="no such file"):
        itf.read_trace(tmp_path / "missing.json")


def test_atomic_write_leaves_no_partial_file(tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    target.write_text("old")

    with pytest.raises(TypeError):
        itf.write_text_atomic(target, 123)  # type: ignore[arg-type]
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]


def test_a_device_or_a_pipe_is_written_in_place_not_replaced(tmp_path: Path) -> None:
    # `--out /dev/null` once put a regular file in /dev/null's place (run as root, the
    # rename succeeds): a path that is not a regular file is written as it is.
    import os
    import stat
    import threading

    assert stat.S_ISCHR(os.stat(os.devnull).st_mode)
    itf.write_text_atomic(os.devnull, "{}")
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode)
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[str] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_text()), daemon=True)
    reader.start()
    itf.write_text_atomic(fifo, "through the pipe")
    reader.join(timeout=10)
    assert got == ["through the pipe"]
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert [p.name for p in tmp_path.iterdir()] == ["pipe"]


# --- strict ITF: what the format does not allow is refused, naming the field -------------

TERM29 = EXAMPLES / "term-29-election.itf.json"
# S1's currentTerm in the first state, written {"#bigint":"28"} in the file.
S1_TERM = '"currentTerm":{"#map":[[{"#bigint":"1"},{"#bigint":"28"}]'


def _edited(tmp_path: Path, old: str, new: str, source: Path = TERM29) -> Path:
    text = source.read_text()
    assert old in text
    p = tmp_path / "edited.json"
    p.write_text(text.replace(old, new, 1))
    return p


@pytest.mark.parametrize("digits", ["2_8", "+28", " 28 ", "28\n", "٢٨", "", "0x1c", "28.0"])
def test_bigint_must_be_ascii_decimal(tmp_path: Path, digits: str) -> None:
    bad = S1_TERM.replace('{"#bigint":"28"}', json.dumps({"#bigint": digits}))
    with pytest.raises(TraceFormatError, match="bad #bigint") as e:
        itf.read_trace(_edited(tmp_path, S1_TERM, bad))
    assert e.value.path == "$.states[0].currentTerm[1]"


def test_bigint_allows_minus_and_leading_zeros_where_the_field_does(tmp_path: Path) -> None:
    # "-?[0-9]+" is the whole grammar; a value's range is the field's business.
    ok = S1_TERM.replace('"28"', '"028"')
    assert itf.read_trace(_edited(tmp_path, S1_TERM, ok)).states[0].nodes[0].currentTerm == 28
    neg = S1_TERM.replace('"28"', '"-28"')
    with pytest.raises(TraceFormatError, match=">= 0, got -28"):
        itf.read_trace(_edited(tmp_path, S1_TERM, neg))


@pytest.mark.parametrize(
    ("old", "new", "path", "key"),
    [
        ('"restarts":', '"restarts":{"#bigint":"5"},"restarts":', "$.states[0]", "restarts"),
        (
            '{"#bigint":"28"}',
            '{"#bigint":"28","#bigint":"29"}',
            "$.states[0].currentTerm",
            "#bigint",
        ),
        ('"format":"ITF",', '"format":"ITF","format":"ITF",', "$.#meta", "format"),
    ],
)
def test_duplicate_object_keys_are_refused(
    tmp_path: Path, old: str, new: str, path: str, key: str
) -> None:
    with pytest.raises(TraceFormatError, match=f"the key '{key}' appears twice") as e:
        itf.read_trace(_edited(tmp_path, old, new))
    assert e.value.path.startswith(path), e.value.path


VOTES_S1 = '"votesGranted":{"#map":[[{"#bigint":"1"},{"#set":[{"#bigint":"1"},{"#bigint":"2"}]}]'
ELECTION = '{"term":{"#bigint":"28"},"leader":{"#bigint":"1"}}'
ELECTED = f'"elections":{{"#set":[{ELECTION}]}}'
VALUES = '"values":{"#set":[{"#bigint":"1"},{"#bigint":"2"},{"#bigint":"3"}]}'


@pytest.mark.parametrize(
    ("old", "new", "path"),
    [
        # The same server twice, spelt two ways: equal once decoded.
        (VOTES_S1, VOTES_S1.replace('{"#bigint":"2"}', "1"), "$.states[0].votesGranted[1].#set[1]"),
        (ELECTED, ELECTED.replace("]}", f",{ELECTION}]}}"), "$.states[0].elections.#set[1]"),
        (VALUES, VALUES.replace('"3"', '"1"'), "$.#meta.config.bounds.values.#set[2]"),
    ],
)
def test_duplicate_set_elements_are_refused(tmp_path: Path, old: str, new: str, path: str) -> None:
    with pytest.raises(TraceFormatError, match="duplicate set element") as e:
        itf.read_trace(_edited(tmp_path, old, new))
    assert e.value.path == path


def test_duplicate_message_in_a_set_or_a_bag_is_refused(tmp_path: Path) -> None:
    p = tmp_path / "bag.json"
    itf.write_trace(p, _bag_trace())
    obj = json.loads(p.read_text())
    k, state = next((k, s) for k, s in enumerate(obj["states"]) if s["messages"]["#map"])
    pairs = state["messages"]["#map"]
    pairs.append([pairs[0][0], {"#bigint": "1"}])
    p.write_text(json.dumps(obj))
    with pytest.raises(TraceFormatError, match="duplicate map key") as e:
        itf.read_trace(p)
    assert e.value.path == f"$.states[{k}].messages.#map[{len(pairs) - 1}][0]"

    obj = json.loads(TERM29.read_text())
    k, state = next((k, s) for k, s in enumerate(obj["states"]) if s["messages"]["#set"])
    state["messages"]["#set"].append(state["messages"]["#set"][0])
    p.write_text(json.dumps(obj))
    with pytest.raises(TraceFormatError, match="duplicate set element") as e:
        itf.read_trace(p)
    assert e.value.path == f"$.states[{k}].messages.#set[{len(state['messages']['#set']) - 1}]"


# --- input extremes: one error line, never a traceback -----------------------------------


def test_deeply_nested_json_is_refused(tmp_path: Path) -> None:
    p = tmp_path / "deep.json"
    p.write_text("[" * 50_000 + "]" * 50_000)
    with pytest.raises(TraceFormatError, match="nested too deeply") as e:
        itf.read_trace(p)
    assert e.value.path == str(p)


@pytest.mark.parametrize("spelling", ["{digits}", '{{"#bigint":"{digits}"}}'])
def test_integer_too_long_for_python_is_refused_naming_the_field(
    tmp_path: Path, spelling: str
) -> None:
    huge = spelling.format(digits="9" * 5000)
    p = _edited(tmp_path, '"restarts":{"#bigint":"0"}', f'"restarts":{huge}')
    with pytest.raises(TraceFormatError, match="5000 digits is too long") as e:
        itf.read_trace(p)
    assert e.value.path == "$.states[0].restarts"


def test_integer_too_long_where_no_integer_belongs(tmp_path: Path) -> None:
    p = _edited(tmp_path, '"mutant":"raft"', f'"mutant":{"9" * 5000}')
    with pytest.raises(TraceFormatError, match="integer of 5000 digits is too long") as e:
        itf.read_trace(p)
    assert e.value.path == "$.#meta.config.mutant"


def test_integer_too_long_in_metadata_raftcheck_does_not_read(tmp_path: Path) -> None:
    # Kept as it was, it would be written back as something else: refused wherever it is.
    p = _edited(tmp_path, '"source":"raftcheck"', f'"source":[1,{"5" * 4400}]')
    with pytest.raises(TraceFormatError, match="4400 digits") as e:
        itf.read_trace(p)
    assert e.value.path == "$.#meta.source[1]"


def test_integer_beyond_64_bits_is_just_an_integer(tmp_path: Path) -> None:
    # ITF integers are unbounded, and so are Python's: 2**70 restarts is read as such
    # (and replay then reports where the trace leaves the model).
    p = _edited(tmp_path, '"restarts":{"#bigint":"0"}', f'"restarts":{2**70}')
    assert itf.read_trace(p).states[0].restarts == 2**70


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_non_json_constants_are_refused(tmp_path: Path, constant: str) -> None:
    p = _edited(tmp_path, '"restarts":{"#bigint":"0"}', f'"restarts":{constant}')
    with pytest.raises(TraceFormatError, match=f"not JSON: {constant} is not a JSON value"):
        itf.read_trace(p)


def test_stdin_is_read_for_dash(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(TERM29.read_bytes())))
    assert itf.read_trace("-").states == itf.read_trace(TERM29).states
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(b'{"states": [')))
    with pytest.raises(TraceFormatError, match="not JSON") as e:
        itf.read_trace("-")
    assert e.value.path == "<stdin>"


def test_trace_records_the_variant_of_its_rules(tmp_path: Path) -> None:
    cfg = Config(
        3,
        Bounds(max_term=2, max_log=1, max_restarts=1, max_requests=1),
        rules=mutants.rules_for("double_vote"),
    )
    s = Script(cfg).timeout(1)
    p = tmp_path / "t.json"
    itf.write_trace(p, itf.make_trace(cfg, s.states, s.actions))
    assert json.loads(p.read_text())["#meta"]["config"]["mutant"] == "double_vote"
    assert itf.read_trace(p).config.rules.name == "double_vote"


# --- the first state must be one the model could be in ------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "path", "detail"),
    [
        (  # S1 leads term 28 with nextIndex[3] = 0: AppendEntries would have no prevLogIndex.
            '{"#bigint":"1"},{"#map":[[{"#bigint":"1"},{"#bigint":"3"}],[{"#bigint":"2"},'
            '{"#bigint":"3"}],[{"#bigint":"3"},{"#bigint":"3"}]]}',
            '{"#bigint":"1"},{"#map":[[{"#bigint":"1"},{"#bigint":"3"}],[{"#bigint":"2"},'
            '{"#bigint":"3"}],[{"#bigint":"3"},{"#bigint":"0"}]]}',
            "$.states[0].nextIndex[1][3]",
            "0 (must be 1..lastLogIndex+1 = 1..3)",
        ),
        (  # S2 a second leader of term 28, with no election of its own on record.
            '[{"#bigint":"2"},"Follower"]',
            '[{"#bigint":"2"},"Leader"]',
            "$.states[0].votesGranted[2]",
            "{} lacks its own vote",
        ),
        (  # A follower with leader bookkeeping: the node resets it on stepping down.
            '[{"#bigint":"2"},{"#map":[[{"#bigint":"1"},{"#bigint":"0"}],'
            '[{"#bigint":"2"},{"#bigint":"0"}],[{"#bigint":"3"},{"#bigint":"0"}]]}]',
            '[{"#bigint":"2"},{"#map":[[{"#bigint":"1"},{"#bigint":"0"}],'
            '[{"#bigint":"2"},{"#bigint":"0"}],[{"#bigint":"3"},{"#bigint":"5"}]]}]',
            "$.states[0].matchIndex[2][3]",
            "5 (must be 0: a follower keeps no leader state)",
        ),
    ],
)
def test_first_state_must_be_well_formed(
    tmp_path: Path, old: str, new: str, path: str, detail: str
) -> None:
    with pytest.raises(TraceFormatError) as e:
        itf.read_trace(_edited(tmp_path, old, new))
    assert (e.value.path, e.value.problem) == (path, detail)
