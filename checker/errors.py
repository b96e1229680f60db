"""Exceptions raised by raftcheck. Every one maps to one line and exit code 2 in the CLI.

RaftcheckError
 ├── TraceFormatError (ValueError)   a trace file that is not valid ITF for raftcheck
 ├── BadOption (ValueError)          a CLI option or bound that cannot be used
 └── raftmodel's own: BadConfig, UnknownMutant, ScriptError (all ValueError)
"""

from __future__ import annotations


class RaftcheckError(Exception):
    """Base class of raftcheck's own errors."""


class TraceFormatError(RaftcheckError, ValueError):
    """A trace is malformed; the message names the first bad field by its path."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


class BadOption(RaftcheckError, ValueError):
    """An option, bound or preset that cannot be used."""
