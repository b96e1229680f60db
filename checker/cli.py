"""The ``raftcheck`` console script (pyproject's [project.scripts]); ``python -m checker.cli``."""

import sys

from checker.commands import entry, main

__all__ = ["entry", "main"]

if __name__ == "__main__":
    sys.exit(entry())
