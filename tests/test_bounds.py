"""Bounded (PRODUCT §9 "Bounded"; issue 9 items 1, 3, 14, 16 and the JSON-depth crash; issue 10):
the HTTP layer against hostile servers (tests/fakes/hostile.py), and one hostile source through
``sync()``.

Each test asserts the bounded outcome — how long it took (generous bounds, as ratios to the
limit), how many requests were made, that the error names the limit and its key, the peak
memory where that is the point (``ru_maxrss`` of a child process), and that no escape or bidi
character comes out. Figures: ``pytest tests/test_bounds.py -rP`` (``test_zz_figures``).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from raci_sync import interrupt
from raci_sync.config import Config, Secret, SourceConfig, SyncConfig
from raci_sync.config.settings import Bounds
from raci_sync.connectors.http import HttpClient, RetryPolicy, safe_text
from raci_sync.connectors.limits import RateLimiter
from raci_sync.errors import ResponseError, RetryableError, SourceError
from raci_sync.store import Store
from raci_sync.sync import SyncOptions, sync
from tests.fakes import asana as fake_asana
from tests.fakes import trello as fake_trello
from tests.fakes.hostile import (
    ESCAPE_CHARS,
    ESCAPES,
    Behaviour,
    HostileServer,
    answer,
    deep_json,
    drip,
    escapes,
    gzip_bomb,
    huge,
    retry_after,
    truncated,
)
from tests.fakes.server import FakeServer
from tests.fakes.trello import TrelloFake
from tests.fakes.workspace import Workspace, generate

TOKEN = "tok-SECRET-1234567890"
FIGURES: dict[str, Any] = {}  # printed by test_zz_figures
TICK = 0.5  # s: what a deadline may be overshot by (the watchdog looks every 0.05 s)


@pytest.fixture(autouse=True)
def _no_signal() -> Iterator[None]:
    """No test starts or leaves behind a set STOP (the SIGINT/SIGTERM flag)."""
    interrupt.STOP.clear()
    yield
    interrupt.STOP.clear()


def client(
    *, waits: list[float] | None = None, bounds: Bounds | None = None, **kw: Any
) -> HttpClient:
    """An HttpClient; with ``waits``, its waits are recorded instead of slept."""
    if waits is not None:
        kw["sleep"] = waits.append
    return HttpClient(
        describe="source 'h' (asana)", secrets=(TOKEN,), bounds=bounds or Bounds(), **kw
    )


def timed(call: Callable[[], Any]) -> tuple[float, BaseException | None]:
    """Seconds ``call`` took, and what it raised (None if nothing)."""
    start = time.monotonic()
    try:
        call()
    except BaseException as exc:
        return time.monotonic() - start, exc
    return time.monotonic() - start, None


def get(http: HttpClient, srv: HostileServer, path: str = "/tasks", **kw: Any) -> Any:
    return http.request_json("GET", srv.url + path, **kw)


def clean_of_escapes(text: str) -> bool:
    return not any(c in text for c in ESCAPE_CHARS)


# -- 1. a total deadline per request and per source -------------------------------------------


@pytest.mark.slow
def test_a_body_dripped_a_byte_every_2_s_ends_at_the_request_timeout() -> None:
    """Headers, then one byte every 2 s: no socket read ever waits 3 s, so a per-read timeout
    of 3 s alone never ends it (~10 minutes for this body). The whole request gets 3 s."""
    with HostileServer(drip(every=2.0)) as srv:
        http = client(timeout=3, retry=RetryPolicy(attempts=1))
        took, err = timed(lambda: get(http, srv))
    assert isinstance(err, RetryableError), err
    assert "no complete answer within 3 s" in str(err) and "timeout" in str(err)
    assert 3 <= took < 3 + TICK and http.requests_made == srv.count == 1
    FIGURES["drip-fed body, timeout 3 s: the request ends after (s)"] = round(took, 2)


@pytest.mark.slow
def test_headers_dripped_byte_by_byte_end_at_the_request_timeout() -> None:
    """The status line and headers one byte every 0.2 s: before any body, still 2 s at most."""
    with HostileServer(drip(every=0.2, headers_too=True)) as srv:
        http = client(timeout=2, retry=RetryPolicy(attempts=1))
        took, err = timed(lambda: get(http, srv))
    assert isinstance(err, RetryableError) and "no complete answer within 2 s" in str(err)
    assert 2 <= took < 2 + TICK and http.requests_made == 1
    FIGURES["dripped headers, timeout 2 s: the request ends after (s)"] = round(took, 2)


@pytest.mark.slow
def test_a_source_that_keeps_dripping_fails_at_its_deadline() -> None:
    """Every try drips (timeout 2 s) and the retries wait for real: the source's deadline of
    5 s ([sync] source_deadline_s) ends it — at the deadline, not after five tries (~15 s)."""
    with HostileServer(drip(every=0.5)) as srv:
        http = client(timeout=2, bounds=Bounds(deadline_s=5))
        took, err = timed(lambda: get(http, srv))
        assert isinstance(err, SourceError) and not isinstance(err, RetryableError), err
        assert "[sync] source_deadline_s = 5 s" in str(err)
        assert took < 5 + TICK and 2 <= http.requests_made <= 3
        # whatever the source asks next ends by its deadline too, and then nothing starts
        took_next, err_next = timed(lambda: get(http, srv))
        assert "[sync] source_deadline_s = 5 s" in str(err_next)
        assert took + took_next < 5 + TICK
        took_last, err_last = timed(lambda: get(http, srv))
    assert "deadline passed before GET" in str(err_last) and took_last < 0.1
    assert http.requests_made == srv.count <= 4
    FIGURES["drip-fed source, deadline 5 s: the source fails after (s)"] = round(took, 2)


def test_a_wait_past_the_deadline_fails_at_once() -> None:
    """A Retry-After within [sync] max_wait_s but past the source's time left: no sleep."""
    waits: list[float] = []
    with HostileServer(retry_after(100)) as srv:
        http = client(waits=waits, bounds=Bounds(deadline_s=30))
        took, err = timed(lambda: get(http, srv))
    assert isinstance(err, SourceError) and "[sync] source_deadline_s = 30 s" in str(err)
    assert "a wait of 100 s" in str(err) and waits == [] and took < 1 and srv.count == 1


