"""``raftcheck ci``: the jobs of ``[tool.raftcheck]`` (pyproject.toml) or raftcheck.toml,
one summary table, and the worst verdict as the exit code.

A job is a verb and its arguments, as typed after ``raftcheck``; each runs as a
subprocess of this interpreter (``python -m checker.cli``, no shell), so a job that runs
out of memory or is killed at its timeout cannot take the others with it. Each job writes
its record (``common.RECORD_ENV``); ``--junit``, ``--sarif`` and the GitHub summary are
built from all of them by the same renderers every verb uses. See docs/ci.md.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from checker.commands import common
from checker.commands.common import Exit
from checker.errors import BadOption
from checker.report.record import Case, Record, from_json, verdict_of

#: What a job may expect of its verb: a correct model passes; a job that runs a known bug
#: expects its violation, and passing is then the failure (the bug went unseen).
EXPECT = {"pass": Exit.OK, "violation": Exit.VIOLATION}

#: The verdict order of ``ci``'s exit code: an error (bad input, a crash) first, since
#: nothing it was meant to check was checked, then a violation, then inconclusive.
_WORST = (Exit.INTERNAL, Exit.BAD_INPUT, Exit.VIOLATION, Exit.INCONCLUSIVE, Exit.OK)


@dataclass(frozen=True)
class Job:
    name: str
    argv: tuple[str, ...]
    expect: Exit
    timeout: float | None


def _load(path: Path | None) -> tuple[Path, list[Job]]:
    if path is None:
        for candidate in (Path("raftcheck.toml"), Path("pyproject.toml")):
            if candidate.is_file():
                path = candidate
                break
        else:
            raise BadOption("no raftcheck.toml or pyproject.toml here (or give --config FILE)")
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as e:
        raise BadOption(f"{path}: not valid TOML: {e}") from None
    table: Any = doc.get("tool", {}).get("raftcheck") if path.name == "pyproject.toml" else doc
    if table is None and path.name == "pyproject.toml":
        raise BadOption(f"{path} has no [tool.raftcheck] table (docs/ci.md)")
    raw = table.get("jobs") if isinstance(table, dict) else None
    if not isinstance(raw, list) or not raw:
        raise BadOption(f"{path}: no jobs: add [[tool.raftcheck.jobs]] tables (docs/ci.md)")
    jobs: list[Job] = []
    for k, j in enumerate(raw):
        where = f"{path}: job {k + 1}"
        if not isinstance(j, dict):
            raise BadOption(f"{where}: expected a table with name and run")
        unknown = set(j) - {"name", "run", "expect", "timeout"}
        if unknown:
            raise BadOption(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
        name, run = j.get("name"), j.get("run")
        if not isinstance(name, str) or not name:
            raise BadOption(f"{where}: 'name' must be a non-empty string")
        if not isinstance(run, list) or not run or not all(isinstance(a, str) for a in run):
            raise BadOption(
                f"{where} ({name}): 'run' must be a list of strings (a verb and its arguments)"
            )
        if run[0] == "ci":
            raise BadOption(f"{where} ({name}): a job cannot run ci")
        expect = j.get("expect", "pass")
        if expect not in EXPECT:
            raise BadOption(f"{where} ({name}): 'expect' is one of {', '.join(EXPECT)}")
        timeout = j.get("timeout")
        if timeout is not None and (
            not isinstance(timeout, int | float) or isinstance(timeout, bool) or timeout <= 0
        ):
            raise BadOption(f"{where} ({name}): 'timeout' must be a positive number of seconds")
        if name in {x.name for x in jobs}:
            raise BadOption(f"{where}: two jobs are named {name!r}")
        jobs.append(
            Job(name, tuple(run), EXPECT[expect], None if timeout is None else float(timeout))
        )
    return path, jobs


def _verdict(job: Job, code: int) -> int:
    """The job's verdict for ci: its exit code, measured against what it expects."""
    if code in (Exit.BAD_INPUT, Exit.INTERNAL, Exit.INCONCLUSIVE):
        return code
    if job.expect is Exit.VIOLATION:
        # The known bug was caught: a pass. Not caught in a finished run: a violation of
        # the job's own claim.
        return Exit.OK if code == Exit.VIOLATION else Exit.VIOLATION
    return code


#: Placeholders a job's arguments may use.
PYTHON = "{python}"


def _expand(arg: str) -> str:
    # An adapter written in Python runs under the interpreter that runs ci (the venv's).
    return sys.executable if arg == PYTHON else arg


def _run_job(job: Job, record_file: Path, cwd: Path) -> tuple[int, float, bool]:
    """Run one job; (exit code, seconds, whether its timeout stopped it)."""
    env = dict(os.environ)
    env[common.RECORD_ENV] = str(record_file)
    env.pop("GITHUB_STEP_SUMMARY", None)  # ci writes the one summary
    argv = [sys.executable, "-m", "checker.cli", *(_expand(a) for a in job.argv)]
    start = time.monotonic()
    proc = subprocess.Popen(argv, env=env, cwd=cwd)
    timed_out = False
    try:
        try:
            code = proc.wait(timeout=job.timeout)
        except subprocess.TimeoutExpired:
            # The budget: SIGTERM ends a verb like Ctrl-C (statistics so far, exit 3).
            timed_out = True
            proc.send_signal(signal.SIGTERM)
            try:
                code = proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                code = proc.wait()
    except KeyboardInterrupt:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        raise
    if code not in tuple(Exit):
        # Killed by a signal (negative) or an exit code raftcheck never uses: stopped at
        # its timeout before it could say so, that is inconclusive; otherwise a crash.
        code = Exit.INCONCLUSIVE if timed_out else Exit.INTERNAL
    return code, time.monotonic() - start, timed_out


