"""Posting notices to the ``[[notify]]`` targets, and recording each successful post.

Each target gets what is new since its own last successful post (``content.build_notice``),
in its own format (``formats.py``), through the one HTTP layer (``connectors.http``: timeouts,
retries with the service's own Retry-After, statuses mapped to errors). A post that fails is
returned in the outcome, never raised: the sync and the store stay as they are, the next run
posts again (and, its baseline unchanged, carries what this one would have). Nothing new and
nothing missing: no post, unless forced.

The webhook URL is a secret as a whole: every message names the target and the host only, the
URL's path and query (and their pieces) are scrubbed from any server text quoted and from the
log lines of urllib3 while posting, and the store keeps the target's name, never its URL.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, unquote, urlsplit

import requests

from raci_sync.config import Config, NotifyConfig
from raci_sync.connectors.http import HttpClient, RetryPolicy
from raci_sync.errors import AuthError, ConfigError, NotFoundError, RetryableError, SourceError
from raci_sync.model import ReportData
from raci_sync.notify.content import Notice, build_notice
from raci_sync.notify.formats import Payload, payload

if TYPE_CHECKING:
    from raci_sync.store import Store

TIMEOUT_S = 30.0
# A chat message is worth a short wait, not minutes: 3 tries within a minute.
RETRY = RetryPolicy(attempts=3, backoff=2.0, max_wait=30.0, budget=60.0, default_429_wait=5.0)
URLLIB3_LOGGERS = ("urllib3", "urllib3.connectionpool", "urllib3.connection", "urllib3.util.retry")
NOTHING_NEW = "nothing new since the last post and no data missing: not posted"

Mount = Callable[[requests.Session], None]


@dataclass(frozen=True)
class TargetOutcome:
    """What became of one target's post: ``posted``, or ``skipped`` (why), or ``error``."""

    name: str
    kind: str
    posted: bool = False
    skipped: str | None = None
    error: str | None = None
    new_errors: int = 0
    newly_overloaded: int = 0
    payload: Payload | None = None  # with dry_run: what would have been posted


@dataclass(frozen=True)
class NotifyOutcome:
    """What became of the notifications of one run."""

    targets: tuple[TargetOutcome, ...]

    @property
    def complete(self) -> bool:
        """True unless a post failed (exit 5)."""
        return all(t.error is None for t in self.targets)


def notify_all(
    config: Config,
    data: ReportData,
    store: Store,
    *,
    now: datetime,
    force: bool = False,
    dry_run: bool = False,
    mount: Mount | None = None,
) -> NotifyOutcome:
    """Post to every ``[[notify]]`` target what is new for it, and record each success.

    ``force`` posts even when nothing is new; ``dry_run`` returns the payloads and posts and
    records nothing (no URL needed). Raises ConfigError when no target is configured or, unless
    ``dry_run``, a URL's environment variable is unset; a failed post is in the outcome.
    """
    check_targets(config, dry_run=dry_run)
    outcomes = []
    for target in config.notify:
        notice = build_notice(data, store.last_notification(target.name))
        outcomes.append(_one(target, notice, store, now, force, dry_run, mount))
    return NotifyOutcome(tuple(outcomes))


def check_targets(config: Config, *, dry_run: bool = False) -> None:
    """Raise ConfigError when no target is configured or (unless ``dry_run``) a target's URL
    names an unset environment variable: before anything is read or posted."""
    if not config.notify:
        raise ConfigError(
            ["notify: no [[notify]] target in the config (see config.example.toml)"],
            str(config.path) if config.path else None,
        )
    if not dry_run:
        config.require_secrets(notify=config.notify)


def _one(
    target: NotifyConfig,
    notice: Notice,
    store: Store,
    now: datetime,
    force: bool,
    dry_run: bool,
    mount: Mount | None,
) -> TargetOutcome:
    base = TargetOutcome(
        target.name,
        target.kind,
        new_errors=len(notice.new_errors.items) + notice.new_errors.more,
        newly_overloaded=len(notice.newly_overloaded.items) + notice.newly_overloaded.more,
    )
    if not (force or notice.worth_posting):
        return replace(base, skipped=NOTHING_NEW)
    body = payload(target.kind, notice, target.name)
    if dry_run:
        return replace(base, payload=body)
    try:
        post(target, body, mount=mount)
    except SourceError as exc:
        return replace(base, error=str(exc))
    store.record_notification(
        target.name, target.kind, now, notice.errors_now, notice.overloaded_now
    )
    return replace(base, posted=True)


def post(target: NotifyConfig, body: Payload, *, mount: Mount | None = None) -> None:
    """POST ``body`` to ``target``'s webhook; raise SourceError (a message that never holds
    the URL, and says what to check) when it was not accepted."""
    assert target.url is not None
    url = target.url.reveal()
    host = urlsplit(url).hostname or "?"
    secrets = secret_forms(url)
    http = HttpClient(
        describe=f"notify {target.name!r} ({target.kind})",
        timeout=TIMEOUT_S,
        retry=RETRY,
        mount=mount,
        secrets=secrets,
    )
    with _scrubbed(secrets):
        try:
            http.post_json(url, body, what=f"the {target.kind} webhook at {host}")
        except SourceError as exc:
            raise type(exc)(f"{exc}{_hint(target, exc)}") from None


def _hint(target: NotifyConfig, exc: SourceError) -> str:
    where = f"[[notify]] {target.name!r}"
    if isinstance(exc, AuthError | NotFoundError):
        return (
            f"; the webhook was removed, its channel archived, or the URL is wrong: check the "
            f"url of {where} (a Teams workflow must be on and let anyone trigger it)"
        )
    if isinstance(exc, RetryableError):
        return "; the service is unavailable now: the next `raci notify` or `run --notify` posts"
    return f"; the post to {where} was not accepted (not recorded: the next run tries again)"


def secret_forms(url: str) -> tuple[str, ...]:
    """Every piece of a webhook URL that could show it, longest first: the URL itself, its
    path and query, and each path segment and query value that looks like a key (8 characters
    with a digit, or 16 of any kind) — raw and %-decoded."""
    parts = urlsplit(url)
    pieces = {url, parts.path, parts.query, f"{parts.path}?{parts.query}"}
    pieces |= {s for s in parts.path.split("/")}
    pieces |= {v for _, v in parse_qsl(parts.query, keep_blank_values=True)}
    pieces |= {v for v in parts.query.split("&")}
    pieces |= {unquote(p) for p in pieces}
    keys = {
        p for p in pieces if p and (len(p) >= 16 or (len(p) >= 8 and any(c.isdigit() for c in p)))
    }
    return tuple(sorted(keys, key=len, reverse=True))


class _Scrub(logging.Filter):
    """Scrubs the webhook's pieces from urllib3's log lines (it logs each request's path)."""

    def __init__(self, secrets: tuple[str, ...]) -> None:
        super().__init__()
        self.secrets = secrets

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        scrubbed = message
        for secret in self.secrets:
            scrubbed = scrubbed.replace(secret, "***")
        if scrubbed != message:
            record.msg, record.args = scrubbed, None
        return True


@contextlib.contextmanager
def _scrubbed(secrets: tuple[str, ...]) -> Iterator[None]:
    scrub = _Scrub(secrets)
    loggers = [logging.getLogger(name) for name in URLLIB3_LOGGERS]
    for logger in loggers:
        logger.addFilter(scrub)
    try:
        yield
    finally:
        for logger in loggers:
            logger.removeFilter(scrub)
