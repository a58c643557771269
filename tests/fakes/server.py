"""One local HTTP server on 127.0.0.1 serving the three fake APIs under path prefixes.

::

    with FakeServer(generate(1000), latency=0.1) as server:
        server.base_urls["asana"]     # http://127.0.0.1:PORT/asana/api/1.0
        ...                           # point a source's base_url there and sync
        server.counts["asana"]        # requests served per API (faulted ones included)

HTTP/1.1 keep-alive with ``disable_nagle_algorithm`` and each response written in one ``send``
(otherwise delayed ACKs stall every response by ~40 ms). ``latency`` seconds are added to every
request before it is answered (a sleep, so concurrent requests overlap as they would against a
remote API). ``cpu`` adds up the fakes' own processing time per API, so a benchmark can tell
the fake's cost from the client's.

Another connector's fake (any object with the fakes' ``handle`` and ``violations``) is served
beside them, or alone with ``ws=None``: ``FakeServer(None, extra={"toy": ToyFake()})`` serves it
under ``/toy``.

Fault injection: ``server.fault = hook`` installs a callable that sees every request first
(:class:`Request`, with ``n`` = its number for that API, from 1) and returns None (answer
normally), a :class:`Reply` (answer this instead — or, with ``status=None``, the fake's own
answer, cut), :data:`DROP` (close the connection without a word) or a :class:`Stall` (wait,
or hold the answer until an event, then answer). :func:`fail_first` builds the common "the
first n matching requests fail" plan, :func:`fail_from` "every matching request from the k-th on
fails" (a revoked token).
"""

from __future__ import annotations

import json
import threading
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qsl, urlsplit

from tests.fakes.asana import AsanaFake
from tests.fakes.monday import MondayFake
from tests.fakes.trello import TrelloFake
from tests.fakes.workspace import Workspace

PREFIXES = {"asana": "/asana/api/1.0", "trello": "/trello/1", "monday": "/monday/v2"}
CONTROL = "/_fake"  # GET /_fake/stats, POST /_fake/reset


@dataclass(frozen=True)
class Request:
    """One request as the fault hook and the request log see it."""

    api: str
    method: str
    path: str  # below the API's base path, e.g. "/projects/123/tasks"
    query: Mapping[str, str]
    body: Any
    headers: Mapping[str, str]
    n: int  # this request's number for its API, from 1


@dataclass(frozen=True)
class Reply:
    """An answer a fault hook gives instead of the fake's.

    ``status=None`` keeps the fake's own answer (to cut it). ``truncate`` cuts the body to that
    many bytes in a well-formed response (Content-Length matches: a JSON body that stops
    mid-way); ``close_after`` announces the full length, sends that many bytes and closes the
    connection (a transfer that breaks off).
    """

    status: int | None = None
    body: Any = b""
    headers: Mapping[str, str] = field(default_factory=dict)
    truncate: int | None = None
    close_after: int | None = None


@dataclass(frozen=True)
class Stall:
    """Wait ``seconds`` (on top of the latency), then answer normally. With ``until``, the
    wait ends as soon as that event is set: a test holds the answer back until the client has
    certainly given up on it, however slow the machine, and then lets the handler finish."""

    seconds: float
    until: threading.Event | None = field(default=None, compare=False)


class _Drop:
    def __repr__(self) -> str:
        return "DROP"


DROP = _Drop()  # close the connection without answering
Fault = Callable[[Request], "Reply | Stall | _Drop | None"]


def fail_first(
    n: int,
    outcome: Reply | Stall | _Drop,
    *,
    api: str | None = None,
    when: Callable[[Request], bool] | None = None,
) -> Fault:
    """A fault plan: the first ``n`` requests that match (``api``, ``when``) get ``outcome``."""
    left = [n]
    lock = threading.Lock()

    def hook(req: Request) -> Reply | Stall | _Drop | None:
        if (api is not None and req.api != api) or (when is not None and not when(req)):
            return None
        with lock:
            if left[0] <= 0:
                return None
            left[0] -= 1
        return outcome

    return hook


def fail_from(
    k: int,
    outcome: Reply | Stall | _Drop,
    *,
    api: str | None = None,
    when: Callable[[Request], bool] | None = None,
) -> Fault:
    """A fault plan: every matching request from the ``k``-th on gets ``outcome`` — a token
    revoked in the middle of a sync (``outcome`` its API's 401), an API that goes down and
    stays down. Counted per plan, from 1, over the requests that match (``api``, ``when``)."""
    seen = [0]
    lock = threading.Lock()

    def hook(req: Request) -> Reply | Stall | _Drop | None:
        if (api is not None and req.api != api) or (when is not None and not when(req)):
            return None
        with lock:
            seen[0] += 1
            hit = seen[0] >= k
        return outcome if hit else None

    return hook


