"""The one HTTP layer under all three connectors.

A ``requests.Session`` per thread, sanitised URLs in every log line and message, HTTP statuses
mapped to the error tree in one place, and a bounded retry loop that honours the API's own wait
signal (``Retry-After``, or a wait that a connector's ``check`` hook reads from the body, as
monday's ``retry_in_seconds``).

Bounded (PRODUCT §9): every request ends within the source's ``timeout``, connect and all
reads together (``transport``); every source within ``[sync] source_deadline_s``, counted from
its first request or wait; every wait an API asks for (and the rate limiter's pauses) within
``[sync] max_wait_s`` and the time the source has left — a longer one fails the source at once,
without sleeping; every answer within ``[sync] max_response_mb`` after decompression. After
SIGINT/SIGTERM (``interrupt.STOP``) no request starts and every wait ends. Server text quoted
in a message is stripped of terminal escapes, control and bidi characters (:func:`safe_text`).
"""

from __future__ import annotations

import json
import logging
import random
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests

from raci_sync import interrupt
from raci_sync.config.settings import Bounds
from raci_sync.connectors import transport
from raci_sync.connectors.limits import RateLimiter
from raci_sync.errors import (
    AuthError,
    NotFoundError,
    ResponseError,
    RetryableError,
    SourceError,
)

log = logging.getLogger("raci_sync.http")
T = TypeVar("T")

SECRET_PARAMS = {"key", "token", "api_key", "apikey", "access_token", "password", "secret"}
USER_AGENT = "raci-sync/0.1 (+https://pypi.org/project/raci-sync/)"
ERROR_BODY_BYTES = 64 * 1024  # read of an error answer: enough for its message
MB = 1024 * 1024

_SECRET_IN_TEXT = re.compile(r"(?i)\b(" + "|".join(sorted(SECRET_PARAMS)) + r")=([^&\s\"']+)")

# Terminal escape sequences as a whole (so that no "[2J" or "]0;title" is left behind):
# CSI (colours, cursor, clear screen), OSC (window title, links; ended by BEL or ST), the
# DCS/SOS/PM/APC strings, the other two-character escapes, and the 8-bit CSI and OSC forms.
_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]?"
    r"|\x1b\][^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"
    r"|\x1b[PX^_][^\x1b\x9c]*(?:\x1b\\|\x9c)?"
    r"|\x1b[ -/]*[0-~]?"
    r"|\x9b[0-?]*[ -/]*[@-~]?"
    r"|\x9d[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"
)
# Line breaks and other whitespace controls become a space: a server must not start a log line.
_BREAKS = re.compile("[\t\n\x0b\x0c\r\x1c-\x1f\x85\u2028\u2029]+")
# The remaining C0/C1 controls and DEL (BEL among them), and the bidi controls: embeddings and
# overrides (U+202A–U+202E), isolates (U+2066–U+2069) and the marks (U+200E, U+200F, U+061C).
_INVISIBLE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def safe_text(text: str) -> str:
    """Server text made safe to quote in a message, a log line or a terminal: escape sequences,
    control characters and bidi controls removed; line breaks become spaces."""
    return _INVISIBLE.sub("", _BREAKS.sub(" ", _ESCAPES.sub("", text)))


