"""What the first report would find: the summary ``raci init`` prints after reading every chosen
board and project once into a store in memory (nothing is stored)."""

from __future__ import annotations

from collections import Counter

from raci_sync.model import ReportData, Run, Severity

SEVERITIES = (Severity.ERROR, Severity.WARNING, Severity.INFO)


def first_report(run: Run, data: ReportData) -> list[str]:
    """Tasks read per source, findings by severity (with their checks), who is over capacity,
    and the accounts the roster does not match."""
    lines = []
    for s in run.sources:
        if s.status == "ok":
            lines.append(f"{s.name} ({s.kind}): {s.tasks} tasks read")
        else:
            lines.append(
                f"{s.name} ({s.kind}): {s.status.upper()} — {s.error or 'no reason given'}"
            )
    lines.append(f"findings: {_findings(data)}")
    over = [w for w in data.workload if w.status in ("over", "critical")]
    over.sort(key=lambda w: -(w.utilisation or 0.0))
    if over:
        shown = ", ".join(
            f"{data.person_names.get(w.person, w.person)} {w.utilisation or 0:.0%}" for w in over
        )
        lines.append(f"over capacity: {shown}")
    else:
        lines.append("over capacity: nobody")
    lines.append(
        f"unmatched accounts: {len(data.unmatched)}"
        + (" (every account found someone on the roster)" if not data.unmatched else "")
    )
    return lines


def _findings(data: ReportData) -> str:
    """``3 errors (no-owner 2, no-accountable 1), 1 warning (…), 0 info``."""
    parts = []
    for severity in SEVERITIES:
        checks = Counter(f.check for f in data.findings if f.severity == severity)
        total = sum(checks.values())
        word = severity.value if total == 1 or severity == Severity.INFO else f"{severity.value}s"
        detail = ", ".join(f"{check} {n}" for check, n in checks.most_common())
        parts.append(f"{total} {word}" + (f" ({detail})" if detail else ""))
    return ", ".join(parts)