# -- 2. every asked wait within [sync] max_wait_s ---------------------------------------------


def test_a_429_asking_for_a_year_fails_at_once_naming_the_wait_and_the_key() -> None:
    waits: list[float] = []
    with HostileServer(retry_after(31_536_000)) as srv:
        http = client(waits=waits)
        took, err = timed(lambda: get(http, srv))
    message = str(err)
    assert isinstance(err, SourceError) and not isinstance(err, RetryableError)
    assert "31536000 s (365 days)" in message and "[sync] max_wait_s (120 s)" in message
    assert "rate limited (429; Retry-After: 31536000 s)" in message
    assert message.startswith("source 'h' (asana): GET ")
    assert waits == [] and took < 1 and http.requests_made == srv.count == 1
    FIGURES["429 Retry-After a year: the source fails after (s)"] = round(took, 3)


def test_an_asked_wait_within_the_cap_is_honoured_in_full() -> None:
    """100 s ≤ max_wait_s: waited as asked (it used to be cut to 60 s), then asked again."""
    waits: list[float] = []
    with HostileServer([retry_after(100), answer(200, {"data": [1]})]) as srv:
        assert get(client(waits=waits), srv) == {"data": [1]}
    assert waits == [100.0] and srv.count == 2


def test_http_wait_applies_the_caps_for_the_connectors() -> None:
    """``HttpClient.wait`` (monday's complexity budget): slept within the bounds, refused at
    once beyond them, naming the key."""
    waits: list[float] = []
    http = client(waits=waits, bounds=Bounds(deadline_s=60, max_wait_s=30))
    http.wait(7, "monday's complexity budget resets in 7 s")
    with pytest.raises(SourceError, match=r"resets in 31 s: .*\[sync\] max_wait_s \(30 s\)"):
        http.wait(31, "monday's complexity budget resets in 31 s")
    http.started = http.clock() - 50  # 10 s left
    with pytest.raises(SourceError, match=r"\[sync\] source_deadline_s = 60 s"):
        http.wait(20, "monday's complexity budget resets in 20 s")
    assert waits == [7]


def test_a_rate_limiter_pause_is_a_wait_like_any_other() -> None:
    """The client-side budget (1 request per 60 s here): its 60 s pause is longer than
    [sync] max_wait_s = 10 s, so the second request fails at once instead of sleeping."""
    limiter = RateLimiter(1, 60.0)
    with HostileServer(answer(200, {"data": []})) as srv:
        http = client(limiter=limiter, bounds=Bounds(max_wait_s=10))
        get(http, srv)
        took, err = timed(lambda: get(http, srv))
    assert isinstance(err, SourceError) and "request budget of this token" in str(err)
    assert "[sync] max_wait_s (10 s)" in str(err) and took < 0.5
    assert http.requests_made == srv.count == 1


