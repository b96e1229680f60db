"""The trace viewer in a real browser: Debian's headless Chromium driven by Playwright
(``executable_path``: Playwright's own browser download is not used). The test loads the
page from a file, reads the DOM (lanes, arrows, the violation marker), steps with key
presses and keeps a screenshot: under tmp_path, and copied to $RAFTCHECK_ARTIFACTS when
set (a directory a CI job uploads).

Skipped, saying what to install, without the ``chromium`` Debian package or the
``playwright`` Python package (the test extra).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from checker.report import view
from checker.traces import itf
from tests.support import EXAMPLES

CHROMIUM = os.environ.get("RAFTCHECK_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"

if not Path(CHROMIUM).is_file():
    pytest.skip(
        "no Chromium: install the Debian package 'chromium' (apt-get install -y chromium; "
        ".ci/run does)",
        allow_module_level=True,
    )
sync_api = pytest.importorskip(
    "playwright.sync_api", reason="install the 'playwright' Python package (the test extra)"
)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield b
        finally:
            b.close()


def _open(browser: Any, name: str, tmp_path: Path) -> Any:
    page_file = tmp_path / name.replace(".itf.json", ".html")
    page_file.write_text(
        view.render(itf.read_trace(EXAMPLES / name), source=f"traces/examples/{name}"),
        encoding="utf-8",
    )
    page = browser.new_page(viewport={"width": 1500, "height": 1000})
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(page_file.as_uri())
    page.wait_for_selector("#panel h2")
    assert errors == []
    assert requests == [page_file.as_uri()]  # the page itself, nothing else
    return page


def _keep(page: Any, tmp_path: Path, name: str) -> Path:
    shot = tmp_path / name
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    where = os.environ.get("RAFTCHECK_ARTIFACTS")
    if where:
        Path(where).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(where) / name)
    return shot


def _step(page: Any) -> int:
    return int(page.get_attribute("body", "data-step"))


def test_figure8_in_chromium(browser: Any, tmp_path: Path) -> None:
    page = _open(browser, "figure8-bug.itf.json", tmp_path)
    data = view.trace_data(itf.read_trace(EXAMPLES / "figure8-bug.itf.json"))
    assert page.locator(".lane").count() == 3
    assert page.locator(".arrow").count() == len(data["arrows"]) == 18
    assert page.locator(".arrow.pending").count() == sum(a["to"] is None for a in data["arrows"])
    marker = page.locator("#violation")
    assert marker.count() == 1 and marker.get_attribute("data-step") == "22"
    assert "LeaderCompleteness" in page.inner_text("#violation-banner")
    assert _step(page) == 0
    for k in range(1, 5):
        page.keyboard.press("ArrowDown")
        assert _step(page) == k
    assert "step 4 of 22: ClientRequest(i=1, v=1)" in page.inner_text("#panel h2")
    # The step appended S1's entry: its log cell is the one highlighted.
    assert page.locator("#panel td.changed").all_inner_texts() == ["1:1=1"]
    page.keyboard.press("ArrowUp")
    assert _step(page) == 3
    # S1 became leader: its role cell is highlighted.
    assert "Leader" in page.locator("#panel td.changed").all_inner_texts()
    page.keyboard.press("v")
    assert _step(page) == 22
    assert "LeaderCompleteness violated" in page.inner_text("#panel-violation")
    # The arrows of the current step are emphasised.
    assert page.locator('.arrow.active[data-to="22"]').count() == 1
    page.keyboard.press("Home")
    assert _step(page) == 0
    page.keyboard.press("End")
    _keep(page, tmp_path, "figure8-bug.png")


def test_term29_in_chromium(browser: Any, tmp_path: Path) -> None:
    page = _open(browser, "term-29-election.itf.json", tmp_path)
    assert page.locator(".lane").count() == 3
    assert page.locator("#violation").count() == 0
    assert "first state" in page.inner_text("#panel h2")
    for _ in range(4):
        page.keyboard.press("j")
    assert _step(page) == 4
    page.keyboard.press("j")  # past the end: stays on the last step
    assert _step(page) == 4
    panel = page.inner_text("#panel")
    assert "Leader" in panel and "29" in panel
    assert "elected: t28:S1, t29:S2" in panel
    _keep(page, tmp_path, "term-29-election.png")
