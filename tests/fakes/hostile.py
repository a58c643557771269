"""Hostile HTTP servers: real sockets on 127.0.0.1 that misbehave as no well-behaved fake can.

::

    with HostileServer(drip(every=2.0)) as srv:
        HttpClient(...).request_json("GET", srv.url + "/x")   # or a source's base_url
        srv.count                                              # requests received

A *behaviour* answers one request by writing raw bytes to the socket (``http.server`` parses
the request; werkzeug cannot misbehave enough): :func:`answer` (a well-formed answer, its body
cut with ``keep``), :func:`drip` (the headers, then one byte every ``every`` s — or the headers
themselves byte by byte), :func:`gzip_bomb` (~200 KB that inflate to 200 MB), :func:`huge` (a
300 MB body, generated as it is sent), :func:`deep_json` (nested 200,000 deep),
:func:`escapes` (an error body with terminal escapes, BEL and bidi overrides),
:func:`truncated` (a 200 whose JSON stops mid-way) and :func:`retry_after` (a 429 asking for a
year).

The plan says which request gets what: one behaviour (every request), a list (in turn, the
last repeating), or a function of the :class:`Request` returning a behaviour or None. None is
the ``fallback``'s answer: any fake with the fakes' ``handle(method, path, query, body,
headers)`` (tests/fakes/__init__.py), under ``prefix`` — so a connector's fake is served as
usual with one hostile answer in the middle of its read::

    fake = TrelloFake(ws)
    plan = lambda req: gzip_bomb() if req.path.endswith("/cards") else None
    with HostileServer(plan, fallback=fake, prefix="/1") as srv:
        source = SourceConfig(..., base_url=srv.url + "/1")

Every drip and stream ends when the client goes away or the server stops; ``sent`` counts the
body bytes written (a client that stops reading early shows here).
"""

from __future__ import annotations

import functools
import json
import threading
import time
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlsplit

MB = 1024 * 1024
# What a hostile error body carries: clear-screen, a window title (OSC ... BEL), colour, a bare
# BEL, a carriage return that would overwrite the line, and the bidi controls that reorder it.
ESCAPES = (
    "\x1b[2J\x1b[H\x1b]0;pwned-title\x07\x1b[31mDanger\x1b[0m\x07 bill\u202egpj.exe\u202c "
    "\r\nFAKE: all good \u2066iso\u2069 \u200fmark\u200e \x9b31m end\x00\x7f"
)
ESCAPE_CHARS = ("\x1b", "\x07", "\x00", "\x7f", "\x9b", "\r", "\n", "\u202e", "\u202c",
                "\u2066", "\u2069", "\u200e", "\u200f")  # fmt: skip


@dataclass(frozen=True)
class Request:
    """One request as a plan sees it; ``n`` counts the server's requests from 1."""

    method: str
    path: str
    query: Mapping[str, str]
    body: Any
    headers: Mapping[str, str]
    n: int


class Out(Protocol):
    """Where an answer goes: the connection (``BaseHTTPRequestHandler.wfile``)."""

    def write(self, data: bytes, /) -> Any: ...


class Behaviour(Protocol):
    """Writes one answer to ``out``; returns the body bytes written. ``stop`` is set when the
    server stops (a drip or a stream ends then). ``keep_alive``: the connection may serve the
    next request."""

    @property
    def keep_alive(self) -> bool: ...

    def send(self, out: Out, stop: threading.Event) -> int: ...


