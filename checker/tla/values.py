"""TLC's printed values (state dumps, counterexamples) as hashable Python values.

TLC prints values in TLA+ syntax: ``42``, ``TRUE``, ``"Leader"``, model values as bare
names, ``{...}`` sets, ``<<...>>`` sequences (and functions whose domain is 1..n),
``[f |-> v, ...]`` records and ``(k :> v @@ ...)`` functions. Parsing is the hot path
of a cross-check (hundreds of thousands of states), so the text is rewritten token by
token into a Python call expression and compiled by CPython's own parser:
``<<`` -> ``Q(``, ``{`` -> ``S(``, ``[f |->`` -> ``R(f=``, ``(`` -> ``F(``, ``:>`` and
``@@`` -> ``,``. Only TLC's output is parsed this way, and the evaluation has no
builtins and only these constructors in scope.

Python values: int, bool, str, ``ModelValue``, ``frozenset``, ``tuple`` (a sequence,
or a function with domain 1..n, which TLC prints the same way), ``Record`` and ``Fcn``
(both immutable, hashable mappings).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any


class ModelValue(str):
    """A TLC model value (an uninterpreted constant such as ``s1`` or ``Nil``)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"ModelValue({str(self)!r})"


class FrozenMap(Mapping[Any, Any]):
    """An immutable, hashable mapping."""

    __slots__ = ("_d", "_h")

    def __init__(self, items: Mapping[Any, Any] | Any = ()) -> None:
        self._d: dict[Any, Any] = dict(items)
        self._h: int | None = None

    def __getitem__(self, k: Any) -> Any:
        return self._d[k]

    def __iter__(self) -> Iterator[Any]:
        return iter(self._d)

    def __len__(self) -> int:
        return len(self._d)

    def __hash__(self) -> int:
        if self._h is None:
            self._h = hash(frozenset(self._d.items()))
        return self._h

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, FrozenMap):
            return NotImplemented
        return type(self) is type(other) and self._d == other._d

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._d!r})"


class Record(FrozenMap):
    """A TLA+ record ``[field |-> value, ...]``."""

    __slots__ = ()


class Fcn(FrozenMap):
    """A TLA+ function printed as ``(k1 :> v1 @@ k2 :> v2)``."""

    __slots__ = ()


class TLAValueError(ValueError):
    """Text that is not a value as TLC prints it."""


def _q(*xs: Any) -> tuple[Any, ...]:
    return xs


def _s(*xs: Any) -> frozenset[Any]:
    return frozenset(xs)


def _r(**kw: Any) -> Record:
    return Record(kw)


def _f(*xs: Any) -> Fcn:
    return Fcn(zip(xs[::2], xs[1::2], strict=True))


class _Names(dict[str, Any]):
    """Name lookup during evaluation: the constructors, booleans, else a model value."""

    def __missing__(self, key: str) -> Any:
        return ModelValue(key)


_SCOPE = {"Q": _q, "S": _s, "R": _r, "F": _f, "TRUE": True, "FALSE": False}

_TOKEN = re.compile(
    r'"(?:[^"\\]|\\.)*"'  # a string: copied as is
    r"|([A-Za-z_][A-Za-z0-9_]*)\s*\|->"  # a record field
    r"|<<|>>|:>|@@|[\[\]{}()]"
)
_REWRITE = {
    "<<": "Q(",
    ">>": ")",
    "[": "R(",
    "]": ")",
    "{": "S(",
    "}": ")",
    "(": "F(",
    ")": ")",
    ":>": ",",
    "@@": ",",
}
#: Outside strings, TLC values use only these characters (no dots: no attribute access).
_FORBIDDEN = re.compile(r"[^\sA-Za-z0-9_\",()\[\]{}<>|:@\-]")


def _sub(m: re.Match[str]) -> str:
    text = m.group(0)
    if text[0] == '"':
        return text
    field = m.group(1)
    if field is not None:
        return f"{field}="
    return _REWRITE[text]


def to_python_source(text: str) -> str:
    """Rewrite TLC-printed value text into the constructor-call expression."""
    return _TOKEN.sub(_sub, text)


def evaluate(source: str) -> Any:
    """Evaluate rewritten text (see ``to_python_source``)."""
    try:
        return eval(source, {"__builtins__": {}}, _Names(_SCOPE))
    except Exception as e:  # SyntaxError, TypeError from a malformed value
        raise TLAValueError(f"cannot read a TLC value: {e}") from None


def parse_value(text: str) -> Any:
    """Parse one value as TLC prints it."""
    bad = _FORBIDDEN.search(re.sub(r'"(?:[^"\\]|\\.)*"', '""', text))
    if bad:
        raise TLAValueError(f"unexpected character {bad.group(0)!r} in a TLC value")
    return evaluate(to_python_source(text))


def parse_values(texts: list[str]) -> list[Any]:
    """Parse many values with one compilation (much faster than one by one)."""
    if not texts:
        return []
    joined = "\x00".join(texts)
    bad = _FORBIDDEN.search(re.sub(r'"(?:[^"\\]|\\.)*"', '""', joined).replace("\x00", " "))
    if bad:
        raise TLAValueError(f"unexpected character {bad.group(0)!r} in a TLC value")
    src = "(" + ",\n".join(to_python_source(t) for t in texts) + ",)"
    out = evaluate(src)
    assert isinstance(out, tuple)
    return list(out)


# --- writing TLA+ values ------------------------------------------------------------------


def tla(v: Any) -> str:
    """A Python value (as produced by this module, or plain ints/strs/tuples) in TLA+."""
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, ModelValue):
        return str(v)
    if isinstance(v, int):
        return str(v)
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, frozenset | set):
        return "{" + ", ".join(sorted(tla(x) for x in v)) + "}"
    if isinstance(v, tuple | list):
        return "<<" + ", ".join(tla(x) for x in v) + ">>"
    if isinstance(v, Record):
        return "[" + ", ".join(f"{k} |-> {tla(x)}" for k, x in v.items()) + "]"
    if isinstance(v, Fcn):
        if not v:
            return "<< >>"
        pairs = sorted(f"{tla(k)} :> {tla(x)}" for k, x in v.items())
        return "(" + " @@ ".join(pairs) + ")"
    raise TypeError(f"no TLA+ form for {v!r}")
