"""What every verb shares: exit codes, the parser, the model options and presets, the
violation report, JSON output, and how signals and a closed stdout end a run.

Verbs print for a person on stdout (progress on stderr); the libraries below never print
or parse arguments. A verb returns its exit code; ``run`` turns the library's errors into
one line on stderr and exit 2, an interrupt (Ctrl-C, SIGTERM) into exit 3, and a bug of
raftcheck's own into one line and exit 4.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import sys
import time
from collections.abc import Callable, Sequence
from enum import IntEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from checker.errors import BadOption
from checker.files import check_writable, write_text_atomic
from checker.raft import bounds as bounds_table
from checker.raft.invariants import ALL_NAMES, Violation
from checker.raft.report import render_step
from checker.report.record import Case, Finding, Record, verdict_of
from checker.traces import itf
from raftmodel import mutants
from raftmodel.actions import Action
from raftmodel.cluster import Bounds, ClusterState, Config, init_state
from raftmodel.network import Semantics
from raftmodel.service import ServiceConfig
from raftmodel.types import ReadPath

if TYPE_CHECKING:
    from checker.raft.presets import Preset


class Exit(IntEnum):
    """raftcheck's exit codes (docs/cli.md)."""

    OK = 0
    #: A property is violated, or a trace leaves the model.
    VIOLATION = 1
    #: An option, bound, file or trace that cannot be used.
    BAD_INPUT = 2
    #: A budget, Ctrl-C or SIGTERM stopped the run before it was done.
    INCONCLUSIVE = 3
    #: A bug of raftcheck's own (not of the model under check).
    INTERNAL = 4


#: The largest cluster any verb accepts: symmetry, fingerprints and z3 stay polynomial
#: in servers, but a cluster this big is already far beyond any exhaustive search.
MAX_SERVERS = 64

#: More processes than this only compete for the cores (and each holds its own caches).
MAX_WORKERS = 64

