"""The personal digest (PRODUCT §11, ``[email] personal = true``): besides the team email, each
roster person with an email gets their own — the tasks they are R or A on that have findings,
their load against capacity with the tasks behind it, and what is due in the window — after
the sources whose data is missing, as in every output.

Nobody receives anyone else's list: every item is picked by the person's own key (their letters
on a task, their workload line); nothing of the team's lists is copied in. The message goes to
the first address of their ``emails``; the subject is made of numbers and fixed words, and tool
text never reaches a header.

Every text a person reads is a plain literal in :data:`TEXT`, so that one place is translated
(Danish comes through gettext); the code around it only joins those texts with names, titles,
numbers and dates.
"""

from __future__ import annotations

import email.policy
import email.utils
import html
from dataclasses import dataclass
from datetime import UTC, date
from email.message import EmailMessage

from raci_sync.config import EmailConfig
from raci_sync.i18n import N_, Texts, local_date
from raci_sync.model import Person, ReportData, Task
from raci_sync.reports.common import (
    SOURCE_WORDS,
    URL_CHARS,
    format_units,
    short_text,
    short_title,
    sorted_findings,
)

# the same words as the team email: the finding's message without the title it starts with
from raci_sync.reports.email.digest import Capped, _problem, cap, percent
from raci_sync.reports.email.message import _address
from raci_sync.reports.sanitize import clean_line
from raci_sync.reports.summary import MissingSource, iso_week, missing_parts, missing_sources

TEXT: Texts[str] = Texts(
    {
        "greeting": N_("Hello {name},"),
        "intro": N_("this is your own part of this week's RACI report ({window})."),
        "missing": N_(
            "Missing data: what follows may be incomplete until these sources sync again."
        ),
        "no_data": N_("No data: no source has been read, so nothing below could be checked."),
        "flagged": N_("Your tasks with findings (you are R or A)"),
        "load": N_("Your load"),
        "load_line": N_("{percent} of your capacity: {load} of {capacity} units in the window."),
        "unmonitored": N_("You have no capacity set, so your load ({load} units) is not judged."),
        "no_load": N_("No open task counts towards your load in this window."),
        "due": N_("Due by {end} (you are R or A)"),
        "overdue": N_("overdue by {days} day(s)"),
        "nothing": N_(
            "Nothing needs you this week: no findings on your tasks, nothing due, and your "
            "load is within your capacity."
        ),
        "more": N_("… and {n} more (see the team report)"),
        "footer": N_("Sent by raci-sync to you alone; the team's report goes to the team."),
        "due_on": N_("due {day}"),
        "subject": N_("RACI {week}, your week: {headline}"),
        "n_flagged": N_("findings on {n} of your tasks"),
        "n_load": N_("{percent} load"),
        "n_due": N_("{n} due"),
        "nothing_short": N_("nothing needs you"),
    }
)


@dataclass(frozen=True)
class Flagged:
    """One of the person's R/A tasks with the findings about it."""

    title: str
    url: str | None
    tool: str
    letters: str  # "R", "A" or "R/A"
    problems: tuple[str, ...]
    suggestion: str | None


@dataclass(frozen=True)
class LoadTask:
    """One task behind the person's load."""

    title: str
    url: str | None
    role: str
    load: str
    due: date | None


@dataclass(frozen=True)
class Due:
    """One of the person's R/A tasks due by the window's end."""

    title: str
    url: str | None
    tool: str
    letters: str
    due: date
    days_late: int


@dataclass(frozen=True)
class PersonalDigest:
    """What one person's digest says."""

    name: str
    address: str
    week: str
    window: str
    window_end: str
    subject: str
    missing: tuple[MissingSource, ...]
    no_data: bool
    flagged: Capped[Flagged]
    status: str | None  # ok | over | critical | unmonitored; None: no workload line
    load_line: str
    load_tasks: Capped[LoadTask]
    due: Capped[Due]

    @property
    def empty(self) -> bool:
        """Nothing for this person to act on (and all data there): ``skip_empty`` skips it."""
        return not (
            self.missing
            or self.no_data
            or self.flagged.items
            or self.due.items
            or self.status in ("over", "critical")
        )


def digest_recipients(data: ReportData) -> list[tuple[Person, str]]:
    """The roster people with an email, each with the first of their addresses."""
    return [(p, p.emails[0]) for p in data.people if p.matched and p.emails]


