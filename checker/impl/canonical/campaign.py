"""Seeded campaigns: many recorded canonical/raft runs, each validated by the matcher.

Run ``k`` of a campaign with seed ``S`` uses ``schedule.derive_seed(S, k)`` and 3 or 5
servers (alternating when both are asked for), so any one run can be repeated alone. Its
trace is validated by ``checker.observed`` (every invariant on every matched state); a
run is ``ok``, a ``divergence`` (an event no behaviour of the model explains, or a
violated invariant: its trace and the matcher's first mismatch are kept) or
``inconclusive`` (the candidate bound was hit: never a pass).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NamedTuple

from checker.impl.canonical import schedule
from checker.observed import events, match


class Divergence(NamedTuple):
    seed: int
    servers: int
    verdict: str  # "rejected", "violation" or "inconclusive"
    where: str  # the first unexplained event: "name:line (kind on node k)"
    field: str
    expected: str
    observed: str
    trace: str  # the NDJSON trace, to keep
    name: str  # a file name for it

    @property
    def signature(self) -> str:
        """What kind of divergence (for grouping): the verdict, event kind and field."""
        kind = self.where.split("(", 1)[-1].split(" on ")[0].rstrip(")")
        field = self.field.split(" ", 2)[-1] if self.field.startswith("node ") else self.field
        return f"{self.verdict}: {kind}, {field}"


class Report(NamedTuple):
    runs: int
    ok: int
    fixture_steps: int
    events: int
    invariant_checks: int
    hidden_events: int
    max_set: int
    divergences: tuple[Divergence, ...]
    inconclusive: tuple[Divergence, ...]
    record_seconds: float
    validate_seconds: float


Progress = Callable[[int, int, int], None]


def _describe(r: match.Result) -> tuple[str, str, str, str]:
    e = r.failed_event
    where = ""
    if e is not None:
        node = f" on node {e.node}" if e.node else ""
        where = f"{e.where} ({e.kind}{node})"
    if r.violation is not None:
        return where, r.violation.property, "", r.violation.detail
    if r.mismatches:
        m = r.mismatches[0]
        return where, m.field, m.expected, m.observed
    return where, "", "", r.why


def campaign(
    runs: int,
    seed: int,
    servers: Sequence[int] = (3, 5),
    *,
    operations: int = 40,
    options: match.Options | None = None,
    cache_dir: Path | None = None,
    progress: Progress | None = None,
) -> Report:
    """Record and validate ``runs`` seeded runs; ``progress(done, runs, divergences)``."""
    ok = steps = nevents = checks = hidden = max_set = 0
    divergences: list[Divergence] = []
    inconclusive: list[Divergence] = []
    t_record = t_validate = 0.0
    for k in range(runs):
        s = schedule.derive_seed(seed, k)
        n = servers[k % len(servers)]
        t0 = time.monotonic()
        run = schedule.run_schedule(s, n, operations=operations, cache_dir=cache_dir)
        t1 = time.monotonic()
        name = f"canonical-raft-n{n}-seed{s}.ndjson"
        obs = events.read_ndjson([(name, run.trace)])
        result = match.validate(obs, options)
        t2 = time.monotonic()
        t_record += t1 - t0
        t_validate += t2 - t1
        steps += run.fixture_steps
        nevents += result.matched
        checks += result.invariant_checks
        hidden += result.hidden_events
        max_set = max(max_set, result.max_set)
        if result.verdict == "ok":
            ok += 1
        else:
            where, field, expected, observed = _describe(result)
            d = Divergence(s, n, result.verdict, where, field, expected, observed, run.trace, name)
            (inconclusive if result.verdict == "inconclusive" else divergences).append(d)
        if progress is not None:
            progress(k + 1, runs, len(divergences))
    return Report(
        runs,
        ok,
        steps,
        nevents,
        checks,
        hidden,
        max_set,
        tuple(divergences),
        tuple(inconclusive),
        t_record,
        t_validate,
    )