#: Marks an option the user did not give, so the preset's value applies.
UNSET: Any = object()


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line and exit 2 (no usage dump)."""

    def error(self, message: str) -> NoReturn:
        self.exit(Exit.BAD_INPUT, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


# --- option types ---------------------------------------------------------------------------


def bound(text: str) -> int | None:
    if text.lower() in ("none", "unbounded", "inf"):
        return None
    return natural(text)


def _integer(text: str, low: int, high: int | None, what: str, kind: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {kind}, got {text!r}") from None
    if v < low:
        raise argparse.ArgumentTypeError(f"must be >= {low}, got {v}")
    if high is not None and v > high:
        raise argparse.ArgumentTypeError(f"at most {high} {what}, got {v}")
    return v


def natural(text: str) -> int:
    return _integer(text, 0, None, "", "a number")


def positive(text: str) -> int:
    return _integer(text, 1, None, "", "a positive integer")


def servers(text: str) -> int:
    return _integer(text, 1, MAX_SERVERS, "servers", "a positive integer")


def workers(text: str) -> int:
    return _integer(text, 1, MAX_WORKERS, "workers", "a positive integer")


def seconds(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not math.isfinite(v) or v <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, got {text!r}")
    return v


def values(text: str) -> tuple[int, ...]:
    try:
        vals = tuple(sorted({int(x) for x in text.split(",") if x.strip()}))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated integers, got {text!r}"
        ) from None
    if not vals:
        raise argparse.ArgumentTypeError("at least one value is needed")
    return vals


# --- model options and presets ---------------------------------------------------------------


def add_model_options(p: argparse.ArgumentParser, defaults: Bounds | None) -> None:
    """The model options (one per bound of ``checker.raft.bounds``, servers, values,
    semantics, mutant). With ``defaults=None`` every default comes from ``--model``'s
    preset (``preset_config``)."""
    g = p.add_argument_group("model" if defaults is not None else "model (override the preset)")
    b = defaults or Bounds()

    def dflt(value: object, text: str) -> tuple[object, str]:
        if defaults is None:
            return UNSET, "from the preset"
        return value, text

    default, shown = dflt(3, "3")
    g.add_argument(
        "--servers", type=servers, default=default, help=f"cluster size N (default {shown})"
    )
    for f in bounds_table.BOUND_FIELDS:
        v = getattr(b, f.field)
        default, shown = dflt(v, bounds_table.show(v))
        if f.bag_only:
            # Given or not is what matters (refused with the set network): no default here.
            default = UNSET
        g.add_argument(
            f.flag,
            type=bound if f.optional else positive if f.minimum >= 1 else natural,
            default=default,
            help=f"{f.about} (default {shown})",
        )
    default, shown = dflt(b.values, ",".join(map(str, b.values)))
    g.add_argument(
        "--values",
        type=values,
        default=default,
        help=f"client values, comma-separated (default {shown})",
    )
    default, shown = dflt("set", "set")
    g.add_argument(
        "--semantics",
        choices=[s.value for s in Semantics],
        default=default,
        help="network: 'set' (never removed; loss, duplication, reordering) or "
        f"'bag' (consumed on delivery; explicit Drop/Duplicate). Default {shown}",
    )
    g.add_argument(
        "--mutant",
        default="raft",
        metavar="NAME",
        help="a known-bug variant (see 'raftcheck mutants'); default: correct Raft",
    )


def add_preset_option(p: argparse.ArgumentParser) -> None:
    from checker.raft.presets import PRESETS

    p.add_argument(
        "--model",
        default="default",
        metavar="PRESET",
        help=f"bounds preset: {', '.join(PRESETS)} ('raftcheck presets' lists them)",
    )
    add_model_options(p, None)


def _copies(args: argparse.Namespace, semantics: Semantics, default: int) -> int:
    if args.max_copies is UNSET:
        return default
    if semantics is not Semantics.BAG:
        raise BadOption("--max-copies bounds the bag network: it does nothing with --semantics set")
    return int(args.max_copies)


def model_config(args: argparse.Namespace) -> Config:
    """The config of the model options alone (no preset: simulate)."""
    kw = {f.field: getattr(args, f.field) for f in bounds_table.BOUND_FIELDS}
    kw["max_copies"] = _copies(args, Semantics(args.semantics), 1)
    config = Config(
        args.servers,
        Bounds(values=args.values, **kw),
        Semantics(args.semantics),
        mutants.rules_for(args.mutant),
    )
    init_state(config)  # validates
    return config


def preset_config(args: argparse.Namespace, verb: str) -> Config:
    """``--model``'s preset with the command line's overrides (``add_preset_option``) and
    ``--mutant``; bad input raises BadOption / BadConfig."""
    from checker.raft.presets import PRESETS

    if args.model not in PRESETS:
        raise BadOption(f"unknown model preset {args.model!r}; known: {', '.join(PRESETS)}")
    preset = PRESETS[args.model]

    def pick(name: str, default: Any) -> Any:
        v = getattr(args, name)
        return default if v is UNSET else v

    base = preset.config()
    b = base.bounds
    kw = {f.field: pick(f.field, getattr(b, f.field)) for f in bounds_table.BOUND_FIELDS}
    semantics = Semantics(pick("semantics", base.semantics.value))
    kw["max_copies"] = _copies(args, semantics, b.max_copies)
    bounds = Bounds(values=pick("values", b.values), **kw)
    if None in (bounds.max_term, bounds.max_log, bounds.max_restarts, bounds.max_requests):
        raise BadOption(f"{verb} needs every bound to be a number (an unbounded space is infinite)")
    config = base._replace(
        n=pick("servers", base.n),
        bounds=bounds,
        semantics=semantics,
        rules=mutants.rules_for(args.mutant),
    )
    init_state(config)  # validates, and carries out the preset's prefix under these bounds
    return config


def add_reads_option(g: Any) -> None:
    g.add_argument(
        "--reads",
        choices=[r.label for r in ReadPath],
        default=None,
        help="a service preset's read path: log, read-index (thesis §6.4) or leader-local "
        "(unsafe); default: the preset's",
    )


def service_config(args: argparse.Namespace, preset: Preset, config: Config) -> ServiceConfig:
    """A service preset's service on ``config``, with ``--reads``."""
    sc = preset.service_config(config)
    if args.reads is not None:
        path = next(r for r in ReadPath if r.label == args.reads)
        sc = sc._replace(service=sc.service._replace(reads=path))
    return sc


def describe_config(config: Config) -> str:
    b = config.bounds
    text = (
        f"servers={config.n} semantics={config.semantics.value} mutant={config.rules.name} "
        + " ".join(
            f"{f.field}={bounds_table.show(getattr(b, f.field))}"
            for f in bounds_table.BOUND_FIELDS
            if not f.bag_only and bounds_table.shown(f, b)
        )
        + f" values={','.join(map(str, b.values))}"
    )
    if config.semantics is Semantics.BAG:
        text += f" max_copies={b.max_copies}"
    if config.prefix:
        text += f" start=after {len(config.prefix)} scripted steps from Init"
    return text


