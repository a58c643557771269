"""Workbook plumbing the XLSX report and the XLSX matrix share (xlsxwriter).

Every sheet is a table: a bold header row, frozen panes, an autofilter and column widths.
Text goes through ``sanitize.cell_text`` and is written with ``write_string``, so no cell is
ever a formula; numbers, percentages and dates are written as numbers.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from raci_sync.i18n import _
from raci_sync.reports.sanitize import XLSX_MAX_TEXT, Cell, cell_text

# xlsxwriter's write() would turn "=…" into a formula and "http…" into a link by itself.
WORKBOOK_OPTIONS = {
    "strings_to_formulas": False,
    "strings_to_numbers": False,
    "strings_to_urls": False,
    "constant_memory": True,  # rows are flushed as they are written: 100k rows stay small
    "remove_timezone": True,  # Excel has no time zones: an aware time is written as shown
}
MAX_LINKS = 65_000  # Excel allows 65,530 hyperlinks per sheet; beyond that URLs are plain text
MAX_URL = 2_079  # the longest URL Excel takes as a link
SAMPLE_ROWS = 500  # rows looked at to size a column
_UNSAFE_IN_URL = re.compile(r"[\s\x00-\x1f\x7f]")
LETTER_COLOURS = {"R": "#D7EBD5", "A": "#D5E3F3", "C": "#FBEBC8", "I": "#ECECEC"}


@dataclass(frozen=True)
class Column:
    """One column of a sheet: its header and how its cells are written.

    ``kind``: text | number | percent | date | datetime | url | letters.
    """

    title: str
    kind: str = "text"
    width: float | None = None  # None: sized from the header and the first rows
    max_width: float = 60
    # the title is an English text (marked with N_) shown in the active language; False for
    # titles that are data (a person's name) or already translated
    translate: bool = True

    @property
    def header(self) -> str:
        """The title as the sheet shows it."""
        return _(self.title) if self.translate else self.title


class Book:
    """An in-memory workbook; ``finish()`` closes it and returns the bytes."""

    def __init__(self) -> None:
        import xlsxwriter

        self._buffer = io.BytesIO()
        self.workbook = xlsxwriter.Workbook(self._buffer, WORKBOOK_OPTIONS)
        add = self.workbook.add_format
        self.formats: dict[str, Any] = {
            "header": add({"bold": True, "bg_color": "#F2F2F2", "bottom": 1, "valign": "top"}),
            "person": add(
                {"bold": True, "bg_color": "#F2F2F2", "bottom": 1, "text_wrap": True}
                | {"valign": "top", "align": "center"}
            ),
            "percent": add({"num_format": "0%"}),
            "date": add({"num_format": "yyyy-mm-dd"}),
            "datetime": add({"num_format": "yyyy-mm-dd hh:mm"}),
            "url": add({"font_color": "blue", "underline": 1}),
        }
        for letter, colour in LETTER_COLOURS.items():
            self.formats[f"letter:{letter}"] = add({"align": "center", "bg_color": colour})

    def sheet(
        self,
        name: str,
        columns: Sequence[Column],
        rows: Sequence[Sequence[Cell]],
        freeze_columns: int = 0,
        header_format: Sequence[str] = (),
    ) -> None:
        """Add a sheet holding ``rows`` under ``columns`` (cells in column order); ``name`` and
        the titles are English texts, shown in the active language."""
        sheet = self.workbook.add_worksheet(_(name))
        for index, column in enumerate(columns):
            sheet.set_column(index, index, _width(column, index, rows))
        for index, column in enumerate(columns):
            fmt = header_format[index] if index < len(header_format) else "header"
            sheet.write_string(0, index, cell_text(column.header), self.formats[fmt])
        write = [self._writer(sheet, column.kind) for column in columns]
        for number, row in enumerate(rows, start=1):
            for index, value in enumerate(row):
                if value is not None and value != "":
                    write[index](number, index, value)
        sheet.freeze_panes(1, freeze_columns)
        if columns:
            sheet.autofilter(0, 0, max(len(rows), 1), len(columns) - 1)

    def _writer(self, sheet: Any, kind: str) -> Callable[[int, int, Cell], None]:
        """How one column's cells are written: chosen once per column, not per cell."""
        formats = self.formats
        number_format = formats.get(kind)
        links = [0]

        def write(row: int, col: int, value: Cell) -> None:
            if isinstance(value, str):
                if kind == "url" and links[0] < MAX_LINKS and _linkable(value):
                    sheet.write_url(row, col, value, formats["url"], value)
                    links[0] += 1
                else:
                    fmt = formats.get(f"letter:{value[:1]}") if kind == "letters" else None
                    sheet.write_string(row, col, cell_text(value)[:XLSX_MAX_TEXT], fmt)
            elif isinstance(value, bool):
                sheet.write_boolean(row, col, value)
            elif isinstance(value, (int, float)):
                sheet.write_number(row, col, value, number_format)
            elif isinstance(value, datetime):
                sheet.write_datetime(row, col, value, formats["datetime"])
            elif isinstance(value, date):
                sheet.write_datetime(row, col, value, formats["date"])

        return write

    def finish(self) -> bytes:
        """Close the workbook and return the .xlsx file's bytes."""
        self.workbook.close()
        return self._buffer.getvalue()


def _linkable(url: str) -> bool:
    return (
        len(url) <= MAX_URL
        and url[:8].lower().startswith(("http://", "https://"))
        and _UNSAFE_IN_URL.search(url) is None
    )


def _width(column: Column, index: int, rows: Sequence[Sequence[Cell]]) -> float:
    if column.width is not None:
        return column.width
    lengths = [len(column.title)]
    for row in rows[:SAMPLE_ROWS]:
        value = row[index] if index < len(row) else None
        if isinstance(value, date):
            lengths.append(10)
        elif value is not None:
            lengths.append(len(str(value)))
    return min(max(lengths) + 2, column.max_width)
