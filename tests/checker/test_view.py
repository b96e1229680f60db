"""``raftcheck view`` and ``--html`` (checker/report/view.py) without a browser: the page's
data against the trace, self-containment, determinism, the size cap, and the page written
next to a counterexample. tests/checker/test_view_browser.py drives it in Chromium."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from checker.commands import main
from checker.report import view
from checker.traces import itf
from raftmodel.actions import Receive
from tests.support import EXAMPLES


def _page(name: str, **kw: int) -> str:
    path = EXAMPLES / name
    return view.render(itf.read_trace(path), source=name, **kw)


def test_figure8_data_follows_the_trace() -> None:
    trace = itf.read_trace(EXAMPLES / "figure8-bug.itf.json")
    data = view.trace_data(trace)
    assert data["servers"] == 3 and data["drawn"] == data["total"] == 22
    assert data["violation"]["property"] == "LeaderCompleteness"
    assert data["violation"]["step"] == 22  # manifest.json: violation:LeaderCompleteness@22
    # Every delivery in the trace ends exactly one arrow, at its step, from the step
    # that first sent the message.
    deliveries = [k for k, s in enumerate(trace.steps) if isinstance(s.action, Receive)]
    assert sorted(a["to"] for a in data["arrows"] if a["to"] is not None) == deliveries
    for a in data["arrows"]:
        if a["to"] is not None:
            m = trace.steps[a["to"]].action.m  # type: ignore[union-attr]
            assert (a["src"], a["dst"]) == (m.source, m.dest)
            assert a["from"] < a["to"]
    # What changed is what differs from the step before.
    for k in range(1, len(trace.steps)):
        for j, (x, y) in enumerate(
            zip(trace.steps[k - 1].state.nodes, trace.steps[k].state.nodes, strict=True)
        ):
            assert ("term" in data["steps"][k]["changed"][j]) == (x.currentTerm != y.currentTerm)
            assert ("log" in data["steps"][k]["changed"][j]) == (x.log != y.log)


def test_page_is_self_contained_and_deterministic() -> None:
    page = _page("figure8-bug.itf.json")
    assert page == _page("figure8-bug.itf.json")
    # No request of any kind: no external src/href, no URL in CSS, and a CSP that forbids them.
    assert not re.search(r"""(?<![\w-])(src|href)\s*=\s*["'](?!#)""", page)
    assert "url(http" not in page and "@import" not in page
    assert "default-src 'none'" in page
    assert page.count('class="lane"') == 3
    assert 'id="violation"' in page and 'data-step="22"' in page
    for label in ("variant", "preset", "bounds", "figure8_commit", "max_term=4"):
        assert label in page


def test_where_a_trace_leaves_the_model_is_marked() -> None:
    # manifest.json: figure8-raft diverges at step 18 (replay's answer, the same check).
    trace = itf.read_trace(EXAMPLES / "figure8-raft.itf.json")
    data = view.trace_data(trace)
    assert data["divergence"]["step"] == 18
    page = view.render(trace)
    assert 'id="divergence"' in page and 'id="divergence-banner"' in page
    assert view.trace_data(itf.read_trace(EXAMPLES / "figure8-bug.itf.json"))["divergence"] is None


def test_no_violation_no_marker() -> None:
    page = _page("term-29-election.itf.json")
    assert 'id="violation"' not in page
    assert "No property of checker.raft.invariants is violated" in page


def test_size_is_capped_with_a_note() -> None:
    full = _page("figure8-bug.itf.json")
    capped = _page("figure8-bug.itf.json", max_steps=5)
    assert 'id="cap-note"' in capped and "the first 5" in capped
    assert 'id="cap-note"' not in full
    assert capped.count('<g class="step"') == 6
    assert len(capped) < len(full) / 2
    # Linear: bytes per step drawn stay within a constant (a few KB for 3 servers).
    assert (len(full) - len(capped)) / 17 < 3000


def test_view_command_and_html_next_to_a_counterexample(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "f8.html"
    assert main(["view", str(EXAMPLES / "figure8-bug.itf.json"), "-o", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == _page("figure8-bug.itf.json").replace(
        "figure8-bug.itf.json", str(EXAMPLES / "figure8-bug.itf.json")
    )
    assert "LeaderCompleteness violated at step 22" in capsys.readouterr().out
    trace = tmp_path / "dv.itf.json"
    assert (
        main(["simulate", "--mutant", "double_vote", "--quiet", "--out", str(trace), "--html"]) == 1
    )
    page = tmp_path / "dv.html"
    assert page.is_file() and 'id="violation"' in page.read_text(encoding="utf-8")
    assert f"page written to {page}" in capsys.readouterr().out


def test_bad_trace_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.itf.json"
    bad.write_text("{}", encoding="utf-8")
    assert main(["view", str(bad)]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_a_conformance_divergence_prefix(tmp_path: Path) -> None:
    # The trace conform writes for a failing scenario (here figure8_commit behind the
    # reference adapter, in process): drawn, with where the implementation diverged.
    from checker.conform import runner
    from checker.conform.adapter import ReferenceAdapter
    from raftmodel import mutants
    from tests.support import ROOT

    suite = runner.load(ROOT / "traces" / "conformance" / "regress-figure8_commit.itf.json")
    driver = runner.InProcess(ReferenceAdapter(mutants.rules_for("figure8_commit")))
    (result,) = runner.run(driver, suite, tmp_path).results
    assert result.reproducer is not None
    trace = itf.read_trace(result.reproducer)
    data = view.trace_data(trace)
    assert data["divergence"] is not None
    assert data["divergence"]["step"] == result.divergence.step
    page = view.render(trace, source=str(result.reproducer))
    assert 'id="divergence"' in page and "divergence" in page


@pytest.mark.slow
def test_a_tlc_counterexample(tmp_path: Path) -> None:
    # TLC's counterexample, converted to raftmodel's ITF by `raftcheck tlc`, drawn with
    # --html's page (TLC takes ~10 s: the slow tier).
    out = tmp_path / "tlc.itf.json"
    code = main(
        ["tlc", "--model", "elections", "--mutant", "double_vote", "--quiet", "--out", str(out)]
    )
    assert code == 1
    data = view.trace_data(itf.read_trace(out))
    assert data["violation"]["property"] == "ElectionSafety"
    assert data["violation"]["step"] == data["total"]
