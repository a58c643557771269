"""monday's errors: GraphQL ``errors`` in HTTP 200 bodies, mapped to the error tree.

A module only monday has: Asana and Trello report errors by HTTP status alone, which the HTTP
layer maps (``http.py``); monday adds application errors inside 200 answers.

monday answers application errors with HTTP 200 and an ``errors`` list (possibly next to
partial ``data``, which is never taken as a complete answer); transport errors (401, 429, 5xx)
are mapped by the HTTP layer. https://developer.monday.com/api-reference/docs/error-handling
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from raci_sync.connectors.monday.convert import shape
from raci_sync.errors import AuthError, NotFoundError, RetryableError, SourceError

RETRY_CODES = frozenset(
    {
        "ComplexityException",
        "COMPLEXITY_BUDGET_EXHAUSTED",
        "RATE_LIMIT_EXCEEDED",
        "RateLimitExceeded",
        "IP_RATE_LIMIT_EXCEEDED",
        "maxConcurrencyExceeded",
        "CONCURRENCY_LIMIT_EXCEEDED",
    }
)
AUTH_CODES = frozenset(
    {
        "UserUnauthorizedException",
        "USER_UNAUTHORIZED",
        "Unauthorized",
        "UNAUTHORIZED",
        "UNAUTHENTICATED",
        "NotPermittedException",
    }
)
NOT_FOUND_CODES = frozenset(
    {
        "InvalidBoardIdException",
        "InvalidItemIdException",
        "ResourceNotFoundException",
        "NOT_FOUND",
        "RESOURCE_NOT_FOUND",
    }
)
CURSOR_CODES = frozenset({"CursorExpiredError", "CURSOR_EXPIRED", "CursorExpired"})
# A query too heavy for one answer: the same page with fewer items may pass (PageTooLargeError)
FIELD_LIMIT_CODES = frozenset({"FIELD_LIMIT_EXCEEDED", "FieldLimitExceeded"})
DEFAULT_RETRY_WAIT = 10.0
Parsed = tuple[str | None, int | None, str, dict[str, Any]]  # code, status, message, extensions
_RESET_IN = re.compile(r"reset in (\d+(?:\.\d+)?) seconds?", re.IGNORECASE)


class CursorExpiredError(SourceError):
    """An ``items_page`` cursor outlived its 60 minutes; the board's listing must restart."""


class PageTooLargeError(SourceError):
    """monday would not answer a query of this size (its per-query complexity maximum, a
    timeout, ``FIELD_LIMIT_EXCEEDED``): the same page with fewer items may pass. ``wait`` is
    the wait monday asked for before trying again, if any."""

    def __init__(self, message: str, *, wait: float | None = None) -> None:
        super().__init__(message)
        self.wait = wait


def too_long(where: str, wait: float, why: str, max_wait: float) -> SourceError:
    """The failure for a wait monday asks for that is longer than ``[sync] max_wait_s``."""
    return SourceError(
        f"{where}: monday asks to wait {wait:.0f} s ({why}), longer than [sync] max_wait_s "
        f"= {max_wait:.0f} s; the source fails now instead of sleeping (its last good data is "
        "kept). Try again later, or raise [sync] max_wait_s"
    )


# -- errors in 200 bodies -----------------------------------------------------------------------


def check_body(body: Any, source_name: str, what: str, *, max_wait: float | None = None) -> None:
    """Raise the matching SourceError when a 200 body carries errors or lacks ``data``.

    ``what`` names the request ("list boards (page 1)"); messages begin "source 'x' (monday):
    list boards (page 1): …". A wait monday asks for that is longer than ``max_wait``
    (``[sync] max_wait_s``) fails at once instead of being retried.
    """
    where = f"source {source_name!r} (monday): {what}"
    answer = shape(source_name, f"the answer to {what}")
    answer.obj(body)
    errors = body.get("errors")
    if not errors and ("error_code" in body or "error_message" in body):  # pre-2025-01 shape
        errors = [
            {
                "message": body.get("error_message"),
                "extensions": {
                    "code": body.get("error_code"),
                    "status_code": body.get("status_code"),
                    "error_data": body.get("error_data"),
                },
            }
        ]
    if errors:
        raise error_from_graphql(
            errors if isinstance(errors, list) else [errors],
            where,
            partial=isinstance(body.get("data"), dict) and bool(body["data"]),
            max_wait=max_wait,
        )
    if not isinstance(body.get("data"), dict):
        raise answer.error(f"without a 'data' object (keys: {', '.join(sorted(body)) or 'none'})")


def error_from_graphql(
    errors: list[Any], where: str, *, partial: bool = False, max_wait: float | None = None
) -> SourceError:
    """The most actionable error for a list of GraphQL ``errors`` entries: a rate limit first
    (it is retried, unless its wait is longer than ``max_wait``), then a query too large, then
    access, then a missing object, then an expired cursor."""
    parsed = [_parse_error(e) for e in errors]
    for judge in (_limit_error, _size_error, _auth_error, _not_found_error, _cursor_error):
        for code, status, msg, ext in parsed:
            err = judge(code, status, msg, ext, where)
            if err is not None:
                return _capped(err, code or status, max_wait, where)
    text = "; ".join(f"{m} ({c or s or 'no code'})" for c, s, m, _ in parsed)
    extra = " (the partial data that came with it was not used)" if partial else ""
    return SourceError(f"{where}: monday answered with errors: {text}{extra}")


def _capped(err: SourceError, code: Any, max_wait: float | None, where: str) -> SourceError:
    """``err``, or the failure to wait that long when its wait exceeds ``max_wait``."""
    wait = getattr(err, "wait", None)
    if max_wait is not None and wait is not None and wait > max_wait:
        return too_long(where, wait, f"{code or 'a limit'}: retry_in_seconds", max_wait)
    return err


