"""A small, strict subset of EDN (https://github.com/edn-format/edn): what Jepsen's
operation maps use and nothing more.

Accepted: ``nil``, ``true``, ``false``, integers (``-3``, ``+4``, ``7N``), strings with
the escapes ``\\" \\\\ \\n \\t \\r``, keywords (``:write``, ``:jepsen.x/y``), vectors
``[...]`` and maps ``{...}``; commas are whitespace. Everything else (floats, symbols,
lists, sets, tagged literals, characters, comments) is refused with the column where it
starts: a history we half understand is worse than one we refuse.

Values map to Python as: nil -> None, booleans -> bool, integers -> int, strings -> str,
keywords -> ``Keyword`` (interned, so ``is`` compares them), vectors -> tuple (hashable,
so a vector can be a model state or a map key), maps -> dict.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

#: How deep vectors and maps may nest: deeper is refused rather than a RecursionError.
MAX_DEPTH = 64


class Keyword:
    """An EDN keyword such as ``:write``. Keywords are interned (``Keyword("write")`` is
    always the same object), so they compare and hash by identity: fast as dict keys."""

    __slots__ = ("name",)
    _interned: ClassVar[dict[str, Keyword]] = {}

    name: str

    def __new__(cls, name: str) -> Keyword:
        k = cls._interned.get(name)
        if k is None:
            k = object.__new__(cls)
            k.name = name
            cls._interned[name] = k
        return k

    @classmethod
    def of(cls, name: str) -> Keyword:
        return cls(name)

    def __repr__(self) -> str:
        return ":" + self.name

    def __lt__(self, other: Keyword) -> bool:
        return self.name < other.name

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        return (Keyword, (self.name,))


class EdnError(ValueError):
    """Text that is not in the subset; ``column`` is 1-based."""

    def __init__(self, column: int, problem: str) -> None:
        super().__init__(f"column {column}: {problem}")
        self.column = column
        self.problem = problem


_SPACE = re.compile(r"[\s,]*")
_INT = re.compile(r"[+-]?\d+N?(?![\w.*+!?$%&=<>/:#'-])")
_KEYWORD = re.compile(r":([A-Za-z0-9*+!_?$%&=<>./-][A-Za-z0-9*+!_?$%&=<>./:#'-]*)")
_WORD = re.compile(r"[A-Za-z*+!_?$%&=<>./-][A-Za-z0-9*+!_?$%&=<>./:#'-]*")
_NUMBERISH = re.compile(r"[+-]?\d[\w.+-]*")
_STRING_PLAIN = re.compile(r'[^"\\]*')
_ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "t": "\t", "r": "\r"}
_WORDS: dict[str, Any] = {"nil": None, "true": True, "false": False}


# The fast path: one regex tokenizes a line; anything unusual (a catch-all character, a
# bracket that does not match, an escape) falls back to the careful parser below, which
# finds the same problem and says where.
_TOKENS = re.compile(
    r"""[\s,]*(?:([\[\]{}])|:([A-Za-z0-9*+!_?$%&=<>./-][A-Za-z0-9*+!_?$%&=<>./:#'-]*)"""
    r"""|([+-]?\d+)N?(?=[\s,\]}]|$)|"([^"\\]*)"|(nil|true|false)(?=[\s,\]}]|$)|(.))"""
)
_INTERNED = Keyword._interned


class _Slow(Exception):
    pass


# The fastest path, for the shape of nearly every Jepsen line: a map from keywords to
# scalars or vectors of scalars. The whole line is checked by one regex, the pairs found by
# another, and only the values are converted in Python.
_KW = r"[A-Za-z0-9*+!_?$%&=<>./-][A-Za-z0-9*+!_?$%&=<>./:#'-]*"
_SCALAR = rf"(?::{_KW}|[+-]?\d+N?|nil|true|false)(?=[\s,\]}}])"
_VALUE = rf"(?:{_SCALAR}|\[[\s,]*(?:{_SCALAR}[\s,]*)*\])"
_PAIR = re.compile(rf"[\s,]*:({_KW})[\s,]+({_VALUE})")
_FLAT_MAP = re.compile(rf"\s*\{{(?:[\s,]*:{_KW}[\s,]+{_VALUE})*[\s,]*\}}\s*")
_SCALARS = re.compile(_SCALAR)


def _scalar(tok: str) -> Any:
    c = tok[0]
    if c == ":":
        name = tok[1:]
        return _INTERNED.get(name) or Keyword(name)
    if c == "n":
        return None
    if c == "t":
        return True
    if c == "f":
        return False
    return int(tok.rstrip("N"))


def _flat_map(text: str) -> dict[Any, Any] | None:
    if _FLAT_MAP.fullmatch(text) is None:
        return None
    out: dict[Any, Any] = {}
    pairs = _PAIR.findall(text)
    for k, v in pairs:
        name = _INTERNED.get(k) or Keyword(k)
        if v[0] == "[":
            out[name] = tuple(_scalar(t) for t in _SCALARS.findall(v))
        else:
            out[name] = _scalar(v)
    if len(out) != len(pairs):
        return None  # a repeated key: the careful parser says which
    return out


def parse(text: str) -> Any:
    """The one EDN value in ``text`` (surrounding whitespace allowed); raises EdnError."""
    flat = _flat_map(text)
    if flat is not None:
        return flat
    try:
        return _fast(text)
    except _Slow:
        pass
    return _careful(text)


def _fast(text: str) -> Any:
    stack: list[tuple[str, list[Any]]] = []
    done = False
    result: Any = None
    for br, kw, num, s, word, bad in _TOKENS.findall(text):
        if bad or done:
            raise _Slow
        if br:
            if br == "[" or br == "{":
                if len(stack) >= MAX_DEPTH:
                    raise _Slow
                stack.append((br, []))
                continue
            if not stack:
                raise _Slow
            opened, items = stack.pop()
            if br == "]":
                if opened != "[":
                    raise _Slow
                value: Any = tuple(items)
            else:
                if opened != "{" or len(items) % 2:
                    raise _Slow
                try:
                    value = dict(zip(items[::2], items[1::2], strict=True))
                except TypeError:
                    raise _Slow from None
                if 2 * len(value) != len(items):
                    raise _Slow
        elif kw:
            value = _INTERNED.get(kw) or Keyword.of(kw)
        elif num:
            value = int(num)
        elif word:
            value = _WORDS[word]
        else:
            value = s
        if stack:
            stack[-1][1].append(value)
        else:
            result = value
            done = True
    if stack or not done:
        raise _Slow
    return result


def _careful(text: str) -> Any:
    p = _Parser(text)
    p.skip()
    if p.pos >= len(text):
        raise EdnError(1, "no value")
    value = p.value(0)
    p.skip()
    if p.pos < len(text):
        raise EdnError(p.pos + 1, f"unexpected text after the value: {text[p.pos : p.pos + 20]!r}")
    return value


class _Parser:
    __slots__ = ("pos", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def skip(self) -> None:
        m = _SPACE.match(self.text, self.pos)
        assert m is not None  # the pattern matches the empty string
        self.pos = m.end()

    def fail(self, problem: str, at: int | None = None) -> EdnError:
        return EdnError((self.pos if at is None else at) + 1, problem)

    def value(self, depth: int) -> Any:
        text, pos = self.text, self.pos
        if pos >= len(text):
            raise self.fail("the line ends inside a value")
        c = text[pos]
        if c == ":":
            m = _KEYWORD.match(text, pos)
            if m is None:
                raise self.fail("a ':' that does not start a keyword")
            self.pos = m.end()
            return Keyword.of(m.group(1))
        if c.isdigit() or (c in "+-" and pos + 1 < len(text) and text[pos + 1].isdigit()):
            m = _INT.match(text, pos)
            if m is None:
                bad = _NUMBERISH.match(text, pos)
                shown = bad.group(0) if bad else c
                raise self.fail(f"only integers are supported, not {shown!r}")
            self.pos = m.end()
            return int(m.group(0).rstrip("N"))
        if c == "[":
            return self.vector(depth)
        if c == "{":
            return self.map(depth)
        if c == '"':
            return self.string()
        m = _WORD.match(text, pos)
        if m is not None:
            word = m.group(0)
            if word in _WORDS:
                self.pos = m.end()
                return _WORDS[word]
            raise self.fail(f"symbols are not supported: {word!r}")
        what = {
            "(": "lists",
            "#": "sets and tagged literals",
            "\\": "characters",
            ";": "comments",
            "]": "a ']'",
            "}": "a '}'",
        }.get(c)
        if what is not None and what.startswith("a "):
            raise self.fail(f"{what} without its opening bracket")
        if what is not None:
            raise self.fail(f"{what} are not supported")
        raise self.fail(f"unexpected character {c!r}")

    def _items(self, close: str, depth: int) -> list[Any]:
        if depth >= MAX_DEPTH:
            raise self.fail(f"nested deeper than {MAX_DEPTH}")
        start = self.pos
        self.pos += 1
        items: list[Any] = []
        while True:
            self.skip()
            if self.pos >= len(self.text):
                raise self.fail(f"{self.text[start]!r} opened at column {start + 1} is not closed")
            if self.text[self.pos] == close:
                self.pos += 1
                return items
            items.append(self.value(depth + 1))

    def vector(self, depth: int) -> tuple[Any, ...]:
        return tuple(self._items("]", depth))

    def map(self, depth: int) -> dict[Any, Any]:
        start = self.pos
        items = self._items("}", depth)
        if len(items) % 2:
            raise self.fail(f"the map at column {start + 1} has a key without a value", start)
        out: dict[Any, Any] = {}
        for k, v in zip(items[::2], items[1::2], strict=True):
            try:
                if k in out:
                    raise self.fail(f"the map at column {start + 1} repeats the key {show(k)}")
            except TypeError:
                raise self.fail(f"the map at column {start + 1} has a map as a key") from None
            out[k] = v
        return out

    def string(self) -> str:
        text = self.text
        start = self.pos
        self.pos += 1
        parts: list[str] = []
        while True:
            m = _STRING_PLAIN.match(text, self.pos)
            assert m is not None
            parts.append(m.group(0))
            self.pos = m.end()
            if self.pos >= len(text):
                raise self.fail(f"the string opened at column {start + 1} is not closed", start)
            if text[self.pos] == '"':
                self.pos += 1
                return "".join(parts)
            esc = text[self.pos + 1 : self.pos + 2]
            if esc not in _ESCAPES:
                raise self.fail(f"unsupported escape \\{esc} in a string")
            parts.append(_ESCAPES[esc])
            self.pos += 2


def show(value: Any) -> str:
    """``value`` written back as EDN (vectors, maps, keywords, nil): for messages."""
    if value is None:
        return "nil"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, tuple):
        return "[" + " ".join(show(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{show(k)} {show(v)}" for k, v in value.items()) + "}"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    return repr(value)
