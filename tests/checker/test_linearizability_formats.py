"""History formats: the EDN subset, Jepsen's operation maps, jepsen.util log lines and
raftcheck's JSON lines; every malformed or ill-formed history is refused with one message
naming its line."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from checker.linearizability import edn, formats, generate, history, models
from checker.linearizability.edn import EdnError, Keyword
from checker.linearizability.history import UNKNOWN, BadHistory, Kind

K = Keyword


def test_edn_values() -> None:
    assert edn.parse("{:process 0, :type :invoke, :f :write, :value 3}") == {
        K("process"): 0,
        K("type"): K("invoke"),
        K("f"): K("write"),
        K("value"): 3,
    }
    assert edn.parse('[1 -2 +3 7N "a \\"b\\"\\n" nil true false :k/x [] {}]') == (
        1,
        -2,
        3,
        7,
        'a "b"\n',
        None,
        True,
        False,
        K("k/x"),
        (),
        {},
    )
    assert K("write") is K("write") and K.of("a") is K("a")
    assert edn.parse("  {:a [1 {:b [2]}]} ") == {K("a"): (1, {K("b"): (2,)})}


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("{:a 1", "'{' opened at column 1 is not closed"),
        ("[1.5]", "only integers are supported, not '1.5'"),
        ("{:a 1 :a 2}", "repeats the key :a"),
        ("foo", "symbols are not supported: 'foo'"),
        ("(1 2)", "lists are not supported"),
        ("#{1}", "sets and tagged literals are not supported"),
        ("{:a}", "a key without a value"),
        ("[1] 2", "unexpected text after the value"),
        ("", "no value"),
        ('"a\\q"', "unsupported escape \\q"),
        ("]", "a ']' without its opening bracket"),
        ('"abc', "the string opened at column 1 is not closed"),
        (":", "a ':' that does not start a keyword"),
        ("[" * 100 + "]" * 100, "nested deeper than 64"),
    ],
)
def test_edn_refuses_what_it_does_not_support(text: str, problem: str) -> None:
    with pytest.raises(EdnError) as e:
        edn.parse(text)
    assert problem in str(e.value)


def test_show_writes_edn_back() -> None:
    v = edn.parse('[nil true :k "s\\"" {:a 1} 3]')
    assert edn.parse(edn.show(v)) == v


EDN_HISTORY = """\
{:process 0, :type :invoke, :f :write, :value 3, :time 10}
{:process :nemesis, :type :info, :f :start, :value nil}