def _table(rows: list[list[str]]) -> None:
    heads = ["job", "verdict", "exit", "expect", "seconds", "summary"]
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(heads[:-1])]
    line = "  ".join(h.ljust(w) for h, w in zip(heads, widths, strict=False)) + "  summary"
    print(line)
    print("-" * min(len(line) + 40, 140))
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=False)) + "  " + r[-1])


_WORD = {
    Exit.OK: "pass",
    Exit.VIOLATION: "VIOLATION",
    Exit.BAD_INPUT: "ERROR",
    Exit.INCONCLUSIVE: "INCONCLUSIVE",
    Exit.INTERNAL: "ERROR",
}


def cmd_ci(args: argparse.Namespace) -> int:
    path, jobs = _load(Path(args.config) if args.config else None)
    if args.job:
        known = {j.name for j in jobs}
        missing = [n for n in args.job if n not in known]
        if missing:
            raise BadOption(
                f"no job named {', '.join(map(repr, missing))} in {path}; "
                f"known: {', '.join(sorted(known))}"
            )
        jobs = [j for j in jobs if j.name in args.job]
    if args.list:
        for j in jobs:
            extra = (f"  (expect {args_expect(j)})" if j.expect is not Exit.OK else "") + (
                f"  (timeout {j.timeout:g}s)" if j.timeout else ""
            )
            print(f"{j.name}: raftcheck {' '.join(j.argv)}{extra}")
        return Exit.OK
    print(f"ci: {len(jobs)} jobs from {path}", flush=True)
    parent = common.current_record()
    rows: list[list[str]] = []
    verdicts: list[int] = []
    interrupted = False
    with tempfile.TemporaryDirectory(prefix="raftcheck-ci-") as tmp:
        for k, job in enumerate(jobs):
            print(
                f"\n== job {k + 1}/{len(jobs)} {job.name}: raftcheck {' '.join(job.argv)}",
                flush=True,
            )
            record_file = Path(tmp) / f"job{k}.json"
            try:
                code, seconds, timed_out = _run_job(job, record_file, path.parent)
            except KeyboardInterrupt:
                code, seconds, timed_out = Exit.INCONCLUSIVE, 0.0, False
                interrupted = True
            verdict = _verdict(job, code)
            rec = None
            if record_file.is_file():
                rec = from_json(
                    json.loads(record_file.read_text(encoding="utf-8")), base=path.parent
                )
            if rec is None:
                rec = Record(job.argv[0], job.name, exit=code, seconds=seconds)
            summary = rec.message()
            if timed_out:
                summary = f"timeout {job.timeout:g}s: {summary}"
            if job.expect is Exit.VIOLATION and code in (Exit.OK, Exit.VIOLATION):
                summary = ("caught: " if verdict == Exit.OK else "NOT caught: ") + summary
            rec.name = job.name
            rec.summary = summary
            rec.exit = verdict
            rec.seconds = seconds
            if job.expect is Exit.VIOLATION:
                # A known bug: the one case is whether it was caught; the violation it
                # found is the expected outcome, not an alert for code scanning.
                rec.cases = [Case(f"catches {rec.verb} violation", verdict_of(verdict), summary)]
                rec.findings = []
            if parent is not None:
                parent.children.append(rec)
            verdicts.append(verdict)
            rows.append(
                [
                    job.name,
                    _WORD.get(Exit(verdict), "ERROR"),
                    str(code),
                    "violation" if job.expect is Exit.VIOLATION else "pass",
                    f"{seconds:.1f}",
                    summary[:100],
                ]
            )
            if interrupted:
                break
    print()
    _table(rows)
    worst = _worst(verdicts)
    if interrupted:
        worst = Exit.INCONCLUSIVE if worst in (Exit.OK, Exit.INCONCLUSIVE) else worst
    counts = {w: verdicts.count(w) for w in _WORD}
    print(
        f"\n{_WORD[Exit(worst)].upper()}: {len(verdicts)} of {len(jobs)} jobs ran: "
        f"{counts[Exit.OK]} pass, {counts[Exit.VIOLATION]} violation, "
        f"{counts[Exit.INCONCLUSIVE]} inconclusive, "
        f"{counts[Exit.BAD_INPUT] + counts[Exit.INTERNAL]} error"
        + ("; interrupted" if interrupted else "")
    )
    return worst


def _worst(verdicts: list[int]) -> Exit:
    return next((w for w in _WORST if w in verdicts), Exit.OK)


def args_expect(j: Job) -> str:
    return "violation" if j.expect is Exit.VIOLATION else "pass"


def register(sub: Any) -> None:
    p = sub.add_parser(
        "ci",
        help="run the job list of [tool.raftcheck] (pyproject.toml) or raftcheck.toml",
        description="Run every job of the [tool.raftcheck] table of pyproject.toml (or of "
        "raftcheck.toml): each a verb with its arguments and budgets, optionally expecting "
        "a violation (a known bug) and with a timeout. Prints one summary table and exits "
        "with the worst verdict: 4 or 2 when a job could not run (an error), else 1 a "
        "violation (or an expected one missed), else 3 inconclusive, else 0. --junit has a "
        "testsuite per job; --sarif one result per violation.",
    )
    p.add_argument(
        "--config",
        metavar="FILE",
        help="the TOML file (default raftcheck.toml, else pyproject.toml)",
    )
    p.add_argument("--job", action="append", metavar="NAME", help="run only this job (repeatable)")
    p.add_argument("--list", action="store_true", help="list the jobs and exit")
    p.set_defaults(func=cmd_ci)
