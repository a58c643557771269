"""The one HTTP layer under all three connectors.

A ``requests.Session`` per thread, an explicit timeout on every call, sanitised URLs in every
log line and message, HTTP statuses mapped to the error tree in one place, and a bounded retry
loop that honours the API's own wait signal (``Retry-After``, or a wait that a connector's
``check`` hook reads from the body, as monday's ``retry_in_seconds``).
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
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests

from raci_sync.connectors.limits import RateLimiter
from raci_sync.errors import (
    AuthError,
    NotFoundError,
    ResponseError,
    RetryableError,
    SourceError,
)

log = logging.getLogger("raci_sync.http")

SECRET_PARAMS = {"key", "token", "api_key", "apikey", "access_token", "password", "secret"}
USER_AGENT = "raci-sync/0.1 (+https://pypi.org/project/raci-sync/)"
WEBHOOK_ANSWER_BYTES = 64 * 1024  # what post_json reads of an answer: enough for any error text


_SECRET_IN_TEXT = re.compile(r"(?i)\b(" + "|".join(sorted(SECRET_PARAMS)) + r")=([^&\s\"']+)")


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
    max_wait: float = 60.0  # cap on one wait
    budget: float = 180.0  # cap on the total time spent waiting for one request
    default_429_wait: float = 10.0  # when a 429 carries no wait signal (Trello: its 10 s window)


@dataclass
class HttpClient:
    """Sessions, timeouts, retries and error mapping for one source.

    ``describe`` names the source in every error ("source 'indhold' (trello)"); ``mount`` can
    attach a transport adapter (the demo's replay adapter, or a test's) to every session.
    """

    describe: str
    timeout: float = 30.0
    headers: Mapping[str, str] = field(default_factory=dict)
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    mount: Callable[[requests.Session], None] | None = None
    sleep: Callable[[float], None] = time.sleep
    secrets: tuple[str, ...] = ()  # values scrubbed from any text that leaves this layer
    limiter: RateLimiter | None = None  # the API's request budget for this credential
    requests_made: int = 0
    _local: threading.local = field(default_factory=threading.local, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def session(self) -> requests.Session:
        s: requests.Session | None = getattr(self._local, "session", None)
        if s is None:
            s = requests.Session()
            s.headers["User-Agent"] = USER_AGENT
            s.headers.update(self.headers)
            if self.mount is not None:
                self.mount(s)
            self._local.session = s
        return s

    def request_json(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        check: Callable[[Any], None] | None = None,
        what: str = "",
    ) -> Any:
        """Send one request (with retries) and return its decoded JSON body.

        ``check(body)`` may raise RetryableError (retried like a 429) or any SourceError.
        """
        waited = 0.0
        attempt = 0
        while True:
            attempt += 1
            try:
                body = self._once(method, url, params, json_body, what)
                if check is not None:
                    check(body)
                return body
            except RetryableError as exc:
                wait = self._next_wait(exc, attempt)
                if attempt >= self.retry.attempts or waited + wait > self.retry.budget:
                    raise RetryableError(
                        f"{self.describe}: gave up after {attempt} tries and {waited:.0f} s of "
                        f"waiting: {exc}. The API is unavailable or limiting this token; try "
                        "again later (the last good data of this source is kept)",
                        wait=exc.wait,
                    ) from None
                log.info("%s: %s; retrying in %.1f s", self.describe, exc, wait)
                self.sleep(wait)
                waited += wait

    def post_json(self, url: str, json_body: Any, *, what: str) -> int:
        """POST ``json_body`` (with retries, like :meth:`request_json`) to an endpoint whose
        answer is no JSON to read — a chat webhook answers "ok", "1" or an empty 202 — and
        return the status. ``what`` names the endpoint in every message and log line instead
        of the URL: a webhook's URL is a secret as a whole (list its parts in ``secrets``).
        Redirects are not followed, and at most ``WEBHOOK_ANSWER_BYTES`` of an answer are read.
        """
        waited = 0.0
        attempt = 0
        while True:
            attempt += 1
            try:
                return self._post_once(url, json_body, what)
            except RetryableError as exc:
                wait = self._next_wait(exc, attempt)
                if attempt >= self.retry.attempts or waited + wait > self.retry.budget:
                    raise RetryableError(
                        f"{self.describe}: gave up after {attempt} tries and {waited:.0f} s of "
                        f"waiting: {exc}",
                        wait=exc.wait,
                    ) from None
                log.info("%s: %s; retrying in %.1f s", self.describe, exc, wait)
                self.sleep(wait)
                waited += wait

    def _post_once(self, url: str, json_body: Any, what: str) -> int:
        with self._lock:
            self.requests_made += 1
        try:
            resp = self.session().post(
                url, json=json_body, timeout=self.timeout, stream=True, allow_redirects=False
            )
            try:
                resp._content = resp.raw.read(WEBHOOK_ANSWER_BYTES, decode_content=True) or b""
            finally:
                resp.close()
        except requests.Timeout:
            raise RetryableError(f"no answer within {self.timeout:.0f} s to {what}") from None
        except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as exc:
            raise RetryableError(f"connection failed for {what}: {type(exc).__name__}") from None
        except (requests.RequestException, OSError, ValueError) as exc:  # urllib3 decode errors
            raise SourceError(
                f"{self.describe}: request failed for {what}: {type(exc).__name__}"
            ) from None
        code = resp.status_code
        log.debug("%s: %s -> %s", self.describe, what, code)
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
        if exc.wait is not None:
            return min(max(exc.wait, 0.0), self.retry.max_wait)
        base = self.retry.backoff * 2.0 ** (attempt - 1)
        return min(base * (0.5 + random.random()), self.retry.max_wait)

    def _once(
        self, method: str, url: str, params: Mapping[str, Any] | None, json_body: Any, what: str
    ) -> Any:
        full = url + ("?" + urlencode(params, doseq=True) if params else "")
        safe = self.scrub(sanitize_url(full))
        label = f"{what} ({method} {safe})" if what else f"{method} {safe}"
        if self.limiter is not None:
            self.limiter.acquire()
        with self._lock:
            self.requests_made += 1
        try:
            resp = self.session().request(
                method, url, params=params, json=json_body, timeout=self.timeout
            )
        except requests.Timeout:
            raise RetryableError(f"no answer within {self.timeout:.0f} s to {label}") from None
        except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as exc:
            raise RetryableError(
                f"connection failed for {label}: {self.scrub(type(exc).__name__)}"
            ) from None
        except requests.RequestException as exc:
            raise SourceError(
                f"{self.describe}: request failed for {label}: {type(exc).__name__}"
            ) from None
        log.debug("%s: %s %s -> %s", self.describe, method, safe, resp.status_code)
        self.raise_for_status(resp, label)
        try:
            return resp.json()
        except (ValueError, json.JSONDecodeError):
            raise ResponseError(
                f"{self.describe}: {label} answered {resp.status_code} with a body that is not "
                f"valid JSON ({len(resp.content)} bytes; truncated or not JSON): "
                f"{self.snippet(resp)}. The answer was cut off or is not JSON; try again, and "
                "report it if it keeps happening"
            ) from None

    def raise_for_status(self, resp: requests.Response, label: str) -> None:
        """Map an HTTP status to the error tree; 2xx passes."""
        code = resp.status_code
        if 200 <= code < 300:
            return
        detail = self.snippet(resp)
        if code == 429:
            wait = retry_after(resp)
            raise RetryableError(
                f"{label} was rate limited (429): {detail}",
                wait=self.retry.default_429_wait if wait is None else wait,
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
            text = resp.text
        except Exception:
            return "<undecodable body>"
        # Scrub before cutting: a secret cut in two would no longer match and would leak half.
        text = _SECRET_IN_TEXT.sub(r"\1=***", self.scrub(re.sub(r"\s+", " ", text).strip()))
        text = text[:limit] + ("…" if len(text) > limit else "")
        return text or "<empty body>"

    def scrub(self, text: str) -> str:
        """Remove every known secret value from text."""
        for s in self.secrets:
            if s:
                text = text.replace(s, "***")
        return text


def retry_after(resp: requests.Response) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds form), if any."""
    value = resp.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None
