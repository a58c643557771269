"""Fake chat webhooks — Slack incoming webhooks, Teams Workflows webhooks, raci's own JSON
webhook — that check every payload against the documented format (the sources are cited in
``raci_sync/notify/formats.py``) and answer as the services do.

``ChatFake(kind, path)`` has the fakes' ``handle(method, path, query, body, headers)``: served on
a :class:`~tests.fakes.server.FakeServer` (``extra={"chat": fake}``) or behind pytest-httpserver
(:func:`serve`). A POST to its secret ``path`` is checked (``check_slack``, ``check_teams``,
``check_webhook``): what the format does not allow goes to ``violations`` and is answered as
the service would (Slack: 400 ``invalid_payload``); a good one is kept in ``received`` and
answered like the service (Slack ``200 ok``, Teams ``202`` with no body). Any other path is a
removed webhook (Slack ``404 no_service``).
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from typing import Any

from tests.fakes import Answer

ADAPTIVE = "application/vnd.microsoft.card.adaptive"
TEAMS_LIMIT_BYTES = 28 * 1024  # "about 28 KB" per posted message
SLACK_BLOCKS = {"header", "section", "context", "divider"}
CARD_ELEMENTS = {"TextBlock", "FactSet", "Container", "ColumnSet", "RichTextBlock"}
# In mrkdwn, "<" opens a link or a mention: only links we made may appear, never <!channel>.
_ANGLE = re.compile(r"<([^<>]*)>")
_LINK = re.compile(r"https?://[^|<>\s]+\|[^<>|]*")


def _text_object(obj: Any, where: str, limit: int, kinds: set[str]) -> list[str]:
    if not isinstance(obj, dict) or obj.get("type") not in kinds:
        return [f"{where}: a text object of type {' or '.join(sorted(kinds))} is required"]
    text = obj.get("text")
    if not isinstance(text, str) or not 1 <= len(text) <= limit:
        return [f"{where}.text: 1–{limit} characters required, got {len(str(text))}"]
    if obj["type"] == "mrkdwn":
        return _mrkdwn(text, where)
    return []


def _mrkdwn(text: str, where: str) -> list[str]:
    problems = []
    for inner in _ANGLE.findall(text):
        if not _LINK.fullmatch(inner):
            problems.append(f"{where}: <{inner[:40]}> is no link raci made (a mention or markup)")
    stray = _ANGLE.sub("", text)
    if "<" in stray or ">" in stray:
        problems.append(f"{where}: an unescaped < or > (write &lt; &gt;)")
    if re.search(r"&(?!amp;|lt;|gt;)", stray):
        problems.append(f"{where}: an unescaped & (write &amp;)")
    return problems


def check_slack(body: Any) -> list[str]:
    """A Slack incoming-webhook message: ``text`` (the fallback) and at most 50 blocks of the
    kinds raci uses, each within Block Kit's limits."""
    if not isinstance(body, dict):
        return ["the body must be a JSON object"]
    problems = []
    if not isinstance(body.get("text"), str) or not body["text"]:
        problems.append("text: the plain fallback is required with blocks")
    else:
        problems += _mrkdwn(body["text"], "text")
    blocks = body.get("blocks")
    if not isinstance(blocks, list) or not 1 <= len(blocks) <= 50:
        return [*problems, "blocks: 1–50 blocks required"]
    for i, block in enumerate(blocks):
        where = f"blocks[{i}]"
        kind = block.get("type") if isinstance(block, dict) else None
        if kind not in SLACK_BLOCKS:
            problems.append(f"{where}.type: {kind!r} is not a block raci uses")
        elif kind == "header":
            problems += _text_object(block.get("text"), f"{where}.text", 150, {"plain_text"})
        elif kind == "section":
            problems += _text_object(
                block.get("text"), f"{where}.text", 3000, {"mrkdwn", "plain_text"}
            )
        elif kind == "context":
            elements = block.get("elements")
            if not isinstance(elements, list) or not 1 <= len(elements) <= 10:
                problems.append(f"{where}.elements: 1–10 elements required")
            else:
                for j, e in enumerate(elements):
                    problems += _text_object(
                        e, f"{where}.elements[{j}]", 3000, {"mrkdwn", "plain_text"}
                    )
    return problems


