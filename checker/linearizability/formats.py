"""History formats: each reader turns text into ``history.Event`` values with their line
numbers, refusing malformed input with ONE ``BadHistory`` naming the line.

- ``edn``: Jepsen's operation maps, one per line (``history.edn``):
  ``{:process 0, :type :invoke, :f :write, :value 3}``. Other keys (``:time``,
  ``:index``, ``:error``) are ignored; a missing ``:value`` is nil; operations of the
  ``:nemesis`` process are skipped.
- ``log``: Jepsen's ``jepsen.util`` log lines, ``INFO  jepsen.util - 0<TAB>:invoke<TAB>
  :write<TAB>3`` (anything before ``jepsen.util`` is ignored: timestamps, thread names).
  Lines that do not mention ``jepsen.util``, or whose message is not tab-separated
  process/type/f fields, are other log output and are skipped.
- ``json``: raftcheck's JSON lines, ``{"process": 0, "type": "invoke", "f": "write",
  "value": 3}``; optional ``"key"`` makes the value ``[key, value]`` (the kv object).

Blank lines are skipped in every format. ``read`` picks the format from the first line
when asked for ``auto``. Another source of events (the client events of an ITF trace)
needs no reader here: it builds ``Event`` values and calls ``history.build``.
"""

from __future__ import annotations

import contextlib
import json
import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from checker.linearizability import edn
from checker.linearizability.edn import EdnError, Keyword
from checker.linearizability.history import BadHistory, Event, Kind

FORMATS = ("auto", "edn", "log", "json", "itf")
_KINDS = {k.value: k for k in Kind}
_NEMESIS = Keyword.of("nemesis")
_PROCESS = Keyword.of("process")
_TYPE = Keyword.of("type")
_F = Keyword.of("f")
_VALUE = Keyword.of("value")


def read_text(path: str) -> tuple[str, str]:
    """The text of ``path`` ('-': stdin) and the name to print in messages."""
    if path == "-":
        data = sys.stdin.buffer.read()
        name = "<stdin>"
    else:
        p = Path(path)
        if p.is_dir():
            raise BadHistory(path, "is a directory, not a history file")
        data = p.read_bytes()
        name = path
    try:
        return data.decode("utf-8"), name
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise BadHistory(f"{name}:{line}", "not UTF-8 text") from None


def detect(text: str, source: str) -> str:
    """The format of ``text`` from its first non-blank line."""
    for n, line in enumerate(text.splitlines(), 1):
        s = line.strip()
        if not s:
            continue
        if "jepsen.util" in s:
            return "log"
        if s.startswith("{"):
            rest = s[1:].lstrip(" ,")
            if rest.startswith('"#meta"') or (not rest and '"#meta"' in text[:4096]):
                return "itf"
            if rest.startswith('"') or rest.startswith("}"):
                return "json"
            return "edn"
        raise BadHistory(
            f"{source}:{n}",
            "not a history line (expected a Jepsen operation map {:process ...}, a "
            "jepsen.util log line or a JSON object; see docs/linearizability.md)",
        )
    raise BadHistory(source, "the file is empty: no operations")


def read(text: str, fmt: str = "auto", source: str = "") -> list[Event]:
    """The events of ``text`` in format ``fmt`` (one of FORMATS)."""
    if fmt == "auto":
        fmt = detect(text, source)
    reader = READERS.get(fmt)
    if reader is None:
        raise BadHistory("", f"unknown history format {fmt!r}; known: {', '.join(FORMATS)}")
    events = list(reader(text, source))
    if not events:
        raise BadHistory(source, f"no client operations in this {fmt} history")
    return events


def _lines(text: str) -> Iterator[tuple[int, str]]:
    for n, line in enumerate(text.split("\n"), 1):
        if line.strip():
            yield n, line


def _kind(value: Any, where: str) -> Kind:
    name = value.name if isinstance(value, Keyword) else value
    if not isinstance(name, str) or name not in _KINDS:
        raise BadHistory(
            where, f"the type is {_show(value)}, not one of :invoke, :ok, :fail, :info"
        )
    return _KINDS[name]


def _f(value: Any, where: str) -> str:
    name = value.name if isinstance(value, Keyword) else value
    if not isinstance(name, str) or not name:
        raise BadHistory(where, f"the operation (f) is {_show(value)}, not a keyword or a name")
    return name


