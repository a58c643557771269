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
DEFAULT_RETRY_WAIT = 10.0
MAX_RETRY_WAIT = 300.0  # monday's limits reset within a minute; a longer asked wait is capped
Parsed = tuple[str | None, int | None, str, dict[str, Any]]  # code, status, message, extensions
_RESET_IN = re.compile(r"reset in (\d+(?:\.\d+)?) seconds?", re.IGNORECASE)


class CursorExpiredError(SourceError):
    """An ``items_page`` cursor outlived its 60 minutes; the board's listing must restart."""


# -- errors in 200 bodies -----------------------------------------------------------------------


def check_body(body: Any, source_name: str, what: str) -> None:
    """Raise the matching SourceError when a 200 body carries errors or lacks ``data``.

    ``what`` names the request ("list boards (page 1)"); messages begin "source 'x' (monday):
    list boards (page 1): …".
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
        )
    if not isinstance(body.get("data"), dict):
        raise answer.error(f"without a 'data' object (keys: {', '.join(sorted(body)) or 'none'})")


def error_from_graphql(errors: list[Any], where: str, *, partial: bool = False) -> SourceError:
    """The most actionable error for a list of GraphQL ``errors`` entries: a rate limit first
    (it is retried), then access, then a missing object, then an expired cursor."""
    parsed = [_parse_error(e) for e in errors]
    for judge in (_limit_error, _auth_error, _not_found_error, _cursor_error):
        for code, status, msg, ext in parsed:
            err = judge(code, status, msg, ext, where)
            if err is not None:
                return err
    text = "; ".join(f"{m} ({c or s or 'no code'})" for c, s, m, _ in parsed)
    extra = " (the partial data that came with it was not used)" if partial else ""
    return SourceError(f"{where}: monday answered with errors: {text}{extra}")


def _limit_error(
    code: str | None, status: int | None, msg: str, ext: dict[str, Any], where: str
) -> SourceError | None:
    if code == "DAILY_LIMIT_EXCEEDED":
        return SourceError(
            f"{where}: monday's daily call limit is used up ({msg}); it "
            "resets at midnight UTC, try again then or raise the plan's cap"
        )
    if not (code in RETRY_CODES or status == 429 or "rate limit" in msg.lower()):
        return None
    if "exceeds max complexity" in msg.lower():
        return SourceError(
            f"{where}: the query is too complex for monday ({msg}); "
            "please report this as a raci-sync bug"
        )
    wait = _retry_wait(msg, ext)
    return RetryableError(
        f"{where}: monday is rate limiting ({code or status}: {msg}); retry in {wait:.0f} s",
        wait=wait,
    )


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
    code = ext.get("code") or e.get("code") or e.get("error_code")
    status = ext.get("status_code")
    msg = e.get("message") or ""
    return (str(code) if code else None, status if isinstance(status, int) else None, str(msg), ext)


def _retry_wait(msg: str, ext: Mapping[str, Any]) -> float:
    """The wait monday asks for (``retry_in_seconds``, else "reset in N seconds" in the
    message), capped at MAX_RETRY_WAIT; DEFAULT_RETRY_WAIT when it asks for none that is usable
    (negative, infinite, or an integer beyond float's range such as ``1e400``)."""
    raw_data = ext.get("error_data")
    data: Mapping[str, Any] = raw_data if isinstance(raw_data, dict) else {}
    asked: list[Any] = [ext.get("retry_in_seconds"), data.get("retry_in_seconds")]
    m = _RESET_IN.search(msg)
    for v in (*asked, float(m.group(1)) if m else None):
        if not isinstance(v, int | float) or isinstance(v, bool):
            continue
        try:
            wait = float(v)
        except OverflowError:
            continue
        if math.isfinite(wait) and wait >= 0:
            return min(wait, MAX_RETRY_WAIT)
    return DEFAULT_RETRY_WAIT
