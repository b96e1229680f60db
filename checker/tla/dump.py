"""TLC's state listings: the ``-dump`` file of a state space and the states of a trace.

Both print a state as a header line (``State 12:``, or ``State 3: <Receive line ... of
module Raft>`` in a counterexample) and one ``/\\ var = value`` conjunct per variable,
a value continuing on lines that start with a space. Values are parsed in batches by
``checker.tla.values.parse_values``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

from checker.tla.values import Fcn, parse_values

_HEADER = re.compile(r"^State (\d+):(.*)$")
_CONJUNCT = re.compile(r"^/\\ ([A-Za-z_][A-Za-z0-9_]*) = (.*)$")
_ACTION = re.compile(r"<([A-Za-z_][A-Za-z0-9_]*)[ >]")


class RawState(NamedTuple):
    """A state as TLC printed it: its number, header text and each variable's text."""

    number: int
    header: str
    vars: dict[str, str]

    @property
    def action(self) -> str | None:
        """The action named in a counterexample header (None for the initial state)."""
        m = _ACTION.search(self.header)
        if m is None or m.group(1) == "Initial":
            return None
        return m.group(1)


def raw_states(lines: Iterable[str]) -> Iterator[RawState]:
    """Split TLC's listing into states; stops at the first line that is not part of one."""
    number, header = -1, ""
    cur: dict[str, list[str]] = {}
    last: str | None = None

    def flush() -> RawState:
        return RawState(number, header, {k: "\n".join(v) for k, v in cur.items()})

    for raw in lines:
        line = raw.rstrip("\n")
        h = _HEADER.match(line)
        if h:
            if number >= 0:
                yield flush()
            number, header, cur, last = int(h.group(1)), h.group(2).strip(), {}, None
            continue
        if number < 0:
            continue
        c = _CONJUNCT.match(line)
        if c:
            last = c.group(1)
            cur[last] = [c.group(2)]
        elif line.startswith(" ") and last is not None:
            cur[last].append(line)
        elif line.strip() == "":
            continue
        else:
            yield flush()
            number = -1
            cur, last = {}, None
    if number >= 0:
        yield flush()


# A record whose fields may hold sequences of records (a message and its entries).
_REC = r'\[(?:[^\[\]"]|"[^"]*"|\[(?:[^\[\]"]|"[^"]*")*\])*\]'
_RECORD = re.compile(_REC)
_BAG_PAIR = re.compile(rf"({_REC})\s*:>\s*(\d+)")
_SET_REST = re.compile(r"[{},\s]*")
_BAG_REST = re.compile(r"[(),\s@]*")
_SPACED_STRING = re.compile(r'"[^"]*\s[^"]*"')


class StateParser:
    """Parses states with caches: a cross-check reads hundreds of thousands of states
    whose variables repeat, and whose message sets share most of their messages.

    A whole variable's text is parsed once per distinct text; a set of records, or a
    function from records to numbers (the bag), is split into its records, and each
    distinct record (whitespace removed: TLC breaks lines by position) is parsed once.
    """

    def __init__(self) -> None:
        self.whole: dict[str, Any] = {}
        self.records: dict[str, Any] = {}

    def _record_values(self, texts: list[str]) -> list[Any]:
        keys = []
        todo: dict[str, str] = {}
        for t in texts:
            k = t if _SPACED_STRING.search(t) else "".join(t.split())
            keys.append(k)
            if k not in self.records and k not in todo:
                todo[k] = t
        if todo:
            for k, v in zip(todo, parse_values(list(todo.values())), strict=True):
                self.records[k] = v
        return [self.records[k] for k in keys]

    def _collection(self, text: str) -> Any:
        """A set of records or a bag of records, or None if ``text`` is neither."""
        head = text.lstrip()[:1]
        if head == "{":
            recs = _RECORD.findall(text)
            if recs and _SET_REST.fullmatch(_RECORD.sub("", text)):
                return frozenset(self._record_values(recs))
        elif head == "(":
            pairs = _BAG_PAIR.findall(text)
            if pairs and _BAG_REST.fullmatch(_BAG_PAIR.sub("", text)):
                vals = self._record_values([r for r, _ in pairs])
                return Fcn({v: int(c) for v, (_, c) in zip(vals, pairs, strict=True)})
        return None

    def parse(self, raws: list[RawState]) -> list[dict[str, Any]]:
        # Collections are split into records and not kept whole: their texts are mostly
        # distinct and large (most of a dump), so keeping them would cost memory only.
        todo: dict[str, None] = {}
        split: dict[str, Any] = {}
        for r in raws:
            for t in r.vars.values():
                if t not in self.whole and t not in todo and t not in split:
                    v = self._collection(t)
                    if v is None:
                        todo[t] = None
                    else:
                        split[t] = v
        if todo:
            for t, v in zip(todo, parse_values(list(todo)), strict=True):
                self.whole[t] = v
        return [
            {k: split[t] if t in split else self.whole[t] for k, t in r.vars.items()} for r in raws
        ]


def parse_states(raws: list[RawState]) -> list[dict[str, Any]]:
    """Each state's variables as Python values, in one batch."""
    return StateParser().parse(raws)


def read_dump(path: Path, batch: int = 2000) -> Iterator[dict[str, Any]]:
    """Every state of a ``-dump`` file, in the file's order (discovery order)."""
    parser = StateParser()
    with path.open(encoding="utf-8") as f:
        pending: list[RawState] = []
        for r in raw_states(f):
            pending.append(r)
            if len(pending) >= batch:
                yield from parser.parse(pending)
                pending = []
        yield from parser.parse(pending)
