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


setup(ext_modules=_ext_modules())
