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

from checker.tla.values import parse_values

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


def parse_states(raws: list[RawState]) -> list[dict[str, Any]]:
    """Each state's variables as Python values, in one batch."""
    if not raws:
        return []
    names = [sorted(r.vars) for r in raws]
    texts = [r.vars[k] for r, ks in zip(raws, names, strict=True) for k in ks]
    values = parse_values(texts)
    out: list[dict[str, Any]] = []
    pos = 0
    for ks in names:
        out.append(dict(zip(ks, values[pos : pos + len(ks)], strict=True)))
        pos += len(ks)
    return out


def read_dump(path: Path, batch: int = 2000) -> Iterator[dict[str, Any]]:
    """Every state of a ``-dump`` file, in the file's order (discovery order)."""
    with path.open(encoding="utf-8") as f:
        pending: list[RawState] = []
        for r in raw_states(f):
            pending.append(r)
            if len(pending) >= batch:
                yield from parse_states(pending)
                pending = []
        yield from parse_states(pending)