@dataclass(frozen=True)
class Served:
    """One entry of the request log (``key``/``token`` left out)."""

    api: str
    method: str
    path: str
    query: Mapping[str, str]
    status: int | None  # None: dropped


class FakeServer:
    """The three fakes (and any ``extra`` one) behind one threaded keep-alive HTTP server on
    127.0.0.1."""

    def __init__(
        self,
        ws: Workspace | None,
        *,
        latency: float = 0.0,
        asana: Mapping[str, Any] | None = None,
        trello: Mapping[str, Any] | None = None,
        monday: Mapping[str, Any] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        self.ws = ws
        self.latency = latency
        self.fault: Fault | None = None
        self._options = {"asana": asana or {}, "trello": trello or {}, "monday": monday or {}}
        self._extra = dict(extra or {})
        self.prefixes = {
            **(PREFIXES if ws is not None else {}),
            **{api: f"/{api}" for api in self._extra},
        }
        self.fakes: dict[str, Any] = {}
        self.counts: dict[str, int] = dict.fromkeys(self.prefixes, 0)
        self.cpu: dict[str, float] = dict.fromkeys(self.prefixes, 0.0)
        self.log: list[Served] = []
        self.errors: list[str] = []  # exceptions inside a fake (a bug in the fake)
        self.first: dict[str, float] = {}  # perf_counter of each API's first request
        self.last: dict[str, float] = {}  # ... and of its last answer
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self) -> FakeServer:
        httpd = _Server(("127.0.0.1", 0), _handler_class(self))
        httpd.daemon_threads = True
        httpd.block_on_close = False
        self._httpd = httpd
        host, port = httpd.server_address[:2]
        self.url = f"http://{host!s}:{port}"
        self.base_urls = {api: self.url + prefix for api, prefix in self.prefixes.items()}
        if self.ws is not None:
            self.fakes = {
                "asana": AsanaFake(
                    self.ws, base_url=self.base_urls["asana"], **self._options["asana"]
                ),
                "trello": TrelloFake(self.ws, **self._options["trello"]),
                "monday": MondayFake(self.ws, **self._options["monday"]),
            }
        self.fakes.update(self._extra)
        self._thread = threading.Thread(
            target=httpd.serve_forever, args=(0.02,), name="fake-apis", daemon=True
        )  # a short poll interval: stop() returns at once
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> FakeServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- bookkeeping --------------------------------------------------------------------------

    @property
    def violations(self) -> dict[str, list[str]]:
        """What each fake found in the requests that its vendor's spec does not have."""
        return {api: list(fake.violations) for api, fake in self.fakes.items()}

    def reset(self) -> None:
        """Zero the counters, the log, the CPU times and the spans (between benchmark phases)."""
        with self._lock:
            self.counts = dict.fromkeys(self.prefixes, 0)
            self.cpu = dict.fromkeys(self.prefixes, 0.0)
            self.log = []
            self.first = {}
            self.last = {}
        if "monday" in self.fakes:
            self.fakes["monday"].complexity_used = 0

    def stats(self) -> dict[str, Any]:
        """Counters as JSON (what ``GET /_fake/stats`` answers)."""
        with self._lock:
            spans = {a: self.last[a] - self.first[a] for a in self.first if a in self.last}
            return {
                "counts": dict(self.counts),
                "cpu": dict(self.cpu),
                "http_span": spans,  # first request in → last answer out, seconds
                "complexity": getattr(self.fakes.get("monday"), "complexity_used", 0),
                "violations": self.violations,
                "errors": list(self.errors),
            }

    def requests(self, api: str) -> list[Served]:
        return [s for s in self.log if s.api == api]

    def _count(self, api: str) -> int:
        with self._lock:
            self.counts[api] += 1
            self.first.setdefault(api, time.perf_counter())
            return self.counts[api]

    def _note(self, entry: Served, cpu: float) -> None:
        with self._lock:
            self.log.append(entry)
            self.cpu[entry.api] += cpu
            self.last[entry.api] = time.perf_counter()

    # -- one request --------------------------------------------------------------------------

    def answer(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        parts = urlsplit(handler.path)
        api = next(
            (
                a
                for a, p in self.prefixes.items()
                if parts.path == p or parts.path.startswith(p + "/")
            ),
            None,
        )
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        if api is None:
            if parts.path == "/_fake/stats":
                _send(handler, 200, {}, self.stats())
            elif parts.path == "/_fake/reset" and method == "POST":
                self.reset()
                _send(handler, 200, {}, {"reset": True})
            else:
                message = f"no fake API at {parts.path}; use one of {list(self.prefixes.values())}"
                _send(handler, 404, {}, message)
            return
        body: Any = None
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                body = raw.decode("utf-8", "replace")
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        req = Request(
            api=api,
            method=method,
            path=parts.path[len(self.prefixes[api]) :],
            query=query,
            body=body,
            headers=dict(handler.headers.items()),
            n=self._count(api),
        )
        plan = self.fault(req) if self.fault is not None else None
        if self.latency:
            time.sleep(self.latency)
        if isinstance(plan, Stall):
            if plan.until is not None:
                plan.until.wait(plan.seconds)
            else:
                time.sleep(plan.seconds)
        public_query = {k: v for k, v in query.items() if k not in ("key", "token")}
        if plan is DROP:
            self._note(Served(api, method, req.path, public_query, None), 0.0)
            handler.close_connection = True
            return
        started = time.thread_time()
        if isinstance(plan, Reply) and plan.status is not None:
            status, headers, out = plan.status, dict(plan.headers), plan.body
        else:
            try:
                status, headers, out = self.fakes[api].handle(
                    method, req.path, query, body, req.headers
                )
            except Exception:
                with self._lock:
                    self.errors.append(traceback.format_exc())
                status, headers, out = 500, {}, "internal error in the fake (see server.errors)"
        cpu = time.thread_time() - started
        self._note(Served(api, method, req.path, public_query, status), cpu)
        cut = plan if isinstance(plan, Reply) else None
        _send(handler, status, headers, out, cut)


class _Server(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that went away (killed, or gave up on a stall) is not an error of the fake;
        anything else is printed as socketserver does."""
        import sys

        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def _handler_class(server: FakeServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # or delayed ACKs stall every keep-alive response

        def do_GET(self) -> None:
            server.answer(self, "GET")

        def do_POST(self) -> None:
            server.answer(self, "POST")

        def do_PUT(self) -> None:
            server.answer(self, "PUT")

        def do_DELETE(self) -> None:
            server.answer(self, "DELETE")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


def _send(
    handler: BaseHTTPRequestHandler,
    status: int,
    headers: Mapping[str, str],
    body: Any,
    cut: Reply | None = None,
) -> None:
    """Write status, headers and body in one ``send`` (keep-alive without delayed-ACK stalls)."""
    hdrs = {k.lower(): v for k, v in headers.items()}
    if isinstance(body, bytes):
        data = body
        hdrs.setdefault("content-type", "application/octet-stream")
    elif isinstance(body, str):
        data = body.encode()
        hdrs.setdefault("content-type", "text/plain; charset=utf-8")
    else:
        data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
        hdrs.setdefault("content-type", "application/json; charset=utf-8")
    announced = len(data)
    if cut is not None and cut.truncate is not None:
        data = data[: cut.truncate]
        announced = len(data)
    close = cut is not None and cut.close_after is not None
    if close:
        assert cut is not None and cut.close_after is not None
        data = data[: cut.close_after]
        handler.close_connection = True
    reason = (
        handler.responses.get(status, ("Error",))[0] if status in handler.responses else "Error"
    )
    head = [f"HTTP/1.1 {status} {reason}"]
    head += [f"{k}: {v}" for k, v in hdrs.items() if k not in ("content-length", "connection")]
    head += [f"Content-Length: {announced}", f"Connection: {'close' if close else 'keep-alive'}"]
    try:
        handler.wfile.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + data)
    except OSError:  # the client gave up (a stall longer than its timeout)
        handler.close_connection = True


def main(argv: list[str] | None = None) -> int:
    """Serve a generated workspace until stdin closes (for benchmarks in another process)::

        python -m tests.fakes.server --tasks 10000 --containers 4 --latency-ms 100

    prints ``READY <url>`` once listening; ``GET <url>/_fake/stats`` gives the counters,
    ``POST <url>/_fake/reset`` zeroes them.
    """
    import argparse
    import sys

    from tests.fakes.workspace import generate

    p = argparse.ArgumentParser(description="the fake Asana, Trello and monday APIs")
    p.add_argument("--tasks", type=int, default=1000)
    p.add_argument("--containers", type=int, default=4)
    p.add_argument("--people", type=int, default=20)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--subtask-share", type=float, default=0.0)
    p.add_argument("--latency-ms", type=float, default=0.0)
    p.add_argument("--monday-fast", action="store_true", help="the fast GraphQL executor")
    args = p.parse_args(argv)
    ws = generate(
        args.tasks,
        containers=args.containers,
        people=args.people,
        seed=args.seed,
        subtask_share=args.subtask_share,
    )
    server = FakeServer(ws, latency=args.latency_ms / 1000, monday={"fast": args.monday_fast})
    with server:
        print(f"READY {server.url}", flush=True)
        sys.stdin.read()  # until the parent closes our stdin (or ends us)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


class ServedWorld:
    """A test world served by its ``server`` while inside ``with``."""

    server: FakeServer

    def __enter__(self) -> Self:
        self.server.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.server.stop()
