"""Prints how many inputs each property tried (figures for the README's Reliability section)."""

from __future__ import annotations

from typing import Any

from tests.properties.junk import TALLY


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not TALLY:
        return
    terminalreporter.section("property-based inputs tried")
    width = max(len(name) for name in TALLY)
    for name in sorted(TALLY):
        counts = TALLY[name]
        detail = ", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items()))
        terminalreporter.write_line(f"{name:<{width}}  {sum(counts.values()):>6}  ({detail})")
    total = sum(sum(c.values()) for c in TALLY.values())
    terminalreporter.write_line(f"{'total':<{width}}  {total:>6}")