def build_personal(data: ReportData, person: Person, address: str) -> PersonalDigest:
    """One person's digest (pure: no I/O)."""
    week = iso_week(data.window_start)
    tools = {s.name: s.tool for s in data.sources}
    held = _held(data, person.key)
    flagged = _flagged(data, held, tools)
    due = _due(data, held, tools)
    # a workload line names its person by key or by name (both are unique on the roster)
    line = next((w for w in data.workload if w.person in (person.key, person.name)), None)
    load_tasks = [
        LoadTask(
            title=short_title(item.title),
            url=_url(data.task_index.get((item.source, item.task_id))),
            role=item.role,
            load=format_units(item.load),
            due=item.due,
        )
        for item in (line.tasks if line else ())
    ]
    if line is None or (not line.tasks and not line.load):
        load_line = TEXT["no_load"]
    elif line.capacity is None:
        load_line = TEXT["unmonitored"].format(load=format_units(line.load))
    else:
        load_line = TEXT["load_line"].format(
            percent=percent(line.utilisation),
            load=format_units(line.load),
            capacity=format_units(line.capacity),
        )
    over = line is not None and line.status in ("over", "critical")
    parts = [
        *missing_parts(data),
        TEXT["n_flagged"].format(n=len(flagged)) if flagged else "",
        TEXT["n_load"].format(percent=percent(line.utilisation)) if line and over else "",
        TEXT["n_due"].format(n=len(due)) if due else "",
    ]
    headline = ", ".join(p for p in parts if p) or TEXT["nothing_short"]
    return PersonalDigest(
        name=short_title(person.name),
        address=address,
        week=week,
        window=f"{local_date(data.window_start)} – {local_date(data.window_end)}",
        window_end=local_date(data.window_end),
        subject=clean_line(TEXT["subject"].format(week=week, headline=headline)),
        missing=tuple(missing_sources(data)),
        no_data=data.no_data,
        flagged=cap(flagged),
        status=line.status if line else None,
        load_line=load_line,
        load_tasks=cap(load_tasks),
        due=cap(due),
    )


def _held(data: ReportData, person: str) -> dict[tuple[str, str], str]:
    """The person's open tasks where they hold R or A: task key → "R", "A" or "R/A"."""
    held: dict[tuple[str, str], str] = {}
    for task in data.tasks:
        if not task.is_open:
            continue
        letters = [
            a.letter
            for a in data.assignments_by_task.get(task.key, ())
            if a.person == person and a.letter in ("R", "A")
        ]
        if letters:
            held[task.key] = "/".join(dict.fromkeys(letters))
    return held


def _flagged(
    data: ReportData, held: dict[tuple[str, str], str], tools: dict[str, str]
) -> list[Flagged]:
    by_task: dict[tuple[str, str], list[str]] = {}
    suggestions: dict[tuple[str, str], str] = {}
    for finding in sorted_findings(data.findings):
        key = (finding.source or "", finding.task_id or "")
        if finding.task_id is None or key not in held:
            continue
        by_task.setdefault(key, []).append(_problem(finding))
        if finding.suggestion:
            suggestions.setdefault(key, short_text(finding.suggestion))
    items = []
    for key, problems in by_task.items():
        task = data.task_index[key]
        items.append(
            Flagged(
                title=short_title(task.title),
                url=_url(task),
                tool=short_title(tools.get(task.source, task.source)),
                letters=held[key],
                problems=tuple(problems),
                suggestion=suggestions.get(key),
            )
        )
    return items


def _due(data: ReportData, held: dict[tuple[str, str], str], tools: dict[str, str]) -> list[Due]:
    items = []
    for key, letters in held.items():
        task = data.task_index[key]
        if task.due is None or task.due > data.window_end:
            continue
        items.append(
            Due(
                title=short_title(task.title),
                url=_url(task),
                tool=short_title(tools.get(task.source, task.source)),
                letters=letters,
                due=task.due,
                days_late=max((data.window_start - task.due).days, 0),
            )
        )
    return sorted(items, key=lambda d: (d.due, d.title.casefold()))


def _url(task: Task | None) -> str | None:
    url = clean_line(task.url) if task and task.url else ""
    ok = url.lower().startswith(("https://", "http://")) and len(url) <= URL_CHARS
    return url if ok else None


# -- the message ------------------------------------------------------------------------------


def personal_message(digest: PersonalDigest, config: EmailConfig, data: ReportData) -> EmailMessage:
    """The digest as a MIME message (plain text and HTML) to the person alone.

    Raises ConfigError when ``email.from`` or the person's address is not one clean address.
    """
    sender = _address(config.sender, "email.from") if config.sender else None
    to = _address(digest.address, f"person {digest.name!r}: emails[0]")
    msg = EmailMessage(policy=email.policy.default)
    if sender:
        msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = digest.subject
    moment = (
        data.generated_at if data.generated_at.tzinfo else data.generated_at.replace(tzinfo=UTC)
    )
    msg["Date"] = email.utils.format_datetime(moment)
    domain = sender.domain if sender else "raci-sync.invalid"
    msg["Message-ID"] = email.utils.make_msgid("raci-personal", domain=domain)
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies
    msg.set_content(render_text(digest), cte="quoted-printable")
    msg.add_alternative(render_html(digest), subtype="html", cte="quoted-printable")
    return msg


