"""Run TLC on spec/Raft.tla and parse what it prints.

A run happens in a fresh temporary directory holding copies of the spec modules, the
generated cfg, TLC's metadir (two runs started in the same second would otherwise
collide on TLC's default metadir) and the JVM's temporary directory (TLC extracts its
standard modules, Naturals.tla and the like, there: they go when the directory goes,
even when TLC is killed). Lines are streamed to a callback as TLC prints them.

A run counts only when TLC said how it ended: ``settled`` accepts a pass (exit 0, "Model
checking completed. No error has been found.", the state counts and "Finished in") or a
violation (exit 12 or 13, the property named, its trace and "Finished in").
Anything else is an error (raftcheck exit 2), or inconclusive (exit 3) when TLC was
stopped by a signal: a run that printed no verdict is never read as a pass or a rejection.

TLC 2.15's exit codes: 0 no error, 12 invariant violated, 13 action property violated,
75 evaluation error, 150 parse/semantic error, 151 config error; others are failures.
"""

from __future__ import annotations

import contextlib
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

from checker.tla.dump import RawState, raw_states
from checker.tla.jar import SPEC_MODULES, TLCError, java, spec_file, tla2tools

EXIT_OK, EXIT_VIOLATION, EXIT_ACTION_VIOLATION = 0, 12, 13
EXIT_EVAL, EXIT_PARSE, EXIT_CONFIG = 75, 150, 151

#: The JVM's java.io.tmpdir inside the run's directory.
JVM_TMP = "jvm-tmp"

_COUNTS = re.compile(
    r"^([\d,]+) states generated(?: \([^)]*\))?, ([\d,]+) distinct states found"
    r"(?: \([^)]*\))?, ([\d,]+) states left on queue"
)
_DEPTH = re.compile(r"^The depth of the complete state graph search is (\d+)")
_VIOLATED = re.compile(r"^Error: (Invariant|Action property) (\w+) is violated")
_PROGRESS = re.compile(r"^Progress\(")
_BY_INITIAL = re.compile(r"^Error: Invariant \w+ is violated by the initial state")
_COMPLETED = "Model checking completed. No error has been found."
_FINISHED = re.compile(r"^Finished in ")
#: Exit codes of a JVM stopped by SIGINT, SIGKILL or SIGTERM (128 + the signal).
_SIGNALLED = (130, 137, 143)
_ENCOUNTERED = re.compile(r"at line (\d+), column (\d+)")
_LOCATION = re.compile(
    r"line (\d+), col(?:umn)? (\d+) to line \d+, col(?:umn)? \d+ of module (\w+)"
)


class TLCResult(NamedTuple):
    exit_code: int
    #: Distinct and generated states and the depth TLC reports (depth counts states, so
    #: it is one more than raftcheck's depth in steps); None if TLC did not say.
    distinct: int | None
    generated: int | None
    depth: int | None
    elapsed: float
    #: The violated invariant or action property, and which of the two it is.
    violation: str | None
    violation_kind: str | None
    #: The counterexample as TLC printed it (empty without a violation).
    trace: tuple[RawState, ...]
    output: tuple[str, ...]
    #: TLC printed "Model checking completed. No error has been found.", and "Finished in"
    #: (its last line, after a pass or a violation).
    completed: bool = False
    finished: bool = False

    @property
    def ok(self) -> bool:
        return self.exit_code == EXIT_OK


class TLCInterrupted(KeyboardInterrupt):
    """TLC was stopped by a signal before it reported how its run ended: inconclusive,
    like a Ctrl-C of raftcheck itself (and handled where that is: exit 3)."""


@contextmanager
def workdir(keep: Path | None = None) -> Iterator[Path]:
    """A directory with copies of the spec modules; removed afterwards unless ``keep``."""
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
        _copy_spec(keep)
        yield keep
        return
    with tempfile.TemporaryDirectory(prefix="raftcheck-tlc-") as d:
        p = Path(d)
        _copy_spec(p)
        yield p