def _head(status: int, headers: Mapping[str, str]) -> bytes:
    lines = [f"HTTP/1.1 {status} {_REASONS.get(status, 'Whatever')}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


_REASONS = {200: "OK", 400: "Bad Request", 429: "Too Many Requests", 500: "Server Error",
            503: "Service Unavailable"}  # fmt: skip


def _encode(body: Any) -> tuple[bytes, str]:
    if isinstance(body, bytes):
        return body, "application/octet-stream"
    if isinstance(body, str):
        return body.encode(), "text/plain; charset=utf-8"
    return json.dumps(body).encode(), "application/json"


@dataclass(frozen=True)
class Answer:
    """A well-formed answer; ``keep`` cuts the body to that many bytes (and says so in its
    Content-Length: a JSON body that just stops)."""

    status: int = 200
    body: Any = b""
    headers: Mapping[str, str] = field(default_factory=dict)
    keep: int | None = None
    keep_alive: bool = True

    def send(self, out: Out, stop: threading.Event) -> int:
        data, kind = _encode(self.body)
        if self.keep is not None:
            data = data[: self.keep]
        typed = any(k.lower() == "content-type" for k in self.headers)
        hdrs = {**({} if typed else {"Content-Type": kind}), **self.headers}
        hdrs = {k: v for k, v in hdrs.items() if k.lower() != "content-length"}
        hdrs["Content-Length"] = str(len(data))
        out.write(_head(self.status, hdrs) + data)
        return len(data)


@dataclass(frozen=True)
class Drip:
    """The headers at once (with the whole body's Content-Length), then the body one byte
    every ``every`` s; with ``headers_too`` the status line and headers drip as well."""

    body: bytes = b'{"data": []}'
    every: float = 2.0
    headers_too: bool = False
    keep_alive: bool = False

    def send(self, out: Out, stop: threading.Event) -> int:
        head = _head(
            200, {"Content-Type": "application/json", "Content-Length": str(len(self.body))}
        )
        if not self.headers_too:
            out.write(head)
            head = b""
        whole = head + self.body
        for i in range(len(whole)):
            if stop.wait(self.every):
                return max(i - len(head), 0)
            out.write(whole[i : i + 1])
        return len(self.body)


@dataclass(frozen=True)
class Stream:
    """A body written as it is generated: ``size`` bytes of a JSON string, in 1 MB pieces,
    announced by Content-Length (``declare``) or sent chunked (the client must count)."""

    size: int
    declare: bool = False
    keep_alive: bool = False

    def send(self, out: Out, stop: threading.Event) -> int:
        head = {"Content-Type": "application/json"}
        head |= (
            {"Content-Length": str(self.size)} if self.declare else {"Transfer-Encoding": "chunked"}
        )
        out.write(_head(200, head))
        sent = 0
        for piece in _json_string(self.size):
            if stop.is_set():
                break
            out.write(piece if self.declare else b"%x\r\n%b\r\n" % (len(piece), piece))
            sent += len(piece)
        if not self.declare and not stop.is_set():
            out.write(b"0\r\n\r\n")
        return sent


_PIECE = b"x" * MB  # one object, written again and again: the server holds 1 MB, not 300


def _json_string(size: int) -> Iterator[bytes]:
    """``{"data":"xxx…"}`` of exactly ``size`` bytes, in pieces of at most 1 MB."""
    yield b'{"data":"'
    left = size - len(b'{"data":"') - len(b'"}')
    while left > 0:
        piece = _PIECE if left >= MB else _PIECE[:left]
        left -= len(piece)
        yield piece
    yield b'"}'


# -- the catalogue ----------------------------------------------------------------------------


def answer(status: int = 200, body: Any = None, headers: Mapping[str, str] | None = None) -> Answer:
    """A plain well-formed answer (``body`` JSON-able, str or bytes)."""
    return Answer(status, {} if body is None else body, dict(headers or {}))


def drip(every: float = 2.0, *, headers_too: bool = False, body: bytes | None = None) -> Drip:
    """Headers, then one byte every ``every`` s (never done within any sane timeout)."""
    return Drip(body or b'{"data": [' + b"0, " * 500 + b"0]}", every, headers_too)


@functools.cache
def _bomb(inflated: int) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)  # 31: the gzip container
    parts = [packer.compress(piece) for piece in _json_string(inflated)]
    return b"".join([*parts, packer.flush()])


def gzip_bomb(inflated_mb: int = 200) -> Answer:
    """A JSON answer of ``inflated_mb`` MB sent gzip-compressed: about 1/1000 of that."""
    body = _bomb(inflated_mb * MB)
    return Answer(200, body, {"Content-Type": "application/json", "Content-Encoding": "gzip"})


def huge(mb: int = 300, *, declare: bool = False) -> Stream:
    """A plain JSON body of ``mb`` MB, generated while it is sent (chunked unless ``declare``)."""
    return Stream(mb * MB, declare)