@dataclass(frozen=True)
class Line:
    """One line of a section: plain text around a task title that links to the task."""

    before: str
    title: str = ""
    url: str | None = None
    after: str = ""

    @property
    def text(self) -> str:
        return f"{self.before}{self.title}{self.after}"

    @property
    def html(self) -> str:
        title = html.escape(self.title)
        if self.url:
            title = f'<a href="{html.escape(self.url)}">{title}</a>'
        return f"{html.escape(self.before)}{title}{html.escape(self.after)}"


def _sections(digest: PersonalDigest) -> list[tuple[str, list[Line]]]:
    """(heading, lines) in the order both parts show them: missing data first."""
    out: list[tuple[str, list[Line]]] = []
    if digest.no_data or digest.missing:
        lines = [
            Line(f"{m.name} ({m.tool}): {SOURCE_WORDS.get(m.status, m.status)} — {m.why}")
            for m in digest.missing
        ]
        out.append((TEXT["no_data"] if digest.no_data else TEXT["missing"], lines))
    if digest.flagged.items:
        lines = []
        for f in digest.flagged.items:
            lines.append(
                Line(f"[{f.letters}] ", f.title, f.url, f" ({f.tool}): " + " ".join(f.problems))
            )
            if f.suggestion:
                lines.append(Line(f"    {f.suggestion}"))
        out.append((TEXT["flagged"], lines + _more(digest.flagged.more)))
    load = [Line(digest.load_line)] + [
        Line(
            f"[{t.role}] ",
            t.title,
            t.url,
            f": {t.load}" + (", " + TEXT["due_on"].format(day=local_date(t.due)) if t.due else ""),
        )
        for t in digest.load_tasks.items
    ]
    out.append((TEXT["load"], load + _more(digest.load_tasks.more)))
    if digest.due.items:
        lines = [
            Line(
                f"{local_date(d.due)} [{d.letters}] ",
                d.title,
                d.url,
                f" ({d.tool})"
                + (f" — {TEXT['overdue'].format(days=d.days_late)}" if d.days_late else ""),
            )
            for d in digest.due.items
        ]
        out.append((TEXT["due"].format(end=digest.window_end), lines + _more(digest.due.more)))
    return out


def _more(n: int) -> list[Line]:
    return [Line(TEXT["more"].format(n=n))] if n else []


Section = tuple[str, list["Line"]]


def _missing_first(digest: PersonalDigest) -> tuple[list[Section], list[Section]]:
    """The sections split in two: missing data (opens the message, before the greeting, as
    in every output), and the rest."""
    sections = _sections(digest)
    missing = [s for s in sections if s[0] in (TEXT["missing"], TEXT["no_data"])]
    return missing, [s for s in sections if s not in missing]


def render_text(digest: PersonalDigest) -> str:
    """The plain-text part."""
    missing, rest = _missing_first(digest)
    lines: list[str] = []
    for heading, items in missing:
        lines += [heading, "-" * min(len(heading), 72), *(item.text for item in items), ""]
    lines += [TEXT["greeting"].format(name=digest.name), TEXT["intro"].format(window=digest.window)]
    if digest.empty:
        lines += ["", TEXT["nothing"]]
    for heading, items in rest:
        lines += ["", heading, "-" * min(len(heading), 72), *(item.text for item in items)]
    lines += ["", TEXT["footer"], ""]
    return "\n".join(lines)


def render_html(digest: PersonalDigest) -> str:
    """The HTML part: the same sections, every text escaped, the titles linked to the tasks."""
    e = html.escape
    missing, rest = _missing_first(digest)
    parts = ['<!DOCTYPE html><html><body style="font-family:sans-serif;max-width:40em">']
    for heading, items in missing:
        parts.append(f'<h3 style="color:#b00020">{e(heading)}</h3><ul>')
        parts += [f"<li>{item.html}</li>" for item in items]
        parts.append("</ul>")
    parts.append(
        f"<p>{e(TEXT['greeting'].format(name=digest.name))}<br>"
        f"{e(TEXT['intro'].format(window=digest.window))}</p>"
    )
    if digest.empty:
        parts.append(f"<p>{e(TEXT['nothing'])}</p>")
    for heading, items in rest:
        parts.append(f"<h3>{e(heading)}</h3><ul>")
        parts += [f"<li>{item.html}</li>" for item in items]
        parts.append("</ul>")
    parts.append(f'<p style="color:#666">{e(TEXT["footer"])}</p></body></html>')
    return "\n".join(parts)
