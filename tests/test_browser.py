"""The demo's HTML report in a real browser (headless Chromium): it renders, with no console
errors (a Content-Security-Policy violation would be one), and the screenshot shows a page.

Chromium comes from apt (``/usr/bin/chromium``); set ``RACI_CHROMIUM`` to use another binary.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image

from raci_sync.demo import DEMO_TODAY, demo_config, demo_mount, demo_replay
from raci_sync.model import ReportData
from raci_sync.reports.html import render_html, render_matrix_page
from raci_sync.store import Store
from raci_sync.sync import SyncOptions, build_report, sync

pytestmark = pytest.mark.slow

WINDOW = (1280, 2000)
QUIET = [  # no network, no first-run work, no sandbox (containers), no GPU
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-extensions",
    "--hide-scrollbars",
]


def chromium() -> str:
    """The Chromium binary, or a failure that says how to get one (never a silent skip)."""
    found = os.environ.get("RACI_CHROMIUM") or next(
        (path for name in ("chromium", "chromium-browser") if (path := shutil.which(name))), None
    )
    if not found:
        pytest.fail("headless Chromium is needed: `apt-get install chromium` or set RACI_CHROMIUM")
    return found


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
    assert "<script" not in rendered.dom


def test_demo_matrix_renders_in_chromium(demo_data: ReportData, tmp_path: Path) -> None:
    page = tmp_path / "matrix.html"
    page.write_text(render_matrix_page(demo_data), encoding="utf-8")
    rendered = open_in_chromium(page, tmp_path)
    assert rendered.console == []
    assert "<h1>RACI matrix</h1>" in rendered.dom
    assert rendered.dom.count('<td class="l l-A">') > 10


def test_the_harness_sees_console_errors(tmp_path: Path) -> None:
    page = tmp_path / "bad.html"
    page.write_text(
        '<!DOCTYPE html><meta http-equiv="Content-Security-Policy" content="default-src \'none\'">'
        "<h1>x</h1><script>console.log('ran')</script>",
        encoding="utf-8",
    )
    rendered = open_in_chromium(page, tmp_path)
    assert rendered.console and "Content Security Policy" in rendered.console[0]
