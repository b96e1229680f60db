"""The search's compact storage: the fingerprint set and the spilling queue."""

from __future__ import annotations

import random
from collections import deque

from hypothesis import given
from hypothesis import strategies as st

from checker.engine.store import FingerprintSet, SpillQueue

INT64 = st.integers(min_value=-(2**63), max_value=2**63 - 1)


@given(st.lists(st.one_of(INT64, st.sampled_from([0, 1, -1, 2**63 - 1, -(2**63)]))))
def test_fingerprint_set_behaves_like_a_set(xs: list[int]) -> None:
    fs, ref = FingerprintSet(capacity=4), set()
    for x in xs:
        assert fs.add(x) == (x not in ref)
        ref.add(x)
        assert x in fs
    assert len(fs) == len(ref)
    for x in xs:
        assert x in fs
        assert (x + 1 in fs) == (x + 1 in ref)


def test_fingerprint_set_grows_and_stays_compact() -> None:
    rng = random.Random(7)
    fs = FingerprintSet(capacity=16)
    xs = [rng.getrandbits(64) - 2**63 for _ in range(100_000)]
    for x in xs:
        fs.add(x)
    assert len(fs) == len(set(xs))
    assert all(x in fs for x in xs[:1000])
    assert fs.nbytes() / len(fs) <= 33


@given(st.lists(st.one_of(st.integers(0, 10**6), st.none()), max_size=400), st.integers(1, 7))
def test_spill_queue_is_fifo(ops: list[int | None], buffer: int) -> None:
    q: SpillQueue[int] = SpillQueue(buffer=buffer)
    ref: deque[int] = deque()
    for op in ops:
        if op is None:
            if ref:
                assert q.popleft() == ref.popleft()
        else:
            q.append(op)
            ref.append(op)
        assert len(q) == len(ref)
    while ref:
        assert q.popleft() == ref.popleft()
    q.close()
