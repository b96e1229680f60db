"""``raftcheck mutants`` and ``raftcheck presets``: the known-bug catalog and the model
presets, as tables."""

from __future__ import annotations

import argparse
from typing import Any

from checker.commands import common
from checker.commands.common import Exit
from checker.raft import bounds as bounds_table
from raftmodel import mutants


def _table(title: str, columns: list[str], rows: list[list[str]]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    for col in columns:
        table.add_column(col)
    for r in rows:
        table.add_row(*r)
    import sys

    Console(width=140, file=sys.stdout, safe_box=True).print(table)


def cmd_mutants(args: argparse.Namespace) -> int:
    if args.json:
        common.write_json(
            "-",
            {
                "mutants": [
                    {
                        "name": m.name,
                        "breaks": m.breaks,
                        "section": m.section,
                        "caught_by": m.caught_by,
                    }
                    for m in mutants.CATALOG
                ]
            },
        )
        return Exit.OK
    _table(
        "known-bug variants (--mutant NAME)",
        ["name", "rule broken", "paper", "caught by"],
        [[m.name, m.breaks, m.section, m.caught_by] for m in mutants.CATALOG],
    )
    return Exit.OK


def cmd_presets(args: argparse.Namespace) -> int:
    from checker.raft.presets import PRESETS, figures

    measured, meta = figures()
    rows = []
    data = []
    for p in PRESETS.values():
        fig = measured.get(p.name)
        b = p.bounds
        bounds = " ".join(
            f"{f.field}={bounds_table.show(getattr(b, f.field))}"
            for f in bounds_table.BOUND_FIELDS
            if (not f.bag_only or p.semantics.value == "bag") and bounds_table.shown(f, b)
        )
        size = fig.show() if fig else "not measured (python bench/presets.py --write)"
        rows.append([p.name, str(p.servers), p.semantics.value, bounds, p.about, size])
        data.append(
            {
                "name": p.name,
                "servers": p.servers,
                "semantics": p.semantics.value,
                "bounds": {
                    f.field: getattr(b, f.field)
                    for f in bounds_table.BOUND_FIELDS
                    if bounds_table.shown(f, b)
                },
                "values": list(b.values),
                "about": p.about,
                "measured": fig._asdict() if fig else None,
            }
        )
    if args.json:
        common.write_json("-", {"presets": data, "measured": meta})
        return Exit.OK
    _table(
        "model presets (--model PRESET)",
        ["preset", "servers", "network", "bounds", "what it covers", "size (check)"],
        rows,
    )
    if meta:
        print(
            f"sizes: symmetry and the inert-message view on, measured by {meta['measured_by']} "
            f"on {meta['date']} ({meta['machine']}, Python {meta['python']}; {meta['note']})"
        )
    return Exit.OK


def register(sub: Any) -> None:
    m = sub.add_parser(
        "mutants",
        help="list the known-bug variants",
        description="List the known-bug variants selectable with --mutant.",
    )
    m.add_argument("--json", action="store_true", help="print JSON")
    m.set_defaults(func=cmd_mutants)
    p = sub.add_parser(
        "presets",
        help="list the model presets",
        description="List the presets selectable with --model (check, tlc, crosscheck, "
        "refine): their bounds, what they cover, and their measured size.",
    )
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_presets)
