"""The ``raftcheck`` console script (pyproject's [project.scripts]); ``python -m checker.cli``."""

import sys

from checker.commands import main

if __name__ == "__main__":
    sys.exit(main())
