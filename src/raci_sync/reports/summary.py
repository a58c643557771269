"""What the HTML report, the spreadsheets and the e-mail say at the top: the red/amber/green
status, the short summary, how each source stands, and the trend against earlier weeks.

Plain text only: every caller escapes or neutralises it for its own format.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime

from raci_sync.i18n import N_, Texts, _, counted, local_date, ngettext
from raci_sync.model import Finding, FindingKey, ReportData, Severity, SourceStatus
from raci_sync.reports.common import (
    DASH,
    SOURCE_WORDS,
    display_person,
    format_percent,
    human_datetime,
    short_text,
    short_title,
    sorted_workload,
    summary_line,
)

# Checks that say a task has no clear owner (PRODUCT §4, the first four rows).
OWNERSHIP_CHECKS = ("no-owner", "no-accountable", "multiple-accountable", "no-responsible")
TREND_WEEKS = 4
RAG_LABEL: Texts[str] = Texts({"red": N_("Red"), "amber": N_("Amber"), "green": N_("Green")})
LOAD_LINE_PEOPLE = 10  # names in the summary's load line; the workload section has them all
# How reports count missing sources, in this order ("1 source failed, 2 sources stale").
MISSING_STATUSES = ("failed", "never", "stale")
CHRONIC_DAYS = 21  # a finding open this long (from its ``since``) is chronic: open ≥ 3 weeks

# What this module writes for people, in one place (for the translation that follows).
TEXT: Texts[str] = Texts(
    {
        "changes": N_("{new} new, {resolved} resolved, {still_open} still open since last week"),
        "no_baseline": N_("no earlier week to compare with"),
        "ignored": N_("{count} ignored"),
        "status_line": N_("{status}: {counts} on {tasks} from {sources}; {changes}."),
        "status_line_ignored": N_(
            "{status}: {counts} ({ignored}) on {tasks} from {sources}; {changes}."
        ),
        "open_weeks": N_("open {weeks} weeks"),
        "notes_title": N_("Notes"),
    }
)


def iso_week(day: date) -> str:
    """``2026-W50``: the ISO week a day falls in."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def rag_status(data: ReportData) -> str:
    """``red`` when there is no data, when a source's data is missing (failed, stale, never
    synced: the report cannot be trusted) or when an error is found; ``amber`` for warnings;
    else ``green``."""
    if data.no_data or data.missing:
        return "red"
    severities = {Severity(finding.severity) for finding in data.findings}
    if Severity.ERROR in severities:
        return "red"
    if Severity.WARNING in severities or any(source_problem(s) for s in data.sources):
        return "amber"
    return "green"


def missing_parts(data: ReportData) -> list[str]:
    """Why the data cannot be trusted, in words: ``["no data"]``, or ``["1 source failed",
    "2 sources stale"]``; empty when every source's data is there."""
    if data.no_data:
        return [_("no data")]
    counts = Counter(source.status for source in data.missing)
    return [_missing_words(status, counts[status]) for status in MISSING_STATUSES if counts[status]]


def _missing_words(status: str, n: int) -> str:
    if status == "failed":
        text = ngettext("{count} source failed", "{count} sources failed", n)
    elif status == "never":
        text = ngettext("{count} source never synced", "{count} sources never synced", n)
    else:
        text = ngettext("{count} source stale", "{count} sources stale", n)
    return text.format(count=n)


def rag_reason(data: ReportData) -> str:
    """What makes the status red before any finding does: ``no data``, ``1 source failed``;
    "" when all data is there."""
    return ", ".join(missing_parts(data))


@dataclass(frozen=True)
class MissingSource:
    """A source whose data is missing, as every report lists it first (plain text)."""

    name: str
    tool: str
    status: str  # failed | stale | never
    why: str  # what happened and since when (SourceStatus.why)
    since: str  # when the data shown for it was read; "no data" when there is none


def missing_sources(data: ReportData) -> list[MissingSource]:
    """The sources whose data is missing, failed or too old, in config order."""
    return [
        MissingSource(
            name=short_title(source.name),
            tool=short_title(source.tool),
            status=source.status,
            why=short_text(source_why(source)),
            since=human_datetime(source.synced_at) if source.synced_at else _("no data"),
        )
        for source in data.missing
    ]