def deep_json(depth: int = 200_000) -> Answer:
    """A valid JSON answer nested ``depth`` arrays deep."""
    return Answer(200, b"[" * depth + b"]" * depth, {"Content-Type": "application/json"})


def escapes(status: int = 400) -> Answer:
    """An error answer whose text body is :data:`ESCAPES`."""
    return Answer(status, f"error: {ESCAPES}", {"Content-Type": "text/plain"})


def truncated(body: Any = None, keep: int = 20) -> Answer:
    """A 200 whose JSON body stops after ``keep`` bytes (Content-Length matches the cut)."""
    whole = body if body is not None else {"data": [{"id": str(i)} for i in range(50)]}
    return Answer(200, whole, {"Content-Type": "application/json"}, keep=keep)


def retry_after(seconds: float = 31_536_000, status: int = 429) -> Answer:
    """A rate limit asking for ``seconds`` (default: a year) in its Retry-After header."""
    body = {"errors": [{"message": "Rate limit exceeded; come back later"}]}
    return Answer(status, body, {"Retry-After": f"{seconds:g}"})


# -- the server -------------------------------------------------------------------------------

Plan = Behaviour | Sequence[Behaviour] | Callable[[Request], "Behaviour | None"] | None


class HostileServer:
    """A threaded HTTP/1.1 server on 127.0.0.1 answering each request by ``plan`` (else by
    ``fallback``, a fake with ``handle``, for paths under ``prefix``; else 404)."""

    def __init__(self, plan: Plan = None, *, fallback: Any = None, prefix: str = "") -> None:
        self.plan = plan
        self.fallback = fallback
        self.prefix = prefix
        self.count = 0
        self.log: list[Request] = []
        self.arrived: list[float] = []  # time.monotonic() of each request
        self.sent: list[int] = []  # body bytes written per answer
        self.errors: list[str] = []  # exceptions inside the server (a bug here, not a fault)
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None

    def start(self) -> HostileServer:
        httpd = _Server(("127.0.0.1", 0), _handler_class(self))
        httpd.daemon_threads = True
        httpd.block_on_close = False
        self._httpd = httpd
        host, port = httpd.server_address[:2]
        self.url = f"http://{host!s}:{port}"
        threading.Thread(
            target=httpd.serve_forever, args=(0.02,), name="hostile", daemon=True
        ).start()
        return self

    def stop(self) -> None:
        self._stop.set()  # drips and streams end
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> HostileServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _choose(self, req: Request) -> Behaviour:
        plan = self.plan
        chosen: Behaviour | None
        if plan is None:
            chosen = None
        elif isinstance(plan, Sequence):
            chosen = plan[min(req.n, len(plan)) - 1]
        elif callable(getattr(plan, "send", None)):
            chosen = plan  # type: ignore[assignment]
        else:
            chosen = plan(req)  # type: ignore[operator]
        if chosen is not None:
            return chosen
        if self.fallback is not None and req.path.startswith(self.prefix):
            path = req.path[len(self.prefix) :] or "/"
            status, headers, body = self.fallback.handle(
                req.method, path, dict(req.query), req.body, dict(req.headers)
            )
            return Answer(status, body, headers)
        return answer(404, {"errors": [{"message": f"nothing at {req.path}"}]})

    def answer(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        parts = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        try:
            body: Any = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode("utf-8", "replace")
        with self._lock:
            self.count += 1
            n = self.count
            self.arrived.append(time.monotonic())
        req = Request(
            method,
            parts.path,
            dict(parse_qsl(parts.query, keep_blank_values=True)),
            body,
            dict(handler.headers.items()),
            n,
        )
        with self._lock:
            self.log.append(req)
        try:
            behaviour = self._choose(req)
        except Exception as exc:  # a bug in the plan or the fake: say so, answer 500
            self.errors.append(f"{type(exc).__name__}: {exc}")
            behaviour = answer(500, "error in the hostile server (see server.errors)")
        handler.close_connection = not behaviour.keep_alive
        try:
            sent = behaviour.send(handler.wfile, self._stop)
        except OSError:  # the client went away (as a bounded client does)
            handler.close_connection = True
            sent = -1
        with self._lock:
            self.sent.append(sent)


class _Server(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        import sys

        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def _handler_class(server: HostileServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

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
