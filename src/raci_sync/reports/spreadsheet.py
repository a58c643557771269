"""The report and the RACI matrix as CSV and XLSX, for people who filter and sort in a
spreadsheet.

CSV (``report_csv``) is one table, one row per line of the report, ``section`` first:

- ``source``: one row per source — source, status, tasks, message (its error), synced_at;
  sources whose data is missing first.
- ``finding``: one row per finding, worst first — severity, check, source, container, group,
  task_id, task, url, due, person, message, suggestion.
- ``workload``: one row per person, most loaded first — person, load, capacity, utilisation
  (a fraction: 1.45 is 145 %; empty when unmonitored), status, tasks (open tasks in the window).
- ``unmatched``: one row per account nobody on the roster matched — source, account, person
  (the account's display name), tasks (tasks it holds a letter on).
- ``ignored``: one row per finding an ``[[ignore]]`` left out, as a finding row, status
  "ignored by [[ignore]] N".
- ``note``: one row per note (an ``[[ignore]]`` or ``[[rule]]`` that matches no task): message.

A subtask's ``task`` reads "Parent › Subtask" (the parent's title when it is in the report).

Columns a section does not use stay empty. XLSX (``report_xlsx``) has a sheet per part:
Summary (the status, missing data first, the summary lines, how many findings were ignored,
the notes), Findings (with since and new), Workload, Tasks, Unmatched, Matrix, Sources
(missing first).

The weekly email's attachment (``email_xlsx``) holds what the email's "and N more" lead to:
Findings (every finding, worst first), Workload (one row per task behind each person's load:
the person's figures, then the task's tool, letter, effort, share and due date, largest share
first), Unmatched and the Matrix.

The matrix (``matrix_csv``, ``matrix_xlsx``) is ``matrix.build_matrix``'s frame as it is: the
task columns, then one column per person.

Every text cell is one clean line and neutralised (``sanitize.cell_text``): text that starts
like a formula gets a leading apostrophe. Numbers stay numbers; dates are dates in XLSX.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from datetime import date

from raci_sync.i18n import N_, _
from raci_sync.model import (
    LETTERS,
    Finding,
    ReportData,
    SourceStatus,
    Task,
    UnmatchedAccount,
    WorkloadLine,
)
from raci_sync.reports.common import (
    PARENT_SEPARATOR,
    SEVERITY_WORDS,
    SOURCE_WORDS,
    STATE_WORDS,
    STATUS_WORDS,
    display_person,
    finding_sort_key,
    iso_date,
    iso_datetime,
    json_number,
    round_half_up,
    sorted_findings,
    sorted_tasks,
    sorted_workload,
)
from raci_sync.reports.matrix import (
    MATRIX_COLUMNS,
    build_matrix,
    frame_rows,
    matrix_frame,
    matrix_tasks,
    person_columns,
)
from raci_sync.reports.sanitize import Cell, cell, cell_text
from raci_sync.reports.summary import (
    RAG_LABEL,
    TREND_WEEKS,
    ignored_text,
    missing_sources,
    missing_title,
    new_keys,
    notes,
    rag_reason,
    rag_status,
    source_label,
    summary_lines,
    utilisation_trend,
)
from raci_sync.reports.xlsx import Book, Column

REPORT_CSV_COLUMNS = (  # the header row shows them in the active language
    N_("section"),
    N_("severity"),
    N_("check"),
    N_("source"),
    N_("container"),
    N_("group"),
    N_("task_id"),
    N_("task"),
    N_("url"),
    N_("due"),
    N_("person"),
    N_("account"),
    N_("message"),
    N_("suggestion"),
    N_("load"),
    N_("capacity"),
    N_("utilisation"),
    N_("status"),
    N_("tasks"),
    N_("synced_at"),
)
_COLUMN = {name: index for index, name in enumerate(REPORT_CSV_COLUMNS)}
# What the spreadsheets write for people besides the data, in one place (for the translation).
IGNORED_BY = N_("ignored by [[ignore]] {rule}")
IGNORED_WHERE = N_(
    "findings an [[ignore]] left out: raci report -f json lists them with their rule"
)
XLSX_MAX_COLUMNS = 16_384  # columns an Excel sheet holds


def report_csv(data: ReportData) -> str:
    """The report as one CSV table (see the module docstring for its shape)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([_(name) for name in REPORT_CSV_COLUMNS])
    for values in _csv_records(data):
        row: list[Cell] = [None] * len(REPORT_CSV_COLUMNS)
        for name, value in values.items():
            row[_COLUMN[name]] = cell(value)
        writer.writerow(["" if value is None else value for value in row])
    return out.getvalue()