def _limit_error(
    code: str | None, status: int | None, msg: str, ext: dict[str, Any], where: str
) -> SourceError | None:
    if code == "DAILY_LIMIT_EXCEEDED":
        return SourceError(
            f"{where}: monday's daily call limit is used up ({msg}); it "
            "resets at midnight UTC, try again then or raise the plan's cap"
        )
    if code in FIELD_LIMIT_CODES or _too_complex(code, msg, ext):
        return None  # a query too large, not a budget: _size_error
    if not (code in RETRY_CODES or status == 429 or "rate limit" in msg.lower()):
        return None
    wait = _retry_wait(msg, ext)
    return RetryableError(
        f"{where}: monday is rate limiting ({code or status}: {msg}); retry in {wait:.0f} s",
        wait=wait,
    )


def _size_error(
    code: str | None, status: int | None, msg: str, ext: dict[str, Any], where: str
) -> SourceError | None:
    """A query over monday's per-query complexity maximum, or a field asked too much at once:
    the connector halves the page and asks again."""
    if code in FIELD_LIMIT_CODES:
        wait = asked_wait(ext)
        return PageTooLargeError(f"{where}: monday refused the query ({code}: {msg})", wait=wait)
    if _too_complex(code, msg, ext):
        return PageTooLargeError(f"{where}: the query is too complex for monday ({code}: {msg})")
    return None


def _too_complex(code: str | None, msg: str, ext: Mapping[str, Any]) -> bool:
    """A ``ComplexityException`` about one query's size, not the per-minute budget: monday
    documents only the code for the 5,000,000-point maximum, while a spent budget comes with a
    wait (``retry_in_seconds``, or "reset in N seconds") or says "budget"."""
    if code != "ComplexityException":
        return False
    low = msg.lower()
    return "budget" not in low and not _RESET_IN.search(msg) and asked_wait(ext) is None


def _auth_error(
    code: str | None, status: int | None, msg: str, ext: dict[str, Any], where: str
) -> SourceError | None:
    if code in AUTH_CODES or status in (401, 403):
        return AuthError(
            f"{where}: monday refused access ({code or status}: {msg}); the "
            "token is invalid, or its user may not see this board (a personal "
            "token has exactly its user's permissions)"
        )
    return None


def _not_found_error(
    code: str | None, status: int | None, msg: str, ext: dict[str, Any], where: str
) -> SourceError | None:
    if code in NOT_FOUND_CODES or status == 404:
        return NotFoundError(
            f"{where}: monday does not know this object ({code or status}: "
            f"{msg}); check the board ids in the config"
        )
    return None


def _cursor_error(
    code: str | None, status: int | None, msg: str, ext: dict[str, Any], where: str
) -> SourceError | None:
    low = msg.lower()
    if code in CURSOR_CODES or ("cursor" in low and "expired" in low):
        return CursorExpiredError(f"{where}: the items cursor expired ({msg})")
    return None


def _parse_error(e: Any) -> Parsed:
    if not isinstance(e, dict):
        return None, None, str(e), {}
    raw_ext = e.get("extensions")
    ext: dict[str, Any] = raw_ext if isinstance(raw_ext, dict) else {}
    code = ext.get("code") or ext.get("error_code") or e.get("code") or e.get("error_code")
    status = ext.get("status_code")
    msg = e.get("message") or ""
    return (str(code) if code else None, status if isinstance(status, int) else None, str(msg), ext)


def _retry_wait(msg: str, ext: Mapping[str, Any]) -> float:
    """The wait monday asks for (``retry_in_seconds``, else "reset in N seconds" in the
    message); DEFAULT_RETRY_WAIT when it asks for none that is usable. Not capped here: a wait
    longer than ``[sync] max_wait_s`` fails the source (``check_body``)."""
    asked = asked_wait(ext)
    if asked is not None:
        return asked
    m = _RESET_IN.search(msg)
    reset = _seconds(float(m.group(1))) if m else None
    return DEFAULT_RETRY_WAIT if reset is None else reset


def asked_wait(ext: Mapping[str, Any]) -> float | None:
    """``retry_in_seconds`` of an error's extensions (or of their ``error_data``, or of an
    old-shape top-level body); None when there is none that is usable (negative, infinite, or
    an integer beyond float's range such as ``1e400``)."""
    raw_data = ext.get("error_data")
    data: Mapping[str, Any] = raw_data if isinstance(raw_data, dict) else {}
    for v in (ext.get("retry_in_seconds"), data.get("retry_in_seconds")):
        wait = _seconds(v)
        if wait is not None:
            return wait
    return None


def wait_in_body(body: Any) -> tuple[float | None, str | None]:
    """(the longest ``retry_in_seconds``, its error code) of an error body in any of monday's
    shapes — ``errors[].extensions``, their ``error_data``, or the pre-2025-01 top level."""
    if not isinstance(body, dict):
        return None, None
    raw = body.get("errors")
    entries: list[Any] = raw if isinstance(raw, list) else []
    parsed = [_parse_error(e) for e in entries]
    if "error_code" in body or "error_data" in body or "retry_in_seconds" in body:
        parsed.append(_parse_error({"message": "", "extensions": body}))
    best: tuple[float | None, str | None] = (None, None)
    for code, _, _, ext in parsed:
        wait = asked_wait(ext)
        if wait is not None and (best[0] is None or wait > best[0]):
            best = (wait, code)
    if best[1] is None and parsed:
        best = (best[0], parsed[0][0])
    return best


def _seconds(v: Any) -> float | None:
    if not isinstance(v, int | float) or isinstance(v, bool):
        return None
    try:
        wait = float(v)
    except OverflowError:
        return None
    return wait if math.isfinite(wait) and wait >= 0 else None
