"""Which build runs, and whether its code is older than the source on disk."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from checker import build


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: Any) -> dict[str, Path]:
    """One compiled module as mypyc lays it out: its source, its small extension, and the
    group's shared library (which holds the code)."""
    files = {
        "src": tmp_path / "pkg" / "mod.py",
        "ext": tmp_path / "pkg" / "mod.cpython-311-x86_64-linux-gnu.so",
        "group": tmp_path / "abc__mypyc.cpython-311-x86_64-linux-gnu.so",
    }
    for f in files.values():
        f.parent.mkdir(exist_ok=True)
        f.write_text("")
    monkeypatch.setattr(build, "compiled", lambda: ["pkg.mod"])
    monkeypatch.setattr(build, "_file", lambda m: str(files["ext"]))
    monkeypatch.setattr(build, "_group_library", lambda: str(files["group"]))
    return files


def _at(f: Path, t: float) -> None:
    os.utime(f, (t, t))


def test_a_source_edited_after_the_build_is_stale(tree: dict[str, Path]) -> None:
    _at(tree["ext"], 100)
    _at(tree["group"], 100)
    _at(tree["src"], 200)
    assert build.stale() == ["pkg.mod"]
    assert "STALE: pkg.mod changed since the build" in build.describe()


def test_a_build_that_rewrote_only_the_group_library_is_not_stale(
    tree: dict[str, Path],
) -> None:
    # An edit that keeps the module's interface: the rebuild rewrites the library that
    # holds the code and leaves the module's own extension as it was.
    _at(tree["ext"], 100)
    _at(tree["src"], 200)
    _at(tree["group"], 300)
    assert build.stale() == []
    assert "STALE" not in build.describe()


def test_the_group_library_is_found_among_the_loaded_modules() -> None:
    # Compiled: the library the extensions loaded; pure Python (.ci/pure): none.
    found = build._group_library()
    if build.compiled():
        assert found is not None and os.path.exists(found) and "__mypyc" in found
    else:
        assert found is None
