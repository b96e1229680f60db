"""The Markdown summary a GitHub Actions step appends to ``$GITHUB_STEP_SUMMARY``: one
table row per run (or ``ci`` job), then each violation with its trace."""

from __future__ import annotations

from collections.abc import Sequence

from checker.report.record import Record, Verdict

_ICON = {
    Verdict.PASS: "pass",
    Verdict.FAIL: "**VIOLATION**",
    Verdict.INCONCLUSIVE: "**inconclusive**",
    Verdict.ERROR: "**error**",
}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render(records: Sequence[Record]) -> str:
    rows: list[Record] = []
    for r in records:
        rows.extend(r.children or [r])
    lines = [
        "### raftcheck",
        "",
        "| run | verdict | exit | seconds | summary |",
        "|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| `{_cell(r.name)}` | {_ICON[r.verdict]} | {r.exit} | {r.seconds:.1f} | "
            f"{_cell(r.message())} |"
        )
    for r in rows:
        for f in r.findings:
            where = f" — trace `{f.path}` (`raftcheck view {f.path}`)" if f.path else ""
            lines.append("")
            lines.append(f"- `{_cell(r.name)}`: **{f.rule}**: {_cell(f.detail)}{where}")
    return "\n".join(lines) + "\n"


__all__ = ["render"]
