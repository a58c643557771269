"""One entry to every report format, so callers (the CLI, the demo) name a format, not a module;
and writing what they render to a file.

Each renderer is imported when its format is asked for: pandas, jinja2 and xlsxwriter load
only for the formats that need them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from raci_sync.errors import RaciError
from raci_sync.model import ReportData

REPORT_FORMATS = ("table", "json", "markdown", "html", "csv", "xlsx")
MATRIX_FORMATS = ("table", "csv", "xlsx", "html")


def render_report(data: ReportData, fmt: str, *, color: bool = False) -> str | bytes:
    """The report in one of REPORT_FORMATS (text, or bytes for xlsx)."""
    from raci_sync.reports import html, json, markdown, spreadsheet, terminal

    renderers: dict[str, Any] = {
        "json": json.render_json,
        "markdown": markdown.render_markdown,
        "html": html.render_html,
        "csv": spreadsheet.report_csv,
        "xlsx": spreadsheet.report_xlsx,
    }
    if fmt == "table":
        return terminal.render_table(data, color=color)
    return renderers[fmt](data)  # type: ignore[no-any-return]


def render_matrix(data: ReportData, fmt: str, *, include_closed: bool = False) -> str | bytes:
    """The RACI matrix in one of MATRIX_FORMATS."""
    from raci_sync.reports import html, spreadsheet, terminal

    renderers: dict[str, Any] = {
        "table": terminal.matrix_text,
        "csv": spreadsheet.matrix_csv,
        "xlsx": spreadsheet.matrix_xlsx,
        "html": html.render_matrix_page,
    }
    return renderers[fmt](data, include_closed)  # type: ignore[no-any-return]


def write_output(content: str | bytes, path: str | Path) -> Path:
    """Write what a renderer made to ``path``: text as UTF-8 ending in a newline, bytes as they
    are. Raises RaciError naming the file when it cannot be written."""
    target = Path(path)
    try:
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            text = content if content.endswith("\n") else content + "\n"
            target.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise RaciError(f"cannot write {target}: {exc.strerror}") from None
    return target