# -- 3. SIGINT/SIGTERM: no request starts, every wait ends --------------------------------------


def test_no_request_starts_once_stop_is_set() -> None:
    with HostileServer(answer(200, {})) as srv:
        http = client()
        interrupt.STOP.set()
        with pytest.raises(SourceError, match="interrupted"):
            get(http, srv)
    assert http.requests_made == srv.count == 0


@pytest.mark.parametrize("where", ["retry wait", "rate limiter pause", "HttpClient.wait"])
def test_a_signal_ends_a_wait_at_once(where: str) -> None:
    """A 60 s wait (a Retry-After, the limiter's pause, a connector's wait) slept for real;
    STOP set 0.2 s in: the wait ends and the source fails "interrupted" within a moment."""
    plan: list[Behaviour] = [retry_after(60), answer(200, {})] if where == "retry wait" else []
    with HostileServer(plan or answer(200, {})) as srv:
        http = client(limiter=RateLimiter(1, 60.0) if where == "rate limiter pause" else None)
        if where == "rate limiter pause":
            get(http, srv)  # takes the one slot: the next request waits 60 s for another
        call: Callable[[], Any] = (
            (lambda: http.wait(60, "a test's wait"))
            if where == "HttpClient.wait"
            else (lambda: get(http, srv))
        )
        threading.Timer(0.2, interrupt.STOP.set).start()
        took, err = timed(call)
    assert isinstance(err, SourceError) and "interrupted" in str(err), err
    reaction = took - 0.2
    assert 0 <= reaction < 0.3
    assert srv.count == (1 if where != "HttpClient.wait" else 0)  # nothing asked after STOP
    FIGURES[f"signal during a 60 s {where}: the wait ends after (s)"] = round(reaction, 3)


@pytest.mark.slow
def test_sigterm_during_a_100_s_wait_ends_the_cli_run_at_once(tmp_path: Path) -> None:
    """End to end: `raci sync` waits out a 429's Retry-After: 100 (within max_wait_s); a
    SIGTERM ends the run within the 2 s PRODUCT §9 allows, exit 143, no traceback."""
    cfg = tmp_path / "raci.toml"
    with HostileServer(retry_after(100)) as srv:
        cfg.write_text(
            f'store = "{tmp_path / "s.sqlite"}"\n[[source]]\nname = "indhold"\nkind = "trello"\n'
            f'key = "{fake_trello.KEY}"\ntoken = "{fake_trello.TOKEN}"\nboards = ["X"]\n'
            f'base_url = "{srv.url}/1"\n',
            encoding="utf-8",
        )
        proc = subprocess.Popen(
            [sys.executable, "-m", "raci_sync", "--config", str(cfg), "sync"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "XDG_DATA_HOME": str(tmp_path)},
        )
        deadline = time.monotonic() + 30
        while srv.count < 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)  # into the 100 s wait
        sent = time.monotonic()
        proc.send_signal(signal.SIGTERM)  # our own child, by its handle
        _, err = proc.communicate(timeout=30)
        took = time.monotonic() - sent
    assert proc.returncode == 143, err
    assert "retrying in 100.0 s" in err and "interrupted by SIGTERM" in err
    assert "Traceback" not in err and srv.count == 1
    assert took < 2
    FIGURES["SIGTERM during a 100 s Retry-After wait: `raci sync` exits 143 after (s)"] = round(
        took, 2
    )


# -- 4. responses streamed, capped after decompression -----------------------------------------

CHILD = """
import resource, sys, time
from raci_sync.connectors.http import HttpClient
from raci_sync.errors import SourceError
http = HttpClient(describe="source 'h' (asana)")
start = time.monotonic()
try:
    http.request_json("GET", sys.argv[1])
    said = "read it all"
except SourceError as exc:
    said = f"{type(exc).__name__}: {exc}"
took = time.monotonic() - start
print(said)
# the high-water mark of this process's memory; ru_maxrss would also count the parent's from
# before the exec (Linux keeps the larger), so /proc's VmHWM where there is one
try:
    status = dict(line.split(":", 1) for line in open("/proc/self/status"))
    peak_kb = int(status["VmHWM"].split()[0])
except OSError:
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(peak_kb // 1024, round(took, 2))
"""


