"""The workload chart: a PNG of utilisation per person against 100 %, with last weeks' values."""

from __future__ import annotations

import struct
from datetime import date

import pytest

from raci_sync.model import Person, ReportData, Trends, WeekPoint, WorkloadLine
from raci_sync.reports.email.chart import MAX_PEOPLE, chart_size, workload_figure, workload_png
from tests.reports import sample_report

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def trends() -> Trends:
    weeks = [
        ("2026-W47", {"Freja Nørgaard": 0.9, "Anders Holm": 1.1}),
        ("2026-W48", {"Freja Nørgaard": 1.05, "Anders Holm": 1.3}),
        ("2026-W49", {"Freja Nørgaard": 0.95, "Anders Holm": None, "Mette Sørensen": 0.2}),
    ]
    return Trends(
        tuple(
            WeekPoint(week, date(2026, 11, 16 + 7 * i), 1, {"no-owner": 1}, utilisation)
            for i, (week, utilisation) in enumerate(weeks)
        )
    )


def png_size(png: bytes) -> tuple[int, int]:
    """Width and height from the PNG's IHDR chunk."""
    assert png.startswith(PNG_SIGNATURE)
    width, height = struct.unpack(">II", png[16:24])
    return width, height


@pytest.fixture(scope="module")
def data() -> ReportData:
    return sample_report(trends=trends())


def texts(data: ReportData) -> list[str]:
    figure = workload_figure(data)
    ax = figure.axes[0]
    return [t.get_text() for t in ax.texts] + [t.get_text() for t in ax.get_yticklabels()]


def test_png_has_the_promised_size(data: ReportData) -> None:
    png = workload_png(data)
    assert png_size(png) == chart_size(data) == (800, 150 + 40 * len(data.workload))


def test_same_data_gives_the_same_bytes(data: ReportData) -> None:
    assert workload_png(data) == workload_png(data)


def test_one_bar_per_monitored_person_most_loaded_on_top(data: ReportData) -> None:
    ax = workload_figure(data).axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    ticks = list(ax.get_yticks())
    top_down = [label for _, label in sorted(zip(ticks, labels, strict=True), reverse=True)]
    assert top_down == ["Freja Nørgaard", "Anders Holm", "Mette Sørensen", "Kasper Vinther"]
    widths = sorted(bar.get_width() for bar in ax.patches)
    assert widths == pytest.approx([32.5, 123.4, 145.0])  # Kasper is unmonitored: no bar


def test_unmonitored_people_are_marked_not_drawn_as_fine(data: ReportData) -> None:
    assert "unmonitored: no capacity set" in texts(data)


def test_last_weeks_are_markers_on_each_row(data: ReportData) -> None:
    ax = workload_figure(data).axes[0]
    markers = [line for line in ax.lines if line.get_marker() == "o"]
    # Freja 3 weeks, Anders 2 (None in W49), Mette 1: one marker per known value
    assert len(markers) == 6
    freja_y = next(
        y
        for y, t in zip(ax.get_yticks(), ax.get_yticklabels(), strict=True)
        if t.get_text() == "Freja Nørgaard"
    )
    freja = sorted(float(m.get_xdata()[0]) for m in markers if m.get_ydata()[0] == freja_y)
    assert freja == [90.0, 95.0, 105.0]
    legend = workload_figure(data).legends[0]
    assert any("2026-W47 … 2026-W49" in t.get_text() for t in legend.get_texts())


def test_the_capacity_line_sits_at_100_percent(data: ReportData) -> None:
    ax = workload_figure(data).axes[0]
    vertical = [line for line in ax.lines if line.get_linestyle() == "--"]
    assert len(vertical) == 1 and list(vertical[0].get_xdata()) == [100, 100]


def test_danish_names_render_without_missing_glyphs() -> None:
    # pytest turns warnings into errors: a missing glyph for æ, ø or å would fail here
    lines = (WorkloadLine("roster:Åse Ærø Øvergård", 12, 10, 1.2, "critical", 3),)
    people = (Person("roster:Åse Ærø Øvergård", "Åse Ærø Øvergård", capacity=10),)
    data = sample_report(workload=lines, people=people)
    assert png_size(workload_png(data)) == (800, 190)
    assert "Åse Ærø Øvergård" in texts(data)


def test_many_people_are_capped_with_a_note() -> None:
    count = MAX_PEOPLE + 5
    lines = tuple(
        WorkloadLine(f"roster:P{i:02d}", i, 10, i / 10, "over" if i > 10 else "ok", 1)
        for i in range(count)
    )
    data = sample_report(workload=lines, people=())
    assert png_size(workload_png(data)) == (800, 150 + 40 * MAX_PEOPLE)
    ax = workload_figure(data).axes[0]
    assert len(ax.get_yticklabels()) == MAX_PEOPLE
    assert "5 more not shown" in ax.get_title(loc="left")


def test_no_workload_still_gives_a_picture() -> None:
    data = sample_report(workload=())
    png = workload_png(data)
    assert png_size(png) == (800, 190)
    ax = workload_figure(data).axes[0]
    assert [t.get_text() for t in ax.texts] == [
        "Nobody holds a letter on an open task in the window."
    ]