def source_why(source: SourceStatus) -> str:
    """Why a source's data is missing, in words, with since when (``SourceStatus.why`` in the
    active language); "" when it is not."""
    if source.status == "never":
        return _("never synced: run `raci sync`")
    since = source.stale_since or source.synced_at
    when = _(" since {when}").format(when=_stamp(since)) if since else ""
    if source.status == "failed":
        shown = (
            _("; showing data from {when}").format(when=_stamp(source.synced_at))
            if source.synced_at
            else _("; no data from it at all")
        )
        return _("the last sync failed{since}{shown}: {error}").format(
            since=when, shown=shown, error=source.error or _("no reason recorded")
        )
    if source.status == "stale":
        return _("not synced{since}: its data is too old to trust").format(since=when)
    return ""


def _stamp(when: datetime | None) -> str:
    return f"{local_date(when)} {when:%H:%M %z}" if when else ""


def missing_title(data: ReportData) -> str:
    """The line every report opens with when data is missing; "" when nothing is."""
    sources = counted(len(data.sources), "{count} source", "{count} sources")
    if data.no_data:
        if not data.sources:
            return _("No data: no source is configured, so nothing was checked.")
        return _(
            "No data: none of the {sources} has been read successfully, so nothing was "
            "checked and nothing below can be trusted."
        ).format(sources=sources)
    if data.missing:
        return _(
            "Missing data: {missing} of {sources}. This report cannot be trusted until they "
            "sync again."
        ).format(missing=len(data.missing), sources=sources)
    return ""


def source_problem(source: SourceStatus) -> bool:
    """True when the data shown for a source is not from this run's read."""
    return source.status not in ("ok", "skipped") or source.stale_since is not None


def source_label(source: SourceStatus) -> str:
    """How a source stands, in words: ``ok``, ``failed — stale since …``, ``never synced``."""
    if source.status == "never":
        return _("never synced")
    stale = source.stale_since if source.status == "failed" else None
    if source.status == "stale":
        stale = source.stale_since or source.synced_at
    if stale is not None:
        since = human_datetime(stale)
        if source.status == "failed":
            return _("failed — stale since {since}").format(since=since)
        return _("stale since {since}").format(since=since)
    return SOURCE_WORDS.get(source.status, source.status)


def ownership_tasks(data: ReportData) -> int:
    """Open tasks with at least one ownership finding."""
    return len(
        {
            (finding.source, finding.task_id)
            for finding in data.findings
            if finding.check in OWNERSHIP_CHECKS and finding.task_id is not None
        }
    )


def without_owner(data: ReportData) -> int:
    """Open tasks with neither R nor A (the ``no-owner`` findings)."""
    return len(
        {(f.source, f.task_id) for f in data.findings if f.check == "no-owner" and f.task_id}
    )


def summary_lines(data: ReportData) -> list[str]:
    """Three lines: status, ownership, load. Missing data is not here: every report shows
    ``missing_title`` and ``missing_sources`` before these lines."""
    if data.no_data:  # never "all clear": nothing was read, so nothing was checked
        return [
            _("{status}: no data — no tasks were read, so no check ran.").format(
                status=RAG_LABEL["red"]
            ),
            _("Ownership: not checked (no data)."),
            _("Workload: not measured (no data)."),
        ]
    open_tasks = sum(1 for task in data.tasks if task.is_open)
    values = {
        "status": RAG_LABEL[rag_status(data)],
        "counts": summary_line(data.findings),
        "ignored": ignored_text(data),
        "tasks": counted(open_tasks, "{count} open task", "{count} open tasks"),
        "sources": counted(len(data.sources), "{count} source", "{count} sources"),
        "changes": changes_text(data),
    }
    line = TEXT["status_line_ignored" if data.ignored else "status_line"].format(**values)
    return [line, _ownership_line(data), _load_line(data)]


@dataclass(frozen=True)
class ChangeCounts:
    """What changed since the last run of the previous ISO week, among the findings shown."""

    baseline: date | None  # None: no earlier week, nothing is new or resolved
    new: int
    resolved: int
    still_open: int


def new_keys(data: ReportData) -> frozenset[FindingKey]:
    """The keys of the findings that are new since last week (none without a baseline)."""
    return frozenset(data.changes.new) if data.changes.baseline else frozenset()


def change_counts(data: ReportData) -> ChangeCounts:
    """New, resolved and still open since last week. New and still open count the findings
    shown (a filtered report counts what it shows); ignored findings are never among them."""
    if data.changes.baseline is None:
        return ChangeCounts(None, 0, 0, len(data.findings))
    fresh = new_keys(data)
    new = sum(1 for finding in data.findings if finding.key in fresh)
    return ChangeCounts(
        data.changes.baseline, new, len(data.changes.resolved), len(data.findings) - new
    )


