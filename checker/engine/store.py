"""Compact storage for the search: a fingerprint set in a flat array, and a BFS queue
that spills to disk (as TLC's DiskStateQueue does).

A Python ``set`` of 64-bit ints costs about 80 bytes per fingerprint (a 32-byte int
object plus hash-table slots); the open-addressing table here stores the fingerprint
itself in an ``array('q')``: 8 bytes a slot, kept at most half full, so 16 to 32 bytes
per state. The probing runs in Python, but one probe is a few hundred nanoseconds
against tens of microseconds to generate the state.

The queue keeps at most ``buffer`` states in memory at each end; the middle is written
to a temporary file in pickled batches and read back in order, so a wide BFS level costs
disk, not RAM. The file is deleted when the queue is closed or collected. A raft state
held in memory costs about 1 to 1.5 KB and pickled about 180 bytes, but pickling and
loading it back costs about 13 microseconds of the 180 a state costs the compiled search:
the default buffer (50,000 states at each end, some 150 MB at most) keeps the queues of
the presets that finish in minutes off the disk (two-terms peaks at 30,000) and caps the
memory of the wider ones.
"""

from __future__ import annotations

import pickle
from array import array
from collections import deque
from typing import IO, Final, Generic, TypeVar

from mypy_extensions import i64

T = TypeVar("T")

_EMPTY: Final = 0
_ZERO: Final = 1  # the fingerprint 0 is stored as 1, since 0 marks an empty slot


class FingerprintSet:
    """A set of 64-bit signed ints (fingerprints) in open-addressing flat arrays."""

    def __init__(self, capacity: int = 1 << 16) -> None:
        size = 1 << max(4, (capacity * 2 - 1).bit_length())
        self._table = array("q", bytes(8 * size))
        self._mask: i64 = size - 1
        self._len = 0
        # Fingerprints 0 and 1 would share a slot value; keep them apart exactly.
        self._zero = False
        self._one = False

    def __len__(self) -> int:
        return self._len

    def nbytes(self) -> int:
        return self._table.itemsize * len(self._table)

    def add(self, fp: int) -> bool:
        """Insert ``fp``; return True if it was not there before."""
        # i64: the compiled build does the probing's arithmetic on machine words (a
        # fingerprint is a full 64-bit hash, past the small ints mypyc keeps unboxed);
        # in pure Python it is int.
        x: i64 = fp
        if x == 0 or x == _ZERO:
            if x == 0:
                if self._zero:
                    return False
                self._zero = True
            else:
                if self._one:
                    return False
                self._one = True
            self._len += 1
            return True
        table = self._table
        mask: i64 = self._mask
        i = x & mask
        while True:
            v: i64 = table[i]
            if v == _EMPTY:
                table[i] = x
                self._len += 1
                if self._len * 2 > len(table):
                    self._grow()
                return True
            if v == x:
                return False
            i = (i + 1) & mask

    def __contains__(self, fp: object) -> bool:
        if not isinstance(fp, int):
            return False
        try:
            x: i64 = fp
        except (ValueError, OverflowError):  # compiled: past 64 bits, so never added
            return False
        if x == 0:
            return self._zero
        if x == _ZERO:
            return self._one
        table = self._table
        mask: i64 = self._mask
        i = x & mask
        while True:
            v: i64 = table[i]
            if v == _EMPTY:
                return False
            if v == x:
                return True
            i = (i + 1) & mask

    def _grow(self) -> None:
        old = self._table
        size = len(old) * 2
        table = array("q", bytes(8 * size))
        mask = size - 1
        for v in old:
            if v != _EMPTY:
                i = v & mask
                while table[i] != _EMPTY:
                    i = (i + 1) & mask
                table[i] = v
        self._table, self._mask = table, mask


class SpillQueue(Generic[T]):
    """A FIFO queue that holds at most about ``2 * buffer`` items in memory."""

    def __init__(self, buffer: int = 50_000) -> None:
        self._buffer = buffer
        self._head: deque[T] = deque()  # next to pop
        self._tail: list[T] = []  # last pushed
        self._file: IO[bytes] | None = None
        self._batches = 0  # batches on disk not yet read
        self._read_pos = 0
        self._len = 0

    def __len__(self) -> int:
        return self._len

    def append(self, item: T) -> None:
        self._len += 1
        if self._batches == 0 and not self._tail and len(self._head) < self._buffer:
            self._head.append(item)
            return
        self._tail.append(item)
        if len(self._tail) >= self._buffer:
            self._spill()

    def popleft(self) -> T:
        if not self._head:
            self._refill()
        self._len -= 1
        return self._head.popleft()

    def _spill(self) -> None:
        if self._file is None:
            # Imported here: tempfile (and random, shutil) is 3 ms of every check's start,
            # and most searches never spill.
            import tempfile

            # Lives as long as the queue, so no context manager; close() and __del__ end it.
            self._file = tempfile.TemporaryFile(prefix="raftcheck-queue-")  # noqa: SIM115
        self._file.seek(0, 2)
        pickle.dump(self._tail, self._file, protocol=pickle.HIGHEST_PROTOCOL)
        self._batches += 1
        self._tail = []

    def _refill(self) -> None:
        if self._batches:
            assert self._file is not None
            self._file.seek(self._read_pos)
            batch: list[T] = pickle.load(self._file)
            self._read_pos = self._file.tell()
            self._batches -= 1
            self._head.extend(batch)
            if self._batches == 0:
                # Everything on disk has been read: start the file afresh.
                self._file.seek(0)
                self._file.truncate()
                self._read_pos = 0
        else:
            self._head.extend(self._tail)
            self._tail = []
        if not self._head:
            raise IndexError("pop from an empty queue")

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def __del__(self) -> None:
        self.close()
