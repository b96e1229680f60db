"""The linearizability search: Wing & Gong's backtracking with Lowe's memoisation, as
Porcupine's ``checker.go`` does it, over each independent part of a history.

Wing & Gong (1993): walk the history's call and return events in time order; at a call,
try to linearize that operation now (the model accepts its output in the current state),
remove ("lift") its call and return from the list and start again from the head; at a
return whose operation is not linearized yet, nothing before it can be placed this way:
undo the last choice (unlift) and try the next call after it. Lowe (2017, "Testing for
linearizability") adds a cache of the configurations already tried, keyed by (the set of
linearized operations, the model state): a configuration reached twice has the same
future, so the second visit is skipped. That cache is what makes the search fast on real
histories; with the split into independent parts (per key) it is Porcupine's algorithm.

Here the event list is two int arrays (next, prev) with sentinels, and the cache is a set
of (linearized set, state) pairs, the set kept as a count and a Python int bitset of the
frontier above it (``base``, ``rest`` in ``check_part``).

An operation with unknown outcome has no return event (its return is at +infinity), so it
never forces a backtrack, and the search succeeds as soon as every *completed* operation
is linearized: the unknown ones left over are the ones that never took effect. Such
"crashed" operations make a failing search exponential, so three sound reductions apply
to them (identical ones in invocation order, dominance between configurations, crashed
reads left out): docs/linearizability.md, "The search".

A budget (time, cache entries) stops a part's search with UNKNOWN, never a guess.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from checker.linearizability.history import History, Op
from checker.linearizability.models import Model


class Verdict(Enum):
    OK = "linearizable"
    VIOLATION = "not linearizable"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Budget:
    """Stops a search: seconds of wall time for the whole history, and configurations
    in one part's cache (each costs the bitset and the state: the memory budget)."""

    seconds: float | None = None
    max_cache: int | None = None


@dataclass(frozen=True)
class PartResult:
    """One independent part. ``prefix`` is the longest linearizable prefix found (op ids in
    linearization order) and ``blocked`` the completed operation that could not be placed
    after it (VIOLATION only); ``state`` describes the model state after the prefix."""

    key: Any
    verdict: Verdict
    ops: tuple[int, ...]
    prefix: tuple[int, ...] = ()
    blocked: int | None = None
    state: str = ""
    cache: int = 0
    steps: int = 0
    reason: str = ""


@dataclass(frozen=True)
class Result:
    verdict: Verdict
    parts: tuple[PartResult, ...]
    seconds: float
    model: str
    reason: str = ""
    #: Parts not searched because the budget ran out first.
    skipped: int = 0
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def violations(self) -> list[PartResult]:
        return [p for p in self.parts if p.verdict is Verdict.VIOLATION]


class _OverBudget(Exception):
    pass


#: How many configurations with the same completed operations and state the dominance
#: test compares with (the most recent ones).
_LOOK = 4

#: How many loop iterations between two looks at the clock and the cache size.
_CHECK_EVERY = 4096


