"""Helpers every report renderer shares: ordering, lookups and plain-text formatting."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from urllib.parse import urlsplit

from raci_sync.i18n import N_, Texts, _, counted, local_date, localize_number
from raci_sync.model import (
    CHECK_IDS,
    Finding,
    LoadItem,
    Severity,
    Task,
    WorkloadLine,
)
from raci_sync.reports.sanitize import clean_line

SEVERITIES = (Severity.ERROR, Severity.WARNING, Severity.INFO)

# The order of PRODUCT §4: ownership first, then load, then people.
CHECK_ORDER = CHECK_IDS

EMPTY_FINDINGS = N_(
    "No findings: every open task has an owner, and no check found anything to report."
)
NO_DATA_FINDINGS = N_("No findings, because there is no data: nothing was checked.")
PARTIAL_FINDINGS = N_(
    "No findings in the data shown — but the data of some sources is missing (see above)."
)
# the workload statuses (JSON keeps the English word) and the severities, for people
STATUS_WORDS: Texts[str] = Texts(
    {
        "ok": N_("ok"),
        "over": N_("over"),
        "critical": N_("critical"),
        "unmonitored": N_("unmonitored"),
    }
)
SOURCE_WORDS: Texts[str] = Texts(
    {"ok": N_("ok"), "skipped": N_("skipped"), "never": N_("never"), "failed": N_("failed")}
)
STATE_WORDS: Texts[str] = Texts(
    {"open": N_("open"), "done": N_("done"), "archived": N_("archived")}
)
SEVERITY_WORDS: Texts[str] = Texts(
    {"error": N_("error"), "warning": N_("warning"), "info": N_("info")}
)

# Reports meant for people show a title or a name up to TITLE_CHARS and a message up to
# TEXT_CHARS; JSON, CSV and XLSX keep every character. A one-megabyte title must not make a
# 25 MB email or a page nobody can open.
TITLE_CHARS = 200
TEXT_CHARS = 500
URL_CHARS = 2_048  # a longer URL is shown as no link at all (browsers and Excel stop near 2k)

DASH = "—"
ELLIPSIS = "…"
PARENT_SEPARATOR = " › "  # "Parent › Subtask"

_WHITESPACE = re.compile(r"\s+")

# The columns of the workload table, in the terminal and the Markdown report alike.
WORKLOAD_HEADERS = (
    N_("Person"),
    N_("Load"),
    N_("Capacity"),
    N_("Utilisation"),
    N_("Status"),
    N_("Open tasks"),
)


def clean_text(text: str | None) -> str:
    """One line of printable text: whitespace runs (newlines too) become one space, control
    characters (such as terminal escape sequences) and bidi overrides are dropped."""
    return clean_line(text)


def short_title(text: str | None) -> str:
    """A title, name or place for a report people read: one clean line, cut at TITLE_CHARS."""
    return truncate(clean_line(text), TITLE_CHARS)


def short_text(text: str | None) -> str:
    """A message, suggestion or error for a report people read: cut at TEXT_CHARS."""
    return truncate(clean_line(text), TEXT_CHARS)


def finding_message(finding: Finding) -> str:
    """A finding's message for people: the task title it quotes cut like any title (checks
    write "'<title>' (<source>) …"), the whole cut at TEXT_CHARS."""
    message = finding.message
    if finding.task and len(finding.task) > TITLE_CHARS and finding.task in message:
        message = message.replace(finding.task, short_title(finding.task))
    return short_text(message)


def empty_findings(no_data: bool, missing: bool) -> str:
    """What a report says when there are no findings: never "all clear" without the data."""
    if no_data:
        return _(NO_DATA_FINDINGS)
    return _(PARTIAL_FINDINGS) if missing else _(EMPTY_FINDINGS)


def truncate(text: str, width: int) -> str:
    """``text`` cut to at most ``width`` characters, ending in "…" when it was cut."""
    if len(text) <= width:
        return text
    if width <= 1:
        return ELLIPSIS[:width]
    return text[: width - 1].rstrip() + ELLIPSIS


def plural(count: int, word: str, plural_form: str | None = None) -> str:
    """``3 errors``, ``1 error``."""
    return f"{count} {word if count == 1 else plural_form or word + 's'}"


def iso_datetime(value: datetime | None) -> str | None:
    """ISO 8601 with an offset, to the second; a naive datetime is taken as UTC."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.isoformat(timespec="seconds")


