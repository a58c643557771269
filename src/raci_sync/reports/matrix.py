"""The RACI matrix: tasks × people, the letters each person holds in the cells (pandas).

Rows are tasks in report order (source, container, group, title), open tasks only unless
``include_closed``. Columns are six task columns (``MATRIX_COLUMNS``), then one per person:
roster people first in roster order, headed with their hats ("Mette Sørensen (strategist)"),
then accounts that matched nobody ("Kasper Vinther (unmatched)"), by name. A cell holds the
person's letters on that task in R, A, C, I order joined by "/" ("R/A"), or "" when none.
A subtask's title reads "Parent › Subtask" when its parent is in the report.

This module builds the matrix as data (a DataFrame); ``terminal.py``, ``spreadsheet.py`` and
``html.py`` render it. pandas is imported inside the functions so that ``raci sync`` never pays
for it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from raci_sync.i18n import N_, _
from raci_sync.model import LETTERS, Person, ReportData, Task
from raci_sync.reports.common import PARENT_SEPARATOR, STATE_WORDS, sorted_tasks
from raci_sync.reports.sanitize import clean_line

if TYPE_CHECKING:
    import pandas as pd

# the task columns (the CSV and XLSX headers show them in the active language)
MATRIX_COLUMNS = (N_("source"), N_("container"), N_("group"), N_("title"), N_("state"), N_("due"))
_BITS = {letter: 1 << index for index, letter in enumerate(LETTERS)}
_COMBINED = [  # bits → "R/A/C/I", in R, A, C, I order
    "/".join(letter for letter in LETTERS if bits & _BITS[letter])
    for bits in range(1 << len(LETTERS))
]


@dataclass(frozen=True)
class PersonColumn:
    """One person column of the matrix."""

    key: str  # Person.key
    name: str
    hats: tuple[str, ...]
    matched: bool
    header: str  # the column name in the DataFrame, CSV and XLSX (unique)


def person_columns(data: ReportData) -> list[PersonColumn]:
    """The person columns in order: roster people, then unmatched accounts by name."""
    roster = [person for person in data.people if person.matched]
    others = [person for person in data.people if not person.matched]
    known = {person.key for person in data.people}
    extra: dict[str, str] = {}
    for assignment in data.assignments:
        if assignment.person not in known:
            extra.setdefault(assignment.person, assignment.person_name)
    others += [Person(key, name, matched=False) for key, name in extra.items()]
    others.sort(key=lambda person: (clean_line(person.name).casefold(), person.key))
    columns: list[PersonColumn] = []
    seen: set[str] = set(MATRIX_COLUMNS)
    for person in roster + others:
        header = _header(person)
        if header in seen:  # two people of one name, or a person called "title"
            header = f"{header} [{clean_line(person.key)}]"
        seen.add(header)
        name, hats = clean_line(person.name), tuple(clean_line(hat) for hat in person.hats)
        columns.append(PersonColumn(person.key, name, hats, person.matched, header))
    return columns


def _header(person: Person) -> str:
    name = clean_line(person.name) or clean_line(person.key)
    if not person.matched:
        return _("{name} (unmatched)").format(name=name)
    hats = ", ".join(clean_line(hat) for hat in person.hats if clean_line(hat))
    return f"{name} ({hats})" if hats else name


def matrix_tasks(data: ReportData, include_closed: bool = False) -> list[Task]:
    """The matrix rows' tasks in report order, each subtask right after its parent (when the
    parent is shown too, in the same source and container)."""
    tasks = [task for task in sorted_tasks(data.tasks) if include_closed or task.is_open]
    place = {task.key: (task.source, task.container) for task in tasks}
    children: dict[tuple[str, str], list[Task]] = {}
    roots: list[Task] = []
    for task in tasks:
        parent = (task.source, task.parent_id or "")
        if task.parent_id and place.get(parent) == (task.source, task.container):
            children.setdefault(parent, []).append(task)
        else:
            roots.append(task)
    ordered: list[Task] = []
    stack = list(reversed(roots))
    while stack:  # depth first, without recursion: subtasks can nest deeply
        task = stack.pop()
        ordered.append(task)
        stack.extend(reversed(children.pop(task.key, [])))
    return ordered + [task for kids in children.values() for task in kids]  # cycles, if any


def build_matrix(data: ReportData, include_closed: bool = False) -> pd.DataFrame:
    """The matrix as a DataFrame: ``MATRIX_COLUMNS`` then one column per person (see module).

    The index holds the task ids (unique together with the ``source`` column). ``due`` holds
    ``datetime.date`` objects or None; every other cell is a string.
    """
    return matrix_frame(data, matrix_tasks(data, include_closed), person_columns(data))


def matrix_frame(
    data: ReportData, tasks: Sequence[Task], people: Sequence[PersonColumn]
) -> pd.DataFrame:
    """The matrix of ``tasks`` (in that order) × ``people``; ``build_matrix`` picks both."""
    import pandas as pd

    header = {column.key: column.header for column in people}
    states = dict(STATE_WORDS.items())  # "open" in the active language, translated once
    letters = _letters(data, {task.key for task in tasks}, set(header))
    cells = pd.DataFrame(
        [(source, task_id, header[person], text) for (source, task_id, person), text in letters],
        columns=["source", "id", "person", "letters"],
    )
    wide = cells.set_index(["source", "id", "person"])["letters"].unstack("person", fill_value="")
    keys = pd.MultiIndex.from_tuples([task.key for task in tasks], names=["source", "id"])
    headers = [column.header for column in people]
    wide = wide.reindex(index=keys, columns=headers, fill_value="")
    leading = pd.DataFrame(
        {
            "source": [task.source for task in tasks],
            "container": [task.container or "" for task in tasks],
            "group": [task.group or "" for task in tasks],
            "title": [_title(task, data) for task in tasks],
            "state": [states.get(str(task.state), str(task.state)) for task in tasks],
            "due": pd.Series([task.due for task in tasks], dtype=object),
        }
    )
    frame = pd.concat([leading, wide.reset_index(drop=True)], axis=1)
    frame.columns.name = None
    frame.index = pd.Index([task.id for task in tasks], name="id")
    return frame


def task_letters(data: ReportData, wanted: set[tuple[str, str]]) -> dict[tuple[str, str, str], str]:
    """{(source, task id, person key): "R/A"} for everyone holding letters on the ``wanted``
    tasks (the cells of those rows, for every person)."""
    return dict(_letters(data, wanted, None))


def _title(task: Task, data: ReportData) -> str:
    """The task's title; a subtask's reads "Parent › Subtask" when its parent is known."""
    parent = data.parent_of(task) if task.parent_id is not None else None
    return f"{parent.title}{PARENT_SEPARATOR}{task.title}" if parent else task.title


def _letters(
    data: ReportData, wanted: set[tuple[str, str]], people: set[str] | None
) -> Iterable[tuple[tuple[str, str, str], str]]:
    """((source, task id, person key), "R/A") for every person (of ``people``, when given)
    holding letters on a task."""
    # One int of bits per (task, person) rather than a set: at 100k tasks the sets cost more
    # in garbage collection than in building them.
    held: dict[tuple[str, str, str], int] = {}
    other: dict[tuple[str, str, str], set[str]] = {}  # letters outside RACI (never from mapping)
    for assignment in data.assignments:
        if (assignment.source, assignment.task_id) in wanted and (
            people is None or assignment.person in people
        ):
            key = (assignment.source, assignment.task_id, assignment.person)
            bit = _BITS.get(assignment.letter)
            if bit is None:
                other.setdefault(key, set()).add(assignment.letter)
                bit = 0
            held[key] = held.get(key, 0) | bit
    for key, bits in held.items():
        text = _COMBINED[bits]
        if key in other:
            text = "/".join(filter(None, [text, *sorted(other[key])]))
        yield key, text


def frame_rows(frame: pd.DataFrame) -> list[tuple[Any, ...]]:
    """The rows of a DataFrame as tuples of plain Python values, fast.

    ``itertuples`` boxes every cell of a pandas ``str`` column one by one (4 µs a cell);
    one conversion to an object array is some 20 times quicker for 100k × 56 cells.
    """
    return list(map(tuple, frame.to_numpy(dtype=object).tolist()))
