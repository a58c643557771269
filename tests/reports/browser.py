"""Headless Chromium driven over the DevTools protocol (``--remote-debugging-pipe``): open a page
at a given viewport, with scripts on or off, and read what a person would see — how wide the
page is, what the console said, a screenshot, the result of a few lines of JavaScript.

No driver library: the protocol is JSON messages ended by a NUL byte, written to the browser's
fd 3 and read from its fd 4. Chromium comes from apt (``/usr/bin/chromium``); set
``RACI_CHROMIUM`` to use another binary. A missing browser fails the test (never a skip).
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

FLAGS = [  # no network, no first-run work, no sandbox (containers), no GPU
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-extensions",
    "--hide-scrollbars",
    "--remote-debugging-pipe",
]
TIMEOUT = 60.0


def chromium() -> str:
    """The Chromium binary, or a failure that says how to get one."""
    found = os.environ.get("RACI_CHROMIUM") or next(
        (path for name in ("chromium", "chromium-browser") if (path := shutil.which(name))), None
    )
    if not found:
        pytest.fail("headless Chromium is needed: `apt-get install chromium` or set RACI_CHROMIUM")
    return found


@dataclass
class Page:
    """One page loaded in the browser: evaluate JavaScript in it, take screenshots."""

    browser: Browser
    session: str
    console: list[str] = field(default_factory=list)  # messages, errors, CSP violations

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression (returned by value; a thrown error fails)."""
        result = self.browser.call(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
            self.session,
        )
        if "exceptionDetails" in result:
            raise AssertionError(f"JavaScript threw: {result['exceptionDetails']}")
        return result["result"].get("value")

    def screenshot(self, path: Path, full_page: bool = False) -> Path:
        """A PNG of the viewport (or of the whole page) written to ``path``."""
        params: dict[str, Any] = {"format": "png", "captureBeyondViewport": full_page}
        if full_page:
            width, height = self.evaluate(
                "[document.documentElement.scrollWidth, document.documentElement.scrollHeight]"
            )
            params["clip"] = {"x": 0, "y": 0, "width": width, "height": height, "scale": 1}
        data = self.browser.call("Page.captureScreenshot", params, self.session)["data"]
        path.write_bytes(base64.b64decode(data))
        return path

    def overflow(self) -> int:
        """How many CSS pixels the page is wider than its viewport (0: no horizontal scroll)."""
        return int(
            self.evaluate(
                "Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"
                " - document.documentElement.clientWidth"
            )
        )


class Browser:
    """A headless Chromium child process spoken to over its DevTools pipe."""

    def __init__(self, profile: Path) -> None:
        to_browser_r, self._write = os.pipe()
        self._read, from_browser_w = os.pipe()
        # The protocol's fds are 3 (commands in) and 4 (answers out): a small Python puts the
        # pipes there and execs the browser (no preexec_fn: the test process has threads).
        move = (
            "import os, sys; os.dup2(int(sys.argv[1]), 3); os.dup2(int(sys.argv[2]), 4); "
            "os.execvp(sys.argv[3], sys.argv[3:])"
        )
        browser = [chromium(), *FLAGS, f"--user-data-dir={profile}"]
        self.process = subprocess.Popen(
            [sys.executable, "-c", move, str(to_browser_r), str(from_browser_w), *browser],
            pass_fds=(to_browser_r, from_browser_w),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._next = 0
        self._buffer = b""
        self._events: list[dict[str, Any]] = []

    def close(self) -> None:
        with suppress(AssertionError, OSError):
            self.call("Browser.close", {})
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self._write)
        os.close(self._read)

    def call(self, method: str, params: dict[str, Any], session: str | None = None) -> Any:
        """Send one command and wait for its answer (events that come first are kept)."""
        self._next += 1
        message: dict[str, Any] = {"id": self._next, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        os.write(self._write, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            reply = self._receive()
            if reply.get("id") == self._next:
                if "error" in reply:
                    raise AssertionError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self._events.append(reply)
        raise AssertionError(f"{method}: no answer within {TIMEOUT} s")

    def wait_for(self, method: str, session: str) -> dict[str, Any]:
        """The next event ``method`` of ``session`` (one that came already counts)."""
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            for event in self._events:
                if event.get("method") == method and event.get("sessionId") == session:
                    self._events.remove(event)
                    return event
            self._events.append(self._receive())
        raise AssertionError(f"no {method} within {TIMEOUT} s")

    def _receive(self) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            chunk = os.read(self._read, 1 << 16)
            if not chunk:
                raise AssertionError("Chromium closed its DevTools pipe")
            self._buffer += chunk
        raw, _, self._buffer = self._buffer.partition(b"\0")
        return dict(json.loads(raw))

    def open(self, url: str, width: int, height: int, scripts: bool = True) -> Page:
        """A new tab ``width`` × ``height`` CSS pixels (a phone's when under 600), ``url``
        loaded in it; console messages and errors are collected from the start."""
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"
        ]
        for domain in ("Page", "Runtime", "Log"):
            self.call(f"{domain}.enable", {}, session)
        mobile = width < 600
        self.call(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile},
            session,
        )
        if not scripts:
            self.call("Emulation.setScriptExecutionDisabled", {"value": True}, session)
        self.call("Page.navigate", {"url": url}, session)
        self.wait_for("Page.loadEventFired", session)
        page = Page(self, session)
        page.console = self._console(session)
        return page

    def console(self, page: Page) -> list[str]:
        """Everything the page's console got so far (since it was opened)."""
        return self._console(page.session)

    def _console(self, session: str) -> list[str]:
        """Console calls, uncaught exceptions and log entries (CSP violations) so far."""
        self.call("Runtime.evaluate", {"expression": "1"}, session)  # flush pending events
        found = []
        for event in [e for e in self._events if e.get("sessionId") == session]:
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.consoleAPICalled":
                args = " ".join(str(a.get("value", a.get("description"))) for a in params["args"])
                found.append(f"console.{params['type']}: {args}")
            elif method == "Runtime.exceptionThrown":
                found.append(f"exception: {params['exceptionDetails']}")
            elif method == "Log.entryAdded":
                entry = params["entry"]
                found.append(f"{entry['level']} ({entry['source']}): {entry['text']}")
        return found


@contextmanager
def browser(profile: Path) -> Iterator[Browser]:
    """A headless Chromium for the length of a ``with`` block."""
    started = Browser(profile)
    try:
        yield started
    finally:
        started.close()
