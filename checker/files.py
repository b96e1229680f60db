"""Writing files the way every raftcheck verb does: whole or not at all.

A file is written to a temporary file in the same directory and renamed over the target,
so a reader never sees half a file and an interrupted run leaves the old file (or none).
The temporary file is made by ``mkstemp`` (mode 0600); before the rename it gets the mode
any other tool would give a new file, 0666 less the umask.
"""

from __future__ import annotations

import os
from pathlib import Path

from checker.errors import BadOption


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_text_atomic(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` to ``path`` via a temporary file and a rename (never a half-written
    file); the directory is created if missing."""
    import tempfile  # here: 3 ms of every command's start, for the commands that write

    p = Path(path)
    if p.exists() and not p.is_file():
        # A device or a pipe (``--out /dev/null``, a FIFO): written in place, since a
        # rename would put a regular file where it was (as root, /dev/null's node).
        with open(p, "w", encoding="utf-8") as f:
            f.write(text)
        return
    p.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, p)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def check_writable(path: str | os.PathLike[str], what: str) -> Path:
    """Refuse, before any work starts, an output path that cannot be written: a directory,
    a path under a file, or a place without write permission. Missing parent directories
    are fine (they are created on writing) if the nearest existing one is writable."""
    p = Path(path)
    if p.is_dir():
        raise BadOption(f"{what} {str(p)!r} is a directory, not a file")
    parent = p.parent
    while not parent.exists():
        if parent.parent == parent:
            break
        parent = parent.parent
    if not parent.is_dir():
        raise BadOption(f"{what} {str(p)!r}: {str(parent)!r} is not a directory")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise BadOption(f"{what} {str(p)!r}: cannot write in {str(parent)!r}")
    if p.exists() and not os.access(p, os.W_OK):
        raise BadOption(f"{what} {str(p)!r}: the file is not writable")
    import tempfile

    try:
        # /proc and similar file systems accept access() but refuse new files.
        fd, tmp = tempfile.mkstemp(prefix=".raftcheck-probe-", dir=parent)
    except OSError as e:
        raise BadOption(
            f"{what} {str(p)!r}: cannot create a file in {str(parent)!r} ({e.strerror})"
        ) from None
    os.close(fd)
    os.unlink(tmp)
    return p
