"""A notice as the JSON body each kind of chat webhook takes (PRODUCT §11, §12).

**Slack** — an incoming webhook: a JSON object with ``blocks`` (Block Kit) and ``text``, which
is the plain fallback shown in notifications and by clients that cannot show blocks.
- Sending messages using incoming webhooks: https://docs.slack.dev/messaging/sending-messages-using-incoming-webhooks
- Blocks: at most 50 per message, https://docs.slack.dev/reference/block-kit/blocks ; the
  ``header`` block takes ``plain_text`` of at most 150 characters
  (…/blocks/header-block), a ``section`` block text of 1–3000 characters (…/blocks/section-block),
  a ``context`` block at most 10 elements (…/blocks/context-block).
- ``mrkdwn`` needs ``&``, ``<`` and ``>`` escaped as ``&amp;``, ``&lt;``, ``&gt;``; links are
  ``<url|text>``: https://docs.slack.dev/messaging/formatting-message-text
- What a webhook answers: ``ok``, or 400 ``invalid_payload``, 403 ``action_prohibited``, 404
  ``channel_not_found`` / ``no_service``, 410 ``channel_is_archived``:
  https://api.slack.com/changelog/2016-05-17-changes-to-errors-for-incoming-webhooks

**Microsoft Teams** — a Workflows webhook (the "When a Teams webhook request is received"
trigger, e.g. the template "Post to a channel when a webhook request is received"; Office 365
connectors were retired): a message carrying one Adaptive Card,
``{"type": "message", "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive",
"contentUrl": null, "content": {"type": "AdaptiveCard", "version": …, "body": […]}}]}``.
- Create and send messages (the envelope; Workflows support Adaptive Cards only):
  https://learn.microsoft.com/en-us/microsoftteams/platform/webhooks-and-connectors/how-to/connectors-using
- Microsoft Teams connector reference (a posted message is limited to about 28 KB):
  https://learn.microsoft.com/en-us/connectors/teams/
- The card: https://adaptivecards.io/explorer/AdaptiveCard.html (``TextBlock`` with ``wrap``,
  its Markdown subset: ``**bold**``, ``- `` lists, ``[text](url)`` links). Version 1.4: Teams
  renders cards up to 1.5; 1.4 is what the Workflows' flow bot accepts everywhere.

**webhook** — raci's own JSON for any other receiver (a script, an incident tool), documented
in the README ("Notifications") and versioned by ``format``::

    {"format": "raci-sync.notification.v1", "target": "ops", "generated_at": "…",
     "window": {"start": "…", "end": "…"}, "status": "red|amber|green", "headline": "…",
     "summary": "…", "since": "…" | null,
     "missing_data": [{"source", "tool", "status", "why", "synced_at"}],
     "new_ownership_errors": {"items": [{"check", "source", "tool", "task_id", "task", "url",
                                         "where", "problem", "suggestion"}], "more": 0},
     "newly_overloaded": {"items": [{"person", "utilisation", "load", "capacity", "status",
                                     "tasks": [{"source", "task_id", "title", "url", "role",
                                                "load", "due"}]}], "more": 0},
     "open": {"ownership_errors": 3, "overloaded": 2}}
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from raci_sync.i18n import _, local_date
from raci_sync.notify.content import NewOverload, Notice, TaskLink
from raci_sync.reports.common import (
    SOURCE_WORDS,
    format_units,
    iso_date,
    iso_datetime,
    json_number,
    truncate,
)

Payload = dict[str, Any]

SLACK_HEADER_CHARS = 150
SLACK_SECTION_CHARS = 3000
SLACK_MAX_BLOCKS = 50
SLACK_TEXT_CHARS = 3000  # the fallback: Slack cuts messages far later (40,000), phones sooner
TEAMS_CARD_VERSION = "1.4"
ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"
ADAPTIVE_SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
# Characters a link's URL keeps as they are; every other one is %-encoded (a "|" or ">" would end
# a Slack link, a ")" a Markdown one; "%" stays, so an encoded URL is not encoded twice).
SLACK_URL_SAFE = ":/?#[]@!$&'()*+,;=%~"
MARKDOWN_URL_SAFE = ":/?#@!$&'*+,;=%~"
WEBHOOK_FORMAT = "raci-sync.notification.v1"
STATUS_COLOUR = {"red": "Attention", "amber": "Warning", "green": "Good"}
STATUS_EMOJI = {
    "red": ":red_circle:",
    "amber": ":large_orange_circle:",
    "green": ":large_green_circle:",
}


def payload(kind: str, notice: Notice, target: str) -> Payload:
    """The body to POST to a ``kind`` webhook (slack | teams | webhook)."""
    return FORMATS[kind](notice, target)


# -- what every format says, as lines -------------------------------------------------------------


def _missing_lines(notice: Notice) -> list[tuple[str, str]]:
    """(source and tool, why) of each source whose data is missing."""
    return [
        (f"{m.name} ({m.tool})", f"{SOURCE_WORDS.get(m.status, m.status)}: {m.why}")
        for m in notice.missing
    ]


def _load(person: NewOverload) -> str:
    """``145 % (14.5 of 10)``."""
    return _("{percent} ({load} of {capacity})").format(
        percent=person.percent,
        load=format_units(person.load),
        capacity=format_units(person.capacity),
    )


def _window(notice: Notice) -> str:
    """``window 2026-12-07 – 2026-12-20``."""
    return _("window {start} – {end}").format(
        start=local_date(notice.window_start), end=local_date(notice.window_end)
    )


def _more(n: int) -> str:
    return _("… and {count} more (see `raci report`)").format(count=n) if n else ""


# -- Slack -----------------------------------------------------------------------------------------


def slack(notice: Notice, target: str) -> Payload:
    """A Slack incoming-webhook message: Block Kit blocks and a plain ``text`` fallback."""
    blocks: list[Payload] = [
        {
            "type": "header",
            "text": {"type": "plain_text", "text": truncate(notice.headline, SLACK_HEADER_CHARS)},
        }
    ]
    if notice.missing_title:
        lines = [f"*{_mrkdwn(notice.missing_title)}*"]
        lines += [f"• *{_mrkdwn(who)}* — {_mrkdwn(why)}" for who, why in _missing_lines(notice)]
        blocks += _sections(lines)
    icon = STATUS_EMOJI.get(notice.status, "")
    blocks += _sections([f"{icon} {_mrkdwn(notice.summary)}"])
    if notice.new_errors.items:
        title = _("New ownership errors")
        lines = [f"*{title}* ({_mrkdwn(notice.since_text)})"]
        for e in notice.new_errors.items:
            place = " › ".join(p for p in (e.tool, e.where) if p)
            line = f"• {_slack_link(e.task)} ({_mrkdwn(place)}): {_mrkdwn(e.problem)}"
            if e.suggestion:
                line += f" _{_mrkdwn(e.suggestion)}_"
            lines.append(line)
        lines.append(_mrkdwn(_more(notice.new_errors.more)))
        blocks += _sections(lines)
    if notice.newly_overloaded.items:
        title = _("Newly over capacity")
        lines = [f"*{title}* ({_mrkdwn(notice.since_text)})"]
        for p in notice.newly_overloaded.items:
            behind = ", ".join(
                f"{_slack_link(t.task)} ({t.role} {format_units(t.load)})" for t in p.tasks
            )
            lines.append(f"• *{_mrkdwn(p.name)}* {_load(p)}" + (f": {behind}" if behind else ""))
        lines.append(_mrkdwn(_more(notice.newly_overloaded.more)))
        blocks += _sections(lines)
    blocks.append(
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": _mrkdwn(
                        f"raci-sync · {target} · {_window(notice)} · "
                        f"{iso_datetime(notice.generated_at)}"
                    ),
                }
            ],
        }
    )
    return {"text": _slack_text(notice), "blocks": blocks[:SLACK_MAX_BLOCKS]}


def _slack_text(notice: Notice) -> str:
    """The fallback: plain words, no markup (notifications show it as it is)."""
    parts = [notice.headline]
    if notice.missing_title:
        parts.append(notice.missing_title)
        parts += [f"{who}: {why}" for who, why in _missing_lines(notice)]
    parts.append(notice.summary)
    return _mrkdwn(truncate("\n".join(parts), SLACK_TEXT_CHARS))


def _sections(lines: list[str]) -> list[Payload]:
    """``lines`` in as few section blocks as fit (each text at most 3000 characters)."""
    blocks: list[Payload] = []
    chunk = ""
    for line in (line for line in lines if line):
        line = truncate(line, SLACK_SECTION_CHARS)
        if chunk and len(chunk) + 1 + len(line) > SLACK_SECTION_CHARS:
            blocks.append(_section(chunk))
            chunk = ""
        chunk = f"{chunk}\n{line}" if chunk else line
    if chunk:
        blocks.append(_section(chunk))
    return blocks


def _section(text: str) -> Payload:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _mrkdwn(text: str) -> str:
    """Text safe in Slack ``mrkdwn``: the three characters Slack's markup uses escaped, so a
    task title can neither make a link nor a mention (``<!channel>``)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _slack_link(task: TaskLink) -> str:
    title = _mrkdwn(task.title).replace("|", "¦")
    if not task.url:
        return title
    return f"<{quote(task.url, safe=SLACK_URL_SAFE)}|{title}>"