def _csv_records(data: ReportData) -> list[dict[str, Cell]]:
    names = data.person_names
    records: list[dict[str, Cell]] = []
    for source in missing_first(data.sources):
        records.append(
            {
                "section": "source",
                "source": source.name,
                "status": source_label(source),
                "tasks": source.tasks,
                "message": source.error,
                "synced_at": iso_datetime(source.synced_at),
            }
        )
    for finding in sorted_findings(data.findings):
        records.append(_csv_finding("finding", finding, data, names))
    for line in sorted_workload(data.workload, names):
        record: dict[str, Cell] = {
            "section": "workload",
            "person": display_person(line.person, names),
        }
        record.update(_load_cells(line))
        record["tasks"] = line.open_tasks
        records.append(record)
    for account in _sorted_unmatched(data.unmatched):
        records.append(
            {
                "section": "unmatched",
                "source": account.source,
                "account": account.account,
                "person": account.name,
                "tasks": account.tasks,
            }
        )
    for ignored in sorted(data.ignored, key=lambda i: (i.rule, finding_sort_key(i.finding))):
        left_out = _csv_finding("ignored", ignored.finding, data, names)
        left_out["status"] = _(IGNORED_BY).format(rule=ignored.rule)
        records.append(left_out)
    records += [{"section": "note", "message": note} for note in notes(data)]
    return records


def _csv_finding(
    section: str, finding: Finding, data: ReportData, names: Mapping[str, str]
) -> dict[str, Cell]:
    task = data.task_of(finding)
    record: dict[str, Cell] = {"section": section}
    record.update(_finding_cells(finding, task, names))
    if task is not None and task.parent_id is not None:
        record["task"] = full_title(task, data)
    record["due"] = iso_date(task.due) if task else None
    return record


def _finding_cells(
    finding: Finding, task: Task | None, names: Mapping[str, str]
) -> dict[str, Cell]:
    return {
        "severity": str(finding.severity),
        "check": finding.check,
        "source": finding.source,
        "container": task.container if task else None,
        "group": task.group if task else None,
        "task_id": finding.task_id,
        "task": finding.task if finding.task is not None else (task.title if task else None),
        "url": task.url if task else None,
        "person": display_person(finding.person, names),
        "message": finding.message,
        "suggestion": finding.suggestion,
    }


def _load_cells(line: WorkloadLine) -> dict[str, Cell]:
    utilisation = None
    if line.utilisation is not None and line.status != "unmonitored":
        utilisation = round_half_up(line.utilisation)
    return {
        "load": json_number(line.load),
        "capacity": json_number(line.capacity),
        "utilisation": utilisation,
        "status": line.status,
    }


def _sorted_unmatched(accounts: Sequence[UnmatchedAccount]) -> list[UnmatchedAccount]:
    return sorted(accounts, key=lambda account: (account.source, account.account.casefold()))


def report_xlsx(data: ReportData) -> bytes:
    """The report as an XLSX workbook: Summary, Findings, Workload, Tasks, Unmatched, Matrix,
    Sources."""
    book = Book()
    _summary_sheet(book, data)
    _findings_sheet(book, data)
    _workload_sheet(book, data)
    _tasks_sheet(book, data)
    _unmatched_sheet(book, data)
    add_matrix_sheet(book, data)
    _sources_sheet(book, data)
    return book.finish()


