"""The ``raftcheck`` command: one module per verb (or group of verbs), each registering
its own subcommand, over the library packages.

This is the only layer that parses arguments, prints for a person and chooses exit
codes (``common.Exit``); the libraries below it (engine, raft, traces, tla, prove) return
values and raise ``checker.errors`` exceptions. Nothing imports this package but
``checker.cli``.
"""

from __future__ import annotations

import argparse
import gc
import shlex
import sys
from collections.abc import Sequence

from checker.commands import (
    catalog,
    check,
    ci,
    common,
    conform,
    linearizable,
    prove,
    replay,
    simulate,
    tla,
    validate,
    validate_impl,
    view,
)
from checker.commands.common import Exit, Parser

#: The verb modules, in the order ``raftcheck --help`` lists them.
VERBS = (
    replay,
    simulate,
    check,
    tla,
    validate,
    validate_impl,
    prove,
    conform,
    linearizable,
    catalog,
    view,
    ci,
)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("raftcheck")
    except PackageNotFoundError:
        return "unknown (not installed)"


class _Version(argparse.Action):
    """``--version``, reading the installed version only when asked: importlib.metadata
    costs about 30 ms, a sixth of the start of every command."""

    def __init__(
        self, option_strings: list[str], dest: str = argparse.SUPPRESS, help: str | None = None
    ) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, help=help)

    def __call__(self, parser: argparse.ArgumentParser, *_args: object) -> None:
        print(f"raftcheck {_version()}")
        parser.exit()


def build_parser() -> Parser:
    p = Parser(
        prog="raftcheck",
        description="Verification suite for the Raft consensus algorithm: a reference model "
        "(raftmodel), its model checker, traces, TLA+/TLC and z3. Exit codes: 0 pass, "
        "1 violation, 2 bad input, 3 inconclusive, 4 internal error.",
    )
    p.add_argument("--version", action=_Version, help="show program's version number and exit")
    sub = p.add_subparsers(dest="verb", metavar="VERB", parser_class=Parser)
    sub.required = True
    for verb in VERBS:
        verb.register(sub)
    common.add_report_options(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` (default: the command line), run the verb, return its exit code
    (a usage error is exit 2 after one line on stderr; ``--help`` exit 0)."""
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as e:
        return e.code if isinstance(e.code, int) else Exit.BAD_INPUT
    args.run_name = shlex.join(["raftcheck", *(sys.argv[1:] if argv is None else argv)])
    return common.run(args.verb, args.func, args)


def entry() -> int:
    """``main`` for a process that ends with it (the console script). A search leaves
    millions of objects behind (its caches), and the interpreter's last collections would
    traverse them all on the way out: 1.2 s after 120,000 states of two-terms. Frozen,
    they are skipped; the process is ending, so nothing is left uncollected that matters."""
    code = main()
    gc.freeze()
    return code


__all__ = ["Exit", "build_parser", "entry", "main"]

if __name__ == "__main__":
    sys.exit(entry())
