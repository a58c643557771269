"""Text from the tools made safe for spreadsheets, HTML and e-mail.

Task titles, names and messages come from whoever can edit a card. Two things can go wrong:

- A spreadsheet runs a cell that starts like a formula (``=HYPERLINK(...)``, ``+cmd``,
  ``-2+3``, ``@SUM(A1)``; a leading tab or CR too). ``neutralise`` puts an apostrophe in
  front, so the cell shows the text instead (the OWASP "CSV injection" advice).
- Control characters end a line where a header or a CSV row should go on, and bidi controls
  (U+202E RIGHT-TO-LEFT OVERRIDE and friends) make text read backwards beyond the title itself.
  ``clean_line`` drops both and folds whitespace runs into one space.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime

# A cell starting with one of these is read as a formula by Excel, LibreOffice or Sheets.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

# What ``common.clean_text`` drops (control characters that are not whitespace), plus bidi
# embeddings, overrides and isolates: invisible, and they reorder the text around them. The
# plain marks (U+200E LRM, U+200F RLM) stay: they only nudge neutral characters. One regex
# instead of a per-character loop: reports clean every cell, 100k tasks × several columns.
_CONTROLS = "".join(
    re.escape(chr(code)) for code in (*range(0x20), *range(0x7F, 0xA0)) if not chr(code).isspace()
)
_DROP = re.compile(f"[{_CONTROLS}\u202a-\u202e\u2066-\u2069]")
_WHITESPACE = re.compile(r"\s+")

# Whole terminal escape sequences (CSI "ESC [ … m", OSC "ESC ] … BEL", two-character ones),
# for text quoted from a server: dropping only their ESC would leave "[31m" or "]0;title".
_ESCAPE_SEQUENCE = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]"
)

XLSX_MAX_TEXT = 32_767  # characters an Excel cell holds

Cell = str | int | float | date | datetime | None


def clean_line(text: str | None) -> str:
    """One printable line: control and bidi-control characters dropped, whitespace folded."""
    if not text:
        return ""
    return _WHITESPACE.sub(" ", _DROP.sub("", text)).strip()


def quoted_line(text: str | None) -> str:
    """Text quoted from a server as one printable line: whole terminal escape sequences
    dropped, then what ``clean_line`` drops (control and bidi characters)."""
    return clean_line(_ESCAPE_SEQUENCE.sub("", text)) if text else ""


def neutralise(text: str) -> str:
    """``text`` with a leading apostrophe when a spreadsheet would read it as a formula."""
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def cell_text(text: str | None) -> str:
    """Text for a CSV or XLSX cell: one clean line, never a formula."""
    return neutralise(clean_line(text))


def cell(value: Cell) -> Cell:
    """A value for a CSV or XLSX cell: text neutralised; numbers and dates kept as they are."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return None if isinstance(value, float) and not math.isfinite(value) else value
    if isinstance(value, (date, datetime)):
        return value
    return cell_text(str(value))