def _copy_spec(d: Path) -> None:
    for name in SPEC_MODULES:
        shutil.copyfile(spec_file(name), d / name)


def command(
    d: Path,
    module: str,
    cfg: str,
    *,
    workers: int = 1,
    dump: str | None = None,
    extra: Sequence[str] = (),
) -> list[str]:
    argv = [
        java(),
        "-XX:+UseParallelGC",
        "-Dtlc2.TLC.ide=raftcheck",
        f"-Djava.io.tmpdir={d / JVM_TMP}",
        "-cp",
        str(tla2tools()),
        "tlc2.TLC",
        "-deadlock",  # a bounded model stops; a state without successors is no error
        "-workers",
        str(workers),
        "-metadir",
        str(d / "meta"),
        "-config",
        cfg,
    ]
    if dump is not None:
        argv += ["-dump", dump]
    return [*argv, *extra, module]


def run(
    d: Path,
    module: str,
    cfg: str,
    *,
    workers: int = 1,
    dump: str | None = None,
    extra: Sequence[str] = (),
    on_line: Callable[[str], None] | None = None,
) -> TLCResult:
    """Run TLC in ``d`` on ``module`` with ``cfg`` (names inside ``d``) and parse the output."""
    argv = command(d, module, cfg, workers=workers, dump=dump, extra=extra)
    (d / JVM_TMP).mkdir(exist_ok=True)
    start = time.monotonic()
    lines: list[str] = []
    try:
        proc = subprocess.Popen(
            argv,
            cwd=d,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            encoding="utf-8",
            errors="replace",
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,
        )
    except OSError as e:
        raise TLCError(f"cannot start Java ({argv[0]}): {e}") from None
    assert proc.stdout is not None
    try:
        for line in proc.stdout:
            line = line.rstrip("\n")
            lines.append(line)
            if on_line is not None:
                on_line(line)
        code = proc.wait()
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    return parse_output(code, lines, time.monotonic() - start)


def _die_with_parent() -> None:
    # Linux: TLC gets SIGTERM when raftcheck dies, even by a signal Python cannot catch,
    # so no JVM outlives the command that started it.
    import ctypes
    import signal

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def parse_output(code: int, lines: Sequence[str], elapsed: float) -> TLCResult:
    distinct = generated = depth = None
    violation = kind = None
    completed = finished = False
    for line in lines:
        completed = completed or line.startswith(_COMPLETED)
        finished = finished or bool(_FINISHED.match(line))
        m = _COUNTS.match(line)
        if m:
            generated = int(m.group(1).replace(",", ""))
            distinct = int(m.group(2).replace(",", ""))
        m = _DEPTH.match(line)
        if m:
            depth = int(m.group(1))
        m = _VIOLATED.match(line)
        if m and violation is None:
            kind = m.group(1).lower()
            violation = m.group(2)
    trace: tuple[RawState, ...] = ()
    if code in (EXIT_VIOLATION, EXIT_ACTION_VIOLATION) or violation is not None:
        start = next(
            (k for k, ln in enumerate(lines) if ln.startswith("Error: The behavior up to")), None
        )
        if start is not None:
            trace = tuple(raw_states(lines[start + 1 :]))
        else:
            # Violated by an initial state: TLC lists that one state without a header.
            start = next((k for k, ln in enumerate(lines) if _BY_INITIAL.match(ln)), None)
            if start is not None:
                head = ["State 1: <Initial predicate>"]
                trace = tuple(raw_states([*head, *lines[start + 1 :]]))[:1]
    return TLCResult(
        code,
        distinct,
        generated,
        depth,
        elapsed,
        violation,
        kind,
        trace,
        tuple(lines),
        completed,
        finished,
    )