def in_child(url: str) -> tuple[str, int, float]:
    """A request by a fresh process: what it said, its peak RSS (MB) and the seconds it took."""
    done = subprocess.run(
        [sys.executable, "-c", CHILD, url], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    said, figures = done.stdout.strip().rsplit("\n", 1)
    rss, took = figures.split()
    return said, int(rss), float(took)


@pytest.fixture(scope="module")
def baseline_rss() -> int:
    """The child's peak RSS (MB) for a small answer: Python, requests and raci_sync loaded."""
    with HostileServer(answer(200, {"data": []})) as srv:
        said, rss, _ = in_child(srv.url + "/small")
    assert said == "read it all"
    return rss


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "behaviour", "body_mb"),
    [
        ("gzip bomb, ~200 KB inflating to 200 MB", gzip_bomb(200), 200),
        ("plain 300 MB body, chunked", huge(300), 300),
    ],
)
def test_a_body_past_the_cap_fails_with_memory_bounded_by_the_cap(
    name: str, behaviour: Behaviour, body_mb: int, baseline_rss: int
) -> None:
    """Before: 492 MB (the bomb) and 912 MB (the 300 MB body) of memory, MemoryError beyond.
    Now the read stops at [sync] max_response_mb (64 MB, counted after decompression): the
    memory it takes is about the cap, whatever the body."""
    with HostileServer(behaviour) as srv:
        said, rss, took = in_child(srv.url + "/tasks")
    assert said.startswith("ResponseError: source 'h' (asana): GET "), said
    assert "more than 64 MB ([sync] max_response_mb, counted after decompression)" in said
    assert srv.count == 1  # not retried: a larger answer would be no smaller next time
    assert rss - baseline_rss < 64 * 1.5, (rss, baseline_rss)
    assert took < 10
    FIGURES[f"{name}: peak RSS over a small answer's (MB)"] = rss - baseline_rss
    FIGURES[f"{name}: fails after (s)"] = took


def test_the_cap_is_counted_after_decompression() -> None:
    """~10 KB on the wire, 10 MB inflated, a 5 MB cap: refused, though 10 KB would pass."""
    with HostileServer(gzip_bomb(10)) as srv:
        http = client(bounds=Bounds(max_response_mb=5))
        with pytest.raises(ResponseError, match=r"more than 5 MB \(\[sync\] max_response_mb"):
            get(http, srv)
        assert srv.sent[0] < 100_000
        assert get(client(bounds=Bounds(max_response_mb=11)), srv)["data"].startswith("xxx")


def test_a_declared_length_past_the_cap_is_refused_before_reading() -> None:
    with HostileServer(huge(300, declare=True)) as srv:
        http = client()
        took, err = timed(lambda: get(http, srv))
    assert isinstance(err, ResponseError) and "[sync] max_response_mb" in str(err)
    assert took < 0.5 and http.requests_made == 1


# -- 5. JSON nested 200,000 deep -----------------------------------------------------------------


def test_json_nested_200000_deep_is_a_clear_source_error() -> None:
    """It crashed with RecursionError (exit 70); now the source fails saying why."""
    with HostileServer(deep_json(200_000)) as srv:
        http = client(waits=[])
        took, err = timed(lambda: get(http, srv))
    assert isinstance(err, ResponseError), err
    assert "JSON nested too deeply" in str(err) and "400000 bytes" in str(err)
    assert http.requests_made == 1 and took < 2  # not retried: it would be as deep again


# -- 6. a 200 cut off or not JSON: retried like a 5xx (issue 10) --------------------------------


def test_a_body_cut_off_once_is_asked_again() -> None:
    waits: list[float] = []
    with HostileServer([truncated(keep=20), answer(200, {"data": [1]})]) as srv:
        assert get(client(waits=waits), srv) == {"data": [1]}
    assert srv.count == 2 and len(waits) == 1 and 0.5 <= waits[0] <= 1.5  # a 5xx's backoff