# -- Microsoft Teams -------------------------------------------------------------------------------


def teams(notice: Notice, target: str) -> Payload:
    """A Teams Workflows webhook message carrying one Adaptive Card."""
    body: list[Payload] = [
        _text(notice.headline, weight="Bolder", size="Medium", color=STATUS_COLOUR[notice.status])
    ]
    if notice.missing_title:
        body.append(_text(notice.missing_title, weight="Bolder", color="Attention"))
        lines = [f"- **{_md(w)}**: {_md(why)}" for w, why in _missing_lines(notice)]
        if lines:
            body.append(_text("\n".join(lines)))
    body.append(_text(_md(notice.summary)))
    if notice.new_errors.items:
        title = _("New ownership errors")
        body.append(_text(f"{title} ({notice.since_text})", weight="Bolder"))
        lines = []
        for e in notice.new_errors.items:
            place = " › ".join(p for p in (e.tool, e.where) if p)
            line = f"- {_md_link(e.task)} ({_md(place)}): {_md(e.problem)}"
            lines.append(line + (f" _{_md(e.suggestion)}_" if e.suggestion else ""))
        body.append(_text("\n".join(lines)))
        if notice.new_errors.more:
            body.append(_text(_more(notice.new_errors.more), isSubtle=True))
    if notice.newly_overloaded.items:
        title = _("Newly over capacity")
        body.append(_text(f"{title} ({notice.since_text})", weight="Bolder"))
        lines = []
        for p in notice.newly_overloaded.items:
            behind = ", ".join(
                f"{_md_link(t.task)} ({t.role} {format_units(t.load)})" for t in p.tasks
            )
            lines.append(f"- **{_md(p.name)}** {_load(p)}" + (f": {behind}" if behind else ""))
        body.append(_text("\n".join(lines)))
        if notice.newly_overloaded.more:
            body.append(_text(_more(notice.newly_overloaded.more), isSubtle=True))
    body.append(
        _text(
            f"raci-sync · {_md(target)} · {_window(notice)}",
            isSubtle=True,
            size="Small",
        )
    )
    card = {
        "$schema": ADAPTIVE_SCHEMA,
        "type": "AdaptiveCard",
        "version": TEAMS_CARD_VERSION,
        "msteams": {"width": "Full"},
        "body": body,
    }
    return {
        "type": "message",
        "attachments": [{"contentType": ADAPTIVE_CARD, "contentUrl": None, "content": card}],
    }