def checked() -> str:
    return ", ".join(ALL_NAMES)


# --- output -------------------------------------------------------------------------------


def print_run(states: Sequence[ClusterState], actions: Sequence[Action], sem: Semantics) -> None:
    """Print a run (a walk or a counterexample) step by step."""
    for k, st in enumerate(states):
        before = states[k - 1] if k else None
        for line in render_step(k, actions[k - 1] if k else None, before, st, sem):
            print(line)


def report_violation(
    config: Config,
    states: Sequence[ClusterState],
    actions: Sequence[Action],
    violation: Violation,
    *,
    out: Path,
    description: str,
    quiet: bool,
    where: str = "",
    from_init: bool | None = None,
) -> None:
    """The one violation report: the run step by step (unless quiet), the verdict line,
    then the ITF trace written to ``out`` (the verdict is printed before any file is
    written, so a failed write cannot hide it)."""
    if not quiet:
        print_run(states, actions, config.semantics)
    at = where or f"after {len(actions)} steps"
    print(f"VIOLATION: {violation.property} {at}: {violation.detail}", flush=True)
    trace = itf.make_trace(
        config,
        states,
        actions,
        from_init=from_init,
        meta={"description": description},
    )
    itf.write_trace(out, trace)
    print(f"trace written to {out} (replay: raftcheck replay {out})")
    record_finding(violation.property, violation.detail, trace=trace, path=out)


def default_out(out: str | None, *parts: str) -> Path:
    return Path(out) if out else Path(*parts)


def write_json(path: str, obj: dict[str, Any]) -> None:
    """The JSON summary: to ``path``, or to stdout alone for ``-`` (``run`` then sends the
    human report to stderr)."""
    text = json.dumps(obj, indent=2, sort_keys=True) + "\n"
    if path == "-":
        _REAL_STDOUT.write(text)
        _REAL_STDOUT.flush()
    else:
        write_text_atomic(path, text)


def check_outputs(args: argparse.Namespace, *names: str) -> None:
    """Refuse unwritable output paths before any work starts."""
    for name in names:
        v = getattr(args, name, None)
        if v and v != "-":
            check_writable(v, f"--{name.replace('_', '-')}")


def walk_progress(total: int) -> Callable[[int, int], None]:
    """A progress callback for random walks: a line on stderr every 2 seconds."""
    last = [time.monotonic()]

    def progress(walks: int, steps: int) -> None:
        now = time.monotonic()
        if now - last[0] >= 2.0:
            last[0] = now
            print(f"  walks {walks}/{total}  steps {steps:,}", file=sys.stderr, flush=True)

    return progress


# --- reports: --junit, --sarif, --html, $GITHUB_STEP_SUMMARY ---------------------------------

#: ``raftcheck ci`` sets this to a file name in each job's environment: the job writes its
#: record there (JSON), and ci builds one JUnit, SARIF and summary from all of them.
RECORD_ENV = "RAFTCHECK_RECORD"

#: The records of the runs in progress, innermost last (a verb run from a test or from
#: another verb in the same process is nested: only the outermost writes the summary).
_RECORDS: list[Record] = []


def current_record() -> Record | None:
    return _RECORDS[-1] if _RECORDS else None


def judged(names: Sequence[str]) -> None:
    """The properties this run judges: each becomes a JUnit testcase."""
    r = current_record()
    if r is not None:
        r.properties = tuple(names)


def record_finding(
    rule: str,
    detail: str,
    *,
    trace: itf.Trace | None = None,
    path: Path | None = None,
    step: int | None = None,
) -> None:
    """A violation (or a divergence), with its trace: a failed testcase, a SARIF result
    with its thread flow, and the trace ``--html`` draws."""
    r = current_record()
    if r is not None:
        if trace is None and path is not None and path.is_file():
            trace = itf.read_trace(path)
        r.findings.append(Finding(rule, detail, trace, path, step))
        if path is not None:
            record_trace(path)


def record_case(name: str, code: int, message: str = "") -> None:
    """One testcase (a scenario, a trace) with the exit code its own verdict would have."""
    r = current_record()
    if r is not None:
        r.cases.append(Case(name, verdict_of(code), message))


def record_trace(path: Path) -> None:
    """An ITF trace the run wrote or judged: ``--html`` draws it next to it."""
    r = current_record()
    if r is not None and path not in r.traces:
        r.traces.append(path)