@pytest.mark.parametrize(
    "bad",
    [truncated(keep=20), answer(200, "<html><body>Service paused</body></html>")],
    ids=["cut-off", "html"],
)
def test_a_bad_body_that_persists_fails_after_the_retries(bad: Behaviour) -> None:
    waits: list[float] = []
    with HostileServer(bad) as srv, pytest.raises(ResponseError) as info:
        get(client(waits=waits), srv)
    message = str(info.value)
    assert "gave up after 5 tries" in message and "not valid JSON" in message
    assert "cut off or not JSON" in message and "try again later" in message
    assert srv.count == 5 and len(waits) == 4


def test_graphql_queries_are_reads_and_mutations_or_other_posts_are_not() -> None:
    cut = truncated(keep=5)
    with HostileServer([cut, answer(200, {"data": {"me": {"id": 1}}})]) as srv:
        body = client(waits=[]).request_json(
            "POST", srv.url + "/v2", json_body={"query": "query { me { id } }"}
        )
        assert body == {"data": {"me": {"id": 1}}} and srv.count == 2
    for json_body in ({"query": "mutation { archive_item(item_id: 1) { id } }"}, {"a": 1}):
        with HostileServer(cut) as srv:
            with pytest.raises(ResponseError, match="not valid JSON") as info:
                client(waits=[]).request_json("POST", srv.url + "/v2", json_body=json_body)
            assert "gave up" not in str(info.value) and srv.count == 1  # a write: not repeated


# -- 7. quoted server text without escapes, control or bidi characters (item 14) -------------


def test_an_error_body_with_escapes_comes_out_clean() -> None:
    with HostileServer(escapes(400)) as srv, pytest.raises(SourceError) as info:
        get(client(), srv)
    message = str(info.value)
    assert clean_of_escapes(message), repr(message)
    assert "answered 400" in message and "Danger bill" in message and "gpj.exe" in message
    assert "pwned-title" not in message  # the window title went with its escape sequence


def test_a_retried_answer_with_escapes_logs_clean_lines(caplog: pytest.LogCaptureFixture) -> None:
    with (
        HostileServer([escapes(503), answer(200, {"ok": 1})]) as srv,
        caplog.at_level(logging.INFO, logger="raci_sync"),
    ):
        assert get(client(waits=[]), srv) == {"ok": 1}
    lines = [r.getMessage() for r in caplog.records if r.name.startswith("raci_sync")]
    assert any("retrying in" in line for line in lines)
    assert all(clean_of_escapes(line) for line in lines), lines


def test_a_check_hooks_message_quoting_the_server_comes_out_clean() -> None:
    """monday's errors come in 200 bodies and its connector quotes their message."""

    def check(body: Any) -> None:
        raise SourceError(f"source 'h' (asana): the API said {body['message']}")

    with (
        HostileServer(answer(200, {"message": ESCAPES})) as srv,
        pytest.raises(SourceError) as info,
    ):
        get(client(), srv, check=check)
    assert clean_of_escapes(str(info.value)) and "Danger" in str(info.value)


def test_secrets_are_scrubbed_before_the_cut_even_when_an_escape_splits_them() -> None:
    split = TOKEN[:8] + "\x1b[0m" + TOKEN[8:]  # the escape goes, the secret joins up again
    body = f"denied {split} " + "x" * 170 + f" token={TOKEN}&more"
    with HostileServer(answer(401, body)) as srv, pytest.raises(SourceError) as info:
        get(client(), srv)
    message = str(info.value)
    assert TOKEN not in message and TOKEN[-10:] not in message and TOKEN[:8] not in message
    assert clean_of_escapes(message) and "***" in message


def test_safe_text_keeps_ordinary_text_and_drops_the_rest() -> None:
    assert safe_text("Kampagne Q1 — Ålborg ✓ 😀") == "Kampagne Q1 — Ålborg ✓ 😀"
    assert safe_text("a\x1b[2Jb\x1b]8;;http://x\x1b\\c\x07d\u202ee\r\nf") == "abcde f"
    assert clean_of_escapes(safe_text(ESCAPES))


# -- a hostile source through sync(): it fails cleanly, the other syncs -------------------------


@pytest.fixture(scope="module")
def ws() -> Workspace:
    return generate({"asana": 30, "trello": 30}, containers=2, people=6, seed=9)