def _text(text: str, **style: Any) -> Payload:
    return {"type": "TextBlock", "text": text, "wrap": True, **style}


def _md(text: str) -> str:
    """Text for an Adaptive Card's Markdown: no brackets that could start a link."""
    return text.replace("[", "(").replace("]", ")")


def _md_link(task: TaskLink) -> str:
    title = _md(task.title)
    if not task.url:
        return title
    return f"[{title}]({quote(task.url, safe=MARKDOWN_URL_SAFE)})"


# -- raci's own JSON -------------------------------------------------------------------------------


def webhook(notice: Notice, target: str) -> Payload:
    """raci's own notification JSON (documented above and in the README)."""
    return {
        "format": WEBHOOK_FORMAT,
        "target": target,
        "generated_at": iso_datetime(notice.generated_at),
        "window": {"start": iso_date(notice.window_start), "end": iso_date(notice.window_end)},
        "status": notice.status,
        "headline": notice.headline,
        "summary": notice.summary,
        "since": iso_datetime(notice.since),
        "missing_data": [
            {
                "source": m.name,
                "tool": m.tool,
                "status": m.status,
                "why": m.why,
                "synced_at": iso_datetime(m.synced_at),
            }
            for m in notice.missing
        ],
        "new_ownership_errors": {
            "items": [
                {
                    "check": e.check,
                    "source": e.task.source,
                    "tool": e.tool,
                    "task_id": e.task.task_id,
                    "task": e.task.title,
                    "url": e.task.url,
                    "where": e.where,
                    "problem": e.problem,
                    "suggestion": e.suggestion,
                }
                for e in notice.new_errors.items
            ],
            "more": notice.new_errors.more,
        },
        "newly_overloaded": {
            "items": [
                {
                    "person": p.name,
                    "utilisation": json_number(p.utilisation),
                    "load": json_number(p.load),
                    "capacity": json_number(p.capacity),
                    "status": p.status,
                    "tasks": [
                        {
                            "source": t.task.source,
                            "task_id": t.task.task_id,
                            "title": t.task.title,
                            "url": t.task.url,
                            "role": t.role,
                            "load": json_number(t.load),
                            "due": iso_date(t.due),
                        }
                        for t in p.tasks
                    ],
                }
                for p in notice.newly_overloaded.items
            ],
            "more": notice.newly_overloaded.more,
        },
        "open": {"ownership_errors": notice.open_errors, "overloaded": notice.overloaded},
    }


FORMATS: dict[str, Callable[[Notice, str], Payload]] = {
    "slack": slack,
    "teams": teams,
    "webhook": webhook,
}
