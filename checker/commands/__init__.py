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
import importlib
import shlex
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import Final

from checker.commands import common
from checker.commands.common import Exit, Parser

#: Every verb and the module (of this package) that registers it, in the order
#: ``raftcheck --help`` lists them. A command line that names its verb imports that
#: module only: importing every verb's libraries cost about 45 ms of CPU, a third of the
#: start of every command (tests/checker/test_cli.py checks this table against the
#: modules).
VERBS: Final = {
    "replay": "replay",
    "simulate": "simulate",
    "check": "check",
    "tlc": "tla",
    "crosscheck": "tla",
    "validate": "validate",
    "validate-impl": "validate_impl",
    "bmc": "prove",
    "refine": "prove",
    "prove": "prove",
    "suite": "conform",
    "conform": "conform",
    "adapter": "conform",
    "linearizable": "linearizable",
    "mutants": "catalog",
    "presets": "catalog",
    "view": "view",
    "ci": "ci",
}


def verb_modules(verb: str | None = None) -> list[ModuleType]:
    """The modules that register ``verb`` (every verb's, in ``VERBS`` order, for None or
    a name that is no verb: the top-level help and the usage error list them all)."""
    names = [VERBS[verb]] if verb in VERBS else list(dict.fromkeys(VERBS.values()))
    return [importlib.import_module(f"checker.commands.{name}") for name in names]


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


def build_parser(verb: str | None = None) -> Parser:
    """The command line's parser; with ``verb``, only that verb's module registered."""
    p = Parser(
        prog="raftcheck",
        description="Verification suite for the Raft consensus algorithm: a reference model "
        "(raftmodel), its model checker, traces, TLA+/TLC and z3. Exit codes: 0 pass, "
        "1 violation, 2 bad input, 3 inconclusive, 4 internal error.",
    )
    p.add_argument("--version", action=_Version, help="show program's version number and exit")
    sub = p.add_subparsers(dest="verb", metavar="VERB", parser_class=Parser)
    sub.required = True
    for module in verb_modules(verb):
        module.register(sub)
    common.add_report_options(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` (default: the command line), run the verb, return its exit code
    (a usage error is exit 2 after one line on stderr; ``--help`` exit 0)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        args = build_parser(argv[0] if argv else None).parse_args(argv)
    except SystemExit as e:
        return e.code if isinstance(e.code, int) else Exit.BAD_INPUT
    args.run_name = shlex.join(["raftcheck", *argv])
    return common.run(args.verb, args.func, args)


def entry() -> int:
    """``main`` for a process that ends with it (the console script). A search leaves
    millions of objects behind (its caches), and the interpreter's last collections would
    traverse them all on the way out: 1.2 s after 120,000 states of two-terms. Frozen,
    they are skipped; the process is ending, so nothing is left uncollected that matters."""
    code = main()
    gc.freeze()
    return code


__all__ = ["VERBS", "Exit", "build_parser", "entry", "main", "verb_modules"]

if __name__ == "__main__":
    sys.exit(entry())