def config(asana_url: str, trello_url: str, ws: Workspace, bounds: Bounds) -> Config:
    def names(kind: str) -> tuple[str, ...]:
        return tuple(c.name for c in ws.tools[kind].containers)

    return Config(
        path=None,
        sources=(
            SourceConfig(
                name="kampagner",
                kind="asana",
                token=Secret(fake_asana.TOKEN),
                base_url=asana_url,
                projects=names("asana"),
            ),
            SourceConfig(
                name="indhold",
                kind="trello",
                token=Secret(fake_trello.TOKEN),
                key=Secret(fake_trello.KEY),
                base_url=trello_url,
                boards=names("trello"),
                done_lists=("Udgivet",),
                timeout=1,
                bounds=bounds,
            ),
        ),
        sync=SyncConfig(max_workers=2),
    )


CARDS = "/cards"  # a board's cards: a request in the middle of Trello's read
SYNC_CASES: dict[str, tuple[Behaviour, Bounds, str]] = {
    "gzip-bomb": (gzip_bomb(200), Bounds(), "[sync] max_response_mb"),
    "drip": (drip(every=0.5), Bounds(deadline_s=3), "[sync] source_deadline_s = 3 s"),
    "retry-after-a-year": (retry_after(), Bounds(), "[sync] max_wait_s (120 s)"),
    "json-200000-deep": (deep_json(), Bounds(), "JSON nested too deeply"),
    "escapes": (escapes(400), Bounds(), "answered 400"),
}


@pytest.fixture(scope="module")
def first_sync(ws: Workspace, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store after a clean sync of both sources: each one's last good snapshot."""
    path = tmp_path_factory.mktemp("bounds") / "clean.sqlite"
    with (
        FakeServer(ws) as fakes,
        HostileServer(None, fallback=TrelloFake(ws), prefix="/1") as trello,
        Store(path) as store,
    ):
        cfg = config(fakes.base_urls["asana"], trello.url + "/1", ws, Bounds())
        run = sync(cfg, store, SyncOptions(full=True, rate_limits=False))
    assert [s.status for s in run.sources] == ["ok", "ok"], run.sources
    return path


@pytest.mark.parametrize("case", list(SYNC_CASES))
def test_a_hostile_source_fails_cleanly_and_the_other_syncs(
    case: str, ws: Workspace, first_sync: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    behaviour, bounds, says = SYNC_CASES[case]
    path = tmp_path / "s.sqlite"
    shutil.copyfile(first_sync, path)
    waits: list[float] = []

    def plan(req: Any) -> Behaviour | None:
        return behaviour if req.path.endswith(CARDS) else None

    with (
        FakeServer(ws) as fakes,
        HostileServer(plan, fallback=TrelloFake(ws), prefix="/1") as trello,
        Store(path) as store,
    ):
        before = {s: store.current_snapshot(s) for s in ("kampagner", "indhold")}
        cfg = config(fakes.base_urls["asana"], trello.url + "/1", ws, bounds)
        options = SyncOptions(full=True, rate_limits=False, sleep=waits.append)
        with caplog.at_level(logging.INFO, logger="raci_sync"):
            start = time.monotonic()
            result = sync(cfg, store, options)
            took = time.monotonic() - start
        after = {s: store.current_snapshot(s) for s in ("kampagner", "indhold")}
    asana, trello_run = result.sources
    assert asana.status == "ok" and trello_run.status == "failed"
    error = trello_run.error or ""
    assert error.startswith("source 'indhold' (trello): "), error
    assert says in error and "internal error" not in error and clean_of_escapes(error)
    assert fake_trello.TOKEN not in error and fake_trello.KEY not in error
    kept, last_good = after["indhold"], before["indhold"]
    assert kept is not None and last_good is not None
    assert (kept.id, kept.taken_at, kept.tasks) == (
        last_good.id,
        last_good.taken_at,
        last_good.tasks,
    )
    synced = after["kampagner"]
    assert synced is not None and before["kampagner"] is not None
    assert synced.taken_at > before["kampagner"].taken_at  # read again, whole
    assert len(synced.tasks) == len(before["kampagner"].tasks)
    logged = [r.getMessage() for r in caplog.records]
    assert any(says in line for line in logged)
    assert all(clean_of_escapes(line) for line in logged)
    limit = bounds.deadline_s + TICK if case == "drip" else 10
    assert took < limit
    FIGURES[f"sync with a hostile Trello ({case}): the run takes (s)"] = round(took, 2)


def test_zz_figures() -> None:
    """The figures of this module (``pytest tests/test_bounds.py -rP``), for the README."""
    print(json.dumps(FIGURES, indent=1, ensure_ascii=False))
    assert all(isinstance(v, int | float) for v in FIGURES.values())
