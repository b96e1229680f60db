"""What many test modules share: the repository's paths and the CLI as a user runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from contextlib import AbstractContextManager
from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "traces" / "examples"


def run_cli(
    *args: str, cwd: Path = ROOT, timeout: float = 300, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``raftcheck ARGS`` in a fresh process (``python -m checker.cli``), this checkout's code."""
    full = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "checker.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=full,
        timeout=timeout,
    )


def needs_pure_python(module: ModuleType, name: str) -> None:
    """Skip the calling test when ``module`` runs compiled by mypyc: a compiled module
    calls its own functions directly (bound at build time), so monkeypatching ``name`` on
    it cannot reach its callers. .ci/pure (the pure-Python pass of .ci/run) runs these tests."""
    if str(getattr(module, "__file__", "")).endswith(tuple(EXTENSION_SUFFIXES)):
        pytest.skip(
            f"{module.__name__} is compiled by mypyc: patching {name} cannot reach its callers "
            "(run by .ci/pure, the pure-Python pass of .ci/run)"
        )
    # The patched code must run rather than a step remembered from before the patch
    # (raftmodel.memo); the conftest's autouse fixture ends this with the test.
    from raftmodel import cluster

    bypass = cluster.unremembered()
    bypass.__enter__()
    _BYPASSES.append(bypass)


_BYPASSES: list[AbstractContextManager[None]] = []


def end_bypasses() -> None:
    """Remember node steps again (after ``needs_pure_python``)."""
    while _BYPASSES:
        _BYPASSES.pop().__exit__(None, None, None)