def add_html_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--html",
        action="store_true",
        help="also write the trace as an HTML page next to it (raftcheck view)",
    )


def add_report_options(sub: Any) -> None:
    """``--junit`` and ``--sarif`` on every verb (every leaf parser of ``sub``)."""
    for p in dict.fromkeys(sub.choices.values()):
        nested = [a for a in p._actions if isinstance(a, argparse._SubParsersAction)]
        if nested:
            for n in nested:
                add_report_options(n)
            continue
        g = p.add_argument_group("reports")
        g.add_argument(
            "--junit",
            metavar="FILE",
            help="write a JUnit XML report (a testcase per property, scenario or job; "
            "inconclusive is an error, never a skip)",
        )
        g.add_argument(
            "--sarif",
            metavar="FILE",
            help="write a SARIF 2.1.0 log (a rule per property; a violation's steps as a "
            "thread flow through raftmodel's source)",
        )


def _write_reports(args: argparse.Namespace, rec: Record, nested: bool) -> None:
    # Each report's module (and importlib.metadata, 8 ms) only when that report is asked
    # for: this runs at the end of every command.
    import os

    if getattr(args, "junit", None):
        from checker.report import junit

        write_text_atomic(args.junit, junit.render([rec]))
    if getattr(args, "sarif", None):
        from importlib.metadata import PackageNotFoundError, version

        from checker.report import sarif

        try:
            ours = version("raftcheck")
        except PackageNotFoundError:
            ours = "unknown"
        write_text_atomic(args.sarif, sarif.render([rec], ours))
    if getattr(args, "html", False):
        from checker.report.view import page_path, render_trace

        for path in rec.traces:
            if not Path(path).is_file():
                continue
            page = page_path(Path(path))
            write_text_atomic(page, render_trace(itf.read_trace(path), source=str(path)))
            print(f"page written to {page} (open it in a browser)")
    from checker.report.record import to_json

    keep = os.environ.get(RECORD_ENV)
    if keep and not nested:
        write_text_atomic(keep, json.dumps(to_json(rec), indent=1, sort_keys=True) + "\n")
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary and not nested:
        from checker.report import markdown

        with open(summary, "a", encoding="utf-8") as f:
            f.write(markdown.render([rec]))


# --- running a verb --------------------------------------------------------------------------


