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


def render_report(
    data: ReportData,
    fmt: str,
    *,
    color: bool = False,
    links: bool = False,
    width: int | None = None,
) -> str | bytes:
    """The report in one of REPORT_FORMATS (text, or bytes for xlsx). For ``table``: ANSI
    colour and OSC 8 hyperlinks when asked, lines of at most ``width`` cells (default: the
    terminal's width)."""
    from raci_sync.reports import html, json, markdown, spreadsheet, terminal

    renderers: dict[str, Any] = {
        "json": json.render_json,
        "markdown": markdown.render_markdown,
        "html": html.render_html,
        "csv": spreadsheet.report_csv,
        "xlsx": spreadsheet.report_xlsx,
    }
    if fmt == "table":
        return terminal.render_table(data, color=color, width=width, links=links)
    return renderers[fmt](data)  # type: ignore[no-any-return]


def render_matrix(
    data: ReportData,
    fmt: str,
    *,
    include_closed: bool = False,
    links: bool = False,
    width: int | None = None,
) -> str | bytes:
    """The RACI matrix in one of MATRIX_FORMATS; ``table`` is a slice that fits ``width``
    (default: the terminal's width) and says how to get the whole matrix."""
    from raci_sync.reports import html, spreadsheet, terminal

    if fmt == "table":
        return terminal.matrix_text(data, include_closed, width=width, links=links)
    renderers: dict[str, Any] = {
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