def email_xlsx(data: ReportData) -> bytes:
    """The weekly email's attachment: Findings, Workload (the tasks behind each person's
    load), Unmatched, Matrix."""
    book = Book()
    _findings_sheet(book, data)
    _load_sheet(book, data)
    _unmatched_sheet(book, data)
    add_matrix_sheet(book, data)
    return book.finish()


def missing_first(sources: Sequence[SourceStatus]) -> list[SourceStatus]:
    """Sources whose data is missing first (failed, never synced, stale), each group in config
    order: a spreadsheet opens at the top, and missing data is the loudest thing."""
    return sorted(sources, key=lambda source: not source.missing)


def _summary_sheet(book: Book, data: ReportData) -> None:
    """The first sheet: the status, missing data (if any), then the summary lines."""
    status = RAG_LABEL[rag_status(data)]
    rows: list[list[Cell]] = [[_("status"), status, rag_reason(data) or None]]
    title = missing_title(data)
    if title:
        rows.append([_("missing data"), title, None])
        rows += [
            [f"{m.name} ({m.tool})", SOURCE_WORDS.get(m.status, m.status), m.why]
            for m in missing_sources(data)
        ]
    rows += [[_("summary"), line, None] for line in summary_lines(data)]
    if data.ignored:
        rows.append([_("ignored"), ignored_text(data), _(IGNORED_WHERE)])
    rows += [[_("note"), note, None] for note in notes(data)]
    columns = (
        Column(N_("what"), max_width=30),
        Column(N_("value"), max_width=90),
        Column(N_("detail"), max_width=90),
    )
    book.sheet(N_("Summary"), columns, rows)


FINDING_COLUMNS = (
    Column(N_("severity"), width=9),
    Column(N_("check"), width=24),
    Column(N_("source"), max_width=20),
    Column(N_("container"), max_width=30),
    Column(N_("group"), max_width=24),
    Column(N_("task"), max_width=60),
    Column(N_("url"), kind="url", max_width=40),
    Column(N_("due"), kind="date", width=11),
    Column(N_("person"), max_width=30),
    Column(N_("message"), max_width=80),
    Column(N_("suggestion"), max_width=50),
    Column(N_("since"), kind="date", width=11),
    Column(N_("new"), width=6),
)
NEW = N_("new")  # the "new" column of a finding not there last week


def _findings_sheet(book: Book, data: ReportData) -> None:
    names = data.person_names
    fresh = new_keys(data)
    severities = dict(SEVERITY_WORDS.items())  # translated once, not per row
    rows: list[list[Cell]] = []
    for finding in sorted_findings(data.findings):
        task = data.task_of(finding)
        cells = _finding_cells(finding, task, names)
        if task is not None and task.parent_id is not None:
            cells["task"] = full_title(task, data)
        cells["due"] = task.due if task else None
        cells["since"] = finding.since
        cells["new"] = _(NEW) if finding.key in fresh else None
        cells["severity"] = severities.get(str(finding.severity), str(finding.severity))
        rows.append([cells[column.title] for column in FINDING_COLUMNS])
    book.sheet(N_("Findings"), FINDING_COLUMNS, rows, freeze_columns=2)


def full_title(task: Task, data: ReportData) -> str:
    """``Parent › Subtask`` for a subtask whose parent is in the report, uncut; else its title."""
    parent = data.parent_of(task)
    return f"{parent.title}{PARENT_SEPARATOR}{task.title}" if parent else task.title


LOAD_COLUMNS = (
    Column(N_("person"), max_width=30),
    Column(N_("status"), width=12),
    Column(N_("utilisation"), kind="percent", width=11),
    Column(N_("person load"), kind="number", width=11),
    Column(N_("capacity"), kind="number", width=9),
    Column(N_("source"), max_width=20),
    Column(N_("task"), max_width=60),
    Column(N_("url"), kind="url", max_width=40),
    Column(N_("letter"), width=7),
    Column(N_("effort"), kind="number", width=8),
    Column(N_("load"), kind="number", width=8),
    Column(N_("due"), kind="date", width=11),
)


