"""Test-wide settings: Hypothesis profiles and the opt-in ``slow`` tier.

Profiles (select with ``HYPOTHESIS_PROFILE=<name>``, or pytest's ``--hypothesis-profile``):

* ``ci``, the default (and so what runs under ``CI=true``): derandomized, no example
  database, a bounded number of examples and steps. Two runs of the suite do the same work
  and reach the same verdict.
* ``deep``: many more and longer runs from a fresh random seed each time, with the example
  database on so that a failure found once is tried first next time. For hunting, not
  for gating.

An explicitly named profile wins over ``CI=true``, so a CI job can opt into ``deep``.

Tests marked ``slow`` are skipped unless ``-m`` mentions the marker (``-m slow``) or
``RAFTCHECK_SLOW=1`` is set. pyproject.toml only declares the marker; the skip lives here
so that a plain ``pytest`` stays fast without touching ``addopts``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from subprocess import CompletedProcess

import pytest
from hypothesis import HealthCheck, Phase, settings

from tests.support import end_bypasses, run_cli

_COMMON: dict[str, object] = {
    # A stateful step is a model step plus every invariant; on a loaded 2-core machine the
    # default 200 ms deadline would flag ordinary runs, and a deadline miss is not a bug.
    "deadline": None,
    # In a state machine, drawing a step includes running it (a macro runs dozens of model
    # steps), which too_slow counts as slow data generation; and the partition strategy
    # filters out the rare split that leaves every server on one side.
    "suppress_health_check": (HealthCheck.too_slow, HealthCheck.filter_too_much),
    # The explain phase re-runs a shrunk failure hundreds of times to mark which steps did
    # not matter; in a mutant hunt it took 70% of the time, and the ITF trace of the shrunk
    # run is the explanation we want.
    "phases": tuple(p for p in Phase if p is not Phase.explain),
}

settings.register_profile(
    "ci",
    derandomize=True,
    database=None,
    print_blob=False,
    max_examples=60,
    stateful_step_count=40,
    **_COMMON,  # type: ignore[arg-type]
)
settings.register_profile(
    "deep",
    derandomize=False,
    # About 40 times the ci work: some 15 minutes for the stateful file on two cores.
    max_examples=1_000,
    stateful_step_count=100,
    **_COMMON,  # type: ignore[arg-type]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or "ci")


def pytest_sessionstart(session: pytest.Session) -> None:
    # A compiled extension older than its source runs the old code: the suite would judge
    # code that is not on disk (checker.build). Refuse rather than pass on it.
    from checker import build

    stale = build.stale()
    if stale:
        pytest.exit(
            f"compiled modules older than their source: {', '.join(stale)}; rebuild with "
            "`pip install -e .` (or delete their .so files to run pure Python)",
            returncode=4,
        )


def _slow_selected(config: pytest.Config) -> bool:
    markexpr = str(config.getoption("markexpr", default="") or "")
    return "slow" in markexpr or os.environ.get("RAFTCHECK_SLOW") == "1"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if _slow_selected(config):
        return
    skip = pytest.mark.skip(reason="slow tier: run with `-m slow` or RAFTCHECK_SLOW=1")
    for item in items:
        if item.get_closest_marker("slow") is not None:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _node_steps_forgotten() -> Iterator[None]:
    """Each test starts and ends with an empty node-step memo (raftmodel.memo): steps of
    code a test patched must not answer the next test's."""
    from raftmodel import cluster

    cluster.forget()
    yield
    end_bypasses()
    cluster.forget()


@pytest.fixture
def cli() -> Callable[..., CompletedProcess[str]]:
    """``cli("check", "--model", "elections")``: raftcheck in a fresh process (exit code,
    stdout and stderr), as a user runs it."""
    return run_cli