def _process(value: Any, where: str) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | str | Keyword):
        raise BadHistory(where, f"the process is {_show(value)}, not an integer or a name")
    return value


def _show(value: Any) -> str:
    return edn.show(value)


_KIND_OF = {Keyword(k.value): k for k in Kind}


def read_edn(text: str, source: str = "") -> Iterator[Event]:
    kinds = _KIND_OF
    for n, line in _lines(text):
        try:
            op = edn.parse(line)
        except EdnError as e:
            raise BadHistory(_at(source, n), f"malformed EDN at {e}") from None
        if not isinstance(op, dict):
            raise BadHistory(
                _at(source, n), f"expected an operation map {{:process ...}}, got {_show(op)}"
            )
        try:
            process, kind, f = op[_PROCESS], op[_TYPE], op[_F]
        except KeyError as e:
            raise BadHistory(_at(source, n), f"the operation map has no {e.args[0]!r}") from None
        if process is _NEMESIS:
            continue
        # The common case in two dictionary look-ups; anything else goes through the
        # checks that name the problem.
        k = kinds.get(kind)
        if k is None:
            k = _kind(kind, _at(source, n))
        if type(process) is not int:
            process = _process(process, _at(source, n))
        yield Event(
            process,
            k,
            f.name if type(f) is Keyword else _f(f, _at(source, n)),
            op.get(_VALUE),
            n,
        )


def _at(source: str, n: int) -> str:
    return f"{source}:{n}" if source else f"line {n}"


_LOG = re.compile(r"jepsen\.util\s*(?:-|:)\s?(.*)$")


def read_log(text: str, source: str = "") -> Iterator[Event]:
    for n, line in _lines(text):
        m = _LOG.search(line)
        if m is None:
            continue
        fields = m.group(1).split("\t")
        if len(fields) < 3:
            continue  # another jepsen.util message
        where = f"{source}:{n}" if source else f"line {n}"
        try:
            process, kind, f = (edn.parse(x) for x in fields[:3])
            value = edn.parse(fields[3]) if len(fields) > 3 and fields[3].strip() else None
        except EdnError as e:
            raise BadHistory(where, f"malformed EDN in a jepsen.util operation: {e}") from None
        if process is _NEMESIS:
            continue
        yield Event(_process(process, where), _kind(kind, where), _f(f, where), value, n)


def _from_json(value: Any, where: str) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, list):
        return tuple(_from_json(v, where) for v in value)
    what = "an object" if isinstance(value, dict) else f"a {type(value).__name__}"
    raise BadHistory(
        where, f"a value may be null, a boolean, an integer, a string or an array, not {what}"
    )


def read_json(text: str, source: str = "") -> Iterator[Event]:
    for n, line in _lines(text):
        where = f"{source}:{n}" if source else f"line {n}"
        try:
            op = json.loads(line)
        except json.JSONDecodeError as e:
            raise BadHistory(where, f"malformed JSON at column {e.colno}: {e.msg}") from None
        except RecursionError:
            raise BadHistory(where, "JSON nested too deeply") from None
        if not isinstance(op, dict):
            raise BadHistory(where, "expected a JSON object per line")
        for k in ("process", "type", "f"):
            if k not in op:
                raise BadHistory(where, f"the operation has no {k!r}")
        unknown = sorted(set(op) - {"process", "type", "f", "value", "key"})
        if unknown:
            raise BadHistory(where, f"unknown field {unknown[0]!r}")
        value = _from_json(op.get("value"), where)
        if "key" in op:
            value = (_from_json(op["key"], where), value)
        yield Event(
            _process(op["process"], where), _kind(op["type"], where), _f(op["f"], where), value, n
        )


def _from_itf(value: Any, where: str) -> Any:
    # ITF values: {"#bigint": "n"} integers, arrays, null, booleans, strings.
    if isinstance(value, dict):
        if set(value) == {"#bigint"} and isinstance(value["#bigint"], str):
            try:
                return int(value["#bigint"])
            except ValueError:
                pass
        raise BadHistory(
            where, f"an ITF history value must be a #bigint, an array or null, not {value}"
        )
    if isinstance(value, list):
        return tuple(_from_itf(v, where) for v in value)
    return _from_json(value, where)