def check_teams(body: Any) -> list[str]:
    """A Teams Workflows webhook message: ``type`` message and exactly one Adaptive Card
    attachment, the card of a 1.x version with a body of elements, within about 28 KB."""
    if not isinstance(body, dict):
        return ["the body must be a JSON object"]
    problems = []
    if body.get("type") != "message":
        problems.append('type: must be "message"')
    attachments = body.get("attachments")
    if not isinstance(attachments, list) or len(attachments) != 1:
        return [*problems, "attachments: exactly one card"]
    attachment = attachments[0]
    if attachment.get("contentType") != ADAPTIVE:
        problems.append(f"attachments[0].contentType: must be {ADAPTIVE}")
    card = attachment.get("content")
    if not isinstance(card, dict) or card.get("type") != "AdaptiveCard":
        return [*problems, 'attachments[0].content.type: must be "AdaptiveCard"']
    if not re.fullmatch(r"1\.[0-5]", str(card.get("version"))):
        problems.append(f"content.version: {card.get('version')!r} is no version Teams renders")
    elements = card.get("body")
    if not isinstance(elements, list) or not elements:
        problems.append("content.body: a list of elements is required")
    else:
        for i, element in enumerate(elements):
            kind = element.get("type") if isinstance(element, dict) else None
            if kind not in CARD_ELEMENTS:
                problems.append(f"content.body[{i}].type: {kind!r} is no card element")
            elif kind == "TextBlock" and not isinstance(element.get("text"), str):
                problems.append(f"content.body[{i}].text: a string is required")
    size = len(json.dumps(body, ensure_ascii=False).encode())
    if size > TEAMS_LIMIT_BYTES:
        problems.append(f"the message is {size} bytes, more than Teams' 28 KB")
    return problems


def check_webhook(body: Any) -> list[str]:
    """raci's own notification JSON (README "Notifications")."""
    if not isinstance(body, dict):
        return ["the body must be a JSON object"]
    problems = []
    if body.get("format") != "raci-sync.notification.v1":
        problems.append("format: must be raci-sync.notification.v1")
    if body.get("status") not in ("red", "amber", "green"):
        problems.append("status: red, amber or green")
    for key in ("target", "generated_at", "window", "headline", "summary", "since", "open"):
        if key not in body:
            problems.append(f"{key}: missing")
    if not isinstance(body.get("missing_data"), list):
        problems.append("missing_data: a list")
    for key in ("new_ownership_errors", "newly_overloaded"):
        part = body.get(key)
        if not isinstance(part, dict) or not isinstance(part.get("items"), list):
            problems.append(f"{key}: {{items: [...], more: N}}")
    return problems


CHECKS: dict[str, Callable[[Any], list[str]]] = {
    "slack": check_slack,
    "teams": check_teams,
    "webhook": check_webhook,
}
ACCEPTED: dict[str, Answer] = {
    "slack": (200, {"Content-Type": "text/plain"}, "ok"),
    "teams": (202, {}, b""),
    "webhook": (200, {}, {"received": True}),
}


class ChatFake:
    """One chat webhook of ``kind`` at the secret ``path``."""

    def __init__(self, kind: str, path: str) -> None:
        self.kind = kind
        self.path = path
        self.received: list[Any] = []
        self.violations: list[str] = []
        self.requests = 0
        self._lock = threading.Lock()

    def handle(self, method: str, path: str, query: Any, body: Any, headers: Any) -> Answer:
        with self._lock:
            self.requests += 1
        if method != "POST" or path != self.path:
            return (404, {"Content-Type": "text/plain"}, "no_service")
        content_type = {k.lower(): v for k, v in dict(headers).items()}.get("content-type", "")
        problems = [] if "application/json" in content_type else ["Content-Type: not JSON"]
        problems += CHECKS[self.kind](body)
        with self._lock:
            if problems:
                self.violations += problems
                return (400, {"Content-Type": "text/plain"}, "invalid_payload")
            self.received.append(body)
        return ACCEPTED[self.kind]


def serve(httpserver: Any, fake: ChatFake, prefix: str = "/chat") -> str:
    """Serve ``fake`` behind pytest-httpserver under ``prefix``; returns its webhook URL."""
    from werkzeug import Response

    def handler(request: Any) -> Response:
        body = request.get_json(silent=True)
        status, headers, answer = fake.handle(
            request.method, request.path[len(prefix) :], dict(request.args), body, request.headers
        )
        data = answer if isinstance(answer, bytes | str) else json.dumps(answer)
        return Response(data, status=status, headers=headers)

    httpserver.expect_request(re.compile(f"^{re.escape(prefix)}/.*")).respond_with_handler(handler)
    return str(httpserver.url_for(prefix + fake.path))