class RedactingFilter(logging.Filter):
    """Masks secret query values in log records of libraries that log whole URLs (urllib3)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = _SECRET_IN_TEXT.sub(r"\1=***", message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


for _name in ("urllib3", "urllib3.connectionpool"):
    logging.getLogger(_name).addFilter(RedactingFilter())


def sanitize_url(url: str) -> str:
    """The URL with secret query values replaced by ``***`` and no userinfo."""
    parts = urlsplit(url)
    query = [
        (k, "***" if k.lower() in SECRET_PARAMS else v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
    ]
    netloc = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit((parts.scheme, netloc, parts.path, urlencode(query, safe="*,.:"), ""))


@dataclass
class RetryPolicy:
    """How often and how long to retry passing failures."""

    attempts: int = 5  # total tries of one request
    backoff: float = 1.0  # first wait when the API gives none; doubles each time
    max_wait: float = 60.0  # cap on one wait of our own (an API's asked wait: [sync] max_wait_s)
    budget: float = 180.0  # cap on the total time spent waiting for one request
    default_429_wait: float = 10.0  # when a 429 carries no wait signal (Trello: its 10 s window)


class _BadBody(RetryableError):
    """A 2xx answer to a read whose body is cut off or not JSON: retried like a 5xx."""


@dataclass
class HttpClient:
    """Sessions, deadlines, caps, retries and error mapping for one source.

    ``describe`` names the source in every error ("source 'indhold' (trello)"); ``mount`` can
    attach a transport adapter (the demo's replay adapter, or a test's) to every session.
    ``timeout`` bounds one request as a whole (connect and every read); ``bounds`` are the
    source's ``[sync]`` limits; ``sleep`` is how waits are slept (by default until the time is
    up or a signal arrives); ``clock`` measures the source's deadline.
    """

    describe: str
    timeout: float = 30.0
    headers: Mapping[str, str] = field(default_factory=dict)
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    mount: Callable[[requests.Session], None] | None = None
    sleep: Callable[[float], None] = interrupt.pause
    secrets: tuple[str, ...] = ()  # values scrubbed from any text that leaves this layer
    limiter: RateLimiter | None = None  # the API's request budget for this credential
    bounds: Bounds = field(default_factory=Bounds)
    clock: Callable[[], float] = time.monotonic
    requests_made: int = 0
    started: float | None = None  # the clock when the source's first request or wait began
    _local: threading.local = field(default_factory=threading.local, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def session(self) -> requests.Session:
        s: requests.Session | None = getattr(self._local, "session", None)
        if s is None:
            s = requests.Session()
            s.headers["User-Agent"] = USER_AGENT
            s.headers.update(self.headers)
            for prefix in ("http://", "https://"):
                s.mount(prefix, transport.DeadlineAdapter())
            if self.mount is not None:
                self.mount(s)
            self._local.session = s
        return s

    # -- the source's deadline, waits and signals ------------------------------------------------

    def time_left(self) -> float:
        """Seconds left before the source's deadline (``[sync] source_deadline_s``), counted
        from its first request or wait."""
        now = self.clock()
        with self._lock:
            if self.started is None:
                self.started = now
            started = self.started
        return self.bounds.deadline_s - (now - started)

    def not_counting(self, started_at: float) -> None:
        """Take the time since ``started_at`` (this client's ``clock``) off the source's
        deadline: time spent waiting for a person (a confirmation on the terminal) is not the
        tool's."""
        spent = max(self.clock() - started_at, 0.0)
        with self._lock:
            if self.started is not None:
                self.started += spent

    def wait(self, seconds: float, why: str) -> None:
        """Sleep ``seconds`` because the API asked for it (``why`` says who and what, e.g.
        "monday's complexity budget resets in 40 s"), within the bounds: a wait longer than
        ``[sync] max_wait_s`` or than the source has left fails the source at once, without
        sleeping (SourceError naming the key); SIGINT/SIGTERM end it early (SourceError
        "interrupted")."""
        self._check_wait(seconds, why)
        self._sleep(seconds, why)

    def _sleep(self, seconds: float, why: str) -> None:
        if seconds > 0:
            self.sleep(seconds)
        if interrupt.STOP.is_set():
            raise self._interrupted(f"while waiting ({why})")

    def _check_wait(self, seconds: float, why: str, *, asked: bool = True) -> None:
        """Raise SourceError now when a wait of ``seconds`` is not allowed (see :meth:`wait`)."""
        if interrupt.STOP.is_set():
            raise self._interrupted(f"before waiting ({why})")
        why = self._own(why)
        cap = self.bounds.max_wait_s
        if asked and seconds > cap:
            raise SourceError(
                f"{self.describe}: {why}: a wait of {_duration(seconds)} is longer than "
                f"[sync] max_wait_s ({cap:g} s). The source fails now instead of "
                "waiting (its last good data is kept); run again later, or raise [sync] "
                "max_wait_s"
            )
        left = self.time_left()
        if seconds > left:
            raise SourceError(
                f"{self.describe}: {why}: a wait of {_duration(seconds)} would end past the "
                f"source's deadline ({max(left, 0):.0f} s left of [sync] source_deadline_s = "
                f"{self.bounds.deadline_s:g} s). The source fails now (its last good data is "
                "kept); run again later, raise [sync] source_deadline_s, or narrow the scope"
            )

    def _admit(self, label: str) -> float:
        """The seconds this request may take; SourceError when it may not start at all."""
        if interrupt.STOP.is_set():
            raise self._interrupted(f"before {label}")
        left = self.time_left()
        if left <= 0:
            raise SourceError(
                f"{self.describe}: the source's deadline passed before {label}: its whole "
                f"read must end within [sync] source_deadline_s = {self.bounds.deadline_s:g} s. "
                "The read stops here (its last good data is kept); raise [sync] "
                "source_deadline_s, or narrow the scope"
            )
        return min(self.timeout, left)

    def _interrupted(self, when: str) -> SourceError:
        return SourceError(
            f"{self.describe}: interrupted by SIGINT/SIGTERM {when}; nothing more is read "
            "(its last good data is kept)"
        )

    def _own(self, text: str) -> str:
        """``text`` without a leading "source 'x' (kind): " (a message will add it once)."""
        return text.removeprefix(f"{self.describe}: ")

    # -- requests ------------------------------------------------------------------------------

    def request_json(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        check: Callable[[Any], None] | None = None,
        what: str = "",
        read: bool | None = None,
    ) -> Any:
        """Send one request (with retries) and return its decoded JSON body.

        ``check(body)`` may raise RetryableError (retried like a 429) or any SourceError.
        ``read`` says the request only reads (default: GET, HEAD, OPTIONS, and a POST of a
        GraphQL query that is not a mutation): then a 2xx body cut off or not JSON is retried.
        """
        is_read = _is_read(method, json_body) if read is None else read

        def once() -> Any:
            body = self._once(method, url, params, json_body, what, is_read)
            if check is not None:
                try:
                    check(body)
                except SourceError as exc:  # it may quote the server's text
                    exc.args = (self.scrub(str(exc)), *exc.args[1:])
                    raise
            return body

        return self._retried(once, what or method)

    def _retried(self, once: Callable[[], T], what: str) -> T:
        """``once()`` until it answers, retrying a RetryableError with the API's wait (or the
        backoff) within ``retry.attempts``, ``retry.budget`` and ``max_wait_s``."""
        waited = 0.0
        attempt = 0
        while True:
            attempt += 1
            try:
                return once()
            except RetryableError as exc:
                wait = self._next_wait(exc, attempt)
                if attempt >= self.retry.attempts:
                    raise self._gave_up(exc, attempt, waited) from None
                self._check_wait(wait, str(exc), asked=exc.wait is not None)
                if waited + wait > self.retry.budget:
                    raise self._gave_up(exc, attempt, waited) from None
                log.info("%s: %s; retrying in %.1f s", self.describe, exc, wait)
                self._sleep(wait, f"retrying {what}")
                waited += wait

    def _gave_up(self, exc: RetryableError, attempt: int, waited: float) -> SourceError:
        said = (
            f"{self.describe}: gave up after {attempt} tries and {waited:.0f} s of waiting: {exc}"
        )
        if isinstance(exc, _BadBody):
            return ResponseError(
                f"{said}. The answer was cut off or was not JSON each time; try again later, "
                "and report it if it keeps happening (the last good data of this source is kept)"
            )
        return RetryableError(
            f"{said}. The API is unavailable or limiting this token; try again later (the "
            "last good data of this source is kept)",
            wait=exc.wait,
        )

    def post_json(self, url: str, json_body: Any, *, what: str) -> int:
        """POST ``json_body`` (with retries, like :meth:`request_json`, and within the same
        bounds) to an endpoint whose answer is no JSON to read — a chat webhook answers "ok",
        "1" or an empty 202 — and return the status. ``what`` names the endpoint in every
        message and log line instead of the URL: a webhook's URL is a secret as a whole (list
        its parts in ``secrets``). Redirects are not followed; at most ``ERROR_BODY_BYTES`` of
        an answer are read."""
        return self._retried(lambda: self._post_once(url, json_body, what), what)

    def _post_once(self, url: str, json_body: Any, what: str) -> int:
        limit = self._admit(what)
        with self._lock:
            self.requests_made += 1
        resp, data = self._exchange(
            "POST",
            url,
            None,
            json_body,
            what,
            limit,
            limit < self.timeout,
            redirects=False,
            cut_at=ERROR_BODY_BYTES,
        )
        code = resp.status_code
        log.debug("%s: %s -> %s", self.describe, what, code)
        resp._content = bytes(data)  # what snippet() quotes
        if code == 429 or code == 408 or code >= 500:
            self.raise_for_status(resp, what)  # retryable, with the service's own wait
        if not 200 <= code < 300:
            # the caller knows what its endpoint's URL is and says how to fix it
            error = {401: AuthError, 403: AuthError, 404: NotFoundError, 410: NotFoundError}
            redirect = " (a redirect, not followed)" if 300 <= code < 400 else ""
            raise error.get(code, SourceError)(
                f"{self.describe}: {what} answered {code}{redirect}: {self.snippet(resp)}"
            )
        return code

    def _next_wait(self, exc: RetryableError, attempt: int) -> float:
        if exc.wait is not None:  # the API's own: honoured in full, within the bounds
            return max(exc.wait, 0.0)
        base = self.retry.backoff * 2.0 ** (attempt - 1)
        cap = min(self.retry.max_wait, self.bounds.max_wait_s)
        return min(base * (0.5 + random.random()), cap)

    def _once(
        self,
        method: str,
        url: str,
        params: Mapping[str, Any] | None,
        json_body: Any,
        what: str,
        read: bool,
    ) -> Any:
        full = url + ("?" + urlencode(params, doseq=True) if params else "")
        safe = self.scrub(sanitize_url(full))
        label = f"{what} ({method} {safe})" if what else f"{method} {safe}"
        self._admit(label)
        if self.limiter is not None:
            budget = f"the request budget of this token before {label}"
            self.limiter.acquire(check=lambda pause: self._check_wait(pause, budget))
        limit = self._admit(label)
        by_deadline = limit < self.timeout
        with self._lock:
            self.requests_made += 1
        resp, data = self._exchange(method, url, params, json_body, label, limit, by_deadline)
        log.debug("%s: %s %s -> %s", self.describe, method, safe, resp.status_code)
        if not 200 <= resp.status_code < 300:
            resp._content = bytes(data)  # what snippet() quotes
            self.raise_for_status(resp, label)
        try:
            return json.loads(data)
        except RecursionError:
            raise ResponseError(
                f"{self.describe}: {label} answered {resp.status_code} with JSON nested too "
                f"deeply to read ({len(data)} bytes; API answers are a few levels deep). The "
                "read stops here (its last good data is kept); try again later, and report it "
                "if it keeps happening"
            ) from None
        except ValueError:  # JSONDecodeError, UnicodeDecodeError
            text = bytes(data[:ERROR_BODY_BYTES]).decode("utf-8", "replace")
            said = (
                f"{label} answered {resp.status_code} with a body that is not valid JSON "
                f"({len(data)} bytes; cut off or not JSON): {self.excerpt(text)}"
            )
            if read:
                raise _BadBody(said) from None
            raise ResponseError(
                f"{self.describe}: {said}. The answer was cut off or is not JSON; try again, "
                "and report it if it keeps happening"
            ) from None

    def _exchange(
        self,
        method: str,
        url: str,
        params: Mapping[str, Any] | None,
        json_body: Any,
        label: str,
        limit: float,
        by_deadline: bool,
        *,
        redirects: bool = True,
        cut_at: int | None = None,
    ) -> tuple[requests.Response, bytearray]:
        """Send the request and read its body, all within ``limit`` seconds; map what the
        transport raises to the error tree."""
        deadline = time.monotonic() + limit
        with transport.WATCHDOG.armed(limit) as armed:
            try:
                resp = self.session().request(
                    method,
                    url,
                    params=params,
                    json=json_body,
                    timeout=(limit, limit),
                    stream=True,
                    allow_redirects=redirects,
                )
                try:
                    data = (
                        transport.read_body(resp, deadline=deadline, max_bytes=cut_at, cut=True)
                        if cut_at is not None  # only the start of the answer matters
                        else self._body(resp, deadline, label)
                    )
                finally:
                    if resp.raw is not None:  # an adapter answering from memory has none
                        resp.close()  # a body not read to its end closes its connection
                return resp, data
            except (transport.Late, requests.Timeout):
                raise self._late(label, limit, by_deadline) from None
            except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as exc:
                if armed.fired or time.monotonic() >= deadline:
                    raise self._late(label, limit, by_deadline) from None
                raise RetryableError(
                    f"connection failed for {label}: {self.scrub(type(exc).__name__)}"
                ) from None
            except requests.exceptions.ContentDecodingError:
                raise _BadBody(f"{label} answered a body that does not decompress") from None
            except requests.RequestException as exc:
                raise SourceError(
                    f"{self.describe}: request failed for {label}: {type(exc).__name__}"
                ) from None

    def _body(self, resp: requests.Response, deadline: float, label: str) -> bytearray:
        """The whole body of a 2xx answer within the size cap, or the start of any other."""
        cap = int(self.bounds.max_response_mb * MB)
        if not 200 <= resp.status_code < 300:
            return transport.read_body(
                resp, deadline=deadline, max_bytes=ERROR_BODY_BYTES, cut=True
            )
        try:
            return transport.read_body(resp, deadline=deadline, max_bytes=cap)
        except transport.BodyTooLarge:
            raise ResponseError(
                f"{self.describe}: {label} answered more than {self.bounds.max_response_mb:g} MB "
                "([sync] max_response_mb, counted after decompression). The read stops there "
                "(its last good data is kept); raise [sync] max_response_mb if answers this "
                "large are expected, or narrow the scope"
            ) from None

    def _late(self, label: str, limit: float, by_deadline: bool) -> SourceError:
        if by_deadline:
            return SourceError(
                f"{self.describe}: {label} was still running at the source's deadline: its "
                f"whole read must end within [sync] source_deadline_s = "
                f"{self.bounds.deadline_s:g} s. The read stops here (its last good data is "
                "kept); raise [sync] source_deadline_s, or narrow the scope"
            )
        return RetryableError(
            f"no complete answer within {limit:g} s to {label} (the source's timeout bounds "
            "a whole request: connect and every read)"
        )

    def raise_for_status(self, resp: requests.Response, label: str) -> None:
        """Map an HTTP status to the error tree; 2xx passes."""
        code = resp.status_code
        if 200 <= code < 300:
            return
        detail = self.snippet(resp)
        if code == 429:
            wait = retry_after(resp)
            if wait is None:
                raise RetryableError(
                    f"{label} was rate limited (429): {detail}", wait=self.retry.default_429_wait
                )
            asked = f"{wait:.0f}" if wait.is_integer() else f"{wait:g}"
            raise RetryableError(
                f"{label} was rate limited (429; Retry-After: {asked} s): {detail}", wait=wait
            )
        if code >= 500 or code == 408:
            raise RetryableError(f"{label} answered {code}: {detail}", wait=retry_after(resp))
        if code == 401:
            raise AuthError(
                f"{self.describe}: {label} answered 401 Unauthorized ({detail}); the "
                "token is invalid, expired, or lacks access to this object"
            )
        if code == 403:
            raise AuthError(
                f"{self.describe}: {label} answered 403 Forbidden ({detail}); the "
                "token's user has no access to this object, or the plan lacks it"
            )
        if code == 404:
            raise NotFoundError(
                f"{self.describe}: {label} answered 404 Not Found ({detail}); "
                "check the board/project ids and names in the config, and that "
                "the token's user can see them"
            )
        raise SourceError(f"{self.describe}: {label} answered {code}: {detail}")

    def snippet(self, resp: requests.Response, limit: int = 200) -> str:
        """A short, single-line, scrubbed excerpt of a response body for messages."""
        try:
            if "charset" in resp.headers.get("Content-Type", "").lower():
                text = resp.text
            else:  # requests would guess ISO-8859-1 for text/*; APIs send UTF-8
                text = (resp.content or b"").decode("utf-8", "replace")
        except Exception:
            return "<undecodable body>"
        return self.excerpt(text, limit)

    def excerpt(self, text: str, limit: int = 200) -> str:
        """A short, single-line, safe excerpt of server text for messages: no escapes, control
        or bidi characters, no secret."""
        # Scrub before cutting: a secret cut in two would no longer match and would leak half.
        text = _SECRET_IN_TEXT.sub(r"\1=***", self.scrub(re.sub(r"\s+", " ", text).strip()))
        text = text.strip()[:limit] + ("…" if len(text) > limit else "")
        return text or "<empty body>"

    def scrub(self, text: str) -> str:
        """Text made fit to leave this layer (an error, a log line): every known secret value
        removed, and the escapes, control and bidi characters a server may have put in it."""
        text = safe_text(text)
        for s in self.secrets:
            if s:
                text = text.replace(s, "***")
        return text


def _is_read(method: str, json_body: Any) -> bool:
    """Whether a request only reads: GET, HEAD, OPTIONS, or a GraphQL query (not a mutation)."""
    verb = method.upper()
    if verb in ("GET", "HEAD", "OPTIONS"):
        return True
    if verb == "POST" and isinstance(json_body, Mapping):
        query = json_body.get("query")
        return isinstance(query, str) and not query.lstrip().startswith("mutation")
    return False


def _duration(seconds: float) -> str:
    """``31536000 s (365 days)``: seconds, and in days or hours when that many."""
    if seconds >= 2 * 86400:
        return f"{seconds:.0f} s ({seconds / 86400:.0f} days)"
    if seconds >= 2 * 3600:
        return f"{seconds:.0f} s ({seconds / 3600:.0f} hours)"
    return f"{seconds:.0f} s"


def retry_after(resp: requests.Response) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds form), if any."""
    value = resp.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None