def iso_date(value: date | None) -> str | None:
    """``2026-12-07`` or None."""
    return value.isoformat() if value is not None else None


def human_datetime(value: datetime | None) -> str:
    """``2026-12-07 07:00 +0100`` for people to read; "—" when there is none."""
    if value is None:
        return DASH
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return f"{local_date(value)} {value.strftime('%H:%M %z')}"


def round_half_up(value: float, places: int = 2) -> float:
    """``value`` rounded the way people do it (3.245 → 3.25), not to the nearest even digit."""
    quantum = Decimal(1).scaleb(-places)
    return float(Decimal(repr(value)).quantize(quantum, rounding=ROUND_HALF_UP))


def format_percent(utilisation: float | None) -> str:
    """``1.45`` → ``145%``; unmonitored (None) → "—"."""
    if utilisation is None:
        return DASH
    whole = localize_number(f"{round_half_up(utilisation * 100, 0):.0f}")
    return _("{percent}%").format(percent=whole)


def format_units(value: float | None) -> str:
    """Load and capacity with at most two decimals (``14.5``, ``10``, ``3.25``); None → "—"."""
    if value is None:
        return DASH
    rounded = round_half_up(value) + 0.0  # + 0.0 turns -0.0 into 0.0
    return localize_number(f"{rounded:.2f}".rstrip("0").rstrip("."))


@lru_cache(maxsize=4096)
def json_number(value: float | None) -> int | float | None:
    """A number for JSON: whole numbers as ints (``10``), others rounded to 2 decimals.

    Kept per value: a report holds few distinct efforts and shares (1, 0.25, 0.5 …) but
    hundreds of thousands of them, and Decimal rounding costs some 3 µs each.
    """
    if value is None:
        return None
    rounded = round_half_up(float(value))
    return int(rounded) if rounded.is_integer() else rounded


def task_sort_key(task: Task) -> tuple[str, str, str, str, str]:
    """Tasks by source, container, group, title, id (case-insensitive where people read it)."""
    return (
        task.source,
        (task.container or "").casefold(),
        (task.group or "").casefold(),
        task.title.casefold(),
        task.id,
    )


def sorted_tasks(tasks: Iterable[Task]) -> list[Task]:
    """Tasks in report order."""
    return sorted(tasks, key=task_sort_key)


def display_person(reference: str | None, names: Mapping[str, str]) -> str | None:
    """The display name for a person key, or the reference itself when it already is a name."""
    if reference is None:
        return None
    return names.get(reference, reference)


def finding_sort_key(finding: Finding) -> tuple[int, int, str, str, str, str]:
    """Worst first, then by check (PRODUCT §4 order), source, task, person."""
    check = CHECK_ORDER.index(finding.check) if finding.check in CHECK_ORDER else len(CHECK_ORDER)
    return (
        -Severity(finding.severity).rank,
        check,
        finding.source or "",
        (finding.task or "").casefold(),
        finding.task_id or "",
        finding.person or "",
    )


def sorted_findings(findings: Iterable[Finding]) -> list[Finding]:
    """Findings in report order (errors first)."""
    return sorted(findings, key=finding_sort_key)


def findings_by_severity(findings: Iterable[Finding]) -> list[tuple[Severity, list[Finding]]]:
    """Non-empty groups of findings, errors first, each in report order."""
    groups: dict[Severity, list[Finding]] = {severity: [] for severity in SEVERITIES}
    for finding in sorted_findings(findings):
        groups[Severity(finding.severity)].append(finding)
    return [(severity, items) for severity, items in groups.items() if items]