def changes_text(data: ReportData) -> str:
    """``2 new, 1 resolved, 5 still open since last week``, or that there is no earlier week."""
    counts = change_counts(data)
    if counts.baseline is None:
        return TEXT["no_baseline"]
    return TEXT["changes"].format(
        new=counts.new, resolved=counts.resolved, still_open=counts.still_open
    )


def ignored_text(data: ReportData) -> str:
    """``3 ignored`` (findings an [[ignore]] left out); "" when none was."""
    return TEXT["ignored"].format(count=len(data.ignored)) if data.ignored else ""


def open_days(finding: Finding, today: date) -> int:
    """Days since the finding was first seen (0 when it is new today or has no ``since``)."""
    return max((today - finding.since).days, 0) if finding.since else 0


def is_chronic(finding: Finding, today: date) -> bool:
    """True when the finding has been open for three weeks or more."""
    return open_days(finding, today) >= CHRONIC_DAYS


def open_weeks_text(finding: Finding, today: date) -> str:
    """``open 4 weeks`` for a chronic finding; "" for any other."""
    if not is_chronic(finding, today):
        return ""
    return TEXT["open_weeks"].format(weeks=open_days(finding, today) // 7)


def notes(data: ReportData) -> list[str]:
    """The report's notes (an [[ignore]] or [[rule]] that matches no task …), one clean line
    each, cut at TEXT_CHARS."""
    return [short_text(note) for note in data.notes if short_text(note)]


def _ownership_line(data: ReportData) -> str:
    count, no_owner = ownership_tasks(data), without_owner(data)
    last = data.trends.last(1)
    if not count:
        before = (
            _(" (last week {count} had none)").format(count=last[0].open_without_owner)
            if last
            else ""
        )
        if data.missing:  # the tasks of the missing sources were not checked
            return _(
                "Every open task shown has a clear owner{before}, but data is missing."
            ).format(before=before)
        return _("Every open task has a clear owner{before}.").format(before=before)
    before = _(" (last week {count})").format(count=last[0].open_without_owner) if last else ""
    errors = ngettext(
        "{count} open task has ownership errors;",
        "{count} open tasks have ownership errors;",
        count,
    ).format(count=count)
    owners = ngettext(
        "{count} has no owner at all{before}.",
        "{count} have no owner at all{before}.",
        no_owner,
    ).format(count=no_owner, before=before)
    return f"{errors} {owners}"


def _load_line(data: ReportData) -> str:
    names = data.person_names
    over = [
        line
        for line in sorted_workload(data.workload, names)
        if line.status in ("over", "critical") and line.utilisation is not None
    ]
    if not over:
        if data.missing:
            return _("Nobody is over capacity in the data shown, but data is missing.")
        return _("Nobody is over capacity.")
    people = ", ".join(
        f"{short_title(display_person(line.person, names))} {format_percent(line.utilisation)}"
        for line in over[:LOAD_LINE_PEOPLE]
    )
    extra = len(over) - LOAD_LINE_PEOPLE
    more = _(" and {count} more").format(count=extra) if extra > 0 else ""
    return ngettext(
        "{count} person over capacity: {people}{more}.",
        "{count} people over capacity: {people}{more}.",
        len(over),
    ).format(count=len(over), people=people, more=more)


@dataclass(frozen=True)
class TrendPoint:
    """One earlier week's value of something the report shows."""

    week: str
    value: float | None


def utilisation_trend(data: ReportData, name: str) -> list[TrendPoint]:
    """A person's utilisation in the last ``TREND_WEEKS`` weeks, oldest first."""
    return [
        TrendPoint(point.week, point.utilisation.get(name))
        for point in data.trends.last(TREND_WEEKS)
    ]


def check_trend(data: ReportData, check: str) -> list[TrendPoint]:
    """The number of findings of one check in the last ``TREND_WEEKS`` weeks, oldest first."""
    return [
        TrendPoint(point.week, float(point.findings.get(check, 0)))
        for point in data.trends.last(TREND_WEEKS)
    ]


def check_counts(data: ReportData) -> Counter[str]:
    """Findings per check id this week."""
    return Counter(finding.check for finding in data.findings)


def change(now: float | None, before: float | None, unit: str = "") -> str:
    """``+3``, ``−12 pp``, ``±0``; "—" when either side is unknown."""
    if now is None or before is None:
        return DASH
    delta = round(now - before)
    if delta == 0:
        return "±0"
    sign = "+" if delta > 0 else "−"
    return f"{sign}{abs(delta)}{unit}"
