"""How a batch of states travels between partitions: pickled, with tuple records rebuilt
by ``tuple.__new__``.

States are trees of NamedTuples. Pickle rebuilds a NamedTuple by calling its class's
``__new__``, a Python function, once per record: a third of the cost of a batch. A
NamedTuple holds nothing but its fields, so ``tuple.__new__(cls, fields)`` (C) rebuilds
the same object; the batches are written so (measured on two-terms' states: loading
twice as fast, writing a quarter faster, 8% more bytes). This module stays Python: the
reducer table subclasses ``dict``, which compiled classes cannot.
"""

from __future__ import annotations

import copyreg
import io
import pickle
from collections.abc import Callable
from typing import Any

_new = tuple.__new__

Reducer = Callable[[Any], Any]


class _Reducers(dict[type, Reducer]):
    """copyreg's reducers, and one for every NamedTuple class met (found on first use)."""

    def __missing__(self, cls: type) -> Reducer:
        fields = getattr(cls, "_fields", None)
        # Only a plain record: a tuple subclass with fields and no instance dictionary
        # (a subclass without __slots__ could carry attributes pickle would then lose).
        if not (issubclass(cls, tuple) and isinstance(fields, tuple) and not cls.__dictoffset__):
            raise KeyError(cls)

        def reduce(record: Any, cls: type = cls) -> Any:
            return _new, (cls, tuple(record))

        self[cls] = reduce
        return reduce


_REDUCERS = _Reducers(copyreg.dispatch_table)


def dumps(obj: object) -> bytes:
    """``obj`` pickled (the highest protocol), its NamedTuples rebuilt by ``tuple.__new__``."""
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = _REDUCERS
    pickler.dump(obj)
    return buffer.getvalue()


loads = pickle.loads

__all__ = ["dumps", "loads"]
