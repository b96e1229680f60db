"""The linearizability search against brute force: every order of the operations that
respects real time (an operation that completed before another was invoked comes first),
with each operation of unknown outcome either placed anywhere after its invocation or
left out, run through the object's sequential specification. Small random histories,
both verdicts, every object; then budgets, :info semantics and the generator."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from checker.linearizability import generate, history, models, picture, search
from checker.linearizability.history import UNKNOWN, Event, Kind, Op
from checker.linearizability.models import Model
from checker.linearizability.search import Budget, Verdict

# --- brute force -------------------------------------------------------------------------------


def _kv_global_step(state: Any, op: Op) -> tuple[bool, Any]:
    # The whole store as one object (a sorted tuple of key/value pairs): no partition.
    d = dict(state)
    key = op.arg[0]
    ok, new = models.CAS_REGISTER.step(
        d.get(key), (op.f, op.arg[1], op.process), op.out if op.out is UNKNOWN else op.out[1]
    )
    d[key] = new
    return ok, tuple(sorted(d.items(), key=repr))


def brute_force(model: Model, ops: Sequence[Op]) -> bool:
    """Try every order, op by op, with no memory of what was tried: an operation may come
    next if no completed operation still unplaced returned before it was invoked (real
    time); the order succeeds once every completed operation is placed (the unknown ones
    left over never took effect)."""

    def step(state: Any, op: Op) -> tuple[bool, Any]:
        if model is models.KV:
            return _kv_global_step(state, op)
        return model.step(state, (op.f, op.arg, op.process), op.out)

    def extend(state: Any, left: frozenset[Op]) -> bool:
        if all(op.ret is None for op in left):
            return True
        for b in left:
            if any(c.ret is not None and c.ret < b.call for c in left if c is not b):
                continue
            ok, new = step(state, b)
            if ok and extend(new, left - {b}):
                return True
        return False

    return extend(() if model is models.KV else model.init(), frozenset(ops))


# --- random small histories --------------------------------------------------------------------

VALUES = (None, 0, 1, 2)


def _op(model: Model, rng: random.Random) -> tuple[str, Any, Any]:
    """(f, invocation value, a plausible completion value)."""
    if model is models.LOCK:
        f = rng.choice(("acquire", "release", "write", "read", "acquire"))
        if f == "acquire":
            return f, None, rng.randint(1, 3)
        if f == "write":
            arg = (rng.randint(1, 3), rng.randint(0, 1))
            return f, arg, arg
        if f == "read":
            return f, None, rng.choice((None, 0, 1))
        return f, None, None
    fs = ("read", "write") if model is models.REGISTER else ("read", "write", "cas")
    f = rng.choice(fs)
    if f == "read":
        arg, out = None, rng.choice(VALUES)
    elif f == "write":
        arg = rng.randint(0, 2)
        out = arg
    else:
        arg = (rng.choice(VALUES[:3]), rng.randint(0, 2))
        out = arg
    if model is models.KV:
        key = rng.choice(("a", "b"))
        return f, (key, arg), (key, out)
    return f, arg, out


def random_events(
    model: Model, rng: random.Random, max_ops: int = 6, crash: float = 1 / 6
) -> list[Event]:
    procs = rng.randint(1, 3)
    pending: dict[int, tuple[str, Any, Any]] = {}
    events: list[Event] = []
    invoked = 0
    hung: set[int] = set()
    while invoked < max_ops or pending:
        p = rng.randrange(procs)
        if p in hung:
            if len(hung) == procs:
                break
            continue
        if p not in pending:
            if invoked >= max_ops:
                continue
            f, arg, out = _op(model, rng)
            pending[p] = (f, arg, out)
            invoked += 1
            events.append(Event(p, Kind.INVOKE, f, arg))
            continue
        f, arg, out = pending.pop(p)
        r = rng.random()
        kind = Kind.INFO if r < crash else Kind.FAIL if r < crash + 0.15 else Kind.OK
        if kind is Kind.INFO and rng.random() < 0.3:
            hung.add(p)  # never completes: pending at the end, like :info
            continue
        events.append(Event(p, kind, f, out if kind is Kind.OK else arg))
    return events


OBJECTS = [models.REGISTER, models.CAS_REGISTER, models.KV, models.LOCK]


def _agree(model: Model, events: list[Event]) -> bool:
    h = history.build(events, model.validate)
    res = search.check(model, h)
    expected = brute_force(model, h.ops)
    assert res.verdict is (Verdict.OK if expected else Verdict.VIOLATION), (
        model.name,
        [(e.process, e.kind.value, e.f, e.value) for e in events],
    )
    return expected


@pytest.mark.parametrize("model", OBJECTS, ids=lambda m: m.name)
def test_search_agrees_with_brute_force_and_both_verdicts_occur(model: Model) -> None:
    rng = random.Random(f"brute:{model.name}")
    verdicts = [_agree(model, random_events(model, rng)) for _ in range(300)]
    # Both answers are exercised, not only the easy one.
    assert verdicts.count(True) >= 30 and verdicts.count(False) >= 30


@pytest.mark.parametrize("model", OBJECTS, ids=lambda m: m.name)
def test_many_unknown_outcomes_agree_with_brute_force(model: Model) -> None:
    # The reductions for crashed operations (identical ones in invocation order, the
    # dominance test) are exercised by histories where half the operations crash.
    rng = random.Random(f"crash:{model.name}")
    verdicts = [_agree(model, random_events(model, rng, 11, crash=0.5)) for _ in range(150)]
    assert verdicts.count(True) >= 15 and verdicts.count(False) >= 15


@settings(max_examples=150)
@given(st.sampled_from(OBJECTS), st.integers(0, 2**32), st.integers(1, 7))
def test_search_agrees_with_brute_force_hypothesis(model: Model, seed: int, n: int) -> None:
    _agree(model, random_events(model, random.Random(seed), n))


# --- what the verdicts mean ----------------------------------------------------------------------


def _h(model: Model, *rows: tuple[int, str, str, Any]) -> history.History:
    return history.build(
        [Event(p, Kind(k), f, v, line) for line, (p, k, f, v) in enumerate(rows, 1)],
        model.validate,
    )


def test_a_stale_read_is_a_violation_with_its_prefix_and_blocked_operation() -> None:
    h = _h(
        models.REGISTER,
        (0, "invoke", "write", 1),
        (0, "ok", "write", 1),
        (1, "invoke", "write", 2),
        (1, "ok", "write", 2),
        (0, "invoke", "read", None),
        (0, "ok", "read", 1),
    )
    res = search.check(models.REGISTER, h)
    assert res.verdict is Verdict.VIOLATION
    (part,) = res.parts
    assert part.prefix == (0, 1) and part.blocked == 2 and part.state == "2"
    pic = picture.build(models.REGISTER, h, part)
    assert [b.role for b in pic.bars] == ["linearized", "linearized", "blocked"]
    text = "\n".join(picture.render(pic))
    assert "#2 read → 1" in text and "CANNOT BE PLACED (lines 5-6)" in text


def test_an_info_write_may_take_effect_late_or_never() -> None:
    # p1's write of 2 has an unknown outcome: a read of 2 long after is fine, and so is a
    # read of 1 (it never happened) -- but not 2 then 1 then 2 again.
    rows = [
        (0, "invoke", "write", 1),
        (0, "ok", "write", 1),
        (1, "invoke", "write", 2),
        (1, "info", "write", 2),
        (0, "invoke", "read", None),
        (0, "ok", "read", 1),
        (0, "invoke", "read", None),
        (0, "ok", "read", 2),
    ]
    assert search.check(models.REGISTER, _h(models.REGISTER, *rows)).verdict is Verdict.OK
    rows2 = [*rows[:4], (0, "invoke", "read", None), (0, "ok", "read", 1)]
    assert search.check(models.REGISTER, _h(models.REGISTER, *rows2)).verdict is Verdict.OK
    rows3 = [*rows, (0, "invoke", "read", None), (0, "ok", "read", 1)]
    assert search.check(models.REGISTER, _h(models.REGISTER, *rows3)).verdict is Verdict.VIOLATION


def test_a_failed_operation_is_left_out_and_a_pending_one_is_unknown() -> None:
    h = _h(
        models.CAS_REGISTER,
        (0, "invoke", "write", 1),
        (0, "fail", "write", 1),
        (1, "invoke", "write", 2),
        (2, "invoke", "read", None),
        (2, "ok", "read", 2),
    )
    assert h.failed == 1 and h.pending == 1 and len(h.ops) == 2 and h.ops[0].info
    assert search.check(models.CAS_REGISTER, h).verdict is Verdict.OK
    h = _h(
        models.CAS_REGISTER,
        (0, "invoke", "write", 1),
        (0, "fail", "write", 1),
        (2, "invoke", "read", None),
        (2, "ok", "read", 1),
    )
    assert search.check(models.CAS_REGISTER, h).verdict is Verdict.VIOLATION


def test_kv_is_checked_key_by_key_and_names_the_bad_key() -> None:
    events = generate.simulate(7, 400, clients=4, keys=5, cas=True, info_rate=0.05)
    h = history.build(events, models.KV.validate)
    res = search.check(models.KV, h)
    assert res.verdict is Verdict.OK and len(res.parts) == 5
    bad, k = generate.inject(events, 3)
    res = search.check(models.KV, history.build(bad, models.KV.validate))
    assert res.verdict is Verdict.VIOLATION
    (part,) = res.violations
    assert part.key == bad[k].value[0]


def test_the_lock_spec_fencing_tokens() -> None:
    ok = _h(
        models.LOCK,
        (0, "invoke", "acquire", None),
        (0, "ok", "acquire", 33),
        (0, "invoke", "write", (33, 1)),
        (0, "ok", "write", (33, 1)),
        (0, "invoke", "release", None),
        (0, "ok", "release", None),
        (1, "invoke", "acquire", None),
        (1, "ok", "acquire", 34),
        (1, "invoke", "write", (34, 2)),
        (1, "ok", "write", (34, 2)),
    )
    assert search.check(models.LOCK, ok).verdict is Verdict.OK
    # A stale token accepted after a newer one: the resource broke fencing.
    stale = _h(
        models.LOCK,
        (1, "invoke", "acquire", None),
        (1, "ok", "acquire", 34),
        (1, "invoke", "write", (34, 2)),
        (1, "ok", "write", (34, 2)),
        (0, "invoke", "write", (33, 1)),
        (0, "ok", "write", (33, 1)),
    )
    assert search.check(models.LOCK, stale).verdict is Verdict.VIOLATION
    # Tokens must increase; two holders at once is not a lock.
    for rows in (
        [
            (0, "invoke", "acquire", None),
            (0, "ok", "acquire", 5),
            (0, "invoke", "release", None),
            (0, "ok", "release", None),
            (1, "invoke", "acquire", None),
            (1, "ok", "acquire", 5),
        ],
        [
            (0, "invoke", "acquire", None),
            (0, "ok", "acquire", 1),
            (1, "invoke", "acquire", None),
            (1, "ok", "acquire", 2),
        ],
    ):
        assert search.check(models.LOCK, _h(models.LOCK, *rows)).verdict is Verdict.VIOLATION


def test_a_budget_answers_unknown_never_a_pass() -> None:
    events = generate.simulate(11, 600, clients=6, values=2)
    h = history.build(events, models.REGISTER.validate)
    res = search.check(models.REGISTER, h, Budget(max_cache=10))
    assert res.verdict is Verdict.UNKNOWN and "cache budget" in res.reason
    res = search.check(models.REGISTER, h, Budget(seconds=1e-9))
    assert res.verdict is Verdict.UNKNOWN
    assert search.check(models.REGISTER, h).verdict is Verdict.OK


@pytest.mark.parametrize(("seed", "info"), [(0, 0.0), (1, 0.0), (2, 0.03), (3, 0.03)])
def test_generated_histories_are_linearizable_and_an_injected_read_is_found(
    seed: int, info: float
) -> None:
    # Unknown outcomes make a failing search exponential in how many are open at once
    # (each may or may not have happened): docs/linearizability.md, "Cost".
    events = generate.simulate(seed, 300 if not info else 120, clients=5, info_rate=info, cas=True)
    h = history.build(events, models.CAS_REGISTER.validate)
    assert search.check(models.CAS_REGISTER, h).verdict is Verdict.OK
    bad, _ = generate.inject(events, seed)
    hb = history.build(bad, models.CAS_REGISTER.validate)
    res = search.check(models.CAS_REGISTER, hb)
    assert res.verdict is Verdict.VIOLATION
    assert res.parts[0].blocked is not None
    assert hb.ops[res.parts[0].blocked].out == -1


def test_the_same_history_gives_the_same_answer() -> None:
    events, _ = generate.inject(generate.simulate(3, 200, clients=4), 1)
    h = history.build(events, models.REGISTER.validate)
    a, b = search.check(models.REGISTER, h), search.check(models.REGISTER, h)
    assert a.parts == b.parts


def test_a_crashed_process_that_invokes_again_gets_a_second_lane() -> None:
    h = _h(
        models.REGISTER,
        (0, "invoke", "write", 1),
        (0, "info", "write", 1),
        (0, "invoke", "read", None),
        (1, "invoke", "write", 2),
        (1, "ok", "write", 2),
        (0, "ok", "read", 3),
    )
    res = search.check(models.REGISTER, h)
    (part,) = res.violations
    assert part.blocked == 1
    pic = picture.build(models.REGISTER, h, part)
    assert pic.rows == (("0", 2), ("1", 1))
    lanes = {(b.op, b.lane, b.end is None) for b in pic.bars}
    assert lanes == {(0, 0, True), (1, 1, False), (2, 0, False)}
    text = picture.render(pic)
    assert text[0].startswith(" p0 |[#0 write 1") and text[0].endswith(">")
    assert "[#1 read → 3" in text[1] and text[1].rstrip().endswith("=]")
    assert pic.as_dict()["rows"] == [{"process": "0", "lanes": 2}, {"process": "1", "lanes": 1}]