def check_part(
    model: Model,
    ops: Sequence[Op],
    key: Any = None,
    deadline: float | None = None,
    max_cache: int | None = None,
) -> PartResult:
    """Search one part (operations of one key) for a linearization."""
    ids = tuple(op.id for op in ops)
    if model.read_only:
        ops = [op for op in ops if op.ret is not None or op.f not in model.read_only]
    n = len(ops)
    # Events sorted by time; at equal times calls come first (Porcupine), so operations
    # that touch are concurrent. Our readers give every event its own time.
    events: list[tuple[int, int, int]] = []
    for i, op in enumerate(ops):
        events.append((op.call, 0, i))
        if op.ret is not None:
            events.append((op.ret, 1, i))
    events.sort()
    m = len(events)
    head, tail = m, m + 1
    nxt = [k + 1 for k in range(m)] + [0 if m else tail, tail]
    prv = [k - 1 for k in range(m)] + [head, m - 1 if m else head]
    if m:
        prv[0] = head
        nxt[m - 1] = tail
    # call_op[k]: the operation of a call entry, -1 for a return entry (and the sentinels).
    call_op = [-1] * (m + 2)
    call_pos = [0] * n
    ret_pos = [-1] * n
    for k, (_, kind, i) in enumerate(events):
        if kind == 0:
            call_op[k] = i
            call_pos[i] = k
        else:
            ret_pos[i] = k
    inputs = [(op.f, op.arg, op.process) for op in ops]
    outputs = [op.out for op in ops]
    # Completed and crashed operations are numbered apart, densely, in invocation order:
    # ``index[i]`` is i's number among its own kind, ``cbit[i]`` its crashed bit.
    index = [0] * n
    counts = [0, 0]
    for i, op in enumerate(ops):
        kind_ = int(op.ret is None)
        index[i] = counts[kind_]
        counts[kind_] += 1
    cbit = [1 << index[i] if ops[i].ret is None else 0 for i in range(n)]
    required = counts[0]
    # Operations of unknown outcome with the same input are interchangeable, and of two
    # such the one invoked first can go wherever the other can (neither has a return to
    # respect): so they are linearized in invocation order. ``first[i]`` is the bit of the
    # previous one of i's kind, which must already be linearized before i may be. This
    # turns 2^k subsets of k identical crashed writes into k + 1 counts.
    first = [0] * n
    last_of: dict[Any, int] = {}
    for i, op in enumerate(ops):
        if op.ret is None:
            kind_key = (op.f, op.arg, op.process) if model.uses_process else (op.f, op.arg)
            try:
                j = last_of.get(kind_key)
                last_of[kind_key] = i
            except TypeError:  # an unhashable argument: no shortcut for it
                continue
            if j is not None:
                first[i] = cbit[j]
    step = model.step
    limit = sys.maxsize if max_cache is None else max_cache

    state = model.init()
    # The completed operations linearized, as ``base`` (all those numbered below it) and
    # ``rest`` (the bitset of the others, shifted down by base): the set is a prefix and a
    # narrow frontier, so the cache key stays small on a long history (a plain bitset
    # would cost each configuration a bit per operation).
    base = 0
    rest = 0
    crashed = 0  # the operations of unknown outcome linearized (cbit)
    is_info = [op.ret is None for op in ops]
    has_info = required < n
    # Without unknown outcomes the cache is Lowe's: a set of (bits, state). With them, a
    # configuration is (completed bits, state, crashed bits), and one whose crashed bits
    # include those of a configuration already seen with the same completed bits and
    # state is skipped: from the smaller one the extra crashed operations can still be
    # placed, or never (they may not have happened), so it can do all the larger can.
    # To meet the smaller ones first, the walk tries completed operations before crashed
    # ones (``info_phase`` is the second pass over the same stretch of the list).
    plain: set[tuple[int, int, Any]] = set()
    seen_with: dict[tuple[int, int, Any], list[int]] = {}
    exact: set[tuple[int, int, Any, int]] = set()
    size = 0
    info_phase = False
    stack: list[tuple[int, Any, int, int]] = []
    best: list[int] = []
    low = 0
    best_state: Any = state
    blocked = -1
    remaining = required
    steps = 0
    entry = nxt[head]
    if remaining == 0:
        return PartResult(key, Verdict.OK, ids, state=model.describe_state(state))
    try:
        while True:
            steps += 1
            if not steps % _CHECK_EVERY and deadline is not None and time.monotonic() >= deadline:
                raise _OverBudget("time limit reached")
            i = call_op[entry]
            if i >= 0:
                if is_info[i] != info_phase or (first[i] and not crashed & first[i]):
                    entry = nxt[entry]
                    continue
                ok, new = step(state, inputs[i], outputs[i])
                if ok:
                    if info_phase:
                        nb, nr, cr = base, rest, crashed | cbit[i]
                    else:
                        cr = crashed
                        d = index[i] - base
                        if d:
                            nb, nr = base, rest | (1 << d)
                        else:
                            nr = rest | 1
                            t = (~nr & (nr + 1)).bit_length() - 1  # trailing ones
                            nb, nr = base + t, nr >> t
                    key_ = (nb, nr, new)
                    if has_info:
                        seen = seen_with.get(key_)
                        if seen is None:
                            seen_with[key_] = [cr]
                            exact.add((nb, nr, new, cr))
                            fresh = True
                        else:
                            # Lowe's exact test, then dominance by the most recent few
                            # (a shorter look only skips less: still sound).
                            full = (nb, nr, new, cr)
                            fresh = full not in exact and all(old & ~cr for old in seen[-_LOOK:])
                            if fresh:
                                seen.append(cr)
                                exact.add(full)
                    else:
                        fresh = key_ not in plain
                        if fresh:
                            plain.add(key_)
                    if fresh:
                        size += 1
                        if size > limit:
                            raise _OverBudget(f"cache budget of {limit:,} configurations reached")
                        stack.append((i, state, base, rest))
                        state = new
                        base = nb
                        rest = nr
                        crashed = cr
                        # lift: unlink the call and its return (if any)
                        c = call_pos[i]
                        nxt[prv[c]] = nxt[c]
                        prv[nxt[c]] = prv[c]
                        r = ret_pos[i]
                        if r >= 0:
                            nxt[prv[r]] = nxt[r]
                            prv[nxt[r]] = prv[r]
                            remaining -= 1
                            if not remaining:
                                return PartResult(
                                    key,
                                    Verdict.OK,
                                    ids,
                                    prefix=tuple(ops[e[0]].id for e in stack),
                                    state=model.describe_state(state),
                                    cache=size,
                                    steps=steps,
                                )
                        entry = nxt[head]
                        info_phase = False
                        continue
                entry = nxt[entry]
                continue
            # The first return event still in the list: its operation is not linearized,
            # and it cannot be later. Try the crashed candidates before it, then go back.
            if has_info and not info_phase:
                info_phase = True
                entry = nxt[head]
                continue
            if len(stack) > len(best) or blocked < 0:
                # best[:low] is still the bottom of the stack: copy only what changed
                # (a full copy each time made long histories quadratic).
                del best[low:]
                best.extend(e[0] for e in stack[low:])
                low = len(stack)
                best_state = state
                blocked = _op_at(events, entry)
            if not stack:
                return PartResult(
                    key,
                    Verdict.VIOLATION,
                    ids,
                    prefix=tuple(ops[j].id for j in best),
                    blocked=ops[blocked].id,
                    state=model.describe_state(best_state),
                    cache=size,
                    steps=steps,
                )
            i, state, base, rest = stack.pop()
            if len(stack) < low:
                low = len(stack)
            if is_info[i]:
                crashed ^= cbit[i]
                info_phase = True
            else:
                info_phase = False
            # unlift, in the reverse order of the lift (dancing links)
            r = ret_pos[i]
            if r >= 0:
                nxt[prv[r]] = r
                prv[nxt[r]] = r
                remaining += 1
            c = call_pos[i]
            nxt[prv[c]] = c
            prv[nxt[c]] = c
            entry = nxt[c]
    except _OverBudget as e:
        return PartResult(
            key,
            Verdict.UNKNOWN,
            ids,
            prefix=tuple(ops[j].id for j in best),
            state=model.describe_state(best_state),
            cache=size,
            steps=steps,
            reason=str(e),
        )