def severity_counts(findings: Iterable[Finding]) -> dict[Severity, int]:
    """How many findings of each severity (all three keys always present)."""
    counts = dict.fromkeys(SEVERITIES, 0)
    for finding in findings:
        counts[Severity(finding.severity)] += 1
    return counts


def summary_line(findings: Iterable[Finding]) -> str:
    """``2 errors, 1 warning, 0 info``."""
    counts = severity_counts(findings)
    return ", ".join(
        [
            counted(counts[Severity.ERROR], "{count} error", "{count} errors"),
            counted(counts[Severity.WARNING], "{count} warning", "{count} warnings"),
            _("{count} info").format(count=counts[Severity.INFO]),
        ]
    )


def sorted_workload(lines: Iterable[WorkloadLine], names: Mapping[str, str]) -> list[WorkloadLine]:
    """Most loaded first; unmonitored people (no utilisation) last; ties by name."""

    def key(line: WorkloadLine) -> tuple[bool, float, str]:
        name = display_person(line.person, names) or ""
        return (line.utilisation is None, -(line.utilisation or 0.0), name.casefold())

    return sorted(lines, key=key)


def location(task: Task | None, source: str | None) -> str:
    """Where a task lives: ``source › container › group`` (what is known of it)."""
    if task is None:
        return clean_text(source)
    parts = (task.source, task.container, task.group)
    return " › ".join(clean_text(part) for part in parts if part)


def finding_subject(
    finding: Finding,
    task: Task | None,
    names: Mapping[str, str],
    parent: Task | None = None,
    width: int = TITLE_CHARS,
) -> str:
    """What a finding is about, in one line of at most ``width`` characters: the task title
    ("Parent › Subtask" when ``parent`` is given), else the person's name."""
    title = finding.task or (task.title if task else None)
    if title:
        return with_parent(parent.title if parent else None, title, width)
    return truncate(clean_text(display_person(finding.person, names)), width) or DASH


def with_parent(parent: str | None, title: str | None, width: int = TITLE_CHARS) -> str:
    """``Parent › Subtask`` in one clean line of at most ``width`` characters; just the title
    when there is no parent. When it must be cut, the parent gives way first (down to a third
    of the room): the subtask's own title is what the reader looks for."""
    own = clean_text(title)
    if not parent:
        return truncate(own, width)
    above = clean_text(parent)
    whole = f"{above}{PARENT_SEPARATOR}{own}"
    if len(whole) <= width:
        return whole
    room = max(width - len(PARENT_SEPARATOR) - len(own), width // 3, 1)
    return truncate(f"{truncate(above, room)}{PARENT_SEPARATOR}{own}", width)


def finding_problem(finding: Finding) -> str:
    """A finding's message for a line under its task: without the "'<title>' (<source>) " the
    checks start it with (the task is named just above, cut), first letter raised; cut at
    TEXT_CHARS. Other messages as ``finding_message`` gives them."""
    message = clean_line(finding.message)
    prefix = clean_line(f"'{finding.task}' ({finding.source}) ") + " "
    if finding.task and message.startswith(prefix):
        rest = message[len(prefix) :]
        return truncate(rest[:1].upper() + rest[1:], TEXT_CHARS)
    return finding_message(finding)


def safe_url(url: str | None) -> str | None:
    """``url`` when it is an absolute http(s) URL that can go into a link (an href, an OSC 8
    hyperlink); else None."""
    if not url or len(url) > URL_CHARS:
        return None
    if any(ch.isspace() or ord(ch) < 32 or 127 <= ord(ch) < 160 for ch in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return url


def load_items(line: WorkloadLine) -> list[LoadItem]:
    """The tasks behind a person's load, largest first (then by due date, title, id): the
    mapping's order, kept whatever order a bundle was built in."""
    return sorted(line.tasks, key=_load_order)


def _load_order(item: LoadItem) -> tuple[float, date, str, str]:
    return (-item.load, item.due or date.max, item.title.casefold(), item.task_id)
