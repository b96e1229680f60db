"""``raftcheck validate-impl canonical-raft``: drive a real implementation through seeded
schedules, record its observed traces and validate each against the model.

canonical/raft (the C library behind dqlite, Debian's libraft-dev) runs in its own
in-memory test fixture through a cffi binding (``checker.impl.canonical``,
docs/canonical-raft.md). Exit codes: 0 every run validated, 1 a divergence (an event no
behaviour of the model explains, or a violated invariant; each with its trace), 2 bad
input or libraft missing (one line naming the package), 3 inconclusive (a candidate
bound hit, Ctrl-C, SIGTERM), 4 an internal error.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from checker.commands import common
from checker.commands.common import Exit
from checker.errors import BadOption

IMPLEMENTATIONS = ("canonical-raft",)


def register(sub: Any) -> None:
    p = sub.add_parser(
        "validate-impl",
        help="drive a real Raft implementation (canonical/raft) through seeded schedules and "
        "validate its observed traces",
        description="Run canonical/raft's in-memory cluster fixture through seeded random "
        "schedules (elections, disconnections, kills and revivals, client entries), record "
        "an observed trace at every fixture step (docs/observed-traces.md, normalised as in "
        "docs/canonical-raft.md) and validate each against raftmodel. Needs Debian's "
        "libraft-dev (apt-get install libraft-dev) and cffi.",
    )
    p.add_argument("implementation", choices=IMPLEMENTATIONS, help="the implementation to drive")
    p.add_argument("--runs", type=common.positive, default=100, help="how many runs (default 100)")
    p.add_argument("--seed", type=common.natural, default=0, help="the campaign's seed (default 0)")
    p.add_argument(
        "--servers",
        type=int,
        choices=(3, 5),
        default=None,
        help="cluster size (default: runs alternate between 3 and 5 servers)",
    )
    p.add_argument(
        "--operations",
        type=common.positive,
        default=40,
        help="schedule operations per run (default 40; a burst of steps is one)",
    )
    p.add_argument(
        "--max-hidden-steps",
        type=common.natural,
        default=2,
        help="model steps the log does not show, tried per event (default 2)",
    )
    p.add_argument(
        "--max-candidates",
        type=common.positive,
        default=10_000,
        help="candidate states per run before it stops inconclusive (default 10,000)",
    )
    p.add_argument(
        "--out",
        default=None,
        help="directory for the traces of divergent runs "
        "(default traces/canonical-raft/found/, written only when a run diverges)",
    )
    p.add_argument(
        "--json", default=None, help="write the figures as JSON to this file ('-': stdout)"
    )
    p.set_defaults(func=cmd_validate_impl)


def _progress(start: float) -> Any:
    last = [start]

    def progress(done: int, total: int, divergent: int) -> None:
        now = time.monotonic()
        if now - last[0] >= 2.0 or done == total:
            last[0] = now
            print(
                f"  runs {done:,}/{total:,}  divergent {divergent:,}  {now - start:.0f}s",
                file=sys.stderr,
                flush=True,
            )

    return progress


def cmd_validate_impl(args: argparse.Namespace) -> int:
    from checker.files import write_text_atomic
    from checker.impl.canonical import build, campaign
    from checker.observed import match

    common.check_outputs(args, "json")
    if args.out is not None and Path(args.out).exists() and not Path(args.out).is_dir():
        raise BadOption(f"--out {args.out!r} is a file, not a directory")
    why = build.missing()
    if why is not None:
        raise build.LibraftMissing(why)
    servers = (args.servers,) if args.servers is not None else (3, 5)
    sizes = " and ".join(map(str, servers))
    print(
        f"validate-impl canonical-raft: {args.runs:,} runs of {sizes} servers, seed "
        f"{args.seed}, {args.operations} operations each; hidden steps <= "
        f"{args.max_hidden_steps} per event, candidates <= {args.max_candidates:,}",
        flush=True,
    )
    start = time.monotonic()
    rep = campaign.campaign(
        args.runs,
        args.seed,
        servers,
        operations=args.operations,
        options=match.Options(args.max_hidden_steps, args.max_candidates),
        progress=_progress(start),
    )
    wall = time.monotonic() - start
    print(
        f"runs {rep.runs:,}: {rep.ok:,} validated, {len(rep.divergences):,} divergent, "
        f"{len(rep.inconclusive):,} inconclusive; {rep.fixture_steps:,} fixture steps, "
        f"{rep.events:,} events validated ({rep.hidden_events:,} needed hidden steps), "
        f"{rep.invariant_checks:,} states checked against every invariant, candidate set "
        f"at most {rep.max_set:,}; {wall:.1f}s (recording {rep.record_seconds:.1f}s, "
        f"validating {rep.validate_seconds:.1f}s)"
    )
    written: list[str] = []
    bad = rep.divergences + rep.inconclusive
    if bad:
        outdir = common.default_out(args.out, "traces", "canonical-raft", "found")
        for d in bad:
            target = Path(outdir) / d.name
            write_text_atomic(target, d.trace)
            written.append(str(target))
        kinds = Counter(d.signature for d in bad)
        print("divergences by kind:")
        for sig, count in sorted(kinds.items(), key=lambda kv: (-kv[1], kv[0])):
            print(f"  {count:,} x {sig}")
        for d, path in zip(bad, written, strict=True):
            mm = f"expected {d.expected}, observed {d.observed}" if d.expected else d.observed
            print(f"  seed {d.seed} ({d.servers} servers): {d.where}: {d.field}: {mm}")
            print(f"    trace: {path} (raftcheck validate {path})")
    if args.json is not None:
        common.write_json(
            args.json,
            {
                "implementation": args.implementation,
                "runs": rep.runs,
                "seed": args.seed,
                "servers": list(servers),
                "operations": args.operations,
                "validated": rep.ok,
                "fixture_steps": rep.fixture_steps,
                "events": rep.events,
                "hidden_events": rep.hidden_events,
                "invariant_checks": rep.invariant_checks,
                "max_candidates_seen": rep.max_set,
                "seconds": round(wall, 2),
                "divergences": [
                    {
                        "seed": d.seed,
                        "servers": d.servers,
                        "verdict": d.verdict,
                        "where": d.where,
                        "field": d.field,
                        "expected": d.expected,
                        "observed": d.observed,
                        "trace": path,
                    }
                    for d, path in zip(bad, written, strict=True)
                ],
            },
        )
    if rep.divergences:
        return Exit.VIOLATION
    if rep.inconclusive:
        return Exit.INCONCLUSIVE
    return Exit.OK
