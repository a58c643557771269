"""A tiny SMTP server on 127.0.0.1 that misbehaves on purpose (aiosmtpd is too polite for it).

::

    with HostileSMTP("dribble", delay=0.05) as server:      # the greeting, one byte at a time
        send(msg, config(server.port), timeout=1, deadline=2)
    with HostileSMTP("echo-auth", mechanism="LOGIN") as server:
        ...                                                   # 535 quoting the credentials

Modes:

- ``dribble``: greets with ``220 `` and then one byte every ``delay`` seconds, never ending the
  line: each read gets a byte well within any socket timeout, so only a total deadline ends it.
- ``echo-auth``: offers only AUTH ``mechanism`` (PLAIN or LOGIN) and refuses the login with a
  multi-line 535 that quotes what the client sent — the command line, every base64 step, and
  the decoded user name and password (raw, base64 on its own, URL-encoded) — wrapped in
  terminal escapes, a BEL and bidi overrides.
- ``echo-after-login``: accepts any login (235), then refuses the sender with a 550 quoting the
  AUTH line it was sent, with the same escapes.

Every command line a client sent is kept in ``received`` (decoded as UTF-8, CRLF stripped).
"""

from __future__ import annotations

import base64
import contextlib
import socket
import socketserver
import threading
import time
from types import TracebackType
from urllib.parse import quote

HOST = "127.0.0.1"
# What a hostile reply wraps around the echo: colour, a window-title change with BEL, a bell,
# and RIGHT-TO-LEFT OVERRIDE … POP DIRECTIONAL FORMATTING.
ESCAPES = ("\x1b[31m", "\x1b]0;pwned\x07", "\x07", "\u202e", "\u202c", "\x1b[0m")


class HostileSMTP:
    """One misbehaving SMTP server in a thread; use as a context manager."""

    def __init__(self, mode: str, *, mechanism: str = "PLAIN", delay: float = 0.05) -> None:
        if mode not in ("dribble", "echo-auth", "echo-after-login"):
            raise ValueError(f"unknown mode {mode!r}")
        self.mode, self.mechanism, self.delay = mode, mechanism, delay
        self.received: list[str] = []
        self.stopping = threading.Event()
        outer = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                with contextlib.suppress(OSError):  # the client hung up, as after a deadline
                    outer._serve(self)

        self._server = socketserver.ThreadingTCPServer((HOST, 0), Handler)
        self._server.daemon_threads = True
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> HostileSMTP:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    # -- one connection ---------------------------------------------------------------------

    def _serve(self, conn: socketserver.StreamRequestHandler) -> None:
        if self.mode == "dribble":
            self._dribble(conn.connection)
            return
        self._write(conn, "220 hostile.example ESMTP")
        while not self.stopping.is_set():
            line = self._read(conn)
            if line is None:
                return
            verb = line.split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                self._write(
                    conn, f"250-hostile.example\r\n250-AUTH {self.mechanism}\r\n250 8BITMIME"
                )
            elif verb == "AUTH":
                self._auth(conn, line)
            elif verb == "MAIL" and self.mode == "echo-after-login":
                auth = next((sent for sent in self.received if sent.startswith("AUTH")), "")
                self._write(
                    conn, f"550 5.7.1 {ESCAPES[0]}you sent {auth}{ESCAPES[3]} no{ESCAPES[1]}"
                )
            elif verb == "QUIT":
                self._write(conn, "221 bye")
                return
            else:
                self._write(conn, "250 OK")

    def _dribble(self, sock: socket.socket) -> None:
        for byte in b"220 " + b"x" * 100_000:
            if self.stopping.is_set():
                return
            sock.sendall(bytes([byte]))
            time.sleep(self.delay)

    def _auth(self, conn: socketserver.StreamRequestHandler, line: str) -> None:
        parts = line.split()
        mechanism = parts[1].upper() if len(parts) > 1 else ""
        steps = parts[2:]
        if mechanism == "PLAIN":
            if not steps:
                self._write(conn, "334 ")
                steps = [self._read(conn) or ""]
            _, user, password = [*_b64(steps[0]).split("\0", 2), "", "", ""][:3]
        elif mechanism == "LOGIN":
            if not steps:
                self._write(conn, "334 VXNlcm5hbWU6")
                steps = [self._read(conn) or ""]
            self._write(conn, "334 UGFzc3dvcmQ6")
            steps.append(self._read(conn) or "")
            user, password = _b64(steps[0]), _b64(steps[1])
        else:
            self._write(conn, "504 5.5.4 unrecognized authentication type")
            return
        if self.mode == "echo-after-login":
            self._write(conn, "235 2.7.0 Authentication successful")
            return
        echo = [
            f"535-5.7.8 {ESCAPES[0]}Authentication failed for: {line}{ESCAPES[5]}",
            *(f"535-5.7.8 step {ESCAPES[2]}{step}{ESCAPES[3]}" for step in steps),
            f"535-5.7.8 user {user!r}{ESCAPES[1]} password {password!r}{ESCAPES[4]}",
            f"535-5.7.8 as base64 {_b64e(password)} and as a URL {quote(password, safe='')}",
            f"535 5.7.8 Error: authentication failed {ESCAPES[3]}{ESCAPES[0]}",
        ]
        self._write(conn, "\r\n".join(echo))

    def _read(self, conn: socketserver.StreamRequestHandler) -> str | None:
        raw = conn.rfile.readline(65_536)
        if not raw:
            return None
        line = raw.decode("utf-8", "replace").rstrip("\r\n")
        self.received.append(line)
        return line

    @staticmethod
    def _write(conn: socketserver.StreamRequestHandler, reply: str) -> None:
        conn.wfile.write(reply.encode("utf-8") + b"\r\n")
        conn.wfile.flush()


def _b64(token: str) -> str:
    try:
        return base64.b64decode(token + "=" * (-len(token) % 4)).decode("utf-8", "replace")
    except ValueError:
        return ""


def _b64e(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")