def settled(result: TLCResult, what: str = "TLC") -> TLCResult:
    """``result`` if TLC reported how its run ended, a pass or a violation; otherwise
    raises ``TLCInterrupted`` (stopped by a signal) or a one-line ``TLCError``."""
    code = result.exit_code
    if code < 0 or code in _SIGNALLED:
        sig = -code if code < 0 else code - 128
        raise TLCInterrupted(
            f"{what} was stopped by signal {sig} before it finished (inconclusive)"
        )
    if code not in (EXIT_OK, EXIT_VIOLATION, EXIT_ACTION_VIOLATION):
        raise failure(result, what)
    if code == EXIT_OK:
        counted = result.distinct is not None and result.generated is not None
        done = result.completed and counted and result.violation is None
    else:
        # No counts after a violation by the initial state: TLC stops before counting.
        done = result.violation is not None and bool(result.trace)
    if done and result.finished:
        return result
    raise TLCError(unfinished(result, what))


def unfinished(result: TLCResult, what: str = "TLC") -> str:
    """Why ``result`` is no verdict, in words: what TLC did instead."""
    tail = [x.strip() for x in result.output if x.strip()]
    last = f"last line {tail[-1][:200]!r}" if tail else "it printed nothing"
    return f"{what} exited {result.exit_code} without reporting completion: {last}"


def is_progress(line: str) -> bool:
    return bool(_PROGRESS.match(line))


def failure(result: TLCResult, what: str = "TLC") -> TLCError:
    """A one-line error for a run that neither passed nor found a violation."""
    lines = result.output
    code = result.exit_code
    if code == EXIT_PARSE:
        kind = "the spec does not parse"
    elif code == EXIT_CONFIG:
        kind = "the model config is wrong"
    elif code == EXIT_EVAL:
        kind = "evaluating the spec failed"
    else:
        kind = f"TLC failed (exit code {code})"
    detail = _first_detail(lines)
    return TLCError(f"{what}: {kind}{': ' + detail if detail else ''}")


def _first_detail(lines: Sequence[str]) -> str:
    # The most useful line: a parse or semantic error with its location, else the first
    # "Error:" line, else the last non-empty line.
    for k, ln in enumerate(lines):
        s = ln.strip()
        if s.startswith("***Parse Error***"):
            rest = [x.strip() for x in lines[k + 1 : k + 4] if x.strip()]
            enc = next((x for x in rest if x.startswith("Encountered")), "")
            m = _ENCOUNTERED.search(enc)
            module = next(
                (x.split()[-1] for x in lines[k:] if x.strip().startswith("In module ")), ""
            )
            where = f" (line {m.group(1)}, col {m.group(2)} of {module})" if m and module else ""
            return (" ".join(rest[:1]) + where)[:300]
        if s.startswith("Semantic errors:"):
            rest = [x.strip() for x in lines[k + 1 : k + 12] if x.strip()]
            loc = next((x for x in rest if _LOCATION.search(x)), "")
            msg = next(
                (
                    x
                    for x in rest
                    if not _LOCATION.search(x) and not x.startswith("***") and not x[0].isdigit()
                ),
                "",
            )
            return " ".join(p for p in (msg, _loc(loc)) if p)[:300]
    for k, ln in enumerate(lines):
        s = ln.strip()
        if s.startswith("Error:") and "behavior up to" not in s:
            more = [x.strip() for x in lines[k + 1 : k + 4] if x.strip()]
            text = s[len("Error:") :].strip()
            if "unexpected exception" in text:
                text = " ".join(more[2:3]) or text
            loc = next((x for x in more if _LOCATION.search(x)), "")
            return " ".join(p for p in (text, _loc(loc)) if p)[:300]
    tail = [x.strip() for x in lines if x.strip()]
    return tail[-1][:300] if tail else ""


def _loc(text: str) -> str:
    m = _LOCATION.search(text)
    return f"(line {m.group(1)}, col {m.group(2)} of {m.group(3)})" if m else ""
