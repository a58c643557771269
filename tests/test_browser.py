"""The HTML report and the weekly email in a real browser (headless Chromium): they render with
no console errors (a Content-Security-Policy violation would be one), the screenshots show a
page at 1280 and at 390 px (a phone) with nothing to scroll sideways, the findings table sorts
and filters in the page, and with scripts off the page still shows everything.

Chromium comes from apt (``/usr/bin/chromium``); set ``RACI_CHROMIUM`` to use another binary.
The first tests drive it from its command line; the rest over the DevTools protocol
(``tests/reports/browser.py``), which can set a phone's viewport, turn scripts off and ask the
page how wide it is.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from PIL import Image

from raci_sync.config import EmailConfig
from raci_sync.demo import DEMO_TODAY, demo_config, demo_mount, demo_replay
from raci_sync.model import Finding, ReportData, Severity
from raci_sync.reports.email import build_email
from raci_sync.reports.html import render_html, render_matrix_page
from raci_sync.store import Store
from raci_sync.sync import SyncOptions, build_report, sync
from tests.reports import changed_report
from tests.reports.browser import FLAGS, Browser, browser, chromium
from tests.reports.hostile import hostile_report

pytestmark = pytest.mark.slow

WINDOW = (1280, 2000)
QUIET = [flag for flag in FLAGS if flag != "--remote-debugging-pipe"]  # one-shot runs


@dataclass
class Rendered:
    png: Path
    dom: str
    console: list[str]  # console messages and uncaught errors Chromium logged


def open_in_chromium(page: Path, work: Path) -> Rendered:
    """Load ``page`` twice in headless Chromium: a screenshot with logging, then the DOM."""
    base = [chromium(), *QUIET, f"--window-size={WINDOW[0]},{WINDOW[1]}"]
    png = work / "shot.png"
    shot = subprocess.run(
        [*base, f"--user-data-dir={work / 'profile-1'}", "--enable-logging=stderr", "--v=0",
         f"--screenshot={png}", page.as_uri()],
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    assert shot.returncode == 0, shot.stderr[-2000:]
    dom = subprocess.run(
        [*base, f"--user-data-dir={work / 'profile-2'}", "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    assert dom.returncode == 0, dom.stderr[-2000:]
    console = [
        line
        for line in shot.stderr.splitlines() + dom.stderr.splitlines()
        if ":CONSOLE" in line or "Uncaught" in line
    ]
    return Rendered(png, dom.stdout, console)


@pytest.fixture(scope="module")
def demo_data(tmp_path_factory: pytest.TempPathFactory) -> ReportData:
    work = tmp_path_factory.mktemp("demo")
    config = demo_config(work / "s.sqlite")
    with Store(work / "s.sqlite") as store:
        sync(
            config,
            store,
            SyncOptions(mount=demo_mount(demo_replay()), rate_limits=False, full=True),
        )
        return build_report(config, store, DEMO_TODAY)


def assert_is_a_page(png: Path) -> None:
    assert png.stat().st_size > 20_000, png.stat().st_size
    with Image.open(png) as image:
        assert image.size == WINDOW
        rgb = image.convert("RGB")
        colours = rgb.getcolors(maxcolors=1_000_000) or []
        assert len(colours) > 50  # text, bars, badges: not one flat colour
        top = {rgb.getpixel((x, 4)) for x in range(0, WINDOW[0], 40)}
        assert top == {(0xC6, 0x28, 0x28)}  # the red status stripe across the top


def test_demo_report_renders_in_chromium(demo_data: ReportData, tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    page.write_text(render_html(demo_data), encoding="utf-8")
    rendered = open_in_chromium(page, tmp_path)
    assert rendered.console == []
    assert_is_a_page(rendered.png)
    for heading in ("Sources", "Findings", "Workload", "Unmatched accounts", "RACI matrix"):
        assert f"<h2>{heading}</h2>" in rendered.dom
    assert "Kasper Vinther" in rendered.dom and "Freja Nørgaard" in rendered.dom
    assert rendered.dom.count("<script") == 1  # the report's own, allowed by its hash
    assert 'class="stack sortable" id="findings-table"' in rendered.dom  # and it ran


def test_demo_matrix_renders_in_chromium(demo_data: ReportData, tmp_path: Path) -> None:
    page = tmp_path / "matrix.html"
    page.write_text(render_matrix_page(demo_data), encoding="utf-8")
    rendered = open_in_chromium(page, tmp_path)
    assert rendered.console == []
    assert "<h1>RACI matrix</h1>" in rendered.dom
    assert rendered.dom.count('<td class="l l-A">') > 10
    assert "<script" not in rendered.dom


def test_the_harness_sees_console_errors(tmp_path: Path) -> None:
    page = tmp_path / "bad.html"
    page.write_text(
        '<!DOCTYPE html><meta http-equiv="Content-Security-Policy" content="default-src \'none\'">'
        "<h1>x</h1><script>console.log('ran')</script>",
        encoding="utf-8",
    )
    rendered = open_in_chromium(page, tmp_path)
    assert rendered.console and "Content Security Policy" in rendered.console[0]


# -- over the DevTools protocol: widths, scripts on and off, the page's own script ---------------


@pytest.fixture(scope="module")
def chrome(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    with browser(tmp_path_factory.mktemp("chrome") / "profile") as started:
        yield started


def _page(tmp_path: Path, name: str, html: str) -> str:
    page = tmp_path / name
    page.write_text(html, encoding="utf-8")
    return page.as_uri()


def _assert_shot(png: Path, width: int) -> None:
    with Image.open(png) as image:
        assert image.size[0] == width and image.size[1] > 800
        rgb = image.convert("RGB")
        assert len(rgb.getcolors(maxcolors=1_000_000) or []) > 50  # a page, not one colour
        assert rgb.getpixel((width // 2, 2)) == (0xC6, 0x28, 0x28)  # the red status stripe


@pytest.mark.parametrize("width", [1280, 390])
def test_report_at_desktop_and_phone_width(
    demo_data: ReportData, chrome: Browser, tmp_path: Path, width: int
) -> None:
    page = chrome.open(_page(tmp_path, "report.html", render_html(demo_data)), width, 900)
    assert page.console == []
    assert page.overflow() == 0, "the page scrolls sideways"
    _assert_shot(page.screenshot(tmp_path / f"report-{width}.png", full_page=True), width)
    assert page.evaluate("document.getElementById('findings-controls').hidden") is False
    if width < 600:  # a phone: each finding is one block, its fields under each other
        display = "getComputedStyle(document.querySelector('#findings-table tbody tr')).display"
        assert page.evaluate(display) == "block"


def test_hostile_and_long_titles_do_not_widen_the_phone_page(
    chrome: Browser, tmp_path: Path
) -> None:
    data = hostile_report()
    unbroken = replace(data.tasks[0], id="long", title="Kampagne" + "x" * 400)
    finding = Finding("no-owner", Severity.ERROR, "no owner", "indhold", "long", unbroken.title)
    data = replace(data, tasks=(*data.tasks, unbroken), findings=(*data.findings, finding))
    page = chrome.open(_page(tmp_path, "hostile.html", render_html(data)), 390, 900)
    assert page.console == []
    assert page.overflow() == 0
    assert page.evaluate("document.title.includes('RACI report')")
    assert page.evaluate("document.querySelectorAll('script').length") == 1


VISIBLE = (
    "Array.from(document.querySelectorAll('#findings-table tbody tr'))"
    ".filter(r => !r.hidden).map(r => r.cells[2].querySelector('bdi').textContent)"
)


def test_findings_sort_and_filter_in_the_page(chrome: Browser, tmp_path: Path) -> None:
    page = chrome.open(_page(tmp_path, "changed.html", render_html(changed_report())), 1280, 900)
    assert len(page.evaluate(VISIBLE)) == 7
    page.evaluate(
        "{ const box = document.getElementById('findings-text');"
        " box.value = 'freja'; box.dispatchEvent(new Event('input')); }"
    )
    assert page.evaluate(VISIBLE) == ["Freja Nørgaard"]  # "Freja" is in that row only
    assert page.evaluate("document.getElementById('findings-shown').textContent") == "1"
    page.evaluate(
        "{ const box = document.getElementById('findings-text');"
        " box.value = ''; box.dispatchEvent(new Event('input'));"
        " const level = document.getElementById('findings-severity');"
        " level.value = 'warning'; level.dispatchEvent(new Event('change')); }"
    )
    assert page.evaluate(VISIBLE) == ["Freja Nørgaard", "Kasper Vinther"]
    page.evaluate(
        "{ const level = document.getElementById('findings-severity');"
        " level.value = ''; level.dispatchEvent(new Event('change')); }"
    )
    since = "document.querySelector('#findings-table thead th:nth-child(6) button')"
    page.evaluate(f"{since}.click()")
    days = page.evaluate(
        "Array.from(document.querySelectorAll('#findings-table tbody tr'))"
        ".map(r => r.cells[5].textContent)"
    )
    assert days == sorted(days) and days[0] == "2026-11-09"  # the chronic one first
    assert page.evaluate(f"{since}.parentNode.getAttribute('aria-sort')") == "ascending"
    page.evaluate(f"{since}.click()")
    assert page.evaluate(VISIBLE)[0] in ("Skriv nyhedsbrev til december", "Freja Nørgaard")
    assert page.evaluate(f"{since}.parentNode.getAttribute('aria-sort')") == "descending"
    assert page.evaluate("document.activeElement.className") == "sort"
    page.console = chrome.console(page)
    assert page.console == []


@pytest.mark.parametrize("width", [1280, 390])
def test_with_scripts_off_the_report_shows_everything(
    demo_data: ReportData, chrome: Browser, tmp_path: Path, width: int
) -> None:
    html = render_html(demo_data)
    page = chrome.open(_page(tmp_path, "report.html", html), width, 900, scripts=False)
    assert page.console == []
    assert page.overflow() == 0
    rows = page.evaluate("document.querySelectorAll('#findings-table tbody tr').length")
    assert rows == html.count("<tr data-severity=") > 0
    assert len(page.evaluate(VISIBLE)) == rows  # every row visible
    assert page.evaluate("document.getElementById('findings-controls').hidden") is True
    assert page.evaluate("document.querySelectorAll('button.sort').length") == 0  # never ran
    assert page.evaluate("document.querySelectorAll('.person-load').length") >= 1
    _assert_shot(page.screenshot(tmp_path / f"no-script-{width}.png", full_page=True), width)


# -- the weekly email ----------------------------------------------------------------------


@pytest.mark.parametrize("width", [900, 390])
def test_email_fits_a_phone(chrome: Browser, tmp_path: Path, width: int) -> None:
    msg = build_email(changed_report(), EmailConfig(sender="RACI <raci@example.com>"))
    assert msg is not None
    image = next(part for part in msg.walk() if part.get_content_type() == "image/png")
    (tmp_path / "workload.png").write_bytes(image.get_content())
    body = msg.get_body(("html",))
    assert body is not None
    html = body.get_content().replace(f"cid:{image['Content-ID'][1:-1]}", "workload.png")
    page = chrome.open(_page(tmp_path, "email.html", html), width, 900)
    assert page.console == []
    assert page.overflow() == 0, "the email scrolls sideways"
    png = page.screenshot(tmp_path / f"email-{width}.png", full_page=True)
    with Image.open(png) as shot:
        assert shot.size[0] == width and shot.size[1] > 1500
    one_column = "getComputedStyle(document.querySelector('table.stack td')).display"
    assert page.evaluate(one_column) == ("block" if width < 600 else "table-cell")
    chart = "document.querySelector('img').getBoundingClientRect().right"
    assert page.evaluate(chart) <= width  # the chart shrinks with the page
