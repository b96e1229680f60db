"""The z3 verbs: ``prove`` (inductive invariants for unbounded terms), ``bmc`` (shallow
symbolic bug finding, replayed on raftmodel) and ``refine`` (raftmodel refines the
log-level model, step by step).

``prove``'s exit codes: 0 proved (and the vacuity check passed), 1 a counterexample to
induction (CTI) or a vacuous invariant, 2 bad input, 3 inconclusive (z3 ``unknown`` or a
timeout).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from checker.commands import common
from checker.commands.common import Exit
from checker.errors import BadOption
from checker.traces.itf import write_trace
from raftmodel import mutants

if TYPE_CHECKING:
    from checker.prove.induction import ConjunctResult

EXIT_OK, EXIT_CTI, EXIT_INCONCLUSIVE = Exit.OK, Exit.VIOLATION, Exit.INCONCLUSIVE


def _print_result(r: ConjunctResult, formula: dict[str, tuple[str, str]]) -> None:
    words, text = formula[r.name]
    tag = {"proved": "PROVED", "cti": "CTI", "unknown": "UNKNOWN"}[r.verdict]
    print(f"  {tag:8} {r.name}  ({r.seconds:.2f}s, {r.queries} queries)")
    print(f"           {words}")
    print(f"           {text}")
    if r.verdict == "unknown":
        print(f"           inconclusive: {r.reason}")


def _run(model: str, args: argparse.Namespace) -> int:
    # Imported here, as bmc and refinement below: they import z3, which would otherwise
    # cost every command's start (about 40 ms) whatever its verb.
    from checker.prove.encodings import CTI_MODE, encoding
    from checker.prove.induction import prove, vacuity

    enc = encoding(model, args.servers, args.mutant)
    names = [c.name for c in enc.conjuncts]
    for d in args.drop:
        if d not in names:
            raise BadOption(
                f"unknown conjunct {d!r} for the {model} model; known: {', '.join(names)}"
            )
    if len(args.drop) == len(names):
        raise BadOption("cannot drop every conjunct")
    formula = {c.name: (c.words, c.formula) for c in enc.conjuncts}
    print(
        f"prove {model}: {args.servers} servers, mutant {args.mutant}, "
        f"{len(names) - len(args.drop)} conjuncts"
        + (f" (dropped: {', '.join(args.drop)})" if args.drop else "")
        + "; unbounded terms and log lengths",
        flush=True,
    )
    res = prove(
        enc,
        CTI_MODE[model],
        drop=args.drop,
        timeout_ms=int(args.timeout * 1000),
        symmetry=not args.no_symmetry,
        on_result=lambda r: _print_result(r, formula),
    )
    total = len(enc.actions())
    print(
        f"  {res.instances} action instances"
        + (f" (one per orbit of server renamings, of {total})" if res.instances != total else "")
        + f", {res.queries} queries, {res.seconds:.2f}s",
        flush=True,
    )
    code = EXIT_OK
    for r in res.conjuncts:
        if r.cti is not None:
            c = r.cti
            print(f"CTI: {c.conjunct} is not preserved by {c.action} ({c.mode})")
            if c.action == "Init":
                print("  an initial state violates it")
            else:
                if c.params:
                    print("  parameters: " + ", ".join(f"{k}={v}" for k, v in c.params))
                print("  before (satisfies every kept conjunct):")
                for line in c.before:
                    print(f"    {line}")
                print(f"  after {c.action}:")
                for line in c.after:
                    print(f"    {line}")
            code = EXIT_CTI
            break
    if code == EXIT_OK and res.verdict == "unknown":
        code = EXIT_INCONCLUSIVE
    if code == EXIT_OK and not args.no_vacuity:
        v = vacuity(enc.with_mode(CTI_MODE[model]), drop=args.drop, symmetry=not args.no_symmetry)
        if v.disabled:
            print(f"VACUOUS: no state satisfying the invariant enables {', '.join(v.disabled)}")
            code = EXIT_CTI
        elif v.unknown:
            print(f"INCONCLUSIVE vacuity check: z3 answered unknown for {', '.join(v.unknown)}")
            code = EXIT_INCONCLUSIVE
        else:
            print(
                f"  vacuity: each of the {v.instances} action instances is enabled in some "
                f"state satisfying the invariant ({CTI_MODE[model].describe()}; {v.seconds:.2f}s)"
            )
    verdict = {
        EXIT_OK: "PROVED",
        EXIT_CTI: "NOT PROVED",
        EXIT_INCONCLUSIVE: "INCONCLUSIVE",
    }[code]
    print(f"{verdict}: {model} model, {args.servers} servers, {res.seconds:.2f}s", flush=True)
    return code


def cmd_prove(args: argparse.Namespace) -> int:
    if args.servers < 1:
        raise BadOption(f"--servers must be at least 1, got {args.servers}")
    models = ["election", "log"] if args.encoding == "all" else [args.encoding]
    if args.drop and len(models) > 1:
        raise BadOption("--drop names a conjunct of one encoding: give --encoding election or log")
    codes = [_run(m, args) for m in models]
    for c in (EXIT_CTI, EXIT_INCONCLUSIVE):
        if c in codes:
            return c
    return EXIT_OK


def cmd_bmc(args: argparse.Namespace) -> int:
    from checker.prove import bmc

    common.check_outputs(args, "out")
    if args.mutant not in bmc.SUPPORTED:
        if args.mutant not in mutants.BY_NAME:
            raise BadOption(f"unknown mutant {args.mutant!r}; known: {', '.join(mutants.NAMES)}")
        raise BadOption(
            f"mutant {args.mutant!r} is not a shallow bug of the log-level model; "
            f"supported: {', '.join(bmc.SUPPORTED)}"
        )
    for name in ("depth", "servers", "max_term", "max_log"):
        if getattr(args, name) < 1:
            raise BadOption(f"--{name.replace('_', '-')} must be at least 1")
    print(
        f"bmc {args.mutant}: {args.servers} servers, depth <= {args.depth} abstract steps, "
        f"terms <= {args.max_term}, logs <= {args.max_log} entries"
        + (" (shortest first)" if args.shortest else ""),
        flush=True,
    )
    res = bmc.bmc(
        args.mutant,
        args.depth,
        args.servers,
        max_term=args.max_term,
        max_log=args.max_log,
        shortest=args.shortest,
        timeout_ms=None if args.timeout is None else int(args.timeout * 1000),
        on_depth=(lambda k, r, t: print(f"  depth {k}: {r} ({t:.2f}s)", flush=True))
        if args.shortest
        else None,
    )
    for why in res.rejected:
        print(f"  abstract path not carried out on raftmodel: {why}")
    if res.verdict != "bug":
        what = (
            "no counterexample"
            if res.verdict == "none"
            else "no raftmodel counterexample (z3 unknown or every abstract path rejected)"
        )
        print(
            f"INCONCLUSIVE: {what} up to depth {args.depth} (terms <= {args.max_term}, "
            f"logs <= {args.max_log}; bounded: not a proof), {res.seconds:.2f}s"
        )
        return EXIT_INCONCLUSIVE
    assert res.abstract is not None and res.trace is not None
    assert res.violation is not None and res.state_violation is not None
    print(
        f"  abstract path ({len(res.abstract.actions)} steps, violates "
        f"{', '.join(res.abstract.violated)}):"
    )
    for k, (a, st) in enumerate(
        zip(res.abstract.actions, res.abstract.states[1:], strict=True), start=1
    ):
        print(f"    {k:2}. {a}: {st.show()}")
    out = (
        Path(args.out)
        if args.out
        else Path("traces", "bmc", f"{args.mutant}-depth{args.depth}.itf.json")
    )
    write_trace(out, res.trace)
    steps = len(res.trace.steps) - 1
    k, v = res.violation
    ks, vs = res.state_violation
    print(f"VIOLATION: {v.property} at step {k} of {steps}: {v.detail}")
    common.record_finding(v.property, v.detail, trace=res.trace, path=out, step=k)
    if (ks, vs.property) != (k, v.property):
        print(f"  and {vs.property} at step {ks}: {vs.detail}")
    print(
        f"raftmodel trace: {steps} steps, {res.seconds:.2f}s; written to {out} "
        f"(replay: raftcheck replay --mutant {args.mutant} {out})"
    )
    return EXIT_CTI


def cmd_refine(args: argparse.Namespace) -> int:
    import time

    from checker.prove import refinement

    for name in ("max_states", "walks", "walk_depth"):
        if getattr(args, name) is not None and getattr(args, name) < 1:
            raise BadOption(f"--{name.replace('_', '-')} must be at least 1")
    config = common.preset_config(args, "refine")
    b = config.bounds
    if config.semantics.value != "set":
        raise BadOption(
            f"refine reads votes and acknowledgements from a set network; "
            f"model {args.model!r} has {config.semantics.value} semantics"
        )
    mode = (
        f"{args.walks} random walks of {args.walk_depth} steps, seed {args.seed}"
        if args.walks
        else f"breadth-first, at most {args.max_states:,} pairs"
    )
    print(
        f"refine {args.model}: raftmodel ({args.mutant}) against the log-level model; "
        f"{config.n} servers, terms <= {b.max_term}, logs <= {b.max_log}, requests <= "
        f"{b.max_requests}, restarts <= {b.max_restarts}; {mode}",
        flush=True,
    )
    start = time.perf_counter()
    last = [start]

    def progress(pairs: int, transitions: int, queue: int) -> None:
        now = time.perf_counter()
        if now - last[0] >= 2.0:
            last[0] = now
            print(
                f"  {pairs:,} pairs, {transitions:,} transitions, queue {queue:,}, "
                f"{now - start:.0f}s",
                file=sys.stderr,
                flush=True,
            )

    if args.walks:
        r = refinement.check_walks(config, args.walks, args.walk_depth, args.seed, args.mutant)
    else:
        r = refinement.check_refinement(config, args.max_states, args.mutant, progress)
    secs = time.perf_counter() - start
    print("  raftmodel action -> abstract steps (count):")
    for act, paths in r.by_action.items():
        for path, k in paths.items():
            print(f"    {act:30} {path:44} {k:>10,}")
    stats = (
        f"{r.states:,} raftmodel states, {r.pairs:,} "
        f"{'steps' if args.walks else '(raftmodel, abstract) pairs'}, "
        f"{r.transitions:,} transitions, {secs:.1f}s"
    )
    if r.failure is not None:
        print(f"NOT A REFINEMENT: {r.failure}")
        print("  raftmodel steps from Init:")
        for k, a in enumerate(r.trace, start=1):
            print(f"    {k:3}. {a}")
        print(f"  {stats}")
        return EXIT_CTI
    if r.complete:
        print(f"REFINES: every transition maps to abstract steps; {stats}")
        return EXIT_OK
    why = (
        "random walks (not exhaustive)"
        if args.walks
        else f"stopped at --max-states {args.max_states:,}"
    )
    print(f"INCONCLUSIVE: no failure, but {why}; {stats}")
    return EXIT_INCONCLUSIVE


def _register_refine(sub: Any) -> None:
    p = sub.add_parser(
        "refine",
        help="check that raftmodel refines the log-level model, step by step",
        description="Search the pairs (raftmodel state, log-level state) from Init: every "
        "raftmodel transition must match a stutter or a sequence of log-level actions (the "
        "mapping in docs/proofs.md), keep the simulation relation and reach states that "
        "satisfy the log-level inductive invariant. Exit 0 every reachable transition maps "
        "(the bounded space was exhausted), 1 a transition does not (printed with its path), "
        "2 bad input, 3 stopped early (--max-states, or --walks).",
    )
    common.add_preset_option(p)
    p.add_argument(
        "--max-states", type=common.positive, default=2_000_000, help="pairs to explore at most"
    )
    p.add_argument(
        "--walks",
        type=common.positive,
        default=None,
        help="random walks instead of the full search",
    )
    p.add_argument(
        "--walk-depth", type=common.positive, default=60, help="steps per walk (default 60)"
    )
    p.add_argument("--seed", type=int, default=0, help="walk seed (default 0)")
    p.set_defaults(func=cmd_refine)


def register(sub: Any) -> None:
    """Add the ``prove``, ``bmc`` and ``refine`` verbs to the ``raftcheck`` subparsers."""
    _register_bmc(sub)
    _register_refine(sub)
    p = sub.add_parser(
        "prove",
        help="z3 proofs of ElectionSafety and the log properties for unbounded terms",
        description="Check with z3 that the conjuncts of each model form an inductive "
        "invariant (Init => Inv, and Inv /\\ A => Inv' for every action instance), for "
        "unbounded terms and log lengths; print each conjunct, its verdict and time; "
        "check that no action is vacuous. Exit 0 proved, 1 CTI, 2 bad input, "
        "3 inconclusive. See docs/proofs.md.",
    )
    p.add_argument(
        "--encoding",
        choices=["election", "log", "all"],
        default="all",
        help="election: the message-passing election of raftmodel; log: the log-level "
        "abstraction; all (default): both",
    )
    p.add_argument(
        "--servers", type=common.servers, default=3, help="cluster size (default 3; 5, 7)"
    )
    p.add_argument(
        "--drop",
        action="append",
        default=[],
        metavar="CONJUNCT",
        help="leave this conjunct out (repeatable): expect a CTI",
    )
    p.add_argument(
        "--mutant",
        default="raft",
        metavar="NAME",
        help="encode a known-bug variant instead of Raft (see 'raftcheck mutants')",
    )
    p.add_argument(
        "--timeout",
        type=common.seconds,
        default=120.0,
        metavar="SECONDS",
        help="z3 timeout per query (default 120); a timeout is inconclusive (exit 3)",
    )
    p.add_argument("--no-vacuity", action="store_true", help="skip the vacuity check")
    p.add_argument(
        "--no-symmetry",
        action="store_true",
        help="ask about every action instance, not one per orbit of server renamings "
        "(the same verdicts; slower)",
    )
    p.set_defaults(func=cmd_prove)


def _register_bmc(sub: Any) -> None:
    p = sub.add_parser(
        "bmc",
        help="shallow symbolic bug finding (z3 BMC of the log-level model, replayed on raftmodel)",
        description="Unroll the log-level model's transition relation (guards restricted to "
        "what raftmodel can carry out) up to --depth steps from Init and ask z3 for a state "
        "violating ElectionSafety, LogMatching, LeaderCompleteness or StateMachineSafety; "
        "carry the abstract path out on raftmodel and write it as an ITF trace that "
        "'raftcheck replay --mutant NAME FILE' reproduces. Exit 1 a bug trace was found, "
        "3 none up to the depth (bounded: not a proof), 2 bad input. See docs/proofs.md.",
    )
    p.add_argument("--mutant", required=True, metavar="NAME", help="the variant to search")
    p.add_argument("--depth", type=common.positive, required=True, help="abstract steps to unroll")
    p.add_argument("--servers", type=common.servers, default=3, help="cluster size (default 3)")
    p.add_argument(
        "--max-term", type=common.positive, default=4, help="term bound of the search (default 4)"
    )
    p.add_argument(
        "--max-log",
        type=common.positive,
        default=1,
        help="log length bound of the search (default 1)",
    )
    p.add_argument(
        "--shortest",
        action="store_true",
        help="ask depth by depth (a shortest abstract path; slower than one query at --depth)",
    )
    p.add_argument(
        "--timeout",
        type=common.seconds,
        default=None,
        metavar="SECONDS",
        help="z3 timeout per query",
    )
    p.add_argument(
        "--out", default=None, metavar="FILE", help="trace file (default traces/bmc/...)"
    )
    p.set_defaults(func=cmd_bmc)
