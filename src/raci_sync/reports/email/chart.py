"""The workload chart of the weekly email: utilisation per person against 100 % of capacity.

One horizontal bar per person (most loaded on top), coloured by status, with the weeks before
as dots so a trend shows at a glance. Unmonitored people (no capacity) get a line of text instead
of a bar: they are never drawn as fine. matplotlib is imported here, lazily, and only through
``Figure`` (Agg canvas, no pyplot state), so a sync never pays for it and threads don't clash.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from raci_sync.i18n import _, local_date, localize_number
from raci_sync.model import ReportData, WeekPoint, WorkloadLine
from raci_sync.reports.common import (
    clean_text,
    display_person,
    round_half_up,
    sorted_workload,
    truncate,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

WIDTH_PX = 800
HEADER_PX = 150  # title, axis and legend
ROW_PX = 40
DPI = 100
MAX_PEOPLE = 30  # the most loaded; the rest are in the email's text and the matrix
HISTORY_WEEKS = 4
NAME_WIDTH = 24

COLOURS = {
    "ok": "#4e8f5a",
    "over": "#e08a1e",
    "critical": "#c8372d",
}
HISTORY_COLOURS = ("#b9c2cc", "#8c99a6", "#5d6d7e", "#2b3a4a")  # oldest … last week
LINE_COLOUR = "#555555"
TEXT_COLOUR = "#222222"
MUTED_COLOUR = "#777777"


@dataclass(frozen=True)
class _Row:
    name: str
    percent: float | None  # None: unmonitored
    status: str
    history: tuple[float | None, ...]  # oldest first, one per week in the chart's history


def chart_size(data: ReportData) -> tuple[int, int]:
    """The PNG's size in pixels: 800 wide, 40 px per person shown plus a fixed header."""
    people = min(len(data.workload), MAX_PEOPLE)
    return WIDTH_PX, HEADER_PX + ROW_PX * max(people, 1)


def workload_png(data: ReportData) -> bytes:
    """The workload chart as PNG bytes (deterministic size, see ``chart_size``)."""
    buffer = io.BytesIO()
    # No "Software" stamp: the same data gives the same bytes on the same matplotlib.
    workload_figure(data).savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue()


def workload_figure(data: ReportData) -> Figure:
    """The workload chart as a matplotlib Figure (Agg canvas, no pyplot)."""
    from matplotlib.figure import Figure

    width, height = chart_size(data)
    weeks = data.trends.last(HISTORY_WEEKS)
    rows = _rows(data, weeks)
    fig = Figure(figsize=(width / DPI, height / DPI), dpi=DPI, layout="constrained")
    ax = fig.add_subplot()
    if rows:
        _draw(ax, rows, weeks)
    else:
        ax.set_axis_off()
        ax.text(
            0.5,
            0.5,
            _("Nobody holds a letter on an open task in the window."),
            ha="center",
            va="center",
            color=MUTED_COLOUR,
            fontsize=11,
        )
    window = f"{local_date(data.window_start)} – {local_date(data.window_end)}"
    more = len(data.workload) - len(rows)
    title = _("Workload {window}: utilisation of capacity").format(window=window)
    if more > 0:
        title += _(" (top {count}, {more} more not shown)").format(count=len(rows), more=more)
    ax.set_title(title, loc="left", fontsize=13, color=TEXT_COLOUR, pad=10)
    return fig


def _rows(data: ReportData, weeks: Sequence[WeekPoint]) -> list[_Row]:
    names = data.person_names
    lines = sorted_workload(data.workload, names)[:MAX_PEOPLE]
    rows = []
    for line in lines:
        name = clean_text(display_person(line.person, names))
        rows.append(
            _Row(
                name=truncate(name, NAME_WIDTH),
                percent=_percent(line),
                status=line.status,
                history=tuple(_as_percent(week.utilisation.get(name)) for week in weeks),
            )
        )
    return rows


def _percent(line: WorkloadLine) -> float | None:
    if line.status == "unmonitored":
        return None
    return _as_percent(line.utilisation)


def _as_percent(utilisation: float | None) -> float | None:
    return None if utilisation is None else round_half_up(utilisation * 100, 1)


def _draw(ax: Axes, rows: list[_Row], weeks: Sequence[WeekPoint]) -> None:
    """Bars, history dots, the 100 % line, labels and a legend on ``ax``."""
    ys = list(range(len(rows)))[::-1]  # the first (most loaded) row on top
    values = [v for row in rows for v in (row.percent, *row.history) if v is not None]
    right = max([120.0, *values]) * 1.15
    for y, row in zip(ys, rows, strict=True):
        if row.percent is None:
            ax.text(
                2,
                y,
                _("unmonitored: no capacity set"),
                va="center",
                color=MUTED_COLOUR,
                fontsize=11,
            )
        else:
            colour = COLOURS.get(row.status, COLOURS["ok"])
            ax.barh(y, row.percent, height=0.6, color=colour, zorder=2)
            # the label goes right of the bar and of last weeks' dots, so none hides it
            end = max([row.percent, *(v for v in row.history if v is not None)])
            label = f"{localize_number(f'{row.percent:.0f}')} %"
            ax.text(end + right * 0.015, y, label, va="center", fontsize=11, zorder=4)
        _history(ax, y, row.history)
    ax.axvline(100, color=LINE_COLOUR, linestyle="--", linewidth=1.2, zorder=3)
    ax.set_yticks(ys, [row.name for row in rows], fontsize=12, color=TEXT_COLOUR)
    ax.set_ylim(-0.7, len(rows) - 0.3)
    ax.set_xlim(0, right)
    ax.xaxis.set_major_formatter(lambda x, _pos: f"{x:.0f} %")
    ax.tick_params(axis="x", labelsize=10, colors=MUTED_COLOUR)
    ax.tick_params(axis="y", length=0)
    ax.grid(axis="x", color="#e6e6e6", zorder=0)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    _legend(ax.get_figure(), weeks)  # type: ignore[arg-type]


def _history(ax: Axes, y: float, history: tuple[float | None, ...]) -> None:
    """The weeks before as dots on the row, older ones lighter."""
    shades = HISTORY_COLOURS[-len(history) :] if history else ()
    for value, shade in zip(history, shades, strict=True):
        if value is None:
            continue
        ax.plot(
            value,
            y,
            marker="o",
            markersize=6,
            markerfacecolor="white",
            markeredgecolor=shade,
            markeredgewidth=1.8,
            linestyle="none",
            zorder=5,
        )


def _legend(fig: Figure, weeks: Sequence[WeekPoint]) -> None:
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles = [
        Patch(color=COLOURS["ok"], label="≤ 100 %"),
        Patch(color=COLOURS["over"], label=_("over")),
        Patch(color=COLOURS["critical"], label="≥ 120 %"),
        Line2D([], [], color=LINE_COLOUR, linestyle="--", label=_("capacity")),
    ]
    if weeks:
        label = weeks[0].week
        if len(weeks) > 1:
            label = _("{first} … {last} (darker = later)").format(
                first=weeks[0].week, last=weeks[-1].week
            )
        handles.append(
            Line2D(
                [],
                [],
                marker="o",
                markerfacecolor="white",
                markeredgecolor=HISTORY_COLOURS[-1],
                markeredgewidth=1.8,
                linestyle="none",
                label=label,
            )
        )
    fig.legend(
        handles=handles,
        loc="outside lower center",
        ncols=len(handles),
        frameon=False,
        fontsize=10,
        handlelength=1.4,
    )
