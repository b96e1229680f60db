"""Re-execute a trace's actions on raftmodel and judge every step.

Replay starts from the trace's first state (which need not be the initial state),
applies each recorded action with raftmodel, and compares the result with the next
recorded state. It reports the first property the trace violates and, separately,
the first step at which the trace and the model part ways.

A first state that no run of the model could be in (``raftmodel.wellformed``) is bad
input, not a verdict: replay raises TraceFormatError naming the field, as reading does.
"""

from __future__ import annotations

from typing import NamedTuple

from checker.errors import TraceFormatError
from checker.raft.invariants import Violation, check_state, check_step
from checker.raft.report import diff_states
from checker.traces.itf import Trace, problem_path
from raftmodel.actions import describe
from raftmodel.cluster import Config, apply, init_state
from raftmodel.rules import Rules
from raftmodel.wellformed import first_problem


class Divergence(NamedTuple):
    step: int
    reason: str
    details: tuple[str, ...]


class ReplayResult(NamedTuple):
    #: Steps replayed in agreement with the model (the first state counts as step 0).
    agreed: int
    total: int
    #: The first property violated, and the step at which it was.
    violation: tuple[int, Violation] | None
    divergence: Divergence | None

    @property
    def conforms(self) -> bool:
        return self.divergence is None


def replay(trace: Trace, rules: Rules | None = None) -> ReplayResult:
    config: Config = trace.config if rules is None else trace.config._replace(rules=rules)
    sem = config.semantics
    states = trace.states
    total = len(states) - 1
    first = states[0]
    # Checked again here (read_trace already did): the trace may be built in memory. Under
    # the recorded variant, as reading does: replaying on another is a question, not bad input.
    problem = first_problem(first, trace.config)
    if problem is not None:
        raise TraceFormatError(problem_path(problem, "$.states[0]"), problem.detail)
    if trace.from_init and first != init_state(config):
        details = tuple(diff_states(first, init_state(config), sem))
        return ReplayResult(
            0, total, None, Divergence(0, "the first state is not the initial state", details)
        )
    violation: tuple[int, Violation] | None = None
    v0 = check_state(first)
    if v0 is not None:
        violation = (0, v0)
    prev = first
    for k in range(1, len(states)):
        a = trace.steps[k].action
        assert a is not None
        nxt = apply(prev, a, config)
        if nxt is None:
            return ReplayResult(
                k - 1,
                total,
                violation,
                Divergence(k, f"{describe(a)} is not enabled in the model", ()),
            )
        if nxt != states[k]:
            details = tuple(diff_states(states[k], nxt, sem))
            return ReplayResult(
                k - 1,
                total,
                violation,
                Divergence(k, f"after {describe(a)} the model's state differs", details),
            )
        if violation is None:
            v = check_step(prev, a, nxt)
            if v is not None:
                violation = (k, v)
        prev = nxt
    return ReplayResult(total, total, violation, None)