def _load_sheet(book: Book, data: ReportData) -> None:
    """One row per task behind each person's load, people most loaded first, each person's
    tasks largest share first; a person with nothing in the window gets one row of figures."""
    names = data.person_names
    rows: list[list[Cell]] = []
    for line in sorted_workload(data.workload, names):
        load = _load_cells(line)
        person: list[Cell] = [
            display_person(line.person, names),
            STATUS_WORDS.get(line.status, line.status),
            load["utilisation"],
            load["load"],
            load["capacity"],
        ]
        if not line.tasks:
            rows.append([*person, *([None] * (len(LOAD_COLUMNS) - len(person)))])
        for item in line.tasks:
            task = data.task_index.get((item.source, item.task_id))
            title = full_title(task, data) if task else item.title
            url = task.url if task else None
            share = json_number(item.load)
            rows.append([*person, item.source, title, url, item.role, item.effort, share, item.due])
    book.sheet(N_("Workload"), LOAD_COLUMNS, rows, freeze_columns=1)


def _workload_sheet(book: Book, data: ReportData) -> None:
    names = data.person_names
    weeks = [point.week for point in data.trends.last(TREND_WEEKS)]
    columns = [
        Column(N_("person"), max_width=30),
        Column(N_("load"), kind="number", width=8),
        Column(N_("capacity"), kind="number", width=9),
        Column(N_("utilisation"), kind="percent", width=11),
        Column(N_("status"), width=12),
        Column(N_("open tasks"), kind="number", width=10),
        *(
            Column(
                _("utilisation {week}").format(week=week),
                kind="percent",
                width=18,
                translate=False,
            )
            for week in weeks
        ),
    ]
    rows: list[list[Cell]] = []
    for line in sorted_workload(data.workload, names):
        name = display_person(line.person, names) or ""
        load = _load_cells(line)
        history = [point.value for point in utilisation_trend(data, name)]
        rows.append(
            [
                name,
                load["load"],
                load["capacity"],
                load["utilisation"],
                STATUS_WORDS.get(line.status, line.status),
                line.open_tasks,
            ]
        )
        rows[-1].extend(history)
    book.sheet(N_("Workload"), columns, rows, freeze_columns=1)


TASK_COLUMNS = (
    Column(N_("source"), max_width=20),
    Column(N_("container"), max_width=30),
    Column(N_("group"), max_width=24),
    Column(N_("id"), max_width=26),
    Column(N_("title"), max_width=60),
    Column(N_("url"), kind="url", max_width=40),
    Column(N_("state"), width=9),
    Column(N_("due"), kind="date", width=11),
    Column(N_("start"), kind="date", width=11),
    Column(N_("parent id"), max_width=26),
    Column(N_("labels"), max_width=30),
    *(Column(letter, max_width=40, translate=False) for letter in LETTERS),
    Column(N_("findings"), max_width=40),
    Column(N_("parent"), max_width=60),  # a subtask's parent's title (when in the report)
)


def _tasks_sheet(book: Book, data: ReportData) -> None:
    assignments = data.assignments_by_task
    states = dict(STATE_WORDS.items())  # translated once, not per row
    checks: dict[tuple[str, str], list[str]] = {}
    for finding in sorted_findings(data.findings):
        if finding.task_id is not None:
            checks.setdefault((finding.source or "", finding.task_id), []).append(finding.check)
    rows: list[list[Cell]] = []
    for task in sorted_tasks(data.tasks):
        held = assignments.get(task.key, ())
        letters = [
            ", ".join(dict.fromkeys(a.person_name for a in held if a.letter == letter))
            for letter in LETTERS
        ]
        rows.append(
            [
                *(task.source, task.container, task.group, task.id, task.title, task.url),
                *(
                    states.get(str(task.state), str(task.state)),
                    task.due,
                    task.start,
                    task.parent_id,
                    ", ".join(task.labels),
                ),
                *letters,
                ", ".join(dict.fromkeys(checks.get(task.key, ()))),
                _parent_title(task, data),
            ]
        )
    book.sheet(N_("Tasks"), TASK_COLUMNS, rows, freeze_columns=5)


