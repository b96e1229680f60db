"""Build hook: compile the checker's hot modules with mypyc when a C compiler is present.

``pip install -e '.[test]'`` (or any install) runs this. With a working C compiler the
modules in ``COMPILED`` are built as C extensions by mypyc (which ships with mypy) from
the same source; without one, or with ``RAFTCHECK_PURE=1`` in the environment, nothing
is compiled and the package runs as pure Python. ``raftcheck check`` prints which one
runs (``checker.build``).
"""

from __future__ import annotations

import os
import runpy
import shutil
import sys
import sysconfig
from pathlib import Path

from setuptools import setup
from setuptools.command.build_ext import build_ext

#: The modules to compile, listed in checker/build.py (read, not imported: nothing is
#: built yet). Paths are relative: pip runs this file from the project's root.
_BUILD = runpy.run_path(str(Path("checker") / "build.py"))
COMPILED = [_BUILD["source_path"](m) for m in _BUILD["COMPILED"]]


def _compiler() -> str | None:
    """Why not to compile, or None when a C compiler is there to use."""
    if os.environ.get("RAFTCHECK_PURE", "") not in ("", "0"):
        return "RAFTCHECK_PURE is set"
    cc = (os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc").split()[0]
    if shutil.which(cc) is None:
        return f"no C compiler ({cc} not found)"
    return None


def _ext_modules() -> list[object]:
    reason = _compiler()
    if reason is None:
        try:
            from mypyc.build import mypycify
        except ImportError:
            reason = "mypyc is not installed"
        else:
            return list(mypycify(COMPILED, opt_level="3", debug_level="0"))
    print(f"raftcheck: building pure Python ({reason})", file=sys.stderr)
    return []


class _BuildExt(build_ext):  # type: ignore[misc]  # setuptools is untyped
    """setuptools' build_ext, then every extension it built marked as built now. mypyc
    rewrites a C file only when its text changes, and the compiler runs only for those:
    after an edit that leaves the C the same (a docstring), the extensions would look
    older than their source, and ``checker.build.stale`` would call them STALE."""

    def build_extensions(self) -> None:
        super().build_extensions()
        # Before setuptools copies them next to their sources (an editable install, or
        # --inplace), which keeps their times.
        for output in self.get_outputs():
            if os.path.exists(output):
                os.utime(output)


setup(ext_modules=_ext_modules(), cmdclass={"build_ext": _BuildExt})