class _Stdout:
    """stdout that survives its reader going away (``raftcheck check | head -1``): the
    first write to a closed pipe drops all later output, so the verb runs to its verdict
    and its exit code is kept."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream
        self.closed_pipe = False

    def write(self, text: str) -> int:
        if not self.closed_pipe:
            try:
                return int(self._stream.write(text))
            except BrokenPipeError:
                self._lose()
        return len(text)

    def flush(self) -> None:
        if not self.closed_pipe:
            try:
                self._stream.flush()
            except BrokenPipeError:
                self._lose()

    def _lose(self) -> None:
        import os

        self.closed_pipe = True
        # Python flushes stdout at exit; point the descriptor at /dev/null so that flush
        # does not report the closed pipe again.
        with contextlib.suppress(OSError, ValueError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self._stream.fileno())
            os.close(devnull)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


_REAL_STDOUT: Any = sys.stdout


def _interrupt_once(sigs: Sequence[int]) -> Callable[[int, object], None]:
    import signal

    def interrupt(_sig: int, _frame: object) -> None:
        # Once: later signals are ignored until the verb returns, so a second Ctrl-C or
        # SIGTERM cannot cut short the cleanup the first one started (TLC killed, its
        # directory removed, the worker pool stopped, the statistics printed).
        for s in sigs:
            signal.signal(s, signal.SIG_IGN)
        raise KeyboardInterrupt

    return interrupt


class _Tail:
    """A stream that also keeps the last lines written to it (a run's verdict line, for
    the reports)."""

    def __init__(self, stream: Any, tail: list[str]) -> None:
        self._stream = stream
        self._tail = tail
        self._partial = ""

    def write(self, text: str) -> int:
        lines = (self._partial + text).split("\n")
        self._partial = lines.pop()
        self._tail.extend(line for line in lines if line.strip())
        del self._tail[:-40]
        return int(self._stream.write(text))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def run(verb: str, func: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    """Run one verb (``_run``) and write the reports it was asked for: ``--junit``,
    ``--sarif``, ``--html``, and under GitHub Actions the step summary."""
    name = getattr(args, "run_name", None) or " ".join(["raftcheck", verb])
    rec = Record(verb, name)
    nested = bool(_RECORDS)
    _RECORDS.append(rec)
    start = time.monotonic()
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _Tail(sys.stdout, rec.tail), _Tail(sys.stderr, rec.tail)
    try:
        for opt in ("junit", "sarif"):
            v = getattr(args, opt, None)
            if v:
                check_writable(v, f"--{opt}")
    except BadOption as e:
        # Before any work: the report cannot be written, so none is attempted.
        sys.stdout, sys.stderr = saved
        _RECORDS.pop()
        print(f"raftcheck {verb}: error: {e}", file=sys.stderr)
        return Exit.BAD_INPUT
    try:
        code = _run(verb, func, args)
    finally:
        sys.stdout, sys.stderr = saved
        _RECORDS.pop()
    rec.exit = int(code)
    rec.seconds = time.monotonic() - start
    try:
        _write_reports(args, rec, nested)
    except OSError as e:
        print(f"raftcheck {verb}: error: {e.strerror or e}: {e.filename or ''}", file=sys.stderr)
        return Exit.BAD_INPUT if code == Exit.OK else code
    return code


def _run(verb: str, func: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    """Run one verb: signals, stdout and errors handled the same way for every verb."""
    import signal
    import threading

    from checker.errors import RaftcheckError
    from raftmodel.cluster import BadConfig
    from raftmodel.script import ScriptError

    global _REAL_STDOUT
    for stream in (sys.stdout, sys.stderr):
        # PYTHONIOENCODING=ascii (or a C locale): print what cannot be encoded as escapes
        # rather than die on the first "∀" of a formula.
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            with contextlib.suppress(ValueError, OSError):
                reconfigure(errors="backslashreplace")
    saved = sys.stdout
    safe = _Stdout(saved)
    _REAL_STDOUT = safe
    # ``--json -``: stdout carries the JSON alone; the report goes to stderr.
    sys.stdout = sys.stderr if getattr(args, "json", None) == "-" else safe
    previous: list[tuple[int, Any]] = []
    if threading.current_thread() is threading.main_thread():
        # A CI timeout's SIGTERM ends a run like Ctrl-C: statistics so far, exit 3. A signal
        # the process was started ignoring (nohup, a background job) stays ignored.
        sigs = [s for s in (signal.SIGTERM, signal.SIGINT) if signal.getsignal(s) != signal.SIG_IGN]
        handler = _interrupt_once(sigs)
        previous = [(s, signal.signal(s, handler)) for s in sigs]
    try:
        return int(func(args))
    except (RaftcheckError, BadConfig, ScriptError, mutants.UnknownMutant) as e:
        print(f"raftcheck {verb}: error: {e}", file=sys.stderr)
        return Exit.BAD_INPUT
    except KeyboardInterrupt as e:
        why = str(e) or "interrupted (inconclusive)"
        print(f"raftcheck {verb}: {why}", file=sys.stderr)
        return Exit.INCONCLUSIVE
    except OSError as e:
        # A file the verb writes or reads (disk full, permissions): bad input, one line.
        print(
            f"raftcheck {verb}: error: {e.strerror or e}: {e.filename or ''}".rstrip(": "),
            file=sys.stderr,
        )
        return Exit.BAD_INPUT
    except (RecursionError, MemoryError) as e:
        print(
            f"raftcheck {verb}: error: the input is too large ({type(e).__name__})", file=sys.stderr
        )
        return Exit.BAD_INPUT
    except Exception as e:  # a bug of ours: one line, its own exit code
        where = ""
        tb = e.__traceback__
        while tb is not None and tb.tb_next is not None:
            tb = tb.tb_next
        if tb is not None:
            where = f" at {Path(tb.tb_frame.f_code.co_filename).name}:{tb.tb_lineno}"
        print(
            f"raftcheck {verb}: internal error: {type(e).__name__}: {e}{where} "
            "(a bug in raftcheck; set RAFTCHECK_DEBUG=1 for the traceback)",
            file=sys.stderr,
        )
        import os

        if os.environ.get("RAFTCHECK_DEBUG") == "1":
            raise
        return Exit.INTERNAL
    finally:
        for s, h in previous:
            signal.signal(s, h)
        with contextlib.suppress(BrokenPipeError, ValueError):
            sys.stdout.flush()
        sys.stdout = saved
        _REAL_STDOUT = saved