def _parent_title(task: Task, data: ReportData) -> str | None:
    parent = data.parent_of(task) if task.parent_id is not None else None
    return parent.title if parent else None


def _unmatched_sheet(book: Book, data: ReportData) -> None:
    columns = (
        Column(N_("source"), max_width=20),
        Column(N_("account"), max_width=30),
        Column(N_("name"), max_width=30),
        Column(N_("tasks"), kind="number", width=8),
    )
    rows: list[list[Cell]] = [
        [account.source, account.account, account.name, account.tasks]
        for account in _sorted_unmatched(data.unmatched)
    ]
    book.sheet(N_("Unmatched"), columns, rows)


def _sources_sheet(book: Book, data: ReportData) -> None:
    columns = (
        Column(N_("source"), max_width=20),
        Column(N_("tool"), width=8),
        Column(N_("status"), max_width=40),
        Column(N_("synced at"), kind="datetime", width=17),
        Column(N_("tasks"), kind="number", width=8),
        Column(N_("error"), max_width=80),
    )
    rows: list[list[Cell]] = [
        [s.name, s.kind, source_label(s), s.synced_at, s.tasks, s.error]
        for s in missing_first(data.sources)
    ]
    book.sheet(N_("Sources"), columns, rows)


# --- the matrix ------------------------------------------------------------------------


def matrix_csv(data: ReportData, include_closed: bool = False) -> str:
    """The matrix as CSV (header row, one row per task; text neutralised for spreadsheets)."""
    frame = build_matrix(data, include_closed)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        [cell_text(_(name) if name in MATRIX_COLUMNS else str(name)) for name in frame.columns]
    )
    for row in frame_rows(frame):
        writer.writerow(_csv_row(row))
    return out.getvalue()


def _csv_row(row: tuple[object, ...]) -> list[str]:
    source, container, group, title, state, due, *letters = row
    texts = [cell_text(str(value)) for value in (source, container, group, title, state)]
    day = due.isoformat() if isinstance(due, date) else ""
    return [*texts, day, *(str(text) for text in letters)]


def matrix_xlsx(data: ReportData, include_closed: bool = False) -> bytes:
    """The matrix as an XLSX workbook: one sheet "Matrix" (see ``add_matrix_sheet``)."""
    book = Book()
    add_matrix_sheet(book, data, include_closed)
    return book.finish()


def add_matrix_sheet(book: Book, data: ReportData, include_closed: bool = False) -> None:
    """Add the sheet "Matrix" to a ``reports.xlsx.Book``.

    One sheet for every source: ``source`` and ``container`` are columns, so the autofilter
    groups them; the header row and the task columns up to the title stay frozen. A sheet holds
    16,384 columns: past that, the last column says how many people the CSV matrix adds.
    """
    people = person_columns(data)
    left_out = 0
    room = XLSX_MAX_COLUMNS - len(MATRIX_COLUMNS)
    if len(people) > room:  # xlsxwriter would drop the rest without a word
        people, left_out = people[: room - 1], len(people) - room + 1
    frame = matrix_frame(data, matrix_tasks(data, include_closed), people)
    columns = [
        Column(N_("source"), max_width=20),
        Column(N_("container"), max_width=30),
        Column(N_("group"), max_width=24),
        Column(N_("title"), max_width=60),
        Column(N_("state"), width=9),
        Column(N_("due"), kind="date", width=11),
        *(Column(person.header, kind="letters", width=12, translate=False) for person in people),
    ]
    if left_out:
        more = _("… and {count} more people: the CSV matrix holds them all").format(count=left_out)
        columns.append(Column(more, width=30, translate=False))
    rows = frame_rows(frame)
    formats = ["header"] * len(MATRIX_COLUMNS) + ["person"] * (len(columns) - len(MATRIX_COLUMNS))
    book.sheet(N_("Matrix"), columns, rows, freeze_columns=4, header_format=formats)
