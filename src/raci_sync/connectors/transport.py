"""The socket end of the HTTP layer: a whole request within its deadline, a body within its cap.

``requests``' ``timeout`` bounds each socket read, not the request: a server that sends one byte
every few seconds keeps a request alive for ever, in the headers or in the body. So every
request is *armed* (:meth:`Watchdog.armed`): one watchdog thread shuts down the socket of a
request still running at its deadline, whatever it is blocked in, and the sessions' pools
(:class:`DeadlineAdapter`) tell it which connection each request got. The body is streamed in
chunks (:func:`read_body`), its deadline and its size checked between chunks, the size counted
after decompression: a 200 KB gzip answer that inflates to 200 MB stops at the cap, in chunks of
:data:`CHUNK` (urllib3 2.6+ inflates at most what it was asked for per read).
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3 import HTTPConnectionPool, HTTPSConnectionPool, ProxyManager

CHUNK = 64 * 1024  # bytes read (after decompression) between two checks of deadline and size
TICK = 0.05  # s between two looks of the watchdog at the requests in flight


class BodyTooLarge(Exception):
    """The body went past its cap; ``read`` bytes (after decompression) were read."""

    def __init__(self, read: int) -> None:
        self.read = read
        super().__init__(f"more than {read} bytes")


class Late(Exception):
    """The request was still running at its deadline."""


class Armed:
    """One request in flight: its deadline and the pool connection it got."""

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline
        self.conn: Any = None  # urllib3's connection, once the pool handed one out
        self.fired = False  # the watchdog ended it
        self.done = False  # the request is over: the connection is no longer its own
        self.lock = threading.Lock()


_CURRENT = threading.local()  # the Armed request of this thread, for the pools to fill in


def _note(conn: Any) -> None:
    armed: Armed | None = getattr(_CURRENT, "armed", None)
    if armed is not None:
        with armed.lock:
            armed.conn = conn


class _WatchedHTTPPool(HTTPConnectionPool):
    def _get_conn(self, timeout: float | None = None) -> Any:
        conn = super()._get_conn(timeout)
        _note(conn)
        return conn


class _WatchedHTTPSPool(HTTPSConnectionPool):
    def _get_conn(self, timeout: float | None = None) -> Any:
        conn = super()._get_conn(timeout)
        _note(conn)
        return conn


_POOLS = {"http": _WatchedHTTPPool, "https": _WatchedHTTPSPool}


class DeadlineAdapter(HTTPAdapter):
    """requests' own adapter, whose pools tell the watchdog which connection a request uses."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = dict(_POOLS)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if type(manager) is ProxyManager:  # not SOCKS: that one has pools of its own
            manager.pool_classes_by_scheme = dict(_POOLS)
        return manager


class Watchdog:
    """One daemon thread that shuts down the socket of every armed request past its deadline.

    It looks at the requests in flight every :data:`TICK` seconds while there are any (so a
    request ends at most a tick after its deadline) and sleeps while there are none: arming
    and disarming cost a lock, never a wake-up of the thread.
    """

    def __init__(self) -> None:
        self._live: set[Armed] = set()
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None

    @contextlib.contextmanager
    def armed(self, seconds: float) -> Iterator[Armed]:
        """Arm this thread's next request for ``seconds``; disarmed when the block ends."""
        armed = Armed(time.monotonic() + seconds)
        with self._cond:
            self._live.add(armed)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="raci-watchdog")
                self._thread.daemon = True
                self._thread.start()
            if len(self._live) == 1:
                self._cond.notify()
        _CURRENT.armed = armed
        try:
            yield armed
        finally:
            _CURRENT.armed = None
            with armed.lock:
                armed.done = True
            with self._cond:
                self._live.discard(armed)

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._live:
                    self._cond.wait()
                now = time.monotonic()
                due = [a for a in self._live if a.deadline <= now]
            for armed in due:
                if _abort(armed):
                    with self._cond:
                        self._live.discard(armed)
            time.sleep(TICK)


def _abort(armed: Armed) -> bool:
    """Shut the request's socket down (a blocked read returns at once); False when it has no
    socket yet (still in the pool or connecting: try again soon)."""
    with armed.lock:
        if armed.done:
            return True
        armed.fired = True
        sock = getattr(armed.conn, "sock", None)
        if sock is None:
            return False
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        return True


WATCHDOG = Watchdog()


def read_body(
    resp: requests.Response, *, deadline: float, max_bytes: int, cut: bool = False
) -> bytearray:
    """The body of ``resp``, decompressed, read in chunks of :data:`CHUNK`.

    Past ``max_bytes`` (counted after decompression) raise :class:`BodyTooLarge`, or with
    ``cut`` return the first ``max_bytes``; past ``deadline`` (``time.monotonic``) raise
    :class:`Late`. Memory stays within ``max_bytes`` plus a chunk.
    """
    if resp.raw is None or not hasattr(resp.raw, "read"):  # an adapter answering from memory
        data = bytearray(resp.content or b"")
        if len(data) > max_bytes and not cut:
            raise BodyTooLarge(len(data))
        return data[:max_bytes]
    declared = resp.headers.get("Content-Length", "")
    plain = "Content-Encoding" not in resp.headers
    if declared.isdigit() and plain and not cut and int(declared) > max_bytes:
        raise BodyTooLarge(int(declared))
    # iter_content asks urllib3 to decode; say so on the response too, so that no path reads
    # the compressed bytes and counts those against the cap
    resp.raw.decode_content = True
    body = bytearray()
    for chunk in resp.iter_content(CHUNK):
        body += chunk
        if len(body) > max_bytes:
            if cut:
                del body[max_bytes:]
                return body
            raise BodyTooLarge(len(body))
        if time.monotonic() > deadline:
            raise Late
    return body