{:process 1, :type :invoke, :f :read, :value nil}
{:process 0, :type :ok, :f :write, :value 3, :time 20}
{:process 1, :type :ok, :f :read, :value 3}
{:process 2, :type :invoke, :f :cas, :value [3 4]}
{:process 2, :type :info, :f :cas, :value [3 4], :error :timeout}
{:process 3, :type :invoke, :f :write, :value 1}
{:process 3, :type :fail, :f :write, :value 1}
{:process 4, :type :invoke, :f :read}
"""

LOG_HISTORY = """\
2017-03-01 12:00:00,001{GMT}\tINFO\t[jepsen worker 0] jepsen.util: 0\t:invoke\t:write\t3
INFO  jepsen.core - Running test
INFO  jepsen.util - :nemesis\t:info\t:start\tnil
INFO  jepsen.util - 1\t:invoke\t:read\tnil
INFO  jepsen.util - 0\t:ok\t:write\t3
INFO  jepsen.util - 1\t:ok\t:read\t3
INFO  jepsen.util - 2\t:invoke\t:cas\t[3 4]
INFO  jepsen.util - 2\t:info\t:cas\t[3 4]\t:timeout
INFO  jepsen.util - 3\t:invoke\t:write\t1
INFO  jepsen.util - 3\t:fail\t:write\t1
INFO  jepsen.util - 4\t:invoke\t:read\t
INFO  jepsen.util - Run complete, writing
"""

JSON_HISTORY = """\
{"process": 0, "type": "invoke", "f": "write", "value": 3}
{"process": 1, "type": "invoke", "f": "read", "value": null}
{"process": 0, "type": "ok", "f": "write", "value": 3}
{"process": 1, "type": "ok", "f": "read", "value": 3}
{"process": 2, "type": "invoke", "f": "cas", "value": [3, 4]}
{"process": 2, "type": "info", "f": "cas", "value": [3, 4]}
{"process": 3, "type": "invoke", "f": "write", "value": 1}
{"process": 3, "type": "fail", "f": "write", "value": 1}
{"process": 4, "type": "invoke", "f": "read"}
"""


@pytest.mark.parametrize(
    ("text", "fmt"), [(EDN_HISTORY, "edn"), (LOG_HISTORY, "log"), (JSON_HISTORY, "json")]
)
def test_the_three_formats_read_the_same_history(text: str, fmt: str) -> None:
    assert formats.detect(text, "h") == fmt
    events = formats.read(text, "auto", "h")
    assert [(e.process, e.kind, e.f, e.value) for e in events] == [
        (0, Kind.INVOKE, "write", 3),
        (1, Kind.INVOKE, "read", None),
        (0, Kind.OK, "write", 3),
        (1, Kind.OK, "read", 3),
        (2, Kind.INVOKE, "cas", (3, 4)),
        (2, Kind.INFO, "cas", (3, 4)),
        (3, Kind.INVOKE, "write", 1),
        (3, Kind.FAIL, "write", 1),
        (4, Kind.INVOKE, "read", None),
    ]
    h = history.build(events, models.CAS_REGISTER.validate, "h")
    assert [(op.f, op.out, op.info) for op in h.ops] == [
        ("write", 3, False),
        ("read", 3, False),
        ("cas", UNKNOWN, True),
        ("read", UNKNOWN, True),
    ]
    assert h.failed == 1 and h.pending == 1


def test_kv_values_and_the_json_key_field() -> None:
    edn_text = "{:process 0, :type :invoke, :f :write, :value [:k1 3]}\n" + (
        "{:process 0, :type :ok, :f :write, :value [:k1 3]}\n"
    )
    h = history.build(formats.read(edn_text), models.KV.validate)
    assert h.ops[0].arg == (K("k1"), 3)
    json_text = '{"process": 0, "type": "invoke", "f": "write", "key": "k1", "value": 3}\n'
    (ev,) = formats.read(json_text)
    assert ev.value == ("k1", 3)
    # A keyed history says so (the command's default object is then kv); a [a b] value
    # in EDN or plain JSON says nothing: it may be a cas-register's [old new].
    assert formats.keyed(json_text)
    assert formats.read(formats.to_json(ev, keyed=True)) == [ev]
    assert not formats.keyed(edn_text)
    assert not formats.keyed(formats.to_json(ev))


@pytest.mark.parametrize("fmt", ["edn", "log", "json"])
def test_writers_and_readers_round_trip(fmt: str) -> None:
    events = generate.simulate(4, 60, clients=3, keys=2, info_rate=0.1, cas=True)
    text = "\n".join(formats.WRITERS[fmt](e) for e in events) + "\n"
    back = formats.read(text, fmt)
    assert [(e.process, e.kind, e.f, e.value) for e in back] == [
        (e.process, e.kind, e.f, e.value) for e in events
    ]
    assert [e.line for e in back] == list(range(1, len(events) + 1))


@pytest.mark.parametrize(
    ("text", "fmt", "message"),
    [
        ("{:process 0, :type :invoke, :f :write, :value 3\n", "edn", "h:1: malformed EDN"),
        (
            "{:process 0, :type :invoke, :f :write, :value 3}\n{:process 0 :type :ok}\n",
            "edn",
            "h:2: the operation map has no :f",
        ),
        ("{:process 0, :type :done, :f :write}\n", "edn", "h:1: the type is :done"),
        ("{:process 0, :type :invoke, :f 3}\n", "edn", "h:1: the operation (f) is 3"),
        ("{:process 1.5, :type :invoke, :f :read}\n", "edn", "h:1: malformed EDN at column 11"),
        ("{:process [0], :type :invoke, :f :read}\n", "edn", "h:1: the process is [0]"),
        ("[1 2]\n", "edn", "h:1: expected an operation map"),
        ("\n\nINFO  jepsen.util - 0\t:invoke\t:write\t3.5\n", "log", "h:3: malformed EDN"),
        ('{"process": 0, "type": "invoke", "f": "write", "value": 1.5}\n', "json", "h:1"),
        ('{"process": 0, "type": "invoke", "f": "write", "valu": 1}\n', "json", "unknown field"),
        ('{"process": 0, "type": "invoke"\n', "json", "h:1: malformed JSON"),
        ("[1]\n", "json", "h:1: expected a JSON object per line"),
        ("hello\n", "auto", "h:1: not a history line"),
        ("\n \n", "auto", "h: the file is empty"),
        ("INFO  jepsen.core - nothing here\n", "log", "no client operations"),
    ],
)
def test_malformed_lines_are_refused_with_their_line(text: str, fmt: str, message: str) -> None:
    with pytest.raises(BadHistory) as e:
        formats.read(text, fmt, "h")
    assert message in str(e.value)
    assert "\n" not in str(e.value)


def _ops(*rows: str) -> str:
    return "".join(
        f"{{:process {p}, :type :{t}, :f :{f}, :value {v}}}\n"
        for p, t, f, v in (r.split(maxsplit=3) for r in rows)
    )


@pytest.mark.parametrize(
    ("text", "model", "message"),
    [
        (_ops("0 ok write 1"), models.REGISTER, "h:1: :ok write of process 0 completes nothing"),
        (
            _ops("0 invoke write 1", "0 invoke read nil"),
            models.REGISTER,
            "h:2: process 0 invokes read while its write (invoked at line 1) is still pending",
        ),
        (
            _ops("0 invoke write 1", "1 invoke read nil", "1 ok read nil", "1 invoke read nil")
            + _ops("0 invoke write 2"),
            models.REGISTER,
            "h:5: process 0 invokes write",
        ),
        (
            _ops("0 invoke write 1", "0 ok read 1"),
            models.REGISTER,
            "h:2: :ok read of process 0 completes a write (invoked at line 1)",
        ),
        (
            _ops("0 invoke cas [1 2]", "0 ok cas [1 2]"),
            models.REGISTER,
            "h:1: a read/write object has no operation 'cas'",
        ),
        (_ops("0 invoke cas 1", "0 ok cas 1"), models.CAS_REGISTER, "cas takes [old new]"),
        (_ops("0 invoke write 1", "0 ok write 1"), models.KV, "h:1: a kv operation's value"),
        (
            _ops("0 invoke write [:a 1]", "0 ok write [:b 1]"),
            models.KV,
            "h:2: the completion names key :b",
        ),
        (_ops("0 invoke acquire nil", "0 ok acquire :x"), models.LOCK, "returns its integer"),
        (_ops("0 invoke write 3", "0 ok write 3"), models.LOCK, "takes [token value]"),
    ],
)
def test_ill_formed_histories_are_refused_with_their_line(
    text: str, model: models.Model, message: str
) -> None:
    with pytest.raises(BadHistory) as e:
        history.build(formats.read(text, "edn", "h"), model.validate, "h")
    assert message in str(e.value)


_EDNISH = st.text(
    alphabet=st.sampled_from(list('{}[]():;#"\\ ,\n\t-+.0123456789Nabkfnil')), max_size=40
)


@settings(max_examples=300)
@given(_EDNISH)
def test_any_text_parses_or_is_refused_with_a_column(text: str) -> None:
    try:
        edn.parse(text)
    except EdnError as e:
        assert e.column >= 1


@settings(max_examples=200)
@given(st.sampled_from(["edn", "log", "json", "auto"]), _EDNISH)
def test_any_history_text_reads_or_is_refused_in_one_line(fmt: str, text: str) -> None:
    for candidate in (text, "{:process 0, :type :invoke, :f :read " + text, '{"p": ' + text):
        try:
            events = formats.read(candidate, fmt, "h")
            history.build(events, models.KV.validate, "h")
        except BadHistory as e:
            assert "\n" not in str(e) and str(e).startswith("h")
