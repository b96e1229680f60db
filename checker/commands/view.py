"""``raftcheck view``: an ITF trace as one self-contained HTML page (checker/report/view.py)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from checker.commands import common
from checker.commands.common import Exit
from checker.files import write_text_atomic
from checker.report import view
from checker.traces import itf


def cmd_view(args: argparse.Namespace) -> int:
    common.check_outputs(args, "out")
    trace = itf.read_trace(args.trace)
    source = "stdin" if args.trace == "-" else str(args.trace)
    if args.out:
        out = Path(args.out)
    elif args.trace == "-":
        out = Path("trace.html")
    else:
        out = view.page_path(Path(args.trace))
    page = view.render(trace, source=source, max_steps=args.max_steps)
    write_text_atomic(out, page)
    data = view.trace_data(trace, args.max_steps)
    v = data["violation"]
    drawn = (
        f"{data['drawn']} of {data['total']} steps"
        if data["drawn"] < data["total"]
        else (f"{data['total']} steps")
    )
    print(
        f"page written to {out}: {trace.config.n} servers, {drawn}, "
        f"{len(data['arrows'])} messages, {len(page):,} bytes"
        + (f"; {v['property']} violated at step {v['step']}" if v else "")
        + (f"; leaves the model at step {dv['step']}" if (dv := data["divergence"]) else "")
    )
    return Exit.OK


def register(sub: Any) -> None:
    p = sub.add_parser(
        "view",
        help="draw an ITF trace as a self-contained HTML page",
        description="Write one self-contained HTML page (no network access) that draws "
        "an ITF trace from check, simulate, tlc, bmc, conform or replay: one lane per "
        "server, messages as arrows from send to delivery, each step's role, term, vote, "
        "log and commit index with what changed highlighted, the violated property marked "
        "where it fires; step with the arrow keys. Exit 0 written, 2 a malformed trace.",
    )
    p.add_argument("trace", metavar="TRACE", help="an ITF JSON trace file ('-': stdin)")
    p.add_argument(
        "-o",
        "--out",
        metavar="FILE.html",
        default=None,
        help="where to write the page (default: beside the trace, .itf.json -> .html)",
    )
    p.add_argument(
        "--max-steps",
        type=common.positive,
        default=view.MAX_STEPS,
        help=f"draw at most this many steps (default {view.MAX_STEPS}; the page says so)",
    )
    p.set_defaults(func=cmd_view)