def read_itf(text: str, source: str = "") -> Iterator[Event]:
    """The client events of an ITF trace written by raftcheck's service (checker.service):
    the last state's ``history``, a list of ``{"process", "type", "f", "value"}`` records
    in real-time order; an event's "line" is its position in that list."""
    where = source or "the trace"
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as e:
        raise BadHistory(
            f"{where}:{e.lineno}", f"malformed JSON at column {e.colno}: {e.msg}"
        ) from None
    except RecursionError:
        raise BadHistory(where, "JSON nested too deeply") from None
    states = obj.get("states") if isinstance(obj, dict) else None
    if not isinstance(states, list) or not states or not isinstance(states[-1], dict):
        raise BadHistory(where, "not an ITF trace: no states")
    if "history" not in states[-1]:
        raise BadHistory(
            where, "the trace's states have no 'history' variable (a cluster trace has no clients)"
        )
    history = states[-1]["history"]
    if not isinstance(history, list):
        raise BadHistory(where, "the last state's 'history' is not a list of client events")
    if not history and states[-1].get("lockHistory"):
        raise BadHistory(
            where,
            "no key-value operations: this trace's client events are lock events "
            "('lockHistory'), judged by the FencedWrites property (raftcheck replay), not "
            "by the lock object, which has no leases",
        )
    for n, ev in enumerate(history, 1):
        at = f"{where}: history event {n}"
        if not isinstance(ev, dict):
            raise BadHistory(at, "expected a record {process, type, f, value}")
        for k in ("process", "type", "f"):
            if k not in ev:
                raise BadHistory(at, f"the event has no {k!r}")
        unknown = sorted(set(ev) - {"process", "type", "f", "value"})
        if unknown:
            raise BadHistory(at, f"unknown field {unknown[0]!r}")
        yield Event(
            _process(_from_itf(ev["process"], at), at),
            _kind(ev["type"], at),
            _f(ev["f"], at),
            _from_itf(ev.get("value"), at),
            n,
        )


READERS: dict[str, Callable[[str, str], Iterator[Event]]] = {
    "edn": read_edn,
    "log": read_log,
    "json": read_json,
    "itf": read_itf,
}


# --- writers (the generator, tests, and conversions) -----------------------------------------


def to_edn(ev: Event) -> str:
    p = edn.show(ev.process)
    v = edn.show(ev.value)
    return f"{{:process {p}, :type :{ev.kind.value}, :f :{ev.f}, :value {v}}}"


def to_log(ev: Event) -> str:
    return (
        f"INFO  jepsen.util - {edn.show(ev.process)}\t:{ev.kind.value}\t:{ev.f}\t"
        f"{edn.show(ev.value)}"
    )


def _to_json_value(v: Any) -> Any:
    if isinstance(v, tuple):
        return [_to_json_value(x) for x in v]
    if isinstance(v, Keyword):
        return v.name
    return v


def to_json(ev: Event, keyed: bool = False) -> str:
    """One JSON line; ``keyed``: the value is ``(key, value)``, written as the kv object's
    ``"key"`` and ``"value"`` (so that the reader knows the history is keyed)."""
    op: dict[str, Any] = {"process": _to_json_value(ev.process), "type": ev.kind.value, "f": ev.f}
    if keyed:
        key, value = ev.value
        op["key"] = _to_json_value(key)
        op["value"] = _to_json_value(value)
    else:
        op["value"] = _to_json_value(ev.value)
    return json.dumps(op)


def keyed(text: str, fmt: str = "auto", source: str = "") -> bool:
    """Whether the history says its values are ``[key value]``: JSON lines with ``"key"``,
    or the client events of an ITF trace (the service's key-value store). Other formats
    cannot say it: a ``[a b]`` value may as well be a cas-register's ``[old new]``."""
    if fmt == "auto":
        fmt = detect(text, source)
    if fmt == "itf":
        return True
    if fmt != "json":
        return False
    for _, line in _lines(text):
        with contextlib.suppress(json.JSONDecodeError, RecursionError):
            op = json.loads(line)
            if isinstance(op, dict) and "key" in op:
                return True
    return False


WRITERS: dict[str, Callable[[Event], str]] = {"edn": to_edn, "log": to_log, "json": to_json}
