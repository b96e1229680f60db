"""checker.tla without Java: TLC's value syntax, the state map both ways, the cfg files."""

from __future__ import annotations

import pytest

from checker.raft.presets import PRESETS
from checker.tla.cfg import preset_cfg, preset_cfg_name, tla_presets
from checker.tla.crosscheck import explore
from checker.tla.dump import parse_states, raw_states
from checker.tla.jar import SPEC_DIR
from checker.tla.state import to_cluster, to_values
from checker.tla.values import Fcn, ModelValue, Record, TLAValueError, parse_value, tla
from raftmodel.cluster import Bounds, Config
from raftmodel.network import Semantics


def test_values_as_tlc_prints_them() -> None:
    assert parse_value("42") == 42
    assert parse_value("TRUE") is True
    assert parse_value('"Leader"') == "Leader"
    assert parse_value("s1") == ModelValue("s1")
    assert parse_value("<< >>") == ()
    assert parse_value("<<1, <<>>, 3>>") == (1, (), 3)
    assert parse_value("{2, 1}") == frozenset({1, 2})
    assert parse_value("[term |-> 1, value |-> 2]") == Record({"term": 1, "value": 2})
    f = parse_value("(s1 :> 1 @@ s2 :> {})")
    assert f == Fcn({ModelValue("s1"): 1, ModelValue("s2"): frozenset()})
    # Values nest, span lines, and are hashable (sets of records).
    text = '{ [mtype |-> "AE", entries |-> <<[term |-> 1, value |-> 1]>>],\n  [mtype |-> "X"] }'
    assert len(parse_value(text)) == 2


@pytest.mark.parametrize(
    "bad", ["import os", "__import__('os')", "1; 2", "[a |-> ]", "x.__class__", "a = 1"]
)
def test_anything_else_is_refused(bad: str) -> None:
    with pytest.raises(TLAValueError):
        parse_value(bad)


def test_tla_text_parses_back() -> None:
    v = Fcn({Record({"a": (1, 2), "b": frozenset({ModelValue("s1")})}): 2})
    assert parse_value(tla(v)) == v
    assert tla(Fcn()) == "<< >>"


def test_a_listing_splits_into_states() -> None:
    text = (
        "State 1: <Initial predicate>\n/\\ x = 1\n/\\ y = { 1,\n  2 }\n\n"
        "State 2: <Receive line 3, col 1 to line 4, col 2 of module Raft>\n/\\ x = 2\n"
        "/\\ y = {}\n\n3 states generated\n"
    )
    raws = list(raw_states(text.splitlines()))
    assert [r.number for r in raws] == [1, 2]
    assert [r.action for r in raws] == [None, "Receive"]
    assert parse_states(raws) == [{"x": 1, "y": frozenset({1, 2})}, {"x": 2, "y": frozenset()}]


@pytest.mark.parametrize("semantics", [Semantics.SET, Semantics.BAG])
@pytest.mark.parametrize("symmetric", [False, True])
def test_every_state_maps_to_tla_and_back(semantics: Semantics, symmetric: bool) -> None:
    config = Config(
        3, Bounds(max_term=1, max_log=1, max_restarts=1, max_requests=1, values=(1,)), semantics
    )
    space = explore(
        config._replace(
            bounds=Bounds(max_term=1, max_log=0, max_restarts=0, max_requests=0, values=(1,))
        )
    )
    for s in space.states[:: max(1, len(space.states) // 200)]:
        vals = to_values(s, semantics, symmetric)
        back = {k: parse_value(tla(v)) for k, v in vals.items()}
        assert to_cluster(back, config, symmetric) == s


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_checked_in_cfgs_are_generated(preset: str) -> None:
    """spec/MCRaft-<preset>.cfg is cfg.py's output (regenerate: write_preset_cfgs());
    presets that start after Init (a prefix) have none: the spec starts at Init."""
    path = SPEC_DIR / preset_cfg_name(preset)
    if preset not in tla_presets():
        assert PRESETS[preset].prefix and not path.exists()
        return
    assert path.read_text() == preset_cfg(preset)


def test_sets_and_bags_of_records_parse_as_the_plain_parser_does() -> None:
    """The dump parser splits message collections into cached records; same values."""
    m1 = (
        '[ mtype |-> "AppendEntries",\n'
        "    entries |-> <<[term |-> 1, value |-> 1]>>,\n    dest |-> 2 ]"
    )
    m2 = '[mtype |-> "RequestVote", dest |-> 3]'
    texts = [f"{{ {m1},\n  {m2} }}", f"( {m1} :> 2 @@\n  {m2} :> 1 )", "{}", "<< >>"]
    listing = "".join(
        f"State {k + 1}:\n/\\ messages = {t}\n/\\ other = {{1, 2}}\n\n" for k, t in enumerate(texts)
    )
    states = parse_states(list(raw_states(listing.splitlines())))
    assert [s["messages"] for s in states] == [parse_value(t) for t in texts]
    assert len(states[0]["messages"]) == 2 and states[1]["messages"][parse_value(m1)] == 2
