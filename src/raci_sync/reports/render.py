"""One entry to every report format, so callers (the CLI, the demo) name a format, not a module.

Each renderer is imported when its format is asked for: pandas, jinja2 and xlsxwriter load
only for the formats that need them.
"""

from __future__ import annotations

from typing import Any

from raci_sync.model import ReportData

REPORT_FORMATS = ("table", "json", "markdown", "html", "csv", "xlsx")
MATRIX_FORMATS = ("table", "csv", "xlsx", "html")


def render_report(data: ReportData, fmt: str, *, color: bool = False) -> str | bytes:
    """The report in one of REPORT_FORMATS (text, or bytes for xlsx)."""
    from raci_sync.reports import html, jsonreport, markdown, table, tabular

    renderers: dict[str, Any] = {
        "json": jsonreport.render_json,
        "markdown": markdown.render_markdown,
        "html": html.render_html,
        "csv": tabular.report_csv,
        "xlsx": tabular.report_xlsx,
    }
    if fmt == "table":
        return table.render_table(data, color=color)
    return renderers[fmt](data)  # type: ignore[no-any-return]


def render_matrix(data: ReportData, fmt: str, *, include_closed: bool = False) -> str | bytes:
    """The RACI matrix in one of MATRIX_FORMATS."""
    from raci_sync.reports import matrix

    renderers: dict[str, Any] = {
        "table": matrix.matrix_text,
        "csv": matrix.matrix_csv,
        "xlsx": matrix.matrix_xlsx,
        "html": matrix.matrix_html,
    }
    return renderers[fmt](data, include_closed)  # type: ignore[no-any-return]