def _op_at(events: list[tuple[int, int, int]], k: int) -> int:
    return events[k][2]


def parts_of(model: Model, history: History) -> list[tuple[Any, list[Op]]]:
    """The independent parts, in the order their first operation was invoked."""
    if model.partition is None:
        return [(None, list(history.ops))]
    return model.partition(history.ops)


def check(model: Model, history: History, budget: Budget = Budget()) -> Result:
    """Check every part; the verdict is VIOLATION if any part has none (a violation is
    definite whatever the other parts say), else UNKNOWN if a budget stopped any part,
    else OK."""
    start = time.monotonic()
    deadline = None if budget.seconds is None else start + budget.seconds
    results: list[PartResult] = []
    parts = parts_of(model, history)
    skipped = 0
    for key, ops in parts:
        if deadline is not None and time.monotonic() >= deadline:
            skipped = len(parts) - len(results)
            break
        results.append(check_part(model, ops, key, deadline, budget.max_cache))
    elapsed = time.monotonic() - start
    verdicts = {r.verdict for r in results}
    reason = ""
    if Verdict.VIOLATION in verdicts:
        verdict = Verdict.VIOLATION
    elif Verdict.UNKNOWN in verdicts or skipped:
        verdict = Verdict.UNKNOWN
        reasons = [r.reason for r in results if r.verdict is Verdict.UNKNOWN]
        reason = reasons[0] if reasons else "time limit reached"
        if skipped:
            reason += f"; {skipped} of {len(parts)} parts not searched"
    else:
        verdict = Verdict.OK
    return Result(verdict, tuple(results), elapsed, model.name, reason, skipped)
