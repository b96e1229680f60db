"""ITF trace I/O: byte-for-byte round trips, and one clear error naming the first bad field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from checker.errors import TraceFormatError
from checker.traces import itf, stories
from raftmodel import Duplicate
from raftmodel.cluster import Bounds, Config
from raftmodel.network import Semantics
from raftmodel.script import Script

EXAMPLES = Path(__file__).resolve().parents[2] / "traces" / "examples"


def _bag_trace() -> itf.Trace:
    cfg = Config(3, Bounds(2, 1, 1, 1, (1,), 2), Semantics.BAG)
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
